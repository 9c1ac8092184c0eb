//! [`replay_runtime_risk_ledger_artifact`]: re-runs the hysteresis machine over a verified
//! ledger (docs/design.md §5 "Replay", runbook Procedure 6 step 7).
//!
//! Replay calls [`Hysteresis::step`], the very function live evaluation calls (STYLE "State
//! machines are pure steps"), per extension:
//!
//! - input: the recorded `risk_score`, `posterior.unsafe` and a trigger floor of Harden when any
//!   trigger was recorded (Allow otherwise); the hysteresis configuration is the artifact's
//!   header, replaced by every config-change entry from that entry on;
//! - a risk-state reset or a kill-switch lift resets that extension's machine;
//! - decisions with `risk_evaluated == false` (kill switch, policy, quota or mediation decided
//!   first), elided entries, control entries and decisions without an extension are not steps:
//!   they are counted in [`ReplaySkipCounts`];
//! - a step is `consistent` when the machine reproduces the recorded `state_before`,
//!   `state_after` and `consecutive_unsafe`; replay then goes on from the *derived* machine, so
//!   a divergence shows up where it starts and as long as it lasts.
//!
//! A retention-truncated head (anchor `first_seq > 0`) starts mid-history: each extension's
//! machine is seeded from its first retained decision (`state_before`, and
//! `consecutive_unsafe − 1` when that decision was unsafe). The de-escalation cooldown counter
//! is not in the ledger, so while a seeded machine has not seen its counter reset, a one-level
//! de-escalation the machine did not predict is accepted as consistent (the unknown counter
//! could have completed it) and the step says `seeded: true`. Elided entries may hide a config
//! change; replay of a bundle with elided entries is exact only when no control entry was
//! elided.

use std::collections::BTreeMap;

use hostguard_risk_core::{
    Capability, EnforcementState, Hysteresis, StepInput, StepOutcome, Transition, Triggers,
};
use serde::{Deserialize, Serialize};

use crate::artifact::{LedgerHead, RuntimeRiskLedgerArtifact};
use crate::entry::EntryBody;
use crate::record::{DecisionRecord, EntryPayload, KillSwitchRecord};
use crate::verify::{verify_runtime_risk_ledger_artifact, LedgerVerifyError};

/// The schema string of [`RuntimeRiskReplayArtifact`].
pub const RUNTIME_RISK_REPLAY_SCHEMA: &str = "hostguard.runtime_risk_replay.v1";

/// How many verification errors a [`ReplayError::LedgerInvalid`] carries.
pub const REPLAY_ERROR_MAX_LISTED: usize = 8;

/// The decision sequence re-derived from a ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeRiskReplayArtifact {
    /// Always [`RUNTIME_RISK_REPLAY_SCHEMA`].
    pub schema: String,
    /// The head checkpoint of the replayed ledger.
    pub source_head: LedgerHead,
    /// Whether the ledger starts mid-history (entries were evicted before the anchor).
    pub mid_history: bool,
    /// One step per risk-evaluated decision, in ledger order.
    pub steps: Vec<RuntimeRiskReplayStep>,
    /// Entries that are not steps, by reason.
    pub skipped: ReplaySkipCounts,
    /// Steps with `consistent == false`.
    pub inconsistent_count: usize,
}

/// One re-derived decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeRiskReplayStep {
    /// Index of the entry in the artifact.
    pub index: usize,
    /// Seq of the entry.
    pub seq: u64,
    /// Timestamp of the entry.
    pub ts_ms: u64,
    /// The extension.
    pub extension_id: String,
    /// The call.
    pub call_id: String,
    /// The call's capability.
    pub capability: Capability,
    /// The call's method.
    pub method: String,
    /// The recorded score.
    pub risk_score: f64,
    /// What the gate applied.
    pub selected_action: EnforcementState,
    /// The recorded hysteresis state after the call.
    pub recorded_state: EnforcementState,
    /// The state the machine derives.
    pub derived_state: EnforcementState,
    /// Whether the recorded before/after states and unsafe streak are what the machine derives.
    pub consistent: bool,
    /// The extension's machine was seeded mid-history and its cooldown counter is still
    /// unknown (see the module docs).
    pub seeded: bool,
}

