//! [`SystemClock`], the wall clock hosts inject in production (docs/design.md §1: time is injected;
//! the lower crates never read a clock themselves, the manager provides this one).

use std::time::{SystemTime, UNIX_EPOCH};

use hostguard_risk_core::Clock;

/// Milliseconds since the Unix epoch from the operating system. A clock set before 1970 reads
/// 0; the risk model treats a clock that goes backwards as standing still.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_a_plausible_epoch_time() {
        // 2020-01-01 in ms: any machine running this test is later.
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }
}
