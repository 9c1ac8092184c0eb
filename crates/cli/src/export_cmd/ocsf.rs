//! `hostguard export --format ocsf`: alerts as OCSF Detection Findings (class 2004) and gate
//! decisions as OCSF API Activity (class 6003) with the Security Control profile, schema 1.8.0
//! (`docs/export-format.md` §3 has the mapping table and why these classes).
//!
//! Every value comes from the verified ledger or the alert file; nothing is added that they do
//! not hold. What has no OCSF home goes in `unmapped`.

use hostguard_manager::{
    Capability, EnforcementState, SecurityAlert, SecurityAlertCategory, SecurityAlertSeverity,
    VerdictAction,
};
use serde_json::{json, Map, Value};

use super::records::{attack_ids, rule_ids, AlertRecord, DecisionEntry};

/// The published OCSF schema release the events follow (`metadata.version`).
pub const OCSF_VERSION: &str = "1.8.0";

/// `metadata.product.name` and `vendor_name`.
const PRODUCT: &str = "hostguard";

/// `actor.app_name` of a decision that names no extension (the ledger allows it).
const UNATTRIBUTED: &str = "unattributed";

/// Detection Finding (`class_uid` 2004, category Findings 2), activity Create (1).
pub fn detection_finding(record: &AlertRecord<'_>) -> Value {
    let a = record.alert;
    let (severity_id, severity) = alert_severity(a.severity);
    let uid = finding_uid(a);
    let mut event = json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 2004 * 100 + 1,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "is_alert": true,
        "time": a.ts_ms,
        "message": a.reason,
        "metadata": metadata("alerts", &uid, record.link.map(|l| l.hash()), &[]),
        "finding_info": finding_info(a, &uid),
        "unmapped": alert_unmapped(record),
    });
    let remediation = (!a.remediation.is_empty()).then(|| json!({ "desc": a.remediation }));
    put(&mut event, "remediation", remediation);
    put(
        &mut event,
        "risk_score",
        a.risk_score.map(|s| json!(percent(s))),
    );
    put(
        &mut event,
        "evidences",
        evidence(record).map(|e| json!([e])),
    );
    event
}

/// API Activity (`class_uid` 6003, category Application Activity 6) of one gate decision, with
/// the Security Control profile (`action_id`, `disposition_id`, `policy`).
pub fn api_activity(d: &DecisionEntry<'_>) -> Value {
    let (activity_id, activity_caption, activity_name) = activity(d.decision.capability);
    let o = outcome(d.verdict(), d.applied_state());
    let hash = d.entry.ledger_hash.to_hex();
    let extension = d.entry.extension_id.as_deref().unwrap_or(UNATTRIBUTED);
    let mut event = json!({
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": 6,
        "category_name": "Application Activity",
        "class_uid": 6003,
        "class_name": "API Activity",
        "type_uid": 6003 * 100 + activity_id,
        "type_name": format!("API Activity: {activity_caption}"),
        "severity_id": o.severity_id,
        "severity": o.severity,
        "time": d.entry.ts_ms,
        "message": d.decision.explanation_summary,
        "actor": { "app_name": extension },
        "src_endpoint": { "name": extension },
        "api": {
            "operation": d.decision.method,
            "request": { "uid": d.decision.call_id },
        },
        "action_id": o.action_id,
        "action": o.action,
        "disposition_id": o.disposition_id,
        "disposition": o.disposition,
        "is_alert": o.action_id != 1,
        "policy": { "name": d.decision.policy_reason },
        "metadata": metadata("ledger", &hash, Some(hash.clone()), &["security_control"]),
        "unmapped": d.fields(),
    });
    let score = d
        .decision
        .risk_evaluated
        .then(|| json!(percent(d.decision.risk_score)));
    put(&mut event, "risk_score", score);
    event
}

