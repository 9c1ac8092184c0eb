//! The rollout controller: the current phase, operator transitions, the health window and
//! automatic rollback (docs/design.md §4, runbook Procedures 4 and 5).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::phase::RolloutPhase;
use crate::trigger::{RollbackTrigger, RolloutConfigError};
use crate::window::{DecisionSample, DecisionWindow, FlagError, SampleId, WindowStats};

/// Why the phase changed. Serialized with a `kind` tag (`"operator_advance"`,
/// `"false_positive_rate"`, ...) for the ledger control entry and the alert.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransitionReason {
    /// An operator advanced the rollout one phase.
    OperatorAdvance,
    /// An operator set the phase directly.
    OperatorSet,
    /// Automatic rollback: the window's false-positive rate exceeded the trigger's limit.
    FalsePositiveRate {
        /// The window's false-positive rate.
        observed: f64,
        /// `max_false_positive_rate` of the trigger.
        limit: f64,
        /// Samples the observation rests on.
        samples: u64,
    },
    /// Automatic rollback: the window's error rate exceeded the trigger's limit.
    ErrorRate {
        /// The window's error rate.
        observed: f64,
        /// `max_error_rate` of the trigger.
        limit: f64,
        /// Samples the observation rests on.
        samples: u64,
    },
    /// Automatic rollback: the window's mean latency exceeded the trigger's limit.
    Latency {
        /// The window's mean latency, in milliseconds.
        observed_ms: f64,
        /// `max_latency_ms` of the trigger.
        limit_ms: u64,
        /// Samples the observation rests on.
        samples: u64,
    },
}

impl TransitionReason {
    /// The snake_case code, equal to the serialized `kind` tag.
    pub const fn code(&self) -> &'static str {
        match self {
            TransitionReason::OperatorAdvance => "operator_advance",
            TransitionReason::OperatorSet => "operator_set",
            TransitionReason::FalsePositiveRate { .. } => "false_positive_rate",
            TransitionReason::ErrorRate { .. } => "error_rate",
            TransitionReason::Latency { .. } => "latency",
        }
    }

    /// Whether this is an automatic rollback rather than an operator action.
    pub const fn is_rollback(&self) -> bool {
        match self {
            TransitionReason::OperatorAdvance | TransitionReason::OperatorSet => false,
            TransitionReason::FalsePositiveRate { .. }
            | TransitionReason::ErrorRate { .. }
            | TransitionReason::Latency { .. } => true,
        }
    }
}

impl fmt::Display for TransitionReason {
    /// One line for an alert's `reason` (observed value against limit, and the sample count).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionReason::OperatorAdvance => f.write_str("operator advanced the rollout"),
            TransitionReason::OperatorSet => f.write_str("operator set the rollout phase"),
            TransitionReason::FalsePositiveRate {
                observed,
                limit,
                samples,
            } => write!(
                f,
                "false-positive rate {:.2}% exceeds limit {:.2}% over {samples} samples",
                observed * 100.0,
                limit * 100.0
            ),
            TransitionReason::ErrorRate {
                observed,
                limit,
                samples,
            } => write!(
                f,
                "error rate {:.2}% exceeds limit {:.2}% over {samples} samples",
                observed * 100.0,
                limit * 100.0
            ),
            TransitionReason::Latency {
                observed_ms,
                limit_ms,
                samples,
            } => write!(
                f,
                "mean latency {observed_ms:.1} ms exceeds limit {limit_ms} ms over {samples} samples"
            ),
        }
    }
}

/// One phase change, returned to the caller so the manager can write a ledger control entry and
/// a `ProfileTransition` alert (docs/design.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Transition {
    /// The phase before.
    pub from: RolloutPhase,
    /// The phase after.
    pub to: RolloutPhase,
    /// When it happened (the caller's clock), in milliseconds.
    pub at_ms: u64,
    /// Why.
    pub reason: TransitionReason,
    /// The window as it stood at the transition: the evidence a rollback rests on, and what the
    /// operator's window looked like when they advanced.
    pub window_stats: WindowStats,
}

