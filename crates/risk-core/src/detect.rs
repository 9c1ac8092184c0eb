//! Detection for every method (docs/detection.md): a hostcall's effects — command lines
//! through the exec crate's parser, `fs`, `http`, `env` and tool calls through their params —
//! judged by one rule catalog, so a technique is caught whichever method carries it.
//!
//! [`Detector::inspect`] is pure: no clock, no state. What the extension did before comes in as
//! a [`Taint`], kept per extension by a [`TaintTracker`].

use std::sync::Arc;

use hostguard_exec::{
    mode_classes, Catalog, CatalogError, Class, Classes, CommandInspection, ContentJudge, Context,
    Effect, ExecTier, Method, RuleHit, Taint, ToolKind, Verb,
};
use serde_json::{Map, Value};

use crate::capability::Capability;
use crate::features::HttpTargetClass;
use crate::hostcall::HostCall;
use crate::model::Signals;

/// The catalog and where the host runs: everything detection needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Detector {
    catalog: Arc<Catalog>,
    context: Context,
}

/// What a call does and which rules it fires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    /// Every effect, over every command line or param (deduplicated).
    pub effects: Vec<Effect>,
    /// The rules that fired, strictest first, each once.
    pub hits: Vec<RuleHit>,
    /// The inspected command lines of an exec call (framed lines first, then the bare ones),
    /// each with its text, for mediation with allow / deny patterns.
    pub commands: Vec<(String, CommandInspection)>,
    /// The call is an `env` read: the secret broker answers it, so a secret it names never
    /// reaches the extension (it does not taint what the extension sends afterwards).
    pub brokered: bool,
}

impl Detection {
    /// The strictest severity that fired (`Low` when none did).
    pub fn severity(&self) -> ExecTier {
        hostguard_exec::strictest(&self.hits)
    }

    /// The call reads a secret: a secret file or credential store, a credential-shaped env
    /// var, or cloud instance metadata. Data sent afterwards is the exfiltration shape.
    pub fn reads_secret(&self) -> bool {
        self.effects.iter().any(|e| {
            (e.verb == Verb::Read && e.classes.has(Class::Secret))
                || (e.verb == Verb::Env && e.classes.has(Class::SecretName))
                || (matches!(e.verb, Verb::Fetch | Verb::Send | Verb::Resolve)
                    && e.classes.has(Class::Metadata))
        })
    }

    /// The call puts a secret's value in the extension's hands: a secret read other than a
    /// brokered env read (the broker withholds those values). Data sent afterwards is the
    /// exfiltration shape.
    pub fn obtains_secret(&self) -> bool {
        !self.brokered && self.reads_secret()
    }

    /// The call reads a credential-shaped env var.
    pub fn reads_secret_env(&self) -> bool {
        self.effects
            .iter()
            .any(|e| e.verb == Verb::Env && e.classes.has(Class::SecretName))
    }

    /// The call downloads into a file, fetches a native binary, or writes one: ingress of a
    /// tool that a later run would start.
    pub fn downloads(&self) -> bool {
        let fetches = self
            .effects
            .iter()
            .any(|e| e.verb == Verb::Fetch && e.classes.has(Class::Egress));
        let writes_outside = self
            .effects
            .iter()
            .any(|e| e.verb == Verb::Write && e.classes.has(Class::Outside));
        let binary = self.effects.iter().any(|e| {
            (e.verb == Verb::Fetch && e.classes.has(Class::Binary) && e.classes.has(Class::Egress))
                || (e.verb == Verb::Write && e.classes.has(Class::Binary))
        });
        (fetches && writes_outside) || binary
    }

    /// The call touches a sensitive path: a secret, privilege, persistence or host file outside
    /// the workspace, a secret in it, or a path that climbs out of it through `..`. Plain
    /// system files (`/etc/os-release`, `/proc/cpuinfo`) are routine diagnostics.
    pub fn sensitive_path(&self) -> bool {
        let sensitive = Classes::of(&[
            Class::Secret,
            Class::Privilege,
            Class::Persistence,
            Class::Host,
        ]);
        self.effects.iter().any(|e| {
            matches!(
                e.verb,
                Verb::Read | Verb::Write | Verb::Delete | Verb::Destroy | Verb::Mode
            ) && ((e.classes.intersects(sensitive) && !e.classes.has(Class::Workspace))
                || e.classes.has(Class::Traversal)
                || (e.classes.has(Class::Secret) && e.verb == Verb::Read))
        })
    }

