//! The Herald under test seen from outside, as an operator would: its
//! resident memory and open file descriptors from `/proc`, and the size of
//! its store on disk (the SQLite file and its `-wal`, or the PostgreSQL
//! database).

use std::path::{Path, PathBuf};

/// Bytes in a MiB, for the reports.
pub const MIB: f64 = 1024.0 * 1024.0;

/// The resident memory of process `pid` now, in MiB (`VmRSS`; Linux only).
pub fn rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmRSS:")
}

/// The peak resident memory of process `pid` so far, in MiB (`VmHWM`; Linux only).
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmHWM:")
}

/// A memory figure of `/proc/<pid>/status` (given in KiB), in MiB.
fn status_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The file descriptors process `pid` holds open now (sockets and files; Linux only).
pub fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// A SQLite store's files: the database and its write-ahead log.
#[derive(Debug, Clone)]
pub struct SqliteFiles {
    /// `herald.db`.
    db: PathBuf,
    /// `herald.db-wal`.
    wal: PathBuf,
}

impl SqliteFiles {
    /// The files of the database at `db`.
    pub fn new(db: &Path) -> Self {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        Self { db: db.to_owned(), wal: wal.into() }
    }

    /// The folder the files are in.
    pub fn folder(&self) -> &Path {
        self.db.parent().unwrap_or(Path::new("."))
    }

    /// The database's and the `-wal`'s sizes now, in bytes (0 for a file not there).
    pub fn sizes(&self) -> (u64, u64) {
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        (size(&self.db), size(&self.wal))
    }
}

/// The size of the PostgreSQL database at `url`, in bytes.
pub async fn postgres_size(url: &str) -> Option<u64> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.ok()?;
    let bytes: i64 =
        sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut conn).await.ok()?;
    u64::try_from(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wal_lies_beside_the_database() {
        let f = SqliteFiles::new(Path::new("/tmp/x/herald.db"));
        assert_eq!(f.wal, PathBuf::from("/tmp/x/herald.db-wal"));
    }

    #[test]
    fn this_process_has_memory_and_open_files() {
        let me = std::process::id();
        assert!(rss_mib(me).is_some_and(|m| m > 0.0));
        assert!(open_fds(me).is_some_and(|n| n >= 3));
    }
}
