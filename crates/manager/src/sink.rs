//! Where the ledger lives: in memory only, or in memory plus the append-only durable file of
//! the ledger crate (docs/design.md §5 "Optional durable sink").

use hostguard_ledger::{
    AppendReceipt, DurableError, DurableLedger, EntryPayload, Ledger, LedgerError,
};
use rand_chacha::ChaCha20Rng;

use crate::checkpoints::Checkpointer;
use crate::error::{BuildError, HostcallError};

/// The ledger behind the core lock, and the checkpoints signed of it.
pub(crate) struct LedgerSink {
    pub(crate) store: Store,
    pub(crate) checkpoints: Option<Checkpointer>,
    /// A checkpoint write that failed since the manager last raised an alert for one.
    pub(crate) checkpoint_failure: Option<String>,
}

/// Where the entries go.
pub(crate) enum Store {
    /// In memory, bounded by `ledger_limit`.
    Memory(Ledger),
    /// In memory plus a JSONL file that keeps every entry.
    Durable(DurableLedger),
}

/// Why an append failed.
#[derive(Debug)]
pub(crate) enum SinkError {
    Ledger(LedgerError),
    Durable(DurableError),
}

impl From<SinkError> for HostcallError {
    fn from(e: SinkError) -> Self {
        match e {
            SinkError::Ledger(e) => HostcallError::Ledger(e),
            SinkError::Durable(e) => HostcallError::Durable(e),
        }
    }
}

impl From<SinkError> for BuildError {
    fn from(e: SinkError) -> Self {
        match e {
            SinkError::Ledger(e) => BuildError::Ledger(e),
            SinkError::Durable(e) => BuildError::Durable(e),
        }
    }
}

impl LedgerSink {
    /// A second handle on the durable file (`None` for a ledger in memory).
    pub(crate) fn sync_handle(&self) -> Option<std::io::Result<std::fs::File>> {
        match &self.store {
            Store::Memory(_) => None,
            Store::Durable(d) => Some(d.sync_handle()),
        }
    }

    /// A sink without checkpoints.
    pub(crate) fn new(store: Store) -> LedgerSink {
        LedgerSink {
            store,
            checkpoints: None,
            checkpoint_failure: None,
        }
    }

    /// Appends one entry (and, for the durable sink, writes it to the file first), then signs
    /// a checkpoint when one is due. A checkpoint that cannot be written does not undo the
    /// entry: it is counted in the checkpoint status.
    pub(crate) fn append(
        &mut self,
        ts_ms: u64,
        extension_id: Option<String>,
        payload: EntryPayload,
        rng: &mut ChaCha20Rng,
    ) -> Result<AppendReceipt, SinkError> {
        // A control entry is pinned at once: after the last checkpoint a restart trusts no
        // entry that loosens enforcement (`resume.rs`), so an operator's must be signed now.
        let control = !matches!(payload, EntryPayload::Decision(_));
        let receipt = match &mut self.store {
            Store::Memory(l) => l
                .append(ts_ms, extension_id, payload, rng)
                .map_err(SinkError::Ledger)?,
            Store::Durable(d) => d
                .append(ts_ms, extension_id, payload, rng)
                .map_err(SinkError::Durable)?,
        };
        if let (Some(cp), Store::Durable(d)) = (&mut self.checkpoints, &mut self.store) {
            if control || cp.due(receipt.seq.saturating_add(1), ts_ms) {
                if let Err(e) = cp.write(d, ts_ms) {
                    self.checkpoint_failure.get_or_insert(e);
                }
            }
        }
        Ok(receipt)
    }

    /// Signs a checkpoint of the head now (`None` without checkpoints); with `only_if_behind`,
    /// only when the last one does not already pin the head.
    pub(crate) fn checkpoint_now(
        &mut self,
        now_ms: u64,
        only_if_behind: bool,
    ) -> Option<Result<(), String>> {
        match (&mut self.checkpoints, &mut self.store) {
            (Some(cp), Store::Durable(d)) => {
                let behind = cp.status().last_size < d.ledger().next_seq();
                if only_if_behind && !behind {
                    return Some(Ok(()));
                }
                Some(cp.write(d, now_ms))
            }
            _ => None,
        }
    }

    /// The in-memory view (retention applies).
    pub(crate) fn view(&self) -> &Ledger {
        match &self.store {
            Store::Memory(l) => l,
            Store::Durable(d) => d.ledger(),
        }
    }
}
