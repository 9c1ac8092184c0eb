//! Digests, salts, the domain-separation tags and the three hash constructions of docs/design.md §5.
//!
//! Every hash the ledger computes goes through this file, so the byte layout documented in
//! `docs/ledger-format.md` §3 has exactly one implementation.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// The first byte of every hashed message: one tag per construction, so a body digest can never
/// be confused with a chain link or a commitment (RFC 6962-style domain separation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DomainTag {
    /// `body_digest = SHA-256(0x00 ‖ encode(body))`.
    BodyDigest = 0x00,
    /// `ledger_hash = SHA-256(0x01 ‖ prev_ledger_hash ‖ body_digest)`.
    LedgerHash = 0x01,
    /// `commitment = SHA-256(0x02 ‖ salt ‖ value)`.
    Commitment = 0x02,
}

impl DomainTag {
    /// Every tag.
    pub const ALL: [DomainTag; 3] = [
        DomainTag::BodyDigest,
        DomainTag::LedgerHash,
        DomainTag::Commitment,
    ];

    /// The tag byte.
    pub const fn byte(self) -> u8 {
        self as u8
    }
}

/// A SHA-256 output: body digests, ledger hashes and commitments. Serialized as 64 lowercase
/// hex characters (uppercase is rejected so that JSON round trips byte for byte).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The previous hash of the first entry of a ledger: 32 zero bytes.
    pub const GENESIS: Digest = Digest([0u8; 32]);

    /// The digest as bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Parses 64 lowercase hex characters.
    pub fn from_hex(text: &str) -> Option<Digest> {
        from_hex::<32>(text).map(Digest)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Digest::from_hex(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "expected 64 lowercase hex characters, found `{text}`"
            ))
        })
    }
}

/// The 16-byte random salt of a commitment. Serialized as 32 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Salt(pub [u8; 16]);

impl Salt {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Parses 32 lowercase hex characters.
    pub fn from_hex(text: &str) -> Option<Salt> {
        from_hex::<16>(text).map(Salt)
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Salt({})", self.to_hex())
    }
}

impl Serialize for Salt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Salt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Salt::from_hex(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "expected 32 lowercase hex characters, found `{text}`"
            ))
        })
    }
}

/// `SHA-256(0x00 ‖ encoded_body)`.
pub fn body_digest(encoded_body: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update([DomainTag::BodyDigest.byte()]);
    h.update(encoded_body);
    Digest(h.finalize().into())
}

/// `SHA-256(0x01 ‖ prev ‖ body_digest)`.
pub fn ledger_hash(prev: &Digest, body_digest: &Digest) -> Digest {
    let mut msg = [0u8; 65];
    let (tag, rest) = msg.split_at_mut(1);
    let (p, d) = rest.split_at_mut(32);
    tag.copy_from_slice(&[DomainTag::LedgerHash.byte()]);
    p.copy_from_slice(&prev.0);
    d.copy_from_slice(&body_digest.0);
    Digest(Sha256::digest(msg).into())
}

/// `SHA-256(0x02 ‖ salt ‖ utf8(value))`: the value is not length-prefixed because the salt has
/// a fixed length and the value runs to the end of the message.
pub fn commitment(salt: &Salt, value: &str) -> Digest {
    let mut h = Sha256::new();
    h.update([DomainTag::Commitment.byte()]);
    h.update(salt.0);
    h.update(value.as_bytes());
    Digest(h.finalize().into())
}

/// Lowercase hex of `bytes` (digests, salts, key ids): the `hex` crate, the project's one
/// encoder.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *slot = (nibble(*hi)? << 4) | nibble(*lo)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_tags_do_not_collide() {
        let mut bytes: Vec<u8> = DomainTag::ALL.iter().map(|t| t.byte()).collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), DomainTag::ALL.len());
        assert_eq!(bytes, vec![0x00, 0x01, 0x02]);
    }

    fn check(text: &str, expected: Option<[u8; 2]>) {
        assert_eq!(from_hex::<2>(text), expected, "{text}");
    }

    #[test]
    fn hex_is_lowercase_and_strict() {
        check("00ff", Some([0x00, 0xff]));
        check("a1b2", Some([0xa1, 0xb2]));
        check("A1B2", None);
        check("a1b", None);
        check("a1b2c3", None);
        check("zz00", None);
        check("é0", None);
        assert_eq!(to_hex(&[0x0a, 0xb0]), "0ab0");
    }

    #[test]
    fn sha256_of_tagged_messages_matches_known_answers() {
        // SHA-256 of the single byte 0x00 (known answer) is the body digest of an empty body.
        assert_eq!(
            body_digest(&[]).to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
