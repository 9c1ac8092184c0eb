//! The suite's harness: where `cargo xtask mcp-deps` installed the real software, the three
//! servers' command lines, and one client session of the SDK's driver (`driver.py`) run
//! against a server directly or through `hostguard mcp`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The variable `cargo xtask ci` (and `cargo xtask mcp-sdk`) sets to the installed software.
pub const DIR_VAR: &str = "HOSTGUARD_MCP_SDK_DIR";

/// A driver run that takes longer than this has hung: the suite fails instead of waiting.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// This folder: the driver, our own test server, the pin files.
fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mcp_sdk")
}

/// What `cargo xtask mcp-deps` installed. Fails the test — never skips it — when the
/// variable is missing or the install is not there.
pub struct Deps {
    python: PathBuf,
    filesystem_server: PathBuf,
}

impl Deps {
    pub fn get() -> Deps {
        let Some(dir) = std::env::var_os(DIR_VAR).map(PathBuf::from) else {
            panic!(
                "{DIR_VAR} is not set: this suite runs against the real MCP software that \
                 `cargo xtask mcp-deps` installs; run it with `cargo xtask mcp-sdk` (or \
                 `cargo xtask ci`), or set {DIR_VAR}=TARGET/mcp-sdk after `cargo xtask mcp-deps`"
            )
        };
        let deps = Deps {
            python: dir.join("venv/bin/python"),
            filesystem_server: dir
                .join("node/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"),
        };
        for file in [&deps.python, &deps.filesystem_server] {
            assert!(
                file.is_file(),
                "`{}` is missing: {DIR_VAR}=`{}` is not a finished `cargo xtask mcp-deps`",
                file.display(),
                dir.display()
            );
        }
        deps
    }

    /// `mcp-server-git` (PyPI), confined to `repo`.
    pub fn git_server(&self, repo: &Path) -> Vec<String> {
        vec![
            s(&self.python),
            "-m".into(),
            "mcp_server_git".into(),
            "--repository".into(),
            s(repo),
        ]
    }

    /// `@modelcontextprotocol/server-filesystem` (npm), allowed `dir`.
    pub fn filesystem_server(&self, dir: &Path) -> Vec<String> {
        vec!["node".into(), s(&self.filesystem_server), s(dir)]
    }

    /// Our own server (`test_server.py`, written with the SDK), logging every call to `log`.
    pub fn own_server(&self, log: &Path, version: &str) -> Vec<String> {
        vec![
            s(&self.python),
            s(&here().join("test_server.py")),
            "--log".into(),
            s(log),
            "--version".into(),
            version.into(),
        ]
    }

    /// `server` behind a shell `tee` that appends every line the server is sent to `log`:
    /// what a server that keeps no log of its own received.
    pub fn logged(server: Vec<String>, log: &Path) -> Vec<String> {
        let mut line = vec![
            "sh".into(),
            "-c".into(),
            r#"log="$1"; shift; tee -a "$log" | exec "$@""#.into(),
            "sh".into(),
            s(log),
        ];
        line.extend(server);
        line
    }

    /// Runs one client session of `steps` against `server` (through `via` when given) and
    /// returns what the client received.
    pub fn session(&self, server: &[String], via: Option<&Gateway>, steps: Value) -> Received {
        let child = self.start(server, via, steps);
        finish(child)
    }

    /// Starts a session without waiting for it (for a test that acts while it runs).
    pub fn start(&self, server: &[String], via: Option<&Gateway>, steps: Value) -> Running {
        let line = match via {
            Some(gateway) => gateway.wrap(server),
            None => server.to_vec(),
        };
        let (command, args) = line.split_first().expect("a server command");
        let scenario = json!({"command": command, "args": args, "steps": steps});
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), scenario.to_string()).unwrap();
        let child = Command::new(&self.python)
            .arg(here().join("driver.py"))
            .arg(file.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running {
            child,
            _scenario: file,
            started: Instant::now(),
        }
    }
}

/// `hostguard mcp` in front of a server: its state folder, extension name and profile.
pub struct Gateway {
    pub state: PathBuf,
    pub name: &'static str,
    pub profile: &'static str,
}

impl Gateway {
    pub fn new(state: &Path, name: &'static str) -> Gateway {
        Gateway {
            state: state.to_path_buf(),
            name,
            profile: "standard",
        }
    }

