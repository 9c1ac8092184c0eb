//! `policy` bench: the per-call work of the static policy layer beside its own baseline in the
//! same run (STYLE: benches measure their baseline). The exec classifier's benches live in
//! `hostguard-exec` (`benches/exec.rs`).
//!
//! - `evaluate_policy`: one static-policy decision (docs/design.md §2 step 3) against a policy with 64
//!   per-extension overrides, beside `evaluate_policy_baseline_map_lookup`, the bare
//!   per-extension map lookup every decision does.
#![expect(
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "a bench may panic on broken setup and index its fixed call list; criterion's macros generate undocumented items"
)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hostguard_risk_core::{
    Capability, CapabilitySet, ExtensionOverride, ExtensionPolicy, PolicyMode, PolicyProfile,
};

fn policy() -> (ExtensionPolicy, Vec<String>) {
    let mut policy = ExtensionPolicy::from_profile(PolicyProfile::Standard)
        .with_deny_caps(CapabilitySet::of(&[Capability::Env]));
    let mut ids = Vec::new();
    for i in 0..64 {
        let id = format!("ext-{i:03}");
        let over = ExtensionOverride {
            allow: CapabilitySet::of(&[Capability::Tool]),
            deny: if i % 3 == 0 {
                CapabilitySet::of(&[Capability::Http])
            } else {
                CapabilitySet::EMPTY
            },
            mode: (i % 5 == 0).then_some(PolicyMode::Strict),
            quota: None,
        };
        policy = match policy.clone().with_extension_override(id.clone(), over) {
            Ok(p) => p,
            Err(e) => panic!("bench policy: {e}"),
        };
        ids.push(id);
    }
    // One id without an override: the common case of an unconfigured extension.
    ids.push("unlisted".to_owned());
    (policy, ids)
}

fn evaluate_policy(c: &mut Criterion) {
    let (policy, ids) = policy();
    // A fixed mix of (extension, capability) pairs exercising every precedence layer.
    let calls: Vec<(&str, Capability)> = ids
        .iter()
        .zip(Capability::ALL.iter().cycle())
        .map(|(id, cap)| (id.as_str(), *cap))
        .collect();
    let map: BTreeMap<String, u32> = ids.iter().cloned().zip(0..).collect();
    let mut group = c.benchmark_group("policy");
    group.bench_function("evaluate_policy", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let (id, cap) = calls[i % calls.len()];
            i = i.wrapping_add(1);
            black_box(policy.evaluate(black_box(id), black_box(cap)))
        });
    });
    group.bench_function("evaluate_policy_baseline_map_lookup", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let (id, _) = calls[i % calls.len()];
            i = i.wrapping_add(1);
            black_box(map.get(black_box(id)))
        });
    });
    group.finish();
}

criterion_group!(benches, evaluate_policy);
criterion_main!(benches);
