//! The classification rules: per simple command ([`Analyzer::stage`]), per pipeline
//! ([`Analyzer::pipeline`]) and across the commands of one script ([`SeqState`]: variables,
//! working directory, downloaded files).
//!
//! Rules look at the program that finally runs (wrappers peeled, basename, lowercase), its
//! arguments after normalisation, and its redirections. Paths are normalised lexically
//! (`//`, `/./`, `..`, `~`, `$HOME`) before they are compared.

use super::classify::{Analyzer, Arg, ExecClass};
use super::facts::{
    cron_command, embedded_commands, home_relative, is_block_device, is_credential_path,
    is_critical_process, is_setuid_mode, is_socket_shell, is_startup_file, is_system_path,
    is_world_writable_mode, normalise, shell_quote, DOWNLOADERS, HOME_PERSISTENCE_PREFIXES,
    NETWORK_TOOLS, PERSISTENCE_PREFIXES, PROTECTED_BRANCHES,
};
use super::lex::RedirKind;
use super::stage::{long_option, SeqState, Stage};
use super::wrappers::{shell_script, INTERPRETERS, SHELLS};
use super::ExecTier;

/// `localhost` or a 127/8 or `::1` address.
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// Aliases live among the variables under this prefix (not a valid variable name).
pub(crate) const ALIAS_PREFIX: &str = "alias:";

/// `find` tests that select entries by name, path, age, size or owner: what they hand to
/// `-exec` lies below the starting point, never the starting point itself.
const FIND_NARROWING_TESTS: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-regex",
    "-iregex",
    "-lname",
    "-ilname",
    "-newer",
    "-anewer",
    "-cnewer",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-size",
    "-empty",
    "-user",
    "-group",
    "-perm",
    "-links",
    "-inum",
    "-samefile",
];

/// Git global options whose value is the next word.
const GIT_GLOBALS_WITH_VALUE: &[&str] = &[
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--super-prefix",
    "--config-env",
    "--attr-source",
];

/// Git configuration keys (lowercase) whose value git runs as a shell command.
const GIT_COMMAND_KEYS: &[&str] = &[
    "core.pager",
    "core.editor",
    "core.sshcommand",
    "core.fsmonitor",
    "core.askpass",
    "sequence.editor",
    "diff.external",
    "credential.helper",
    "gpg.program",
    "uploadpack.packobjectshook",
];

/// Environment variables whose value programs run as a shell command (`git` runs
/// `GIT_SSH_COMMAND`, `man` runs `PAGER`, `less` runs `LESSOPEN`, bash runs `PROMPT_COMMAND`).
const COMMAND_VARIABLES: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_SEQUENCE_EDITOR",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "LESSOPEN",
    "LESSCLOSE",
    "PROMPT_COMMAND",
    "BROWSER",
];

