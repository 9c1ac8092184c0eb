//! Fuzz target: reading a durable ledger file and folding it into the state a restart restores
//! (`docs/ledger-format.md` §5, §5.1) never panics, and no mutation of a complete line is ever
//! accepted: a file that reads holds, line for line, a prefix of the file the gate wrote (only
//! a torn final line may differ, and it is reported, not read).
//!
//! Input: triples (position, position, xor) applied to a real gate's file of every entry kind;
//! a first byte above 200 also cuts the file at a position.

#![no_main]

use std::sync::OnceLock;

use hostguard_ledger::{DurableLedger, RestoredState};
use hostguard_manager::{
    ExtensionManager, ExtensionPolicy, FsyncPolicy, HostCall, ManualClock, PolicyProfile,
    RolloutPhase, RuntimeRiskConfig,
};
use libfuzzer_sys::fuzz_target;

/// The gate's own file: decisions, a kill switch and its lift, a quarantine, a reset, phase
/// changes, a config change, and a resume.
fn written() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("hostguard-fuzz-seed-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("seed.jsonl");
        let _ = std::fs::remove_file(&path);
        let clock = ManualClock::new(1_000);
        let build = || {
            ExtensionManager::builder()
                .risk_config(RuntimeRiskConfig {
                    enabled: true,
                    ..RuntimeRiskConfig::default()
                })
                .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
                .rollout_phase(RolloutPhase::EnforceAll)
                .rng_seed(1)
                .clock(clock.clone())
                .durable_ledger(&path, FsyncPolicy::Never)
                .build()
        };
        if let Ok(m) = build() {
            let call = |ext: &str, id: &str, method: &str, params: serde_json::Value| {
                let _ = m.evaluate_hostcall(&HostCall::new(ext, id, method, params));
            };
            call(
                "a",
                "1",
                "fs",
                serde_json::json!({"op": "read", "path": "src/lib.rs"}),
            );
            call(
                "t",
                "2",
                "env",
                serde_json::json!({"name": "AWS_SECRET_ACCESS_KEY"}),
            );
            for i in 0..3 {
                clock.advance_ms(100);
                let url = serde_json::json!({"url": "https://x.example.net/u", "method": "POST"});
                call("t", &format!("u{i}"), "http", url);
            }
            m.set_kill_switch("k", true, "INC");
            m.set_kill_switch("k", false, "done");
            m.reset_extension("t", "review");
            m.set_rollout_phase(RolloutPhase::LogOnly);
            let _ = m.set_runtime_risk_config(RuntimeRiskConfig {
                alpha: 0.01,
                ..m.runtime_risk_config()
            });
        }
        let _ = build();
        std::fs::read(&path).unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let original = written();
    if original.is_empty() {
        return;
    }
    let mut bytes = original.to_vec();
    let len = bytes.len();
    for t in data.chunks_exact(3) {
        let at = (usize::from(t[0]) << 8 | usize::from(t[1])) % len;
        if let Some(b) = bytes.get_mut(at) {
            *b ^= t[2];
        }
    }
    if let (Some(&cut), Some(&a), Some(&b)) = (data.first(), data.get(1), data.get(2)) {
        if cut > 200 {
            bytes.truncate((usize::from(a) << 8 | usize::from(b)) % len);
        }
    }
    let path = std::env::temp_dir().join(format!("hostguard-fuzz-{}.jsonl", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let mut restored = RestoredState::default();
    let mut read = 0usize;
    let result = DurableLedger::read(&path, &mut |e| {
        restored.observe(&e);
        read += 1;
    });
    let _ = restored.tightening_only();
    for ext in restored.extensions.values() {
        let _ = ext.hysteresis();
    }
    if result.is_ok() {
        // Every line read is a line the gate wrote, byte for byte.
        let prefix: usize = original
            .split_inclusive(|b| *b == b'\n')
            .take(read)
            .map(<[u8]>::len)
            .sum();
        assert_eq!(bytes.get(..prefix), original.get(..prefix));
    }
});
