//! A resolved simple command ([`Stage`]) with the questions rules ask of it (flags, operands,
//! written paths, literal output, what `printf` and `echo` print). What earlier commands of
//! the same script established is [`crate::seq::SeqState`].

mod printf;

use std::rc::Rc;

pub(crate) use printf::printf;

use base64::Engine as _;

use super::classify::{Arg, RRedir, Upstream};
use super::facts::{CRITICAL_PROCESSES, DOWNLOADERS, NETWORK_TOOLS, REMOTE_READERS};
use super::lex::{unescape, RedirKind};
use super::wrappers::{reads_stdin, INTERPRETERS, SHELLS};

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
