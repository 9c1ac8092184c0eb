//! The hostcall: one call an extension makes into its host, and its validation
//! (docs/design.md §2 step 1).

use hostguard_exec::shell_quote;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::capability::{derive_capability, Capability, CapabilityError};

/// One call an extension makes into its host, as the host received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostCall {
    /// The calling extension.
    pub extension_id: String,
    /// The host's id for this call; outcomes and false-positive flags refer to it.
    pub call_id: String,
    /// `exec`, `env`, `http`, `fs`, `session`, `ui`, `events`, `log` or `tool`.
    pub method: String,
    /// The call's parameters; must be a JSON object.
    pub params: Value,
    /// The capability the extension declares, if any. It must equal the derived one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
}

/// Why a hostcall was rejected before any policy ran (`invalid_request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidHostcall {
    /// `extension_id` is empty.
    #[error("invalid_request: empty extension_id")]
    EmptyExtensionId,
    /// `call_id` is empty.
    #[error("invalid_request: empty call_id")]
    EmptyCallId,
    /// `method` is empty.
    #[error("invalid_request: empty method")]
    EmptyMethod,
    /// `params` is not a JSON object.
    #[error("invalid_request: params must be a json object, got {found}")]
    ParamsNotObject {
        /// The JSON type found instead (`array`, `string`, ...).
        found: &'static str,
    },
    /// The capability could not be derived from the method.
    #[error("invalid_request: {0}")]
    Capability(#[from] CapabilityError),
    /// The declared capability is not a capability name.
    #[error("invalid_request: declared capability `{declared}` is not a capability")]
    UnknownDeclaredCapability {
        /// The declared name.
        declared: String,
    },
    /// The declared capability differs from the derived one.
    #[error("invalid_request: declared capability `{declared}` differs from derived capability `{derived}`")]
    CapabilityMismatch {
        /// What the extension declared.
        declared: Capability,
        /// What the method implies.
        derived: Capability,
    },
}

/// Most variable names one env call may name: the broker cannot answer for more.
pub const MAX_ENV_NAMES: usize = 32;

impl InvalidHostcall {
    /// The reason code recorded in ledgers and verdicts.
    pub const CODE: &'static str = "invalid_request";
}

impl HostCall {
    /// A call with no declared capability.
    pub fn new(
        extension_id: impl Into<String>,
        call_id: impl Into<String>,
        method: impl Into<String>,
        params: Value,
    ) -> HostCall {
        HostCall {
            extension_id: extension_id.into(),
            call_id: call_id.into(),
            method: method.into(),
            params,
            capability: None,
        }
    }

    /// The same call with a declared capability.
    #[must_use]
    pub fn with_capability(mut self, capability: impl Into<String>) -> HostCall {
        self.capability = Some(capability.into());
        self
    }

