//! A TLS receiver whose certificate is self-signed (made for `localhost` and
//! `127.0.0.1` by `rcgen` at start), so no client that checks certificates
//! gets past its handshake. It counts the handshakes it was asked for and how
//! many failed: a count above zero proves Herald connected to it. It also
//! keeps the application protocols (ALPN) the client offered in its hello,
//! which say whether it would speak HTTP/2 to a receiver that offers it.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::watch,
    task::JoinHandle,
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
    LazyConfigAcceptor,
};

use crate::helpers::DEADLINE;

/// What the receiver saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Handshakes {
    /// TCP connections accepted, each the start of a handshake.
    pub started: usize,
    /// Handshakes that did not complete (the client refused the certificate).
    pub failed: usize,
    /// Handshakes that completed (then answered `200`).
    pub completed: usize,
}

/// A running TLS receiver; stops when dropped.
pub struct SelfSignedReceiver {
    /// Where it listens.
    pub addr: SocketAddr,
    seen: watch::Sender<Handshakes>,
    /// The ALPN protocols of the last client hello, in the client's order.
    offered: Arc<Mutex<Option<Vec<String>>>>,
    server: JoinHandle<()>,
}

impl SelfSignedReceiver {
    /// Makes a certificate and starts serving.
    pub async fn start() -> Self {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("a self-signed certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
        let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the certificate and key match");
        let config = Arc::new(config);
        let offered = Arc::new(Mutex::new(None));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the TLS receiver binds");
        let addr = listener.local_addr().expect("an address");
        let (seen, _) = watch::channel(Handshakes::default());
        let (shared, offers) = (seen.clone(), offered.clone());
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                shared.send_modify(|h| h.started += 1);
                let (config, shared, offers) = (config.clone(), shared.clone(), offers.clone());
                tokio::spawn(async move {
                    let hello = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await;
                    let accepted = match hello {
                        Ok(start) => {
                            let alpn = start.client_hello().alpn().map(|protocols| {
                                protocols.map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>()
                            });
                            *offers.lock().expect("not poisoned") = Some(alpn.unwrap_or_default());
                            start.into_stream(config).await
                        }
                        Err(e) => Err(e),
                    };
                    match accepted {
                        Err(_) => shared.send_modify(|h| h.failed += 1),
                        Ok(mut tls) => {
                            shared.send_modify(|h| h.completed += 1);
                            let mut buf = [0u8; 4096];
                            let _ = tls.read(&mut buf).await;
                            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
                        }
                    }
                });
            }
        });
        Self { addr, seen, offered, server }
    }

    /// An `https://` URL on this receiver, by address.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/hook", self.addr.port())
    }

    /// What the receiver saw so far.
    pub fn handshakes(&self) -> Handshakes {
        *self.seen.borrow()
    }

    /// The application protocols the last client offered (empty if it
    /// offered none), once a client hello has arrived.
    pub fn offered_protocols(&self) -> Option<Vec<String>> {
        self.offered.lock().expect("not poisoned").clone()
    }

    /// Waits until at least one handshake has failed; returns the count.
    pub async fn wait_for_a_refused_handshake(&self) -> Handshakes {
        let mut seen = self.seen.subscribe();
        let seen = tokio::time::timeout(DEADLINE, seen.wait_for(|h| h.failed >= 1)).await.map(|r| r.map(|h| *h));
        match seen {
            Ok(Ok(h)) => h,
            _ => panic!(
                "TLS receiver {} saw no refused handshake within {DEADLINE:?}: {:?}",
                self.addr,
                self.handshakes()
            ),
        }
    }
}

impl Drop for SelfSignedReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}
