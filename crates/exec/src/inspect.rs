//! Inspection: a command line (or the effects of any other hostcall) judged by the rule
//! catalog. A command is parsed once; every simple command yields its effects and is judged
//! with its program and arguments; every exec classifier finding is judged through the
//! catalog's finding rules; and the whole line's effects are judged together (a secret read
//! in one stage and a send in another is one exfiltration).

use crate::catalog::{Catalog, Facts, Method, RuleHit, StageView, Taint};
use crate::classes::{Class, Effect, Verb};
use crate::classify::{analyze_with, snippet, CommandAnalysis, Detailed};
use crate::paths::Context;
use crate::ExecTier;

/// Most hits kept per call.
pub const MAX_HITS: usize = 64;
/// How dangerous written content must be to count as armed (see
/// [`Catalog::content_is_armed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmedBar {
    /// High findings or rules, or code run from the network, a decoder, temporary or hidden
    /// space: for files that legitimately fetch (build scripts, CI workflows, scripts).
    Severe,
    /// That, or any fetch or send off the machine: for files that should never reach out
    /// (start-up files, hidden and temporary drops, the host's territory).
    Network,
}

/// Most string literals of written content judged as command lines.
pub const MAX_ARMED_LITERALS: usize = 32;

/// A command line, inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInspection {
    /// The exec classifier's analysis (classes and tiers of the shell-level findings).
    pub analysis: CommandAnalysis,
    /// Everything the line does, over every simple command (deduplicated).
    pub effects: Vec<Effect>,
    /// The rules that fired.
    pub hits: Vec<RuleHit>,
    pub(crate) detailed: Detailed,
}

impl CommandInspection {
    /// The strictest severity among the hits (`Low` when none fired).
    pub fn tier(&self) -> ExecTier {
        strictest(&self.hits)
    }

    /// Each simple command: its text and its effects (for `hostguard rules test`).
    pub fn stages(&self) -> impl Iterator<Item = (&str, &[Effect])> {
        self.detailed
            .stages
            .iter()
            .map(|s| (s.segment.as_str(), s.effects.as_slice()))
    }
}

/// The strictest severity of `hits` (`Low` for none).
pub fn strictest(hits: &[RuleHit]) -> ExecTier {
    hits.iter()
        .map(|h| h.severity)
        .max()
        .unwrap_or(ExecTier::Low)
}

