//! `hostguard bundle build` and `hostguard bundle verify` (runbook Procedure 6, steps 2–6).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    verify_incident_evidence_bundle, verify_incident_evidence_bundle_json,
    verify_runtime_risk_ledger_artifact, EvidenceError, IncidentBundleFilter,
    IncidentBundleRedactionPolicy, IncidentBundleSummary, IncidentBundleVerificationReport,
    IncidentEvidenceBundle, IncidentEvidenceBundleBuilder, MalformedJson,
    RuntimeRiskLedgerArtifact, RuntimeRiskLedgerVerificationReport, VerifierKey,
};
use hostguard_manager::{
    ExecMediationArtifact, QuotaBreachEvent, RolloutSnapshot, RuntimeHostcallTelemetryArtifact,
    SecretBrokerArtifact, SecurityAlertArtifact, SecurityAlertCategory, SecurityAlertSeverity,
    TrustStateRecord,
};

use crate::error::{
    malformed_json, read_bytes, read_json_file, write_file, CliError, CliResult, ExitKind,
};
use crate::out_dir::names;
use serde::Serialize;

use crate::ledger_cmd::{read_ledger, to_json_pretty};

/// Who the bundle is for (runbook Procedure 6 step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redaction {
    /// External sharing: every hash redacted, remediation kept.
    External,
    /// Internal investigation: nothing redacted.
    Internal,
}

impl Redaction {
    /// The policy.
    pub fn policy(self) -> IncidentBundleRedactionPolicy {
        match self {
            Redaction::External => IncidentBundleRedactionPolicy::external(),
            Redaction::Internal => IncidentBundleRedactionPolicy::internal(),
        }
    }
}

/// What `bundle build` was asked.
#[derive(Debug, Clone)]
pub struct BuildArgs {
    /// A `hostguard run` output folder.
    pub from: PathBuf,
    /// The filter (runbook Procedure 6 step 2).
    pub filter: IncidentBundleFilter,
    /// The redaction.
    pub redaction: Redaction,
    /// Where to write the bundle.
    pub out: PathBuf,
    /// A signed checkpoint of the run's ledger to embed (`docs/evidence-format.md` §2.6).
    pub checkpoint: Option<PathBuf>,
    /// Print `hostguard.bundle_build.v1` instead of the human summary.
    pub json: bool,
}

/// What `bundle build --json` prints (docs/cli-json.md).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BundleBuildReport<'a> {
    /// `hostguard.bundle_build.v1`.
    pub schema: &'static str,
    /// The bundle file written.
    pub out: String,
    /// The bundle's summary (runbook Procedure 6 step 6).
    pub summary: &'a IncidentBundleSummary,
    /// The bundle's verification, as `bundle verify --json` reports it.
    pub verification: &'a IncidentBundleVerificationReport,
}

/// Parses a category name, kebab-case like every value on the command line
/// (`exec-mediation`) or as the artifacts spell it (`exec_mediation`).
pub fn parse_category(name: &str) -> Result<SecurityAlertCategory, String> {
    serde_json::from_value(serde_json::Value::String(name.replace('-', "_"))).map_err(|_| {
        let names: Vec<String> = SecurityAlertCategory::ALL
            .iter()
            .map(|c| c.as_str().replace('_', "-"))
            .collect();
        format!(
            "unknown alert category `{name}` (expected one of {})",
            names.join(", ")
        )
    })
}

/// Parses a severity name (`warning`).
pub fn parse_severity(name: &str) -> Result<SecurityAlertSeverity, String> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        format!("unknown severity `{name}` (expected info, warning, error or critical)")
    })
}

