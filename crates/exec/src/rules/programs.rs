//! The rules of one program, by its name: a table of the programs the classifier knows
//! ([`PROGRAM_RULES`]), each either a finding and the condition on its words that raises it
//! ([`Rule::Flag`]) or a small function of its own for what it does to the line's state or
//! the scripts it runs ([`Rule::Run`]). [`Analyzer::program_rules`] is the one interpreter.

use crate::classify::{Analyzer, Arg, ExecClass};
use crate::facts::{
    home_relative, is_block_device, is_credential_path, is_critical_process, is_setuid_mode,
    is_system_path, is_world_writable_mode, normalise, shell_quote, CRITICAL_PROCESSES,
};
use crate::seq::{SeqState, ALIAS_PREFIX};
use crate::stage::Stage;
use crate::wrappers::{is_assignment, INTERPRETERS};

/// The simple command a program rule looks at.
pub(super) struct Cmd<'s> {
    pub s: &'s Stage,
    /// Its operands.
    pub ops: Vec<&'s str>,
    /// The parts a finding on it names (its own index).
    pub parts: Vec<usize>,
    /// How deep in nested scripts it runs.
    pub depth: usize,
}

/// What the rule of a program does.
#[derive(Clone, Copy)]
enum Rule {
    /// Raises the finding when the condition holds.
    Flag(ExecClass, fn(&Cmd<'_>, &SeqState) -> bool),
    /// Runs its own function.
    Run(fn(&mut Analyzer<'_>, &Cmd<'_>, &mut SeqState)),
}

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

/// Every program with a rule. A program is in one row; programs with no row whose name starts
/// with `mkfs` wipe a disk, and interpreters (and awk) have their inline code judged.
const PROGRAM_RULES: &[(&[&str], Rule)] = &[
    (
        &["rm"],
        Rule::Flag(ExecClass::RecursiveDeleteRootOrHome, rm_root_or_home),
    ),
    (&["find"], Rule::Run(find)),
    (
        &["cd", "pushd"],
        Rule::Run(|_, c, st| st.cd(c.ops.first().copied())),
    ),
    (
        &["export", "declare", "typeset", "local", "readonly"],
        Rule::Run(export),
    ),
    (
        &["dd", "dcfldd", "dc3dd"],
        Rule::Flag(ExecClass::DeviceWrite, |c, _| {
            c.s.texts()
                .filter_map(|t| t.strip_prefix("of="))
                .any(is_block_device)
        }),
    ),
    (
        &["wipefs", "blkdiscard", "mke2fs"],
        Rule::Flag(ExecClass::DiskWipe, |_, _| true),
    ),
    (
        &[
            "mkswap",
            "shred",
            "fdisk",
            "gdisk",
            "cfdisk",
            "sfdisk",
            "mkntfs",
            "mkdosfs",
            "mkexfatfs",
            "mkreiserfs",
            "mkudffs",
            "mkhfs",
            "jfs_mkfs",
            "newfs",
            "newfs_hfs",
            "newfs_apfs",
            "newfs_msdos",
        ],
        Rule::Flag(ExecClass::DiskWipe, |c, _| {
            names_device(c) && !c.s.has_flag('l', "list")
        }),
    ),
    // Whole-device erase / format / re-key verbs.
    (
        &["cryptsetup", "nvme", "hdparm", "mdadm", "zpool"],
        Rule::Flag(ExecClass::DiskWipe, |c, _| {
            names_device(c) && c.s.texts().any(is_erase_verb)
        }),
    ),
    (
        &["badblocks"],
        Rule::Flag(ExecClass::DiskWipe, |c, _| {
            names_device(c) && c.s.has_flag('w', "")
        }),
    ),
    (
        &["sgdisk"],
        Rule::Flag(ExecClass::DiskWipe, |c, _| {
            c.s.has_flag('Z', "zap-all") || c.s.has_flag('o', "clear")
        }),
    ),
    (
        &["parted"],
        Rule::Flag(ExecClass::DiskWipe, |c, _| {
            c.s.texts()
                .any(|t| matches!(t, "mklabel" | "mktable" | "rm"))
        }),
    ),
    (
        &["diskutil"],
        Rule::Flag(ExecClass::DiskWipe, |c, _| {
            c.s.texts().any(|t| {
                let t = t.to_ascii_lowercase();
                t.starts_with("erase") || t == "zerodisk" || t == "randomdisk" || t == "secureerase"
            })
        }),
    ),
    (
        &[
            "nc",
            "ncat",
            "netcat",
            "nc.traditional",
            "nc.openbsd",
            "cryptcat",
        ],
        Rule::Flag(ExecClass::ReverseShell, nc_runs_program),
    ),
    (
        &["socat"],
        Rule::Flag(ExecClass::ReverseShell, |c, _| {
            c.s.texts().any(|t| {
                let t = t.to_ascii_lowercase();
                t.starts_with("exec:") || t.starts_with("system:") || t.contains(",exec:")
            })
        }),
    ),
    (
        &["crontab"],
        Rule::Flag(ExecClass::CronPersistence, |c, _| {
            !c.s.texts().any(|t| t == "-l" || t == "-r")
        }),
    ),
    (&["set"], Rule::Run(|_, c, st| st.set_positional(&c.s.args))),
    (&["printf"], Rule::Run(printf_v)),
    (&["read"], Rule::Run(read)),
    (&["alias"], Rule::Run(alias)),
    (&["for", "select"], Rule::Run(for_loop)),
    (&["at", "batch"], Rule::Run(at_job)),
    (
        &["chmod"],
        Rule::Flag(ExecClass::PermissionEscalation, chmod_escalates),
    ),
    (
        &["chown", "chgrp"],
        Rule::Flag(ExecClass::PermissionEscalation, chown_escalates),
    ),
    (
        &["setcap"],
        Rule::Flag(ExecClass::PermissionEscalation, |c, _| {
            c.s.texts().any(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("cap_setuid")
                    || t.contains("cap_sys_admin")
                    || t.contains("cap_dac_override")
                    || t.contains("cap_sys_ptrace")
                    || t.starts_with("all")
                    || t.starts_with("=")
            })
        }),
    ),
    (
        &[
            "chpasswd",
            "chgpasswd",
            "newusers",
            "vipw",
            "visudo",
            "pwconv",
        ],
        Rule::Flag(ExecClass::CredentialModification, |_, _| true),
    ),
    (
        &["passwd"],
        Rule::Flag(ExecClass::CredentialModification, |c, _| {
            !c.ops.is_empty() || c.s.has_flag('-', "stdin")
        }),
    ),
    (
        &["usermod", "useradd", "adduser", "gpasswd", "groupmod"],
        Rule::Flag(ExecClass::CredentialModification, grants_privilege),
    ),
    (
        &["shutdown", "reboot", "halt", "poweroff"],
        Rule::Flag(ExecClass::SystemShutdown, |c, _| {
            !(c.s.prog == "shutdown" && c.s.has_flag('c', "cancel"))
        }),
    ),
    (
        &["init", "telinit"],
        Rule::Flag(ExecClass::SystemShutdown, |c, _| {
            c.ops
                .iter()
                .any(|t| matches!(*t, "0" | "6" | "1" | "s" | "S"))
        }),
    ),
    (&["systemctl", "loginctl"], Rule::Run(systemctl)),
    (
        &["service"],
        Rule::Flag(ExecClass::KillCriticalProcess, |c, _| {
            c.ops.first().is_some_and(|p| is_critical_process(p))
                && c.ops
                    .get(1)
                    .is_some_and(|v| matches!(*v, "stop" | "restart" | "kill"))
        }),
    ),
    (
        &["kill"],
        Rule::Flag(ExecClass::KillCriticalProcess, kill_targets_init),
    ),
    (
        &["pkill", "killall"],
        Rule::Flag(ExecClass::KillCriticalProcess, pkill_critical),
    ),
    (
        &["git"],
        Rule::Run(|a, c, st| a.git(c.s, c.depth, st, &c.parts)),
    ),
    (&["npm", "pnpm", "yarn"], Rule::Run(npm_scripts)),
    // Booting another kernel or powering off through the RTC.
    (
        &["kexec"],
        Rule::Flag(ExecClass::SystemShutdown, |c, _| {
            c.s.has_flag('e', "exec") || c.s.has_flag('f', "force")
        }),
    ),
    (
        &["rtcwake"],
        Rule::Flag(ExecClass::SystemShutdown, |c, _| {
            c.s.flag_value('m', "mode")
                .is_some_and(|m| matches!(m.as_str(), "off" | "disk" | "no"))
        }),
    ),
    // `install -m 4755 …` sets the setuid bit as it copies.
    (
        &["install"],
        Rule::Flag(ExecClass::PermissionEscalation, |c, _| {
            c.s.flag_value('m', "mode")
                .is_some_and(|m| is_setuid_mode(&m))
        }),
    ),
    // Handing a credential file to someone: `setfacl -m u:bob:rw /etc/sudoers`.
    (
        &["setfacl"],
        Rule::Flag(ExecClass::PermissionEscalation, |c, st| {
            c.ops.iter().any(|t| is_credential_path(&st.resolve(t)))
        }),
    ),
    (
        &["rsync"],
        Rule::Flag(ExecClass::RecursiveDeleteRootOrHome, |c, st| {
            // `--del` is an option of its own (`--delete-during`).
            let deletes =
                c.s.texts()
                    .any(|t| t.starts_with("--delete") || t == "--del");
            deletes && c.ops.last().is_some_and(|t| st.is_root_or_home(t))
        }),
    ),
    (
        &["mv"],
        Rule::Flag(ExecClass::RecursiveDeleteRootOrHome, |c, st| {
            // Moving `/`, a home or a system directory away destroys it as surely.
            let sources = c.ops.len().saturating_sub(1);
            c.ops.iter().take(sources).any(|t| st.is_root_or_home(t))
        }),
    ),
];

impl Analyzer<'_> {
    /// The rules of the program `c` runs.
    pub(super) fn program_rules(&mut self, c: &Cmd<'_>, state: &mut SeqState) {
        let prog = c.s.prog.as_str();
        let rule = PROGRAM_RULES
            .iter()
            .find(|(names, _)| names.contains(&prog))
            .map(|(_, rule)| *rule);
        match rule {
            Some(Rule::Flag(class, holds)) if holds(c, state) => {
                self.flag(class, &c.s.segment, c.parts.clone());
            }
            Some(Rule::Flag(..)) => {}
            Some(Rule::Run(run)) => run(self, c, state),
            None if prog.starts_with("mkfs") => {
                self.flag(ExecClass::DiskWipe, &c.s.segment, c.parts.clone());
            }
            None if INTERPRETERS.contains(&prog) || prog == "awk" || prog == "gawk" => {
                let code = c.s.inline_code();
                self.interpreter_code(c.s, &code, c.depth, state);
            }
            None => {}
        }
    }
}

