//! What a layer in front of an extension reports to the gate (docs/mcp.md): a tool definition
//! pinned, and a finding in what the extension sent that its hostcalls do not show — a tool
//! changed since it was approved, a description or result carrying instructions for the model,
//! a credential in a result. Each is a ledger entry (`tool_pin`, `finding`); a finding is also
//! an alert of the extension, so triage, bundles and exports see it like any other.

use hostguard_evidence::{SecurityAlert, SecurityAlertCategory, SecurityAlertSeverity};
use hostguard_ledger::{EntryPayload, FindingRecord, ToolPinRecord};
use hostguard_risk_core::DomainTag;

use crate::error::ControlError;
use crate::manager::ExtensionManager;
use crate::shard::lock;
use crate::trace::{AlertOrigin, Control};

/// One finding of a layer in front of an extension.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalFinding<'a> {
    /// The extension it is about.
    pub extension_id: &'a str,
    /// The rule that fired (`mcp.tool_poisoned`): the alert's reason codes carry `rule:ID`.
    pub rule: &'a str,
    /// What it fired on (`tool "notes": description`).
    pub subject: &'a str,
    /// What the text it fired on was: hashed into the alert's `context_hash` (tag `0x24`),
    /// never stored.
    pub evidence: &'a [u8],
    /// The alert's category.
    pub category: SecurityAlertCategory,
    /// The alert's severity.
    pub severity: SecurityAlertSeverity,
    /// What was done (`withheld`, `redacted`, `alerted`).
    pub action: &'a str,
    /// One human line.
    pub reason: &'a str,
    /// More reason codes (`attack:T1195.002`, `poison:invisible`).
    pub codes: &'a [&'a str],
    /// What an operator should do.
    pub remediation: &'a str,
}

impl ExtensionManager {
    /// Records a finding: a `finding` ledger entry, then an alert of the extension with the
    /// entry's rule as reason code `rule:ID`. The alert is raised even when the entry could not
    /// be written (the error says so, and a `ledger_integrity` alert too).
    pub fn report_finding(&self, finding: &ExternalFinding<'_>) -> Result<u64, ControlError> {
        let now = self.clock.now_ms();
        let recorded = self.append_control(
            &mut lock(&self.core),
            now,
            Some(finding.extension_id),
            EntryPayload::Finding(FindingRecord {
                rule: finding.rule.to_owned(),
                subject: finding.subject.to_owned(),
                action: finding.action.to_owned(),
            }),
        );
        let alert = self.finding_alert(finding, now);
        crate::trace::alert(
            &alert,
            AlertOrigin {
                call_id: None,
                seq: recorded.as_ref().ok().copied(),
                rule: Some(finding.rule),
            },
        );
        let shard = self.shard(finding.extension_id);
        lock(&shard.state).records.alerts.push(alert);
        Control::new("finding", Some(finding.extension_id))
            .written(&recorded)
            .emit();
        recorded
    }

    /// Records a tool pin of `extension_id`: a `tool_pin` ledger entry.
    pub fn record_tool_pin(
        &self,
        extension_id: &str,
        pin: ToolPinRecord,
    ) -> Result<u64, ControlError> {
        let now = self.clock.now_ms();
        let recorded = self.append_control(
            &mut lock(&self.core),
            now,
            Some(extension_id),
            EntryPayload::ToolPin(pin),
        );
        Control::new("tool_pin", Some(extension_id))
            .written(&recorded)
            .emit();
        recorded
    }

    fn finding_alert(&self, f: &ExternalFinding<'_>, now: u64) -> SecurityAlert {
        let mut codes = vec![format!("rule:{}", f.rule)];
        codes.extend(f.codes.iter().map(|c| (*c).to_owned()));
        SecurityAlert {
            ts_ms: now,
            sequence_id: self.next_alert_seq(),
            extension_id: Some(f.extension_id.to_owned()),
            category: f.category,
            severity: f.severity,
            capability: String::new(),
            method: String::new(),
            action_taken: f.action.to_owned(),
            reason: f.reason.to_owned(),
            reason_codes: codes,
            risk_score: None,
            context_hash: finding_context_hash(f.rule, f.subject, f.evidence),
            remediation: f.remediation.to_owned(),
        }
    }
}

/// `SHA-256(0x24 ‖ u64be(len(rule)) ‖ rule ‖ u64be(len(subject)) ‖ subject ‖ evidence)`
/// (docs/evidence-format.md §1.2), lowercase hex.
pub fn finding_context_hash(rule: &str, subject: &str, evidence: &[u8]) -> String {
    let mut h = DomainTag::Finding.hasher();
    h.update((rule.len() as u64).to_be_bytes());
    h.update(rule.as_bytes());
    h.update((subject.len() as u64).to_be_bytes());
    h.update(subject.as_bytes());
    h.update(evidence);
    hex::encode(h.finalize())
}
