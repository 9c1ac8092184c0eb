//! Triage: the runbook's decision tree for an incoming alert, as code (DESIGN §7, runbook
//! "Decision Tree: Incoming Alert").
//!
//! ```text
//! quarantined (Terminate)?             → Quarantine Investigation       P0 (exfiltration or
//!                                                                           critical exec) / P1
//! policy denial (exec/env denied)?     → > 3 in 60 s: Burst Denial Triage P1
//!                                        otherwise:   Log and monitor     P3
//! enforcement state transition?        → escalation:    Escalation Review P2
//!                                        de-escalation: Log and monitor   P3
//! rollback trigger event?              → Automatic Rollback Verification  P1
//! ledger integrity failure?            → Ledger Corruption Recovery       P0
//! ```
//!
//! Alerts outside the tree: a risk denial (`AnomalyDenial`) is a sustained deny escalation,
//! reviewed as an escalation (P2); secret-broker redactions and quota breaches are logged and
//! monitored (P3).

use std::fmt;

use hostguard_evidence::{SecurityAlert, SecurityAlertCategory};
use hostguard_ledger::RuntimeRiskLedgerVerificationReport;
use hostguard_risk_core::EnforcementState;
use serde::{Deserialize, Serialize};

use crate::manager::ExtensionManager;
use crate::shard::lock;
use crate::trust::ExtensionTrustState;

/// Window of the burst rule, in milliseconds.
pub const BURST_WINDOW_MS: u64 = 60_000;
/// More than this many policy denials from one extension inside the window is a burst.
pub const BURST_THRESHOLD: usize = 3;
/// Reason code that marks an alert about a ledger integrity failure.
pub const LEDGER_INTEGRITY_FAILURE: &str = "ledger_integrity_failure";

/// The runbook's severity levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IncidentSeverity {
    /// Critical: policy boundary breached, data exfiltration (< 1 hour).
    P0,
    /// High: controller degraded, sustained deny escalation (< 4 hours).
    P1,
    /// Medium: SLO budget at risk, elevated FP rate (< 1 sprint).
    P2,
    /// Low: informational, a single transient anomaly (next sprint).
    P3,
}

impl fmt::Display for IncidentSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IncidentSeverity::P0 => "P0",
            IncidentSeverity::P1 => "P1",
            IncidentSeverity::P2 => "P2",
            IncidentSeverity::P3 => "P3",
        })
    }
}

/// The runbook's procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunbookProcedure {
    /// Procedure 1.
    QuarantineInvestigation,
    /// Procedure 2.
    BurstDenialTriage,
    /// Procedure 3.
    EscalationReview,
    /// Procedure 4.
    AutomaticRollbackVerification,
    /// Procedure 5.
    LedgerCorruptionRecovery,
    /// Procedure 6.
    EvidenceBundleExport,
    /// No procedure: log it and keep watching.
    LogAndMonitor,
}

impl RunbookProcedure {
    /// The runbook's title of the procedure.
    pub const fn title(self) -> &'static str {
        match self {
            RunbookProcedure::QuarantineInvestigation => "Quarantine Investigation",
            RunbookProcedure::BurstDenialTriage => "Burst Denial Triage",
            RunbookProcedure::EscalationReview => "Escalation Review",
            RunbookProcedure::AutomaticRollbackVerification => "Automatic Rollback Verification",
            RunbookProcedure::LedgerCorruptionRecovery => "Ledger Corruption Recovery",
            RunbookProcedure::EvidenceBundleExport => "Evidence Bundle Export",
            RunbookProcedure::LogAndMonitor => "Log and monitor",
        }
    }
}

impl fmt::Display for RunbookProcedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// The answer of the decision tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    /// How urgent.
    pub severity: IncidentSeverity,
    /// What to do.
    pub procedure: RunbookProcedure,
    /// Which branch of the tree matched, with the facts it rests on.
    pub reason: String,
}

fn has_code(alert: &SecurityAlert, code: &str) -> bool {
    alert.reason_codes.iter().any(|c| c == code)
}

/// A denial of the static policy, of exec mediation or of the secret broker (an env read it
/// cannot check): "exec/env denied".
fn is_policy_denial(alert: &SecurityAlert) -> bool {
    match alert.category {
        SecurityAlertCategory::PolicyDenial => true,
        SecurityAlertCategory::ExecMediation | SecurityAlertCategory::SecretBroker => {
            alert.action_taken == "deny"
        }
        SecurityAlertCategory::AnomalyDenial
        | SecurityAlertCategory::QuotaBreach
        | SecurityAlertCategory::Quarantine
        | SecurityAlertCategory::ProfileTransition => false,
    }
}

