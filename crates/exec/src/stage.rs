//! A resolved simple command ([`Stage`]) with the questions rules ask of it (flags, operands,
//! written paths, literal output), and what earlier commands of the same script established
//! ([`SeqState`]: variables, working directory, downloaded files).

use std::rc::Rc;

use base64::Engine as _;

use super::classify::{Arg, RRedir, Upstream};
use super::facts::{
    is_root_or_home, normalise, strip_dot, url_basename, CRITICAL_PROCESSES, DOWNLOADERS,
    NETWORK_TOOLS, REMOTE_READERS,
};
use super::lex::{unescape, RedirKind};
use super::wrappers::{reads_stdin, INTERPRETERS, SHELLS};

/// Aliases live among the variables under this prefix (not a valid variable name).
pub(crate) const ALIAS_PREFIX: &str = "alias:";

/// One simple command, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stage {
    pub idx: usize,
    /// Program basename, lowercase (empty for a bare assignment or redirection).
    pub prog: String,
    /// The program word as written (after normalisation).
    pub prog_text: String,
    /// The program word came from a fetching substitution (`$(curl …)`).
    pub prog_fetch: bool,
    pub args: Vec<Arg>,
    pub redirs: Vec<RRedir>,
    pub segment: String,
    pub in_function: Option<String>,
    /// Script strings this command runs (`sh -c`, `eval`, `su -c`…).
    pub scripts: Vec<(String, bool)>,
    /// An `xargs` in a pipeline hands it the piped words as arguments, after its own first
    /// `n` arguments.
    pub stdin_args: Option<usize>,
    /// That `xargs` replaces this string in the arguments by each input line (`-I {}`).
    pub stdin_replace: Option<String>,
    /// What the earlier stages of its pipeline send it (`None` for a first stage).
    pub upstream: Option<Rc<Upstream>>,
}

/// What the earlier commands of a script established.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SeqState {
    /// Literal assignments (`a=rm`), latest last; bounded. Shared with nested scripts that
    /// inherit this state until one of them assigns.
    pub vars: Rc<Vec<(String, Arg)>>,
    /// The working directory when statically known (absolute, normalised).
    pub(super) cwd: Option<String>,
    /// The one before the last `cd` (for `cd -`).
    pub(super) oldpwd: Option<String>,
    /// Files downloaded so far (as written, normalised) and the simple command that did it.
    pub(super) downloads: Vec<(String, usize)>,
    /// Functions defined (name, body source), latest last.
    pub(super) functions: Rc<Vec<(String, String)>>,
}

const MAX_VARS: usize = 64;
/// Longest variable value tracked (`a=$a$a` doubling must not grow without bound).
const MAX_VAR_BYTES: usize = 4096;

impl SeqState {
    pub(crate) fn assign(&mut self, assigns: &[Arg]) {
        if assigns.is_empty() {
            return;
        }
        let vars = Rc::make_mut(&mut self.vars);
        for a in assigns {
            if let Some((name, value)) = a.text.split_once('=') {
                let append = name.ends_with('+');
                let name = name.trim_end_matches('+');
                // `a+=m` appends to the value known so far.
                let joined;
                let value = match vars.iter().rev().find(|(n, _)| n == name) {
                    Some((_, old)) if append => {
                        joined = format!("{}{value}", old.text);
                        joined.as_str()
                    }
                    _ => value,
                };
                if value.len() > MAX_VAR_BYTES {
                    // Too long to track: the variable becomes unknown.
                    vars.retain(|(n, _)| n != name);
                    continue;
                }
                if vars.len() >= MAX_VARS {
                    vars.remove(0);
                }
                vars.push((
                    name.to_owned(),
                    Arg {
                        text: value.to_owned(),
                        fetch: a.fetch,
                        critical_pid: a.critical_pid,
                        content: None,
                        shell_sink: a.shell_sink,
                    },
                ));
            }
        }
    }
}

