//! Triage: the runbook's decision tree for an incoming alert, as code (docs/design.md §7, runbook
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
//! reviewed as an escalation (P2); a tool-integrity alert (a rug pull, a poisoned tool) is
//! investigated as a quarantine (P1); secret-broker redactions and quota breaches are logged
//! and monitored (P3).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use hostguard_evidence::{SecurityAlert, SecurityAlertCategory, SecurityAlertSeverity};
use hostguard_ledger::RuntimeRiskLedgerVerificationReport;
use hostguard_risk_core::EnforcementState;
use serde::{Deserialize, Serialize};

use crate::alerts::LEDGER_INTEGRITY_FAILURE;
use crate::manager::ExtensionManager;
use crate::shard::lock;
use hostguard_risk_core::ExtensionTrustState;

/// Window of the burst rule, in milliseconds.
pub const BURST_WINDOW_MS: u64 = 60_000;
/// More than this many policy denials from one extension inside the window is a burst.
pub const BURST_THRESHOLD: usize = 3;

/// The runbook's severity levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
        | SecurityAlertCategory::ProfileTransition
        | SecurityAlertCategory::LedgerIntegrity
        | SecurityAlertCategory::ToolIntegrity => false,
    }
}

/// What the decision tree needs beyond the alert itself. The manager reads it from live state
/// ([`ExtensionManager::triage`]); [`triage_alerts`] rebuilds it from an exported alert stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TriageContext {
    /// The extension is quarantined (Terminate state, or trust `Quarantined`).
    pub quarantined: bool,
    /// Policy denials from the extension in the [`BURST_WINDOW_MS`] ending at the alert, the
    /// alert itself included (only read for policy denials).
    pub policy_denials_in_window: usize,
}

/// The runbook's decision tree ("Decision Tree: Incoming Alert") on one alert with its
/// context: the one place the tree is written, for the live manager and the offline CLI alike.
/// Branches are tried in the runbook's order: quarantine, policy denial, then the reason-code
/// branches of `CODE_BRANCHES` (state transition, rollback, ledger integrity), then the
/// alert's category.
pub fn triage_alert(alert: &SecurityAlert, ctx: TriageContext) -> Triage {
    let ext_name = alert.extension_id.as_deref().unwrap_or("-");
    quarantine_branch(alert, ctx, ext_name)
        .or_else(|| policy_denial_branch(alert, ctx, ext_name))
        .or_else(|| {
            CODE_BRANCHES
                .iter()
                .find(|b| has_code(alert, b.code))
                .map(|b| Triage {
                    severity: b.severity,
                    procedure: b.procedure,
                    reason: (b.reason)(alert, ext_name),
                })
        })
        .unwrap_or_else(|| category_branch(alert, ext_name))
}

/// 1. Quarantined (Terminate state)? P0 with exfiltration or critical exec signals, else P1.
fn quarantine_branch(alert: &SecurityAlert, ctx: TriageContext, ext_name: &str) -> Option<Triage> {
    if alert.category != SecurityAlertCategory::Quarantine && !ctx.quarantined {
        return None;
    }
    let exfiltration =
        has_code(alert, "exfiltration_shape") || has_code(alert, "critical_exec_class");
    Some(Triage {
        severity: if exfiltration {
            IncidentSeverity::P0
        } else {
            IncidentSeverity::P1
        },
        procedure: RunbookProcedure::QuarantineInvestigation,
        reason: format!(
            "extension `{ext_name}` is quarantined (terminate state){}",
            if exfiltration {
                "; exfiltration or critical exec signals: P0"
            } else {
                ""
            }
        ),
    })
}

