//! The security records of docs/design.md §6: alerts, per-call telemetry, exec-mediation and
//! secret-broker logs, quota breaches, the rollout snapshot and trust / kill-switch state.
//!
//! Every record is plain data (serde, `Clone`, `Debug`, `PartialEq`) with a `SCHEMA` constant
//! `hostguard.<name>.v1`. Records carry hashes, never raw values: a secret broker entry holds
//! the secret's *name hash*, never the secret (docs/design.md §6).

use std::collections::BTreeMap;
use std::fmt;

use hostguard_risk_core::{EnforcementState, ExecTier};
use serde::{Deserialize, Serialize};

/// What kind of event raised a [`SecurityAlert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecurityAlertCategory {
    /// Static policy refused the call.
    PolicyDenial,
    /// The risk model denied the call.
    AnomalyDenial,
    /// Exec mediation refused a command.
    ExecMediation,
    /// The secret broker redacted or refused a secret.
    SecretBroker,
    /// A quota was exceeded.
    QuotaBreach,
    /// The extension was quarantined (Terminate).
    Quarantine,
    /// The enforcement state or policy profile changed.
    ProfileTransition,
    /// The ledger needed attention at start-up: a torn final line was cut off, or a damaged
    /// file made the gate start fail-closed.
    LedgerIntegrity,
    /// What an extension showed the model is suspect: a tool definition new or changed since
    /// it was approved (a possible rug pull), or a description or result carrying instructions
    /// aimed at the model, hidden text or an exfiltration URL (docs/mcp.md).
    ToolIntegrity,
}

impl SecurityAlertCategory {
    /// Every category, in declaration order.
    pub const ALL: [SecurityAlertCategory; 9] = [
        SecurityAlertCategory::PolicyDenial,
        SecurityAlertCategory::AnomalyDenial,
        SecurityAlertCategory::ExecMediation,
        SecurityAlertCategory::SecretBroker,
        SecurityAlertCategory::QuotaBreach,
        SecurityAlertCategory::Quarantine,
        SecurityAlertCategory::ProfileTransition,
        SecurityAlertCategory::LedgerIntegrity,
        SecurityAlertCategory::ToolIntegrity,
    ];

    /// The snake_case name, as in the JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecurityAlertCategory::PolicyDenial => "policy_denial",
            SecurityAlertCategory::AnomalyDenial => "anomaly_denial",
            SecurityAlertCategory::ExecMediation => "exec_mediation",
            SecurityAlertCategory::SecretBroker => "secret_broker",
            SecurityAlertCategory::QuotaBreach => "quota_breach",
            SecurityAlertCategory::Quarantine => "quarantine",
            SecurityAlertCategory::ProfileTransition => "profile_transition",
            SecurityAlertCategory::LedgerIntegrity => "ledger_integrity",
            SecurityAlertCategory::ToolIntegrity => "tool_integrity",
        }
    }
}

