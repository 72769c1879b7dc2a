//! Properties of both schemes over generated input: whatever a header holds,
//! verifying answers (never panics); what Herald signs, a receiver with the
//! same secret accepts, and one with another secret, or another body, refuses.

// Tests say what they expect with `unwrap`/`expect`: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use base64::{engine::general_purpose::STANDARD, Engine};
use herald_signature::{sign, signature_header, standard, verify, VerifyError, DEFAULT_TOLERANCE};
use proptest::prelude::*;

/// Headers that look like Herald's often enough to reach every branch of the parser.
fn header_like() -> impl Strategy<Value = String> {
    let element = prop_oneof![
        "t=[0-9]{0,22}",
        "t=-?[0-9 ]{0,5}",
        "v1=[0-9a-fA-F]{60,68}",
        "v[0-9]=[ -~]{0,10}",
        " ?[a-z]{0,2} ?= ?[ -~&&[^,]]{0,8}",
        "[ -~&&[^,]]{0,6}",
    ];
    prop::collection::vec(element, 0..6).prop_map(|parts| parts.join(","))
}

/// A Herald-shaped secret: `whsec_` and the base64 of 24 to 64 bytes.
fn herald_secret() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 24..=64).prop_map(|key| format!("whsec_{}", STANDARD.encode(key)))
}

proptest! {
    #[test]
    fn any_x_webhook_header_is_answered_without_panicking(
        header in prop_oneof![".*", header_like()],
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in any::<i64>(),
    ) {
        let _ = verify("whsec_secret", &header, &body, DEFAULT_TOLERANCE, now);
    }

    #[test]
    fn any_standard_webhooks_headers_are_answered_without_panicking(
        secret in prop_oneof![".*", herald_secret()],
        id in ".{0,12}",
        timestamp in prop_oneof![".*", "-?[0-9]{0,22}"],
        signature in prop_oneof![".*", "(v1[a-z]?,[A-Za-z0-9+/=]{0,48} ?){0,3}"],
        now in any::<i64>(),
    ) {
        let _ = standard::verify(&secret, &id, &timestamp, &signature, b"{}", DEFAULT_TOLERANCE, now);
    }

    #[test]
    fn what_herald_signs_the_same_secret_verifies_and_no_other(
        secret in ".{1,40}",
        other in ".{1,40}",
        t in 0..i64::MAX,
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let header = signature_header(&[&secret], t, &body);
        prop_assert_eq!(verify(&secret, &header, &body, DEFAULT_TOLERANCE, t), Ok(()));
        prop_assert_eq!(sign(&secret, t, &body).len(), 64);
        if other != secret {
            prop_assert_eq!(verify(&other, &header, &body, DEFAULT_TOLERANCE, t), Err(VerifyError::NoMatch));
        }
        let mut tampered = body.clone();
        tampered.push(b' ');
        prop_assert_eq!(verify(&secret, &header, &tampered, DEFAULT_TOLERANCE, t), Err(VerifyError::NoMatch));
    }

    #[test]
    fn during_a_rotation_both_secrets_verify(
        previous in herald_secret(),
        current in herald_secret(),
        t in 0..i64::MAX,
        body in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let header = signature_header(&[&previous, &current], t, &body);
        prop_assert_eq!(verify(&previous, &header, &body, DEFAULT_TOLERANCE, t), Ok(()));
        prop_assert_eq!(verify(&current, &header, &body, DEFAULT_TOLERANCE, t), Ok(()));
        let both = standard::signature_header(&[&previous, &current], "evt_1", t, &body).unwrap();
        let t_text = t.to_string();
        prop_assert_eq!(standard::verify(&previous, "evt_1", &t_text, &both, &body, DEFAULT_TOLERANCE, t), Ok(()));
        prop_assert_eq!(standard::verify(&current, "evt_1", &t_text, &both, &body, DEFAULT_TOLERANCE, t), Ok(()));
    }

    #[test]
    fn a_standard_signature_verifies_only_for_its_id_and_body(
        secret in herald_secret(),
        id in "[a-z_0-9]{1,30}",
        t in 0..i64::MAX,
        body in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let header = standard::signature_header(&[&secret], &id, t, &body).unwrap();
        let t_text = t.to_string();
        prop_assert_eq!(standard::verify(&secret, &id, &t_text, &header, &body, DEFAULT_TOLERANCE, t), Ok(()));
        let other_id = format!("{id}x");
        prop_assert_eq!(
            standard::verify(&secret, &other_id, &t_text, &header, &body, DEFAULT_TOLERANCE, t),
            Err(VerifyError::NoMatch)
        );
    }
}