/// Entries replay did not turn into steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReplaySkipCounts {
    /// Elided entries.
    pub elided: usize,
    /// Decisions made before the risk model ran.
    pub not_risk_evaluated: usize,
    /// Control-plane entries (applied, not stepped).
    pub control: usize,
    /// Decisions without an extension id.
    pub unattributed: usize,
}

/// Why replay refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The ledger does not verify; replaying it would launder tampered records.
    #[error("refusing to replay a ledger that does not verify ({error_count} errors, first invalid index `{}`): {}", crate::verify::or_none(*.first_invalid_index), list(.first_errors))]
    LedgerInvalid {
        /// From the verification report.
        first_invalid_index: Option<usize>,
        /// Total errors.
        error_count: usize,
        /// The first [`REPLAY_ERROR_MAX_LISTED`] errors.
        first_errors: Vec<LedgerVerifyError>,
    },
}

/// Verifies `artifact`, then re-runs the hysteresis machine over it (see the module docs).
pub fn replay_runtime_risk_ledger_artifact(
    artifact: &RuntimeRiskLedgerArtifact,
) -> Result<RuntimeRiskReplayArtifact, ReplayError> {
    let report = verify_runtime_risk_ledger_artifact(artifact);
    if !report.valid {
        return Err(ReplayError::LedgerInvalid {
            first_invalid_index: report.first_invalid_index,
            error_count: report.errors.len(),
            first_errors: report
                .errors
                .into_iter()
                .take(REPLAY_ERROR_MAX_LISTED)
                .collect(),
        });
    }

    let mid_history = artifact.anchor.first_seq > 0;
    let mut config = artifact.hysteresis;
    let mut machines: BTreeMap<String, Machine> = BTreeMap::new();
    let mut steps = Vec::new();
    let mut skipped = ReplaySkipCounts::default();
    let mut inconsistent_count = 0usize;

    for (index, entry) in artifact.entries.iter().enumerate() {
        let payload = match &entry.body {
            EntryBody::Elided => {
                skipped.elided += 1;
                continue;
            }
            EntryBody::Full(p) => p,
        };
        let decision = match payload {
            EntryPayload::Decision(d) => d,
            EntryPayload::ConfigChange(c) => {
                config = c.hysteresis;
                skipped.control += 1;
                continue;
            }
            EntryPayload::RiskStateReset(_)
            | EntryPayload::KillSwitch(KillSwitchRecord { engaged: false, .. }) => {
                // An operator reset (or kill-switch lift) resets the machine (docs/design.md §3
                // "Quarantine").
                if let Some(ext) = &entry.extension_id {
                    machines.insert(ext.clone(), Machine::fresh());
                }
                skipped.control += 1;
                continue;
            }
            EntryPayload::KillSwitch(KillSwitchRecord { engaged: true, .. })
            | EntryPayload::TrustChange(_)
            | EntryPayload::RolloutTransition(_)
            | EntryPayload::PromptResolution(_)
            | EntryPayload::RollbackTriggerChange(_)
            | EntryPayload::Resume(_) => {
                // The rollback trigger governs the rollout, not the hysteresis machine; a
                // resume restores the very machines replay goes on with.
                skipped.control += 1;
                continue;
            }
        };
        if !decision.risk_evaluated {
            skipped.not_risk_evaluated += 1;
            continue;
        }
        let Some(ext) = &entry.extension_id else {
            skipped.unattributed += 1;
            continue;
        };
        let machine = machines.entry(ext.clone()).or_insert_with(|| {
            if mid_history {
                Machine::seeded(decision)
            } else {
                Machine::fresh()
            }
        });
        let seeded = machine.uncertain;
        let (derived_state, consistent) = machine.step(&config, decision);
        if !consistent {
            inconsistent_count += 1;
        }
        steps.push(RuntimeRiskReplayStep {
            index,
            seq: entry.seq,
            ts_ms: entry.ts_ms,
            extension_id: ext.clone(),
            call_id: decision.call_id.clone(),
            capability: decision.capability,
            method: decision.method.clone(),
            risk_score: decision.risk_score,
            selected_action: decision.selected_action,
            recorded_state: decision.state_after,
            derived_state,
            consistent,
            seeded,
        });
    }

    Ok(RuntimeRiskReplayArtifact {
        schema: RUNTIME_RISK_REPLAY_SCHEMA.to_owned(),
        source_head: artifact.head,
        mid_history,
        steps,
        skipped,
        inconsistent_count,
    })
}

