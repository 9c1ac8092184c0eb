//! The manager's errors: [`HostcallError`] for one gate decision, [`BuildError`] for building a
//! manager. Both wrap the lower crates' errors with `#[from]` (STYLE "Types, state and errors").

use hostguard_ledger::{DurableError, LedgerError};
use hostguard_risk_core::{CatalogError, ConfigError, InvalidHostcall, RiskModelError};
use hostguard_rollout::{FlagError, RolloutConfigError};

/// Why the gate returned no verdict. The host must treat any error as "do not dispatch": the
/// gate fails closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostcallError {
    /// The call is malformed (`invalid_request`): empty ids, params not an object, unknown
    /// method, or a declared capability that differs from the derived one.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidHostcall),
    /// The decision could not be written to the ledger, so it is not taken (a decision that is
    /// not recorded is not made).
    #[error("decision not recorded: {0}")]
    Ledger(#[from] LedgerError),
    /// The durable ledger file could not be written (or an earlier fsync failure poisoned it),
    /// so the decision is not taken.
    #[error("decision not recorded: {0}")]
    Durable(#[from] DurableError),
    /// The call comes from a new extension while the gate already keeps state for
    /// `max_extensions` extensions: refused, nothing recorded (memory stays bounded).
    #[error("extension `{extension_id}` refused: the gate already tracks `{limit}` extensions (`max_extensions`)")]
    ExtensionLimit {
        /// The new extension.
        extension_id: String,
        /// The configured bound.
        limit: usize,
    },
}

impl HostcallError {
    /// A stable snake_case code (`invalid_request`, `ledger_error`).
    pub const fn code(&self) -> &'static str {
        match self {
            HostcallError::InvalidRequest(_) => InvalidHostcall::CODE,
            HostcallError::Ledger(_) | HostcallError::Durable(_) => "ledger_error",
            HostcallError::ExtensionLimit { .. } => "extension_limit",
        }
    }
}

/// An operator's change that is in force but whose ledger entry could not be written: a
/// restart would not restore it (a Critical `ledger_integrity` alert says so too).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The control entry was not recorded.
    #[error("the `{kind}` control entry{} was not recorded ({reason}): it is in force, but a restart would not restore it", .extension_id.as_ref().map(|x| format!(" of `{x}`")).unwrap_or_default())]
    NotRecorded {
        /// The entry kind (`kill_switch`, `trust_change`, `rollout_transition`, ...).
        kind: &'static str,
        /// The extension the entry is about.
        extension_id: Option<String>,
        /// Why the ledger refused it.
        reason: String,
    },
    /// The rollback trigger is out of range: nothing changed, nothing was written.
    #[error("{0}")]
    InvalidTrigger(#[from] RolloutConfigError),
}

/// Why a false-positive flag ([`crate::ExtensionManager::try_mark_false_positive`]) was not
/// counted. Only a call the gate stopped — blocked or prompted, or in a phase that does not
/// enforce the model, one it would have stopped — can be a false positive: a flag on an allowed
/// call would count toward the rollback rate a mistake nobody made (issue 16).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FalsePositiveError {
    /// No decision is indexed under the call id (never seen, or evicted from the call index),
    /// or, without an extension named, more than one extension used it.
    #[error("no decision is indexed under call `{call_id}` (unknown, evicted, or used by more than one extension: name the extension)")]
    UnknownCall {
        /// The call id.
        call_id: String,
    },
    /// The gate allowed the call and would have allowed it in every phase.
    #[error("call `{call_id}` was allowed: only a blocked or prompted call (or one the gate would have stopped) can be a false positive")]
    NotStopped {
        /// The call id.
        call_id: String,
    },
    /// The rollout window refused the flag (already flagged, or the sample left the window).
    #[error("call `{call_id}`: {reason}")]
    Window {
        /// The call id.
        call_id: String,
        /// The window's reason.
        reason: FlagError,
    },
}

