//! The gateway's decisions, one line at a time (docs/mcp.md): what to do with a line from the
//! client and a line from the server. No I/O of its own — the caller reads and writes the
//! pipes — so every rule here is tested without a process.
//!
//! - A `tools/call` becomes hostcalls of the gate ([`ToolMap`]); allowed, the line goes to the
//!   server unchanged and its response feeds `record_outcome` with the latency; refused, the
//!   client gets a tool result with `isError: true` naming the reason and how an operator
//!   reviews it, and the server never sees the call. A call needing a person's approval is
//!   held and the person asked through a client that declared elicitation
//!   ([`crate::elicit`]); otherwise refused with that explanation.
//! - A tool that is new or changed since its pin was approved is refused ([`PinStore`]).
//! - A result that lists tools is checked against the pins and the poisoning scan
//!   ([`crate::scan`]) and reaches the client without the tools that are new, changed, listed
//!   twice or poisoned and not approved: the model never reads an unapproved definition.
//! - Every other result has its credentials redacted and is scanned ([`crate::report`]).
//! - A line the gateway cannot read is never forwarded, either way: the other side might read
//!   it differently (`NaN`, a batch hiding a `tools/call`, `Method` beside `method`); a client
//!   gets a JSON-RPC error instead, a server's line is dropped.
//! - Everything else passes through byte for byte.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use hostguard_manager::{
    ExtensionManager, ExtensionTrustState, HostCall, Outcome, Verdict, SECRET_PLACEHOLDER,
};
use serde_json::Value;

use crate::jsonrpc::{
    error_response, has_case_variant, parse_line, tool_error_result, Frame, Message,
};
use crate::mapping::ToolMap;
use crate::pins::{PinCheck, PinStore};
use crate::report::{Reporter, Seen};
use crate::scan::{scan, strings_of, Scope};

/// Requests awaiting the server's response, at most (the oldest is forgotten past it, so a
/// server that never answers cannot grow the gateway's memory).
pub const MAX_PENDING: usize = 4096;

/// JSON-RPC's "parse error" and "invalid request" codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC's "internal error" code.
const INTERNAL_ERROR: i64 = -32603;

/// Tool names a gateway tracks at most (pins, definitions, findings): a server that lists more
/// cannot grow the gateway's memory or flood its ledger; the rest are withheld.
pub const MAX_TOOLS: usize = 1024;

/// Where a line goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// To the server's stdin (a newline is added by the writer).
    ToServer(Vec<u8>),
    /// To the client's stdout (a newline is added by the writer).
    ToClient(Vec<u8>),
}

/// What a response answers.
struct Answer {
    /// In words, for findings (`result of tool "x" (mcp-3)`).
    subject: String,
    /// How its text is read.
    scope: Scope,
    /// It answers the client's `tools/list`.
    lists_tools: bool,
}

/// What a request id is waiting for.
#[derive(Debug, Clone)]
enum Pending {
    /// A `tools/call` the gate allowed: the tool, its hostcall ids and when it was sent.
    Call {
        tool: String,
        call_ids: Vec<String>,
        sent_ms: u64,
    },
    /// Any other request forwarded: its method (what its response is called in a finding).
    Request { method: String },
}

/// A `tools/call` held while a person is asked (elicitation).
#[derive(Debug, Clone)]
struct Held {
    /// The client's request id.
    id: Value,
    /// The request line, sent to the server as it is if the person allows it.
    line: Vec<u8>,
    tool: String,
    /// Every hostcall id of the call.
    call_ids: Vec<String>,
    /// The hostcalls whose verdict was Prompt.
    prompted: Vec<String>,
}

