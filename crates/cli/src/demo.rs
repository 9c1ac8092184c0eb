//! `hostguard demo`: the README's main job — an embedded, realistic incident driven end to end
//! through the manager, with no input needed.
//!
//! Two extensions share a host: `code-helper` (a coding agent: cargo, git, localhost http) and
//! `theme-pack` (looks like a theme; does recon, reads an AWS secret, tries to exfiltrate it,
//! pipes a script to a shell and runs `rm -rf ~`). The operator advances the rollout to
//! `enforce_all`, pulls the kill switch on `theme-pack`, and later flags two blocks of
//! `code-helper` as false positives — which trips the rollback trigger and sends the rollout
//! back to shadow. The demo prints the timeline, writes every artifact, builds and verifies an
//! evidence bundle, and triages every alert. The stream is `src/demo/incident.jsonl`, also
//! written to the output folder so `hostguard run` can replay it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    verify_incident_evidence_bundle, ExtensionManager, IncidentBundleFilter,
    IncidentBundleRedactionPolicy, IncidentBundleVerificationReport, IncidentEvidenceBundle,
};
use hostguard_manager::{
    verify_runtime_risk_ledger_artifact, EnforcementState, IncidentSeverity, PolicyProfile,
    RolloutPhase, RuntimeRiskConfig, RuntimeRiskLedgerVerificationReport,
};
use serde::Serialize;
use serde_json::Value;

use crate::bundle_cmd::render_summary;
use crate::drive::{Driver, GateOptions, VerdictLine};
use crate::error::{write_artifact, CliError, CliResult, ExitKind};
use crate::events::{Event, EventReader, HostcallEvent, OperatorAction};
use crate::ledger_cmd::to_json_pretty;
use crate::out_dir::names;
use crate::run_cmd::write_artifacts;
use crate::run_summary::RolloutEnd;

/// The embedded incident stream.
pub const INCIDENT_STREAM: &str = include_str!("demo/incident.jsonl");

/// The demo's salt seed: the demo's data is invented, and a fixed seed makes its output (and
/// its snapshot test) byte-stable. Never do this with real data (see `run --help`).
const DEMO_SALT_SEED: u64 = 2041;

