//! Enforcement under the rollout phase (docs/design.md §4): which of the model's states is
//! applied, and the counterfactual the ledger records in every phase. Live decisions
//! ([`super::settle`]) and ledger replay call the same [`settle`], so replay checks the applied
//! action, not only the hysteresis state.

use std::fmt;

use hostguard_rollout::RolloutPhase;
use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::state::EnforcementState;

/// What the host must do with the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerdictAction {
    /// Dispatch the call.
    Allow,
    /// Ask a person first, then report the answer (the manager's `resolve_prompt`).
    Prompt,
    /// Refuse the call.
    Block,
}

impl VerdictAction {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerdictAction::Allow => "allow",
            VerdictAction::Prompt => "prompt",
            VerdictAction::Block => "block",
        }
    }
}

impl fmt::Display for VerdictAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a state means for a call of `capability` when enforced (docs/design.md §4 table).
pub const fn action_for(state: EnforcementState, capability: Capability) -> VerdictAction {
    match state {
        EnforcementState::Allow => VerdictAction::Allow,
        EnforcementState::Harden => {
            if capability.is_dangerous() {
                VerdictAction::Block
            } else {
                VerdictAction::Allow
            }
        }
        EnforcementState::Prompt => VerdictAction::Prompt,
        EnforcementState::Deny | EnforcementState::Terminate => VerdictAction::Block,
    }
}

/// Why the model's state was, or was not, applied to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnforcementBasis {
    /// The risk model did not run (controller off, or kill switch, quarantine, policy or quota
    /// decided first).
    NotEvaluated,
    /// Shadow: scored and recorded, never applied, no risk alerts.
    Shadow,
    /// Log-only: not applied; a would-block alert where it would have blocked.
    LogOnly,
    /// Enforce-new, for an extension first seen before the phase was entered: as log-only.
    EnforceNewOlder,
    /// Enforce-new, for an extension first seen since the phase was entered: applied.
    EnforceNewFirstSeen,
    /// Enforce-all: applied.
    EnforceAll,
}

/// One row per basis: the value, its name and its ledger code.
const BASES: [(EnforcementBasis, &str, u8); 6] = [
    (EnforcementBasis::NotEvaluated, "not_evaluated", 0),
    (EnforcementBasis::Shadow, "shadow", 1),
    (EnforcementBasis::LogOnly, "log_only", 2),
    (EnforcementBasis::EnforceNewOlder, "enforce_new_older", 3),
    (
        EnforcementBasis::EnforceNewFirstSeen,
        "enforce_new_first_seen",
        4,
    ),
    (EnforcementBasis::EnforceAll, "enforce_all", 5),
];

impl EnforcementBasis {
    /// The basis of an evaluated call of an extension first seen in rollout epoch `first_seen`,
    /// decided in `phase` at epoch `epoch`.
    pub const fn of(phase: RolloutPhase, first_seen: u64, epoch: u64) -> EnforcementBasis {
        match phase {
            RolloutPhase::Shadow => EnforcementBasis::Shadow,
            RolloutPhase::LogOnly => EnforcementBasis::LogOnly,
            RolloutPhase::EnforceNew if first_seen == epoch => {
                EnforcementBasis::EnforceNewFirstSeen
            }
            RolloutPhase::EnforceNew => EnforcementBasis::EnforceNewOlder,
            RolloutPhase::EnforceAll => EnforcementBasis::EnforceAll,
        }
    }

    /// Whether the model's state is applied.
    pub const fn enforces(self) -> bool {
        matches!(
            self,
            EnforcementBasis::EnforceNewFirstSeen | EnforcementBasis::EnforceAll
        )
    }

    /// Whether an unenforced block is announced by a would-block alert (all but shadow).
    pub const fn announces_would_block(self) -> bool {
        matches!(
            self,
            EnforcementBasis::LogOnly | EnforcementBasis::EnforceNewOlder
        )
    }

    /// The snake_case name, as in the ledger's JSON.
    pub fn as_str(self) -> &'static str {
        BASES
            .iter()
            .find(|(b, _, _)| *b == self)
            .map_or("not_evaluated", |(_, name, _)| name)
    }

    /// The code of the ledger's binary encoding.
    pub fn code(self) -> u8 {
        BASES
            .iter()
            .find(|(b, _, _)| *b == self)
            .map_or(0, |(_, _, code)| *code)
    }

    /// The basis named `name`.
    pub fn parse(name: &str) -> Option<EnforcementBasis> {
        BASES
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(b, _, _)| *b)
    }
}

