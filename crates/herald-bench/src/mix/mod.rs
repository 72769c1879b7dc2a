//! The mix: many accounts, endpoints that answer as real receivers do, a
//! steady publish rate (`herald-bench mix`), and the same run held for
//! minutes while the server is watched (`herald-bench soak`, which uses
//! [`Session`] and [`Figures`]).
//!
//! Layout: `rng`, `lognormal`, `flaky` and `layout` are pure (who receives,
//! how slowly, who refuses); `ledger` records every event and arrival;
//! `receivers` and `pace` are the two sides of the wire; `session` runs one
//! mix; `figures` reports it; `scenario` is the `mix` command.

mod args;
mod figures;
mod flaky;
mod layout;
mod ledger;
mod lognormal;
mod pace;
mod receivers;
mod rng;
mod scenario;
mod session;

pub use args::Shape;
pub use figures::Figures;
pub use ledger::Ledger;
pub use scenario::{run, Args};
pub use session::Session;
