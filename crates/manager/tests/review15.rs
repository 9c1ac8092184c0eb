//! Review of issue 15 (the gate as one pure step): tests that show defects found in review.
//! Each test fails on the reviewed commit.

#![expect(
    clippy::unwrap_used,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

#[path = "../../ledger/tests/support/rechain.rs"]
mod rechain;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use hostguard_manager::{
    Clock, EnforcementState, EntryBody, EntryPayload, ExecMediationPolicy, ExecMediationPreset,
    ExtensionManager, ExtensionPolicy, HostCall, IncidentBundleFilter,
    IncidentBundleRedactionPolicy, ManualClock, PolicyProfile, QuotaLimits, RolloutPhase,
    RuntimeRiskConfig,
};
use serde_json::json;

fn risk_only(phase: RolloutPhase, clock: impl Clock + 'static) -> ExtensionManager {
    ExtensionManager::builder()
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
        .quota(QuotaLimits::UNLIMITED)
        .exec_mediation(ExecMediationPolicy::from_preset(
            ExecMediationPreset::Disabled,
        ))
        .rollout_phase(phase)
        .rng_seed(7)
        .clock(clock)
        .build()
        .unwrap()
}

fn secret_env(ext: &str, id: &str) -> HostCall {
    HostCall::new(ext, id, "env", json!({"name": "AWS_SECRET_ACCESS_KEY"}))
}

fn upload(ext: &str, id: &str) -> HostCall {
    HostCall::new(
        ext,
        id,
        "http",
        json!({"url": "https://collector.example.net/upload", "method": "POST"}),
    )
}

fn benign(ext: &str, id: &str) -> HostCall {
    HostCall::new(ext, id, "fs", json!({"op": "read", "path": "src/main.rs"}))
}

