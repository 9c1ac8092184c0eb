//! A `tools/call` as hostcalls of the gate (docs/mcp.md "Mapping"): an argument that is a
//! command becomes `exec`, a path `fs` read or write by the tool's verb, a URL `http`, and a
//! tool whose arguments are none of these one `tool` hostcall. The mapping is data — a table of
//! the reference servers' tools (filesystem, git, fetch) that a user's rules extend — not code
//! per server; a tool no rule names is mapped by its argument names and its verb.

use hostguard_manager::{line_column, HostCall};
use serde::Deserialize;
use serde_json::{json, Value};

/// What an argument of a tool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgKind {
    /// A shell command line: `exec`.
    Command,
    /// A path the tool reads: `fs` read.
    ReadPath,
    /// A path the tool writes (creates, moves, deletes): `fs` write.
    WritePath,
    /// A URL the tool fetches: `http` GET.
    Url,
}

/// One tool's rule: which of its arguments are what (a string, or an array of strings).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolRule {
    /// The tool's name as the server lists it.
    pub tool: String,
    /// Argument name → kind; arguments not named here are not mapped.
    pub args: Vec<(String, ArgKind)>,
}

use ArgKind::{Command, ReadPath, Url, WritePath};

/// The reference servers' tools: `@modelcontextprotocol/server-filesystem`, `mcp-server-git`,
/// `mcp-server-fetch` (their tool lists as published).
const REFERENCE: &[(&str, &[(&str, ArgKind)])] = &[
    ("read_file", &[("path", ReadPath)]),
    ("read_text_file", &[("path", ReadPath)]),
    ("read_media_file", &[("path", ReadPath)]),
    ("read_multiple_files", &[("paths", ReadPath)]),
    ("write_file", &[("path", WritePath)]),
    ("edit_file", &[("path", WritePath)]),
    ("create_directory", &[("path", WritePath)]),
    ("list_directory", &[("path", ReadPath)]),
    ("list_directory_with_sizes", &[("path", ReadPath)]),
    ("directory_tree", &[("path", ReadPath)]),
    (
        "move_file",
        &[("source", WritePath), ("destination", WritePath)],
    ),
    ("search_files", &[("path", ReadPath)]),
    ("get_file_info", &[("path", ReadPath)]),
    ("git_status", &[("repo_path", ReadPath)]),
    ("git_diff_unstaged", &[("repo_path", ReadPath)]),
    ("git_diff_staged", &[("repo_path", ReadPath)]),
    ("git_diff", &[("repo_path", ReadPath)]),
    ("git_log", &[("repo_path", ReadPath)]),
    ("git_show", &[("repo_path", ReadPath)]),
    ("git_branch", &[("repo_path", ReadPath)]),
    ("git_commit", &[("repo_path", WritePath)]),
    ("git_add", &[("repo_path", WritePath), ("files", WritePath)]),
    ("git_reset", &[("repo_path", WritePath)]),
    ("git_create_branch", &[("repo_path", WritePath)]),
    ("git_checkout", &[("repo_path", WritePath)]),
    ("git_init", &[("repo_path", WritePath)]),
    ("fetch", &[("url", Url)]),
];

/// Argument names that mean a kind, for a tool no rule names (a path's verb comes from the
/// tool's name: [`WRITE_VERBS`]).
const ARG_NAMES: &[(&str, Option<ArgKind>)] = &[
    ("command", Some(Command)),
    ("cmd", Some(Command)),
    ("script", Some(Command)),
    ("url", Some(Url)),
    ("uri", Some(Url)),
    ("path", None),
    ("target", None),
    ("paths", None),
    ("file", None),
    ("files", None),
    ("filename", None),
    ("source", None),
    ("destination", None),
    ("directory", None),
    ("dir", None),
    ("repo_path", None),
];

/// Words of an argument's name that make it a command line wherever they stand.
const COMMAND_WORDS: &[&str] = &["command", "commands", "cmd", "cmds", "script"];

/// Sibling arguments carried with a mapped one, by their name's last word: what a write
/// writes, and how a URL is requested — so detection judges the content and the method, not
/// the path or the URL alone.
const CONTENT_WORDS: &[&str] = &["content", "contents", "data", "text", "body"];

