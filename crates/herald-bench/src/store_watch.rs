//! A close watch on a SQLite store during a run: the `-wal`'s peak (it can
//! grow and be reset between two of a report's samples), and a guard that
//! halts the run before the store's growth fills the disk, which the
//! machine shares with others (a WAL that is never reset grows by gigabytes
//! a minute under the mix).

use std::{
    path::Path,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
        Arc,
    },
    time::Duration,
};

use tokio::task::JoinHandle;

use crate::server_watch::{SqliteFiles, MIB};

/// How often the `-wal` is looked at.
const LOOK: Duration = Duration::from_millis(100);
/// Free space is asked of `df` once in this many looks (once a second).
const DISK_EVERY: u32 = 10;

/// The watch, running until dropped.
pub struct StoreWatch {
    /// The largest `-wal` seen, in bytes.
    peak: Arc<AtomicU64>,
    /// The looking task, stopped on drop.
    task: JoinHandle<()>,
}

impl StoreWatch {
    /// Starts watching `files`; sets `halt` (and says why) when the disk
    /// they are on has less than `min_free` bytes left.
    pub fn start(files: SqliteFiles, min_free: u64, halt: Arc<AtomicBool>) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let seen = peak.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(LOOK);
            for look in 0u32.. {
                ticks.tick().await;
                let (_, wal) = files.sizes();
                seen.fetch_max(wal, Relaxed);
                if look % DISK_EVERY != 0 || halt.load(Relaxed) {
                    continue;
                }
                if let Some(free) = free_bytes(files.folder()).await.filter(|&free| free < min_free) {
                    eprintln!(
                        "HALTING: {:.0} MiB left on the store's disk (the -wal is {:.0} MiB); \
                         publishing stops and the run ends now (--min-free-disk-gib)",
                        free as f64 / MIB,
                        wal as f64 / MIB
                    );
                    halt.store(true, Relaxed);
                }
            }
        });
        Self { peak, task }
    }

    /// The largest `-wal` seen so far, in bytes.
    pub fn peak(&self) -> u64 {
        self.peak.load(Relaxed)
    }
}

impl Drop for StoreWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Bytes free for unprivileged use on the filesystem holding `folder`, from `df`.
async fn free_bytes(folder: &Path) -> Option<u64> {
    let out = tokio::process::Command::new("df").arg("-Pk").arg(folder).output().await.ok()?;
    parse_df(&String::from_utf8_lossy(&out.stdout))
}

/// The "Available" column of `df -Pk`'s one filesystem, in bytes.
fn parse_df(out: &str) -> Option<u64> {
    let kib: u64 = out.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_available_column_of_df_is_read_in_bytes() {
        let out = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                   /dev/vda         264212084 31885512  63400376      34% /\n";
        assert_eq!(parse_df(out), Some(63_400_376 * 1024));
    }

    #[test]
    fn df_without_a_filesystem_line_gives_nothing() {
        assert_eq!(parse_df("df: /nope: No such file or directory\n"), None);
    }
}
