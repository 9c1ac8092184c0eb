//! Parsing one line of a `hostguard.hostcall_event.v1` stream: its JSON, the type of every
//! field, the fields its kind requires and allows, the method and the operator action. An error
//! is the 1-based column of the offending value and what was expected.

use hostguard_manager::RolloutPhase;
use hostguard_risk_core::{derive_capability, Capability};
use serde::Deserialize;
use serde_json::Value;

use super::model::{
    Event, EventOutcome, HostcallEvent, OperatorAction, OperatorEvent, HOSTCALL_EVENT_SCHEMA,
};
use crate::error::json_reason;

/// Every field any line may carry; types are checked by serde (with the column of the value).
/// A field is absent or has a value of its type: `null` is not "absent" (the schema allows it
/// nowhere on a line; `outcome`'s members have their own rules).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    #[serde(default, deserialize_with = "present")]
    schema: Option<String>,
    #[serde(default, deserialize_with = "present")]
    ts_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    extension_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    call_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    method: Option<String>,
    #[serde(default, deserialize_with = "present")]
    params: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    capability: Option<String>,
    #[serde(default, deserialize_with = "present")]
    outcome: Option<EventOutcome>,
    #[serde(default, deserialize_with = "present")]
    false_positive: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    op: Option<String>,
    #[serde(default, deserialize_with = "present")]
    reason: Option<String>,
    #[serde(default, deserialize_with = "present")]
    phase: Option<String>,
    #[serde(default, deserialize_with = "present")]
    approved: Option<bool>,
}

/// A present field's value, `null` refused (as the wrong type) instead of read as absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A line's problem: 1-based column and message.
pub(crate) type LineError = (usize, String);

/// Parses one non-blank line.
pub fn parse_line(text: &str) -> Result<Event, LineError> {
    // serde reads a struct from a JSON array too (fields by position): only an object is a line.
    let lead = text.len() - text.trim_start().len();
    let found = match text.trim_start().chars().next() {
        Some('{') | None => None,
        Some('[') => Some("an array".to_owned()),
        Some('"') => Some("a string".to_owned()),
        Some('-' | '0'..='9') => Some("a number".to_owned()),
        Some('t' | 'f')
            if text.trim_start().starts_with("true") || text.trim_start().starts_with("false") =>
        {
            Some("a boolean".to_owned())
        }
        Some('n') if text.trim_start().starts_with("null") => Some("null".to_owned()),
        Some(c) => Some(format!("`{}`", c.escape_default())),
    };
    if let Some(found) = found {
        return Err((
            lead + 1,
            format!("expected one JSON object per line, found {found}"),
        ));
    }
    let raw: RawLine = serde_json::from_str(text).map_err(|e| {
        let expected = if e.classify() == serde_json::error::Category::Data {
            "expected a hostcall_event.v1 line"
        } else {
            "expected one JSON object per line"
        };
        (
            e.column().max(1),
            format!("{expected}: {}", json_reason(&e)),
        )
    })?;
    let col = |key: &str| value_column(text, key).unwrap_or(1);
    if let Some(schema) = &raw.schema {
        if schema != HOSTCALL_EVENT_SCHEMA {
            return Err((
                col("schema"),
                format!("expected `schema` `{HOSTCALL_EVENT_SCHEMA}`, found `{schema}`"),
            ));
        }
    }
    let ts_ms = raw.ts_ms.ok_or_else(|| {
        (
            1,
            "expected field `ts_ms` (a non-negative integer, milliseconds)".to_owned(),
        )
    })?;
    match raw.op.clone() {
        Some(op) => parse_operator(text, ts_ms, &op, raw).map(Event::Operator),
        None => parse_hostcall(text, ts_ms, raw).map(Event::Hostcall),
    }
}