impl fmt::Display for EnforcementBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of enforcement: the gate's selection, and what was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// The strictest of the layers enforced in every phase and the model's verdict: what the
    /// gate applies once the rollout enforces the model (the counterfactual in shadow).
    pub selected: EnforcementState,
    /// What was applied under the rollout phase.
    pub applied: EnforcementState,
    /// What the host must do.
    pub action: VerdictAction,
    /// The model's verdict alone would block the call.
    pub model_blocks: bool,
}

/// Settles a call: `gate` is the state the layers enforced in every phase reached (kill switch,
/// trust, policy, quota, mediation, secret broker), `model` the risk model's verdict (fallback
/// included) when it ran.
pub fn settle(
    capability: Capability,
    gate: EnforcementState,
    model: Option<EnforcementState>,
    basis: EnforcementBasis,
) -> Settlement {
    let gate_action = action_for(gate, capability);
    let Some(verdict) = model else {
        return Settlement {
            selected: gate,
            applied: gate,
            action: gate_action,
            model_blocks: false,
        };
    };
    let model_action = action_for(verdict, capability);
    let enforced = basis.enforces();
    Settlement {
        selected: gate.max(verdict),
        applied: if enforced { gate.max(verdict) } else { gate },
        action: if enforced {
            gate_action.max(model_action)
        } else {
            gate_action
        },
        model_blocks: model_action == VerdictAction::Block,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnforcementState::{Allow, Deny, Harden, Prompt, Terminate};
    use VerdictAction::{Allow as A, Block as B, Prompt as P};

    fn check(state: EnforcementState, capability: Capability, expected: VerdictAction) {
        assert_eq!(
            action_for(state, capability),
            expected,
            "{state:?} {capability}"
        );
    }

    #[test]
    fn enforcement_table_of_design_section_4() {
        check(Allow, Capability::Exec, A);
        check(Harden, Capability::Exec, B);
        check(Harden, Capability::Env, B);
        check(Harden, Capability::Http, B);
        check(Harden, Capability::Read, A);
        check(Harden, Capability::Log, A);
        check(Prompt, Capability::Read, P);
        check(Deny, Capability::Log, B);
        check(Terminate, Capability::Ui, B);
    }

    #[test]
    fn bases_round_trip_and_codes_are_distinct() {
        for (i, (basis, name, code)) in BASES.iter().enumerate() {
            assert_eq!(EnforcementBasis::parse(name), Some(*basis));
            assert_eq!(basis.as_str(), *name);
            assert_eq!(basis.code(), *code);
            assert_eq!(usize::from(*code), i);
        }
        assert_eq!(EnforcementBasis::parse("enforce"), None);
    }

    #[test]
    fn the_phase_and_first_sight_decide_the_basis() {
        use RolloutPhase::{EnforceAll, EnforceNew, LogOnly, Shadow};
        let of = EnforcementBasis::of;
        assert_eq!(of(Shadow, 0, 0), EnforcementBasis::Shadow);
        assert_eq!(of(LogOnly, 0, 3), EnforcementBasis::LogOnly);
        assert_eq!(of(EnforceNew, 3, 3), EnforcementBasis::EnforceNewFirstSeen);
        assert_eq!(of(EnforceNew, 2, 3), EnforcementBasis::EnforceNewOlder);
        assert_eq!(of(EnforceAll, 0, 3), EnforcementBasis::EnforceAll);
    }

    #[test]
    fn shadow_selects_what_it_does_not_apply() {
        let s = settle(
            Capability::Exec,
            Allow,
            Some(Deny),
            EnforcementBasis::Shadow,
        );
        assert_eq!((s.selected, s.applied, s.action), (Deny, Allow, A));
        assert!(s.model_blocks);
        let s = settle(
            Capability::Exec,
            Allow,
            Some(Deny),
            EnforcementBasis::EnforceAll,
        );
        assert_eq!((s.selected, s.applied, s.action), (Deny, Deny, B));
        // Layers enforced in every phase hold whatever the phase.
        let s = settle(
            Capability::Read,
            Prompt,
            Some(Allow),
            EnforcementBasis::LogOnly,
        );
        assert_eq!((s.selected, s.applied, s.action), (Prompt, Prompt, P));
        // A policy prompt and a hardened exec: blocked, the state stays the stricter prompt.
        let s = settle(
            Capability::Exec,
            Prompt,
            Some(Harden),
            EnforcementBasis::EnforceAll,
        );
        assert_eq!((s.selected, s.applied, s.action), (Prompt, Prompt, B));
        let s = settle(
            Capability::Log,
            Terminate,
            None,
            EnforcementBasis::NotEvaluated,
        );
        assert_eq!((s.selected, s.applied, s.action), (Terminate, Terminate, B));
    }
}
