//! The in-memory [`Ledger`]: bounded retention, eviction counter, anchor and head tracking
//! (docs/design.md §5 "Retention").

use std::collections::VecDeque;

use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
use rand_core::RngCore;

use crate::artifact::{
    LedgerAnchor, LedgerHead, RuntimeRiskLedgerArtifact, RUNTIME_RISK_LEDGER_SCHEMA,
};
use crate::digest::{body_digest, ledger_hash, Digest, Salt};
use crate::encode::{encode_body, EncodeError};
use crate::entry::{EntryBody, LedgerEntry};
use crate::record::{ConfigChangeRecord, EntryPayload, RedactableField};

/// Why an append was refused. Nothing is written when an append fails.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// `ledger_limit` must keep at least one entry.
    #[error("ledger_limit `{limit}` is out of range (allowed: 1..=usize::MAX)")]
    InvalidLimit {
        /// The offending limit.
        limit: usize,
    },
    /// The payload cannot be encoded (a non-finite float, an oversized string).
    #[error("entry cannot be encoded: {0}")]
    Encode(#[from] EncodeError),
    /// Sequence numbers are exhausted (2^64 entries).
    #[error("ledger sequence numbers are exhausted at seq `{seq}`")]
    SeqExhausted {
        /// The last seq.
        seq: u64,
    },
}

/// What an append did.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendReceipt {
    /// The seq of the new entry.
    pub seq: u64,
    /// Its ledger hash: the new head.
    pub ledger_hash: Digest,
    /// The entry retention evicted to make room, handed back so the caller can drop it after
    /// releasing its lock (freeing an entry is not free).
    pub evicted: Option<LedgerEntry>,
}

/// The in-memory hash chain with at most `ledger_limit` entries.
///
/// Nothing is dropped silently: evicted entries are counted and the anchor (seq and previous
/// hash of the first retained entry) moves with them, so an artifact tells a retention-truncated
/// head from a forged one.
#[derive(Debug, Clone)]
pub struct Ledger {
    limit: usize,
    entries: VecDeque<LedgerEntry>,
    evicted: u64,
    next_seq: u64,
    head_hash: Digest,
    anchor_prev: Digest,
    anchor_config: Option<ConfigChangeRecord>,
    buf: Vec<u8>,
}

impl Ledger {
    /// An empty ledger at genesis keeping at most `ledger_limit` entries.
    pub fn new(ledger_limit: usize) -> Result<Ledger, LedgerError> {
        Ledger::resume(ledger_limit, 0, Digest::GENESIS)
    }

    /// An empty ledger that continues an existing chain: the next entry gets `next_seq` and
    /// links to `head_hash`; the `next_seq` earlier entries count as evicted.
    pub fn resume(
        ledger_limit: usize,
        next_seq: u64,
        head_hash: Digest,
    ) -> Result<Ledger, LedgerError> {
        if ledger_limit == 0 {
            return Err(LedgerError::InvalidLimit {
                limit: ledger_limit,
            });
        }
        Ok(Ledger {
            limit: ledger_limit,
            entries: VecDeque::with_capacity(ledger_limit.min(1 << 16)),
            evicted: next_seq,
            next_seq,
            head_hash,
            anchor_prev: head_hash,
            anchor_config: None,
            buf: Vec::with_capacity(512),
        })
    }

    /// Appends one entry: seals every placeholder commitment ([`crate::Committed::new`]) with a
    /// fresh salt from `rng`, encodes the body into the reused buffer, hashes, links, and evicts
    /// the oldest entry past the limit.
    ///
    /// Cheap by design (the manager holds one short lock around it): three SHA-256 runs, no
    /// allocation beyond the entry itself once the buffer has grown.
    pub fn append<R: RngCore + ?Sized>(
        &mut self,
        ts_ms: u64,
        extension_id: Option<String>,
        payload: EntryPayload,
        rng: &mut R,
    ) -> Result<AppendReceipt, LedgerError> {
        let entry = self.seal(ts_ms, extension_id, payload, rng)?;
        let seq = entry.seq;
        let ledger_hash = entry.ledger_hash;
        let evicted = self.commit(entry);
        Ok(AppendReceipt {
            seq,
            ledger_hash,
            evicted,
        })
    }

    /// The retained entries, oldest first.
    pub fn entries(&self) -> &VecDeque<LedgerEntry> {
        &self.entries
    }

    /// The newest entry.
    pub fn last(&self) -> Option<&LedgerEntry> {
        self.entries.back()
    }

