//! What the classifier produces and passes around: its limits, the finding classes
//! ([`ExecClass`]) with their fixed tiers, the public verdict ([`CommandAnalysis`]), and the
//! crate-internal values of one analysis — expanded words ([`Arg`]), resolved redirections,
//! simple-command forms, findings with their parts, per-stage facts and sub-script summaries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::classes::Effect;
use crate::lex::{Redir, RedirKind, LITERAL_DOLLAR, SUB_MARK};
use crate::ExecTier;

/// Longest command line that is parsed (64 KiB); longer input is [`ExecClass::Unparsed`].
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// Deepest nesting of substitutions / `sh -c` bodies / `eval` that is followed.
pub const MAX_DEPTH: usize = 8;
/// Total bytes (top level plus every re-parsed body) one classification may parse.
pub const WORK_BUDGET_BYTES: usize = 4 * MAX_COMMAND_BYTES;
/// Most findings kept per analysis (the strictest are kept when more are found).
pub const MAX_FINDINGS: usize = 64;
/// Most simple commands whose effects are kept.
pub(crate) const MAX_STAGES: usize = 256;
/// Longest segment text kept in a finding.
pub(crate) const MAX_SEGMENT_CHARS: usize = 200;

/// What a dangerous command does. Each class has one fixed tier ([`ExecClass::tier`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExecClass {
    /// `rm -r` of `/`, `/*`, `~`, `$HOME`, `/home`, a user's home or a system directory; `find /
    /// -delete`. Critical.
    RecursiveDeleteRootOrHome,
    /// Writing a block device or `/dev/mem` (`dd of=/dev/sda`, `> /dev/sda`). Critical.
    DeviceWrite,
    /// `mkfs*`, `wipefs`, `shred /dev/…`, `blkdiscard`, partition-table rewrites. Critical.
    DiskWipe,
    /// A function that spawns itself in a pipe or in the background (`:(){ :|:& };:`), or
    /// `fork while fork`. Critical.
    ForkBomb,
    /// A shell wired to a socket: `/dev/tcp` redirects, `nc -e`, `socat exec:`, a shell piped
    /// between network tools, socket one-liners in python/perl/ruby/php/node. Critical.
    ReverseShell,
    /// Downloaded or decoded text executed by a shell or interpreter (`curl | sh`,
    /// `base64 -d | bash`, `bash <(curl …)`, `sh -c "$(curl …)"`). Critical.
    PipeToShell,
    /// A file downloaded, then made executable or run in the same command line. High.
    DownloadAndExecute,
    /// `crontab` installs, `at`/`batch` jobs, writes to cron/systemd/init/launchd/profile
    /// locations, and
    /// dangerous or downloaded content written to a shell startup file. High.
    CronPersistence,
    /// Writing `/etc/passwd`, `/etc/shadow`, sudoers, `~/.ssh/authorized_keys`,
    /// `/etc/ld.so.preload`, PAM or sshd config; `chpasswd`, adding users to sudo/wheel. Critical.
    CredentialModification,
    /// setuid/setgid bits, `chmod -R` / world-writable modes on system paths, `chown root` of
    /// system paths, `setcap` of privileged capabilities. High.
    PermissionEscalation,
    /// `shutdown`, `reboot`, `halt`, `poweroff`, `init 0`, `systemctl poweroff`, sysrq. High.
    SystemShutdown,
    /// `kill -9 1`, `kill -9 -1`, `pkill sshd`, `killall sshd`, stopping sshd. High.
    KillCriticalProcess,
    /// Force push to a protected branch (or with no branch named), `push --mirror`, deleting a
    /// protected branch, `filter-branch`/`filter-repo`, `reflog expire --expire=now`. High.
    DestructiveGitRewrite,
    /// Force push of a named, unprotected branch (`--force-with-lease` excepted). Medium.
    GitForcePush,
    /// Discarding local work or recovery data: `git reset --hard`, `git gc --prune=now`. Medium.
    GitDiscardWork,
    /// Unknown content written to a shell startup file (`cp x ~/.bashrc`). Medium.
    StartupFileModification,
    /// Not analysed: over the length cap, nested too deep, or over the work budget. High.
    Unparsed,
    /// Code injected through the loader or a start-up file by the environment: `LD_PRELOAD`,
    /// `LD_AUDIT`, `DYLD_INSERT_LIBRARIES`, `GCONV_PATH` naming a library outside the system
    /// library directories; `LD_LIBRARY_PATH`, `PYTHONPATH`-style search paths, `BASH_ENV`,
    /// `ENV`, `PYTHONSTARTUP` or the loading options of `NODE_OPTIONS`, `PERL5OPT`, `RUBYOPT`,
    /// `JAVA_TOOL_OPTIONS` pointing into a temporary location or at a value that cannot be
    /// resolved. High.
    LoaderInjection,
}

