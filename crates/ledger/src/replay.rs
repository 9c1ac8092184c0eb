//! [`replay_runtime_risk_ledger_artifact`]: re-runs the gate's decisions over a verified ledger
//! (docs/design.md §5 "Replay", runbook Procedure 6 step 7).
//!
//! Replay calls the very functions live evaluation calls (STYLE "State machines are pure
//! steps"), per extension: [`Hysteresis::step`] for the risk state, then risk-core's
//! [`settle`] for enforcement under the rollout phase.
//!
//! - hysteresis input: the recorded `risk_score`, `posterior.unsafe` and the floor of the
//!   recorded triggers; the hysteresis configuration (and `fail_closed`) is the artifact's
//!   header, replaced by every config-change entry from that entry on;
//! - enforcement input: the state the layers enforced in every phase reached
//!   (`applied.gate_action`), the model's verdict (the derived state, raised to Deny for a
//!   recorded fallback under `fail_closed`), and the basis derived from the recorded phase and
//!   the extension's first-seen epoch (rollout transitions counted before its first decision);
//! - a risk-state reset or a kill-switch lift resets that extension's machine;
//! - decisions with `risk_evaluated == false` (kill switch, policy, quota decided first, or
//!   the controller off), elided entries, control entries and decisions without an extension
//!   are not steps: they are counted in [`ReplaySkipCounts`]; an unevaluated decision whose
//!   record the enforcement step does not reproduce is listed by seq;
//! - a step is `consistent` when the machine reproduces the recorded `state_before`,
//!   `state_after` and `consecutive_unsafe`, the enforcement step the recorded
//!   `selected_action`, `applied` and `enforced` (a decision written before `applied` existed
//!   is checked for `enforced` only), and the recorded `rollout_phase` is the one the last
//!   rollout transition (or resume entry) put in force — or, for an extension's first decision
//!   after a transition, the phase that transition left (the gate reads the phase before it
//!   takes the ledger lock, so that one decision may have raced it; see `decision_epoch`);
//!   replay then goes on from the *derived* machine, so a divergence shows up where it starts
//!   and as long as it lasts. Before the first transition, and after an elided entry until the
//!   next one, the phase in force is unknown and not checked.
//!
//! A retention-truncated head (anchor `first_seq > 0`) starts mid-history: each extension's
//! machine is seeded from its first retained decision (`state_before`, and
//! `consecutive_unsafe − 1` when that decision was unsafe), and an enforce_new decision keeps
//! its recorded basis (when the extension was first seen may be before the anchor). The
//! de-escalation cooldown counter is not in the ledger, so while a seeded machine has not seen
//! its counter reset, a one-level de-escalation the machine did not predict is accepted as
//! consistent (the unknown counter could have completed it) and the step says `seeded: true`.
//! Elided entries may hide a config change or a rollout transition: after one, the phase is
//! unknown and an enforce_new decision keeps its recorded basis, as mid-history; replay of a
//! bundle with elided entries is otherwise exact only when no control entry was elided.

use std::collections::{BTreeMap, BTreeSet};

use std::str::FromStr;

use hostguard_risk_core::{
    settle, Capability, EnforcementBasis, EnforcementState, Hysteresis, HysteresisConfig,
    StepInput, StepOutcome, Transition, Triggers,
};
use hostguard_rollout::RolloutPhase;
use serde::{Deserialize, Serialize};

use crate::artifact::{LedgerHead, RuntimeRiskLedgerArtifact};
use crate::entry::{EntryBody, LedgerEntry};
use crate::record::{DecisionRecord, EntryPayload, KillSwitchRecord};
use crate::verify::{verify_runtime_risk_ledger_artifact, LedgerVerifyError};

/// The schema string of [`RuntimeRiskReplayArtifact`].
pub const RUNTIME_RISK_REPLAY_SCHEMA: &str = "hostguard.runtime_risk_replay.v1";

/// How many verification errors a [`ReplayError::LedgerInvalid`] carries.
pub const REPLAY_ERROR_MAX_LISTED: usize = 8;

