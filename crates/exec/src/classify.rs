//! The classifier: [`classify_command`] parses a command line and walks every simple command —
//! at every depth of substitution, `sh -c` body, `eval`, heredoc fed to a shell — through the
//! rules of [`super::rules`]; the strictest finding wins.
//!
//! Bounded work: input over [`MAX_COMMAND_BYTES`] is not parsed; nesting deeper than
//! [`MAX_DEPTH`] and re-parsed text beyond [`WORK_BUDGET_BYTES`] in total are not followed.
//! Each of these yields the [`ExecClass::Unparsed`] finding (High): what we could not read is
//! denied by the default preset rather than waved through.

use std::fmt;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::lex::{
    Redir, RedirKind, Sub, SubKind, Word, DEFAULT_CLOSE, DEFAULT_OPEN, DEFAULT_SEP, LITERAL_DOLLAR,
    SUB_MARK,
};
use super::loader::loader_assignments;
use super::parse::parse;
use super::stage::{SeqState, Stage};
use super::wrappers::{assignments, program_name, unwrap, SHELLS};
use super::ExecTier;
use crate::catalog::Catalog;
use crate::classes::Effect;
use crate::derive::{stage_effects, StageContext};
use crate::paths::Context;

/// Longest command line that is parsed (64 KiB); longer input is [`ExecClass::Unparsed`].
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// Deepest nesting of substitutions / `sh -c` bodies / `eval` that is followed.
pub const MAX_DEPTH: usize = 8;
/// Total bytes (top level plus every re-parsed body) one classification may parse.
pub const WORK_BUDGET_BYTES: usize = 4 * MAX_COMMAND_BYTES;
/// Most findings kept per analysis (the strictest are kept when more are found).
pub const MAX_FINDINGS: usize = 64;
/// Most simple commands whose effects are kept.
const MAX_STAGES: usize = 256;
/// Longest segment text kept in a finding.
const MAX_SEGMENT_CHARS: usize = 200;