/// Replay re-derives the basis from the decision's *recorded* `rollout_phase` and never checks
/// it against the phase the ledger's own rollout transitions put in force. A chain rewritten
/// so that an enforced Terminate reads as a shadow decision (phase `shadow`, basis `shadow`,
/// applied `allow`, not enforced) verifies and replays as consistent, although the ledger's
/// only transition says enforce_all was in force.
#[test]
fn replay_accepts_a_decision_whose_phase_contradicts_the_ledgers_transitions() {
    let clock = ManualClock::new(1_000);
    let manager = risk_only(RolloutPhase::EnforceAll, clock.clone());
    manager
        .evaluate_hostcall(&secret_env("ext", "env"))
        .unwrap();
    let mut terminated = None;
    for i in 0..3 {
        clock.advance_ms(500);
        let v = manager
            .evaluate_hostcall(&upload("ext", &format!("up-{i}")))
            .unwrap();
        if v.state() == EnforcementState::Terminate {
            terminated = Some(format!("up-{i}"));
        }
    }
    let terminated = terminated.expect("the exfiltration shape reaches Terminate");
    let mut ledger = manager.runtime_risk_ledger_artifact();
    // The ledger's rollout transitions: shadow → enforce_all at start-up, nothing after.
    let phases: Vec<String> = ledger
        .entries
        .iter()
        .filter_map(|e| match e.payload() {
            Some(EntryPayload::RolloutTransition(t)) => Some(t.to.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(phases, ["enforce_all"]);
    let mut forged = false;
    for e in &mut ledger.entries {
        if let EntryBody::Full(EntryPayload::Decision(d)) = &mut e.body {
            if d.call_id == terminated {
                assert_eq!(d.rollout_phase, "enforce_all");
                d.rollout_phase = "shadow".into();
                d.enforced = false;
                let a = d.applied.unwrap();
                d.applied = Some(hostguard_manager::AppliedRecord {
                    action: a.gate_action,
                    gate_action: a.gate_action,
                    basis: hostguard_manager::EnforcementBasis::Shadow,
                });
                forged = true;
            }
        }
    }
    assert!(forged);
    ledger.entries = rechain::rechain(ledger.entries);
    ledger.head.last_ledger_hash = ledger.entries.last().unwrap().ledger_hash;
    assert!(hostguard_manager::verify_runtime_risk_ledger_artifact(&ledger).valid);
    let replay = hostguard_manager::replay_runtime_risk_ledger_artifact(&ledger).unwrap();
    // The decision says "shadow" while the ledger says enforce_all was in force: replay should
    // flag it.
    assert!(
        replay.inconsistent_count > 0,
        "a decision recorded under a phase the ledger's transitions contradict replays as consistent: {:?}",
        replay
            .steps
            .iter()
            .find(|s| s.call_id == terminated)
            .unwrap()
    );
}

/// A clock that, once armed, runs a hook (from inside the gate's own clock read) the `n`th time
/// it is read.
#[derive(Clone)]
struct HookClock {
    clock: ManualClock,
    countdown: Arc<AtomicU64>,
    hook: Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>,
}

impl Clock for HookClock {
    fn now_ms(&self) -> u64 {
        let left = self.countdown.load(Ordering::SeqCst);
        if left > 0 && self.countdown.fetch_sub(1, Ordering::SeqCst) == 1 {
            let hook = self.hook.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
        }
        self.clock.now_ms()
    }
}

/// The gate reads the rollout phase word lock-free at the start of the decision and appends the
/// decision later under the core lock. A transition made in between (an operator's, or an
/// automatic rollback another extension's decision triggered) is in the ledger *before* the
/// decision that was decided under the earlier phase. Replay counts that transition before the
/// decision, so it derives `enforce_new_older` for an extension the manager (rightly, by its
/// own epoch) enforced as `enforce_new_first_seen`: a legitimate decision is flagged
/// inconsistent.
#[test]
fn replay_flags_a_decision_decided_just_before_a_concurrent_transition() {
    let clock = HookClock {
        clock: ManualClock::new(1_000),
        countdown: Arc::new(AtomicU64::new(0)),
        hook: Arc::new(Mutex::new(None)),
    };
    let manager = Arc::new(risk_only(RolloutPhase::EnforceNew, clock.clone()));
    // `ext` is first seen in enforce_new: its decisions are enforced.
    manager.evaluate_hostcall(&benign("ext", "b-0")).unwrap();
    // During the next decision of `ext` (its second clock read: after the phase word was read,
    // before the entry is appended) the operator advances the rollout to enforce_all.
    let weak: Weak<ExtensionManager> = Arc::downgrade(&manager);
    let advanced = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&advanced);
    *clock.hook.lock().unwrap() = Some(Box::new(move || {
        let m = weak.upgrade().unwrap();
        flag.store(m.advance_rollout(), Ordering::SeqCst);
    }));
    clock.countdown.store(2, Ordering::SeqCst);
    clock.clock.advance_ms(10);
    let v = manager.evaluate_hostcall(&benign("ext", "b-1")).unwrap();
    assert!(advanced.load(Ordering::SeqCst));
    assert_eq!(manager.rollout_phase(), RolloutPhase::EnforceAll);
    assert!(v.enforced());
    let ledger = manager.runtime_risk_ledger_artifact();
    assert!(hostguard_manager::verify_runtime_risk_ledger_artifact(&ledger).valid);
    let replay = hostguard_manager::replay_runtime_risk_ledger_artifact(&ledger).unwrap();
    let step = replay.steps.iter().find(|s| s.call_id == "b-1").unwrap();
    assert!(
        step.consistent,
        "a decision the manager made correctly is flagged by replay: {step:?}"
    );
    assert_eq!(replay.inconsistent_count, 0);
}

/// A clock that reads one value per thread phase: the decision of thread `b` arrives (first
/// read) while thread `a` is inside its decision holding the extension's lock; 100 ms pass
/// before `b` gets the lock. Only the time before `b`'s decision started (queueing on its own
/// extension's lock) elapsed: the risk model took no time at all.
#[derive(Clone)]
struct QueueClock {
    reads_a: Arc<AtomicU64>,
    reads_b: Arc<AtomicU64>,
    b_arrived: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl Clock for QueueClock {
    fn now_ms(&self) -> u64 {
        match std::thread::current().name() {
            Some("a") => {
                let n = self.reads_a.fetch_add(1, Ordering::SeqCst);
                if n == 1 {
                    // Inside a's decision (shard lock held): wait until b has arrived.
                    let (lock, cv) = &*self.b_arrived;
                    let mut arrived = lock.lock().unwrap();
                    while !*arrived {
                        arrived = cv.wait(arrived).unwrap();
                    }
                }
                1_000
            }
            Some("b") => {
                let n = self.reads_b.fetch_add(1, Ordering::SeqCst);
                if n == 0 {
                    let (lock, cv) = &*self.b_arrived;
                    *lock.lock().unwrap() = true;
                    cv.notify_all();
                    1_000
                } else {
                    // b got the lock 100 ms after it arrived.
                    1_100
                }
            }
            _ => 1_000,
        }
    }
}

/// The decision-time budget (`decision_timeout_ms`, docs/risk-model.md "Decision-time
/// budget": the model's own time, read at its start and end) now runs from the call's arrival,
/// *before* the extension's lock is taken. Time a call spends queued behind another call of the
/// same extension becomes a `decision_timeout` fallback: with the default `fail_closed` the call
/// is denied in enforcing phases, and every such call counts as a controller error in the
/// rollout window (which rolls the rollout back past `max_error_rate`). An extension can thus
/// manufacture controller errors by issuing calls concurrently.
#[test]
fn time_queued_for_the_extension_lock_is_not_decision_time() {
    let clock = QueueClock {
        reads_a: Arc::new(AtomicU64::new(0)),
        reads_b: Arc::new(AtomicU64::new(0)),
        b_arrived: Arc::new((Mutex::new(false), std::sync::Condvar::new())),
    };
    let manager = Arc::new(risk_only(RolloutPhase::EnforceAll, clock));
    let errors_before = manager.rollout_state().window_stats.error_count;
    let m = Arc::clone(&manager);
    let a = std::thread::Builder::new()
        .name("a".into())
        .spawn(move || m.evaluate_hostcall(&benign("ext", "a-1")).unwrap())
        .unwrap();
    // Let a take the extension's lock first.
    while clock_reads(&manager) < 1 {
        std::thread::yield_now();
    }
    let m = Arc::clone(&manager);
    let b = std::thread::Builder::new()
        .name("b".into())
        .spawn(move || m.evaluate_hostcall(&benign("ext", "b-1")).unwrap())
        .unwrap();
    let va = a.join().unwrap();
    let vb = b.join().unwrap();
    assert_eq!(va.fallback(), None);
    assert_eq!(
        vb.fallback(),
        None,
        "a benign read that waited for its extension's lock fell back as a decision timeout \
         (blocked: {}, reason {})",
        vb.is_blocked(),
        vb.reason_code()
    );
    assert!(!vb.is_blocked());
    assert_eq!(manager.rollout_state().window_stats.error_count, errors_before);

    fn clock_reads(_m: &ExtensionManager) -> u64 {
        // a's first read happens before it locks; give it a moment to reach its decision.
        std::thread::sleep(std::time::Duration::from_millis(50));
        1
    }
}

/// `selected_action` now records the model's counterfactual in shadow and log_only; the
/// incident summary still counts `selected_action` as "deny or terminate" decisions, so a
/// bundle of a shadow rollout where nothing was ever denied reports denials (before issue 15,
/// `selected_action` was what was applied and the count was of real denials).
#[test]
fn the_incident_summary_does_not_count_shadow_counterfactuals_as_denials() {
    let clock = ManualClock::new(1_000);
    let manager = risk_only(RolloutPhase::Shadow, clock.clone());
    manager
        .evaluate_hostcall(&secret_env("ext", "env"))
        .unwrap();
    for i in 0..4 {
        clock.advance_ms(500);
        let v = manager
            .evaluate_hostcall(&upload("ext", &format!("up-{i}")))
            .unwrap();
        assert!(!v.is_blocked());
        assert_eq!(v.state(), EnforcementState::Allow);
    }
    let bundle = manager.incident_evidence_bundle(
        &IncidentBundleFilter::default(),
        &IncidentBundleRedactionPolicy::default(),
    );
    assert_eq!(
        bundle.summary.deny_or_terminate_count, 0,
        "shadow denied nothing, the summary says it denied or terminated calls"
    );
}
