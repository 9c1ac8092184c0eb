//! Unit tests of bundle verification: an empty bundle, filter and redaction checks.

use super::*;
use crate::bundle::IncidentEvidenceBundleBuilder;
use hostguard_ledger::RuntimeRiskLedgerArtifact;
use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};

fn empty() -> IncidentEvidenceBundle {
    let ledger = RuntimeRiskLedgerArtifact::from_entries(
        0,
        RuntimeRiskConfig::default(),
        HysteresisConfig::default(),
        Vec::new(),
    );
    IncidentEvidenceBundleBuilder::new(&ledger).build(7)
}

fn check(edit: fn(&mut IncidentEvidenceBundle), expected: &[BundleVerifyErrorCode]) {
    let mut b = empty();
    edit(&mut b);
    let r = verify_incident_evidence_bundle(&b);
    let codes: Vec<_> = r.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, expected, "{:?}", r.errors);
    assert_eq!(r.valid, expected.is_empty());
}

#[test]
fn each_check_reports_its_code() {
    use BundleVerifyErrorCode as C;
    check(|_| {}, &[]);
    check(|b| b.generated_at_ms += 1, &[C::BundleHashMismatch]);
    check(
        |b| b.schema = "x".into(),
        &[C::SchemaMismatch, C::BundleHashMismatch],
    );
    check(
        |b| b.summary.alert_count = 1,
        &[C::SummaryMismatch, C::BundleHashMismatch],
    );
    check(
        |b| b.ledger.head.entry_count = 1,
        &[C::LedgerInvalid, C::SummaryMismatch, C::BundleHashMismatch],
    );
    check(
        |b| b.bundle_hash = Digest::GENESIS,
        &[C::BundleHashMismatch],
    );
    check(
        |b| {
            b.filter.start_ms = Some(10);
            b.rollout = Some(crate::RolloutSnapshot {
                phase: "shadow".into(),
                enforce: false,
                rolled_back_from: None,
                last_transition_ms: None,
                transition_count: 0,
                total_decisions: 0,
                false_positive_count: 0,
                error_count: 0,
                avg_latency_ms: f64::NAN,
                inconclusive: true,
            });
            b.bundle_hash = b.compute_hash().unwrap_or(Digest::GENESIS);
        },
        // A non-finite float also has no canonical form: the hash fails closed.
        &[C::NonFiniteFloat, C::HashUncomputable],
    );
}

#[test]
fn codes_serialize_as_their_snake_case_names() {
    use BundleVerifyErrorCode as C;
    for c in [
        C::ParseError,
        C::NonCanonicalContent,
        C::SchemaMismatch,
        C::LedgerInvalid,
        C::SourceLedgerInvalid,
        C::SummaryMismatch,
        C::RecordOutsideFilter,
        C::RedactionNotApplied,
        C::LedgerSpanMismatch,
        C::NonFiniteFloat,
        C::BundleHashMismatch,
        C::HashUncomputable,
    ] {
        assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
    }
}

#[test]
fn unparsable_bytes_give_a_parse_error_with_zero_hashes() {
    let r = verify_incident_evidence_bundle_json(b"{\"schema\":");
    assert!(!r.valid && !r.ledger_chain_intact && r.ledger.is_none());
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].code, BundleVerifyErrorCode::ParseError);
    assert_eq!(
        (r.bundle_hash, r.recomputed_hash),
        (Digest::GENESIS, Digest::GENESIS)
    );
}
