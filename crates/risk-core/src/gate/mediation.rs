//! Mediation in the gate (docs/design.md §2 step 6), for every method: the call's detection (its
//! effects judged by the rule catalog, docs/detection.md) against the mediation preset. An exec
//! call — method `exec` and shell tools alike, with non-string arguments stringified
//! (`HostCall::command_lines`) and its own `env` and `cwd` framed as `cd 'CWD'` / `export
//! 'K=V'` lines (`HostCall::framed_command_lines`) — is decided per command line with the
//! allow / deny patterns; any other call by the strictest rule it fires. The secret broker
//! answers env reads here too.
//!
//! Nothing here keeps a command: a mediation carries its SHA-256, the rule ids and the
//! classifier's class and tier, never its text (a command line may carry a credential).

use sha2::{Digest as _, Sha256};

use crate::capability::Capability;
use crate::detect::{Detection, Detector};
use crate::secret::{SecretBrokerDecision, SecretBrokerPolicy, SecretBrokerReason};
use hostguard_exec::{
    Catalog, Class, CommandInspection, ExecClass, ExecMediationPolicy, ExecTier, RuleHit,
};

/// One mediated call.
#[derive(Debug, Clone)]
pub struct Mediation {
    /// The strictest of the classifier's tier and the rules' severity (what mediation weighed).
    pub tier: ExecTier,
    /// The exec classifier's own tier (exec calls; the rules' severity for other calls).
    pub classified: ExecTier,
    /// The classifier's class of the command decided on.
    pub class: Option<ExecClass>,
    /// A critical class or rule.
    pub critical: bool,
    /// Whether mediation lets the call through.
    pub allowed: bool,
    /// Why, as a code.
    pub reason_code: &'static str,
    /// Why, in words (never the command's text).
    pub reason: String,
    /// The digest of the command line decided on (exec calls only: they get a log entry).
    pub command_digest: Option<[u8; 32]>,
}

impl Mediation {
    /// Whether this mediated a command line (an exec call).
    pub fn is_exec(&self) -> bool {
        self.command_digest.is_some()
    }

    /// The verdict's reason code when mediation refuses: `exec_mediation` for a command line,
    /// `rule_mediation` for any other call.
    pub fn code(&self) -> &'static str {
        if self.is_exec() {
            "exec_mediation"
        } else {
            "rule_mediation"
        }
    }

    /// The alert's reason codes: mediation, its reason, the classifier's class.
    pub fn reason_codes(&self) -> Vec<String> {
        let mut codes = vec![self.code().to_owned(), self.reason_code.to_owned()];
        if let Some(class) = self.class {
            codes.push(class.as_str().to_owned());
        }
        codes
    }
}

/// Mediates a call on its `detection`: `None` for calls that neither run a command nor fire a
/// rule. An exec call that names its command in several places a host could read is decided on
/// each, the strictest decision wins (a denial over an allow, then the higher tier), so an
/// extension cannot show the gate a harmless command and the host a dangerous one.
pub fn mediate(
    policy: &ExecMediationPolicy,
    catalog: &Catalog,
    capability: Capability,
    detection: &Detection,
) -> Option<Mediation> {
    if capability == Capability::Exec {
        // Framed lines first: on a tie the bare line's decision (and hash) is the one logged.
        return detection
            .commands
            .iter()
            .map(|(line, inspection)| mediate_command(policy, catalog, line, inspection))
            .max_by_key(|m| (!m.allowed, m.tier));
    }
    let strictest = detection.hits.first()?;
    Some(match policy.denied_hit(&detection.hits) {
        Some(hit) => rule_denial(catalog, hit),
        None => Mediation {
            tier: strictest.severity,
            classified: strictest.severity,
            class: None,
            critical: strictest.severity == ExecTier::Critical,
            allowed: true,
            reason_code: "below_threshold",
            reason: format!(
                "call allowed by mediation: strictest rule `{}` (severity `{}`) is below the `{}` preset threshold",
                rule_id(catalog, strictest),
                strictest.severity,
                policy.preset().as_str()
            ),
            command_digest: None,
        },
    })
}

fn mediate_command(
    policy: &ExecMediationPolicy,
    catalog: &Catalog,
    command: &str,
    inspection: &CommandInspection,
) -> Mediation {
    let decision = policy.mediate_inspection(inspection, catalog);
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
        .map(|h| format!(", rule `{}`", rule_id(catalog, h)))
        .unwrap_or_default();
    let tier = analysis.tier;
    let code = decision.reason_code;
    let reason = match analysis.class {
        Some(class) => format!(
            "exec command {verdict} by mediation: class `{}`{rule}, tier `{tier}` ({code})",
            class.as_str()
        ),
        None => format!("exec command {verdict} by mediation{rule}: tier `{tier}` ({code})"),
    };
    Mediation {
        tier,
        classified: inspection.analysis.tier,
        class: analysis.class,
        critical: analysis.is_critical(),
        allowed: decision.allowed,
        reason_code: code,
        reason,
        command_digest: Some(Sha256::digest(command.as_bytes()).into()),
    }
}

fn rule_denial(catalog: &Catalog, hit: &RuleHit) -> Mediation {
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

/// Brokers an env read: the broker's own rules, and a credential-*shaped* name (the catalog's
/// env classes) even when no rule lists it.
pub fn broker_env(
    policy: &SecretBrokerPolicy,
    detector: &Detector,
    name: &str,
) -> SecretBrokerDecision {
    let decision = policy.broker_env(name);
    let shaped = detector.catalog().classify_env(name).has(Class::SecretName);
    if decision.redacted || !shaped || decision.reason == SecretBrokerReason::Allowlisted {
        return decision;
    }
    SecretBrokerDecision::shaped(name)
}

/// The catalog id of a rule hit (`?` for a hit of another catalog).
pub fn rule_id<'c>(catalog: &'c Catalog, hit: &RuleHit) -> &'c str {
    catalog.rules().get(hit.rule).map_or("?", |r| r.id.as_str())
}

/// The ids of every rule `detection` fired, strictest first.
pub fn rule_ids(catalog: &Catalog, detection: &Detection) -> Vec<String> {
    detection
        .hits
        .iter()
        .map(|h| rule_id(catalog, h).to_owned())
        .collect()
}

/// The ATT&CK technique ids of every rule `detection` fired, each once, in rule order.
pub fn attack_ids(catalog: &Catalog, detection: &Detection) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let rules = detection
        .hits
        .iter()
        .filter_map(|h| catalog.rules().get(h.rule));
    for technique in rules.flat_map(|rule| &rule.attack) {
        if !out.contains(technique) {
            out.push(technique.clone());
        }
    }
    out
}

/// An alert's reason codes for the rules that fired: `rule:ID` and `attack:T….`.
pub fn rule_codes(catalog: &Catalog, detection: &Detection) -> Vec<String> {
    let rules = rule_ids(catalog, detection)
        .into_iter()
        .map(|id| format!("rule:{id}"));
    let attack = attack_ids(catalog, detection)
        .into_iter()
        .map(|t| format!("attack:{t}"));
    rules.chain(attack).collect()
}