/// One extension's machine during replay (and restore, `restore.rs`).
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    h: Hysteresis,
    /// Seeded mid-history and the cooldown counter is not yet known.
    uncertain: bool,
}

impl Machine {
    pub(crate) fn fresh() -> Machine {
        Machine {
            h: Hysteresis::new(),
            uncertain: false,
        }
    }

    fn seeded(first: &DecisionRecord) -> Machine {
        let consecutive_before = first.consecutive_unsafe.saturating_sub(1);
        Machine {
            h: Hysteresis {
                state: first.state_before,
                calls_below: 0,
                consecutive_unsafe: consecutive_before,
            },
            uncertain: first.state_before > EnforcementState::Allow,
        }
    }

    /// The machine's state.
    pub(crate) fn hysteresis(&self) -> Hysteresis {
        self.h
    }

    /// Steps the machine on a recorded decision and, where it does not reproduce the record,
    /// takes the record's state and streak (restore trusts the verified record over the
    /// derivation; the cooldown counter then starts from zero).
    pub(crate) fn follow(
        &mut self,
        config: &hostguard_risk_core::HysteresisConfig,
        d: &DecisionRecord,
    ) {
        let (_, consistent) = self.step(config, d);
        if !consistent {
            self.h = Hysteresis {
                state: d.state_after,
                calls_below: 0,
                consecutive_unsafe: d.consecutive_unsafe,
            };
        }
    }

    /// Steps the machine on a recorded decision; returns the derived state and consistency.
    fn step(
        &mut self,
        config: &hostguard_risk_core::HysteresisConfig,
        d: &DecisionRecord,
    ) -> (EnforcementState, bool) {
        let input = StepInput {
            score: d.risk_score,
            trigger_floor: Triggers::floor_of_codes(d.triggers.iter().map(String::as_str)),
            posterior_unsafe: d.posterior.unsafe_,
        };
        let (mut next, outcome) = self.h.step(config, input);
        let mut consistent = matches(&outcome, d);
        if self.uncertain {
            // The unknown counter could have completed exactly this: a one-level de-escalation
            // on a call the machine counted as below the line.
            let unpredicted_de_escalation = !consistent
                && outcome.transition == Transition::Stay
                && next.calls_below > 0
                && outcome.before == d.state_before
                && d.state_before.one_level_down() == Some(d.state_after)
                && outcome.consecutive_unsafe == d.consecutive_unsafe;
            if unpredicted_de_escalation {
                consistent = true;
                next = Hysteresis {
                    state: d.state_after,
                    calls_below: 0,
                    consecutive_unsafe: next.consecutive_unsafe,
                };
            }
            if next.calls_below == 0 {
                self.uncertain = false;
            }
        }
        self.h = next;
        (next.state, consistent)
    }
}

fn matches(outcome: &StepOutcome, d: &DecisionRecord) -> bool {
    outcome.before == d.state_before
        && outcome.after == d.state_after
        && outcome.consecutive_unsafe == d.consecutive_unsafe
}

fn list(errors: &[LedgerVerifyError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
