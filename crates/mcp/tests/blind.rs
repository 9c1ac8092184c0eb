//! Calls written blind (by an author who never saw the mapping or the rules): each harmful
//! `tools/call` must be refused, each benign one must reach the server — on a fresh gateway per
//! call, permissive policy, `enforce_all` (what is judged is the mapping and detection, not the
//! policy profile). Misses not yet fixed are listed, with their class, in
//! `blind/KNOWN-MISSES.txt`; a new miss, or a benign call refused, fails.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

mod support;

use hostguard_manager::{PolicyProfile, RuntimeRiskConfig};
use hostguard_mcp::gateway::{Action, Gateway};
use hostguard_mcp::mapping::ToolMap;
use hostguard_mcp::pins::PinStore;
use serde_json::{json, Value};

/// Whether the gateway stops `tool` with `arguments` (the client gets an error result).
fn stopped(tool: &str, arguments: &Value) -> bool {
    let manager = support::builder(PolicyProfile::Permissive)
        .risk_config(RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        })
        .workspace("/home/dev/project".to_owned())
        .build()
        .unwrap();
    let mut g = Gateway::new(
        manager,
        "blind-server",
        ToolMap::default(),
        PinStore::empty(),
    );
    g.trust_first_list();
    let list = json!({"jsonrpc": "2.0", "id": "l", "method": "tools/list"}).to_string();
    g.from_client(list.as_bytes(), 0);
    let listed = json!({"jsonrpc": "2.0", "id": "l", "result": {"tools": [{"name": tool, "description": "A tool."}]}});
    g.from_server(listed.to_string().as_bytes(), 0);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
    match g.from_client(call.to_string().as_bytes(), 1_000).as_slice() {
        [Action::ToServer(_)] => false,
        [Action::ToClient(_)] => true,
        other => panic!("{tool}: {other:?}"),
    }
}

#[test]
fn blind_calls_harmful_refused_benign_forwarded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blind");
    let known: Vec<String> = std::fs::read_to_string(dir.join("KNOWN-MISSES.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect();
    let text = std::fs::read_to_string(dir.join("calls.jsonl")).unwrap();
    let (mut harmful, mut harmful_stopped, mut benign, mut benign_stopped) = (0, 0, 0, 0);
    let mut new_misses = Vec::new();
    let mut false_positives = Vec::new();
    let mut fixed_but_listed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let case: Value = serde_json::from_str(line).unwrap();
        let tool = case["tool"].as_str().unwrap();
        let id = format!("{}:{tool}", i + 1);
        let stop = stopped(tool, &case["arguments"]);
        if case["label"] == "harmful" {
            harmful += 1;
            harmful_stopped += usize::from(stop);
            if !stop && !known.contains(&id) {
                new_misses.push(format!("{id} {}", case["technique"]));
            }
            if stop && known.contains(&id) {
                fixed_but_listed.push(id);
            }
        } else {
            benign += 1;
            benign_stopped += usize::from(stop);
            if stop {
                false_positives.push(id);
            }
        }
    }
    println!("blind MCP calls: harmful {harmful_stopped}/{harmful} stopped, benign {benign_stopped}/{benign} stopped");
    assert!(
        false_positives.is_empty(),
        "benign calls refused: {false_positives:?}"
    );
    assert!(
        new_misses.is_empty(),
        "harmful calls not refused: {new_misses:?}"
    );
    assert!(
        fixed_but_listed.is_empty(),
        "refused now, remove from KNOWN-MISSES.txt: {fixed_but_listed:?}"
    );
}
