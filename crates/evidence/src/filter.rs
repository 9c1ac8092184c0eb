//! What an incident bundle covers ([`IncidentBundleFilter`]) and what it hides
//! ([`IncidentBundleRedactionPolicy`]), exactly as runbook Procedure 6 steps 2 and 3 write them.

use serde::{Deserialize, Serialize};

use crate::records::{
    ExecMediationLedgerEntry, KillSwitchAuditEntry, QuotaBreachEvent,
    RuntimeHostcallTelemetryEvent, SecretBrokerLedgerEntry, SecurityAlert, SecurityAlertCategory,
    SecurityAlertSeverity, TrustStateRecord,
};

/// The scope of a bundle (docs/design.md §6 "Filter"). `None` means "no bound".
///
/// - `start_ms` / `end_ms`: inclusive time bounds, applied to every timestamped record and to
///   every disclosed ledger entry;
/// - `extension_id`: applied to every section; a record *without* an extension (a global
///   control-plane event such as a rollout transition) is in every extension's scope, since it
///   discloses nothing about another extension. Other extensions' ledger entries inside the
///   covered span are *elided*, never dropped, so the chain stays continuous;
/// - `alert_categories` (an empty list admits nothing) and `min_severity`: alerts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentBundleFilter {
    /// Inclusive lower time bound, in ms.
    pub start_ms: Option<u64>,
    /// Inclusive upper time bound, in ms.
    pub end_ms: Option<u64>,
    /// The one extension in scope.
    pub extension_id: Option<String>,
    /// Alert categories in scope.
    pub alert_categories: Option<Vec<SecurityAlertCategory>>,
    /// Least severity of an alert in scope.
    pub min_severity: Option<SecurityAlertSeverity>,
}

impl IncidentBundleFilter {
    /// Whether `ts_ms` lies within the inclusive time bounds.
    pub fn admits_time(&self, ts_ms: u64) -> bool {
        self.start_ms.is_none_or(|s| ts_ms >= s) && self.end_ms.is_none_or(|e| ts_ms <= e)
    }

    /// Whether a record of `extension_id` is in the extension scope: always without an
    /// extension filter; otherwise the same extension, or a global record (`None`).
    pub fn admits_extension(&self, extension_id: Option<&str>) -> bool {
        match (self.extension_id.as_deref(), extension_id) {
            (None, _) | (Some(_), None) => true,
            (Some(want), Some(got)) => want == got,
        }
    }

    /// Whether a record at `ts_ms` about `extension_id` is in scope.
    pub fn admits(&self, ts_ms: u64, extension_id: Option<&str>) -> bool {
        self.admits_time(ts_ms) && self.admits_extension(extension_id)
    }

    /// Whether an alert is in scope: time, extension, category and severity.
    pub fn admits_alert(&self, alert: &SecurityAlert) -> bool {
        self.admits(alert.ts_ms, alert.extension_id.as_deref())
            && self
                .alert_categories
                .as_ref()
                .is_none_or(|cats| cats.contains(&alert.category))
            && self.min_severity.is_none_or(|min| alert.severity >= min)
    }

    /// Whether a trust record is in scope (extension only: it is a state, not an event).
    pub fn admits_trust(&self, record: &TrustStateRecord) -> bool {
        self.admits_extension(Some(&record.extension_id))
    }

    /// Whether a kill-switch audit entry is in scope.
    pub fn admits_kill_switch(&self, entry: &KillSwitchAuditEntry) -> bool {
        self.admits(entry.ts_ms, Some(&entry.extension_id))
    }

    /// Whether `entry` belongs in the bundle under trust record `record`: in scope, and about
    /// the record's own extension. The builder keeps exactly these and the verifier admits
    /// exactly these.
    pub(crate) fn admits_audit_of(
        &self,
        record: &TrustStateRecord,
        entry: &KillSwitchAuditEntry,
    ) -> bool {
        entry.extension_id == record.extension_id && self.admits_kill_switch(entry)
    }
}

/// A timestamped record about an extension: what the filter looks at.
pub(crate) trait Scoped {
    fn ts_ms(&self) -> u64;
    fn extension_id(&self) -> Option<&str>;
}

macro_rules! scoped {
    ($($t:ty),*) => {$(
        impl Scoped for $t {
            fn ts_ms(&self) -> u64 {
                self.ts_ms
            }
            fn extension_id(&self) -> Option<&str> {
                self.extension_id.as_deref()
            }
        }
    )*};
}

scoped!(
    RuntimeHostcallTelemetryEvent,
    ExecMediationLedgerEntry,
    SecretBrokerLedgerEntry,
    QuotaBreachEvent
);

/// What a bundle hides (docs/design.md §6 "Redaction"). `Default` (= [`Self::external`]) redacts every
/// hash and keeps the remediation text; [`Self::internal`] redacts nothing.
///
/// The ledger's `params_hash` is redacted through the ledger's own redaction (value and salt
/// dropped, the salted commitment kept, so the chain still verifies); the records' hashes are
/// replaced by [`REDACTED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentBundleRedactionPolicy {
    /// Ledger decisions' and telemetry events' `params_hash`.
    pub redact_params_hash: bool,
    /// Alerts' `context_hash`.
    pub redact_context_hash: bool,
    /// Telemetry events' `args_shape_hash`.
    pub redact_args_shape_hash: bool,
    /// Exec-mediation entries' `command_hash`.
    pub redact_command_hash: bool,
    /// Secret-broker entries' `name_hash`.
    pub redact_name_hash: bool,
    /// Alerts' `remediation` text.
    pub redact_remediation: bool,
}

