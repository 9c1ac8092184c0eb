//! Capabilities and their derivation from a hostcall's method (docs/design.md §2 step 1).
//!
//! The capability of a call is *derived*, never taken from the extension: an extension that
//! declares a capability different from the derived one is rejected, so it cannot claim a
//! weaker one.

use std::fmt;

use hostguard_exec::ToolFamily;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a hostcall is allowed to touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Run a process (method `exec`, tool `bash`).
    Exec,
    /// Read an environment variable.
    Env,
    /// Make a network request.
    Http,
    /// Read the file system (method `fs` with a read op, tools `read`, `grep`, `find`, `ls`).
    Read,
    /// Write the file system (method `fs` with a write op, tools `write`, `edit`).
    Write,
    /// Session state of the host.
    Session,
    /// User interface.
    Ui,
    /// Host events.
    Events,
    /// Logging.
    Log,
    /// Any other host tool.
    Tool,
}

impl Capability {
    /// Every capability, in declaration order.
    pub const ALL: [Capability; 10] = [
        Capability::Exec,
        Capability::Env,
        Capability::Http,
        Capability::Read,
        Capability::Write,
        Capability::Session,
        Capability::Ui,
        Capability::Events,
        Capability::Log,
        Capability::Tool,
    ];

    /// The lowercase name used in policies and artifacts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Capability::Exec => "exec",
            Capability::Env => "env",
            Capability::Http => "http",
            Capability::Read => "read",
            Capability::Write => "write",
            Capability::Session => "session",
            Capability::Ui => "ui",
            Capability::Events => "events",
            Capability::Log => "log",
            Capability::Tool => "tool",
        }
    }

    /// Parses a capability name (case-insensitive, surrounding whitespace ignored).
    pub fn parse(name: &str) -> Option<Capability> {
        let name = name.trim();
        Capability::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name))
    }

    /// `exec`, `env` and `http` are *dangerous*: Harden blocks them (docs/design.md §4).
    pub const fn is_dangerous(self) -> bool {
        match self {
            Capability::Exec | Capability::Env | Capability::Http => true,
            Capability::Read
            | Capability::Write
            | Capability::Session
            | Capability::Ui
            | Capability::Events
            | Capability::Log
            | Capability::Tool => false,
        }
    }

    /// A stable small integer for binary encodings (declaration order, from 0).
    pub const fn code(self) -> u8 {
        match self {
            Capability::Exec => 0,
            Capability::Env => 1,
            Capability::Http => 2,
            Capability::Read => 3,
            Capability::Write => 4,
            Capability::Session => 5,
            Capability::Ui => 6,
            Capability::Events => 7,
            Capability::Log => 8,
            Capability::Tool => 9,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hostcall method: the one list of what the gate accepts (the event format, telemetry and
/// capability derivation all read it here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostcallMethod {
    /// Run a process.
    Exec,
    /// Read an environment variable.
    Env,
    /// A network request.
    Http,
    /// A file-system operation (`op` says which).
    Fs,
    /// Host session state.
    Session,
    /// User interface.
    Ui,
    /// Host events.
    Events,
    /// Logging.
    Log,
    /// A named host tool.
    Tool,
}

impl HostcallMethod {
    /// Every method, in the order of the event format.
    pub const ALL: [HostcallMethod; 9] = [
        HostcallMethod::Exec,
        HostcallMethod::Env,
        HostcallMethod::Http,
        HostcallMethod::Fs,
        HostcallMethod::Session,
        HostcallMethod::Ui,
        HostcallMethod::Events,
        HostcallMethod::Log,
        HostcallMethod::Tool,
    ];

    /// The name hosts send (case-sensitive, lowercase).
    pub const fn as_str(self) -> &'static str {
        match self {
            HostcallMethod::Exec => "exec",
            HostcallMethod::Env => "env",
            HostcallMethod::Http => "http",
            HostcallMethod::Fs => "fs",
            HostcallMethod::Session => "session",
            HostcallMethod::Ui => "ui",
            HostcallMethod::Events => "events",
            HostcallMethod::Log => "log",
            HostcallMethod::Tool => "tool",
        }
    }

    /// Every name, comma-separated (error messages).
    pub fn names() -> String {
        HostcallMethod::ALL.map(HostcallMethod::as_str).join(", ")
    }

    /// The method a host named, if the gate knows it (exact, case-sensitive).
    pub fn parse(name: &str) -> Option<HostcallMethod> {
        HostcallMethod::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for HostcallMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a capability could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// The method is not one the gate knows.
    #[error(
        "unknown method `{method}` (expected one of {})",
        HostcallMethod::names()
    )]
    UnknownMethod {
        /// The method as given.
        method: String,
    },
    /// An `fs` call without a string `op`, or with an op the gate does not know.
    #[error("fs call has unknown or missing `op` `{op}` (expected a read op: read, stat, list, exists; or a write op: write, append, mkdir, remove, rename, copy, chmod)")]
    UnknownFsOp {
        /// The op as given (empty when missing or not a string).
        op: String,
    },
    /// A `tool` call without a string tool name.
    #[error("tool call has no string `name` parameter")]
    MissingToolName,
}

