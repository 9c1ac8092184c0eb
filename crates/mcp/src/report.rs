//! What the gateway tells the gate about a server beyond its calls (docs/mcp.md "Rules"): each
//! tool's pin as a `tool_pin` ledger entry whenever its standing changes, and findings — a tool
//! new or changed since approved, a poisoned definition or result, a credential in a result —
//! as `finding` entries with their alerts. Results are redacted here before they reach the
//! client.

use std::collections::{BTreeMap, BTreeSet};

use hostguard_manager::{
    Digest, ExtensionManager, ExternalFinding, PinStanding, SecurityAlertCategory as Cat,
    SecurityAlertSeverity as Sev, ToolPinRecord,
};
use serde_json::Value;

use crate::pins::PinCheck;
use crate::scan::{scan, strings_of, Scope};

/// One rule of the gateway: its id, and how its alert reads.
struct Rule {
    id: &'static str,
    category: Cat,
    severity: Sev,
    codes: &'static [&'static str],
    remediation: &'static str,
}

const REVIEW: &str = "review the definition in DIR/listed.json; approve it with `hostguard mcp approve --state DIR TOOL --pin PIN` only if it is what you expect, or stop the server (`hostguard mcp kill`)";

const TOOL_CHANGED: Rule = Rule {
    id: "mcp.tool_changed",
    category: Cat::ToolIntegrity,
    severity: Sev::Error,
    codes: &["attack:T1195.002"],
    remediation: REVIEW,
};
const TOOL_NEW: Rule = Rule {
    id: "mcp.tool_new",
    category: Cat::ToolIntegrity,
    severity: Sev::Warning,
    codes: &[],
    remediation: REVIEW,
};
const TOOL_POISONED: Rule = Rule {
    id: "mcp.tool_poisoned",
    category: Cat::ToolIntegrity,
    severity: Sev::Error,
    codes: &["atlas:AML.T0051.001"],
    remediation: REVIEW,
};
const RESULT_POISONED: Rule = Rule {
    id: "mcp.result_poisoned",
    category: Cat::ToolIntegrity,
    severity: Sev::Warning,
    codes: &["atlas:AML.T0051.001"],
    remediation: "review what the model did after this result (`hostguard ledger replay`, the following decisions); stop the server if it keeps sending instructions",
};
const SECRET_IN_RESULT: Rule = Rule {
    id: "mcp.secret_in_result",
    category: Cat::SecretBroker,
    severity: Sev::Warning,
    codes: &["attack:T1552"],
    remediation: "none for the model (it received the placeholder); rotate the credential if the server should never have read it",
};

/// Every rule of the gateway, for docs and tests.
pub const RULE_IDS: [&str; 5] = [
    TOOL_CHANGED.id,
    TOOL_NEW.id,
    TOOL_POISONED.id,
    RESULT_POISONED.id,
    SECRET_IN_RESULT.id,
];

/// Tool findings remembered at most (rule, tool, pin), so each is reported once.
const MAX_REPORTED: usize = 16 * 1024;

/// One finding on its way to the gate.
struct Found<'a> {
    rule: &'a Rule,
    subject: &'a str,
    evidence: &'a [u8],
    reason: &'a str,
    action: &'a str,
    codes: &'a [String],
}

/// A tool as the gateway last saw it in a list.
pub(crate) struct Seen<'a> {
    pub(crate) name: &'a str,
    pub(crate) pin: &'a str,
    pub(crate) check: &'a PinCheck,
    /// The poisoning scan's signals for its definition.
    pub(crate) poison: &'a [&'static str],
    /// Approved by this list (trust on first use) or by an operator just now.
    pub(crate) approved_by: Option<&'static str>,
}

/// The reporting state of one gateway.
#[derive(Default)]
pub(crate) struct Reporter {
    /// The last `tool_pin` written for each tool: its pin and standing.
    written: BTreeMap<String, (String, PinStanding)>,
    /// Tool findings already reported: rule, tool, pin (once each per gateway).
    reported: BTreeSet<(&'static str, String, String)>,
}

impl Reporter {
    /// A tool seen in a list (or re-checked after an approval): its `tool_pin` entry when its
    /// pin or standing changed, and its findings, each once per pin.
    pub(crate) fn tool(&mut self, m: &ExtensionManager, ext: &str, seen: &Seen<'_>) {
        let standing = match seen.check {
            PinCheck::Same => PinStanding::Approved,
            PinCheck::New { .. } => PinStanding::New,
            PinCheck::Changed { .. } => PinStanding::Changed,
        };
        let key = (seen.pin.to_owned(), standing);
        if self.written.get(seen.name) != Some(&key) {
            self.written.insert(seen.name.to_owned(), key);
            if let Some(pin) = Digest::from_hex(seen.pin) {
                let reason = pin_reason(seen);
                let record = ToolPinRecord {
                    tool: seen.name.to_owned(),
                    pin,
                    standing,
                    reason,
                };
                // A failed write raises its own ledger-integrity alert in the manager.
                let _ = m.record_tool_pin(ext, record);
            }
        }
        let withheld = standing != PinStanding::Approved;
        let action = if withheld { "withheld" } else { "alerted" };
        let subject = format!(
            "tool {}: definition (pin {})",
            Value::from(seen.name),
            seen.pin
        );
        if !seen.poison.is_empty() {
            let reason = format!(
                "the definition of tool {} carries text aimed at the model ({})",
                Value::from(seen.name),
                seen.poison.join(", ")
            );
            self.once(m, ext, seen, &TOOL_POISONED, (&subject, &reason, action));
        }
        let (rule, what) = match seen.check {
            PinCheck::Changed { .. } => (
                &TOOL_CHANGED,
                "changed since it was approved (a possible rug pull)",
            ),
            PinCheck::New { .. } if seen.poison.is_empty() && seen.approved_by.is_none() => {
                (&TOOL_NEW, "new and not approved")
            }
            _ => return,
        };
        let reason = format!(
            "tool {} is {what}: withheld from the model and refused",
            Value::from(seen.name)
        );
        self.once(m, ext, seen, rule, (&subject, &reason, action));
    }