fn rm_root_or_home(c: &Cmd<'_>, state: &SeqState) -> bool {
    let recursive = c.s.has_flag('r', "recursive") || c.s.has_flag('R', "recursive");
    recursive && c.ops.iter().any(|t| state.is_root_or_home(t))
}

/// An operand names a device (`/dev/…`).
fn names_device(c: &Cmd<'_>) -> bool {
    c.ops.iter().any(|t| normalise(t).starts_with("/dev/"))
}

/// A verb that erases, formats or re-keys a whole device.
fn is_erase_verb(t: &str) -> bool {
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
}

/// netcat with a program to run (`-e`, `-c`, `--exec`, `--sh-exec`, `--lua-exec`).
fn nc_runs_program(c: &Cmd<'_>, _: &SeqState) -> bool {
    c.s.texts().any(|t| {
        matches!(t, "--exec" | "--sh-exec" | "--lua-exec")
            || t.starts_with("--exec=")
            || t.starts_with("--sh-exec=")
            || (t.starts_with('-') && !t.starts_with("--") && (t.contains('e') || t.contains('c')))
    })
}

fn chmod_escalates(c: &Cmd<'_>, state: &SeqState) -> bool {
    let mode = c.ops.first().copied().unwrap_or("");
    let targets = c.ops.get(1..).unwrap_or(&[]);
    let recursive = c.s.has_flag('R', "recursive");
    let system_target = targets.iter().any(|t| {
        let t = state.resolve(t);
        is_system_path(&t) || is_credential_path(&t)
    });
    is_setuid_mode(mode)
        || (recursive && targets.iter().any(|t| state.is_root_or_home(t)))
        || (system_target && is_world_writable_mode(mode))
}

