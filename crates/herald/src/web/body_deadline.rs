//! Request bodies with a deadline (`HERALD_BODY_READ_TIMEOUT`): the whole
//! body must arrive within it of the headers. A client that sends its body
//! a byte at a time (slow-loris) gets an error from the body when the
//! deadline passes, which the API answers 408, closing the connection.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{body::Bytes, BoxError};
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The error a body gives when its deadline passes.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {} s", .0.as_secs_f64())]
pub struct BodyTimedOut(pub Duration);

impl BodyTimedOut {
    /// The deadline that passed, if `error` or one of its sources says so.
    pub fn in_chain<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e Self> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(timed_out) = e.downcast_ref::<Self>() {
                return Some(timed_out);
            }
            next = e.source();
        }
        None
    }
}

/// A body that fails once `within` has passed since the request arrived.
pub struct BodyDeadline<B> {
    body: B,
    arrived: Instant,
    within: Duration,
    /// Made when the body first has to be waited for: a request whose body
    /// is already there (or empty) never sets a timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> BodyDeadline<B> {
    /// Starts the clock on `body` now.
    pub fn new(body: B, within: Duration) -> Self {
        Self { body, arrived: Instant::now(), within, timer: None }
    }
}

impl<B> http_body::Body for BodyDeadline<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let (arrived, within) = (this.arrived, this.within);
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(arrived + within)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(within))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