    /// Reports `rule` on a tool once per pin: `words` are the subject, reason and action.
    fn once(
        &mut self,
        m: &ExtensionManager,
        ext: &str,
        seen: &Seen<'_>,
        rule: &Rule,
        words: (&str, &str, &str),
    ) {
        let (subject, reason, action) = words;
        let key = (rule.id, seen.name.to_owned(), seen.pin.to_owned());
        // Bounded: a server that changes a tool at every listing cannot grow this without end
        // (past the bound a finding may be reported again, never lost).
        if self.reported.len() >= MAX_REPORTED {
            self.reported.clear();
        }
        if !self.reported.insert(key) {
            return;
        }
        let mut codes: Vec<String> = seen.poison.iter().map(|s| format!("poison:{s}")).collect();
        codes.extend(rule.codes.iter().map(|c| (*c).to_owned()));
        let found = Found {
            rule,
            subject,
            evidence: seen.pin.as_bytes(),
            reason,
            action,
            codes: &codes,
        };
        report(m, ext, &found);
    }

    /// A result (or error) from the server on its way to the client: credentials redacted in
    /// every string, then scanned for text aimed at the model. `true` when `value` changed.
    pub(crate) fn result(
        &self,
        m: &ExtensionManager,
        ext: &str,
        (subject, scope): (&str, Scope),
        value: &mut Value,
    ) -> bool {
        let mut kinds: BTreeSet<&'static str> = BTreeSet::new();
        redact_strings(m, value, &mut kinds);
        if !kinds.is_empty() {
            // The hash covers what the client got: never an unsalted hash of a credential.
            let mut redacted = String::new();
            strings_of(value, &mut redacted);
            let codes: Vec<String> = kinds.iter().map(|k| format!("secret:{k}")).collect();
            let reason = format!(
                "the {subject} held a credential ({}): redacted before it reached the client",
                kinds.iter().copied().collect::<Vec<_>>().join(", ")
            );
            let found = Found {
                rule: &SECRET_IN_RESULT,
                subject,
                evidence: redacted.as_bytes(),
                reason: &reason,
                action: "redacted",
                codes: &codes,
            };
            report(m, ext, &found);
        }
        let mut text = String::new();
        strings_of(value, &mut text);
        let poison = scan(&text, m.detector(), scope);
        if !poison.is_empty() {
            let codes: Vec<String> = poison.iter().map(|s| format!("poison:{s}")).collect();
            let reason = format!(
                "the {subject} carries text aimed at the model ({}): passed on, alerted",
                poison.join(", ")
            );
            let found = Found {
                rule: &RESULT_POISONED,
                subject,
                evidence: text.as_bytes(),
                reason: &reason,
                action: "alerted",
                codes: &codes,
            };
            report(m, ext, &found);
        }
        !kinds.is_empty()
    }
}

/// Why a tool pin stands as it does.
fn pin_reason(seen: &Seen<'_>) -> String {
    match (seen.check, seen.approved_by) {
        (PinCheck::Same, Some(by)) => by.to_owned(),
        (PinCheck::Same, None) => "approved".to_owned(),
        (PinCheck::New { .. }, _) if !seen.poison.is_empty() => {
            format!("not approved: poisoned ({})", seen.poison.join(", "))
        }
        (PinCheck::New { .. }, _) => "not approved".to_owned(),
        (PinCheck::Changed { pinned, .. }, _) => {
            format!("changed since approved (approved pin {pinned})")
        }
    }
}

/// Every string of `value` through the secret broker's `redact_text`; the kinds found go to
/// `kinds`.
fn redact_strings(m: &ExtensionManager, value: &mut Value, kinds: &mut BTreeSet<&'static str>) {
    match value {
        Value::String(s) => {
            let r = m.secret_policy().redact_text(s);
            if r.redacted() {
                kinds.extend(r.kinds.iter().copied());
                *s = r.text.into_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(m, v, kinds)),
        Value::Object(map) => {
            // A credential can be a key too (`{"tokens": {"ghp_…": "ci"}}`): keys are redacted
            // like values (two keys redacted alike keep the last value).
            let redacted_keys = map
                .keys()
                .any(|k| m.secret_policy().redact_text(k).redacted());
            if redacted_keys {
                let old = std::mem::take(map);
                for (key, value) in old {
                    let r = m.secret_policy().redact_text(&key);
                    kinds.extend(r.kinds.iter().copied());
                    map.insert(r.text.into_owned(), value);
                }
            }
            map.values_mut().for_each(|v| redact_strings(m, v, kinds));
        }
        _ => {}
    }
}

fn report(m: &ExtensionManager, ext: &str, found: &Found<'_>) {
    let codes: Vec<&str> = found.codes.iter().map(String::as_str).collect();
    let finding = ExternalFinding {
        extension_id: ext,
        rule: found.rule.id,
        subject: found.subject,
        evidence: found.evidence,
        category: found.rule.category,
        severity: found.rule.severity,
        action: found.action,
        reason: found.reason,
        codes: &codes,
        remediation: found.rule.remediation,
    };
    // A failed write raises its own ledger-integrity alert in the manager; the alert is raised
    // either way.
    let _ = m.report_finding(&finding);
}