    /// The call fetches, sends or resolves off the machine and its network, to somewhere other
    /// than a package registry or code host.
    pub fn leaves(&self) -> bool {
        self.effects.iter().any(|e| {
            matches!(e.verb, Verb::Fetch | Verb::Send | Verb::Resolve)
                && e.classes.has(Class::Egress)
                && !e.classes.has(Class::Registry)
        })
    }

    /// Where the call sends or fetches, the strictest target.
    pub fn network_target(&self) -> Option<HttpTargetClass> {
        self.effects
            .iter()
            .filter(|e| matches!(e.verb, Verb::Fetch | Verb::Send | Verb::Resolve))
            .map(|e| HttpTargetClass::from_classes(e.classes))
            .max()
    }

    /// The signals the risk model scores.
    pub fn signals(&self) -> Signals {
        let severity = self.severity();
        Signals {
            sensitive_path: self.sensitive_path(),
            secret_env: self.reads_secret_env(),
            secret_read: self.reads_secret(),
            target: self.network_target(),
            leaves: self.leaves(),
            rule_severity: (!self.hits.is_empty()).then_some(severity),
        }
    }

    fn absorb(&mut self, effects: &[Effect], hits: &[RuleHit]) {
        for e in effects {
            if !self.effects.contains(e) && self.effects.len() < MAX_EFFECTS {
                self.effects.push(*e);
            }
        }
        for h in hits {
            match self.hits.iter_mut().find(|x| x.rule == h.rule) {
                Some(x) if x.severity >= h.severity => {}
                Some(x) => *x = h.clone(),
                None => self.hits.push(h.clone()),
            }
        }
    }
}

/// Most effects kept per call.
const MAX_EFFECTS: usize = 256;

impl Detector {
    /// A detector with the built-in catalog, for a host running in `context`.
    ///
    /// Errors: the built-in catalog does not load (see [`Catalog::builtin`]).
    pub fn builtin(context: Context) -> Result<Detector, CatalogError> {
        Ok(Detector::new(
            Arc::new(Catalog::builtin()?.clone()),
            context,
        ))
    }

