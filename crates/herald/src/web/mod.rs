//! What the HTTP API and the developer portal share, beneath both: the state
//! every handler is given, and the portal session's cookie and CSRF header
//! (the portal sets them; the API accepts them from the portal's scripts).
//! `app.rs` composes the two routers; neither imports the other.

mod session_cookie;
mod state;

pub use session_cookie::{cookie_token, COOKIE, CSRF_HEADER};
pub use state::AppState;