/// The decision sequence re-derived from a ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Seqs of decisions made before the risk model ran whose recorded selection, application
    /// or basis the enforcement step does not reproduce.
    pub unreproduced_unevaluated: Vec<u64>,
}

/// One re-derived decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// What the gate selected: the strictest of the layers enforced in every phase and the
    /// model's verdict, in every phase (in shadow the counterfactual).
    pub selected_action: EnforcementState,
    /// What the gate applied under the rollout phase.
    pub applied_action: EnforcementState,
    /// Why the model's state was or was not applied, as recorded (`None` for a decision
    /// written before the ledger recorded it).
    pub basis: Option<EnforcementBasis>,
    /// The recorded hysteresis state after the call.
    pub recorded_state: EnforcementState,
    /// The state the machine derives.
    pub derived_state: EnforcementState,
    /// The selection the enforcement step derives (`None`: the recorded phase is unknown).
    pub derived_selected_action: Option<EnforcementState>,
    /// The application the enforcement step derives.
    pub derived_applied_action: Option<EnforcementState>,
    /// Whether the machine reproduces the recorded before/after states and unsafe streak, and
    /// the enforcement step the recorded selection, application, basis and `enforced` flag.
    pub consistent: bool,
    /// The extension's machine was seeded mid-history and its cooldown counter is still
    /// unknown (see the module docs).
    pub seeded: bool,
}

/// Entries replay did not turn into steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// Verifies `artifact`, then re-runs the hysteresis machine and the enforcement step over it
/// (see the module docs).
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
    let mut replayer = Replayer::new(artifact);
    for (index, entry) in artifact.entries.iter().enumerate() {
        replayer.entry(index, entry);
    }
    Ok(RuntimeRiskReplayArtifact {
        schema: RUNTIME_RISK_REPLAY_SCHEMA.to_owned(),
        source_head: artifact.head,
        mid_history: replayer.mid_history,
        steps: replayer.steps,
        skipped: replayer.skipped,
        inconsistent_count: replayer.inconsistent_count,
        unreproduced_unevaluated: replayer.unreproduced_unevaluated,
    })
}

/// Replay's state between entries.
struct Replayer {
    mid_history: bool,
    config: HysteresisConfig,
    fail_closed: bool,
    machines: BTreeMap<String, Machine>,
    /// Rollout transitions so far (the manager's epoch), the last one's phases, and each
    /// extension's first epoch.
    epoch: u64,
    last_transition: Option<(String, String)>,
    /// The phase the ledger's last transition (or resume entry) put in force: unknown before
    /// the first one (a manager records its start-up phase as a transition, but a ledger need
    /// not start at a manager's genesis) and after a gap (an elided entry) until the next one.
    phase_in_force: Option<String>,
    /// Extensions with a decision since the last transition: only an extension's first
    /// decision after a transition can have raced it (one decision per extension is in flight).
    decided_since_transition: BTreeSet<String>,
    /// History is incomplete (a truncated head or an elided entry): when an extension was first
    /// seen, and so the enforce_new basis, may not be derivable.
    history_gap: bool,
    first_seen: BTreeMap<String, u64>,
    steps: Vec<RuntimeRiskReplayStep>,
    skipped: ReplaySkipCounts,
    inconsistent_count: usize,
    unreproduced_unevaluated: Vec<u64>,
}

impl Replayer {
    fn new(artifact: &RuntimeRiskLedgerArtifact) -> Replayer {
        Replayer {
            mid_history: artifact.anchor.first_seq > 0,
            config: artifact.hysteresis,
            fail_closed: artifact.config.fail_closed,
            machines: BTreeMap::new(),
            epoch: 0,
            last_transition: None,
            phase_in_force: None,
            decided_since_transition: BTreeSet::new(),
            history_gap: artifact.anchor.first_seq > 0,
            first_seen: BTreeMap::new(),
            steps: Vec::new(),
            skipped: ReplaySkipCounts::default(),
            inconsistent_count: 0,
            unreproduced_unevaluated: Vec::new(),
        }
    }

