//! Benchmarks of incident bundles (docs/design.md §10: build + verify of a 100 k-entry ledger ≤ 0.5 s).
//!
//! `evidence/build_verify_100k`: a 100 000-entry ledger (three interleaved extensions) and
//! 100 000 telemetry events, default filter and redaction (every hash redacted), build then
//! verify. Baselines measured in the same run: `evidence/ledger_verify_100k` (the ledger
//! verifier alone over the same source, the floor of the verify half) and
//! `evidence/build_verify_100k_one_extension` (extension filter: two thirds elided).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "a bench that cannot set up must fail loudly; criterion_group! generates an undocumented fn"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hostguard_evidence::{
    build_incident_evidence_bundle, verify_incident_evidence_bundle, ExecMediationArtifact,
    IncidentBundleFilter, IncidentBundleRedactionPolicy, RuntimeHostcallTelemetryArtifact,
    RuntimeHostcallTelemetryEvent, SecretBrokerArtifact, SecurityAlertArtifact,
};
use hostguard_ledger::{
    verify_runtime_risk_ledger_artifact, Committed, DecisionRecord, EntryPayload, Ledger,
    RuntimeRiskLedgerArtifact,
};
use hostguard_risk_core::{
    Capability, EnforcementState, HysteresisConfig, Posterior, RuntimeRiskConfig,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const N: u64 = 100_000;
const EXTS: [&str; 3] = ["ext-a", "ext-b", "ext-c"];

fn score(i: u64) -> f64 {
    ((i * 37) % 100) as f64 / 100.0
}

fn action(s: f64) -> EnforcementState {
    if s >= 0.9 {
        EnforcementState::Terminate
    } else if s >= 0.7 {
        EnforcementState::Deny
    } else if s >= 0.4 {
        EnforcementState::Harden
    } else {
        EnforcementState::Allow
    }
}

fn params_hash(i: u64) -> String {
    format!("{:064x}", 0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i + 1))
}

fn ledger() -> RuntimeRiskLedgerArtifact {
    let mut rng = ChaCha20Rng::seed_from_u64(0xbe7c);
    let mut l = Ledger::new(N as usize).unwrap();
    for i in 0..N {
        let s = score(i);
        let payload = EntryPayload::Decision(Box::new(DecisionRecord {
            call_id: format!("call-{i}"),
            capability: Capability::Exec,
            method: "exec".to_owned(),
            params_hash: Committed::seal(params_hash(i), &mut rng),
            policy_reason: "default_caps".to_owned(),
            risk_evaluated: true,
            risk_score: s,
            posterior: Posterior::default(),
            triggers: Vec::new(),
            selected_action: action(s),
            state_before: EnforcementState::Allow,
            state_after: action(s),
            consecutive_unsafe: 0,
            enforced: true,
            rollout_phase: "enforce_all".to_owned(),
            e_process_log: s * 1.5,
            drift: false,
            fallback_reason: None,
            explanation_summary: format!("score {s:.2}"),
            applied: None,
        }));
        let ext = EXTS[(i % 3) as usize].to_owned();
        l.append(1_000 + i, Some(ext), payload, &mut rng).unwrap();
    }
    l.artifact(
        1_000 + N,
        RuntimeRiskConfig::default(),
        HysteresisConfig::default(),
    )
}

fn telemetry() -> RuntimeHostcallTelemetryArtifact {
    let entries = (0..N)
        .map(|i| {
            let s = score(i);
            RuntimeHostcallTelemetryEvent {
                ts_ms: 1_000 + i,
                extension_id: Some(EXTS[(i % 3) as usize].to_owned()),
                call_id: format!("call-{i}"),
                capability: "exec".to_owned(),
                method: "exec".to_owned(),
                features: BTreeMap::from([
                    ("burst".to_owned(), (i % 4) as f64 / 4.0),
                    ("exec".to_owned(), 1.0),
                    ("sensitive_path".to_owned(), 0.0),
                    ("novel_capability".to_owned(), 0.5),
                ]),
                risk_score: s,
                risk_action: action(s),
                previous_action: EnforcementState::Allow,
                enforced: true,
                blocked: s >= 0.7,
                resource_target_class: "system_path".to_owned(),
                params_hash: params_hash(i),
                args_shape_hash: format!("{:064x}", i),
                latency_ms: Some(i % 5),
                outcome: Some("success".to_owned()),
            }
        })
        .collect();
    RuntimeHostcallTelemetryArtifact::new(1_000 + N, entries)
}

fn bench(c: &mut Criterion) {
    let ledger = ledger();
    let telemetry = telemetry();
    let alerts = SecurityAlertArtifact::new(0, Vec::new());
    let exec = ExecMediationArtifact::new(0, Vec::new());
    let secret = SecretBrokerArtifact::new(0, Vec::new());
    let redaction = IncidentBundleRedactionPolicy::default();
    let run = |filter: &IncidentBundleFilter| {
        let bundle = build_incident_evidence_bundle(
            &ledger,
            &alerts,
            &telemetry,
            &exec,
            &secret,
            &[],
            filter,
            &redaction,
            9_999_999,
        );
        let report = verify_incident_evidence_bundle(&bundle);
        if !report.valid {
            panic!("bench bundle must verify: {:?}", report.errors.first());
        }
        report
    };

    let mut g = c.benchmark_group("evidence");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("build_verify_100k", |b| {
        b.iter(|| black_box(run(black_box(&IncidentBundleFilter::default()))));
    });
    let one = IncidentBundleFilter {
        extension_id: Some("ext-b".to_owned()),
        ..IncidentBundleFilter::default()
    };
    g.bench_function("build_verify_100k_one_extension", |b| {
        b.iter(|| black_box(run(black_box(&one))));
    });
    g.bench_function("ledger_verify_100k", |b| {
        b.iter(|| black_box(verify_runtime_risk_ledger_artifact(black_box(&ledger))));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