    /// Every variable name an env call gives, under any key a host may read (a string or an
    /// array of strings each); for an env-reading tool (`getenv`...), also its `input` (an object
    /// with those keys, or the name itself) and not the tool's own `name`. `None` when it names
    /// none, gives a non-string name, or names more than [`MAX_ENV_NAMES`]: the broker cannot
    /// answer for such a read.
    pub fn env_names(&self) -> Option<Vec<&str>> {
        fn collect<'a>(
            source: &'a Map<String, Value>,
            skip_name: bool,
            names: &mut Vec<&'a str>,
        ) -> Option<()> {
            for key in ["name", "key", "var", "names", "keys", "vars"] {
                if skip_name && key == "name" {
                    continue;
                }
                match source.get(key) {
                    None => {}
                    Some(Value::String(name)) => names.push(name.as_str()),
                    Some(Value::Array(items)) => {
                        for item in items {
                            names.push(item.as_str()?);
                        }
                    }
                    Some(_) => return None,
                }
            }
            Some(())
        }
        let p = self.params_object()?;
        let mut names = Vec::new();
        let tool = self.method == "tool";
        collect(p, tool, &mut names)?;
        if tool {
            match p.get("input") {
                None => {}
                Some(Value::Object(input)) => collect(input, false, &mut names)?,
                Some(Value::String(name)) => names.push(name.as_str()),
                Some(_) => return None,
            }
        }
        (!names.is_empty() && names.len() <= MAX_ENV_NAMES).then_some(names)
    }

    /// The parameters as an object, or `None` when they are not one.
    pub fn params_object(&self) -> Option<&Map<String, Value>> {
        self.params.as_object()
    }

    /// Validates the call and derives its capability.
    pub fn validate(&self) -> Result<Capability, InvalidHostcall> {
        if self.extension_id.is_empty() {
            return Err(InvalidHostcall::EmptyExtensionId);
        }
        if self.call_id.is_empty() {
            return Err(InvalidHostcall::EmptyCallId);
        }
        if self.method.is_empty() {
            return Err(InvalidHostcall::EmptyMethod);
        }
        let params = self
            .params
            .as_object()
            .ok_or(InvalidHostcall::ParamsNotObject {
                found: json_type(&self.params),
            })?;
        let derived = derive_capability(&self.method, params)?;
        if let Some(declared) = &self.capability {
            let declared_cap = Capability::parse(declared).ok_or_else(|| {
                InvalidHostcall::UnknownDeclaredCapability {
                    declared: declared.clone(),
                }
            })?;
            if declared_cap != derived {
                return Err(InvalidHostcall::CapabilityMismatch {
                    declared: declared_cap,
                    derived,
                });
            }
        }
        Ok(derived)
    }

    /// The command line an `exec` call or a `bash` tool call would run, for mediation: the
    /// first of [`command_lines`](Self::command_lines). Returns `None` for calls that run no
    /// command.
    pub fn command_line(&self) -> Option<String> {
        self.command_lines().into_iter().next()
    }

    /// Every command line an `exec` call or a `bash`-like tool call could make its host run,
    /// for mediation; the gate mediates each and the strictest decision wins. Empty for calls
    /// that run no command.
    ///
    /// `exec` takes `command` plus optional `args`; the `bash` tool takes `command` either at
    /// the top level or under `input` (or `input` itself as a string). Hosts disagree on which
    /// of these they read, so an extension must not be able to show the gate one command and
    /// the host another: every place a host might read a command from is a candidate — the
    /// top level *and* `input`, `command` and its aliases `cmd` and `script`, and an `argv`
    /// array. A `command` given as an array is an argv (each element one word), not JSON text.
    /// Non-string arguments are stringified, never dropped (docs/design.md §2 step 6): dropping them
    /// would let an extension hide a word from the classifier. A call with no command at all
    /// yields one empty line (what a host reading `command` would run).
    pub fn command_lines(&self) -> Vec<String> {
        self.sourced_command_lines()
            .into_iter()
            .map(|(line, _)| line)
            .collect()
    }

    /// Every line of [`command_lines`](Self::command_lines) as a host would run it with the
    /// call's own environment and working directory (docs/design.md §2 step 6): a host that honours
    /// an `env` object runs the command — and the shell or program it spawns — with those
    /// variables (`{"command": "ls", "env": {"LD_PRELOAD": "/tmp/x.so"}}`), and one that
    /// honours `cwd` runs it there (`{"command": "rm -rf *", "cwd": "/"}`). Each framed line is
    /// `cd 'CWD'`, then `export 'K=V' …`, then the command, one per line, every value quoted as
    /// one word (a value is data, never shell text) and non-string values stringified, never
    /// dropped. The gate mediates these beside the bare lines (a host may ignore the params)
    /// and the strictest decision wins. Empty when no source gives an environment or a
    /// working directory.
    ///
    /// The keys read, where the command was read (top level, or `input` for a tool call — and
    /// the top level for a command under `input`): `env` and `environment` (an object of
    /// variables, an array of `K=V` strings, or a string with one `K=V` a line), and `cwd`,
    /// `dir`, `workdir`, `working_dir`, `working_directory`, `workingDirectory`; each working
    /// directory a call names gives its own line.
    pub fn framed_command_lines(&self) -> Vec<String> {
        let Some(params) = self.params.as_object() else {
            return Vec::new();
        };
        let mut framed = Vec::new();
        for (line, source) in self.sourced_command_lines() {
            let mut contexts: Vec<&Map<String, Value>> = vec![source];
            if !std::ptr::eq(source, params) {
                contexts.push(params);
            }
            let mut exports: Vec<String> = Vec::new();
            let mut dirs: Vec<String> = Vec::new();
            for context in contexts {
                for key in ENV_KEYS {
                    if let Some(env) = context.get(key) {
                        env_entries(env, &mut exports);
                    }
                }
                for key in CWD_KEYS {
                    if let Some(dir) = context.get(key) {
                        dirs.extend(string_forms(dir));
                    }
                }
            }
            if exports.is_empty() && dirs.is_empty() {
                continue;
            }
            let export = (!exports.is_empty()).then(|| {
                let words: Vec<String> = exports.iter().map(|e| shell_quote(e)).collect();
                format!("export {}\n", words.join(" "))
            });
            let export = export.unwrap_or_default();
            if dirs.is_empty() {
                framed.push(format!("{export}{line}"));
            }
            for dir in dirs {
                framed.push(format!("cd {}\n{export}{line}", shell_quote(&dir)));
            }
        }
        framed
    }

    /// The command lines with the params object their command came from (whose `env` and
    /// `cwd` apply to them).
    fn sourced_command_lines(&self) -> Vec<(String, &Map<String, Value>)> {
        let Some(params) = self.params.as_object() else {
            return Vec::new();
        };
        let mut sources: Vec<&Map<String, Value>> = Vec::new();
        let mut lines: Vec<(String, &Map<String, Value>)> = Vec::new();
        match self.method.as_str() {
            "exec" => sources.push(params),
            "tool" => {
                let Some(name) = params.get("name").and_then(Value::as_str) else {
                    return Vec::new();
                };
                if crate::capability::tool_capability(name) != Capability::Exec {
                    return Vec::new();
                }
                match params.get("input") {
                    Some(Value::Object(input)) if has_command(input) || !has_command(params) => {
                        sources.push(input);
                    }
                    Some(Value::String(text)) => lines.push((text.clone(), params)),
                    Some(Value::Array(words)) => lines.push((argv_line(words), params)),
                    _ => {}
                }
                if has_command(params) || (sources.is_empty() && lines.is_empty()) {
                    sources.push(params);
                }
            }
            _ => return Vec::new(),
        }
        for source in sources {
            let mut heads: Vec<String> = COMMAND_KEYS
                .iter()
                .filter_map(|key| source.get(*key))
                .map(|value| match value {
                    Value::Array(words) => argv_line(words),
                    other => stringify(other),
                })
                .collect();
            if heads.is_empty() {
                heads.push(String::new());
            }
            let args = args_suffix(source.get("args"));
            // A string `args` may be one argv word or shell text a host appends: both.
            if let Some(Value::String(raw)) = source.get("args") {
                lines.extend(heads.iter().map(|head| (format!("{head} {raw}"), source)));
            }
            lines.extend(heads.into_iter().map(|head| (head + &args, source)));
            if let Some(Value::Array(words)) = source.get("argv") {
                lines.push((argv_line(words), source));
            }
        }
        lines
    }
}