/// What recording one decision did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordOutcome {
    /// The id to pass to [`RolloutController::mark_false_positive`] if an operator later flags
    /// this decision.
    pub sample_id: SampleId,
    /// The automatic rollback this sample caused, if any.
    pub rollback: Option<Transition>,
}

impl RecordOutcome {
    /// Whether a rollback fired: the runbook's `record_rollout_decision(..) -> bool`.
    pub const fn rolled_back(&self) -> bool {
        self.rollback.is_some()
    }
}

/// A counter per rollout phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhaseCounts {
    /// Count while in [`RolloutPhase::Shadow`].
    pub shadow: u64,
    /// Count while in [`RolloutPhase::LogOnly`].
    pub log_only: u64,
    /// Count while in [`RolloutPhase::EnforceNew`].
    pub enforce_new: u64,
    /// Count while in [`RolloutPhase::EnforceAll`].
    pub enforce_all: u64,
}

impl PhaseCounts {
    /// The count for `phase`.
    pub const fn get(&self, phase: RolloutPhase) -> u64 {
        match phase {
            RolloutPhase::Shadow => self.shadow,
            RolloutPhase::LogOnly => self.log_only,
            RolloutPhase::EnforceNew => self.enforce_new,
            RolloutPhase::EnforceAll => self.enforce_all,
        }
    }

    fn increment(&mut self, phase: RolloutPhase) {
        let slot = match phase {
            RolloutPhase::Shadow => &mut self.shadow,
            RolloutPhase::LogOnly => &mut self.log_only,
            RolloutPhase::EnforceNew => &mut self.enforce_new,
            RolloutPhase::EnforceAll => &mut self.enforce_all,
        };
        *slot = slot.saturating_add(1);
    }
}

/// A serializable snapshot of the rollout (runbook Procedure 4, evidence checklist item 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RolloutState {
    /// The current phase.
    pub phase: RolloutPhase,
    /// `phase.is_enforcing()`.
    pub enforce: bool,
    /// The phase an automatic rollback left, while the rollout still sits where that rollback put
    /// it; cleared by the next operator transition.
    pub rolled_back_from: Option<RolloutPhase>,
    /// When the last transition of any kind happened; `None` before the first.
    pub last_transition_ms: Option<u64>,
    /// When the current phase was entered; `None` for the initial phase. The manager uses it for
    /// enforce_new ("extensions first seen after the phase was entered").
    pub phase_entered_ms: Option<u64>,
    /// Transitions so far, operator and automatic.
    pub transition_count: u64,
    /// The trigger in force.
    pub trigger: RollbackTrigger,
    /// The health window.
    pub window_stats: WindowStats,
    /// Decisions recorded, by the phase they were made in.
    pub decisions_by_phase: PhaseCounts,
    /// Decisions whose risk verdict would block if enforced, by the phase they were made in.
    pub would_have_blocked: PhaseCounts,
    /// The most recent automatic rollback, kept after the operator moves on.
    pub last_rollback: Option<Transition>,
}

/// The rollout facts a ledger keeps, for [`RolloutController::restore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoredRollout {
    /// The phase to go on in.
    pub phase: RolloutPhase,
    /// The phase an automatic rollback left, while the rollout sits where it put it.
    pub rolled_back_from: Option<RolloutPhase>,
    /// Transitions so far.
    pub transition_count: u64,
    /// When the last transition happened.
    pub last_transition_ms: Option<u64>,
}

