//! The rollout phases of docs/design.md §4 and their textual form.
//!
//! A phase says whether the risk model's verdicts are enforced. Kill switch, static policy, quotas
//! and exec mediation are enforced in every phase; the phase governs the risk model only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How far enforcement of the risk model has been rolled out, ordered from least to most
/// enforcing: `Shadow < LogOnly < EnforceNew < EnforceAll`.
///
/// The default is [`RolloutPhase::Shadow`]: a new deployment starts safe and an operator advances
/// it (docs/design.md §4).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RolloutPhase {
    /// Score, ledger and telemetry only; no block, no risk alerts.
    #[default]
    Shadow,
    /// As shadow, plus a would-block alert for every decision enforcement would have blocked.
    LogOnly,
    /// Enforced for extensions first seen after the phase was entered; older ones behave as
    /// log-only.
    EnforceNew,
    /// Enforced for every extension.
    EnforceAll,
}

impl RolloutPhase {
    /// Every phase, in rollout order.
    pub const ALL: [RolloutPhase; 4] = [
        RolloutPhase::Shadow,
        RolloutPhase::LogOnly,
        RolloutPhase::EnforceNew,
        RolloutPhase::EnforceAll,
    ];

    /// The snake_case name used in every artifact and accepted by [`FromStr`].
    pub const fn as_str(self) -> &'static str {
        match self {
            RolloutPhase::Shadow => "shadow",
            RolloutPhase::LogOnly => "log_only",
            RolloutPhase::EnforceNew => "enforce_new",
            RolloutPhase::EnforceAll => "enforce_all",
        }
    }

    /// Whether the risk model's verdicts are enforced in this phase (docs/design.md §4 `enforce` column).
    /// The manager keeps `config.enforce == phase.is_enforcing()`.
    pub const fn is_enforcing(self) -> bool {
        match self {
            RolloutPhase::Shadow | RolloutPhase::LogOnly => false,
            RolloutPhase::EnforceNew | RolloutPhase::EnforceAll => true,
        }
    }

    /// The phase an operator advance leads to, or `None` at [`RolloutPhase::EnforceAll`].
    pub const fn next(self) -> Option<RolloutPhase> {
        match self {
            RolloutPhase::Shadow => Some(RolloutPhase::LogOnly),
            RolloutPhase::LogOnly => Some(RolloutPhase::EnforceNew),
            RolloutPhase::EnforceNew => Some(RolloutPhase::EnforceAll),
            RolloutPhase::EnforceAll => None,
        }
    }
}

impl fmt::Display for RolloutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RolloutPhase {
    type Err = ParsePhaseError;

    /// Parses a phase name, ASCII case-insensitively, ignoring surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        RolloutPhase::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParsePhaseError {
                value: s.to_owned(),
            })
    }
}

/// A string that names no rollout phase.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown rollout phase `{value}`: expected one of `shadow`, `log_only`, `enforce_new`, \
     `enforce_all`"
)]
pub struct ParsePhaseError {
    /// The rejected input, as given.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<RolloutPhase, ()>) {
        assert_eq!(
            input.parse::<RolloutPhase>().map_err(|_| ()),
            expected,
            "{input:?}"
        );
    }

    #[test]
    fn parse_table() {
        check("shadow", Ok(RolloutPhase::Shadow));
        check("log_only", Ok(RolloutPhase::LogOnly));
        check("enforce_new", Ok(RolloutPhase::EnforceNew));
        check("enforce_all", Ok(RolloutPhase::EnforceAll));
        check("  Enforce_All\n", Ok(RolloutPhase::EnforceAll));
        check("log-only", Err(()));
        check("enforce", Err(()));
        check("", Err(()));
    }

    #[test]
    fn parse_error_names_value_and_allowed_set() {
        let err = "bogus".parse::<RolloutPhase>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown rollout phase `bogus`: expected one of `shadow`, `log_only`, \
             `enforce_new`, `enforce_all`"
        );
    }

    #[test]
    fn display_serde_and_from_str_agree() {
        for p in RolloutPhase::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{p}\""));
            assert_eq!(serde_json::from_str::<RolloutPhase>(&json).unwrap(), p);
            assert_eq!(p.to_string().parse::<RolloutPhase>().unwrap(), p);
        }
    }

    #[test]
    fn order_next_and_enforcing() {
        let mut sorted = RolloutPhase::ALL;
        sorted.sort();
        assert_eq!(sorted, RolloutPhase::ALL);
        for pair in RolloutPhase::ALL.windows(2) {
            assert_eq!(pair[0].next(), Some(pair[1]));
        }
        assert_eq!(RolloutPhase::EnforceAll.next(), None);
        let enforcing: Vec<bool> = RolloutPhase::ALL.iter().map(|p| p.is_enforcing()).collect();
        assert_eq!(enforcing, [false, false, true, true]);
        assert_eq!(RolloutPhase::default(), RolloutPhase::Shadow);
    }
}
