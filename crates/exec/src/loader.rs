//! Loader and startup injection through the environment (docs/design.md §2 step 6): variables that
//! make the dynamic loader, a shell or an interpreter load code before the program runs
//! (`LD_PRELOAD=/tmp/x.so ls`, `BASH_ENV=/tmp/x bash -c …`, `NODE_OPTIONS='--require
//! /tmp/x.js' npm test`). Set as leading assignments, through `env`/`sudo` wrappers or by
//! `export`; judged by where the loaded file lives ([`ExecClass::LoaderInjection`], High).
//!
//! Three strengths, because the variables differ in what they force:
//! - **preload** (`LD_PRELOAD`, `LD_AUDIT`, `DYLD_INSERT_LIBRARIES`, `GCONV_PATH`): native code
//!   forced into every process started under it, including programs nobody meant to change.
//!   Only a system library directory (`/usr/lib…`, `/lib…`, `/usr/local/lib…`,
//!   `/System/Library…`) or a bare library name (resolved through the system search path) is
//!   accepted: `LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 cmd` stays Low; a path
//!   anywhere else — temporary, home, project-relative or unresolvable — is a finding.
//! - **search paths** (`LD_LIBRARY_PATH`, `DYLD_*_PATH`, `PYTHONPATH`, `PERL5LIB`, `RUBYLIB`,
//!   `NODE_PATH`…) and **startup files** (`BASH_ENV`, `ENV`, `PYTHONSTARTUP`, `ZDOTDIR`):
//!   a finding when an entry is a world-writable temporary location (`/tmp`, `/var/tmp`,
//!   `/dev/shm`…), a file-descriptor or proc path, or a value the classifier cannot resolve
//!   (`$X`, `$(…)`); a project-relative or home path is ordinary developer work
//!   (`LD_LIBRARY_PATH=./target/debug cargo test`, `PYTHONPATH=. pytest`) — running a project
//!   file is Low anyway (`bash ./x.sh`, a known limit of the classifier). A relative entry is
//!   resolved against a statically known working directory (`cd /tmp && LD_LIBRARY_PATH=. …`).
//! - **option variables** (`NODE_OPTIONS`, `PERL5OPT`, `RUBYOPT`, `JAVA_TOOL_OPTIONS`…): only
//!   the options that load code are read (`--require`/`-r`/`--import`/`--loader`, `-I`/`-M`,
//!   `-javaagent:`/`-agentpath:`), with the search-path rule; a bare package name
//!   (`--require ts-node/register`) is a dependency of the project; inline code (a `data:`
//!   URL, a `-M` that is not a module name) is a finding.
//!
//! `BASH_ENV` and `ENV` are also expanded by the shell that reads them, so their substitutions
//! are classified as commands (`BASH_ENV='$(rm -rf /)' bash -c :`), as are `PS1`/`PS2`/`PS4`
//! prompt strings.

use super::classify::{Analyzer, Arg, ExecClass, LIST_SEP};
use super::facts::normalise;
use super::lex::{DEFAULT_OPEN, SUB_MARK};
use super::seq::SeqState;

/// Variables whose value forces native code into every process: a path list.
const PRELOAD_VARIABLES: &[&str] = &[
    "LD_PRELOAD",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "GCONV_PATH",
];

/// Variables naming directories a loader or an interpreter searches for code: a path list.
const SEARCH_PATH_VARIABLES: &[&str] = &[
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "DYLD_FALLBACK_LIBRARY_PATH",
    "DYLD_FRAMEWORK_PATH",
    "DYLD_FALLBACK_FRAMEWORK_PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "PERL5LIB",
    "PERLLIB",
    "RUBYLIB",
    "NODE_PATH",
];

/// Variables naming a file a shell or an interpreter runs at start-up (`ZDOTDIR`: the
/// directory of zsh's).
const STARTUP_VARIABLES: &[&str] = &["BASH_ENV", "ENV", "PYTHONSTARTUP", "ZDOTDIR"];

/// Variables a shell expands (with command substitution) when it uses them.
const EXPANDED_VARIABLES: &[&str] = &["BASH_ENV", "ENV", "PS1", "PS2", "PS4"];

