use herald_signature::{verify_now, DEFAULT_TOLERANCE};

fn check(secret: &str, header: &str, raw_body: &[u8]) -> bool {
    verify_now(secret, header, raw_body, DEFAULT_TOLERANCE).is_ok()
}
