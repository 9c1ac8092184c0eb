//! The classifier: [`classify_command`] parses a command line and walks every simple command —
//! at every depth of substitution, `sh -c` body, `eval`, heredoc fed to a shell — through the
//! rules of [`super::rules`]; the strictest finding wins.
//!
//! Bounded work: input over [`MAX_COMMAND_BYTES`] is not parsed; nesting deeper than
//! [`MAX_DEPTH`] and re-parsed text beyond [`WORK_BUDGET_BYTES`] in total are not followed.
//! Each of these yields the [`ExecClass::Unparsed`] finding (High): what we could not read is
//! denied by the default preset rather than waved through.

mod expand;
mod pipeline;

use std::rc::Rc;

use crate::analysis::render;
use crate::analysis::MAX_STAGES;
pub(crate) use crate::analysis::{
    snippet, Arg, Detailed, Form, Found, RRedir, StageFacts, Summary, Upstream,
};
pub use crate::analysis::{
    CommandAnalysis, ExecClass, ExecFinding, MAX_COMMAND_BYTES, MAX_DEPTH, MAX_FINDINGS,
    WORK_BUDGET_BYTES,
};
pub(crate) use expand::LIST_SEP;
use pipeline::{
    advance_upstream, glob_candidates, join_output, module_stage, passes_stdin_through,
    resolve_command, xargs_input, Position,
};

