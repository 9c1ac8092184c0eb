//! The wrapper table: for each program that runs another one, how its own words are peeled —
//! most by their options alone ([`Peel::Options`]), the rest by a small function of their own
//! (`sudo`, `env`, `xargs`, `parallel`, `su`, `ssh`…). [`peel`] is the one interpreter.

use super::options::{assignments, env_options, flag_value, join, nice_options, options};
use crate::Arg;

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

/// What peeling one wrapper found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The wrapper and `n` words of its own: the command follows.
    Skip(usize),
    /// The word at hand is the program that runs (not a wrapper after all, or one that runs
    /// it as it stands: `ssh`, `sudo -e`).
    Here,
    /// No program runs from these words (its command went to [`Unwrapped::scripts`], or it
    /// runs none: `command -v`).
    Nothing,
}

impl Step {
    /// `Some(n)` option words, or `None` for "not a wrapper invocation".
    fn from_options(n: Option<usize>) -> Step {
        n.map_or(Step::Here, Step::Skip)
    }
}

/// How one wrapper's words are peeled.
#[derive(Clone, Copy)]
enum Peel {
    /// Options (letters of `short` and names in `long` take a value), `--`, then `operands`
    /// words of its own, then the command.
    Options {
        short: &'static str,
        long: &'static [&'static str],
        operands: usize,
    },
    /// `n` words of its own, then the command.
    Words(usize),
    /// Its own function: the wrapper's name, the words after it, what is peeled so far.
    Custom(fn(&str, &[Arg], &mut Unwrapped) -> Step),
}

