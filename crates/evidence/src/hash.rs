//! The bundle hash (`docs/evidence-format.md` §3): SHA-256 over a domain tag and the RFC 8785
//! canonical JSON of every field of the bundle except `bundle_hash` itself.
//!
//! The canonical bytes are streamed into the hasher one record at a time, so hashing a bundle
//! of 100 000 entries never holds its whole JSON in memory. A test checks that the streamed
//! bytes equal the canonical encoding of the whole bundle's JSON value.

use std::fmt;

use hostguard_ledger::{Digest, RuntimeRiskLedgerArtifact};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::bundle::IncidentEvidenceBundle;
use crate::canonical::{write_canonical, write_string};
use crate::error::EvidenceError;

/// The first byte of every hash this crate computes, distinct from the ledger's tags
/// (`hostguard_ledger::DomainTag`, 0x00–0x02) so no evidence hash can be confused with a
/// ledger digest, link or commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EvidenceDomainTag {
    /// `bundle_hash = SHA-256(0x10 ‖ canonical_json(bundle without bundle_hash))`.
    BundleHash = 0x10,
}

impl EvidenceDomainTag {
    /// Every tag.
    pub const ALL: [EvidenceDomainTag; 1] = [EvidenceDomainTag::BundleHash];

    /// The tag byte.
    pub const fn byte(self) -> u8 {
        self as u8
    }
}

/// Recomputes the bundle hash from the bundle's content (the stored `bundle_hash` is ignored).
pub(crate) fn compute_bundle_hash(
    bundle: &IncidentEvidenceBundle,
) -> Result<Digest, EvidenceError> {
    let mut sink = HashSink::new();
    sink.hasher.update([EvidenceDomainTag::BundleHash.byte()]);
    write_bundle_canonical(bundle, &mut sink)?;
    Ok(Digest(sink.hasher.finalize().into()))
}

/// The canonical JSON the hash covers, as one string (docs, tests, third-party checks).
pub fn canonical_bundle_json(bundle: &IncidentEvidenceBundle) -> Result<String, EvidenceError> {
    let mut out = String::new();
    write_bundle_canonical(bundle, &mut out)?;
    Ok(out)
}

/// A `fmt::Write` that feeds SHA-256.
struct HashSink {
    hasher: Sha256,
}

impl HashSink {
    fn new() -> HashSink {
        HashSink {
            hasher: Sha256::new(),
        }
    }
}

impl fmt::Write for HashSink {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.hasher.update(s.as_bytes());
        Ok(())
    }
}

/// One member of a canonical object, written lazily.
trait Member<W: fmt::Write> {
    fn write(&self, out: &mut W) -> Result<(), EvidenceError>;
}

/// A value converted to `serde_json::Value` as a whole.
struct One<'a, T>(&'a T);

/// An array whose elements are converted one at a time.
struct Seq<'a, T>(&'a [T]);

/// The ledger artifact: its entries array streamed.
struct Ledger<'a>(&'a RuntimeRiskLedgerArtifact);

impl<W: fmt::Write, T: Serialize> Member<W> for One<'_, T> {
    fn write(&self, out: &mut W) -> Result<(), EvidenceError> {
        let value = serde_json::to_value(self.0).map_err(EvidenceError::json)?;
        write_canonical(&value, out).map_err(EvidenceError::fmt)
    }
}

impl<W: fmt::Write, T: Serialize> Member<W> for Seq<'_, T> {
    fn write(&self, out: &mut W) -> Result<(), EvidenceError> {
        out.write_char('[').map_err(EvidenceError::fmt)?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                out.write_char(',').map_err(EvidenceError::fmt)?;
            }
            One(item).write(out)?;
        }
        out.write_char(']').map_err(EvidenceError::fmt)
    }
}

impl<W: fmt::Write> Member<W> for Ledger<'_> {
    fn write(&self, out: &mut W) -> Result<(), EvidenceError> {
        let a = self.0;
        write_object(
            out,
            vec![
                ("schema", &One(&a.schema)),
                ("generated_at_ms", &One(&a.generated_at_ms)),
                ("anchor", &One(&a.anchor)),
                ("head", &One(&a.head)),
                ("config", &One(&a.config)),
                ("hysteresis", &One(&a.hysteresis)),
                ("entries", &Seq(&a.entries)),
            ],
        )
    }
}

fn write_bundle_canonical<W: fmt::Write>(
    b: &IncidentEvidenceBundle,
    out: &mut W,
) -> Result<(), EvidenceError> {
    // Every field but `bundle_hash`; `hash::tests` checks this list against the serde fields.
    write_object(
        out,
        vec![
            ("schema", &One(&b.schema)),
            ("generated_at_ms", &One(&b.generated_at_ms)),
            ("filter", &One(&b.filter)),
            ("redaction", &One(&b.redaction)),
            ("ledger", &Ledger(&b.ledger)),
            ("alerts", &Seq(&b.alerts)),
            ("telemetry", &Seq(&b.telemetry)),
            ("exec_mediation", &Seq(&b.exec_mediation)),
            ("secret_broker", &Seq(&b.secret_broker)),
            ("quota_breaches", &Seq(&b.quota_breaches)),
            ("rollout", &One(&b.rollout)),
            ("trust", &Seq(&b.trust)),
            ("summary", &One(&b.summary)),
        ],
    )
}

/// Writes `{"k":v,...}` with members sorted by key (ASCII keys: UTF-16 order is byte order).
fn write_object<W: fmt::Write>(
    out: &mut W,
    mut members: Vec<(&'static str, &dyn Member<W>)>,
) -> Result<(), EvidenceError> {
    members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.write_char('{').map_err(EvidenceError::fmt)?;
    for (i, (key, member)) in members.into_iter().enumerate() {
        if i > 0 {
            out.write_char(',').map_err(EvidenceError::fmt)?;
        }
        write_string(key, out).map_err(EvidenceError::fmt)?;
        out.write_char(':').map_err(EvidenceError::fmt)?;
        member.write(out)?;
    }
    out.write_char('}').map_err(EvidenceError::fmt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostguard_ledger::DomainTag;

    #[test]
    fn evidence_tags_collide_with_no_tag_of_ours_or_the_ledgers() {
        let mut bytes: Vec<u8> = EvidenceDomainTag::ALL.iter().map(|t| t.byte()).collect();
        bytes.extend(DomainTag::ALL.iter().map(|t| t.byte()));
        let n = bytes.len();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), n, "domain tags collide");
        assert_eq!(EvidenceDomainTag::BundleHash.byte(), 0x10);
    }
}
