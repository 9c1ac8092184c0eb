//! The manager signs checkpoints of its durable ledger as it goes, and a restarted manager
//! checks the file against the last one: an attacker who can write the ledger but does not hold
//! the key cannot cut it or re-chain it unnoticed (issue 14).

#![expect(
    clippy::unwrap_used,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    check_ledger_against_checkpoint, open_checkpoint, BuildError, CheckpointErrorCode,
    CheckpointEvery, DamagedLedger, DurableLedger, ExtensionManager, ExtensionManagerBuilder,
    ExtensionTrustState, FsyncPolicy, HostCall, HysteresisConfig, LedgerEntry, ManualClock,
    NoteName, RuntimeRiskConfig, RuntimeRiskLedgerArtifact, SignerKey,
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

/// What an attacker with the file but not the key does: drop entries and re-chain the rest,
/// every seq, digest and link recomputed, so the file verifies on its own.
fn rechain(mut entries: Vec<LedgerEntry>) -> Vec<LedgerEntry> {
    let mut prev = hostguard_manager::Digest::GENESIS;
    let mut buf = Vec::new();
    for (seq, e) in entries.iter_mut().enumerate() {
        e.seq = seq as u64;
        e.prev_ledger_hash = prev;
        e.body_digest = e.recompute_body_digest(&mut buf).unwrap().unwrap();
        e.ledger_hash = e.recompute_ledger_hash();
        prev = e.ledger_hash;
    }
    entries
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