fn chown_escalates(c: &Cmd<'_>, state: &SeqState) -> bool {
    let owner = c.ops.first().copied().unwrap_or("");
    let targets = c.ops.get(1..).unwrap_or(&[]);
    let recursive = c.s.has_flag('R', "recursive");
    let to_root = c.s.prog == "chown"
        && (owner == "root"
            || owner.starts_with("root:")
            || owner == "0"
            || owner.starts_with("0:"));
    (recursive && targets.iter().any(|t| state.is_root_or_home(t)))
        || (to_root && targets.iter().any(|t| is_system_path(&state.resolve(t))))
        || targets.iter().any(|t| {
            // A system credential file (a user's own `authorized_keys` is theirs).
            let t = normalise(&state.resolve(t));
            is_credential_path(&t) && (t.starts_with("/root/") || home_relative(&t).is_none())
        })
}

/// A user or group change that grants privilege (an admin group, uid 0, a password set on
/// the command line, a duplicate uid).
fn grants_privilege(c: &Cmd<'_>, _: &SeqState) -> bool {
    c.s.texts().any(|t| {
        t.split(',')
            .any(|g| matches!(g, "sudo" | "wheel" | "admin" | "root" | "adm" | "docker"))
            || t == "0"
    }) || c.s.has_flag('p', "password")
        || c.s.has_flag('o', "non-unique")
}