/// The pure rollback rule (docs/design.md §4): in an enforcing phase, with a conclusive window, the first
/// threshold the window exceeds — checked in the order false-positive rate, error rate, mean
/// latency — is the reason to roll back. Each comparison is strict: exactly at a limit is healthy.
///
/// Live recording and any replay call this same function.
pub fn rollback_reason(
    phase: RolloutPhase,
    stats: &WindowStats,
    trigger: &RollbackTrigger,
) -> Option<TransitionReason> {
    if !phase.is_enforcing() || stats.inconclusive {
        return None;
    }
    let samples = stats.total_decisions;
    if stats.false_positive_rate > trigger.max_false_positive_rate {
        return Some(TransitionReason::FalsePositiveRate {
            observed: stats.false_positive_rate,
            limit: trigger.max_false_positive_rate,
            samples,
        });
    }
    if stats.error_rate > trigger.max_error_rate {
        return Some(TransitionReason::ErrorRate {
            observed: stats.error_rate,
            limit: trigger.max_error_rate,
            samples,
        });
    }
    // u64 → f64 is exact up to 2^53 ms; beyond that a limit is meaningless anyway.
    if stats.avg_latency_ms > trigger.max_latency_ms as f64 {
        return Some(TransitionReason::Latency {
            observed_ms: stats.avg_latency_ms,
            limit_ms: trigger.max_latency_ms,
            samples,
        });
    }
    None
}

/// Owns the rollout: phase, trigger, health window, counters. Deterministic: time is an argument,
/// there is no I/O, and every method returns the [`Transition`] it caused so the caller can record
/// it.
///
/// The window is **not** cleared on a transition, rollback included:
/// - after a rollback, runbook Procedure 4 step 2 reads `rollout_state().window_stats` to find
///   which threshold fired; clearing it would erase that evidence (and leave `0 / 0` to divide);
/// - latency and controller errors are properties of the risk controller, not of the phase, and a
///   false positive of the model is one whether or not it was enforced; samples gathered in
///   shadow and log-only are exactly the evidence that enforcing is safe.
///
/// A consequence the operator must know: advancing back into an enforcing phase while the window
/// still holds the unhealthy samples rolls back again on the next sample. Runbook Procedure 4
/// step 4 already says to watch the window before advancing; new samples evict old ones.
#[derive(Debug, Clone)]
pub struct RolloutController {
    phase: RolloutPhase,
    trigger: RollbackTrigger,
    window: DecisionWindow,
    rolled_back_from: Option<RolloutPhase>,
    last_transition_ms: Option<u64>,
    phase_entered_ms: Option<u64>,
    transition_count: u64,
    decisions_by_phase: PhaseCounts,
    would_have_blocked: PhaseCounts,
    last_rollback: Option<Transition>,
}

impl RolloutController {
    /// A controller in [`RolloutPhase::Shadow`] with `trigger`, refused if it does not validate.
    pub fn new(trigger: RollbackTrigger) -> Result<RolloutController, RolloutConfigError> {
        trigger.validate()?;
        Ok(RolloutController::from_valid_trigger(trigger))
    }

    /// A controller that goes on where a ledger left the rollout (a restarted host): `phase`,
    /// the phase an automatic rollback left (`rolled_back_from`), how many transitions there
    /// were and when the last one happened. The window and counters start empty: they hold
    /// samples of a process, not facts of the ledger.
    pub fn restore(
        trigger: RollbackTrigger,
        restored: RestoredRollout,
    ) -> Result<RolloutController, RolloutConfigError> {
        let mut c = RolloutController::new(trigger)?;
        c.phase = restored.phase;
        c.rolled_back_from = restored.rolled_back_from;
        c.transition_count = restored.transition_count;
        c.last_transition_ms = restored.last_transition_ms;
        c.phase_entered_ms = restored.last_transition_ms;
        Ok(c)
    }

    /// The current phase.
    pub const fn phase(&self) -> RolloutPhase {
        self.phase
    }

    /// The trigger in force.
    pub const fn trigger(&self) -> &RollbackTrigger {
        &self.trigger
    }

    /// The health window's statistics (O(1)).
    pub fn window_stats(&self) -> WindowStats {
        self.window.stats()
    }

    /// Operator advance: Shadow → LogOnly → EnforceNew → EnforceAll. `None` (nothing changes) at
    /// EnforceAll; the runbook's `advance_rollout() -> bool` is `advance(now).is_some()`.
    #[must_use = "a transition must be written to the ledger"]
    pub fn advance(&mut self, now_ms: u64) -> Option<Transition> {
        let next = self.phase.next()?;
        Some(self.transition(next, now_ms, TransitionReason::OperatorAdvance))
    }