/// A filter that keeps no decision and no record is a mistake (a misspelt extension, a window
/// outside the run), not evidence: exit 1 with the reason and the extensions there are, and no
/// file written.
fn refuse_an_empty_scope(
    bundle: &IncidentEvidenceBundle,
    filter: &IncidentBundleFilter,
    source: &RuntimeRiskLedgerArtifact,
    dir: &Path,
) -> CliResult<()> {
    let s = &bundle.summary;
    let records = s.alert_count
        + s.telemetry_event_count
        + s.exec_mediation_count
        + s.secret_broker_count
        + s.quota_breach_count;
    let decisions = bundle.ledger.entries.iter().any(|e| e.decision().is_some());
    let known: std::collections::BTreeSet<&str> = source
        .entries
        .iter()
        .filter_map(|e| e.extension_id.as_deref())
        .collect();
    // Alerts that name no extension (a rollback, a ledger integrity failure) are in every
    // extension's scope: an extension the run never saw must not pass on them alone.
    let unknown_extension = filter
        .extension_id
        .as_deref()
        .is_some_and(|ext| !known.contains(ext) && !names_extension(bundle, ext));
    if !unknown_extension && (records > 0 || decisions) {
        return Ok(());
    }
    let known = known.into_iter().collect::<Vec<_>>().join(", ");
    let scope = match &filter.extension_id {
        Some(ext) => format!("extension `{ext}`"),
        None => "the filter".to_owned(),
    };
    let why = if unknown_extension {
        "no decision and no record of it (only alerts that name no extension)"
    } else {
        "no decision and no record"
    };
    Err(CliError::finding(format!(
        "nothing in `{}` is in scope of {scope}: {why}, so no bundle was written (extensions in the ledger: {})",
        dir.display(),
        if known.is_empty() { "none" } else { known.as_str() }
    )))
}

/// Whether a record of the bundle (alert, telemetry, exec mediation, secret broker, quota
/// breach) names extension `ext`: it may have left the ledger (`ledger_limit`) and keep
/// records in scope.
fn names_extension(bundle: &IncidentEvidenceBundle, ext: &str) -> bool {
    let is = |id: &Option<String>| id.as_deref() == Some(ext);
    bundle.alerts.iter().any(|r| is(&r.extension_id))
        || bundle.telemetry.iter().any(|r| is(&r.extension_id))
        || bundle.exec_mediation.iter().any(|r| is(&r.extension_id))
        || bundle.secret_broker.iter().any(|r| is(&r.extension_id))
        || bundle.quota_breaches.iter().any(|r| is(&r.extension_id))
}

/// `hostguard bundle build --from DIR [filter] [--redact ..] --out FILE`.
pub fn build(args: &BuildArgs) -> CliResult {
    if let (Some(start), Some(end)) = (args.filter.start_ms, args.filter.end_ms) {
        if start > end {
            return Err(CliError::input(format!(
                "--start-ms {start} is after --end-ms {end}: expected an inclusive range with start <= end"
            )));
        }
    }
    let dir = &args.from;
    refuse_overwriting_an_input(dir, &args.out)?;
    let ledger_path = dir.join(names::LEDGER);
    let ledger = read_ledger(&ledger_path)?;
    // A filter elides out-of-scope entries, keeping only their recorded digests: a tampered
    // entry outside the scope would vanish and the bundle would verify. Refuse the source.
    let source = verify_runtime_risk_ledger_artifact(&ledger);
    if !source.valid {
        return Err(CliError::finding(format!(
            "ledger `{}` does not verify: refusing to build a bundle from it (keep the ledger itself as evidence, runbook Procedure 5; `hostguard ledger verify` lists every error): {}",
            ledger_path.display(),
            ledger_errors(&source)
        )));
    }
    let alerts: SecurityAlertArtifact =
        read_json_file(&dir.join(names::ALERTS), "a security alert artifact")?;
    let telemetry: RuntimeHostcallTelemetryArtifact =
        read_json_file(&dir.join(names::TELEMETRY), "a hostcall telemetry artifact")?;
    let exec: ExecMediationArtifact = read_json_file(
        &dir.join(names::EXEC_MEDIATION),
        "an exec mediation artifact",
    )?;
    let secret: SecretBrokerArtifact =
        read_json_file(&dir.join(names::SECRET_BROKER), "a secret broker artifact")?;
    let quota: Vec<QuotaBreachEvent> = read_json_file(
        &dir.join(names::QUOTA_BREACHES),
        "an array of quota breach events",
    )?;
    let rollout: RolloutSnapshot = read_json_file(&dir.join(names::ROLLOUT), "a rollout snapshot")?;
    let trust: Vec<TrustStateRecord> =
        read_json_file(&dir.join(names::TRUST), "an array of trust state records")?;
    // Reproducible: the bundle is stamped with the ledger's export time, not the wall clock.
    let now_ms = ledger.generated_at_ms;
    let checkpoint = args
        .checkpoint
        .as_deref()
        .map(crate::checkpoint_cmd::read_checkpoint)
        .transpose()?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let mut builder = IncidentEvidenceBundleBuilder::new(&ledger);
    if let Some(text) = &checkpoint {
        builder = builder.checkpoint(text.clone());
    }
    let bundle = builder
        .alerts(&alerts.alerts)
        .telemetry(&telemetry.entries)
        .exec_mediation(&exec.entries)
        .secret_broker(&secret.entries)
        .quota_breaches(&quota)
        .rollout(rollout)
        .trust_states(trust)
        .filter(args.filter.clone())
        .redaction(args.redaction.policy())
        .build(now_ms);
    if let (Some(file), None) = (&args.checkpoint, &bundle.checkpoint) {
        return Err(CliError::finding(format!(
            "checkpoint `{}` does not cover the bundle's span: it must pin an entry of `{}` at or after the first in-scope entry (sign a newer one: `hostguard ledger checkpoint`)",
            file.display(),
            ledger_path.display()
        )));
    }
    refuse_an_empty_scope(&bundle, &args.filter, &ledger, dir)?;
    let mut json = to_json_pretty(&bundle)?;
    json.push('\n');
    write_file(&args.out, json.as_bytes())?;
    print_built(args, &bundle)
}