/// `kill` of pid 1 (or -1: every process), or of a pid looked up by a critical name.
fn kill_targets_init(c: &Cmd<'_>, _: &SeqState) -> bool {
    let mut signal_seen = false;
    let mut targets_init = false;
    let mut args = c.s.texts().peekable();
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
    targets_init || c.s.args.iter().any(|a| a.critical_pid)
}

/// `pkill` / `killall` of a critical process: by name; for pkill, whose pattern is an
/// unanchored regex, a plain-text pattern inside a critical name (`pkill -9 ssh`, `pkill syst`
/// match sshd and systemd); or every process of root (`pkill -u root`, `killall -u 0`).
fn pkill_critical(c: &Cmd<'_>, _: &SeqState) -> bool {
    let named = c.ops.iter().any(|t| is_critical_process(t));
    let pattern = c.s.prog == "pkill"
        && c.ops.iter().any(|t| {
            t.len() >= 2
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && CRITICAL_PROCESSES.iter().any(|p| p.contains(t))
        });
    let root =
        c.s.flag_value('u', "user")
            .or_else(|| c.s.flag_value('U', "uid"))
            .is_some_and(|u| u.split(',').any(|u| u == "root" || u == "0"));
    named || pattern || root
}

fn find(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let words: Vec<&str> = c.s.texts().collect();
    let roots = c.s.find_roots();
    let deletes = words.contains(&"-delete")
        || words.windows(2).any(|w| {
            matches!(w, [x, y] if (*x == "-exec" || *x == "-execdir") && (*y == "rm" || y.ends_with("/rm")))
        });
    if deletes && roots.iter().any(|t| state.is_root_or_home(t)) {
        a.flag(
            ExecClass::RecursiveDeleteRootOrHome,
            &c.s.segment,
            c.parts.clone(),
        );
    }
    // Each `-exec … ;` / `-exec … +` body, with `{}` read as a starting point (the first path
    // find hands it): `find / -exec sudo rm -rf {} +`.
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
        // A name, path or age test narrows what find hands `{}` to entries below the root
        // (`find . -name __pycache__ -exec rm -rf {} +` never removes `.`); without one, the
        // root itself is among them.
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
            let _ = a.nested(&quoted.join(" "), c.depth + 1, state);
        }
    }
}

