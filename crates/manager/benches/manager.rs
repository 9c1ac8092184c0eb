//! Benchmarks of the full gate (docs/design.md §10): `manager/evaluate_hostcall` one thread (criterion
//! median, plus a per-call `Instant` loop for p50/p99/p99.9), `manager/evaluate_hostcall_uncached`
//! (the same mix with every call's params distinct, so detection judges every call), two threads on different
//! extensions against one thread (throughput ratio), and resident memory before/after many
//! calls (`/proc/self/statm`).
//!
//! The path measured is the whole gate as a host calls it: validation, kill switch, policy,
//! quota, exec classification where relevant, the risk model, enforcement, the ledger append
//! (salted commitment, two SHA-256 runs under the lock), the rollout sample, the telemetry
//! record and the call index. The clock is the `SystemClock`, the policy permissive (so the
//! model runs on every call), the phase enforce_all, quotas unlimited (a quota breach would
//! skip the model and flatter the figure).
//!
//! `manager/evaluate_hostcall_subscriber_info` and `_debug` run the same mix with a host's
//! `tracing` subscriber installed (docs/tracing.md); `manager/evaluate_hostcall` has none.
//!
//! `HOSTGUARD_BENCH_MEMORY_CALLS` sets the memory run's call count (default 10 000 000);
//! `HOSTGUARD_BENCH_LATENCY_CALLS` the per-call timing loop's (default 200 000).

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::unreachable,
    missing_docs,
    reason = "benches fail loudly; criterion macros generate undocumented items"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use hostguard_ledger::{body_digest, encode_body};
use hostguard_manager::{
    EntryBody, ExtensionManager, ExtensionPolicy, HostCall, PolicyProfile, QuotaLimits,
    RolloutPhase, RuntimeRiskConfig,
};
use serde_json::json;

fn manager() -> ExtensionManager {
    ExtensionManager::builder()
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
        .quota(QuotaLimits::UNLIMITED)
        .rollout_phase(RolloutPhase::EnforceAll)
        .rng_seed(42)
        .build()
        .unwrap()
}

/// A fixed mix of ordinary calls with distinct call ids (the ids repeat every 1024 calls, as a
/// host's would eventually; the call index replaces).
fn calls(ext: &str) -> Vec<HostCall> {
    (0..1024)
        .map(|i| {
            let id = format!("{ext}-call-{i}");
            match i % 4 {
                0 => HostCall::new(ext, id, "fs", json!({"op": "read", "path": "src/lib.rs"})),
                1 => HostCall::new(ext, id, "log", json!({"level": "info", "msg": "step done"})),
                2 => HostCall::new(
                    ext,
                    id,
                    "fs",
                    json!({"op": "write", "path": "out/a.txt", "content": "hello"}),
                ),
                _ => HostCall::new(
                    ext,
                    id,
                    "http",
                    json!({"url": "http://localhost:8080/api", "method": "GET"}),
                ),
            }
        })
        .collect()
}

/// The same mix as [`calls`], with every path and URL distinct.
fn distinct_calls(ext: &str, n: usize) -> Vec<HostCall> {
    (0..n)
        .map(|i| {
            let id = format!("{ext}-call-{i}");
            match i % 4 {
                0 => HostCall::new(
                    ext,
                    id,
                    "fs",
                    json!({"op": "read", "path": format!("src/m{i}/lib.rs")}),
                ),
                1 => HostCall::new(
                    ext,
                    id,
                    "log",
                    json!({"level": "info", "msg": format!("step {i} done")}),
                ),
                2 => HostCall::new(
                    ext,
                    id,
                    "fs",
                    json!({"op": "write", "path": format!("out/a{i}.txt"), "content": "hello"}),
                ),
                _ => HostCall::new(
                    ext,
                    id,
                    "http",
                    json!({"url": format!("http://localhost:8080/api/{i}"), "method": "GET"}),
                ),
            }
        })
        .collect()
}

