//! Herald's refusals as data: the `application/problem+json` body (RFC 9457)
//! with its field errors, and the `Retry-After` a `429` or `503` carries.
//! Pure parsing, no I/O, so every shape a server or a proxy may answer is
//! tested here.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// A refusal, as Herald words it (the document's `Problem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem, such as `urn:herald:problem:validation`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind (`Unprocessable Entity`).
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong with this request, for a person.
    pub detail: String,
    /// Each body field (by JSON pointer) or query parameter (by name) at fault.
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One thing wrong with a request (the document's `FieldError`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// What is wrong, for a person.
    pub message: String,
    /// The JSON pointer into the request body (`/data/project_id`), when a body field is at fault.
    #[serde(default)]
    pub pointer: Option<String>,
    /// The query parameter or header at fault (`limit`), when one is.
    #[serde(default)]
    pub parameter: Option<String>,
}

impl Problem {
    /// Reads a refusal's body. A body that is not problem+json (a proxy's
    /// page, an empty answer) becomes a problem of that status whose detail
    /// is the body itself, so nothing the server said is lost.
    pub fn from_answer(status: u16, body: &[u8]) -> Self {
        if let Ok(problem) = serde_json::from_slice::<Problem>(body) {
            return problem;
        }
        let text = String::from_utf8_lossy(body).trim().to_owned();
        let title = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Unknown status")
            .to_owned();
        let detail = if text.is_empty() { title.clone() } else { text };
        Self { problem_type: "about:blank".into(), title, status, detail, errors: Vec::new() }
    }

    /// The error naming this body field by its JSON pointer (`/url`, `/data/balance`).
    pub fn at_pointer(&self, pointer: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.pointer.as_deref() == Some(pointer))
    }

    /// The error naming this query parameter or header (`limit`, `Idempotency-Key`).
    pub fn at_parameter(&self, parameter: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.parameter.as_deref() == Some(parameter))
    }

    /// The detail, then each field error (`/data/balance: required`) the
    /// detail does not already name, one a line: what a person should read.
    pub fn explain(&self) -> String {
        let extra: Vec<String> = self
            .errors
            .iter()
            .filter_map(|e| {
                let place = e.pointer.as_deref().or(e.parameter.as_deref())?;
                let line = format!("{place}: {}", e.message);
                (!self.detail.contains(&line)).then_some(line)
            })
            .collect();
        if extra.is_empty() {
            self.detail.clone()
        } else {
            format!("{}\n{}", self.detail, extra.join("\n"))
        }
    }
}

/// A `Retry-After` value as a wait from `now`: delay-seconds (`120`) or an
/// HTTP date (a date already past is no wait). Anything else is `None`.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_body_is_read_with_its_pointers_and_parameters() {
        let body = br#"{"type":"urn:herald:problem:validation","title":"Unprocessable Entity","status":422,
            "detail":"/data/project_id: must be an integer, not a string",
            "errors":[{"pointer":"/data/project_id","message":"must be an integer, not a string"},
                      {"parameter":"limit","message":"1 to 500"}]}"#;
        let problem = Problem::from_answer(422, body);
        assert_eq!(problem.status, 422);
        assert_eq!(problem.problem_type, "urn:herald:problem:validation");
        assert_eq!(problem.at_pointer("/data/project_id").unwrap().message, "must be an integer, not a string");
        assert_eq!(problem.at_parameter("limit").unwrap().message, "1 to 500");
        assert!(problem.at_pointer("/type").is_none());
        assert_eq!(problem.explain(), "/data/project_id: must be an integer, not a string\nlimit: 1 to 500");
    }

    #[test]
    fn a_body_that_is_not_a_problem_becomes_the_detail_of_one() {
        let problem = Problem::from_answer(502, b"<html>Bad Gateway</html>\n");
        assert_eq!(problem.status, 502);
        assert_eq!(problem.title, "Bad Gateway");
        assert_eq!(problem.detail, "<html>Bad Gateway</html>");
        assert!(problem.errors.is_empty());
        assert_eq!(Problem::from_answer(503, b"").detail, "Service Unavailable");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_929_700);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(90)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(retry_after("-5", now), None);
        assert_eq!(retry_after("soon", now), None);
    }
}