/// Words of a tool's name that make its paths writes.
const WRITE_VERBS: &[&str] = &[
    "write", "edit", "create", "delete", "remove", "move", "rename", "copy", "append", "save",
    "commit", "add", "reset", "checkout", "init", "push", "mkdir", "rm", "update", "patch", "set",
    "put", "upload", "apply",
];

/// Why a mapping file cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MappingError {
    /// The 1-based line and column (in characters), when the error has a place.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

/// A mapping file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    tool: Vec<RawRule>,
}

/// One `[[tool]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    tool: String,
    args: std::collections::BTreeMap<String, ArgKind>,
}

/// The mapping: the user's rules first, then the reference table, then argument names.
#[derive(Debug, Clone, Default)]
pub struct ToolMap {
    user: Vec<ToolRule>,
}

impl ToolMap {
    /// The reference table with `user` rules before it (a user rule for a reference tool wins).
    pub fn new(user: Vec<ToolRule>) -> ToolMap {
        ToolMap { user }
    }

    /// The user's rules from a mapping file (docs/mcp.md "Your own rules"): TOML, one
    /// `[[tool]]` table per tool, `tool` its name and `args` each argument's kind (`command`,
    /// `read-path`, `write-path`, `url`). Unknown keys and kinds, and a tool named twice, are
    /// errors that say where.
    pub fn from_toml(text: &str) -> Result<ToolMap, MappingError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| MappingError {
            at: e.span().map(|span| line_column(text, span.start)),
            message: e.message().trim().replace('\n', "; "),
        })?;
        let mut user: Vec<ToolRule> = Vec::with_capacity(file.tool.len());
        for raw in file.tool {
            if user.iter().any(|r| r.tool == raw.tool) {
                return Err(MappingError {
                    at: None,
                    message: format!("tool {} has two [[tool]] tables", Value::from(raw.tool)),
                });
            }
            user.push(ToolRule {
                tool: raw.tool,
                args: raw.args.into_iter().collect(),
            });
        }
        Ok(ToolMap { user })
    }

    /// The hostcalls of extension `extension` for `tools/call` `call_id` of `tool` with
    /// `args`: never empty (a tool with no mapped argument is one `tool` hostcall). Ids are
    /// `call_id` for the first and `call_id#N` after it.
    pub fn hostcalls(
        &self,
        extension: &str,
        call_id: &str,
        tool: &str,
        args: &Value,
    ) -> Vec<HostCall> {
        let siblings = Siblings::of(args);
        let params: Vec<(String, Value)> = self
            .kinds(tool, args)
            .into_iter()
            .flat_map(|(kind, value)| strings(value).into_iter().map(move |s| (kind, s)))
            .map(|(kind, s)| call_params(kind, s, &siblings))
            .collect();
        if params.is_empty() {
            let params = json!({"name": tool, "input": args});
            return vec![HostCall::new(extension, call_id, "tool", params)];
        }
        params
            .into_iter()
            .enumerate()
            .map(|(i, (method, params))| {
                let id = if i == 0 {
                    call_id.to_owned()
                } else {
                    format!("{call_id}#{i}")
                };
                HostCall::new(extension, id, method, params)
            })
            .collect()
    }

    /// Each mapped argument's kind and value, in rule order.
    fn kinds<'a>(&self, tool: &str, args: &'a Value) -> Vec<(ArgKind, &'a Value)> {
        let named = |name: &str| args.get(name);
        if let Some(rule) = self.user.iter().find(|r| r.tool == tool) {
            return rule
                .args
                .iter()
                .filter_map(|(a, k)| named(a).map(|v| (*k, v)))
                .collect();
        }
        if let Some((_, rule)) = REFERENCE.iter().find(|(t, _)| *t == tool) {
            return rule
                .iter()
                .filter_map(|(a, k)| named(a).map(|v| (*k, v)))
                .collect();
        }
        let path_kind = if writes(tool) { WritePath } else { ReadPath };
        let Some(map) = args.as_object() else {
            return Vec::new();
        };
        map.iter()
            .filter_map(|(name, v)| arg_kind(name, path_kind).map(|k| (k, v)))
            .collect()
    }
}