/// What `printf FORMAT ARGS…` prints: `%s`, `%b`, `%c`, `%d`/`%i`, `%%`, widths and `%.Ns`
/// precision, backslash escapes; the format is reused while arguments remain, as bash does.
/// `None` for a conversion it does not model (`-v` and `%q` included).
pub(crate) fn printf(format: &str, args: &[&str]) -> Option<String> {
    if format.starts_with('-') {
        return None;
    }
    let mut out = String::new();
    let mut next = 0;
    for _ in 0..64 {
        let before = next;
        let mut chars = format.chars().peekable();
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                literal.push('%');
                continue;
            }
            out.push_str(&unescape(&std::mem::take(&mut literal)));
            let mut left = false;
            while let Some(&f) = chars.peek() {
                if !matches!(f, '-' | '+' | ' ' | '#' | '0') {
                    break;
                }
                left |= f == '-';
                chars.next();
            }
            let mut width = 0usize;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                width = width
                    .saturating_mul(10)
                    .saturating_add(d as usize)
                    .min(4096);
                chars.next();
            }
            let mut precision = None;
            if chars.peek() == Some(&'.') {
                chars.next();
                let mut p = 0usize;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    p = p.saturating_mul(10).saturating_add(d as usize).min(4096);
                    chars.next();
                }
                precision = Some(p);
            }
            let arg = args.get(next).copied().unwrap_or("");
            next += 1;
            let mut value: String = match chars.next()? {
                's' => arg.to_owned(),
                'b' => unescape(arg),
                'c' => arg.chars().take(1).collect(),
                'd' | 'i' => arg.parse::<i64>().unwrap_or(0).to_string(),
                _ => return None,
            };
            if let Some(p) = precision {
                value = value.chars().take(p).collect();
            }
            let pad = " ".repeat(width.saturating_sub(value.chars().count()));
            if left {
                out.push_str(&value);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(&value);
            }
        }
        out.push_str(&unescape(&literal));
        if next >= args.len() || next == before {
            break;
        }
    }
    Some(out)
}

impl SeqState {
    /// The value of alias `name`, when defined earlier.
    pub(crate) fn alias(&self, name: &str) -> Option<&str> {
        if name.is_empty() {
            return None;
        }
        let key = format!("{}{name}", ALIAS_PREFIX);
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| v.text.as_str())
    }

    /// The body of function `name`, when defined.
    pub(crate) fn function(&self, name: &str) -> Option<&str> {
        self.functions
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_str())
    }

    /// Defines function `name`.
    pub(crate) fn define_function(&mut self, name: &str, body: &str) {
        let functions = Rc::make_mut(&mut self.functions);
        if functions.len() >= MAX_VARS {
            functions.remove(0);
        }
        functions.push((name.to_owned(), body.to_owned()));
    }

    /// Forgets function `name`.
    pub(crate) fn forget_function(&mut self, name: &str) {
        if self.functions.iter().any(|(n, _)| n == name) {
            Rc::make_mut(&mut self.functions).retain(|(n, _)| n != name);
        }
    }

    /// Forgets alias `name`.
    pub(crate) fn unalias(&mut self, name: &str) {
        let key = format!("{}{name}", ALIAS_PREFIX);
        Rc::make_mut(&mut self.vars).retain(|(n, _)| *n != key);
    }

    /// `for NAME in values…` / `select NAME in values…`: the variable takes every value in
    /// turn; rules judge all of them at once (`for d in / ~; do rm -rf "$d"; done`).
    pub(crate) fn assign_list(&mut self, name: &str, values: &[Arg]) {
        let sep = super::classify::LIST_SEP.to_string();
        let texts: Vec<&str> = values.iter().map(|a| a.text.as_str()).collect();
        let assignment = Arg {
            text: format!("{name}={}", texts.join(&sep)),
            fetch: values.iter().any(|a| a.fetch),
            critical_pid: values.iter().any(|a| a.critical_pid),
            content: None,
            shell_sink: false,
        };
        self.assign(std::slice::from_ref(&assignment));
    }
}

