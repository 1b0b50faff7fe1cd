//! Reading the screening inputs from disk: the policy file and every `*.toml` of a law-pack directory.
//!
//! The bytes are handed to `rules::from_sources`, which parses, validates and digests them; this module only
//! does the IO, so every input error carries the file name the user typed.

use std::path::{Path, PathBuf};

use domain::InputError;
use rules::{Context, Source};

/// Where the law packs are when `--lawpacks` is not given.
pub const DEFAULT_LAWPACKS: &str = "lawpacks";

/// The policy used when `--policy` is not given: the rights-respecting default shipped in `policies/`.
pub const DEFAULT_POLICY: &str = "policies/default.toml";

/// Every `*.toml` file of a directory, sorted by file name, with its bytes.
pub fn read_lawpack_dir(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, Vec<InputError>> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![InputError::new(&shown, "", format!("cannot read the law-pack directory: {e}"))]
    })?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| vec![InputError::new(&shown, "", format!("cannot list: {e}"))])?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if paths.is_empty() {
        return Err(vec![InputError::new(
            &shown,
            "",
            "no *.toml law packs, expected at least one",
        )]);
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        let bytes = std::fs::read(&path)
            .map_err(|e| vec![InputError::new(&name, "", format!("cannot read: {e}"))])?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// Loads and compiles the policy and law packs, reporting every problem of every file.
pub fn load_context(lawpacks: &Path, policy: &Path) -> Result<Context, Vec<InputError>> {
    let policy_name = policy.display().to_string();
    let policy_bytes = std::fs::read(policy);
    let packs = read_lawpack_dir(lawpacks);
    let (policy_bytes, packs) = match (policy_bytes, packs) {
        (Ok(p), Ok(l)) => (p, l),
        (p, l) => {
            let mut problems = Vec::new();
            if let Err(e) = p {
                problems.push(InputError::new(
                    &policy_name,
                    "",
                    format!("cannot read the policy: {e}"),
                ));
            }
            if let Err(mut e) = l {
                problems.append(&mut e);
            }
            return Err(problems);
        }
    };
    let sources: Vec<Source<'_>> =
        packs.iter().map(|(n, b)| Source { name: n, bytes: b }).collect();
    rules::from_sources(Source { name: &policy_name, bytes: &policy_bytes }, &sources)
}