    /// A detector with `catalog`.
    pub fn new(catalog: Arc<Catalog>, context: Context) -> Detector {
        Detector { catalog, context }
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Where the host runs.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// What `call` (of derived `capability`) does and which rules it fires, given what the
    /// extension did before.
    pub fn inspect(&self, call: &HostCall, capability: Capability, taint: Taint) -> Detection {
        let mut d = Detection::default();
        let params = call.params_object();
        if capability == Capability::Exec {
            let lines = call
                .framed_command_lines()
                .into_iter()
                .chain(call.command_lines());
            for line in lines {
                let inspection = self.catalog.inspect_command(&line, &self.context, taint);
                d.absorb(&inspection.effects, &inspection.hits);
                d.commands.push((line, inspection));
            }
            sort(&mut d.hits);
            return d;
        }
        let (method, effects) = match (capability, params) {
            (_, None) => (Method::Other, Vec::new()),
            (Capability::Env, Some(_)) => {
                d.brokered = true;
                (Method::Env, self.env_effects(call))
            }
            // A tool is read by what it does, from its `input` (a fetch tool derives `http`).
            (_, Some(p)) if call.method == "tool" => self.tool_effects(p, capability),
            (Capability::Http, Some(p)) => (Method::Http, self.http_effects(p)),
            (Capability::Read | Capability::Write, Some(p)) if call.method == "fs" => {
                (Method::Fs, self.fs_effects(p))
            }
            (_, Some(p)) => (Method::Other, self.param_effects(p)),
        };
        // The call as the command it stands for, so argument rules see every method.
        let (program, args) = as_command(call, method, params);
        let hits = self.catalog.judge_effects(
            method,
            &effects,
            Some((&program, &args)),
            taint,
            call.method.as_str(),
        );
        d.absorb(&effects, &hits);
        // A tool that runs a command somewhere (a container, a remote) runs it as a command.
        if method == Method::Tool {
            for line in tool_commands(params) {
                let inspection = self.catalog.inspect_command(&line, &self.context, taint);
                d.absorb(&inspection.effects, &inspection.hits);
            }
        }
        sort(&mut d.hits);
        d
    }

    fn path(&self, verb: Verb, path: &str, extra: Classes) -> Effect {
        Effect::new(
            verb,
            self.catalog.classify_path(path, &self.context).with(extra),
        )
    }

    /// `fs` ops: what each does to which path param.
    fn fs_effects(&self, p: &Map<String, Value>) -> Vec<Effect> {
        let op = p.get("op").and_then(Value::as_str).unwrap_or("");
        self.file_op(&FileOp::from_fs(op), p)
    }

    fn file_op(&self, op: &FileOp, p: &Map<String, Value>) -> Vec<Effect> {
        let mut out = Vec::new();
        let recursive = p.get("recursive").and_then(Value::as_bool).unwrap_or(false);
        let rec = if recursive {
            Classes::of(&[Class::Recursive])
        } else {
            Classes::EMPTY
        };
        match op {
            FileOp::Read => {
                for path in strings(p, SOURCE_KEYS) {
                    out.push(self.path(Verb::Read, path, Classes::EMPTY));
                }
            }
            FileOp::Metadata => {}
            FileOp::Write | FileOp::Destroy => {
                let verb = if *op == FileOp::Write {
                    Verb::Write
                } else {
                    Verb::Destroy
                };
                let content = strings(p, CONTENT_KEYS).next().unwrap_or("");
                let mut judge = ContentJudge::new(&self.catalog, &self.context, content);
                for path in strings(p, SOURCE_KEYS).chain(strings(p, DEST_KEYS)) {
                    let mut e = self.path(verb, path, Classes::EMPTY);
                    if verb == Verb::Write {
                        e.classes = e.classes.with(judge.classes(e.classes));
                    }
                    out.push(e);
                }
            }
            FileOp::Delete => {
                for path in strings(p, SOURCE_KEYS).chain(strings(p, DEST_KEYS)) {
                    out.push(self.path(Verb::Delete, path, rec));
                }
            }
            FileOp::Move { keeps_source } => {
                let verb = if *keeps_source {
                    Verb::Read
                } else {
                    Verb::Delete
                };
                let sources: Vec<&str> = strings(p, FROM_KEYS).collect();
                let dests: Vec<&str> = strings(p, TO_KEYS).collect();
                for path in &sources {
                    out.push(self.path(verb, path, Classes::EMPTY));
                }
                for path in &dests {
                    out.push(self.path(Verb::Write, path, Classes::EMPTY));
                }
                // `{"op": "rename", "path": …}` with no `from`: `path` is the source.
                if sources.is_empty() {
                    for path in strings(p, &["path", "file_path", "filepath", "file"]) {
                        out.push(self.path(verb, path, Classes::EMPTY));
                    }
                }
            }
            FileOp::Mode => {
                let mode = strings(p, &["mode", "permissions", "perm"])
                    .next()
                    .unwrap_or("");
                let mode = mode_classes(mode).with(rec);
                for path in strings(p, SOURCE_KEYS) {
                    out.push(self.path(Verb::Mode, path, mode));
                }
            }
        }
        if unread_paths(p) {
            // Paths past what is read (64 per array) are judged a secret of unknown kind, so
            // that decoys cannot push a real target out of sight.
            out.push(Effect::new(
                Verb::Read,
                Classes::of(&[Class::Secret, Class::Unknown]),
            ));
        }
        out
    }

    /// `http` (or a fetch tool): a request to `url`; it sends data when it has a body or uses a
    /// writing method, or when the URL itself carries a payload.
    fn http_effects(&self, p: &Map<String, Value>) -> Vec<Effect> {
        let method = strings(p, &["method", "verb", "http_method"])
            .next()
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let body = CONTENT_KEYS
            .iter()
            .chain(&["body", "data", "json", "form", "files", "payload"])
            .any(|k| p.get(*k).is_some_and(|v| !v.is_null()));
        let writes = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
        let mut out = Vec::new();
        let send = |classes: Classes| {
            if body || writes || classes.has(Class::Data) {
                Effect::new(Verb::Send, classes.plus(Class::Data))
            } else {
                Effect::new(Verb::Fetch, classes)
            }
        };
        // Every target is classified up to `MAX_URL_BYTES` of them; past that the rest is
        // judged unknown too, so that decoys cannot push a real target out of sight.
        let mut budget = MAX_URL_BYTES;
        let mut overflow = false;
        for url in url_key_strings(p).chain(urls_under_other_keys(p)) {
            if url.len() > budget {
                overflow = true;
                break;
            }
            budget -= url.len();
            if let Some(classes) = self.catalog.classify_url(url) {
                out.push(send(classes));
            }
        }
        // A target the gate cannot read (a number, an object, no target at all) is one the
        // host might still reach: it is judged unknown, never skipped.
        let unreadable = overflow
            || URL_KEYS
                .iter()
                .any(|k| p.get(*k).is_some_and(|v| !v.is_string() && !v.is_array()));
        if out.is_empty() || unreadable {
            out.push(send(Classes::of(&[Class::Unknown, Class::Egress])));
        }
        out
    }

    fn env_effects(&self, call: &HostCall) -> Vec<Effect> {
        call.env_names()
            .unwrap_or_default()
            .into_iter()
            .map(|name| Effect::new(Verb::Env, self.catalog.classify_env(name)))
            .collect()
    }

    /// A tool: by the tool table's kind, its `input` (or its top-level params) read as the
    /// method it stands for; an unknown tool by its params.
    fn tool_effects(
        &self,
        p: &Map<String, Value>,
        capability: Capability,
    ) -> (Method, Vec<Effect>) {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let input = match p.get("input").or_else(|| p.get("arguments")) {
            Some(Value::Object(o)) => o,
            _ => p,
        };
        match (self.catalog.tool_kind(name), capability) {
            (Some(ToolKind::Fetch), _) | (None, Capability::Http) => {
                (Method::Http, self.http_effects(input))
            }
            (Some(kind), _) => (Method::Fs, self.file_op(&FileOp::from_tool(kind), input)),
            (None, _) => (Method::Tool, self.param_effects(input)),
        }
    }

    /// A call this module has no map for: path-like params are read, URLs fetched.
    fn param_effects(&self, p: &Map<String, Value>) -> Vec<Effect> {
        let mut out = Vec::new();
        for path in strings(p, SOURCE_KEYS).chain(strings(p, DEST_KEYS)) {
            out.push(self.path(Verb::Read, path, Classes::EMPTY));
        }
        if URL_KEYS.iter().any(|k| p.contains_key(*k)) || urls_under_other_keys(p).next().is_some()
        {
            out.extend(self.http_effects(p));
        }
        out
    }
}

/// What a file operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileOp {
    Read,
    Metadata,
    Write,
    Destroy,
    Delete,
    Move { keeps_source: bool },
    Mode,
}

