//! The rules of one program, by its name: a table of the programs the classifier knows
//! ([`PROGRAM_RULES`]), each either a finding and the condition on its words that raises it
//! ([`Rule::Flag`]) or a small function of its own for what it does to the line's state or
//! the scripts it runs ([`Rule::Run`], in [`super::handlers`]). [`Analyzer::program_rules`]
//! is the one interpreter.

use super::handlers::{
    alias, at_job, export, find, for_loop, npm_scripts, printf_v, read, systemctl, Cmd,
};
use crate::classify::{Analyzer, ExecClass};
use crate::facts::{
    home_relative, is_block_device, is_credential_path, is_critical_process, is_setuid_mode,
    is_system_path, is_world_writable_mode, normalise, CRITICAL_PROCESSES,
};
use crate::seq::SeqState;
use crate::wrappers::INTERPRETERS;

/// What the rule of a program does.
#[derive(Clone, Copy)]
enum Rule {
    /// Raises the finding when the condition holds.
    Flag(ExecClass, fn(&Cmd<'_>, &SeqState) -> bool),
    /// Runs its own function.
    Run(fn(&mut Analyzer<'_>, &Cmd<'_>, &mut SeqState)),
}

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
