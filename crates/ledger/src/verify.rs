//! [`verify_runtime_risk_ledger_artifact`]: recomputes every digest, link, commitment and
//! checkpoint of an artifact (docs/design.md §5 "Verification", runbook Procedures 1 and 5).
//!
//! The verifier trusts no stored flag and never panics: every finding is an error with an index
//! and a stable code, and the report lists them all.

use std::fmt;

use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
use serde::{Deserialize, Serialize};

use crate::artifact::{LedgerAnchor, RuntimeRiskLedgerArtifact, RUNTIME_RISK_LEDGER_SCHEMA};
use crate::digest::Digest;
use crate::encode::EncodeError;
use crate::entry::{EntryBody, LedgerEntry};
use crate::exact::{ExactJsonError, MalformedJson};
use crate::record::EntryPayload;

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuntimeRiskLedgerVerificationReport {
    /// No error at all.
    pub valid: bool,
    /// Smallest entry index of an error (`entries.len()` when entries are missing at the tail;
    /// `None` when every error is artifact-level, such as a schema mismatch).
    pub first_invalid_index: Option<usize>,
    /// Every error, in the order found.
    pub errors: Vec<LedgerVerifyError>,
    /// Entries in the artifact.
    pub entry_count: usize,
    /// Elided entries.
    pub elided_count: usize,
    /// Entries with at least one redacted field.
    pub redacted_count: usize,
    /// Entries before the anchor, as the anchor states (checked against `first_seq`).
    pub evicted_count: u64,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LedgerVerifyError {
    /// Entry index the error is about (`None` for artifact-level errors).
    pub index: Option<usize>,
    /// Stable code.
    pub code: VerifyErrorCode,
    /// Human-readable detail with the offending values.
    pub message: String,
}

impl fmt::Display for LedgerVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "entry {i}: {}: {}", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// Stable error codes, serialized as snake_case strings. Open set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerifyErrorCode {
    /// `schema` is not `hostguard.runtime_risk_ledger.v1`.
    SchemaMismatch,
    /// The anchor's previous hash contradicts its position (genesis after evictions, or a
    /// non-genesis hash with nothing before it).
    AnchorForged,
    /// `anchor.evicted_count` differs from `anchor.first_seq`.
    AnchorEvictedCountMismatch,
    /// An entry's seq is not `anchor.first_seq + index`.
    SeqMismatch,
    /// An entry's `prev_ledger_hash` is not the previous entry's `ledger_hash` (or the anchor's).
    PrevHashMismatch,
    /// The recomputed body digest differs from the stored one.
    BodyDigestMismatch,
    /// The recomputed ledger hash differs from the stored one.
    LedgerHashMismatch,
    /// A revealed value and salt do not open the commitment.
    CommitmentMismatch,
    /// A float is NaN or infinite.
    NonFiniteFloat,
    /// A string is too long for the encoding, or a disclosed entry has no salt.
    UnencodableBody,
    /// An elided entry carries a timestamp, an extension id or a salt.
    ElidedEntryDisclosesContent,
    /// `head.entry_count` differs from the number of entries.
    HeadEntryCountMismatch,
    /// `head.last_seq` differs from the last entry's seq.
    HeadLastSeqMismatch,
    /// `head.last_ledger_hash` differs from the last entry's ledger hash.
    HeadHashMismatch,
    /// (JSON form) The bytes hold content the artifact does not: a repeated member name or a
    /// member the artifact does not know, at any depth, or a value written in another form.
    /// Nothing else is checked: no digest would cover that content.
    NonCanonicalContent,
}