impl Stage {
    pub(super) fn texts(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.text.as_str())
    }

    /// Arguments that are not options (everything after `--`).
    pub(super) fn operands(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut after_dashdash = false;
        for t in self.texts() {
            if after_dashdash || !t.starts_with('-') || t == "-" {
                out.push(t);
            } else if t == "--" {
                after_dashdash = true;
            }
        }
        out
    }

    /// A short flag (inside any cluster) or a long flag (or an abbreviation of it, as
    /// `getopt_long` accepts: `rm --rec`) is present.
    pub(crate) fn has_flag(&self, short: char, long: &str) -> bool {
        self.texts().take_while(|t| *t != "--").any(|t| {
            if t.starts_with("--") {
                long_option(t, long).is_some()
            } else {
                t.strip_prefix('-').is_some_and(|c| c.contains(short))
            }
        })
    }

    /// The starting points of a `find` (after `-H`, `-L`, `-P`, `-D opts`, `-O3`); `.` when
    /// none is named.
    pub(crate) fn find_roots(&self) -> Vec<&str> {
        let words: Vec<&str> = self.texts().collect();
        let mut first = 0;
        while let Some(t) = words.get(first) {
            match *t {
                "-H" | "-L" | "-P" => first += 1,
                "-D" => first += 2,
                t if t.starts_with("-O") => first += 1,
                "--" => {
                    first += 1;
                    break;
                }
                _ => break,
            }
        }
        let mut roots: Vec<&str> = words
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .copied()
            .take_while(|t| !t.starts_with('-') && *t != "(" && *t != "!")
            .collect();
        if roots.is_empty() {
            roots.push(".");
        }
        roots
    }

    pub(crate) fn is_fetcher(&self) -> bool {
        DOWNLOADERS.contains(&self.prog.as_str())
            || NETWORK_TOOLS.contains(&self.prog.as_str())
            || REMOTE_READERS.contains(&self.prog.as_str())
            || self.is_decoder()
            || (self.prog == "openssl" && self.texts().any(|t| t == "s_client"))
    }

    pub(super) fn is_decoder(&self) -> bool {
        match self.prog.as_str() {
            "base64" | "base32" | "basenc" => {
                self.has_flag('d', "decode") || self.has_flag('D', "decode")
            }
            "openssl" => self
                .texts()
                .any(|t| t == "-d" || t == "-base64" || t == "base64"),
            "xxd" => self.has_flag('r', "revert"),
            // `tr` rewrites characters (rot13 and friends): into a shell it is a decoder.
            "uudecode" | "gunzip" | "zcat" | "bzcat" | "xzcat" | "bunzip2" | "unxz" | "zstdcat"
            | "rev" | "tr" => true,
            "gzip" | "bzip2" | "xz" | "zstd" => self.has_flag('d', "decompress"),
            _ => false,
        }
    }

    pub(crate) fn is_critical_pid_lookup(&self) -> bool {
        matches!(self.prog.as_str(), "pidof" | "pgrep")
            && self
                .operands()
                .iter()
                .any(|t| CRITICAL_PROCESSES.contains(t))
    }

    /// `echo`/`printf` output when literal (`echo -e` and `printf` escapes interpreted).
    pub(crate) fn echo_output(&self) -> Option<String> {
        if self
            .args
            .iter()
            .any(|a| a.text.contains(super::lex::SUB_MARK))
        {
            return None;
        }
        match self.prog.as_str() {
            "echo" => {
                let mut escapes = false;
                let words: Vec<&str> = self
                    .texts()
                    .skip_while(|t| {
                        let is_flag = t.len() > 1
                            && t.starts_with('-')
                            && t.chars().skip(1).all(|c| matches!(c, 'n' | 'e' | 'E'));
                        if is_flag && t.contains('e') {
                            escapes = true;
                        }
                        is_flag
                    })
                    .collect();
                let text = words.join(" ");
                Some(if escapes { unescape(&text) } else { text })
            }
            "printf" => {
                let mut texts = self.texts();
                let mut format = texts.next()?;
                if format == "--" {
                    format = texts.next()?;
                }
                let rest: Vec<&str> = texts.collect();
                printf(format, &rest)
            }
            _ => None,
        }
    }

    /// What this stage writes to stdout when statically known, as the first stage of a
    /// pipeline: `echo`/`printf`, or `cat` of a heredoc / here-string.
    pub(crate) fn literal_output(&self) -> Option<String> {
        if self.prog == "cat" && self.operands().is_empty() {
            return self.stdin_script();
        }
        if matches!(
            self.prog.as_str(),
            "true" | "false" | ":" | "cd" | "export" | "unset" | "shopt" | ""
        ) {
            // No output: `rm -rf /$(true)` is `rm -rf /`.
            return Some(String::new());
        }
        self.echo_output()
    }

    /// What this stage makes of statically known stdin: decoded, reversed, or passed through.
    pub(crate) fn transform(&self, value: String) -> Option<String> {
        match self.prog.as_str() {
            "base64" if self.is_decoder() => {
                let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .ok()?;
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            "rev" => Some(
                value
                    .lines()
                    .map(|l| l.chars().rev().collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            "cat" | "tee" if self.operands().iter().all(|o| *o == "-") || self.prog == "tee" => {
                Some(value)
            }
            _ => None,
        }
    }

    pub(crate) fn is_downloader(&self) -> bool {
        DOWNLOADERS.contains(&self.prog.as_str())
    }

    /// Paths this command writes or replaces (redirect targets, `tee`, `cp`/`mv` destinations,
    /// `dd of=`, `sed -i` files, editors, `rm`, `truncate`).
    pub(super) fn written_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .redirs
            .iter()
            .filter(|r| {
                matches!(
                    r.kind,
                    RedirKind::Out | RedirKind::Append | RedirKind::ReadWrite
                )
            })
            .map(|r| r.target.clone())
            .collect();
        let ops = self.operands();
        match self.prog.as_str() {
            "sudo" if self.has_flag('e', "edit") => out.extend(ops.iter().map(|s| (*s).to_owned())),
            "tee" | "truncate" | "rm" | "unlink" | "vi" | "vim" | "nvim" | "nano" | "emacs"
            | "sudoedit" | "ed" | "ex" | "pico" | "touch" => {
                out.extend(ops.iter().map(|s| (*s).to_owned()))
            }
            "cp" | "mv" | "install" | "ln" | "rsync" | "scp" => {
                let (dest, sources) = match self.flag_value('t', "target-directory") {
                    Some(dest) => (Some(dest), ops.as_slice()),
                    None if ops.len() >= 2 => (
                        ops.last().map(|s| (*s).to_owned()),
                        ops.get(..ops.len() - 1).unwrap_or(&[]),
                    ),
                    None => (None, &[][..]),
                };
                if let Some(dest) = dest {
                    // The destination may be a directory: `cp authorized_keys ~/.ssh/` writes
                    // `~/.ssh/authorized_keys`.
                    for src in sources.iter().take(16) {
                        let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                        if !name.is_empty() && name != "." && name != ".." {
                            out.push(format!("{}/{name}", dest.trim_end_matches('/')));
                        }
                    }
                    out.push(dest);
                }
            }
            "curl" | "wget" | "fetch" | "aria2c" => {
                out.extend(self.flag_value('o', "output"));
                if self.prog == "wget" {
                    out.extend(self.flag_value('O', "output-document"));
                }
            }
            "ddrescue" => out.extend(ops.get(1).map(|s| (*s).to_owned())),
            "dd" | "dcfldd" | "dc3dd" => out.extend(
                self.texts()
                    .filter_map(|t| t.strip_prefix("of="))
                    .map(str::to_owned),
            ),
            "sed" if !self.has_flag('i', "in-place") => out.extend(self.sed_written_files()),
            // awk's own redirections: `print > "/etc/passwd"`, `print >> "file"`.
            "awk" | "gawk" | "mawk" | "nawk" => {
                let code = self.inline_code();
                let mut rest = code.as_str();
                while let Some(at) = rest.find('>') {
                    let after = rest.get(at + 1..).unwrap_or("");
                    let after = after.strip_prefix('>').unwrap_or(after).trim_start();
                    if let Some(quoted) = after.strip_prefix('"') {
                        if let Some(end) = quoted.find('"') {
                            out.extend(quoted.get(..end).map(str::to_owned));
                        }
                    }
                    rest = rest.get(at + 1..).unwrap_or("");
                }
            }
            "sed" | "perl" if self.has_flag('i', "in-place") => {
                if self.prog == "sed" {
                    out.extend(self.sed_written_files());
                }
                let skip = usize::from(!self.has_flag('e', "expression"));
                out.extend(ops.iter().skip(skip).map(|s| (*s).to_owned()));
            }
            _ => {}
        }
        out
    }

    /// Shell command lines given as option values, which the program hands to a shell.
    pub(super) fn option_commands(&self) -> Vec<String> {
        let mut out = Vec::new();
        let texts: Vec<&str> = self.texts().collect();
        match self.prog.as_str() {
            "tar" | "gtar" | "bsdtar" => {
                for long in [
                    "to-command",
                    "use-compress-program",
                    "rsh-command",
                    "info-script",
                    "new-volume-script",
                ] {
                    out.extend(self.flag_value('\0', long));
                }
                out.extend(
                    texts
                        .iter()
                        .filter_map(|t| t.strip_prefix("--checkpoint-action=exec="))
                        .map(str::to_owned),
                );
                if let Some(i) = texts.iter().position(|t| *t == "-I" || *t == "-F") {
                    out.extend(texts.get(i + 1).map(|t| (*t).to_owned()));
                }
            }
            "rsync" => out.extend(self.flag_value('e', "rsh")),
            "ssh" | "scp" | "sftp" => {
                let mut iter = texts.iter();
                while let Some(t) = iter.next() {
                    let option = match t.strip_prefix("-o") {
                        Some("") => iter.next().copied(),
                        Some(v) if !t.starts_with("--") => Some(v),
                        _ => None,
                    };
                    if let Some(o) = option {
                        let (key, value) = o
                            .split_once(['=', ' '])
                            .map_or((o, ""), |(k, v)| (k, v.trim_start_matches('=')));
                        let key = key.to_ascii_lowercase();
                        if matches!(
                            key.as_str(),
                            "proxycommand" | "localcommand" | "knownhostscommand" | "remotecommand"
                        ) {
                            out.push(value.to_owned());
                        }
                    }
                }
            }
            "vi" | "vim" | "nvim" | "ex" | "view" | "gvim" => {
                let mut iter = texts.iter();
                while let Some(t) = iter.next() {
                    let cmd = match *t {
                        "-c" | "--cmd" => iter.next().copied(),
                        t => t.strip_prefix('+'),
                    };
                    if let Some(bang) =
                        cmd.and_then(|c| c.trim_start_matches(':').strip_prefix('!'))
                    {
                        out.push(bang.to_owned());
                    }
                }
            }
            "zip" => out.extend(self.flag_value('\0', "unzip-command")),
            "man" => out.extend(self.flag_value('P', "pager")),
            "sed" => out.extend(self.sed_executed()),
            _ => {}
        }
        if self.prog == "zip" {
            if let Some(i) = texts.iter().position(|t| *t == "-TT") {
                out.extend(texts.get(i + 1).map(|t| (*t).to_owned()));
            }
        }
        out
    }

    /// `-x value`, `-xvalue`, `--long value`, `--long=value`.
    pub(super) fn flag_value(&self, short: char, long: &str) -> Option<String> {
        let mut iter = self.texts();
        while let Some(t) = iter.next() {
            if t.starts_with("--") {
                match long_option(t, long) {
                    Some(Some(v)) => return Some(v.to_owned()),
                    Some(None) => return iter.next().map(str::to_owned),
                    None => {}
                }
            } else if let Some(c) = t.strip_prefix('-') {
                if let Some(at) = c.find(short) {
                    let attached = c.get(at + short.len_utf8()..).unwrap_or("");
                    if !attached.is_empty() {
                        return Some(attached.to_owned());
                    }
                    return iter.next().map(str::to_owned);
                }
            }
        }
        None
    }

    /// Text this command writes to a file when statically known: echo/printf, heredoc,
    /// here-string, or (for `tee`) statically known stdin.
    pub(super) fn written_content(&self) -> Option<String> {
        if self.prog == "tee" {
            return self.upstream.as_ref().and_then(|u| u.static_value.clone());
        }
        if self.prog == "sed" {
            return self.sed_inserted_text();
        }
        if let Some(text) = self.stdin_script() {
            return Some(text);
        }
        self.echo_output()
    }

    /// The commands of a `sed` invocation's scripts (`-e` values, or the first operand), each
    /// with its address removed (line numbers, `$`, `,`, `!`, `/regex/`), one per line of
    /// script (`;`-joined commands stay together: only the first is read).
    fn sed_commands(&self) -> Vec<&str> {
        let mut scripts: Vec<&str> = Vec::new();
        let mut texts = self.texts();
        let mut explicit = false;
        while let Some(t) = texts.next() {
            if t == "-e" || t == "--expression" {
                explicit = true;
                scripts.extend(texts.next());
            } else if let Some(v) = t.strip_prefix("--expression=") {
                explicit = true;
                scripts.push(v);
            }
        }
        if !explicit {
            scripts.extend(self.operands().first());
        }
        let mut out = Vec::new();
        for script in scripts {
            for line in script.lines() {
                let mut rest = line.trim_start();
                loop {
                    rest =
                        rest.trim_start_matches(|c: char| c.is_ascii_digit() || "$,! ".contains(c));
                    match rest.strip_prefix('/') {
                        Some(r) => rest = r.split_once('/').map_or("", |(_, after)| after),
                        None => break,
                    }
                }
                out.push(rest);
            }
        }
        out
    }

    /// Files a `sed` script writes with `w file` or `s/…/…/w file`.
    pub(super) fn sed_written_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        for cmd in self.sed_commands() {
            if let Some(file) = cmd.strip_prefix('w') {
                out.push(file.trim().to_owned());
            } else if let Some(sub) = cmd.strip_prefix('s') {
                let Some(delim) = sub.chars().next() else {
                    continue;
                };
                let parts: Vec<&str> = sub
                    .get(delim.len_utf8()..)
                    .unwrap_or("")
                    .splitn(3, delim)
                    .collect();
                if let Some(flags) = parts.get(2) {
                    if let Some((_, file)) = flags.split_once('w') {
                        out.push(file.trim().to_owned());
                    }
                }
            }
        }
        out.retain(|f| !f.is_empty());
        out
    }

    /// Shell commands a `sed` script runs with `e command`.
    pub(super) fn sed_executed(&self) -> Vec<String> {
        self.sed_commands()
            .into_iter()
            .filter_map(|c| c.strip_prefix('e'))
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// The text a `sed` script appends, inserts, changes or substitutes (`$a text`,
    /// `1i\\ text`, `/x/c y`, `s/x/y/`); `None` when the script does something else.
    fn sed_inserted_text(&self) -> Option<String> {
        let mut out = Vec::new();
        for rest in self.sed_commands() {
            if let Some(sub) = rest.strip_prefix('s') {
                // `s/re/replacement/flags`: what it writes is the replacement.
                let delim = sub.chars().next()?;
                let mut parts = sub.get(delim.len_utf8()..)?.split(delim);
                let _pattern = parts.next()?;
                out.push(parts.next()?.to_owned());
                continue;
            }
            if rest.trim() == "d" {
                // Deleting lines writes nothing new.
                continue;
            }
            let text = rest.strip_prefix(['a', 'i', 'c'])?;
            let text = text.trim_start();
            let text = text
                .strip_prefix('\\')
                .unwrap_or(text)
                .trim_start_matches('\n');
            out.push(unescape(text));
        }
        Some(out.join("\n"))
    }

    /// The text on stdin when a heredoc or here-string supplies it: the last redirection of
    /// stdin wins (`sh <<A <<B` reads B; `sh <<A < f` reads f).
    pub(super) fn stdin_script(&self) -> Option<String> {
        let last = self.redirs.iter().rev().find(|r| {
            matches!(
                r.kind,
                RedirKind::HereDoc | RedirKind::HereString | RedirKind::In
            )
        })?;
        match last.kind {
            RedirKind::HereDoc => last.body.clone(),
            RedirKind::HereString => Some(last.target.clone()),
            _ => None,
        }
    }

    pub(super) fn reads_stdin(&self) -> bool {
        if matches!(self.prog.as_str(), "source" | ".") {
            return self.operands().first().is_some_and(|t| {
                matches!(*t, "/dev/stdin" | "-" | "/proc/self/fd/0" | "/dev/fd/0")
            });
        }
        reads_stdin(&self.prog, &self.args)
    }

    /// Code given inline to an interpreter: the values of `-c`/`-e`/`-E`/`-r`/`--eval`
    /// (`-rsocket -e …` style clusters included), or awk's program text.
    pub(super) fn inline_code(&self) -> String {
        let mut code = Vec::new();
        let mut texts = self.texts();
        let awk = matches!(self.prog.as_str(), "awk" | "gawk" | "mawk" | "nawk");
        if awk {
            // The first operand is the program (after `-F sep`, `-v x=y`, `-f file`).
            while let Some(t) = texts.next() {
                if matches!(t, "-F" | "-v" | "-f") {
                    texts.next();
                } else if !t.starts_with('-') {
                    code.push(t);
                    break;
                }
            }
            return code.join(" ");
        }
        if self.prog == "deno" && self.args.first().is_some_and(|a| a.text == "eval") {
            // `deno eval CODE`: the subcommand, then the code.
            return self
                .texts()
                .skip(1)
                .filter(|t| !t.starts_with('-'))
                .collect::<Vec<_>>()
                .join(" ");
        }
        while let Some(t) = texts.next() {
            if matches!(t, "--eval" | "--exec" | "-c" | "-e" | "-E" | "-r" | "-p") {
                code.extend(texts.next());
            } else if let Some(cluster) = t.strip_prefix('-').filter(|c| !c.starts_with('-')) {
                // `-rsocket` (ruby's require) counts as code; `-ce` takes the next word; other
                // clusters (`-i`, `-qu`) are options.
                if cluster.len() > 1 && cluster.starts_with('r') {
                    code.push(cluster);
                }
                if cluster.ends_with(['c', 'e', 'E']) {
                    code.extend(texts.next());
                }
            }
        }
        code.join(" ")
    }

    pub(super) fn is_shell_or_interpreter(&self) -> bool {
        SHELLS.contains(&self.prog.as_str())
            || INTERPRETERS.contains(&self.prog.as_str())
            || matches!(self.prog.as_str(), "eval" | "source" | "." | "exec")
    }
}

/// `word` is the long option `--name` (or `--name=value`), possibly abbreviated to a non-empty
/// prefix of `name` as `getopt_long` and git accept (`--rec` for `--recursive`, `--mirr` for
/// `--mirror`): `Some(value after '=')`. An abbreviation another option shares is rejected by
/// the program, so reading it as `name` only over-approximates a command that fails anyway.
pub(crate) fn long_option<'a>(word: &'a str, name: &str) -> Option<Option<&'a str>> {
    let l = word.strip_prefix("--")?;
    let (given, value) = match l.split_once('=') {
        Some((g, v)) => (g, Some(v)),
        None => (l, None),
    };
    (!given.is_empty() && name.starts_with(given)).then_some(value)
}

