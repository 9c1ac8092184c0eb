//! Tool definitions and results written blind (by an author who never saw the scan, the
//! redaction or their tests): each harmful definition must be withheld with a
//! `mcp.tool_poisoned` alert; each harmful result must reach the client without its
//! credential (`mcp.secret_in_result`) or be alerted (`mcp.result_poisoned`); each benign one
//! must pass byte for byte with no alert. Misses not yet fixed are listed, with their class, in
//! `blind/KNOWN-MISSES-CONTENT.txt`; a new miss, or a benign item flagged, fails.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

mod support;

use hostguard_manager::PolicyProfile;
use hostguard_mcp::gateway::{Action, Gateway};
use hostguard_mcp::mapping::ToolMap;
use hostguard_mcp::pins::PinStore;
use serde_json::{json, Value};

fn gateway() -> Gateway {
    let manager = support::builder(PolicyProfile::Permissive)
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
    g
}

/// Lists `tool`; whether the client was shown it.
fn shown(g: &mut Gateway, tool: &Value) -> bool {
    g.from_client(br#"{"jsonrpc":"2.0","id":"l","method":"tools/list"}"#, 0);
    let listed = json!({"jsonrpc": "2.0", "id": "l", "result": {"tools": [tool]}}).to_string();
    match g.from_server(listed.as_bytes(), 0).as_slice() {
        [Action::ToClient(line)] => {
            let v: Value = serde_json::from_slice(line).unwrap();
            v["result"]["tools"]
                .as_array()
                .is_some_and(|t| !t.is_empty())
        }
        other => panic!("{other:?}"),
    }
}

fn rules(g: &Gateway) -> Vec<String> {
    g.manager()
        .security_alerts()
        .into_iter()
        .flat_map(|a| a.reason_codes)
        .filter(|c| c.starts_with("rule:"))
        .collect()
}

/// What happened to one case: (flagged as the label says, anything flagged at all).
fn judge(case: &Value) -> (bool, bool) {
    let mut g = gateway();
    if case["kind"] == "description" {
        let withheld = !shown(&mut g, &case["tool"]);
        let alerted = rules(&g).contains(&"rule:mcp.tool_poisoned".to_owned());
        return (withheld && alerted, withheld || !rules(&g).is_empty());
    }
    let tool = case["tool_name"].as_str().unwrap();
    assert!(shown(
        &mut g,
        &json!({"name": tool, "description": "A tool."})
    ));
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}});
    let sent = g.from_client(call.to_string().as_bytes(), 0);
    assert!(matches!(sent.as_slice(), [Action::ToServer(_)]), "{sent:?}");
    let response = json!({"jsonrpc": "2.0", "id": 1, "result": case["result"]}).to_string();
    let actions = g.from_server(response.as_bytes(), 1);
    let [Action::ToClient(line)] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    let changed = *line != response.as_bytes();
    let rules = rules(&g);
    let caught = match case["secret"].as_str() {
        Some(secret) => {
            let client = String::from_utf8_lossy(line);
            let escaped = Value::from(secret).to_string();
            !client.contains(escaped.trim_matches('"'))
                && rules.contains(&"rule:mcp.secret_in_result".to_owned())
        }
        None => !rules.is_empty(),
    };
    (caught, changed || !rules.is_empty())
}

#[test]
fn blind_definitions_and_results() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blind");
    let known: Vec<String> = std::fs::read_to_string(dir.join("KNOWN-MISSES-CONTENT.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect();
    // Two corpora by two authors, each measured at first contact before its classes were fixed.
    let text = ["content.jsonl", "content2.jsonl"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut counts = std::collections::BTreeMap::<(String, String), (usize, usize)>::new();
    let (mut new_misses, mut false_positives, mut fixed_but_listed) = (vec![], vec![], vec![]);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap().to_owned();
        let (caught, flagged) = judge(&case);
        let harmful = case["label"] == "harmful";
        let key = (
            case["kind"].as_str().unwrap().to_owned(),
            case["label"].as_str().unwrap().to_owned(),
        );
        let entry = counts.entry(key).or_default();
        entry.0 += 1;
        entry.1 += usize::from(if harmful { caught } else { flagged });
        match (harmful, caught, flagged, known.contains(&id)) {
            (true, false, _, false) => new_misses.push(format!("{id} {}", case["technique"])),
            (true, true, _, true) => fixed_but_listed.push(id),
            (false, _, true, _) => false_positives.push(format!("{id} {}", case["technique"])),
            _ => {}
        }
    }
    for ((kind, label), (n, flagged)) in &counts {
        println!("blind MCP content: {kind} {label}: {flagged}/{n} flagged");
    }
    println!("FP {false_positives:?}\nMISS {new_misses:?}");
    assert!(
        false_positives.is_empty(),
        "benign items flagged: {false_positives:?}"
    );
    assert!(
        new_misses.is_empty(),
        "harmful items missed: {new_misses:?}"
    );
    assert!(
        fixed_but_listed.is_empty(),
        "caught now, remove from KNOWN-MISSES-CONTENT.txt: {fixed_but_listed:?}"
    );
}
