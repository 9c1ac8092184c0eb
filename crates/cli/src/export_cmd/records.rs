//! What `hostguard export` exports, before any output format: the alerts, each joined to the
//! verified ledger entry it is about, and the gate decisions of the ledger with their verdict
//! (`docs/export-format.md` §2).
//!
//! The join recomputes the alert's `context_hash` (the documented `DomainTag::AlertContext` and
//! `DomainTag::RolloutTransition` constructions) from the ledger entry, so a link is exact, not a
//! guess by time; an alert whose entry the ledger does not hold (evicted, a ledger-integrity
//! alert about the ledger itself) carries no link.
//!
//! A decision's params hash is exported as its salted commitment only: the revealed value is an
//! unsalted hash of the call's parameters, which a bundle may redact and which guesses of
//! low-entropy parameters could be checked against.

use std::collections::BTreeMap;

use hostguard_manager::{
    action_for, DecisionRecord, Digest, EnforcementState, EntryPayload, LedgerEntry, SecurityAlert,
    VerdictAction,
};
use hostguard_risk_core::DomainTag;
use serde::Serialize;

/// Where a record sits in the verified ledger: join key back to `hostguard ledger verify`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LedgerLink<'a> {
    /// The linked entry.
    pub entry: &'a LedgerEntry,
}

impl<'a> LedgerLink<'a> {
    /// The entry's `seq`.
    pub fn seq(&self) -> u64 {
        self.entry.seq
    }

    /// The entry's `ledger_hash`, hex.
    pub fn hash(&self) -> String {
        self.entry.ledger_hash.to_hex()
    }

    /// The call id, when the linked entry is a decision.
    pub fn call_id(&self) -> Option<&'a str> {
        self.entry.decision().map(|d| d.call_id.as_str())
    }
}

/// One alert and its ledger entry, if the ledger holds it.
#[derive(Debug, Clone, Copy)]
pub struct AlertRecord<'a> {
    /// The alert as `alerts.json` holds it.
    pub alert: &'a SecurityAlert,
    /// The entry it is about.
    pub link: Option<LedgerLink<'a>>,
}

/// One disclosed decision entry of the ledger.
#[derive(Debug, Clone, Copy)]
pub struct DecisionEntry<'a> {
    /// The entry (seq, time, extension, hashes).
    pub entry: &'a LedgerEntry,
    /// Its decision.
    pub decision: &'a DecisionRecord,
}

impl DecisionEntry<'_> {
    /// The state the gate applied: `applied.action`, or — in decisions written before that
    /// member existed — `selected_action`, which was then what was applied.
    pub fn applied_state(&self) -> EnforcementState {
        self.decision
            .applied
            .map_or(self.decision.selected_action, |a| a.action)
    }

    /// What the host was told to do with the call.
    pub fn verdict(&self) -> VerdictAction {
        action_for(self.applied_state(), self.decision.capability)
    }
}

/// The fields of a decision that OCSF has no attribute for: the `unmapped` object of its API
/// Activity event, and the tail of its jsonl line (`docs/export-format.md` §4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionFields<'a> {
    /// The entry's `seq`.
    pub ledger_seq: u64,
    /// The entry's `ledger_hash` (hex).
    pub ledger_hash: String,
    /// The capability derived from the method.
    pub capability: &'static str,
    /// What the host was told: `allow`, `prompt` or `block`.
    pub verdict: &'static str,
    /// The state applied under the rollout phase.
    pub applied_action: &'static str,
    /// The state the gate layers (kill switch, policy, quota, mediation...) reached.
    pub gate_action: Option<&'static str>,
    /// Why the model's state was or was not applied.
    pub enforcement_basis: Option<&'static str>,
    /// The strictest of the layers and the model (the counterfactual in shadow).
    pub selected_action: &'static str,
    /// Hysteresis state before the call.
    pub state_before: &'static str,
    /// Hysteresis state after the call.
    pub state_after: &'static str,
    /// Whether the risk model ran.
    pub risk_evaluated: bool,
    /// The risk score in [0, 1].
    pub risk_score: f64,
    /// Posterior probability of safe.
    pub posterior_safe: f64,
    /// Posterior probability of suspicious.
    pub posterior_suspicious: f64,
    /// Posterior probability of unsafe.
    pub posterior_unsafe: f64,
    /// Trigger codes.
    pub triggers: &'a [String],
    /// Consecutive unsafe evaluations.
    pub consecutive_unsafe: u32,
    /// Whether the phase enforced the risk verdict.
    pub enforced: bool,
    /// The rollout phase.
    pub rollout_phase: &'a str,
    /// The e-process log value.
    pub e_process_log: f64,
    /// Whether drift was flagged.
    pub drift: bool,
    /// Why a fail-safe verdict was used.
    pub fallback_reason: Option<&'a str>,
    /// The salted commitment to the params hash (never the value: see the module doc).
    pub params_commitment: String,
}

