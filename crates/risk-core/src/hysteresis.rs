//! Score bands and the hysteresis state machine (docs/design.md §3).
//!
//! This is the one function that turns a score into an enforcement state. Live evaluation and
//! forensic replay (crate ledger) both call [`Hysteresis::step`]: that is how replay stays honest.

use serde::{Deserialize, Serialize};

use crate::state::EnforcementState;

/// Consecutive unsafe evaluations that quarantine an extension (runbook Procedure 1).
pub const QUARANTINE_AFTER_CONSECUTIVE_UNSAFE: u32 = 3;

/// Posterior probability of `unsafe` at or above which an evaluation is unsafe (docs/design.md §3).
pub const UNSAFE_POSTERIOR_THRESHOLD: f64 = 0.55;

/// The named band sets of docs/design.md §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BandProfile {
    /// Tight bands: escalates earliest.
    Safe,
    /// The default bands.
    Balanced,
    /// Loose bands: escalates latest.
    Permissive,
}

impl BandProfile {
    /// The snake_case name (`"safe"`, `"balanced"`, `"permissive"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            BandProfile::Safe => "safe",
            BandProfile::Balanced => "balanced",
            BandProfile::Permissive => "permissive",
        }
    }

    /// Parses a profile name (case-insensitive).
    pub fn parse(name: &str) -> Option<BandProfile> {
        [
            BandProfile::Safe,
            BandProfile::Balanced,
            BandProfile::Permissive,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// Entry thresholds of the escalated states: a state applies at or above its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoreBands {
    /// Entry threshold of Harden.
    pub harden: f64,
    /// Entry threshold of Prompt.
    pub prompt: f64,
    /// Entry threshold of Deny.
    pub deny: f64,
    /// Entry threshold of Terminate.
    pub terminate: f64,
}

impl ScoreBands {
    /// The table of docs/design.md §3.
    pub const fn for_profile(profile: BandProfile) -> ScoreBands {
        match profile {
            BandProfile::Safe => ScoreBands {
                harden: 0.30,
                prompt: 0.50,
                deny: 0.65,
                terminate: 0.80,
            },
            BandProfile::Balanced => ScoreBands {
                harden: 0.40,
                prompt: 0.60,
                deny: 0.75,
                terminate: 0.90,
            },
            BandProfile::Permissive => ScoreBands {
                harden: 0.55,
                prompt: 0.70,
                deny: 0.85,
                terminate: 0.95,
            },
        }
    }

    /// The entry threshold of `state`; `Allow` has threshold 0.
    pub const fn entry_threshold(&self, state: EnforcementState) -> f64 {
        match state {
            EnforcementState::Allow => 0.0,
            EnforcementState::Harden => self.harden,
            EnforcementState::Prompt => self.prompt,
            EnforcementState::Deny => self.deny,
            EnforcementState::Terminate => self.terminate,
        }
    }

    /// The strictest state whose threshold `score` reaches. A non-finite score fails closed
    /// (Deny): it can only come from a bug, and a bug must not open the gate.
    pub fn target(&self, score: f64) -> EnforcementState {
        if !score.is_finite() {
            return EnforcementState::Deny;
        }
        if score >= self.terminate {
            EnforcementState::Terminate
        } else if score >= self.deny {
            EnforcementState::Deny
        } else if score >= self.prompt {
            EnforcementState::Prompt
        } else if score >= self.harden {
            EnforcementState::Harden
        } else {
            EnforcementState::Allow
        }
    }
}

/// The knobs of the machine (from `RuntimeRiskConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HysteresisConfig {
    /// Score bands in force.
    pub bands: ScoreBands,
    /// Consecutive calls below `entry threshold − margin` before going down one level.
    pub cooldown_calls: u32,
    /// How far below the current state's entry threshold a call must score to count.
    pub de_escalation_margin: f64,
}

impl Default for HysteresisConfig {
    fn default() -> Self {
        HysteresisConfig {
            bands: ScoreBands::for_profile(BandProfile::Balanced),
            cooldown_calls: 3,
            de_escalation_margin: 0.10,
        }
    }
}

