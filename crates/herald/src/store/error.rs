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
}

impl StoreError {
    /// Maps a constraint violation on the writer's connection to [`StoreError::Conflict`].
    pub fn from_sqlite_insert(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => Self::Conflict,
            _ => Self::Sqlite(e),
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
