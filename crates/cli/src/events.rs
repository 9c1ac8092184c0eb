//! The input stream format `hostguard.hostcall_event.v1` (docs/design.md §8, `docs/event-format.md`):
//! JSONL, one hostcall or one operator action per line, read line by line in constant memory.
//!
//! Every line is checked before anything acts on it: its JSON, the type of every field, the
//! required fields of its kind, the method (the capability is derived from it exactly as the gate
//! derives it), the operator action and its arguments. A bad line is one [`CliError`] naming the
//! file, the line, the column and what was expected.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use hostguard_manager::RolloutPhase;
use hostguard_risk_core::{derive_capability, Capability, HostCall};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{json_reason, CliError, CliResult};

/// The schema name of one hostcall line (optional `schema` field; when present it must be this).
pub const HOSTCALL_EVENT_SCHEMA: &str = "hostguard.hostcall_event.v1";

/// One hostcall an extension made, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostcallEvent {
    /// When the call was made (milliseconds; drives the manager's clock).
    pub ts_ms: u64,
    /// The calling extension.
    pub extension_id: String,
    /// The call's id, unique within the stream.
    pub call_id: String,
    /// The hostcall method (`exec`, `env`, `http`, `fs`, `session`, `ui`, `events`, `log`, `tool`).
    pub method: String,
    /// The call's parameters (a JSON object).
    pub params: Map<String, Value>,
    /// The capability the extension declared, if it declared one (must match the derived one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// The capability derived from method and params.
    #[serde(skip)]
    pub derived: Option<Capability>,
    /// What happened when the host ran (or refused) the call, if recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<EventOutcome>,
    /// An operator later flagged this decision as a false positive.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub false_positive: bool,
}

impl HostcallEvent {
    /// The gate's view of the call.
    pub fn host_call(&self) -> HostCall {
        let call = HostCall::new(
            self.extension_id.clone(),
            self.call_id.clone(),
            self.method.clone(),
            Value::Object(self.params.clone()),
        );
        match &self.capability {
            Some(declared) => call.with_capability(declared.clone()),
            None => call,
        }
    }
}

/// The recorded outcome of a call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventOutcome {
    /// The error code when the call failed (`denied`, `timeout`, `io`…); absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// How long the host took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// An operator action recorded in the stream, applied in order with the hostcalls.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorAction {
    /// `kill_switch`: refuse every call of the extension from now on.
    KillSwitch {
        /// The extension.
        extension_id: String,
        /// Why (an incident reference).
        reason: String,
    },
    /// `lift_kill_switch`: lift it (which also resets the extension's risk state).
    LiftKillSwitch {
        /// The extension.
        extension_id: String,
        /// Why.
        reason: String,
    },
    /// `set_rollout_phase`: move the rollout to a phase.
    SetRolloutPhase {
        /// The phase.
        phase: RolloutPhase,
    },
    /// `advance_rollout`: advance the rollout one phase.
    AdvanceRollout,
    /// `mark_false_positive`: flag an earlier decision as a false positive.
    MarkFalsePositive {
        /// The call.
        call_id: String,
    },
    /// `resolve_prompt`: a person answered a prompt.
    ResolvePrompt {
        /// The call that prompted.
        call_id: String,
        /// Whether the person approved it.
        approved: bool,
    },
}

impl OperatorAction {
    /// The `op` names, in documentation order.
    pub const OPS: [&'static str; 6] = [
        "kill_switch",
        "lift_kill_switch",
        "set_rollout_phase",
        "advance_rollout",
        "mark_false_positive",
        "resolve_prompt",
    ];

    /// The `op` name of this action.
    pub const fn op(&self) -> &'static str {
        match self {
            OperatorAction::KillSwitch { .. } => "kill_switch",
            OperatorAction::LiftKillSwitch { .. } => "lift_kill_switch",
            OperatorAction::SetRolloutPhase { .. } => "set_rollout_phase",
            OperatorAction::AdvanceRollout => "advance_rollout",
            OperatorAction::MarkFalsePositive { .. } => "mark_false_positive",
            OperatorAction::ResolvePrompt { .. } => "resolve_prompt",
        }
    }
}

