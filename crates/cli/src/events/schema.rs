//! The JSON Schema of one `hostguard.hostcall_event.v1` line (`schemas/hostcall_event.schema.json`,
//! docs/event-format.md "JSON Schema").
//!
//! Written by hand: the reader parses a line by hand ([`super::parse_line`]: one struct of every
//! field, then the rules of each kind of line), so no derived schema would say what it accepts.
//! The names come from the same constants the reader matches against, and the CLI's schema tests
//! run the reader and this schema over every fixture line and a set of bad lines.

use hostguard_manager::RolloutPhase;
use hostguard_risk_core::schema::any_case_trimmed;
use hostguard_risk_core::{Capability, HostcallMethod};
use serde_json::{json, Value};

use super::model::{OperatorAction, HOSTCALL_EVENT_SCHEMA};
use super::parse::OP_DEFS;

/// The schema of one line: a hostcall line or an operator line (a line with `op`).
pub fn hostcall_event_schema() -> schemars::Schema {
    let methods: Vec<&str> = HostcallMethod::ALL.iter().map(|m| m.as_str()).collect();
    let capabilities: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
    let phases: Vec<&str> = RolloutPhase::ALL.iter().map(|p| p.as_str()).collect();
    let common = json!({
        "schema": { "const": HOSTCALL_EVENT_SCHEMA },
        "ts_ms": { "type": "integer", "minimum": 0, "maximum": u64::MAX },
    });
    let name = json!({ "type": "string", "minLength": 1 });
    let hostcall = json!({
        "title": "hostcall",
        "type": "object",
        "additionalProperties": false,
        "required": ["ts_ms", "extension_id", "call_id", "method", "params"],
        "properties": merged(&common, json!({
            "extension_id": name,
            "call_id": name,
            "method": { "enum": methods },
            "params": { "type": "object" },
            "capability": { "type": "string", "pattern": any_case_trimmed(&capabilities) },
            "outcome": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "error_code": { "type": ["string", "null"] },
                    "latency_ms": { "type": ["integer", "null"], "minimum": 0, "maximum": u64::MAX }
                }
            },
            "false_positive": { "type": "boolean" }
        })),
    });
    let operator = json!({
        "title": "operator",
        "type": "object",
        "additionalProperties": false,
        "required": ["ts_ms", "op"],
        "properties": merged(&common, json!({
            "op": { "enum": OperatorAction::OPS },
            "extension_id": name,
            "call_id": name,
            "reason": { "type": "string" },
            "phase": { "type": "string", "pattern": any_case_trimmed(&phases) },
            "approved": { "type": "boolean" }
        })),
        "allOf": operator_requirements(),
    });
    schemars::json_schema!({
        "description": "One line of a hostcall event stream (JSONL): a hostcall an extension made, or an operator action (a line with `op`). The reader also derives the capability from `method` and `params` and refuses a declared `capability` that differs, and refuses fields of the other kind of line.",
        "oneOf": [hostcall, operator]
    })
}

/// What each `op` requires besides `ts_ms` and refuses: its fields ([`OP_DEFS`]) are required,
/// the other ops' fields refused; `reason` is allowed on every op.
fn operator_requirements() -> Value {
    const OP_FIELDS: [&str; 4] = ["extension_id", "call_id", "phase", "approved"];
    let rules: Vec<Value> = OP_DEFS
        .iter()
        .map(|def| {
            let refused: Vec<Value> = OP_FIELDS
                .iter()
                .filter(|f| !def.fields.contains(f))
                .map(|f| json!({ "required": [f] }))
                .collect();
            json!({
                "if": { "properties": { "op": { "const": def.op } } },
                "then": { "required": def.fields, "not": { "anyOf": refused } }
            })
        })
        .collect();
    Value::Array(rules)
}

/// `base`'s members and `more`'s, as one object.
fn merged(base: &Value, more: Value) -> Value {
    let mut out = base.clone();
    if let (Some(out), Value::Object(more)) = (out.as_object_mut(), more) {
        out.extend(more);
    }
    out
}
