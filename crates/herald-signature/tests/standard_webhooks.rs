//! The Standard Webhooks scheme beyond the fixed vectors: the published
//! vector, rotation, the replay window, secrets and headers that are not
//! well formed.

use std::time::Duration;

use herald_signature::{standard, unix_now, KeyError, VerifyError, DEFAULT_TOLERANCE};

/// The vector published by the Standard Webhooks project.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const T: i64 = 1_614_265_330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const NEXT_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn check(timestamp: &str, signature: &str) -> Result<(), VerifyError> {
    standard::verify(SECRET, ID, timestamp, signature, BODY, DEFAULT_TOLERANCE, T)
}

fn t() -> String {
    T.to_string()
}

#[test]
fn the_published_vector_signs_to_its_signature() {
    assert_eq!(standard::sign(SECRET, ID, T, BODY), Ok(SIGNATURE.to_owned()));
}

#[test]
fn the_published_vector_verifies() {
    assert_eq!(check(&t(), SIGNATURE), Ok(()));
}

#[test]
fn a_secret_without_the_whsec_prefix_signs_the_same() {
    let bare = SECRET.trim_start_matches("whsec_");
    assert_eq!(standard::sign(bare, ID, T, BODY), Ok(SIGNATURE.to_owned()));
}

#[test]
fn a_secret_without_its_base64_padding_signs_the_same() {
    let padded = standard::sign(NEXT_SECRET, ID, T, BODY);
    let unpadded = standard::sign(NEXT_SECRET.trim_end_matches('='), ID, T, BODY);
    assert!(padded.is_ok());
    assert_eq!(padded, unpadded);
}

#[test]
fn a_secret_that_is_not_base64_cannot_sign() {
    for secret in ["whsec_not base64!", "whsec_%%%%", "whsec_A"] {
        assert_eq!(standard::sign(secret, ID, T, BODY), Err(KeyError::NotBase64), "{secret}");
    }
    assert_eq!(standard::sign("whsec_", ID, T, BODY), Err(KeyError::Empty));
    assert_eq!(standard::signature_header(&[NEXT_SECRET, "whsec_%%"], ID, T, BODY), Err(KeyError::NotBase64));
}

#[test]
fn a_receiver_whose_secret_is_not_base64_gets_an_invalid_secret_error() {
    assert_eq!(
        standard::verify("whsec_%%", ID, &t(), SIGNATURE, BODY, DEFAULT_TOLERANCE, T),
        Err(VerifyError::InvalidSecret(KeyError::NotBase64))
    );
}

#[test]
fn a_rotation_header_is_space_separated_with_the_current_last() {
    let header = standard::signature_header(&[SECRET, NEXT_SECRET], ID, T, BODY).expect("both secrets are base64");
    let current = standard::sign(NEXT_SECRET, ID, T, BODY).expect("base64");
    assert_eq!(header, format!("{SIGNATURE} {current}"));
}

#[test]
fn a_rotation_header_verifies_with_either_secret() {
    let header = standard::signature_header(&[SECRET, NEXT_SECRET], ID, T, BODY).expect("both secrets are base64");
    for secret in [SECRET, NEXT_SECRET] {
        assert_eq!(standard::verify(secret, ID, &t(), &header, BODY, DEFAULT_TOLERANCE, T), Ok(()));
    }
}

#[test]
fn a_wrong_secret_id_or_timestamp_fails_with_no_match() {
    let wrong_secret = standard::sign(NEXT_SECRET, ID, T, BODY).expect("base64");
    assert_eq!(check(&t(), &wrong_secret), Err(VerifyError::NoMatch));
    assert_eq!(
        standard::verify(SECRET, "msg_other", &t(), SIGNATURE, BODY, DEFAULT_TOLERANCE, T),
        Err(VerifyError::NoMatch)
    );
    assert_eq!(check(&(T + 1).to_string(), SIGNATURE), Err(VerifyError::NoMatch));
}