impl VerifyErrorCode {
    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerifyErrorCode::SchemaMismatch => "schema_mismatch",
            VerifyErrorCode::AnchorForged => "anchor_forged",
            VerifyErrorCode::AnchorEvictedCountMismatch => "anchor_evicted_count_mismatch",
            VerifyErrorCode::SeqMismatch => "seq_mismatch",
            VerifyErrorCode::PrevHashMismatch => "prev_hash_mismatch",
            VerifyErrorCode::BodyDigestMismatch => "body_digest_mismatch",
            VerifyErrorCode::LedgerHashMismatch => "ledger_hash_mismatch",
            VerifyErrorCode::CommitmentMismatch => "commitment_mismatch",
            VerifyErrorCode::NonFiniteFloat => "non_finite_float",
            VerifyErrorCode::UnencodableBody => "unencodable_body",
            VerifyErrorCode::ElidedEntryDisclosesContent => "elided_entry_discloses_content",
            VerifyErrorCode::HeadEntryCountMismatch => "head_entry_count_mismatch",
            VerifyErrorCode::HeadLastSeqMismatch => "head_last_seq_mismatch",
            VerifyErrorCode::HeadHashMismatch => "head_hash_mismatch",
            VerifyErrorCode::NonCanonicalContent => "non_canonical_content",
        }
    }
}