/// The floor every figure here is quoted against (docs/design.md §10): SHA-256 over the
/// encoded body of one decision entry the gate wrote, as the ledger hashes it.
fn bench_baseline(c: &mut Criterion) {
    let manager = manager();
    manager.evaluate_hostcall(&calls("ext-a")[0]).unwrap();
    let ledger = manager.runtime_risk_ledger_artifact();
    let entry = ledger.entries.last().unwrap();
    let EntryBody::Full(payload) = &entry.body else {
        unreachable!("a fresh ledger elides nothing")
    };
    let mut encoded = Vec::new();
    let salt = entry.salt.unwrap();
    let ext = entry.extension_id.as_deref();
    encode_body(&mut encoded, &salt, entry.seq, entry.ts_ms, ext, payload).unwrap();
    c.bench_function("manager/sha256_ledger_entry_baseline", |b| {
        b.iter(|| body_digest(black_box(&encoded)))
    });
}

fn bench_evaluate(c: &mut Criterion) {
    let manager = manager();
    let calls = calls("ext-a");
    let mut i = 0usize;
    c.bench_function("manager/evaluate_hostcall", |b| {
        b.iter(|| {
            i = (i + 1) % calls.len();
            black_box(manager.evaluate_hostcall(black_box(&calls[i])).unwrap())
        })
    });
    // Every call's params distinct (more of them than the detection cache holds): the cost of
    // judging a call nobody made before.
    let fresh = distinct_calls("ext-b", 16_384);
    let mut j = 0usize;
    c.bench_function("manager/evaluate_hostcall_uncached", |b| {
        b.iter(|| {
            j = (j + 1) % fresh.len();
            black_box(manager.evaluate_hostcall(black_box(&fresh[j])).unwrap())
        })
    });
    let mut group = c.benchmark_group("manager");
    group.bench_function("evaluate_hostcall_two_threads_per_call", |b| {
        b.iter_custom(two_threads)
    });
    group.finish();
}

/// Wall time for `iters` calls per thread on two threads (different extensions), reported per
/// call of one thread: criterion then shows time per "pair of calls".
fn two_threads(iters: u64) -> Duration {
    let manager = Arc::new(manager());
    let start = Instant::now();
    std::thread::scope(|s| {
        for ext in ["ext-a", "ext-b"] {
            let manager = Arc::clone(&manager);
            s.spawn(move || {
                let calls = calls(ext);
                for i in 0..iters as usize {
                    black_box(manager.evaluate_hostcall(&calls[i % calls.len()]).unwrap());
                }
            });
        }
    });
    start.elapsed()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// p50 / p99 / p99.9 of single calls, timed one by one.
fn latency_percentiles() {
    let n = env_usize("HOSTGUARD_BENCH_LATENCY_CALLS", 200_000);
    let manager = manager();
    let calls = calls("ext-a");
    for c in calls.iter().cycle().take(20_000) {
        black_box(manager.evaluate_hostcall(c).unwrap());
    }
    let mut times: Vec<u64> = Vec::with_capacity(n);
    for c in calls.iter().cycle().take(n) {
        let t = Instant::now();
        black_box(manager.evaluate_hostcall(c).unwrap());
        times.push(t.elapsed().as_nanos() as u64);
    }
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "manager/evaluate_hostcall per-call timing over {n} calls: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        pct(0.50),
        pct(0.99),
        pct(0.999),
        times[times.len() - 1]
    );
}

/// The machine's own two-thread scaling at this moment: SHA-256 chains on one thread, then on
/// two at once. On a shared machine the second core is not always free; this baseline says how
/// much parallelism the gate could have had in the same run.
fn cpu_baseline() -> f64 {
    use sha2::Digest as _;
    let work = || {
        let mut x = [0u8; 32];
        for _ in 0..1_000_000 {
            x = sha2::Sha256::digest(x).into();
        }
        black_box(x);
    };
    let start = Instant::now();
    work();
    let one = start.elapsed().as_secs_f64();
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(work);
        s.spawn(work);
    });
    let two = start.elapsed().as_secs_f64();
    2.0 * one / two
}

