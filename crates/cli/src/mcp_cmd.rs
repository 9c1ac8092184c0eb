//! `hostguard mcp`: the gate in front of an MCP server (`hostguard-mcp`, docs/mcp.md). The
//! gateway spawns the server, relays its stdio through the gate and keeps its state in a
//! folder DIR that the operator commands share with a running gateway:
//!
//! - `DIR/ledger.jsonl`: the durable ledger (`hostguard ledger verify`/`replay` read it);
//! - `DIR/pins.json`: the approved tool pins (none yet: the first `tools/list` is trusted);
//! - `DIR/listed.json`: the last `tools/list`'s tools, their pins and standing;
//! - `DIR/kill.json`: the kill switch an operator sets (`mcp kill`), applied within a second;
//! - at the end of a session, the run artifacts (`alerts.json`, `ledger.json`, ...), so that
//!   `hostguard bundle build --from DIR` and `hostguard triage DIR/alerts.json` work.
//!
//! Standard output is the protocol: everything human goes to standard error.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hostguard_manager::{PolicyProfile, RolloutPhase, RuntimeRiskConfig, SystemClock};
use hostguard_mcp::gateway::Gateway;
use hostguard_mcp::mapping::ToolMap;
use hostguard_mcp::pins::{PinCheck, PinStore, MAX_STATE_FILE_BYTES};
use hostguard_mcp::relay::{client_pump, server_pump, ClientOut};
use serde::{Deserialize, Serialize};

use crate::drive::{build_gate, GateOptions};
use crate::error::{read_json_file, write_artifact, CliError, CliResult, ExitKind};
use crate::ledger_cmd::to_json_pretty;

/// The durable ledger in DIR.
pub const LEDGER_FILE: &str = "ledger.jsonl";
/// The approved pins in DIR.
pub const PINS_FILE: &str = "pins.json";
/// The last `tools/list` in DIR.
pub const LISTED_FILE: &str = "listed.json";
/// The operator's kill switch in DIR.
pub const KILL_FILE: &str = "kill.json";

/// How often a running gateway looks at DIR (kill switch, approvals): a kill switch takes
/// effect within this (well under the one second the runbook asks).
const CONTROL_TICK: Duration = Duration::from_millis(200);

/// What `hostguard mcp` was asked.
#[derive(Debug, Clone)]
pub struct McpArgs {
    /// The state folder.
    pub state: PathBuf,
    /// The extension name (default: the command's file name).
    pub name: Option<String>,
    /// The policy profile.
    pub profile: PolicyProfile,
    /// The rollout phase of a new ledger.
    pub phase: RolloutPhase,
    /// The workspace root.
    pub workspace: Option<String>,
    /// The user's mapping file.
    pub mapping: Option<PathBuf>,
    /// The server's command line.
    pub server: Vec<String>,
}

/// One tool of `listed.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedTool {
    /// `same` (approved), `new` or `changed` (refused until approved).
    pub standing: String,
    /// Its pin now.
    pub pin: String,
    /// Its definition as the server sent it: what the operator reviews before approving.
    pub definition: serde_json::Value,
    /// The poisoning scan's signals in the definition (docs/mcp.md "Rules"); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poison: Vec<String>,
}

/// `kill.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillState {
    /// Engaged.
    pub on: bool,
    /// Why (the incident reference).
    pub reason: String,
}

