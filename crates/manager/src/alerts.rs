//! Alerts of one decision (docs/design.md §6): each [`Finding`] of the gate's step, worded as a
//! [`SecurityAlert`] — category, severity, what was done, reason codes and the operator's next
//! step — from one table, and the exec-mediation log entry of an exec call.

use hostguard_evidence::{
    ExecMediationLedgerEntry, SecurityAlert, SecurityAlertCategory as Cat,
    SecurityAlertSeverity as Sev,
};
use hostguard_risk_core::{
    risk_code, rule_codes, unnamed_env_reason, Call, Catalog, Decision, DomainTag, Evaluation,
    Finding,
};

/// Reason code that marks an alert about a ledger integrity failure.
pub const LEDGER_INTEGRITY_FAILURE: &str = "ledger_integrity_failure";

/// What every alert of one call shares.
pub(crate) struct AlertContext<'a> {
    pub(crate) call: &'a Call<'a>,
    pub(crate) catalog: &'a Catalog,
}

/// How one finding reads: the parts that do not depend on the call.
struct Wording {
    category: Cat,
    severity: Sev,
    action_taken: &'static str,
    remediation: &'static str,
}

const fn wording(
    category: Cat,
    severity: Sev,
    action_taken: &'static str,
    remediation: &'static str,
) -> Wording {
    Wording {
        category,
        severity,
        action_taken,
        remediation,
    }
}

const POLICY_DENIED: Wording = wording(Cat::PolicyDenial, Sev::Warning, "deny", "grant the capability with a per-extension override if the extension needs it (runbook Procedure 2)");
const QUOTA_EXCEEDED: Wording = wording(
    Cat::QuotaBreach,
    Sev::Warning,
    "deny",
    "check the extension's call rate; raise its quota with a per-extension override if legitimate",
);
const EXEC_DENIED: Wording = wording(
    Cat::ExecMediation,
    Sev::Error,
    "deny",
    "review the command; add an allow pattern only for a command that is safe in every context",
);
const RULE_DENIED: Wording = wording(Cat::ExecMediation, Sev::Error, "deny", "review the call against the rule (`hostguard rules explain ID`); the extension has no business doing this");
const SECRET_REDACTED: Wording = wording(
    Cat::SecretBroker,
    Sev::Info,
    "redact",
    "none: the extension received the placeholder, not the value",
);
const SECRET_UNNAMED: Wording = wording(
    Cat::SecretBroker,
    Sev::Warning,
    "deny",
    "review the extension: an env read must name the variables it reads",
);
const RISK_BLOCKED: Wording = wording(
    Cat::AnomalyDenial,
    Sev::Error,
    "block",
    "review the extension's recent hostcalls (runbook Procedure 3)",
);
const WOULD_BLOCK: Wording = wording(
    Cat::AnomalyDenial,
    Sev::Warning,
    "would_block",
    "none yet: the rollout does not enforce; watch before advancing (runbook Procedure 4)",
);
const QUARANTINED: Wording = wording(
    Cat::Quarantine,
    Sev::Critical,
    "quarantine",
    "runbook Procedure 1: confirm, then kill switch or reset the extension",
);
const ESCALATED: Wording = wording(
    Cat::ProfileTransition,
    Sev::Warning,
    "",
    "runbook Procedure 3: review the transition",
);
const DE_ESCALATED: Wording = wording(
    Cat::ProfileTransition,
    Sev::Info,
    "",
    "log; verify the cooldown worked",
);