fn parse_hostcall(text: &str, ts_ms: u64, raw: RawLine) -> Result<HostcallEvent, LineError> {
    let col = |key: &str| value_column(text, key).unwrap_or(1);
    for (key, present) in [
        ("reason", raw.reason.is_some()),
        ("phase", raw.phase.is_some()),
        ("approved", raw.approved.is_some()),
    ] {
        if present {
            return Err((
                col(key),
                format!("field `{key}` belongs to operator lines: expected `op` with it, or no `{key}` on a hostcall line"),
            ));
        }
    }
    let extension_id = required_string(text, "extension_id", raw.extension_id)?;
    let call_id = required_string(text, "call_id", raw.call_id)?;
    let method = required_string(text, "method", raw.method)?;
    let params = match raw.params {
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err((
                col("params"),
                format!(
                    "expected `params` to be a JSON object, found {}",
                    json_type(&other)
                ),
            ))
        }
        None => return Err((1, "expected field `params` (a JSON object)".to_owned())),
    };
    let derived = derive_capability(&method, &params).map_err(|e| {
        let key = if method_known(&method) {
            "params"
        } else {
            "method"
        };
        (
            col(key),
            format!("expected a known method and its parameters: {e}"),
        )
    })?;
    if let Some(declared) = &raw.capability {
        match Capability::parse(declared) {
            None => {
                return Err((
                    col("capability"),
                    format!("expected `capability` to be one of exec, env, http, read, write, session, ui, events, log, tool, found `{declared}`"),
                ))
            }
            Some(cap) if cap != derived => {
                return Err((
                    col("capability"),
                    format!("expected `capability` `{derived}` (derived from method `{method}`), found `{declared}`: a declared capability must match the derived one"),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(HostcallEvent {
        ts_ms,
        extension_id,
        call_id,
        method,
        params,
        capability: raw.capability,
        derived: Some(derived),
        outcome: raw.outcome,
        false_positive: raw.false_positive.unwrap_or(false),
    })
}

fn parse_operator(
    text: &str,
    ts_ms: u64,
    op: &str,
    raw: RawLine,
) -> Result<OperatorEvent, LineError> {
    let col = |key: &str| value_column(text, key).unwrap_or(1);
    for (key, present) in [
        ("method", raw.method.is_some()),
        ("params", raw.params.is_some()),
        ("capability", raw.capability.is_some()),
        ("outcome", raw.outcome.is_some()),
        ("false_positive", raw.false_positive.is_some()),
    ] {
        if present {
            return Err((
                col(key),
                format!("field `{key}` belongs to hostcall lines: expected no `{key}` on an operator (`op`) line"),
            ));
        }
    }
    let Some(def) = OP_DEFS.iter().find(|d| d.op == op) else {
        return Err((
            col("op"),
            format!(
                "expected `op` to be one of {}, found `{op}`",
                OperatorAction::OPS.join(", ")
            ),
        ));
    };
    for (key, present) in [
        ("extension_id", raw.extension_id.is_some()),
        ("call_id", raw.call_id.is_some()),
        ("phase", raw.phase.is_some()),
        ("approved", raw.approved.is_some()),
    ] {
        if present && !def.fields.contains(&key) {
            return Err((col(key), format!("expected no field `{key}` on op `{op}`")));
        }
    }
    let action = (def.build)(OpLine { text, raw })?;
    Ok(OperatorEvent { ts_ms, action })
}

/// One operator `op`: its name, the optional fields it may carry besides `ts_ms`, `op` and
/// `reason`, and how its action is built from a line already checked against `fields`.
pub(super) struct OpDef {
    pub(super) op: &'static str,
    pub(super) fields: &'static [&'static str],
    build: fn(OpLine<'_>) -> Result<OperatorAction, LineError>,
}

/// An operator line being parsed: its text (for error columns) and its fields.
struct OpLine<'t> {
    text: &'t str,
    raw: RawLine,
}

impl OpLine<'_> {
    fn required(&mut self, key: &str) -> Result<String, LineError> {
        let value = match key {
            "extension_id" => self.raw.extension_id.take(),
            "call_id" => self.raw.call_id.take(),
            "phase" => self.raw.phase.take(),
            _ => None,
        };
        required_string(self.text, key, value)
    }

    /// `reason`, which every op accepts; `operator` when absent.
    fn reason(&mut self) -> String {
        self.raw
            .reason
            .take()
            .unwrap_or_else(|| "operator".to_owned())
    }
}

/// Every operator op, in documentation order ([`OperatorAction::OPS`]).
pub(super) const OP_DEFS: &[OpDef] = &[
    OpDef {
        op: "kill_switch",
        fields: &["extension_id"],
        build: |mut line| {
            let reason = line.reason();
            Ok(OperatorAction::KillSwitch {
                extension_id: line.required("extension_id")?,
                reason,
            })
        },
    },
    OpDef {
        op: "lift_kill_switch",
        fields: &["extension_id"],
        build: |mut line| {
            let reason = line.reason();
            Ok(OperatorAction::LiftKillSwitch {
                extension_id: line.required("extension_id")?,
                reason,
            })
        },
    },
    OpDef {
        op: "set_rollout_phase",
        fields: &["phase"],
        build: |mut line| {
            let phase = line.required("phase")?;
            let phase = phase.parse::<RolloutPhase>().map_err(|_| {
                (
                    value_column(line.text, "phase").unwrap_or(1),
                    format!("expected `phase` to be one of shadow, log_only, enforce_new, enforce_all, found `{phase}`"),
                )
            })?;
            Ok(OperatorAction::SetRolloutPhase { phase })
        },
    },
    OpDef {
        op: "advance_rollout",
        fields: &[],
        build: |_| Ok(OperatorAction::AdvanceRollout),
    },
    OpDef {
        op: "mark_false_positive",
        fields: &["call_id"],
        build: |mut line| {
            Ok(OperatorAction::MarkFalsePositive {
                call_id: line.required("call_id")?,
            })
        },
    },
    OpDef {
        op: "resolve_prompt",
        fields: &["call_id", "approved"],
        build: |mut line| {
            let call_id = line.required("call_id")?;
            let approved = line
                .raw
                .approved
                .ok_or_else(|| (1, "expected field `approved` (true or false)".to_owned()))?;
            Ok(OperatorAction::ResolvePrompt { call_id, approved })
        },
    },
];

fn required_string(text: &str, key: &str, value: Option<String>) -> Result<String, LineError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err((
            value_column(text, key).unwrap_or(1),
            format!("expected `{key}` to be a non-empty string"),
        )),
        None => Err((1, format!("expected field `{key}` (a non-empty string)"))),
    }
}

fn method_known(method: &str) -> bool {
    hostguard_manager::HostcallMethod::parse(method).is_some()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The 1-based column (in bytes, as serde_json counts) of the value of top-level key `key` in
/// the JSON object `text`: risk-core's scanner of top-level keys (the line already parsed, so
/// the scan only has to find, not to validate).
pub fn value_column(text: &str, key: &str) -> Option<usize> {
    hostguard_risk_core::json_value_offset(text, key).map(|offset| offset + 1)
}