impl SeqState {
    pub(super) fn cd(&mut self, target: Option<&str>) {
        let previous = self.cwd.clone();
        self.cwd = match target {
            // `cd -`: back to the previous directory.
            Some("-") => self.oldpwd.clone(),
            None | Some("~") => Some("/home/~".to_owned()),
            Some(t) => {
                let n = normalise(t);
                if n.starts_with('/') {
                    Some(n)
                } else {
                    self.cwd.as_ref().map(|c| normalise(&format!("{c}/{t}")))
                }
            }
        };
        self.oldpwd = previous;
        // `$PWD` follows a known working directory (`cd / && rm -rf "$PWD"/*`).
        let pwd = self.cwd.clone().unwrap_or_default();
        if pwd.is_empty() {
            if self.vars.iter().any(|(n, _)| n == "PWD") {
                Rc::make_mut(&mut self.vars).retain(|(n, _)| n != "PWD");
            }
        } else {
            self.assign(&[Arg::plain(&format!("PWD={pwd}"))]);
        }
    }

    /// `set -- a b c` (or `set a b c`): the positional parameters `$1`…, `$@`, `$*`, `$#`.
    pub(crate) fn set_positional(&mut self, args: &[Arg]) {
        let values = match args.first() {
            Some(a) if a.text == "--" => args.get(1..).unwrap_or(&[]),
            Some(a) if !a.text.starts_with(['-', '+']) => args,
            _ => return,
        };
        // `$1`…`$9`, empty past the last value.
        let mut assigns: Vec<Arg> = (0..9)
            .map(|n| match values.get(n) {
                Some(a) => Arg {
                    text: format!("{}={}", n + 1, a.text),
                    ..a.clone()
                },
                None => Arg::plain(&format!("{}=", n + 1)),
            })
            .collect();
        let texts: Vec<&str> = values.iter().map(|a| a.text.as_str()).collect();
        assigns.push(Arg::plain(&format!("*={}", texts.join(" "))));
        assigns.push(Arg::plain(&format!("#={}", values.len())));
        self.assign(&assigns);
        self.assign_list("@", values);
    }