/// One operator line.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorEvent {
    /// When the operator acted.
    pub ts_ms: u64,
    /// What they did.
    pub action: OperatorAction,
}

/// One line of a stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A hostcall.
    Hostcall(HostcallEvent),
    /// An operator action.
    Operator(OperatorEvent),
}

impl Event {
    /// The line's timestamp.
    pub const fn ts_ms(&self) -> u64 {
        match self {
            Event::Hostcall(call) => call.ts_ms,
            Event::Operator(op) => op.ts_ms,
        }
    }
}

/// Reads a stream line by line. Blank lines are skipped; memory is one line at a time.
#[derive(Debug)]
pub struct EventReader<R> {
    file: PathBuf,
    reader: R,
    buf: Vec<u8>,
    line: usize,
    done: bool,
}

impl EventReader<std::io::BufReader<std::fs::File>> {
    /// Opens `file` for reading.
    pub fn open(file: &Path) -> CliResult<Self> {
        let handle = std::fs::File::open(file).map_err(|e| CliError::io("read", file, &e))?;
        // Opening a directory succeeds on Unix; reading it is what fails.
        if handle.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(CliError::input(format!(
                "cannot read `{}`: is a directory, expected a file",
                file.display()
            )));
        }
        Ok(EventReader::new(
            file,
            std::io::BufReader::with_capacity(1 << 16, handle),
        ))
    }
}

impl<R: BufRead> EventReader<R> {
    /// Reads from `reader`; `file` is the name errors report.
    pub fn new(file: &Path, reader: R) -> Self {
        EventReader {
            file: file.to_path_buf(),
            reader,
            buf: Vec::with_capacity(1024),
            line: 0,
            done: false,
        }
    }

    /// The number of the last line read (1-based; 0 before the first).
    pub const fn line(&self) -> usize {
        self.line
    }

    /// The file name errors report.
    pub fn file(&self) -> &Path {
        &self.file
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = CliResult<(usize, Event)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(CliError::input(format!(
                        "{}:{}: cannot read: {e}",
                        self.file.display(),
                        self.line + 1
                    ))));
                }
            }
            self.line += 1;
            let text = match std::str::from_utf8(&self.buf) {
                Ok(text) => text,
                Err(e) => {
                    self.done = true;
                    return Some(Err(CliError::at(
                        &self.file,
                        self.line,
                        e.valid_up_to() + 1,
                        "expected UTF-8 text",
                    )));
                }
            };
            // A UTF-8 byte-order mark (what some editors and shells write first) is not part of
            // the first line; columns still count it, as they count bytes of the file's line.
            let (text, offset) = match text.strip_prefix('\u{feff}') {
                Some(rest) if self.line == 1 => (rest, '\u{feff}'.len_utf8()),
                _ => (text, 0),
            };
            if text.trim().is_empty() {
                continue;
            }
            let text = text.trim_end_matches(['\n', '\r']);
            let parsed = parse_line(text).map_err(|(column, message)| {
                CliError::at(&self.file, self.line, column + offset, message)
            });
            if parsed.is_err() {
                self.done = true;
            }
            return Some(parsed.map(|event| (self.line, event)));
        }
        None
    }
}

