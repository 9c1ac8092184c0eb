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
mod records;

pub use artifacts::{
    ExecMediationArtifact, RuntimeHostcallTelemetryArtifact, SecretBrokerArtifact,
    SecurityAlertArtifact,
};
pub use bounded::BoundedLog;
pub use records::{
    ExecMediationLedgerEntry, KillSwitchAuditEntry, QuotaBreachEvent, RolloutSnapshot,
    RuntimeHostcallTelemetryEvent, SecretBrokerLedgerEntry, SecurityAlert, SecurityAlertCategory,
    SecurityAlertSeverity, TrustStateRecord,
};
