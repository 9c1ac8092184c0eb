//! The classification rules: per simple command ([`Analyzer::stage`]), per pipeline
//! ([`Analyzer::pipeline`]) and across the commands of one script ([`SeqState`]: variables,
//! working directory, downloaded files).
//!
//! Rules look at the program that finally runs (wrappers peeled, basename, lowercase), its
//! arguments after normalisation, and its redirections. Paths are normalised lexically
//! (`//`, `/./`, `..`, `~`, `$HOME`) before they are compared.

use std::rc::Rc;

use base64::Engine as _;

use super::classify::{Analyzer, Arg, ExecClass, RRedir, Upstream};
use super::lex::{unescape, RedirKind};
use super::wrappers::{reads_stdin, INTERPRETERS, SHELLS};
use super::ExecTier;

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
    /// What the earlier stages of its pipeline send it (`None` for a first stage).
    pub upstream: Option<Rc<Upstream>>,
}

/// What the earlier commands of a script established.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SeqState {
    /// Literal assignments (`a=rm`), latest last; bounded.
    pub vars: Vec<(String, Arg)>,
    /// The working directory when statically known (absolute, normalised).
    cwd: Option<String>,
    /// Files downloaded so far (as written, normalised) and the simple command that did it.
    downloads: Vec<(String, usize)>,
}

const MAX_VARS: usize = 64;
/// Longest variable value tracked (`a=$a$a` doubling must not grow without bound).
const MAX_VAR_BYTES: usize = 4096;

