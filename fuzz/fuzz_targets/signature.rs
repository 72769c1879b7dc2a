//! Signature headers as a receiver gets them: whatever `X-Webhook-Signature`
//! or the Standard Webhooks headers hold, verifying answers without panicking;
//! and what Herald signs, with any secret, that secret verifies.
//!
//! Input: `<signature header>\n<webhook-timestamp>\n<body>`.

#![no_main]

use herald_signature::{signature_header, standard, verify, DEFAULT_TOLERANCE};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NOW: i64 = 1_710_929_700;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let header = parts.next().unwrap_or_default();
    let timestamp = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default().as_bytes();

    let _ = verify(SECRET, header, body, DEFAULT_TOLERANCE, NOW);
    let _ = standard::verify(SECRET, "evt_1", timestamp, header, body, DEFAULT_TOLERANCE, NOW);
    let _ = standard::verify(header, "evt_1", timestamp, header, body, DEFAULT_TOLERANCE, NOW);

    // The header's text as a secret: what it signs, it verifies.
    let signed = signature_header(&[header, SECRET], NOW, body);
    assert_eq!(verify(header, &signed, body, DEFAULT_TOLERANCE, NOW), Ok(()));
    assert_eq!(verify(SECRET, &signed, body, DEFAULT_TOLERANCE, NOW), Ok(()));
    if let Ok(signed) = standard::signature_header(&[header], "evt_1", NOW, body) {
        let t = NOW.to_string();
        assert_eq!(standard::verify(header, "evt_1", &t, &signed, body, DEFAULT_TOLERANCE, NOW), Ok(()));
    }
});