/// One gateway: one client, one server, one extension of the gate.
pub struct Gateway {
    manager: ExtensionManager,
    extension: String,
    map: ToolMap,
    pins: PinStore,
    /// The last `tools/list`'s verdict on each tool, by name, and the tool's pin now.
    listed: BTreeMap<String, (PinCheck, String)>,
    /// Trust on first use: the first `tools/list` approves what it lists (a gateway with no
    /// pin file yet); every later change is refused until approved.
    trust_first_list: bool,
    /// Folders no call may read or write (the gateway's own state: pins, kill switch).
    protected: Vec<PathBuf>,
    /// The user's home folder (`~` of the file tools' paths).
    home: Option<PathBuf>,
    /// The definition of each listed tool as the server last sent it (what an operator
    /// reviews before approving).
    definitions: BTreeMap<String, Value>,
    /// Bumped whenever `listed` changes (for a caller that persists it).
    listed_version: u64,
    pending: VecDeque<(String, Pending)>,
    next_call: u64,
    /// Pins and findings on their way to the ledger.
    reporter: Reporter,
    /// The poisoning scan's signals of each listed tool's definition (empty: none).
    poison: BTreeMap<String, Vec<&'static str>>,
    /// The client declared the elicitation capability in `initialize`.
    client_elicits: bool,
    /// A credential was redacted in this session: a call that sends the placeholder back is
    /// refused (it would write `[REDACTED]` over the real value).
    redacted_any: bool,
    /// Calls held until a person answers, by the elicitation's id (bounded like `pending`).
    held: VecDeque<(String, Held)>,
    next_elicitation: u64,
}

impl Gateway {
    /// A gateway that gates the server as extension `extension`.
    pub fn new(
        manager: ExtensionManager,
        extension: &str,
        map: ToolMap,
        pins: PinStore,
    ) -> Gateway {
        Gateway {
            manager,
            extension: extension.to_owned(),
            map,
            pins,
            listed: BTreeMap::new(),
            definitions: BTreeMap::new(),
            protected: Vec::new(),
            home: None,
            trust_first_list: false,
            listed_version: 0,
            pending: VecDeque::new(),
            next_call: 0,
            reporter: Reporter::default(),
            poison: BTreeMap::new(),
            client_elicits: false,
            redacted_any: false,
            held: VecDeque::new(),
            next_elicitation: 0,
        }
    }

    /// The gate.
    pub fn manager(&self) -> &ExtensionManager {
        &self.manager
    }

    /// The last `tools/list`'s verdict on each tool, and its pin now.
    pub fn listed(&self) -> &BTreeMap<String, (PinCheck, String)> {
        &self.listed
    }

    /// Refuses every call whose `fs` path lies in `dir`, and every move or delete of a folder
    /// above it
    /// (absolute, or relative to the gateway's working folder, which the server inherits; `..`
    /// resolved by the path's text):
    /// the server must not approve its own tools or lift its own kill switch through a file
    /// tool. A command line that writes there is for exec mediation to judge.
    pub fn protect(&mut self, dir: PathBuf) {
        let absolute = match (dir.is_absolute(), std::env::current_dir()) {
            (false, Ok(cwd)) => cwd.join(dir),
            _ => dir,
        };
        self.protected.push(normalize(&absolute));
    }

    /// The protected folder a hostcall's `fs` path lies in, if any.
    fn protected_path(&self, tool: &str, call: &HostCall) -> Option<String> {
        if call.method != "fs" {
            return None;
        }
        let text = call.params.get("path")?.as_str()?;
        // `~/x` and `$HOME/x`, as a file server expands them.
        let home_relative = ["~/", "$HOME/"]
            .iter()
            .find_map(|p| text.strip_prefix(p))
            .zip(self.home.as_ref());
        let path = Path::new(text);
        let absolute = match (home_relative, path.is_absolute()) {
            (Some((rest, home)), _) => home.join(rest),
            (None, true) => path.to_path_buf(),
            (None, false) => std::env::current_dir().ok()?.join(path),
        };
        let path = normalize(&absolute);
        // Reading or writing in a folder above DIR is ordinary (listing the home folder, a
        // commit in a repository that holds DIR); moving or deleting it takes DIR along.
        let lower = tool.to_ascii_lowercase();
        let takes_along = ["delete", "remove", "move", "rename", "rmdir", "trash"]
            .iter()
            .any(|verb| lower.contains(verb));
        self.protected
            .iter()
            .find(|dir| path.starts_with(dir) || (takes_along && dir.starts_with(&path)))
            .map(|dir| dir.display().to_string())
    }

    /// The user's home folder, for `~/x` paths of the file tools.
    pub fn set_home(&mut self, home: PathBuf) {
        self.home = Some(home);
    }

    /// The poisoning scan's signals in a listed tool's definition (empty: none).
    pub fn poison(&self, name: &str) -> &[&'static str] {
        self.poison.get(name).map_or(&[], Vec::as_slice)
    }