    fn entry(&mut self, index: usize, entry: &LedgerEntry) {
        match &entry.body {
            EntryBody::Elided => {
                self.skipped.elided += 1;
                self.history_gap = true;
                self.phase_in_force = None;
            }
            EntryBody::Full(EntryPayload::Decision(d)) => self.decision(index, entry, d),
            EntryBody::Full(payload) => {
                self.control(entry, payload);
                self.skipped.control += 1;
            }
        }
    }

    fn control(&mut self, entry: &LedgerEntry, payload: &EntryPayload) {
        match payload {
            EntryPayload::ConfigChange(c) => {
                self.config = c.hysteresis;
                self.fail_closed = c.config.fail_closed;
            }
            EntryPayload::RiskStateReset(_)
            | EntryPayload::KillSwitch(KillSwitchRecord { engaged: false, .. }) => {
                // An operator reset (or kill-switch lift) resets the machine (docs/design.md §3
                // "Quarantine").
                if let Some(ext) = &entry.extension_id {
                    self.machines.insert(ext.clone(), Machine::fresh());
                }
            }
            EntryPayload::RolloutTransition(t) => {
                self.epoch += 1;
                self.last_transition = Some((t.from.clone(), t.to.clone()));
                self.phase_in_force = Some(t.to.clone());
                self.decided_since_transition.clear();
            }
            // A restart: no decision was in flight, none can have raced a transition.
            EntryPayload::Resume(r) => {
                self.phase_in_force = Some(r.rollout_phase.clone());
                self.last_transition = None;
            }
            // The rollback trigger governs the rollout, not the hysteresis machine; a resume
            // restores the very machines replay goes on with.
            EntryPayload::KillSwitch(KillSwitchRecord { engaged: true, .. })
            | EntryPayload::TrustChange(_)
            | EntryPayload::PromptResolution(_)
            | EntryPayload::RollbackTriggerChange(_)
            | EntryPayload::ToolPin(_)
            | EntryPayload::Finding(_)
            | EntryPayload::Decision(_) => {}
        }
    }

    fn decision(&mut self, index: usize, entry: &LedgerEntry, d: &DecisionRecord) {
        let Some(ext) = &entry.extension_id else {
            self.skipped.unattributed += 1;
            return;
        };
        let may_lag = self.decided_since_transition.insert(ext.clone());
        let last = self.last_transition.as_ref();
        let epoch = decision_epoch(self.epoch, last, &d.rollout_phase, may_lag);
        let first_seen = *self.first_seen.entry(ext.clone()).or_insert(epoch);
        let phase_ok = self.phase_recorded_faithfully(d, epoch);
        if !d.risk_evaluated {
            self.skipped.not_risk_evaluated += 1;
            if !phase_ok || !reproduces(d, None, EnforcementBasis::NotEvaluated) {
                self.unreproduced_unevaluated.push(entry.seq);
            }
            return;
        }
        let mid_history = self.mid_history;
        let machine = self.machines.entry(ext.clone()).or_insert_with(|| {
            if mid_history {
                Machine::seeded(d)
            } else {
                Machine::fresh()
            }
        });
        let seeded = machine.uncertain;
        let (derived_state, hysteresis_consistent) = machine.step(&self.config, d);
        let verdict = match d.fallback_reason {
            Some(_) if self.fail_closed => derived_state.max(EnforcementState::Deny),
            Some(_) | None => derived_state,
        };
        let basis = self.basis(d, first_seen, epoch);
        let settled = basis.map(|b| settle(d.capability, gate_state(d), Some(verdict), b));
        let consistent = hysteresis_consistent
            && phase_ok
            && basis.is_some_and(|b| reproduces(d, Some(verdict), b));
        if !consistent {
            self.inconsistent_count += 1;
        }
        self.steps.push(RuntimeRiskReplayStep {
            index,
            seq: entry.seq,
            ts_ms: entry.ts_ms,
            extension_id: ext.clone(),
            call_id: d.call_id.clone(),
            capability: d.capability,
            method: d.method.clone(),
            risk_score: d.risk_score,
            selected_action: d.selected_action,
            applied_action: d.applied.map_or(d.selected_action, |a| a.action),
            basis: d.applied.map(|a| a.basis),
            recorded_state: d.state_after,
            derived_state,
            derived_selected_action: settled.map(|s| s.selected),
            derived_applied_action: settled.map(|s| s.applied),
            consistent,
            seeded,
        });
    }

