//! Why a checkpoint was refused or a ledger does not match it: [`CheckpointError`] and its
//! stable [`CheckpointErrorCode`]s (`docs/ledger-format.md` §8).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// Why a checkpoint was refused or a ledger does not match it. See [`CheckpointErrorCode`] for
/// the stable codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The text is not a checkpoint this crate writes.
    #[error("malformed checkpoint: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// No signature line names the trusted key (name and id).
    #[error("no signature by key `{keyid}` (the checkpoint is signed by: {found})")]
    UnknownKey {
        /// The trusted key, `<name>+<hex id>`.
        keyid: String,
        /// The keys that did sign, comma-separated.
        found: String,
    },
    /// The trusted key's signature does not verify over the checkpoint text.
    #[error("the signature by key `{keyid}` does not verify over the checkpoint text")]
    SignatureInvalid {
        /// The trusted key.
        keyid: String,
    },
    /// The checkpoint is of another log.
    #[error("checkpoint origin is `{found}`, expected `{expected}`")]
    OriginMismatch {
        /// The expected origin.
        expected: String,
        /// The signed origin.
        found: String,
    },
    /// The ledger does not verify as a chain on its own.
    #[error("the ledger does not verify as a chain: {reason}")]
    LedgerInvalid {
        /// The count, first index and codes of the ledger's errors.
        reason: String,
    },
    /// The ledger does not start at genesis, so nothing ties its first entry to the history
    /// the checkpoint pins.
    #[error(
        "the ledger starts at seq `{first_seq}` (prev hash `{prev_ledger_hash}`), not at genesis: \
         its head cannot be proven against a checkpoint (use the whole ledger from seq 0)"
    )]
    HeadUnproven {
        /// The anchor's first seq.
        first_seq: u64,
        /// The anchor's previous hash.
        prev_ledger_hash: Digest,
    },
    /// The ledger holds fewer entries than the checkpoint: its tail was cut.
    #[error("tail cut: the checkpoint pins `{checkpoint_size}` entries, the ledger holds `{ledger_size}`")]
    TailCut {
        /// The checkpoint's size.
        checkpoint_size: u64,
        /// Entries in the ledger.
        ledger_size: u64,
    },
    /// The entry at index `count − 1` has another ledger hash: history was rewritten or
    /// re-chained.
    #[error(
        "head mismatch at index `{index}`: the checkpoint pins ledger hash `{expected}`, the \
         ledger has `{found}` (history rewritten or re-chained)"
    )]
    HeadMismatch {
        /// `count − 1`.
        index: u64,
        /// The checkpoint's head hash.
        expected: Digest,
        /// The ledger's hash at that index.
        found: Digest,
    },
    /// A ledger that should be checkpointed holds entries but there is no checkpoint of it:
    /// deleting the checkpoint must not leave a rewritten ledger unchecked.
    #[error("the ledger holds `{ledger_size}` entries but there is no checkpoint of it")]
    Missing {
        /// Entries in the ledger.
        ledger_size: u64,
    },
    /// After the entry the checkpoint pins, the ledger holds a control entry that loosens
    /// what the gate enforces (kill switch lifted, trust restored, risk state reset, a less
    /// enforcing phase, a configuration or rollback-trigger change). A manager pins every
    /// control entry with a checkpoint as it writes it, so an unpinned one was appended by
    /// someone without the key (or the checkpoint write failed).
    #[error("entry `{index}` ({kind}) loosens enforcement after the last checkpoint (size `{checkpoint_size}`) and no signature pins it")]
    UnpinnedControl {
        /// The entry.
        index: u64,
        /// What it is (`kill_switch lifted`, `rollout_transition to shadow`...).
        kind: String,
        /// The checkpoint's size.
        checkpoint_size: u64,
    },
}

