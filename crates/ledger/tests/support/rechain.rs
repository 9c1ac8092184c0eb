//! What an attacker with a ledger file but not the signing key does: renumber the entries,
//! relink them, recompute every body digest and ledger hash, so that the chain verifies on its
//! own. One home for the ledger, manager and CLI tests that need a rewritten chain.

use hostguard_ledger::{Digest, LedgerEntry};

/// Rechains `entries` from genesis (seq 0).
#[allow(
    dead_code,
    reason = "each test binary that includes this file uses a part of it"
)]
pub fn rechain(entries: Vec<LedgerEntry>) -> Vec<LedgerEntry> {
    rechain_from(entries, 0, Digest::GENESIS)
}

/// Rechains `entries` from seq `first_seq`, the first linked to `prev`.
pub fn rechain_from(
    mut entries: Vec<LedgerEntry>,
    first_seq: u64,
    prev: Digest,
) -> Vec<LedgerEntry> {
    let mut prev = prev;
    let mut buf = Vec::new();
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = first_seq + i as u64;
        e.prev_ledger_hash = prev;
        e.body_digest = e.recompute_body_digest(&mut buf).unwrap().unwrap();
        e.ledger_hash = e.recompute_ledger_hash();
        prev = e.ledger_hash;
    }
    entries
}
