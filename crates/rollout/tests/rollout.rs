//! Integration tests of hostguard-rollout through its public API, one module per concern; each
//! test is named after the property it checks (docs/design.md §4, runbook Procedures 4 and 5).

use hostguard_rollout::{
    DecisionSample, FlagError, RecordOutcome, RollbackTrigger, RolloutController, RolloutPhase,
    Transition, TransitionReason,
};

fn sample(latency_ms: u64, was_error: bool, was_fp: bool) -> DecisionSample {
    DecisionSample {
        latency_ms,
        was_error,
        was_false_positive: was_fp,
        would_block: false,
    }
}

fn healthy() -> DecisionSample {
    sample(1, false, false)
}

/// A controller at `phase`, entered at t = 0.
fn at(phase: RolloutPhase) -> RolloutController {
    let mut c = RolloutController::default();
    let _ = c.set_phase(phase, 0);
    c
}

/// Records `n` copies of `s`; returns the outcomes.
fn record_n(c: &mut RolloutController, n: usize, s: DecisionSample) -> Vec<RecordOutcome> {
    (0..n).map(|_| c.record_decision(s, 10)).collect()
}

fn rollbacks(outcomes: &[RecordOutcome]) -> Vec<Transition> {
    outcomes.iter().filter_map(|o| o.rollback).collect()
}

mod phases {
    use super::*;

    #[test]
    fn default_phase_is_shadow_and_not_enforcing() {
        let state = RolloutController::default().state();
        assert_eq!(state.phase, RolloutPhase::Shadow);
        assert!(!state.enforce);
        assert_eq!(state.rolled_back_from, None);
        assert_eq!(state.transition_count, 0);
        assert_eq!(state.last_transition_ms, None);
        assert_eq!(state.trigger, RollbackTrigger::default());
    }

    #[test]
    fn advance_walks_shadow_log_only_enforce_new_enforce_all_then_stops() {
        let mut c = RolloutController::default();
        let expected = [
            (RolloutPhase::Shadow, RolloutPhase::LogOnly, false),
            (RolloutPhase::LogOnly, RolloutPhase::EnforceNew, true),
            (RolloutPhase::EnforceNew, RolloutPhase::EnforceAll, true),
        ];
        for (i, (from, to, enforce)) in expected.into_iter().enumerate() {
            let now = 100 * (i as u64 + 1);
            let t = c.advance(now).unwrap();
            assert_eq!((t.from, t.to, t.at_ms), (from, to, now));
            assert_eq!(t.reason, TransitionReason::OperatorAdvance);
            let state = c.state();
            assert_eq!(state.phase, to);
            assert_eq!(state.enforce, enforce);
            assert_eq!(state.last_transition_ms, Some(now));
            assert_eq!(state.phase_entered_ms, Some(now));
            assert_eq!(state.transition_count, i as u64 + 1);
        }
        assert_eq!(c.advance(999), None);
        assert_eq!(c.state().transition_count, 3);
        assert_eq!(c.state().last_transition_ms, Some(300));
    }

    #[test]
    fn set_phase_jumps_both_ways_and_same_phase_is_no_transition() {
        let mut c = RolloutController::default();
        assert_eq!(c.set_phase(RolloutPhase::Shadow, 5), None);
        let t = c.set_phase(RolloutPhase::EnforceAll, 10).unwrap();
        assert_eq!(
            (t.from, t.to),
            (RolloutPhase::Shadow, RolloutPhase::EnforceAll)
        );
        assert_eq!(t.reason, TransitionReason::OperatorSet);
        // Runbook Procedure 5 step 3: back to shadow by hand. Not a rollback.
        let t = c.set_phase(RolloutPhase::Shadow, 20).unwrap();
        assert_eq!(
            (t.from, t.to),
            (RolloutPhase::EnforceAll, RolloutPhase::Shadow)
        );
        let state = c.state();
        assert_eq!(state.phase, RolloutPhase::Shadow);
        assert_eq!(state.rolled_back_from, None);
        assert_eq!(state.transition_count, 2);
        assert_eq!(state.last_rollback, None);
    }

