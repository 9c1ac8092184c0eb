//! [`verify_incident_evidence_bundle`]: re-verifies a bundle from its content alone (docs/design.md §6
//! "Verification", runbook Procedure 6 step 5). It trusts no stored flag or count and never
//! panics: every finding is an error with a stable code, and the report lists them all.

use hostguard_ledger::{
    check_span_against_checkpoint, open_checkpoint, verify_runtime_risk_ledger_artifact,
    Checkpoint, CheckpointError, Digest, VerifiedCheckpoint, VerifierKey,
};

use crate::bundle::ledger_entry_in_scope;
use crate::error::EvidenceError;
use crate::filter::{IncidentBundleFilter, Scoped, REDACTED};
use crate::hash::compute_bundle_hash;
use crate::incident::{
    IncidentBundleSummary, IncidentEvidenceBundle, INCIDENT_EVIDENCE_BUNDLE_SCHEMA,
};

mod report;

pub use report::{BundleVerifyError, BundleVerifyErrorCode, IncidentBundleVerificationReport};

/// Verifies a bundle: schema, the embedded ledger (entries, elisions, commitments, anchor and
/// head), that the source ledger verified when the bundle was built (`source_ledger`), every
/// summary field, that every record lies within the filter, that the redaction policy was
/// applied, record floats, and the bundle hash. Never panics.
pub fn verify_incident_evidence_bundle(
    bundle: &IncidentEvidenceBundle,
) -> IncidentBundleVerificationReport {
    let mut errors = Vec::new();
    let err = |errors: &mut Vec<BundleVerifyError>, code, message: String| {
        errors.push(BundleVerifyError { code, message });
    };

    if bundle.schema != INCIDENT_EVIDENCE_BUNDLE_SCHEMA {
        err(
            &mut errors,
            BundleVerifyErrorCode::SchemaMismatch,
            format!(
                "schema is `{}`, expected `{INCIDENT_EVIDENCE_BUNDLE_SCHEMA}`",
                bundle.schema
            ),
        );
    }

    let ledger = verify_runtime_risk_ledger_artifact(&bundle.ledger);
    for e in &ledger.errors {
        err(
            &mut errors,
            BundleVerifyErrorCode::LedgerInvalid,
            format!("ledger {e}"),
        );
    }

    let source_vouches = bundle.source_ledger.vouches(bundle.ledger.entries.len());
    if let Err(message) = &source_vouches {
        err(
            &mut errors,
            BundleVerifyErrorCode::SourceLedgerInvalid,
            message.clone(),
        );
    }

    let recomputed = IncidentBundleSummary::compute_with_ledger_status(bundle, ledger.valid);
    let differences = bundle.summary.differences(&recomputed);
    for (field, stored, again) in &differences {
        err(
            &mut errors,
            BundleVerifyErrorCode::SummaryMismatch,
            format!("summary `{field}` is `{stored}`, recomputed `{again}`"),
        );
    }

    check_span(bundle, &mut errors);
    check_checkpoint(bundle, &mut errors);

    let before = errors.len();
    check_filter(bundle, &mut errors);
    let within_filter = errors.len() == before;

    let before = errors.len();
    check_redaction(bundle, &mut errors);
    let redaction_applied = errors.len() == before;

    check_floats(bundle, &mut errors);

    let recomputed_hash = match compute_bundle_hash(bundle) {
        Ok(h) => {
            if h != bundle.bundle_hash {
                err(
                    &mut errors,
                    BundleVerifyErrorCode::BundleHashMismatch,
                    format!("bundle_hash `{}`, recomputed `{h}`", bundle.bundle_hash),
                );
            }
            h
        }
        Err(e) => {
            err(
                &mut errors,
                BundleVerifyErrorCode::HashUncomputable,
                e.to_string(),
            );
            Digest::GENESIS
        }
    };

    IncidentBundleVerificationReport {
        valid: errors.is_empty(),
        errors,
        ledger_chain_intact: ledger.valid && source_vouches.is_ok(),
        ledger: Some(ledger),
        summary_consistent: differences.is_empty(),
        within_filter,
        redaction_applied,
        bundle_hash: bundle.bundle_hash,
        recomputed_hash,
    }
}

/// Parses and verifies a bundle from JSON bytes. Never panics on any input. Bytes that are not
/// a bundle give a report with one `parse_error`; bytes that hold more than a bundle — a
/// repeated member name, or a member the bundle does not know, at any depth, or a value written
/// in another form, which the hash would not cover — one `non_canonical_content`
/// ([`IncidentEvidenceBundle::from_json_slice`]). Otherwise the report of
/// [`verify_incident_evidence_bundle`].
pub fn verify_incident_evidence_bundle_json(bytes: &[u8]) -> IncidentBundleVerificationReport {
    match IncidentEvidenceBundle::from_json_slice(bytes) {
        Ok(bundle) => verify_incident_evidence_bundle(&bundle),
        Err(EvidenceError::NonCanonicalContent { message }) => {
            unreadable(BundleVerifyErrorCode::NonCanonicalContent, message)
        }
        Err(e) => unreadable(BundleVerifyErrorCode::ParseError, e.to_string()),
    }
}

