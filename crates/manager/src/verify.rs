//! The verifiers a host or the CLI calls, as the facade offers them: the ledger's and the
//! evidence crate's own functions, unchanged in signature and result, each emitting one
//! `hostguard::verify` event with its outcome (docs/tracing.md). The lower crates stay free of
//! `tracing`; their internal calls (a bundle verifying its embedded ledger) emit nothing, so
//! one verification is one event.

use hostguard_evidence::{IncidentBundleVerificationReport, IncidentEvidenceBundle};
use hostguard_ledger::{
    Checkpoint, CheckpointCoverage, CheckpointError, LedgerEntry, MalformedJson, NoteName,
    RuntimeRiskLedgerArtifact, RuntimeRiskLedgerVerificationReport, VerifiedCheckpoint,
    VerifierKey,
};

use crate::trace::Verified;

/// Verifies a ledger artifact (hostguard_ledger's
/// [`verify_runtime_risk_ledger_artifact`](hostguard_ledger::verify_runtime_risk_ledger_artifact)):
/// the full report, every error with its index and code. Emits a `hostguard::verify` event
/// (`subject = "ledger"`).
pub fn verify_runtime_risk_ledger_artifact(
    artifact: &RuntimeRiskLedgerArtifact,
) -> RuntimeRiskLedgerVerificationReport {
    let report = hostguard_ledger::verify_runtime_risk_ledger_artifact(artifact);
    ledger_event("ledger", &report);
    report
}

/// Verifies a ledger artifact's JSON bytes, exactly (hostguard_ledger's
/// [`verify_runtime_risk_ledger_artifact_json`](hostguard_ledger::verify_runtime_risk_ledger_artifact_json)).
/// Emits a `hostguard::verify` event (`subject = "ledger"`; bytes that are not JSON at all:
/// `valid = false`, `code = "malformed_json"`).
pub fn verify_runtime_risk_ledger_artifact_json(
    bytes: &[u8],
) -> Result<RuntimeRiskLedgerVerificationReport, MalformedJson> {
    let result = hostguard_ledger::verify_runtime_risk_ledger_artifact_json(bytes);
    match &result {
        Ok(report) => ledger_event("ledger", report),
        Err(_) => Verified {
            code: Some("malformed_json"),
            ..Verified::new("ledger", false, 1)
        }
        .emit(),
    }
    result
}

/// Verifies an incident evidence bundle (hostguard_evidence's
/// [`verify_incident_evidence_bundle`](hostguard_evidence::verify_incident_evidence_bundle)).
/// Emits a `hostguard::verify` event (`subject = "bundle"`).
pub fn verify_incident_evidence_bundle(
    bundle: &IncidentEvidenceBundle,
) -> IncidentBundleVerificationReport {
    let report = hostguard_evidence::verify_incident_evidence_bundle(bundle);
    bundle_event(&report);
    report
}

/// Verifies an incident evidence bundle's JSON bytes (hostguard_evidence's
/// [`verify_incident_evidence_bundle_json`](hostguard_evidence::verify_incident_evidence_bundle_json)).
/// Emits a `hostguard::verify` event (`subject = "bundle"`).
pub fn verify_incident_evidence_bundle_json(bytes: &[u8]) -> IncidentBundleVerificationReport {
    let report = hostguard_evidence::verify_incident_evidence_bundle_json(bytes);
    bundle_event(&report);
    report
}

/// Opens a signed checkpoint note: its signature by `verifier`, its origin (hostguard_ledger's
/// [`open_checkpoint`](hostguard_ledger::open_checkpoint)). Emits a `hostguard::verify` event
/// (`subject = "checkpoint_signature"`).
pub fn open_checkpoint(
    bytes: &[u8],
    verifier: &VerifierKey,
    expected_origin: &NoteName,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let result = hostguard_ledger::open_checkpoint(bytes, verifier, expected_origin);
    let covered = result.as_ref().ok().map(|c| c.checkpoint().size());
    Verified {
        covered,
        ..checkpoint_verified("checkpoint_signature", result.as_ref().err())
    }
    .emit();
    result
}