/// Stable codes of [`CheckpointError`], serialized as `checkpoint_*` snake_case strings. Open
/// set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub enum CheckpointErrorCode {
    /// `checkpoint_malformed`: not a checkpoint this crate writes.
    #[serde(rename = "checkpoint_malformed")]
    Malformed,
    /// `checkpoint_unknown_key`: no signature by the trusted key.
    #[serde(rename = "checkpoint_unknown_key")]
    UnknownKey,
    /// `checkpoint_signature_invalid`: the trusted key's signature does not verify.
    #[serde(rename = "checkpoint_signature_invalid")]
    SignatureInvalid,
    /// `checkpoint_origin_mismatch`: a checkpoint of another log.
    #[serde(rename = "checkpoint_origin_mismatch")]
    OriginMismatch,
    /// `checkpoint_ledger_invalid`: the ledger does not verify as a chain.
    #[serde(rename = "checkpoint_ledger_invalid")]
    LedgerInvalid,
    /// `checkpoint_head_unproven`: the ledger does not start at genesis.
    #[serde(rename = "checkpoint_head_unproven")]
    HeadUnproven,
    /// `checkpoint_tail_cut`: the ledger lacks the entry at index `size − 1`.
    #[serde(rename = "checkpoint_tail_cut")]
    TailCut,
    /// `checkpoint_head_mismatch`: the entry at index `size − 1` has another ledger hash.
    #[serde(rename = "checkpoint_head_mismatch")]
    HeadMismatch,
    /// `checkpoint_missing`: a non-empty ledger has no checkpoint.
    #[serde(rename = "checkpoint_missing")]
    Missing,
    /// `checkpoint_unpinned_control`: a loosening control entry after the last checkpoint.
    #[serde(rename = "checkpoint_unpinned_control")]
    UnpinnedControl,
}

impl CheckpointErrorCode {
    /// Every code.
    pub const ALL: [CheckpointErrorCode; 10] = [
        CheckpointErrorCode::Malformed,
        CheckpointErrorCode::UnknownKey,
        CheckpointErrorCode::SignatureInvalid,
        CheckpointErrorCode::OriginMismatch,
        CheckpointErrorCode::LedgerInvalid,
        CheckpointErrorCode::HeadUnproven,
        CheckpointErrorCode::TailCut,
        CheckpointErrorCode::HeadMismatch,
        CheckpointErrorCode::Missing,
        CheckpointErrorCode::UnpinnedControl,
    ];

    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckpointErrorCode::Malformed => "checkpoint_malformed",
            CheckpointErrorCode::UnknownKey => "checkpoint_unknown_key",
            CheckpointErrorCode::SignatureInvalid => "checkpoint_signature_invalid",
            CheckpointErrorCode::OriginMismatch => "checkpoint_origin_mismatch",
            CheckpointErrorCode::LedgerInvalid => "checkpoint_ledger_invalid",
            CheckpointErrorCode::HeadUnproven => "checkpoint_head_unproven",
            CheckpointErrorCode::TailCut => "checkpoint_tail_cut",
            CheckpointErrorCode::HeadMismatch => "checkpoint_head_mismatch",
            CheckpointErrorCode::Missing => "checkpoint_missing",
            CheckpointErrorCode::UnpinnedControl => "checkpoint_unpinned_control",
        }
    }
}

impl fmt::Display for CheckpointErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CheckpointError {
    /// The stable code.
    pub fn code(&self) -> CheckpointErrorCode {
        match self {
            CheckpointError::Malformed { .. } => CheckpointErrorCode::Malformed,
            CheckpointError::UnknownKey { .. } => CheckpointErrorCode::UnknownKey,
            CheckpointError::SignatureInvalid { .. } => CheckpointErrorCode::SignatureInvalid,
            CheckpointError::OriginMismatch { .. } => CheckpointErrorCode::OriginMismatch,
            CheckpointError::LedgerInvalid { .. } => CheckpointErrorCode::LedgerInvalid,
            CheckpointError::HeadUnproven { .. } => CheckpointErrorCode::HeadUnproven,
            CheckpointError::TailCut { .. } => CheckpointErrorCode::TailCut,
            CheckpointError::HeadMismatch { .. } => CheckpointErrorCode::HeadMismatch,
            CheckpointError::Missing { .. } => CheckpointErrorCode::Missing,
            CheckpointError::UnpinnedControl { .. } => CheckpointErrorCode::UnpinnedControl,
        }
    }

    pub(super) fn malformed(reason: impl Into<String>) -> CheckpointError {
        CheckpointError::Malformed {
            reason: reason.into(),
        }
    }
}
