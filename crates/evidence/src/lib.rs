//! hostguard evidence: security records (alerts, telemetry, exec-mediation and secret-broker
//! logs, quota breaches, rollout and trust state) and verifiable, redactable incident evidence
//! bundles (DESIGN §6, runbook Procedure 6 and its evidence checklist).
//!
//! Principal types: the records ([`SecurityAlert`], [`RuntimeHostcallTelemetryEvent`],
//! [`ExecMediationLedgerEntry`], [`SecretBrokerLedgerEntry`], [`QuotaBreachEvent`],
//! [`RolloutSnapshot`], [`TrustStateRecord`]), their artifacts, and [`BoundedLog`], the ring
//! every stream lives in.
//!
//! ```
//! use hostguard_evidence::{BoundedLog, QuotaBreachEvent};
//!
//! let mut breaches = BoundedLog::new(2);
//! for i in 0..3 {
//!     breaches.push(QuotaBreachEvent {
//!         ts_ms: i,
//!         extension_id: Some("ext-a".into()),
//!         call_id: format!("call-{i}"),
//!         kind: "calls_per_minute".into(),
//!         limit: 60,
//!         observed: 61,
//!     });
//! }
//! assert_eq!((breaches.len(), breaches.evicted()), (2, 1));
//! ```

mod artifacts;
mod bounded;
mod bundle;
mod canonical;
mod canonical_ser;
mod dsse;
mod error;
mod filter;
mod hash;
mod records;
mod summary;
mod verify;

pub use artifacts::{
    ExecMediationArtifact, RuntimeHostcallTelemetryArtifact, SecretBrokerArtifact,
    SecurityAlertArtifact,
};
pub use bounded::BoundedLog;
pub use bundle::{
    build_incident_evidence_bundle, IncidentEvidenceBundle, IncidentEvidenceBundleBuilder,
    INCIDENT_EVIDENCE_BUNDLE_SCHEMA,
};
pub use canonical::to_canonical_string;
pub use dsse::{
    DsseEnvelope, DsseSignature, InTotoStatement, InTotoSubject, DSSE_PAYLOAD_TYPE,
    INCIDENT_EVIDENCE_PREDICATE_TYPE, INCIDENT_EVIDENCE_SUBJECT_NAME, IN_TOTO_STATEMENT_TYPE,
};
pub use error::EvidenceError;
// The ledger names runbook Procedure 6 reaches through the same path (steps 4 and 7).
pub use filter::{IncidentBundleFilter, IncidentBundleRedactionPolicy, REDACTED};
pub use hash::{canonical_bundle_json, EvidenceDomainTag};
pub use hostguard_ledger::{
    replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact,
    RuntimeRiskLedgerArtifact,
};
pub use records::{
    ExecMediationLedgerEntry, KillSwitchAuditEntry, QuotaBreachEvent, RolloutSnapshot,
    RuntimeHostcallTelemetryEvent, SecretBrokerLedgerEntry, SecurityAlert, SecurityAlertCategory,
    SecurityAlertSeverity, TrustStateRecord,
};
pub use summary::IncidentBundleSummary;
pub use verify::{
    verify_incident_evidence_bundle, verify_incident_evidence_bundle_json, BundleVerifyError,
    BundleVerifyErrorCode, IncidentBundleVerificationReport,
};
