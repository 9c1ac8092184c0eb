//! Signed checkpoints of a ledger's head (`docs/ledger-format.md` §8, issue 14): a C2SP
//! `tlog-checkpoint` body — origin, entry count, head hash — in a C2SP `signed-note` with an
//! Ed25519 signature.
//!
//! The chain alone is unkeyed: whoever can write the ledger file can cut its tail, cut its head
//! and rewrite the anchor, or re-chain everything, and it still verifies. A checkpoint kept
//! outside the file pins what was there: [`check_ledger_against_checkpoint`] refuses a ledger
//! whose entry at index `count − 1` is missing or has another ledger hash.
//!
//! Pure: no I/O, no clock; key generation takes its randomness as an argument.

mod error;
mod keys;
mod note;

use serde::{Deserialize, Serialize};

use crate::artifact::RuntimeRiskLedgerArtifact;
use crate::digest::Digest;
use crate::verify::verify_runtime_risk_ledger_artifact;

pub use error::{CheckpointError, CheckpointErrorCode};
pub use keys::{
    KeyError, KeyId, NoteName, PrivateKeyText, SignerKey, VerifierKey, ED25519_SIGNATURE_TYPE,
};
pub use note::{CHECKPOINT_MAX_BYTES, CHECKPOINT_MAX_SIGNATURES};

/// The unsigned content of a checkpoint: which log, how many entries, and the ledger hash of
/// the last of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: NoteName,
    size: u64,
    head: Digest,
}

/// A checkpoint whose signature by a trusted key verified and whose origin is the expected one;
/// only [`open_checkpoint`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    keyid: String,
}

/// What a ledger consistent with a checkpoint holds beyond it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckpointCoverage {
    /// Entries the checkpoint pins (its size).
    pub covered: u64,
    /// Entries appended after the checkpoint: chained to it, but pinned by no signature yet.
    pub after: u64,
}

impl Checkpoint {
    /// A checkpoint of `size` entries whose last has ledger hash `head`. A checkpoint of no
    /// entries has the genesis head (32 zero bytes); any other head is refused.
    pub fn new(origin: NoteName, size: u64, head: Digest) -> Result<Checkpoint, CheckpointError> {
        if size == 0 && head != Digest::GENESIS {
            return Err(CheckpointError::malformed(format!(
                "a checkpoint of 0 entries has the genesis head, not `{head}`"
            )));
        }
        Ok(Checkpoint { origin, size, head })
    }

    /// The checkpoint of a ledger's head: size `anchor.first_seq + entries` (every entry since
    /// genesis, evicted ones included), head the last entry's ledger hash (the anchor's previous
    /// hash when there is none). Refuses a ledger that does not verify: signing it would vouch
    /// for a tampered history.
    pub fn of_ledger(
        origin: NoteName,
        ledger: &RuntimeRiskLedgerArtifact,
    ) -> Result<Checkpoint, CheckpointError> {
        chain_verifies(ledger)?;
        let size = u64::try_from(ledger.entries.len())
            .ok()
            .and_then(|n| ledger.anchor.first_seq.checked_add(n))
            .ok_or_else(|| CheckpointError::LedgerInvalid {
                reason: "its size does not fit in a u64".to_owned(),
            })?;
        let head = ledger
            .entries
            .last()
            .map_or(ledger.anchor.prev_ledger_hash, |e| e.ledger_hash);
        Checkpoint::new(origin, size, head)
    }

    /// The origin line.
    pub fn origin(&self) -> &NoteName {
        &self.origin
    }

    /// The number of entries pinned.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The ledger hash of entry `size − 1` (genesis for size 0).
    pub fn head(&self) -> Digest {
        self.head
    }

    /// The signed text: `<origin>\n<size>\n<base64(head)>\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            keys::encode_base64(self.head.as_bytes())
        )
    }

    /// The signed note: the body, a blank line and `— <key name> <base64(id ‖ signature)>`.
    pub fn sign(&self, key: &SignerKey) -> String {
        let body = self.body();
        let line = note::sign_line(key, &body);
        format!("{body}\n{line}")
    }

    /// Reads what a signed checkpoint claims **without checking any signature**: to decide which
    /// span a bundle must carry for the checkpoint to cover it. Nothing read this way may be
    /// trusted until [`open_checkpoint`] verified it.
    pub fn read_unverified(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let note = note::parse(bytes).map_err(CheckpointError::malformed)?;
        Checkpoint::parse_body(note.text)
    }

    /// Parses a body of exactly three lines; extension lines, empty lines, a size with a
    /// sign or leading zero, and a head that is not canonical base64 of 32 bytes are refused.
    fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .unwrap_or(text)
            .split('\n')
            .collect();
        let [origin, size, head] = lines.as_slice() else {
            return Err(CheckpointError::malformed(format!(
                "the body has `{}` lines, expected 3 (origin, size, head hash; no extension lines)",
                lines.len()
            )));
        };
        let origin = NoteName::new(*origin)
            .map_err(|e| CheckpointError::malformed(format!("origin line: {e}")))?;
        let size = parse_decimal(size).ok_or_else(|| {
            CheckpointError::malformed(
                "size line: expected a decimal u64 without sign or leading zero",
            )
        })?;
        let head = keys::decode_base64(head)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                CheckpointError::malformed(
                    "head line: expected canonical standard base64 of 32 bytes",
                )
            })?;
        Checkpoint::new(origin, size, Digest(head))
    }
}

impl VerifiedCheckpoint {
    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The key whose signature verified, `<name>+<hex id>`.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }
}

