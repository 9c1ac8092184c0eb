//! Mediation in the gate (docs/design.md §2 step 6), for every method: the call's detection (its
//! effects judged by the rule catalog, docs/detection.md) against the mediation preset. An exec
//! call — method `exec` and shell tools alike, with non-string arguments stringified
//! (`HostCall::command_lines`) and its own `env` and `cwd` framed as `cd 'CWD'` / `export
//! 'K=V'` lines (`HostCall::framed_command_lines`) — is decided per command line with the
//! allow / deny patterns; any other call by the strictest rule it fires.
//!
//! Nothing here stores a command: logs and alerts get its SHA-256, the rule ids and the
//! classifier's class and tier, never its text (a command line may carry a credential).

use hostguard_evidence::ExecMediationLedgerEntry;
use hostguard_risk_core::{
    Capability, Class, Detection, ExecClass, ExecTier, RuleHit, SecretBrokerDecision,
    SecretBrokerReason,
};
use sha2::{Digest as _, Sha256};

use crate::gate::{hex, AlertContext};
use crate::manager::ExtensionManager;

/// One mediated call.
pub(crate) struct Mediation {
    /// The strictest of the classifier's tier and the rules' severity (what mediation weighed).
    pub(crate) tier: ExecTier,
    /// The exec classifier's own tier (exec calls; the rules' severity for other calls).
    pub(crate) classified: ExecTier,
    pub(crate) class: Option<ExecClass>,
    pub(crate) critical: bool,
    pub(crate) allowed: bool,
    pub(crate) reason_code: &'static str,
    pub(crate) reason: String,
    /// The digest of the command line decided on (exec calls only: they get a log entry).
    command_digest: Option<[u8; 32]>,
}

impl Mediation {
    /// The alert's reason codes: mediation, its reason, the classifier's class.
    pub(crate) fn reason_codes(&self) -> Vec<String> {
        let mut codes = vec![
            if self.command_digest.is_some() {
                "exec_mediation"
            } else {
                "rule_mediation"
            }
            .to_owned(),
            self.reason_code.to_owned(),
        ];
        if let Some(class) = self.class {
            codes.push(class.as_str().to_owned());
        }
        codes
    }

    /// The exec mediation log entry (exec calls only).
    pub(crate) fn log_entry(&self, ctx: &AlertContext<'_>) -> Option<ExecMediationLedgerEntry> {
        let digest = self.command_digest.as_ref()?;
        Some(ExecMediationLedgerEntry {
            ts_ms: ctx.now,
            extension_id: Some(ctx.extension_id.to_owned()),
            call_id: ctx.call.call_id.clone(),
            command_hash: hex(digest),
            class: self.class.map(|c| c.as_str().to_owned()),
            tier: self.tier,
            decision: if self.allowed { "allow" } else { "deny" }.to_owned(),
            reason: self.reason.clone(),
        })
    }
}

impl ExtensionManager {
    /// Mediates `call` on its `detection`: `None` for calls that neither run a command nor
    /// fire a rule. An exec call that names its command in several places a host could read
    /// (`HostCall::command_lines`, and the lines framed by its `env` and `cwd`) is decided on
    /// each, the strictest decision wins (a denial over an allow, then the higher tier), so an
    /// extension cannot show the gate a harmless command and the host a dangerous one.
    pub(crate) fn mediate(
        &self,
        capability: Capability,
        detection: &Detection,
    ) -> Option<Mediation> {
        if capability == Capability::Exec {
            // Framed lines first: on a tie the bare line's decision (and hash) is the one logged.
            return detection
                .commands
                .iter()
                .map(|(line, inspection)| self.mediate_command(line, inspection))
                .max_by_key(|m| (!m.allowed, m.tier));
        }
        let strictest = detection.hits.first()?;
        Some(match self.exec_policy.denied_hit(&detection.hits) {
            Some(hit) => self.rule_denial(hit),
            None => Mediation {
                tier: strictest.severity,
                classified: strictest.severity,
                class: None,
                critical: strictest.severity == ExecTier::Critical,
                allowed: true,
                reason_code: "below_threshold",
                reason: format!(
                    "call allowed by mediation: strictest rule `{}` (severity `{}`) is below the `{}` preset threshold",
                    self.rule_id(strictest),
                    strictest.severity,
                    self.exec_policy.preset().as_str()
                ),
                command_digest: None,
            },
        })
    }

