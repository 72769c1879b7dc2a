//! The store's one error type.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (or belongs to another account).
    #[error("not found")]
    NotFound,
    /// A row with that id already exists.
    #[error("already exists")]
    Conflict,
    /// A per-account limit would be exceeded (the endpoints of an account).
    #[error("the account has reached its limit")]
    LimitReached,
    /// The endpoint is disabled, so it gets no attempts.
    #[error("the endpoint is disabled")]
    EndpointDisabled,
    /// Another process has this SQLite file open.
    #[error("another herald process is using the SQLite database {0}; run one process per SQLite file, or use PostgreSQL for several nodes")]
    Locked(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The embedded database failed on the writer's own connection.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The writer thread is gone, or a commit failed after the write succeeded.
    #[error("the store's writer failed: {0}")]
    Writer(String),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An endpoint secret could not be sealed or opened (a missing or unknown key).
    #[error(transparent)]
    Sealed(#[from] super::sealer::SealError),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database did not answer a write shared by several callers (a
    /// publish group), each told so; whether a commit it cut short took
    /// effect is unknown (a repeat under the same idempotency key says).
    #[error("the database did not answer: {0}")]
    Unavailable(String),
    /// The disk that holds the database is full: the write was not stored
    /// (SQLite rolls it back whole), and one may succeed once space is freed.
    #[error("the disk holding the database is full: {0}")]
    DiskFull(String),
    /// The SQLite file failed its check at start: Herald does not serve from it.
    #[error(
        "the SQLite database {file} failed its integrity check (PRAGMA {check}): {problems}. \
         Herald does not start on a damaged database. Stop every process that uses the file, then \
         restore it from a backup, or recover what SQLite can still read with \
         `sqlite3 {file} \".recover\" | sqlite3 {file}.recovered` and start on {file}.recovered \
         (rows on damaged pages may be missing from it)"
    )]
    FailedCheck {
        /// The database file.
        file: String,
        /// The pragma that found the problems (`quick_check`, `integrity_check`).
        check: &'static str,
        /// The first problems SQLite reported.
        problems: String,
    },
    /// The file at the SQLite URL is not a SQLite database at all.
    #[error(
        "{file} is not a SQLite database ({reason}): Herald does not start on it. Point \
         HERALD_DATABASE_URL at Herald's database file, or move this file away to start with a new, \
         empty database; if it was Herald's database, restore it from a backup"
    )]
    NotADatabase {
        /// The file.
        file: String,
        /// What SQLite said.
        reason: String,
    },
}

/// SQLite's `SQLITE_FULL`, as `sqlx` spells its code.
const SQLITE_FULL: &str = "13";
/// PostgreSQL's `disk_full` condition.
const POSTGRES_DISK_FULL: &str = "53100";

/// Whether `e` says the disk holding the database is full.
fn disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::StorageFull, // ENOSPC
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code == SQLITE_FULL || code == POSTGRES_DISK_FULL),
        _ => false,
    }
}

/// Whether `e` says the database was not reached or did not answer.
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || ["57P01", "57P02", "57P03", "53300"].contains(&&*code)),
        _ => false,
    }
}

impl StoreError {
    /// Maps a constraint violation on the writer's connection to [`StoreError::Conflict`].
    pub fn from_sqlite_insert(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => Self::Conflict,
            _ => Self::Sqlite(e),
        }
    }

    /// Whether the database could not take the call now, for a reason that
    /// passes by itself (as opposed to refusing what was asked): the caller
    /// may try again later. A pool that waited out its timeout for a
    /// connection, a connection that failed, PostgreSQL's
    /// connection-exception class (`08…`), shutdown (`57P01`–`57P03`) and
    /// too-many-connections (`53300`), and a full disk
    /// ([`StoreError::is_disk_full`]).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Database(e) if unreachable(e) => true,
            _ => self.is_disk_full(),
        }
    }

    /// Whether the disk that holds the database is full: SQLite's
    /// `SQLITE_FULL` (on either of its connections), PostgreSQL's `53100`,
    /// or the system's `ENOSPC`. Reads still work; writes do once space is freed.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::DiskFull(_) => true,
            Self::Database(e) => disk_full(e),
            Self::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            _ => false,
        }
    }

    /// What a shared write tells each of its callers when `e` ended it:
    /// [`StoreError::DiskFull`] if the disk is full, [`StoreError::Unavailable`]
    /// if the database did not answer, else [`StoreError::Writer`]; `what`
    /// says which step failed.
    pub fn of_shared_write(e: &sqlx::Error, what: &str) -> Self {
        if disk_full(e) {
            Self::DiskFull(format!("{what}: {e}"))
        } else if unreachable(e) {
            Self::Unavailable(format!("{what}: {e}"))
        } else {
            Self::Writer(format!("{what}: {e}"))
        }
    }

    /// Maps a unique-constraint violation to [`StoreError::Conflict`].
    pub fn from_insert(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict,
            _ => Self::Database(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_did_not_answer_is_unavailable_and_a_refusal_is_not() {
        let io = || sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        for unavailable in [
            StoreError::Database(sqlx::Error::PoolTimedOut),
            StoreError::Database(sqlx::Error::PoolClosed),
            StoreError::Database(io()),
            StoreError::of_shared_write(&io(), "the commit failed"),
        ] {
            assert!(unavailable.is_unavailable(), "{unavailable}");
        }
        for refused in [
            StoreError::Database(sqlx::Error::RowNotFound),
            StoreError::of_shared_write(&sqlx::Error::RowNotFound, "the commit failed"),
            StoreError::NotFound,
            StoreError::Conflict,
            StoreError::Writer("the writer thread is gone".into()),
        ] {
            assert!(!refused.is_unavailable(), "{refused}");
        }
    }

    /// A database error with only a code, as a driver reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn coded(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Coded(code)))
    }

    fn sqlite(code: std::os::raw::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_full_disk_is_told_apart_on_every_path_and_may_be_tried_again() {
        let no_space = || sqlx::Error::Io(std::io::Error::from_raw_os_error(28)); // ENOSPC
        for full in [
            StoreError::Sqlite(sqlite(rusqlite::ffi::SQLITE_FULL)),
            StoreError::from_sqlite_insert(sqlite(rusqlite::ffi::SQLITE_FULL)),
            StoreError::Database(coded("13")),
            StoreError::Database(coded("53100")),
            StoreError::Database(no_space()),
            StoreError::of_shared_write(&coded("53100"), "the commit failed"),
            StoreError::DiskFull("the commit failed".into()),
        ] {
            assert!(full.is_disk_full(), "{full}");
            assert!(full.is_unavailable(), "kept and tried again, like an outage: {full}");
        }
        assert!(matches!(StoreError::of_shared_write(&no_space(), "the commit failed"), StoreError::DiskFull(_)));
        for other in [
            StoreError::Sqlite(sqlite(rusqlite::ffi::SQLITE_CORRUPT)),
            StoreError::from_sqlite_insert(sqlite(rusqlite::ffi::SQLITE_CONSTRAINT)),
            StoreError::Database(coded("2067")),
            StoreError::Database(coded("57P01")),
            StoreError::Database(sqlx::Error::PoolTimedOut),
            StoreError::Writer("the writer thread has stopped".into()),
            StoreError::Conflict,
        ] {
            assert!(!other.is_disk_full(), "{other}");
        }
    }
}
