//! `hostguard triage ALERTS.json`: the runbook's decision tree applied to every alert of an
//! exported alert artifact (DESIGN §7).
//!
//! The manager's `triage(&alert)` reads two facts from its live state: whether the extension is
//! quarantined, and how many policy denials it had in the last 60 s. Offline, both come from the
//! alert file itself — a `quarantine` alert of the extension at or before the alert, and the
//! policy denials of the file in the window — and every other branch is the manager's own.
//! (`hostguard run` also writes `triage.json`, triaged with the live manager.)

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;

use hostguard_manager::{
    ExtensionManager, IncidentSeverity, RunbookProcedure, SecurityAlert, SecurityAlertArtifact,
    SecurityAlertCategory, Triage, BURST_THRESHOLD, BURST_WINDOW_MS,
};

use crate::error::{read_json_file, CliError, CliResult, ExitKind};
use crate::ledger_cmd::to_json_pretty;

/// A policy denial as the decision tree counts it: a policy denial, or an exec-mediation deny.
fn is_policy_denial(alert: &SecurityAlert) -> bool {
    match alert.category {
        SecurityAlertCategory::PolicyDenial => true,
        SecurityAlertCategory::ExecMediation => alert.action_taken == "deny",
        SecurityAlertCategory::AnomalyDenial
        | SecurityAlertCategory::SecretBroker
        | SecurityAlertCategory::QuotaBreach
        | SecurityAlertCategory::Quarantine
        | SecurityAlertCategory::ProfileTransition => false,
    }
}

/// Triage of every alert, in file order, with the context reconstructed from the file.
pub fn triage_alerts(alerts: &[SecurityAlert]) -> CliResult<Vec<Triage>> {
    // A fresh manager: it knows no extension, so its answers are the context-free branches.
    let manager = ExtensionManager::builder()
        .build()
        .map_err(|e| CliError::finding(format!("cannot build the triage context: {e}")))?;
    let mut sorted: Vec<(usize, &SecurityAlert)> = alerts.iter().enumerate().collect();
    sorted.sort_by_key(|(i, a)| (a.ts_ms, a.sequence_id, *i));
    let mut quarantined: BTreeSet<String> = BTreeSet::new();
    let mut denials: BTreeMap<String, VecDeque<u64>> = BTreeMap::new();
    let mut out: Vec<Option<Triage>> = vec![None; alerts.len()];
    for (index, alert) in sorted {
        let ext = alert.extension_id.clone().unwrap_or_default();
        if alert.category == SecurityAlertCategory::Quarantine {
            quarantined.insert(ext.clone());
        }
        let triage = if quarantined.contains(&ext)
            && alert.category != SecurityAlertCategory::Quarantine
        {
            let critical = alert
                .reason_codes
                .iter()
                .any(|c| c == "exfiltration_shape" || c == "critical_exec_class");
            Triage {
                severity: if critical {
                    IncidentSeverity::P0
                } else {
                    IncidentSeverity::P1
                },
                procedure: RunbookProcedure::QuarantineInvestigation,
                reason: format!("extension `{ext}` is quarantined (an earlier quarantine alert)"),
            }
        } else if is_policy_denial(alert) {
            let window = denials.entry(ext.clone()).or_default();
            window.push_back(alert.ts_ms);
            while window
                .front()
                .is_some_and(|t| *t < alert.ts_ms.saturating_sub(BURST_WINDOW_MS))
            {
                window.pop_front();
            }
            let count = window.len();
            if count > BURST_THRESHOLD {
                Triage {
                    severity: IncidentSeverity::P1,
                    procedure: RunbookProcedure::BurstDenialTriage,
                    reason: format!(
                        "{count} policy denials from `{ext}` within 60 s (more than {BURST_THRESHOLD})"
                    ),
                }
            } else {
                manager.triage(alert)
            }
        } else {
            manager.triage(alert)
        };
        if let Some(slot) = out.get_mut(index) {
            *slot = Some(triage);
        }
    }
    Ok(out.into_iter().flatten().collect())
}

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
    let triage = triage_alerts(&artifact.alerts)?;
    if json {
        crate::outln!("{}", to_json_pretty(&triage)?)?;
    } else {
        crate::out!("{}", render(&artifact.alerts, &triage))?;
    }
    Ok(ExitKind::Ok)
}