impl FileOp {
    fn from_fs(op: &str) -> FileOp {
        match op {
            "read" => FileOp::Read,
            "write" | "append" | "mkdir" => FileOp::Write,
            "truncate" => FileOp::Destroy,
            "remove" | "delete" => FileOp::Delete,
            "rename" => FileOp::Move {
                keeps_source: false,
            },
            "copy" => FileOp::Move { keeps_source: true },
            "chmod" => FileOp::Mode,
            // stat, list, exists, readdir, read_dir and anything else: metadata at most.
            _ => FileOp::Metadata,
        }
    }

    fn from_tool(kind: ToolKind) -> FileOp {
        match kind {
            ToolKind::Read => FileOp::Read,
            ToolKind::Write => FileOp::Write,
            ToolKind::Delete => FileOp::Delete,
            ToolKind::Move => FileOp::Move {
                keeps_source: false,
            },
            ToolKind::List | ToolKind::Fetch => FileOp::Metadata,
        }
    }
}

/// A call of another method as a command line: `http METHOD URL…`, `fs OP PATH…`, `env
/// NAME…`, or `TOOL --key=value value…` (the tool's input flattened one level: `true` is
/// `--key`, a string both `--key=value` and `value`, an array its strings), bounded.
fn as_command(
    call: &HostCall,
    method: Method,
    params: Option<&Map<String, Value>>,
) -> (String, Vec<String>) {
    const MAX_ARGS: usize = 64;
    const MAX_ARG_BYTES: usize = 4096;
    let mut args: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if args.len() < MAX_ARGS && s.len() <= MAX_ARG_BYTES {
            args.push(s.to_owned());
        }
    };
    let Some(p) = params else {
        return (call.method.clone(), Vec::new());
    };
    let program = match method {
        Method::Tool => p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("tool")
            .to_ascii_lowercase(),
        _ => call.method.clone(),
    };
    let source = match (method, p.get("input")) {
        (Method::Tool, Some(Value::Object(o))) => o,
        _ => p,
    };
    for (key, value) in source {
        if method == Method::Tool && key == "name" && std::ptr::eq(source, p) {
            continue;
        }
        match value {
            Value::Bool(true) => push(&format!("--{key}")),
            Value::String(s) => {
                push(&format!("--{key}={s}"));
                push(s);
            }
            Value::Number(n) => push(&format!("--{key}={n}")),
            Value::Array(items) => {
                for item in items.iter().take(MAX_ARGS) {
                    if let Some(s) = item.as_str() {
                        push(s);
                    }
                }
            }
            Value::Bool(false) | Value::Null | Value::Object(_) => {}
        }
    }
    (program, args)
}