impl Analyzer<'_> {
    /// Assignments of [`COMMAND_VARIABLES`]: their values are scripts run later.
    pub(crate) fn command_variables(&mut self, assigns: &[Arg], depth: usize, state: &SeqState) {
        for a in assigns {
            if let Some((name, value)) = a.text.split_once('=') {
                if COMMAND_VARIABLES.contains(&name) && !value.is_empty() {
                    let _ = self.nested(value.trim_start_matches('|'), depth + 1, state);
                }
            }
        }
    }

    /// Rules on interpreter code (inline, or read from stdin): sockets handed a shell, `fork`
    /// in a loop, and the shell commands the code hands to the system (`os.system("…")`,
    /// `subprocess.run(["rm", "-rf", "/"])`, `` `…` ``).
    fn interpreter_code(&mut self, s: &Stage, code: &str, depth: usize, state: &SeqState) {
        let lower = code.to_ascii_lowercase();
        if is_socket_shell(&lower) {
            self.flag(ExecClass::ReverseShell, &s.segment, vec![s.idx]);
        }
        // `fork` (called with or without parentheses: perl, ruby) inside a loop.
        let forks = lower
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| w == "fork");
        let loops = ["while", "loop", "until", "for(;;)", "for (;;)"]
            .iter()
            .any(|l| lower.contains(l));
        if forks && loops {
            self.flag(ExecClass::ForkBomb, &s.segment, vec![s.idx]);
        }
        for command in embedded_commands(code) {
            let _ = self.nested(&command, depth + 1, state);
        }
    }

    /// Code fed on stdin to `s`: a script for a shell, interpreter code for an interpreter
    /// (`python3 <<'EOF' … os.system(…)`).
    fn stdin_code(&mut self, s: &Stage, code: &str, depth: usize, state: &SeqState) {
        if INTERPRETERS.contains(&s.prog.as_str()) {
            self.interpreter_code(s, code, depth, state);
        } else {
            let _ = self.nested(code, depth + 1, state);
        }
    }

    /// Rules on one simple command. Returns whether it runs what arrives on its stdin as code
    /// (a shell reading stdin, also inside its `sh -c` script: `… | sh -c 'exec bash'`).
    pub(crate) fn stage(&mut self, s: &Stage, depth: usize, state: &mut SeqState) -> bool {
        let parts = vec![s.idx];
        let hit = |a: &mut Analyzer<'_>, class: ExecClass| a.flag(class, &s.segment, parts.clone());

        // An alias defined earlier in the line (`shopt -s expand_aliases; alias x='rm -rf /'`).
        if let Some(value) = state.alias(&s.prog_text) {
            let args: Vec<String> = s.texts().map(shell_quote).collect();
            let line = format!("{value} {}", args.join(" "));
            // Bash expands an alias once: not again inside its own expansion
            // (`alias ls='ls --color'`), so neither does the expansion here.
            let mut inner = state.clone();
            inner.unalias(&s.prog_text);
            let _ = self.nested(&line, depth + 1, &inner);
        }
        // Shell commands given as option values: `tar --to-command=…`, `rsync -e …`,
        // `ssh -o ProxyCommand=…`, `vim -c '!…'`, `zip -TT …`, `man -P …`.
        for command in s.option_commands() {
            let _ = self.nested(&command, depth + 1, state);
        }
        // Nested scripts: sh -c, eval, su -c, env -S, ssh host cmd, watch. They read this
        // command's stdin.
        let mut runs_stdin = s.reads_stdin() && s.stdin_script().is_none();
        for (body, fetch) in &s.scripts {
            let nested = self.nested(body, depth + 1, state);
            runs_stdin |= nested.stdin_code && s.stdin_script().is_none();
            if *fetch {
                hit(self, ExecClass::PipeToShell);
            }
        }
        // `… | xargs sh -c` / `xargs -0 bash -c 'eval "$1"' _`: stdin becomes the script.
        let code_from_args = s.stdin_args.is_some_and(|n| {
            let own = s.args.get(..n).unwrap_or(&[]);
            SHELLS.contains(&s.prog.as_str())
                && s.has_flag('c', "command")
                && shell_script(own).is_none_or(|(code, _)| {
                    code.contains('$')
                        || s.stdin_replace
                            .as_deref()
                            .is_some_and(|r| !r.is_empty() && code.contains(r))
                })
        });
        // Downloaded code run directly: `$(curl …)` as the program, or as the script of a
        // shell / interpreter / `source`, or fed to one through a redirection.
        let sink_fetch = s.is_shell_or_interpreter()
            && (s.args.iter().any(|a| a.fetch)
                || s.redirs
                    .iter()
                    .any(|r| r.fetch && matches!(r.kind, RedirKind::In | RedirKind::HereString)));
        if s.prog_fetch || sink_fetch {
            hit(self, ExecClass::PipeToShell);
        }
        // A heredoc or here-string fed to a shell is a script.
        if s.reads_stdin() {
            if let Some(body) = s.stdin_script() {
                self.stdin_code(s, &body, depth, state);
            }
        }

        // What earlier pipeline stages feed this one.
        if let Some(up) = &s.upstream {
            let mut up_parts = up.parts.clone();
            up_parts.push(s.idx);
            let up_segment = super::classify::snippet(&format!("{} | {}", up.segment, s.segment));
            if runs_stdin || code_from_args {
                if up.fetch {
                    self.flag(ExecClass::PipeToShell, &up_segment, up_parts.clone());
                } else if let Some(script) = &up.static_value {
                    self.stdin_code(s, script, depth, state);
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
                let _ = self.nested(&text, depth + 1, state);
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
            let contents: Vec<String> = contents.map(str::to_owned).collect();
            for content in contents {
                self.stdin_code(s, &content, depth, state);
            }
        }

        // Redirections to sockets and devices. Reading a loopback port (`</dev/tcp/127.0.0.1/5432`,
        // a readiness probe) wires no shell to anyone.
        for r in &s.redirs {
            let target = normalise(&r.target);
            let socket = target
                .strip_prefix("/dev/tcp/")
                .or_else(|| target.strip_prefix("/dev/udp/"));
            if let Some(rest) = socket {
                let host = rest.split('/').next().unwrap_or("");
                let probe = r.kind == RedirKind::In && is_loopback_host(host) && !s.reads_stdin();
                if !probe {
                    hit(self, ExecClass::ReverseShell);
                }
            }
        }
        for path in s.written_paths() {
            // Relative to a known working directory: `cd /etc && echo … >> sudoers`.
            self.written(s, &state.resolve(&path), depth, &parts);
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
                let words: Vec<&str> = s.texts().collect();
                let roots = s.find_roots();
                let deletes = words.contains(&"-delete")
                    || words.windows(2).any(|w| {
                        matches!(w, [x, y] if (*x == "-exec" || *x == "-execdir") && (*y == "rm" || y.ends_with("/rm")))
                    });
                if deletes && roots.iter().any(|t| state.is_root_or_home(t)) {
                    hit(self, ExecClass::RecursiveDeleteRootOrHome);
                }
                // Each `-exec … ;` / `-exec … +` body, with `{}` read as a starting point (the
                // first path find hands it): `find / -exec sudo rm -rf {} +`.
                let mut rest = words.as_slice();
                while let Some(at) = rest
                    .iter()
                    .position(|t| matches!(*t, "-exec" | "-execdir" | "-ok" | "-okdir"))
                {
                    let body_words = rest.get(at + 1..).unwrap_or(&[]);
                    let len = body_words
                        .iter()
                        .position(|t| *t == ";" || *t == "+")
                        .unwrap_or(body_words.len());
                    let body = body_words.get(..len).unwrap_or(&[]);
                    rest = body_words.get(len..).unwrap_or(&[]);
                    if body.is_empty() {
                        continue;
                    }
                    // A name, path or age test narrows what find hands `{}` to entries below
                    // the root (`find . -name __pycache__ -exec rm -rf {} +` never removes `.`);
                    // without one, the root itself is among them.
                    let narrowed = words.iter().any(|t| FIND_NARROWING_TESTS.contains(t));
                    for root in roots.iter().take(4) {
                        let found = if narrowed {
                            format!("{}/{{}}", root.trim_end_matches('/'))
                        } else {
                            (*root).to_owned()
                        };
                        // `-exec` runs an argument vector, not a shell line: quote each word so
                        // `-exec sh -c 'rm -rf /' \;` keeps its script in one piece.
                        let quoted: Vec<String> = body
                            .iter()
                            .map(|w| shell_quote(&w.replace("{}", &found)))
                            .collect();
                        let _ = self.nested(&quoted.join(" "), depth + 1, state);
                    }
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
                self.command_variables(&assigns, depth, state);
                self.loader_variables(&assigns, &s.segment, s.idx, depth, state);
                // `printf -v LD_PRELOAD /tmp/x.so; export LD_PRELOAD`: a name exported with
                // the value it got earlier in the line.
                let exported: Vec<Arg> = s
                    .args
                    .iter()
                    .filter_map(|a| {
                        let (_, value) = state.vars.iter().rev().find(|(n, _)| *n == a.text)?;
                        Some(Arg {
                            text: format!("{}={}", a.text, value.text),
                            ..value.clone()
                        })
                    })
                    .collect();
                self.loader_variables(&exported, &s.segment, s.idx, depth, state);
                state.assign(&assigns);
            }
            "dd" | "dcfldd" | "dc3dd"
                if s.texts()
                    .filter_map(|t| t.strip_prefix("of="))
                    .any(is_block_device) =>
            {
                hit(self, ExecClass::DeviceWrite);
            }
            "wipefs" | "blkdiscard" | "mke2fs" => hit(self, ExecClass::DiskWipe),
            p if p.starts_with("mkfs") => hit(self, ExecClass::DiskWipe),
            "mkswap" | "shred" | "fdisk" | "gdisk" | "cfdisk" | "sfdisk" | "mkntfs" | "mkdosfs"
            | "mkexfatfs" | "mkreiserfs" | "mkudffs" | "mkhfs" | "jfs_mkfs" | "newfs"
            | "newfs_hfs" | "newfs_apfs" | "newfs_msdos"
                if ops.iter().any(|t| normalise(t).starts_with("/dev/"))
                    && !s.has_flag('l', "list") =>
            {
                hit(self, ExecClass::DiskWipe);
            }
            // Whole-device erase / format / re-key verbs.
            "cryptsetup" | "nvme" | "hdparm" | "mdadm" | "zpool"
                if ops.iter().any(|t| normalise(t).starts_with("/dev/"))
                    && s.texts().any(|t| {
                        let t = t.to_ascii_lowercase();
                        matches!(
                            t.as_str(),
                            "luksformat"
                                | "erase"
                                | "lukserase"
                                | "format"
                                | "sanitize"
                                | "--zero-superblock"
                                | "create"
                                | "labelclear"
                        ) || t.starts_with("--security-erase")
                    }) =>
            {
                hit(self, ExecClass::DiskWipe);
            }
            "badblocks"
                if ops.iter().any(|t| normalise(t).starts_with("/dev/")) && s.has_flag('w', "") =>
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
            "set" => state.set_positional(&s.args),
            // `printf -v NAME FORMAT ARGS…` assigns what printf would print.
            "printf" if s.args.first().is_some_and(|a| a.text == "-v") => {
                let texts: Vec<&str> = s.texts().collect();
                if let (Some(name), Some(format)) = (texts.get(1), texts.get(2)) {
                    if let Some(value) = super::stage::printf(format, texts.get(3..).unwrap_or(&[]))
                    {
                        state.assign(&[Arg::plain(&format!("{name}={value}"))]);
                    }
                }
            }
            // `read a b <<< 'x y'`, `echo x | read a` (bash runs the latter in a subshell, but
            // `lastpipe` and other shells do not): the names take the words of the first line.
            "read" => {
                if s.stdin_script().is_none() && s.upstream.as_ref().is_some_and(|u| u.fetch) {
                    // `curl … | while read l; do eval "$l"; done`: the names hold fetched text.
                    let fetched: Vec<Arg> = s
                        .operands()
                        .iter()
                        .map(|name| Arg {
                            fetch: true,
                            ..Arg::plain(&format!("{name}="))
                        })
                        .collect();
                    state.assign(&fetched);
                }
                let input = s
                    .stdin_script()
                    .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()));
                if let Some(input) = input {
                    let names: Vec<&str> = {
                        let mut names = Vec::new();
                        let mut texts = s.texts();
                        while let Some(t) = texts.next() {
                            if matches!(t, "-a" | "-d" | "-i" | "-n" | "-N" | "-p" | "-t" | "-u") {
                                texts.next();
                            } else if !t.starts_with('-') {
                                names.push(t);
                            }
                        }
                        names
                    };
                    let line = input.lines().next().unwrap_or("");
                    let mut words = line.split_whitespace();
                    let mut assigns = Vec::new();
                    for (k, name) in names.iter().enumerate() {
                        let value = if k + 1 == names.len() {
                            // The last name takes the rest of the line.
                            words.clone().collect::<Vec<_>>().join(" ")
                        } else {
                            words.next().unwrap_or("").to_owned()
                        };
                        assigns.push(Arg::plain(&format!("{name}={value}")));
                    }
                    state.assign(&assigns);
                }
            }
            "alias" => {
                for a in &s.args {
                    if let Some((name, value)) = a.text.split_once('=') {
                        state.assign(&[Arg::plain(&format!("{ALIAS_PREFIX}{name}={value}"))]);
                    }
                }
            }
            "for" | "select" => {
                if let (Some(name), Some(Arg { text: kw, .. })) = (s.args.first(), s.args.get(1)) {
                    if kw == "in" && super::wrappers::is_assignment(&format!("{}=", name.text)) {
                        state.assign_list(&name.text, s.args.get(2..).unwrap_or(&[]));
                    }
                }
            }
            // `at` / `batch` schedule the script on their stdin: a deferred job, like cron.
            "at" | "batch"
                if !s
                    .texts()
                    .any(|t| matches!(t, "-l" | "-r" | "-d" | "-c" | "-V" | "--help")) =>
            {
                hit(self, ExecClass::CronPersistence);
                let job = s
                    .stdin_script()
                    .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()));
                if let Some(job) = job {
                    let _ = self.nested(&job, depth + 1, state);
                }
                if s.upstream.as_ref().is_some_and(|u| u.fetch) {
                    hit(self, ExecClass::PipeToShell);
                }
            }
            "chmod" => {
                let mode = ops.first().copied().unwrap_or("");
                let targets = ops.get(1..).unwrap_or(&[]);
                let recursive = s.has_flag('R', "recursive");
                let system_target = targets.iter().any(|t| {
                    let t = state.resolve(t);
                    is_system_path(&t) || is_credential_path(&t)
                });
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
                    || (to_root && targets.iter().any(|t| is_system_path(&state.resolve(t))))
                    || targets.iter().any(|t| {
                        // A system credential file (a user's own `authorized_keys` is theirs).
                        let t = normalise(&state.resolve(t));
                        is_credential_path(&t)
                            && (t.starts_with("/root/") || home_relative(&t).is_none())
                    })
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
                        || t.starts_with("kexec.target")
                        || t.starts_with("rescue.target")
                        || t.starts_with("emergency.target")
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
            // pkill's pattern is an unanchored regex: `pkill -9 ssh`, `pkill syst` match sshd and
            // systemd. A plain-text pattern inside a critical name matches it.
            "pkill"
                if ops.iter().any(|t| {
                    t.len() >= 2
                        && t.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                        && super::facts::CRITICAL_PROCESSES
                            .iter()
                            .any(|p| p.contains(t))
                }) =>
            {
                hit(self, ExecClass::KillCriticalProcess);
            }
            // Every process of root (`pkill -u root`, `killall -u 0`).
            "pkill" | "killall"
                if s.flag_value('u', "user")
                    .or_else(|| s.flag_value('U', "uid"))
                    .is_some_and(|u| u.split(',').any(|u| u == "root" || u == "0")) =>
            {
                hit(self, ExecClass::KillCriticalProcess);
            }
            "git" => self.git(s, depth, state, &parts),
            // Package scripts run on install: `npm set-script postinstall 'cmd'`,
            // `npm pkg set scripts.postinstall='cmd'`.
            "npm" | "pnpm" | "yarn" => {
                let words: Vec<&str> = s.texts().collect();
                let mut commands: Vec<&str> = Vec::new();
                if let Some(i) = words.iter().position(|t| *t == "set-script") {
                    commands.extend(words.get(i + 2));
                }
                if words.windows(2).any(|w| w == ["pkg", "set"]) {
                    commands.extend(
                        words
                            .iter()
                            .filter(|t| t.starts_with("scripts."))
                            .filter_map(|t| t.split_once('=').map(|(_, v)| v)),
                    );
                }
                for command in commands {
                    let _ = self.nested(command, depth + 1, state);
                }
            }
            // Booting another kernel or powering off through the RTC.
            "kexec" if s.has_flag('e', "exec") || s.has_flag('f', "force") => {
                hit(self, ExecClass::SystemShutdown);
            }
            "rtcwake"
                if s.flag_value('m', "mode")
                    .is_some_and(|m| matches!(m.as_str(), "off" | "disk" | "no")) =>
            {
                hit(self, ExecClass::SystemShutdown);
            }
            // `install -m 4755 …` sets the setuid bit as it copies.
            "install"
                if s.flag_value('m', "mode")
                    .is_some_and(|m| is_setuid_mode(&m)) =>
            {
                hit(self, ExecClass::PermissionEscalation);
            }
            // Handing a credential file to someone: `chown bob /etc/shadow`,
            // `setfacl -m u:bob:rw /etc/sudoers`.
            "setfacl" if ops.iter().any(|t| is_credential_path(&state.resolve(t))) => {
                hit(self, ExecClass::PermissionEscalation);
            }
            p if INTERPRETERS.contains(&p) || p == "awk" || p == "gawk" => {
                let code = s.inline_code();
                self.interpreter_code(s, &code, depth, state);
            }
            "rsync" => {
                // `--del` is an option of its own (`--delete-during`).
                let deletes = s.texts().any(|t| t.starts_with("--delete") || t == "--del");
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
        runs_stdin
    }

    fn git(&mut self, s: &Stage, depth: usize, state: &SeqState, parts: &[usize]) {
        // Skip global options: `-C dir`, `-c k=v`, `--git-dir=…` / `--git-dir …`, `--no-pager`.
        let mut words = s.texts().peekable();
        let mut sub = "";
        let mut config: Vec<&str> = Vec::new();
        while let Some(t) = words.next() {
            if t == "-c" {
                config.extend(words.next());
            } else if t == "-C" || GIT_GLOBALS_WITH_VALUE.contains(&t) {
                words.next();
            } else if !t.starts_with('-') {
                sub = t;
                break;
            }
        }
        let rest: Vec<&str> = words.collect();
        // `-c` values git runs as shell commands, and aliases defined on the command line.
        for kv in config {
            let Some((key, value)) = kv.split_once('=') else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if GIT_COMMAND_KEYS.contains(&key.as_str()) {
                let _ = self.nested(value.trim_start_matches('!'), depth + 1, state);
            } else if key.strip_prefix("alias.") == Some(sub) && !sub.is_empty() {
                let args: Vec<String> = rest.iter().map(|w| shell_quote(w)).collect();
                let line = match value.strip_prefix('!') {
                    // `!cmd`: a shell command, given the alias's arguments.
                    Some(cmd) => format!("{cmd} {}", args.join(" ")),
                    None => format!("git {value} {}", args.join(" ")),
                };
                let _ = self.nested(&line, depth + 1, state);
            }
        }
        // Git accepts unambiguous abbreviations of long options (`--mirr`, `--har`).
        let has = |f: &str| {
            rest.iter().any(|t| match f.strip_prefix("--") {
                Some(name) => long_option(t, name).is_some(),
                None => *t == f,
            })
        };
        // `--name=value` or `--name value`, the value one of `values`.
        let long_value = |name: &str, values: &[&str]| {
            rest.iter()
                .enumerate()
                .any(|(i, t)| match long_option(t, name) {
                    Some(Some(v)) => values.contains(&v),
                    Some(None) => rest.get(i + 1).is_some_and(|v| values.contains(v)),
                    None => false,
                })
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
                    // A glob refspec (`refs/heads/*:refs/heads/*`) names every branch.
                    PROTECTED_BRANCHES.contains(&b.as_str())
                        || b.starts_with("release/")
                        || b.contains('*')
                });
                // A branch known only at run time (`"$(git branch --show-current)"`, `$B`)
                // may be the protected one: it counts as no branch named.
                let unnamed = refspecs.is_empty()
                    || refspecs
                        .iter()
                        .any(|r| branch(r).contains(['$', super::lex::SUB_MARK]));
                let deletes =
                    has("--delete") || has("-d") || refspecs.iter().any(|r| r.starts_with(':'));
                // `--prune` deletes every remote branch with no local counterpart.
                if has("--mirror") || has("--prune") || (deletes && protected) {
                    Some(ExecClass::DestructiveGitRewrite)
                } else if force {
                    if unnamed || protected || has("--all") {
                        Some(ExecClass::DestructiveGitRewrite)
                    } else {
                        Some(ExecClass::GitForcePush)
                    }
                } else if lease {
                    // `--force-with-lease` refuses to overwrite work it has not seen: safe on a
                    // named feature branch, still a rewrite of a protected or unknown branch.
                    if protected || has("--all") {
                        Some(ExecClass::DestructiveGitRewrite)
                    } else if unnamed {
                        Some(ExecClass::GitForcePush)
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
            "config" => {
                // `git config [--global] core.pager 'cmd'`: a command git runs later.
                let positional: Vec<&str> = rest
                    .iter()
                    .copied()
                    .filter(|t| !t.starts_with('-'))
                    .collect();
                let (key, value) = match positional.as_slice() {
                    ["set", k, v, ..] | [k, v, ..] => (k.to_ascii_lowercase(), *v),
                    _ => (String::new(), ""),
                };
                let runs = GIT_COMMAND_KEYS.contains(&key.as_str())
                    || (key.starts_with("alias.") && value.starts_with('!'));
                if runs {
                    let _ = self.nested(value.trim_start_matches('!'), depth + 1, state);
                }
                // Hooks taken from a world-writable temporary directory run on every commit.
                let tmp_hooks = key == "core.hookspath"
                    && ["/tmp", "/var/tmp", "/dev/shm"].iter().any(|t| {
                        normalise(value) == *t || normalise(value).starts_with(&format!("{t}/"))
                    });
                if tmp_hooks {
                    Some(ExecClass::CronPersistence)
                } else {
                    None
                }
            }
            "filter-branch" | "filter-repo" => Some(ExecClass::DestructiveGitRewrite),
            "reflog"
                if rest.first() == Some(&"expire")
                    && (long_value("expire", &["now", "all"])
                        || long_value("expire-unreachable", &["now", "all"])) =>
            {
                Some(ExecClass::DestructiveGitRewrite)
            }
            "gc" if long_value("prune", &["now", "all"]) => Some(ExecClass::GitDiscardWork),
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
        if matches!(s.prog.as_str(), "rm" | "unlink") && p.contains(['*', '?', '[']) {
            // Removing a glob's worth of files is the recursive-delete rule's business.
            return;
        }
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
        // Normalised paths carry no trailing `/`: compare `dir/` so a directory named as the
        // destination (`cp x /etc/init.d/`) matches a `dir/` prefix.
        if matches!(s.prog.as_str(), "rm" | "unlink") {
            // Removing a hook, a cron job or a startup file persists nothing.
            return;
        }
        let dir = format!("{p}/");
        let home_rel = home_relative(&dir);
        let persistent = PERSISTENCE_PREFIXES.iter().any(|x| dir.starts_with(x))
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
