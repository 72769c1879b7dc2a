//! One process per SQLite file: an exclusive lock on `<file>.lock`, held
//! while the store is open (several nodes need PostgreSQL).

use std::{
    fs::{File, TryLockError},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use crate::store::{StoreError, StoreResult};

/// How long opening waits for another process to let go of the file: a
/// process being restarted may find its predecessor still exiting.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Takes the process lock, waiting up to [`LOCK_WAIT`] for a process that is exiting.
pub(super) async fn wait_for_lock(db: &Path) -> StoreResult<Option<Arc<File>>> {
    let deadline = tokio::time::Instant::now() + LOCK_WAIT;
    loop {
        match lock_file(db) {
            Err(StoreError::Locked(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// Takes the process lock of a database file (none for an in-memory database).
fn lock_file(db: &Path) -> StoreResult<Option<Arc<File>>> {
    if db.as_os_str().is_empty() || db == Path::new(":memory:") {
        return Ok(None);
    }
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Arc::new(file))),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked(db.display().to_string())),
        Err(TryLockError::Error(e)) => Err(StoreError::Corrupt(format!("cannot lock {}: {e}", path.display()))),
    }
}
