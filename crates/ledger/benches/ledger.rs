//! Ledger benches (docs/design.md §10): `ledger/append` beside `ledger/sha256_baseline` (SHA-256 over
//! the same entry's encoded bytes, the physical floor) in the same run, and `ledger/verify` in
//! entries per second. Fixed seeds; results in `crates/ledger/README.md`.

#![expect(
    clippy::unwrap_used,
    missing_docs,
    reason = "benches fail loudly; criterion macros generate undocumented items"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hostguard_ledger::{
    body_digest, commitment, encode_body, ledger_hash, verify_runtime_risk_ledger_artifact,
    Committed, DecisionRecord, Digest, EntryPayload, Ledger, Salt,
};
use hostguard_risk_core::{
    Capability, EnforcementState, HysteresisConfig, Posterior, RuntimeRiskConfig,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const LIMIT: usize = 2048;
const VERIFY_ENTRIES: usize = 10_000;

/// A decision of realistic size (about 400 encoded bytes).
fn payload(i: u64) -> EntryPayload {
    EntryPayload::Decision(Box::new(DecisionRecord {
        call_id: format!("call-{i:012}"),
        capability: Capability::Exec,
        method: "exec".to_owned(),
        params_hash: Committed::new(format!("{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))),
        policy_reason: "permissive_profile_allows_exec".to_owned(),
        risk_evaluated: true,
        risk_score: 0.8125,
        posterior: Posterior {
            safe: 0.2,
            suspicious: 0.3,
            unsafe_: 0.5,
        },
        triggers: vec!["critical_exec".to_owned(), "eprocess_breach".to_owned()],
        selected_action: EnforcementState::Deny,
        state_before: EnforcementState::Harden,
        state_after: EnforcementState::Deny,
        consecutive_unsafe: 1,
        enforced: true,
        rollout_phase: "enforce_all".to_owned(),
        e_process_log: 3.25,
        drift: false,
        fallback_reason: None,
        explanation_summary:
            "score 0.813: exec_base +0.400, cmd_destructive +0.250, \
                              burst_10s +0.100, novelty +0.063; target deny; triggers critical_exec"
                .to_owned(),
        applied: None,
    }))
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger");

    // The baseline: SHA-256 over exactly the bytes append hashes for the body.
    let mut encoded = Vec::new();
    encode_body(
        &mut encoded,
        &Salt([3; 16]),
        12_345,
        1_700_000_000_000,
        Some("ext-bench"),
        &payload(7),
    )
    .unwrap();
    group.throughput(Throughput::Elements(1));
    group.bench_function("sha256_baseline", |b| {
        b.iter(|| body_digest(black_box(&encoded)));
    });

    // Context, not the target: the three SHA-256 runs an append cannot avoid (body digest, chain
    // link, params commitment), on the same bytes.
    let salt = Salt([7; 16]);
    let value = "0".repeat(64);
    group.bench_function("sha256_three_runs", |b| {
        b.iter(|| {
            let d = body_digest(black_box(&encoded));
            let l = ledger_hash(black_box(&Digest::GENESIS), &d);
            (l, commitment(black_box(&salt), black_box(&value)))
        });
    });

    // Steady state: the ledger is full, so every append also evicts (the evicted entry is
    // handed back and dropped outside the measurement, as the manager drops it outside its lock).
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let mut ledger = Ledger::new(LIMIT).unwrap();
    for i in 0..LIMIT as u64 {
        ledger
            .append(i, Some("ext-bench".to_owned()), payload(i), &mut rng)
            .unwrap();
    }
    let template = payload(7);
    let mut ts = LIMIT as u64;
    group.bench_function("append", |b| {
        b.iter_batched(
            || (Some("ext-bench".to_owned()), template.clone()),
            |(ext, p)| {
                ts += 1;
                ledger.append(ts, ext, p, &mut rng).unwrap()
            },
            BatchSize::SmallInput,
        );
    });

    // The same, with the params commitment sealed by the caller before the critical section
    // (`Committed::seal`), as a host may do.
    let mut presealed = template.clone();
    if let EntryPayload::Decision(d) = &mut presealed {
        d.params_hash = Committed::seal(d.params_hash.value().unwrap_or_default(), &mut rng);
    }
    group.bench_function("append_presealed", |b| {
        b.iter_batched(
            || (Some("ext-bench".to_owned()), presealed.clone()),
            |(ext, p)| {
                ts += 1;
                ledger.append(ts, ext, p, &mut rng).unwrap()
            },
            BatchSize::SmallInput,
        );
    });

    let mut big = Ledger::new(VERIFY_ENTRIES).unwrap();
    for i in 0..VERIFY_ENTRIES as u64 {
        big.append(i, Some("ext-bench".to_owned()), payload(i), &mut rng)
            .unwrap();
    }
    let artifact = big.artifact(0, RuntimeRiskConfig::default(), HysteresisConfig::default());
    assert!(verify_runtime_risk_ledger_artifact(&artifact).valid);
    group.throughput(Throughput::Elements(VERIFY_ENTRIES as u64));
    group.bench_function("verify", |b| {
        b.iter(|| verify_runtime_risk_ledger_artifact(black_box(&artifact)));
    });
    group.finish();
}

criterion_group!(ledger_benches, benches);
criterion_main!(ledger_benches);