/// What a dangerous command does. Each class has one fixed tier ([`ExecClass::tier`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// Classifies a shell command line. Never panics; work is bounded (see the module docs).
pub fn classify_command(command: &str) -> CommandAnalysis {
    analyze(command).analysis()
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

/// Parses and classifies `command`, keeping what mediation needs.
pub(crate) fn analyze(command: &str) -> Detailed {
    analyze_with(command, None)
}

/// [`analyze`], deriving every simple command's effects with `detect` when given.
pub(crate) fn analyze_with(command: &str, detect: Option<(&Catalog, &Context)>) -> Detailed {
    let mut analyzer = Analyzer {
        findings: Vec::new(),
        forms: Vec::new(),
        detect,
        stages: Vec::new(),
        budget: WORK_BUDGET_BYTES,
        current_max: None,
        inherit: None,
    };
    if command.len() > MAX_COMMAND_BYTES {
        analyzer.flag(ExecClass::Unparsed, &snippet(command), Vec::new());
    } else {
        // The command line runs as `sh -c LINE` with no arguments: `$1`…, `$@` are empty
        // (`$1 rm -rf /` runs `rm`).
        let mut top = SeqState::default();
        top.set_positional(&[Arg::plain("--")]);
        let _ = analyzer.nested(command, 0, &top);
    }
    Detailed {
        findings: analyzer.findings,
        forms: analyzer.forms,
        stages: analyzer.stages,
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

pub(crate) struct Analyzer<'c> {
    pub findings: Vec<Found>,
    pub forms: Vec<Form>,
    /// The catalog and context effects are derived with (`None`: findings only).
    pub(crate) detect: Option<(&'c Catalog, &'c Context)>,
    /// What each simple command does (filled when `detect` is set).
    pub stages: Vec<StageFacts>,
    budget: usize,
    current_max: Option<ExecTier>,
    /// The state the next script parsed starts from (see [`Analyzer::nested`]).
    inherit: Option<SeqState>,
}

impl Analyzer<'_> {
    /// Records a finding (deduplicated; when full, a stricter finding replaces the mildest).
    pub(crate) fn flag(&mut self, class: ExecClass, segment: &str, parts: Vec<usize>) {
        self.current_max = self.current_max.max(Some(class.tier()));
        if self
            .findings
            .iter()
            .any(|f| f.class == class && f.segment == segment)
        {
            return;
        }
        let found = Found {
            class,
            segment: segment.to_owned(),
            parts,
        };
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(found);
            return;
        }
        let mildest = self
            .findings
            .iter()
            .enumerate()
            .min_by_key(|(_, f)| f.class.tier())
            .map(|(i, f)| (i, f.class.tier()));
        if let Some((i, tier)) = mildest {
            if tier < class.tier() {
                if let Some(slot) = self.findings.get_mut(i) {
                    *slot = found;
                }
            }
        }
    }

    /// Parses and classifies one (sub)script.
    pub(crate) fn script(&mut self, src: &str, depth: usize) -> Summary {
        let saved = self.current_max.take();
        let mut summary = self.script_inner(src, depth);
        summary.tier = self.current_max;
        self.current_max = saved.max(summary.tier);
        summary
    }

    /// Parses and classifies a script run by a command of the current one (`sh -c`, `eval`,
    /// `$(…)`, a heredoc fed to a shell, `find -exec`…): it starts from `state`, the working
    /// directory and variables known where it runs (`cd / && sh -c 'rm -rf *'`).
    pub(crate) fn nested(&mut self, src: &str, depth: usize, state: &SeqState) -> Summary {
        self.inherit = Some(state.clone());
        self.script(src, depth)
    }

    fn script_inner(&mut self, src: &str, depth: usize) -> Summary {
        let mut state = self.inherit.take().unwrap_or_default();
        if depth > MAX_DEPTH || src.len() > self.budget {
            self.budget = 0;
            self.flag(ExecClass::Unparsed, &snippet(src), Vec::new());
            return Summary::default();
        }
        self.budget -= src.len();
        let script = parse(src);
        if script.overflow {
            self.flag(ExecClass::Unparsed, &snippet(src), Vec::new());
        }
        // Substitutions are classified when the command holding them is reached, from the
        // state there (`cd / && echo $(rm -rf *)`); any left (heredoc bodies) at the end.
        let mut subs: Vec<Option<Summary>> = vec![None; script.subs.len()];
        let mut summary = Summary::default();
        let mut calls: Vec<Call> = Vec::new();
        for (name, body) in &script.functions {
            state.define_function(name, body);
        }
        let single = script.pipelines.len() == 1;
        let mut output: Option<String> = Some(String::new());
        for pipeline in &script.pipelines {
            let mut stages: Vec<Stage> = Vec::with_capacity(pipeline.stages.len());
            // What flows into the next stage's stdin.
            // Shared with the stage being classified, then updated in place: no per-stage copy.
            let mut upstream = Rc::new(Upstream::default());
            for (i, sc) in pipeline.stages.iter().enumerate() {
                let ids = sc
                    .words
                    .iter()
                    .chain(sc.redirs.iter().map(|r| &r.target))
                    .flat_map(|w| w.subs.iter().copied());
                for k in ids.collect::<Vec<_>>() {
                    self.substitution(&script.subs, &mut subs, k, depth, &state);
                }
                // In a function body `$FUNCNAME` is the function's own name.
                let with_funcname: Option<Vec<(String, Arg)>> = sc.in_function.as_ref().map(|f| {
                    let mut vars = state.vars.as_ref().clone();
                    vars.push(("FUNCNAME".to_owned(), Arg::plain(f)));
                    vars
                });
                let vars = with_funcname.as_deref().unwrap_or(&state.vars);
                // `curl … | bash -c "$(cat)"`: a substitution that copies stdin reads the pipe.
                let stdin_fetch = i > 0 && upstream.fetch;
                let mut argv: Vec<Arg> = Vec::new();
                for word in &sc.words {
                    resolve_word(word, &subs, vars, stdin_fetch, &mut argv);
                }
                let redirs: Vec<RRedir> = sc
                    .redirs
                    .iter()
                    .map(|r| resolve_redir(r, &subs, vars, stdin_fetch))
                    .collect();
                let n_assign = assignments(&argv);
                let (assigns, cmd) = argv.split_at(n_assign);
                self.command_variables(assigns, depth, &state);
                if cmd.is_empty() {
                    state.assign(assigns);
                }
                let mut unwrapped = unwrap(cmd);
                self.command_variables(&unwrapped.assigns, depth, &state);
                // Judged once this simple command has its index (below).
                let loader_assigns = loader_assignments(assigns, &unwrapped.assigns);
                // The variables this command sets for itself (`X=1 cmd`, `env X=1 cmd`).
                let assigned: Vec<String> = if self.detect.is_some() {
                    assigns
                        .iter()
                        .chain(&unwrapped.assigns)
                        .filter(|a| a.text.contains('='))
                        .map(|a| a.text.clone())
                        .collect()
                } else {
                    Vec::new()
                };
                let segment = render(&argv, &sc.redirs);
                let full: Vec<String> = cmd.iter().map(|a| a.text.clone()).collect();
                let mut inner = argv.split_off((n_assign + unwrapped.start).min(argv.len()));
                let stdin_args = (unwrapped.xargs && i > 0).then(|| inner.len().saturating_sub(1));
                if unwrapped.xargs {
                    // `echo / | xargs rm -rf`, `xargs rm -rf <<< /`: the words xargs reads
                    // become arguments. What `find ROOT` prints lies under ROOT: its roots
                    // stand for it (`find / -mindepth 1 | xargs rm -rf`).
                    let own = redirs.iter().rev().find_map(|r| match r.kind {
                        RedirKind::HereString => Some(r.target.clone()),
                        RedirKind::HereDoc => r.body.clone(),
                        RedirKind::In => r.content.clone(),
                        _ => None,
                    });
                    let piped = (i > 0)
                        .then(|| {
                            upstream
                                .static_value
                                .clone()
                                .or_else(|| upstream.paths.clone())
                        })
                        .flatten();
                    if let Some(words) = own.or(piped) {
                        let replace = unwrapped.xargs_replace.as_deref().filter(|r| {
                            !r.is_empty() && inner.iter().skip(1).any(|a| a.text.contains(*r))
                        });
                        match replace {
                            // `xargs -I{} sh -c 'rm -rf {}'`: each line replaces the string.
                            Some(r) => {
                                let line = words.lines().next().unwrap_or("").trim().to_owned();
                                for a in inner.iter_mut().skip(1) {
                                    a.text = a.text.replace(r, &line);
                                }
                            }
                            None => {
                                inner.extend(words.split_whitespace().take(64).map(Arg::plain));
                            }
                        }
                        // The shell script (and its `$1`…) now has its arguments.
                        if let Some(first) = inner.first() {
                            if SHELLS.contains(&program_name(&first.text).as_str()) {
                                let rest = inner.get(1..).unwrap_or(&[]);
                                unwrapped.scripts =
                                    super::wrappers::shell_script(rest).into_iter().collect();
                            }
                        }
                    }
                }
                let mut inner = inner.into_iter();
                let (prog, prog_fetch, prog_text) = match inner.next() {
                    Some(a) => (program_name(&a.text), a.fetch, a.text),
                    // `curl … | sudo -s`: the shell the wrapper starts reads the pipe.
                    None if unwrapped.implicit_shell => ("sh".to_owned(), false, "sh".to_owned()),
                    None => (String::new(), false, String::new()),
                };
                let idx = self.forms.len();
                self.forms.push(Form {
                    full,
                    inner_start: unwrapped.start,
                    prog: prog.clone(),
                });
                let mut stage = Stage {
                    idx,
                    prog,
                    prog_text,
                    prog_fetch,
                    args: inner.collect(),
                    redirs,
                    segment,
                    in_function: sc.in_function.clone(),
                    scripts: unwrapped.scripts,
                    stdin_args,
                    stdin_replace: unwrapped.xargs_replace.clone(),
                    upstream: (i > 0).then(|| Rc::clone(&upstream)),
                };
                // `env -C dir cmd`, `sudo -D dir cmd`: the command runs in `dir`.
                let mut moved = unwrapped.chdir.as_deref().map(|dir| {
                    let mut moved = state.clone();
                    moved.cd(Some(dir));
                    moved
                });
                let run_state = moved.as_mut().unwrap_or(&mut state);
                // Relative library paths resolve where the command runs.
                self.loader_variables(&loader_assigns, &stage.segment, idx, depth, run_state);
                let mut runs_stdin = false;
                if stage.prog.contains(['*', '?', '[']) {
                    // `/bin/r? -rf /`: judge every rule program the glob could name.
                    for candidate in glob_candidates(&stage.prog) {
                        let variant = Stage {
                            prog: candidate.to_owned(),
                            ..stage.clone()
                        };
                        runs_stdin |= self.stage(&variant, depth, run_state);
                    }
                } else {
                    runs_stdin = self.stage(&stage, depth, run_state);
                }
                if let Some((catalog, ctx)) = self.detect {
                    let wrapper_args: Vec<String> = self
                        .forms
                        .get(idx)
                        .map(|f| f.full.iter().take(f.inner_start).cloned().collect())
                        .unwrap_or_default();
                    let wrappers: Vec<String> = wrapper_args
                        .iter()
                        .filter(|w| !w.starts_with('-') && !w.contains('='))
                        .map(|w| program_name(w))
                        .collect();
                    // `python -m pip install …` runs pip: judge it as pip.
                    let module = module_stage(&stage);
                    let judged = module.as_ref().unwrap_or(&stage);
                    let effects = stage_effects(
                        catalog,
                        ctx,
                        judged,
                        run_state,
                        &StageContext {
                            background: pipeline.background,
                            wrappers: &wrappers,
                            assigned: &assigned,
                        },
                    );
                    let families = catalog.programs.families_of(&judged.prog);
                    if self.stages.len() < MAX_STAGES {
                        self.stages.push(StageFacts {
                            idx,
                            program: judged.prog.clone(),
                            args: judged.args.iter().map(|a| a.text.clone()).collect(),
                            segment: stage.segment.clone(),
                            effects,
                            families,
                            wrappers,
                            wrapper_args,
                        });
                    }
                }
                if let Some(moved) = moved {
                    // A child process changes nothing of the shell but what it downloads.
                    state.downloads = moved.downloads;
                }
                // A call of a function defined in the line: its body runs here, with these
                // arguments (`f(){ rm -rf "$1"; }; f /`). Not inside its own body, and not
                // again inside its own expansion (recursion is the fork-bomb rule's).
                if sc.in_function.as_deref() != Some(stage.prog_text.as_str()) {
                    if let Some(body) = state.function(&stage.prog_text).map(str::to_owned) {
                        let mut inner = state.clone();
                        inner.forget_function(&stage.prog_text);
                        let mut params = vec![Arg::plain("--")];
                        params.extend(stage.args.iter().cloned());
                        inner.set_positional(&params);
                        let _ = self.nested(&body, depth + 1, &inner);
                    }
                }
                stage.upstream = None;
                let up = Rc::make_mut(&mut upstream);
                up.fetch |= stage.is_fetcher();
                up.downloader |= stage.is_downloader();
                up.static_value = if i == 0 {
                    match stage.prog.as_str() {
                        // `$(pwd)` in a known directory.
                        "pwd" => state.cwd.clone(),
                        _ => stage.literal_output(),
                    }
                } else {
                    up.static_value.take().and_then(|v| stage.transform(v))
                };
                up.paths = if i == 0 {
                    (stage.prog == "find").then(|| stage.find_roots().join(" "))
                } else if matches!(
                    stage.prog.as_str(),
                    "grep" | "egrep" | "fgrep" | "sort" | "uniq" | "head" | "tail" | "cat" | "tee"
                ) {
                    up.paths.take()
                } else {
                    None
                };
                up.parts.push(idx);
                if up.segment.len() < 200 {
                    if !up.segment.is_empty() {
                        up.segment.push_str(" | ");
                    }
                    up.segment.push_str(&stage.segment);
                }
                summary.fetches |= stage.is_fetcher();
                summary.critical_pid |= stage.is_critical_pid_lookup();
                summary.stdin_code |= i == 0 && runs_stdin;
                stages.push(stage);
            }
            for stage in &stages {
                if let Some(f) = &stage.in_function {
                    if calls.len() < MAX_CALLS && !stage.prog_text.is_empty() {
                        calls.push(Call {
                            caller: f.clone(),
                            callee: stage.prog_text.clone(),
                            spawns: stages.len() > 1 || pipeline.background,
                            idx: stage.idx,
                            segment: stage.segment.clone(),
                        });
                    }
                }
            }
            self.pipeline(&stages, pipeline.background);
            summary.stdin_passthrough = single
                && stages.iter().all(|st| {
                    let from_stdin = st
                        .redirs
                        .iter()
                        .filter(|r| r.kind == RedirKind::In)
                        .all(|r| r.target == "/dev/stdin");
                    from_stdin
                        && match st.prog.as_str() {
                            "cat" | "tee" => st
                                .operands()
                                .iter()
                                .all(|o| *o == "-" || *o == "/dev/stdin" || st.prog == "tee"),
                            // `$(</dev/stdin)`
                            "" => st.redirs.iter().any(|r| r.kind == RedirKind::In),
                            _ => false,
                        }
                });
            // The script's output: every pipeline's, when each is known (`cd /; pwd`).
            let out = if pipeline.background {
                Some(String::new())
            } else {
                Rc::make_mut(&mut upstream).static_value.take()
            };
            output = match (output, out) {
                (Some(mut acc), Some(o)) if acc.len() + o.len() < MAX_COMMAND_BYTES => {
                    // `echo` ends its line: outputs of successive commands are separate lines.
                    if !acc.is_empty() && !o.is_empty() && !acc.ends_with('\n') {
                        acc.push('\n');
                    }
                    acc.push_str(&o);
                    Some(acc)
                }
                _ => None,
            };
        }
        summary.static_value = output;
        for k in 0..subs.len() {
            self.substitution(&script.subs, &mut subs, k, depth, &state);
        }
        self.recursion(&calls);
        if script.pipelines.is_empty() {
            // An empty script (`$()`, `` `` ``, a comment) prints nothing.
            summary.static_value = Some(String::new());
        }
        summary
    }

    /// Fork bombs through mutual recursion: a function that spawns (in a pipe or in the
    /// background) a function that calls it back, however indirectly (`x(){ y|y& }; y(){ x; }`).
    fn recursion(&mut self, calls: &[Call]) {
        for call in calls.iter().filter(|c| c.spawns) {
            // Is `call.caller` reachable from `call.callee`?
            let mut seen: Vec<&str> = vec![call.callee.as_str()];
            let mut next = 0;
            let mut cycle = false;
            while let Some(&f) = seen.get(next) {
                next += 1;
                if f == call.caller {
                    cycle = true;
                    break;
                }
                for c in calls.iter().filter(|c| c.caller == f) {
                    if !seen.contains(&c.callee.as_str()) {
                        seen.push(&c.callee);
                    }
                }
            }
            if cycle {
                self.flag(ExecClass::ForkBomb, &call.segment, vec![call.idx]);
            }
        }
    }

    /// Classifies substitution `k` (once), from `state`.
    fn substitution(
        &mut self,
        bodies: &[Sub],
        subs: &mut [Option<Summary>],
        k: usize,
        depth: usize,
        state: &SeqState,
    ) {
        let (Some(sub), Some(slot)) = (bodies.get(k), subs.get_mut(k)) else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let mut summary = self.nested(&sub.body, depth + 1, state);
        summary.process = sub.kind == SubKind::Process;
        if let Some(slot) = subs.get_mut(k) {
            *slot = Some(summary);
        }
    }
}

