//! One call on the wire: send, then turn the answer into what the caller
//! asked for: the JSON of a success, or [`Error::Api`] with the problem and
//! `Retry-After` of a refusal, or [`Error::Transport`] when nothing came.

use std::time::SystemTime;

use reqwest::{header, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::{
    error::{ApiError, Error},
    problem::{retry_after, Problem},
};

/// Sends a request; a success's status and body, or the error.
pub(crate) async fn send(request: RequestBuilder) -> Result<(StatusCode, Vec<u8>), Error> {
    let response = answer(request).await?;
    let status = response.status();
    let url = response.url().to_string();
    let body = response.bytes().await.map_err(|source| Error::Transport { url, source })?;
    Ok((status, body.to_vec()))
}

/// Sends a request and reads a success's JSON body as `T`.
pub(crate) async fn json<T: DeserializeOwned>(request: RequestBuilder) -> Result<(StatusCode, T), Error> {
    let url = url_of(&request);
    let (status, body) = send(request).await?;
    let value = decode(&url, &body)?;
    Ok((status, value))
}

/// Reads a success's body as `T`, or says what came instead.
pub(crate) fn decode<T: DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|source| Error::Decode {
        url: url.to_owned(),
        body: String::from_utf8_lossy(body).into_owned(),
        source,
    })
}

/// Sends a request; the response of a success (its body unread), or the error.
pub(crate) async fn answer(request: RequestBuilder) -> Result<Response, Error> {
    let url = url_of(&request);
    let response = request.send().await.map_err(|source| Error::Transport { url: url.clone(), source })?;
    if response.status().is_success() {
        return Ok(response);
    }
    Err(refusal(response).await)
}

/// The [`Error::Api`] of a refusal (or [`Error::Transport`] if its body broke off).
pub(crate) async fn refusal(response: Response) -> Error {
    let status = response.status().as_u16();
    let url = response.url().to_string();
    let wait = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, SystemTime::now()));
    match response.bytes().await {
        Ok(body) => Error::Api(Box::new(ApiError {
            status,
            problem: Problem::from_answer(status, &body),
            retry_after: wait.filter(|_| status == 429 || status == 503),
        })),
        Err(source) => Error::Transport { url, source },
    }
}

/// The URL a request goes to, for messages.
fn url_of(request: &RequestBuilder) -> String {
    request.try_clone().and_then(|r| r.build().ok()).map(|r| r.url().to_string()).unwrap_or_default()
}