impl ExecClass {
    /// Every class, in declaration order.
    pub const ALL: [ExecClass; 18] = [
        ExecClass::RecursiveDeleteRootOrHome,
        ExecClass::DeviceWrite,
        ExecClass::DiskWipe,
        ExecClass::ForkBomb,
        ExecClass::ReverseShell,
        ExecClass::PipeToShell,
        ExecClass::DownloadAndExecute,
        ExecClass::CronPersistence,
        ExecClass::CredentialModification,
        ExecClass::PermissionEscalation,
        ExecClass::SystemShutdown,
        ExecClass::KillCriticalProcess,
        ExecClass::DestructiveGitRewrite,
        ExecClass::GitForcePush,
        ExecClass::GitDiscardWork,
        ExecClass::StartupFileModification,
        ExecClass::Unparsed,
        ExecClass::LoaderInjection,
    ];

    /// The class's fixed tier.
    pub const fn tier(self) -> ExecTier {
        match self {
            ExecClass::RecursiveDeleteRootOrHome
            | ExecClass::DeviceWrite
            | ExecClass::DiskWipe
            | ExecClass::ForkBomb
            | ExecClass::ReverseShell
            | ExecClass::PipeToShell
            | ExecClass::CredentialModification => ExecTier::Critical,
            ExecClass::DownloadAndExecute
            | ExecClass::CronPersistence
            | ExecClass::PermissionEscalation
            | ExecClass::SystemShutdown
            | ExecClass::KillCriticalProcess
            | ExecClass::DestructiveGitRewrite
            | ExecClass::Unparsed
            | ExecClass::LoaderInjection => ExecTier::High,
            ExecClass::GitForcePush
            | ExecClass::GitDiscardWork
            | ExecClass::StartupFileModification => ExecTier::Medium,
        }
    }

    /// The snake_case name (as serialized).
    pub const fn as_str(self) -> &'static str {
        match self {
            ExecClass::RecursiveDeleteRootOrHome => "recursive_delete_root_or_home",
            ExecClass::DeviceWrite => "device_write",
            ExecClass::DiskWipe => "disk_wipe",
            ExecClass::ForkBomb => "fork_bomb",
            ExecClass::ReverseShell => "reverse_shell",
            ExecClass::PipeToShell => "pipe_to_shell",
            ExecClass::DownloadAndExecute => "download_and_execute",
            ExecClass::CronPersistence => "cron_persistence",
            ExecClass::CredentialModification => "credential_modification",
            ExecClass::PermissionEscalation => "permission_escalation",
            ExecClass::SystemShutdown => "system_shutdown",
            ExecClass::KillCriticalProcess => "kill_critical_process",
            ExecClass::DestructiveGitRewrite => "destructive_git_rewrite",
            ExecClass::GitForcePush => "git_force_push",
            ExecClass::GitDiscardWork => "git_discard_work",
            ExecClass::StartupFileModification => "startup_file_modification",
            ExecClass::Unparsed => "unparsed",
            ExecClass::LoaderInjection => "loader_injection",
        }
    }
}

impl fmt::Display for ExecClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One dangerous thing found in a command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExecFinding {
    /// What it is.
    pub class: ExecClass,
    /// `class.tier()`.
    pub tier: ExecTier,
    /// The normalised simple command (or pipeline) it was found in: words after quote removal
    /// joined by single spaces, redirections appended; at most 200 chars.
    pub segment: String,
}

/// The classification of one command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CommandAnalysis {
    /// The strictest finding's tier; `Low` when nothing was found.
    pub tier: ExecTier,
    /// The strictest finding's class (the first found among equals).
    pub class: Option<ExecClass>,
    /// Every finding, in discovery order, deduplicated, at most [`MAX_FINDINGS`].
    pub findings: Vec<ExecFinding>,
    /// Simple commands seen, at every nesting depth.
    pub simple_commands: usize,
}

impl CommandAnalysis {
    /// The tier is Critical.
    pub fn is_critical(&self) -> bool {
        self.tier == ExecTier::Critical
    }
}

/// A word after expansion, and whether its value came from a fetching substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    pub text: String,
    /// Part of the value is the output of a download / decode (`$(curl …)`, `<(curl …)`).
    pub fetch: bool,
    /// Part of the value is the pid of a critical process (`$(pidof sshd)`).
    pub critical_pid: bool,
    /// The statically known content of a process substitution in the word (`<(echo …)`).
    pub content: Option<String>,
    /// The word names a process substitution that runs what it reads (`>(sh)`).
    pub shell_sink: bool,
}

impl Arg {
    /// A literal word.
    pub(crate) fn plain(text: &str) -> Arg {
        Arg {
            text: text.to_owned(),
            fetch: false,
            critical_pid: false,
            content: None,
            shell_sink: false,
        }
    }
}

/// A resolved redirection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RRedir {
    pub kind: RedirKind,
    pub target: String,
    pub fetch: bool,
    /// Content of a process substitution target (`< <(echo …)`).
    pub content: Option<String>,
    /// The target is a process substitution that runs what it reads (`> >(sh)`).
    pub shell_sink: bool,
    pub body: Option<String>,
}

