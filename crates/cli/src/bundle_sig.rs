//! The signed parts of a bundle under `hostguard bundle verify --pubkey P` (repeatable): the
//! embedded checkpoint of the source ledger (`docs/evidence-format.md` §2.6). The envelope's
//! DSSE signature is `envelope_cmd`'s.

use std::fmt::Write as _;

use hostguard_manager::{
    verify_bundle_checkpoint, Checkpoint, CheckpointErrorCode, IncidentEvidenceBundle, VerifierKey,
};
use serde::Serialize;

/// What the keys found of a bundle's embedded checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct BundleCheckpointVerdict {
    /// The bundle carries a checkpoint.
    pub present: bool,
    /// One of the keys signed it, and the span holds the entry it pins with its hash.
    pub valid: bool,
    /// Why not.
    pub code: Option<CheckpointErrorCode>,
    /// The error message.
    pub message: Option<String>,
    /// The key whose signature verified, `<name>+<hex id>`.
    pub keyid: Option<String>,
    /// Entries it pins (the span is vouched for up to seq `size − 1`).
    pub size: Option<u64>,
}

/// Checks the embedded checkpoint with each key until one verifies it.
pub fn check(bundle: &IncidentEvidenceBundle, keys: &[VerifierKey]) -> BundleCheckpointVerdict {
    let mut verdict = BundleCheckpointVerdict {
        present: bundle.checkpoint.is_some(),
        valid: false,
        code: None,
        message: None,
        keyid: None,
        size: None,
    };
    for key in keys {
        match verify_bundle_checkpoint(bundle, key) {
            Ok(Some(v)) => {
                verdict.valid = true;
                verdict.keyid = Some(v.keyid().to_owned());
                verdict.size = Some(Checkpoint::size(v.checkpoint()));
                verdict.code = None;
                verdict.message = None;
                return verdict;
            }
            Ok(None) => break,
            Err(e) if verdict.code.is_none() => {
                verdict.code = Some(e.code());
                verdict.message = Some(e.to_string());
            }
            Err(_) => {}
        }
    }
    verdict
}

/// One line.
pub fn render(v: &BundleCheckpointVerdict) -> String {
    let mut out = String::new();
    let _ = match (v.present, v.valid, v.code) {
        (false, _, _) => writeln!(out, "checkpoint: none embedded"),
        (true, true, _) => writeln!(
            out,
            "checkpoint: valid, signed by `{}`: the ledger span is vouched for up to seq {} \
             (the other sections are bound by the bundle hash, which no key signs: sign the \
             bundle with `bundle export --dsse --key`)",
            v.keyid.as_deref().unwrap_or_default(),
            v.size.unwrap_or_default().saturating_sub(1)
        ),
        (true, false, Some(code)) => writeln!(
            out,
            "checkpoint: INVALID: {}: {}",
            code.as_str(),
            v.message.as_deref().unwrap_or_default()
        ),
        (true, false, None) => writeln!(out, "checkpoint: NOT CHECKED (no --pubkey)"),
    };
    out
}
