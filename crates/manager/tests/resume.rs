//! A restarted host goes on where the last one stopped (issue 14 "resume = replay"): the
//! manager rebuilt on the same durable ledger restores kill switches, quarantines, hysteresis
//! state, the rollout phase with its rollback provenance, the rollback trigger and the risk
//! configuration; a damaged file refuses the build or starts fail-closed; a torn tail is
//! reported.

#![expect(
    clippy::unwrap_used,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

use std::path::{Path, PathBuf};

use hostguard_manager::{
    verify_runtime_risk_ledger_artifact, BuildError, DamagedLedger, EnforcementState, EntryPayload,
    ExtensionManager, ExtensionManagerBuilder, ExtensionPolicy, ExtensionTrustState, FsyncPolicy,
    HostCall, ManualClock, PolicyProfile, QuotaLimits, RollbackTrigger, RolloutPhase,
    RuntimeRiskConfig, SecurityAlertCategory, SecurityAlertSeverity,
};
use serde_json::json;

fn builder(path: &Path, clock: &ManualClock, phase: RolloutPhase) -> ExtensionManagerBuilder {
    ExtensionManager::builder()
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
        .quota(QuotaLimits::UNLIMITED)
        .rollout_phase(phase)
        .rng_seed(7)
        .clock(clock.clone())
        .durable_ledger(path, FsyncPolicy::EveryEntry)
}

fn start(path: &Path, clock: &ManualClock, phase: RolloutPhase) -> ExtensionManager {
    builder(path, clock, phase).build().unwrap()
}

fn ledger_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    (dir, path)
}

fn call(ext: &str, id: &str, method: &str, params: serde_json::Value) -> HostCall {
    HostCall::new(ext, id, method, params)
}

fn benign(ext: &str, id: &str) -> HostCall {
    call(ext, id, "fs", json!({"op": "read", "path": "src/main.rs"}))
}

/// A secret read, then uploads to a public host: Terminate on the third unsafe evaluation.
fn exfiltrate(manager: &ExtensionManager, clock: &ManualClock, ext: &str) {
    let env = call(ext, "env", "env", json!({"name": "AWS_SECRET_ACCESS_KEY"}));
    manager.evaluate_hostcall(&env).unwrap();
    for i in 0..4 {
        clock.advance_ms(500);
        let up = call(
            ext,
            &format!("up-{i}"),
            "http",
            json!({"url": "https://collector.example.net/upload", "method": "POST"}),
        );
        manager.evaluate_hostcall(&up).unwrap();
    }
}

/// The whole file verifies as one chain (every restart continued it).
fn assert_file_verifies(path: &Path) -> Vec<hostguard_manager::LedgerEntry> {
    let mut entries = Vec::new();
    hostguard_manager::DurableLedger::read(path, &mut |e| entries.push(e)).unwrap();
    let artifact = hostguard_manager::RuntimeRiskLedgerArtifact::from_entries(
        0,
        RuntimeRiskConfig::default(),
        hostguard_manager::HysteresisConfig::default(),
        entries.clone(),
    );
    let report = verify_runtime_risk_ledger_artifact(&artifact);
    assert!(report.valid, "{:?}", report.errors);
    entries
}

#[test]
fn a_new_ledger_has_no_resume_report_and_a_restart_has_one() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    assert!(manager.resume_report().is_none());
    manager.evaluate_hostcall(&benign("ext", "c1")).unwrap();
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    let report = manager.resume_report().unwrap();
    assert_eq!(report.entries_found, 2);
    assert_eq!(report.truncated_bytes, 0);
    assert_eq!(report.extensions, 1);
    assert!(report.overridden.is_empty(), "{:?}", report.overridden);
    let entries = assert_file_verifies(&path);
    let last = entries.last().unwrap().payload().unwrap();
    assert!(
        matches!(last, EntryPayload::Resume(r) if r.entries_found == 2),
        "{last:?}"
    );
}

#[test]
fn the_kill_switch_survives_a_restart_in_every_phase() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    manager.evaluate_hostcall(&benign("evil", "c1")).unwrap();
    assert!(manager.set_kill_switch("evil", true, "INC-7"));
    assert!(manager.set_kill_switch("never-called", true, "pre-emptive"));
    drop(manager);

    let manager = start(&path, &clock, RolloutPhase::Shadow);
    for ext in ["evil", "never-called"] {
        assert_eq!(
            manager.trust_state(ext),
            ExtensionTrustState::Killed,
            "{ext}"
        );
        let v = manager.evaluate_hostcall(&benign(ext, "after")).unwrap();
        assert!(v.is_blocked(), "{ext}: {v:?}");
        assert_eq!(v.reason_code(), "kill_switch");
    }
    assert_eq!(
        manager.resume_report().unwrap().killed,
        ["evil", "never-called"]
    );
    // Lifted, then restarted: it runs again.
    assert!(manager.set_kill_switch("evil", false, "resolved"));
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    assert_eq!(manager.trust_state("evil"), ExtensionTrustState::Trusted);
    assert!(!manager
        .evaluate_hostcall(&benign("evil", "later"))
        .unwrap()
        .is_blocked());
    assert_file_verifies(&path);
}