/// One simple command in the two forms patterns match against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form {
    /// Every word as written (after normalisation), wrappers included.
    pub full: Vec<String>,
    /// Where the program that finally runs starts in `full` (wrappers peeled).
    pub inner_start: usize,
    /// That program's basename, lowercase.
    pub prog: String,
}

/// A finding with the simple commands (indices into [`Detailed::forms`]) it involves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub class: ExecClass,
    pub segment: String,
    pub parts: Vec<usize>,
}

/// The full result mediation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detailed {
    pub findings: Vec<Found>,
    pub forms: Vec<Form>,
    /// What each simple command does (empty unless effects were derived).
    pub stages: Vec<StageFacts>,
}

/// One simple command's facts for the rule catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StageFacts {
    /// Its index in [`Detailed::forms`].
    pub idx: usize,
    pub program: String,
    pub args: Vec<String>,
    pub segment: String,
    pub effects: Vec<Effect>,
    pub families: u64,
    pub wrappers: Vec<String>,
    pub wrapper_args: Vec<String>,
}

impl Detailed {
    pub(crate) fn analysis(&self) -> CommandAnalysis {
        let mut tier = ExecTier::Low;
        let mut class = None;
        for f in &self.findings {
            if class.is_none() || f.class.tier() > tier {
                tier = f.class.tier();
                class = Some(f.class);
            }
        }
        CommandAnalysis {
            tier,
            class,
            findings: self
                .findings
                .iter()
                .map(|f| ExecFinding {
                    class: f.class,
                    tier: f.class.tier(),
                    segment: f.segment.clone(),
                })
                .collect(),
            simple_commands: self.forms.len(),
        }
    }
}

/// What a parsed (sub)script amounts to, for the script that contains it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// It downloads, decodes or reads the network: its output is untrusted code material.
    pub fetches: bool,
    /// Its output when it is statically known (`echo x`, `echo … | base64 -d`, `| rev`).
    pub static_value: Option<String>,
    /// Its strictest finding.
    pub tier: Option<ExecTier>,
    /// It looks up the pid of a critical process (`pidof sshd`, `pgrep init`).
    pub critical_pid: bool,
    /// It is a process substitution (`<(…)`): its output is a file's content, not words.
    pub process: bool,
    /// A command first in one of its pipelines runs the script's stdin as code: a shell or
    /// interpreter reading stdin (`>(sh)`, `sh -c 'cd /tmp; bash'`).
    pub stdin_code: bool,
    /// It copies its stdin to its output (`cat`, `$(</dev/stdin)`).
    pub stdin_passthrough: bool,
}

/// What the earlier stages of a pipeline send to a stage's stdin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Upstream {
    /// Statically known text (`echo`, heredoc into `cat`, then `base64 -d` / `rev`).
    pub static_value: Option<String>,
    /// The output is paths under these (`find ROOT…`, through filters like `grep`, `sort`).
    pub paths: Option<String>,
    /// Some earlier stage downloads, decodes or reads the network.
    pub fetch: bool,
    /// Some earlier stage is a downloader.
    pub downloader: bool,
    /// The earlier stages' simple commands.
    pub parts: Vec<usize>,
    /// The earlier stages' segments joined by ` | ` (about 200 chars at most).
    pub segment: String,
}

/// The segment text of a simple command.
pub(super) fn render(argv: &[Arg], redirs: &[Redir]) -> String {
    let mut out = String::new();
    for a in argv {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&a.text);
    }
    for r in redirs {
        let op = match r.kind {
            RedirKind::Out => ">",
            RedirKind::Append => ">>",
            RedirKind::In => "<",
            RedirKind::ReadWrite => "<>",
            RedirKind::Dup => ">&",
            RedirKind::HereDoc => "<<",
            RedirKind::HereString => "<<<",
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(op);
        out.push_str(&r.target.text);
    }
    snippet(&out)
}

/// At most [`MAX_SEGMENT_CHARS`] chars of `s`, `…` marking a cut.
pub(crate) fn snippet(s: &str) -> String {
    if s.len() <= MAX_SEGMENT_CHARS
        && !s.contains([SUB_MARK, LITERAL_DOLLAR])
        && !s.chars().any(char::is_control)
    {
        return s.to_owned();
    }
    // One line: control chars (newlines of heredocs, tabs) are shown escaped.
    let mut out = String::with_capacity(s.len().min(4 * MAX_SEGMENT_CHARS));
    for c in s.chars().take(MAX_SEGMENT_CHARS) {
        match c {
            SUB_MARK => out.push_str("$(…)"),
            LITERAL_DOLLAR => out.push('$'),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    if s.chars().nth(MAX_SEGMENT_CHARS).is_some() {
        out.push('…');
    }
    out
}