/// Most function calls tracked per script for the recursion check.
const MAX_CALLS: usize = 256;

/// A command run inside a function body.
struct Call {
    caller: String,
    callee: String,
    /// Run in a multi-stage pipeline or in the background: it spawns a process.
    spawns: bool,
    idx: usize,
    segment: String,
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

/// `python -m MODULE ARGS…` as the stage of `MODULE ARGS…` (pip, http.server, venv…); `None`
/// for anything else.
fn module_stage(stage: &Stage) -> Option<Stage> {
    if !stage.prog.starts_with("python") {
        return None;
    }
    let at = stage.args.iter().position(|a| a.text == "-m")?;
    let module = stage.args.get(at + 1)?;
    let name = module
        .text
        .split('.')
        .next()
        .unwrap_or(&module.text)
        .to_ascii_lowercase();
    Some(Stage {
        prog: name,
        prog_text: module.text.clone(),
        args: stage.args.get(at + 2..).unwrap_or(&[]).to_vec(),
        ..stage.clone()
    })
}

/// Programs with rules, for globbed program names.
const RULE_PROGRAMS: &[&str] = &[
    "rm", "dd", "mkfs", "wipefs", "shred", "nc", "ncat", "socat", "crontab", "chmod", "chown",
    "shutdown", "reboot", "halt", "poweroff", "kill", "pkill", "killall", "curl", "wget", "bash",
    "sh", "python", "python3", "perl", "find", "git", "tee", "cp", "mv",
];

fn glob_candidates(glob: &str) -> Vec<&'static str> {
    RULE_PROGRAMS
        .iter()
        .copied()
        .filter(|p| super::policy::glob_match(glob, p))
        .take(8)
        .collect()
}