/// Verifies the bundle just written and prints the summary (or `--json` report).
fn print_built(args: &BuildArgs, bundle: &IncidentEvidenceBundle) -> CliResult {
    let report = verify_incident_evidence_bundle(bundle);
    if args.json {
        let doc = BundleBuildReport {
            schema: "hostguard.bundle_build.v1",
            out: args.out.display().to_string(),
            summary: &bundle.summary,
            verification: &report,
        };
        crate::outln!("{}", to_json_pretty(&doc)?)?;
    } else {
        crate::outln!("wrote `{}`", args.out.display())?;
        crate::out!("{}", render_summary(bundle, &report))?;
    }
    Ok(if report.valid {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

/// The files `bundle build` reads from a run folder.
const INPUTS: [&str; 8] = [
    names::LEDGER,
    names::ALERTS,
    names::TELEMETRY,
    names::EXEC_MEDIATION,
    names::SECRET_BROKER,
    names::QUOTA_BREACHES,
    names::ROLLOUT,
    names::TRUST,
];

/// `--out` naming one of the inputs would replace the evidence with the bundle built from it.
fn refuse_overwriting_an_input(dir: &Path, out: &Path) -> CliResult<()> {
    let canonical = |p: &Path| -> Option<PathBuf> {
        let name = p.file_name()?;
        let parent = match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Some(parent.canonicalize().ok()?.join(name))
    };
    let Some(out_path) = canonical(out) else {
        return Ok(());
    };
    for name in INPUTS {
        if canonical(&dir.join(name)).is_some_and(|input| input == out_path) {
            return Err(CliError::input(format!(
                "--out `{}` is the bundle's input `{name}`: expected a new file (the bundle would replace the evidence it is built from)",
                out.display()
            )));
        }
    }
    Ok(())
}

/// A verification report's errors on one line: the count, the first invalid index and the first
/// few errors.
fn ledger_errors(report: &RuntimeRiskLedgerVerificationReport) -> String {
    let first = report
        .first_invalid_index
        .map_or_else(|| "none (header)".to_owned(), |i| i.to_string());
    let shown: Vec<String> = report
        .errors
        .iter()
        .take(3)
        .map(|e| {
            let at = e
                .index
                .map_or_else(|| "header".to_owned(), |i| format!("entry {i}"));
            format!("{at}: {}", e.code)
        })
        .collect();
    let more = report.errors.len().saturating_sub(shown.len());
    format!(
        "{}, first invalid index {first}: {}{}",
        crate::plural::count(report.errors.len() as u64, "error", "errors"),
        shown.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    )
}

/// `hostguard bundle verify FILE [--json]`: verifies the bytes as read; exit 1 when they do
/// not verify — a member the bundle does not hold, at any depth, is `non_canonical_content`
/// (`docs/evidence-format.md` §6.1) — and 2 when they are no bundle at all.
///
/// With `keys` (`--pubkey`), the bundle's embedded checkpoint must be signed by one of them
/// and pin an entry of the span; a bundle without one carries no signature to check (exit 1).
pub fn verify(file: &Path, keys: &[VerifierKey], json: bool) -> CliResult {
    let bytes = read_bytes(file)?;
    let bundle = match IncidentEvidenceBundle::from_json_slice(&bytes) {
        Ok(bundle) => Some(bundle),
        // More than a bundle: the JSON verifier's report says what.
        Err(EvidenceError::NonCanonicalContent { .. }) => None,
        Err(EvidenceError::Json {
            line,
            column,
            message,
        }) => {
            let json = MalformedJson {
                line,
                column,
                message,
            };
            return Err(malformed_json(file, &json, "an incident evidence bundle"));
        }
        Err(e) => return Err(CliError::input(format!("`{}`: {e}", file.display()))),
    };
    let report = match &bundle {
        Some(bundle) => verify_incident_evidence_bundle(bundle),
        None => verify_incident_evidence_bundle_json(&bytes),
    };
    let signed = match (&bundle, keys.is_empty()) {
        (Some(bundle), false) => Some(crate::bundle_sig::check(bundle, keys)),
        _ => None,
    };
    if json {
        match &signed {
            Some(checkpoint) => crate::outln!(
                "{}",
                to_json_pretty(&serde_json::json!({"bundle": &report, "checkpoint": checkpoint}))?
            )?,
            None => crate::outln!("{}", to_json_pretty(&report)?)?,
        }
    } else {
        crate::out!("{}", render_verdict(&report))?;
        if let Some(bundle) = &bundle {
            crate::out!("{}", render_counts(bundle, &report))?;
        }
        if let Some(checkpoint) = &signed {
            crate::out!("{}", crate::bundle_sig::render(checkpoint))?;
        }
    }
    if signed.as_ref().is_some_and(|c| !c.present) {
        return Err(CliError::finding(format!(
            "`{}` carries no signature to check with --pubkey ({}): no DSSE envelope (`hostguard bundle export --dsse --key`) and no embedded checkpoint (`hostguard bundle build --checkpoint`)",
            file.display(),
            hostguard_manager::DsseSignatureErrorCode::Unsigned
        )));
    }
    Ok(if report.valid && signed.is_none_or(|c| c.valid) {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

/// The verification verdict and the runbook's step-6 summary lines.
pub fn render_summary(
    bundle: &IncidentEvidenceBundle,
    report: &IncidentBundleVerificationReport,
) -> String {
    render_verdict(report) + &render_counts(bundle, report)
}

/// The verdict line, then one line per error.
fn render_verdict(report: &IncidentBundleVerificationReport) -> String {
    let mut out = String::new();
    if report.valid {
        let _ = writeln!(out, "bundle valid: hash {}", report.bundle_hash);
    } else {
        let errors = crate::plural::count(report.errors.len() as u64, "error", "errors");
        let _ = writeln!(out, "bundle INVALID ({errors})");
        for e in &report.errors {
            let _ = writeln!(out, "  {}: {}", e.code.as_str(), e.message);
        }
    }
    out
}

/// The runbook's step-6 summary lines; the chain line is the report's.
fn render_counts(
    bundle: &IncidentEvidenceBundle,
    report: &IncidentBundleVerificationReport,
) -> String {
    let mut out = String::new();
    let s = &bundle.summary;
    let _ = writeln!(out, "Ledger entries: {}", s.ledger_entry_count);
    let _ = writeln!(out, "Alerts: {}", s.alert_count);
    let _ = writeln!(out, "Telemetry events: {}", s.telemetry_event_count);
    let _ = writeln!(out, "Exec mediation: {}", s.exec_mediation_count);
    let _ = writeln!(out, "Secret broker: {}", s.secret_broker_count);
    let _ = writeln!(out, "Quota breaches: {}", s.quota_breach_count);
    let _ = writeln!(out, "Distinct extensions: {}", s.distinct_extensions);
    let _ = writeln!(out, "Peak risk score: {:.3}", s.peak_risk_score);
    let _ = writeln!(out, "Deny/Terminate count: {}", s.deny_or_terminate_count);
    let _ = writeln!(out, "Ledger chain intact: {}", report.ledger_chain_intact);
    out
}