impl SeqState {
    pub(crate) fn assign(&mut self, assigns: &[Arg]) {
        for a in assigns {
            if let Some((name, value)) = a.text.split_once('=') {
                let name = name.trim_end_matches('+');
                if value.len() > MAX_VAR_BYTES {
                    // Too long to track: the variable becomes unknown.
                    self.vars.retain(|(n, _)| n != name);
                    continue;
                }
                if self.vars.len() >= MAX_VARS {
                    self.vars.remove(0);
                }
                self.vars.push((
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

const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "fetch",
    "aria2c",
    "http",
    "https",
    "xh",
    "lwp-request",
    "lwp-download",
    "get",
    "httpie",
    "tftp",
    "ftp",
];
const NETWORK_TOOLS: &[&str] = &[
    "nc",
    "ncat",
    "netcat",
    "nc.traditional",
    "nc.openbsd",
    "socat",
    "telnet",
    "cryptcat",
];
const CRITICAL_PROCESSES: &[&str] = &[
    "init",
    "systemd",
    "sshd",
    "ssh",
    "launchd",
    "systemd-logind",
    "systemd-journald",
    "dbus-daemon",
];
const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/snap",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local",
    "/usr/share",
    "/usr/include",
    "/var/lib",
    "/var/log",
    "/var/spool",
    "/etc/ssh",
    "/System",
    "/Library",
    "/Applications",
    "/Users",
    "/private",
    "/Volumes",
    "/cores",
];
const BLOCK_DEVICE_PREFIXES: &[&str] = &[
    "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-", "mapper/", "mem",
    "kmem", "port", "sr", "nbd", "zram", "sg", "root", "by-id/", "disk/",
];
const CREDENTIAL_FILES: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/group",
    "/etc/sudoers",
    "/etc/ld.so.preload",
    "/etc/master.passwd",
    "/etc/doas.conf",
    "/private/etc/sudoers",
    "/etc/ssh/sshd_config",
];
const CREDENTIAL_DIRS: &[&str] = &[
    "/etc/sudoers.d/",
    "/etc/pam.d/",
    "/etc/security/",
    "/etc/ssh/sshd_config.d/",
    "/root/.ssh/",
];
const HOME_CREDENTIAL_FILES: &[&str] = &[
    ".ssh/authorized_keys",
    ".ssh/authorized_keys2",
    ".k5login",
    ".rhosts",
    ".shosts",
];
const PERSISTENCE_PREFIXES: &[&str] = &[
    "/etc/cron",
    "/var/spool/cron",
    "/etc/anacrontab",
    "/etc/systemd/",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/etc/init.d/",
    "/etc/init/",
    "/etc/rc.local",
    "/etc/rc",
    "/etc/profile",
    "/etc/bash.bashrc",
    "/etc/zsh/",
    "/etc/zshrc",
    "/etc/environment",
    "/etc/update-motd.d/",
    "/etc/xdg/autostart/",
    "/Library/LaunchDaemons/",
    "/Library/LaunchAgents/",
    "/etc/ld.so.conf",
];
const HOME_PERSISTENCE_PREFIXES: &[&str] = &[
    ".config/systemd/",
    ".config/autostart/",
    "Library/LaunchAgents/",
    ".ssh/rc",
];
const HOME_STARTUP_FILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".config/fish/config.fish",
    ".tcshrc",
    ".cshrc",
    ".kshrc",
    ".xprofile",
    ".xinitrc",
    ".xsession",
];
const PROTECTED_BRANCHES: &[&str] = &[
    "main",
    "master",
    "trunk",
    "prod",
    "production",
    "release",
    "stable",
    "head",
];

impl Stage {
    fn texts(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.text.as_str())
    }

    /// Arguments that are not options (everything after `--`).
    fn operands(&self) -> Vec<&str> {
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

    /// A short flag (inside any cluster) or a long flag is present.
    pub(crate) fn has_flag(&self, short: char, long: &str) -> bool {
        self.texts().take_while(|t| *t != "--").any(|t| {
            if let Some(l) = t.strip_prefix("--") {
                l.strip_prefix(long)
                    .is_some_and(|v| v.is_empty() || v.starts_with('='))
            } else {
                t.strip_prefix('-').is_some_and(|c| c.contains(short))
            }
        })
    }

    pub(crate) fn is_fetcher(&self) -> bool {
        DOWNLOADERS.contains(&self.prog.as_str())
            || NETWORK_TOOLS.contains(&self.prog.as_str())
            || self.is_decoder()
            || (self.prog == "openssl" && self.texts().any(|t| t == "s_client"))
    }

    fn is_decoder(&self) -> bool {
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
                let format = texts.next()?;
                let rest: Vec<&str> = texts.collect();
                if matches!(format, "%s" | "%s\\n" | "%b" | "%b\\n") {
                    Some(unescape(&rest.concat()))
                } else if !format.contains('%') && rest.is_empty() {
                    Some(unescape(format))
                } else {
                    None
                }
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
    fn written_paths(&self) -> Vec<String> {
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
            "tee" | "truncate" | "rm" | "unlink" | "vi" | "vim" | "nvim" | "nano" | "emacs"
            | "ed" | "ex" | "pico" | "touch" => out.extend(ops.iter().map(|s| (*s).to_owned())),
            "cp" | "mv" | "install" | "ln" | "rsync" | "scp" => {
                if let Some(dest) = self.flag_value('t', "target-directory") {
                    out.push(dest);
                } else if ops.len() >= 2 {
                    out.extend(ops.last().map(|s| (*s).to_owned()));
                }
            }
            "curl" | "wget" | "fetch" | "aria2c" => {
                out.extend(self.flag_value('o', "output"));
                if self.prog == "wget" {
                    out.extend(self.flag_value('O', "output-document"));
                }
            }
            "dd" => out.extend(
                self.texts()
                    .filter_map(|t| t.strip_prefix("of="))
                    .map(str::to_owned),
            ),
            "sed" | "perl" if self.has_flag('i', "in-place") => {
                let skip = usize::from(!self.has_flag('e', "expression"));
                out.extend(ops.iter().skip(skip).map(|s| (*s).to_owned()));
            }
            _ => {}
        }
        out
    }

    /// `-x value`, `-xvalue`, `--long value`, `--long=value`.
    fn flag_value(&self, short: char, long: &str) -> Option<String> {
        let mut iter = self.texts();
        while let Some(t) = iter.next() {
            if let Some(l) = t.strip_prefix("--") {
                if let Some(v) = l.strip_prefix(long).and_then(|v| v.strip_prefix('=')) {
                    return Some(v.to_owned());
                }
                if l == long {
                    return iter.next().map(str::to_owned);
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
    fn written_content(&self) -> Option<String> {
        if self.prog == "tee" {
            return self.upstream.as_ref().and_then(|u| u.static_value.clone());
        }
        for r in &self.redirs {
            match r.kind {
                RedirKind::HereDoc => return r.body.clone(),
                RedirKind::HereString => return Some(r.target.clone()),
                _ => {}
            }
        }
        self.echo_output()
    }

    fn stdin_script(&self) -> Option<String> {
        self.redirs.iter().find_map(|r| match r.kind {
            RedirKind::HereDoc => r.body.clone(),
            RedirKind::HereString => Some(r.target.clone()),
            _ => None,
        })
    }

    /// A shell or interpreter that runs what arrives on stdin (no heredoc of its own).
    pub(crate) fn is_stdin_shell(&self) -> bool {
        self.reads_stdin() && self.stdin_script().is_none()
    }

    fn reads_stdin(&self) -> bool {
        if matches!(self.prog.as_str(), "source" | ".") {
            return self.operands().first().is_some_and(|t| {
                matches!(*t, "/dev/stdin" | "-" | "/proc/self/fd/0" | "/dev/fd/0")
            });
        }
        reads_stdin(&self.prog, &self.args)
    }

    /// Code given inline to an interpreter: the values of `-c`/`-e`/`-E`/`-r`/`--eval`
    /// (`-rsocket -e …` style clusters included), or awk's program text.
    fn inline_code(&self) -> String {
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
        while let Some(t) = texts.next() {
            if matches!(t, "--eval" | "--exec" | "-c" | "-e" | "-E" | "-r" | "-p") {
                code.extend(texts.next());
            } else if let Some(cluster) = t.strip_prefix('-').filter(|c| !c.starts_with('-')) {
                // `-rsocket` (ruby require) counts as code; `-ce` takes the next word.
                code.push(cluster);
                if cluster.ends_with(['c', 'e', 'E']) {
                    code.extend(texts.next());
                }
            }
        }
        code.join(" ")
    }

    fn is_shell_or_interpreter(&self) -> bool {
        SHELLS.contains(&self.prog.as_str())
            || INTERPRETERS.contains(&self.prog.as_str())
            || matches!(self.prog.as_str(), "eval" | "source" | "." | "exec")
    }
}

impl Analyzer {
    /// Rules on one simple command.
    pub(crate) fn stage(&mut self, s: &Stage, depth: usize, state: &mut SeqState) {
        let parts = vec![s.idx];
        let hit = |a: &mut Analyzer, class: ExecClass| a.flag(class, &s.segment, parts.clone());

        // Nested scripts: sh -c, eval, su -c, env -S, ssh host cmd, watch.
        for (body, fetch) in &s.scripts {
            let _ = self.script(body, depth + 1);
            if *fetch {
                hit(self, ExecClass::PipeToShell);
            }
        }
        // Downloaded code run directly: `$(curl …)` as the program, or as the script of a
        // shell / interpreter / `source`, or fed to one through a redirection.
        let sink_fetch = s.is_shell_or_interpreter()
            && (s.args.iter().any(|a| a.fetch)
                || s.redirs.iter().any(|r| r.fetch && r.kind == RedirKind::In));
        if s.prog_fetch || sink_fetch {
            hit(self, ExecClass::PipeToShell);
        }
        // A heredoc or here-string fed to a shell is a script.
        if s.reads_stdin() {
            if let Some(body) = s.stdin_script() {
                let _ = self.script(&body, depth + 1);
            }
        }

        // What earlier pipeline stages feed this one.
        if let Some(up) = &s.upstream {
            let mut up_parts = up.parts.clone();
            up_parts.push(s.idx);
            let up_segment = super::classify::snippet(&format!("{} | {}", up.segment, s.segment));
            if s.reads_stdin() && s.stdin_script().is_none() {
                if up.fetch {
                    self.flag(ExecClass::PipeToShell, &up_segment, up_parts.clone());
                } else if let Some(script) = &up.static_value {
                    let _ = self.script(script, depth + 1);
                }
            }
            if s.prog == "crontab" {
                // The lines a piped crontab install will run: judge their commands.
                if let Some(table) = &up.static_value {
                    for line in table.lines() {
                        let command = cron_command(line);
                        if !command.is_empty() {
                            let _ = self.script(command, depth + 1);
                        }
                    }
                }
            }
        }
        // Output sent into a shell through a process substitution: `curl … > >(sh)`,
        // `… | tee >(bash)`.
        let feeds_shell = s
            .redirs
            .iter()
            .any(|r| r.shell_sink && matches!(r.kind, RedirKind::Out | RedirKind::Append))
            || (s.prog == "tee" && s.args.iter().any(|a| a.shell_sink));
        if feeds_shell {
            let up = s.upstream.as_deref();
            if s.is_fetcher() || up.is_some_and(|u| u.fetch) {
                hit(self, ExecClass::PipeToShell);
            } else if let Some(text) = match s.prog.as_str() {
                "tee" => up.and_then(|u| u.static_value.clone()),
                _ => s.literal_output(),
            } {
                let _ = self.script(&text, depth + 1);
            }
        }
        // Statically known process-substitution content read as a script
        // (`bash <(echo …)`, `sh < <(echo …)`).
        if s.is_shell_or_interpreter() {
            let contents = s
                .args
                .iter()
                .filter_map(|a| a.content.as_deref())
                .chain(s.redirs.iter().filter_map(|r| r.content.as_deref()));
            for content in contents {
                let _ = self.script(content, depth + 1);
            }
        }

        // Redirections to sockets and devices.
        for r in &s.redirs {
            let target = normalise(&r.target);
            if target.starts_with("/dev/tcp/") || target.starts_with("/dev/udp/") {
                hit(self, ExecClass::ReverseShell);
            }
        }
        for path in s.written_paths() {
            self.written(s, &path, depth, &parts);
        }

        let ops = s.operands();
        match s.prog.as_str() {
            "rm" => {
                let recursive = s.has_flag('r', "recursive") || s.has_flag('R', "recursive");
                if recursive && ops.iter().any(|t| state.is_root_or_home(t)) {
                    hit(self, ExecClass::RecursiveDeleteRootOrHome);
                }
            }
            "find" => {
                let roots: Vec<&str> = s
                    .texts()
                    .take_while(|t| !t.starts_with('-') && *t != "(" && *t != "!")
                    .collect();
                let deletes = s.texts().any(|t| t == "-delete")
                    || s.texts().collect::<Vec<_>>().windows(2).any(|w| {
                        matches!(w, [x, y] if (*x == "-exec" || *x == "-execdir") && (*y == "rm" || y.ends_with("/rm")))
                    });
                if deletes && roots.iter().any(|t| state.is_root_or_home(t)) {
                    hit(self, ExecClass::RecursiveDeleteRootOrHome);
                }
                let exec_body: Vec<&str> = s
                    .texts()
                    .skip_while(|t| !matches!(*t, "-exec" | "-execdir" | "-ok" | "-okdir"))
                    .skip(1)
                    .take_while(|t| *t != ";" && *t != "+")
                    .collect();
                if !exec_body.is_empty() {
                    // `-exec` runs an argument vector, not a shell line: quote each word so
                    // `-exec sh -c 'rm -rf /' \;` keeps its script in one piece.
                    let quoted: Vec<String> = exec_body.iter().map(|w| shell_quote(w)).collect();
                    let _ = self.script(&quoted.join(" "), depth + 1);
                }
            }
            "cd" | "pushd" => state.cd(ops.first().copied()),
            "export" | "declare" | "typeset" | "local" | "readonly" => {
                let assigns: Vec<Arg> = s
                    .args
                    .iter()
                    .filter(|a| super::wrappers::is_assignment(&a.text))
                    .cloned()
                    .collect();
                state.assign(&assigns);
            }
            "dd" if s
                .texts()
                .filter_map(|t| t.strip_prefix("of="))
                .any(is_block_device) =>
            {
                hit(self, ExecClass::DeviceWrite);
            }
            "wipefs" | "blkdiscard" | "mke2fs" => hit(self, ExecClass::DiskWipe),
            p if p.starts_with("mkfs") => hit(self, ExecClass::DiskWipe),
            "mkswap" | "shred" | "fdisk" | "gdisk" | "cfdisk" | "sfdisk"
                if ops.iter().any(|t| normalise(t).starts_with("/dev/"))
                    && !s.has_flag('l', "list") =>
            {
                hit(self, ExecClass::DiskWipe);
            }
            "sgdisk" if s.has_flag('Z', "zap-all") || s.has_flag('o', "clear") => {
                hit(self, ExecClass::DiskWipe);
            }
            "parted" if s.texts().any(|t| matches!(t, "mklabel" | "mktable" | "rm")) => {
                hit(self, ExecClass::DiskWipe);
            }
            "diskutil"
                if s.texts().any(|t| {
                    let t = t.to_ascii_lowercase();
                    t.starts_with("erase")
                        || t == "zerodisk"
                        || t == "randomdisk"
                        || t == "secureerase"
                }) =>
            {
                hit(self, ExecClass::DiskWipe);
            }
            "nc" | "ncat" | "netcat" | "nc.traditional" | "nc.openbsd" | "cryptcat" => {
                let exec_flag = s.texts().any(|t| {
                    matches!(t, "--exec" | "--sh-exec" | "--lua-exec")
                        || t.starts_with("--exec=")
                        || t.starts_with("--sh-exec=")
                        || (t.starts_with('-')
                            && !t.starts_with("--")
                            && (t.contains('e') || t.contains('c')))
                });
                if exec_flag {
                    hit(self, ExecClass::ReverseShell);
                }
            }
            "socat"
                if s.texts().any(|t| {
                    let t = t.to_ascii_lowercase();
                    t.starts_with("exec:") || t.starts_with("system:") || t.contains(",exec:")
                }) =>
            {
                hit(self, ExecClass::ReverseShell);
            }
            "crontab" if !s.texts().any(|t| t == "-l" || t == "-r") => {
                hit(self, ExecClass::CronPersistence);
            }
            "chmod" => {
                let mode = ops.first().copied().unwrap_or("");
                let targets = ops.get(1..).unwrap_or(&[]);
                let recursive = s.has_flag('R', "recursive");
                let system_target = targets
                    .iter()
                    .any(|t| is_system_path(t) || is_credential_path(t));
                if is_setuid_mode(mode)
                    || (recursive && targets.iter().any(|t| state.is_root_or_home(t)))
                    || (system_target && is_world_writable_mode(mode))
                {
                    hit(self, ExecClass::PermissionEscalation);
                }
            }
            "chown" | "chgrp" => {
                let owner = ops.first().copied().unwrap_or("");
                let targets = ops.get(1..).unwrap_or(&[]);
                let recursive = s.has_flag('R', "recursive");
                let to_root = s.prog == "chown"
                    && (owner == "root"
                        || owner.starts_with("root:")
                        || owner == "0"
                        || owner.starts_with("0:"));
                if (recursive && targets.iter().any(|t| state.is_root_or_home(t)))
                    || (to_root && targets.iter().any(|t| is_system_path(t)))
                {
                    hit(self, ExecClass::PermissionEscalation);
                }
            }
            "setcap"
                if s.texts().any(|t| {
                    let t = t.to_ascii_lowercase();
                    t.contains("cap_setuid")
                        || t.contains("cap_sys_admin")
                        || t.contains("cap_dac_override")
                        || t.contains("cap_sys_ptrace")
                        || t.starts_with("all")
                        || t.starts_with("=")
                }) =>
            {
                hit(self, ExecClass::PermissionEscalation);
            }
            "chpasswd" | "chgpasswd" | "newusers" | "vipw" | "visudo" | "pwconv" => {
                hit(self, ExecClass::CredentialModification);
            }
            "passwd" if !ops.is_empty() || s.has_flag('-', "stdin") => {
                hit(self, ExecClass::CredentialModification);
            }
            "usermod" | "useradd" | "adduser" | "gpasswd" | "groupmod" => {
                let privileged = s.texts().any(|t| {
                    t.split(',').any(|g| {
                        matches!(g, "sudo" | "wheel" | "admin" | "root" | "adm" | "docker")
                    }) || t == "0"
                }) || s.has_flag('p', "password")
                    || s.has_flag('o', "non-unique");
                if privileged {
                    hit(self, ExecClass::CredentialModification);
                }
            }
            "shutdown" if s.has_flag('c', "cancel") => {}
            "shutdown" | "reboot" | "halt" | "poweroff" => hit(self, ExecClass::SystemShutdown),
            "init" | "telinit"
                if ops
                    .iter()
                    .any(|t| matches!(*t, "0" | "6" | "1" | "s" | "S")) =>
            {
                hit(self, ExecClass::SystemShutdown);
            }
            "systemctl" | "loginctl" => {
                let verbs: Vec<&str> = ops.clone();
                if verbs.iter().any(|t| {
                    matches!(
                        *t,
                        "poweroff"
                            | "reboot"
                            | "halt"
                            | "kexec"
                            | "emergency"
                            | "rescue"
                            | "soft-reboot"
                    ) || t.starts_with("poweroff.target")
                        || t.starts_with("reboot.target")
                        || t.starts_with("halt.target")
                }) {
                    hit(self, ExecClass::SystemShutdown);
                }
                let stops = verbs
                    .first()
                    .is_some_and(|v| matches!(*v, "stop" | "kill" | "mask" | "disable"));
                if stops
                    && verbs
                        .iter()
                        .skip(1)
                        .any(|t| is_critical_process(t.trim_end_matches(".service")))
                {
                    hit(self, ExecClass::KillCriticalProcess);
                }
            }
            "service"
                if ops.first().is_some_and(|p| is_critical_process(p))
                    && ops
                        .get(1)
                        .is_some_and(|v| matches!(*v, "stop" | "restart" | "kill")) =>
            {
                hit(self, ExecClass::KillCriticalProcess);
            }
            "kill" => {
                let mut signal_seen = false;
                let mut targets_init = false;
                let mut args = s.texts().peekable();
                while let Some(t) = args.next() {
                    if t == "-s" || t == "-n" || t == "--signal" {
                        signal_seen = true;
                        args.next();
                    } else if t == "--" || (t.starts_with('-') && !signal_seen) {
                        signal_seen = true;
                    } else if t == "1" || t == "-1" {
                        targets_init = true;
                    }
                }
                let pid_lookup = s.args.iter().any(|a| a.critical_pid);
                if targets_init || pid_lookup {
                    hit(self, ExecClass::KillCriticalProcess);
                }
            }
            "pkill" | "killall" if ops.iter().any(|t| is_critical_process(t)) => {
                hit(self, ExecClass::KillCriticalProcess);
            }
            "git" => self.git(s, &parts),
            p if INTERPRETERS.contains(&p) || p == "awk" || p == "gawk" => {
                let code = s.inline_code();
                let lower = code.to_ascii_lowercase();
                if is_socket_shell(&lower) {
                    hit(self, ExecClass::ReverseShell);
                }
                if lower.contains("fork while fork")
                    || (lower.contains("fork()")
                        && (lower.contains("while") || lower.contains("loop")))
                {
                    hit(self, ExecClass::ForkBomb);
                }
                // Shell commands the code hands to the system: `os.system("…")`,
                // `subprocess.run(["rm", "-rf", "/"])`, `` `…` ``.
                for command in embedded_commands(&code) {
                    let _ = self.script(&command, depth + 1);
                }
            }
            "rsync" => {
                let deletes = s.texts().any(|t| t.starts_with("--delete"));
                if deletes && ops.last().is_some_and(|t| state.is_root_or_home(t)) {
                    hit(self, ExecClass::RecursiveDeleteRootOrHome);
                }
            }
            "mv" => {
                // Moving `/`, a home or a system directory away destroys it as surely.
                let sources = ops.len().saturating_sub(1);
                if ops.iter().take(sources).any(|t| state.is_root_or_home(t)) {
                    hit(self, ExecClass::RecursiveDeleteRootOrHome);
                }
            }
            _ => {}
        }

        // Sequence rules: downloads, then their execution.
        if let Some(download) = state.executes_download(s) {
            self.flag(
                ExecClass::DownloadAndExecute,
                &s.segment,
                vec![download, s.idx],
            );
        }
        state.record_downloads(s);
    }

    fn git(&mut self, s: &Stage, parts: &[usize]) {
        // Skip global options: `-C dir`, `-c k=v`, `--git-dir=…`, `--no-pager`.
        let mut words = s.texts().peekable();
        let mut sub = "";
        while let Some(t) = words.next() {
            if t == "-C" || t == "-c" {
                words.next();
            } else if !t.starts_with('-') {
                sub = t;
                break;
            }
        }
        let rest: Vec<&str> = words.collect();
        let has = |f: &str| {
            rest.iter()
                .any(|t| *t == f || t.starts_with(&format!("{f}=")))
        };
        let class = match sub {
            "push" => {
                let lease = has("--force-with-lease");
                let force = has("--force")
                    || rest.iter().any(|t| {
                        (t.starts_with('-') && !t.starts_with("--") && t.contains('f'))
                            || t.starts_with('+')
                    });
                let positional: Vec<&str> = rest
                    .iter()
                    .copied()
                    .filter(|t| !t.starts_with('-'))
                    .collect();
                let refspecs = positional.get(1..).unwrap_or(&[]);
                let branch = |spec: &str| {
                    let spec = spec.trim_start_matches('+');
                    let dst = spec.rsplit(':').next().unwrap_or(spec);
                    dst.trim_start_matches("refs/heads/").to_ascii_lowercase()
                };
                let protected = refspecs.iter().any(|r| {
                    let b = branch(r);
                    PROTECTED_BRANCHES.contains(&b.as_str()) || b.starts_with("release/")
                });
                let deletes =
                    has("--delete") || has("-d") || refspecs.iter().any(|r| r.starts_with(':'));
                if has("--mirror") || (deletes && protected) {
                    Some(ExecClass::DestructiveGitRewrite)
                } else if force {
                    if refspecs.is_empty() || protected || has("--all") {
                        Some(ExecClass::DestructiveGitRewrite)
                    } else {
                        Some(ExecClass::GitForcePush)
                    }
                } else if lease {
                    // `--force-with-lease` refuses to overwrite work it has not seen: safe on a
                    // named feature branch, still a rewrite of a protected or unknown branch.
                    if protected || has("--all") {
                        Some(ExecClass::DestructiveGitRewrite)
                    } else if refspecs.is_empty() {
                        Some(ExecClass::GitForcePush)
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
            "filter-branch" | "filter-repo" => Some(ExecClass::DestructiveGitRewrite),
            "reflog"
                if rest.first() == Some(&"expire")
                    && rest.iter().any(|t| {
                        t.ends_with("=now")
                            || t.ends_with("=all")
                            || *t == "--all" && rest.iter().any(|u| u.contains("=now"))
                    }) =>
            {
                Some(ExecClass::DestructiveGitRewrite)
            }
            "gc" if rest
                .iter()
                .any(|t| *t == "--prune=now" || *t == "--prune=all") =>
            {
                Some(ExecClass::GitDiscardWork)
            }
            "reset" if has("--hard") => Some(ExecClass::GitDiscardWork),
            _ => None,
        };
        if let Some(class) = class {
            self.flag(class, &s.segment, parts.to_vec());
        }
    }

    /// Rules on a path `s` writes.
    fn written(&mut self, s: &Stage, path: &str, depth: usize, parts: &[usize]) {
        let p = normalise(path);
        if is_block_device(&p) {
            self.flag(ExecClass::DeviceWrite, &s.segment, parts.to_vec());
        }
        if p == "/proc/sysrq-trigger" {
            self.flag(ExecClass::SystemShutdown, &s.segment, parts.to_vec());
        }
        if is_credential_path(&p) {
            self.flag(
                ExecClass::CredentialModification,
                &s.segment,
                parts.to_vec(),
            );
        }
        let home_rel = home_relative(&p);
        let persistent = PERSISTENCE_PREFIXES.iter().any(|x| p.starts_with(x))
            || home_rel.is_some_and(|r| HOME_PERSISTENCE_PREFIXES.iter().any(|x| r.starts_with(x)));
        if persistent {
            self.flag(ExecClass::CronPersistence, &s.segment, parts.to_vec());
            return;
        }
        if is_startup_file(&p) {
            // A startup file (or git hook) runs later on its own: judge what is written into it.
            let upstream_download = s.upstream.as_ref().is_some_and(|u| u.downloader);
            let (segment, all_parts) = match &s.upstream {
                Some(up) => {
                    let mut all = up.parts.clone();
                    all.push(s.idx);
                    (
                        super::classify::snippet(&format!("{} | {}", up.segment, s.segment)),
                        all,
                    )
                }
                None => (s.segment.clone(), parts.to_vec()),
            };
            let class = if s.is_downloader() || upstream_download {
                Some(ExecClass::CronPersistence)
            } else {
                match s.written_content() {
                    Some(content) => {
                        let lower = content.to_ascii_lowercase();
                        let tier = self.script(&content, depth + 1).tier;
                        let downloads = DOWNLOADERS.iter().any(|d| {
                            lower
                                .split(|c: char| !c.is_ascii_alphanumeric())
                                .any(|w| w == *d)
                        });
                        let runs_from_tmp = ["/tmp/", "/var/tmp/", "/dev/shm/"]
                            .iter()
                            .any(|t| lower.contains(t));
                        (tier >= Some(ExecTier::Medium) || downloads || runs_from_tmp)
                            .then_some(ExecClass::CronPersistence)
                    }
                    None => Some(ExecClass::StartupFileModification),
                }
            };
            if let Some(class) = class {
                self.flag(class, &segment, all_parts);
            }
        }
    }

    /// Rules on a pipeline (stages already classified one by one, with their upstream).
    pub(crate) fn pipeline(&mut self, stages: &[Stage], background: bool) {
        let all_parts: Vec<usize> = stages.iter().map(|s| s.idx).collect();
        let segment = || {
            let segs: Vec<&str> = stages.iter().map(|s| s.segment.as_str()).collect();
            super::classify::snippet(&segs.join(" | "))
        };
        // A shell between network tools: `cat f | sh -i 2>&1 | nc h p > f`.
        let has_shell = stages
            .iter()
            .any(|s| SHELLS.contains(&s.prog.as_str()) && s.reads_stdin());
        let has_net = stages.iter().any(|s| {
            NETWORK_TOOLS.contains(&s.prog.as_str())
                || (s.prog == "openssl" && s.texts().any(|t| t == "s_client"))
        });
        if has_shell && has_net && stages.len() > 1 {
            self.flag(ExecClass::ReverseShell, &segment(), all_parts.clone());
        }
        // Fork bombs: a function that runs itself in a pipe or in the background.
        for stage in stages {
            if let Some(f) = &stage.in_function {
                if stage.prog_text == *f && (stages.len() > 1 || background) {
                    self.flag(ExecClass::ForkBomb, &segment(), all_parts.clone());
                }
            }
        }
    }
}

impl SeqState {
    fn cd(&mut self, target: Option<&str>) {
        self.cwd = match target {
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
    }

    /// `t` (resolved against a known working directory) is `/`, a home or a system directory,
    /// or a glob of their entries.
    fn is_root_or_home(&self, t: &str) -> bool {
        let resolved = match &self.cwd {
            Some(cwd) if !t.starts_with('/') && !t.starts_with('~') && !t.starts_with('$') => {
                format!("{cwd}/{t}")
            }
            _ => t.to_owned(),
        };
        is_root_or_home(&resolved)
    }

    fn record_downloads(&mut self, s: &Stage) {
        if !DOWNLOADERS.contains(&s.prog.as_str()) {
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
    fn executes_download(&self, s: &Stage) -> Option<usize> {
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

/// The command of a crontab line: after `@keyword` or five schedule fields.
fn cron_command(line: &str) -> &str {
    let line = line.trim_start();
    if line.starts_with('#') {
        return "";
    }
    let fields = if line.starts_with('@') { 1 } else { 5 };
    let mut rest = line;
    for _ in 0..fields {
        rest = rest.trim_start();
        rest = rest
            .find(char::is_whitespace)
            .and_then(|at| rest.get(at..))
            .unwrap_or("");
    }
    rest.trim()
}

/// `w` single-quoted for a shell when it holds anything but plain word characters.
fn shell_quote(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%{}".contains(c));
    if plain {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

fn strip_dot(t: &str) -> String {
    t.strip_prefix("./").unwrap_or(t).to_owned()
}

fn url_basename(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let after_scheme = path.split_once("://").map_or(path, |(_, r)| r);
    let (_, tail) = after_scheme.split_once('/')?;
    let name = tail.rsplit('/').next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// Lexical normalisation: `//` and `/./` collapsed, `..` resolved, trailing `/` dropped, `~`
/// and `$HOME` read as `/home/~` (so `~/..` is `/home`).
pub(crate) fn normalise(t: &str) -> String {
    let mut comps: Vec<&str> = Vec::new();
    let (absolute, rest) = if let Some(r) = t.strip_prefix('/') {
        (true, r)
    } else if t == "~" || t == "$HOME" {
        comps.extend(["home", "~"]);
        (true, "")
    } else if let Some(r) = t.strip_prefix("~/").or_else(|| t.strip_prefix("$HOME/")) {
        comps.extend(["home", "~"]);
        (true, r)
    } else if let Some(r) = t.strip_prefix("~root") {
        comps.push("root");
        (true, r.trim_start_matches('/'))
    } else {
        (false, t)
    };
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if absolute || comps.last().is_some_and(|l| *l != "..") {
                    comps.pop();
                } else {
                    comps.push("..");
                }
            }
            _ => comps.push(c),
        }
    }
    if absolute {
        format!("/{}", comps.join("/"))
    } else if comps.is_empty() {
        ".".to_owned()
    } else {
        comps.join("/")
    }
}

fn is_root_or_home(t: &str) -> bool {
    let p = normalise(t);
    let base = p
        .strip_suffix("/*")
        .or_else(|| p.strip_suffix("/.*"))
        .or_else(|| p.strip_suffix("/{*,.*}"))
        .unwrap_or(&p);
    let base = if base.is_empty() { "/" } else { base };
    if base == "/" || base == "/*" {
        return true;
    }
    // `../../../../..` from an unknown directory: four or more levels up is `/` in practice.
    if base.split('/').filter(|c| *c == "..").count() >= 4 && base.split('/').all(|c| c == "..") {
        return true;
    }
    if SYSTEM_DIRS.contains(&base) {
        return true;
    }
    let comps: Vec<&str> = base.trim_start_matches('/').split('/').collect();
    match comps.as_slice() {
        // A user's home.
        ["home" | "Users", _] => true,
        // `/e*`, `/b?n`: a glob of top-level directories.
        [one] => base.starts_with('/') && one.contains(['*', '?', '[']),
        _ => false,
    }
}

fn is_system_path(t: &str) -> bool {
    let p = normalise(t);
    p == "/"
        || SYSTEM_DIRS
            .iter()
            .filter(|d| **d != "/home" && **d != "/Users")
            .any(|d| p == *d || p.starts_with(&format!("{d}/")))
}

fn home_relative(p: &str) -> Option<&str> {
    if let Some(r) = p.strip_prefix("/root/") {
        return Some(r);
    }
    let r = p
        .strip_prefix("/home/")
        .or_else(|| p.strip_prefix("/Users/"))?;
    r.split_once('/').map(|(_, rel)| rel)
}

/// Files whose content runs later without anyone typing it: shell startup files, git hooks.
fn is_startup_file(p: &str) -> bool {
    home_relative(p).is_some_and(|r| HOME_STARTUP_FILES.contains(&r))
        || p.contains("/.git/hooks/")
        || p.starts_with(".git/hooks/")
}

fn is_credential_path(t: &str) -> bool {
    let p = normalise(t);
    CREDENTIAL_FILES.contains(&p.as_str())
        || CREDENTIAL_DIRS.iter().any(|d| p.starts_with(d))
        || home_relative(&p).is_some_and(|r| HOME_CREDENTIAL_FILES.contains(&r))
}

fn is_block_device(t: &str) -> bool {
    let p = normalise(t);
    p.strip_prefix("/dev/")
        .is_some_and(|name| BLOCK_DEVICE_PREFIXES.iter().any(|x| name.starts_with(x)))
}

fn is_critical_process(t: &str) -> bool {
    let name = t.rsplit('/').next().unwrap_or(t);
    CRITICAL_PROCESSES.contains(&name)
}

/// The setuid bit: `u+s`, `+s`, `a+s`, `4755`, `6755`, `04755`. A setgid bit alone (`g+s`,
/// `2775`) is not flagged: it is the usual way to share a directory between a group.
fn is_setuid_mode(mode: &str) -> bool {
    if mode.bytes().all(|b| b.is_ascii_digit()) {
        let digits = mode.trim_start_matches('0');
        return digits.len() == 4
            && digits
                .bytes()
                .next()
                .is_some_and(|b| (b.wrapping_sub(b'0')) & 0b100 != 0);
    }
    mode.split(',').any(|clause| {
        let Some(at) = clause.find(['+', '=']) else {
            return false;
        };
        let who = clause.get(..at).unwrap_or("");
        let perms = clause.get(at + 1..).unwrap_or("");
        perms.contains('s') && (who.is_empty() || who.contains('u') || who.contains('a'))
    })
}

/// `777`, `666`, `o+w`, `a+w`, `+w` (other-writable).
fn is_world_writable_mode(mode: &str) -> bool {
    if mode.bytes().all(|b| b.is_ascii_digit()) && !mode.is_empty() {
        return mode
            .bytes()
            .last()
            .is_some_and(|b| (b.wrapping_sub(b'0')) & 0b010 != 0);
    }
    mode.split(',').any(|clause| {
        let (who, perms) = match clause.find(['+', '=']) {
            Some(at) => (
                clause.get(..at).unwrap_or(""),
                clause.get(at + 1..).unwrap_or(""),
            ),
            None => return false,
        };
        perms.contains('w') && (who.is_empty() || who.contains('o') || who.contains('a'))
    })
}

/// Calls that run a shell command, in interpreter code (lowercase markers).
const SYSTEM_CALLS: &[&str] = &[
    "system(",
    "popen(",
    "exec(",
    "execsync(",
    "spawnsync(",
    "check_output(",
    "check_call(",
    "getoutput(",
    "getstatusoutput(",
    ".run(",
    ".call(",
    "popen2(",
    "shell_exec(",
    "passthru(",
    "%x(",
    "qx(",
    "qx{",
    "`",
];

/// Most embedded commands taken from one piece of interpreter code.
const MAX_EMBEDDED: usize = 16;

/// The string literals interpreter code passes to [`SYSTEM_CALLS`]: a quoted string, a list of
/// quoted strings (joined by spaces), or the text between backticks.
fn embedded_commands(code: &str) -> Vec<String> {
    let lower = code.to_ascii_lowercase();
    let mut out = Vec::new();
    for marker in SYSTEM_CALLS {
        let mut from = 0;
        while let Some(at) = lower.get(from..).and_then(|rest| rest.find(marker)) {
            let start = from + at + marker.len();
            from = start;
            if out.len() >= MAX_EMBEDDED {
                return out;
            }
            let Some(rest) = code.get(start..) else {
                break;
            };
            if *marker == "`" {
                if let Some(end) = rest.find('`') {
                    out.extend(rest.get(..end).map(str::to_owned));
                    from = start + end + 1;
                }
                continue;
            }
            let mut words = Vec::new();
            let mut chars = rest.trim_start().trim_start_matches('[').chars();
            while let Some(q) = chars.next() {
                match q {
                    '\'' | '"' => {
                        let mut lit = String::new();
                        while let Some(c) = chars.next() {
                            match c {
                                '\\' => lit.extend(chars.next()),
                                c if c == q => break,
                                c => lit.push(c),
                            }
                        }
                        words.push(lit);
                    }
                    ' ' | ',' | '\t' => {}
                    _ => break,
                }
            }
            if !words.is_empty() {
                out.push(words.join(" "));
            }
        }
    }
    out
}

/// Interpreter code that opens a socket and hands it a shell or process.
fn is_socket_shell(code: &str) -> bool {
    const SOCKET: &[&str] = &[
        "socket",
        "fsockopen",
        "tcpsocket",
        "net.connect",
        "net.socket",
        "createconnection",
        "/dev/tcp/",
        "/inet/tcp/",
        "/inet/udp/",
        "io::socket",
        "stream_socket_client",
    ];
    const SPAWN: &[&str] = &[
        "subprocess",
        "pty.spawn",
        "dup2",
        "exec",
        "/bin/sh",
        "/bin/bash",
        "sh -i",
        "child_process",
        "system(",
        "popen",
        "spawn",
        "proc_open",
        "shell_exec",
        "passthru",
        "cmd.exe",
        "|&",
        "getline",
    ];
    SOCKET.iter().any(|m| code.contains(m)) && SPAWN.iter().any(|m| code.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise() {
        for (t, expected) in [
            ("/", "/"),
            ("//", "/"),
            ("/tmp/../", "/"),
            ("~", "/home/~"),
            ("~/..", "/home"),
            ("$HOME/.bashrc", "/home/~/.bashrc"),
            ("./a/../b", "b"),
            ("../x", "../x"),
            ("/etc/./passwd", "/etc/passwd"),
        ] {
            assert_eq!(normalise(t), expected, "{t}");
        }
    }

    #[test]
    fn root_or_home() {
        for t in [
            "/",
            "/*",
            "~",
            "~/",
            "$HOME",
            "/home",
            "/home/bob",
            "/usr",
            "/e*",
            "/etc/",
            "/.*",
            "~/*",
        ] {
            assert!(is_root_or_home(t), "{t}");
        }
        for t in [
            "./node_modules",
            "target/debug",
            "/tmp/x",
            "~/projects/x",
            "build",
            "/home/bob/src",
        ] {
            assert!(!is_root_or_home(t), "{t}");
        }
    }

    #[test]
    fn embedded() {
        assert_eq!(
            embedded_commands("import os; os.system('rm -rf /')"),
            ["rm -rf /"]
        );
        assert_eq!(
            embedded_commands("subprocess.run([\"rm\", \"-rf\", \"/\"])"),
            ["rm -rf /"]
        );
        assert_eq!(embedded_commands("print(`id`)"), ["id"]);
        assert!(embedded_commands("print(1)").is_empty());
    }

    #[test]
    fn modes() {
        for m in [
            "u+s", "+s", "a+s", "4755", "6755", "04755", "u=rwxs", "ug+s",
        ] {
            assert!(is_setuid_mode(m), "{m}");
        }
        for m in ["+x", "755", "1777", "0755", "u+x", "644", "g+s", "2775"] {
            assert!(!is_setuid_mode(m), "{m}");
        }
        assert!(is_world_writable_mode("777"));
        assert!(is_world_writable_mode("o+w"));
        assert!(!is_world_writable_mode("755"));
    }
}
