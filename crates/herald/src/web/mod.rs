//! What the HTTP API and the developer portal share, beneath both: the state
//! every handler is given, the portal session's cookie and CSRF header
//! (the portal sets them; the API accepts them from the portal's scripts),
//! each account's share of requests, and request bodies' read deadline.
//! `app.rs` composes the two routers; neither imports the other.

mod account_rate;
mod body_deadline;
mod session_cookie;
mod state;

pub use account_rate::AccountRate;
pub use body_deadline::{BodyDeadline, BodyTimedOut};
pub use session_cookie::{cookie_token, COOKIE, CSRF_HEADER};
pub use state::AppState;
