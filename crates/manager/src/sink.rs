//! Where the ledger lives: in memory only, or in memory plus the append-only durable file of
//! the ledger crate (DESIGN §5 "Optional durable sink").

use hostguard_ledger::{
    AppendReceipt, DurableError, DurableLedger, EntryPayload, Ledger, LedgerError,
};
use rand_chacha::ChaCha20Rng;

use crate::error::{BuildError, HostcallError};

/// The ledger behind the core lock.
pub(crate) enum LedgerSink {
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
    /// Appends one entry (and, for the durable sink, writes it to the file first).
    pub(crate) fn append(
        &mut self,
        ts_ms: u64,
        extension_id: Option<String>,
        payload: EntryPayload,
        rng: &mut ChaCha20Rng,
    ) -> Result<AppendReceipt, SinkError> {
        match self {
            LedgerSink::Memory(l) => l
                .append(ts_ms, extension_id, payload, rng)
                .map_err(SinkError::Ledger),
            LedgerSink::Durable(d) => d
                .append(ts_ms, extension_id, payload, rng)
                .map_err(SinkError::Durable),
        }
    }

    /// The in-memory view (retention applies).
    pub(crate) fn view(&self) -> &Ledger {
        match self {
            LedgerSink::Memory(l) => l,
            LedgerSink::Durable(d) => d.ledger(),
        }
    }
}
