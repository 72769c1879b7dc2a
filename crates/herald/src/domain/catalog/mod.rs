//! The event catalog: the types Herald accepts, each with an optional JSON
//! Schema (draft 2020-12) of `data` and an example `data`.
//!
//! The eight built-in types of the contract live as JSON files in
//! `catalog/` and are embedded at build time; operators add more from a JSON
//! file (`Catalog::with_extra_file`). Every schema is compiled once, when
//! the catalog is built, with format validation on (a `video_url` must be a
//! URI, not just a string). Extra fields in `data` are always allowed.

mod builtin;
mod entry;
mod extra;
mod registry;
mod violations;

pub use entry::CatalogEntry;
pub use extra::CatalogFileError;
pub use registry::Catalog;
pub use violations::{CatalogError, Violation};
