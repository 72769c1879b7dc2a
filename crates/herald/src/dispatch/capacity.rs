//! How many attempts this process can hold in flight at once, over all
//! endpoints, when `HERALD_MAX_IN_FLIGHT` does not say: each holds a socket
//! (and an idle one stays open for reuse), so the limit follows the open
//! files the process may have, after raising its soft limit to the hard one
//! (as Go's runtime and most servers do). With the usual hard limits, that
//! is the ceiling of [`MOST`]; it is not a throttle, only what the machine
//! can hold: receivers are throttled by their endpoints' windows.

/// Files kept for everything else: the API's clients, the store, the streams.
const RESERVED_FILES: u64 = 1024;
/// The most attempts in flight however many files the process may open.
pub const MOST: usize = 20_000;
/// The fewest, on a machine that allows very few files.
const FEWEST: usize = 64;

/// The attempts in flight over all endpoints: `configured`, or what this
/// process can hold. Either way it raises its soft limit on open files to
/// the hard one first, so that a configured limit has the sockets it needs.
pub fn attempts_in_flight(configured: Option<usize>) -> usize {
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the limit on open files; assuming 1024");
            1024
        }
    };
    configured.map_or_else(|| from_files(files), |n| n.max(1))
}

/// Three quarters of the files left after [`RESERVED_FILES`], within [`FEWEST`]..=[`MOST`].
fn from_files(files: u64) -> usize {
    let usable = files.saturating_sub(RESERVED_FILES) / 4 * 3;
    usize::try_from(usable).unwrap_or(MOST).clamp(FEWEST, MOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_follows_the_open_files_within_its_bounds() {
        assert_eq!(from_files(1024), FEWEST);
        assert_eq!(from_files(20_000), 14_232);
        assert_eq!(from_files(1_048_576), MOST);
    }

    #[test]
    fn the_process_can_hold_at_least_the_fewest() {
        assert!(attempts_in_flight(None) >= FEWEST);
        assert_eq!(attempts_in_flight(Some(300)), 300, "a configured limit stands");
    }
}