/// Why [`crate::ExtensionManagerBuilder::build`] refused. Each variant names the bad field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A [`hostguard_risk_core::RuntimeRiskConfig`] field is out of range.
    #[error("risk config: {0}")]
    Config(#[from] ConfigError),
    /// The risk model refused its knobs.
    #[error("{0}")]
    RiskModel(#[from] RiskModelError),
    /// The rollback trigger is out of range.
    #[error("{0}")]
    Rollout(#[from] RolloutConfigError),
    /// The ledger refused its limit, or the genesis config entry could not be written.
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// The durable ledger file could not be opened, is corrupt, or could not be written.
    #[error("durable ledger: {0}")]
    Durable(#[from] DurableError),
    /// A field that sizes live state cannot change on a running manager.
    #[error("`{field}` cannot change at run time (current `{current}`, requested `{requested}`): build a new manager")]
    FixedAtRunTime {
        /// `window_size` or `ledger_limit`.
        field: &'static str,
        /// The value in force.
        current: usize,
        /// The value asked for.
        requested: usize,
    },
    /// A per-extension record-stream capacity is zero.
    #[error("`record_limit` value `{value}` is out of range (allowed: [1, 1000000])")]
    RecordLimit {
        /// The value given.
        value: usize,
    },
    /// `max_extensions` is zero.
    #[error("`max_extensions` value `0` is out of range (allowed: at least 1)")]
    MaxExtensions,
    /// The workspace root is not an absolute path.
    #[error("`workspace` value `{value}` is not an absolute path")]
    Workspace {
        /// The value given.
        value: String,
    },
    /// A guarded path or the home folder is not absolute.
    #[error("`{value}` (a guarded path or the home folder) is not an absolute path")]
    GuardedPath {
        /// The value given.
        value: String,
    },
    /// The durable ledger does not verify from `first_invalid_index` on (a complete line that
    /// does not parse or breaks the chain): the manager refuses to resume from it. Build with
    /// [`DamagedLedger::FailClosed`](crate::DamagedLedger::FailClosed) to start fail-closed
    /// instead.
    #[error("durable ledger `{}` does not verify from entry index {first_invalid_index}: refusing to resume from it (runbook Procedure 5): {source}", path.display())]
    LedgerDamaged {
        /// The file.
        path: std::path::PathBuf,
        /// The first entry (0-based) that does not verify.
        first_invalid_index: u64,
        /// What the verifier found.
        source: DurableError,
    },
    /// The durable ledger contradicts its last signed checkpoint (cut, rewritten or re-chained
    /// since), or the checkpoint file does not open with the builder's key: the manager refuses
    /// to resume from it (or starts fail-closed, [`DamagedLedger::FailClosed`](crate::DamagedLedger::FailClosed)).
    #[error("durable ledger `{}` is refused by its checkpoint `{}`{}: {}: {source}", path.display(), checkpoint.display(), first_invalid_index.map(|i| format!(" (first invalid index {i})")).unwrap_or_default(), source.code().as_str())]
    CheckpointRefused {
        /// The ledger file.
        path: std::path::PathBuf,
        /// The checkpoint file.
        checkpoint: std::path::PathBuf,
        /// The first entry missing or contradicting the checkpoint; `None` when the checkpoint
        /// itself does not open.
        first_invalid_index: Option<u64>,
        /// What the check found (`checkpoint_tail_cut`, `checkpoint_head_mismatch`, ...).
        source: Box<hostguard_ledger::CheckpointError>,
    },
    /// The first checkpoint could not be written (the file's folder, its permissions).
    #[error("cannot write the ledger checkpoint: {message}")]
    CheckpointWrite {
        /// What failed.
        message: String,
    },
    /// Checkpoints are signed of a durable ledger only.
    #[error("`checkpoints` needs a `durable_ledger`: a checkpoint pins a file")]
    CheckpointsNeedDurableLedger,
    /// A damaged durable ledger could not be moved aside for a fail-closed start.
    #[error("cannot move the damaged ledger `{}` aside: {source}", path.display())]
    MoveAside {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The ledger verifies but its state cannot be restored (a phase name this version does
    /// not know).
    #[error("cannot resume from the ledger: {0}")]
    Resume(String),
    /// The rule catalog does not load.
    #[error("rule catalog: {0}")]
    Catalog(#[from] CatalogError),
}
