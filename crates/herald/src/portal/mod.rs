//! The developer portal: where an account's customer signs in from a
//! one-time link the platform hands out, then sees and fixes its webhooks.
//! Sessions are HttpOnly, SameSite=Strict cookies; the pages' script calls
//! the account's own `/v1` API with the session's CSRF token in a header, and
//! the one form (sign-out) carries it as a field.

mod assets;
mod html;
mod login;
mod pages;
mod routes;
mod session;

pub use routes::router;
