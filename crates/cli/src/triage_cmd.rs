//! `hostguard triage ALERTS.json`: the runbook's decision tree applied to every alert of an
//! exported alert artifact (docs/design.md §7).
//!
//! The decision tree is the manager's (`hostguard_manager::triage_alerts`): offline, the two
//! facts the live manager reads from its state — whether the extension is quarantined, and its
//! policy denials in the last 60 s — come from the alert file itself. (`hostguard run` also
//! writes `triage.json`, triaged with the live manager.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use hostguard_manager::{
    triage_alerts, IncidentSeverity, SecurityAlert, SecurityAlertArtifact, Triage,
};

use crate::error::{read_json_file, CliResult, ExitKind};
use crate::ledger_cmd::to_json_pretty;

/// One line per alert, then counts per severity.
pub fn render(alerts: &[SecurityAlert], triage: &[Triage]) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<IncidentSeverity, usize> = BTreeMap::new();
    for (alert, t) in alerts.iter().zip(triage) {
        *counts.entry(t.severity).or_default() += 1;
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
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    let _ = writeln!(
        out,
        "{} alerts triaged{}{}",
        triage.len(),
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
    let triage = triage_alerts(&artifact.alerts);
    if json {
        crate::outln!("{}", to_json_pretty(&triage)?)?;
    } else {
        crate::out!("{}", render(&artifact.alerts, &triage))?;
    }
    Ok(ExitKind::Ok)
}
