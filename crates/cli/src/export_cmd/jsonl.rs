//! `hostguard export --format jsonl`: our own flat form of the same records, one object per
//! line, `schema` = [`EXPORT_SCHEMA`], snake_case members in a fixed order
//! (`docs/export-format.md` §4 lists every member).

use serde::Serialize;

use super::records::{attack_ids, rule_ids, AlertRecord, DecisionEntry, DecisionFields};

/// The `schema` member of every jsonl line.
pub const EXPORT_SCHEMA: &str = "hostguard.export.v1";

/// One alert (`record` = `alert`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertLine<'a> {
    /// Always [`EXPORT_SCHEMA`].
    pub schema: &'static str,
    /// Always `alert`.
    pub record: &'static str,
    /// When the alert was raised, epoch ms.
    pub ts_ms: u64,
    /// The alert's sequence id (monotonic from 1 within one manager).
    pub sequence_id: u64,
    /// The extension, `null` for global events.
    pub extension_id: Option<&'a str>,
    /// The alert category.
    pub category: &'static str,
    /// Our severity: info, warning, error, critical.
    pub severity: &'static str,
    /// The capability of the call (empty for control events).
    pub capability: &'a str,
    /// The hostcall method (empty for control events).
    pub method: &'a str,
    /// What the gate did.
    pub action_taken: &'a str,
    /// One human line.
    pub reason: &'a str,
    /// Stable reason codes.
    pub reason_codes: &'a [String],
    /// The detection rule ids among the codes (`rule:` prefix dropped).
    pub rule_ids: Vec<&'a str>,
    /// The ATT&CK technique ids among the codes (`attack:` prefix dropped).
    pub attack_ids: Vec<&'a str>,
    /// The risk score, when the model ran.
    pub risk_score: Option<f64>,
    /// Hash of the call context.
    pub context_hash: &'a str,
    /// What an operator should do.
    pub remediation: &'a str,
    /// `seq` of the ledger entry the alert is about, `null` when the ledger does not hold it.
    pub ledger_seq: Option<u64>,
    /// `ledger_hash` of that entry.
    pub ledger_hash: Option<String>,
    /// The call id, when that entry is a decision.
    pub call_id: Option<&'a str>,
}

/// One gate decision (`record` = `decision`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionLine<'a> {
    /// Always [`EXPORT_SCHEMA`].
    pub schema: &'static str,
    /// Always `decision`.
    pub record: &'static str,
    /// When the decision was written, epoch ms.
    pub ts_ms: u64,
    /// The calling extension.
    pub extension_id: Option<&'a str>,
    /// The host's id of the call.
    pub call_id: &'a str,
    /// The hostcall method.
    pub method: &'a str,
    /// Why static policy allowed or refused the call.
    pub policy_reason: &'a str,
    /// One-line explanation.
    pub explanation: &'a str,
    /// The rest, shared with the OCSF `unmapped` object.
    #[serde(flatten)]
    pub fields: DecisionFields<'a>,
}

/// The jsonl line of an alert.
pub fn alert_line<'a>(r: &AlertRecord<'a>) -> AlertLine<'a> {
    let a = r.alert;
    AlertLine {
        schema: EXPORT_SCHEMA,
        record: "alert",
        ts_ms: a.ts_ms,
        sequence_id: a.sequence_id,
        extension_id: a.extension_id.as_deref(),
        category: a.category.as_str(),
        severity: a.severity.as_str(),
        capability: &a.capability,
        method: &a.method,
        action_taken: &a.action_taken,
        reason: &a.reason,
        reason_codes: &a.reason_codes,
        rule_ids: rule_ids(&a.reason_codes),
        attack_ids: attack_ids(&a.reason_codes),
        risk_score: a.risk_score,
        context_hash: &a.context_hash,
        remediation: &a.remediation,
        ledger_seq: r.link.map(|l| l.seq()),
        ledger_hash: r.link.map(|l| l.hash()),
        call_id: r.link.and_then(|l| l.call_id()),
    }
}

/// The jsonl line of a decision.
pub fn decision_line<'a>(d: &DecisionEntry<'a>) -> DecisionLine<'a> {
    DecisionLine {
        schema: EXPORT_SCHEMA,
        record: "decision",
        ts_ms: d.entry.ts_ms,
        extension_id: d.entry.extension_id.as_deref(),
        call_id: &d.decision.call_id,
        method: &d.decision.method,
        policy_reason: &d.decision.policy_reason,
        explanation: &d.decision.explanation_summary,
        fields: d.fields(),
    }
}
