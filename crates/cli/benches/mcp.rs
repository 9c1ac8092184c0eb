//! Latency of `hostguard mcp` (issue 13, docs/mcp.md): what a `tools/call` round trip costs
//! through the gateway, against the same echo server spawned directly, in the same run.
//!
//! A round trip is the client's: write one request line, read one response line. Both sessions
//! start the same way (`initialize`, `notifications/initialized`, `tools/list` — the gateway
//! pins the tool on first use), then call the one tool `echo` with a different text each time.
//! Every gated call is allowed and checked to be (no `isError`, the text echoed back): the path
//! measured is the real one — the call mapped to a `tool` hostcall, the whole gate, the durable
//! ledger append (fsync every 64 entries, as `hostguard mcp` runs it), the forward, the
//! response's `record_outcome`.
//!
//! - criterion, `iter_custom`: `mcp/tools_call_direct` and `mcp/tools_call_gateway` (the median
//!   of per-round-trip means), and `mcp/sha256_ledger_entry_baseline` (SHA-256 of a decision
//!   entry the gateway wrote, as the ledger hashes it);
//! - then percentiles: `HOSTGUARD_BENCH_MCP_CALLS` round trips (default 2000, after a warm-up)
//!   to each, interleaved in blocks of 100 so that the machine's load falls on all alike;
//!   p50 / p99 of each and the added latency per percentile, printed and written to
//!   `<target>/criterion/hostguard-mcp-latency.json` for `cargo xtask bench`.
//!
//! The echo server is this executable, run with `--mcp-echo-server` (see [`serve_echo`]): the
//! bench spawns it directly and the gateway spawns it, so both sides talk to the same program.
//! The percentile run also measures it behind a relay that gates nothing (`--mcp-null-relay`,
//! [`null_relay`]): the part of the added latency any second process on the path costs.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benches fail loudly; criterion macros generate undocumented items"
)]

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, SamplingMode};
use hostguard_ledger::{body_digest, encode_body, EntryBody, LedgerEntry};
use serde_json::{json, Value};

/// The argument that makes this executable the echo server.
const ECHO_SERVER_ARG: &str = "--mcp-echo-server";

/// The argument that makes this executable a relay that gates nothing (see [`null_relay`]).
const NULL_RELAY_ARG: &str = "--mcp-null-relay";

/// The percentile file `cargo xtask bench` reads, in criterion's output folder.
const PERCENTILE_FILE: &str = "hostguard-mcp-latency.json";

fn main() {
    if std::env::args().any(|a| a == ECHO_SERVER_ARG) {
        serve_echo();
        return;
    }
    if std::env::args().any(|a| a == NULL_RELAY_ARG) {
        null_relay();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    percentiles();
}

criterion_group!(benches, bench_round_trips);

/// The criterion medians, and the SHA-256 baseline of one ledger entry the gateway wrote.
fn bench_round_trips(c: &mut Criterion) {
    let state = tempfile::tempdir().unwrap();
    let mut direct = Session::direct();
    let mut gateway = Session::gateway(state.path());
    // A few calls first, so that the ledger holds a decision whatever criterion's filter runs.
    gateway.timed_calls(16);
    let mut group = c.benchmark_group("mcp");
    // Paced calls: a few thousand per bench, each sample the mean of a fixed number of them.
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("tools_call_direct", |b| {
        b.iter_custom(|iters| direct.timed_calls(iters))
    });
    group.bench_function("tools_call_gateway", |b| {
        b.iter_custom(|iters| gateway.timed_calls(iters))
    });
    // (A gateway build without a durable ledger, named by HOSTGUARD_BENCH_MCP_GATEWAY, has
    // no entry to hash.)
    if let Some(encoded) = last_decision_body(&state.path().join("ledger.jsonl")) {
        group.bench_function("sha256_ledger_entry_baseline", |b| {
            b.iter(|| body_digest(black_box(&encoded)))
        });
    }
    group.finish();
    direct.end();
    gateway.end();
}

/// p50 / p99 of each session and of the added latency, printed and written for xtask.
fn percentiles() {
    let n = env_usize("HOSTGUARD_BENCH_MCP_CALLS", 2000);
    let state = tempfile::tempdir().unwrap();
    let mut sessions = [
        Session::direct(),
        Session::null_relay(),
        Session::gateway(state.path()),
    ];
    const BLOCK: usize = 100;
    const WARM_UP: u64 = 500;
    let mut times = [(); 3].map(|()| Vec::with_capacity(n));
    for session in &mut sessions {
        session.timed_calls(WARM_UP);
    }
    while times[0].len() < n {
        let block = BLOCK.min(n - times[0].len());
        for (session, times) in sessions.iter_mut().zip(&mut times) {
            times.extend((0..block).map(|_| session.call()));
        }
    }
    sessions.into_iter().for_each(Session::end);
    let [d, r, g] = times.map(Percentiles::of);
    let added = |a: &Percentiles, b: &Percentiles| {
        (a.p50 as i64 - b.p50 as i64, a.p99 as i64 - b.p99 as i64)
    };
    let (added_p50, added_p99) = added(&g, &d);
    let (hop_p50, hop_p99) = added(&r, &d);
    println!("mcp/tools_call round trips, {n} each, interleaved in blocks of {BLOCK}:");
    println!("  direct        {d}");
    println!("  null relay    {r}");
    println!("  gateway       {g}");
    println!("  added         p50 {added_p50} ns (target <= 200000), p99 {added_p99} ns (target <= 1000000)");
    println!(
        "  of which a relay process (null relay - direct): p50 {hop_p50} ns, p99 {hop_p99} ns"
    );
    let doc = json!({
        "schema": "hostguard.bench_mcp_latency.v1",
        "calls": n,
        "interval_us": call_interval().as_micros() as u64,
        "direct": d.to_json(),
        "null_relay": r.to_json(),
        "gateway": g.to_json(),
        "added": {"p50_ns": added_p50, "p99_ns": added_p99},
        "null_relay_added": {"p50_ns": hop_p50, "p99_ns": hop_p99},
    });
    let dir = criterion_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(PERCENTILE_FILE);
    std::fs::write(&path, format!("{doc:#}\n")).unwrap();
    println!("  written to {}", path.display());
}

/// One client session: a spawned process speaking MCP on its stdio.
struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    line: String,
    next_id: u64,
    /// When the last call started (calls are paced, see [`call_interval`]).
    last_call: Option<Instant>,
}

