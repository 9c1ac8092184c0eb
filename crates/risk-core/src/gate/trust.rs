//! [`ExtensionTrustState`]: how far the host trusts one extension (kill switch and quarantine,
//! docs/design.md §2 step 2, §3 "Quarantine").

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `to` of a `trust_change` ledger entry that quarantines an extension.
pub const TRUST_QUARANTINED: &str = "quarantined";
/// The `to` of a `trust_change` ledger entry that trusts an extension again.
pub const TRUST_TRUSTED: &str = "trusted";

/// The trust level of one extension, from most to least trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExtensionTrustState {
    /// The gate has never seen the extension.
    Unknown,
    /// Seen, not quarantined, not killed.
    Trusted,
    /// The risk model put the extension in Terminate while the rollout enforced it: every call is
    /// blocked until an operator lifts it (kill switch off, or the manager's `reset_extension`).
    Quarantined,
    /// An operator engaged the kill switch: every call is refused, in every phase, whether the
    /// risk controller is on or off.
    Killed,
}

impl ExtensionTrustState {
    /// The snake_case name (as recorded in ledger trust-change entries).
    pub const fn as_str(self) -> &'static str {
        match self {
            ExtensionTrustState::Unknown => "unknown",
            ExtensionTrustState::Trusted => TRUST_TRUSTED,
            ExtensionTrustState::Quarantined => TRUST_QUARANTINED,
            ExtensionTrustState::Killed => "killed",
        }
    }

    /// Whether the kill switch is engaged.
    pub const fn is_killed(self) -> bool {
        matches!(self, ExtensionTrustState::Killed)
    }
}

impl fmt::Display for ExtensionTrustState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