/// The report of bytes that do not hold exactly a bundle: one error, nothing else checked.
fn unreadable(code: BundleVerifyErrorCode, message: String) -> IncidentBundleVerificationReport {
    IncidentBundleVerificationReport {
        valid: false,
        errors: vec![BundleVerifyError { code, message }],
        ledger_chain_intact: false,
        ledger: None,
        summary_consistent: false,
        within_filter: false,
        redaction_applied: false,
        bundle_hash: Digest::GENESIS,
        recomputed_hash: Digest::GENESIS,
    }
}

/// An extension id for a message: the id, or `none` for a global record.
fn ext(id: Option<&str>) -> &str {
    id.unwrap_or("none")
}

fn outside(errors: &mut Vec<BundleVerifyError>, section: &str, index: usize, what: String) {
    errors.push(BundleVerifyError {
        code: BundleVerifyErrorCode::RecordOutsideFilter,
        message: format!("{section}[{index}] {what} lies outside the filter"),
    });
}

fn check_scoped<T: Scoped>(
    records: &[T],
    section: &str,
    filter: &IncidentBundleFilter,
    errors: &mut Vec<BundleVerifyError>,
) {
    for (i, r) in records.iter().enumerate() {
        if !filter.admits(r.ts_ms(), r.extension_id()) {
            outside(
                errors,
                section,
                i,
                format!("at `{}` of `{}`", r.ts_ms(), ext(r.extension_id())),
            );
        }
    }
}

/// The span runs from the first in-scope entry to the last (`docs/evidence-format.md` §2.3):
/// both ends are disclosed. An elided end would hide an in-scope entry or extend the span with
/// a link whose digest nothing opens.
fn check_span(b: &IncidentEvidenceBundle, errors: &mut Vec<BundleVerifyError>) {
    let entries = &b.ledger.entries;
    let pinned = pinned_seq(b);
    let ends = [("first", entries.first()), ("last", entries.last())];
    for (which, entry) in ends {
        // The span may run past its last in-scope entry to the entry a checkpoint pins.
        let to_checkpoint = which == "last" && entry.map(|e| e.seq) == pinned;
        if let Some(e) = entry.filter(|e| e.is_elided() && !to_checkpoint) {
            errors.push(BundleVerifyError {
                code: BundleVerifyErrorCode::LedgerSpanMismatch,
                message: format!(
                    "the ledger span's {which} entry (seq `{}`) is elided; both ends of the span \
                     are in-scope entries (the last may be the entry the checkpoint pins)",
                    e.seq
                ),
            });
        }
        if entries.len() == 1 {
            break;
        }
    }
}

/// The seq of the entry the embedded checkpoint pins, if it parses and pins one.
fn pinned_seq(b: &IncidentEvidenceBundle) -> Option<u64> {
    let text = b.checkpoint.as_deref()?;
    Checkpoint::read_unverified(text.as_bytes())
        .ok()?
        .size()
        .checked_sub(1)
}

/// The embedded checkpoint parses and the span holds the entry it pins with the hash it pins.
fn check_checkpoint(b: &IncidentEvidenceBundle, errors: &mut Vec<BundleVerifyError>) {
    let Some(text) = b.checkpoint.as_deref() else {
        return;
    };
    let result = Checkpoint::read_unverified(text.as_bytes())
        .and_then(|c| check_span_against_checkpoint(&b.ledger.entries, &c));
    if let Err(e) = result {
        errors.push(BundleVerifyError {
            code: BundleVerifyErrorCode::CheckpointMismatch,
            message: format!("the embedded checkpoint: {}: {e}", e.code().as_str()),
        });
    }
}

/// Checks the signature of a bundle's embedded checkpoint by `key`, origin the key's name
/// (`docs/evidence-format.md` §2.6): with [`verify_incident_evidence_bundle`] valid, every
/// entry of the span up to the one the checkpoint pins is then vouched for by the signer.
/// `Ok(None)` when the bundle carries no checkpoint.
pub fn verify_bundle_checkpoint(
    bundle: &IncidentEvidenceBundle,
    key: &VerifierKey,
) -> Result<Option<VerifiedCheckpoint>, CheckpointError> {
    let Some(text) = bundle.checkpoint.as_deref() else {
        return Ok(None);
    };
    let verified = open_checkpoint(text.as_bytes(), key, key.name())?;
    check_span_against_checkpoint(&bundle.ledger.entries, verified.checkpoint())?;
    Ok(Some(verified))
}

