//! `hostguard export --format ocsf|jsonl SOURCE`: the alerts and gate decisions of a run, one
//! JSON object per line on stdout, for a security pipeline (SIEM) — OCSF events, or our own
//! flat `hostguard.export.v1` lines (`docs/export-format.md`).
//!
//! SOURCE is a run folder (`ledger.json` and `alerts.json`) or a ledger file (artifact or
//! durable JSONL). The ledger is verified first, exactly as `hostguard ledger verify` does; one
//! that does not verify is refused (exit 1, every error, nothing on stdout): unverified
//! evidence is never exported as if it were sound. Export adds nothing the ledger and the
//! alerts do not hold.

mod jsonl;
mod ocsf;
mod records;

use std::path::Path;

use hostguard_manager::{
    verify_runtime_risk_ledger_artifact, RuntimeRiskLedgerArtifact, SecurityAlertArtifact,
};

use crate::error::{read_json_file, CliError, CliResult, ExitKind};
use crate::ledger_cmd::read_ledger;
use crate::out_dir::names;

pub use jsonl::{AlertLine, DecisionLine, EXPORT_SCHEMA};
pub use ocsf::OCSF_VERSION;
pub use records::DecisionFields;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OCSF 1.8.0 events: Detection Finding (2004) and API Activity (6003).
    Ocsf,
    /// `hostguard.export.v1` lines.
    Jsonl,
}

/// `hostguard export --format F SOURCE`.
pub fn export(source: &Path, format: Format) -> CliResult {
    let (ledger, alerts) = read_source(source)?;
    let report = verify_runtime_risk_ledger_artifact(&ledger);
    if !report.valid {
        let errors: Vec<String> = report
            .errors
            .iter()
            .map(|e| {
                let at = e
                    .index
                    .map_or_else(|| "header".to_owned(), |i| format!("entry {i}"));
                format!("{at}: {}: {}", e.code, e.message)
            })
            .collect();
        return Err(CliError::finding(format!(
            "ledger `{}` does not verify, refusing to export it ({}): {}",
            source.display(),
            crate::plural::count(errors.len() as u64, "error", "errors"),
            errors.join("; ")
        )));
    }
    let alerts = alerts.map(|a| a.alerts).unwrap_or_default();
    for line in lines(&ledger, &alerts, format)? {
        crate::outln!("{line}")?;
    }
    Ok(ExitKind::Ok)
}

/// Every line of the export, by time; at one instant a decision comes before the alerts it
/// raised. Serializing our own types cannot fail in practice; if it does it is reported.
pub fn lines(
    ledger: &RuntimeRiskLedgerArtifact,
    alerts: &[hostguard_manager::SecurityAlert],
    format: Format,
) -> CliResult<Vec<String>> {
    let render = |value: Result<String, serde_json::Error>| {
        value.map_err(|e| CliError::finding(format!("cannot render JSON: {e}")))
    };
    let mut keyed: Vec<((u64, u8, u64), String)> = Vec::new();
    for d in records::decisions(&ledger.entries) {
        let line = match format {
            Format::Ocsf => render(serde_json::to_string(&ocsf::api_activity(&d)))?,
            Format::Jsonl => render(serde_json::to_string(&jsonl::decision_line(&d)))?,
        };
        keyed.push(((d.entry.ts_ms, 0, d.entry.seq), line));
    }
    for r in records::join(alerts, &ledger.entries) {
        let line = match format {
            Format::Ocsf => render(serde_json::to_string(&ocsf::detection_finding(&r)))?,
            Format::Jsonl => render(serde_json::to_string(&jsonl::alert_line(&r)))?,
        };
        keyed.push(((r.alert.ts_ms, 1, r.alert.sequence_id), line));
    }
    keyed.sort_by_key(|(key, _)| *key);
    Ok(keyed.into_iter().map(|(_, line)| line).collect())
}

/// The ledger and, for a run folder, its alerts.
fn read_source(
    source: &Path,
) -> CliResult<(RuntimeRiskLedgerArtifact, Option<SecurityAlertArtifact>)> {
    if !source.is_dir() {
        return Ok((read_ledger(source)?, None));
    }
    let ledger = read_ledger(&source.join(names::LEDGER))?;
    let alerts = read_json_file(
        &source.join(names::ALERTS),
        "a security alert artifact (`alerts.json` of `hostguard run`)",
    )?;
    Ok((ledger, Some(alerts)))
}
