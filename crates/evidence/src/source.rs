//! [`SourceLedgerStatus`]: what verifying the *source* ledger found when the bundle was built
//! (`docs/evidence-format.md` §2.4).
//!
//! An elided entry keeps only its stored digests, so a bundle's ledger span can verify while
//! the source it was cut from does not: a tampered entry of another extension, or one moved
//! out of the time window, would be elided and vanish. The builder therefore verifies the
//! source once and records the outcome in the bundle, under the bundle hash; a bundle whose
//! source did not verify is never `valid`. Building still succeeds — runbook Procedure 5 wants
//! a corrupted ledger exported as evidence — and the record says why it is not valid.

use std::fmt::Write as _;

use hostguard_ledger::{RuntimeRiskLedgerVerificationReport, VerifyErrorCode};
use serde::{Deserialize, Serialize};

/// How many of the source ledger's errors a bundle lists (the count is always exact).
pub const SOURCE_LEDGER_ERRORS_LISTED: usize = 8;

/// The outcome of verifying the source ledger at build time. Codes and indices only: an error
/// message could quote content of an entry the bundle elides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SourceLedgerStatus {
    /// Whether the source ledger verified.
    pub valid: bool,
    /// Entries in the source ledger.
    pub entry_count: u64,
    /// Smallest source entry index of an error (`None` when valid or when every error is
    /// artifact-level).
    pub first_invalid_index: Option<u64>,
    /// How many errors the source verification found.
    pub error_count: u64,
    /// The first [`SOURCE_LEDGER_ERRORS_LISTED`] errors, in the order found.
    pub errors: Vec<SourceLedgerError>,
}

/// One error of the source ledger's verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SourceLedgerError {
    /// Source entry index (`None` for an artifact-level error).
    pub index: Option<u64>,
    /// The ledger verifier's stable code.
    pub code: VerifyErrorCode,
}

impl SourceLedgerStatus {
    /// Records a source ledger's verification report.
    pub fn from_report(report: &RuntimeRiskLedgerVerificationReport) -> SourceLedgerStatus {
        SourceLedgerStatus {
            valid: report.valid,
            entry_count: report.entry_count as u64,
            first_invalid_index: report.first_invalid_index.map(|i| i as u64),
            error_count: report.errors.len() as u64,
            errors: report
                .errors
                .iter()
                .take(SOURCE_LEDGER_ERRORS_LISTED)
                .map(|e| SourceLedgerError {
                    index: e.index.map(|i| i as u64),
                    code: e.code,
                })
                .collect(),
        }
    }

    /// `Ok` when the record vouches for the source: it verified, and the record is consistent
    /// with itself and with a ledger span of `span_len` entries cut from it. Otherwise why not.
    /// A record that contradicts itself fails closed.
    pub(crate) fn vouches(&self, span_len: usize) -> Result<(), String> {
        if !self.valid {
            return Err(self.describe_failure());
        }
        if self.error_count != 0 || !self.errors.is_empty() || self.first_invalid_index.is_some() {
            return Err(format!(
                "source_ledger says `valid` but records `{}` errors (`{}` listed) and first invalid \
                 index `{:?}`",
                self.error_count,
                self.errors.len(),
                self.first_invalid_index
            ));
        }
        if span_len as u64 > self.entry_count {
            return Err(format!(
                "the ledger span holds `{span_len}` entries, more than the `{}` of the source it \
                 was cut from",
                self.entry_count
            ));
        }
        Ok(())
    }

    fn describe_failure(&self) -> String {
        let mut m = format!(
            "the source ledger did not verify when the bundle was built (`{}` errors",
            self.error_count
        );
        if let Some(i) = self.first_invalid_index {
            let _ = write!(m, ", first at entry `{i}`");
        }
        m.push(')');
        for (n, e) in self.errors.iter().enumerate() {
            m.push_str(if n == 0 { ": " } else { ", " });
            match e.index {
                Some(i) => {
                    let _ = write!(m, "entry {i}: {}", e.code);
                }
                None => {
                    let _ = write!(m, "{}", e.code);
                }
            }
        }
        m.push_str("; elided entries keep only their digests, so the span cannot vouch for them");
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(valid: bool, errors: u64, listed: usize, first: Option<u64>) -> SourceLedgerStatus {
        SourceLedgerStatus {
            valid,
            entry_count: 3,
            first_invalid_index: first,
            error_count: errors,
            errors: (0..listed)
                .map(|i| SourceLedgerError {
                    index: Some(i as u64),
                    code: VerifyErrorCode::BodyDigestMismatch,
                })
                .collect(),
        }
    }

    fn check(s: SourceLedgerStatus, span_len: usize, vouches: bool) {
        assert_eq!(
            s.vouches(span_len).is_ok(),
            vouches,
            "{s:?} span {span_len}"
        );
    }

    #[test]
    fn vouches_only_for_a_consistent_valid_record() {
        check(status(true, 0, 0, None), 3, true);
        check(status(true, 0, 0, None), 0, true);
        check(status(true, 0, 0, None), 4, false);
        check(status(true, 1, 1, Some(0)), 3, false);
        check(status(true, 0, 1, None), 3, false);
        check(status(true, 0, 0, Some(0)), 3, false);
        check(status(false, 1, 1, Some(0)), 3, false);
        check(status(false, 0, 0, None), 3, false);
    }

    #[test]
    fn the_failure_names_count_first_index_and_codes() {
        let m = status(false, 9, 2, Some(0)).vouches(0).unwrap_err();
        assert!(
            m.contains("`9` errors, first at entry `0`): entry 0: body_digest_mismatch, entry 1"),
            "{m}"
        );
    }
}