/// Option variables an interpreter reads as extra command-line options.
const OPTION_VARIABLES: &[&str] = &[
    "NODE_OPTIONS",
    "PERL5OPT",
    "RUBYOPT",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
];

/// System library directories (root-owned on every supported system).
const SYSTEM_LIBRARY_DIRS: &[&str] = &[
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libx32",
    "/usr/local/lib",
    "/usr/local/lib64",
    "/System/Library",
];

/// World-writable or per-session temporary locations, and file-descriptor / proc paths (a
/// file that may not exist on disk at all).
const TEMPORARY_DIRS: &[&str] = &[
    "/tmp",
    "/var/tmp",
    "/dev/shm",
    "/run/shm",
    "/run/user",
    "/var/run/user",
    "/private/tmp",
    "/private/var/tmp",
    "/var/folders",
    "/private/var/folders",
    "/var/crash",
    "/var/lib/php/sessions",
    "/dev",
    "/proc",
];

impl Analyzer<'_> {
    /// Assignments that inject code through the loader or a start-up file
    /// ([`ExecClass::LoaderInjection`]), for the simple command `idx` (`segment`); and the
    /// substitutions of the variables a shell expands, classified as commands.
    pub(crate) fn loader_variables(
        &mut self,
        assigns: &[Arg],
        segment: &str,
        idx: usize,
        depth: usize,
        state: &SeqState,
    ) {
        for a in assigns {
            let Some((name, value)) = a.text.split_once('=') else {
                continue;
            };
            let name = name.strip_suffix('+').unwrap_or(name);
            if is_loader_variable(name) && (a.fetch || injects(name, value, state.cwd.as_deref())) {
                self.flag(ExecClass::LoaderInjection, segment, vec![idx]);
            }
            if EXPANDED_VARIABLES.contains(&name) && (value.contains("$(") || value.contains('`')) {
                let _ = self.nested(&format!(": {value}"), depth + 1, state);
            }
        }
    }
}

/// The assignments (leading, then a wrapper's) [`Analyzer::loader_variables`] reads, copied
/// out of the command's words; usually none.
pub(crate) fn loader_assignments(leading: &[Arg], wrapped: &[Arg]) -> Vec<Arg> {
    leading
        .iter()
        .chain(wrapped)
        .filter(|a| {
            a.text.split_once('=').is_some_and(|(name, _)| {
                let name = name.strip_suffix('+').unwrap_or(name);
                is_loader_variable(name) || EXPANDED_VARIABLES.contains(&name)
            })
        })
        .cloned()
        .collect()
}

/// Whether `name` is one of the variables this module judges.
fn is_loader_variable(name: &str) -> bool {
    PRELOAD_VARIABLES.contains(&name)
        || SEARCH_PATH_VARIABLES.contains(&name)
        || STARTUP_VARIABLES.contains(&name)
        || OPTION_VARIABLES.contains(&name)
}

/// Whether assigning `value` to `name` makes a program load code from a location this module
/// refuses, with `cwd` the statically known working directory.
pub(super) fn injects(name: &str, value: &str, cwd: Option<&str>) -> bool {
    if value.is_empty() {
        return false;
    }
    if PRELOAD_VARIABLES.contains(&name) {
        // Entries split on `:` and spaces (ld.so accepts both). Only ld.so looks a bare name
        // up in the system search path; `GCONV_PATH` and `DYLD_INSERT_LIBRARIES` read it
        // relative to the working directory.
        let bare_ok = matches!(name, "LD_PRELOAD" | "LD_AUDIT");
        return path_list(value, name)
            .iter()
            .any(|entry| !(is_system_library(entry, cwd) || (bare_ok && is_bare_name(entry))));
    }
    if SEARCH_PATH_VARIABLES.contains(&name) {
        return path_list(value, name)
            .iter()
            .any(|entry| is_untrusted_dir(entry, cwd));
    }
    if STARTUP_VARIABLES.contains(&name) {
        // `ZDOTDIR` names the directory holding zsh's start-up files: judged like one.
        return is_untrusted_file(value, cwd);
    }
    match name {
        "NODE_OPTIONS" => node_options(value, cwd),
        "PERL5OPT" => perl_options(value, cwd),
        "RUBYOPT" => ruby_options(value, cwd),
        "JAVA_TOOL_OPTIONS" | "_JAVA_OPTIONS" | "JDK_JAVA_OPTIONS" => java_options(value, cwd),
        _ => false,
    }
}

