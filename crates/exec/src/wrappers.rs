//! Wrappers: programs that run another program (`sudo`, `env`, `nohup`, `timeout`, `xargs`,
//! `command`, `exec`, `nice`, `doas`, `pkexec`, `stdbuf`, `time`, `chrt`, `taskset`,
//! `unshare`, `nsenter`, `strace`, `gosu`, `flock`, …) and programs that run a script given as
//! a string (`sh -c`, `su -c`, `sg`, `script -c`, `flock -c`, `eval`, `env -S`, `watch`,
//! `ssh host cmd`, `find -exec`). Wrappers that change directory (`env -C`, `sudo -D`) or start
//! a shell when no command is left (`sudo -s`, `sudo -i`, `doas -s`, `su`) say so.
//!
//! [`unwrap`] peels wrappers off an argument vector, skipping each wrapper's own options (and
//! their values), and collects script strings for recursive classification.

mod options;
mod peel;

pub(crate) use options::{assignments, is_assignment};
use peel::Step;
pub(crate) use peel::Unwrapped;

use super::Arg;

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

/// Peels wrappers off `argv` (the wrapper table: [`peel`]).
pub(crate) fn unwrap(argv: &[Arg]) -> Unwrapped {
    let mut out = Unwrapped::default();
    let mut pos = 0;
    // Each round consumes at least one word, so this terminates within `argv.len()` rounds.
    while let Some(first) = argv.get(pos) {
        let name = program_name(&first.text);
        let rest = argv.get(pos + 1..).unwrap_or(&[]);
        let step = peel::peel(&name, rest, &mut out).unwrap_or_else(|| {
            if SHELLS.contains(&name.as_str()) {
                if let Some(script) = shell_script(rest) {
                    out.scripts.push(script);
                }
            }
            Step::Here
        });
        match step {
            Step::Skip(n) => pos += 1 + n,
            Step::Here => {
                out.start = pos;
                return out;
            }
            Step::Nothing => break,
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

#[cfg(test)]
mod tests;