    #[test]
    fn operator_transition_clears_rolled_back_from_but_keeps_last_rollback() {
        let mut c = at(RolloutPhase::EnforceAll);
        let out = record_n(&mut c, 10, sample(1, true, false));
        assert_eq!(rollbacks(&out).len(), 1);
        assert_eq!(c.state().rolled_back_from, Some(RolloutPhase::EnforceAll));
        let _ = c.advance(50).unwrap();
        let state = c.state();
        assert_eq!(state.rolled_back_from, None);
        assert_eq!(
            state.last_rollback.map(|t| t.from),
            Some(RolloutPhase::EnforceAll)
        );
    }
}

mod thresholds {
    use super::*;

    /// Ten samples at `phase`, `bad` of them built by `bad_sample`; returns the rollbacks.
    fn ten_with(phase: RolloutPhase, bad: usize, bad_sample: DecisionSample) -> Vec<Transition> {
        let mut c = at(phase);
        let mut out = record_n(&mut c, 10 - bad, healthy());
        out.extend(record_n(&mut c, bad, bad_sample));
        rollbacks(&out)
    }

    #[test]
    fn error_rate_exactly_at_limit_does_not_roll_back() {
        // 1 / 10 = 0.10 = max_error_rate.
        assert!(ten_with(RolloutPhase::EnforceAll, 1, sample(1, true, false)).is_empty());
    }

    #[test]
    fn error_rate_over_limit_rolls_back_to_shadow() {
        let rb = ten_with(RolloutPhase::EnforceAll, 2, sample(1, true, false));
        assert_eq!(rb.len(), 1);
        let t = rb[0];
        assert_eq!(
            (t.from, t.to),
            (RolloutPhase::EnforceAll, RolloutPhase::Shadow)
        );
        assert_eq!(
            t.reason,
            TransitionReason::ErrorRate {
                observed: 0.2,
                limit: 0.1,
                samples: 10
            }
        );
        assert_eq!(t.window_stats.error_count, 2);
    }

    #[test]
    fn false_positive_rate_exactly_at_limit_does_not_roll_back() {
        // 5 / 100 = 0.05 = max_false_positive_rate.
        let mut c = at(RolloutPhase::EnforceNew);
        let mut out = record_n(&mut c, 95, healthy());
        out.extend(record_n(&mut c, 5, sample(1, false, true)));
        assert!(rollbacks(&out).is_empty());
        assert_eq!(c.state().window_stats.false_positive_rate, 0.05);
    }

    #[test]
    fn false_positive_rate_over_limit_rolls_back_to_shadow() {
        let rb = ten_with(RolloutPhase::EnforceNew, 1, sample(1, false, true));
        assert_eq!(rb.len(), 1);
        assert_eq!(
            rb[0].reason,
            TransitionReason::FalsePositiveRate {
                observed: 0.1,
                limit: 0.05,
                samples: 10
            }
        );
        assert_eq!(rb[0].from, RolloutPhase::EnforceNew);
    }

    #[test]
    fn latency_exactly_at_limit_does_not_roll_back() {
        let mut c = at(RolloutPhase::EnforceAll);
        let out = record_n(&mut c, 10, sample(200, false, false));
        assert!(rollbacks(&out).is_empty());
        // Mean exactly 200 from uneven samples: 10 × 200, 5 × 100, then 5 × 300.
        let mut out = record_n(&mut c, 5, sample(100, false, false));
        out.extend(record_n(&mut c, 5, sample(300, false, false)));
        assert!(rollbacks(&out).is_empty());
        assert_eq!(c.window_stats().avg_latency_ms, 200.0);
        assert_eq!(c.phase(), RolloutPhase::EnforceAll);
    }

    #[test]
    fn latency_mean_over_limit_rolls_back_to_shadow() {
        let mut c = at(RolloutPhase::EnforceAll);
        let mut out = record_n(&mut c, 9, sample(200, false, false));
        out.extend(record_n(&mut c, 1, sample(201, false, false)));
        let rb = rollbacks(&out);
        assert_eq!(rb.len(), 1);
        assert_eq!(
            rb[0].reason,
            TransitionReason::Latency {
                observed_ms: 200.1,
                limit_ms: 200,
                samples: 10
            }
        );
    }