/// Whether a tool's name says it writes (`write_file`, `gitCommit`, `delete-branch`).
fn writes(tool: &str) -> bool {
    let lower = tool.to_ascii_lowercase();
    words(tool)
        .iter()
        .any(|word| WRITE_VERBS.contains(&word.as_str()))
        || WRITE_VERBS.iter().any(|v| lower.starts_with(v))
}

/// The lowercase words of a name: split at non-alphanumerics and at camelCase humps
/// (`gitCommit` → `git`, `commit`; `file_path` → `file`, `path`).
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower);
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The kind an argument name means, by its last word (`file_path`, `filePath`, `targetUrl`).
fn arg_kind(name: &str, path_kind: ArgKind) -> Option<ArgKind> {
    let mut words = words(name);
    // A command word anywhere names a command (`commandLine`, `command_line`, `shellCmd`).
    if words.iter().any(|w| COMMAND_WORDS.contains(&w.as_str())) {
        return Some(Command);
    }
    let last = words.pop()?;
    ARG_NAMES
        .iter()
        .find(|(a, _)| *a == last)
        .map(|(_, k)| k.unwrap_or(path_kind))
}

/// A string argument, or the strings of an array argument.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The hostcall method and params of one mapped argument.
fn call_params(kind: ArgKind, value: &str, siblings: &Siblings<'_>) -> (String, Value) {
    match kind {
        Command => ("exec".to_owned(), json!({"command": value})),
        ReadPath => ("fs".to_owned(), json!({"op": "read", "path": value})),
        WritePath => {
            let mut params = json!({"op": "write", "path": value});
            if let (Some(content), Some(map)) = (siblings.content, params.as_object_mut()) {
                map.insert("content".to_owned(), content.into());
            }
            ("fs".to_owned(), params)
        }
        Url => {
            let method = siblings.method.unwrap_or("GET").to_ascii_uppercase();
            let mut params = json!({"url": value, "method": method});
            if let (Some(body), Some(map)) = (siblings.content, params.as_object_mut()) {
                map.insert("body".to_owned(), body.into());
            }
            ("http".to_owned(), params)
        }
    }
}

/// The sibling arguments a mapped argument carries (top level, strings).
struct Siblings<'a> {
    /// What is written or sent (`content`, `data`, `body`, …).
    content: Option<&'a str>,
    /// The HTTP method.
    method: Option<&'a str>,
}