impl<'a> DecisionEntry<'a> {
    /// The fields of [`DecisionFields`].
    pub fn fields(&self) -> DecisionFields<'a> {
        let d = self.decision;
        DecisionFields {
            ledger_seq: self.entry.seq,
            ledger_hash: self.entry.ledger_hash.to_hex(),
            capability: d.capability.as_str(),
            verdict: self.verdict().as_str(),
            applied_action: self.applied_state().as_str(),
            gate_action: d.applied.map(|a| a.gate_action.as_str()),
            enforcement_basis: d.applied.map(|a| a.basis.as_str()),
            selected_action: d.selected_action.as_str(),
            state_before: d.state_before.as_str(),
            state_after: d.state_after.as_str(),
            risk_evaluated: d.risk_evaluated,
            risk_score: d.risk_score,
            posterior_safe: d.posterior.safe,
            posterior_suspicious: d.posterior.suspicious,
            posterior_unsafe: d.posterior.unsafe_,
            triggers: &d.triggers,
            consecutive_unsafe: d.consecutive_unsafe,
            enforced: d.enforced,
            rollout_phase: &d.rollout_phase,
            e_process_log: d.e_process_log,
            drift: d.drift,
            fallback_reason: d.fallback_reason.as_deref(),
            params_commitment: d.params_hash.commitment().to_hex(),
        }
    }
}

/// Every disclosed decision of `entries`, in seq order (elided entries disclose no kind).
pub fn decisions(entries: &[LedgerEntry]) -> Vec<DecisionEntry<'_>> {
    entries
        .iter()
        .filter_map(|entry| {
            entry
                .decision()
                .map(|decision| DecisionEntry { entry, decision })
        })
        .collect()
}

/// Every alert joined to its entry of `entries` (see the module doc).
pub fn join<'a>(alerts: &'a [SecurityAlert], entries: &'a [LedgerEntry]) -> Vec<AlertRecord<'a>> {
    let mut at: BTreeMap<(u64, Option<&str>), Vec<&LedgerEntry>> = BTreeMap::new();
    for entry in entries {
        at.entry((entry.ts_ms, entry.extension_id.as_deref()))
            .or_default()
            .push(entry);
    }
    alerts
        .iter()
        .map(|alert| {
            let candidates = at
                .get(&(alert.ts_ms, alert.extension_id.as_deref()))
                .map_or(&[][..], Vec::as_slice);
            let link = candidates
                .iter()
                .find(|e| context_hash(e).is_some_and(|h| h == alert.context_hash))
                .map(|entry| LedgerLink { entry });
            AlertRecord { alert, link }
        })
        .collect()
}

/// The `context_hash` an alert about `entry` carries, when the entry discloses what it hashes:
/// a decision with its params digest revealed (`DomainTag::AlertContext`), or a rollout
/// transition (`DomainTag::RolloutTransition`, the rollback alert).
fn context_hash(entry: &LedgerEntry) -> Option<String> {
    let digest = match entry.payload()? {
        EntryPayload::Decision(d) => {
            let params = Digest::from_hex(d.params_hash.value()?)?;
            let extension = entry.extension_id.as_deref()?;
            let mut h = DomainTag::AlertContext.hasher();
            h.update((extension.len() as u64).to_be_bytes());
            h.update(extension.as_bytes());
            h.update((d.call_id.len() as u64).to_be_bytes());
            h.update(d.call_id.as_bytes());
            h.update(params.as_bytes());
            h.finalize()
        }
        EntryPayload::RolloutTransition(t) => {
            let mut h = DomainTag::RolloutTransition.hasher();
            h.update(t.from.as_bytes());
            h.update(b"\0");
            h.update(t.to.as_bytes());
            h.update(entry.ts_ms.to_be_bytes());
            h.finalize()
        }
        // Control entries no alert hashes; open set (new kinds are control entries too).
        _ => return None,
    };
    Some(Digest(digest).to_hex())
}

/// The detection rule ids of an alert's reason codes (`rule:<id>`), strongest first.
pub fn rule_ids(codes: &[String]) -> Vec<&str> {
    codes
        .iter()
        .filter_map(|c| c.strip_prefix("rule:"))
        .collect()
}

/// The ATT&CK technique ids of an alert's reason codes (`attack:<id>`).
pub fn attack_ids(codes: &[String]) -> Vec<&str> {
    codes
        .iter()
        .filter_map(|c| c.strip_prefix("attack:"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn rule_and_attack_ids_come_from_their_prefixed_codes_in_order() {
        let c = codes(&[
            "exec_mediation",
            "rule:a.b",
            "attack:T1",
            "rule:c.d",
            "attack:T2.001",
        ]);
        assert_eq!(rule_ids(&c), ["a.b", "c.d"]);
        assert_eq!(attack_ids(&c), ["T1", "T2.001"]);
        assert!(rule_ids(&codes(&["risk_deny"])).is_empty());
    }
}
