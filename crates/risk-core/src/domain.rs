//! The domain-separation tags of every hash hostguard computes, in one place.
//!
//! The first byte of every hashed message is one [`DomainTag`], so a hash made for one purpose
//! (a ledger body digest, a bundle hash, a secret-name hash…) can never be replayed as another
//! (RFC 6962-style domain separation). The tags live here, in the lowest crate that hashes, so
//! the ledger, the evidence crate and the manager share one enum and one collision test.
//! The byte layouts are documented in `docs/ledger-format.md` §1, `docs/evidence-format.md` §3
//! and §2 (the record hashes).

use sha2::{Digest as _, Sha256};

/// The first byte of every hashed message: one tag per construction.
///
/// The byte values are part of documented formats (`docs/*.md` known-answer vectors): a tag's
/// value never changes, and a new construction takes a new, unused value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DomainTag {
    /// `body_digest = SHA-256(0x00 ‖ encode(body))` (the ledger).
    BodyDigest = 0x00,
    /// `ledger_hash = SHA-256(0x01 ‖ prev_ledger_hash ‖ body_digest)` (the ledger).
    LedgerHash = 0x01,
    /// `commitment = SHA-256(0x02 ‖ salt ‖ value)` (the ledger).
    Commitment = 0x02,
    /// `bundle_hash = SHA-256(0x10 ‖ canonical_json(bundle without bundle_hash))` (evidence).
    BundleHash = 0x10,
    /// `name_hash = SHA-256(0x20 ‖ utf8(name))` (the secret broker).
    SecretName = 0x20,
    /// An alert's `context_hash = SHA-256(0x21 ‖ u64be(len) ‖ extension_id ‖ u64be(len) ‖
    /// call_id ‖ params_digest)` (the gate).
    AlertContext = 0x21,
    /// A rollback alert's `context_hash = SHA-256(0x22 ‖ from ‖ 0x00 ‖ to ‖ u64be(at_ms))`.
    RolloutTransition = 0x22,
    /// A ledger-integrity alert's `context_hash = SHA-256(0x23 ‖ utf8(reason))`.
    LedgerIntegrity = 0x23,
    /// A finding alert's `context_hash = SHA-256(0x24 ‖ u64be(len) ‖ rule ‖ u64be(len) ‖
    /// subject ‖ evidence)` (a layer in front of an extension, e.g. the MCP gateway).
    Finding = 0x24,
    /// An MCP tool definition's pin, `SHA-256(0x30 ‖ canonical_json(the definition without
    /// its _meta member))` (the MCP gateway, docs/mcp.md).
    McpToolPin = 0x30,
}

impl DomainTag {
    /// Every tag.
    pub const ALL: [DomainTag; 10] = [
        DomainTag::BodyDigest,
        DomainTag::LedgerHash,
        DomainTag::Commitment,
        DomainTag::BundleHash,
        DomainTag::SecretName,
        DomainTag::AlertContext,
        DomainTag::RolloutTransition,
        DomainTag::LedgerIntegrity,
        DomainTag::Finding,
        DomainTag::McpToolPin,
    ];

    /// The tag byte.
    pub const fn byte(self) -> u8 {
        self as u8
    }

    /// A SHA-256 that has already been fed this tag's byte: the start of every tagged hash.
    pub fn hasher(self) -> TaggedSha256 {
        let mut inner = Sha256::new();
        inner.update([self.byte()]);
        TaggedSha256(inner)
    }
}

/// A SHA-256 in progress whose first byte was a [`DomainTag`] (made by [`DomainTag::hasher`]).
#[derive(Clone)]
pub struct TaggedSha256(Sha256);

impl TaggedSha256 {
    /// Feeds more of the message.
    pub fn update(&mut self, bytes: impl AsRef<[u8]>) {
        self.0.update(bytes);
    }

    /// The 32-byte digest of the tag and everything fed since.
    pub fn finalize(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl std::fmt::Debug for TaggedSha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaggedSha256")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented byte of every tag; an exhaustive match, so a new variant must be added here.
    fn documented(tag: DomainTag) -> u8 {
        match tag {
            DomainTag::BodyDigest => 0x00,
            DomainTag::LedgerHash => 0x01,
            DomainTag::Commitment => 0x02,
            DomainTag::BundleHash => 0x10,
            DomainTag::SecretName => 0x20,
            DomainTag::AlertContext => 0x21,
            DomainTag::RolloutTransition => 0x22,
            DomainTag::LedgerIntegrity => 0x23,
            DomainTag::Finding => 0x24,
            DomainTag::McpToolPin => 0x30,
        }
    }

    #[test]
    fn no_two_tags_collide() {
        let mut bytes: Vec<u8> = DomainTag::ALL.iter().map(|t| t.byte()).collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), DomainTag::ALL.len(), "domain tags collide");
    }

    #[test]
    fn tag_bytes_are_the_documented_ones() {
        for tag in DomainTag::ALL {
            assert_eq!(tag.byte(), documented(tag), "{tag:?}");
        }
    }

    #[test]
    fn hasher_feeds_the_tag_byte_first() {
        // SHA-256 of the single byte 0x00 (known answer).
        assert_eq!(
            hex::encode(DomainTag::BodyDigest.hasher().finalize()),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let mut h = DomainTag::BundleHash.hasher();
        h.update(b"x");
        let want: [u8; 32] = Sha256::digest([0x10, b'x']).into();
        assert_eq!(h.finalize(), want);
    }
}