/// `severity_id` and its caption for an alert severity (`docs/export-format.md` §3.3).
pub const fn alert_severity(s: SecurityAlertSeverity) -> (u8, &'static str) {
    match s {
        SecurityAlertSeverity::Info => (1, "Informational"),
        SecurityAlertSeverity::Warning => (2, "Low"),
        SecurityAlertSeverity::Error => (3, "Medium"),
        SecurityAlertSeverity::Critical => (5, "Critical"),
    }
}

/// The API Activity `activity_id`, its caption, and `activity_name` of a capability: reads
/// (`read`, `env`) are Read, writes Update; the other capabilities have no CRUD verb and are
/// Other (99) named by the capability.
pub const fn activity(c: Capability) -> (u64, &'static str, &'static str) {
    match c {
        Capability::Read | Capability::Env => (2, "Read", "Read"),
        Capability::Write => (3, "Update", "Update"),
        Capability::Exec
        | Capability::Http
        | Capability::Session
        | Capability::Ui
        | Capability::Events
        | Capability::Log
        | Capability::Tool => (99, "Other", c.as_str()),
    }
}

/// The Security Control outcome and severity of a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// `action_id` (1 Allowed, 2 Denied, 99 Other).
    pub action_id: u8,
    /// `action`.
    pub action: &'static str,
    /// `disposition_id` (1 Allowed, 2 Blocked, 3 Quarantined, 23 Challenge).
    pub disposition_id: u8,
    /// `disposition`.
    pub disposition: &'static str,
    /// `severity_id` (1 Informational, 2 Low, 3 Medium, 5 Critical).
    pub severity_id: u8,
    /// `severity`.
    pub severity: &'static str,
}

/// The outcome of a verdict; a block in the Terminate state is a quarantine.
pub const fn outcome(verdict: VerdictAction, applied: EnforcementState) -> Outcome {
    let (action_id, action, disposition_id, disposition, severity_id, severity) =
        match (verdict, applied) {
            (VerdictAction::Allow, _) => (1, "Allowed", 1, "Allowed", 1, "Informational"),
            (VerdictAction::Prompt, _) => (99, "Prompt", 23, "Challenge", 2, "Low"),
            (VerdictAction::Block, EnforcementState::Terminate) => {
                (2, "Denied", 3, "Quarantined", 5, "Critical")
            }
            (VerdictAction::Block, _) => (2, "Denied", 2, "Blocked", 3, "Medium"),
        };
    Outcome {
        action_id,
        action,
        disposition_id,
        disposition,
        severity_id,
        severity,
    }
}

/// The finding's uid: unique per alert of one manager, stable across re-exports.
fn finding_uid(a: &SecurityAlert) -> String {
    format!("hostguard:alert:{}:{}", a.sequence_id, a.context_hash)
}

fn metadata(log_name: &str, uid: &str, correlation: Option<String>, profiles: &[&str]) -> Value {
    let mut m = json!({
        "version": OCSF_VERSION,
        "product": {
            "name": PRODUCT,
            "vendor_name": PRODUCT,
            "version": env!("CARGO_PKG_VERSION"),
        },
        "log_name": log_name,
        "uid": uid,
    });
    put(&mut m, "correlation_uid", correlation.map(Value::String));
    put(
        &mut m,
        "profiles",
        (!profiles.is_empty()).then(|| json!(profiles)),
    );
    m
}

