//! The sliding window of decision health: the last `window_size` samples with running sums, so
//! recording a sample, flagging a false positive and reading the statistics are all O(1)
//! (docs/design.md §4).

use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::trigger::MIN_SAMPLES;

/// Identifies one recorded decision, so an operator can flag it as a false positive later.
///
/// Ids are issued in recording order, starting at 0, and are never reused by a controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct SampleId(u64);

impl SampleId {
    /// Wraps a raw id (for hosts that persist ids and hand them back).
    pub const fn new(raw: u64) -> SampleId {
        SampleId(raw)
    }

    /// The raw id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SampleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the manager knows about one decision when it records it.
///
/// ```
/// use hostguard_rollout::DecisionSample;
///
/// // The runbook's `record_rollout_decision(latency_ms, was_error, was_fp)`:
/// let sample = DecisionSample { latency_ms: 3, was_error: false, ..DecisionSample::default() };
/// assert!(!sample.was_false_positive && !sample.would_block);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DecisionSample {
    /// How long the decision took, in milliseconds.
    pub latency_ms: u64,
    /// The controller failed (error or decision timeout) and a fallback verdict was used.
    pub was_error: bool,
    /// Already known to be a false positive when recorded. Most are flagged later instead, with
    /// [`crate::RolloutController::mark_false_positive`].
    pub was_false_positive: bool,
    /// The risk model's verdict would block the call if it were enforced. Counted per phase
    /// (whether or not the phase enforces), so an operator sees in shadow and log-only what
    /// advancing would do; it does not enter the window.
    pub would_block: bool,
}

/// A snapshot of the window's health: how many samples it rests on and what they say.
///
/// Rates are `count / total_decisions`, and 0 for an empty window; `inconclusive` is true while
/// the window holds fewer than `min_samples` samples, and then no rollback fires (missing data is
/// never healthy, docs/design.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WindowStats {
    /// Samples currently in the window (at most `window_size`).
    pub total_decisions: u64,
    /// Samples in the window flagged as false positives.
    pub false_positive_count: u64,
    /// Samples in the window whose decision was a controller error.
    pub error_count: u64,
    /// Mean latency of the samples in the window, in milliseconds; 0 when empty.
    pub avg_latency_ms: f64,
    /// `false_positive_count / total_decisions`; 0 when empty.
    pub false_positive_rate: f64,
    /// `error_count / total_decisions`; 0 when empty.
    pub error_rate: f64,
    /// Capacity of the window (the trigger's `window_size`).
    pub window_size: usize,
    /// Samples needed before the statistics are conclusive ([`MIN_SAMPLES`]).
    pub min_samples: usize,
    /// `total_decisions < min_samples`: too few samples to call the rollout healthy or not.
    pub inconclusive: bool,
}

/// Why a late false-positive flag was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FlagError {
    /// The sample has left the window (evicted by newer samples or a smaller window); it no longer
    /// counts towards any statistic, so the flag cannot either.
    #[error("sample `{id}` has left the rollout window; its false-positive flag is not counted")]
    Evicted {
        /// The sample the operator flagged.
        id: SampleId,
    },
    /// No sample with this id has been recorded yet.
    #[error("sample `{id}` has not been recorded")]
    NotRecorded {
        /// The sample the operator flagged.
        id: SampleId,
    },
    /// The sample is already counted as a false positive.
    #[error("sample `{id}` is already flagged as a false positive")]
    AlreadyFlagged {
        /// The sample the operator flagged.
        id: SampleId,
    },
}

/// One sample as the window keeps it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    id: SampleId,
    latency_ms: u64,
    was_error: bool,
    was_false_positive: bool,
}

/// The last `capacity` samples in recording order, with running sums.
///
/// INVARIANT (window-sums): `latency_sum_ms`, `error_count` and `false_positive_count` are the
/// sums over exactly the samples in `samples`; every mutation below adjusts them as it adds,
/// evicts or flags a sample.
/// INVARIANT (window-ids): the ids in `samples` are consecutive and increasing, and the newest is
/// `next_id - 1`, so a sample's position is `id - front.id` (O(1) lookup for late flags).
#[derive(Debug, Clone)]
pub(crate) struct DecisionWindow {
    capacity: usize,
    samples: VecDeque<Sample>,
    next_id: u64,
    latency_sum_ms: u128,
    error_count: u64,
    false_positive_count: u64,
}

impl DecisionWindow {
    /// An empty window holding at most `capacity` samples (validated by the caller).
    pub(crate) fn new(capacity: usize) -> DecisionWindow {
        DecisionWindow {
            capacity,
            samples: VecDeque::with_capacity(capacity),
            next_id: 0,
            latency_sum_ms: 0,
            error_count: 0,
            false_positive_count: 0,
        }
    }

    /// Appends a sample, evicting the oldest when full; returns the new sample's id.
    pub(crate) fn push(&mut self, sample: &DecisionSample) -> SampleId {
        let id = SampleId(self.next_id);
        // 2^64 samples are out of reach; saturating keeps this panic-free regardless.
        self.next_id = self.next_id.saturating_add(1);
        let sample = Sample {
            id,
            latency_ms: sample.latency_ms,
            was_error: sample.was_error,
            was_false_positive: sample.was_false_positive,
        };
        self.add(sample);
        self.shrink_to_capacity();
        id
    }

