//! The exported streams: one artifact per record kind, with a schema, the generation time and a
//! count (docs/design.md §6, runbook Procedure 6 step 1).

use serde::{Deserialize, Serialize};

use crate::records::{
    ExecMediationLedgerEntry, RuntimeHostcallTelemetryEvent, SecretBrokerLedgerEntry, SecurityAlert,
};

/// The alert stream, as `manager.security_alert_artifact()` exports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SecurityAlertArtifact {
    /// Always [`SecurityAlertArtifact::SCHEMA`].
    pub schema: String,
    /// When the artifact was generated (injected clock), in ms.
    pub generated_at_ms: u64,
    /// Number of alerts.
    pub alert_count: u64,
    /// The alerts, oldest first.
    pub alerts: Vec<SecurityAlert>,
}

impl SecurityAlertArtifact {
    /// The artifact schema.
    pub const SCHEMA: &'static str = "hostguard.security_alert_artifact.v1";

    /// An artifact over `alerts`, with the count derived from them.
    pub fn new(generated_at_ms: u64, alerts: Vec<SecurityAlert>) -> SecurityAlertArtifact {
        SecurityAlertArtifact {
            schema: Self::SCHEMA.to_owned(),
            generated_at_ms,
            alert_count: alerts.len() as u64,
            alerts,
        }
    }
}

/// The per-call telemetry stream, as `manager.runtime_hostcall_telemetry_artifact()` exports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuntimeHostcallTelemetryArtifact {
    /// Always [`RuntimeHostcallTelemetryArtifact::SCHEMA`].
    pub schema: String,
    /// When the artifact was generated (injected clock), in ms.
    pub generated_at_ms: u64,
    /// Number of events.
    pub entry_count: u64,
    /// The events, oldest first.
    pub entries: Vec<RuntimeHostcallTelemetryEvent>,
}

impl RuntimeHostcallTelemetryArtifact {
    /// The artifact schema.
    pub const SCHEMA: &'static str = "hostguard.runtime_hostcall_telemetry_artifact.v1";

    /// An artifact over `entries`, with the count derived from them.
    pub fn new(
        generated_at_ms: u64,
        entries: Vec<RuntimeHostcallTelemetryEvent>,
    ) -> RuntimeHostcallTelemetryArtifact {
        RuntimeHostcallTelemetryArtifact {
            schema: Self::SCHEMA.to_owned(),
            generated_at_ms,
            entry_count: entries.len() as u64,
            entries,
        }
    }
}

/// The exec-mediation log, as `manager.exec_mediation_artifact()` exports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExecMediationArtifact {
    /// Always [`ExecMediationArtifact::SCHEMA`].
    pub schema: String,
    /// When the artifact was generated (injected clock), in ms.
    pub generated_at_ms: u64,
    /// Number of entries.
    pub entry_count: u64,
    /// The entries, oldest first.
    pub entries: Vec<ExecMediationLedgerEntry>,
}

impl ExecMediationArtifact {
    /// The artifact schema.
    pub const SCHEMA: &'static str = "hostguard.exec_mediation_artifact.v1";

    /// An artifact over `entries`, with the count derived from them.
    pub fn new(
        generated_at_ms: u64,
        entries: Vec<ExecMediationLedgerEntry>,
    ) -> ExecMediationArtifact {
        ExecMediationArtifact {
            schema: Self::SCHEMA.to_owned(),
            generated_at_ms,
            entry_count: entries.len() as u64,
            entries,
        }
    }
}

/// The secret-broker log, as `manager.secret_broker_artifact()` exports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretBrokerArtifact {
    /// Always [`SecretBrokerArtifact::SCHEMA`].
    pub schema: String,
    /// When the artifact was generated (injected clock), in ms.
    pub generated_at_ms: u64,
    /// Number of entries.
    pub entry_count: u64,
    /// The entries, oldest first.
    pub entries: Vec<SecretBrokerLedgerEntry>,
}

impl SecretBrokerArtifact {
    /// The artifact schema.
    pub const SCHEMA: &'static str = "hostguard.secret_broker_artifact.v1";

    /// An artifact over `entries`, with the count derived from them.
    pub fn new(
        generated_at_ms: u64,
        entries: Vec<SecretBrokerLedgerEntry>,
    ) -> SecretBrokerArtifact {
        SecretBrokerArtifact {
            schema: Self::SCHEMA.to_owned(),
            generated_at_ms,
            entry_count: entries.len() as u64,
            entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_derives_schema_and_count_and_schema_is_the_first_field() {
        let a = SecurityAlertArtifact::new(9, Vec::new());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"schema":"hostguard.security_alert_artifact.v1","generated_at_ms":9,"alert_count":0,"alerts":[]}"#
        );
        let t = RuntimeHostcallTelemetryArtifact::new(1, Vec::new());
        assert_eq!(
            (t.schema.as_str(), t.entry_count),
            (RuntimeHostcallTelemetryArtifact::SCHEMA, 0)
        );
        let e = ExecMediationArtifact::new(1, Vec::new());
        assert_eq!(e.schema, ExecMediationArtifact::SCHEMA);
        let s = SecretBrokerArtifact::new(
            1,
            vec![SecretBrokerLedgerEntry {
                ts_ms: 1,
                extension_id: None,
                call_id: "c".into(),
                name_hash: "n".into(),
                redacted: true,
                reason: "r".into(),
            }],
        );
        assert_eq!(s.entry_count, 1);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.starts_with(r#"{"schema":"hostguard.secret_broker_artifact.v1","#));
        let back: SecretBrokerArtifact = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}