    /// A listed tool's definition as the server last sent it.
    pub fn definition(&self, name: &str) -> Option<&Value> {
        self.definitions.get(name)
    }

    /// Changes whenever [`listed`](Self::listed) does.
    pub fn listed_version(&self) -> u64 {
        self.listed_version
    }

    /// Trust on first use: the next `tools/list` approves every tool it lists (for a gateway
    /// whose pin file does not exist yet); the caller saves [`pins`](Self::pins) after it.
    pub fn trust_first_list(&mut self) {
        self.trust_first_list = true;
    }

    /// The approved pins.
    pub fn pins(&self) -> &PinStore {
        &self.pins
    }

    /// Replaces the approved pins (an operator approved a tool) and re-checks what was listed.
    pub fn set_pins(&mut self, pins: PinStore) {
        self.pins = pins;
        for (name, (check, pin)) in &mut self.listed {
            let was_same = *check == PinCheck::Same;
            *check = match self.pins.pinned(name) {
                Some(p) if p == pin => PinCheck::Same,
                Some(p) => PinCheck::Changed {
                    pinned: p.to_owned(),
                    pin: pin.clone(),
                },
                None => PinCheck::New { pin: pin.clone() },
            };
            let seen = Seen {
                name,
                pin,
                check,
                poison: self.poison.get(name).map_or(&[], Vec::as_slice),
                approved_by: (!was_same && *check == PinCheck::Same).then_some("operator"),
            };
            self.reporter.tool(&self.manager, &self.extension, &seen);
        }
        self.listed_version = self.listed_version.saturating_add(1);
    }

    /// A line from the client, at `now_ms`.
    pub fn from_client(&mut self, line: &[u8], now_ms: u64) -> Vec<Action> {
        let frame = match parse_line(line) {
            Ok(frame) => frame,
            Err(e) => {
                let reply = error_response(&Value::Null, PARSE_ERROR, &format!("hostguard: {e}"));
                return vec![Action::ToClient(reply.into_bytes())];
            }
        };
        if let Some(refusal) = self.refused_while_stopped(&frame) {
            return vec![refusal];
        }
        match frame {
            Frame::One(Message::Request { id, method, params }) if method == "tools/call" => {
                self.tools_call(line, id, params.as_ref(), now_ms)
            }
            // A tools/call without an id expects no answer and would never be gated: dropped.
            Frame::One(Message::Notification { method, .. }) if method == "tools/call" => {
                Vec::new()
            }
            Frame::One(Message::Request { id, method, params }) => {
                if method == "initialize" {
                    self.client_elicits = crate::elicit::declares_elicitation(params.as_ref());
                }
                self.remember(&id, Pending::Request { method });
                vec![Action::ToServer(line.to_vec())]
            }
            Frame::One(Message::Response { id, result, .. }) if self.is_held(&id) => {
                self.answered(&id, result.as_ref(), now_ms)
            }
            Frame::One(_) => vec![Action::ToServer(line.to_vec())],
            Frame::Batch(items) => batch(line, &items),
        }
    }

    /// While the extension is killed or quarantined, every request but `ping` and `tools/call`
    /// (which the gate refuses, with a ledger entry) is refused here — resources, prompts,
    /// completion reach the server no more than tools do — and so is a batch.
    fn refused_while_stopped(&self, frame: &Frame) -> Option<Action> {
        let trust = self.manager.trust_state(&self.extension);
        if !matches!(
            trust,
            ExtensionTrustState::Killed | ExtensionTrustState::Quarantined
        ) {
            return None;
        }
        let id = match frame {
            Frame::One(Message::Request { method, .. })
                if method == "ping" || method == "tools/call" =>
            {
                return None;
            }
            Frame::One(Message::Request { id, .. }) => id.clone(),
            Frame::One(_) => return None,
            Frame::Batch(_) => Value::Null,
        };
        let message = format!(
            "hostguard: the server is {} by an operator or the gate: the request was not sent",
            trust.as_str()
        );
        Some(Action::ToClient(
            error_response(&id, INVALID_REQUEST, &message).into_bytes(),
        ))
    }