#[test]
fn a_timestamp_outside_the_tolerance_is_refused() {
    for now in [T - 301, T + 301] {
        assert_eq!(
            standard::verify(SECRET, ID, &t(), SIGNATURE, BODY, DEFAULT_TOLERANCE, now),
            Err(VerifyError::TimestampOutOfTolerance { timestamp: T, now, tolerance: DEFAULT_TOLERANCE })
        );
    }
    for now in [T - 300, T + 300] {
        assert_eq!(standard::verify(SECRET, ID, &t(), SIGNATURE, BODY, DEFAULT_TOLERANCE, now), Ok(()));
    }
    assert!(matches!(
        standard::verify(SECRET, ID, &t(), SIGNATURE, BODY, Duration::ZERO, T + 1),
        Err(VerifyError::TimestampOutOfTolerance { .. })
    ));
}

#[test]
fn verify_now_accepts_a_header_signed_just_now() {
    let now = unix_now();
    let header = standard::signature_header(&[SECRET], ID, now, BODY).expect("base64");
    assert_eq!(standard::verify_now(SECRET, ID, &now.to_string(), &header, BODY, DEFAULT_TOLERANCE), Ok(()));
}

#[test]
fn entries_of_other_versions_are_ignored() {
    assert_eq!(check(&t(), &format!("v1a,c2lnbmF0dXJl {SIGNATURE} v2,xyz")), Ok(()));
    assert_eq!(check(&t(), "v1a,c2lnbmF0dXJl"), Err(VerifyError::MissingSignature));
}

#[test]
fn an_empty_signature_header_is_missing_its_signature() {
    for header in ["", "   "] {
        assert_eq!(check(&t(), header), Err(VerifyError::MissingSignature), "{header:?}");
    }
}

#[test]
fn an_empty_timestamp_is_missing() {
    assert_eq!(check("", SIGNATURE), Err(VerifyError::MissingTimestamp));
}

#[test]
fn a_non_numeric_timestamp_is_malformed() {
    for timestamp in ["abc", "1614265330.0", "-1614265330", "+1614265330", "99999999999999999999"] {
        assert!(matches!(check(timestamp, SIGNATURE), Err(VerifyError::Malformed(_))), "{timestamp:?}");
    }
}

#[test]
fn an_empty_message_id_is_malformed() {
    assert!(matches!(
        standard::verify(SECRET, "", &t(), SIGNATURE, BODY, DEFAULT_TOLERANCE, T),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn garbage_signatures_are_malformed() {
    for header in [
        "garbage",
        "v1",
        "v1,",
        "v1,not base64!",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=",
        "v1,AAAA",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=AAAA",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",
    ] {
        assert!(matches!(check(&t(), header), Err(VerifyError::Malformed(_))), "{header:?}");
    }
    // An X-Webhook-Signature value in the wrong header has no v1 entry at all.
    assert_eq!(check(&t(), "t=1614265330,v1=abc"), Err(VerifyError::MissingSignature));
}

#[test]
fn no_header_whatever_its_bytes_makes_verify_panic() {
    let pieces = [
        "v1",
        "v1a",
        ",",
        " ",
        "=",
        "==",
        "+",
        "/",
        "\0",
        "é",
        "💥",
        "AAAA",
        "g0hM9SsE",
        "+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",
        SIGNATURE,
    ];
    let timestamps = ["", "0", "1614265330", "-1", "é", "99999999999999999999", " 1614265330 "];
    let mut frontier = vec![String::new()];
    let mut headers = vec![String::new()];
    for _ in 0..4 {
        frontier = frontier.iter().flat_map(|h| pieces.iter().map(move |p| format!("{h}{p}"))).collect();
        headers.extend(frontier.iter().cloned());
    }
    for timestamp in timestamps {
        for header in &headers {
            let result = check(timestamp, header);
            assert!(result.is_err() || header.contains(SIGNATURE), "{header:?} verified");
        }
    }
}