/// `hostguard demo [--out DIR]`: prints the report, returns exit 0 when the ledger and the
/// bundle verify (1 otherwise).
pub fn demo(out: &Path, force: bool, json: bool) -> CliResult {
    let mut writes = names::RUN_WRITES.to_vec();
    writes.extend([names::BUNDLE, names::EVENTS]);
    crate::out_dir::prepare(out, force, &[], &writes)?;
    let report = run_demo(out)?;
    let stale = crate::out_dir::remove_stale(out, &report.summary.written, &[])?;
    crate::out_dir::report(out, &stale);
    if json {
        crate::outln!("{}", to_json_pretty(&report.summary)?)?;
    } else {
        crate::out!("{}", report.text)?;
    }
    Ok(if report.verified {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

/// The demo's printed report and whether everything verified.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Everything the demo prints.
    pub text: String,
    /// Ledger and bundle verified.
    pub verified: bool,
    /// What `demo --json` prints.
    pub summary: DemoSummary,
}

/// The demo's outcome as one JSON document (`hostguard.demo_summary.v1`, docs/cli-json.md).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DemoSummary {
    /// `hostguard.demo_summary.v1`.
    pub schema: &'static str,
    /// The output folder.
    pub out: String,
    /// The policy profile the demo runs under (`--profile` to re-run its stream alike).
    pub profile: PolicyProfile,
    /// Ledger and bundle verified.
    pub verified: bool,
    /// Hostcalls decided.
    pub hostcalls: u64,
    /// Hostcalls blocked.
    pub blocked: u64,
    /// Hostcalls that prompted.
    pub prompted: u64,
    /// The rollout at the end.
    pub rollout: RolloutEnd,
    /// Entries of `ledger.json`.
    pub ledger_entries: u64,
    /// The ledger's hash chain verifies.
    pub ledger_valid: bool,
    /// `bundle.json` verifies.
    pub bundle_valid: bool,
    /// Alerts per triage severity (`P0`..`P3`), as `hostguard triage OUT/alerts.json` counts.
    pub triage: BTreeMap<IncidentSeverity, usize>,
    /// The files written to the output folder.
    pub written: Vec<&'static str>,
}

/// Runs the demo, writing artifacts to `out`; returns the report text.
pub fn run_demo(out: &Path) -> CliResult<DemoReport> {
    let source = PathBuf::from("demo/incident.jsonl");
    let mut events = Vec::new();
    for item in EventReader::new(&source, Cursor::new(INCIDENT_STREAM.as_bytes())) {
        events.push(item?);
    }
    let start_ms = events.first().map_or(0, |(_, e)| e.ts_ms());
    let mut driver = Driver::new(&demo_options(start_ms))?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "hostguard demo — two extensions, one incident (policy profile permissive: every\n\
         capability granted; the risk model, exec mediation and quotas still decide)\n"
    );
    let _ = writeln!(text, "timeline (t+ from the first event):");
    let verdicts = play_timeline(&mut driver, &source, &events, start_ms, &mut text)?;

    std::fs::create_dir_all(out).map_err(|e| CliError::out_dir(out, &e))?;
    write_artifact(&out.join(names::EVENTS), INCIDENT_STREAM.as_bytes())?;
    let mut verdict_lines = String::new();
    for v in &verdicts {
        let json = serde_json::to_string(v)
            .map_err(|e| CliError::finding(format!("cannot render a verdict: {e}")))?;
        verdict_lines.push_str(&json);
        verdict_lines.push('\n');
    }
    write_artifact(&out.join(names::VERDICTS), verdict_lines.as_bytes())?;
    let mut written = write_artifacts(&driver.manager, out)?;
    let checks = verify_and_bundle(&driver.manager, out)?;
    written.push(names::BUNDLE);
    written.push(names::EVENTS);
    let triaged = crate::triage_cmd::triage_artifact(driver.manager.security_alerts());
    render_closing(&mut text, &driver, &checks, &triaged, (&written, out));
    let verified = checks.ledger_report.valid && checks.bundle_report.valid;
    let rollout = driver.manager.rollout_state();
    let summary = DemoSummary {
        schema: "hostguard.demo_summary.v1",
        out: out.display().to_string(),
        profile: PolicyProfile::Permissive,
        verified,
        hostcalls: driver.calls,
        blocked: driver.blocked,
        prompted: driver.prompted,
        rollout: RolloutEnd {
            phase: rollout.phase,
            rolled_back_from: rollout.rolled_back_from,
        },
        ledger_entries: checks.ledger_entries as u64,
        ledger_valid: checks.ledger_report.valid,
        bundle_valid: checks.bundle_report.valid,
        triage: crate::triage_cmd::severity_counts(&triaged),
        written,
    };
    Ok(DemoReport {
        text,
        verified,
        summary,
    })
}

/// The gate the demo drives: risk model on, permissive policy, rollout in shadow, fixed salts.
fn demo_options(start_ms: u64) -> GateOptions {
    GateOptions {
        risk: RuntimeRiskConfig {
            enabled: true,
            ..RuntimeRiskConfig::default()
        },
        profile: PolicyProfile::Permissive,
        phase: RolloutPhase::Shadow,
        unsafe_fixed_salt_seed: Some(DEMO_SALT_SEED),
        start_ms,
        workspace: None,
        ledger_file: None,
        checkpoint_key: None,
        guarded: Vec::new(),
        ledger_fsync: crate::drive::LEDGER_FILE_FSYNC,
        home: None,
    }
}

