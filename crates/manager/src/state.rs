//! The manager's state, below every file that works on it: the one global critical section
//! ([`Core`]: ledger chain and rollout window), the risk controller in force, and each
//! extension's [`Shard`] — plus the ledger payloads of trust and rollout changes and the
//! packing of the rollout phase into one atomic word.

use std::sync::Mutex;

use hostguard_evidence::{BoundedLog, SecurityAlert};
use hostguard_ledger::{
    DecisionRecord, EntryPayload, RollbackThresholds, RolloutTransitionRecord, TrustChangeRecord,
    ROLLBACK_REASON_PREFIX,
};
use hostguard_risk_core::{
    ExtensionRiskState, ExtensionTrustState, HysteresisConfig, QuotaTracker, RiskModel,
    RuntimeRiskConfig, TaintTracker,
};
use hostguard_rollout::{RollbackTrigger, RolloutController, RolloutPhase, Transition};
use rand_chacha::ChaCha20Rng;

use crate::sink::LedgerSink;
use crate::streams::ShardRecords;

/// The one global critical section: the ledger chain and the rollout window.
pub(crate) struct Core {
    pub(crate) ledger: LedgerSink,
    pub(crate) rollout: RolloutController,
    pub(crate) rng: ChaCha20Rng,
    /// Control-plane alerts (automatic rollback), not about one extension.
    pub(crate) control_alerts: BoundedLog<SecurityAlert>,
}

/// The risk controller: configuration (its `enforce` is not used: the phase decides), the
/// hysteresis knobs and the model built from them.
#[derive(Debug, Clone)]
pub(crate) struct Controller {
    pub(crate) config: RuntimeRiskConfig,
    pub(crate) hysteresis: HysteresisConfig,
    pub(crate) model: RiskModel,
}

/// One extension's state, behind its own lock.
pub(crate) struct Shard {
    pub(crate) extension_id: String,
    pub(crate) state: Mutex<ShardState>,
}

/// Everything the gate keeps about one extension (bounded).
pub(crate) struct ShardState {
    pub(crate) risk: ExtensionRiskState,
    /// What the extension did earlier that rules look at (secret reads, downloads); kept
    /// whether or not the risk controller runs.
    pub(crate) taint: TaintTracker,
    pub(crate) quota: QuotaTracker,
    pub(crate) trust: ExtensionTrustState,
    /// The extension's key in the detection cache.
    pub(crate) detection_key: u64,
    /// The rollout epoch in which the extension made its first call (enforce_new).
    pub(crate) first_seen_epoch: Option<u64>,
    /// Salts for this extension's commitments, sealed outside the core lock.
    pub(crate) rng: ChaCha20Rng,
    /// The extension's record streams.
    pub(crate) records: ShardRecords,
    /// Allocations of an evicted ledger decision entry, reused by the next record.
    pub(crate) spare_record: Option<Box<DecisionRecord>>,
    pub(crate) spare_extension: Option<String>,
    /// This shard's copy of the controller and the epoch it was copied at.
    pub(crate) controller: Controller,
    pub(crate) controller_epoch: u64,
}

pub(crate) const fn phase_code(phase: RolloutPhase) -> u64 {
    match phase {
        RolloutPhase::Shadow => 0,
        RolloutPhase::LogOnly => 1,
        RolloutPhase::EnforceNew => 2,
        RolloutPhase::EnforceAll => 3,
    }
}

pub(crate) const fn phase_from_word(word: u64) -> RolloutPhase {
    match word & 3 {
        0 => RolloutPhase::Shadow,
        1 => RolloutPhase::LogOnly,
        2 => RolloutPhase::EnforceNew,
        _ => RolloutPhase::EnforceAll,
    }
}

pub(crate) fn transition_payload(t: &Transition) -> EntryPayload {
    EntryPayload::RolloutTransition(RolloutTransitionRecord {
        from: t.from.as_str().to_owned(),
        to: t.to.as_str().to_owned(),
        reason: if t.reason.is_rollback() {
            format!("{ROLLBACK_REASON_PREFIX}{}", t.reason)
        } else {
            t.reason.code().to_owned()
        },
    })
}

pub(crate) fn trust_payload(
    from: ExtensionTrustState,
    to: ExtensionTrustState,
    reason: &str,
) -> EntryPayload {
    EntryPayload::TrustChange(TrustChangeRecord {
        from: from.as_str().to_owned(),
        to: to.as_str().to_owned(),
        reason: reason.to_owned(),
    })
}

/// The ledger's copy of a rollback trigger (the ledger does not depend on the rollout crate).
pub(crate) fn thresholds(t: &RollbackTrigger) -> RollbackThresholds {
    // Destructured so that a new trigger field is a compile error here, never an unrecorded one.
    let RollbackTrigger {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    } = *t;
    RollbackThresholds {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    }
}

/// The rollout crate's trigger of a ledger's thresholds (a resumed manager's).
pub(crate) fn trigger_of(t: RollbackThresholds) -> RollbackTrigger {
    // Destructured so that a new field is a compile error here.
    let RollbackThresholds {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    } = t;
    RollbackTrigger {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_words_round_trip() {
        for phase in RolloutPhase::ALL {
            for epoch in [0u64, 1, 7, 1 << 40] {
                assert_eq!(phase_from_word((epoch << 2) | phase_code(phase)), phase);
            }
        }
    }
}
