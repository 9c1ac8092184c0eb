//! Benchmark of one risk-model decision (docs/design.md §10: scoring + hysteresis ≤ 300 ns).
//!
//! `risk_core/evaluate` evaluates a typical call (a workspace read) against a state warmed by a
//! seeded mix of calls (its detection signals computed once, as the gate shares them);
//! `risk_core/hysteresis_step` is the bare state-machine step measured in
//! the same run as a baseline.

#![expect(missing_docs, reason = "criterion macros generate undocumented items")]
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "bench setup: a broken bench should fail loudly (STYLE.md: benches may relax)"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hostguard_risk_core::{
    evaluate, record_outcome, Capability, Clock, Context, Detector, ExecTier, ExtensionRiskState,
    HostCall, Hysteresis, HysteresisConfig, ManualClock, Outcome, RiskInput, RiskModel,
    RuntimeRiskConfig, StepInput, Taint,
};
use serde_json::json;

fn bench(c: &mut Criterion) {
    let model = RiskModel::new(&RuntimeRiskConfig::default(), HysteresisConfig::default())
        .expect("default config is valid");
    let mut state = ExtensionRiskState::new(&model);
    let clock = ManualClock::new(1_000_000);
    let read = HostCall::new(
        "ext",
        "c",
        "fs",
        json!({"op": "read", "path": "src/lib.rs"}),
    );
    let git = HostCall::new("ext", "c", "exec", json!({"command": "git status"}));
    let local = HostCall::new("ext", "c", "http", json!({"url": "http://localhost:3000/"}));
    let detector = Detector::builtin(Context::new()).expect("the built-in catalog loads");
    let signals_of = |call: &HostCall| {
        let capability = call.validate().expect("bench calls are valid");
        detector.inspect(call, capability, Taint::NONE).signals()
    };
    let read_signals = signals_of(&read);
    let warm = [
        (&read, Capability::Read, None),
        (&git, Capability::Exec, Some(ExecTier::Low)),
        (&local, Capability::Http, None),
    ];
    // Fixed seed: a deterministic warm-up of 10 000 calls so every ring is full.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let (call, capability, exec_tier) = warm[(x % 3) as usize];
        clock.advance_ms(50 + x % 500);
        let input = RiskInput {
            capability,
            exec_tier,
            exec_critical_class: false,
            signals: signals_of(call),
            now_ms: clock.now_ms(),
        };
        evaluate(&model, &mut state, &input, &clock);
        record_outcome(&mut state, Outcome::Success);
    }

    let mut group = c.benchmark_group("risk_core");
    group.bench_function("evaluate", |b| {
        b.iter(|| {
            clock.advance_ms(100);
            let input = RiskInput {
                capability: Capability::Read,
                exec_tier: None,
                exec_critical_class: false,
                signals: black_box(read_signals),
                now_ms: clock.now_ms(),
            };
            black_box(evaluate(&model, &mut state, &input, &clock))
        })
    });
    let config = HysteresisConfig::default();
    group.bench_function("hysteresis_step", |b| {
        b.iter(|| {
            black_box(Hysteresis::new()).step(
                &config,
                StepInput {
                    score: black_box(0.2),
                    trigger_floor: hostguard_risk_core::EnforcementState::Allow,
                    posterior_unsafe: black_box(0.1),
                },
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
