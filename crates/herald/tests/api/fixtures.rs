//! Test data: valid `data` for catalog types, the clock, free ports.

use serde_json::{json, Value};

/// The secret of the platform's signature vectors (32 bytes 0..=31), for
/// endpoints whose signatures a test checks.
pub const SEED_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Valid `project.completed` data (the platform guide's example).
pub fn project_completed(project_id: i64) -> Value {
    json!({
        "project_id": project_id,
        "project_type": "scene_project",
        "video_url": format!("https://storage.twin.actor/videos/project_{project_id}_final.mp4"),
        "video_url_upscaled": null,
        "thumbnail_url": format!("https://storage.twin.actor/thumbs/project_{project_id}.jpg"),
        "duration_seconds": 50,
        "credits_used": 500,
        "person_id": 1,
        "person_name": "Alex Chen"
    })
}

/// Valid `credits.low` data.
pub fn credits_low(balance: i64) -> Value {
    json!({ "balance": balance, "threshold": 100 })
}

/// The publish body of the `n`-th of a mix of events: `credits.low` for an
/// even `n`, `project.completed` for an odd one.
pub fn mixed_event(n: i64) -> Value {
    if n % 2 == 0 {
        json!({"type": "credits.low", "data": credits_low(n)})
    } else {
        json!({"type": "project.completed", "data": project_completed(n)})
    }
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

/// Milliseconds since the Unix epoch.
pub fn unix_millis() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    u64::try_from(since.as_millis()).expect("in range")
}

/// A loopback port with nothing listening on it (bound, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}
