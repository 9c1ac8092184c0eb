//! The posterior over {safe, suspicious, unsafe} (DESIGN §3).

use serde::{Deserialize, Serialize};

/// Posterior probabilities of the three classes of an extension's behaviour; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Posterior {
    /// Probability of `safe`.
    pub safe: f64,
    /// Probability of `suspicious`.
    pub suspicious: f64,
    /// Probability of `unsafe`.
    #[serde(rename = "unsafe")]
    pub unsafe_: f64,
}

impl Default for Posterior {
    /// The uniform posterior.
    fn default() -> Self {
        Posterior {
            safe: 1.0 / 3.0,
            suspicious: 1.0 / 3.0,
            unsafe_: 1.0 / 3.0,
        }
    }
}