/// 2. Policy denial: single or burst (> 3 in 60 s from one extension).
fn policy_denial_branch(
    alert: &SecurityAlert,
    ctx: TriageContext,
    ext_name: &str,
) -> Option<Triage> {
    if !is_policy_denial(alert) {
        return None;
    }
    let count = ctx.policy_denials_in_window.max(1);
    // A single denial of a critical class or rule (a reverse shell, a credential dump) is an
    // attack in progress, not noise: investigated like a burst.
    if alert.severity == SecurityAlertSeverity::Critical {
        return Some(Triage {
            severity: IncidentSeverity::P1,
            procedure: RunbookProcedure::BurstDenialTriage,
            reason: format!(
                "critical denial for `{ext_name}` ({}): investigate the extension, engage the kill switch if it is malicious",
                alert.reason
            ),
        });
    }
    Some(if count > BURST_THRESHOLD {
        Triage {
            severity: IncidentSeverity::P1,
            procedure: RunbookProcedure::BurstDenialTriage,
            reason: format!(
                "{count} policy denials from `{ext_name}` within 60 s (more than {BURST_THRESHOLD})"
            ),
        }
    } else {
        Triage {
            severity: IncidentSeverity::P3,
            procedure: RunbookProcedure::LogAndMonitor,
            reason: format!(
                "{count} policy denial(s) from `{ext_name}` within 60 s: single occurrence, log and monitor"
            ),
        }
    })
}

/// A branch of the tree decided by one reason code: the first whose code the alert carries
/// answers.
struct CodeBranch {
    code: &'static str,
    severity: IncidentSeverity,
    procedure: RunbookProcedure,
    /// The reason, from the alert and the extension's name.
    reason: fn(&SecurityAlert, &str) -> String,
}

/// 3. Enforcement state transition, 4. rollback trigger event, 5. ledger integrity failure.
const CODE_BRANCHES: [CodeBranch; 4] = [
    CodeBranch {
        code: "escalated",
        severity: IncidentSeverity::P2,
        procedure: RunbookProcedure::EscalationReview,
        reason: |alert, ext_name| {
            format!(
                "enforcement state of `{ext_name}` escalated: {}",
                alert.reason
            )
        },
    },
    CodeBranch {
        code: "de_escalated",
        severity: IncidentSeverity::P3,
        procedure: RunbookProcedure::LogAndMonitor,
        reason: |_, ext_name| {
            format!(
                "enforcement state of `{ext_name}` de-escalated: log, verify the cooldown worked"
            )
        },
    },
    CodeBranch {
        code: "rollback",
        severity: IncidentSeverity::P1,
        procedure: RunbookProcedure::AutomaticRollbackVerification,
        reason: |alert, _| format!("automatic rollback: {}", alert.reason),
    },
    CodeBranch {
        code: LEDGER_INTEGRITY_FAILURE,
        severity: IncidentSeverity::P0,
        procedure: RunbookProcedure::LedgerCorruptionRecovery,
        reason: |alert, _| format!("ledger integrity failure: {}", alert.reason),
    },
];

/// Every other alert, by category.
fn category_branch(alert: &SecurityAlert, ext_name: &str) -> Triage {
    let (severity, procedure, reason) = match alert.category {
        SecurityAlertCategory::AnomalyDenial => (
            IncidentSeverity::P2,
            RunbookProcedure::EscalationReview,
            format!("risk model denial for `{ext_name}`: review the escalation"),
        ),
        SecurityAlertCategory::LedgerIntegrity => (
            IncidentSeverity::P2,
            RunbookProcedure::LedgerCorruptionRecovery,
            format!("ledger needed attention at start-up: {}", alert.reason),
        ),
        // A rug pull or a poisoned tool is a compromise of the extension until shown
        // otherwise: investigate it as a quarantine (identify, contain, collect evidence).
        SecurityAlertCategory::ToolIntegrity => (
            IncidentSeverity::P1,
            RunbookProcedure::QuarantineInvestigation,
            format!("tool integrity of `{ext_name}`: {}", alert.reason),
        ),
        SecurityAlertCategory::PolicyDenial
        | SecurityAlertCategory::ExecMediation
        | SecurityAlertCategory::SecretBroker
        | SecurityAlertCategory::QuotaBreach
        | SecurityAlertCategory::Quarantine
        | SecurityAlertCategory::ProfileTransition => (
            IncidentSeverity::P3,
            RunbookProcedure::LogAndMonitor,
            format!(
                "{} alert for `{ext_name}`: informational, log and monitor",
                alert.category
            ),
        ),
    };
    Triage {
        severity,
        procedure,
        reason,
    }
}