fn finding_info(a: &SecurityAlert, uid: &str) -> Value {
    let (title, type_id, type_name) = category(a.category);
    let rules = rule_ids(&a.reason_codes);
    let analytic = |id: &str, type_id: u8, type_name: &str| json!({ "uid": id, "name": id, "type_id": type_id, "type": type_name });
    let fallback = format!("hostguard.{}", a.category.as_str());
    let main = match rules.first() {
        Some(rule) => analytic(rule, 1, "Rule"),
        None => analytic(&fallback, type_id, type_name),
    };
    let mut info = json!({
        "uid": uid,
        "title": match (&a.extension_id, a.method.as_str()) {
            (Some(ext), "") => format!("{title}: {ext}"),
            (Some(ext), method) => format!("{title}: {ext} {method}"),
            (None, _) => title.to_owned(),
        },
        "desc": a.reason,
        "types": [a.category.as_str()],
        "created_time": a.ts_ms,
        "analytic": main,
    });
    let related: Vec<Value> = rules
        .iter()
        .skip(1)
        .map(|r| analytic(r, 1, "Rule"))
        .collect();
    put(
        &mut info,
        "related_analytics",
        (!related.is_empty()).then(|| json!(related)),
    );
    let attacks: Vec<Value> = attack_ids(&a.reason_codes)
        .into_iter()
        .map(attack)
        .collect();
    put(
        &mut info,
        "attacks",
        (!attacks.is_empty()).then(|| json!(attacks)),
    );
    info
}

/// `finding_info.title`'s stem and the analytic type of a category without a rule id.
const fn category(c: SecurityAlertCategory) -> (&'static str, u8, &'static str) {
    match c {
        SecurityAlertCategory::PolicyDenial => ("Policy denial", 1, "Rule"),
        SecurityAlertCategory::AnomalyDenial => ("Risk model denial", 3, "Statistical"),
        SecurityAlertCategory::ExecMediation => ("Exec mediation", 1, "Rule"),
        SecurityAlertCategory::SecretBroker => ("Secret brokered", 1, "Rule"),
        SecurityAlertCategory::QuotaBreach => ("Quota breach", 1, "Rule"),
        SecurityAlertCategory::Quarantine => ("Extension quarantined", 3, "Statistical"),
        SecurityAlertCategory::ProfileTransition => ("Enforcement change", 3, "Statistical"),
        SecurityAlertCategory::LedgerIntegrity => ("Ledger integrity", 99, "Integrity check"),
        SecurityAlertCategory::ToolIntegrity => ("Tool integrity", 1, "Rule"),
    }
}

/// An ATT&CK id as an OCSF `attack`: `T1059.004` is sub-technique of technique `T1059`.
fn attack(id: &str) -> Value {
    match id.split_once('.') {
        Some((technique, _)) => json!({
            "technique": { "uid": technique },
            "sub_technique": { "uid": id },
        }),
        None => json!({ "technique": { "uid": id } }),
    }
}

/// The extension and the call the alert is about, when it is about one.
fn evidence(record: &AlertRecord<'_>) -> Option<Value> {
    let a = record.alert;
    let mut e = Map::new();
    if let Some(ext) = &a.extension_id {
        e.insert("actor".into(), json!({ "app_name": ext }));
    }
    if !a.method.is_empty() {
        let mut api = json!({ "operation": a.method });
        let request = record
            .link
            .and_then(|l| l.call_id())
            .map(|c| json!({ "uid": c }));
        put(&mut api, "request", request);
        e.insert("api".into(), api);
    }
    (!e.is_empty()).then_some(Value::Object(e))
}

fn alert_unmapped(record: &AlertRecord<'_>) -> Value {
    let a = record.alert;
    let mut u = json!({
        "sequence_id": a.sequence_id,
        "category": a.category.as_str(),
        "severity": a.severity.as_str(),
        "capability": a.capability,
        "action_taken": a.action_taken,
        "reason_codes": a.reason_codes,
        "context_hash": a.context_hash,
    });
    put(&mut u, "risk_score", a.risk_score.map(|s| json!(s)));
    put(&mut u, "ledger_seq", record.link.map(|l| json!(l.seq())));
    put(&mut u, "ledger_hash", record.link.map(|l| json!(l.hash())));
    u
}

/// A score in [0, 1] as OCSF's integer `risk_score` (percent, rounded).
fn percent(score: f64) -> i64 {
    (score * 100.0).round() as i64
}

/// Sets `key` of the object `v` when there is a value (OCSF: absent, not null).
fn put(v: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(obj), Some(value)) = (v.as_object_mut(), value) {
        obj.insert(key.to_owned(), value);
    }
}
