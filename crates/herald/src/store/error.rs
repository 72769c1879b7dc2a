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

    /// Whether the database could not be reached or did not answer (as
    /// opposed to refusing what was asked): the caller may try again later.
    /// A pool that waited out its timeout for a connection, a connection
    /// that failed, and PostgreSQL's connection-exception class (`08…`),
    /// shutdown (`57P01`–`57P03`) and too-many-connections (`53300`).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Database(e) => unreachable(e),
            _ => false,
        }
    }

    /// What a shared write tells each of its callers when `e` ended it:
    /// [`StoreError::Unavailable`] if the database did not answer, else
    /// [`StoreError::Writer`]; `what` says which step failed.
    pub fn of_shared_write(e: &sqlx::Error, what: &str) -> Self {
        if unreachable(e) {
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
}
