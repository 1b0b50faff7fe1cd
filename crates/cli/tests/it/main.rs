//! Integration tests of the `rightsgate` binary: direct calls where the logic is a library function, `assert_cmd` for exit codes.

mod assess;
mod backup;
mod case;
mod crash;
mod evaluate;
mod export;
mod interop;
mod lawpack;
mod ledger;
mod monitor;
mod report;
mod rotate;
mod scale_out;
mod server_crash;
mod tidy;
mod user;
mod witness;
