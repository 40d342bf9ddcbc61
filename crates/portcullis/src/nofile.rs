//! The open-file limit: raised to its hard limit once per process, and the
//! share of it that client connections may take.
//!
//! Every connection is a file descriptor. A default soft limit of 1024 lets
//! a few hundred idle clients starve the process of descriptors for its
//! database, its mail and `accept` itself; raising the soft limit to the
//! hard one (allowed without privileges) and keeping the connection cap
//! below it means the cap, not the kernel, decides who is turned away.

use std::sync::OnceLock;

/// Descriptors kept for everything but client connections: the listener,
/// standard streams, SQLite's database, WAL and shared-memory files, SMTP,
/// templates read at start, and slack for what a library opens.
const RESERVED: u64 = 64;

/// The soft `RLIMIT_NOFILE` after raising it to the hard limit, or `None`
/// when it could not be read. The first call raises and logs; later calls
/// return the same answer.
pub(crate) fn raised_limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::info!(limit, "open-file limit (RLIMIT_NOFILE)");
            Some(limit)
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not raise the open-file limit");
            None
        }
    })
}

/// The connection cap to apply: `wanted`, lowered if the open-file limit
/// (after [`raised_limit`]) cannot hold that many beside the descriptors the
/// process needs for itself, of which `own` are named by the caller
/// (database pool, connections being refused). Never below 1.
pub(crate) fn connection_cap(wanted: usize, own: u64) -> usize {
    let Some(limit) = raised_limit() else {
        return wanted;
    };
    let fit = fitting(wanted, limit, own);
    if fit < wanted {
        tracing::warn!(
            configured = wanted,
            applied = fit,
            open_file_limit = limit,
            "http.max_connections lowered to fit the open-file limit"
        );
    }
    fit
}

fn fitting(wanted: usize, limit: u64, own: u64) -> usize {
    let room = limit.saturating_sub(RESERVED).saturating_sub(own).max(1);
    usize::try_from(room).map_or(wanted, |room| wanted.min(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_process_own_descriptors() {
        assert_eq!(fitting(10_000, 1024, 74), 1024 - 64 - 74);
        assert_eq!(fitting(100, 1024, 74), 100);
        assert_eq!(fitting(10_000, u64::MAX, 74), 10_000);
        assert_eq!(fitting(10_000, 10, 74), 1, "never zero");
    }

    #[test]
    fn the_limit_is_raised_to_a_usable_value() {
        let limit = raised_limit().expect("RLIMIT_NOFILE is readable here");
        assert!(limit >= 64, "{limit}");
        assert_eq!(raised_limit(), Some(limit), "same answer every time");
    }
}
