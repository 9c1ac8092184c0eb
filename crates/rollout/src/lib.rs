//! hostguard rollout: progressive enforcement phases, sliding-window health statistics and
//! automatic rollback (docs/design.md §4; runbook Procedures 4 and 5).
//!
//! Pure: no dependency on any other hostguard crate, no I/O, no clock — time is passed in as
//! `now_ms`. Every phase change is returned as a [`Transition`] so the manager can write it to
//! the ledger and raise an alert.
//!
//! Principal types:
//! - [`RolloutPhase`] — `shadow < log_only < enforce_new < enforce_all`; only the last two
//!   enforce the risk model's verdicts.
//! - [`RollbackTrigger`] — the thresholds (false-positive rate, error rate, mean latency, window
//!   size) whose strict excess rolls an enforcing rollout back to shadow.
//! - [`RolloutController`] — phase, trigger, a window of the last `window_size` decisions with
//!   O(1) statistics ([`WindowStats`]), per-phase would-have-blocked counters, and the rollback
//!   rule ([`rollback_reason`]); [`RolloutController::state`] is the serializable
//!   [`RolloutState`] snapshot.
//!
//! ```
//! use hostguard_rollout::{DecisionSample, RolloutController, RolloutPhase, TransitionReason};
//!
//! let mut rollout = RolloutController::default();
//! assert_eq!(rollout.phase(), RolloutPhase::Shadow);
//! while rollout.advance(1_000).is_some() {}
//! assert_eq!(rollout.phase(), RolloutPhase::EnforceAll);
//!
//! // Ten decisions, the last two controller errors: 2/10 > max_error_rate 0.10.
//! let mut rollback = None;
//! for i in 0..10 {
//!     let sample = DecisionSample { latency_ms: 2, was_error: i >= 8, ..DecisionSample::default() };
//!     rollback = rollout.record_decision(sample, 2_000 + i).rollback;
//! }
//! let rollback = rollback.expect("the tenth sample makes the window conclusive");
//! assert!(matches!(rollback.reason, TransitionReason::ErrorRate { .. }));
//!
//! // Runbook Procedure 4, steps 1 and 2.
//! let state = rollout.state();
//! assert_eq!(state.phase, RolloutPhase::Shadow);
//! assert_eq!(state.rolled_back_from, Some(RolloutPhase::EnforceAll));
//! let stats = state.window_stats;
//! assert_eq!((stats.error_count, stats.total_decisions), (2, 10));
//! ```

mod controller;
mod phase;
mod trigger;
mod window;

pub use controller::{
    rollback_reason, PhaseCounts, RecordOutcome, RestoredRollout, RolloutController, RolloutState,
    Transition, TransitionReason,
};
pub use phase::{ParsePhaseError, RolloutPhase};
pub use trigger::{RollbackTrigger, RolloutConfigError, MAX_WINDOW_SIZE, MIN_SAMPLES};
pub use window::{DecisionSample, FlagError, SampleId, WindowStats};