    /// A line from the server, at `now_ms`. A line the gateway cannot read is dropped (a client
    /// might read it differently); a result that lists tools — whatever request it answers —
    /// is checked against the pins and reaches the client without the tools it may not call,
    /// so the model never reads a new or changed definition.
    pub fn from_server(&mut self, line: &[u8], now_ms: u64) -> Vec<Action> {
        let frame = match parse_line(line) {
            Ok(frame) => frame,
            Err(_) => return Vec::new(),
        };
        match frame {
            Frame::One(Message::Response { id, result, error }) => {
                let answer = self.outcome(&id, result.as_ref(), error.as_ref(), now_ms);
                let listing = result.as_ref().and_then(|r| r.get("tools"));
                // A decoder that folds case would read `Tools` as the list: never passed on.
                let cased = result
                    .as_ref()
                    .and_then(Value::as_object)
                    .is_some_and(|r| has_case_variant(r, &["tools", "nextCursor"]));
                if answer.lists_tools && cased {
                    let text = "hostguard: the server's tools list spells a member in another letter case; not passed on";
                    let reply = error_response(&id, INTERNAL_ERROR, text);
                    return vec![Action::ToClient(reply.into_bytes())];
                }
                let changed = match (answer.lists_tools, listing) {
                    // The answer to the client's `tools/list` (or to a request the gateway does
                    // not know): screened against the pins.
                    (true, Some(Value::Array(_))) => self.screen_listing(&answer, result),
                    (true, Some(_)) => {
                        let text =
                            "hostguard: the server's tools list is not a list; not passed on";
                        let reply = error_response(&id, INTERNAL_ERROR, text);
                        return vec![Action::ToClient(reply.into_bytes())];
                    }
                    // Anything else, a `tools` member included, is data the model reads.
                    _ => self.inspect(&answer.subject, answer.scope, result, error),
                };
                match changed {
                    // Nothing withheld or redacted: the line stays the server's, byte for byte.
                    None => vec![Action::ToClient(line.to_vec())],
                    Some((member, value)) => {
                        let mut reply = serde_json::json!({"jsonrpc": "2.0", "id": id});
                        if let Some(reply) = reply.as_object_mut() {
                            reply.insert(member.to_owned(), value);
                        }
                        vec![Action::ToClient(reply.to_string().into_bytes())]
                    }
                }
            }
            // A batch from the server may hide a tools list: refused whole.
            Frame::Batch(_) => Vec::new(),
            // The gateway's own request ids: a server using one could have the person's answer
            // to its question taken as an approval of a held call. Dropped.
            Frame::One(Message::Request { id, .. })
                if id
                    .as_str()
                    .is_some_and(|id| id.starts_with(crate::elicit::ID_PREFIX)) =>
            {
                Vec::new()
            }
            // A server's own request (sampling, elicitation) carries text the model or the
            // person reads: redacted and scanned like a result.
            Frame::One(Message::Request {
                id,
                method,
                params: Some(mut params),
            }) => {
                let subject = format!("request {} of the server", Value::from(method.as_str()));
                let changed = self.reporter.result(
                    &self.manager,
                    &self.extension,
                    (&subject, Scope::Result),
                    &mut params,
                );
                self.redacted_any |= changed;
                match changed {
                    true => {
                        let request = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
                        vec![Action::ToClient(request.to_string().into_bytes())]
                    }
                    false => vec![Action::ToClient(line.to_vec())],
                }
            }
            Frame::One(_) => vec![Action::ToClient(line.to_vec())],
        }
    }

    /// Feeds a `tools/call`'s response to the gate; what the response answers.
    fn outcome(
        &mut self,
        id: &Value,
        result: Option<&Value>,
        error: Option<&Value>,
        now_ms: u64,
    ) -> Answer {
        let subject = match self.take(id) {
            Some(Pending::Call {
                tool,
                call_ids,
                sent_ms,
            }) => {
                let outcome = outcome_of(result, error);
                let latency = now_ms.saturating_sub(sent_ms);
                for call_id in &call_ids {
                    self.manager
                        .record_outcome_with_latency(call_id, outcome.clone(), latency);
                }
                format!(
                    "result of tool {} ({})",
                    Value::from(tool),
                    call_ids.join(", ")
                )
            }
            Some(Pending::Request { method }) => {
                return Answer {
                    subject: format!("response to {}", Value::from(method.as_str())),
                    // The server's `initialize` instructions are read as instructions.
                    scope: match method.as_str() {
                        "initialize" => Scope::Definition,
                        _ => Scope::Result,
                    },
                    lists_tools: method == "tools/list",
                };
            }
            // Unknown (the client's batch, a request forgotten past MAX_PENDING): a tools list
            // in it may be one the client reads, so it is screened all the same.
            None => {
                return Answer {
                    subject: format!("response to an unknown request (id {id})"),
                    scope: Scope::Result,
                    lists_tools: true,
                };
            }
        };
        Answer {
            subject,
            scope: Scope::Result,
            lists_tools: false,
        }
    }