    /// `t` resolved against the working directory when that is known and `t` is relative.
    pub(super) fn resolve(&self, t: &str) -> String {
        match &self.cwd {
            Some(cwd) if !t.starts_with('/') && !t.starts_with('~') && !t.starts_with('$') => {
                format!("{cwd}/{t}")
            }
            _ => t.to_owned(),
        }
    }

    /// `t` (resolved against a known working directory) is `/`, a home or a system directory,
    /// or a glob of their entries.
    pub(super) fn is_root_or_home(&self, t: &str) -> bool {
        is_root_or_home(&self.resolve(t))
    }

    pub(super) fn record_downloads(&mut self, s: &Stage) {
        if !DOWNLOADERS.contains(&s.prog.as_str()) && s.is_fetcher() {
            // `nc h 1 > x`, `dig +short txt h > x`, `base64 -d p > x`: the output was fetched.
            for r in &s.redirs {
                if matches!(r.kind, RedirKind::Out | RedirKind::Append)
                    && r.target != "/dev/null"
                    && self.downloads.len() < MAX_VARS
                {
                    self.downloads
                        .push((strip_dot(&normalise(&r.target)), s.idx));
                }
            }
            return;
        }
        if !DOWNLOADERS.contains(&s.prog.as_str()) {
            // `curl … | tee f`, `wget -O- … | gunzip > f`: what it writes was downloaded.
            if s.upstream.as_ref().is_some_and(|u| u.downloader) {
                for f in s.written_paths() {
                    if f != "/dev/null" && self.downloads.len() < MAX_VARS {
                        self.downloads.push((strip_dot(&normalise(&f)), s.idx));
                    }
                }
            }
            return;
        }
        let urls: Vec<&str> = s.texts().filter(|t| t.contains("://")).collect();
        let mut files: Vec<String> = Vec::new();
        if let Some(o) = s.flag_value('o', "output") {
            files.push(o);
        }
        if let Some(o) = s.flag_value('O', "output-document") {
            files.push(o);
        } else if s.prog == "wget" || s.has_flag('O', "remote-name") {
            files.extend(urls.iter().filter_map(|u| url_basename(u)));
        }
        for r in &s.redirs {
            if matches!(r.kind, RedirKind::Out | RedirKind::Append) {
                files.push(r.target.clone());
            }
        }
        for f in files {
            if f != "-" && f != "/dev/null" && self.downloads.len() < MAX_VARS {
                self.downloads.push((strip_dot(&normalise(&f)), s.idx));
            }
        }
    }

