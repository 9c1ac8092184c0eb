//! The record streams (docs/design.md §6): security alerts, hostcall telemetry, exec-mediation and
//! secret-broker logs, quota breaches, kill-switch audit — and their artifacts.
//!
//! Every stream is a [`BoundedLog`] kept *per extension* inside its shard (one noisy extension
//! cannot evict another's evidence, and writing a record takes no global lock); control-plane
//! alerts (rollback) live in the core. Reads never drain. An artifact merges the shards in global
//! order: alerts by `sequence_id`, the other streams by the seq of the ledger entry of their
//! decision.
//!
//! Telemetry is stored compactly (features as a fixed array, hashes as bytes) and expanded into
//! [`RuntimeHostcallTelemetryEvent`] only when an artifact is built, so the hot path does not
//! allocate a map per call.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use hostguard_evidence::{
    ExecMediationArtifact, IncidentBundleFilter, IncidentBundleRedactionPolicy,
    IncidentEvidenceBundle, IncidentEvidenceBundleBuilder, KillSwitchAuditEntry, QuotaBreachEvent,
    RolloutSnapshot, RuntimeHostcallTelemetryArtifact, RuntimeHostcallTelemetryEvent,
    SecretBrokerArtifact, SecretBrokerLedgerEntry, SecurityAlert, SecurityAlertArtifact,
    SecurityAlertCategory, SecurityAlertSeverity, TrustStateRecord,
};
use hostguard_risk_core::{
    rule_id, Decision, DomainTag, ExtensionTrustState, HostcallMethod, VerdictAction,
};
use hostguard_rollout::Transition;

use crate::alerts::AlertContext;
use crate::manager::ExtensionManager;
use crate::shard::{lock, read};
use crate::state::{Core, Shard, ShardState};
use crate::streams::RecordEvictions;
use crate::streams::TelemetrySlot;
use crate::trace::AlertOrigin;
use crate::verdict::Outcome;

/// What a control-plane alert says.
struct ControlAlert<'a> {
    ts_ms: u64,
    category: SecurityAlertCategory,
    severity: SecurityAlertSeverity,
    action: &'static str,
    reason: String,
    codes: &'a [&'a str],
    context_hash: String,
    remediation: &'static str,
}

impl ExtensionManager {
    pub(crate) fn next_alert_seq(&self) -> u64 {
        self.alert_seq
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
    }

    /// Stores one decision's records in its shard (shard lock held, core lock not held).
    pub(crate) fn store_records(
        &self,
        st: &mut ShardState,
        ctx: &AlertContext<'_>,
        call_id: Arc<str>,
        seq: u64,
        d: &Decision,
    ) {
        let call = ctx.call;
        let state = st.risk.state();
        let eval = d.eval.as_ref();
        st.records.telemetry.push(TelemetrySlot {
            seq,
            ts_ms: call.now_ms,
            call_id,
            capability: call.capability,
            method: call.method.map_or("unknown", HostcallMethod::as_str),
            features: eval.map(|e| e.features),
            risk_score: eval.map_or(0.0, |e| e.score),
            risk_action: eval.map_or(state, |e| e.state_after),
            previous_action: eval.map_or(state, |e| e.state_before),
            enforced: d.enforced(),
            blocked: d.action == VerdictAction::Block,
            resource_target_class: d.resource_class(call.capability),
            params_digest: call.params_digest,
            args_shape_digest: call.shape_digest,
            latency_ms: None,
            outcome: None,
        });
        for mut alert in ctx.alerts(d) {
            alert.sequence_id = self.next_alert_seq();
            // Mediation alerts name the first rule the call fired.
            let rule = (alert.category == SecurityAlertCategory::ExecMediation)
                .then(|| d.detection.hits.first())
                .flatten()
                .map(|h| rule_id(ctx.catalog, h));
            let origin = AlertOrigin {
                call_id: Some(&call.host.call_id),
                seq: Some(seq),
                rule,
            };
            crate::trace::alert(&alert, origin);
            st.records.alerts.push(alert);
        }
        if let Some(entry) = ctx.exec_log_entry(d) {
            st.records.exec.push((seq, entry));
        }
        let extension_id = || Some(call.host.extension_id.clone());
        let call_id = &call.host.call_id;
        for s in &d.secrets {
            let entry = SecretBrokerLedgerEntry {
                ts_ms: call.now_ms,
                extension_id: extension_id(),
                call_id: call_id.clone(),
                name_hash: s.name_hash.clone(),
                redacted: s.redacted,
                reason: s.reason.as_str().to_owned(),
            };
            st.records.secret.push((seq, entry));
        }
        if let Some(b) = &d.quota_breach {
            let event = QuotaBreachEvent {
                ts_ms: call.now_ms,
                extension_id: extension_id(),
                call_id: call_id.clone(),
                kind: b.kind.as_str().to_owned(),
                limit: b.limit,
                observed: b.observed,
            };
            st.records.quota.push((seq, event));
        }
    }

