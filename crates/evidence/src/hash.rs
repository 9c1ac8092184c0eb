//! The bundle hash (`docs/evidence-format.md` §3): SHA-256 over a domain tag and the RFC 8785
//! canonical JSON of the bundle's *hashed view*: every field except `bundle_hash` itself, with
//! each ledger entry represented by its [`EntryView`] (its chain hash plus what the chain does
//! not commit to).
//!
//! The canonical bytes are written record by record (`canonical_ser`) into a 64 KiB buffer
//! that is fed to the hasher as it fills, so hashing a bundle of 100 000 entries never holds
//! its whole JSON in memory. A test checks that the bytes equal the canonical encoding of the
//! whole bundle's `serde_json::Value`.

use hostguard_ledger::{Digest, LedgerEntry, RuntimeRiskLedgerArtifact};
use hostguard_risk_core::{DomainTag, TaggedSha256};
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

use crate::canonical::write_string;
use crate::canonical_ser::{append_canonical, key_order, Scratch};
use crate::error::EvidenceError;
use crate::incident::IncidentEvidenceBundle;

/// The evidence crate's name for the one domain-tag enum (`hostguard_risk_core::DomainTag`):
/// the bundle hash is [`DomainTag::BundleHash`] (0x10), distinct from the ledger's tags
/// (0x00–0x02) so no bundle hash can be confused with a ledger digest, link or commitment.
pub use hostguard_risk_core::DomainTag as EvidenceDomainTag;

/// Recomputes the bundle hash from the bundle's content (the stored `bundle_hash` is ignored).
pub(crate) fn compute_bundle_hash(
    bundle: &IncidentEvidenceBundle,
) -> Result<Digest, EvidenceError> {
    let mut out = Out::new(Target::Hash(DomainTag::BundleHash.hasher()));
    write_bundle_canonical(bundle, &mut out)?;
    match out.finish() {
        Target::Hash(h) => Ok(Digest(h.finalize())),
        Target::Text(_) => Err(EvidenceError::Canonical),
    }
}

/// The canonical JSON of the bundle's hashed view — the bytes the hash covers after the tag —
/// as one string (docs, tests, third-party checks).
pub fn canonical_bundle_json(bundle: &IncidentEvidenceBundle) -> Result<String, EvidenceError> {
    let mut out = Out::new(Target::Text(String::new()));
    write_bundle_canonical(bundle, &mut out)?;
    match out.finish() {
        Target::Text(t) => Ok(t),
        Target::Hash(_) => Err(EvidenceError::Canonical),
    }
}

enum Target {
    Hash(TaggedSha256),
    Text(String),
}

/// A buffer drained into the target whenever it passes 64 KiB.
struct Out {
    buf: String,
    scratch: Scratch,
    target: Target,
}

const FLUSH_AT: usize = 1 << 16;

impl Out {
    fn new(target: Target) -> Out {
        Out {
            buf: String::with_capacity(FLUSH_AT * 2),
            scratch: Scratch::default(),
            target,
        }
    }

    fn maybe_flush(&mut self) {
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    fn flush(&mut self) {
        match &mut self.target {
            Target::Hash(h) => h.update(self.buf.as_bytes()),
            Target::Text(t) => t.push_str(&self.buf),
        }
        self.buf.clear();
    }

    fn finish(mut self) -> Target {
        self.flush();
        self.target
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EvidenceError> {
        append_canonical(value, &mut self.buf, &mut self.scratch)
            .map_err(|e| EvidenceError::canonical(&e))?;
        self.maybe_flush();
        Ok(())
    }
}

/// One member of a canonical object, written lazily.
trait Member {
    fn write(&self, out: &mut Out) -> Result<(), EvidenceError>;
}

/// A value written as a whole.
struct One<'a, T>(&'a T);

/// An array written one element at a time.
struct Seq<'a, T>(&'a [T]);

/// The ledger artifact, each entry written as its [`EntryView`].
struct Ledger<'a>(&'a RuntimeRiskLedgerArtifact);

/// What the bundle hash covers of a ledger entry (`docs/evidence-format.md` §3.2): its seq,
/// its `ledger_hash` — which commits, through `body_digest`, to `ts_ms`, `extension_id` and
/// the payload with its commitments, and through `prev_ledger_hash` to the chain — whether it
/// is elided, and the reveals (value and salt) of its unredacted commitments, the one part of
/// an entry the chain does not commit to. The ledger verifier checks the rest, so an edit of
/// any disclosed field is reported as `ledger_invalid`; hashing 100 000 entries this way costs
/// a tenth of hashing their full JSON.
#[derive(Serialize)]
struct EntryView<'a> {
    seq: u64,
    ledger_hash: Hex<'a>,
    elided: bool,
    reveals: Reveals<'a>,
}

