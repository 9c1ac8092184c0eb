//! `hostguard rules list | explain ID | test COMMAND`: the detection catalog (`rules/*.toml`,
//! docs/detection.md) as an operator sees it — which rules exist, what one matches and why, and
//! which rules a command line (or any hostcall) fires, on which part of its parse.

use std::fmt::Write as _;

use hostguard_risk_core::Detector;
use hostguard_risk_core::{
    derive_capability, Catalog, Context, Effect, HostCall, Rule, RuleHit, Taint,
};
use serde::Serialize;
use serde_json::Value;

use crate::error::{CliError, CliResult, ExitKind};
use crate::ledger_cmd::to_json_pretty;

/// The built-in catalog; a catalog that does not load is a defect of this build (exit 1).
fn catalog() -> CliResult<&'static Catalog> {
    Catalog::builtin()
        .map_err(|e| CliError::finding(format!("the rule catalog does not load: {e}")))
}

/// One rule, as `list` and `explain` print it in JSON.
#[derive(Debug, Serialize)]
struct RuleView<'a> {
    id: &'a str,
    severity: String,
    attack: &'a [String],
    title: &'a str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fire: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pass: Option<Vec<String>>,
}

impl<'a> RuleView<'a> {
    fn brief(rule: &'a Rule) -> RuleView<'a> {
        RuleView {
            id: &rule.id,
            severity: rule.severity.to_string(),
            attack: &rule.attack,
            title: &rule.title,
            file: &rule.file,
            why: None,
            when: None,
            fire: None,
            pass: None,
        }
    }

    fn full(rule: &'a Rule) -> RuleView<'a> {
        let shown = |examples: &[hostguard_risk_core::Example]| {
            examples.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        RuleView {
            why: Some(&rule.why),
            when: Some(rule.conditions()),
            fire: Some(shown(&rule.fire)),
            pass: Some(shown(&rule.pass)),
            ..RuleView::brief(rule)
        }
    }
}

/// `hostguard rules list [--json]`: every rule, one line each.
pub fn list(json: bool) -> CliResult {
    let catalog = catalog()?;
    if json {
        let views: Vec<RuleView<'_>> = catalog.rules().iter().map(RuleView::brief).collect();
        crate::outln!("{}", to_json_pretty(&views)?)?;
        return Ok(ExitKind::Ok);
    }
    let mut out = String::new();
    for rule in catalog.rules() {
        let _ = writeln!(
            out,
            "{:<48} {:<8} {:<28} {}",
            rule.id,
            rule.severity.to_string(),
            rule.attack.join(","),
            rule.title
        );
    }
    let _ = writeln!(
        out,
        "{} rules (hostguard rules explain ID)",
        catalog.rules().len()
    );
    crate::out!("{out}")?;
    Ok(ExitKind::Ok)
}

/// `hostguard rules explain ID [--json]`: what the rule matches, why, and its examples. An
/// unknown id is bad input, with the ids that contain it.
pub fn explain(id: &str, json: bool) -> CliResult {
    let catalog = catalog()?;
    let Some(rule) = catalog.rule(id) else {
        let near: Vec<&str> = catalog
            .rules()
            .iter()
            .map(|r| r.id.as_str())
            .filter(|r| r.contains(id) || id.contains(r.rsplit('.').next().unwrap_or(r)))
            .take(8)
            .collect();
        let hint = if near.is_empty() {
            "see `hostguard rules list`".to_owned()
        } else {
            format!("did you mean {}?", near.join(", "))
        };
        return Err(CliError::input(format!("no rule `{id}`: {hint}")));
    };
    let view = RuleView::full(rule);
    if json {
        crate::outln!("{}", to_json_pretty(&view)?)?;
        return Ok(ExitKind::Ok);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}  ({}, rules/{})", rule.id, rule.severity, rule.file);
    let _ = writeln!(out, "  {}", rule.title);
    let _ = writeln!(out, "  ATT&CK: {}", rule.attack.join(", "));
    let _ = writeln!(
        out,
        "  why: {}",
        rule.why.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let _ = writeln!(out, "  fires when any of:");
    for c in view.when.iter().flatten() {
        let _ = writeln!(out, "    - {c}");
    }
    for (label, examples) in [("fires on", &view.fire), ("passes", &view.pass)] {
        let _ = writeln!(out, "  {label}:");
        for e in examples.iter().flatten() {
            let _ = writeln!(out, "    {e}");
        }
    }
    crate::out!("{out}")?;
    Ok(ExitKind::Ok)
}

/// What `rules test` judges: a command line, or a hostcall of any method.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A command line (an `exec` call).
    Command(String),
    /// A hostcall as JSON: `{"method": …, "params": {…}}`.
    Call(String),
}

/// The arguments of `hostguard rules test`.
#[derive(Debug, Clone)]
pub struct TestArgs {
    /// What to judge.
    pub subject: Subject,
    /// The workspace root (absolute).
    pub workspace: Option<String>,
    /// What the extension did before (`secret`, `download`).
    pub after: Vec<String>,
    /// Print JSON.
    pub json: bool,
}

/// One simple command of the parse and what it does.
#[derive(Debug, Serialize)]
struct PartView {
    segment: String,
    effects: Vec<String>,
}

/// One rule that fired, and on which part.
#[derive(Debug, Serialize)]
struct HitView {
    rule: String,
    severity: String,
    attack: Vec<String>,
    title: String,
    on: String,
}

/// The judgement `rules test` prints.
#[derive(Debug, Serialize)]
struct TestReport {
    subject: String,
    workspace: Option<String>,
    after: Vec<String>,
    parts: Vec<PartView>,
    effects: Vec<String>,
    hits: Vec<HitView>,
    strictest: Option<String>,
}

/// `hostguard rules test COMMAND | --call JSON [--workspace DIR] [--after secret|download]
/// [--json]`: the parse, the effects of each part, and every rule that fires, with the part it
/// fired on. Exit 1 when a rule fires, 0 when none does, 2 on bad input.
pub fn test(args: &TestArgs) -> CliResult {
    let context = match args.workspace.as_deref() {
        Some(ws) => Context::with_workspace(ws).ok_or_else(|| {
            CliError::input(format!(
                "--workspace `{ws}`: expected an absolute directory"
            ))
        })?,
        None => Context::new(),
    };
    let taint = taint_of(&args.after)?;
    let detector = Detector::builtin(context)
        .map_err(|e| CliError::finding(format!("the rule catalog does not load: {e}")))?;
    let report = match &args.subject {
        Subject::Command(line) => judge_command(&detector, line, taint),
        Subject::Call(json) => judge_call(&detector, json, taint)?,
    };
    let report = TestReport {
        workspace: args.workspace.clone(),
        after: args.after.clone(),
        ..report
    };
    if args.json {
        crate::outln!("{}", to_json_pretty(&report)?)?;
    } else {
        crate::out!("{}", render(&report))?;
    }
    Ok(if report.hits.is_empty() {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

fn taint_of(names: &[String]) -> CliResult<Taint> {
    names.iter().try_fold(Taint::NONE, |t, name| {
        Taint::NAMED
            .iter()
            .find(|(_, n)| *n == name.as_str())
            .map(|(flag, _)| t.with(*flag))
            .ok_or_else(|| {
                let known: Vec<&str> = Taint::NAMED.iter().map(|(_, n)| *n).collect();
                CliError::input(format!(
                    "--after `{name}`: expected one of {}",
                    known.join(", ")
                ))
            })
    })
}

fn judge_command(detector: &Detector, line: &str, taint: Taint) -> TestReport {
    let catalog = detector.catalog();
    let inspection = catalog.inspect_command(line, detector.context(), taint);
    let parts = inspection
        .stages()
        .map(|(segment, effects)| PartView {
            segment: segment.to_owned(),
            effects: effects.iter().map(ToString::to_string).collect(),
        })
        .collect();
    report(
        catalog,
        line.to_owned(),
        parts,
        &inspection.effects,
        &inspection.hits,
    )
}

fn judge_call(detector: &Detector, json: &str, taint: Taint) -> CliResult<TestReport> {
    let bad = |m: String| CliError::input(format!("--call: {m}"));
    let value: Value =
        serde_json::from_str(json).map_err(|e| bad(format!("expected JSON: {e}")))?;
    let method = value
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("expected a string `method`".into()))?;
    let params = match value.get("params") {
        Some(Value::Object(p)) => p.clone(),
        _ => return Err(bad("expected an object `params`".into())),
    };
    let capability = derive_capability(method, &params).map_err(|e| bad(e.to_string()))?;
    let call = HostCall::new("ext", "test", method, Value::Object(params));
    let detection = detector.inspect(&call, capability, taint);
    let catalog = detector.catalog();
    let mut parts: Vec<PartView> = detection
        .commands
        .iter()
        .flat_map(|(_, inspection)| inspection.stages())
        .map(|(segment, effects)| PartView {
            segment: segment.to_owned(),
            effects: effects.iter().map(ToString::to_string).collect(),
        })
        .collect();
    if parts.is_empty() {
        parts.push(PartView {
            segment: method.to_owned(),
            effects: detection.effects.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(report(
        catalog,
        json.to_owned(),
        parts,
        &detection.effects,
        &detection.hits,
    ))
}

fn report(
    catalog: &Catalog,
    subject: String,
    parts: Vec<PartView>,
    effects: &[Effect],
    hits: &[RuleHit],
) -> TestReport {
    let strictest = hits.iter().map(|h| h.severity).max().map(|s| s.to_string());
    let views: Vec<HitView> = hits
        .iter()
        .filter_map(|h| {
            let rule = catalog.rules().get(h.rule)?;
            Some(HitView {
                rule: rule.id.clone(),
                severity: h.severity.to_string(),
                attack: rule.attack.clone(),
                title: rule.title.clone(),
                on: h.segment.clone(),
            })
        })
        .collect();
    TestReport {
        subject,
        workspace: None,
        after: Vec::new(),
        parts,
        effects: effects.iter().map(ToString::to_string).collect(),
        strictest,
        hits: views,
    }
}

fn render(r: &TestReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", r.subject);
    if let Some(ws) = &r.workspace {
        let _ = writeln!(out, "  workspace: {ws}");
    }
    if !r.after.is_empty() {
        let _ = writeln!(out, "  after: {}", r.after.join(", "));
    }
    for (i, part) in r.parts.iter().enumerate() {
        let _ = writeln!(out, "  [{}] {}", i + 1, part.segment);
        let effects = if part.effects.is_empty() {
            "(no effect)".to_owned()
        } else {
            part.effects.join("  ")
        };
        let _ = writeln!(out, "      {effects}");
    }
    if r.hits.is_empty() {
        let _ = writeln!(out, "no rule fires");
        return out;
    }
    for h in &r.hits {
        let _ = writeln!(
            out,
            "  {:<8} {}  [{}]  {}",
            h.severity.to_uppercase(),
            h.rule,
            h.attack.join(","),
            h.title
        );
        let _ = writeln!(out, "           on `{}`", h.on);
    }
    let _ = writeln!(
        out,
        "{} rule(s) fire; strictest {}",
        r.hits.len(),
        r.strictest.as_deref().unwrap_or("-")
    );
    out
}