#[test]
fn a_quarantine_and_the_hysteresis_state_survive_a_restart() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::EnforceAll);
    exfiltrate(&manager, &clock, "thief");
    assert_eq!(
        manager.trust_state("thief"),
        ExtensionTrustState::Quarantined
    );
    // A second extension left in an escalated, not terminal, state.
    let env = call(
        "edgy",
        "env",
        "env",
        json!({"name": "AWS_SECRET_ACCESS_KEY"}),
    );
    manager.evaluate_hostcall(&env).unwrap();
    let up = call(
        "edgy",
        "up",
        "http",
        json!({"url": "https://collector.example.net/upload", "method": "POST"}),
    );
    manager.evaluate_hostcall(&up).unwrap();
    let edgy_state = manager.enforcement_state("edgy").unwrap();
    assert!(edgy_state > EnforcementState::Allow, "{edgy_state:?}");
    drop(manager);

    let manager = start(&path, &clock, RolloutPhase::EnforceAll);
    assert_eq!(
        manager.trust_state("thief"),
        ExtensionTrustState::Quarantined
    );
    assert_eq!(
        manager.enforcement_state("thief"),
        Some(EnforcementState::Terminate)
    );
    assert_eq!(manager.enforcement_state("edgy"), Some(edgy_state));
    let v = manager
        .evaluate_hostcall(&benign("thief", "after"))
        .unwrap();
    assert!(v.is_blocked());
    assert_eq!(v.reason_code(), "quarantined");
    assert_eq!(manager.resume_report().unwrap().quarantined, ["thief"]);
    // The operator lifts it; that survives too.
    assert!(manager.reset_extension("thief", "false positive"));
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::EnforceAll);
    assert_eq!(manager.trust_state("thief"), ExtensionTrustState::Trusted);
    assert_eq!(
        manager.enforcement_state("thief"),
        Some(EnforcementState::Allow)
    );
    // Replay of the whole file agrees with every recorded decision across the restarts.
    let entries = assert_file_verifies(&path);
    let artifact = hostguard_manager::RuntimeRiskLedgerArtifact::from_entries(
        0,
        RuntimeRiskConfig::default(),
        hostguard_manager::HysteresisConfig::default(),
        entries,
    );
    let replay = hostguard_manager::replay_runtime_risk_ledger_artifact(&artifact).unwrap();
    assert_eq!(replay.inconsistent_count, 0);
}

#[test]
fn the_rollout_phase_and_its_rollback_provenance_survive_a_restart() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::EnforceAll);
    for _ in 0..10 {
        manager.record_rollout_decision(1, true, false);
    }
    let before = manager.rollout_state();
    assert_eq!(before.phase, RolloutPhase::Shadow);
    assert_eq!(before.rolled_back_from, Some(RolloutPhase::EnforceAll));
    drop(manager);

    // The host restarts asking for enforce_all again: the rollback is not undone.
    let manager = start(&path, &clock, RolloutPhase::EnforceAll);
    let after = manager.rollout_state();
    assert_eq!(after.phase, RolloutPhase::Shadow);
    assert_eq!(after.rolled_back_from, Some(RolloutPhase::EnforceAll));
    assert_eq!(after.transition_count, before.transition_count);
    assert!(!manager.runtime_risk_config().enforce);
    let report = manager.resume_report().unwrap();
    assert_eq!(report.overridden, ["rollout_phase"]);
    assert_eq!(report.rolled_back_from, Some(RolloutPhase::EnforceAll));
    // An operator move after the restart is recorded and survives the next one.
    assert!(manager.set_rollout_phase(RolloutPhase::EnforceNew));
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    let state = manager.rollout_state();
    assert_eq!(state.phase, RolloutPhase::EnforceNew);
    assert_eq!(state.rolled_back_from, None);
    assert!(manager.runtime_risk_config().enforce);
}

#[test]
fn enforce_new_still_spares_extensions_first_seen_before_the_phase_after_a_restart() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    manager.evaluate_hostcall(&benign("old", "c0")).unwrap();
    assert!(manager.set_rollout_phase(RolloutPhase::EnforceNew));
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    exfiltrate(&manager, &clock, "old");
    exfiltrate(&manager, &clock, "new");
    assert_ne!(manager.trust_state("old"), ExtensionTrustState::Quarantined);
    assert_eq!(manager.trust_state("new"), ExtensionTrustState::Quarantined);
}

