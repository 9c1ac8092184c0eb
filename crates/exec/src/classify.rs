//! The classifier: [`classify_command`] parses a command line and walks every simple command —
//! at every depth of substitution, `sh -c` body, `eval`, heredoc fed to a shell — through the
//! rules of [`super::rules`]; the strictest finding wins.
//!
//! Bounded work: input over [`MAX_COMMAND_BYTES`] is not parsed; nesting deeper than
//! [`MAX_DEPTH`] and re-parsed text beyond [`WORK_BUDGET_BYTES`] in total are not followed.
//! Each of these yields the [`ExecClass::Unparsed`] finding (High): what we could not read is
//! denied by the default preset rather than waved through.

mod expand;
mod model;

use std::rc::Rc;

pub(crate) use expand::LIST_SEP;
use expand::{resolve_redir, resolve_word};
pub(crate) use model::{Arg, Detailed, Form, Found, RRedir, StageFacts, Summary};
pub use model::{
    CommandAnalysis, ExecClass, ExecFinding, MAX_COMMAND_BYTES, MAX_DEPTH, MAX_FINDINGS,
    WORK_BUDGET_BYTES,
};
use model::{MAX_SEGMENT_CHARS, MAX_STAGES};

use super::lex::{Redir, RedirKind, Sub, SubKind, LITERAL_DOLLAR, SUB_MARK};
use super::loader::loader_assignments;
use super::parse::parse;
use super::stage::{SeqState, Stage};
use super::wrappers::{assignments, program_name, unwrap, SHELLS};
use super::ExecTier;
use crate::catalog::Catalog;
use crate::derive::{stage_effects, StageContext};
use crate::paths::Context;

/// Classifies a shell command line. Never panics; work is bounded (see the module docs).
pub fn classify_command(command: &str) -> CommandAnalysis {
    analyze(command).analysis()
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