    /// Whether the decision records the phase the ledger's transitions put in force (or, when
    /// it raced the last transition, the phase it left: its `epoch` is then one behind; see
    /// [`decision_epoch`]). Unknown after a gap in history: accepted.
    fn phase_recorded_faithfully(&self, d: &DecisionRecord, epoch: u64) -> bool {
        let raced = epoch < self.epoch;
        self.phase_in_force
            .as_ref()
            .is_none_or(|phase| *phase == d.rollout_phase || raced)
    }

    /// The basis the recorded phase and the extension's first sight give. A ledger that starts
    /// mid-history cannot know when an extension was first seen: there an enforce_new decision
    /// keeps the recorded basis of the two enforce_new ones. `None`: the recorded phase is not
    /// a phase.
    fn basis(&self, d: &DecisionRecord, first_seen: u64, epoch: u64) -> Option<EnforcementBasis> {
        let phase = RolloutPhase::from_str(&d.rollout_phase).ok()?;
        let derived = EnforcementBasis::of(phase, first_seen, epoch);
        let recorded = d.applied.map(|a| a.basis);
        let either_enforce_new = matches!(
            recorded,
            Some(EnforcementBasis::EnforceNewOlder | EnforcementBasis::EnforceNewFirstSeen)
        );
        if self.history_gap && phase == RolloutPhase::EnforceNew && either_enforce_new {
            return recorded;
        }
        Some(derived)
    }
}

/// The rollout epoch a decision was made in: the transitions before it in the ledger — or one
/// fewer when the decision records the phase the last transition left and `may_lag` (it is its
/// extension's first decision since that transition). The gate reads the phase before it takes
/// the ledger lock, so a decision can race a transition and land after it while recording the
/// phase (and epoch) it was decided under; one decision per extension is in flight at a time.
pub(crate) fn decision_epoch(
    transitions: u64,
    last: Option<&(String, String)>,
    recorded_phase: &str,
    may_lag: bool,
) -> u64 {
    match last {
        Some((from, to)) if may_lag && recorded_phase == from && recorded_phase != to => {
            transitions.saturating_sub(1)
        }
        _ => transitions,
    }
}

/// The state the layers enforced in every phase reached, as recorded (a decision written before
/// `applied` existed: its selected action, which was what it applied).
fn gate_state(d: &DecisionRecord) -> EnforcementState {
    d.applied.map_or(d.selected_action, |a| a.gate_action)
}

/// Whether the enforcement step, given the model's `verdict` and the `basis`, reproduces the
/// recorded selection, application, basis and `enforced` flag. A decision written before
/// `applied` existed records only what was applied: it reproduces when that is the applied
/// action the step derives.
fn reproduces(
    d: &DecisionRecord,
    verdict: Option<EnforcementState>,
    basis: EnforcementBasis,
) -> bool {
    let s = settle(d.capability, gate_state(d), verdict, basis);
    match d.applied {
        Some(a) => {
            d.selected_action == s.selected
                && a.action == s.applied
                && a.basis == basis
                && d.enforced == basis.enforces()
        }
        None => d.enforced == basis.enforces(),
    }
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
    pub(crate) fn follow(&mut self, config: &HysteresisConfig, d: &DecisionRecord) {
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
    fn step(&mut self, config: &HysteresisConfig, d: &DecisionRecord) -> (EnforcementState, bool) {
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