/// Triage of every alert of an exported stream, in the given order, with the context rebuilt
/// from the stream itself, as it stood when the alert was raised: an extension is quarantined
/// from the hostcall that raised its first `Quarantine` alert on (that call's other alerts,
/// which share its timestamp, included), and the burst rule counts the stream's policy denials
/// of the extension in the window. Alerts are considered in `(ts_ms, sequence_id)` order, as
/// the manager raised them. `hostguard run`, `hostguard demo` and `hostguard triage` all triage
/// with this function, so an artifact's triage is reproducible from its alerts alone.
pub fn triage_alerts(alerts: &[SecurityAlert]) -> Vec<Triage> {
    let mut order: Vec<(usize, &SecurityAlert)> = alerts.iter().enumerate().collect();
    order.sort_by_key(|(i, a)| (a.ts_ms, a.sequence_id, *i));
    let mut quarantined_from: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, alert) in &order {
        if alert.category == SecurityAlertCategory::Quarantine {
            let ext = alert.extension_id.as_deref().unwrap_or("");
            quarantined_from.entry(ext).or_insert(alert.ts_ms);
        }
    }
    let mut denials: BTreeMap<&str, VecDeque<u64>> = BTreeMap::new();
    let mut out: Vec<Option<Triage>> = vec![None; alerts.len()];
    for (index, alert) in order {
        let ext = alert.extension_id.as_deref().unwrap_or("");
        let mut ctx = TriageContext {
            quarantined: quarantined_from.get(ext).is_some_and(|t| alert.ts_ms >= *t),
            policy_denials_in_window: 0,
        };
        if is_policy_denial(alert) {
            let window = denials.entry(ext).or_default();
            window.push_back(alert.ts_ms);
            let from = alert.ts_ms.saturating_sub(BURST_WINDOW_MS);
            while window.front().is_some_and(|t| *t < from) {
                window.pop_front();
            }
            ctx.policy_denials_in_window = window.len();
        }
        if let Some(slot) = out.get_mut(index) {
            *slot = Some(triage_alert(alert, ctx));
        }
    }
    out.into_iter().flatten().collect()
}