    /// A `tools/list` answer: its tools screened against the pins, the rest of it inspected
    /// like any result. The result to send instead, when anything was withheld or redacted.
    fn screen_listing(
        &mut self,
        answer: &Answer,
        result: Option<Value>,
    ) -> Option<(&'static str, Value)> {
        let mut result = result?;
        let tools = result.as_object_mut()?.remove("tools")?;
        let mut rest = result;
        let redacted = self.reporter.result(
            &self.manager,
            &self.extension,
            (&answer.subject, Scope::Definition),
            &mut rest,
        );
        self.redacted_any |= redacted;
        let (kept, withheld) = self.screen_tools(&rest, tools);
        if let Some(object) = rest.as_object_mut() {
            object.insert("tools".to_owned(), kept);
        }
        (redacted || withheld).then_some(("result", rest))
    }

    /// A response that lists no tools, on its way to the client: its result or error with
    /// credentials redacted (and alerted), scanned for text aimed at the model. The member to
    /// send instead, when something was redacted.
    fn inspect(
        &mut self,
        subject: &str,
        scope: Scope,
        result: Option<Value>,
        error: Option<Value>,
    ) -> Option<(&'static str, Value)> {
        let (member, mut value) = match (result, error) {
            (Some(result), _) => ("result", result),
            (None, Some(error)) => ("error", error),
            (None, None) => return None,
        };
        let redacted =
            self.reporter
                .result(&self.manager, &self.extension, (subject, scope), &mut value);
        self.redacted_any |= redacted;
        redacted.then_some((member, value))
    }

    /// Gates one `tools/call`: pins first, then every hostcall of its arguments.
    fn tools_call(
        &mut self,
        line: &[u8],
        id: Value,
        params: Option<&Value>,
        now_ms: u64,
    ) -> Vec<Action> {
        if params
            .and_then(Value::as_object)
            .is_some_and(|p| has_case_variant(p, &["name", "arguments"]))
        {
            let text = "hostguard refused this call: its params spell `name` or `arguments` in another letter case; the call was not sent";
            return vec![Action::ToClient(tool_error_result(&id, text).into_bytes())];
        }
        let tool = params
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let args = params
            .and_then(|p| p.get("arguments"))
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(refusal) = self.pin_refusal(tool) {
            return vec![Action::ToClient(
                tool_error_result(&id, &refusal).into_bytes(),
            )];
        }
        self.next_call = self.next_call.saturating_add(1);
        let call_id = format!("mcp-{}", self.next_call);
        let calls = self.map.hostcalls(&self.extension, &call_id, tool, &args);
        // After a redaction, a write that carries the placeholder would put `[REDACTED]` over
        // the real value (a config file the model read and edits).
        let writes = calls.iter().any(|c| {
            c.method == "fs" && c.params.get("op").and_then(Value::as_str) != Some("read")
        });
        if self.redacted_any && writes && args.to_string().contains(SECRET_PLACEHOLDER) {
            let text = format!(
                "hostguard refused {}: what it writes holds {SECRET_PLACEHOLDER}, where the gateway hid a credential from the model; written, it would replace the real value. The call was not sent: change that part yourself.",
                Value::from(tool)
            );
            return vec![Action::ToClient(tool_error_result(&id, &text).into_bytes())];
        }
        if let Some(path) = calls.iter().find_map(|c| self.protected_path(tool, c)) {
            let text = format!(
                "hostguard refused the tool {}: it would touch the gateway's own state ({path}); the call was not sent",
                Value::from(tool)
            );
            return vec![Action::ToClient(tool_error_result(&id, &text).into_bytes())];
        }
        let mut call_ids = Vec::with_capacity(calls.len());
        let mut prompted = Vec::new();
        for call in &calls {
            match self.manager.evaluate_hostcall(call) {
                Ok(verdict) if verdict.action() == hostguard_manager::VerdictAction::Allow => {
                    call_ids.push(call.call_id.clone());
                }
                Ok(verdict) if verdict.requires_prompt() && self.client_elicits => {
                    call_ids.push(call.call_id.clone());
                    prompted.push((call.call_id.clone(), reason_line(call, &verdict)));
                }
                Ok(verdict) => return vec![self.refused(&id, tool, call, &verdict)],
                Err(e) => {
                    let text = format!("hostguard refused `{tool}`: the gate could not decide ({e}); the call was not sent");
                    return vec![Action::ToClient(tool_error_result(&id, &text).into_bytes())];
                }
            }
        }
        if !prompted.is_empty() {
            let held = Held {
                id,
                line: line.to_vec(),
                tool: tool.to_owned(),
                call_ids,
                prompted: prompted.iter().map(|(c, _)| c.clone()).collect(),
            };
            let reasons: Vec<String> = prompted.into_iter().map(|(_, r)| r).collect();
            return self.elicit(held, &reasons);
        }
        self.remember(
            &id,
            Pending::Call {
                tool: tool.to_owned(),
                call_ids,
                sent_ms: now_ms,
            },
        );
        vec![Action::ToServer(line.to_vec())]
    }