impl fmt::Display for SecurityAlertCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious an alert is, ordered `Info < Warning < Error < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecurityAlertSeverity {
    /// Worth recording.
    Info,
    /// Worth a look.
    Warning,
    /// Something was refused or broke.
    Error,
    /// Act now (quarantine, exfiltration).
    Critical,
}

impl SecurityAlertSeverity {
    /// Every severity, from least to most serious.
    pub const ALL: [SecurityAlertSeverity; 4] = [
        SecurityAlertSeverity::Info,
        SecurityAlertSeverity::Warning,
        SecurityAlertSeverity::Error,
        SecurityAlertSeverity::Critical,
    ];

    /// The snake_case name, as in the JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecurityAlertSeverity::Info => "info",
            SecurityAlertSeverity::Warning => "warning",
            SecurityAlertSeverity::Error => "error",
            SecurityAlertSeverity::Critical => "critical",
        }
    }
}

impl fmt::Display for SecurityAlertSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One security alert (runbook decision tree, Procedure 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SecurityAlert {
    /// When the alert was raised (injected clock), in ms.
    pub ts_ms: u64,
    /// Monotonic from 1 within one manager.
    pub sequence_id: u64,
    /// The extension the alert is about; `None` for global events.
    pub extension_id: Option<String>,
    /// What raised it.
    pub category: SecurityAlertCategory,
    /// How serious it is.
    pub severity: SecurityAlertSeverity,
    /// The capability of the call (`exec`, `http`, ...).
    pub capability: String,
    /// The hostcall method.
    pub method: String,
    /// What the gate did (`deny`, `terminate`, `redact`, ...).
    pub action_taken: String,
    /// One human line.
    pub reason: String,
    /// Stable reason codes.
    pub reason_codes: Vec<String>,
    /// The risk score, when the model ran.
    pub risk_score: Option<f64>,
    /// Hash of the call context (redactable in bundles).
    pub context_hash: String,
    /// What an operator should do (redactable in bundles).
    pub remediation: String,
}

impl SecurityAlert {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.security_alert.v1";
}

/// One evaluated hostcall: features, score, action and outcome (runbook Procedures 1 and 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuntimeHostcallTelemetryEvent {
    /// When the call was evaluated (injected clock), in ms.
    pub ts_ms: u64,
    /// The calling extension.
    pub extension_id: Option<String>,
    /// The host's id of the call.
    pub call_id: String,
    /// The derived capability.
    pub capability: String,
    /// The hostcall method.
    pub method: String,
    /// The feature vector, by feature name (ordered, so the JSON is deterministic).
    pub features: BTreeMap<String, f64>,
    /// The risk score `s ∈ [0, 1]`.
    pub risk_score: f64,
    /// The enforcement state the risk model selected.
    pub risk_action: EnforcementState,
    /// The enforcement state before this call.
    pub previous_action: EnforcementState,
    /// Whether the rollout phase enforced the risk verdict.
    pub enforced: bool,
    /// Whether the call was blocked (by any stage of the gate).
    pub blocked: bool,
    /// Class of the call's target (`system_path`, `external_url`, ...).
    pub resource_target_class: String,
    /// Hash of the call's parameters (redactable in bundles).
    pub params_hash: String,
    /// Hash of the parameters' shape (redactable in bundles).
    pub args_shape_hash: String,
    /// How long the host took, once the outcome is recorded.
    pub latency_ms: Option<u64>,
    /// The outcome the host reported (`success`, `error`, ...).
    pub outcome: Option<String>,
}

impl RuntimeHostcallTelemetryEvent {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.runtime_hostcall_telemetry_event.v1";
}

/// One exec-mediation decision: a command's class, tier and verdict (never the command).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExecMediationLedgerEntry {
    /// When the command was mediated, in ms.
    pub ts_ms: u64,
    /// The calling extension.
    pub extension_id: Option<String>,
    /// The host's id of the call.
    pub call_id: String,
    /// Hash of the command line (redactable in bundles).
    pub command_hash: String,
    /// The strictest finding's class (`reverse_shell`, ...), if any.
    pub class: Option<String>,
    /// The command's tier.
    pub tier: ExecTier,
    /// `allow` or `deny`.
    pub decision: String,
    /// One human line.
    pub reason: String,
}

impl ExecMediationLedgerEntry {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.exec_mediation_ledger_entry.v1";
}

/// One secret-broker decision. Holds the secret's name hash, never its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretBrokerLedgerEntry {
    /// When the request was brokered, in ms.
    pub ts_ms: u64,
    /// The calling extension.
    pub extension_id: Option<String>,
    /// The host's id of the call.
    pub call_id: String,
    /// Hash of the secret's name (redactable in bundles).
    pub name_hash: String,
    /// Whether the value was replaced by the placeholder.
    pub redacted: bool,
    /// One human line.
    pub reason: String,
}

impl SecretBrokerLedgerEntry {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.secret_broker_ledger_entry.v1";
}

/// One quota breach: a resource limit an extension exceeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuotaBreachEvent {
    /// When the breach was observed, in ms.
    pub ts_ms: u64,
    /// The extension.
    pub extension_id: Option<String>,
    /// The call that breached.
    pub call_id: String,
    /// Which quota (`calls_per_minute`, `bytes_written`, ...).
    pub kind: String,
    /// The limit.
    pub limit: u64,
    /// What was observed.
    pub observed: u64,
}

impl QuotaBreachEvent {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.quota_breach_event.v1";
}

/// The rollout state at bundle time: phase, enforce flag and window statistics (runbook
/// evidence checklist item 7, Procedure 4). Phases are strings: evidence does not depend on the
/// rollout crate (docs/design.md §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RolloutSnapshot {
    /// The current phase (`shadow`, `log_only`, `enforce_new`, `enforce_all`).
    pub phase: String,
    /// Whether the phase enforces risk verdicts.
    pub enforce: bool,
    /// The phase an automatic rollback left, if the last transition was one.
    pub rolled_back_from: Option<String>,
    /// When the phase last changed, in ms.
    pub last_transition_ms: Option<u64>,
    /// Phase transitions so far.
    pub transition_count: u64,
    /// Decisions in the current window.
    pub total_decisions: u64,
    /// False positives in the current window.
    pub false_positive_count: u64,
    /// Errors in the current window.
    pub error_count: u64,
    /// Mean latency over the current window, in ms.
    pub avg_latency_ms: f64,
    /// Whether the window holds too few decisions to judge.
    pub inconclusive: bool,
}

impl RolloutSnapshot {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.rollout_snapshot.v1";
}

/// One extension's trust level and kill-switch history (runbook evidence checklist item 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TrustStateRecord {
    /// The extension.
    pub extension_id: String,
    /// Its trust level.
    pub trust: String,
    /// Whether its kill switch is engaged.
    pub killed: bool,
    /// Every kill-switch change, oldest first.
    pub kill_switch_audit: Vec<KillSwitchAuditEntry>,
}

impl TrustStateRecord {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.trust_state_record.v1";
}

/// One kill-switch change (`set_kill_switch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KillSwitchAuditEntry {
    /// When it changed, in ms.
    pub ts_ms: u64,
    /// The extension.
    pub extension_id: String,
    /// Engaged (true) or lifted (false).
    pub on: bool,
    /// The operator's reason (e.g. an incident reference).
    pub reason: String,
}