const FS_READ_OPS: &[&str] = &["read", "stat", "list", "exists", "readdir", "read_dir"];
const FS_WRITE_OPS: &[&str] = &[
    "write", "append", "mkdir", "remove", "delete", "rename", "copy", "chmod", "truncate",
];

/// Derives the capability of a call from its method (+ `op` for `fs`, + tool `name` for `tool`).
///
/// HostcallMethod names are case-sensitive lowercase as hosts send them; the tool name is matched
/// case-insensitively because hosts disagree on tool-name case (`Bash`, `bash`).
pub fn derive_capability(
    method: &str,
    params: &Map<String, Value>,
) -> Result<Capability, CapabilityError> {
    let Some(known) = HostcallMethod::parse(method) else {
        return Err(CapabilityError::UnknownMethod {
            method: method.to_owned(),
        });
    };
    match known {
        HostcallMethod::Exec => Ok(Capability::Exec),
        HostcallMethod::Env => Ok(Capability::Env),
        HostcallMethod::Http => Ok(Capability::Http),
        HostcallMethod::Session => Ok(Capability::Session),
        HostcallMethod::Ui => Ok(Capability::Ui),
        HostcallMethod::Events => Ok(Capability::Events),
        HostcallMethod::Log => Ok(Capability::Log),
        HostcallMethod::Fs => {
            let op = params.get("op").and_then(Value::as_str).unwrap_or_default();
            let lower = op.to_ascii_lowercase();
            if FS_READ_OPS.contains(&lower.as_str()) {
                Ok(Capability::Read)
            } else if FS_WRITE_OPS.contains(&lower.as_str()) {
                Ok(Capability::Write)
            } else {
                Err(CapabilityError::UnknownFsOp { op: op.to_owned() })
            }
        }
        HostcallMethod::Tool => {
            let name = params
                .get("name")
                .and_then(Value::as_str)
                .ok_or(CapabilityError::MissingToolName)?;
            Ok(tool_capability(name))
        }
    }
}

