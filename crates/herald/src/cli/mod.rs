//! The developer tools of the `herald` binary, beside `herald serve`: each
//! one a module of its own, speaking to a running Herald over its public API.

pub mod listen;
mod sse;