impl ExtensionManager {
    /// Runs the runbook's decision tree on `alert`, with the manager's context (the extension's
    /// current state, its recent denials).
    pub fn triage(&self, alert: &SecurityAlert) -> Triage {
        let triage = |severity, procedure, reason: String| Triage {
            severity,
            procedure,
            reason,
        };
        let ext = alert.extension_id.as_deref();
        let shard = ext.and_then(|id| self.existing_shard(id));
        let (state, trust) = shard
            .as_ref()
            .map_or((None, ExtensionTrustState::Unknown), |s| {
                let st = lock(&s.state);
                (Some(st.risk.state()), st.trust)
            });
        let ext_name = ext.unwrap_or("-");

        // 1. Quarantined (Terminate state)?
        if alert.category == SecurityAlertCategory::Quarantine
            || state == Some(EnforcementState::Terminate)
            || trust == ExtensionTrustState::Quarantined
        {
            let exfiltration =
                has_code(alert, "exfiltration_shape") || has_code(alert, "critical_exec_class");
            return triage(
                if exfiltration {
                    IncidentSeverity::P0
                } else {
                    IncidentSeverity::P1
                },
                RunbookProcedure::QuarantineInvestigation,
                format!(
                    "extension `{ext_name}` is quarantined (terminate state){}",
                    if exfiltration {
                        "; exfiltration or critical exec signals: P0"
                    } else {
                        ""
                    }
                ),
            );
        }

        // 2. Policy denial: single or burst (> 3 in 60 s from one extension).
        if is_policy_denial(alert) {
            let from = alert.ts_ms.saturating_sub(BURST_WINDOW_MS);
            let count = shard.as_ref().map_or(1, |s| {
                lock(&s.state)
                    .records
                    .alerts
                    .iter()
                    .filter(|a| {
                        is_policy_denial(a)
                            && a.ts_ms >= from
                            && a.ts_ms <= alert.ts_ms
                            && a.sequence_id <= alert.sequence_id
                    })
                    .count()
                    .max(1)
            });
            return if count > BURST_THRESHOLD {
                triage(
                    IncidentSeverity::P1,
                    RunbookProcedure::BurstDenialTriage,
                    format!(
                        "{count} policy denials from `{ext_name}` within 60 s (more than {BURST_THRESHOLD})"
                    ),
                )
            } else {
                triage(
                    IncidentSeverity::P3,
                    RunbookProcedure::LogAndMonitor,
                    format!(
                        "{count} policy denial(s) from `{ext_name}` within 60 s: single occurrence, log and monitor"
                    ),
                )
            };
        }

        // 3. Enforcement state transition.
        if has_code(alert, "escalated") {
            return triage(
                IncidentSeverity::P2,
                RunbookProcedure::EscalationReview,
                format!(
                    "enforcement state of `{ext_name}` escalated: {}",
                    alert.reason
                ),
            );
        }
        if has_code(alert, "de_escalated") {
            return triage(
                IncidentSeverity::P3,
                RunbookProcedure::LogAndMonitor,
                format!(
                    "enforcement state of `{ext_name}` de-escalated: log, verify the cooldown worked"
                ),
            );
        }

        // 4. Rollback trigger event.
        if has_code(alert, "rollback") {
            return triage(
                IncidentSeverity::P1,
                RunbookProcedure::AutomaticRollbackVerification,
                format!("automatic rollback: {}", alert.reason),
            );
        }

        // 5. Ledger integrity failure.
        if has_code(alert, LEDGER_INTEGRITY_FAILURE) {
            return triage(
                IncidentSeverity::P0,
                RunbookProcedure::LedgerCorruptionRecovery,
                format!("ledger integrity failure: {}", alert.reason),
            );
        }

        match alert.category {
            SecurityAlertCategory::AnomalyDenial => triage(
                IncidentSeverity::P2,
                RunbookProcedure::EscalationReview,
                format!("risk model denial for `{ext_name}`: review the escalation"),
            ),
            SecurityAlertCategory::PolicyDenial
            | SecurityAlertCategory::ExecMediation
            | SecurityAlertCategory::SecretBroker
            | SecurityAlertCategory::QuotaBreach
            | SecurityAlertCategory::Quarantine
            | SecurityAlertCategory::ProfileTransition => triage(
                IncidentSeverity::P3,
                RunbookProcedure::LogAndMonitor,
                format!(
                    "{} alert for `{ext_name}`: informational, log and monitor",
                    alert.category
                ),
            ),
        }
    }

    /// Triage of a ledger verification: an invalid report is a P0 Ledger Corruption Recovery
    /// (runbook Procedure 5); a valid one needs nothing.
    pub fn triage_ledger_report(
        &self,
        report: &RuntimeRiskLedgerVerificationReport,
    ) -> Option<Triage> {
        (!report.valid).then(|| Triage {
            severity: IncidentSeverity::P0,
            procedure: RunbookProcedure::LedgerCorruptionRecovery,
            reason: format!(
                "ledger hash chain verification failed: {} error(s), first invalid index {:?}",
                report.errors.len(),
                report.first_invalid_index
            ),
        })
    }
}
