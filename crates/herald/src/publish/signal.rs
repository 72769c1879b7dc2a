//! The signal a publish gives after its commit, so that live streams on this
//! node read the store at once instead of at their next poll.

use std::sync::Arc;

use tokio::sync::watch;

/// Rung after every commit of new events; every stream holds a receiver.
/// A `watch` keeps only the latest ring, so a busy stream that misses several
/// reads the store once for all of them, and a ring costs publishing nothing
/// however many streams are open.
#[derive(Debug, Clone)]
pub struct NewEvents(Arc<watch::Sender<u64>>);

impl NewEvents {
    /// A signal nobody listens to yet.
    pub fn new() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }

    /// Tells every stream that new events are committed.
    pub fn ring(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees the rings from now on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

impl Default for NewEvents {
    fn default() -> Self {
        Self::new()
    }
}
