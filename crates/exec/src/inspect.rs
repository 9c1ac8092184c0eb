//! Inspection: a command line (or the effects of any other hostcall) judged by the rule
//! catalog. A command is parsed once; every simple command yields its effects and is judged
//! with its program and arguments; every exec classifier finding is judged through the
//! catalog's finding rules; and the whole line's effects are judged together (a secret read
//! in one stage and a send in another is one exfiltration).

use crate::catalog::{Catalog, Facts, Method, RuleHit, StageView, Taint};
use crate::classes::Effect;
use crate::classify::{analyze_with, snippet, CommandAnalysis, Detailed};
use crate::paths::Context;
use crate::ExecTier;

/// Most hits kept per call.
pub const MAX_HITS: usize = 64;

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

    /// Judges the effects of a call of another method (`fs`, `http`, `env`, a tool):
    /// `segment` names the call in the hits.
    pub fn judge_effects(
        &self,
        method: Method,
        effects: &[Effect],
        taint: Taint,
        segment: &str,
    ) -> Vec<RuleHit> {
        let mut hits = Vec::new();
        let facts = Facts {
            method,
            effects,
            stage: None,
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