    pub(crate) fn fill_telemetry_outcome(
        &self,
        st: &mut ShardState,
        seq: u64,
        outcome: &Outcome,
        latency_ms: u64,
    ) {
        if let Some(slot) = st.records.telemetry.find_last_mut(|s| s.seq == seq) {
            slot.latency_ms = Some(latency_ms);
            slot.outcome = Some(outcome.as_str());
        }
    }

    pub(crate) fn record_kill_audit(
        &self,
        st: &mut ShardState,
        extension_id: &str,
        on: bool,
        reason: &str,
        now: u64,
    ) {
        st.records.kill_audit.push(KillSwitchAuditEntry {
            ts_ms: now,
            extension_id: extension_id.to_owned(),
            on,
            reason: reason.to_owned(),
        });
    }

    /// The `ProfileTransition` alert of an automatic rollback (core lock held).
    pub(crate) fn rollback_alert(&self, core: &mut Core, t: &Transition) {
        let mut h = DomainTag::RolloutTransition.hasher();
        h.update(t.from.as_str().as_bytes());
        h.update(b"\0");
        h.update(t.to.as_str().as_bytes());
        h.update(t.at_ms.to_be_bytes());
        self.push_control_alert(
            core,
            ControlAlert {
                ts_ms: t.at_ms,
                category: SecurityAlertCategory::ProfileTransition,
                severity: SecurityAlertSeverity::Error,
                action: "rollback",
                reason: format!(
                    "rollout rolled back from {} to {}: {}",
                    t.from, t.to, t.reason
                ),
                codes: &["rollback", t.reason.code(), t.from.as_str()],
                context_hash: hex::encode(h.finalize()),
                remediation: "runbook Procedure 4: verify the rollback, fix the cause, \
                              re-advance gradually",
            },
        );
    }

    /// A `ledger_integrity` control alert (core lock held): what a restart found in the
    /// ledger, or a control entry or checkpoint that could not be written; `action` says which
    /// (`resume`, `record`, `checkpoint`).
    pub(crate) fn ledger_alert(
        &self,
        core: &mut Core,
        now: u64,
        action: &'static str,
        severity: SecurityAlertSeverity,
        reason: String,
        codes: &[&str],
    ) {
        let mut h = DomainTag::LedgerIntegrity.hasher();
        h.update(reason.as_bytes());
        self.push_control_alert(
            core,
            ControlAlert {
                ts_ms: now,
                category: SecurityAlertCategory::LedgerIntegrity,
                severity,
                action,
                reason,
                codes,
                context_hash: hex::encode(h.finalize()),
                remediation: "runbook Procedure 5: verify the ledger (and the moved-aside file, \
                              if any) before lifting anything",
            },
        );
    }

    /// Pushes a control-plane alert (no extension, no capability) with the next sequence id.
    fn push_control_alert(&self, core: &mut Core, a: ControlAlert<'_>) {
        let alert = SecurityAlert {
            ts_ms: a.ts_ms,
            sequence_id: self.next_alert_seq(),
            extension_id: None,
            category: a.category,
            severity: a.severity,
            capability: String::new(),
            method: String::new(),
            action_taken: a.action.to_owned(),
            reason: a.reason,
            reason_codes: a.codes.iter().map(|c| (*c).to_owned()).collect(),
            risk_score: None,
            context_hash: a.context_hash,
            remediation: a.remediation.to_owned(),
        };
        crate::trace::alert(&alert, AlertOrigin::default());
        core.control_alerts.push(alert);
    }

    /// Every shard, ordered by extension id (stable artifacts).
    pub(crate) fn all_shards(&self) -> Vec<Arc<Shard>> {
        let mut shards: Vec<Arc<Shard>> = self
            .shards
            .iter()
            .flat_map(|stripe| read(stripe).values().map(Arc::clone).collect::<Vec<_>>())
            .collect();
        shards.sort_by(|a, b| a.extension_id.cmp(&b.extension_id));
        shards
    }

    // ---------------------------------------------------------------------------------------
    // The runbook's readers.
    // ---------------------------------------------------------------------------------------

    /// Every retained security alert, in `sequence_id` order (runbook Procedure 2).
    pub fn security_alerts(&self) -> Vec<SecurityAlert> {
        let mut alerts: Vec<SecurityAlert> = lock(&self.core).control_alerts.to_vec();
        for shard in self.all_shards() {
            alerts.extend(lock(&shard.state).records.alerts.iter().cloned());
        }
        alerts.sort_by_key(|a| a.sequence_id);
        alerts
    }

    /// Records retention evicted so far, per stream, over every extension (the control-plane
    /// alerts included): what the artifacts no longer hold.
    pub fn records_evicted(&self) -> RecordEvictions {
        let mut evicted = RecordEvictions {
            alerts: lock(&self.core).control_alerts.evicted(),
            ..RecordEvictions::default()
        };
        for shard in self.all_shards() {
            evicted.add(&lock(&shard.state).records);
        }
        evicted
    }