    #[test]
    fn zero_rate_limit_rolls_back_on_any_occurrence() {
        let mut c = RolloutController::new(RollbackTrigger {
            max_error_rate: 0.0,
            ..RollbackTrigger::default()
        })
        .unwrap();
        let _ = c.set_phase(RolloutPhase::EnforceAll, 0);
        let mut out = record_n(&mut c, 9, healthy());
        out.extend(record_n(&mut c, 1, sample(1, true, false)));
        assert_eq!(rollbacks(&out).len(), 1);
    }
}

mod minimum_samples {
    use super::*;

    #[test]
    fn nine_bad_samples_are_inconclusive_and_do_not_roll_back() {
        let mut c = at(RolloutPhase::EnforceAll);
        let out = record_n(&mut c, 9, sample(10_000, true, true));
        assert!(rollbacks(&out).is_empty());
        let stats = c.state().window_stats;
        assert!(stats.inconclusive);
        assert_eq!((stats.total_decisions, stats.min_samples), (9, 10));
        assert_eq!(c.phase(), RolloutPhase::EnforceAll);
    }

    #[test]
    fn tenth_sample_makes_the_window_conclusive_and_rolls_back() {
        let mut c = at(RolloutPhase::EnforceAll);
        let out = record_n(&mut c, 10, sample(10_000, true, true));
        let rb = rollbacks(&out);
        assert_eq!(rb.len(), 1);
        assert!(!rb[0].window_stats.inconclusive);
        assert_eq!(rb[0].window_stats.total_decisions, 10);
    }

    #[test]
    fn empty_window_is_inconclusive_not_healthy() {
        let stats = RolloutController::default().window_stats();
        assert!(stats.inconclusive);
        assert_eq!(stats.total_decisions, 0);
        assert_eq!((stats.false_positive_rate, stats.error_rate), (0.0, 0.0));
    }
}

mod not_enforcing {
    use super::*;

    #[test]
    fn shadow_and_log_only_never_roll_back() {
        for phase in [RolloutPhase::Shadow, RolloutPhase::LogOnly] {
            let mut c = at(phase);
            let out = record_n(&mut c, 200, sample(10_000, true, true));
            assert!(rollbacks(&out).is_empty(), "{phase}");
            let state = c.state();
            assert_eq!(state.phase, phase);
            assert_eq!(state.rolled_back_from, None);
            assert_eq!(state.window_stats.error_rate, 1.0);
        }
    }

    #[test]
    fn would_have_blocked_is_counted_per_phase() {
        let mut c = RolloutController::default();
        let blocked = DecisionSample {
            would_block: true,
            ..healthy()
        };
        let _ = record_n(&mut c, 3, blocked);
        let _ = record_n(&mut c, 2, healthy());
        let _ = c.advance(1);
        let _ = record_n(&mut c, 4, blocked);
        let _ = c.advance(2);
        let _ = record_n(&mut c, 1, blocked);
        let state = c.state();
        assert_eq!(
            (
                state.would_have_blocked.shadow,
                state.would_have_blocked.log_only,
                state.would_have_blocked.enforce_new,
                state.would_have_blocked.enforce_all
            ),
            (3, 4, 1, 0)
        );
        assert_eq!(state.decisions_by_phase.get(RolloutPhase::Shadow), 5);
        assert_eq!(state.decisions_by_phase.get(RolloutPhase::LogOnly), 4);
        assert_eq!(state.would_have_blocked.get(RolloutPhase::EnforceNew), 1);
    }
}

mod window {
    use super::*;

    #[test]
    fn window_keeps_only_the_last_window_size_samples() {
        let mut c = RolloutController::new(RollbackTrigger {
            window_size: 10,
            ..RollbackTrigger::default()
        })
        .unwrap();
        let _ = record_n(&mut c, 10, sample(100, true, true));
        let _ = record_n(&mut c, 7, sample(4, false, false));
        let stats = c.window_stats();
        assert_eq!(stats.total_decisions, 10);
        assert_eq!((stats.error_count, stats.false_positive_count), (3, 3));
        assert_eq!(stats.avg_latency_ms, (3.0 * 100.0 + 7.0 * 4.0) / 10.0);
        let _ = record_n(&mut c, 3, sample(4, false, false));
        let stats = c.window_stats();
        assert_eq!((stats.error_count, stats.false_positive_count), (0, 0));
        assert_eq!(stats.avg_latency_ms, 4.0);
    }

