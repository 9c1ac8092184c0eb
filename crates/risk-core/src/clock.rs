//! Injected time (docs/design.md §1): risk-core never reads the wall clock itself.
//!
//! The risk model reads a [`Clock`] twice per decision, at the start and at the end, to enforce
//! the decision-time budget (`decision_timeout_ms`, docs/design.md §2). Hosts pass a system clock (the
//! manager provides one); tests and replay pass a [`ManualClock`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A source of milliseconds since some fixed origin (monotone in practice; the model tolerates a
/// clock that goes backwards by treating the elapsed time as zero).
pub trait Clock: Send + Sync {
    /// The current time in milliseconds.
    fn now_ms(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_ms(&self) -> u64 {
        (**self).now_ms()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_ms(&self) -> u64 {
        (**self).now_ms()
    }
}

/// A clock that moves only when told to. Clones share the same time, so a test can keep one
/// handle and give another to the code under test.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `start_ms`.
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock {
            now: Arc::new(AtomicU64::new(start_ms)),
        }
    }

    /// Moves the clock forward by `n` milliseconds (saturating at `u64::MAX`).
    pub fn advance_ms(&self, n: u64) {
        let mut current = self.now.load(Ordering::SeqCst);
        loop {
            let next = current.saturating_add(n);
            match self
                .now
                .compare_exchange_weak(current, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// Sets the clock to `t` milliseconds (it may go backwards: replay tools need that).
    pub fn set_ms(&self, t: u64) {
        self.now.store(t, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_time_and_advance_saturates() {
        let clock = ManualClock::new(10);
        let other = clock.clone();
        clock.advance_ms(5);
        assert_eq!(other.now_ms(), 15);
        other.set_ms(3);
        assert_eq!(clock.now_ms(), 3);
        clock.set_ms(u64::MAX - 1);
        clock.advance_ms(10);
        assert_eq!(clock.now_ms(), u64::MAX);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        assert_eq!(shared.now_ms(), u64::MAX);
    }
}