    fn mediate_command(
        &self,
        command: &str,
        inspection: &hostguard_risk_core::CommandInspection,
    ) -> Mediation {
        let decision = self
            .exec_policy
            .mediate_inspection(inspection, self.detector.catalog());
        let analysis = &decision.analysis;
        // The reason is rebuilt from class, rule and tier: the classifier's own line may quote
        // the command, and the command may hold a secret.
        let verdict = if decision.allowed {
            "allowed"
        } else {
            "denied"
        };
        let rule = inspection
            .hits
            .first()
            .map(|h| format!(", rule `{}`", self.rule_id(h)))
            .unwrap_or_default();
        let reason = match analysis.class {
            Some(class) => format!(
                "exec command {verdict} by mediation: class `{}`{rule}, tier `{}` ({})",
                class.as_str(),
                analysis.tier,
                decision.reason_code
            ),
            None => format!(
                "exec command {verdict} by mediation{rule}: tier `{}` ({})",
                analysis.tier, decision.reason_code
            ),
        };
        Mediation {
            tier: analysis.tier,
            classified: inspection.analysis.tier,
            class: analysis.class,
            critical: analysis.is_critical(),
            allowed: decision.allowed,
            reason_code: decision.reason_code,
            reason,
            command_digest: Some(Sha256::digest(command.as_bytes()).into()),
        }
    }

    fn rule_denial(&self, hit: &RuleHit) -> Mediation {
        let catalog = self.detector.catalog();
        let (id, title) = catalog
            .rules()
            .get(hit.rule)
            .map_or(("?", ""), |r| (r.id.as_str(), r.title.as_str()));
        Mediation {
            tier: hit.severity,
            classified: hit.severity,
            class: None,
            critical: hit.severity == ExecTier::Critical,
            allowed: false,
            reason_code: "rule_denied",
            reason: format!(
                "{} call denied by mediation: rule `{id}` (severity `{}`): {title}",
                hit.segment, hit.severity
            ),
            command_digest: None,
        }
    }

    /// The ids of every rule `detection` fired, strictest first.
    pub(crate) fn rule_ids(&self, detection: &Detection) -> Vec<String> {
        detection
            .hits
            .iter()
            .map(|h| self.rule_id(h).to_owned())
            .collect()
    }

    /// The ATT&CK technique ids of every rule `detection` fired, each once, in rule order.
    pub(crate) fn attack_ids(&self, detection: &Detection) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for h in &detection.hits {
            if let Some(rule) = self.detector.catalog().rules().get(h.rule) {
                for t in &rule.attack {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
        }
        out
    }

    /// An alert's reason codes for the rules that fired: `rule:ID` and `attack:T….`.
    pub(crate) fn rule_codes(&self, detection: &Detection) -> Vec<String> {
        let rules = self
            .rule_ids(detection)
            .into_iter()
            .map(|id| format!("rule:{id}"));
        let attack = self
            .attack_ids(detection)
            .into_iter()
            .map(|t| format!("attack:{t}"));
        rules.chain(attack).collect()
    }

    /// Brokers an env read: the broker's own rules, and a credential-*shaped* name (the
    /// catalog's env classes) even when no rule lists it.
    pub(crate) fn broker_env(&self, name: &str) -> SecretBrokerDecision {
        let decision = self.secret_policy.broker_env(name);
        let shaped = self
            .detector
            .catalog()
            .classify_env(name)
            .has(Class::SecretName);
        if decision.redacted || !shaped || decision.reason == SecretBrokerReason::Allowlisted {
            return decision;
        }
        SecretBrokerDecision::shaped(name)
    }

    pub(crate) fn rule_id(&self, hit: &RuleHit) -> &str {
        self.detector
            .catalog()
            .rules()
            .get(hit.rule)
            .map_or("?", |r| r.id.as_str())
    }
}