/// What one evaluation feeds the machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInput {
    /// The risk score `s ∈ [0, 1]`.
    pub score: f64,
    /// The floor the triggers impose (Allow when none fired, at least Harden otherwise).
    pub trigger_floor: EnforcementState,
    /// Posterior probability of `unsafe`.
    pub posterior_unsafe: f64,
}

/// How the state moved on one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// The state did not change.
    Stay,
    /// The state rose (possibly several levels at once).
    Escalated,
    /// The state went down exactly one level after the cooldown.
    DeEscalated,
    /// The third consecutive unsafe evaluation: the extension is quarantined.
    Quarantined,
}

/// Everything one step decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// State before the step.
    pub before: EnforcementState,
    /// State after the step.
    pub after: EnforcementState,
    /// Target state from the bands and triggers alone.
    pub target: EnforcementState,
    /// Whether this evaluation was unsafe (posterior unsafe ≥ 0.55 or target ≥ Deny).
    pub unsafe_evaluation: bool,
    /// Consecutive unsafe evaluations after this step.
    pub consecutive_unsafe: u32,
    /// How the state moved.
    pub transition: Transition,
}

/// The per-extension state of the machine: a few bytes, constant in call count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Hysteresis {
    /// Current enforcement state.
    pub state: EnforcementState,
    /// Consecutive calls that scored below the de-escalation line.
    pub calls_below: u32,
    /// Consecutive unsafe evaluations.
    pub consecutive_unsafe: u32,
}

impl Default for Hysteresis {
    fn default() -> Self {
        Hysteresis::new()
    }
}

impl Hysteresis {
    /// A fresh machine in `Allow`.
    pub const fn new() -> Hysteresis {
        Hysteresis {
            state: EnforcementState::Allow,
            calls_below: 0,
            consecutive_unsafe: 0,
        }
    }