    #[test]
    fn eviction_of_bad_samples_prevents_rollback() {
        let mut c = RolloutController::new(RollbackTrigger {
            window_size: 10,
            ..RollbackTrigger::default()
        })
        .unwrap();
        // Bad samples gathered in shadow, then evicted before enforcing.
        let _ = record_n(&mut c, 10, sample(1, true, false));
        let _ = record_n(&mut c, 10, healthy());
        let _ = c.set_phase(RolloutPhase::EnforceAll, 1);
        assert!(rollbacks(&record_n(&mut c, 1, healthy())).is_empty());
    }

    #[test]
    fn rollback_keeps_the_window_as_evidence() {
        let mut c = at(RolloutPhase::EnforceAll);
        let out = record_n(&mut c, 10, sample(1, true, false));
        let t = rollbacks(&out)[0];
        let stats = c.state().window_stats;
        assert_eq!(stats, t.window_stats);
        assert_eq!((stats.error_count, stats.total_decisions), (10, 10));
    }

    #[test]
    fn re_entering_enforcement_with_an_unhealthy_window_rolls_back_on_next_sample() {
        let mut c = at(RolloutPhase::EnforceAll);
        let _ = record_n(&mut c, 10, sample(1, true, false));
        assert_eq!(c.phase(), RolloutPhase::Shadow);
        let _ = c.set_phase(RolloutPhase::EnforceNew, 20);
        let out = record_n(&mut c, 1, healthy());
        assert_eq!(rollbacks(&out).len(), 1);
        assert_eq!(c.state().rolled_back_from, Some(RolloutPhase::EnforceNew));
        assert_eq!(c.state().transition_count, 4);
    }

    #[test]
    fn shrinking_window_size_keeps_newest_samples() {
        let mut c = RolloutController::default();
        let _ = record_n(&mut c, 50, sample(1, true, false));
        let _ = record_n(&mut c, 50, healthy());
        c.set_rollback_trigger(RollbackTrigger {
            window_size: 20,
            ..RollbackTrigger::default()
        })
        .unwrap();
        let stats = c.window_stats();
        assert_eq!(
            (stats.total_decisions, stats.error_count, stats.window_size),
            (20, 0, 20)
        );
    }
}

mod late_false_positive_flags {
    use super::*;

    #[test]
    fn late_flag_in_window_counts_once() {
        let mut c = RolloutController::default();
        let id = c.record_decision(healthy(), 1).sample_id;
        let _ = record_n(&mut c, 5, healthy());
        assert_eq!(c.mark_false_positive(id, 2), Ok(None));
        assert_eq!(c.window_stats().false_positive_count, 1);
        assert_eq!(
            c.mark_false_positive(id, 3),
            Err(FlagError::AlreadyFlagged { id })
        );
        assert_eq!(c.window_stats().false_positive_count, 1);
    }

    #[test]
    fn sample_recorded_as_fp_cannot_be_flagged_again() {
        let mut c = RolloutController::default();
        let id = c.record_decision(sample(1, false, true), 1).sample_id;
        assert_eq!(
            c.mark_false_positive(id, 2),
            Err(FlagError::AlreadyFlagged { id })
        );
    }

    #[test]
    fn late_flag_for_evicted_sample_is_refused_and_changes_nothing() {
        let mut c = RolloutController::new(RollbackTrigger {
            window_size: 10,
            ..RollbackTrigger::default()
        })
        .unwrap();
        let id = c.record_decision(healthy(), 1).sample_id;
        let _ = record_n(&mut c, 10, healthy());
        let before = c.state();
        assert_eq!(c.mark_false_positive(id, 2), Err(FlagError::Evicted { id }));
        assert_eq!(c.state(), before);
    }

    #[test]
    fn late_flag_for_unrecorded_sample_is_refused() {
        let mut c = RolloutController::default();
        let id = c.record_decision(healthy(), 1).sample_id;
        let future = hostguard_rollout::SampleId::new(id.get() + 1);
        assert_eq!(
            c.mark_false_positive(future, 2),
            Err(FlagError::NotRecorded { id: future })
        );
    }