/// Throughput of one thread against two threads on different extensions.
fn scaling() {
    let n = env_usize("HOSTGUARD_BENCH_SCALING_CALLS", 400_000);
    let rounds = env_usize("HOSTGUARD_BENCH_SCALING_ROUNDS", 5);
    if rounds == 0 {
        return;
    }
    let mut ratios = Vec::new();
    let mut baselines = Vec::new();
    for round in 0..rounds {
        print!("round {round}: ");
        let (ratio, baseline) = scaling_round(n);
        ratios.push(ratio);
        baselines.push(baseline);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let best = ratios.iter().copied().fold(0.0, f64::max);
    println!(
        "manager/scaling over {rounds} rounds: ratio median {:.2}x, best {best:.2}x; machine baseline median {:.2}x",
        median(&mut ratios),
        median(&mut baselines)
    );
}

fn scaling_round(n: usize) -> (f64, f64) {
    let manager = Arc::new(manager());
    let calls_a = calls("ext-a");
    let start = Instant::now();
    for c in calls_a.iter().cycle().take(n) {
        black_box(manager.evaluate_hostcall(c).unwrap());
    }
    let one = start.elapsed();
    let two = two_threads(n as u64);
    let one_tput = n as f64 / one.as_secs_f64();
    let two_tput = 2.0 * n as f64 / two.as_secs_f64();
    let cpu = cpu_baseline();
    println!(
        "manager/scaling: one thread {:.0} calls/s, two threads (different extensions) {:.0} calls/s, ratio {:.2}x (target >= 1.5x); machine baseline (SHA-256, same run) {:.2}x",
        one_tput,
        two_tput,
        two_tput / one_tput,
        cpu
    );
    (two_tput / one_tput, cpu)
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Resident memory before and after many calls: flat, because every structure is bounded.
fn memory() {
    let n = env_usize("HOSTGUARD_BENCH_MEMORY_CALLS", 10_000_000);
    let manager = manager();
    let calls = calls("ext-a");
    // Fill every ring once (ledger 2048, records 1024, call index) before the baseline.
    for c in calls.iter().cycle().take(100_000) {
        black_box(manager.evaluate_hostcall(c).unwrap());
    }
    let before = resident_bytes();
    let start = Instant::now();
    for (k, c) in calls.iter().cycle().take(n).enumerate() {
        black_box(manager.evaluate_hostcall(c).unwrap());
        if k % 2_000_000 == 1_999_999 {
            println!(
                "manager/memory: {} calls, resident {} bytes",
                k + 1,
                resident_bytes()
            );
        }
    }
    let after = resident_bytes();
    println!(
        "manager/memory: {n} calls in {:.1} s; resident before {before} bytes, after {after} bytes, delta {} bytes",
        start.elapsed().as_secs_f64(),
        after as i64 - before as i64
    );
}

/// A subscriber that takes every event it is offered and visits its fields (as any real one
/// must), writing nothing: what listening costs, the sink apart.
struct Sink;

impl tracing::field::Visit for Sink {
    fn record_debug(&mut self, _field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        black_box(value);
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Sink {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        event.record(&mut Sink);
    }
}

/// `evaluate_hostcall` with a host's subscriber installed (docs/tracing.md). `manager/
/// evaluate_hostcall` above runs with none: that is the "no cost when nobody listens" figure,
/// comparable with the code before the events. Here, `hostguard=info`: the mix is all allowed
/// calls (DEBUG), so the events are offered and refused by the filter; `hostguard=debug`: every
/// decision event is delivered to the sink. Runs last, then resets the callsites' cached
/// interest so the loops after it see no subscriber again.
fn bench_traced(c: &mut Criterion) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::Layer as _;
    for (id, filter) in [
        (
            "manager/evaluate_hostcall_subscriber_info",
            "hostguard=info",
        ),
        (
            "manager/evaluate_hostcall_subscriber_debug",
            "hostguard=debug",
        ),
    ] {
        let filter: tracing_subscriber::filter::Targets = filter.parse().unwrap();
        let subscriber = tracing_subscriber::registry().with(Sink.with_filter(filter));
        let manager = manager();
        let calls = calls("ext-a");
        let mut i = 0usize;
        tracing::subscriber::with_default(subscriber, || {
            c.bench_function(id, |b| {
                b.iter(|| {
                    i = (i + 1) % calls.len();
                    black_box(manager.evaluate_hostcall(black_box(&calls[i])).unwrap())
                })
            });
        });
    }
    tracing::callsite::rebuild_interest_cache();
}

criterion_group!(benches, bench_baseline, bench_evaluate, bench_traced);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    latency_percentiles();
    scaling();
    memory();
}