impl ExtensionManager {
    /// Runs the runbook's decision tree on `alert`, with the manager's context (the extension's
    /// current state, its recent denials).
    pub fn triage(&self, alert: &SecurityAlert) -> Triage {
        let shard = alert
            .extension_id
            .as_deref()
            .and_then(|id| self.existing_shard(id));
        let Some(shard) = shard else {
            return triage_alert(alert, TriageContext::default());
        };
        let st = lock(&shard.state);
        let quarantined = st.risk.state() == EnforcementState::Terminate
            || st.trust == ExtensionTrustState::Quarantined;
        let policy_denials_in_window = if is_policy_denial(alert) {
            let from = alert.ts_ms.saturating_sub(BURST_WINDOW_MS);
            st.records
                .alerts
                .iter()
                .filter(|a| {
                    is_policy_denial(a)
                        && a.ts_ms >= from
                        && a.ts_ms <= alert.ts_ms
                        && a.sequence_id <= alert.sequence_id
                })
                .count()
        } else {
            0
        };
        drop(st);
        triage_alert(
            alert,
            TriageContext {
                quarantined,
                policy_denials_in_window,
            },
        )
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
                "ledger hash chain verification failed: {} error(s), first invalid index {}",
                report.errors.len(),
                report
                    .first_invalid_index
                    .map_or_else(|| "none".to_owned(), |i| i.to_string())
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use hostguard_evidence::SecurityAlertSeverity;

    use super::*;
    use IncidentSeverity::{P0, P1, P2, P3};
    use RunbookProcedure::{
        AutomaticRollbackVerification as Rollback, BurstDenialTriage as Burst,
        EscalationReview as Escalation, LedgerCorruptionRecovery as Ledger, LogAndMonitor as Log,
        QuarantineInvestigation as Quarantine,
    };
    use SecurityAlertCategory as Cat;

    fn alert(
        seq: u64,
        ts_ms: u64,
        ext: &str,
        category: Cat,
        action: &str,
        codes: &[&str],
    ) -> SecurityAlert {
        SecurityAlert {
            ts_ms,
            sequence_id: seq,
            extension_id: Some(ext.to_owned()),
            category,
            severity: SecurityAlertSeverity::Warning,
            capability: "exec".to_owned(),
            method: "exec".to_owned(),
            action_taken: action.to_owned(),
            reason: "r".to_owned(),
            reason_codes: codes.iter().map(|c| (*c).to_owned()).collect(),
            risk_score: None,
            context_hash: String::new(),
            remediation: String::new(),
        }
    }

    fn check(
        a: &SecurityAlert,
        ctx: TriageContext,
        expected: (IncidentSeverity, RunbookProcedure),
    ) {
        let t = triage_alert(a, ctx);
        assert_eq!(
            (t.severity, t.procedure),
            expected,
            "{a:?} {ctx:?}: {}",
            t.reason
        );
    }

    fn ctx(quarantined: bool, denials: usize) -> TriageContext {
        TriageContext {
            quarantined,
            policy_denials_in_window: denials,
        }
    }

    #[test]
    fn the_decision_tree_branch_by_branch() {
        let deny = alert(1, 0, "e", Cat::PolicyDenial, "deny", &["policy_deny"]);
        check(&deny, ctx(false, 1), (P3, Log));
        check(&deny, ctx(false, 3), (P3, Log));
        check(&deny, ctx(false, 4), (P1, Burst));
        check(&deny, ctx(true, 4), (P1, Quarantine));
        let exfil = alert(
            2,
            0,
            "e",
            Cat::Quarantine,
            "quarantine",
            &["exfiltration_shape"],
        );
        check(&exfil, ctx(false, 0), (P0, Quarantine));
        let quarantine = alert(2, 0, "e", Cat::Quarantine, "quarantine", &[]);
        check(&quarantine, ctx(false, 0), (P1, Quarantine));
        let up = alert(3, 0, "e", Cat::ProfileTransition, "harden", &["escalated"]);
        check(&up, ctx(false, 0), (P2, Escalation));
        let down = alert(
            4,
            0,
            "e",
            Cat::ProfileTransition,
            "allow",
            &["de_escalated"],
        );
        check(&down, ctx(false, 0), (P3, Log));
        let rollback = alert(5, 0, "e", Cat::ProfileTransition, "rollback", &["rollback"]);
        check(&rollback, ctx(false, 0), (P1, Rollback));
        let ledger = alert(
            6,
            0,
            "e",
            Cat::AnomalyDenial,
            "none",
            &[LEDGER_INTEGRITY_FAILURE],
        );
        check(&ledger, ctx(false, 0), (P0, Ledger));
        let risk = alert(7, 0, "e", Cat::AnomalyDenial, "block", &[]);
        check(&risk, ctx(false, 0), (P2, Escalation));
        // An exec-mediation allow is not a denial; a deny is.
        let exec_ok = alert(8, 0, "e", Cat::ExecMediation, "allow", &[]);
        check(&exec_ok, ctx(false, 9), (P3, Log));
        let exec_deny = alert(9, 0, "e", Cat::ExecMediation, "deny", &[]);
        check(&exec_deny, ctx(false, 4), (P1, Burst));
    }

    #[test]
    fn an_exported_stream_rebuilds_the_burst_and_quarantine_context() {
        let mut stream: Vec<SecurityAlert> = (0..5)
            .map(|i| alert(i + 1, i * 10_000, "a", Cat::PolicyDenial, "deny", &[]))
            .collect();
        // A denial of another extension in the same window does not count for `a`.
        stream.push(alert(6, 45_000, "b", Cat::PolicyDenial, "deny", &[]));
        // 61 s after the fourth denial: the window holds only this one again.
        stream.push(alert(7, 101_000, "a", Cat::PolicyDenial, "deny", &[]));
        stream.push(alert(8, 102_000, "a", Cat::Quarantine, "quarantine", &[]));
        stream.push(alert(9, 103_000, "a", Cat::AnomalyDenial, "block", &[]));
        let got: Vec<_> = triage_alerts(&stream)
            .into_iter()
            .map(|t| (t.severity, t.procedure))
            .collect();
        assert_eq!(
            got,
            vec![
                (P3, Log),
                (P3, Log),
                (P3, Log),
                (P1, Burst),
                (P1, Burst),
                (P3, Log),
                (P3, Log),
                (P1, Quarantine),
                (P1, Quarantine),
            ]
        );
        // File order is kept even when the stream is not sorted by time.
        let mut reversed = stream.clone();
        reversed.reverse();
        let mut back: Vec<_> = triage_alerts(&reversed);
        back.reverse();
        assert_eq!(back, triage_alerts(&stream));
    }
}