    /// The record retention bound per extension and stream (the builder's `record_limit`).
    pub fn record_limit(&self) -> usize {
        self.record_limit
    }

    /// The alerts as an artifact (runbook Procedure 6).
    pub fn security_alert_artifact(&self) -> SecurityAlertArtifact {
        SecurityAlertArtifact::new(self.clock.now_ms(), self.security_alerts())
    }

    /// Every retained telemetry event, in decision order (runbook Procedures 1, 3, 6).
    pub fn runtime_hostcall_telemetry_artifact(&self) -> RuntimeHostcallTelemetryArtifact {
        let mut events: Vec<(u64, RuntimeHostcallTelemetryEvent)> = Vec::new();
        for shard in self.all_shards() {
            let st = lock(&shard.state);
            events.extend(
                st.records
                    .telemetry
                    .iter()
                    .map(|slot| (slot.seq, slot.event(&shard.extension_id))),
            );
        }
        events.sort_by_key(|(seq, _)| *seq);
        RuntimeHostcallTelemetryArtifact::new(
            self.clock.now_ms(),
            events.into_iter().map(|(_, e)| e).collect(),
        )
    }

    /// The exec-mediation log (command hashes, classes, decisions; never a command).
    pub fn exec_mediation_artifact(&self) -> ExecMediationArtifact {
        let entries = self.merged(|st| st.records.exec.iter().cloned().collect());
        ExecMediationArtifact::new(self.clock.now_ms(), entries)
    }

    /// The secret-broker log (name hashes and decisions; never a value, never a name).
    pub fn secret_broker_artifact(&self) -> SecretBrokerArtifact {
        let entries = self.merged(|st| st.records.secret.iter().cloned().collect());
        SecretBrokerArtifact::new(self.clock.now_ms(), entries)
    }

    /// Every retained quota breach, in decision order.
    pub fn quota_breach_events(&self) -> Vec<QuotaBreachEvent> {
        self.merged(|st| st.records.quota.iter().cloned().collect())
    }

    /// Trust state and kill-switch audit of every known extension (evidence checklist item 8).
    pub fn trust_state_records(&self) -> Vec<TrustStateRecord> {
        self.all_shards()
            .into_iter()
            .map(|shard| {
                let st = lock(&shard.state);
                TrustStateRecord {
                    extension_id: shard.extension_id.clone(),
                    trust: st.trust.as_str().to_owned(),
                    killed: st.trust == ExtensionTrustState::Killed,
                    kill_switch_audit: st.records.kill_audit.to_vec(),
                }
            })
            .collect()
    }

    /// The rollout snapshot for evidence bundles (evidence checklist item 7).
    pub fn rollout_snapshot(&self) -> RolloutSnapshot {
        let s = self.rollout_state();
        RolloutSnapshot {
            phase: s.phase.as_str().to_owned(),
            enforce: s.enforce,
            rolled_back_from: s.rolled_back_from.map(|p| p.as_str().to_owned()),
            last_transition_ms: s.last_transition_ms,
            transition_count: s.transition_count,
            total_decisions: s.window_stats.total_decisions,
            false_positive_count: s.window_stats.false_positive_count,
            error_count: s.window_stats.error_count,
            avg_latency_ms: s.window_stats.avg_latency_ms,
            inconclusive: s.window_stats.inconclusive,
        }
    }

    /// Merges one `(seq, record)` stream of every shard in seq order.
    fn merged<T>(&self, take: impl Fn(&ShardState) -> Vec<(u64, T)>) -> Vec<T> {
        let mut all: Vec<(u64, T)> = Vec::new();
        for shard in self.all_shards() {
            all.extend(take(&lock(&shard.state)));
        }
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, t)| t).collect()
    }
}

impl ExtensionManager {
    /// The incident evidence bundle of runbook Procedure 6 with all eight checklist items: the
    /// ledger, telemetry, alerts, exec-mediation and secret-broker logs, quota breaches, the
    /// rollout snapshot and every extension's trust state with its kill-switch audit; filtered
    /// and redacted as asked, summarised and hashed.
    pub fn incident_evidence_bundle(
        &self,
        filter: &IncidentBundleFilter,
        redaction: &IncidentBundleRedactionPolicy,
    ) -> IncidentEvidenceBundle {
        let ledger = self.runtime_risk_ledger_artifact();
        let alerts = self.security_alerts();
        let telemetry = self.runtime_hostcall_telemetry_artifact().entries;
        let exec = self.exec_mediation_artifact().entries;
        let secret = self.secret_broker_artifact().entries;
        let quota = self.quota_breach_events();
        IncidentEvidenceBundleBuilder::new(&ledger)
            .alerts(&alerts)
            .telemetry(&telemetry)
            .exec_mediation(&exec)
            .secret_broker(&secret)
            .quota_breaches(&quota)
            .rollout(self.rollout_snapshot())
            .trust_states(self.trust_state_records())
            .filter(filter.clone())
            .redaction(*redaction)
            .build(self.clock.now_ms())
    }
}