#[test]
fn the_rollback_trigger_and_the_risk_config_survive_a_restart() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    let trigger = RollbackTrigger {
        max_error_rate: 0.5,
        ..RollbackTrigger::default()
    };
    manager.set_rollback_trigger(trigger).unwrap();
    let tuned = RuntimeRiskConfig {
        alpha: 0.01,
        cooldown_calls: 9,
        ..manager.runtime_risk_config()
    };
    assert!(manager.set_runtime_risk_config(tuned).unwrap());
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    assert_eq!(manager.rollout_state().trigger, trigger);
    let config = manager.runtime_risk_config();
    assert_eq!((config.alpha, config.cooldown_calls), (0.01, 9));
    let mut overridden = manager.resume_report().unwrap().overridden.clone();
    overridden.sort_unstable();
    assert_eq!(overridden, ["risk_config", "rollback_trigger"]);
    // Nothing changed, so the restart wrote no config entry: only the resume.
    let entries = assert_file_verifies(&path);
    let kinds: Vec<_> = entries
        .iter()
        .rev()
        .take(2)
        .map(|e| e.payload().unwrap().kind_name())
        .collect();
    assert_eq!(kinds, ["resume", "config_change"]);
}

fn tamper_line(path: &Path, index: usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = lines.get_mut(index).unwrap();
    let at = line.find("\"ts_ms\":").unwrap() + "\"ts_ms\":".len();
    line.insert(at, '9');
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_tampered_file_refuses_to_build_and_names_the_first_invalid_index() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    for i in 0..4 {
        manager
            .evaluate_hostcall(&benign("ext", &format!("c{i}")))
            .unwrap();
    }
    assert!(manager.set_kill_switch("ext", true, "INC-9"));
    drop(manager);
    let original = std::fs::read(&path).unwrap();
    let lines = original.iter().filter(|b| **b == b'\n').count();
    // The middle, and the last complete line (the kill switch: it must not vanish).
    for index in [2, lines - 1] {
        std::fs::write(&path, &original).unwrap();
        tamper_line(&path, index);
        let tampered = std::fs::read(&path).unwrap();
        match builder(&path, &clock, RolloutPhase::Shadow).build() {
            Err(BuildError::LedgerDamaged {
                first_invalid_index,
                ..
            }) => assert_eq!(first_invalid_index, index as u64),
            other => panic!("line {index}: {other:?}"),
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            tampered,
            "nothing changed on disk"
        );
    }
}