    /// One pure step: escalation is immediate (may jump levels); de-escalation goes down exactly
    /// one level after `cooldown_calls` consecutive calls scoring below
    /// `entry_threshold(current) − margin`; any other call resets that count; three consecutive
    /// unsafe evaluations go to Terminate, which nothing but [`Hysteresis::new`] leaves.
    pub fn step(self, config: &HysteresisConfig, input: StepInput) -> (Hysteresis, StepOutcome) {
        let before = self.state;
        let target = config.bands.target(input.score).max(input.trigger_floor);
        let posterior_unsafe = if input.posterior_unsafe.is_finite() {
            input.posterior_unsafe
        } else {
            // Fail closed: an unreadable posterior counts as unsafe.
            1.0
        };
        let unsafe_evaluation =
            posterior_unsafe >= UNSAFE_POSTERIOR_THRESHOLD || target >= EnforcementState::Deny;
        let consecutive_unsafe = if unsafe_evaluation {
            self.consecutive_unsafe.saturating_add(1)
        } else {
            0
        };

        let mut next = Hysteresis {
            state: before,
            calls_below: self.calls_below,
            consecutive_unsafe,
        };
        let transition = if before == EnforcementState::Terminate {
            // INVARIANT (terminate-sticky): only an operator reset leaves Terminate.
            next.calls_below = 0;
            Transition::Stay
        } else if consecutive_unsafe >= QUARANTINE_AFTER_CONSECUTIVE_UNSAFE {
            next.state = EnforcementState::Terminate;
            next.calls_below = 0;
            Transition::Quarantined
        } else if target > before {
            next.state = target;
            next.calls_below = 0;
            if target == EnforcementState::Terminate {
                Transition::Quarantined
            } else {
                Transition::Escalated
            }
        } else {
            let line = config.bands.entry_threshold(before) - config.de_escalation_margin;
            let below = before > EnforcementState::Allow
                && input.score.is_finite()
                && input.score < line
                && input.trigger_floor < before;
            if below {
                next.calls_below = self.calls_below.saturating_add(1);
                if next.calls_below >= config.cooldown_calls.max(1) {
                    next.state = before.one_level_down().unwrap_or(before);
                    next.calls_below = 0;
                    Transition::DeEscalated
                } else {
                    Transition::Stay
                }
            } else {
                next.calls_below = 0;
                Transition::Stay
            }
        };
        let outcome = StepOutcome {
            before,
            after: next.state,
            target,
            unsafe_evaluation,
            consecutive_unsafe,
            transition,
        };
        (next, outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnforcementState::*;

    fn input(score: f64) -> StepInput {
        StepInput {
            score,
            trigger_floor: Allow,
            posterior_unsafe: 0.0,
        }
    }

    fn run(scores: &[f64]) -> Vec<EnforcementState> {
        let config = HysteresisConfig::default();
        let mut h = Hysteresis::new();
        scores
            .iter()
            .map(|&s| {
                let (next, _) = h.step(&config, input(s));
                h = next;
                h.state
            })
            .collect()
    }

    #[test]
    fn bands_match_the_design_table() {
        let b = ScoreBands::for_profile(BandProfile::Balanced);
        assert_eq!(b.target(0.39), Allow);
        assert_eq!(b.target(0.40), Harden);
        assert_eq!(b.target(0.60), Prompt);
        assert_eq!(b.target(0.75), Deny);
        assert_eq!(b.target(0.90), Terminate);
        assert_eq!(b.target(f64::NAN), Deny);
        assert_eq!(
            ScoreBands::for_profile(BandProfile::Safe).target(0.30),
            Harden
        );
        assert_eq!(
            ScoreBands::for_profile(BandProfile::Permissive).target(0.54),
            Allow
        );
    }

    #[test]
    fn escalation_is_immediate_and_may_jump_levels() {
        assert_eq!(run(&[0.1, 0.8]), vec![Allow, Deny]);
    }

    #[test]
    fn de_escalation_is_one_level_after_cooldown() {
        // Prompt (0.60) → needs 3 calls below 0.50 to reach Harden, 3 below 0.30 for Allow.
        let states = run(&[0.65, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]);
        assert_eq!(
            states,
            vec![Prompt, Prompt, Prompt, Harden, Harden, Harden, Allow]
        );
    }

    #[test]
    fn a_call_above_the_line_resets_the_cooldown() {
        let states = run(&[0.65, 0.2, 0.2, 0.55, 0.2, 0.2, 0.2]);
        assert_eq!(
            states,
            vec![Prompt, Prompt, Prompt, Prompt, Prompt, Prompt, Harden]
        );
    }

    #[test]
    fn three_consecutive_unsafe_evaluations_terminate_and_stick() {
        let states = run(&[0.8, 0.8, 0.8, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(
            states,
            vec![Deny, Deny, Terminate, Terminate, Terminate, Terminate, Terminate]
        );
    }

    #[test]
    fn unsafe_posterior_counts_towards_quarantine() {
        let config = HysteresisConfig::default();
        let mut h = Hysteresis::new();
        for _ in 0..3 {
            let (next, outcome) = h.step(
                &config,
                StepInput {
                    score: 0.1,
                    trigger_floor: Allow,
                    posterior_unsafe: 0.6,
                },
            );
            assert!(outcome.unsafe_evaluation);
            h = next;
        }
        assert_eq!(h.state, Terminate);
    }

    #[test]
    fn trigger_floor_raises_target_and_blocks_de_escalation() {
        let config = HysteresisConfig::default();
        let h = Hysteresis::new();
        let (h, o) = h.step(
            &config,
            StepInput {
                score: 0.0,
                trigger_floor: Harden,
                posterior_unsafe: 0.0,
            },
        );
        assert_eq!(
            (o.target, h.state, o.transition),
            (Harden, Harden, Transition::Escalated)
        );
        let mut h = h;
        for _ in 0..10 {
            h = h
                .step(
                    &config,
                    StepInput {
                        score: 0.0,
                        trigger_floor: Harden,
                        posterior_unsafe: 0.0,
                    },
                )
                .0;
        }
        assert_eq!(h.state, Harden);
    }
}