/// Appends the fields `word` expands to.
fn resolve_word(
    word: &Word,
    subs: &[Option<Summary>],
    vars: &[(String, Arg)],
    stdin_fetch: bool,
    out: &mut Vec<Arg>,
) {
    let start = out.len();
    expand_word(word, subs, vars, stdin_fetch, out);
    // Quoted `$`s read as `$` again once no variable can be expanded at them.
    for arg in out.iter_mut().skip(start) {
        if arg.text.contains(LITERAL_DOLLAR) {
            arg.text = arg.text.replace(LITERAL_DOLLAR, "$");
        }
    }
}

fn expand_word(
    word: &Word,
    subs: &[Option<Summary>],
    vars: &[(String, Arg)],
    stdin_fetch: bool,
    out: &mut Vec<Arg>,
) {
    let mut text = String::with_capacity(word.text.len());
    let mut fetch = false;
    let mut critical_pid = false;
    let mut content = None;
    let mut shell_sink = false;
    let mut changed = false;
    let mut sub_ids = word.subs.iter();
    for c in word.text.chars() {
        if c != SUB_MARK {
            text.push(c);
            continue;
        }
        let summary = sub_ids
            .next()
            .and_then(|&k| subs.get(k))
            .and_then(Option::as_ref);
        if let Some(s) = summary {
            fetch |= s.fetches || (stdin_fetch && s.stdin_passthrough);
            critical_pid |= s.critical_pid;
            shell_sink |= s.process && s.stdin_code;
            if s.process {
                content.clone_from(&s.static_value);
            } else if let Some(v) = &s.static_value {
                text.push_str(v.trim_end_matches('\n'));
                changed = true;
                continue;
            }
        }
        text.push(SUB_MARK);
    }
    if text.contains(DEFAULT_OPEN) {
        text = expand_defaults(&text, vars);
        changed = true;
    }
    if text.contains('$') && !vars.is_empty() {
        let expanded = expand_vars(&text, vars, &mut fetch);
        if expanded != text {
            text = expanded;
            changed = true;
        }
    }
    if text.contains(LIST_SEP) {
        // A `for` variable: every value it takes, each its own field.
        let fields: Vec<&str> = if word.quoted {
            text.split(LIST_SEP).collect()
        } else {
            text.split(|c: char| c == LIST_SEP || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .collect()
        };
        out.extend(fields.into_iter().map(|t| Arg {
            text: t.to_owned(),
            fetch,
            critical_pid,
            content: content.clone(),
            shell_sink,
        }));
        return;
    }
    if changed && !word.quoted {
        out.extend(text.split_whitespace().map(|t| Arg {
            text: t.to_owned(),
            fetch,
            critical_pid,
            content: content.clone(),
            shell_sink,
        }));
        return;
    }
    if !changed && !word.braces.is_empty() {
        if let Some(fields) = brace_expand(&text, &word.braces) {
            out.extend(fields.into_iter().map(|text| Arg {
                text,
                fetch,
                critical_pid,
                content: content.clone(),
                shell_sink,
            }));
            return;
        }
    }
    out.push(Arg {
        text,
        fetch,
        critical_pid,
        content,
        shell_sink,
    });
}

fn resolve_redir(
    r: &Redir,
    subs: &[Option<Summary>],
    vars: &[(String, Arg)],
    stdin_fetch: bool,
) -> RRedir {
    let mut fields = Vec::new();
    resolve_word(&r.target, subs, vars, stdin_fetch, &mut fields);
    let fetch = fields.iter().any(|a| a.fetch);
    let content = fields.iter().find_map(|a| a.content.clone());
    let shell_sink = fields.iter().any(|a| a.shell_sink);
    let words: Vec<String> = fields.into_iter().map(|a| a.text).collect();
    RRedir {
        kind: r.kind,
        target: words.join(" "),
        fetch,
        content,
        shell_sink,
        body: r.body.clone(),
    }
}

/// Variables every shell sets: a `${HOME:-x}` default never applies.
const ALWAYS_SET: &[&str] = &[
    "HOME", "PWD", "USER", "LOGNAME", "PATH", "SHELL", "UID", "EUID", "PPID", "BASH", "HOSTNAME",
];

/// Resolves `${name:-word}` marks (see [`DEFAULT_OPEN`]): the known value, else the word.
fn expand_defaults(text: &str, vars: &[(String, Arg)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(DEFAULT_OPEN) {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + DEFAULT_OPEN.len_utf8()..).unwrap_or("");
        let Some(end) = after.find(DEFAULT_CLOSE) else {
            out.push_str(after);
            return out;
        };
        let inner = after.get(..end).unwrap_or("");
        let (name, word) = inner.split_once(DEFAULT_SEP).unwrap_or((inner, ""));
        let alternate = word.starts_with('+');
        let word = word.get(1..).unwrap_or("");
        let known = vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.text.as_str());
        match known {
            Some(value) if !value.is_empty() => {
                out.push_str(if alternate { word } else { value });
            }
            _ if ALWAYS_SET.contains(&name) => {
                if alternate {
                    out.push_str(word);
                } else {
                    out.push('$');
                    out.push_str(name);
                }
            }
            _ => out.push_str(word),
        }
        rest = after.get(end + DEFAULT_CLOSE.len_utf8()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Separates the values of a `for NAME in a b c` variable (see [`SeqState::assign_list`]).
pub(crate) const LIST_SEP: char = '\u{1F}';

/// Replaces `$NAME` by the value of the latest assignment of `NAME` in this script.
fn expand_vars(text: &str, vars: &[(String, Arg)], fetch: &mut bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        if out.len() > MAX_COMMAND_BYTES {
            // Bounded work: stop expanding, keep the text as written.
            break;
        }
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at + 1..).unwrap_or("");
        // `${NAME}` (kept braced by the lexer when a name character follows: `${p}m`).
        let braced = after.strip_prefix('{');
        let body = braced.unwrap_or(after);
        let len = if body.starts_with(['@', '*', '#']) {
            // `$@`, `$*`, `$#` (set by `set --`).
            1
        } else {
            body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len())
        };
        let name = body.get(..len).unwrap_or("");
        let closed = braced.is_none() || body.get(len..).is_some_and(|r| r.starts_with('}'));
        let end = if braced.is_some() && closed {
            len + 2
        } else {
            len + usize::from(braced.is_some())
        };
        match vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .filter(|_| len > 0 && closed)
        {
            Some((_, value)) => {
                out.push_str(&value.text);
                *fetch |= value.fetch;
            }
            None => {
                out.push('$');
                out.push_str(after.get(..end).unwrap_or(""));
            }
        }
        rest = after.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Expands the first unquoted `{a,b,…}` group of `text` (prefix and suffix kept).
fn brace_expand(text: &str, marks: &[(usize, char)]) -> Option<Vec<String>> {
    let open_at = marks.iter().position(|&(_, c)| c == '{')?;
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut close = None;
    for &(pos, c) in marks.get(open_at..)? {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(pos);
                    break;
                }
            }
            _ if depth == 1 => commas.push(pos),
            _ => {}
        }
    }
    let close = close?;
    let (open, _) = *marks.get(open_at)?;
    if commas.is_empty() {
        return None;
    }
    let prefix = text.get(..open)?;
    let suffix = text.get(close + 1..)?;
    let mut cuts = vec![open];
    cuts.extend(commas);
    cuts.push(close);
    let fields: Vec<String> = cuts
        .windows(2)
        .take(64)
        .filter_map(|w| match w {
            [a, b] => text
                .get(a + 1..*b)
                .map(|alt| format!("{prefix}{alt}{suffix}")),
            _ => None,
        })
        // An empty alternative expands to nothing (`{bash,}` is the one word `bash`).
        .filter(|f| !f.is_empty())
        .collect();
    (!fields.is_empty()).then_some(fields)
}

/// The segment text of a simple command.
fn render(argv: &[Arg], redirs: &[Redir]) -> String {
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