/// Options only, then the command.
const fn opts(short: &'static str, long: &'static [&'static str]) -> Peel {
    Peel::Options {
        short,
        long,
        operands: 0,
    }
}

/// Short options of `sudo` that take a value.
const SUDO_WITH_VALUE: &str = "ugCDhprtTUR";

/// Every wrapper, by name.
const WRAPPERS: &[(&[&str], Peel)] = &[
    (&["sudo"], Peel::Custom(sudo)),
    (&["doas"], Peel::Custom(doas)),
    (&["env"], Peel::Custom(env)),
    (&["then", "do", "else", "!"], Peel::Words(0)),
    // Options (if any) and `--`, then the command: `nohup -- rm x`.
    (
        &[
            "nohup",
            "builtin",
            "unbuffer",
            "nocache",
            "chronic",
            "torsocks",
            "fakeroot",
            "catchsegv",
            "dbus-run-session",
        ],
        opts("", &[]),
    ),
    (&["pkexec"], opts("u", &["user"])),
    (&["chrt", "taskset"], Peel::Custom(chrt_taskset)),
    (
        &["unshare"],
        opts(
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
    ),
    (&["nsenter"], opts("tSG", &["target", "setuid", "setgid"])),
    (
        &["numactl"],
        opts(
            "CNmip",
            &[
                "physcpubind",
                "cpunodebind",
                "membind",
                "interleave",
                "preferred",
            ],
        ),
    ),
    (
        &["strace", "ltrace"],
        opts(
            "abeEIoOpPsSuXUADFln",
            &["output", "expr", "attach", "user", "env", "string-limit"],
        ),
    ),
    (&["parallel"], Peel::Custom(parallel)),
    // `gosu user cmd`, `su-exec user:group cmd`.
    (&["gosu", "su-exec"], Peel::Words(1)),
    (&["flock"], Peel::Custom(flock)),
    (&["sg"], Peel::Custom(sg)),
    (&["script"], Peel::Custom(script)),
    (&["setsid"], opts("", &[])),
    (&["proxychains", "proxychains4"], opts("f", &[])),
    (
        &["timeout"],
        Peel::Options {
            short: "sk",
            long: &["signal", "kill-after"],
            operands: 1,
        },
    ),
    (&["xargs"], Peel::Custom(xargs)),
    (&["command"], Peel::Custom(command)),
    (&["exec"], opts("a", &[])),
    (
        &["nice"],
        Peel::Custom(|_, rest, _| Step::from_options(nice_options(rest))),
    ),
    (&["ionice"], opts("cnp", &["class", "classdata", "pid"])),
    (&["stdbuf"], opts("ioe", &["input", "output", "error"])),
    (&["time"], opts("fo", &["format", "output"])),
    (
        &["chroot"],
        Peel::Options {
            short: "",
            long: &["userspec", "groups"],
            operands: 1,
        },
    ),
    (&["runuser", "su"], Peel::Custom(su)),
    (&["eval", "watch"], Peel::Custom(eval_watch)),
    (&["ssh"], Peel::Custom(ssh)),
    // Multi-call binaries: the applet is the command.
    (&["busybox", "toybox"], Peel::Words(0)),
];

/// Peels wrapper `name` off `rest` (the words after it); `None` when `name` is no wrapper.
pub(super) fn peel(name: &str, rest: &[Arg], out: &mut Unwrapped) -> Option<Step> {
    let (_, how) = WRAPPERS.iter().find(|(names, _)| names.contains(&name))?;
    Some(match *how {
        Peel::Options {
            short,
            long,
            operands,
        } => Step::from_options(options(rest, short, long).map(|n| n + operands)),
        Peel::Words(n) => Step::Skip(n),
        Peel::Custom(f) => f(name, rest, out),
    })
}

fn sudo(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
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
    if has('e', "--edit") {
        // `sudo -e file…` is sudoedit: the words are files to edit, not a command.
        return Step::Here;
    }
    // `sudo VAR=value cmd` sets `VAR` for the command, like `env`.
    Step::from_options(n.map(|n| {
        let after = rest.get(n..).unwrap_or(&[]);
        let k = assignments(after);
        out.assigns.extend(after.iter().take(k).cloned());
        n + k
    }))
}

fn doas(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    let n = options(rest, "uC", &[]);
    let opts = rest.get(..n.unwrap_or(0)).unwrap_or(&[]);
    out.implicit_shell |= opts.iter().any(|a| a.text == "-s");
    Step::from_options(n)
}

fn env(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    let (n, split) = env_options(rest);
    if let Some(s) = split {
        out.scripts.push(s);
        return Step::Nothing;
    }
    let opts = rest.get(..n).unwrap_or(&[]);
    if let Some((dir, _)) = flag_value(opts, 'C', "chdir") {
        out.chdir = Some(dir);
    }
    let after = rest.get(n..).unwrap_or(&[]);
    let k = assignments(after);
    out.assigns.extend(after.iter().take(k).cloned());
    Step::Skip(n + k)
}

/// `chrt [opts] prio cmd`, `taskset [opts] mask cmd`; with `-p` they take a pid.
fn chrt_taskset(name: &str, rest: &[Arg], _: &mut Unwrapped) -> Step {
    if rest.iter().any(|a| a.text == "-p" || a.text == "--pid") {
        return Step::Here;
    }
    let with_value = if name == "chrt" { "TPD" } else { "" };
    Step::from_options(
        options(
            rest,
            with_value,
            &["sched-runtime", "sched-period", "sched-deadline"],
        )
        .map(|n| n + 1),
    )
}

/// GNU `parallel [opts] cmd… ::: args…`: cmd runs through a shell once per arg, `{}` replaced
/// (or the arg appended); with no `:::` it reads args from stdin like xargs.
fn parallel(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
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
    let Some(at) = cmd_and_args.iter().position(|a| a.text.starts_with(":::")) else {
        out.xargs = true;
        out.xargs_replace = Some("{}".to_owned());
        return Step::Skip(n);
    };
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
    Step::Nothing
}

/// `flock [opts] lockfile cmd…` or `flock [opts] lockfile -c 'cmd'`.
fn flock(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    let n = options(rest, "wE", &["timeout", "wait", "conflict-exit-code"]).unwrap_or(0);
    let after = rest.get(n + 1..).unwrap_or(&[]);
    if after
        .first()
        .is_some_and(|a| a.text == "-c" || a.text == "--command")
    {
        if let Some(a) = after.get(1) {
            out.scripts.push((a.text.clone(), a.fetch));
        }
        return Step::Nothing;
    }
    Step::Skip(n + 1)
}

/// `sg group [-c] 'cmd'`: the command is handed to `/bin/sh -c`.
fn sg(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    let cmd = rest.get(1..).unwrap_or(&[]);
    let cmd = match cmd.first() {
        Some(a) if a.text == "-c" => cmd.get(1..).unwrap_or(&[]),
        _ => cmd,
    };
    if !cmd.is_empty() {
        out.scripts.push((join(cmd), cmd.iter().any(|a| a.fetch)));
    }
    Step::Nothing
}

/// `script -c 'cmd' log`: runs `cmd` through a shell.
fn script(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    match flag_value(rest, 'c', "command") {
        Some(script) => {
            out.scripts.push(script);
            Step::Nothing
        }
        None => Step::Here,
    }
}

fn xargs(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
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
    Step::from_options(options(
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
    ))
}

fn command(_: &str, rest: &[Arg], _: &mut Unwrapped) -> Step {
    if rest
        .first()
        .is_some_and(|a| a.text == "-v" || a.text == "-V")
    {
        return Step::Nothing;
    }
    Step::from_options(options(rest, "", &[]))
}

/// `runuser -u user [--] cmd…` runs the command itself; `su` and other `runuser`s run `-c`'s
/// script, or the user's shell reading stdin (`su [-] [user]`).
fn su(name: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    if name == "runuser" && rest.iter().any(|a| a.text == "-u" || a.text == "--user") {
        return Step::from_options(options(rest, "ugs", &["user", "group", "shell"]));
    }
    if let Some(script) = flag_value(rest, 'c', "command") {
        out.scripts.push(script);
    } else {
        out.implicit_shell = true;
    }
    Step::Nothing
}

fn eval_watch(name: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    let body = if name == "watch" {
        let n = options(rest, "nqd", &["interval", "differences"]).unwrap_or(0);
        rest.get(n..).unwrap_or(&[])
    } else {
        rest
    };
    out.scripts.push((join(body), body.iter().any(|a| a.fetch)));
    Step::Nothing
}

/// `ssh [options] host command…`: the command runs remotely, still ours to judge.
fn ssh(_: &str, rest: &[Arg], out: &mut Unwrapped) -> Step {
    let n = options(rest, "bcDEeFIiJLlmOopQRSWw", &[]).unwrap_or(0);
    if let Some(cmd) = rest.get(n + 1..).filter(|c| !c.is_empty()) {
        out.scripts.push((join(cmd), cmd.iter().any(|a| a.fetch)));
    }
    Step::Here
}
