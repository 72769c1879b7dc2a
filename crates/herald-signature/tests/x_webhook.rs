//! The `X-Webhook-Signature` scheme beyond the fixed vectors: the replay
//! window, rotation, and headers Herald would never send.

use std::time::Duration;

use herald_signature::{sign, signature_header, unix_now, verify, verify_now, VerifyError, DEFAULT_TOLERANCE};

const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEXT_SECRET: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
const BODY: &[u8] = br#"{"id":"evt_01HV3K8Z6X3M9Q7R2T5W8Y1B4C","type":"project.completed","created_at":"2024-03-20T10:15:00Z","data":{}}"#;
const T: i64 = 1_710_929_700;

fn check(header: &str) -> Result<(), VerifyError> {
    verify(SECRET, header, BODY, DEFAULT_TOLERANCE, T)
}

#[test]
fn a_signature_is_64_lower_case_hex_characters() {
    let signature = sign(SECRET, T, BODY);
    assert_eq!(signature.len(), 64);
    assert!(signature.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
}

#[test]
fn the_key_is_the_whole_secret_string_prefix_included() {
    let without_prefix = SECRET.trim_start_matches("whsec_");
    assert_ne!(sign(SECRET, T, BODY), sign(without_prefix, T, BODY));
}

#[test]
fn a_header_for_one_secret_is_t_then_one_v1() {
    let header = signature_header(&[SECRET], T, BODY);
    assert_eq!(header, format!("t={T},v1={}", sign(SECRET, T, BODY)));
}

#[test]
fn a_rotation_header_lists_each_secret_in_order_with_the_current_last() {
    let header = signature_header(&[SECRET, NEXT_SECRET], T, BODY);
    assert_eq!(header, format!("t={T},v1={},v1={}", sign(SECRET, T, BODY), sign(NEXT_SECRET, T, BODY)));
}

#[test]
fn a_rotation_header_verifies_with_either_secret_and_not_with_a_third() {
    let header = signature_header(&[SECRET, NEXT_SECRET], T, BODY);
    for secret in [SECRET, NEXT_SECRET] {
        assert_eq!(verify(secret, &header, BODY, DEFAULT_TOLERANCE, T), Ok(()));
    }
    let other = "whsec_b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcm90aGVyMTI=";
    assert_eq!(verify(other, &header, BODY, DEFAULT_TOLERANCE, T), Err(VerifyError::NoMatch));
}

#[test]
fn a_wrong_secret_fails_with_no_match() {
    let header = signature_header(&[NEXT_SECRET], T, BODY);
    assert_eq!(check(&header), Err(VerifyError::NoMatch));
}

#[test]
fn a_timestamp_exactly_at_the_tolerance_either_way_is_accepted() {
    let header = signature_header(&[SECRET], T, BODY);
    for now in [T - 300, T + 300] {
        assert_eq!(verify(SECRET, &header, BODY, DEFAULT_TOLERANCE, now), Ok(()));
    }
}

#[test]
fn a_timestamp_outside_the_tolerance_either_way_is_refused() {
    let header = signature_header(&[SECRET], T, BODY);
    for now in [T - 301, T + 301, T + 86_400, i64::MIN, i64::MAX] {
        assert_eq!(
            verify(SECRET, &header, BODY, DEFAULT_TOLERANCE, now),
            Err(VerifyError::TimestampOutOfTolerance { timestamp: T, now, tolerance: DEFAULT_TOLERANCE })
        );
    }
}

#[test]
fn the_tolerance_is_whatever_the_receiver_passes() {
    let header = signature_header(&[SECRET], T, BODY);
    let tolerance = Duration::from_secs(10);
    assert_eq!(verify(SECRET, &header, BODY, tolerance, T + 10), Ok(()));
    assert!(matches!(
        verify(SECRET, &header, BODY, tolerance, T + 11),
        Err(VerifyError::TimestampOutOfTolerance { .. })
    ));
}

#[test]
fn a_stale_header_with_a_wrong_signature_fails_with_no_match_not_the_timestamp() {
    let header = signature_header(&[NEXT_SECRET], T, BODY);
    assert_eq!(verify(SECRET, &header, BODY, DEFAULT_TOLERANCE, T + 3600), Err(VerifyError::NoMatch));
}

#[test]
fn the_default_tolerance_is_five_minutes() {
    assert_eq!(DEFAULT_TOLERANCE, Duration::from_secs(300));
}

#[test]
fn verify_now_accepts_a_header_signed_just_now() {
    let now = unix_now();
    let header = signature_header(&[SECRET], now, BODY);
    assert_eq!(verify_now(SECRET, &header, BODY, DEFAULT_TOLERANCE), Ok(()));
    let old = signature_header(&[SECRET], now - 3600, BODY);
    assert!(matches!(
        verify_now(SECRET, &old, BODY, DEFAULT_TOLERANCE),
        Err(VerifyError::TimestampOutOfTolerance { .. })
    ));
}

#[test]
fn spaces_around_elements_and_upper_case_hex_are_tolerated() {
    let v1 = sign(SECRET, T, BODY);
    assert_eq!(check(&format!(" t={T} , v1={v1} ")), Ok(()));
    assert_eq!(check(&format!("t={T},v1={}", v1.to_uppercase())), Ok(()));
}

#[test]
fn elements_of_other_versions_are_ignored() {
    let v1 = sign(SECRET, T, BODY);
    assert_eq!(check(&format!("t={T},v0=whatever,v1={v1},v2=later")), Ok(()));
}

#[test]
fn the_order_of_t_and_v1_does_not_matter() {
    let v1 = sign(SECRET, T, BODY);
    assert_eq!(check(&format!("v1={v1},t={T}")), Ok(()));
}

#[test]
fn an_empty_header_is_malformed() {
    for header in ["", "   "] {
        assert!(matches!(check(header), Err(VerifyError::Malformed(_))), "{header:?}");
    }
}

#[test]
fn a_header_without_t_is_missing_its_timestamp() {
    let v1 = sign(SECRET, T, BODY);
    assert_eq!(check(&format!("v1={v1}")), Err(VerifyError::MissingTimestamp));
}

#[test]
fn a_header_without_v1_is_missing_its_signature() {
    assert_eq!(check(&format!("t={T}")), Err(VerifyError::MissingSignature));
    assert_eq!(check(&format!("t={T},v0=abc")), Err(VerifyError::MissingSignature));
}

#[test]
fn garbage_is_malformed() {
    let v1 = sign(SECRET, T, BODY);
    for header in [
        "garbage",
        "t",
        ",",
        "=,=",
        "Bearer abc",
        &format!("t={T};v1={v1}"),
        &format!("t={T},v1={v1},"),
        &format!("t={T},,v1={v1}"),
    ] {
        assert!(matches!(check(header), Err(VerifyError::Malformed(_))), "{header:?}");
    }
}

#[test]
fn a_non_numeric_t_is_malformed() {
    let v1 = sign(SECRET, T, BODY);
    for t in ["", "abc", "1710929700.5", "-1710929700", "+1710929700", "1_710_929_700", "0x10", "99999999999999999999"]
    {
        assert!(matches!(check(&format!("t={t},v1={v1}")), Err(VerifyError::Malformed(_))), "t={t:?}");
    }
}

#[test]
fn two_timestamps_are_malformed() {
    let v1 = sign(SECRET, T, BODY);
    assert!(matches!(check(&format!("t={T},t={T},v1={v1}")), Err(VerifyError::Malformed(_))));
}

#[test]
fn a_v1_of_the_wrong_length_or_not_hex_is_malformed() {
    let v1 = sign(SECRET, T, BODY);
    let not_hex = format!("{}zz", &v1[..62]);
    for bad in ["", "abc", &v1[..63], &v1[..62], &format!("{v1}0"), &format!("{v1}{v1}"), &not_hex, &"é".repeat(32)] {
        assert!(matches!(check(&format!("t={T},v1={bad}")), Err(VerifyError::Malformed(_))), "v1={bad:?}");
    }
}

#[test]
fn one_malformed_v1_spoils_the_whole_header_even_beside_a_good_one() {
    let v1 = sign(SECRET, T, BODY);
    assert!(matches!(check(&format!("t={T},v1=abc,v1={v1}")), Err(VerifyError::Malformed(_))));
}

#[test]
fn errors_read_as_sentences_and_do_not_echo_the_header() {
    let err = check("t=secret-looking-garbage,v1=abc").expect_err("malformed");
    let message = err.to_string();
    assert!(message.starts_with("malformed signature header: "), "{message}");
    assert!(!message.contains("secret-looking-garbage"), "{message}");

    let header = signature_header(&[SECRET], T, BODY);
    let err = verify(SECRET, &header, BODY, DEFAULT_TOLERANCE, T + 400).expect_err("stale");
    assert_eq!(
        err.to_string(),
        "signature timestamp 1710929700 is 400s away from now (1710930100), beyond the 300s tolerance"
    );
}

#[test]
fn no_header_whatever_its_bytes_makes_verify_panic() {
    let v1 = sign(SECRET, T, BODY);
    let pieces = [
        "t",
        "v1",
        "=",
        ",",
        " ",
        "\t",
        "\n",
        "\0",
        "é",
        "💥",
        "-",
        "+",
        "0",
        "9",
        "99999999999999999999999",
        &T.to_string(),
        &v1,
        &v1[..31],
        "ffff",
        "t=",
        "v1=",
        ",v1=",
    ];
    // Every sequence of up to four pieces: about 250 000 headers, deterministic.
    let mut headers = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..4 {
        frontier = frontier.iter().flat_map(|h| pieces.iter().map(move |p| format!("{h}{p}"))).collect();
        headers.extend(frontier.iter().cloned());
    }
    for header in &headers {
        let result = verify(SECRET, header, BODY, DEFAULT_TOLERANCE, T);
        assert!(result.is_err() || header.contains(&v1), "{header:?} verified");
    }
}