    #[test]
    fn late_flag_can_fire_a_rollback() {
        let mut c = at(RolloutPhase::EnforceAll);
        let ids: Vec<_> = record_n(&mut c, 10, healthy())
            .iter()
            .map(|o| o.sample_id)
            .collect();
        assert_eq!(c.phase(), RolloutPhase::EnforceAll);
        let t = c.mark_false_positive(ids[3], 77).unwrap().unwrap();
        assert_eq!(
            (t.from, t.to, t.at_ms),
            (RolloutPhase::EnforceAll, RolloutPhase::Shadow, 77)
        );
        assert_eq!(
            t.reason,
            TransitionReason::FalsePositiveRate {
                observed: 0.1,
                limit: 0.05,
                samples: 10
            }
        );
        // Already in shadow: a further flag counts but cannot roll back again.
        assert_eq!(c.mark_false_positive(ids[4], 78), Ok(None));
        assert_eq!(c.state().transition_count, 2);
    }
}

mod trigger_validation {
    use super::*;
    use hostguard_rollout::RolloutConfigError;

    fn field_of(t: RollbackTrigger) -> Option<&'static str> {
        t.validate().err().map(|e| match e {
            RolloutConfigError::OutOfRange { field, .. } => field,
        })
    }

    #[test]
    fn invalid_triggers_are_errors_naming_the_field() {
        let d = RollbackTrigger::default();
        let cases = [
            (
                RollbackTrigger {
                    max_false_positive_rate: 1.01,
                    ..d
                },
                "max_false_positive_rate",
            ),
            (
                RollbackTrigger {
                    max_false_positive_rate: f64::NAN,
                    ..d
                },
                "max_false_positive_rate",
            ),
            (
                RollbackTrigger {
                    max_error_rate: -0.1,
                    ..d
                },
                "max_error_rate",
            ),
            (
                RollbackTrigger {
                    window_size: 9,
                    ..d
                },
                "window_size",
            ),
            (
                RollbackTrigger {
                    window_size: 100_001,
                    ..d
                },
                "window_size",
            ),
            (
                RollbackTrigger {
                    max_latency_ms: 0,
                    ..d
                },
                "max_latency_ms",
            ),
        ];
        for (t, field) in cases {
            assert_eq!(field_of(t), Some(field), "{t:?}");
            assert!(RolloutController::new(t).is_err());
        }
    }

    #[test]
    fn setter_refuses_invalid_trigger_and_keeps_the_old_one() {
        let mut c = RolloutController::default();
        let _ = record_n(&mut c, 30, healthy());
        let err = c
            .set_rollback_trigger(RollbackTrigger {
                window_size: 3,
                ..RollbackTrigger::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("`window_size` = `3`"), "{err}");
        assert_eq!(*c.trigger(), RollbackTrigger::default());
        assert_eq!(c.window_stats().total_decisions, 30);
    }

    #[test]
    fn runbook_trigger_literal_is_accepted() {
        let mut c = RolloutController::default();
        let t = RollbackTrigger {
            max_false_positive_rate: 0.05,
            max_error_rate: 0.10,
            window_size: 100,
            max_latency_ms: 200,
        };
        assert_eq!(c.set_rollback_trigger(t), Ok(()));
        assert_eq!(t, RollbackTrigger::default());
    }
}

mod runbook {
    use super::*;

    /// The manager's `record_rollout_decision(latency_ms, was_error, was_fp) -> bool`.
    fn record_rollout_decision(
        c: &mut RolloutController,
        latency_ms: u64,
        was_error: bool,
        was_fp: bool,
    ) -> bool {
        c.record_decision(sample(latency_ms, was_error, was_fp), 1_000)
            .rolled_back()
    }