impl Session {
    /// The echo server, spawned directly.
    fn direct() -> Session {
        Session::start(echo_command())
    }

    /// The echo server behind [`null_relay`]: what any stdio proxy costs, the gate apart.
    fn null_relay() -> Session {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.arg(NULL_RELAY_ARG);
        Session::start(command)
    }

    /// `hostguard mcp --state DIR --name echo -- ECHO_SERVER`: this build's `hostguard`, or
    /// the one `HOSTGUARD_BENCH_MCP_GATEWAY` names (to compare two builds in one run).
    fn gateway(state: &Path) -> Session {
        let echo = echo_command();
        let hostguard = std::env::var_os("HOSTGUARD_BENCH_MCP_GATEWAY")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_hostguard").into());
        let mut command = Command::new(hostguard);
        command
            .args(["mcp", "--state"])
            .arg(state)
            // The default profile (standard) asks a person for the `tool` capability, and a
            // client without elicitation cannot answer: the gateway would refuse every call.
            .args(["--name", "echo", "--profile", "permissive", "--"])
            .arg(echo.get_program())
            .args(echo.get_args());
        Session::start(command)
    }

    /// Spawns, initializes and lists the tools (which pins `echo` behind a gateway).
    fn start(mut command: Command) -> Session {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut session = Session {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            line: String::new(),
            next_id: 0,
            last_call: None,
        };
        let init = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "hostguard-bench", "version": "1"}}});
        session.send(&init.to_string());
        session.receive();
        session.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        session.send(r#"{"jsonrpc":"2.0","id":"list","method":"tools/list"}"#);
        let listed: Value = serde_json::from_str(&session.receive()).unwrap();
        assert_eq!(listed["result"]["tools"][0]["name"], "echo", "{listed}");
        session
    }

    fn send(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> String {
        self.line.clear();
        self.stdout.read_line(&mut self.line).unwrap();
        assert!(self.line.ends_with('\n'), "the session ended");
        std::mem::take(&mut self.line)
    }

    /// One `tools/call` round trip, timed from the request's write to the response's newline;
    /// the response is checked after the clock stops.
    fn call(&mut self) -> u64 {
        self.next_id += 1;
        let text = format!("hello {}", self.next_id);
        let request = format!(
            r#"{{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{text}"}}}}}}"#,
            self.next_id
        );
        let mut request = request.into_bytes();
        request.push(b'\n');
        if let Some(last) = self.last_call {
            let interval = call_interval();
            let since = last.elapsed();
            if since < interval {
                std::thread::sleep(interval - since);
            }
        }
        let start = Instant::now();
        self.last_call = Some(start);
        self.stdin.write_all(&request).unwrap();
        self.line.clear();
        self.stdout.read_line(&mut self.line).unwrap();
        let elapsed = start.elapsed();
        let reply: Value = serde_json::from_str(&self.line).unwrap();
        assert_eq!(reply["id"], self.next_id, "{reply}");
        assert_ne!(reply["result"]["isError"], true, "refused: {reply}");
        assert_eq!(reply["result"]["content"][0]["text"], text, "{reply}");
        elapsed.as_nanos() as u64
    }

    /// `iters` round trips, their times summed (the checks between them not counted).
    fn timed_calls(&mut self, iters: u64) -> Duration {
        Duration::from_nanos((0..iters).map(|_| self.call()).sum())
    }

    /// Closes the client's side and waits for the process (the gateway writes its state).
    fn end(self) {
        let Session {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

/// The echo server's command line: this executable with [`ECHO_SERVER_ARG`].
fn echo_command() -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.arg(ECHO_SERVER_ARG);
    command
}

/// p50 / p99 / p99.9 / max of a set of round trips, in ns.
struct Percentiles {
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
}

impl Percentiles {
    fn of(mut times: Vec<u64>) -> Percentiles {
        times.sort_unstable();
        let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        Percentiles {
            p50: at(0.50),
            p99: at(0.99),
            p999: at(0.999),
            max: times[times.len() - 1],
        }
    }

    fn to_json(&self) -> Value {
        json!({"p50_ns": self.p50, "p99_ns": self.p99, "p999_ns": self.p999, "max_ns": self.max})
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
            self.p50, self.p99, self.p999, self.max
        )
    }
}

/// The encoded body of the last decision entry in a durable ledger file, as the ledger hashes
/// it.
fn last_decision_body(ledger: &Path) -> Option<Vec<u8>> {
    let text = std::fs::read_to_string(ledger).ok()?;
    let entry = text
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<LedgerEntry>(line).ok())
        .find(|entry| entry.decision().is_some())?;
    let EntryBody::Full(payload) = &entry.body else {
        unreachable!("a decision entry is disclosed")
    };
    let mut encoded = Vec::new();
    let salt = entry.salt.unwrap();
    let ext = entry.extension_id.as_deref();
    encode_body(&mut encoded, &salt, entry.seq, entry.ts_ms, ext, payload).unwrap();
    Some(encoded)
}

