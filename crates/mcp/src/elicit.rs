//! Elicitation (docs/mcp.md "Prompts"): when the gate wants a person's approval for a
//! `tools/call` and the client declared the `elicitation` capability, the gateway asks the
//! person through the client (`elicitation/create`, MCP 2025-06-18) and holds the call until the
//! answer; only an explicit "allow" sends it to the server, once.

use serde_json::{json, Value};

/// The prefix of the ids of the gateway's own requests to the client: a response with such an
/// id answers the gateway, never the server.
pub const ID_PREFIX: &str = "hostguard-elicitation-";

/// The property of the requested schema the person sets.
const ALLOW: &str = "allow";

/// Whether an `initialize` request's params declare the elicitation capability.
pub fn declares_elicitation(params: Option<&Value>) -> bool {
    params
        .and_then(|p| p.get("capabilities"))
        .and_then(|c| c.get("elicitation"))
        .is_some_and(Value::is_object)
}

/// The `elicitation/create` request asking a person to allow `tool` of `server`, for the
/// gate's `reasons` (one line per hostcall that needs approval).
pub fn request(id: &str, server: &str, tool: &str, reasons: &[String]) -> String {
    let message = format!(
        "hostguard: the MCP server {} wants to run its tool {}. The gate asks a person first:\n{}\nAllow this call, once?",
        Value::from(server),
        Value::from(tool),
        reasons.join("\n")
    );
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "elicitation/create",
        "params": {
            "message": message,
            "requestedSchema": {
                "type": "object",
                "properties": {
                    ALLOW: {
                        "type": "boolean",
                        "title": "Allow this call once",
                        "description": "hostguard sends the call to the server only if this is true"
                    }
                },
                "required": [ALLOW]
            }
        }
    })
    .to_string()
}

/// Whether the client's answer allows the call: `action` `accept` with `allow` true. Anything
/// else — decline, cancel, an error, a missing or non-boolean `allow` — refuses.
pub fn allows(result: Option<&Value>) -> bool {
    let Some(result) = result else {
        return false;
    };
    result.get("action").and_then(Value::as_str) == Some("accept")
        && result
            .get("content")
            .and_then(|c| c.get(ALLOW))
            .and_then(Value::as_bool)
            == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_explicit_accept_with_allow_true_allows() {
        assert!(allows(Some(
            &json!({"action": "accept", "content": {"allow": true}})
        )));
        for refused in [
            json!({"action": "accept", "content": {"allow": false}}),
            json!({"action": "accept", "content": {"allow": "true"}}),
            json!({"action": "accept", "content": {}}),
            json!({"action": "decline"}),
            json!({"action": "cancel", "content": {"allow": true}}),
            json!({"action": "Accept", "content": {"allow": true}}),
        ] {
            assert!(!allows(Some(&refused)), "{refused}");
        }
        assert!(!allows(None));
    }

    #[test]
    fn the_capability_is_read_from_initialize() {
        assert!(declares_elicitation(Some(
            &json!({"capabilities": {"elicitation": {}}})
        )));
        assert!(!declares_elicitation(Some(
            &json!({"capabilities": {"sampling": {}}})
        )));
        assert!(!declares_elicitation(Some(
            &json!({"capabilities": {"elicitation": true}})
        )));
        assert!(!declares_elicitation(None));
    }

    #[test]
    fn the_request_asks_for_one_boolean() {
        let line = request(
            "hostguard-elicitation-1",
            "git",
            "git_push",
            &["push to a remote".into()],
        );
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["method"], "elicitation/create");
        assert_eq!(v["params"]["requestedSchema"]["required"][0], "allow");
        let message = v["params"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("\"git_push\"") && message.contains("push to a remote"));
    }
}