#[test]
fn a_damaged_file_can_start_fail_closed_with_every_extension_quarantined() {
    let (dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    manager.evaluate_hostcall(&benign("known", "c0")).unwrap();
    drop(manager);
    tamper_line(&path, 1);
    let damaged = std::fs::read(&path).unwrap();

    clock.advance_ms(5);
    let manager = builder(&path, &clock, RolloutPhase::Shadow)
        .damaged_ledger(DamagedLedger::FailClosed)
        .build()
        .unwrap();
    let report = manager.resume_report().unwrap();
    let fail = report.fail_closed.as_ref().unwrap();
    assert_eq!(fail.first_invalid_index, Some(1));
    assert_eq!(fail.moved_to, dir.path().join("ledger.jsonl.damaged-1005"));
    assert_eq!(
        std::fs::read(&fail.moved_to).unwrap(),
        damaged,
        "nothing lost"
    );
    for ext in ["known", "stranger"] {
        let v = manager.evaluate_hostcall(&benign(ext, "c1")).unwrap();
        assert!(v.is_blocked(), "{ext}");
        assert_eq!(v.reason_code(), "quarantined");
    }
    let alert = manager
        .security_alerts()
        .into_iter()
        .find(|a| a.category == SecurityAlertCategory::LedgerIntegrity)
        .unwrap();
    assert_eq!(alert.severity, SecurityAlertSeverity::Critical);
    let triage = manager.triage(&alert);
    assert_eq!(triage.severity, hostguard_manager::IncidentSeverity::P0);
    // An operator lifts one extension; it runs, and stays lifted across a restart, while the
    // chain stays fail-closed for the others.
    assert!(manager.reset_extension("known", "reviewed"));
    assert!(!manager
        .evaluate_hostcall(&benign("known", "c2"))
        .unwrap()
        .is_blocked());
    drop(manager);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    assert_eq!(manager.trust_state("known"), ExtensionTrustState::Trusted);
    assert_eq!(
        manager.trust_state("stranger"),
        ExtensionTrustState::Quarantined
    );
    assert!(manager
        .evaluate_hostcall(&benign("newcomer", "c3"))
        .unwrap()
        .is_blocked());
    assert_file_verifies(&path);
}

#[test]
fn a_torn_tail_is_cut_reported_and_alerted() {
    let (_dir, path) = ledger_file();
    let clock = ManualClock::new(1_000);
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    manager.evaluate_hostcall(&benign("ext", "c0")).unwrap();
    drop(manager);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":2,\"ts_ms\":10");
    std::fs::write(&path, &bytes).unwrap();
    let manager = start(&path, &clock, RolloutPhase::Shadow);
    let report = manager.resume_report().unwrap();
    assert_eq!(report.truncated_bytes, 19);
    assert_eq!(report.entries_found, 2);
    let alert = manager
        .security_alerts()
        .into_iter()
        .find(|a| a.category == SecurityAlertCategory::LedgerIntegrity)
        .unwrap();
    assert_eq!(alert.severity, SecurityAlertSeverity::Warning);
    assert!(alert.reason.contains("19 bytes"), "{}", alert.reason);
    assert_file_verifies(&path);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Benign(u8),
        SecretRead(u8),
        Upload(u8),
        Kill(u8, bool),
        Reset(u8),
        Phase(RolloutPhase),
        Health(bool, bool),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0u8..3).prop_map(Step::Benign),
            2 => (0u8..3).prop_map(Step::SecretRead),
            3 => (0u8..3).prop_map(Step::Upload),
            1 => ((0u8..3), any::<bool>()).prop_map(|(e, on)| Step::Kill(e, on)),
            1 => (0u8..3).prop_map(Step::Reset),
            1 => proptest::sample::select(PHASES.to_vec()).prop_map(Step::Phase),
            2 => (any::<bool>(), any::<bool>()).prop_map(|(err, fp)| Step::Health(err, fp)),
        ]
    }

    const PHASES: [RolloutPhase; 4] = [
        RolloutPhase::Shadow,
        RolloutPhase::LogOnly,
        RolloutPhase::EnforceNew,
        RolloutPhase::EnforceAll,
    ];

    fn apply(m: &ExtensionManager, clock: &ManualClock, i: usize, s: &Step) {
        clock.advance_ms(250);
        let ext = |e: &u8| format!("ext-{e}");
        let id = format!("c{i}");
        match s {
            Step::Benign(e) => drop(m.evaluate_hostcall(&benign(&ext(e), &id))),
            Step::SecretRead(e) => {
                let c = call(
                    &ext(e),
                    &id,
                    "env",
                    json!({"name": "AWS_SECRET_ACCESS_KEY"}),
                );
                drop(m.evaluate_hostcall(&c));
            }
            Step::Upload(e) => {
                let c = call(
                    &ext(e),
                    &id,
                    "http",
                    json!({"url": "https://collector.example.net/u", "method": "POST"}),
                );
                drop(m.evaluate_hostcall(&c));
            }
            Step::Kill(e, on) => drop(m.set_kill_switch(&ext(e), *on, "op")),
            Step::Reset(e) => drop(m.reset_extension(&ext(e), "op")),
            Step::Phase(p) => drop(m.set_rollout_phase(*p)),
            Step::Health(err, fp) => drop(m.record_rollout_decision(1, *err, *fp)),
        }
    }

    type Observed = (
        Vec<(ExtensionTrustState, Option<EnforcementState>)>,
        RolloutPhase,
        Option<RolloutPhase>,
        u64,
        bool,
    );

    fn observe(m: &ExtensionManager) -> Observed {
        let exts = (0..3)
            .map(|e| {
                let id = format!("ext-{e}");
                (m.trust_state(&id), m.enforcement_state(&id))
            })
            .collect();
        let r = m.rollout_state();
        (
            exts,
            r.phase,
            r.rolled_back_from,
            r.transition_count,
            m.runtime_risk_config().enforce,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever happened before, a restart observes the same trust, enforcement state and
        /// rollout, and the file stays one verifiable chain that replay agrees with.
        #[test]
        fn a_restart_observes_what_the_last_process_left(
            steps in proptest::collection::vec(step(), 1..40),
            phase in proptest::sample::select(PHASES.to_vec()),
        ) {
            let (_dir, path) = ledger_file();
            let clock = ManualClock::new(1_000);
            let m = start(&path, &clock, phase);
            for (i, s) in steps.iter().enumerate() {
                apply(&m, &clock, i, s);
            }
            let before = observe(&m);
            drop(m);
            let m = start(&path, &clock, RolloutPhase::EnforceAll);
            prop_assert_eq!(observe(&m), before);
            let entries = assert_file_verifies(&path);
            let artifact = hostguard_manager::RuntimeRiskLedgerArtifact::from_entries(
                0,
                RuntimeRiskConfig::default(),
                hostguard_manager::HysteresisConfig::default(),
                entries,
            );
            let replay = hostguard_manager::replay_runtime_risk_ledger_artifact(&artifact).unwrap();
            prop_assert_eq!(replay.inconsistent_count, 0);
        }
    }
}
