//! The incident evidence bundle's data model: [`IncidentEvidenceBundle`] and its
//! [`IncidentBundleSummary`] (`docs/evidence-format.md` §2), below the files that build
//! (`bundle.rs`), summarise (`summary.rs`), hash (`hash.rs`) and verify (`verify.rs`) it.

use hostguard_ledger::{from_json_exactly, Digest, RuntimeRiskLedgerArtifact};
use serde::{Deserialize, Serialize};

use crate::error::EvidenceError;
use crate::filter::{IncidentBundleFilter, IncidentBundleRedactionPolicy};
use crate::records::{
    ExecMediationLedgerEntry, QuotaBreachEvent, RolloutSnapshot, RuntimeHostcallTelemetryEvent,
    SecretBrokerLedgerEntry, SecurityAlert, TrustStateRecord,
};
use crate::source::SourceLedgerStatus;

/// The schema string of [`IncidentEvidenceBundle`].
pub const INCIDENT_EVIDENCE_BUNDLE_SCHEMA: &str = "hostguard.incident_evidence_bundle.v1";

/// Everything an incident needs, filtered, redacted, summarised and hashed (docs/design.md §6, runbook
/// evidence checklist). Field order is fixed; the JSON round-trips bit-exactly.
///
/// `docs/evidence-format.md` describes every field and the hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentEvidenceBundle {
    /// Always [`INCIDENT_EVIDENCE_BUNDLE_SCHEMA`].
    #[cfg_attr(feature = "schema", schemars(extend("const" = INCIDENT_EVIDENCE_BUNDLE_SCHEMA)))]
    pub schema: String,
    /// When the bundle was built (injected clock), in ms.
    pub generated_at_ms: u64,
    /// The scope the bundle was built with; every record lies within it.
    pub filter: IncidentBundleFilter,
    /// What was redacted.
    pub redaction: IncidentBundleRedactionPolicy,
    /// Checklist 1: the ledger span covering every in-scope entry; out-of-scope entries inside
    /// the span are elided, redacted `params_hash` values keep their commitment.
    pub ledger: RuntimeRiskLedgerArtifact,
    /// Checklist 3: alerts in scope.
    pub alerts: Vec<SecurityAlert>,
    /// Checklist 2: telemetry events in scope.
    pub telemetry: Vec<RuntimeHostcallTelemetryEvent>,
    /// Checklist 4: exec-mediation entries in scope.
    pub exec_mediation: Vec<ExecMediationLedgerEntry>,
    /// Checklist 5: secret-broker entries in scope.
    pub secret_broker: Vec<SecretBrokerLedgerEntry>,
    /// Checklist 6: quota breaches in scope.
    pub quota_breaches: Vec<QuotaBreachEvent>,
    /// Checklist 7: the rollout state at bundle time (builder only).
    pub rollout: Option<RolloutSnapshot>,
    /// Checklist 8: trust state of the extensions in scope, by extension id (builder only).
    pub trust: Vec<TrustStateRecord>,
    /// What verifying the whole source ledger found at build time. A bundle whose source did
    /// not verify is never valid: the span's elided entries keep only their stored digests, so
    /// the span alone cannot show that they were intact.
    pub source_ledger: SourceLedgerStatus,
    /// Counts over the sections; every field is recomputed by the verifier.
    pub summary: IncidentBundleSummary,
    /// The latest signed checkpoint of the source ledger (`docs/ledger-format.md` §8) that
    /// covers the span: the span runs to the entry it pins, so with the signer's key
    /// (`bundle verify --pubkey`) every entry up to it is pinned by the signature. Absent when
    /// none was given; never `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// SHA-256 over the canonical encoding of every other field (`docs/evidence-format.md` §3).
    pub bundle_hash: Digest,
}

impl IncidentEvidenceBundle {
    /// The bundle schema.
    pub const SCHEMA: &'static str = INCIDENT_EVIDENCE_BUNDLE_SCHEMA;

    /// The bundle as compact JSON (fixed field order).
    pub fn to_json(&self) -> Result<String, EvidenceError> {
        serde_json::to_string(self).map_err(EvidenceError::json)
    }

    /// Parses a bundle from JSON bytes that hold exactly a bundle: malformed JSON is
    /// [`EvidenceError::Json`]; a repeated member name, a member the bundle does not know (at
    /// any depth) or a value written in another form is [`EvidenceError::NonCanonicalContent`]
    /// (`docs/evidence-format.md` §6.1). Parsing checks shape only; call
    /// [`crate::verify_incident_evidence_bundle`] before trusting the content.
    pub fn from_json_slice(bytes: &[u8]) -> Result<IncidentEvidenceBundle, EvidenceError> {
        from_json_exactly(bytes).map_err(EvidenceError::exact)
    }
}

/// Counts over a bundle's sections (`docs/evidence-format.md` §2.5 defines each precisely).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentBundleSummary {
    /// Disclosed (not elided) entries of the ledger section.
    pub ledger_entry_count: u64,
    /// Alerts.
    pub alert_count: u64,
    /// Telemetry events.
    pub telemetry_event_count: u64,
    /// Exec-mediation entries.
    pub exec_mediation_count: u64,
    /// Secret-broker entries.
    pub secret_broker_count: u64,
    /// Quota breaches.
    pub quota_breach_count: u64,
    /// Distinct extension ids named by the disclosed ledger entries, alerts, telemetry,
    /// exec-mediation, secret-broker and quota sections (global records name none).
    pub distinct_extensions: u64,
    /// Highest finite risk score of the disclosed ledger decisions, alerts and telemetry events;
    /// 0 when there is none (scores lie in `[0, 1]`).
    pub peak_risk_score: f64,
    /// Disclosed ledger decisions that applied `deny` or `terminate` (`applied.action`, or
    /// `selected_action` in a decision written before `applied` existed).
    pub deny_or_terminate_count: u64,
    /// Whether the embedded ledger section verifies (`verify_runtime_risk_ledger_artifact`)
    /// *and* the bundle's `source_ledger` records a source that verified when the bundle was
    /// built: elided entries keep only their digests, so the span alone cannot vouch for them.
    pub ledger_chain_intact: bool,
    /// Elided entries of the ledger section (other extensions' or out-of-window entries inside
    /// the covered span). Not one of the runbook's ten; recorded so the span length is explicit.
    pub ledger_elided_count: u64,
}