fn check_filter(b: &IncidentEvidenceBundle, errors: &mut Vec<BundleVerifyError>) {
    let f = &b.filter;
    for (i, e) in b.ledger.entries.iter().enumerate() {
        if !e.is_elided() && !ledger_entry_in_scope(e, f) {
            outside(
                errors,
                "ledger.entries",
                i,
                format!(
                    "seq `{}` at `{}` of `{}`",
                    e.seq,
                    e.ts_ms,
                    ext(e.extension_id.as_deref())
                ),
            );
        }
    }
    for (i, a) in b.alerts.iter().enumerate() {
        if !f.admits_alert(a) {
            outside(
                errors,
                "alerts",
                i,
                format!(
                    "at `{}` of `{}` (`{}`, `{}`)",
                    a.ts_ms,
                    ext(a.extension_id.as_deref()),
                    a.category,
                    a.severity
                ),
            );
        }
    }
    check_scoped(&b.telemetry, "telemetry", f, errors);
    check_scoped(&b.exec_mediation, "exec_mediation", f, errors);
    check_scoped(&b.secret_broker, "secret_broker", f, errors);
    check_scoped(&b.quota_breaches, "quota_breaches", f, errors);
    for (i, t) in b.trust.iter().enumerate() {
        if !f.admits_trust(t) {
            outside(errors, "trust", i, format!("of `{}`", t.extension_id));
        }
        for (j, k) in t.kill_switch_audit.iter().enumerate() {
            if !f.admits_audit_of(t, k) {
                outside(
                    errors,
                    &format!("trust[{i}].kill_switch_audit"),
                    j,
                    format!("at `{}` of `{}`", k.ts_ms, k.extension_id),
                );
            }
        }
    }
}

fn check_redaction(b: &IncidentEvidenceBundle, errors: &mut Vec<BundleVerifyError>) {
    let r = &b.redaction;
    let mut check = |flag: bool, section: &str, index: usize, field: &str, value: &str| {
        if flag && value != REDACTED {
            errors.push(BundleVerifyError {
                code: BundleVerifyErrorCode::RedactionNotApplied,
                message: format!("{section}[{index}].{field} is not `{REDACTED}`"),
            });
        }
    };
    for (i, a) in b.alerts.iter().enumerate() {
        check(
            r.redact_context_hash,
            "alerts",
            i,
            "context_hash",
            &a.context_hash,
        );
        check(
            r.redact_remediation,
            "alerts",
            i,
            "remediation",
            &a.remediation,
        );
    }
    for (i, t) in b.telemetry.iter().enumerate() {
        check(
            r.redact_params_hash,
            "telemetry",
            i,
            "params_hash",
            &t.params_hash,
        );
        check(
            r.redact_args_shape_hash,
            "telemetry",
            i,
            "args_shape_hash",
            &t.args_shape_hash,
        );
    }
    for (i, e) in b.exec_mediation.iter().enumerate() {
        check(
            r.redact_command_hash,
            "exec_mediation",
            i,
            "command_hash",
            &e.command_hash,
        );
    }
    for (i, s) in b.secret_broker.iter().enumerate() {
        check(
            r.redact_name_hash,
            "secret_broker",
            i,
            "name_hash",
            &s.name_hash,
        );
    }
    if r.redact_params_hash {
        for (i, e) in b.ledger.entries.iter().enumerate() {
            if let Some(d) = e.decision() {
                if !d.params_hash.is_redacted() {
                    errors.push(BundleVerifyError {
                        code: BundleVerifyErrorCode::RedactionNotApplied,
                        message: format!(
                            "ledger.entries[{i}] (seq `{}`) params_hash is revealed",
                            e.seq
                        ),
                    });
                }
            }
        }
    }
}

fn check_floats(b: &IncidentEvidenceBundle, errors: &mut Vec<BundleVerifyError>) {
    // The field name is formatted only on failure: this runs over every telemetry feature.
    let mut check = |value: f64, what: &dyn Fn() -> String| {
        if !value.is_finite() {
            errors.push(BundleVerifyError {
                code: BundleVerifyErrorCode::NonFiniteFloat,
                message: format!("{} is not finite (`{value}`)", what()),
            });
        }
    };
    for (i, a) in b.alerts.iter().enumerate() {
        if let Some(s) = a.risk_score {
            check(s, &|| format!("alerts[{i}].risk_score"));
        }
    }
    for (i, t) in b.telemetry.iter().enumerate() {
        check(t.risk_score, &|| format!("telemetry[{i}].risk_score"));
        for (name, v) in &t.features {
            check(*v, &|| format!("telemetry[{i}].features.{name}"));
        }
    }
    if let Some(r) = &b.rollout {
        check(r.avg_latency_ms, &|| "rollout.avg_latency_ms".to_owned());
    }
    check(b.summary.peak_risk_score, &|| {
        "summary.peak_risk_score".to_owned()
    });
}

#[cfg(test)]
mod tests;
