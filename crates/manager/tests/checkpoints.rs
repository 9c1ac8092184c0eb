//! The manager signs checkpoints of its durable ledger as it goes, and a restarted manager
//! checks the file against the last one: an attacker who can write the ledger but does not hold
//! the key cannot cut it or re-chain it unnoticed (issue 14).

#![expect(
    clippy::unwrap_used,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

#[path = "../../ledger/tests/support/rechain.rs"]
mod rechain;
use rechain::rechain;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    check_ledger_against_checkpoint, open_checkpoint, BuildError, CheckpointErrorCode,
    CheckpointEvery, ConfigChangeRecord, DamagedLedger, DurableLedger, EntryPayload,
    ExtensionManager, ExtensionManagerBuilder, ExtensionTrustState, FsyncPolicy, HostCall,
    HysteresisConfig, KillSwitchRecord, LedgerEntry, ManualClock, NoteName, RiskStateResetRecord,
    RolloutTransitionRecord, RuntimeRiskConfig, RuntimeRiskLedgerArtifact, SignerKey,
};
use serde_json::json;

const SEED: [u8; 32] = [7; 32];

fn key() -> SignerKey {
    SignerKey::from_seed(NoteName::new("hostguard.test/ledger").unwrap(), &SEED)
}

struct Files {
    _dir: tempfile::TempDir,
    ledger: PathBuf,
    checkpoint: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    Files {
        ledger: dir.path().join("ledger.jsonl"),
        checkpoint: dir.path().join("ledger.checkpoint"),
        _dir: dir,
    }
}

fn builder(f: &Files, clock: &ManualClock, signer: SignerKey) -> ExtensionManagerBuilder {
    ExtensionManager::builder()
        .rng_seed(3)
        .clock(clock.clone())
        .durable_ledger(&f.ledger, FsyncPolicy::Never)
        .checkpoints(
            &f.checkpoint,
            signer,
            CheckpointEvery {
                entries: NonZeroU64::new(5),
                interval_ms: None,
            },
        )
}

fn start(f: &Files, clock: &ManualClock) -> ExtensionManager {
    builder(f, clock, key()).build().unwrap()
}

fn read(ext: &str, id: &str) -> HostCall {
    HostCall::new(ext, id, "fs", json!({"op": "read", "path": "src/main.rs"}))
}

fn entries(path: &Path) -> Vec<LedgerEntry> {
    let mut entries = Vec::new();
    DurableLedger::read(path, &mut |e| entries.push(e)).unwrap();
    entries
}

fn artifact(entries: Vec<LedgerEntry>) -> RuntimeRiskLedgerArtifact {
    RuntimeRiskLedgerArtifact::from_entries(
        0,
        RuntimeRiskConfig::default(),
        HysteresisConfig::default(),
        entries,
    )
}

fn write_entries(path: &Path, entries: &[LedgerEntry]) {
    let lines: Vec<String> = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// A ledger with a killed extension, checkpointed, then the manager dropped.
fn incident(f: &Files, clock: &ManualClock) {
    let m = start(f, clock);
    for i in 0..6 {
        clock.advance_ms(10);
        m.evaluate_hostcall(&read("evil", &format!("c{i}")))
            .unwrap();
    }
    assert!(m.set_kill_switch("evil", true, "INC-1"));
    assert_eq!(m.write_checkpoint(), Some(Ok(())));
    drop(m);
}

#[test]
fn checkpoints_are_signed_as_the_ledger_grows_and_match_it() {
    let f = files();
    let clock = ManualClock::new(1_000);
    let m = start(&f, &clock);
    assert_eq!(m.checkpoint_status().unwrap().written, 1, "one at build");
    for i in 0..12 {
        m.evaluate_hostcall(&read("ext", &format!("c{i}"))).unwrap();
    }
    let status = m.checkpoint_status().unwrap();
    // 1 genesis entry + 12 decisions: sizes 1 (build), 6, 11.
    assert_eq!((status.written, status.last_size), (3, 11), "{status:?}");
    assert_eq!(status.failures, 0);
    drop(m);
    let text = std::fs::read(&f.checkpoint).unwrap();
    let verified = open_checkpoint(&text, &key().verifier(), key().name()).unwrap();
    assert_eq!(verified.checkpoint().size(), 11);
    let coverage =
        check_ledger_against_checkpoint(&artifact(entries(&f.ledger)), &verified).unwrap();
    assert_eq!((coverage.covered, coverage.after), (11, 2));
}

#[test]
fn a_restart_on_an_untouched_ledger_checks_and_goes_on() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let m = start(&f, &clock);
    assert_eq!(m.trust_state("evil"), ExtensionTrustState::Killed);
    let held = entries(&f.ledger).len() as u64;
    assert_eq!(m.checkpoint_status().unwrap().last_size, held);
}