    #[test]
    fn procedure_4_rollback_is_verifiable_from_the_state_snapshot() {
        let mut c = RolloutController::default();
        assert!(c.advance(0).is_some());
        assert!(c.advance(0).is_some());
        let mut fired = false;
        for i in 0..20 {
            fired |= record_rollout_decision(&mut c, 5, false, i % 4 == 0);
        }
        assert!(fired);
        // Step 1.
        let state = c.state();
        assert_eq!(state.phase, RolloutPhase::Shadow);
        assert!(state.rolled_back_from.is_some());
        assert_eq!(state.rolled_back_from, Some(RolloutPhase::EnforceNew));
        // Step 2: the window still says which threshold was breached.
        let stats = state.window_stats;
        let trigger = state.trigger;
        assert!(
            stats.false_positive_count as f64 / stats.total_decisions as f64
                > trigger.max_false_positive_rate
        );
        assert!(stats.error_count as f64 / stats.total_decisions as f64 <= trigger.max_error_rate);
        assert!(stats.avg_latency_ms <= trigger.max_latency_ms as f64);
    }

    #[test]
    fn state_snapshot_round_trips_through_json() {
        let mut c = at(RolloutPhase::EnforceAll);
        let _ = record_n(&mut c, 12, sample(3, true, false));
        let state = c.state();
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains("\"phase\":\"shadow\""), "{json}");
        assert!(
            json.contains("\"rolled_back_from\":\"enforce_all\""),
            "{json}"
        );
        assert!(json.contains("\"kind\":\"error_rate\""), "{json}");
        let back: hostguard_rollout::RolloutState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
    }
}