use super::lex::{Sub, SubKind};
use super::loader::loader_assignments;
use super::parse::{parse, Pipeline, Script, SimpleCommand};
use super::seq::SeqState;
use super::stage::Stage;
use super::wrappers::{assignments, program_name, unwrap};
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
        let mut run = ScriptRun {
            script: &script,
            subs: vec![None; script.subs.len()],
            summary: Summary::default(),
            depth,
        };
        let mut calls: Vec<Call> = Vec::new();
        for (name, body) in &script.functions {
            state.define_function(name, body);
        }
        let single = script.pipelines.len() == 1;
        let mut output: Option<String> = Some(String::new());
        for pipeline in &script.pipelines {
            let (stages, out) = self.run_pipeline(&mut run, pipeline, &mut state);
            collect_calls(&stages, pipeline.background, &mut calls);
            self.pipeline(&stages, pipeline.background);
            run.summary.stdin_passthrough = single && passes_stdin_through(&stages);
            // The script's output: every pipeline's, when each is known (`cd /; pwd`).
            output = join_output(output, out);
        }
        run.summary.static_value = output;
        for k in 0..run.subs.len() {
            self.substitution(&script.subs, &mut run.subs, k, depth, &state);
        }
        self.recursion(&calls);
        if script.pipelines.is_empty() {
            // An empty script (`$()`, `` `` ``, a comment) prints nothing.
            run.summary.static_value = Some(String::new());
        }
        run.summary
    }

    /// Classifies the simple commands of one pipeline in order, each fed what the earlier
    /// ones send; returns them and the pipeline's output when statically known.
    fn run_pipeline(
        &mut self,
        run: &mut ScriptRun<'_>,
        pipeline: &Pipeline,
        state: &mut SeqState,
    ) -> (Vec<Stage>, Option<String>) {
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
                self.substitution(&run.script.subs, &mut run.subs, k, run.depth, state);
            }
            let at = Position {
                index: i,
                upstream: &upstream,
                background: pipeline.background,
            };
            let (mut stage, runs_stdin) = self.simple_command(run, sc, &at, state);
            stage.upstream = None;
            advance_upstream(Rc::make_mut(&mut upstream), &stage, i, state);
            run.summary.fetches |= stage.is_fetcher();
            run.summary.critical_pid |= stage.is_critical_pid_lookup();
            run.summary.stdin_code |= i == 0 && runs_stdin;
            stages.push(stage);
        }
        let out = if pipeline.background {
            Some(String::new())
        } else {
            Rc::make_mut(&mut upstream).static_value.take()
        };
        (stages, out)
    }

    /// Resolves, unwraps and classifies one simple command; returns its stage and whether it
    /// runs its stdin as code.
    fn simple_command(
        &mut self,
        run: &ScriptRun<'_>,
        sc: &SimpleCommand,
        at: &Position<'_>,
        state: &mut SeqState,
    ) -> (Stage, bool) {
        let depth = run.depth;
        let (mut argv, redirs) = resolve_command(sc, &run.subs, at, state);
        let n_assign = assignments(&argv);
        let (assigns, cmd) = argv.split_at(n_assign);
        self.command_variables(assigns, depth, state);
        if cmd.is_empty() {
            state.assign(assigns);
        }
        let mut unwrapped = unwrap(cmd);
        self.command_variables(&unwrapped.assigns, depth, state);
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
        let stdin_args = (unwrapped.xargs && at.index > 0).then(|| inner.len().saturating_sub(1));
        if unwrapped.xargs {
            xargs_input(&mut inner, &mut unwrapped, &redirs, at);
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
        let stage = Stage {
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
            upstream: (at.index > 0).then(|| Rc::clone(at.upstream)),
        };
        // `env -C dir cmd`, `sudo -D dir cmd`: the command runs in `dir`.
        let mut moved = unwrapped.chdir.as_deref().map(|dir| {
            let mut moved = state.clone();
            moved.cd(Some(dir));
            moved
        });
        let run_state = moved.as_mut().unwrap_or(state);
        // Relative library paths resolve where the command runs.
        self.loader_variables(&loader_assigns, &stage.segment, idx, depth, run_state);
        let runs_stdin = self.stage_rules(&stage, depth, run_state);
        self.record_facts(&stage, run_state, at.background, &assigned);
        if let Some(moved) = moved {
            // A child process changes nothing of the shell but what it downloads.
            state.downloads = moved.downloads;
        }
        self.function_call(sc, &stage, depth, state);
        (stage, runs_stdin)
    }

    /// The rules of `stage`; a globbed program (`/bin/r? -rf /`) is judged as every rule
    /// program the glob could name.
    fn stage_rules(&mut self, stage: &Stage, depth: usize, state: &mut SeqState) -> bool {
        if !stage.prog.contains(['*', '?', '[']) {
            return self.stage(stage, depth, state);
        }
        let mut runs_stdin = false;
        for candidate in glob_candidates(&stage.prog) {
            let variant = Stage {
                prog: candidate.to_owned(),
                ..stage.clone()
            };
            runs_stdin |= self.stage(&variant, depth, state);
        }
        runs_stdin
    }

    /// With a catalog, the facts of `stage` for the rule catalog: its effects, families and
    /// wrappers (`python -m pip install …` runs pip: judged as pip).
    fn record_facts(
        &mut self,
        stage: &Stage,
        state: &SeqState,
        background: bool,
        assigned: &[String],
    ) {
        let Some((catalog, ctx)) = self.detect else {
            return;
        };
        let idx = stage.idx;
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
        let module = module_stage(stage);
        let judged = module.as_ref().unwrap_or(stage);
        let effects = stage_effects(
            catalog,
            ctx,
            judged,
            state,
            &StageContext {
                background,
                wrappers: &wrappers,
                assigned,
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

    /// A call of a function defined in the line: its body runs here, with these arguments
    /// (`f(){ rm -rf "$1"; }; f /`). Not inside its own body, and not again inside its own
    /// expansion (recursion is the fork-bomb rule's).
    fn function_call(&mut self, sc: &SimpleCommand, stage: &Stage, depth: usize, state: &SeqState) {
        if sc.in_function.as_deref() == Some(stage.prog_text.as_str()) {
            return;
        }
        if let Some(body) = state.function(&stage.prog_text).map(str::to_owned) {
            let mut inner = state.clone();
            inner.forget_function(&stage.prog_text);
            let mut params = vec![Arg::plain("--")];
            params.extend(stage.args.iter().cloned());
            inner.set_positional(&params);
            let _ = self.nested(&body, depth + 1, &inner);
        }
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

/// The calls made inside function bodies, for the recursion check.
fn collect_calls(stages: &[Stage], background: bool, calls: &mut Vec<Call>) {
    for stage in stages {
        if let Some(f) = &stage.in_function {
            if calls.len() < MAX_CALLS && !stage.prog_text.is_empty() {
                calls.push(Call {
                    caller: f.clone(),
                    callee: stage.prog_text.clone(),
                    spawns: stages.len() > 1 || background,
                    idx: stage.idx,
                    segment: stage.segment.clone(),
                });
            }
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

/// One script being classified: its parse, its substitutions' summaries (filled as they are
/// reached), what it amounts to so far, and how deep it is nested.
struct ScriptRun<'s> {
    script: &'s Script,
    subs: Vec<Option<Summary>>,
    summary: Summary,
    depth: usize,
}