    /// Operator set: moves to `phase` in one step (up or down). `None` if already there.
    #[must_use = "a transition must be written to the ledger"]
    pub fn set_phase(&mut self, phase: RolloutPhase, now_ms: u64) -> Option<Transition> {
        if phase == self.phase {
            return None;
        }
        Some(self.transition(phase, now_ms, TransitionReason::OperatorSet))
    }

    /// Replaces the trigger after validating it; an invalid trigger changes nothing.
    ///
    /// A new `window_size` keeps the newest samples that fit. The new thresholds are applied at
    /// the next recorded sample or flag, which is when the window can next change.
    pub fn set_rollback_trigger(
        &mut self,
        trigger: RollbackTrigger,
    ) -> Result<(), RolloutConfigError> {
        trigger.validate()?;
        self.window.resize(trigger.window_size);
        self.trigger = trigger;
        Ok(())
    }

    /// Records one decision into the window and the per-phase counters, then applies the rollback
    /// rule ([`rollback_reason`]).
    #[must_use = "a rollback must be written to the ledger and alerted"]
    pub fn record_decision(&mut self, sample: DecisionSample, now_ms: u64) -> RecordOutcome {
        self.decisions_by_phase.increment(self.phase);
        if sample.would_block {
            self.would_have_blocked.increment(self.phase);
        }
        let sample_id = self.window.push(&sample);
        RecordOutcome {
            sample_id,
            rollback: self.evaluate_rollback(now_ms),
        }
    }

    /// Flags an earlier decision as a false positive, if its sample is still in the window and not
    /// yet flagged (`Ok` is the runbook's "flag counted"); the flag can itself fire a rollback.
    #[must_use = "a rollback must be written to the ledger and alerted"]
    pub fn mark_false_positive(
        &mut self,
        sample_id: SampleId,
        now_ms: u64,
    ) -> Result<Option<Transition>, FlagError> {
        self.window.mark_false_positive(sample_id)?;
        Ok(self.evaluate_rollback(now_ms))
    }

    /// A snapshot of everything an operator or an evidence bundle needs.
    pub fn state(&self) -> RolloutState {
        RolloutState {
            phase: self.phase,
            enforce: self.phase.is_enforcing(),
            rolled_back_from: self.rolled_back_from,
            last_transition_ms: self.last_transition_ms,
            phase_entered_ms: self.phase_entered_ms,
            transition_count: self.transition_count,
            trigger: self.trigger,
            window_stats: self.window.stats(),
            decisions_by_phase: self.decisions_by_phase,
            would_have_blocked: self.would_have_blocked,
            last_rollback: self.last_rollback,
        }
    }

    fn from_valid_trigger(trigger: RollbackTrigger) -> RolloutController {
        RolloutController {
            phase: RolloutPhase::Shadow,
            trigger,
            window: DecisionWindow::new(trigger.window_size),
            rolled_back_from: None,
            last_transition_ms: None,
            phase_entered_ms: None,
            transition_count: 0,
            decisions_by_phase: PhaseCounts::default(),
            would_have_blocked: PhaseCounts::default(),
            last_rollback: None,
        }
    }

    fn evaluate_rollback(&mut self, now_ms: u64) -> Option<Transition> {
        let reason = rollback_reason(self.phase, &self.window.stats(), &self.trigger)?;
        Some(self.transition(RolloutPhase::Shadow, now_ms, reason))
    }

    /// The one place the phase changes.
    fn transition(
        &mut self,
        to: RolloutPhase,
        now_ms: u64,
        reason: TransitionReason,
    ) -> Transition {
        let transition = Transition {
            from: self.phase,
            to,
            at_ms: now_ms,
            reason,
            window_stats: self.window.stats(),
        };
        if reason.is_rollback() {
            self.rolled_back_from = Some(self.phase);
            self.last_rollback = Some(transition);
        } else {
            // `rolled_back_from` describes the phase a rollback left us in; an operator move ends it.
            self.rolled_back_from = None;
        }
        self.phase = to;
        self.last_transition_ms = Some(now_ms);
        self.phase_entered_ms = Some(now_ms);
        self.transition_count = self.transition_count.saturating_add(1);
        transition
    }
}