/// Lowercase hex of a digest or salt, written from a stack buffer (the ledger's own
/// `Serialize` allocates a `String` per digest; this runs once per entry per hash).
struct Hex<'a>(&'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 64];
        let len = self.0.len().saturating_mul(2).min(buf.len());
        let out = buf.get_mut(..len).unwrap_or_default();
        hex::encode_to_slice(self.0.get(..len / 2).unwrap_or_default(), out)
            .map_err(serde::ser::Error::custom)?;
        let text = buf
            .get(..len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("");
        serializer.serialize_str(text)
    }
}

/// A reveal as the ledger serializes it (`{"value", "salt"}`), without allocating.
#[derive(Serialize)]
struct RevealView<'a> {
    value: &'a str,
    salt: Hex<'a>,
}

/// `{ field name: { "value", "salt" } }` for every commitment still revealed.
struct Reveals<'a>(&'a LedgerEntry);

impl Serialize for Reveals<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(payload) = self.0.payload() {
            for (field, c) in payload.commitments() {
                if let Some(reveal) = c.reveal() {
                    let view = RevealView {
                        value: &reveal.value,
                        salt: Hex(&reveal.salt.0),
                    };
                    map.serialize_entry(field.as_str(), &view)?;
                }
            }
        }
        map.end()
    }
}

impl<T: Serialize> Member for One<'_, T> {
    fn write(&self, out: &mut Out) -> Result<(), EvidenceError> {
        out.value(self.0)
    }
}

impl<T: Serialize> Member for Seq<'_, T> {
    fn write(&self, out: &mut Out) -> Result<(), EvidenceError> {
        out.buf.push('[');
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                out.buf.push(',');
            }
            out.value(item)?;
        }
        out.buf.push(']');
        Ok(())
    }
}

/// The entries array, one [`EntryView`] at a time.
struct Entries<'a>(&'a [LedgerEntry]);

impl Member for Entries<'_> {
    fn write(&self, out: &mut Out) -> Result<(), EvidenceError> {
        out.buf.push('[');
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                out.buf.push(',');
            }
            out.value(&EntryView {
                seq: e.seq,
                ledger_hash: Hex(e.ledger_hash.as_bytes()),
                elided: e.is_elided(),
                reveals: Reveals(e),
            })?;
        }
        out.buf.push(']');
        Ok(())
    }
}

impl Member for Ledger<'_> {
    fn write(&self, out: &mut Out) -> Result<(), EvidenceError> {
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
                ("entries", &Entries(&a.entries)),
            ],
        )
    }
}

fn write_bundle_canonical(b: &IncidentEvidenceBundle, out: &mut Out) -> Result<(), EvidenceError> {
    // Every field but `bundle_hash`; `tests/evidence.rs` checks the result against the
    // canonical form of the whole serde value (with entries mapped to their views), so a
    // field added to the bundle and not listed here fails that test.
    let checkpoint = b.checkpoint.as_ref().map(One);
    // `checkpoint` is absent, not `null`, when there is none: such bundles hash as before.
    let optional = checkpoint
        .as_ref()
        .map(|c| ("checkpoint", c as &dyn Member));
    write_object(
        out,
        [
            ("schema", &One(&b.schema) as &dyn Member),
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
            ("source_ledger", &One(&b.source_ledger)),
            ("summary", &One(&b.summary)),
        ]
        .into_iter()
        .chain(optional)
        .collect(),
    )
}

/// Writes `{"k":v,...}` with members sorted by the UTF-16 code units of their keys.
fn write_object(
    out: &mut Out,
    mut members: Vec<(&'static str, &dyn Member)>,
) -> Result<(), EvidenceError> {
    members.sort_by(|(a, _), (b, _)| key_order(a, b));
    out.buf.push('{');
    for (i, (key, member)) in members.into_iter().enumerate() {
        if i > 0 {
            out.buf.push(',');
        }
        write_string(key, &mut out.buf).map_err(EvidenceError::fmt)?;
        out.buf.push(':');
        member.write(out)?;
    }
    out.buf.push('}');
    Ok(())
}

impl IncidentEvidenceBundle {
    /// Recomputes the bundle hash from the current content (the stored `bundle_hash` is not
    /// read).
    pub fn compute_hash(&self) -> Result<Digest, EvidenceError> {
        compute_bundle_hash(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_hash_tag_keeps_its_documented_byte() {
        // docs/evidence-format.md §3.1; the collision test is in hostguard_risk_core's domain.rs.
        assert_eq!(EvidenceDomainTag::BundleHash.byte(), 0x10);
        assert_eq!(DomainTag::BundleHash, EvidenceDomainTag::BundleHash);
    }
}