/// Applies every event in order, writing one timeline line each (plus state transitions and
/// automatic rollbacks); returns the hostcalls' verdicts.
fn play_timeline(
    driver: &mut Driver,
    source: &Path,
    events: &[(usize, Event)],
    start_ms: u64,
    text: &mut String,
) -> CliResult<Vec<VerdictLine>> {
    let mut verdicts = Vec::new();
    for (line, event) in events {
        let before_state = match event {
            Event::Hostcall(call) => driver.manager.enforcement_state(&call.extension_id),
            Event::Operator(_) => None,
        };
        let before_rollout = driver.manager.rollout_state();
        let verdict = driver.apply(source, *line, event)?;
        let offset = event.ts_ms().saturating_sub(start_ms);
        match (event, &verdict) {
            (Event::Hostcall(call), Some(v)) => {
                let _ = writeln!(text, "{}", call_line(offset, call, v));
                let after = driver.manager.enforcement_state(&call.extension_id);
                if let Some(note) = transition_note(&call.extension_id, before_state, after) {
                    let _ = writeln!(text, "{:>12} {note}", "");
                }
                verdicts.push(v.clone());
            }
            (Event::Operator(op), _) => {
                let _ = writeln!(text, "{}", operator_line(offset, &op.action, driver));
            }
            (Event::Hostcall(_), None) => {}
        }
        let after_rollout = driver.manager.rollout_state();
        if after_rollout.rolled_back_from.is_some()
            && after_rollout.transition_count != before_rollout.transition_count
        {
            let stats = &after_rollout.window_stats;
            let _ = writeln!(
                text,
                "{:>12} ⟲ AUTOMATIC ROLLBACK {} → {}: {} false positives in {} decisions (trigger: more than 5%)",
                "",
                before_rollout.phase,
                after_rollout.phase,
                stats.false_positive_count,
                stats.total_decisions
            );
        }
    }
    Ok(verdicts)
}

/// What the demo verified after the run.
struct Checks {
    ledger_entries: usize,
    ledger_report: RuntimeRiskLedgerVerificationReport,
    bundle: IncidentEvidenceBundle,
    bundle_report: IncidentBundleVerificationReport,
}

/// Runbook Procedure 5, step 1, and Procedure 6, steps 1–6: verifies the ledger, builds the
/// evidence bundle (external redaction), verifies it and writes it to `out/bundle.json`.
fn verify_and_bundle(m: &ExtensionManager, out: &Path) -> CliResult<Checks> {
    let ledger = m.runtime_risk_ledger_artifact();
    let ledger_report = verify_runtime_risk_ledger_artifact(&ledger);
    // The manager's convenience adds the rollout snapshot and trust / kill-switch state (the
    // checklist's items 7 and 8) to the runbook's nine-argument build.
    let bundle = m.incident_evidence_bundle(
        &IncidentBundleFilter::default(),
        &IncidentBundleRedactionPolicy::external(),
    );
    let bundle_report = verify_incident_evidence_bundle(&bundle);
    let mut bundle_json = to_json_pretty(&bundle)?;
    bundle_json.push('\n');
    write_artifact(&out.join(names::BUNDLE), bundle_json.as_bytes())?;
    Ok(Checks {
        ledger_entries: ledger.entries.len(),
        ledger_report,
        bundle,
        bundle_report,
    })
}

/// The report's end: verdict counts, the ledger check, the bundle summary, the triage of every
/// alert, and what was written where.
fn render_closing(
    text: &mut String,
    driver: &Driver,
    checks: &Checks,
    triaged: &[crate::triage_cmd::TriagedAlert],
    (written, out): (&[&str], &Path),
) {
    let m = &driver.manager;
    let rollout = m.rollout_state();
    let _ = writeln!(
        text,
        "\nverdicts: {} hostcalls, {} blocked, {} prompted; rollout now `{}`{}; trust of theme-pack: {}",
        driver.calls,
        driver.blocked,
        driver.prompted,
        rollout.phase,
        crate::run_summary::rolled_back(rollout.rolled_back_from),
        m.trust_state("theme-pack")
    );
    let _ = writeln!(
        text,
        "ledger: {} entries, chain {} (runbook Procedure 5 step 1)",
        checks.ledger_entries,
        if checks.ledger_report.valid {
            "valid"
        } else {
            "INVALID"
        }
    );
    let _ = writeln!(
        text,
        "\nevidence bundle (runbook Procedure 6, external redaction):"
    );
    for line in render_summary(&checks.bundle, &checks.bundle_report).lines() {
        let _ = writeln!(text, "  {line}");
    }
    let _ = writeln!(text, "\ntriage of every alert (runbook decision tree):");
    // Triaged as `hostguard triage` triages the alerts file, so the follow-up command agrees.
    for line in crate::triage_cmd::render(triaged).lines() {
        let _ = writeln!(text, "  {line}");
    }
    let dir = out.display();
    let _ = writeln!(
        text,
        "\nwrote {dir}/{{{}}}\nnext: hostguard ledger verify {dir}/ledger.json · hostguard ledger replay {dir}/ledger.json\n      hostguard bundle verify {dir}/bundle.json · hostguard triage {dir}/alerts.json\n      hostguard run --events {dir}/events.jsonl --profile permissive --out rerun   (the demo's policy profile)",
        written.join(", ")
    );
}

