//! `hostguard triage ALERTS.json`: the runbook's decision tree applied to every alert of an
//! exported alert artifact (docs/design.md §7).
//!
//! The decision tree is the manager's (`hostguard_manager::triage_alerts`): the two facts the
//! live manager reads from its state — whether the extension is quarantined, and its policy
//! denials in the last 60 s — come from the alert file itself, as they stood when each alert
//! was raised. `hostguard run` and `hostguard demo` triage their alerts with the same function,
//! so `hostguard triage OUT/alerts.json --json` prints `OUT/triage.json` byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use hostguard_manager::{
    triage_alerts, IncidentSeverity, SecurityAlert, SecurityAlertArtifact, Triage,
};

use serde::Serialize;

use crate::error::{read_json_file, CliResult, ExitKind};
use crate::ledger_cmd::to_json_pretty;

/// One alert and its triage: an element of `triage.json` and of `triage --json`. The whole
/// alert is carried (its `ts_ms`, `sequence_id`, `extension_id`), so the answer joins back.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TriagedAlert {
    /// The alert.
    pub alert: SecurityAlert,
    /// The runbook's answer.
    pub triage: Triage,
}

/// Every alert of an artifact with its triage, in the artifact's order.
pub fn triage_artifact(alerts: Vec<SecurityAlert>) -> Vec<TriagedAlert> {
    let triage = triage_alerts(&alerts);
    alerts
        .into_iter()
        .zip(triage)
        .map(|(alert, triage)| TriagedAlert { alert, triage })
        .collect()
}

/// Alerts per triage severity.
pub fn severity_counts(triaged: &[TriagedAlert]) -> BTreeMap<IncidentSeverity, usize> {
    let mut counts: BTreeMap<IncidentSeverity, usize> = BTreeMap::new();
    for t in triaged {
        *counts.entry(t.triage.severity).or_default() += 1;
    }
    counts
}

/// One line per alert, then counts per severity.
pub fn render(triaged: &[TriagedAlert]) -> String {
    let mut out = String::new();
    for TriagedAlert { alert, triage: t } in triaged {
        let _ = writeln!(
            out,
            "#{:<4} [{}] {} {:<32} ext={} {}/{} — {}",
            alert.sequence_id,
            alert.ts_ms,
            t.severity,
            t.procedure.title(),
            alert.extension_id.as_deref().unwrap_or("-"),
            snake(&alert.category),
            snake(&alert.severity),
            t.reason
        );
    }
    let summary: Vec<String> = severity_counts(triaged)
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let _ = writeln!(
        out,
        "{} alerts triaged{}{}",
        triaged.len(),
        if summary.is_empty() { "" } else { " — " },
        summary.join(", ")
    );
    out
}

/// The serde (snake_case) name of a unit enum value.
pub fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `hostguard triage ALERTS.json [--json]`.
pub fn triage(file: &Path, json: bool) -> CliResult {
    let artifact: SecurityAlertArtifact = read_json_file(
        file,
        "a security alert artifact (`alerts.json` of `hostguard run`)",
    )?;
    let triaged = triage_artifact(artifact.alerts);
    if json {
        crate::outln!("{}", to_json_pretty(&triaged)?)?;
    } else {
        crate::out!("{}", render(&triaged))?;
    }
    Ok(ExitKind::Ok)
}