impl AlertContext<'_> {
    /// The alerts of `decision`, in the order of its findings (sequence ids assigned when
    /// stored).
    pub(crate) fn alerts(&self, decision: &Decision) -> Vec<SecurityAlert> {
        decision
            .findings
            .iter()
            .map(|f| self.alert(decision, f))
            .collect()
    }

    fn alert(&self, d: &Decision, finding: &Finding) -> SecurityAlert {
        let score = d.eval.as_ref().map(|e| e.score);
        let (wording, reason, codes, score) = match finding {
            Finding::PolicyDenied => (
                POLICY_DENIED,
                d.reason.to_string(),
                vec!["policy_deny".into(), d.policy_reason.into()],
                None,
            ),
            Finding::QuotaExceeded(b) => (
                QUOTA_EXCEEDED,
                b.to_string(),
                vec!["quota_exceeded".into(), b.kind.as_str().into()],
                None,
            ),
            Finding::MediationDenied => return self.mediation_alert(d, score),
            Finding::SecretRedacted(why) => (
                SECRET_REDACTED,
                format!("env read of a secret name brokered ({why})"),
                vec!["secret_redacted".into(), why.as_str().into()],
                score,
            ),
            Finding::SecretUnnamed => (
                SECRET_UNNAMED,
                unnamed_env_reason(),
                vec!["secret_broker_unnamed".into()],
                score,
            ),
            Finding::RiskBlocked => return self.risk_alert(d, &RISK_BLOCKED, Evaluation::summary),
            Finding::WouldBlock => {
                return self.risk_alert(d, &WOULD_BLOCK, |e| {
                    format!("would block if enforced: {}", e.summary())
                })
            }
            Finding::Quarantined => {
                return self.risk_alert(d, &QUARANTINED, |e| {
                    let n = e.consecutive_unsafe;
                    format!("{n} consecutive unsafe evaluations: {}", e.summary())
                })
            }
            Finding::Escalated => return self.transition_alert(d, true),
            Finding::DeEscalated => return self.transition_alert(d, false),
        };
        self.make(&wording, reason, codes, score)
    }

    fn mediation_alert(&self, d: &Decision, score: Option<f64>) -> SecurityAlert {
        let Some(m) = &d.mediation else {
            return self.make(&RULE_DENIED, d.reason.to_string(), Vec::new(), score);
        };
        let mut codes = m.reason_codes();
        codes.extend(rule_codes(self.catalog, &d.detection));
        let mut w = if m.is_exec() {
            EXEC_DENIED
        } else {
            RULE_DENIED
        };
        if m.critical {
            w.severity = Sev::Critical;
        }
        self.make(&w, m.reason.clone(), codes, score)
    }

    /// An alert of the risk model's verdict: its score and its reason codes (state, triggers,
    /// fallback), with the reason `reason` words.
    fn risk_alert(
        &self,
        d: &Decision,
        w: &Wording,
        reason: impl FnOnce(&Evaluation) -> String,
    ) -> SecurityAlert {
        match &d.eval {
            Some(e) => self.make(w, reason(e), risk_reason_codes(e), Some(e.score)),
            None => self.make(w, d.reason.to_string(), Vec::new(), None),
        }
    }

    /// An alert of the enforced state rising (`up`) or falling.
    fn transition_alert(&self, d: &Decision, up: bool) -> SecurityAlert {
        let mut w = if up { ESCALATED } else { DE_ESCALATED };
        let Some(e) = &d.eval else {
            return self.make(&w, d.reason.to_string(), Vec::new(), None);
        };
        let (before, after) = (e.state_before.as_str(), e.state_after.as_str());
        w.action_taken = after;
        let direction = if up { "escalated" } else { "de_escalated" };
        let codes = vec![direction.into(), before.into(), after.into()];
        let reason = format!("enforcement state {before} → {after}");
        self.make(&w, reason, codes, Some(e.score))
    }

    fn make(
        &self,
        w: &Wording,
        reason: String,
        reason_codes: Vec<String>,
        risk_score: Option<f64>,
    ) -> SecurityAlert {
        let host = self.call.host;
        SecurityAlert {
            ts_ms: self.call.now_ms,
            // Assigned when the alert is stored (monotonic across every stream).
            sequence_id: 0,
            extension_id: Some(host.extension_id.clone()),
            category: w.category,
            severity: w.severity,
            capability: self.call.capability.as_str().to_owned(),
            method: host.method.clone(),
            action_taken: w.action_taken.to_owned(),
            reason,
            reason_codes,
            risk_score,
            context_hash: context_hash(&host.extension_id, &host.call_id, &self.call.params_digest),
            remediation: w.remediation.to_owned(),
        }
    }

    /// The exec mediation log entry (exec calls only).
    pub(crate) fn exec_log_entry(&self, d: &Decision) -> Option<ExecMediationLedgerEntry> {
        let m = d.mediation.as_ref()?;
        let digest = m.command_digest.as_ref()?;
        Some(ExecMediationLedgerEntry {
            ts_ms: self.call.now_ms,
            extension_id: Some(self.call.host.extension_id.clone()),
            call_id: self.call.host.call_id.clone(),
            command_hash: hex::encode(digest),
            class: m.class.map(|c| c.as_str().to_owned()),
            tier: m.tier,
            decision: if m.allowed { "allow" } else { "deny" }.to_owned(),
            reason: m.reason.clone(),
        })
    }
}

fn risk_reason_codes(e: &Evaluation) -> Vec<String> {
    let mut codes = vec![risk_code(e.state_after).to_owned()];
    codes.extend(e.triggers.iter().map(|t| t.as_str().to_owned()));
    if let Some(f) = e.fallback {
        codes.push(f.as_str().to_owned());
    }
    codes
}

fn context_hash(extension_id: &str, call_id: &str, params_digest: &[u8; 32]) -> String {
    let mut h = DomainTag::AlertContext.hasher();
    h.update((extension_id.len() as u64).to_be_bytes());
    h.update(extension_id.as_bytes());
    h.update((call_id.len() as u64).to_be_bytes());
    h.update(call_id.as_bytes());
    h.update(params_digest);
    hex::encode(h.finalize())
}