/// Keys a host may read a command from.
const COMMAND_KEYS: [&str; 3] = ["command", "cmd", "script"];

/// Keys a host may read the environment of a command from.
const ENV_KEYS: [&str; 2] = ["env", "environment"];

/// Keys a host may read the working directory of a command from.
const CWD_KEYS: [&str; 6] = [
    "cwd",
    "dir",
    "workdir",
    "working_dir",
    "working_directory",
    "workingDirectory",
];

/// A param value as the strings a host may turn it into: a string itself; any other value
/// as JSON, and an array also as its elements joined by `,` (how a JavaScript host
/// stringifies `["/"]`). Never dropped.
fn string_forms(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => {
            let joined: Vec<String> = items.iter().map(stringify).collect();
            vec![value.to_string(), joined.join(",")]
        }
        other => vec![other.to_string()],
    }
}

/// The `K=V` entries of an environment param: an object's entries (values stringified), an
/// array's elements, a string's lines; any other value as one entry.
fn env_entries(env: &Value, out: &mut Vec<String>) {
    match env {
        Value::Object(vars) => {
            for (k, v) in vars {
                out.extend(string_forms(v).into_iter().map(|v| format!("{k}={v}")));
            }
        }
        Value::Array(items) => out.extend(items.iter().map(stringify)),
        Value::String(text) => out.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        ),
        Value::Null => {}
        other => out.push(stringify(other)),
    }
}

fn has_command(source: &Map<String, Value>) -> bool {
    COMMAND_KEYS
        .iter()
        .chain(&["args", "argv"])
        .any(|key| source.contains_key(*key))
}

/// An argv array as one command line: every element one (quoted) word.
fn argv_line(words: &[Value]) -> String {
    let mut line = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(&shell_quote(&stringify(word)));
    }
    line
}

/// The `args` of a command, appended as quoted words.
fn args_suffix(args: Option<&Value>) -> String {
    let mut line = String::new();
    match args {
        Some(Value::Array(args)) => {
            for arg in args {
                line.push(' ');
                line.push_str(&shell_quote(&stringify(arg)));
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            line.push(' ');
            line.push_str(&shell_quote(&stringify(other)));
        }
    }
    line
}

fn stringify(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests;
