//! The tool table (`rules/tools.toml`): what a host or MCP tool does, by its name — the file
//! operation or request it stands for ([`ToolKind`]), and which dangerous family its name
//! claims ([`ToolFamily`]: a shell, an environment reader, an HTTP client). risk-core derives a
//! tool call's capability from `hostguard_exec::tool_family`; the detector maps its effects by
//! `Catalog::tool_kind`. One list per kind of knowledge, read by both.

use std::collections::BTreeMap;

/// What a host or MCP tool does (`rules/tools.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    /// Reads a file.
    Read,
    /// Writes or edits a file.
    Write,
    /// Deletes a file or directory.
    Delete,
    /// Moves, renames or copies.
    Move,
    /// Lists or inspects metadata only.
    List,
    /// Makes an HTTP request.
    Fetch,
}

impl ToolKind {
    /// Every kind, in declaration order.
    const ALL: [ToolKind; 6] = [
        ToolKind::Read,
        ToolKind::Write,
        ToolKind::Delete,
        ToolKind::Move,
        ToolKind::List,
        ToolKind::Fetch,
    ];

    /// The catalog name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolKind::Read => "read",
            ToolKind::Write => "write",
            ToolKind::Delete => "delete",
            ToolKind::Move => "move",
            ToolKind::List => "list",
            ToolKind::Fetch => "fetch",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<ToolKind> {
        ToolKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The dangerous family a tool's name claims (`[[family]]` of `rules/tools.toml`): what a
/// host that looks tools up loosely might run under that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ToolFamily {
    /// Runs commands (`bash`, `run_terminal_cmd`, `execute`).
    Shell,
    /// Reads environment variables (`getenv`, `read_env_var`).
    Env,
    /// Sends HTTP requests (`web_fetch`, `download`; every `fetch` tool).
    Http,
}

impl ToolFamily {
    /// Every family, in the order a name is tested against them (the safest reading first:
    /// a shell is mediated and policy-gated).
    const ALL: [ToolFamily; 3] = [ToolFamily::Shell, ToolFamily::Env, ToolFamily::Http];

    /// The catalog name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolFamily::Shell => "shell",
            ToolFamily::Env => "env",
            ToolFamily::Http => "http",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<ToolFamily> {
        ToolFamily::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// How names are matched to one family: whole names, parts anywhere, parts at the start,
/// all compared [`family_key`]-normalised.
#[derive(Debug, Clone, Default)]
pub(crate) struct FamilyNames {
    pub names: Vec<String>,
    pub contains: Vec<String>,
    pub prefixes: Vec<String>,
}

impl FamilyNames {
    fn matches(&self, key: &str) -> bool {
        self.names.iter().any(|n| n == key)
            || self.contains.iter().any(|p| key.contains(p.as_str()))
            || self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }
}

/// The tool table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ToolTable {
    /// [`tool_key`] → kind.
    pub kinds: BTreeMap<String, ToolKind>,
    /// The names each family claims.
    pub families: BTreeMap<ToolFamily, FamilyNames>,
}

impl ToolTable {
    /// See `Catalog::tool_kind`.
    pub(crate) fn kind(&self, name: &str) -> Option<ToolKind> {
        let key = tool_key(name);
        self.kinds.get(&key).copied().or_else(|| {
            let last = key.rsplit("__").next().unwrap_or(&key);
            self.kinds.get(last).copied()
        })
    }

    /// See `Catalog::tool_family`.
    pub(crate) fn family(&self, name: &str) -> Option<ToolFamily> {
        let key = family_key(name);
        let claimed = ToolFamily::ALL.into_iter().find(|f| {
            self.families
                .get(f)
                .is_some_and(|names| names.matches(&key))
        });
        claimed.or_else(|| (self.kind(name) == Some(ToolKind::Fetch)).then_some(ToolFamily::Http))
    }
}

/// A tool name as the kind table keys it: lower-case, `-`, `.` and blanks read as `_`.
pub(crate) fn tool_key(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A tool name as the family lists compare it: ASCII letters and digits only, lower-case
/// (`Bash`, ` bash `, `run_shell_command`, `bash\u{200b}`, `Shell-Exec`).
pub(crate) fn family_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{tool_family, Catalog};

    fn check(name: &str, expected: Option<ToolFamily>) {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(catalog.tool_family(name), expected, "{name:?}");
    }

    #[test]
    fn families_by_name() {
        check("Bash-Tool", Some(ToolFamily::Shell));
        check("execute", Some(ToolFamily::Shell));
        check("read_env_var", Some(ToolFamily::Env));
        check("read_environment", Some(ToolFamily::Env));
        check("get_environment_variables", Some(ToolFamily::Env));
        check("fetch_env_vars", Some(ToolFamily::Env));
        // Environment managers do not read variables.
        check("list_environments", None);
        check("create_conda_environment", None);
        check("WebFetch", Some(ToolFamily::Http));
        check("open_url", Some(ToolFamily::Http));
        check("read_file", None);
        assert_eq!(tool_family("bash"), Some(ToolFamily::Shell));
    }

    #[test]
    fn an_unknown_family_is_refused() {
        let mut files = super::super::BUILTIN_FILES.to_vec();
        files.push((
            "x.toml",
            "[[tool_family]]\nfamily = \"ftp\"\nnames = [\"x\"]\n",
        ));
        let error = Catalog::from_files(&files).unwrap_err();
        assert_eq!(error.file, "x.toml");
        assert!(error.message.contains("`ftp`"), "{error}");
    }
}