/// What a redacted record field holds instead of its value.
pub const REDACTED: &str = "redacted";

impl IncidentBundleRedactionPolicy {
    /// For external sharing: every hash redacted, remediation kept (runbook Procedure 6 step 3).
    pub const fn external() -> IncidentBundleRedactionPolicy {
        IncidentBundleRedactionPolicy {
            redact_params_hash: true,
            redact_context_hash: true,
            redact_args_shape_hash: true,
            redact_command_hash: true,
            redact_name_hash: true,
            redact_remediation: false,
        }
    }

    /// For internal investigation: nothing redacted.
    pub const fn internal() -> IncidentBundleRedactionPolicy {
        IncidentBundleRedactionPolicy {
            redact_params_hash: false,
            redact_context_hash: false,
            redact_args_shape_hash: false,
            redact_command_hash: false,
            redact_name_hash: false,
            redact_remediation: false,
        }
    }
}

impl Default for IncidentBundleRedactionPolicy {
    /// [`Self::external`]: the safe choice when in doubt.
    fn default() -> Self {
        Self::external()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(start: Option<u64>, end: Option<u64>, ext: Option<&str>) -> IncidentBundleFilter {
        IncidentBundleFilter {
            start_ms: start,
            end_ms: end,
            extension_id: ext.map(str::to_owned),
            ..IncidentBundleFilter::default()
        }
    }

    fn check(f: &IncidentBundleFilter, ts: u64, ext: Option<&str>, expected: bool) {
        assert_eq!(f.admits(ts, ext), expected, "{f:?} at `{ts}` for `{ext:?}`");
    }

    #[test]
    fn time_bounds_are_inclusive() {
        let f = filter(Some(10), Some(20), None);
        check(&f, 9, None, false);
        check(&f, 10, None, true);
        check(&f, 20, None, true);
        check(&f, 21, None, false);
        check(&filter(None, Some(0), None), 0, None, true);
        check(&filter(Some(u64::MAX), None, None), u64::MAX, None, true);
        check(&filter(Some(5), Some(4), None), 5, None, false);
    }

    #[test]
    fn extension_scope_admits_the_extension_and_global_records() {
        let f = filter(None, None, Some("a"));
        check(&f, 0, Some("a"), true);
        check(&f, 0, Some("b"), false);
        check(&f, 0, None, true);
        check(&filter(None, None, None), 0, Some("b"), true);
    }

    fn alert(category: SecurityAlertCategory, severity: SecurityAlertSeverity) -> SecurityAlert {
        SecurityAlert {
            ts_ms: 1,
            sequence_id: 1,
            extension_id: Some("a".into()),
            category,
            severity,
            capability: "exec".into(),
            method: "exec".into(),
            action_taken: "deny".into(),
            reason: String::new(),
            reason_codes: Vec::new(),
            risk_score: None,
            context_hash: String::new(),
            remediation: String::new(),
        }
    }

    #[test]
    fn categories_and_severity_apply_to_alerts() {
        use SecurityAlertCategory as C;
        use SecurityAlertSeverity as S;
        let f = IncidentBundleFilter {
            alert_categories: Some(vec![C::ExecMediation, C::AnomalyDenial]),
            min_severity: Some(S::Warning),
            ..IncidentBundleFilter::default()
        };
        assert!(f.admits_alert(&alert(C::ExecMediation, S::Warning)));
        assert!(f.admits_alert(&alert(C::AnomalyDenial, S::Critical)));
        assert!(!f.admits_alert(&alert(C::ExecMediation, S::Info)));
        assert!(!f.admits_alert(&alert(C::PolicyDenial, S::Critical)));
        let none = IncidentBundleFilter {
            alert_categories: Some(Vec::new()),
            ..IncidentBundleFilter::default()
        };
        assert!(!none.admits_alert(&alert(C::PolicyDenial, S::Critical)));
        assert!(IncidentBundleFilter::default().admits_alert(&alert(C::Quarantine, S::Info)));
    }

    #[test]
    fn default_redaction_is_external_and_internal_redacts_nothing() {
        let d = IncidentBundleRedactionPolicy::default();
        assert_eq!(d, IncidentBundleRedactionPolicy::external());
        assert!(
            d.redact_params_hash
                && d.redact_context_hash
                && d.redact_args_shape_hash
                && d.redact_command_hash
                && d.redact_name_hash
                && !d.redact_remediation
        );
        let i = IncidentBundleRedactionPolicy::internal();
        assert_eq!(
            serde_json::to_string(&i).unwrap(),
            r#"{"redact_params_hash":false,"redact_context_hash":false,"redact_args_shape_hash":false,"redact_command_hash":false,"redact_name_hash":false,"redact_remediation":false}"#
        );
    }
}
