//! What the gateway's integration tests share: the gate they build, and reading what the client
//! gets.

#![allow(dead_code, reason = "each test file uses the helpers it needs")]

use hostguard_manager::{
    ExtensionManager, ExtensionManagerBuilder, ExtensionPolicy, ManualClock, PolicyProfile,
    QuotaLimits, RolloutPhase,
};
use hostguard_mcp::gateway::Action;
use serde_json::{json, Value};

/// A gate under `profile`, enforcing, without quotas, seeded and on a manual clock: the
/// caller adds what its tests need (the risk model, a workspace) and builds.
pub fn builder(profile: PolicyProfile) -> ExtensionManagerBuilder {
    ExtensionManager::builder()
        .policy(ExtensionPolicy::from_profile(profile))
        .quota(QuotaLimits::UNLIMITED)
        .rollout_phase(RolloutPhase::EnforceAll)
        .rng_seed(7)
        .clock(ManualClock::new(1_000))
}

/// A tool definition with an object schema.
pub fn tool(name: &str, description: &str) -> Value {
    json!({"name": name, "description": description, "inputSchema": {"type": "object"}})
}

/// The one line the client gets, parsed.
pub fn one_line(actions: &[Action]) -> Value {
    match actions {
        [Action::ToClient(line)] => serde_json::from_slice(line).unwrap(),
        other => panic!("expected one line to the client, got {other:?}"),
    }
}
