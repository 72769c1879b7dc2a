//! The soak: the mix held for minutes (`herald-bench soak`) while the
//! server's memory, file descriptors, store files and delivery rate are
//! sampled, so that whatever grows without bound shows in a slope.
//!
//! Layout: `sample` looks at the server; `slope` and `trend` turn the
//! samples into a verdict; `scenario` is the command.

mod sample;
mod scenario;
mod slope;
mod trend;

pub use scenario::{run, Args};
