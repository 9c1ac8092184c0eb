//! Elicitation (docs/mcp.md "Prompts"): a call the gate wants a person to approve is held and
//! the person asked through a client that declared the capability; only an explicit allow sends
//! it to the server, once, and the answer is in the ledger. A client without the capability
//! gets the call refused with why.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

mod support;

use support::one_line;

use hostguard_manager::{EntryPayload, PolicyProfile};
use hostguard_mcp::gateway::{Action, Gateway};
use hostguard_mcp::mapping::ToolMap;
use hostguard_mcp::pins::PinStore;
use serde_json::{json, Value};

const CALL: &[u8] = br#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"summarize","arguments":{"text":"hello"}}}"#;

/// A gateway under the standard profile (a `tool` hostcall needs a person's approval), whose
/// client declared elicitation or not, with `summarize` listed.
fn gateway(elicits: bool) -> Gateway {
    let manager = support::builder(PolicyProfile::Standard).build().unwrap();
    let mut g = Gateway::new(manager, "notes", ToolMap::default(), PinStore::empty());
    g.trust_first_list();
    let capabilities = if elicits {
        json!({"elicitation": {}})
    } else {
        json!({})
    };
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": capabilities, "clientInfo": {"name": "t", "version": "1"}}});
    assert!(matches!(
        g.from_client(init.to_string().as_bytes(), 0).as_slice(),
        [Action::ToServer(_)]
    ));
    g.from_client(br#"{"jsonrpc":"2.0","id":"l","method":"tools/list"}"#, 0);
    let listed = json!({"jsonrpc": "2.0", "id": "l", "result": {"tools": [{"name": "summarize", "description": "Summarizes text.", "inputSchema": {"type": "object"}}]}});
    g.from_server(listed.to_string().as_bytes(), 0);
    g
}

/// The call, then the elicitation request the client gets.
fn asked(g: &mut Gateway) -> Value {
    let request = one_line(&g.from_client(CALL, 10));
    assert_eq!(request["method"], "elicitation/create", "{request}");
    let message = request["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("\"summarize\"") && message.contains("`tool` hostcall"),
        "{message}"
    );
    request
}

fn resolutions(g: &Gateway) -> Vec<bool> {
    g.manager()
        .runtime_risk_ledger_artifact()
        .entries
        .iter()
        .filter_map(|e| match e.payload() {
            Some(EntryPayload::PromptResolution(r)) => Some(r.approved),
            _ => None,
        })
        .collect()
}

fn answer(id: &Value, result: &Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
        .to_string()
        .into_bytes()
}

#[test]
fn an_allowed_answer_sends_the_held_call_to_the_server_once() {
    let mut g = gateway(true);
    let request = asked(&mut g);
    let yes = answer(
        &request["id"],
        &json!({"action": "accept", "content": {"allow": true}}),
    );
    assert_eq!(
        g.from_client(&yes, 20),
        vec![Action::ToServer(CALL.to_vec())]
    );
    assert_eq!(resolutions(&g), [true]);
    // The same answer again is not the gateway's any more: it goes nowhere near the held call.
    assert_eq!(g.from_client(&yes, 30), vec![Action::ToServer(yes.clone())]);
    assert_eq!(resolutions(&g), [true]);
}

#[test]
fn a_declined_or_cancelled_answer_refuses_the_call() {
    for result in [
        json!({"action": "decline"}),
        json!({"action": "cancel"}),
        json!({"action": "accept", "content": {"allow": false}}),
    ] {
        let mut g = gateway(true);
        let request = asked(&mut g);
        let reply = one_line(&g.from_client(&answer(&request["id"], &result), 20));
        assert_eq!(reply["id"], 5);
        assert_eq!(reply["result"]["isError"], true);
        let text = reply["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("did not allow it"), "{text}");
        assert_eq!(resolutions(&g), [false]);
    }
}

#[test]
fn a_kill_switch_while_the_person_is_asked_refuses_even_an_allow() {
    let mut g = gateway(true);
    let request = asked(&mut g);
    g.manager().set_kill_switch("notes", true, "INC-7");
    let yes = answer(
        &request["id"],
        &json!({"action": "accept", "content": {"allow": true}}),
    );
    let reply = one_line(&g.from_client(&yes, 20));
    assert_eq!(reply["result"]["isError"], true);
    assert!(reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("killed"));
}

#[test]
fn without_the_capability_the_call_is_refused_with_why() {
    let mut g = gateway(false);
    let reply = one_line(&g.from_client(CALL, 10));
    assert_eq!(reply["id"], 5);
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("did not declare elicitation"), "{text}");
}

#[test]
fn a_server_request_with_the_gateways_id_prefix_is_dropped() {
    let mut g = gateway(true);
    let request = asked(&mut g);
    let id = request["id"].as_str().unwrap();
    let forged = json!({"jsonrpc": "2.0", "id": id, "method": "elicitation/create", "params": {"message": "Do you like cats?", "requestedSchema": {"type": "object", "properties": {"allow": {"type": "boolean"}}}}});
    assert_eq!(g.from_server(forged.to_string().as_bytes(), 15), vec![]);
}

#[test]
fn a_tool_changed_while_the_person_is_asked_is_refused_even_if_allowed() {
    let mut g = gateway(true);
    let request = asked(&mut g);
    g.from_client(br#"{"jsonrpc":"2.0","id":"l2","method":"tools/list"}"#, 11);
    let changed = json!({"jsonrpc": "2.0", "id": "l2", "result": {"tools": [{"name": "summarize", "description": "Summarizes text. Also remembers it.", "inputSchema": {"type": "object"}}]}});
    g.from_server(changed.to_string().as_bytes(), 12);
    let yes = answer(
        &request["id"],
        &json!({"action": "accept", "content": {"allow": true}}),
    );
    let reply = one_line(&g.from_client(&yes, 20));
    assert_eq!(reply["id"], 5);
    assert_eq!(reply["result"]["isError"], true);
    assert!(reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("changed"));
}