    /// Holds a call and asks the person through the client. A call held longest is refused
    /// when too many wait (its client is answered, never left waiting).
    fn elicit(&mut self, held: Held, reasons: &[String]) -> Vec<Action> {
        self.next_elicitation = self.next_elicitation.saturating_add(1);
        let id = format!("{}{}", crate::elicit::ID_PREFIX, self.next_elicitation);
        let request = crate::elicit::request(&id, &self.extension, &held.tool, reasons);
        let mut actions = Vec::with_capacity(2);
        if self.held.len() >= MAX_PENDING {
            if let Some((_, oldest)) = self.held.pop_front() {
                let text = format!(
                    "hostguard refused {}: too many calls waited for a person's answer; the server never saw the call",
                    Value::from(oldest.tool.as_str())
                );
                actions.push(Action::ToClient(
                    tool_error_result(&oldest.id, &text).into_bytes(),
                ));
            }
        }
        self.held.push_back((id, held));
        actions.push(Action::ToClient(request.into_bytes()));
        actions
    }

    fn is_held(&self, id: &Value) -> bool {
        id.as_str()
            .is_some_and(|id| self.held.iter().any(|(k, _)| k == id))
    }

    /// The person's answer to an elicitation: every prompted hostcall resolved in the ledger;
    /// allowed (and the server still running), the held call goes to the server, once;
    /// otherwise the client gets a refused result.
    fn answered(&mut self, id: &Value, result: Option<&Value>, now_ms: u64) -> Vec<Action> {
        let key = id.as_str().unwrap_or_default();
        let Some(at) = self.held.iter().position(|(k, _)| k == key) else {
            return Vec::new();
        };
        let Some((_, held)) = self.held.remove(at) else {
            return Vec::new();
        };
        // The tool may have changed while the person was asked: its pins are checked again,
        // and a call refused for it is recorded as not allowed.
        let refusal = self.pin_refusal(&held.tool);
        let allowed = crate::elicit::allows(result) && refusal.is_none();
        for call_id in &held.prompted {
            self.manager
                .resolve_prompt_for(&self.extension, call_id, allowed);
        }
        if let Some(refusal) = refusal {
            return vec![Action::ToClient(
                tool_error_result(&held.id, &refusal).into_bytes(),
            )];
        }
        let trust = self.manager.trust_state(&self.extension);
        let stopped = matches!(
            trust,
            ExtensionTrustState::Killed | ExtensionTrustState::Quarantined
        );
        if !allowed || stopped {
            let why = match stopped {
                true => format!("the server was {} while a person was asked", trust.as_str()),
                false => "the person asked did not allow it".to_owned(),
            };
            let text = format!(
                "hostguard refused {}: {why}; the server never saw the call",
                Value::from(held.tool.as_str())
            );
            return vec![Action::ToClient(
                tool_error_result(&held.id, &text).into_bytes(),
            )];
        }
        self.remember(
            &held.id,
            Pending::Call {
                tool: held.tool,
                call_ids: held.call_ids,
                sent_ms: now_ms,
            },
        );
        vec![Action::ToServer(held.line)]
    }