/// `hostguard mcp --state DIR -- COMMAND...`: runs one session of the gateway.
pub fn run(args: &McpArgs) -> CliResult {
    let Some((program, program_args)) = args.server.split_first() else {
        return Err(CliError::input(
            "no server command: `hostguard mcp --state DIR -- COMMAND [ARGS...]`",
        ));
    };
    std::fs::create_dir_all(&args.state).map_err(|e| CliError::out_dir(&args.state, &e))?;
    let name = args.name.clone().unwrap_or_else(|| default_name(program));
    let gateway = Arc::new(Mutex::new(open_gateway(args, &name)?));
    let mut child = Command::new(program)
        .args(program_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| CliError::input(format!("cannot start the server `{program}`: {e}")))?;
    let (Some(server_in), Some(server_out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(CliError::input(format!(
            "the server `{program}` has no stdio pipes"
        )));
    };
    let done = AtomicBool::new(false);
    let client_out: ClientOut = Arc::new(Mutex::new(Box::new(std::io::stdout())));
    // The client's side runs detached: the session ends when the server's output does — the
    // server exited, or closed its output after the client's input ended — and a client
    // whose server is gone must not wait on a gateway that waits on the client.
    {
        let (gateway, client_out) = (Arc::clone(&gateway), Arc::clone(&client_out));
        std::thread::spawn(move || {
            let stdin = BufReader::new(std::io::stdin());
            client_pump(&gateway, &SystemClock, stdin, &client_out, server_in)
        });
    }
    let end = std::thread::scope(|scope| {
        let control = scope.spawn(|| control_loop(&gateway, &args.state, &name, &done));
        let end = server_pump(
            &gateway,
            &SystemClock,
            BufReader::new(server_out),
            &client_out,
        );
        done.store(true, Ordering::Release);
        let _ = control.join();
        end
    });
    let status = wait_briefly(&mut child)
        .map_err(|e| CliError::input(format!("the server `{program}`: {e}")))?;
    let g = gateway
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    sync_state(&g, &args.state)?;
    crate::run_cmd::write_artifacts(g.manager(), &args.state)?;
    eprintln!(
        "hostguard: mcp: session of `{name}` ended (server {status}{}); state in `{}`",
        if end.too_long > 0 {
            format!(", {} over-long lines dropped", end.too_long)
        } else {
            String::new()
        },
        args.state.display()
    );
    Ok(ExitKind::Ok)
}

/// The server's exit status, once its output ended: it has a grace period to exit, then it is
/// killed (a server that closed its output but lingers, or left a child holding it).
fn wait_briefly(child: &mut std::process::Child) -> std::io::Result<std::process::ExitStatus> {
    for _ in 0..20 {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill()?;
    child.wait()
}

/// The gate and the gateway of a session: the durable ledger resumed, the pins loaded (a
/// damaged pin file refuses to start: fail closed), the kill switch applied.
fn open_gateway(args: &McpArgs, name: &str) -> CliResult<Gateway> {
    // Trust on first use only on a first use: a DIR that has a ledger but lost its pins (removed,
    // by a server's command say) trusts nothing and withholds every tool until approved. Read
    // before the gate starts, which creates the ledger.
    let has_ledger = args.state.join(LEDGER_FILE).exists();
    let options = GateOptions {
        risk: RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        },
        profile: args.profile,
        phase: args.phase,
        unsafe_fixed_salt_seed: None,
        start_ms: 0,
        // The server runs in the gateway's folder, with its `$HOME`: what its relative paths
        // and `~` mean.
        workspace: args.workspace.clone().or_else(current_folder),
        home: home_folder(),
        ledger_file: Some(args.state.join(LEDGER_FILE)),
        checkpoint_key: None,
        guarded: guarded_paths(args),
        // Flushed on the control tick instead (`control_loop`): an fsync never waits in a call.
        ledger_fsync: hostguard_manager::FsyncPolicy::Never,
    };
    let manager = build_gate(&options, SystemClock)?;
    let pins_path = args.state.join(PINS_FILE);
    let first_use = !pins_path.exists() && !has_ledger;
    if !pins_path.exists() && has_ledger {
        eprintln!(
            "hostguard: mcp: `{}` is missing but DIR has a ledger: no tool is trusted on first use; every tool is withheld until approved (`hostguard mcp approve`)",
            pins_path.display()
        );
    }
    let pins = PinStore::load(&pins_path).map_err(|e| CliError::finding(e.to_string()))?;
    let map = match &args.mapping {
        Some(file) => read_mapping(file)?,
        None => ToolMap::default(),
    };
    let mut gateway = Gateway::new(manager, name, map, pins);
    // The server's file tools must not reach the gateway's own state (its pins, its kill
    // switch) nor the mapping that judges them, by the name given or by the real path.
    for guarded in std::iter::once(&args.state).chain(&args.mapping) {
        gateway.protect(guarded.clone());
        if let Ok(real) = guarded.canonicalize() {
            gateway.protect(real);
        }
    }
    if let Some(home) = home_folder() {
        gateway.set_home(PathBuf::from(home));
    }
    if first_use {
        gateway.trust_first_list();
    }
    if let Some(kill) = read_kill(&args.state) {
        gateway
            .manager()
            .set_kill_switch(name, kill.on, &kill.reason);
    }
    Ok(gateway)
}

/// Every tick until `done`: applies a changed kill switch, reloads approved pins, and writes
/// what the gateway learned (listed tools, first-use pins) to DIR. Files are read and written
/// outside the gateway's lock (the pumps never wait on the disk); a change is seen by content,
/// not by modification time.
fn control_loop(gateway: &Mutex<Gateway>, state: &Path, name: &str, done: &AtomicBool) {
    let mut kill = read_kill(state);
    let mut pins_seen = file_bytes(&state.join(PINS_FILE));
    let mut listed_seen = 0;
    let flush = LedgerFlush::of(gateway);
    while !done.load(Ordering::Acquire) {
        std::thread::sleep(CONTROL_TICK);
        flush.now();
        let kill_now = read_kill(state);
        let pins_now = file_bytes(&state.join(PINS_FILE));
        let reloaded = (pins_now != pins_seen).then(|| PinStore::load(&state.join(PINS_FILE)));
        let snapshot = {
            let mut g = gateway
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if kill_now != kill {
                if let Some(k) = &kill_now {
                    g.manager().set_kill_switch(name, k.on, &k.reason);
                }
            }
            match reloaded {
                Some(Ok(pins)) => g.set_pins(pins),
                // Fail closed: no tool passes on pins that cannot be read.
                Some(Err(e)) => {
                    eprintln!("hostguard: mcp: {e}");
                    g.set_pins(PinStore::empty());
                }
                None => {}
            }
            (g.listed_version() != listed_seen)
                .then(|| (g.listed_version(), listed_tools(&g), g.pins().clone()))
        };
        kill = kill_now;
        pins_seen = pins_now;
        if let Some((version, listed, pins)) = snapshot {
            listed_seen = version;
            if let Err(e) = write_state(state, &listed, &pins) {
                eprintln!("hostguard: mcp: {e}");
            }
            pins_seen = file_bytes(&state.join(PINS_FILE));
        }
    }
    flush.now();
}

/// The durable ledger flushed to disk every control tick, on a second handle of its file: the
/// gate is built with `FsyncPolicy::Never`, so no call ever waits for an fsync, and a power
/// loss takes at most the decisions of the last tick (a crash of the process takes none: every
/// entry is written before its call is forwarded).
struct LedgerFlush(Option<std::fs::File>);

impl LedgerFlush {
    fn of(gateway: &Mutex<Gateway>) -> LedgerFlush {
        let g = gateway
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match g.manager().ledger_sync_handle() {
            Some(Ok(file)) => LedgerFlush(Some(file)),
            Some(Err(e)) => {
                eprintln!("hostguard: mcp: the ledger cannot be flushed to disk on its own ({e}); the OS flushes it");
                LedgerFlush(None)
            }
            None => LedgerFlush(None),
        }
    }

    fn now(&self) {
        if let Some(Err(e)) = self.0.as_ref().map(std::fs::File::sync_data) {
            eprintln!("hostguard: mcp: flushing the ledger to disk failed: {e}");
        }
    }
}

/// The gateway's last listing, as `listed.json` holds it.
fn listed_tools(g: &Gateway) -> std::collections::BTreeMap<String, ListedTool> {
    g.listed()
        .iter()
        .map(|(name, (check, pin))| {
            let standing = match check {
                PinCheck::Same => "same",
                PinCheck::New { .. } => "new",
                PinCheck::Changed { .. } => "changed",
            };
            let tool = ListedTool {
                standing: standing.to_owned(),
                pin: pin.clone(),
                definition: g.definition(name).cloned().unwrap_or_default(),
                poison: g.poison(name).iter().map(|s| (*s).to_owned()).collect(),
            };
            (name.clone(), tool)
        })
        .collect()
}

/// Writes `listed.json`, and `pins.json` only when there is none yet (the first use's
/// pins): an operator's file is never overwritten, a damaged one never repaired by the gateway.
fn write_state(
    state: &Path,
    listed: &std::collections::BTreeMap<String, ListedTool>,
    pins: &PinStore,
) -> CliResult<()> {
    let text = format!("{}\n", to_json_pretty(listed)?);
    write_artifact(&state.join(LISTED_FILE), text.as_bytes())?;
    let pins_path = state.join(PINS_FILE);
    if pins_path.symlink_metadata().is_err() {
        pins.save(&pins_path)
            .map_err(|e| CliError::input(e.to_string()))?;
    }
    Ok(())
}

/// The state of the gateway at the end of a session, written to DIR.
fn sync_state(g: &Gateway, state: &Path) -> CliResult<()> {
    write_state(state, &listed_tools(g), g.pins())
}

/// `hostguard mcp approve --state DIR TOOL`: approves the tool's pin as last listed.
pub fn approve(state: &Path, tool: &str, reviewed: Option<&str>, json: bool) -> CliResult {
    let listed: std::collections::BTreeMap<String, ListedTool> = read_json_file(
        &state.join(LISTED_FILE),
        "the gateway's last tools/list (`listed.json`)",
    )?;
    let Some(entry) = listed.get(tool) else {
        let known: Vec<&str> = listed.keys().map(String::as_str).collect();
        return Err(CliError::input(format!(
            "`{tool}` is not in the server's last tools/list (listed: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    // The pin of the definition the operator reviewed: a server that changed the tool since
    // is not approved by a review of its earlier definition.
    if let Some(reviewed) = reviewed {
        if reviewed != entry.pin {
            return Err(CliError::finding(format!(
                "`{tool}` changed since the reviewed definition (pin {reviewed}); it is now pin {}: review `listed.json` again",
                entry.pin
            )));
        }
    }
    let pins_path = state.join(PINS_FILE);
    let mut pins = PinStore::load(&pins_path).map_err(|e| CliError::finding(e.to_string()))?;
    pins.approve(tool, &entry.pin);
    pins.save(&pins_path)
        .map_err(|e| CliError::input(e.to_string()))?;
    if json {
        let doc = serde_json::json!({"schema": "hostguard.mcp_approve.v1", "tool": tool, "pin": entry.pin});
        crate::outln!("{}", to_json_pretty(&doc)?)?;
    } else {
        crate::outln!(
            "approved `{tool}` (pin {}); a running gateway takes it within a second",
            entry.pin
        )?;
    }
    Ok(ExitKind::Ok)
}

/// `hostguard mcp kill --state DIR --reason R [--lift]`.
pub fn kill(state: &Path, reason: &str, lift: bool, json: bool) -> CliResult {
    std::fs::create_dir_all(state).map_err(|e| CliError::out_dir(state, &e))?;
    let kill = KillState {
        on: !lift,
        reason: reason.to_owned(),
    };
    write_artifact(
        &state.join(KILL_FILE),
        format!("{}\n", to_json_pretty(&kill)?).as_bytes(),
    )?;
    if json {
        let doc = serde_json::json!({
            "schema": "hostguard.mcp_kill.v1",
            "state": state.display().to_string(),
            "on": kill.on,
            "reason": kill.reason,
        });
        crate::outln!("{}", to_json_pretty(&doc)?)?;
    } else {
        crate::outln!(
            "kill switch {} for the gateway in `{}`: a running gateway applies it within a second, a new one at start",
            if lift { "lifted" } else { "engaged" },
            state.display()
        )?;
    }
    Ok(ExitKind::Ok)
}

/// What `mcp status --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct McpStatus {
    /// `hostguard.mcp_status.v1`.
    pub schema: &'static str,
    /// The state folder.
    pub state: String,
    /// Each tool the server listed, with its standing and pin (no definitions: `listed.json`).
    pub tools: std::collections::BTreeMap<String, (String, String)>,
    /// The kill switch, if an operator set one.
    pub kill: Option<KillState>,
    /// Approved pins.
    pub approved: usize,
    /// The durable ledger's entries, and whether it verifies (`None`: no ledger yet).
    pub ledger: Option<(u64, bool)>,
}

/// `hostguard mcp status --state DIR [--json]`: exit 1 when the ledger does not verify or the
/// pin file is damaged.
pub fn status(state: &Path, json: bool) -> CliResult {
    let listed: std::collections::BTreeMap<String, ListedTool> =
        match state.join(LISTED_FILE).exists() {
            true => read_json_file(
                &state.join(LISTED_FILE),
                "the gateway's listed tools (`listed.json`)",
            )?,
            false => std::collections::BTreeMap::new(),
        };
    let pins = PinStore::load(&state.join(PINS_FILE));
    let ledger_path = state.join(LEDGER_FILE);
    let ledger = match ledger_path.exists() {
        // A file that does not read as a chain does not verify.
        true => Some(match crate::ledger_cmd::read_durable(&ledger_path) {
            Ok((artifact, _)) => (
                artifact.entries.len() as u64,
                hostguard_manager::verify_runtime_risk_ledger_artifact(&artifact).valid,
            ),
            Err(_) => (0, false),
        }),
        false => None,
    };
    let status = McpStatus {
        schema: "hostguard.mcp_status.v1",
        state: state.display().to_string(),
        tools: listed
            .into_iter()
            .map(|(n, t)| (n, (t.standing, t.pin)))
            .collect(),
        kill: read_kill(state),
        approved: pins.as_ref().map_or(0, PinStore::len),
        ledger,
    };
    if json {
        crate::outln!("{}", to_json_pretty(&status)?)?;
    } else {
        crate::out!("{}", render_status(&status, pins.as_ref().err()))?;
    }
    let sound = pins.is_ok() && status.ledger.is_none_or(|(_, valid)| valid);
    Ok(if sound {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

fn render_status(s: &McpStatus, pins_error: Option<&hostguard_mcp::pins::PinError>) -> String {
    let mut out = format!("gateway state `{}`\n", s.state);
    for (name, (standing, pin)) in &s.tools {
        // The server chose the name: shown as a JSON string, so no newline or terminal escape
        // in it can forge a line of this report.
        let name = serde_json::Value::from(name.as_str());
        out.push_str(&format!("  tool {name}: {standing} (pin {pin})\n"));
    }
    out.push_str(&match pins_error {
        Some(e) => format!("pins: {e}\n"),
        None => format!("pins: {} approved\n", s.approved),
    });
    out.push_str(&match &s.kill {
        Some(k) if k.on => format!(
            "kill switch: ENGAGED ({})\n",
            serde_json::Value::from(k.reason.as_str())
        ),
        Some(k) => format!(
            "kill switch: lifted ({})\n",
            serde_json::Value::from(k.reason.as_str())
        ),
        None => "kill switch: never set\n".to_owned(),
    });
    out.push_str(&match s.ledger {
        Some((entries, true)) => format!("ledger: {entries} entries, valid\n"),
        Some((entries, false)) => {
            format!("ledger: {entries} entries, DOES NOT VERIFY (`hostguard ledger verify`)\n")
        }
        None => "ledger: none yet\n".to_owned(),
    });
    out
}

/// The kill switch in DIR: none without a file; a file that is not a kill switch (damaged,
/// not a regular file, too long) engages it — fail closed.
fn read_kill(state: &Path) -> Option<KillState> {
    let path = state.join(KILL_FILE);
    path.symlink_metadata().ok()?;
    let parsed =
        file_bytes(&path).and_then(|bytes| serde_json::from_slice::<KillState>(&bytes).ok());
    Some(parsed.unwrap_or_else(|| KillState {
        on: true,
        reason: format!(
            "`{}` is not a kill switch file: engaged, fail closed",
            path.display()
        ),
    }))
}

/// What the gate guards as its own state: DIR and the mapping file, by their real paths (DIR
/// is created before the gate starts, so it has one) and by the names given when absolute.
fn guarded_paths(args: &McpArgs) -> Vec<String> {
    let mut paths = Vec::new();
    for path in std::iter::once(&args.state).chain(&args.mapping) {
        let real = path.canonicalize().ok();
        for p in [Some(path.clone()), real].into_iter().flatten() {
            if let (true, Some(text)) = (p.is_absolute(), p.to_str()) {
                if !paths.iter().any(|q| q == text) {
                    paths.push(text.to_owned());
                }
            }
        }
    }
    paths
}

/// The folder the gateway (and so the server) runs in, when it is an absolute UTF-8 path.
fn current_folder() -> Option<String> {
    let dir = std::env::current_dir().ok()?;
    dir.to_str()
        .filter(|d| d.starts_with('/'))
        .map(str::to_owned)
}

/// `$HOME`, when it is an absolute path (the server inherits it: its `~`).
fn home_folder() -> Option<String> {
    std::env::var("HOME").ok().filter(|h| h.starts_with('/'))
}

/// The user's mapping file: a small regular file of TOML; an error names file, line and
/// column (exit 2).
fn read_mapping(file: &Path) -> CliResult<ToolMap> {
    let bytes = file_bytes(file).ok_or_else(|| {
        CliError::input(format!(
            "{}: not a mapping file (a regular file of at most {MAX_STATE_FILE_BYTES} bytes)",
            file.display()
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::input(format!("{}: not UTF-8", file.display())))?;
    ToolMap::from_toml(&text).map_err(|e| match e.at {
        Some((line, column)) => CliError::at(file, line, column, &e.message),
        None => CliError::input(format!("{}: {}", file.display(), e.message)),
    })
}

/// A small regular file's bytes (never a symlink's target, a pipe or a device); `None` else.
fn file_bytes(path: &Path) -> Option<Vec<u8>> {
    let meta = path.symlink_metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_STATE_FILE_BYTES {
        return None;
    }
    std::fs::read(path).ok()
}

/// The extension name of a server: its command's file name.
fn default_name(program: &str) -> String {
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("mcp-server")
        .to_owned()
}
