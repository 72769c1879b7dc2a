//! Sign and verify Herald webhooks, with nothing from the server: the crate the
//! server signs with and a Rust receiver links.
//!
//! Every delivery carries two signatures over the same raw body and timestamp:
//!
//! - `X-Webhook-Signature: t=<t>,v1=<hex>`, the scheme of the platform's
//!   published receiver sample: HMAC-SHA256 keyed by the endpoint secret's UTF-8
//!   bytes, whole, `whsec_` prefix included, over `"<t>.<raw body>"`. See
//!   [`sign`], [`signature_header`] and [`verify`].
//! - The [Standard Webhooks](https://www.standardwebhooks.com) headers
//!   (`webhook-id`, `webhook-timestamp`, `webhook-signature`), so the Standard
//!   Webhooks and Svix libraries verify Herald deliveries too. See [`standard`].
//!
//! During a secret rotation's grace period both headers carry one signature per
//! secret, the previous first and the current last; a receiver accepts the
//! request when any of them matches its secret.
//!
//! ```
//! use herald_signature::{sign, signature_header, verify, DEFAULT_TOLERANCE};
//!
//! let secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
//! let body = br#"{"id":"evt_01HV3K8Z6X3M9Q7R2T5W8Y1B4C","type":"project.completed"}"#;
//! let t = 1_710_929_700;
//!
//! // The server: one header value, signed with every live secret.
//! let header = signature_header(&[secret], t, body);
//! assert_eq!(header, format!("t={t},v1={}", sign(secret, t, body)));
//!
//! // The receiver: the raw body, the header, its secret and its clock.
//! assert!(verify(secret, &header, body, DEFAULT_TOLERANCE, t + 30).is_ok());
//! assert!(verify(secret, &header, b"{}", DEFAULT_TOLERANCE, t + 30).is_err());
//! ```
//!
//! The Standard Webhooks scheme keys the HMAC with the base64-decoded secret,
//! so it can fail on a secret that is not base64:
//!
//! ```
//! use herald_signature::{standard, DEFAULT_TOLERANCE};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
//! let (id, t, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#);
//!
//! let signature = standard::signature_header(&[secret], id, t, body)?;
//! assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
//! standard::verify(secret, id, &t.to_string(), &signature, body, DEFAULT_TOLERANCE, t)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - `x_webhook`: the `X-Webhook-Signature` scheme, re-exported at the root.
//! - [`standard`]: the Standard Webhooks scheme.
//! - `error`: [`VerifyError`] and [`KeyError`], shared by both schemes.
//! - `mac`: HMAC-SHA256 and the constant-time comparison, shared by both.
//! - `timestamp`: the replay window and the system clock.

mod error;
mod mac;
pub mod standard;
mod timestamp;
mod x_webhook;

pub use error::{KeyError, VerifyError};
pub use timestamp::{unix_now, DEFAULT_TOLERANCE};
pub use x_webhook::{sign, signature_header, verify, verify_now};

/// The README's examples, compiled and run as doc tests so they stay true.
/// (The README's Rust verifier is also run against a real delivery signed
/// during a rotation, by `crates/herald/tests/api/readme.rs`.)
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