/// `hostguard events check FILE`: reads the whole stream (constant memory) and prints what it
/// holds; the first bad line is bad input (exit 2).
pub fn check(file: &Path) -> CliResult {
    let mut hostcalls = 0u64;
    let mut operator = 0u64;
    let mut by_capability = std::collections::BTreeMap::<&'static str, u64>::new();
    let mut ops = std::collections::BTreeMap::<&'static str, u64>::new();
    let mut reader = EventReader::open(file)?;
    for item in reader.by_ref() {
        let (_, event) = item?;
        match event {
            Event::Hostcall(call) => {
                hostcalls += 1;
                let cap = call.derived.map_or("unknown", Capability::as_str);
                *by_capability.entry(cap).or_default() += 1;
            }
            Event::Operator(op) => {
                operator += 1;
                *ops.entry(op.action.op()).or_default() += 1;
            }
        }
    }
    let lines = reader.line();
    let caps: Vec<String> = by_capability
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let ops: Vec<String> = ops.iter().map(|(k, v)| format!("{k} {v}")).collect();
    crate::outln!(
        "`{}`: ok, {lines} lines: {hostcalls} hostcalls ({}), {operator} operator lines ({})",
        file.display(),
        if caps.is_empty() {
            "none".to_owned()
        } else {
            caps.join(", ")
        },
        if ops.is_empty() {
            "none".to_owned()
        } else {
            ops.join(", ")
        },
    )?;
    Ok(crate::error::ExitKind::Ok)
}

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
type LineError = (usize, String);

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
    let reason = raw.reason.unwrap_or_else(|| "operator".to_owned());
    let allowed = |keys: &[&str]| -> Result<(), LineError> {
        for (key, present) in [
            ("extension_id", raw.extension_id.is_some()),
            ("call_id", raw.call_id.is_some()),
            ("phase", raw.phase.is_some()),
            ("approved", raw.approved.is_some()),
        ] {
            if present && !keys.contains(&key) {
                return Err((col(key), format!("expected no field `{key}` on op `{op}`")));
            }
        }
        Ok(())
    };
    let action = match op {
        "kill_switch" | "lift_kill_switch" => {
            allowed(&["extension_id"])?;
            let extension_id = required_string(text, "extension_id", raw.extension_id.clone())?;
            if op == "kill_switch" {
                OperatorAction::KillSwitch {
                    extension_id,
                    reason,
                }
            } else {
                OperatorAction::LiftKillSwitch {
                    extension_id,
                    reason,
                }
            }
        }
        "set_rollout_phase" => {
            allowed(&["phase"])?;
            let phase = required_string(text, "phase", raw.phase.clone())?;
            let phase = phase.parse::<RolloutPhase>().map_err(|_| {
                (
                    col("phase"),
                    format!("expected `phase` to be one of shadow, log_only, enforce_new, enforce_all, found `{phase}`"),
                )
            })?;
            OperatorAction::SetRolloutPhase { phase }
        }
        "advance_rollout" => {
            allowed(&[])?;
            OperatorAction::AdvanceRollout
        }
        "mark_false_positive" => {
            allowed(&["call_id"])?;
            OperatorAction::MarkFalsePositive {
                call_id: required_string(text, "call_id", raw.call_id.clone())?,
            }
        }
        "resolve_prompt" => {
            allowed(&["call_id", "approved"])?;
            let call_id = required_string(text, "call_id", raw.call_id.clone())?;
            let approved = raw
                .approved
                .ok_or_else(|| (1, "expected field `approved` (true or false)".to_owned()))?;
            OperatorAction::ResolvePrompt { call_id, approved }
        }
        other => {
            return Err((
                col("op"),
                format!(
                    "expected `op` to be one of {}, found `{other}`",
                    OperatorAction::OPS.join(", ")
                ),
            ))
        }
    };
    Ok(OperatorEvent { ts_ms, action })
}

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

