//! One line of the newline-delimited JSON-RPC 2.0 an MCP client and server exchange over stdio
//! (MCP "Transports": one message or one batch per line). The gateway forwards the bytes it
//! reads unchanged; this module only classifies them, so that it can tell a `tools/call` from
//! everything else it relays transparently. Never panics; a line is bounded.

use serde_json::Value;

/// The longest line the gateway reads; a longer one is refused, never buffered without bound.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// One JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A call that expects a response.
    Request {
        /// The id, of any JSON type the protocol allows (string, number).
        id: Value,
        /// The method (`tools/call`).
        method: String,
        /// The params, when present.
        params: Option<Value>,
    },
    /// A call that expects none.
    Notification {
        /// The method.
        method: String,
        /// The params, when present.
        params: Option<Value>,
    },
    /// The answer to a request.
    Response {
        /// The request's id (`null` when the request could not be read).
        id: Value,
        /// The result, on success.
        result: Option<Value>,
        /// The error, on failure.
        error: Option<Value>,
    },
}

/// A line: one message, or a batch (an array of messages, each read on its own).
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// One message.
    One(Message),
    /// A batch.
    Batch(Vec<Result<Message, FrameError>>),
}

/// Why a line or a batch member is not a JSON-RPC 2.0 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The line is longer than [`MAX_LINE_BYTES`].
    #[error("a line of {len} bytes is longer than the {max}-byte limit")]
    TooLong {
        /// The line's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The line is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a JSON-RPC 2.0 message (the reason names the rule broken).
    #[error("not a JSON-RPC 2.0 message: {0}")]
    NotJsonRpc(&'static str),
    /// An empty array.
    #[error("an empty batch")]
    EmptyBatch,
}

/// Reads one line (without its newline).
pub fn parse_line(line: &[u8]) -> Result<Frame, FrameError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(FrameError::TooLong {
            len: line.len(),
            max: MAX_LINE_BYTES,
        });
    }
    let value: Value =
        serde_json::from_slice(line).map_err(|e| FrameError::NotJson(e.to_string()))?;
    match value {
        Value::Array(items) if items.is_empty() => Err(FrameError::EmptyBatch),
        Value::Array(items) => Ok(Frame::Batch(items.into_iter().map(message).collect())),
        other => message(other).map(Frame::One),
    }
}

/// One message of a line or a batch.
pub fn message(value: Value) -> Result<Message, FrameError> {
    let Value::Object(mut map) = value else {
        return Err(FrameError::NotJsonRpc("a message is an object"));
    };
    if has_case_variant(&map, &PROTOCOL_MEMBERS) {
        return Err(FrameError::NotJsonRpc(
            "a member spelled like a protocol member in another case",
        ));
    }
    if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(FrameError::NotJsonRpc("`jsonrpc` must be \"2.0\""));
    }
    let params = map.remove("params");
    if let Some(params) = &params {
        if !(params.is_object() || params.is_array()) {
            return Err(FrameError::NotJsonRpc("`params` is an object or an array"));
        }
    }
    let id = map.remove("id");
    if let Some(id) = &id {
        if !(id.is_string() || id.is_number() || id.is_null()) {
            return Err(FrameError::NotJsonRpc("`id` is a string, a number or null"));
        }
    }
    match (map.remove("method"), id) {
        (Some(Value::String(method)), Some(id)) => Ok(Message::Request { id, method, params }),
        (Some(Value::String(method)), None) => Ok(Message::Notification { method, params }),
        (Some(_), _) => Err(FrameError::NotJsonRpc("`method` is a string")),
        (None, Some(id)) => response(id, map.remove("result"), map.remove("error")),
        (None, None) => Err(FrameError::NotJsonRpc(
            "neither a call (`method`) nor a response (`id`)",
        )),
    }
}

fn response(id: Value, result: Option<Value>, error: Option<Value>) -> Result<Message, FrameError> {
    match (&result, &error) {
        (Some(_), None) | (None, Some(_)) => Ok(Message::Response { id, result, error }),
        (Some(_), Some(_)) => Err(FrameError::NotJsonRpc(
            "a response has `result` or `error`, not both",
        )),
        (None, None) => Err(FrameError::NotJsonRpc("a response has `result` or `error`")),
    }
}

/// The members of a JSON-RPC message.
const PROTOCOL_MEMBERS: [&str; 6] = ["jsonrpc", "id", "method", "params", "result", "error"];

