//! Misbehaving receivers, written at the TCP level so they can do what no
//! well-behaved HTTP server would: never answer, trickle, flood, reset, speak
//! garbage. Each listens on 127.0.0.1:0 and keeps a [`Tally`] of its
//! connections that tests wait on through a watch channel, never by sleeping.
//! (The TLS receiver with a self-signed certificate is in `self_signed`.)

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

use crate::helpers::DEADLINE;

/// How the server treats every connection it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Never answers: writes nothing, discards whatever comes, and holds the
    /// connection until the client closes it.
    Silent,
    /// Reads the request, then sends a `200`'s status line and headers a byte a second.
    TrickleHead,
    /// Reads the request, sends a `200`'s head at once, then its body a byte a second.
    TrickleBody,
    /// Reads the request and answers `200` with a `Content-Length` of 100 MB,
    /// then sends body bytes for as long as the client takes them.
    Flood,
    /// Reads the request, then resets the connection (`SO_LINGER` 0, so an RST, not a FIN).
    Reset,
    /// Reads the request, answers bytes that are not HTTP, then holds the connection.
    Garbage,
}

/// The size the flood announces.
pub const FLOOD_BYTES: u64 = 100 * 1024 * 1024;

/// What the trickling servers send, one byte a second.
pub const TRICKLE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 26\r\n\r\n";
/// The body [`Behaviour::TrickleBody`] trickles after its head.
pub const TRICKLE_BODY: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// What the server went through so far.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Connections accepted.
    pub accepted: usize,
    /// Connections the client has closed (seen as end of input or a failed write).
    pub closed_by_client: usize,
    /// Body bytes the flood handed to the kernel, over every connection.
    pub flood_sent: u64,
}

impl Tally {
    /// Connections accepted and not yet closed by the client.
    pub fn open(&self) -> usize {
        self.accepted - self.closed_by_client
    }
}

/// A running hostile server; stops when dropped (its connections with it).
pub struct HostileServer {
    /// Where it listens.
    pub addr: SocketAddr,
    tally: watch::Sender<Tally>,
    server: JoinHandle<()>,
}

impl HostileServer {
    /// Starts a server that treats every connection the same way.
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the hostile server binds");
        let addr = listener.local_addr().expect("an address");
        let (tally, _) = watch::channel(Tally::default());
        let shared = tally.clone();
        let server = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                shared.send_modify(|t| t.accepted += 1);
                connections.spawn(serve(stream, behaviour, shared.clone()));
                while connections.try_join_next().is_some() {}
            }
        });
        Self { addr, tally, server }
    }

    /// An `http://` URL on this server.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The tally now.
    pub fn tally(&self) -> Tally {
        self.tally.borrow().clone()
    }

    /// Waits until the tally satisfies `done` (failing after [`DEADLINE`]); returns it.
    pub async fn wait_until(&self, what: &str, done: impl Fn(&Tally) -> bool) -> Tally {
        let mut seen = self.tally.subscribe();
        let seen = tokio::time::timeout(DEADLINE, seen.wait_for(|t| done(t))).await.map(|r| r.map(|t| t.clone()));
        match seen {
            Ok(Ok(tally)) => tally,
            _ => panic!("hostile server {} did not see {what} within {DEADLINE:?}: {:?}", self.addr, self.tally()),
        }
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One connection, per `behaviour`; the tally learns when the client goes away.
async fn serve(mut stream: TcpStream, behaviour: Behaviour, tally: watch::Sender<Tally>) {
    if behaviour != Behaviour::Silent && !read_request_head(&mut stream).await {
        // The client went away before its request was complete.
        tally.send_modify(|t| t.closed_by_client += 1);
        return;
    }
    match behaviour {
        Behaviour::Silent => {}
        Behaviour::TrickleHead => {
            if !trickle(&mut stream, TRICKLE_HEAD).await {
                tally.send_modify(|t| t.closed_by_client += 1);
                return;
            }
        }
        Behaviour::TrickleBody => {
            if stream.write_all(TRICKLE_HEAD).await.is_err() || !trickle(&mut stream, TRICKLE_BODY).await {
                tally.send_modify(|t| t.closed_by_client += 1);
                return;
            }
        }
        Behaviour::Flood => {
            flood(&mut stream, &tally).await;
            tally.send_modify(|t| t.closed_by_client += 1);
            return;
        }
        Behaviour::Reset => {
            stream.set_zero_linger().expect("SO_LINGER can be set");
            return; // dropped: the kernel answers with an RST
        }
        Behaviour::Garbage => {
            let garbage = b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe not http at all \x1b[31m\r\n\r\n";
            if stream.write_all(garbage).await.is_err() {
                tally.send_modify(|t| t.closed_by_client += 1);
                return;
            }
        }
    }
    hold_until_closed(&mut stream).await;
    tally.send_modify(|t| t.closed_by_client += 1);
}

/// Reads up to the end of the request head; false if the client went away first.
async fn read_request_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// Sends `bytes` one a second; false if the client went away first. The
/// pause is the misbehaviour itself, not a wait for anything.
async fn trickle(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    for byte in bytes {
        if stream.write_all(&[*byte]).await.is_err() {
            return false;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    true
}

/// Announces [`FLOOD_BYTES`] and sends body bytes until the client stops taking them.
async fn flood(stream: &mut TcpStream, tally: &watch::Sender<Tally>) {
    let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {FLOOD_BYTES}\r\n\r\n");
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0u64;
    while sent < FLOOD_BYTES {
        match stream.write(&chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                sent += n as u64;
                tally.send_modify(|t| t.flood_sent += n as u64);
            }
        }
    }
}

/// Reads (and discards) until the client closes the connection.
async fn hold_until_closed(stream: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}
