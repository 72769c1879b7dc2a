//! The check an existing SQLite file passes before Herald serves from it
//! (`HERALD_SQLITE_CHECK_ON_START`): a file that fails SQLite's own check,
//! or that is not a database at all, stops the start with a message naming
//! the file, the first problems SQLite found and what to do, rather than
//! serving, and adding to, a store that may have lost rows.
//!
//! `quick_check` (the default) reads every page and checks each b-tree and
//! record; `integrity_check` also checks that every index matches its
//! table, which makes it several times slower on a large file (figures in
//! docs/RELIABILITY.md).

use std::{path::Path, str::FromStr};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::store::{StoreError, StoreResult};

/// How many of SQLite's findings the refusal quotes (and the check looks for).
const SHOWN: usize = 5;

/// How thoroughly an existing SQLite file is checked before Herald starts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartCheck {
    /// `PRAGMA quick_check`: every page and record, not the indexes' agreement with their tables.
    #[default]
    Quick,
    /// `PRAGMA integrity_check`: the same, and every index against its table.
    Full,
    /// No check: for a file checked otherwise, whose start must not wait for one.
    Off,
}

impl StartCheck {
    /// The pragma it runs, if any.
    fn pragma(self) -> Option<&'static str> {
        match self {
            Self::Quick => Some("quick_check"),
            Self::Full => Some("integrity_check"),
            Self::Off => None,
        }
    }
}

impl FromStr for StartCheck {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quick" => Ok(Self::Quick),
            "full" => Ok(Self::Full),
            "off" => Ok(Self::Off),
            other => Err(format!("`{other}` is not a start check: use quick, full or off")),
        }
    }
}

/// Runs `how` on the database file at `path`, if it exists and holds
/// anything (a new file has nothing to check); blocking, for as long as the
/// check reads the file.
pub(super) fn check(path: &Path, how: StartCheck) -> StoreResult<()> {
    let Some(pragma) = how.pragma() else { return Ok(()) };
    if !std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        return Ok(());
    }
    let file = path.display().to_string();
    let started = std::time::Instant::now();
    let findings = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .and_then(|conn| findings(&conn, pragma))
        .map_err(|e| refusal(&file, pragma, e))?;
    if findings != ["ok"] {
        return Err(StoreError::FailedCheck { file, check: pragma, problems: findings.join("; ") });
    }
    tracing::info!(file, check = pragma, took = ?started.elapsed(), "the SQLite database passed its check");
    Ok(())
}

/// What the check answers: `ok`, or up to [`SHOWN`] problems.
fn findings(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(&format!("PRAGMA {pragma}({SHOWN})"))?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    rows.collect()
}

/// What a check that could not even run says of the file.
fn refusal(file: &str, pragma: &'static str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { file: file.to_owned(), reason: e.to_string() },
        Some(ErrorCode::DatabaseCorrupt) => {
            StoreError::FailedCheck { file: file.to_owned(), check: pragma, problems: e.to_string() }
        }
        _ => StoreError::Sqlite(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("herald.db");
        let conn = Connection::open(&path).expect("a database");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO t SELECT hex(randomblob(200)) FROM n;",
        )
        .expect("rows");
        path
    }

    #[test]
    fn a_sound_file_a_new_one_and_a_missing_one_pass_every_check() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = database(dir.path());
        for how in [StartCheck::Quick, StartCheck::Full, StartCheck::Off] {
            check(&path, how).expect("a sound file passes");
            check(&dir.path().join("absent.db"), how).expect("a file to be created passes");
        }
        std::fs::write(dir.path().join("empty.db"), b"").expect("an empty file");
        check(&dir.path().join("empty.db"), StartCheck::Quick).expect("an empty file is a new database");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("herald.db");
        std::fs::write(&path, "not a database, but long enough to be read as a header. ".repeat(100)).expect("a file");
        let refused = check(&path, StartCheck::Quick).expect_err("refused");
        assert!(matches!(refused, StoreError::NotADatabase { .. }), "{refused:?}");
        assert!(refused.to_string().contains(&path.display().to_string()), "{refused}");
        check(&path, StartCheck::Off).expect("unless the check is off");
    }

    #[test]
    fn a_damaged_table_fails_the_check_with_what_sqlite_found() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = database(dir.path());
        Connection::open(&path).expect("a database").execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("kept");
        let mut bytes = std::fs::read(&path).expect("the file");
        // The middle of the file is inside the table's or its index's pages.
        let middle = bytes.len() / 2 / 4096 * 4096;
        bytes[middle..middle + 4096].fill(0x5a);
        std::fs::write(&path, bytes).expect("written back");
        for how in [StartCheck::Quick, StartCheck::Full] {
            let refused = check(&path, how).expect_err("refused");
            let StoreError::FailedCheck { ref problems, .. } = refused else { panic!("{refused:?}") };
            assert!(!problems.is_empty(), "{refused}");
            let said = refused.to_string();
            assert!(said.contains(&path.display().to_string()) && said.contains(".recover"), "{said}");
        }
    }

    #[test]
    fn the_setting_reads_its_three_words_and_refuses_others() {
        assert_eq!("quick".parse(), Ok(StartCheck::Quick));
        assert_eq!("FULL".parse(), Ok(StartCheck::Full));
        assert_eq!("off".parse(), Ok(StartCheck::Off));
        assert!("fast".parse::<StartCheck>().is_err());
        assert_eq!(StartCheck::default(), StartCheck::Quick);
    }
}