/// The 1-based column (in bytes, as serde_json counts) of the value of top-level key `key` in the JSON object
/// `text`, found by a scan that tracks strings and nesting depth (the line already parsed, so
/// the scan only has to find, not to validate).
pub fn value_column(text: &str, key: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    let mut expecting_key = false;
    while let Some((at, c)) = chars.next() {
        match c {
            '{' | '[' => {
                depth += 1;
                expecting_key = c == '{' && depth == 1;
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting_key = true,
            '"' => {
                let start = at + 1;
                let mut end = start;
                let mut escaped = false;
                for (i, sc) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if sc == '\\' {
                        escaped = true;
                    } else if sc == '"' {
                        end = i;
                        break;
                    }
                }
                if depth == 1 && expecting_key {
                    expecting_key = false;
                    if text.get(start..end) == Some(key) {
                        // Skip `:` and whitespace to the value.
                        for (i, vc) in chars.by_ref() {
                            if vc != ':' && !vc.is_whitespace() {
                                return Some(i + 1);
                            }
                        }
                        return None;
                    }
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: &str) -> LineError {
        match parse_line(line) {
            Ok(event) => panic!("expected an error for {line}, parsed {event:?}"),
            Err(e) => e,
        }
    }

    fn check_err(line: &str, column: usize, contains: &str) {
        let (c, m) = err(line);
        assert_eq!(c, column, "column of `{m}` in {line}");
        assert!(m.contains(contains), "`{m}` lacks `{contains}`");
    }

    #[test]
    fn hostcall_line_parses_with_derived_capability() {
        let line = r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"fs","params":{"op":"read","path":"a"},"outcome":{"latency_ms":3}}"#;
        let Ok(Event::Hostcall(call)) = parse_line(line) else {
            panic!("not a hostcall")
        };
        assert_eq!(call.derived, Some(Capability::Read));
        assert_eq!(call.outcome.and_then(|o| o.latency_ms), Some(3));
    }

    #[test]
    fn operator_lines_parse() {
        let Ok(Event::Operator(op)) =
            parse_line(r#"{"ts_ms":5,"op":"set_rollout_phase","phase":"enforce_all"}"#)
        else {
            panic!("not an op")
        };
        assert_eq!(
            op.action,
            OperatorAction::SetRolloutPhase {
                phase: RolloutPhase::EnforceAll
            }
        );
    }

    #[test]
    fn bad_lines_name_column_and_expectation() {
        check_err("{", 1, "expected one JSON object per line");
        check_err(r#"{"ts_ms":"x"}"#, 12, "expected u64");
        check_err(r#"{"ts_ms":1,"bogus":2}"#, 18, "unknown field `bogus`");
        check_err(
            r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"nope","params":{}}"#,
            54,
            "unknown method `nope`",
        );
        check_err(
            r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":[]}"#,
            70,
            "expected `params` to be a JSON object",
        );
        check_err(
            r#"{"ts_ms":1,"extension_id":"e","method":"exec","params":{}}"#,
            1,
            "expected field `call_id`",
        );
        check_err(r#"{"extension_id":"e"}"#, 1, "expected field `ts_ms`");
        check_err(
            r#"{"ts_ms":1,"op":"explode"}"#,
            17,
            "expected `op` to be one of",
        );
        check_err(
            r#"{"ts_ms":1,"op":"set_rollout_phase","phase":"all"}"#,
            45,
            "found `all`",
        );
        check_err(
            r#"{"ts_ms":1,"op":"advance_rollout","method":"exec"}"#,
            44,
            "belongs to hostcall lines",
        );
        check_err(
            r#"{"ts_ms":1,"extension_id":"e","call_id":"c","method":"exec","params":{},"capability":"read"}"#,
            86,
            "must match the derived one",
        );
    }

    proptest::proptest! {
        /// The reader never panics, whatever the bytes, and a reported column is on the line.
        #[test]
        fn reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let reader = EventReader::new(Path::new("fuzz.jsonl"), std::io::Cursor::new(bytes));
            for item in reader {
                let _ = item;
            }
        }

        /// Lines that are almost valid: every error has a column within the line.
        #[test]
        fn errors_point_inside_the_line(
            key in "[a-z_]{1,14}",
            value in proptest::prop_oneof![
                proptest::strategy::Just("1".to_owned()),
                proptest::strategy::Just("\"x\"".to_owned()),
                proptest::strategy::Just("{}".to_owned()),
                proptest::strategy::Just("[]".to_owned()),
                proptest::strategy::Just("null".to_owned()),
            ],
            cut in 0usize..120,
        ) {
            let full = format!(r#"{{"ts_ms":1,"extension_id":"e","call_id":"c","method":"log","params":{{}},"{key}":{value}}}"#);
            let line = full.get(..cut.min(full.len())).unwrap_or(&full);
            if let Err((column, message)) = parse_line(line) {
                proptest::prop_assert!(column >= 1 && column <= line.len().max(1), "{column} {message} {line}");
                proptest::prop_assert!(message.contains("expected"), "{message}");
            }
            let _ = value_column(line, &key);
        }
    }

    #[test]
    fn value_column_ignores_nested_and_quoted_keys() {
        let line = r#"{"params":{"method":"x"},"note":"\"method\":","method":"exec"}"#;
        assert_eq!(value_column(line, "method"), Some(56));
    }
}