impl<'a> Siblings<'a> {
    fn of(args: &'a Value) -> Siblings<'a> {
        let named = |wanted: &[&str]| {
            args.as_object()?.iter().find_map(|(name, value)| {
                let last = words(name).pop()?;
                wanted
                    .contains(&last.as_str())
                    .then(|| value.as_str())
                    .flatten()
            })
        };
        Siblings {
            content: named(CONTENT_WORDS),
            method: named(&["method"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (method, params) of each hostcall, with ids.
    fn check(map: &ToolMap, tool: &str, args: Value, expected: &[(&str, &str, Value)]) {
        let calls = map.hostcalls("ext", "c1", tool, &args);
        let got: Vec<(String, String, Value)> = calls
            .iter()
            .map(|c| (c.call_id.clone(), c.method.clone(), c.params.clone()))
            .collect();
        let want: Vec<(String, String, Value)> = expected
            .iter()
            .map(|(id, m, p)| ((*id).to_owned(), (*m).to_owned(), p.clone()))
            .collect();
        assert_eq!(got, want, "{tool}");
    }

    #[test]
    fn reference_tools_map_by_the_table() {
        let map = ToolMap::default();
        check(
            &map,
            "read_file",
            json!({"path": "/w/a.rs"}),
            &[("c1", "fs", json!({"op": "read", "path": "/w/a.rs"}))],
        );
        check(
            &map,
            "write_file",
            json!({"path": "/w/a.rs", "content": "x"}),
            &[(
                "c1",
                "fs",
                json!({"op": "write", "path": "/w/a.rs", "content": "x"}),
            )],
        );
        check(
            &map,
            "read_multiple_files",
            json!({"paths": ["/a", "/b"]}),
            &[
                ("c1", "fs", json!({"op": "read", "path": "/a"})),
                ("c1#1", "fs", json!({"op": "read", "path": "/b"})),
            ],
        );
        check(
            &map,
            "git_commit",
            json!({"repo_path": "/r", "message": "m"}),
            &[("c1", "fs", json!({"op": "write", "path": "/r"}))],
        );
        check(
            &map,
            "fetch",
            json!({"url": "https://x.example/"}),
            &[(
                "c1",
                "http",
                json!({"url": "https://x.example/", "method": "GET"}),
            )],
        );
    }

    #[test]
    fn unknown_tools_map_by_argument_names_and_verb_and_else_are_tool_calls() {
        let map = ToolMap::default();
        check(
            &map,
            "run_shell",
            json!({"command": "ls -la"}),
            &[("c1", "exec", json!({"command": "ls -la"}))],
        );
        check(
            &map,
            "deleteFile",
            json!({"file": "/w/x"}),
            &[("c1", "fs", json!({"op": "write", "path": "/w/x"}))],
        );
        check(
            &map,
            "open_note",
            json!({"path": "/w/n.md"}),
            &[("c1", "fs", json!({"op": "read", "path": "/w/n.md"}))],
        );
        check(
            &map,
            "get_weather",
            json!({"city": "Oslo"}),
            &[(
                "c1",
                "tool",
                json!({"name": "get_weather", "input": {"city": "Oslo"}}),
            )],
        );
    }

    #[test]
    fn names_by_words_and_siblings_carried() {
        let map = ToolMap::default();
        // Argument names by their words, camelCase or snake_case; verbs by camelCase humps.
        check(
            &map,
            "gitCommit",
            json!({"repoPath": "/r"}),
            &[("c1", "fs", json!({"op": "write", "path": "/r"}))],
        );
        check(
            &map,
            "open_note",
            json!({"file_path": "/w/n.md"}),
            &[("c1", "fs", json!({"op": "read", "path": "/w/n.md"}))],
        );
        check(
            &map,
            "runTerminal",
            json!({"commandLine": "id"}),
            &[("c1", "exec", json!({"command": "id"}))],
        );
        // What a write writes and how a URL is requested go with them.
        check(
            &map,
            "fs_write",
            json!({"target": "/w/x", "content": "hello"}),
            &[(
                "c1",
                "fs",
                json!({"op": "write", "path": "/w/x", "content": "hello"}),
            )],
        );
        check(
            &map,
            "fetch",
            json!({"url": "https://h.example/", "method": "post", "body": "k=v"}),
            &[(
                "c1",
                "http",
                json!({"url": "https://h.example/", "method": "POST", "body": "k=v"}),
            )],
        );
    }

    #[test]
    fn a_user_rule_wins_over_the_table_and_the_names() {
        let rule = ToolRule {
            tool: "read_file".into(),
            args: vec![("path".into(), WritePath)],
        };
        let map = ToolMap::new(vec![rule]);
        check(
            &map,
            "read_file",
            json!({"path": "/w/a"}),
            &[("c1", "fs", json!({"op": "write", "path": "/w/a"}))],
        );
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    #[test]
    fn a_mapping_file_names_each_argument_and_wins_over_the_names() {
        let map = ToolMap::from_toml(
            "[[tool]]\ntool = \"run_query\"\nargs = { sql = \"command\", out = \"write-path\" }\n",
        )
        .unwrap_or_default();
        let calls = map.hostcalls(
            "db",
            "c",
            "run_query",
            &json!({"sql": "rm -rf /", "out": "/tmp/x"}),
        );
        let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
        assert_eq!(methods, ["fs", "exec"]);
        assert_eq!(
            calls.get(1).map(|c| c.params["command"].clone()),
            Some(json!("rm -rf /"))
        );
    }

    #[test]
    fn a_bad_mapping_file_says_where() {
        let bad = [
            (
                "[[tool]]\ntool = \"x\"\nargs = { a = \"shell\" }\n",
                Some(3),
                "shell",
            ),
            ("[[tool]]\ntool = \"x\"\nargz = {}\n", Some(3), "argz"),
            (
                "[[tool]]\ntool = \"x\"\nargs = {}\n[[tool]]\ntool = \"x\"\nargs = {}\n",
                None,
                "two [[tool]]",
            ),
        ];
        for (text, line, says) in bad {
            let e = ToolMap::from_toml(text).map(|_| ()).unwrap_err();
            assert_eq!(e.at.map(|(l, _)| l), line, "{text}: {e:?}");
            assert!(e.message.contains(says), "{text}: {e}");
        }
    }
}
