//! Fuzz target: the MCP gateway (`hostguard-mcp`, docs/mcp.md) never panics on any line from
//! the client or the server, and forwards only what it read: a line it sends to the server is
//! byte for byte a line the client wrote, and only one it could read as JSON-RPC.
#![no_main]

use hostguard_manager::{
    ExtensionManager, ExtensionPolicy, ManualClock, PolicyProfile, RolloutPhase,
    RuntimeRiskConfig,
};
use hostguard_mcp::gateway::{Action, Gateway};
use hostguard_mcp::jsonrpc::parse_line;
use hostguard_mcp::mapping::ToolMap;
use hostguard_mcp::pins::{pin_of, PinStore};
use libfuzzer_sys::fuzz_target;

fn gateway() -> Option<Gateway> {
    let manager = ExtensionManager::builder()
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
        .rollout_phase(RolloutPhase::EnforceAll)
        .clock(ManualClock::new(0))
        .build()
        .ok()?;
    let tool = serde_json::json!({"name": "read_file", "description": "Read a file."});
    let mut pins = PinStore::empty();
    pins.approve("read_file", &pin_of(&tool));
    Some(Gateway::new(manager, "fuzz", ToolMap::default(), pins))
}

fuzz_target!(|data: &[u8]| {
    let Some(mut g) = gateway() else {
        return;
    };
    // Lines alternate by their first byte: odd from the server, even from the client.
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        let from_server = line.first().is_some_and(|b| b % 2 == 1);
        let actions = if from_server {
            g.from_server(line, i as u64)
        } else {
            g.from_client(line, i as u64)
        };
        for action in actions {
            if let Action::ToServer(sent) = action {
                assert!(!from_server, "a server line went back to the server");
                assert_eq!(sent, line, "the gateway rewrote a line it forwarded");
                assert!(parse_line(line).is_ok(), "an unreadable line was forwarded");
            }
        }
    }
});
