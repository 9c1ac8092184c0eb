//! [`IncidentBundleSummary`]: the runbook's ten figures (Procedure 6 step 6), each a pure
//! function of the bundle's sections so the verifier recomputes every one of them.

use std::collections::BTreeSet;

use hostguard_ledger::verify_runtime_risk_ledger_artifact;
use hostguard_risk_core::EnforcementState;

use crate::incident::{IncidentBundleSummary, IncidentEvidenceBundle};

impl IncidentBundleSummary {
    /// Recomputes the summary from the bundle's sections (its stored summary is not read);
    /// verifies the embedded ledger and reads `source_ledger` for `ledger_chain_intact`.
    pub fn compute(bundle: &IncidentEvidenceBundle) -> IncidentBundleSummary {
        let span_valid = verify_runtime_risk_ledger_artifact(&bundle.ledger).valid;
        Self::compute_with_ledger_status(bundle, span_valid)
    }

    /// As [`Self::compute`], with the embedded ledger's verification result supplied by a
    /// caller that has already verified it.
    pub(crate) fn compute_with_ledger_status(
        bundle: &IncidentEvidenceBundle,
        span_valid: bool,
    ) -> IncidentBundleSummary {
        let ledger_chain_intact = span_valid && chain_vouched_for(bundle);
        let mut extensions: BTreeSet<&str> = BTreeSet::new();
        let mut peak = 0.0_f64;
        let mut raise = |score: f64| {
            if score.is_finite() && score > peak {
                peak = score;
            }
        };
        let mut ledger_entry_count = 0u64;
        let mut ledger_elided_count = 0u64;
        let mut deny_or_terminate_count = 0u64;
        for entry in &bundle.ledger.entries {
            if entry.is_elided() {
                ledger_elided_count += 1;
                continue;
            }
            ledger_entry_count += 1;
            extensions.extend(entry.extension_id.as_deref());
            if let Some(d) = entry.decision() {
                raise(d.risk_score);
                // What was applied: in shadow and log_only `selected_action` is only what
                // enforcement would have done (decisions written before `applied` existed
                // record what was applied there).
                match d.applied.map_or(d.selected_action, |a| a.action) {
                    EnforcementState::Deny | EnforcementState::Terminate => {
                        deny_or_terminate_count += 1;
                    }
                    EnforcementState::Allow
                    | EnforcementState::Harden
                    | EnforcementState::Prompt => {}
                }
            }
        }
        for a in &bundle.alerts {
            extensions.extend(a.extension_id.as_deref());
            if let Some(s) = a.risk_score {
                raise(s);
            }
        }
        for t in &bundle.telemetry {
            extensions.extend(t.extension_id.as_deref());
            raise(t.risk_score);
        }
        extensions.extend(
            bundle
                .exec_mediation
                .iter()
                .filter_map(|e| e.extension_id.as_deref()),
        );
        extensions.extend(
            bundle
                .secret_broker
                .iter()
                .filter_map(|e| e.extension_id.as_deref()),
        );
        extensions.extend(
            bundle
                .quota_breaches
                .iter()
                .filter_map(|e| e.extension_id.as_deref()),
        );

        IncidentBundleSummary {
            ledger_entry_count,
            alert_count: bundle.alerts.len() as u64,
            telemetry_event_count: bundle.telemetry.len() as u64,
            exec_mediation_count: bundle.exec_mediation.len() as u64,
            secret_broker_count: bundle.secret_broker.len() as u64,
            quota_breach_count: bundle.quota_breaches.len() as u64,
            distinct_extensions: extensions.len() as u64,
            peak_risk_score: peak,
            deny_or_terminate_count,
            ledger_chain_intact,
            ledger_elided_count,
        }
    }

    /// The fields that differ from `other`, by name, with both values (stored, recomputed).
    pub(crate) fn differences(
        &self,
        other: &IncidentBundleSummary,
    ) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        let mut out_peak = None;
        let mut cmp = |name: &'static str, a: String, b: String| {
            if a != b {
                out.push((name, a, b));
            }
        };
        cmp(
            "ledger_entry_count",
            self.ledger_entry_count.to_string(),
            other.ledger_entry_count.to_string(),
        );
        cmp(
            "alert_count",
            self.alert_count.to_string(),
            other.alert_count.to_string(),
        );
        cmp(
            "telemetry_event_count",
            self.telemetry_event_count.to_string(),
            other.telemetry_event_count.to_string(),
        );
        cmp(
            "exec_mediation_count",
            self.exec_mediation_count.to_string(),
            other.exec_mediation_count.to_string(),
        );
        cmp(
            "secret_broker_count",
            self.secret_broker_count.to_string(),
            other.secret_broker_count.to_string(),
        );
        cmp(
            "quota_breach_count",
            self.quota_breach_count.to_string(),
            other.quota_breach_count.to_string(),
        );
        cmp(
            "distinct_extensions",
            self.distinct_extensions.to_string(),
            other.distinct_extensions.to_string(),
        );
        // Bit patterns: the recomputation is exact, and NaN must not compare equal to itself.
        if self.peak_risk_score.to_bits() != other.peak_risk_score.to_bits() {
            out_peak = Some((
                "peak_risk_score",
                format!("{:?}", self.peak_risk_score),
                format!("{:?}", other.peak_risk_score),
            ));
        }
        cmp(
            "deny_or_terminate_count",
            self.deny_or_terminate_count.to_string(),
            other.deny_or_terminate_count.to_string(),
        );
        cmp(
            "ledger_chain_intact",
            self.ledger_chain_intact.to_string(),
            other.ledger_chain_intact.to_string(),
        );
        cmp(
            "ledger_elided_count",
            self.ledger_elided_count.to_string(),
            other.ledger_elided_count.to_string(),
        );
        out.extend(out_peak);
        out
    }
}

