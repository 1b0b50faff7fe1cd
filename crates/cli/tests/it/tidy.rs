//! Tidy checks of the whole workspace: purity of the pure crates, a `//!` header on every source file, and the
//! freshness of the generated `docs/rules.md` (regenerate with `UPDATE_EXPECT=1 cargo test -p cli tidy`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn pure_crates_do_no_io_and_use_no_runtime() {
    let banned_deps = ["tokio", "sqlx", "axum", "clap", "rand", "reqwest", "hyper"];
    let banned_code = [
        "std::fs",
        "std::net",
        "std::process",
        "SystemTime",
        "Instant::now",
        "thread_rng",
        "std::env",
    ];
    let mut problems = Vec::new();
    for krate in ["domain", "rules", "ledger"] {
        let dir = root().join("crates").join(krate);
        if !dir.exists() {
            continue;
        }
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let deps = manifest.split("[dev-dependencies]").next().unwrap_or_default();
        for dep in banned_deps {
            if deps.lines().any(|l| {
                l.trim_start().starts_with(&format!("{dep} "))
                    || l.trim_start().starts_with(&format!("{dep}."))
            }) {
                problems.push(format!("{krate} depends on {dep}"));
            }
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for word in banned_code {
                if text.contains(word) {
                    problems.push(format!("{} uses {word}", file.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a `//!` header:\n{}", missing.join("\n"));
}

#[test]
fn docs_rules_md_is_generated_from_the_catalogue() {
    let output =
        assert_cmd::Command::cargo_bin("rightsgate").unwrap().arg("rules").output().unwrap();
    assert!(output.status.success());
    let fresh = String::from_utf8(output.stdout).unwrap();
    generated("docs/rules.md", &fresh);
}

/// Checks that the file at `path` (from the repository root) reads `fresh`; `UPDATE_EXPECT=1` writes it.
fn generated(path: &str, fresh: &str) {
    let file = root().join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&file, fresh).unwrap();
    }
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(current == fresh, "{path} is stale: run `UPDATE_EXPECT=1 cargo test -p cli tidy`");
}

#[test]
fn docs_assess_md_lists_the_item_catalogue() {
    const MARKER: &str = "<!-- catalogue: generated below this line -->\n";
    let path = root().join("docs/assess.md");
    let current = std::fs::read_to_string(&path).unwrap();
    let head = current.split_once(MARKER).map(|(h, _)| h).expect("docs/assess.md lacks the marker");
    let fresh = format!("{head}{MARKER}{}", app::assess::catalogue_markdown());
    generated("docs/assess.md", &fresh);
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_names() {
    let dir = root().join("crates/store/migrations");
    if !dir.exists() {
        return;
    }
    let names = |backend: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