#[test]
fn a_rechained_ledger_without_the_kill_switch_is_refused() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let all = entries(&f.ledger);
    let kill = all
        .iter()
        .position(|e| e.payload().map(|p| p.kind_name()) == Some("kill_switch"))
        .unwrap();
    // Drop the kill switch, re-chain, and pad with a benign-looking copy so the count holds.
    let mut forged: Vec<LedgerEntry> = all.clone();
    forged.remove(kill);
    forged.push(all[1].clone());
    let forged = rechain(forged);
    assert_eq!(forged.len(), all.len());
    write_entries(&f.ledger, &forged);
    assert!(
        hostguard_manager::verify_runtime_risk_ledger_artifact(&artifact(forged)).valid,
        "the forgery verifies on its own"
    );
    match builder(&f, &clock, key()).build() {
        Err(BuildError::CheckpointRefused {
            first_invalid_index,
            source,
            ..
        }) => {
            assert_eq!(source.code(), CheckpointErrorCode::HeadMismatch);
            assert_eq!(first_invalid_index, Some(all.len() as u64 - 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cut_tail_and_a_cut_head_are_refused() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let all = entries(&f.ledger);
    // Tail: the kill switch and what follows it removed.
    write_entries(&f.ledger, &all[..all.len() - 2]);
    match builder(&f, &clock, key()).build() {
        Err(BuildError::CheckpointRefused { source, .. }) => {
            assert_eq!(source.code(), CheckpointErrorCode::TailCut);
        }
        other => panic!("{other:?}"),
    }
    // Head: the first entries removed, the rest re-chained from genesis.
    write_entries(&f.ledger, &rechain(all[2..].to_vec()));
    match builder(&f, &clock, key()).build() {
        Err(BuildError::CheckpointRefused { source, .. }) => {
            assert_eq!(source.code(), CheckpointErrorCode::TailCut);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let other = SignerKey::from_seed(NoteName::new("hostguard.test/ledger").unwrap(), &[9; 32]);
    match builder(&f, &clock, other).build() {
        Err(BuildError::CheckpointRefused {
            first_invalid_index: None,
            source,
            ..
        }) => assert_eq!(source.code(), CheckpointErrorCode::UnknownKey),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_contradicted_checkpoint_can_start_fail_closed() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let all = entries(&f.ledger);
    write_entries(&f.ledger, &all[..all.len() - 2]);
    let m = builder(&f, &clock, key())
        .damaged_ledger(DamagedLedger::FailClosed)
        .build()
        .unwrap();
    let fail = m.resume_report().unwrap().fail_closed.clone().unwrap();
    assert!(fail.error.contains("checkpoint_tail_cut"), "{}", fail.error);
    assert_eq!(m.trust_state("evil"), ExtensionTrustState::Unknown);
    assert!(m
        .evaluate_hostcall(&read("evil", "x"))
        .unwrap()
        .is_blocked());
    // The old checkpoint was moved aside with the ledger; a new one pins the new chain.
    let text = std::fs::read(&f.checkpoint).unwrap();
    let verified = open_checkpoint(&text, &key().verifier(), key().name()).unwrap();
    check_ledger_against_checkpoint(&artifact(entries(&f.ledger)), &verified).unwrap();
}

#[test]
fn checkpoints_need_a_durable_ledger() {
    let err = ExtensionManager::builder()
        .checkpoints("c", key(), CheckpointEvery::default())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, BuildError::CheckpointsNeedDurableLedger),
        "{err}"
    );
}

/// Appends `payload`-carrying copies of `template` after the last entry, chained as the file's
/// owner would: what an attacker with write access but no key can do.
fn extend(mut entries: Vec<LedgerEntry>, forged: Vec<LedgerEntry>) -> Vec<LedgerEntry> {
    let mut buf = Vec::new();
    for mut e in forged {
        let last = entries.last().unwrap();
        e.seq = last.seq + 1;
        e.prev_ledger_hash = last.ledger_hash;
        e.body_digest = e.recompute_body_digest(&mut buf).unwrap().unwrap();
        e.ledger_hash = e.recompute_ledger_hash();
        entries.push(e);
    }
    entries
}

fn with_payload(template: &LedgerEntry, ext: Option<&str>, payload: EntryPayload) -> LedgerEntry {
    let mut e = template.clone();
    e.extension_id = ext.map(str::to_owned);
    e.body = hostguard_manager::EntryBody::Full(payload);
    e
}

fn refused_with(f: &Files, clock: &ManualClock, code: CheckpointErrorCode) {
    let before = std::fs::read(&f.ledger).unwrap();
    let err = builder(f, clock, key()).build().err();
    let found = match &err {
        Some(BuildError::CheckpointRefused { source, .. }) => Some(source.code()),
        _ => None,
    };
    assert_eq!(found, Some(code), "{err:?}");
    assert_eq!(
        std::fs::read(&f.ledger).unwrap(),
        before,
        "refusing changes nothing"
    );
}

#[test]
fn entries_appended_after_the_last_checkpoint_cannot_loosen_anything() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let all = entries(&f.ledger);
    let t = all.last().unwrap().clone();
    let lift = EntryPayload::KillSwitch(KillSwitchRecord {
        engaged: false,
        reason: "forged".into(),
    });
    let off = RuntimeRiskConfig {
        enabled: false,
        ..RuntimeRiskConfig::default()
    };
    let config = EntryPayload::ConfigChange(ConfigChangeRecord {
        config: off,
        hysteresis: HysteresisConfig::default(),
    });
    let to_shadow = EntryPayload::RolloutTransition(RolloutTransitionRecord {
        from: "enforce_all".into(),
        to: "shadow".into(),
        reason: "operator_set".into(),
    });
    let reset = EntryPayload::RiskStateReset(RiskStateResetRecord {
        reason: "forged".into(),
    });
    for (ext, payload) in [
        (Some("evil"), lift),
        (None, config),
        (None, to_shadow),
        (Some("evil"), reset),
    ] {
        let forged = extend(all.clone(), vec![with_payload(&t, ext, payload)]);
        write_entries(&f.ledger, &forged);
        refused_with(&f, &clock, CheckpointErrorCode::UnpinnedControl);
    }
    // A tightening entry after it is accepted: a kill switch engaged.
    let kill = EntryPayload::KillSwitch(KillSwitchRecord {
        engaged: true,
        reason: "late".into(),
    });
    write_entries(
        &f.ledger,
        &extend(all, vec![with_payload(&t, Some("other"), kill)]),
    );
    let m = start(&f, &clock);
    assert_eq!(m.trust_state("other"), ExtensionTrustState::Killed);
}

#[test]
fn a_deleted_checkpoint_refuses_a_ledger_unless_it_is_adopted() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    std::fs::remove_file(&f.checkpoint).unwrap();
    refused_with(&f, &clock, CheckpointErrorCode::Missing);
    let m = builder(&f, &clock, key())
        .adopt_uncheckpointed_ledger()
        .build()
        .unwrap();
    assert_eq!(m.trust_state("evil"), ExtensionTrustState::Killed);
    assert!(f.checkpoint.exists(), "checkpointed from this start on");
}

#[test]
fn refusing_a_file_leaves_its_torn_tail_on_disk() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    // The last (pinned) line loses its newline: it now reads as a torn write, so the file is
    // one entry short of the checkpoint.
    let mut bytes = std::fs::read(&f.ledger).unwrap();
    bytes.pop();
    std::fs::write(&f.ledger, &bytes).unwrap();
    refused_with(&f, &clock, CheckpointErrorCode::TailCut);
}

#[test]
fn a_fail_closed_start_carries_kill_switches_over_and_keeps_them() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    std::fs::write(&f.checkpoint, b"garbage").unwrap();
    let m = builder(&f, &clock, key())
        .damaged_ledger(DamagedLedger::FailClosed)
        .build()
        .unwrap();
    assert_eq!(m.trust_state("evil"), ExtensionTrustState::Killed);
    // An operator reset lifts a quarantine, never a kill switch.
    m.reset_extension("evil", "review");
    assert!(m
        .evaluate_hostcall(&read("evil", "x"))
        .unwrap()
        .is_blocked());
    drop(m);
    let m = start(&f, &clock);
    assert_eq!(m.trust_state("evil"), ExtensionTrustState::Killed);
}