impl fmt::Display for VerifyErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Verifies an artifact: schema, anchor, every entry (seq, link, body digest, ledger hash,
/// commitments, elision), the head checkpoint, and the header's floats. Never panics.
pub fn verify_runtime_risk_ledger_artifact(
    artifact: &RuntimeRiskLedgerArtifact,
) -> RuntimeRiskLedgerVerificationReport {
    let mut errors = Vec::new();
    if artifact.schema != RUNTIME_RISK_LEDGER_SCHEMA {
        push(
            &mut errors,
            None,
            VerifyErrorCode::SchemaMismatch,
            format!(
                "schema is `{}`, expected `{RUNTIME_RISK_LEDGER_SCHEMA}`",
                artifact.schema
            ),
        );
    }
    header_floats(&artifact.config, &artifact.hysteresis, &mut errors);
    check_anchor(artifact.anchor, &mut errors);

    let mut chain = ChainVerifier::new(artifact.anchor.first_seq, artifact.anchor.prev_ledger_hash);
    let mut elided_count = 0usize;
    let mut redacted_count = 0usize;
    for (index, entry) in artifact.entries.iter().enumerate() {
        chain.check(index, entry, &mut errors);
        if entry.is_elided() {
            elided_count += 1;
        }
        if entry.is_redacted() {
            redacted_count += 1;
        }
    }
    check_head(artifact, &mut errors);

    RuntimeRiskLedgerVerificationReport {
        valid: errors.is_empty(),
        first_invalid_index: errors.iter().filter_map(|e| e.index).min(),
        errors,
        entry_count: artifact.entries.len(),
        elided_count,
        redacted_count,
        evicted_count: artifact.anchor.evicted_count,
    }
}

/// Parses and verifies an artifact from the bytes as read
/// ([`RuntimeRiskLedgerArtifact::from_json_slice`]). Bytes that hold more than an artifact give
/// a report with one artifact-level `non_canonical_content` error (`docs/ledger-format.md`
/// §4.1); others the report of [`verify_runtime_risk_ledger_artifact`]. `Err` only when the
/// bytes are not an artifact at all. Never panics.
pub fn verify_runtime_risk_ledger_artifact_json(
    bytes: &[u8],
) -> Result<RuntimeRiskLedgerVerificationReport, MalformedJson> {
    match RuntimeRiskLedgerArtifact::from_json_slice(bytes) {
        Ok(artifact) => Ok(verify_runtime_risk_ledger_artifact(&artifact)),
        Err(ExactJsonError::Malformed(e)) => Err(e),
        Err(ExactJsonError::NonCanonical { message }) => Ok(RuntimeRiskLedgerVerificationReport {
            valid: false,
            first_invalid_index: None,
            errors: vec![LedgerVerifyError {
                index: None,
                code: VerifyErrorCode::NonCanonicalContent,
                message,
            }],
            entry_count: 0,
            elided_count: 0,
            redacted_count: 0,
            evicted_count: 0,
        }),
    }
}

/// Checks entries one at a time against the chain so far (shared by the artifact verifier and
/// the durable file's open).
pub(crate) struct ChainVerifier {
    first_seq: u64,
    prev: Digest,
    buf: Vec<u8>,
}

impl ChainVerifier {
    pub(crate) fn new(first_seq: u64, prev: Digest) -> ChainVerifier {
        ChainVerifier {
            first_seq,
            prev,
            buf: Vec::with_capacity(512),
        }
    }

    /// Checks the entry at `index` and advances; returns whether it added an error.
    pub(crate) fn check(
        &mut self,
        index: usize,
        entry: &LedgerEntry,
        errors: &mut Vec<LedgerVerifyError>,
    ) -> bool {
        let before = errors.len();
        let mut err = |code, message: String| push(errors, Some(index), code, message);
        self.check_link(index, entry, &mut err);
        match &entry.body {
            EntryBody::Elided => check_elided(entry, &mut err),
            EntryBody::Full(payload) => self.check_full(entry, payload, &mut err),
        }
        let recomputed = entry.recompute_ledger_hash();
        if recomputed != entry.ledger_hash {
            err(
                VerifyErrorCode::LedgerHashMismatch,
                format!(
                    "ledger_hash `{}`, recomputed `{recomputed}`",
                    entry.ledger_hash
                ),
            );
        }
        // The next entry links to this one's stored hash: a wrong stored hash is reported here
        // and again as the next entry's prev mismatch.
        self.prev = entry.ledger_hash;
        errors.len() > before
    }

    /// The entry's place in the chain: its seq and the hash it links to.
    fn check_link(
        &self,
        index: usize,
        entry: &LedgerEntry,
        err: &mut impl FnMut(VerifyErrorCode, String),
    ) {
        let expected_seq = u64::try_from(index)
            .ok()
            .and_then(|i| self.first_seq.checked_add(i));
        if expected_seq != Some(entry.seq) {
            err(
                VerifyErrorCode::SeqMismatch,
                format!("seq `{}`, expected `{}`", entry.seq, or_none(expected_seq)),
            );
        }
        if entry.prev_ledger_hash != self.prev {
            err(
                VerifyErrorCode::PrevHashMismatch,
                format!(
                    "prev_ledger_hash `{}`, expected `{}`",
                    entry.prev_ledger_hash, self.prev
                ),
            );
        }
    }

    /// A full body: its digest recomputes and every revealed value opens its commitment.
    fn check_full(
        &mut self,
        entry: &LedgerEntry,
        payload: &EntryPayload,
        err: &mut impl FnMut(VerifyErrorCode, String),
    ) {
        match entry.recompute_body_digest(&mut self.buf) {
            Ok(Some(digest)) if digest == entry.body_digest => {}
            Ok(Some(digest)) => err(
                VerifyErrorCode::BodyDigestMismatch,
                format!("body_digest `{}`, recomputed `{digest}`", entry.body_digest),
            ),
            // Unreachable for a full body; fail closed anyway.
            Ok(None) => err(
                VerifyErrorCode::BodyDigestMismatch,
                "body digest could not be recomputed".to_owned(),
            ),
            Err(e @ EncodeError::NonFinite { .. }) => {
                err(VerifyErrorCode::NonFiniteFloat, e.to_string());
            }
            Err(e @ (EncodeError::TooLong { .. } | EncodeError::MissingSalt)) => {
                err(VerifyErrorCode::UnencodableBody, e.to_string());
            }
        }
        for (field, c) in payload.commitments() {
            if !c.opens() {
                err(
                    VerifyErrorCode::CommitmentMismatch,
                    format!(
                        "revealed `{}` does not open commitment `{}`",
                        field.as_str(),
                        c.commitment()
                    ),
                );
            }
        }
    }
}

/// An elided entry discloses nothing: no timestamp, extension or salt.
fn check_elided(entry: &LedgerEntry, err: &mut impl FnMut(VerifyErrorCode, String)) {
    if entry.ts_ms != 0 || entry.extension_id.is_some() || entry.salt.is_some() {
        err(
            VerifyErrorCode::ElidedEntryDisclosesContent,
            format!(
                "elided entry carries ts_ms `{}` / extension_id `{:?}` / a salt: `{}` \
                 (must be 0 / none / none)",
                entry.ts_ms,
                entry.extension_id,
                entry.salt.is_some()
            ),
        );
    }
}

fn push(
    errors: &mut Vec<LedgerVerifyError>,
    index: Option<usize>,
    code: VerifyErrorCode,
    message: String,
) {
    errors.push(LedgerVerifyError {
        index,
        code,
        message,
    });
}

/// The anchor's own consistency: evicted_count equals first_seq, and the previous hash is
/// genesis exactly when nothing precedes the first entry.
fn check_anchor(anchor: LedgerAnchor, errors: &mut Vec<LedgerVerifyError>) {
    if anchor.evicted_count != anchor.first_seq {
        push(
            errors,
            Some(0),
            VerifyErrorCode::AnchorEvictedCountMismatch,
            format!(
                "anchor evicted_count `{}` differs from first_seq `{}`",
                anchor.evicted_count, anchor.first_seq
            ),
        );
    }
    let genesis = anchor.prev_ledger_hash == Digest::GENESIS;
    if (anchor.evicted_count == 0) != genesis || (anchor.first_seq == 0) != genesis {
        push(
            errors,
            Some(0),
            VerifyErrorCode::AnchorForged,
            format!(
                "anchor prev_ledger_hash `{}` contradicts first_seq `{}` / evicted_count `{}` \
                 (genesis exactly when nothing precedes the first entry)",
                anchor.prev_ledger_hash, anchor.first_seq, anchor.evicted_count
            ),
        );
    }
}

/// The head checkpoint against the entries present: count, last seq, last hash.
fn check_head(artifact: &RuntimeRiskLedgerArtifact, errors: &mut Vec<LedgerVerifyError>) {
    let len = artifact.entries.len();
    let head = artifact.head;
    let count_matches = u64::try_from(len).is_ok_and(|l| l == head.entry_count);
    // Where the tail stops matching the checkpoint: the first missing position when entries
    // were cut, the first extra one when entries were added, else the last entry.
    let head_index = match usize::try_from(head.entry_count) {
        Ok(count) if count > len => len,
        Ok(count) if count < len => count,
        Ok(_) => len.saturating_sub(1),
        // More entries claimed than any memory holds: they are missing at the tail.
        Err(_) => len,
    };
    if !count_matches {
        push(
            errors,
            Some(head_index),
            VerifyErrorCode::HeadEntryCountMismatch,
            format!(
                "head entry_count `{}` differs from the `{len}` entries present",
                head.entry_count
            ),
        );
    }
    let last_seq = artifact.entries.last().map(|e| e.seq);
    if head.last_seq != last_seq {
        push(
            errors,
            Some(head_index),
            VerifyErrorCode::HeadLastSeqMismatch,
            format!(
                "head last_seq `{}` differs from the last entry's seq `{}`",
                or_none(head.last_seq),
                or_none(last_seq)
            ),
        );
    }
    let last_hash = artifact
        .entries
        .last()
        .map_or(artifact.anchor.prev_ledger_hash, |e| e.ledger_hash);
    if head.last_ledger_hash != last_hash {
        push(
            errors,
            Some(head_index),
            VerifyErrorCode::HeadHashMismatch,
            format!(
                "head last_ledger_hash `{}` differs from the last entry's `{last_hash}`",
                head.last_ledger_hash
            ),
        );
    }
}

fn header_floats(
    config: &RuntimeRiskConfig,
    hysteresis: &HysteresisConfig,
    errors: &mut Vec<LedgerVerifyError>,
) {
    let floats = [
        ("config.alpha", config.alpha),
        ("config.de_escalation_margin", config.de_escalation_margin),
        ("hysteresis.bands.harden", hysteresis.bands.harden),
        ("hysteresis.bands.prompt", hysteresis.bands.prompt),
        ("hysteresis.bands.deny", hysteresis.bands.deny),
        ("hysteresis.bands.terminate", hysteresis.bands.terminate),
        (
            "hysteresis.de_escalation_margin",
            hysteresis.de_escalation_margin,
        ),
    ];
    for (field, value) in floats {
        if !value.is_finite() {
            errors.push(LedgerVerifyError {
                index: None,
                code: VerifyErrorCode::NonFiniteFloat,
                message: format!("header field `{field}` is not finite (`{value}`)"),
            });
        }
    }
}

/// An optional number for a message: the number, or `none`.
pub(crate) fn or_none<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| v.to_string())
}