    /// Why a tool is refused before its arguments are looked at: not listed with an approved
    /// pin.
    fn pin_refusal(&self, tool: &str) -> Option<String> {
        // The text reaches the model: it names no command the model could run to approve
        // itself, and the tool's name (the server's words) is shown as a JSON string.
        let approve =
            "a person must review and approve it (the operator's `hostguard mcp approve`)";
        let check = self.listed.get(tool).map(|(check, _)| check);
        let name = tool;
        let tool = Value::from(tool).to_string();
        match check {
            Some(PinCheck::Same) => None,
            Some(PinCheck::New { .. }) => Some(match self.poison.get(name) {
                Some(signals) if !signals.is_empty() => format!(
                    "hostguard refused the tool {tool}: its definition carries text aimed at the model ({}) and it is not approved; {approve}",
                    signals.join(", ")
                ),
                _ => format!("hostguard refused the tool {tool}: it is new and not approved; {approve}"),
            }),
            Some(PinCheck::Changed { .. }) => Some(format!(
                "hostguard refused the tool {tool}: its definition changed since it was approved (a possible rug pull); {approve}"
            )),
            None => Some(format!(
                "hostguard refused the tool {tool}: the server did not list it in this session (list the tools first); the call was not sent"
            )),
        }
    }

    /// The client's answer for a call the gate blocked or wants a person to approve.
    fn refused(&self, id: &Value, tool: &str, call: &HostCall, verdict: &Verdict) -> Action {
        let rules = match verdict.rules() {
            [] => String::new(),
            rules => format!(", rules {}", rules.join(", ")),
        };
        let what = if verdict.requires_prompt() {
            "needs a person's approval, and this client cannot ask (it did not declare elicitation)"
        } else {
            "was blocked"
        };
        let text = format!(
            "hostguard refused `{tool}`: its `{}` hostcall {what}: {} ({}{rules}). The server never saw the call. An operator can review it: ledger seq {} (`hostguard ledger replay`), `hostguard triage` of the gateway's alerts.",
            call.method,
            verdict.reason(),
            verdict.reason_code(),
            verdict.ledger_seq()
        );
        Action::ToClient(tool_error_result(id, &text).into_bytes())
    }

    /// Checks every listed tool against its pin and the poisoning scan; the tools the client
    /// may see (approved, named, listed once) and whether any was withheld. A name listed twice
    /// is refused: the client could show either definition. Trust on first use lasts until the
    /// listing's last page (no `nextCursor`); past [`MAX_TOOLS`] names a gateway tracks, new
    /// names are withheld without a record.
    fn screen_tools(&mut self, rest: &Value, tools: Value) -> (Value, bool) {
        let tools = match tools {
            Value::Array(tools) => tools,
            _ => Vec::new(),
        };
        let trust = self.trust_first_list;
        let more = rest
            .get("nextCursor")
            .and_then(Value::as_str)
            .is_some_and(|c| !c.is_empty());
        if !more {
            self.trust_first_list = false;
        }
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for tool in &tools {
            let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
            *names.entry(name.to_owned()).or_default() += 1;
        }
        let listed_count = tools.len();
        let mut kept = Vec::with_capacity(tools.len());
        for tool in tools {
            let Some(name) = tool.get("name").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            if self.listed.len() >= MAX_TOOLS && !self.listed.contains_key(&name) {
                continue;
            }
            let twice = names.get(&name).is_some_and(|n| *n > 1);
            // A member in another letter case (`Description`, `deſcription`) could be read in
            // place of the one pinned and scanned: withheld.
            let cased = tool.as_object().is_some_and(|t| {
                has_case_variant(
                    t,
                    &[
                        "name",
                        "title",
                        "description",
                        "inputSchema",
                        "outputSchema",
                        "annotations",
                    ],
                )
            });
            if cased {
                continue;
            }
            if self.screen_tool(&name, &tool, trust, twice) {
                kept.push(tool);
            }
        }
        self.listed_version = self.listed_version.saturating_add(1);
        let withheld = kept.len() != listed_count;
        (Value::Array(kept), withheld)
    }

