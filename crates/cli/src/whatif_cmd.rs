//! `hostguard what-if`: replays one stream under a baseline config and a new one, side by side
//! in one pass (constant memory), and lists every verdict that changes; with labels, the false
//! positives and false negatives before and after (docs/design.md §8).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    CliOverrides, EnforcementState, PolicyProfile, RolloutPhase, VerdictAction,
};
use serde::Serialize;

use crate::config_cmd;
use crate::drive::{Driver, VerdictLine};
use crate::error::{CliError, CliResult, ExitKind};
use crate::events::EventReader;
use crate::labels::{Detection, Judge, TraceLabels};
use crate::ledger_cmd::to_json_pretty;
use crate::run_cmd::{gate_options, progress_bar, GateSpec};

/// What `what-if` was asked.
#[derive(Debug, Clone)]
pub struct WhatIfArgs {
    /// The stream.
    pub events: PathBuf,
    /// The new config.
    pub config: PathBuf,
    /// The baseline config (defaults when absent).
    pub baseline: Option<PathBuf>,
    /// Labels of the stream.
    pub labels: Option<PathBuf>,
    /// The policy profile of both runs.
    pub profile: PolicyProfile,
    /// The starting phase of both runs.
    pub phase: RolloutPhase,
    /// The workspace root of both runs.
    pub workspace: Option<String>,
    /// Print `hostguard.what_if.v1` instead of the human report.
    pub json: bool,
}

/// What `what-if` found (`hostguard.what_if.v1` with `--json`, docs/cli-json.md).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WhatIfReport {
    /// `hostguard.what_if.v1`.
    pub schema: &'static str,
    /// The stream.
    pub events: String,
    /// The baseline config file; absent for the defaults.
    pub baseline: Option<String>,
    /// The new config file.
    pub config: String,
    /// Hostcalls decided (by each run).
    pub verdicts: u64,
    /// Every verdict that changes, in stream order.
    pub changes: Vec<VerdictChange>,
    /// With `--labels`: detection before and after.
    pub detection: Option<DetectionChange>,
}

/// One verdict that changes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VerdictChange {
    /// The stream line (1-based).
    pub line: usize,
    /// The call.
    pub call_id: String,
    /// Its extension.
    pub extension_id: String,
    /// Under the baseline.
    pub before: VerdictSide,
    /// Under the new config.
    pub after: VerdictSide,
}

/// One side of a change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VerdictSide {
    /// allow | prompt | block.
    pub action: VerdictAction,
    /// The enforcement state after the decision.
    pub state: EnforcementState,
    /// The stable reason code.
    pub reason_code: String,
    /// Why, one human line.
    pub reason: String,
}

impl From<&VerdictLine> for VerdictSide {
    fn from(v: &VerdictLine) -> VerdictSide {
        VerdictSide {
            action: v.action,
            state: v.state,
            reason_code: v.reason_code.clone(),
            reason: v.reason.clone(),
        }
    }
}

/// Detection against labels, before and after.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DetectionChange {
    /// Under the baseline.
    pub before: Detection,
    /// Under the new config.
    pub after: Detection,
}

