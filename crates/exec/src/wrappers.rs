//! Wrappers: programs that run another program (`sudo`, `env`, `nohup`, `timeout`, `xargs`,
//! `command`, `exec`, `nice`, `doas`, `pkexec`, `stdbuf`, `time`, `chrt`, `taskset`,
//! `unshare`, `nsenter`, `strace`, `gosu`, `flock`, …) and programs that run a script given as
//! a string (`sh -c`, `su -c`, `sg`, `script -c`, `flock -c`, `eval`, `env -S`, `watch`,
//! `ssh host cmd`, `find -exec`). Wrappers that change directory (`env -C`, `sudo -D`) or start
//! a shell when no command is left (`sudo -s`, `sudo -i`, `doas -s`, `su`) say so.
//!
//! [`unwrap`] peels wrappers off an argument vector, skipping each wrapper's own options (and
//! their values), and collects script strings for recursive classification.

use super::Arg;

/// The result of peeling wrappers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Unwrapped {
    /// Index of the program that finally runs (`argv.len()` when none does).
    pub start: usize,
    /// Script strings to classify recursively, with "came from a fetching substitution".
    pub scripts: Vec<(String, bool)>,
    /// An `xargs` was peeled: stdin words become arguments of the program.
    pub xargs: bool,
    /// Its `-I R` / `-i` / `--replace` string (`{}` by default for `-i`).
    pub xargs_replace: Option<String>,
    /// A wrapper changes the working directory first (`env -C dir`, `sudo -D dir`).
    pub chdir: Option<String>,
    /// With no command left, a wrapper runs a shell that reads stdin (`sudo -s`, `sudo -i`,
    /// `doas -s`, `su`, `su - root`).
    pub implicit_shell: bool,
    /// `NAME=value` words a wrapper sets in the environment (`env X=1 cmd`).
    pub assigns: Vec<Arg>,
}

/// Shells: `-c` takes a script; without one (or with `-s`) they read stdin.
pub(crate) const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "ash",
    "mksh",
    "fish",
    "csh",
    "tcsh",
    "yash",
    "busybox",
    "toybox",
    "rbash",
    "pwsh",
    "powershell",
];

/// Script interpreters: they run code from `-c`/`-e`/`-r`, a file, or stdin.
pub(crate) const INTERPRETERS: &[&str] = &[
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "node",
    "nodejs",
    "lua",
    "deno",
    "bun",
    "osascript",
    "tclsh",
    "expect",
    "jshell",
    "irb",
];

/// The program name a word runs: its basename, lowercased, with a trailing `.exe` removed and a
/// versioned interpreter (`python3.11`) folded to its family.
pub(crate) fn program_name(word: &str) -> String {
    // `$SHELL -c …`, `curl … | $BASH`: the user's shell.
    if matches!(word, "$SHELL" | "$BASH" | "$0") {
        return "sh".to_owned();
    }
    let base = crate::programs::lower_without_exe(word.rsplit('/').next().unwrap_or(word));
    for family in [
        "python3", "python2", "python", "perl", "ruby", "php", "node", "lua",
    ] {
        if let Some(rest) = base.strip_prefix(family) {
            if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return family.to_owned();
            }
        }
    }
    base
}

/// Short options of `sudo` that take a value.
const SUDO_WITH_VALUE: &str = "ugCDhprtTUR";