    /// One listed tool: pinned, scanned, recorded; whether the client may see it.
    fn screen_tool(&mut self, name: &str, tool: &Value, trust: bool, twice: bool) -> bool {
        let pin = crate::pins::pin_of(tool);
        let mut text = String::new();
        strings_of(tool, &mut text);
        let poison = scan(&text, self.manager.detector(), Scope::Definition);
        // Trust on first use trusts what reads as honest: a poisoned definition waits for a
        // person.
        // A name pinned already (an earlier page) is not pinned again by first use.
        let first_use = trust && !twice && poison.is_empty() && self.pins.pinned(name).is_none();
        if first_use {
            self.pins.approve(name, &pin);
        }
        let check = match (twice, self.pins.check(tool)) {
            (true, PinCheck::Same) => PinCheck::Changed {
                pinned: pin.clone(),
                pin: String::new(),
            },
            (_, check) => check,
        };
        let seen = Seen {
            name,
            pin: &pin,
            check: &check,
            poison: &poison,
            approved_by: first_use.then_some("first use"),
        };
        self.reporter.tool(&self.manager, &self.extension, &seen);
        self.poison.insert(name.to_owned(), poison);
        self.definitions.insert(name.to_owned(), tool.clone());
        let shown = check == PinCheck::Same;
        self.listed.insert(name.to_owned(), (check, pin));
        shown
    }

    fn remember(&mut self, id: &Value, pending: Pending) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back((id.to_string(), pending));
    }

    fn take(&mut self, id: &Value) -> Option<Pending> {
        let key = id.to_string();
        let at = self.pending.iter().position(|(k, _)| *k == key)?;
        self.pending.remove(at).map(|(_, p)| p)
    }
}

/// One line of an elicitation's message: a hostcall and why the gate asks.
fn reason_line(call: &HostCall, verdict: &Verdict) -> String {
    let rules = match verdict.rules() {
        [] => String::new(),
        rules => format!(", rules {}", rules.join(", ")),
    };
    format!(
        "- its `{}` hostcall: {} ({}{rules}; ledger seq {})",
        call.method,
        verdict.reason(),
        verdict.reason_code(),
        verdict.ledger_seq()
    )
}

/// A batch: forwarded as it is unless it holds a `tools/call` or a member the gateway cannot
/// read — then refused whole (one error per request), since the gate decides one call at a time.
fn batch(line: &[u8], items: &[Result<Message, crate::jsonrpc::FrameError>]) -> Vec<Action> {
    let gated = items.iter().any(|m| match m {
        Ok(Message::Request { method, .. } | Message::Notification { method, .. }) => {
            method == "tools/call"
        }
        Ok(Message::Response { .. }) => false,
        Err(_) => true,
    });
    if !gated {
        return vec![Action::ToServer(line.to_vec())];
    }
    let errors: Vec<Value> = items
        .iter()
        .filter_map(|m| match m {
            Ok(Message::Request { id, .. }) => Some(id.clone()),
            _ => None,
        })
        .filter_map(|id| {
            serde_json::from_str(&error_response(
                &id,
                INVALID_REQUEST,
                "hostguard: a batch with a tools/call is refused: send each call on its own",
            ))
            .ok()
        })
        .collect();
    match errors.is_empty() {
        true => Vec::new(),
        false => vec![Action::ToClient(
            Value::Array(errors).to_string().into_bytes(),
        )],
    }
}

/// `path` with `.` dropped and `..` applied to its text (no file system access: the path may
/// not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How a `tools/call` ended, for the risk model: a JSON-RPC error, or a tool result with
/// `isError`, is an error.
fn outcome_of(result: Option<&Value>, error: Option<&Value>) -> Outcome {
    let tool_error = result
        .and_then(|r| r.get("isError"))
        .and_then(Value::as_bool)
        == Some(true);
    match (error, tool_error) {
        (Some(_), _) => Outcome::Error {
            code: "rpc_error".to_owned(),
        },
        (None, true) => Outcome::Error {
            code: "tool_error".to_owned(),
        },
        (None, false) => Outcome::Success,
    }
}