    /// Counts a late false-positive flag for a sample still in the window.
    pub(crate) fn mark_false_positive(&mut self, id: SampleId) -> Result<(), FlagError> {
        if id.0 >= self.next_id {
            return Err(FlagError::NotRecorded { id });
        }
        let oldest = self.samples.front().map_or(self.next_id, |s| s.id.0);
        let position =
            id.0.checked_sub(oldest)
                .and_then(|offset| usize::try_from(offset).ok())
                .ok_or(FlagError::Evicted { id })?;
        let sample = self
            .samples
            .get_mut(position)
            .filter(|s| s.id == id)
            // Fails closed: a slot that does not hold this id is treated as gone.
            .ok_or(FlagError::Evicted { id })?;
        if sample.was_false_positive {
            return Err(FlagError::AlreadyFlagged { id });
        }
        sample.was_false_positive = true;
        self.false_positive_count = self.false_positive_count.saturating_add(1);
        Ok(())
    }

    /// Changes the capacity, keeping the newest samples that still fit.
    pub(crate) fn resize(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.shrink_to_capacity();
        self.samples.shrink_to(capacity);
        self.samples
            .reserve(capacity.saturating_sub(self.samples.len()));
    }

    /// The statistics of the samples now in the window, from the running sums.
    pub(crate) fn stats(&self) -> WindowStats {
        let len = self.samples.len();
        let total = len as u64;
        let (avg_latency_ms, false_positive_rate, error_rate) = if len == 0 {
            (0.0, 0.0, 0.0)
        } else {
            let n = len as f64;
            (
                self.latency_sum_ms as f64 / n,
                self.false_positive_count as f64 / n,
                self.error_count as f64 / n,
            )
        };
        WindowStats {
            total_decisions: total,
            false_positive_count: self.false_positive_count,
            error_count: self.error_count,
            avg_latency_ms,
            false_positive_rate,
            error_rate,
            window_size: self.capacity,
            min_samples: MIN_SAMPLES,
            inconclusive: len < MIN_SAMPLES,
        }
    }

    fn add(&mut self, sample: Sample) {
        self.latency_sum_ms = self
            .latency_sum_ms
            .saturating_add(u128::from(sample.latency_ms));
        self.error_count = self.error_count.saturating_add(u64::from(sample.was_error));
        self.false_positive_count = self
            .false_positive_count
            .saturating_add(u64::from(sample.was_false_positive));
        self.samples.push_back(sample);
    }

    fn shrink_to_capacity(&mut self) {
        while self.samples.len() > self.capacity {
            if let Some(old) = self.samples.pop_front() {
                // INVARIANT (window-sums): `old` was counted when added, so none of these
                // subtractions can go below zero; saturating keeps it panic-free anyway.
                self.latency_sum_ms = self
                    .latency_sum_ms
                    .saturating_sub(u128::from(old.latency_ms));
                self.error_count = self.error_count.saturating_sub(u64::from(old.was_error));
                self.false_positive_count = self
                    .false_positive_count
                    .saturating_sub(u64::from(old.was_false_positive));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(latency_ms: u64, was_error: bool, was_false_positive: bool) -> DecisionSample {
        DecisionSample {
            latency_ms,
            was_error,
            was_false_positive,
            would_block: false,
        }
    }

    /// (total, fp, errors, avg latency, inconclusive)
    fn check(window: &DecisionWindow, expected: (u64, u64, u64, f64, bool)) {
        let s = window.stats();
        assert_eq!(
            (
                s.total_decisions,
                s.false_positive_count,
                s.error_count,
                s.avg_latency_ms,
                s.inconclusive
            ),
            expected
        );
    }

    #[test]
    fn empty_window_is_inconclusive_with_zero_rates() {
        let w = DecisionWindow::new(10);
        check(&w, (0, 0, 0, 0.0, true));
        let s = w.stats();
        assert_eq!((s.false_positive_rate, s.error_rate), (0.0, 0.0));
        assert_eq!((s.window_size, s.min_samples), (10, MIN_SAMPLES));
    }

    #[test]
    fn push_evicts_oldest_and_sums_follow() {
        let mut w = DecisionWindow::new(10);
        for i in 0..10 {
            w.push(&sample(10, i == 0, i == 1));
        }
        check(&w, (10, 1, 1, 10.0, false));
        // Evicts sample 0 (the error), then sample 1 (the false positive).
        w.push(&sample(30, false, false));
        check(&w, (10, 1, 0, 12.0, false));
        w.push(&sample(10, false, false));
        check(&w, (10, 0, 0, 12.0, false));
    }

    #[test]
    fn late_flags() {
        let mut w = DecisionWindow::new(10);
        let ids: Vec<SampleId> = (0..12).map(|_| w.push(&sample(1, false, false))).collect();
        assert_eq!(w.mark_false_positive(ids[5]), Ok(()));
        assert_eq!(
            w.mark_false_positive(ids[5]),
            Err(FlagError::AlreadyFlagged { id: ids[5] })
        );
        assert_eq!(
            w.mark_false_positive(ids[1]),
            Err(FlagError::Evicted { id: ids[1] })
        );
        assert_eq!(
            w.mark_false_positive(SampleId(12)),
            Err(FlagError::NotRecorded { id: SampleId(12) })
        );
        check(&w, (10, 1, 0, 1.0, false));
    }

    #[test]
    fn resize_keeps_newest() {
        let mut w = DecisionWindow::new(20);
        for i in 0..20 {
            w.push(&sample(i, false, false));
        }
        w.resize(10);
        // Keeps latencies 10..=19.
        check(&w, (10, 0, 0, 14.5, false));
        assert!(w.mark_false_positive(SampleId(9)).is_err());
        assert_eq!(w.mark_false_positive(SampleId(10)), Ok(()));
        w.resize(30);
        check(&w, (10, 1, 0, 14.5, false));
    }
}