/// Peels wrappers off `argv`.
pub(crate) fn unwrap(argv: &[Arg]) -> Unwrapped {
    let mut out = Unwrapped::default();
    let mut pos = 0;
    // Each round consumes at least one word, so this terminates within `argv.len()` rounds.
    while let Some(first) = argv.get(pos) {
        let name = program_name(&first.text);
        let rest = argv.get(pos + 1..).unwrap_or(&[]);
        let skip = match name.as_str() {
            "sudo" => {
                let n = options(
                    rest,
                    SUDO_WITH_VALUE,
                    &[
                        "user",
                        "group",
                        "host",
                        "prompt",
                        "close-from",
                        "chdir",
                        "role",
                        "type",
                        "command-timeout",
                        "other-user",
                    ],
                );
                let opts = rest.get(..n.unwrap_or(0)).unwrap_or(&[]);
                if let Some((dir, _)) = flag_value(opts, 'D', "chdir") {
                    out.chdir = Some(dir);
                }
                // Letters up to the first one taking a value (`-ueve` is a user).
                let has = |short: char, long: &str| {
                    opts.iter().any(|a| {
                        a.text == long
                            || (!a.text.starts_with("--")
                                && a.text.strip_prefix('-').is_some_and(|c| {
                                    c.chars()
                                        .take_while(|l| !SUDO_WITH_VALUE.contains(*l))
                                        .any(|l| l == short)
                                }))
                    })
                };
                out.implicit_shell |= has('s', "--shell") || has('i', "--login");
                let edits = has('e', "--edit");
                if edits {
                    // `sudo -e file…` is sudoedit: the words are files to edit, not a command.
                    out.start = pos;
                    return out;
                }
                // `sudo VAR=value cmd` sets `VAR` for the command, like `env`.
                n.map(|n| {
                    let after = rest.get(n..).unwrap_or(&[]);
                    let k = assignments(after);
                    out.assigns.extend(after.iter().take(k).cloned());
                    n + k
                })
            }
            "doas" => {
                let n = options(rest, "uC", &[]);
                let opts = rest.get(..n.unwrap_or(0)).unwrap_or(&[]);
                out.implicit_shell |= opts.iter().any(|a| a.text == "-s");
                n
            }
            "env" => {
                let (n, split) = env_options(rest);
                if let Some(s) = split {
                    out.scripts.push(s);
                    out.start = argv.len();
                    return out;
                }
                let opts = rest.get(..n).unwrap_or(&[]);
                if let Some((dir, _)) = flag_value(opts, 'C', "chdir") {
                    out.chdir = Some(dir);
                }
                let after = rest.get(n..).unwrap_or(&[]);
                let k = assignments(after);
                out.assigns.extend(after.iter().take(k).cloned());
                Some(n + k)
            }
            "then" | "do" | "else" | "!" => Some(0),
            // Options (if any) and `--`, then the command: `nohup -- rm x`.
            "nohup" | "builtin" | "unbuffer" | "nocache" | "chronic" | "torsocks" | "fakeroot"
            | "catchsegv" | "dbus-run-session" => options(rest, "", &[]),
            "pkexec" => options(rest, "u", &["user"]),
            // `chrt [opts] prio cmd`, `taskset [opts] mask cmd`; with `-p` they take a pid.
            "chrt" | "taskset" if !rest.iter().any(|a| a.text == "-p" || a.text == "--pid") => {
                let with_value = if name == "chrt" { "TPD" } else { "" };
                options(
                    rest,
                    with_value,
                    &["sched-runtime", "sched-period", "sched-deadline"],
                )
                .map(|n| n + 1)
            }
            "unshare" => options(
                rest,
                "SGRw",
                &[
                    "setuid",
                    "setgid",
                    "root",
                    "wd",
                    "map-user",
                    "map-group",
                    "map-users",
                    "map-groups",
                    "propagation",
                    "setgroups",
                ],
            ),
            "nsenter" => options(rest, "tSG", &["target", "setuid", "setgid"]),
            "numactl" => options(
                rest,
                "CNmip",
                &[
                    "physcpubind",
                    "cpunodebind",
                    "membind",
                    "interleave",
                    "preferred",
                ],
            ),
            "strace" | "ltrace" => options(
                rest,
                "abeEIoOpPsSuXUADFln",
                &["output", "expr", "attach", "user", "env", "string-limit"],
            ),
            // GNU `parallel [opts] cmd… ::: args…`: cmd runs through a shell once per arg, `{}`
            // replaced (or the arg appended); with no `:::` it reads args from stdin like xargs.
            "parallel" => {
                let n = options(
                    rest,
                    "jSNInLadC",
                    &[
                        "jobs",
                        "sshlogin",
                        "delay",
                        "joblog",
                        "results",
                        "colsep",
                        "arg-file",
                        "halt",
                        "timeout",
                        "max-lines",
                        "max-args",
                        "retries",
                        "tmpdir",
                    ],
                )
                .unwrap_or(0);
                let cmd_and_args = rest.get(n..).unwrap_or(&[]);
                let split = cmd_and_args.iter().position(|a| a.text.starts_with(":::"));
                match split {
                    Some(at) => {
                        let template = join(cmd_and_args.get(..at).unwrap_or(&[]));
                        let inputs = cmd_and_args
                            .get(at + 1..)
                            .unwrap_or(&[])
                            .iter()
                            .filter(|a| !a.text.starts_with(":::"));
                        for input in inputs.take(8) {
                            let script = if template.contains("{}") {
                                template.replace("{}", &input.text)
                            } else {
                                format!("{template} {}", input.text)
                            };
                            out.scripts.push((script, input.fetch));
                        }
                        out.start = argv.len();
                        return out;
                    }
                    None => {
                        out.xargs = true;
                        out.xargs_replace = Some("{}".to_owned());
                        Some(n)
                    }
                }
            }
            // `gosu user cmd`, `su-exec user:group cmd`.
            "gosu" | "su-exec" => Some(1),
            // `flock [opts] lockfile cmd…` or `flock [opts] lockfile -c 'cmd'`.
            "flock" => {
                let n =
                    options(rest, "wE", &["timeout", "wait", "conflict-exit-code"]).unwrap_or(0);
                let after = rest.get(n + 1..).unwrap_or(&[]);
                if after
                    .first()
                    .is_some_and(|a| a.text == "-c" || a.text == "--command")
                {
                    if let Some(a) = after.get(1) {
                        out.scripts.push((a.text.clone(), a.fetch));
                    }
                    out.start = argv.len();
                    return out;
                }
                Some(n + 1)
            }
            // `sg group [-c] 'cmd'`: the command is handed to `/bin/sh -c`.
            "sg" => {
                let cmd = rest.get(1..).unwrap_or(&[]);
                let cmd = match cmd.first() {
                    Some(a) if a.text == "-c" => cmd.get(1..).unwrap_or(&[]),
                    _ => cmd,
                };
                if !cmd.is_empty() {
                    out.scripts.push((join(cmd), cmd.iter().any(|a| a.fetch)));
                }
                out.start = argv.len();
                return out;
            }
            // `script -c 'cmd' log`: runs `cmd` through a shell.
            "script" => {
                if let Some(script) = flag_value(rest, 'c', "command") {
                    out.scripts.push(script);
                    out.start = argv.len();
                    return out;
                }
                None
            }
            "setsid" => options(rest, "", &[]),
            "proxychains" | "proxychains4" => options(rest, "f", &[]),
            "timeout" => options(rest, "sk", &["signal", "kill-after"]).map(|n| n + 1),
            "xargs" => {
                out.xargs = true;
                for (i, a) in rest.iter().enumerate() {
                    let t = a.text.as_str();
                    if !t.starts_with('-') {
                        break;
                    }
                    let replace = match t {
                        "-I" => rest.get(i + 1).map(|v| v.text.clone()),
                        "-i" | "--replace" => Some("{}".to_owned()),
                        _ => t
                            .strip_prefix("-I")
                            .or_else(|| t.strip_prefix("-i"))
                            .or_else(|| t.strip_prefix("--replace="))
                            .map(str::to_owned),
                    };
                    if replace.is_some() {
                        out.xargs_replace = replace;
                    }
                }
                // `-i[R]`, `-e[E]`, `-l[N]` and `--replace[=R]`, `--eof[=E]`, `--max-lines[=N]`
                // take their value attached or not at all: `xargs -i rm {}` runs `rm`.
                options(
                    rest,
                    "IdELnPsa",
                    &[
                        "arg-file",
                        "delimiter",
                        "max-args",
                        "max-procs",
                        "max-chars",
                        "process-slot-var",
                    ],
                )
            }
            "command" => {
                if rest
                    .first()
                    .is_some_and(|a| a.text == "-v" || a.text == "-V")
                {
                    out.start = argv.len();
                    return out;
                }
                options(rest, "", &[])
            }
            "exec" => options(rest, "a", &[]),
            "nice" => nice_options(rest),
            "ionice" => options(rest, "cnp", &["class", "classdata", "pid"]),
            "stdbuf" => options(rest, "ioe", &["input", "output", "error"]),
            "time" => options(rest, "fo", &["format", "output"]),
            "chroot" => options(rest, "", &["userspec", "groups"]).map(|n| n + 1),
            // `runuser -u user [--] cmd…` runs the command itself.
            "runuser" if rest.iter().any(|a| a.text == "-u" || a.text == "--user") => {
                options(rest, "ugs", &["user", "group", "shell"])
            }
            "runuser" | "su" => {
                if let Some(script) = flag_value(rest, 'c', "command") {
                    out.scripts.push(script);
                } else {
                    // `su [-] [user]`: the user's shell, reading stdin.
                    out.implicit_shell = true;
                }
                out.start = argv.len();
                return out;
            }
            "eval" | "watch" => {
                let body = if name == "watch" {
                    let n = options(rest, "nqd", &["interval", "differences"]).unwrap_or(0);
                    rest.get(n..).unwrap_or(&[])
                } else {
                    rest
                };
                out.scripts.push((join(body), body.iter().any(|a| a.fetch)));
                out.start = argv.len();
                return out;
            }
            "ssh" => {
                let n = options(rest, "bcDEeFIiJLlmOopQRSWw", &[]).unwrap_or(0);
                // `ssh [options] host command…`: the command runs remotely, still ours to judge.
                if let Some(cmd) = rest.get(n + 1..).filter(|c| !c.is_empty()) {
                    out.scripts.push((join(cmd), cmd.iter().any(|a| a.fetch)));
                }
                out.start = pos;
                return out;
            }
            _ if SHELLS.contains(&name.as_str()) => {
                if name == "busybox" || name == "toybox" {
                    Some(0)
                } else {
                    if let Some(script) = shell_script(rest) {
                        out.scripts.push(script);
                    }
                    out.start = pos;
                    return out;
                }
            }
            _ => None,
        };
        match skip {
            Some(n) => pos += 1 + n,
            None => {
                out.start = pos;
                return out;
            }
        }
    }
    out.start = argv.len();
    out
}