fn call_line(offset_ms: u64, call: &HostcallEvent, v: &VerdictLine) -> String {
    let capability = call.derived.map_or("?", |c| c.as_str());
    let verdict = if v.blocked {
        format!("BLOCK  {} ({})", v.state, v.reason_code)
    } else if v.action == hostguard_manager::VerdictAction::Prompt {
        format!("prompt {}", v.state)
    } else {
        "allow".to_owned()
    };
    format!(
        "{} {:<12} {:<7} {:<46} {verdict}",
        clock(offset_ms),
        call.extension_id,
        capability,
        truncate(&summary(call), 46)
    )
}

fn operator_line(offset_ms: u64, action: &OperatorAction, driver: &Driver) -> String {
    let what = match action {
        OperatorAction::KillSwitch {
            extension_id,
            reason,
        } => format!("KILL SWITCH on `{extension_id}` ({reason})"),
        OperatorAction::LiftKillSwitch {
            extension_id,
            reason,
        } => format!("kill switch lifted on `{extension_id}` ({reason})"),
        OperatorAction::SetRolloutPhase { phase } => format!("set rollout phase `{phase}`"),
        OperatorAction::AdvanceRollout => format!(
            "advance rollout → `{}`",
            driver.manager.rollout_state().phase
        ),
        OperatorAction::MarkFalsePositive { call_id } => {
            format!("flag `{call_id}` as a false positive")
        }
        OperatorAction::ResolvePrompt { call_id, approved } => format!(
            "{} the prompt of `{call_id}`",
            if *approved { "approve" } else { "refuse" }
        ),
    };
    format!("{} {:<12} {what}", clock(offset_ms), "operator")
}

fn transition_note(
    ext: &str,
    before: Option<EnforcementState>,
    after: Option<EnforcementState>,
) -> Option<String> {
    let before = before.unwrap_or(EnforcementState::Allow);
    let after = after?;
    if after == before {
        return None;
    }
    Some(if after == EnforcementState::Terminate {
        format!("■ QUARANTINE: `{ext}` {before} → {after} (3 consecutive unsafe evaluations)")
    } else if after > before {
        format!("▲ escalation: `{ext}` {before} → {after}")
    } else {
        format!("▼ de-escalation: `{ext}` {before} → {after}")
    })
}

/// What the call does, in a few words.
fn summary(call: &HostcallEvent) -> String {
    let p = &call.params;
    let s = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match call.method.as_str() {
        "exec" => {
            let mut line = s("command");
            if let Some(Value::Array(args)) = p.get("args") {
                for a in args {
                    line.push(' ');
                    line.push_str(a.as_str().unwrap_or_default());
                }
            }
            line
        }
        "env" => s("name"),
        "http" => format!("{} {}", s("method"), s("url")),
        // The capability column already says read / write; name other ops.
        "fs" if matches!(s("op").as_str(), "read" | "write") => s("path"),
        "fs" => format!("{} {}", s("op"), s("path")),
        "ui" => s("text"),
        "tool" => s("name"),
        _ => String::new(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn clock(offset_ms: u64) -> String {
    format!(
        "t+{:02}:{:02}.{:03}",
        offset_ms / 60_000,
        (offset_ms / 1_000) % 60,
        offset_ms % 1_000
    )
}
