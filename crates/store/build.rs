//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files at compile time, and cargo does
//! not otherwise watch the directories.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