impl Default for RolloutController {
    /// Shadow phase with the default trigger.
    fn default() -> Self {
        RolloutController::from_valid_trigger(RollbackTrigger::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(total: u64, fp: u64, errors: u64, avg_latency_ms: f64) -> WindowStats {
        let n = total.max(1) as f64;
        WindowStats {
            total_decisions: total,
            false_positive_count: fp,
            error_count: errors,
            avg_latency_ms,
            false_positive_rate: if total == 0 { 0.0 } else { fp as f64 / n },
            error_rate: if total == 0 { 0.0 } else { errors as f64 / n },
            window_size: 100,
            min_samples: 10,
            inconclusive: total < 10,
        }
    }

    fn check(phase: RolloutPhase, s: WindowStats, expected: Option<&str>) {
        let got = rollback_reason(phase, &s, &RollbackTrigger::default());
        assert_eq!(got.map(|r| r.code()), expected, "{phase} {s:?}");
    }

    #[test]
    fn rollback_rule_table() {
        use RolloutPhase::*;
        // Healthy, and exactly at each limit: no rollback.
        check(EnforceAll, stats(100, 0, 0, 1.0), None);
        check(EnforceAll, stats(100, 5, 10, 200.0), None);
        check(EnforceAll, stats(10, 0, 1, 200.0), None);
        // Just over each limit.
        check(
            EnforceAll,
            stats(100, 6, 0, 1.0),
            Some("false_positive_rate"),
        );
        check(EnforceAll, stats(100, 0, 11, 1.0), Some("error_rate"));
        check(EnforceAll, stats(100, 0, 0, 200.01), Some("latency"));
        check(EnforceNew, stats(10, 0, 2, 1.0), Some("error_rate"));
        // Order: false positives first, then errors, then latency.
        check(
            EnforceNew,
            stats(10, 10, 10, 1e9),
            Some("false_positive_rate"),
        );
        check(EnforceNew, stats(10, 0, 10, 1e9), Some("error_rate"));
        // Inconclusive: 9 samples, all bad.
        check(EnforceAll, stats(9, 9, 9, 1e9), None);
        // Not enforcing.
        check(Shadow, stats(100, 100, 100, 1e9), None);
        check(LogOnly, stats(100, 100, 100, 1e9), None);
    }

    #[test]
    fn reason_codes_match_serde_tags() {
        let reasons = [
            TransitionReason::OperatorAdvance,
            TransitionReason::OperatorSet,
            TransitionReason::FalsePositiveRate {
                observed: 0.5,
                limit: 0.05,
                samples: 10,
            },
            TransitionReason::ErrorRate {
                observed: 0.5,
                limit: 0.1,
                samples: 10,
            },
            TransitionReason::Latency {
                observed_ms: 250.0,
                limit_ms: 200,
                samples: 10,
            },
        ];
        for r in reasons {
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json["kind"], r.code());
            assert_eq!(serde_json::from_value::<TransitionReason>(json).unwrap(), r);
        }
    }

    #[test]
    fn reason_display_names_observed_and_limit() {
        let r = TransitionReason::Latency {
            observed_ms: 250.5,
            limit_ms: 200,
            samples: 12,
        };
        assert_eq!(
            r.to_string(),
            "mean latency 250.5 ms exceeds limit 200 ms over 12 samples"
        );
        let r = TransitionReason::FalsePositiveRate {
            observed: 2.0 / 23.0,
            limit: 0.05,
            samples: 23,
        };
        assert_eq!(
            r.to_string(),
            "false-positive rate 8.70% exceeds limit 5.00% over 23 samples"
        );
    }
}
