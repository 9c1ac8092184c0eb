//! Exec-command mediation (DESIGN §2 step 6): commands are parsed as shell and classified, never
//! matched as substrings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How dangerous a command is, `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecTier {
    /// Ordinary developer commands.
    Low,
    /// Worth a look, not harmful by itself.
    Medium,
    /// Harmful in most contexts.
    High,
    /// Destroys the machine, hands it to someone else or persists an attacker.
    Critical,
}

impl ExecTier {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExecTier::Low => "low",
            ExecTier::Medium => "medium",
            ExecTier::High => "high",
            ExecTier::Critical => "critical",
        }
    }
}

impl fmt::Display for ExecTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
