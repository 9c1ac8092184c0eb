//! The per-extension record streams, as stored (docs/design.md §6): each a [`BoundedLog`] inside
//! the extension's shard. Telemetry is kept compactly (features as a fixed array, hashes as
//! bytes) and expanded into [`RuntimeHostcallTelemetryEvent`] only when an artifact is built, so
//! the hot path does not allocate a map per call.

use std::collections::BTreeMap;
use std::sync::Arc;

use hostguard_evidence::{
    BoundedLog, ExecMediationLedgerEntry, KillSwitchAuditEntry, QuotaBreachEvent,
    RuntimeHostcallTelemetryEvent, SecretBrokerLedgerEntry, SecurityAlert,
};
use hostguard_risk_core::{Capability, EnforcementState, Feature, FEATURE_COUNT};

/// One telemetry event, compact.
#[derive(Debug, Clone)]
pub(crate) struct TelemetrySlot {
    pub(crate) seq: u64,
    pub(crate) ts_ms: u64,
    pub(crate) call_id: Arc<str>,
    pub(crate) capability: Capability,
    pub(crate) method: &'static str,
    pub(crate) features: Option<[f64; FEATURE_COUNT]>,
    pub(crate) risk_score: f64,
    pub(crate) risk_action: EnforcementState,
    pub(crate) previous_action: EnforcementState,
    pub(crate) enforced: bool,
    pub(crate) blocked: bool,
    pub(crate) resource_target_class: &'static str,
    pub(crate) params_digest: [u8; 32],
    pub(crate) args_shape_digest: [u8; 32],
    pub(crate) latency_ms: Option<u64>,
    pub(crate) outcome: Option<&'static str>,
}

impl TelemetrySlot {
    pub(crate) fn event(&self, extension_id: &str) -> RuntimeHostcallTelemetryEvent {
        let features = match &self.features {
            Some(values) => Feature::ALL
                .iter()
                .zip(values)
                .map(|(f, v)| (f.as_str().to_owned(), *v))
                .collect(),
            None => BTreeMap::new(),
        };
        RuntimeHostcallTelemetryEvent {
            ts_ms: self.ts_ms,
            extension_id: Some(extension_id.to_owned()),
            call_id: self.call_id.to_string(),
            capability: self.capability.as_str().to_owned(),
            method: self.method.to_owned(),
            features,
            risk_score: self.risk_score,
            risk_action: self.risk_action,
            previous_action: self.previous_action,
            enforced: self.enforced,
            blocked: self.blocked,
            resource_target_class: self.resource_target_class.to_owned(),
            params_hash: hex::encode(self.params_digest),
            args_shape_hash: hex::encode(self.args_shape_digest),
            latency_ms: self.latency_ms,
            outcome: self.outcome.map(str::to_owned),
        }
    }
}

/// The per-extension streams.
pub(crate) struct ShardRecords {
    pub(crate) telemetry: BoundedLog<TelemetrySlot>,
    pub(crate) alerts: BoundedLog<SecurityAlert>,
    pub(crate) exec: BoundedLog<(u64, ExecMediationLedgerEntry)>,
    pub(crate) secret: BoundedLog<(u64, SecretBrokerLedgerEntry)>,
    pub(crate) quota: BoundedLog<(u64, QuotaBreachEvent)>,
    pub(crate) kill_audit: BoundedLog<KillSwitchAuditEntry>,
}

/// Records each stream's retention (`record_limit` per extension) evicted so far: an artifact
/// holds only the newest, and a reader must be able to tell (issue 16).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordEvictions {
    /// Security alerts.
    pub alerts: u64,
    /// Hostcall telemetry events.
    pub telemetry: u64,
    /// Exec-mediation records.
    pub exec_mediation: u64,
    /// Secret-broker records.
    pub secret_broker: u64,
    /// Quota breaches.
    pub quota_breaches: u64,
    /// Kill-switch audit entries.
    pub kill_switch_audit: u64,
}

impl RecordEvictions {
    /// The sum over every stream.
    pub fn total(&self) -> u64 {
        [
            self.alerts,
            self.telemetry,
            self.exec_mediation,
            self.secret_broker,
            self.quota_breaches,
            self.kill_switch_audit,
        ]
        .iter()
        .fold(0u64, |sum, n| sum.saturating_add(*n))
    }

    /// Adds one extension's streams.
    pub(crate) fn add(&mut self, r: &ShardRecords) {
        let add = |n: &mut u64, m: u64| *n = n.saturating_add(m);
        add(&mut self.alerts, r.alerts.evicted());
        add(&mut self.telemetry, r.telemetry.evicted());
        add(&mut self.exec_mediation, r.exec.evicted());
        add(&mut self.secret_broker, r.secret.evicted());
        add(&mut self.quota_breaches, r.quota.evicted());
        add(&mut self.kill_switch_audit, r.kill_audit.evicted());
    }
}

impl ShardRecords {
    pub(crate) fn new(limit: usize) -> ShardRecords {
        ShardRecords {
            telemetry: BoundedLog::new(limit),
            alerts: BoundedLog::new(limit),
            exec: BoundedLog::new(limit),
            secret: BoundedLog::new(limit),
            quota: BoundedLog::new(limit),
            kill_audit: BoundedLog::new(limit),
        }
    }
}