/// The command lines a tool of another kind runs (`command`, `cmd`, `script`, `argv` in its
/// input, a string or an argv array).
fn tool_commands(params: Option<&Map<String, Value>>) -> Vec<String> {
    let Some(p) = params else {
        return Vec::new();
    };
    let source = match p.get("input") {
        Some(Value::Object(o)) => o,
        _ => p,
    };
    let mut out = Vec::new();
    for key in ["command", "cmd", "script", "argv", "entrypoint"] {
        match source.get(key) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => {
                let words: Vec<String> = items
                    .iter()
                    .take(256)
                    .map(|v| match v {
                        Value::String(s) => hostguard_exec::shell_quote(s),
                        other => hostguard_exec::shell_quote(&other.to_string()),
                    })
                    .collect();
                out.push(words.join(" "));
            }
            _ => {}
        }
    }
    out
}

/// Params naming the file acted on (read, written, deleted).
const SOURCE_KEYS: &[&str] = &[
    "path",
    "file_path",
    "filepath",
    "file",
    "filename",
    "paths",
    "files",
    "source",
    "src",
    "from",
];
/// Params naming a destination.
const DEST_KEYS: &[&str] = &[
    "dest",
    "destination",
    "to",
    "target",
    "target_path",
    "new_path",
    "output",
];
/// The source side of a move or copy.
const FROM_KEYS: &[&str] = &["from", "source", "src", "old_path", "path"];
/// The destination side of a move or copy.
const TO_KEYS: &[&str] = &["to", "dest", "destination", "target", "new_path"];
/// What a write puts into the file.
const CONTENT_KEYS: &[&str] = &[
    "content",
    "contents",
    "text",
    "new_str",
    "new_string",
    "data",
    "body",
];
/// A request's address (every key a host may take it from: the strictest wins).
const URL_KEYS: &[&str] = &[
    "url", "uri", "href", "link", "endpoint", "base_url", "baseUrl", "host",
];

/// How many bytes of URL targets one call has classified (the rest make its target unknown).
const MAX_URL_BYTES: usize = 64 * 1024;