/// `hostguard what-if`.
pub fn what_if(args: &WhatIfArgs) -> CliResult {
    refuse_env_overrides(args)?;
    // Both gates read the stream, and its first timestamp is read before: a pipe would be
    // consumed by the first reader.
    if std::fs::metadata(&args.events).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Err(CliError::input(format!(
            "`{}` is not a regular file: what-if reads the stream more than once; save it to a file first",
            args.events.display()
        )));
    }
    let none = CliOverrides::default();
    let spec = GateSpec {
        config: args.baseline.as_deref(),
        overrides: &none,
        profile: args.profile,
        phase: args.phase,
        seed: None,
        workspace: args.workspace.as_deref(),
    };
    let before_opts = gate_options(&args.events, &spec)?;
    let after_opts = gate_options(
        &args.events,
        &GateSpec {
            config: Some(&args.config),
            ..spec
        },
    )?;
    let labels = args.labels.as_deref().map(TraceLabels::read).transpose()?;
    let mut before = Driver::new(&before_opts)?;
    let mut after = Driver::new(&after_opts)?;
    let mut judges = labels.as_ref().map(|l| (Judge::new(l), Judge::new(l)));
    let mut changes = Vec::new();
    let progress = progress_bar(&args.events)?;
    for item in EventReader::open(&args.events)? {
        let (line, event) = item?;
        if let Some(p) = &progress {
            p.set_position(line as u64);
        }
        let b = before.apply(&args.events, line, &event)?;
        let a = after.apply(&args.events, line, &event)?;
        let (Some(b), Some(a)) = (b, a) else {
            continue;
        };
        if let Some((jb, ja)) = &mut judges {
            jb.observe(&b);
            ja.observe(&a);
        }
        if b.blocked != a.blocked || b.state != a.state || b.action != a.action {
            changes.push(VerdictChange {
                line,
                call_id: b.call_id.clone(),
                extension_id: b.extension_id.clone(),
                before: VerdictSide::from(&b),
                after: VerdictSide::from(&a),
            });
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let (Some((judge, _)), Some(file)) = (&judges, &args.labels) {
        labels_match(judge, file, &args.events)?;
    }
    let report = WhatIfReport {
        schema: "hostguard.what_if.v1",
        events: args.events.display().to_string(),
        baseline: args.baseline.as_ref().map(|p| p.display().to_string()),
        config: args.config.display().to_string(),
        verdicts: before.calls,
        changes,
        detection: judges.map(|(jb, ja)| DetectionChange {
            before: jb.finish(),
            after: ja.finish(),
        }),
    };
    if args.json {
        crate::outln!("{}", to_json_pretty(&report)?)?;
    } else {
        crate::out!("{}", report.render())?;
    }
    Ok(ExitKind::Ok)
}

impl WhatIfReport {
    /// The human report.
    pub fn render(&self) -> String {
        let mut out = format!(
            "what-if `{}`: baseline {} → new `{}`\n",
            self.events,
            self.baseline
                .as_ref()
                .map_or_else(|| "defaults".to_owned(), |p| format!("`{p}`")),
            self.config
        );
        for c in &self.changes {
            let _ = writeln!(
                out,
                "line {}: {} ext={}: {} ({}) → {} ({}): {}",
                c.line,
                c.call_id,
                c.extension_id,
                c.before.action,
                c.before.state,
                c.after.action,
                c.after.state,
                c.after.reason
            );
        }
        let _ = writeln!(
            out,
            "{} of {} verdicts change",
            self.changes.len(),
            self.verdicts
        );
        if let Some(d) = &self.detection {
            let _ = writeln!(out, "{}", detection_line("before", &d.before));
            let _ = writeln!(out, "{}", detection_line("after ", &d.after));
        }
        out
    }
}

/// The environment layers over a config file (docs/design.md §3): a `HOSTGUARD_RISK_*` variable
/// that overrides a field the compared files set would replace the very value under test, and
/// the report would say nothing changes. Refuse instead of answering another question.
fn refuse_env_overrides(args: &WhatIfArgs) -> CliResult<()> {
    for file in std::iter::once(&args.config).chain(args.baseline.as_ref()) {
        let overridden = config_cmd::env_overrides_of_file(file)?;
        if !overridden.is_empty() {
            let list: Vec<String> = overridden
                .iter()
                .map(|(field, var)| format!("`{field}` by {var}"))
                .collect();
            return Err(CliError::input(format!(
                "{}: the environment overrides what this config sets ({}): what-if would not compare the config files; unset the variable(s)",
                file.display(),
                list.join(", ")
            )));
        }
    }
    Ok(())
}

/// Labels of another stream would count every call they name as missed: refused (exit 2) when
/// the stream made none of the labelled extensions' calls or not every harmful call.
fn labels_match(judge: &Judge, labels: &Path, events: &Path) -> CliResult<()> {
    let absent = judge.absent_harmful();
    if judge.saw_a_labelled_extension() && absent.is_empty() {
        return Ok(());
    }
    let why = if judge.saw_a_labelled_extension() {
        let shown: Vec<&str> = absent.iter().take(8).map(String::as_str).collect();
        format!("harmful call ids not in the stream: {}", shown.join(", "))
    } else {
        "no call of an extension they name is in the stream".to_owned()
    };
    Err(CliError::input(format!(
        "labels `{}` are not the labels of `{}`: {why}",
        labels.display(),
        events.display()
    )))
}

/// `before: FP 0 (of 120 benign calls), FN 1 (of 3 harmful: tp-9)`.
pub fn detection_line(name: &str, d: &Detection) -> String {
    let mut line = format!(
        "{name}: false positives {} (of {} benign calls), false negatives {} (of {} harmful calls)",
        d.false_positives.len(),
        d.benign_calls,
        d.false_negatives.len(),
        d.harmful_total
    );
    if !d.false_negatives.is_empty() {
        let _ = write!(line, ": missed {}", d.false_negatives.join(", "));
    }
    if d.unlabelled_calls > 0 {
        let _ = write!(
            line,
            "; {} calls of extensions the labels do not name, not judged",
            d.unlabelled_calls
        );
    }
    line
}
