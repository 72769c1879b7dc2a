//! The developer tools of the `herald` binary, one module per subcommand,
//! each speaking to a running Herald over its public API (or to nothing:
//! `verify`); each holds its clap arguments and its `run`, so `main.rs` only
//! dispatches.
//! [`finish`] turns a tool's outcome into its exit status: 0 or 1. A usage
//! error never gets that far: clap refuses it with status 2, as the README says.

mod finish;
pub mod listen;
pub mod trigger;
pub mod verify;

pub use finish::finish;