#[test]
fn a_failing_checkpoint_write_is_an_alert() {
    let f = files();
    let clock = ManualClock::new(1_000);
    let m = start(&f, &clock);
    // The side file the write goes through cannot be created.
    std::fs::create_dir(f.checkpoint.with_extension("checkpoint.tmp")).unwrap();
    assert!(m.set_kill_switch("evil", true, "INC-2"));
    let status = m.checkpoint_status().unwrap();
    assert_eq!(status.failures, 1, "{status:?}");
    let alert = m
        .security_alerts()
        .into_iter()
        .find(|a| {
            a.reason_codes
                .iter()
                .any(|c| c == "checkpoint_write_failed")
        })
        .unwrap();
    assert_eq!(
        alert.category,
        hostguard_manager::SecurityAlertCategory::LedgerIntegrity
    );
}

#[test]
fn decisions_appended_after_the_last_checkpoint_cannot_lower_a_state() {
    let f = files();
    let clock = ManualClock::new(1_000);
    let m = builder(&f, &clock, key())
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .policy(hostguard_manager::ExtensionPolicy::from_profile(
            hostguard_manager::PolicyProfile::Permissive,
        ))
        .rollout_phase(hostguard_manager::RolloutPhase::EnforceAll)
        .build()
        .unwrap();
    m.evaluate_hostcall(&read("calm", "c0")).unwrap();
    let env = HostCall::new(
        "thief",
        "e",
        "env",
        json!({"name": "AWS_SECRET_ACCESS_KEY"}),
    );
    m.evaluate_hostcall(&env).unwrap();
    let up = HostCall::new(
        "thief",
        "u",
        "http",
        json!({"url": "https://collector.example.net/u", "method": "POST"}),
    );
    m.evaluate_hostcall(&up).unwrap();
    let pinned = m.enforcement_state("thief").unwrap();
    assert!(
        pinned > hostguard_manager::EnforcementState::Allow,
        "{pinned:?}"
    );
    assert_eq!(m.write_checkpoint(), Some(Ok(())));
    drop(m);
    // Forged calm decisions for `thief`, each claiming it went back to Allow.
    let all = entries(&f.ledger);
    let calm = all
        .iter()
        .find(|e| e.extension_id.as_deref() == Some("calm") && e.decision().is_some())
        .unwrap();
    let forged: Vec<LedgerEntry> = (0..20)
        .map(|_| {
            let mut e = calm.clone();
            e.extension_id = Some("thief".into());
            e
        })
        .collect();
    write_entries(&f.ledger, &extend(all, forged));
    let m = builder(&f, &clock, key())
        .policy(hostguard_manager::ExtensionPolicy::from_profile(
            hostguard_manager::PolicyProfile::Permissive,
        ))
        .build()
        .unwrap();
    assert!(m.enforcement_state("thief").unwrap() >= pinned);
}

