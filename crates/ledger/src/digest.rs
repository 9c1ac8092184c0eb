//! Digests, salts and the three hash constructions of docs/design.md §5 (their domain-separation
//! tags are `hostguard_risk_core::DomainTag`, re-exported as `hostguard_ledger::DomainTag`).
//!
//! Every hash the ledger computes goes through this file, so the byte layout documented in
//! `docs/ledger-format.md` §3 has exactly one implementation.

use std::fmt;

use hostguard_risk_core::DomainTag;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

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

/// Written by hand because the digest serializes by hand: exactly the lowercase hex that
/// [`Digest::from_hex`] accepts.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Digest".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        hex_schema(32)
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

/// Written by hand because the salt serializes by hand: exactly the lowercase hex that
/// [`Salt::from_hex`] accepts.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Salt {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Salt".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        hex_schema(16)
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

/// The JSON Schema of `bytes` bytes in lowercase hex.
#[cfg(feature = "schema")]
fn hex_schema(bytes: usize) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": format!("^[0-9a-f]{{{}}}$", bytes * 2)
    })
}

/// `SHA-256(0x00 ‖ encoded_body)`.
pub fn body_digest(encoded_body: &[u8]) -> Digest {
    let mut h = DomainTag::BodyDigest.hasher();
    h.update(encoded_body);
    Digest(h.finalize())
}

/// `SHA-256(0x01 ‖ prev ‖ body_digest)`.
pub fn ledger_hash(prev: &Digest, body_digest: &Digest) -> Digest {
    let mut h = DomainTag::LedgerHash.hasher();
    h.update(prev.0);
    h.update(body_digest.0);
    Digest(h.finalize())
}

/// `SHA-256(0x02 ‖ salt ‖ utf8(value))`: the value is not length-prefixed because the salt has
/// a fixed length and the value runs to the end of the message.
pub fn commitment(salt: &Salt, value: &str) -> Digest {
    let mut h = DomainTag::Commitment.hasher();
    h.update(salt.0);
    h.update(value.as_bytes());
    Digest(h.finalize())
}

/// Lowercase hex of `bytes` (digests, salts, key ids): the `hex` crate, the project's one
/// encoder, through its slice encoder (a decision's commitment value is hex of a digest, on
/// every call; the crate's `encode` builds the string a `char` at a time).
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut buf = vec![0u8; bytes.len() * 2];
    match hex::encode_to_slice(bytes, &mut buf).map(|()| String::from_utf8(buf)) {
        Ok(Ok(text)) => text,
        // Cannot happen (the buffer has the right length, hex digits are ASCII).
        Ok(Err(_)) | Err(_) => hex::encode(bytes),
    }
}

/// Parses exactly `2 * N` lowercase hex characters (uppercase is refused so that a value
/// round-trips byte for byte); the decoding itself is the `hex` crate's.
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if !text.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_domain_tags_keep_their_documented_bytes() {
        // docs/ledger-format.md §1; the collision test is in hostguard_risk_core's domain.rs.
        assert_eq!(DomainTag::BodyDigest.byte(), 0x00);
        assert_eq!(DomainTag::LedgerHash.byte(), 0x01);
        assert_eq!(DomainTag::Commitment.byte(), 0x02);
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