/// The capability a named host tool exercises: `bash` runs commands, so it is `exec`
/// (docs/design.md §2 step 6 mediates it like `exec`); `getenv` reads the environment, so it is `env`
/// (brokered like `env`); `web_fetch` sends http requests, so it is `http`.
///
/// The name is normalised before matching — case folded, and everything but ASCII letters and
/// digits dropped (`Bash`, ` bash `, `run_shell_command`, `bash\u{200b}`, `Shell-Exec`) — and
/// any name that names a shell or a command runner (contains `bash`, `shell`, `terminal` or
/// `command`, starts with `exec`, or is one of the shells and runners hosts expose: `zsh`,
/// `pwsh`, `cmd`, `spawn`, ...; so `run_terminal_cmd`, `run_in_terminal`, `execute`) is
/// `exec`: a host that looks tools up loosely must not run a shell the gate did not mediate.
/// Erring towards `exec` is the safe direction (it is mediated and policy-gated).
///
/// The names are the exec catalog's (`rules/tools.toml`: its `[[tool_family]]` tables, and
/// every `fetch` tool is `http`), read through [`hostguard_exec::tool_family`], so the
/// capability and the detector's effects of a tool agree.
pub fn tool_capability(name: &str) -> Capability {
    match hostguard_exec::tool_family(name) {
        Some(ToolFamily::Shell) => return Capability::Exec,
        Some(ToolFamily::Env) => return Capability::Env,
        Some(ToolFamily::Http) => return Capability::Http,
        None => {}
    }
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "read" | "grep" | "find" | "ls" | "glob" => Capability::Read,
        "write" | "edit" | "multiedit" | "apply_patch" => Capability::Write,
        _ => Capability::Tool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(method: &str, params: Value, expected: Result<Capability, CapabilityError>) {
        let map = params.as_object().cloned().unwrap_or_default();
        assert_eq!(
            derive_capability(method, &map),
            expected,
            "{method} {params}"
        );
    }

    #[test]
    fn derivation_table() {
        check("exec", json!({"command": "ls"}), Ok(Capability::Exec));
        check("env", json!({"name": "HOME"}), Ok(Capability::Env));
        check("http", json!({"url": "https://x"}), Ok(Capability::Http));
        check("session", json!({}), Ok(Capability::Session));
        // Every method of the one list derives a capability (given what it needs), and only
        // those: the list and the derivation cannot disagree.
        for m in HostcallMethod::ALL {
            let params = json!({"op": "read", "name": "bash"});
            let params = params.as_object().cloned().unwrap_or_default();
            assert!(derive_capability(m.as_str(), &params).is_ok(), "{m}");
            assert_eq!(HostcallMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(HostcallMethod::parse("Exec"), None, "case-sensitive");
        check("ui", json!({}), Ok(Capability::Ui));
        check("events", json!({}), Ok(Capability::Events));
        check("log", json!({}), Ok(Capability::Log));
        check("fs", json!({"op": "read"}), Ok(Capability::Read));
        check("fs", json!({"op": "STAT"}), Ok(Capability::Read));
        check("fs", json!({"op": "write"}), Ok(Capability::Write));
        check("fs", json!({"op": "remove"}), Ok(Capability::Write));
        check(
            "fs",
            json!({"op": "teleport"}),
            Err(CapabilityError::UnknownFsOp {
                op: "teleport".into(),
            }),
        );
        check(
            "fs",
            json!({}),
            Err(CapabilityError::UnknownFsOp { op: String::new() }),
        );
        check(
            "fs",
            json!({"op": 3}),
            Err(CapabilityError::UnknownFsOp { op: String::new() }),
        );
        check("tool", json!({"name": "bash"}), Ok(Capability::Exec));
        check("tool", json!({"name": "Bash"}), Ok(Capability::Exec));
        check("tool", json!({"name": "read"}), Ok(Capability::Read));
        check("tool", json!({"name": "edit"}), Ok(Capability::Write));
        check("tool", json!({"name": "web_search"}), Ok(Capability::Tool));
        check("tool", json!({}), Err(CapabilityError::MissingToolName));
        check(
            "Exec",
            json!({}),
            Err(CapabilityError::UnknownMethod {
                method: "Exec".into(),
            }),
        );
        check(
            "",
            json!({}),
            Err(CapabilityError::UnknownMethod {
                method: String::new(),
            }),
        );
    }

    #[test]
    fn shell_tool_name_variants_are_exec() {
        for name in [
            "bash",
            "BASH",
            " bash ",
            "bash\u{200b}",
            "Bash-Tool",
            "run_shell_command",
            "shell_exec",
            "sh",
            "Sh",
            "zsh",
            "pwsh",
            "PowerShell",
            "cmd",
            "terminal",
            "execute_command",
            // Command tools of common hosts whose names name no shell.
            "run_terminal_cmd",
            "run_in_terminal",
            "terminal_command",
            "execute",
            "exec_command",
            "execute_code",
            "RunCommand",
        ] {
            assert_eq!(tool_capability(name), Capability::Exec, "{name:?}");
        }
        for (name, capability) in [
            ("read", Capability::Read),
            ("edit", Capability::Write),
            ("web_search", Capability::Tool),
            ("ls", Capability::Read),
            ("show", Capability::Tool),
            ("getenv", Capability::Env),
            ("get_env", Capability::Env),
            ("Env", Capability::Env),
            ("read_env_var", Capability::Env),
            ("web_fetch", Capability::Http),
            ("WebFetch", Capability::Http),
            ("fetch", Capability::Http),
            ("http_request", Capability::Http),
            ("download", Capability::Http),
        ] {
            assert_eq!(tool_capability(name), capability, "{name:?}");
        }
    }

    #[test]
    fn every_fetch_tool_of_the_catalog_is_http() {
        // The tool table's `fetch` tools were not all `http` when capability.rs kept its own
        // list: these were `tool` (the detector read them as requests all the same).
        for name in [
            "request",
            "browser_navigate",
            "get_url",
            "read_url",
            "open_url",
            "download_file",
            "scrape",
            "navigate",
            "fs__get_url",
        ] {
            assert_eq!(tool_capability(name), Capability::Http, "{name:?}");
        }
        // And the capability list's own names stay http.
        for name in ["upload", "url_request", "wget_page", "curl", "webrequest"] {
            assert_eq!(tool_capability(name), Capability::Http, "{name:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.as_str()), Some(c));
            assert_eq!(Capability::parse(&c.as_str().to_uppercase()), Some(c));
        }
        assert_eq!(Capability::parse("root"), None);
    }

    #[test]
    fn only_exec_env_http_are_dangerous() {
        let dangerous: Vec<_> = Capability::ALL
            .into_iter()
            .filter(|c| c.is_dangerous())
            .collect();
        assert_eq!(
            dangerous,
            vec![Capability::Exec, Capability::Env, Capability::Http]
        );
    }
}