    /// The simple command that downloaded what `s` executes.
    pub(super) fn executes_download(&self, s: &Stage) -> Option<usize> {
        if self.downloads.is_empty() {
            return None;
        }
        let find = |t: &str| {
            let t = strip_dot(&normalise(t));
            self.downloads
                .iter()
                .find(|(d, _)| {
                    *d == t
                        || d.rsplit('/').next() == Some(t.as_str())
                        || t.rsplit('/').next() == Some(d.as_str())
                })
                .map(|(_, idx)| *idx)
        };
        if let Some(idx) = find(&s.prog_text) {
            return Some(idx);
        }
        if s.reads_stdin() {
            // `sh < downloaded`.
            let fed = s
                .redirs
                .iter()
                .filter(|r| r.kind == RedirKind::In)
                .find_map(|r| find(&r.target));
            if fed.is_some() {
                return fed;
            }
        }
        let ops = s.operands();
        let matches = |t: &&str| find(t).is_some();
        let runs = match s.prog.as_str() {
            "chmod" => {
                let mode = ops.first().copied().unwrap_or("");
                let exec_mode = mode.contains('x')
                    || mode
                        .bytes()
                        .last()
                        .is_some_and(|b| matches!(b, b'1' | b'3' | b'5' | b'7'));
                exec_mode && ops.iter().skip(1).any(matches)
            }
            "source" | "." => ops.first().is_some_and(matches),
            p if SHELLS.contains(&p) || INTERPRETERS.contains(&p) => {
                ops.first().is_some_and(matches)
            }
            _ => false,
        };
        if !runs {
            return None;
        }
        let target = match s.prog.as_str() {
            "chmod" => ops.iter().skip(1).find(|t| matches(t)),
            _ => ops.first(),
        };
        target.and_then(|t| find(t))
    }
}
