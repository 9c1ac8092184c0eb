//! One link of the chain: [`LedgerEntry`], its body, and the redacted / elided views that
//! evidence bundles disclose (docs/design.md §5, §6).

use serde::{Deserialize, Serialize};

use crate::digest::{body_digest, ledger_hash, Digest, Salt};
use crate::encode::{encode_body, EncodeError};
use crate::record::{DecisionRecord, EntryPayload, RedactableField};

/// One entry of the ledger.
///
/// `body_digest = SHA-256(0x00 ‖ encode(seq, ts_ms, extension_id, payload))` and
/// `ledger_hash = SHA-256(0x01 ‖ prev_ledger_hash ‖ body_digest)` (`docs/ledger-format.md`).
/// An elided entry discloses only `seq`, `prev_ledger_hash`, `body_digest` and `ledger_hash`;
/// its `ts_ms` is 0 and its `extension_id` is `None`, and a verifier refuses anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// Position in the global chain: gap-free, from 0.
    pub seq: u64,
    /// When the entry was written (injected clock), in ms.
    pub ts_ms: u64,
    /// The extension the entry is about; `None` for global control events and elided entries.
    pub extension_id: Option<String>,
    /// The payload, or `elided`.
    pub body: EntryBody,
    /// The entry's 16-byte random salt, the first field of the encoded body, so that the body
    /// digest of an elided entry cannot be matched against guesses of its content (a
    /// control-plane entry has little entropy). Disclosed with the body; `None` when elided.
    pub salt: Option<Salt>,
    /// `ledger_hash` of the previous entry (32 zero bytes for seq 0).
    pub prev_ledger_hash: Digest,
    /// Digest of the encoded body.
    pub body_digest: Digest,
    /// The chain link.
    pub ledger_hash: Digest,
}

/// The runbook's name for a ledger entry (Procedure 1).
pub type RuntimeRiskLedgerEntry = LedgerEntry;

/// The disclosed content of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryBody {
    /// The payload is disclosed (redactable fields may still be redacted).
    Full(EntryPayload),
    /// Only the digest is disclosed.
    Elided,
}

impl LedgerEntry {
    /// The payload, unless elided.
    pub fn payload(&self) -> Option<&EntryPayload> {
        match &self.body {
            EntryBody::Full(p) => Some(p),
            EntryBody::Elided => None,
        }
    }

    /// The decision record, if this entry is a disclosed decision.
    pub fn decision(&self) -> Option<&DecisionRecord> {
        match self.payload() {
            Some(EntryPayload::Decision(d)) => Some(d),
            Some(_) | None => None,
        }
    }

    /// Whether the body is elided.
    pub fn is_elided(&self) -> bool {
        matches!(self.body, EntryBody::Elided)
    }

    /// Whether any redactable field of the payload has been redacted.
    pub fn is_redacted(&self) -> bool {
        self.payload()
            .is_some_and(|p| p.commitments().any(|(_, c)| c.is_redacted()))
    }

    /// A copy with the named fields' values and salts dropped; the commitments stay, so the
    /// copy verifies exactly as the original (docs/design.md §5). Fields the payload lacks are ignored.
    pub fn redacted(&self, fields: &[RedactableField]) -> LedgerEntry {
        let mut out = self.clone();
        if let EntryBody::Full(payload) = &mut out.body {
            for field in fields {
                if let Some(c) = payload.commitment_mut(*field) {
                    c.redact();
                }
            }
        }
        out
    }

    /// A copy that keeps only `seq`, `prev_ledger_hash`, `body_digest` and `ledger_hash`
    /// (`ts_ms` 0, no extension, body `elided`, no salt): the chain stays continuous and verifiable while
    /// the content is not disclosed (docs/design.md §5).
    pub fn elided(&self) -> LedgerEntry {
        LedgerEntry {
            seq: self.seq,
            ts_ms: 0,
            extension_id: None,
            body: EntryBody::Elided,
            salt: None,
            prev_ledger_hash: self.prev_ledger_hash,
            body_digest: self.body_digest,
            ledger_hash: self.ledger_hash,
        }
    }

    /// Recomputes the body digest of a disclosed entry from its fields (`Ok(None)` when
    /// elided), encoding into `buf`.
    pub fn recompute_body_digest(&self, buf: &mut Vec<u8>) -> Result<Option<Digest>, EncodeError> {
        match &self.body {
            EntryBody::Elided => Ok(None),
            EntryBody::Full(payload) => {
                let salt = self.salt.as_ref().ok_or(EncodeError::MissingSalt)?;
                buf.clear();
                encode_body(
                    buf,
                    salt,
                    self.seq,
                    self.ts_ms,
                    self.extension_id.as_deref(),
                    payload,
                )?;
                Ok(Some(body_digest(buf)))
            }
        }
    }

    /// `SHA-256(0x01 ‖ prev_ledger_hash ‖ body_digest)` over the stored fields.
    pub fn recompute_ledger_hash(&self) -> Digest {
        ledger_hash(&self.prev_ledger_hash, &self.body_digest)
    }
}