#[test]
fn an_elided_line_in_the_signed_part_is_refused() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    let mut all = entries(&f.ledger);
    let kill = all
        .iter()
        .position(|e| e.payload().map(|p| p.kind_name()) == Some("kill_switch"))
        .unwrap();
    // Same hashes, no content: the checkpoint still matches, the kill switch would vanish.
    all[kill] = all[kill].elided();
    write_entries(&f.ledger, &all);
    let before = std::fs::read(&f.ledger).unwrap();
    let err = builder(&f, &clock, key()).build().err();
    let index = match &err {
        Some(BuildError::LedgerDamaged {
            first_invalid_index,
            ..
        }) => Some(*first_invalid_index),
        _ => None,
    };
    assert_eq!(index, Some(kill as u64), "{err:?}");
    assert_eq!(std::fs::read(&f.ledger).unwrap(), before);
}

#[test]
fn unpinned_transitions_and_trust_changes_are_judged_against_the_folded_state() {
    let f = files();
    let clock = ManualClock::new(1_000);
    let m = builder(&f, &clock, key())
        .rollout_phase(hostguard_manager::RolloutPhase::EnforceNew)
        .damaged_ledger(DamagedLedger::Refuse)
        .build()
        .unwrap();
    m.evaluate_hostcall(&read("ext", "c")).unwrap();
    drop(m);
    let all = entries(&f.ledger);
    let t = all.last().unwrap().clone();
    let transition = |from: &str, to: &str| {
        EntryPayload::RolloutTransition(RolloutTransitionRecord {
            from: from.into(),
            to: to.into(),
            reason: "operator_set".into(),
        })
    };
    let trust = |to: &str| {
        EntryPayload::TrustChange(hostguard_manager::TrustChangeRecord {
            from: "quarantined".into(),
            to: to.into(),
            reason: "forged".into(),
        })
    };
    for (ext, payload) in [
        // A `from` that is not the phase the gate is in, down to shadow.
        (None, transition("shadow", "shadow")),
        // The same phase again: it would move the enforce_new epoch and spare every extension.
        (None, transition("enforce_new", "enforce_new")),
        // A trust change to anything but a quarantine.
        (Some("ext"), trust("killed")),
        (Some("ext"), trust("trusted")),
    ] {
        write_entries(
            &f.ledger,
            &extend(all.clone(), vec![with_payload(&t, ext, payload)]),
        );
        refused_with(&f, &clock, CheckpointErrorCode::UnpinnedControl);
    }
    // A real move up from the phase the gate is in is kept.
    let up = transition("enforce_new", "enforce_all");
    write_entries(&f.ledger, &extend(all, vec![with_payload(&t, None, up)]));
    let m = start(&f, &clock);
    assert_eq!(
        m.rollout_phase(),
        hostguard_manager::RolloutPhase::EnforceAll
    );
}