/// The `-c` script of a shell invocation (`bash -c`, `sh -lc`, `bash -o pipefail -c`).
pub(crate) fn shell_script(rest: &[Arg]) -> Option<(String, bool)> {
    let mut has_c = false;
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t == "--command" || t == "-Command" || t == "-command" {
            has_c = true;
        } else if matches!(t, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            i += 1;
        } else if let Some(cluster) = t.strip_prefix('-').or_else(|| t.strip_prefix('+')) {
            if !t.starts_with("--") && cluster.contains('c') {
                has_c = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !has_c {
        return None;
    }
    let (script, fetch) = rest.get(i).map(|a| (a.text.clone(), a.fetch))?;
    // `sh -c '$0 $1 $2' rm -rf /`: the words after the script are $0, $1, …
    let params = rest.get(i + 1..).unwrap_or(&[]);
    if params.is_empty() || !script.contains('$') {
        return Some((script, fetch));
    }
    let total: usize = params.iter().map(|a| a.text.len() + 1).sum();
    let dollars = script.matches('$').count();
    if script.len().saturating_add(dollars.saturating_mul(total)) > super::MAX_COMMAND_BYTES {
        // Bounded work: substituting would grow the script past the input cap.
        return Some((script, fetch));
    }
    let all: Vec<&str> = params.iter().skip(1).map(|a| a.text.as_str()).collect();
    let mut out = script
        .replace("$@", &all.join(" "))
        .replace("$*", &all.join(" "));
    for (n, p) in params.iter().enumerate().take(10).rev() {
        out = out
            .replace(&format!("${{{n}}}"), &p.text)
            .replace(&format!("${n}"), &p.text);
    }
    Some((out, fetch || params.iter().any(|a| a.fetch)))
}

/// Whether a shell or interpreter invocation reads its program from stdin: no `-c`/`-e` code,
/// no script file (or the file is `-` / `/dev/stdin`), or `-s`.
pub(crate) fn reads_stdin(name: &str, rest: &[Arg]) -> bool {
    let is_shell = SHELLS.contains(&name);
    if !is_shell && !INTERPRETERS.contains(&name) {
        return false;
    }
    let mut args = rest.iter().peekable();
    if matches!(name, "deno" | "bun") {
        // `deno run -`, `bun run -`: the subcommand, then the script.
        if args.peek().is_some_and(|a| a.text == "run") {
            args.next();
        }
    }
    while let Some(arg) = args.next() {
        let t = arg.text.as_str();
        if matches!(
            t,
            "-" | "-s" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
        ) {
            return true;
        }
        // Options that take a value: `bash -o pipefail`, `python3 -W ignore`.
        let with_value = if is_shell {
            matches!(t, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file")
        } else {
            matches!(t, "-W" | "-X" | "-I" | "-M" | "--require")
        };
        if with_value {
            args.next();
            continue;
        }
        if let Some(flags) = t.strip_prefix('-') {
            if flags.starts_with('-') {
                continue;
            }
            let code = if is_shell { "c" } else { "ceErm" };
            if flags.chars().any(|c| code.contains(c)) {
                return false;
            }
            continue;
        }
        // A script file (or, for busybox, the applet).
        return false;
    }
    true
}

/// `-c value` / `-cvalue` / `--long value` / `--long=value` of `su`-like programs.
fn flag_value(rest: &[Arg], short: char, long: &str) -> Option<(String, bool)> {
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        let t = arg.text.as_str();
        if t.starts_with("--") {
            match super::stage::long_option(t, long) {
                Some(Some(v)) => return Some((v.to_owned(), arg.fetch)),
                Some(None) => return iter.next().map(|a| (a.text.clone(), a.fetch)),
                None => {}
            }
        } else if let Some(cluster) = t.strip_prefix('-') {
            if let Some(at) = cluster.find(short) {
                let attached = cluster.get(at + short.len_utf8()..).unwrap_or("");
                if !attached.is_empty() {
                    return Some((attached.to_owned(), arg.fetch));
                }
                return iter.next().map(|a| (a.text.clone(), a.fetch));
            }
        }
    }
    None
}

/// Number of option words at the start of `rest`: short clusters (`-abc`), where a letter of
/// `with_value` takes the rest of the cluster or the next word; long options (`--x=v`, or
/// `--x v` when `x` is in `long_with_value`); `--` ends options (and is consumed).
fn options(rest: &[Arg], with_value: &str, long_with_value: &[&str]) -> Option<usize> {
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            return Some(i + 1);
        }
        if let Some(long) = t.strip_prefix("--") {
            i += 1;
            // Abbreviations count (`sudo --us root`), as getopt_long accepts them.
            if !long.contains('=') && long_with_value.iter().any(|l| l.starts_with(long)) {
                i += 1;
            }
            continue;
        }
        let Some(cluster) = t.strip_prefix('-').filter(|c| !c.is_empty()) else {
            return Some(i);
        };
        i += 1;
        if let Some(at) = cluster.find(|c: char| with_value.contains(c)) {
            if cluster.len() == at + 1 {
                i += 1;
            }
        }
    }
    Some(i)
}