impl Catalog {
    /// Parses `command`, derives its effects where the host runs in `ctx`, and judges it
    /// given what the extension did before (`taint`). Never panics; work is bounded as the
    /// classifier's is.
    pub fn inspect_command(&self, command: &str, ctx: &Context, taint: Taint) -> CommandInspection {
        let detailed = analyze_with(command, Some((self, ctx)));
        let mut hits = Vec::new();
        let mut effects: Vec<Effect> = Vec::new();
        for stage in &detailed.stages {
            let parts = [stage.idx];
            let facts = Facts {
                method: Method::Exec,
                effects: &stage.effects,
                stage: Some(StageView {
                    program: &stage.program,
                    args: &stage.args,
                    subcommand: self.programs.subcommand(&stage.program, &stage.args),
                    families: stage.families,
                    wrappers: &stage.wrappers,
                    wrapper_args: &stage.wrapper_args,
                }),
                findings: &[],
                taint,
                segment: &stage.segment,
                parts: &parts,
            };
            self.judge(&facts, &mut hits);
            for e in &stage.effects {
                if !effects.contains(e) && effects.len() < MAX_HITS * 4 {
                    effects.push(*e);
                }
            }
        }
        for found in &detailed.findings {
            let classes = [found.class.as_str()];
            let facts = Facts {
                method: Method::Exec,
                effects: &[],
                stage: None,
                findings: &classes,
                taint,
                segment: &found.segment,
                parts: &found.parts,
            };
            self.judge(&facts, &mut hits);
        }
        if detailed.stages.len() > 1 {
            // The whole line: its effects together, with each simple command's program and
            // arguments in turn (`gpg -c src && rm -rf src` is one encryption-then-delete).
            let all: Vec<usize> = detailed.stages.iter().map(|s| s.idx).collect();
            let segment = snippet(command);
            let before = hits.len();
            let views = detailed.stages.iter().map(|stage| {
                Some(StageView {
                    program: &stage.program,
                    args: &stage.args,
                    subcommand: self.programs.subcommand(&stage.program, &stage.args),
                    families: stage.families,
                    wrappers: &stage.wrappers,
                    wrapper_args: &stage.wrapper_args,
                })
            });
            for view in std::iter::once(None).chain(views) {
                let facts = Facts {
                    method: Method::Exec,
                    effects: &effects,
                    stage: view,
                    findings: &[],
                    taint,
                    segment: &segment,
                    parts: &all,
                };
                self.judge(&facts, &mut hits);
            }
            // A rule that already fired on one simple command is not repeated for the line.
            let mut i = before;
            while i < hits.len() {
                let rule = hits.get(i).map(|h| h.rule);
                if hits
                    .get(..before)
                    .is_some_and(|b| b.iter().any(|h| Some(h.rule) == rule))
                {
                    hits.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        keep_strictest(&mut hits);
        CommandInspection {
            analysis: detailed.analysis(),
            effects,
            hits,
            detailed,
        }
    }

    /// Whether `content` written into a place that runs it is itself dangerous, by `bar`:
    /// [`ArmedBar::Severe`] — read as a script, it reaches High or runs fetched, decoded,
    /// temporary or hidden code; [`ArmedBar::Network`] — that, or it fetches or sends across
    /// the network (a start-up file that downloads is armed; a CI workflow that downloads is
    /// ordinary).
    ///
    /// The content is read as a script, and each of its string literals as a command line
    /// (code that hands a shell `"curl … | sh"`); bounded to [`MAX_ARMED_LITERALS`] literals.
    pub fn content_is_armed(&self, content: &str, ctx: &Context, bar: ArmedBar) -> bool {
        let dangerous = |e: &Effect| {
            let network = matches!(e.verb, Verb::Fetch | Verb::Send)
                && (e.classes.has(Class::Egress) || e.classes.has(Class::Metadata));
            let runs = e.verb == Verb::Run
                && (e.classes.has(Class::Fetched)
                    || e.classes.has(Class::Temp)
                    || e.classes.has(Class::Hidden));
            runs || (bar == ArmedBar::Network && network)
        };
        let floor = match bar {
            ArmedBar::Severe => ExecTier::High,
            ArmedBar::Network => ExecTier::Medium,
        };
        let armed = |text: &str| {
            let inspection = self.inspect_command(text, ctx, Taint::NONE);
            inspection.tier() >= floor
                || inspection.analysis.tier >= floor
                || inspection.effects.iter().any(dangerous)
        };
        armed(content)
            || crate::code::string_literals(content)
                .iter()
                .take(MAX_ARMED_LITERALS)
                .filter(|l| l.contains(' '))
                .any(|l| armed(l))
    }

    /// Whether `content` (written to where packages come from: a registry config, a lock
    /// file, a requirements file) names a package source off the official registries.
    pub fn content_names_foreign_source(&self, content: &str) -> bool {
        content
            .split(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | '(' | ')' | '<' | '>')
            })
            .filter(|w| w.contains("://"))
            .take(MAX_ARMED_LITERALS)
            .filter_map(|w| self.classify_url(w))
            .any(|c| c.has(Class::Egress) && !c.has(Class::Registry))
    }

    /// Judges the effects of a call of another method (`fs`, `http`, `env`, a tool), with the
    /// call read as the command it stands for when given (`program`: `http`, `fs`, `env` or the
    /// tool's name; `args`: its method and targets, or the tool's flattened input), so argument
    /// rules apply to every method; `segment` names the call in the hits.
    pub fn judge_effects(
        &self,
        method: Method,
        effects: &[Effect],
        call: Option<(&str, &[String])>,
        taint: Taint,
        segment: &str,
    ) -> Vec<RuleHit> {
        let mut hits = Vec::new();
        let stage = call.map(|(program, args)| StageView {
            program,
            args,
            subcommand: self.programs.subcommand(program, args),
            families: self.programs.families_of(program),
            wrappers: &[],
            wrapper_args: &[],
        });
        let facts = Facts {
            method,
            effects,
            stage,
            findings: &[],
            taint,
            segment,
            parts: &[],
        };
        self.judge(&facts, &mut hits);
        keep_strictest(&mut hits);
        hits
    }
}

/// Sorts the strictest first and keeps at most [`MAX_HITS`].
fn keep_strictest(hits: &mut Vec<RuleHit>) {
    hits.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)));
    hits.truncate(MAX_HITS);
}