/// Parses a signed checkpoint and verifies it: strict framing and body, a signature line by
/// `verifier` (same name and id; lines by other keys are ignored, as C2SP requires) that
/// verifies over exactly the body, and the expected origin. Never panics.
pub fn open_checkpoint(
    bytes: &[u8],
    verifier: &VerifierKey,
    expected_origin: &NoteName,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let note = note::parse(bytes).map_err(CheckpointError::malformed)?;
    let checkpoint = Checkpoint::parse_body(note.text)?;
    let keyid = verifier.keyid();
    let Some(line) = note
        .signatures
        .iter()
        .find(|s| s.name == verifier.name().as_str() && s.id == verifier.id())
    else {
        let found: Vec<String> = note
            .signatures
            .iter()
            .map(|s| format!("`{}+{}`", s.name, s.id))
            .collect();
        return Err(CheckpointError::UnknownKey {
            keyid,
            found: found.join(", "),
        });
    };
    if !verifier.verify(note.text.as_bytes(), &line.signature) {
        return Err(CheckpointError::SignatureInvalid { keyid });
    }
    if &checkpoint.origin != expected_origin {
        return Err(CheckpointError::OriginMismatch {
            expected: expected_origin.to_string(),
            found: checkpoint.origin.to_string(),
        });
    }
    Ok(VerifiedCheckpoint { checkpoint, keyid })
}

/// Checks a ledger against a verified checkpoint (`docs/ledger-format.md` §8.4): the ledger
/// verifies as a chain, starts at genesis, holds the entry at index `size − 1`, and that
/// entry's ledger hash is the checkpoint's head. Entries after it are allowed (the ledger grew)
/// and counted.
pub fn check_ledger_against_checkpoint(
    ledger: &RuntimeRiskLedgerArtifact,
    checkpoint: &VerifiedCheckpoint,
) -> Result<CheckpointCoverage, CheckpointError> {
    chain_verifies(ledger)?;
    let anchor = ledger.anchor;
    // INVARIANT (genesis-anchored): only a chain from genesis ties entry `i` to seq `i`; an
    // anchor elsewhere is a claim the file makes about itself.
    if anchor.first_seq != 0 || anchor.prev_ledger_hash != Digest::GENESIS {
        return Err(CheckpointError::HeadUnproven {
            first_seq: anchor.first_seq,
            prev_ledger_hash: anchor.prev_ledger_hash,
        });
    }
    let cp = &checkpoint.checkpoint;
    let held = u64::try_from(ledger.entries.len()).unwrap_or(u64::MAX);
    let Some(index) = cp.size.checked_sub(1) else {
        // Size 0 pins only genesis, which the anchor is.
        return Ok(CheckpointCoverage {
            covered: 0,
            after: held,
        });
    };
    let entry = usize::try_from(index)
        .ok()
        .and_then(|i| ledger.entries.get(i))
        .ok_or(CheckpointError::TailCut {
            checkpoint_size: cp.size,
            ledger_size: held,
        })?;
    if entry.ledger_hash != cp.head {
        return Err(CheckpointError::HeadMismatch {
            index,
            expected: cp.head,
            found: entry.ledger_hash,
        });
    }
    Ok(CheckpointCoverage {
        covered: cp.size,
        after: held.saturating_sub(cp.size),
    })
}

/// Checks a span of a ledger — an evidence bundle's, which starts wherever its scope starts —
/// against a checkpoint: the span holds the entry at index `size − 1` (by seq) with the
/// checkpoint's head hash. The span's own chain must have been verified by the caller; then
/// every entry of the span up to that one is pinned by the signature.
pub fn check_span_against_checkpoint(
    entries: &[crate::entry::LedgerEntry],
    checkpoint: &Checkpoint,
) -> Result<(), CheckpointError> {
    let Some(index) = checkpoint.size.checked_sub(1) else {
        return Err(CheckpointError::malformed(
            "a checkpoint of 0 entries pins no entry of a span",
        ));
    };
    let held = entries.last().map_or(0, |e| e.seq.saturating_add(1));
    if let Some(first) = entries.first().filter(|e| e.seq > index) {
        // The checkpoint is older than the span: it pins nothing the span holds.
        return Err(CheckpointError::HeadUnproven {
            first_seq: first.seq,
            prev_ledger_hash: first.prev_ledger_hash,
        });
    }
    let entry = entries
        .iter()
        .find(|e| e.seq == index)
        .ok_or(CheckpointError::TailCut {
            checkpoint_size: checkpoint.size,
            ledger_size: held,
        })?;
    if entry.ledger_hash != checkpoint.head {
        return Err(CheckpointError::HeadMismatch {
            index,
            expected: checkpoint.head,
            found: entry.ledger_hash,
        });
    }
    Ok(())
}

fn chain_verifies(ledger: &RuntimeRiskLedgerArtifact) -> Result<(), CheckpointError> {
    let report = verify_runtime_risk_ledger_artifact(ledger);
    if report.valid {
        return Ok(());
    }
    let codes: Vec<&str> = report
        .errors
        .iter()
        .take(3)
        .map(|e| e.code.as_str())
        .collect();
    Err(CheckpointError::LedgerInvalid {
        reason: format!(
            "`{}` errors, first invalid index `{}` ({}{})",
            report.errors.len(),
            crate::verify::or_none(report.first_invalid_index),
            codes.join(", "),
            if report.errors.len() > codes.len() {
                ", …"
            } else {
                ""
            }
        ),
    })
}

/// ASCII decimal without sign or leading zero (`0` alone is zero), within u64.
fn parse_decimal(text: &str) -> Option<u64> {
    let canonical = match text.as_bytes() {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if canonical {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