/// Whether `map` has a member that equals one of `members` but in another letter case
/// (`Method`): a server that matches members case-insensitively (Go's `encoding/json`) would
/// read a message other than the one the gateway read.
pub fn has_case_variant(map: &serde_json::Map<String, Value>, members: &[&str]) -> bool {
    map.keys().any(|key| {
        let folded = fold_key(key);
        members.iter().any(|m| folded == fold_key(m) && key != m)
    })
}

/// A member name as a case-insensitive decoder compares it: ASCII case folded, and the two
/// non-ASCII letters Go's `encoding/json` folds to ASCII (`ſ` to `s`, the Kelvin sign to `k`).
fn fold_key(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '\u{017F}' => 's',
            '\u{212A}' => 'k',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// A JSON-RPC error response line (no newline).
pub fn error_response(id: &Value, code: i64, message: &str) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        .to_string()
}

/// A `tools/call` result line that tells the model the call failed (MCP: a tool error is a
/// result with `isError: true`, so the model sees the reason), with `text` as its content.
pub fn tool_error_result(id: &Value, text: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "result": {"content": [{"type": "text", "text": text}], "isError": true}
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(line: &str, expected: Result<Frame, FrameError>) {
        assert_eq!(parse_line(line.as_bytes()), expected, "{line}");
    }

    fn req(id: Value, method: &str, params: Option<Value>) -> Frame {
        Frame::One(Message::Request {
            id,
            method: method.to_owned(),
            params,
        })
    }

    #[test]
    fn classifies_requests_notifications_responses_and_batches() {
        check(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#,
            Ok(req(json!(1), "tools/call", Some(json!({"name": "x"})))),
        );
        check(
            r#"{"jsonrpc":"2.0","id":"a-1","method":"ping"}"#,
            Ok(req(json!("a-1"), "ping", None)),
        );
        check(
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            Ok(Frame::One(Message::Notification {
                method: "notifications/initialized".into(),
                params: None,
            })),
        );
        check(
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
            Ok(Frame::One(Message::Response {
                id: json!(7),
                result: Some(json!({})),
                error: None,
            })),
        );
        let batch =
            parse_line(br#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"1.0","method":"b"}]"#);
        assert!(
            matches!(&batch, Ok(Frame::Batch(items)) if items.len() == 2 && items[1].is_err()),
            "{batch:?}"
        );
    }

    #[test]
    fn refuses_what_is_not_json_rpc_2() {
        check(
            "{",
            Err(FrameError::NotJson(
                "EOF while parsing an object at line 1 column 1".into(),
            )),
        );
        check("[]", Err(FrameError::EmptyBatch));
        check("3", Err(FrameError::NotJsonRpc("a message is an object")));
        check(
            r#"{"id":1,"method":"x"}"#,
            Err(FrameError::NotJsonRpc("`jsonrpc` must be \"2.0\"")),
        );
        check(
            r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#,
            Err(FrameError::NotJsonRpc("`id` is a string, a number or null")),
        );
        check(
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#,
            Err(FrameError::NotJsonRpc("`params` is an object or an array")),
        );
        check(
            r#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#,
            Err(FrameError::NotJsonRpc(
                "a response has `result` or `error`, not both",
            )),
        );
        check(
            r#"{"jsonrpc":"2.0"}"#,
            Err(FrameError::NotJsonRpc(
                "neither a call (`method`) nor a response (`id`)",
            )),
        );
        let long = vec![b' '; MAX_LINE_BYTES + 1];
        assert!(matches!(parse_line(&long), Err(FrameError::TooLong { .. })));
    }

    #[test]
    fn a_refused_call_is_a_tool_error_result_with_the_same_id() {
        let line = tool_error_result(&json!("req-9"), "refused by hostguard");
        let Ok(Frame::One(Message::Response {
            id,
            result: Some(result),
            ..
        })) = parse_line(line.as_bytes())
        else {
            panic!("{line}");
        };
        assert_eq!(id, json!("req-9"));
        assert_eq!(result["isError"], true);
        assert_eq!(result["content"][0]["text"], "refused by hostguard");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse_line(&bytes);
        }

        #[test]
        fn never_panics_on_any_json_shape(s in r#"[\[\]{}",:0-9a-z \\]{0,64}"#) {
            let _ = parse_line(s.as_bytes());
        }
    }
}
