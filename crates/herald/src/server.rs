//! The HTTP server: accepts connections and serves the router on each,
//! with the limits a listener open to the world needs. A client has
//! `header_read_timeout` to send its first byte, then as long to send a
//! request's headers: one that connects and sends nothing, or sends its
//! headers a byte at a time (slow-loris), is cut, and so is a keep-alive
//! connection left idle that long. Its body must arrive within
//! `body_read_timeout` of its headers (`web::BodyDeadline`). At most `max_connections` are open at
//! once; further clients wait in the kernel's backlog until one closes.
//! At shutdown, open requests may finish (the caller bounds how long).

use std::{sync::Arc, time::Duration};

use axum::{body::Body, extract::Request, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::web::BodyDeadline;

/// What the server allows each client.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client may take to send a request's headers, or stay
    /// idle between two requests on one connection.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_read_timeout: Duration,
    /// The most connections open at once.
    pub max_connections: usize,
}

/// How long the accept loop waits after the system refuses it a connection
/// (out of file descriptors): long enough not to spin, short enough to
/// serve again as soon as some close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown`, then waits for the open
/// connections' requests to finish.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: CancellationToken) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = shutdown.cancelled() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let within = limits.body_read_timeout;
        let service = router.clone().map_request(move |request: Request<Incoming>| {
            request.map(|body| Body::new(BodyDeadline::new(body, within)))
        });
        let (builder, watcher, timeout) = (builder.clone(), graceful.watcher(), limits.header_read_timeout);
        tokio::spawn(async move {
            // hyper's header timeout starts at the first byte: until then, this one.
            let mut first = [0u8; 1];
            if !matches!(tokio::time::timeout(timeout, stream.peek(&mut first)).await, Ok(Ok(1..))) {
                return; // silent from the start, or gone: closed, and its place freed
            }
            let io = TokioIo::new(stream);
            let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
