//! `RuntimeRiskConfig`: the risk controller's knobs (DESIGN §3 "Config").

use serde::{Deserialize, Serialize};

use crate::hysteresis::BandProfile;

/// The risk controller's configuration. Defaults are those of DESIGN §3.
///
/// Fields are public so hosts can write `RuntimeRiskConfig { enabled: true,
/// ..RuntimeRiskConfig::default() }` (the runbook does); every consumer validates the value it
/// receives, so an out-of-range field is an error at build time, never a silent clamp.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RuntimeRiskConfig {
    /// Whether the risk model runs at all (default false).
    pub enabled: bool,
    /// Whether risk verdicts are enforced; always equals the rollout phase's `is_enforcing()`.
    pub enforce: bool,
    /// Type-I error budget of the sequential test and the drift quantile, in [1e-6, 0.5]:
    /// smaller alpha → fewer false alarms, less sensitive.
    pub alpha: f64,
    /// Effective memory of the model in calls, in [8, 4096].
    pub window_size: usize,
    /// Ledger entries kept in memory, in [32, 1_000_000].
    pub ledger_limit: usize,
    /// Decision-time budget in milliseconds, in [1, 2000].
    pub decision_timeout_ms: u64,
    /// On a timeout or controller error: deny (true) or allow (false).
    pub fail_closed: bool,
    /// Score-band profile; `None` follows the policy profile.
    pub profile: Option<BandProfile>,
    /// Calls below the de-escalation line before going down one level, in [1, 1000].
    pub cooldown_calls: u32,
    /// How far below a state's entry threshold a call must score to count, in [0, 0.5].
    pub de_escalation_margin: f64,
}

impl Default for RuntimeRiskConfig {
    fn default() -> Self {
        RuntimeRiskConfig {
            enabled: false,
            enforce: true,
            alpha: 0.01,
            window_size: 128,
            ledger_limit: 2048,
            decision_timeout_ms: 50,
            fail_closed: true,
            profile: None,
            cooldown_calls: 3,
            de_escalation_margin: 0.10,
        }
    }
}