/// `nice -n 5`, `nice -5`, `nice --adjustment=5`, `nice --adjustment 5` (long options may be
/// abbreviated: `--adj 5`).
fn nice_options(rest: &[Arg]) -> Option<usize> {
    match rest.first().map(|a| a.text.as_str()) {
        Some("-n") => Some(2),
        Some(t) if t.len() > 2 && "--adjustment".starts_with(t) => Some(2),
        Some(t) if t.starts_with("-n") || t.starts_with("--adj") => Some(1),
        Some(t)
            if t.starts_with('-')
                && t.len() > 1
                && t.bytes().skip(1).all(|b| b.is_ascii_digit() || b == b'-') =>
        {
            Some(1)
        }
        _ => Some(0),
    }
}

/// `env` options; `-S string` / `--split-string=string` returns the string as a script.
fn env_options(rest: &[Arg]) -> (usize, Option<(String, bool)>) {
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            return (i + 1, None);
        }
        if t.starts_with("--") {
            use super::stage::long_option;
            i += 1;
            // Long options may be abbreviated (`--split-s=…`, `--ch /`).
            match long_option(t, "split-string") {
                Some(Some(v)) if t.len() > 3 => return (i, Some((v.to_owned(), arg.fetch))),
                Some(None) if t.len() > 3 => {
                    let tail = rest.get(i..).unwrap_or(&[]);
                    return (i, Some((join(tail), tail.iter().any(|a| a.fetch))));
                }
                _ => {}
            }
            let takes_value = ["unset", "chdir"]
                .iter()
                .any(|l| long_option(t, l) == Some(None));
            if takes_value {
                i += 1;
            }
            continue;
        }
        if t == "-" {
            i += 1;
            continue;
        }
        let Some(cluster) = t.strip_prefix('-') else {
            return (i, None);
        };
        i += 1;
        if let Some(at) = cluster.find(['u', 'C', 'S']) {
            let is_split = cluster.get(at..).is_some_and(|c| c.starts_with('S'));
            let attached = cluster.get(at + 1..).unwrap_or("");
            if is_split {
                let mut script = attached.to_owned();
                let tail = rest.get(i..).unwrap_or(&[]);
                if !tail.is_empty() {
                    if !script.is_empty() {
                        script.push(' ');
                    }
                    script.push_str(&join(tail));
                }
                return (
                    rest.len(),
                    Some((script, arg.fetch || tail.iter().any(|a| a.fetch))),
                );
            }
            if attached.is_empty() {
                i += 1;
            }
        }
    }
    (i, None)
}

/// Number of leading `NAME=value` words.
pub(crate) fn assignments(rest: &[Arg]) -> usize {
    rest.iter().take_while(|a| is_assignment(&a.text)).count()
}

/// `NAME=value` / `NAME+=value`.
pub(crate) fn is_assignment(word: &str) -> bool {
    let Some(eq) = word.find('=') else {
        return false;
    };
    let name = word.get(..eq).unwrap_or("");
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn join(args: &[Arg]) -> String {
    let words: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    words.join(" ")
}

#[cfg(test)]
mod tests;