impl KillSwitchAuditEntry {
    /// The record schema.
    pub const SCHEMA: &'static str = "hostguard.kill_switch_audit_entry.v1";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T>(value: &T, json: &str)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug,
    {
        let text = serde_json::to_string(value).unwrap();
        assert_eq!(text, json);
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, value);
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }

    #[test]
    fn categories_serialize_snake_case_and_match_as_str() {
        for c in SecurityAlertCategory::ALL {
            check(&c, &format!("\"{}\"", c.as_str()));
        }
        check(&SecurityAlertCategory::PolicyDenial, "\"policy_denial\"");
        check(
            &SecurityAlertCategory::ProfileTransition,
            "\"profile_transition\"",
        );
    }

    #[test]
    fn severities_are_ordered_and_snake_case() {
        for w in SecurityAlertSeverity::ALL.windows(2) {
            assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
        }
        for s in SecurityAlertSeverity::ALL {
            check(&s, &format!("\"{s}\""));
        }
    }

    #[test]
    fn schemas_are_versioned_and_distinct() {
        let all = [
            SecurityAlert::SCHEMA,
            RuntimeHostcallTelemetryEvent::SCHEMA,
            ExecMediationLedgerEntry::SCHEMA,
            SecretBrokerLedgerEntry::SCHEMA,
            QuotaBreachEvent::SCHEMA,
            RolloutSnapshot::SCHEMA,
            TrustStateRecord::SCHEMA,
            KillSwitchAuditEntry::SCHEMA,
        ];
        for s in all {
            assert!(s.starts_with("hostguard.") && s.ends_with(".v1"), "{s}");
        }
        let set: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(set.len(), all.len());
    }

    #[test]
    fn records_round_trip_with_fixed_field_order() {
        check(
            &SecurityAlert {
                ts_ms: 5,
                sequence_id: 1,
                extension_id: Some("ext-a".into()),
                category: SecurityAlertCategory::ExecMediation,
                severity: SecurityAlertSeverity::Error,
                capability: "exec".into(),
                method: "exec".into(),
                action_taken: "deny".into(),
                reason: "denied `rm -rf /`".into(),
                reason_codes: vec!["exec_class_denied".into()],
                risk_score: Some(0.75),
                context_hash: "c0".into(),
                remediation: "kill it".into(),
            },
            r#"{"ts_ms":5,"sequence_id":1,"extension_id":"ext-a","category":"exec_mediation","severity":"error","capability":"exec","method":"exec","action_taken":"deny","reason":"denied `rm -rf /`","reason_codes":["exec_class_denied"],"risk_score":0.75,"context_hash":"c0","remediation":"kill it"}"#,
        );
        check(
            &RuntimeHostcallTelemetryEvent {
                ts_ms: 7,
                extension_id: None,
                call_id: "c1".into(),
                capability: "http".into(),
                method: "http".into(),
                features: [("b".to_owned(), 1.0), ("a".to_owned(), 0.1)]
                    .into_iter()
                    .collect(),
                risk_score: 0.1,
                risk_action: EnforcementState::Harden,
                previous_action: EnforcementState::Allow,
                enforced: true,
                blocked: false,
                resource_target_class: "external_url".into(),
                params_hash: "p".into(),
                args_shape_hash: "s".into(),
                latency_ms: None,
                outcome: Some("success".into()),
            },
            r#"{"ts_ms":7,"extension_id":null,"call_id":"c1","capability":"http","method":"http","features":{"a":0.1,"b":1.0},"risk_score":0.1,"risk_action":"harden","previous_action":"allow","enforced":true,"blocked":false,"resource_target_class":"external_url","params_hash":"p","args_shape_hash":"s","latency_ms":null,"outcome":"success"}"#,
        );
    }

    #[test]
    fn log_entries_round_trip_with_fixed_field_order() {
        check(
            &ExecMediationLedgerEntry {
                ts_ms: 1,
                extension_id: Some("e".into()),
                call_id: "c".into(),
                command_hash: "h".into(),
                class: Some("reverse_shell".into()),
                tier: ExecTier::Critical,
                decision: "deny".into(),
                reason: "r".into(),
            },
            r#"{"ts_ms":1,"extension_id":"e","call_id":"c","command_hash":"h","class":"reverse_shell","tier":"critical","decision":"deny","reason":"r"}"#,
        );
        check(
            &SecretBrokerLedgerEntry {
                ts_ms: 1,
                extension_id: Some("e".into()),
                call_id: "c".into(),
                name_hash: "n".into(),
                redacted: true,
                reason: "r".into(),
            },
            r#"{"ts_ms":1,"extension_id":"e","call_id":"c","name_hash":"n","redacted":true,"reason":"r"}"#,
        );
        check(
            &QuotaBreachEvent {
                ts_ms: 1,
                extension_id: None,
                call_id: "c".into(),
                kind: "calls_per_minute".into(),
                limit: 10,
                observed: 11,
            },
            r#"{"ts_ms":1,"extension_id":null,"call_id":"c","kind":"calls_per_minute","limit":10,"observed":11}"#,
        );
    }

    #[test]
    fn state_records_round_trip_with_fixed_field_order() {
        check(
            &RolloutSnapshot {
                phase: "shadow".into(),
                enforce: false,
                rolled_back_from: Some("enforce_all".into()),
                last_transition_ms: Some(9),
                transition_count: 3,
                total_decisions: 100,
                false_positive_count: 2,
                error_count: 1,
                avg_latency_ms: 0.5,
                inconclusive: false,
            },
            r#"{"phase":"shadow","enforce":false,"rolled_back_from":"enforce_all","last_transition_ms":9,"transition_count":3,"total_decisions":100,"false_positive_count":2,"error_count":1,"avg_latency_ms":0.5,"inconclusive":false}"#,
        );
        check(
            &TrustStateRecord {
                extension_id: "e".into(),
                trust: "quarantined".into(),
                killed: true,
                kill_switch_audit: vec![KillSwitchAuditEntry {
                    ts_ms: 3,
                    extension_id: "e".into(),
                    on: true,
                    reason: "inc-1".into(),
                }],
            },
            r#"{"extension_id":"e","trust":"quarantined","killed":true,"kill_switch_audit":[{"ts_ms":3,"extension_id":"e","on":true,"reason":"inc-1"}]}"#,
        );
    }
}