    /// Our own server's tools carry no path, URL or command: each is a `tool` hostcall, which
    /// the standard profile leaves to a person (and a client without elicitation cannot ask).
    /// The permissive profile grants the capabilities; mediation and the risk model still judge.
    pub fn permissive(state: &Path, name: &'static str) -> Gateway {
        Gateway {
            profile: "permissive",
            ..Gateway::new(state, name)
        }
    }

    /// The client's command line: `hostguard mcp --state DIR --name N --profile P -- SERVER`.
    fn wrap(&self, server: &[String]) -> Vec<String> {
        let mut line = vec![
            env!("CARGO_BIN_EXE_hostguard").to_owned(),
            "mcp".into(),
            "--state".into(),
            s(&self.state),
            "--name".into(),
            self.name.into(),
            "--profile".into(),
            self.profile.into(),
            "--".into(),
        ];
        line.extend_from_slice(server);
        line
    }
}

/// A session the test has not waited for yet.
pub struct Running {
    child: Child,
    _scenario: tempfile::NamedTempFile,
    started: Instant,
}

/// What the client received in one session: a JSON line per step (driver.py).
pub struct Received {
    pub lines: Vec<Value>,
    /// The driver's standard output as printed: everything the client received.
    pub raw: String,
}

/// Waits for a session (at most [`RUN_LIMIT`]) and reads what the client received.
pub fn finish(mut running: Running) -> Received {
    let stdout = running.child.stdout.take().unwrap();
    let stderr = running.child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let mut raw = String::new();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        lines.push(serde_json::from_str::<Value>(&line).unwrap());
        raw.push_str(&line);
        raw.push('\n');
    }
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        if running.started.elapsed() > RUN_LIMIT {
            let _ = running.child.kill();
            panic!("the client session did not end within {RUN_LIMIT:?}:\n{raw}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = err_reader.join().unwrap();
    assert!(
        status.success() && lines.last() == Some(&json!({"done": true})),
        "the client session failed ({status}):\nstdout:\n{raw}\nstderr:\n{stderr}"
    );
    Received { lines, raw }
}

impl Received {
    /// The line of step `index`.
    pub fn step(&self, index: usize) -> &Value {
        self.lines
            .iter()
            .find(|l| l.get("step") == Some(&json!(index)))
            .unwrap_or_else(|| panic!("no step {index} in:\n{}", self.brief()))
    }

    /// The tool result of step `index` (a call).
    pub fn result(&self, index: usize) -> &Value {
        self.step(index)
            .get("result")
            .unwrap_or_else(|| panic!("step {index} has no tool result:\n{}", self.brief()))
    }

    /// Whether step `index`'s tool result is an error (`isError: true`).
    pub fn is_error(&self, index: usize) -> bool {
        self.result(index).get("isError") == Some(&json!(true))
    }

    /// The text of step `index`'s tool result (its text content, joined).
    pub fn text(&self, index: usize) -> String {
        self.result(index)["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// What the client received, each tools list shortened to its names: for a failure's
    /// message.
    pub fn brief(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            let mut line = line.clone();
            if let Some(tools) = line.get_mut("tools") {
                let names: Vec<Value> = tools
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.get("name").cloned())
                    .collect();
                *tools = Value::Array(names);
            }
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }

    /// The tools step `index` listed, as the client received them.
    pub fn tools(&self, index: usize) -> &Vec<Value> {
        self.step(index)["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("step {index} listed no tools:\n{}", self.brief()))
    }

    /// The names of the tools step `index` listed.
    pub fn tool_names(&self, index: usize) -> Vec<&str> {
        self.tools(index)
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .collect()
    }
}

/// A `{"list": true}` step.
pub fn list() -> Value {
    json!({"list": true})
}

/// A `{"call": tool, "arguments": args}` step.
pub fn call(tool: &str, args: Value) -> Value {
    json!({"call": tool, "arguments": args})
}

/// Asserts that step `index` is a refusal by the gateway, not the server's own error.
pub fn assert_refused(received: &Received, index: usize) {
    assert!(
        received.is_error(index),
        "step {index} was not refused:\n{}",
        received.brief()
    );
    assert!(
        received.text(index).starts_with("hostguard refused"),
        "step {index} is an error, but not the gateway's refusal: {}",
        received.text(index)
    );
}

/// The `hostguard` binary with `args`: exit code, stdout, stderr.
pub fn hostguard(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hostguard"));
    command.args(args);
    // A clean risk environment, as the CLI tests keep (HOSTGUARD_RISK_* would change the gate).
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HOSTGUARD_") {
            command.env_remove(key);
        }
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A file's text, or nothing when it does not exist.
pub fn read_or_empty(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

pub fn s(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}