/// Whether the bundle's `source_ledger` vouches for the source its ledger span was cut from.
pub(crate) fn chain_vouched_for(bundle: &IncidentEvidenceBundle) -> bool {
    bundle
        .source_ledger
        .vouches(bundle.ledger.entries.len())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::IncidentEvidenceBundleBuilder;
    use crate::records::{
        QuotaBreachEvent, SecurityAlert, SecurityAlertCategory, SecurityAlertSeverity,
    };
    use hostguard_ledger::RuntimeRiskLedgerArtifact;
    use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};

    fn alert(ext: Option<&str>, score: Option<f64>) -> SecurityAlert {
        SecurityAlert {
            ts_ms: 1,
            sequence_id: 1,
            extension_id: ext.map(str::to_owned),
            category: SecurityAlertCategory::AnomalyDenial,
            severity: SecurityAlertSeverity::Error,
            capability: "exec".into(),
            method: "exec".into(),
            action_taken: "deny".into(),
            reason: String::new(),
            reason_codes: Vec::new(),
            risk_score: score,
            context_hash: "c".into(),
            remediation: "r".into(),
        }
    }

    fn quota(ext: Option<&str>) -> QuotaBreachEvent {
        QuotaBreachEvent {
            ts_ms: 1,
            extension_id: ext.map(str::to_owned),
            call_id: "c".into(),
            kind: "k".into(),
            limit: 1,
            observed: 2,
        }
    }

    /// (alerts, quota breaches) → (distinct_extensions, peak_risk_score, alert_count).
    fn check(alerts: &[SecurityAlert], quota: &[QuotaBreachEvent], expected: (u64, f64, u64)) {
        let ledger = RuntimeRiskLedgerArtifact::from_entries(
            0,
            RuntimeRiskConfig::default(),
            HysteresisConfig::default(),
            Vec::new(),
        );
        let b = IncidentEvidenceBundleBuilder::new(&ledger)
            .alerts(alerts)
            .quota_breaches(quota)
            .build(0);
        let s = &b.summary;
        assert_eq!(
            (s.distinct_extensions, s.peak_risk_score, s.alert_count),
            expected
        );
        assert_eq!(s.quota_breach_count, quota.len() as u64);
        assert!(s.ledger_chain_intact);
        assert_eq!(IncidentBundleSummary::compute(&b), b.summary);
        assert!(s.differences(&b.summary).is_empty());
    }

    #[test]
    fn counts_extensions_and_peak_over_the_sections() {
        check(&[], &[], (0, 0.0, 0));
        check(&[alert(None, Some(0.4))], &[], (0, 0.4, 1));
        check(
            &[alert(Some("a"), None), alert(Some("a"), Some(0.2))],
            &[quota(Some("b"))],
            (2, 0.2, 2),
        );
        check(
            &[
                alert(Some("a"), Some(f64::NAN)),
                alert(Some("a"), Some(-1.0)),
            ],
            &[quota(None)],
            (1, 0.0, 2),
        );
        check(
            &[
                alert(Some("a"), Some(f64::INFINITY)),
                alert(Some("c"), Some(1.0)),
            ],
            &[],
            (2, 1.0, 2),
        );
    }

    #[test]
    fn differences_name_each_field_and_compare_floats_by_bits() {
        let a = IncidentBundleSummary::default();
        let mut b = a.clone();
        b.alert_count = 3;
        b.peak_risk_score = -0.0;
        b.ledger_chain_intact = true;
        let names: Vec<&str> = a.differences(&b).iter().map(|d| d.0).collect();
        assert_eq!(
            names,
            ["alert_count", "ledger_chain_intact", "peak_risk_score"]
        );
        let mut nan = a.clone();
        nan.peak_risk_score = f64::NAN;
        assert_eq!(
            nan.differences(&nan.clone()).len(),
            0,
            "same bits compare equal"
        );
    }
}