/// The entries of a path list, the variable's own earlier value (`$LD_LIBRARY_PATH`,
/// `${PYTHONPATH:+:$PYTHONPATH}`) left out: extending a path keeps what it held.
fn path_list(value: &str, name: &str) -> Vec<String> {
    let mut value = value.to_owned();
    for form in [
        format!("${{{name}:+:${name}}}"),
        format!("${{{name}:+:${{{name}}}}}"),
        format!("${{{name}:+${name}:}}"),
        format!("${{{name}:+${{{name}}}:}}"),
        format!("${{{name}}}"),
    ] {
        value = value.replace(&form, ":");
    }
    // `$NAME` not followed by more of an identifier.
    let own = format!("${name}");
    let mut rest = value.as_str();
    let mut kept = String::with_capacity(rest.len());
    while let Some(at) = rest.find(&own) {
        let after = rest.get(at + own.len()..).unwrap_or("");
        kept.push_str(rest.get(..at).unwrap_or(""));
        if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            kept.push_str(&own);
        } else {
            kept.push(':');
        }
        rest = after;
    }
    kept.push_str(rest);
    kept.split([':', ' ', '\t', '\n'])
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where an entry of a loader variable points.
enum Location {
    /// A statically known path, resolved and normalised.
    Known(String),
    /// Under a temporary, fd or proc location (also when only its literal leading
    /// directories are known: `/tmp/$X`).
    Temporary,
    /// Named by a variable or a command's output the classifier cannot resolve.
    Unknown,
}

/// Where `entry` points, resolved against the working directory when that is known.
fn locate(entry: &str, cwd: Option<&str>) -> Location {
    // `$HOME` is a home; `$PWD` is the working directory (substituted already when known).
    let mut entry = entry.replace("${HOME}", "$HOME").replace("${PWD}", "$PWD");
    if entry == "$HOME" || entry.starts_with("$HOME/") {
        entry = entry.replacen("$HOME", "~", 1);
    }
    if entry == "$PWD" || entry.starts_with("$PWD/") {
        entry = entry.replacen("$PWD", ".", 1);
    }
    let resolve = |path: &str| match cwd {
        Some(cwd) if !path.starts_with(['/', '~']) => normalise(&format!("{cwd}/{path}")),
        _ => normalise(path),
    };
    // A substitution whose output is not known statically is left as `SUB_MARK`.
    match entry.find(['$', '`', SUB_MARK, DEFAULT_OPEN, LIST_SEP]) {
        Some(at) => {
            let literal = entry.get(..at).unwrap_or("");
            match literal.rfind('/') {
                Some(slash)
                    if under(
                        &resolve(literal.get(..=slash).unwrap_or("")),
                        TEMPORARY_DIRS,
                    ) =>
                {
                    Location::Temporary
                }
                _ => Location::Unknown,
            }
        }
        None => {
            let path = resolve(&entry);
            if under(&path, TEMPORARY_DIRS) {
                Location::Temporary
            } else {
                Location::Known(path)
            }
        }
    }
}