/// Criterion's output folder, found as criterion finds it.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // `<target>/tmp`: the target folder is its parent.
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .unwrap()
                .to_path_buf()
        });
    target.join("criterion")
}

/// The least time between two calls' starts: `HOSTGUARD_BENCH_MCP_INTERVAL_US`, default
/// 2500 µs (400 calls/s). The permissive profile's quota allows 1000 calls a second and 30 000
/// a minute; back-to-back round trips would exceed it and be refused (and an agent's model
/// calls tools far more slowly). Both sessions are paced alike.
fn call_interval() -> Duration {
    Duration::from_micros(env_usize("HOSTGUARD_BENCH_MCP_INTERVAL_US", 2500) as u64)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A relay that gates nothing, built as the gateway is (a thread per direction, a line read
/// whole and written in one write, flushed) in front of the echo server: the baseline that
/// separates the cost of a second process on the path from the cost of the gate.
fn null_relay() {
    let mut server = echo_command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let server_in = server.stdin.take().unwrap();
    let server_out = BufReader::new(server.stdout.take().unwrap());
    // The client's side ends with its input; dropping `server_in` then ends the server.
    std::thread::spawn(move || pump(std::io::stdin().lock(), server_in));
    pump(server_out, std::io::stdout().lock());
    server.wait().unwrap();
}

/// Lines from `from` to `to`, each in one write, flushed, until either side ends.
fn pump(mut from: impl BufRead, mut to: impl Write) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match from.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if to.write_all(&line).and_then(|()| to.flush()).is_err() {
            return;
        }
    }
}

/// The echo MCP server: newline-delimited JSON-RPC on stdio; `initialize`, `ping`,
/// `tools/list` (one tool, `echo` {text: string}) and `tools/call` (the text back as a text
/// content result); notifications are read and not answered. One response line per request,
/// flushed.
fn serve_echo() {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    for line in stdin.lines() {
        let Ok(line) = line else { return };
        let Ok(request) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let Some(id) = request.get("id") else {
            continue;
        };
        let answer = match request["method"].as_str().unwrap_or_default() {
            "initialize" => json!({"result": {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "echo", "version": "1"}}}),
            "ping" => json!({"result": {}}),
            "tools/list" => json!({"result": {"tools": [{
                "name": "echo",
                "description": "Returns its text.",
                "inputSchema": {"type": "object",
                    "properties": {"text": {"type": "string"}}, "required": ["text"]}}]}}),
            "tools/call" => {
                let text = request
                    .pointer("/params/arguments/text")
                    .cloned()
                    .unwrap_or_default();
                json!({"result": {"content": [{"type": "text", "text": text}], "isError": false}})
            }
            _ => json!({"error": {"code": -32601, "message": "method not found"}}),
        };
        let mut response = answer;
        response["jsonrpc"] = json!("2.0");
        response["id"] = id.clone();
        let mut bytes = response.to_string().into_bytes();
        bytes.push(b'\n');
        if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}
