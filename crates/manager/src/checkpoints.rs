//! Signed checkpoints of the durable ledger, written by the manager as it goes (issue 14): every
//! N entries or T milliseconds the head is signed (`docs/ledger-format.md` §8) into a checkpoint
//! file kept beside — ideally away from — the ledger. A restarted manager checks the file it
//! opens against the last checkpoint, so a rewritten, cut or re-chained ledger is caught before
//! the gate trusts its state.

use std::num::NonZeroU64;
use std::path::PathBuf;
use std::sync::Arc;

use hostguard_ledger::{
    open_checkpoint, read_checkpoint_file, replace_file_atomically, Checkpoint, CheckpointError,
    Digest, DurableLedger, NoteName, SignerKey, VerifiedCheckpoint,
};

/// When the manager signs a new checkpoint (whichever comes first). A checkpoint is also
/// written when the manager is built and by
/// [`write_checkpoint`](crate::ExtensionManager::write_checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointEvery {
    /// After this many new entries.
    pub entries: Option<NonZeroU64>,
    /// When this many milliseconds (injected clock) passed since the last one, at the next
    /// entry.
    pub interval_ms: Option<NonZeroU64>,
}

impl Default for CheckpointEvery {
    /// Every 1000 entries or 60 s.
    fn default() -> Self {
        CheckpointEvery {
            entries: NonZeroU64::new(1000),
            interval_ms: NonZeroU64::new(60_000),
        }
    }
}

/// The checkpoint settings of a builder.
#[derive(Clone)]
pub(crate) struct CheckpointSpec {
    pub(crate) path: PathBuf,
    /// Shared, never copied: the key type is not `Clone` (its seed is zeroized on drop).
    pub(crate) key: Arc<SignerKey>,
    pub(crate) every: CheckpointEvery,
}

impl CheckpointSpec {
    /// The origin line: the key's name.
    pub(crate) fn origin(&self) -> &NoteName {
        self.key.name()
    }

    /// Reads and verifies the checkpoint file, if there is one.
    pub(crate) fn read(&self) -> Result<Option<VerifiedCheckpoint>, CheckpointError> {
        let bytes = read_checkpoint_file(&self.path).map_err(|e| CheckpointError::Malformed {
            reason: format!("cannot read `{}`: {e}", self.path.display()),
        })?;
        bytes
            .map(|bytes| open_checkpoint(&bytes, &self.key.verifier(), self.origin()))
            .transpose()
    }
}

impl std::fmt::Debug for CheckpointSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSpec")
            .field("path", &self.path)
            .field("key", &self.key.keyid())
            .field("every", &self.every)
            .finish()
    }
}

/// What the manager's checkpointing did last ([`crate::ExtensionManager::checkpoint_status`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckpointStatus {
    /// Entries the last written checkpoint pins.
    pub last_size: u64,
    /// When it was written (injected clock).
    pub last_ms: u64,
    /// Checkpoints written by this manager.
    pub written: u64,
    /// Writes that failed (the decisions were recorded; only the checkpoint is stale).
    pub failures: u64,
    /// The last failure's message, cleared by the next success.
    pub last_error: Option<String>,
}

/// Signs and writes checkpoints of one durable ledger.
pub(crate) struct Checkpointer {
    spec: CheckpointSpec,
    status: CheckpointStatus,
}

impl Checkpointer {
    pub(crate) fn new(spec: CheckpointSpec) -> Checkpointer {
        Checkpointer {
            spec,
            status: CheckpointStatus::default(),
        }
    }

    /// Counts the next checkpoint from the one the file already holds.
    pub(crate) fn resume_from(&mut self, size: u64) {
        self.status.last_size = size;
    }

    pub(crate) fn status(&self) -> &CheckpointStatus {
        &self.status
    }

    /// Whether a checkpoint is due at `size` entries and time `now_ms`.
    pub(crate) fn due(&self, size: u64, now_ms: u64) -> bool {
        let every = self.spec.every;
        let by_count = every
            .entries
            .is_some_and(|n| size.saturating_sub(self.status.last_size) >= n.get());
        let by_time = every
            .interval_ms
            .is_some_and(|t| now_ms.saturating_sub(self.status.last_ms) >= t.get());
        size > self.status.last_size && (by_count || by_time)
    }

    /// Syncs the ledger (a checkpoint must never pin entries a crash could lose), signs its
    /// head and replaces the checkpoint file atomically. A failure is counted in the status and
    /// returned.
    pub(crate) fn write(&mut self, ledger: &mut DurableLedger, now_ms: u64) -> Result<(), String> {
        let result = self.try_write(ledger);
        match &result {
            Ok(size) => {
                self.status.last_size = *size;
                self.status.last_ms = now_ms;
                self.status.written = self.status.written.saturating_add(1);
                self.status.last_error = None;
            }
            Err(e) => {
                self.status.failures = self.status.failures.saturating_add(1);
                self.status.last_error = Some(e.clone());
            }
        }
        result.map(|_| ())
    }

    fn try_write(&self, ledger: &mut DurableLedger) -> Result<u64, String> {
        ledger.sync().map_err(|e| e.to_string())?;
        let view = ledger.ledger();
        let size = view.next_seq();
        let head: Digest = view.head_hash();
        let checkpoint =
            Checkpoint::new(self.spec.origin().clone(), size, head).map_err(|e| e.to_string())?;
        let text = checkpoint.sign(&self.spec.key);
        replace_file_atomically(&self.spec.path, text.as_bytes())
            .map_err(|e| format!("checkpoint `{}`: {e}", self.spec.path.display()))?;
        Ok(size)
    }
}
