//! criterion bench of the rollout hot path: recording one decision into a full window of an
//! enforcing rollout (the rollback rule evaluated, no rollback firing), beside its baseline in the
//! same run — a bare push/pop of a same-sized record on a full `VecDeque`, the window's floor.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public fn"
)]

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hostguard_rollout::{DecisionSample, RolloutController, RolloutPhase};

/// A healthy decision: never trips a threshold, so the phase stays EnforceAll throughout.
const SAMPLE: DecisionSample = DecisionSample {
    latency_ms: 3,
    was_error: false,
    was_false_positive: false,
    would_block: true,
};

fn record_decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("rollout");

    let mut controller = RolloutController::default();
    let _ = controller.set_phase(RolloutPhase::EnforceAll, 0);
    let window_size = controller.trigger().window_size;
    for now in 0..window_size as u64 {
        let _ = controller.record_decision(SAMPLE, now);
    }
    let mut now = 1_000_u64;
    group.bench_function("record_decision", |b| {
        b.iter(|| {
            now = now.wrapping_add(1);
            black_box(controller.record_decision(black_box(SAMPLE), black_box(now)))
        })
    });

    // Baseline: the bare ring-buffer work per sample, same record size (id, latency, two flags).
    let mut ring: VecDeque<(u64, u64, bool, bool)> = VecDeque::with_capacity(window_size);
    ring.extend((0..window_size as u64).map(|i| (i, 3, false, false)));
    let mut id = window_size as u64;
    group.bench_function("baseline_vecdeque_push_pop", |b| {
        b.iter(|| {
            id = id.wrapping_add(1);
            ring.push_back(black_box((id, 3, false, false)));
            black_box(ring.pop_front())
        })
    });

    group.bench_function("state_snapshot", |b| {
        b.iter(|| black_box(controller.state()))
    });
    group.finish();
}

criterion_group!(benches, record_decision);
criterion_main!(benches);