fn export(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    let assigns: Vec<Arg> = s
        .args
        .iter()
        .filter(|a| is_assignment(&a.text))
        .cloned()
        .collect();
    a.command_variables(&assigns, c.depth, state);
    a.loader_variables(&assigns, &s.segment, s.idx, c.depth, state);
    // `printf -v LD_PRELOAD /tmp/x.so; export LD_PRELOAD`: a name exported with the value it
    // got earlier in the line.
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
    a.loader_variables(&exported, &s.segment, s.idx, c.depth, state);
    state.assign(&assigns);
}

/// `printf -v NAME FORMAT ARGS…` assigns what printf would print.
fn printf_v(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    if c.s.args.first().is_none_or(|a| a.text != "-v") {
        return;
    }
    let texts: Vec<&str> = c.s.texts().collect();
    if let (Some(name), Some(format)) = (texts.get(1), texts.get(2)) {
        if let Some(value) = crate::stage::printf(format, texts.get(3..).unwrap_or(&[])) {
            state.assign(&[Arg::plain(&format!("{name}={value}"))]);
        }
    }
}

/// `read a b <<< 'x y'`, `echo x | read a` (bash runs the latter in a subshell, but
/// `lastpipe` and other shells do not): the names take the words of the first line.
fn read(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
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
    let Some(input) = input else {
        return;
    };
    let mut names = Vec::new();
    let mut texts = s.texts();
    while let Some(t) = texts.next() {
        if matches!(t, "-a" | "-d" | "-i" | "-n" | "-N" | "-p" | "-t" | "-u") {
            texts.next();
        } else if !t.starts_with('-') {
            names.push(t);
        }
    }
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

fn alias(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    for a in &c.s.args {
        if let Some((name, value)) = a.text.split_once('=') {
            state.assign(&[Arg::plain(&format!("{ALIAS_PREFIX}{name}={value}"))]);
        }
    }
}

fn for_loop(_: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    if let (Some(name), Some(Arg { text: kw, .. })) = (s.args.first(), s.args.get(1)) {
        if kw == "in" && is_assignment(&format!("{}=", name.text)) {
            state.assign_list(&name.text, s.args.get(2..).unwrap_or(&[]));
        }
    }
}

/// `at` / `batch` schedule the script on their stdin: a deferred job, like cron.
fn at_job(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let s = c.s;
    if s.texts()
        .any(|t| matches!(t, "-l" | "-r" | "-d" | "-c" | "-V" | "--help"))
    {
        return;
    }
    a.flag(ExecClass::CronPersistence, &s.segment, c.parts.clone());
    let job = s
        .stdin_script()
        .or_else(|| s.upstream.as_ref().and_then(|u| u.static_value.clone()));
    if let Some(job) = job {
        let _ = a.nested(&job, c.depth + 1, state);
    }
    if s.upstream.as_ref().is_some_and(|u| u.fetch) {
        a.flag(ExecClass::PipeToShell, &s.segment, c.parts.clone());
    }
}

fn systemctl(a: &mut Analyzer<'_>, c: &Cmd<'_>, _: &mut SeqState) {
    let verbs = &c.ops;
    if verbs.iter().any(|t| {
        matches!(
            *t,
            "poweroff" | "reboot" | "halt" | "kexec" | "emergency" | "rescue" | "soft-reboot"
        ) || t.starts_with("poweroff.target")
            || t.starts_with("reboot.target")
            || t.starts_with("halt.target")
            || t.starts_with("kexec.target")
            || t.starts_with("rescue.target")
            || t.starts_with("emergency.target")
    }) {
        a.flag(ExecClass::SystemShutdown, &c.s.segment, c.parts.clone());
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
        a.flag(
            ExecClass::KillCriticalProcess,
            &c.s.segment,
            c.parts.clone(),
        );
    }
}

/// Package scripts run on install: `npm set-script postinstall 'cmd'`,
/// `npm pkg set scripts.postinstall='cmd'`.
fn npm_scripts(a: &mut Analyzer<'_>, c: &Cmd<'_>, state: &mut SeqState) {
    let words: Vec<&str> = c.s.texts().collect();
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
        let _ = a.nested(command, c.depth + 1, state);
    }
}
