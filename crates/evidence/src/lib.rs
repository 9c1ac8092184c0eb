//! hostguard evidence: security records (alerts, telemetry, exec-mediation and secret-broker
//! logs, quota breaches, rollout and trust state) and verifiable, redactable incident evidence
//! bundles (docs/design.md §6, runbook Procedure 6 and its evidence checklist).
//!
//! Principal types:
//! - the records — [`SecurityAlert`], [`RuntimeHostcallTelemetryEvent`],
//!   [`ExecMediationLedgerEntry`], [`SecretBrokerLedgerEntry`], [`QuotaBreachEvent`],
//!   [`RolloutSnapshot`], [`TrustStateRecord`] — their artifacts, and [`BoundedLog`], the ring
//!   every stream lives in;
//! - [`IncidentBundleFilter`] and [`IncidentBundleRedactionPolicy`] (exactly as the runbook
//!   writes them), [`build_incident_evidence_bundle`] and [`IncidentEvidenceBundleBuilder`];
//! - [`IncidentEvidenceBundle`] with its [`SourceLedgerStatus`] (the source ledger's
//!   verification at build time: a bundle of a source that does not verify never verifies),
//!   its [`IncidentBundleSummary`] and `bundle_hash`, checked by
//!   [`verify_incident_evidence_bundle`] / [`verify_incident_evidence_bundle_json`], exported as
//!   a DSSE envelope ([`DsseEnvelope`]) carrying an in-toto statement, signed and checked with
//!   the ledger crate's Ed25519 note keys ([`DsseEnvelope::sign`],
//!   [`DsseEnvelope::verify_signature`]).
//!
//! Every byte the bundle hash covers is specified in `docs/evidence-format.md`. The crate does
//! no I/O, reads no clock (`now_ms` is injected) and no randomness.
//!
//! ```
//! use hostguard_evidence::{
//!     build_incident_evidence_bundle, verify_incident_evidence_bundle, ExecMediationArtifact,
//!     IncidentBundleFilter, IncidentBundleRedactionPolicy, RuntimeHostcallTelemetryArtifact,
//!     SecretBrokerArtifact, SecurityAlertArtifact,
//! };
//! use hostguard_ledger::{EntryPayload, KillSwitchRecord, Ledger};
//! use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
//! use rand_chacha::rand_core::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//! let mut ledger = Ledger::new(1024)?;
//! for (ts, ext) in [(1_000, "ext-a"), (1_010, "ext-b"), (1_020, "ext-a")] {
//!     let kill = KillSwitchRecord { engaged: true, reason: "INC-1".into() };
//!     ledger.append(ts, Some(ext.into()), EntryPayload::KillSwitch(kill), &mut rng)?;
//! }
//! let ledger = ledger.artifact(2_000, RuntimeRiskConfig::default(), HysteresisConfig::default());
//!
//! let filter = IncidentBundleFilter {
//!     extension_id: Some("ext-a".into()),
//!     ..IncidentBundleFilter::default()
//! };
//! let bundle = build_incident_evidence_bundle(
//!     &ledger,
//!     &SecurityAlertArtifact::new(2_000, Vec::new()),
//!     &RuntimeHostcallTelemetryArtifact::new(2_000, Vec::new()),
//!     &ExecMediationArtifact::new(2_000, Vec::new()),
//!     &SecretBrokerArtifact::new(2_000, Vec::new()),
//!     &[],
//!     &filter,
//!     &IncidentBundleRedactionPolicy::default(),
//!     2_000,
//! );
//! // ext-b's entry sits inside the span: elided, not dropped, so the chain still verifies.
//! assert_eq!((bundle.summary.ledger_entry_count, bundle.summary.ledger_elided_count), (2, 1));
//! let report = verify_incident_evidence_bundle(&bundle);
//! assert!(report.valid && report.ledger_chain_intact, "{:?}", report.errors);
//! assert_eq!(report.bundle_hash, report.recomputed_hash);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod artifacts;
mod bounded;
mod bundle;
mod canonical;
mod canonical_ser;
mod dsse;
mod dsse_sign;
mod error;
mod filter;
mod hash;
mod incident;
mod records;
mod source;
mod summary;
mod verify;

pub use artifacts::{
    ExecMediationArtifact, RuntimeHostcallTelemetryArtifact, SecretBrokerArtifact,
    SecurityAlertArtifact,
};
pub use bounded::BoundedLog;
pub use bundle::{build_incident_evidence_bundle, IncidentEvidenceBundleBuilder};
pub use canonical::to_canonical_string;
pub use dsse::{
    DsseEnvelope, DsseSignature, InTotoStatement, InTotoSubject, DSSE_PAYLOAD_TYPE,
    INCIDENT_EVIDENCE_PREDICATE_TYPE, INCIDENT_EVIDENCE_SUBJECT_NAME, IN_TOTO_STATEMENT_TYPE,
};
pub use dsse_sign::{dsse_pae, DsseSignatureError, DsseSignatureErrorCode};
pub use error::EvidenceError;
// The ledger names runbook Procedure 6 reaches through the same path (steps 4 and 7).
pub use filter::{IncidentBundleFilter, IncidentBundleRedactionPolicy, REDACTED};
pub use hash::{canonical_bundle_json, EvidenceDomainTag};
pub use hostguard_ledger::{
    replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact,
    RuntimeRiskLedgerArtifact,
};
pub use incident::{
    IncidentBundleSummary, IncidentEvidenceBundle, INCIDENT_EVIDENCE_BUNDLE_SCHEMA,
};
pub use records::{
    ExecMediationLedgerEntry, KillSwitchAuditEntry, QuotaBreachEvent, RolloutSnapshot,
    RuntimeHostcallTelemetryEvent, SecretBrokerLedgerEntry, SecurityAlert, SecurityAlertCategory,
    SecurityAlertSeverity, TrustStateRecord,
};
pub use source::{SourceLedgerError, SourceLedgerStatus, SOURCE_LEDGER_ERRORS_LISTED};
pub use verify::{
    verify_bundle_checkpoint, verify_incident_evidence_bundle,
    verify_incident_evidence_bundle_json, BundleVerifyError, BundleVerifyErrorCode,
    IncidentBundleVerificationReport,
};