fn under(path: &str, dirs: &[&str]) -> bool {
    dirs.iter().any(|d| {
        path == *d
            || path
                .strip_prefix(d)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// A library name with no directory, which ld.so looks up in its search path.
fn is_bare_name(entry: &str) -> bool {
    !entry.contains(['/', '$', '`', '~', SUB_MARK, DEFAULT_OPEN, LIST_SEP])
        && entry != "."
        && entry != ".."
}

/// A library (or directory) in a system library directory.
fn is_system_library(entry: &str, cwd: Option<&str>) -> bool {
    matches!(locate(entry, cwd), Location::Known(p) if under(&p, SYSTEM_LIBRARY_DIRS))
}

/// A file run at start-up from a temporary location or from one the classifier cannot know.
fn is_untrusted_file(entry: &str, cwd: Option<&str>) -> bool {
    !matches!(locate(entry, cwd), Location::Known(_))
}

/// A search directory in a temporary location. One named by an unknown variable
/// (`$CONDA_PREFIX/lib`) is not judged: environment values are a known limit.
fn is_untrusted_dir(entry: &str, cwd: Option<&str>) -> bool {
    matches!(locate(entry, cwd), Location::Temporary)
}

/// A module an interpreter loads: a bare package name is a project dependency; a path is
/// judged like a search-path entry; inline code (`data:`) always injects.
fn loads_untrusted_module(spec: &str, cwd: Option<&str>) -> bool {
    let spec = spec.trim_matches(|c| c == '"' || c == '\'');
    let lower = spec.to_ascii_lowercase();
    if lower.starts_with("data:") || lower.starts_with("http:") || lower.starts_with("https:") {
        return true;
    }
    let path = lower
        .strip_prefix("file://")
        .map_or(spec, |_| spec.get(7..).unwrap_or(""));
    let is_path = path.starts_with(['/', '.', '~', '$', '`', SUB_MARK]);
    is_path && is_untrusted_file(path, cwd)
}

/// `NODE_OPTIONS`: `--require`/`-r`, `--import`, `--loader`/`--experimental-loader` modules.
fn node_options(value: &str, cwd: Option<&str>) -> bool {
    const LOADS: &[&str] = &[
        "--require",
        "-r",
        "--import",
        "--loader",
        "--experimental-loader",
    ];
    let mut words = value.split_whitespace();
    while let Some(word) = words.next() {
        let (opt, attached) = match word.split_once('=') {
            Some((o, v)) => (o, Some(v)),
            None => (word, None),
        };
        if LOADS.contains(&opt) {
            let spec = attached.or_else(|| words.next()).unwrap_or("");
            if loads_untrusted_module(spec, cwd) {
                return true;
            }
        }
    }
    false
}

/// `PERL5OPT`: `-I` directories, and `-M`/`-m` that must be a module name (`-M'strict;system
/// …'` runs the code after the `;`).
fn perl_options(value: &str, cwd: Option<&str>) -> bool {
    let mut words = value.split_whitespace();
    while let Some(word) = words.next() {
        if let Some(dir) = word.strip_prefix("-I") {
            let dir = if dir.is_empty() {
                words.next().unwrap_or("")
            } else {
                dir
            };
            if is_untrusted_dir(dir, cwd) {
                return true;
            }
        } else if let Some(module) = word.strip_prefix("-M").or_else(|| word.strip_prefix("-m")) {
            let module = module.strip_prefix('-').unwrap_or(module);
            let (name, args) = module.split_once('=').unwrap_or((module, ""));
            let name_ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
            let args_ok = args
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_,:.-".contains(c));
            if !name_ok || !args_ok {
                return true;
            }
        }
    }
    false
}

/// `RUBYOPT`: `-r` libraries and `-I` directories.
fn ruby_options(value: &str, cwd: Option<&str>) -> bool {
    let mut words = value.split_whitespace();
    while let Some(word) = words.next() {
        let (loaded, is_dir) = if let Some(l) = word.strip_prefix("-r") {
            (l, false)
        } else if let Some(d) = word.strip_prefix("-I") {
            (d, true)
        } else {
            continue;
        };
        let loaded = if loaded.is_empty() {
            words.next().unwrap_or("")
        } else {
            loaded
        };
        let bad = if is_dir {
            is_untrusted_dir(loaded, cwd)
        } else {
            loads_untrusted_module(loaded, cwd)
        };
        if bad {
            return true;
        }
    }
    false
}

/// `JAVA_TOOL_OPTIONS` and friends: `-javaagent:jar`, `-agentpath:lib` (a native library,
/// judged like a preload), `-Xbootclasspath/a:` entries.
fn java_options(value: &str, cwd: Option<&str>) -> bool {
    value.split_whitespace().any(|word| {
        if let Some(rest) = word.strip_prefix("-javaagent:") {
            let jar = rest.split_once('=').map_or(rest, |(j, _)| j);
            return is_untrusted_file(jar, cwd);
        }
        if let Some(rest) = word.strip_prefix("-agentpath:") {
            let lib = rest.split_once('=').map_or(rest, |(l, _)| l);
            return !is_system_library(lib, cwd);
        }
        if let Some(rest) = word.strip_prefix("-Xbootclasspath/") {
            let list = rest.split_once(':').map_or("", |(_, l)| l);
            return list.split(':').any(|entry| is_untrusted_file(entry, cwd));
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::injects;

    fn check(name: &str, value: &str, cwd: Option<&str>, expected: bool) {
        assert_eq!(
            injects(name, value, cwd),
            expected,
            "{name}={value} in {cwd:?}"
        );
    }

    #[test]
    fn where_the_loaded_code_lives_decides() {
        check("LD_PRELOAD", "/tmp/x.so", None, true);
        check(
            "LD_PRELOAD",
            "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
            None,
            false,
        );
        check("LD_PRELOAD", "/usr/lib/../../tmp/x.so", None, true);
        check("LD_PRELOAD", "libfaketime.so.1", None, false);
        check("LD_PRELOAD", "./libx.so", None, true);
        check("LD_PRELOAD", "~/x.so", None, true);
        check("LD_PRELOAD", "$X", None, true);
        check("LD_PRELOAD", "/usr/lib/a.so /tmp/b.so", None, true);
        check("LD_PRELOAD", "", None, false);
        check("LD_LIBRARY_PATH", "./target/debug", None, false);
        check(
            "LD_LIBRARY_PATH",
            "./target/debug:$LD_LIBRARY_PATH",
            None,
            false,
        );
        check(
            "LD_LIBRARY_PATH",
            "build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}",
            None,
            false,
        );
        check("LD_LIBRARY_PATH", "/tmp", None, true);
        check("LD_LIBRARY_PATH", ".", Some("/tmp"), true);
        check("LD_LIBRARY_PATH", "/tmp/$X", None, true);
        check("LD_LIBRARY_PATH", "$CONDA_PREFIX/lib", None, false);
        check("PYTHONPATH", "$PYTHONPATH:$PWD", None, false);
        check("BASH_ENV", "$X", None, true);
        check("PYTHONSTARTUP", "$PWD/x.py", Some("/tmp"), true);
        check("LD_LIBRARY_PATH", "$HOME/.local/lib", None, false);
        check("PYTHONPATH", ".", None, false);
        check("PYTHONPATH", "/dev/shm/m", None, true);
        check("BASH_ENV", "/tmp/x", None, true);
        check("BASH_ENV", "~/.bashrc", None, false);
        check("PYTHONSTARTUP", "/proc/self/fd/3", None, true);
        check("NODE_OPTIONS", "--max-old-space-size=4096", None, false);
        check("NODE_OPTIONS", "--require ts-node/register", None, false);
        check("NODE_OPTIONS", "-r ./otel.js", None, false);
        check("NODE_OPTIONS", "--require /tmp/x.js", None, true);
        check(
            "NODE_OPTIONS",
            "--import=data:text/javascript,1",
            None,
            true,
        );
        check("PERL5OPT", "-Mstrict -w", None, false);
        check("PERL5OPT", "-Mstrict;system(1)", None, true);
        check("PERL5OPT", "-I/tmp -Mx", None, true);
        check("RUBYOPT", "-rbundler/setup", None, false);
        check("RUBYOPT", "-r/tmp/x.rb", None, true);
        check("JAVA_TOOL_OPTIONS", "-javaagent:/tmp/a.jar", None, true);
        check("JAVA_TOOL_OPTIONS", "-Xmx2g", None, false);
        check("JAVA_TOOL_OPTIONS", "-agentpath:/opt/x/lib.so", None, true);
        check("HOME", "/tmp", None, false);
    }
}
