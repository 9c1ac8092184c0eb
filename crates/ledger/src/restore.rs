//! [`RestoredState`]: the gate's state at the end of a ledger, folded entry by entry, so that a
//! manager built on an existing durable file goes on where the last one stopped (issue 14
//! "resume = replay"; `docs/ledger-format.md` §5).
//!
//! Every fact comes from an entry: kill switches, trust changes (quarantines and their lifting),
//! resets, the rollout phase and its rollback provenance, the rollback trigger, the risk
//! configuration, and each extension's hysteresis machine, re-derived with the function replay
//! uses. The fold keeps one small record per extension, never the entries.

use std::collections::BTreeMap;

use hostguard_risk_core::{EnforcementState, Hysteresis, HysteresisConfig};

use crate::entry::LedgerEntry;
use crate::record::{
    ConfigChangeRecord, EntryPayload, KillSwitchRecord, ResumeRecord, RollbackThresholds,
    RolloutTransitionRecord, TrustChangeRecord,
};
use crate::replay::{decision_epoch, Machine};

// The trust names a `trust_change` records: one home, risk-core's `ExtensionTrustState`.
pub use hostguard_risk_core::{TRUST_QUARANTINED, TRUST_TRUSTED};

/// How a rollout transition's `reason` starts when an automatic rollback caused it.
pub const ROLLBACK_REASON_PREFIX: &str = "rollback: ";

/// The rollout as the ledger's transitions left it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoredRollout {
    /// The phase of the last transition (`None`: no transition, the initial phase).
    pub phase: Option<String>,
    /// The phase an automatic rollback left, when the last transition was that rollback.
    pub rolled_back_from: Option<String>,
    /// Transitions in the ledger: the manager's rollout epoch.
    pub transitions: u64,
    /// When the last transition happened.
    pub last_transition_ms: Option<u64>,
}

/// One extension as the ledger left it.
#[derive(Debug, Clone)]
pub struct RestoredExtension {
    /// The kill switch's reason while it is engaged.
    pub kill_switch: Option<String>,
    /// The `to` of the extension's last trust change (`quarantined`, `trusted`), if any.
    pub trust: Option<String>,
    /// The rollout epoch of the extension's first decision (enforce_new).
    pub first_seen_epoch: Option<u64>,
    /// Decisions recorded for the extension.
    pub decisions: u64,
    machine: Machine,
    /// The state at the last signed checkpoint ([`RestoredState::seal`]): decisions after it,
    /// pinned by no signature, may raise the state but never lower it.
    floor: Option<EnforcementState>,
}

impl RestoredExtension {
    fn new() -> RestoredExtension {
        RestoredExtension {
            kill_switch: None,
            trust: None,
            first_seen_epoch: None,
            decisions: 0,
            machine: Machine::fresh(),
            floor: None,
        }
    }

    /// The hysteresis machine after the extension's last decision, never below the state the
    /// last signed checkpoint pinned.
    pub fn hysteresis(&self) -> Hysteresis {
        let mut h = self.machine.hysteresis();
        if let Some(floor) = self.floor.filter(|f| *f > h.state) {
            h.state = floor;
            h.calls_below = 0;
        }
        h
    }

    /// Whether the last trust change quarantined the extension (and nothing lifted it since).
    pub fn is_quarantined(&self) -> bool {
        self.trust.as_deref() == Some(TRUST_QUARANTINED)
    }
}

/// The gate's state at the end of the entries [`observe`](RestoredState::observe)d so far.
#[derive(Debug, Clone, Default)]
pub struct RestoredState {
    /// Entries observed.
    pub entries: u64,
    /// The first configuration change: the configuration the chain started under (seq 0).
    pub first_config: Option<ConfigChangeRecord>,
    /// The last configuration change (the genesis entry is one).
    pub config: Option<ConfigChangeRecord>,
    /// The rollout.
    pub rollout: RestoredRollout,
    /// The thresholds of the last rollback-trigger change.
    pub rollback_trigger: Option<RollbackThresholds>,
    /// Whether a start of this chain was fail-closed (every extension quarantined at first
    /// sight until an operator lifts it).
    pub fail_closed: bool,
    /// Every extension with an entry, by id.
    pub extensions: BTreeMap<String, RestoredExtension>,
    /// The last rollout transition's phases (from, to): a decision that records the phase it
    /// left was decided before it (`replay::decision_epoch`).
    last_transition: Option<(String, String)>,
}

