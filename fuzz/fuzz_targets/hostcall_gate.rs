//! Fuzz target: a `hostguard.hostcall_event.v1` line (docs/event-format.md) never panics the
//! stream parser, and a hostcall it accepts never panics the gate (docs/design.md §2): whatever an
//! extension puts in its params, the host gets a verdict or a typed error.
#![no_main]

use std::sync::OnceLock;

use hostguard_cli::events::{parse_line, Event};
use hostguard_manager::{
    ExtensionManager, ExtensionPolicy, PolicyProfile, RolloutPhase, RuntimeRiskConfig,
};
use libfuzzer_sys::fuzz_target;

fn manager() -> Option<&'static ExtensionManager> {
    static MANAGER: OnceLock<Option<ExtensionManager>> = OnceLock::new();
    MANAGER
        .get_or_init(|| {
            ExtensionManager::builder()
                .risk_config(RuntimeRiskConfig {
                    enabled: true,
                    ..RuntimeRiskConfig::default()
                })
                .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
                .rollout_phase(RolloutPhase::EnforceAll)
                .build()
                .ok()
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(Event::Hostcall(event)) = parse_line(text) else {
        return;
    };
    if let Some(manager) = manager() {
        if let Ok(verdict) = manager.evaluate_hostcall(&event.host_call()) {
            // A verdict is internally consistent: a block is never an allow state.
            assert!(!(verdict.is_blocked() && verdict.requires_prompt()));
        }
    }
});
