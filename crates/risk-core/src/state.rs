//! The enforcement states of the hysteresis machine (docs/design.md §3, §4).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How strictly an extension's calls are treated, ordered from most lenient to strictest:
/// `Allow < Harden < Prompt < Deny < Terminate`.
///
/// The order is the one the hysteresis machine escalates along (docs/design.md §3): escalation may jump
/// levels, de-escalation goes down one level at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnforcementState {
    /// Dispatch the call.
    Allow,
    /// Dangerous capabilities (exec, env, http) are blocked; others dispatch.
    Harden,
    /// The host must ask a person before dispatching.
    Prompt,
    /// The call is blocked.
    Deny,
    /// The call is blocked and the extension is quarantined (sticky until an operator resets it).
    Terminate,
}

impl EnforcementState {
    /// Every state, from most lenient to strictest.
    pub const ALL: [EnforcementState; 5] = [
        EnforcementState::Allow,
        EnforcementState::Harden,
        EnforcementState::Prompt,
        EnforcementState::Deny,
        EnforcementState::Terminate,
    ];

    /// The snake_case name used in every artifact (`"allow"`, `"terminate"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            EnforcementState::Allow => "allow",
            EnforcementState::Harden => "harden",
            EnforcementState::Prompt => "prompt",
            EnforcementState::Deny => "deny",
            EnforcementState::Terminate => "terminate",
        }
    }

    /// The state one level more lenient, or `None` for `Allow`.
    pub const fn one_level_down(self) -> Option<EnforcementState> {
        match self {
            EnforcementState::Allow => None,
            EnforcementState::Harden => Some(EnforcementState::Allow),
            EnforcementState::Prompt => Some(EnforcementState::Harden),
            EnforcementState::Deny => Some(EnforcementState::Prompt),
            EnforcementState::Terminate => Some(EnforcementState::Deny),
        }
    }

    /// A stable small integer for binary encodings: Allow = 0 … Terminate = 4.
    pub const fn code(self) -> u8 {
        match self {
            EnforcementState::Allow => 0,
            EnforcementState::Harden => 1,
            EnforcementState::Prompt => 2,
            EnforcementState::Deny => 3,
            EnforcementState::Terminate => 4,
        }
    }

    /// The inverse of [`EnforcementState::code`].
    pub const fn from_code(code: u8) -> Option<EnforcementState> {
        match code {
            0 => Some(EnforcementState::Allow),
            1 => Some(EnforcementState::Harden),
            2 => Some(EnforcementState::Prompt),
            3 => Some(EnforcementState::Deny),
            4 => Some(EnforcementState::Terminate),
            _ => None,
        }
    }
}

impl fmt::Display for EnforcementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_allow_harden_prompt_deny_terminate() {
        let mut sorted = EnforcementState::ALL;
        sorted.sort();
        assert_eq!(sorted, EnforcementState::ALL);
        assert!(EnforcementState::Allow < EnforcementState::Harden);
        assert!(EnforcementState::Deny < EnforcementState::Terminate);
    }

    #[test]
    fn codes_round_trip_and_serde_is_snake_case() {
        for s in EnforcementState::ALL {
            assert_eq!(EnforcementState::from_code(s.code()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<EnforcementState>(&json).unwrap(), s);
        }
        assert_eq!(EnforcementState::from_code(5), None);
    }

    #[test]
    fn one_level_down_walks_the_order() {
        assert_eq!(EnforcementState::Allow.one_level_down(), None);
        for pair in EnforcementState::ALL.windows(2) {
            assert_eq!(pair[1].one_level_down(), Some(pair[0]));
        }
    }
}