/// Schemes of a URL a host would reach, wherever an input puts it.
const URL_SCHEMES: &[&str] = &["http://", "https://", "ws://", "wss://", "ftp://"];

/// Absolute URLs given under keys other than [`URL_KEYS`] (`webhook`, `callback`, `target`,
/// `dest`…): a tool reaches a URL whatever its parameter is called, so the URL is judged,
/// never skipped for its key (top-level values, a string or an array of strings each).
fn urls_under_other_keys(p: &Map<String, Value>) -> impl Iterator<Item = &str> {
    let is_url = |v: &&str| {
        let head = v.get(..8).unwrap_or(v).to_ascii_lowercase();
        URL_SCHEMES.iter().any(|s| head.starts_with(s))
    };
    p.iter()
        .filter(|(k, _)| !URL_KEYS.contains(&k.as_str()))
        .flat_map(|(_, v)| string_or_strings(v))
        .filter(is_url)
}

/// Every string under [`URL_KEYS`] (no cap: the caller bounds what it classifies).
fn url_key_strings(p: &Map<String, Value>) -> impl Iterator<Item = &str> {
    URL_KEYS
        .iter()
        .filter_map(|k| p.get(*k))
        .flat_map(string_or_strings)
}

/// A string, or each string of an array.
fn string_or_strings(v: &Value) -> impl Iterator<Item = &str> {
    let many = v.as_array().into_iter().flatten().filter_map(Value::as_str);
    v.as_str().into_iter().chain(many)
}

/// How many strings of one array [`strings`] reads.
const MAX_STRINGS_PER_ARRAY: usize = 64;

/// Whether a path parameter holds more paths than [`strings`] reads.
fn unread_paths(p: &Map<String, Value>) -> bool {
    [SOURCE_KEYS, DEST_KEYS, FROM_KEYS, TO_KEYS]
        .iter()
        .flat_map(|keys| keys.iter())
        .filter_map(|k| p.get(*k).and_then(Value::as_array))
        .any(|a| a.iter().filter(|v| v.is_string()).count() > MAX_STRINGS_PER_ARRAY)
}

/// The string values of `keys` in `p` (a string, or an array of strings each).
fn strings<'a>(
    p: &'a Map<String, Value>,
    keys: &'static [&'static str],
) -> impl Iterator<Item = &'a str> {
    keys.iter().flat_map(move |k| {
        let v = p.get(*k);
        let one = v.and_then(Value::as_str);
        let many = v
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .take(MAX_STRINGS_PER_ARRAY);
        one.into_iter().chain(many)
    })
}

fn sort(hits: &mut [RuleHit]) {
    hits.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
}

/// What an extension did earlier, as taint: when it last read a secret and last downloaded
/// into a file, in calls. Bounded (a few integers); kept whether or not the risk model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaintTracker {
    calls: u64,
    last_secret: Option<u64>,
    last_download: Option<u64>,
}

impl TaintTracker {
    /// A tracker that has seen nothing.
    pub const fn new() -> TaintTracker {
        TaintTracker {
            calls: 0,
            last_secret: None,
            last_download: None,
        }
    }

    /// The taint for the next call: what happened within the last `window` calls.
    pub fn taint(&self, window: u64) -> Taint {
        let recent = |at: Option<u64>| at.is_some_and(|a| self.calls.saturating_sub(a) <= window);
        let mut t = Taint::NONE;
        if recent(self.last_secret) {
            t = t.with(Taint::SECRET);
        }
        if recent(self.last_download) {
            t = t.with(Taint::DOWNLOAD);
        }
        t
    }

    /// Records a call's detection (whether or not the call was allowed: an attempt to read a
    /// secret followed by a send is the shape either way).
    pub fn observe(&mut self, detection: &Detection) {
        if detection.obtains_secret() {
            self.last_secret = Some(self.calls);
        }
        if detection.downloads() {
            self.last_download = Some(self.calls);
        }
        self.calls = self.calls.saturating_add(1);
    }

    /// Forgets everything (an operator reset).
    pub fn reset(&mut self) {
        *self = TaintTracker::new();
    }
}
