//! The fixed vectors of `signature-vectors.json` (a copy of the project's
//! `conformance/signature-vectors.json`, computed independently in Python):
//! both schemes sign to them byte for byte and verify them.

use herald_signature::{sign, signature_header, standard, verify, VerifyError, DEFAULT_TOLERANCE};
use serde_json::Value;

/// One `x_webhook_signature` vector.
struct XWebhookVector {
    name: String,
    previous_secret: Option<String>,
    secret: String,
    t: i64,
    body: String,
    header: String,
    valid: bool,
}

/// One `standard_webhooks` vector.
struct StandardVector {
    name: String,
    secret: String,
    id: String,
    t: i64,
    body: String,
    signature: String,
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("signature-vectors.json")).expect("signature-vectors.json is JSON")
}

fn text(vector: &Value, key: &str) -> String {
    vector[key].as_str().unwrap_or_else(|| panic!("vector field {key} is a string")).to_owned()
}

fn x_webhook_vectors() -> Vec<XWebhookVector> {
    let all = vectors();
    let list = all["x_webhook_signature"].as_array().expect("x_webhook_signature is a list");
    assert!(!list.is_empty());
    list.iter()
        .map(|v| XWebhookVector {
            name: text(v, "name"),
            previous_secret: v["previous_secret"].as_str().map(str::to_owned),
            secret: text(v, "secret"),
            t: v["t"].as_i64().expect("t is an integer"),
            body: text(v, "body"),
            header: text(v, "header"),
            valid: v["valid"].as_bool().expect("valid is a boolean"),
        })
        .collect()
}

fn standard_vectors() -> Vec<StandardVector> {
    let all = vectors();
    let list = all["standard_webhooks"].as_array().expect("standard_webhooks is a list");
    assert!(!list.is_empty());
    list.iter()
        .map(|v| StandardVector {
            name: text(v, "name"),
            secret: text(v, "secret"),
            id: text(v, "id"),
            t: v["t"].as_i64().expect("t is an integer"),
            body: text(v, "body"),
            signature: text(v, "signature"),
        })
        .collect()
}

impl XWebhookVector {
    /// The secrets the server holds for this vector, previous first.
    fn secrets(&self) -> Vec<&str> {
        self.previous_secret.iter().map(String::as_str).chain([self.secret.as_str()]).collect()
    }
}

#[test]
fn every_valid_x_webhook_vector_signs_to_its_header() {
    for v in x_webhook_vectors().iter().filter(|v| v.valid) {
        let header = signature_header(&v.secrets(), v.t, v.body.as_bytes());
        assert_eq!(header, v.header, "{}", v.name);
    }
}

#[test]
fn every_valid_x_webhook_vector_verifies_with_its_secret() {
    for v in x_webhook_vectors().iter().filter(|v| v.valid) {
        let result = verify(&v.secret, &v.header, v.body.as_bytes(), DEFAULT_TOLERANCE, v.t);
        assert_eq!(result, Ok(()), "{}", v.name);
    }
}

#[test]
fn every_invalid_x_webhook_vector_fails_with_no_match() {
    let invalid: Vec<_> = x_webhook_vectors().into_iter().filter(|v| !v.valid).collect();
    assert!(!invalid.is_empty(), "the tampered-body vector is there");
    for v in invalid {
        let result = verify(&v.secret, &v.header, v.body.as_bytes(), DEFAULT_TOLERANCE, v.t);
        assert_eq!(result, Err(VerifyError::NoMatch), "{}", v.name);
    }
}

#[test]
fn the_rotation_header_verifies_with_the_previous_and_with_the_current_secret() {
    let rotations: Vec<_> = x_webhook_vectors().into_iter().filter(|v| v.previous_secret.is_some()).collect();
    assert!(!rotations.is_empty(), "a rotation vector is there");
    for v in rotations {
        for secret in v.secrets() {
            let result = verify(secret, &v.header, v.body.as_bytes(), DEFAULT_TOLERANCE, v.t);
            assert_eq!(result, Ok(()), "{}", v.name);
        }
    }
}

#[test]
fn the_last_v1_of_every_header_is_the_current_secret_s_as_the_published_sample_reads_it() {
    for v in x_webhook_vectors().iter().filter(|v| v.valid) {
        let header = signature_header(&v.secrets(), v.t, v.body.as_bytes());
        // The sample builds dict(p.split("=") for p in header.split(",")): the last v1 wins.
        let last_v1 = header.rsplit(',').find_map(|p| p.strip_prefix("v1=")).expect("a v1 is there");
        assert_eq!(last_v1, sign(&v.secret, v.t, v.body.as_bytes()), "{}", v.name);
    }
}

#[test]
fn every_standard_webhooks_vector_signs_to_its_signature() {
    for v in standard_vectors() {
        let signature =
            standard::sign(&v.secret, &v.id, v.t, v.body.as_bytes()).expect("the vector's secret is base64");
        assert_eq!(signature, v.signature, "{}", v.name);
        let header = standard::signature_header(&[&v.secret], &v.id, v.t, v.body.as_bytes())
            .expect("the vector's secret is base64");
        assert_eq!(header, v.signature, "{}", v.name);
    }
}

#[test]
fn every_standard_webhooks_vector_verifies_with_its_secret() {
    for v in standard_vectors() {
        let result = standard::verify(
            &v.secret,
            &v.id,
            &v.t.to_string(),
            &v.signature,
            v.body.as_bytes(),
            DEFAULT_TOLERANCE,
            v.t,
        );
        assert_eq!(result, Ok(()), "{}", v.name);
    }
}

#[test]
fn every_standard_webhooks_vector_fails_with_no_match_on_a_tampered_body() {
    for v in standard_vectors() {
        let tampered = format!("{} ", v.body);
        let result = standard::verify(
            &v.secret,
            &v.id,
            &v.t.to_string(),
            &v.signature,
            tampered.as_bytes(),
            DEFAULT_TOLERANCE,
            v.t,
        );
        assert_eq!(result, Err(VerifyError::NoMatch), "{}", v.name);
    }
}
