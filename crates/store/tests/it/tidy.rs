//! Migration parity: both backends have the same migration file names.

use std::path::Path;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let (s, p) = (names(&root.join("sqlite")), names(&root.join("postgres")));
    assert!(!s.is_empty());
    assert_eq!(s, p);
}

#[test]
fn no_query_updates_or_deletes_a_ledger_row() {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ledger.rs"))
        .unwrap();
    let upper = src.to_uppercase();
    for word in [
        "UPDATE LEDGER",
        "DELETE FROM LEDGER",
        "TRUNCATE TABLE",
        "TRUNCATE LEDGER",
        "ON CONFLICT",
        "REPLACE INTO",
    ] {
        assert!(!upper.contains(word), "store/src/ledger.rs must not contain `{word}`");
    }
}
