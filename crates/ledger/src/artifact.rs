//! [`RuntimeRiskLedgerArtifact`]: the exported ledger (docs/design.md §5 "Artifact").

use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::entry::LedgerEntry;
use crate::exact::{from_json_exactly, ExactJsonError};

/// The schema string of [`RuntimeRiskLedgerArtifact`].
pub const RUNTIME_RISK_LEDGER_SCHEMA: &str = "hostguard.runtime_risk_ledger.v1";

/// An exported ledger: the retained (or bundled) entries between an anchor and a head
/// checkpoint. Its JSON round-trips bit-exactly, floats included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuntimeRiskLedgerArtifact {
    /// Always [`RUNTIME_RISK_LEDGER_SCHEMA`].
    #[cfg_attr(feature = "schema", schemars(extend("const" = RUNTIME_RISK_LEDGER_SCHEMA)))]
    pub schema: String,
    /// When the artifact was generated (injected clock), in ms.
    pub generated_at_ms: u64,
    /// Where the entries start.
    pub anchor: LedgerAnchor,
    /// Where the entries end.
    pub head: LedgerHead,
    /// The controller configuration in force at the anchor (replay starts from it).
    pub config: RuntimeRiskConfig,
    /// The hysteresis configuration in force at the anchor (replay starts from it).
    pub hysteresis: HysteresisConfig,
    /// The entries, in seq order.
    pub entries: Vec<LedgerEntry>,
}

/// Where an artifact's entries start.
///
/// `evicted_count` entries precede `first_seq` and are not in the artifact (evicted by
/// retention, or outside a bundle's window); it always equals `first_seq`, and
/// `prev_ledger_hash` is genesis exactly when it is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LedgerAnchor {
    /// Seq of the first entry (the next seq when there is none).
    pub first_seq: u64,
    /// `prev_ledger_hash` of the first entry: genesis (zeros) when nothing precedes it.
    pub prev_ledger_hash: Digest,
    /// Entries before the first one.
    pub evicted_count: u64,
}

/// The head checkpoint: pins the tail so truncation is detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LedgerHead {
    /// Seq of the last entry (`None` when there is none).
    pub last_seq: Option<u64>,
    /// Ledger hash of the last entry (the anchor's previous hash when there is none).
    pub last_ledger_hash: Digest,
    /// Number of entries.
    pub entry_count: u64,
}

/// Why an artifact could not be written as JSON ([`RuntimeRiskLedgerArtifact::to_json`];
/// reading reports an [`ExactJsonError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ledger artifact JSON at line {line}, column {column}: {message}")]
pub struct ArtifactParseError {
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What was expected.
    pub message: String,
}

impl RuntimeRiskLedgerArtifact {
    /// An artifact over a contiguous run of entries, with anchor and head derived from them:
    /// the anchor from the first entry (`evicted_count = first_seq`), the head from the last.
    /// An empty run is anchored at genesis.
    pub fn from_entries(
        generated_at_ms: u64,
        config: RuntimeRiskConfig,
        hysteresis: HysteresisConfig,
        entries: Vec<LedgerEntry>,
    ) -> RuntimeRiskLedgerArtifact {
        let anchor = entries.first().map_or(
            LedgerAnchor {
                first_seq: 0,
                prev_ledger_hash: Digest::GENESIS,
                evicted_count: 0,
            },
            |e| LedgerAnchor {
                first_seq: e.seq,
                prev_ledger_hash: e.prev_ledger_hash,
                evicted_count: e.seq,
            },
        );
        let head = LedgerHead {
            last_seq: entries.last().map(|e| e.seq),
            last_ledger_hash: entries
                .last()
                .map_or(anchor.prev_ledger_hash, |e| e.ledger_hash),
            entry_count: entries.len() as u64,
        };
        RuntimeRiskLedgerArtifact {
            schema: RUNTIME_RISK_LEDGER_SCHEMA.to_owned(),
            generated_at_ms,
            anchor,
            head,
            config,
            hysteresis,
            entries,
        }
    }

    /// Parses an artifact from JSON bytes that hold exactly an artifact: a repeated member
    /// name, a member the artifact does not know (at any depth) or a value written in another
    /// form is [`ExactJsonError::NonCanonical`] (`docs/ledger-format.md` §4.1). Parsing checks
    /// shape only; call [`crate::verify_runtime_risk_ledger_artifact`] before trusting the
    /// content.
    pub fn from_json_slice(bytes: &[u8]) -> Result<RuntimeRiskLedgerArtifact, ExactJsonError> {
        from_json_exactly(bytes)
    }

    /// The artifact as compact JSON (fixed field order).
    pub fn to_json(&self) -> Result<String, ArtifactParseError> {
        serde_json::to_string(self).map_err(|e| ArtifactParseError {
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    }
}
