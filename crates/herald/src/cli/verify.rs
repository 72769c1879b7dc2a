//! `herald verify`: checks an `X-Webhook-Signature` header against a secret
//! and a raw body, with the same code Herald signs with (`herald-signature`),
//! so a developer can tell whether a receiver's refusal is the request's fault
//! or the receiver's.

use std::{
    io::{IsTerminal, Read},
    path::PathBuf,
    time::Duration,
};

use herald_signature::VerifyError;

/// `herald verify --secret S --signature 't=…,v1=…' < body`.
#[derive(Debug, Clone, clap::Args)]
#[command(about = "Check a webhook's X-Webhook-Signature against a secret and its raw body (standard input)")]
pub struct VerifyArgs {
    /// The endpoint's signing secret (`whsec_…`), whole.
    #[arg(long, env = "HERALD_SECRET", hide_env_values = true)]
    pub secret: String,

    /// The request's `X-Webhook-Signature` value: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`.
    #[arg(long)]
    pub signature: String,

    /// How far the signature's timestamp may be from this machine's clock, in seconds.
    #[arg(long, default_value_t = 300)]
    pub tolerance: u64,

    /// A file holding the raw body; standard input when absent.
    #[arg(long)]
    pub body: Option<PathBuf>,
}

/// Why `herald verify` did not say `valid`.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    /// The signature does not hold: the reason, and what to look at.
    #[error("invalid: {reason}{}", hint(reason))]
    Invalid {
        /// What `herald-signature` refused.
        reason: VerifyError,
    },
    /// The body could not be read.
    #[error("cannot read the body from {from}")]
    Body {
        /// `standard input` or the file's path.
        from: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads the body, verifies, and prints `valid`; the error says why not.
pub fn run(args: &VerifyArgs) -> Result<(), VerifyFailure> {
    let body = read_body(args.body.as_ref())?;
    check(args, &body).map_err(|reason| VerifyFailure::Invalid { reason })?;
    println!("valid");
    Ok(())
}

/// The verification itself, against the system clock.
pub fn check(args: &VerifyArgs, body: &[u8]) -> Result<(), VerifyError> {
    herald_signature::verify_now(&args.secret, &args.signature, body, Duration::from_secs(args.tolerance))
}

/// The raw bytes, exactly as given: a trailing newline is part of the body.
fn read_body(path: Option<&PathBuf>) -> Result<Vec<u8>, VerifyFailure> {
    match path {
        Some(path) => {
            std::fs::read(path).map_err(|source| VerifyFailure::Body { from: path.display().to_string(), source })
        }
        None => {
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("herald verify: reading the raw body from standard input (end it with ctrl-d)");
            }
            let mut body = Vec::new();
            stdin
                .read_to_end(&mut body)
                .map_err(|source| VerifyFailure::Body { from: "standard input".into(), source })?;
            Ok(body)
        }
    }
}

/// What a developer should look at after each kind of refusal.
fn hint(reason: &VerifyError) -> &'static str {
    match reason {
        VerifyError::NoMatch => {
            " (check that the secret is the endpoint's current one, whsec_ prefix included, and that the \
             body is the raw bytes received: no re-serialised JSON, no added newline)"
        }
        VerifyError::TimestampOutOfTolerance { .. } => {
            " (the signature matches: the request is genuine but old, a replay, or a clock is off; \
             --tolerance widens the window)"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn args(signature: String) -> VerifyArgs {
        VerifyArgs { secret: SECRET.into(), signature, tolerance: 300, body: None }
    }

    #[test]
    fn a_fresh_signature_of_the_body_is_valid() {
        let t = herald_signature::unix_now();
        let header = herald_signature::signature_header(&[SECRET], t, b"{}");
        assert_eq!(check(&args(header), b"{}"), Ok(()));
    }

    #[test]
    fn another_body_is_no_match_and_the_message_says_what_to_check() {
        let t = herald_signature::unix_now();
        let header = herald_signature::signature_header(&[SECRET], t, b"{}");
        let reason = check(&args(header), b"{}\n").unwrap_err();
        assert_eq!(reason, VerifyError::NoMatch);
        let message = VerifyFailure::Invalid { reason }.to_string();
        assert!(message.starts_with("invalid: no signature"), "{message}");
        assert!(message.contains("raw bytes"), "{message}");
    }

    #[test]
    fn an_old_timestamp_is_out_of_tolerance() {
        let t = herald_signature::unix_now() - 301;
        let header = herald_signature::signature_header(&[SECRET], t, b"{}");
        let reason = check(&args(header), b"{}").unwrap_err();
        assert!(matches!(reason, VerifyError::TimestampOutOfTolerance { .. }), "{reason:?}");
    }
}