    /// Number of retained entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is retained.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The retention limit.
    pub fn ledger_limit(&self) -> usize {
        self.limit
    }

    /// Entries evicted (or, after [`Ledger::resume`], never loaded) before the first retained one.
    pub fn evicted_count(&self) -> u64 {
        self.evicted
    }

    /// The seq the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The ledger hash of the newest entry ever appended (genesis when none).
    pub fn head_hash(&self) -> Digest {
        self.head_hash
    }

    /// The anchor: where the retained entries start.
    pub fn anchor(&self) -> LedgerAnchor {
        LedgerAnchor {
            first_seq: self.entries.front().map_or(self.next_seq, |e| e.seq),
            prev_ledger_hash: self.anchor_prev,
            evicted_count: self.evicted,
        }
    }

    /// The head checkpoint: where the retained entries end.
    pub fn head(&self) -> LedgerHead {
        LedgerHead {
            last_seq: self.entries.back().map(|e| e.seq),
            last_ledger_hash: self.head_hash,
            entry_count: self.entries.len() as u64,
        }
    }

    /// The artifact of the retained entries.
    ///
    /// `config` and `hysteresis` must be the configuration the chain started under (seq 0);
    /// once retention has evicted a config-change entry, the artifact carries the latest evicted
    /// one instead, so its header always states the configuration in force at the anchor, which
    /// is where replay starts.
    pub fn artifact(
        &self,
        now_ms: u64,
        config: RuntimeRiskConfig,
        hysteresis: HysteresisConfig,
    ) -> RuntimeRiskLedgerArtifact {
        let (config, hysteresis) = match &self.anchor_config {
            Some(c) => (c.config, c.hysteresis),
            None => (config, hysteresis),
        };
        RuntimeRiskLedgerArtifact {
            schema: RUNTIME_RISK_LEDGER_SCHEMA.to_owned(),
            generated_at_ms: now_ms,
            anchor: self.anchor(),
            head: self.head(),
            config,
            hysteresis,
            entries: self.entries.iter().cloned().collect(),
        }
    }

    /// Builds the next entry without linking it (the durable sink writes it first).
    pub(crate) fn seal<R: RngCore + ?Sized>(
        &mut self,
        ts_ms: u64,
        extension_id: Option<String>,
        mut payload: EntryPayload,
        rng: &mut R,
    ) -> Result<LedgerEntry, LedgerError> {
        let seq = self.next_seq;
        if seq == u64::MAX {
            return Err(LedgerError::SeqExhausted { seq });
        }
        for field in RedactableField::ALL {
            if let Some(c) = payload.commitment_mut(field) {
                c.seal_placeholder(rng);
            }
        }
        // A fresh salt per entry: an elided entry's digest must not confirm guesses of its
        // content.
        let mut salt = Salt::default();
        rng.fill_bytes(&mut salt.0);
        self.buf.clear();
        encode_body(
            &mut self.buf,
            &salt,
            seq,
            ts_ms,
            extension_id.as_deref(),
            &payload,
        )?;
        let digest = body_digest(&self.buf);
        let hash = ledger_hash(&self.head_hash, &digest);
        Ok(LedgerEntry {
            seq,
            ts_ms,
            extension_id,
            body: EntryBody::Full(payload),
            salt: Some(salt),
            prev_ledger_hash: self.head_hash,
            body_digest: digest,
            ledger_hash: hash,
        })
    }

    /// Links an entry built by [`Ledger::seal`] (or read back from a verified durable file) and
    /// returns the entry retention evicted, if any.
    pub(crate) fn commit(&mut self, entry: LedgerEntry) -> Option<LedgerEntry> {
        // INVARIANT (seq-gap-free): the caller built `entry` from `next_seq` and `head_hash`
        // (seal) or verified that it links to them (durable open).
        self.next_seq = entry.seq.saturating_add(1);
        self.head_hash = entry.ledger_hash;
        // Evict before pushing: in a full ring the new entry then lands in the slot just read,
        // which is still in cache.
        let evicted = if self.entries.len() >= self.limit {
            self.entries.pop_front()
        } else {
            None
        };
        self.entries.push_back(entry);
        let evicted = evicted?;
        self.evicted = self.evicted.saturating_add(1);
        self.anchor_prev = evicted.ledger_hash;
        if let Some(EntryPayload::ConfigChange(c)) = evicted.payload() {
            self.anchor_config = Some(*c);
        }
        Some(evicted)
    }
}
