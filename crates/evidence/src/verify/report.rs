//! What a bundle verification reports: [`IncidentBundleVerificationReport`], its
//! [`BundleVerifyError`]s and their stable [`BundleVerifyErrorCode`]s
//! (`docs/evidence-format.md` §6).

use std::fmt;

use hostguard_ledger::{Digest, RuntimeRiskLedgerVerificationReport};
use serde::{Deserialize, Serialize};

/// What a bundle verification found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IncidentBundleVerificationReport {
    /// No error at all.
    pub valid: bool,
    /// Every error, in the order found.
    pub errors: Vec<BundleVerifyError>,
    /// Whether the embedded ledger verifies (recomputed, never read from the summary) *and*
    /// `source_ledger` records a source ledger that verified when the bundle was built.
    pub ledger_chain_intact: bool,
    /// The embedded ledger's own report (`None` when the bytes did not parse).
    pub ledger: Option<RuntimeRiskLedgerVerificationReport>,
    /// Whether every summary field equals its recomputation.
    pub summary_consistent: bool,
    /// Whether every record and disclosed ledger entry lies within the bundle's filter.
    pub within_filter: bool,
    /// Whether every field the redaction policy names is redacted.
    pub redaction_applied: bool,
    /// The stored hash (all zeros when the bytes did not parse).
    pub bundle_hash: Digest,
    /// The hash recomputed from the content (all zeros when it could not be computed).
    pub recomputed_hash: Digest,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BundleVerifyError {
    /// Stable code.
    pub code: BundleVerifyErrorCode,
    /// Human-readable detail with the offending values.
    pub message: String,
}

impl fmt::Display for BundleVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Stable error codes, serialized as snake_case strings. Open set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BundleVerifyErrorCode {
    /// The bytes are not JSON of a bundle's shape.
    ParseError,
    /// The JSON holds content the bundle does not — a repeated member name or a member the
    /// bundle does not know, at any depth, or a value written in another form — so the hash
    /// would not cover it.
    NonCanonicalContent,
    /// `schema` is not `hostguard.incident_evidence_bundle.v1`.
    SchemaMismatch,
    /// The embedded ledger does not verify (the message carries the ledger's own code).
    LedgerInvalid,
    /// The bundle's `source_ledger` records that the source ledger did not verify when the
    /// bundle was built (or the record contradicts itself): the span's elided entries cannot
    /// be vouched for.
    SourceLedgerInvalid,
    /// A summary field differs from its recomputation.
    SummaryMismatch,
    /// A record or disclosed ledger entry lies outside the bundle's filter.
    RecordOutsideFilter,
    /// A field the redaction policy names is not redacted.
    RedactionNotApplied,
    /// The ledger section's first or last entry is elided: the span runs from the first
    /// in-scope entry to the last, so both ends are disclosed.
    LedgerSpanMismatch,
    /// A record float is NaN or infinite.
    NonFiniteFloat,
    /// The stored bundle hash differs from the recomputed one.
    BundleHashMismatch,
    /// The hash could not be recomputed.
    HashUncomputable,
    /// The embedded checkpoint does not parse, or the span does not hold the entry it pins
    /// with the hash it pins (checked without a key; the signature needs the signer's key).
    CheckpointMismatch,
}

impl BundleVerifyErrorCode {
    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            BundleVerifyErrorCode::ParseError => "parse_error",
            BundleVerifyErrorCode::NonCanonicalContent => "non_canonical_content",
            BundleVerifyErrorCode::SchemaMismatch => "schema_mismatch",
            BundleVerifyErrorCode::LedgerInvalid => "ledger_invalid",
            BundleVerifyErrorCode::SourceLedgerInvalid => "source_ledger_invalid",
            BundleVerifyErrorCode::SummaryMismatch => "summary_mismatch",
            BundleVerifyErrorCode::RecordOutsideFilter => "record_outside_filter",
            BundleVerifyErrorCode::RedactionNotApplied => "redaction_not_applied",
            BundleVerifyErrorCode::LedgerSpanMismatch => "ledger_span_mismatch",
            BundleVerifyErrorCode::NonFiniteFloat => "non_finite_float",
            BundleVerifyErrorCode::BundleHashMismatch => "bundle_hash_mismatch",
            BundleVerifyErrorCode::HashUncomputable => "hash_uncomputable",
            BundleVerifyErrorCode::CheckpointMismatch => "checkpoint_mismatch",
        }
    }
}

impl fmt::Display for BundleVerifyErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