impl RestoredState {
    /// Folds one entry (in chain order; elided entries are counted, nothing else).
    pub fn observe(&mut self, entry: &LedgerEntry) {
        self.entries = self.entries.saturating_add(1);
        let Some(payload) = entry.payload() else {
            return;
        };
        match (payload, entry.extension_id.as_deref()) {
            (EntryPayload::ConfigChange(c), _) => {
                self.first_config.get_or_insert(*c);
                self.config = Some(*c);
            }
            (EntryPayload::RolloutTransition(t), _) => self.transition(t, entry.ts_ms),
            (EntryPayload::RollbackTriggerChange(c), _) => self.rollback_trigger = Some(c.to),
            (EntryPayload::Resume(r), _) => self.resume(r),
            (payload, Some(ext)) => self.extension_event(ext, payload),
            (_, None) => {}
        }
    }

    fn transition(&mut self, t: &RolloutTransitionRecord, ts_ms: u64) {
        let rollout = &mut self.rollout;
        rollout.rolled_back_from = t
            .reason
            .starts_with(ROLLBACK_REASON_PREFIX)
            .then(|| t.from.clone());
        rollout.phase = Some(t.to.clone());
        self.last_transition = Some((t.from.clone(), t.to.clone()));
        rollout.transitions = rollout.transitions.saturating_add(1);
        rollout.last_transition_ms = Some(ts_ms);
    }

    fn resume(&mut self, r: &ResumeRecord) {
        self.fail_closed |= r.fail_closed.is_some();
        // A restart: no decision was in flight, none can have raced a transition.
        self.last_transition = None;
    }

    fn extension_event(&mut self, ext: &str, payload: &EntryPayload) {
        let hysteresis = self.hysteresis_config();
        let transitions = self.rollout.transitions;
        if !self.extensions.contains_key(ext) {
            self.extensions
                .insert(ext.to_owned(), RestoredExtension::new());
        }
        let Some(state) = self.extensions.get_mut(ext) else {
            return;
        };
        match payload {
            EntryPayload::Decision(d) => {
                let last = self.last_transition.as_ref();
                // Restore trusts a verified record: any decision may have raced.
                let epoch = decision_epoch(transitions, last, &d.rollout_phase, true);
                state.first_seen_epoch.get_or_insert(epoch);
                state.decisions = state.decisions.saturating_add(1);
                if d.risk_evaluated {
                    state.machine.follow(&hysteresis, d);
                }
            }
            EntryPayload::KillSwitch(KillSwitchRecord { engaged, reason }) => {
                if *engaged {
                    state.kill_switch = Some(reason.clone());
                } else {
                    // Lifting the kill switch trusts the extension again with a fresh machine.
                    state.kill_switch = None;
                    state.trust = Some(TRUST_TRUSTED.to_owned());
                    state.machine = Machine::fresh();
                }
            }
            EntryPayload::TrustChange(TrustChangeRecord { to, .. }) => {
                state.trust = Some(to.clone());
            }
            EntryPayload::RiskStateReset(_) => state.machine = Machine::fresh(),
            EntryPayload::PromptResolution(_)
            | EntryPayload::ConfigChange(_)
            | EntryPayload::RolloutTransition(_)
            | EntryPayload::RollbackTriggerChange(_)
            | EntryPayload::Resume(_)
            | EntryPayload::ToolPin(_)
            | EntryPayload::Finding(_) => {}
        }
    }

    /// What a fail-closed start carries over from a damaged file's verified part: the
    /// extensions killed or quarantined there (fresh risk state), and fail-closed mode. Only
    /// facts that tighten enforcement survive; everything else starts again.
    pub fn tightening_only(&self) -> RestoredState {
        let extensions = self
            .extensions
            .iter()
            .filter(|(_, e)| e.kill_switch.is_some() || e.is_quarantined())
            .map(|(id, e)| {
                let mut carried = RestoredExtension::new();
                carried.kill_switch.clone_from(&e.kill_switch);
                carried.trust.clone_from(&e.trust);
                (id.clone(), carried)
            })
            .collect();
        RestoredState {
            fail_closed: true,
            extensions,
            ..RestoredState::default()
        }
    }

    /// Marks the entries observed so far as pinned by a signed checkpoint: from here on, an
    /// extension's enforcement state can rise but not fall below what it is now (unpinned
    /// decisions are not trusted to de-escalate).
    pub fn seal(&mut self) {
        for ext in self.extensions.values_mut() {
            ext.floor = Some(ext.hysteresis().state);
        }
    }

    /// The hysteresis configuration in force (the last config change's, or the default).
    pub fn hysteresis_config(&self) -> HysteresisConfig {
        self.config
            .map_or_else(HysteresisConfig::default, |c| c.hysteresis)
    }
}
