//! The store's one integration test binary. Every test runs on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set (and must, when `RIGHTSGATE_REQUIRE_POSTGRES=1`).

mod db;
mod duplicates;
mod ledger;
mod lists;
mod migrate;
mod story;
mod tidy;
mod tiles;
mod users;
mod workflow;