#[test]
fn require_checkpoint_refuses_a_start_with_both_files_gone() {
    let f = files();
    let clock = ManualClock::new(1_000);
    incident(&f, &clock);
    std::fs::remove_file(&f.ledger).unwrap();
    std::fs::remove_file(&f.checkpoint).unwrap();
    let err = builder(&f, &clock, key())
        .require_checkpoint()
        .build()
        .err();
    let code = match &err {
        Some(BuildError::CheckpointRefused { source, .. }) => Some(source.code()),
        _ => None,
    };
    assert_eq!(code, Some(CheckpointErrorCode::Missing), "{err:?}");
}

#[test]
fn too_many_extensions_are_refused_before_anything_changes_on_disk() {
    let f = files();
    let clock = ManualClock::new(1_000);
    let m = start(&f, &clock);
    for i in 0..5 {
        m.evaluate_hostcall(&read(&format!("ext-{i}"), "c"))
            .unwrap();
    }
    drop(m);
    let mut bytes = std::fs::read(&f.ledger).unwrap();
    bytes.extend_from_slice(b"{\"seq\":");
    std::fs::write(&f.ledger, &bytes).unwrap();
    for policy in [DamagedLedger::Refuse, DamagedLedger::FailClosed] {
        let err = builder(&f, &clock, key())
            .max_extensions(4)
            .damaged_ledger(policy)
            .build()
            .err();
        assert!(matches!(err, Some(BuildError::Resume(_))), "{err:?}");
        assert_eq!(std::fs::read(&f.ledger).unwrap(), bytes, "torn tail kept");
        assert!(f.checkpoint.exists());
    }
}
