//! hostguard ledger: the tamper-evident, hash-chained record of every decision and every
//! control-plane event (docs/design.md §5).
//!
//! Principal types: [`Ledger`] (in memory, bounded retention) and [`DurableLedger`] (plus an
//! append-only JSONL file); [`LedgerEntry`] with its [`EntryPayload`] ([`DecisionRecord`] or a
//! control event); [`RuntimeRiskLedgerArtifact`], the export that
//! [`verify_runtime_risk_ledger_artifact`] checks and [`replay_runtime_risk_ledger_artifact`]
//! re-derives. Every byte that is hashed is specified in `docs/ledger-format.md`.
//! [`from_json_exactly`] reads JSON that must hold exactly its typed value (no unknown or
//! repeated member at any depth); the evidence crate reads bundles through it too.
//!
//! Randomness (commitment salts, key generation) is injected; the crate reads no clock.
//!
//! ```
//! use hostguard_ledger::{
//!     replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact, EntryPayload,
//!     Ledger, RiskStateResetRecord,
//! };
//! use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
//! use rand_chacha::rand_core::SeedableRng;
//! use rand_chacha::ChaCha20Rng;
//!
//! let mut rng = ChaCha20Rng::seed_from_u64(7);
//! let mut ledger = Ledger::new(2048)?;
//! let reset = EntryPayload::RiskStateReset(RiskStateResetRecord { reason: "operator".into() });
//! ledger.append(1_000, Some("ext-a".into()), reset, &mut rng)?;
//!
//! let artifact = ledger.artifact(2_000, RuntimeRiskConfig::default(), HysteresisConfig::default());
//! let report = verify_runtime_risk_ledger_artifact(&artifact);
//! assert!(report.valid, "{:?}", report.errors);
//! let replay = replay_runtime_risk_ledger_artifact(&artifact)?;
//! assert!(replay.steps.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod artifact;
mod checkpoint;
mod digest;
mod durable;
mod encode;
mod entry;
mod exact;
mod files;
mod ledger;
mod record;
mod replay;
mod restore;
mod verify;

pub use artifact::{
    ArtifactParseError, LedgerAnchor, LedgerHead, RuntimeRiskLedgerArtifact,
    RUNTIME_RISK_LEDGER_SCHEMA,
};
pub use checkpoint::{
    check_ledger_against_checkpoint, check_span_against_checkpoint, open_checkpoint, Checkpoint,
    CheckpointCoverage, CheckpointError, CheckpointErrorCode, KeyError, KeyId, NoteName,
    PrivateKeyText, SignerKey, VerifiedCheckpoint, VerifierKey, CHECKPOINT_MAX_BYTES,
    CHECKPOINT_MAX_SIGNATURES, ED25519_SIGNATURE_TYPE,
};
pub use digest::{body_digest, commitment, ledger_hash, Digest, Salt};
pub use durable::{
    DurableError, DurableLedger, FsyncPolicy, OpenReport, PreparedLedger, MAX_LINE_BYTES,
};
pub use encode::{band_profile_code, encode_body, EncodeError, ENCODING_VERSION};
pub use entry::{EntryBody, LedgerEntry, RuntimeRiskLedgerEntry};
pub use exact::{from_json_exactly, ExactJsonError, MalformedJson};
pub use files::{move_aside, read_checkpoint_file, replace_file_atomically};
pub use hostguard_risk_core::DomainTag;
pub use ledger::{AppendReceipt, Ledger, LedgerError};
pub use record::{
    AppliedRecord, Committed, ConfigChangeRecord, DecisionRecord, EntryPayload, FindingRecord,
    KillSwitchRecord, PinStanding, PromptResolutionRecord, RedactableField, ResumeRecord, Reveal,
    RiskStateResetRecord, RollbackThresholds, RollbackTriggerChangeRecord, RolloutTransitionRecord,
    ToolPinRecord, TrustChangeRecord,
};
pub use replay::{
    replay_runtime_risk_ledger_artifact, ReplayError, ReplaySkipCounts, RuntimeRiskReplayArtifact,
    RuntimeRiskReplayStep, REPLAY_ERROR_MAX_LISTED, RUNTIME_RISK_REPLAY_SCHEMA,
};
pub use restore::{
    RestoredExtension, RestoredRollout, RestoredState, ROLLBACK_REASON_PREFIX, TRUST_QUARANTINED,
    TRUST_TRUSTED,
};
pub use verify::{
    verify_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact_json,
    LedgerVerifyError, RuntimeRiskLedgerVerificationReport, VerifyErrorCode,
};