/// Checks a ledger against a verified checkpoint (hostguard_ledger's
/// [`check_ledger_against_checkpoint`](hostguard_ledger::check_ledger_against_checkpoint)).
/// Emits a `hostguard::verify` event (`subject = "checkpoint"`, with `covered` and `after`).
pub fn check_ledger_against_checkpoint(
    ledger: &RuntimeRiskLedgerArtifact,
    checkpoint: &VerifiedCheckpoint,
) -> Result<CheckpointCoverage, CheckpointError> {
    let result = hostguard_ledger::check_ledger_against_checkpoint(ledger, checkpoint);
    let coverage = result.as_ref().ok();
    Verified {
        entries: Some(ledger.entries.len() as u64),
        covered: coverage.map(|c| c.covered),
        after: coverage.map(|c| c.after),
        ..checkpoint_verified("checkpoint", result.as_ref().err())
    }
    .emit();
    result
}

/// Checks a span of entries against a checkpoint (hostguard_ledger's
/// [`check_span_against_checkpoint`](hostguard_ledger::check_span_against_checkpoint)).
/// Emits a `hostguard::verify` event (`subject = "checkpoint_span"`).
pub fn check_span_against_checkpoint(
    entries: &[LedgerEntry],
    checkpoint: &Checkpoint,
) -> Result<(), CheckpointError> {
    let result = hostguard_ledger::check_span_against_checkpoint(entries, checkpoint);
    Verified {
        entries: Some(entries.len() as u64),
        covered: Some(checkpoint.size()),
        ..checkpoint_verified("checkpoint_span", result.as_ref().err())
    }
    .emit();
    result
}

/// Verifies the checkpoint a bundle carries (hostguard_evidence's
/// [`verify_bundle_checkpoint`](hostguard_evidence::verify_bundle_checkpoint)). Emits a
/// `hostguard::verify` event (`subject = "bundle_checkpoint"`) when the bundle carries one;
/// a bundle without a checkpoint verifies nothing and emits nothing.
pub fn verify_bundle_checkpoint(
    bundle: &IncidentEvidenceBundle,
    key: &VerifierKey,
) -> Result<Option<VerifiedCheckpoint>, CheckpointError> {
    let result = hostguard_evidence::verify_bundle_checkpoint(bundle, key);
    let covered = match &result {
        Ok(None) => return result,
        Ok(Some(c)) => Some(c.checkpoint().size()),
        Err(_) => None,
    };
    Verified {
        entries: Some(bundle.ledger.entries.len() as u64),
        covered,
        ..checkpoint_verified("bundle_checkpoint", result.as_ref().err())
    }
    .emit();
    result
}

/// The event of a ledger report.
fn ledger_event(subject: &'static str, r: &RuntimeRiskLedgerVerificationReport) {
    Verified {
        entries: Some(r.entry_count as u64),
        code: r.errors.first().map(|e| e.code.as_str()),
        first_invalid_index: r.first_invalid_index.map(|i| i as u64),
        ..Verified::new(subject, r.valid, r.errors.len() as u64)
    }
    .emit();
}

/// The event of a bundle report: the bundle's errors, its embedded ledger's entries.
fn bundle_event(r: &IncidentBundleVerificationReport) {
    Verified {
        entries: r.ledger.as_ref().map(|l| l.entry_count as u64),
        code: r.errors.first().map(|e| e.code.as_str()),
        ..Verified::new("bundle", r.valid, r.errors.len() as u64)
    }
    .emit();
}

/// A checkpoint check's validity and, when refused, its code.
fn checkpoint_verified(subject: &'static str, error: Option<&CheckpointError>) -> Verified {
    Verified {
        code: error.map(|e| e.code().as_str()),
        ..Verified::new(subject, error.is_none(), u64::from(error.is_some()))
    }
}