mod window_statistics_property {
    //! The O(1) window statistics equal a naive recomputation over the retained samples, and the
    //! controller rolls back exactly when a naive evaluation of the rule says so.

    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Record {
            latency_ms: u64,
            was_error: bool,
            was_fp: bool,
        },
        /// Flag the sample `back` ids before the newest one (may be evicted or not yet recorded).
        Flag {
            back: i64,
        },
        Resize {
            window_size: usize,
        },
        SetPhase(RolloutPhase),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u64..400, proptest::bool::weighted(0.15), proptest::bool::weighted(0.05))
                .prop_map(|(latency_ms, was_error, was_fp)| Op::Record { latency_ms, was_error, was_fp }),
            3 => (-2i64..60).prop_map(|back| Op::Flag { back }),
            1 => (10usize..40).prop_map(|window_size| Op::Resize { window_size }),
            1 => proptest::sample::select(RolloutPhase::ALL.to_vec()).prop_map(Op::SetPhase),
        ]
    }

    #[derive(Clone, Copy)]
    struct NaiveSample {
        id: u64,
        latency_ms: u64,
        was_error: bool,
        was_fp: bool,
    }

    struct Naive {
        samples: Vec<NaiveSample>,
        window_size: usize,
        next_id: u64,
        phase: RolloutPhase,
        trigger: RollbackTrigger,
    }

    impl Naive {
        fn truncate(&mut self) {
            while self.samples.len() > self.window_size {
                self.samples.remove(0);
            }
        }

        /// The code of the rollback the rule demands, recomputed from scratch.
        fn expected_rollback(&self) -> Option<&'static str> {
            let n = self.samples.len();
            if !matches!(
                self.phase,
                RolloutPhase::EnforceNew | RolloutPhase::EnforceAll
            ) || n < 10
            {
                return None;
            }
            let fp = self.samples.iter().filter(|s| s.was_fp).count() as f64 / n as f64;
            let err = self.samples.iter().filter(|s| s.was_error).count() as f64 / n as f64;
            let lat = self
                .samples
                .iter()
                .map(|s| u128::from(s.latency_ms))
                .sum::<u128>() as f64
                / n as f64;
            if fp > self.trigger.max_false_positive_rate {
                Some("false_positive_rate")
            } else if err > self.trigger.max_error_rate {
                Some("error_rate")
            } else if lat > self.trigger.max_latency_ms as f64 {
                Some("latency")
            } else {
                None
            }
        }

        fn apply_rollback(&mut self, got: Option<Transition>) -> Result<(), TestCaseError> {
            let expected = self.expected_rollback();
            prop_assert_eq!(got.map(|t| t.reason.code()), expected);
            if let Some(t) = got {
                prop_assert_eq!(t.from, self.phase);
                prop_assert_eq!(t.to, RolloutPhase::Shadow);
                self.phase = RolloutPhase::Shadow;
            }
            Ok(())
        }
    }

    fn check_stats(c: &RolloutController, naive: &Naive) -> Result<(), TestCaseError> {
        let s = c.window_stats();
        let n = naive.samples.len();
        let fp = naive.samples.iter().filter(|s| s.was_fp).count();
        let err = naive.samples.iter().filter(|s| s.was_error).count();
        let lat: u128 = naive.samples.iter().map(|s| u128::from(s.latency_ms)).sum();
        prop_assert_eq!(s.total_decisions, n as u64);
        prop_assert_eq!(s.false_positive_count, fp as u64);
        prop_assert_eq!(s.error_count, err as u64);
        prop_assert_eq!(s.window_size, naive.window_size);
        prop_assert_eq!(s.inconclusive, n < 10);
        if n == 0 {
            prop_assert_eq!(
                (s.avg_latency_ms, s.false_positive_rate, s.error_rate),
                (0.0, 0.0, 0.0)
            );
        } else {
            prop_assert_eq!(s.avg_latency_ms, lat as f64 / n as f64);
            prop_assert_eq!(s.false_positive_rate, fp as f64 / n as f64);
            prop_assert_eq!(s.error_rate, err as f64 / n as f64);
        }
        prop_assert_eq!(c.phase(), naive.phase);
        Ok(())
    }

    fn trigger() -> impl Strategy<Value = RollbackTrigger> {
        (
            proptest::sample::select(vec![0.0, 0.05, 0.2, 1.0]),
            proptest::sample::select(vec![0.0, 0.1, 0.3, 1.0]),
            10usize..40,
            proptest::sample::select(vec![1u64, 150, 200, 400]),
        )
            .prop_map(|(fp, err, window_size, lat)| RollbackTrigger {
                max_false_positive_rate: fp,
                max_error_rate: err,
                window_size,
                max_latency_ms: lat,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn o1_window_statistics_equal_naive_recomputation(
            trigger in trigger(),
            ops in proptest::collection::vec(op(), 0..300),
        ) {
            let mut c = RolloutController::new(trigger).unwrap();
            let mut naive = Naive {
                samples: Vec::new(),
                window_size: trigger.window_size,
                next_id: 0,
                phase: RolloutPhase::Shadow,
                trigger,
            };
            for (now, op) in ops.into_iter().enumerate() {
                let now = now as u64;
                match op {
                    Op::Record { latency_ms, was_error, was_fp } => {
                        let out = c.record_decision(sample(latency_ms, was_error, was_fp), now);
                        prop_assert_eq!(out.sample_id.get(), naive.next_id);
                        naive.samples.push(NaiveSample { id: naive.next_id, latency_ms, was_error, was_fp });
                        naive.next_id += 1;
                        naive.truncate();
                        naive.apply_rollback(out.rollback)?;
                    }
                    Op::Flag { back } => {
                        let raw = naive.next_id as i64 - 1 - back;
                        if raw < 0 {
                            continue;
                        }
                        let id = hostguard_rollout::SampleId::new(raw as u64);
                        let got = c.mark_false_positive(id, now);
                        let slot = naive.samples.iter_mut().find(|s| s.id == raw as u64);
                        match slot {
                            _ if raw as u64 >= naive.next_id => {
                                prop_assert_eq!(got, Err(FlagError::NotRecorded { id }));
                            }
                            None => prop_assert_eq!(got, Err(FlagError::Evicted { id })),
                            Some(s) if s.was_fp => {
                                prop_assert_eq!(got, Err(FlagError::AlreadyFlagged { id }));
                            }
                            Some(s) => {
                                s.was_fp = true;
                                let rollback = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
                                naive.apply_rollback(rollback)?;
                            }
                        }
                    }
                    Op::Resize { window_size } => {
                        let t = RollbackTrigger { window_size, ..trigger };
                        c.set_rollback_trigger(t).unwrap();
                        naive.window_size = window_size;
                        naive.truncate();
                    }
                    Op::SetPhase(p) => {
                        let t = c.set_phase(p, now);
                        prop_assert_eq!(t.is_some(), p != naive.phase);
                        naive.phase = p;
                    }
                }
                check_stats(&c, &naive)?;
            }
        }
    }
}
