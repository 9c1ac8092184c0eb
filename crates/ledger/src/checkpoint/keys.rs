//! Ed25519 note keys in the encodings of Go's `golang.org/x/mod/sumdb/note` and C2SP
//! `signed-note` (`docs/ledger-format.md` §8.2): [`NoteName`], [`KeyId`], the private
//! [`SignerKey`] and the public [`VerifierKey`].
//!
//! The one home of key knowledge: the checkpoint signer and the evidence crate's DSSE signatures
//! both use these types. Secret bytes live only in `ed25519_dalek::SigningKey` (zeroized on drop)
//! and in [`Zeroizing`] buffers; no `Debug` or `Display` prints them.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::digest::{from_hex, to_hex};

/// The signature type byte of Ed25519 in C2SP `signed-note` (and Go's `algEd25519`).
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

/// The prefix of an encoded private key (`PRIVATE+KEY+<name>+<id>+<data>`).
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// Why a key or a name was refused. Messages never carry private key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key name or origin is empty, or holds a Unicode space, a `+` or a control character.
    #[error("invalid name `{name}`: expected a non-empty name without spaces, `+` or control characters")]
    InvalidName {
        /// The offending name (control characters escaped).
        name: String,
    },
    /// The text is not of the key encoding's form.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// `verifier key` or `private key`.
        what: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The key data's first byte names another signature algorithm than Ed25519 (`0x01`).
    #[error("unsupported signature type `0x{byte:02x}` (expected `0x01`, Ed25519)")]
    UnsupportedAlgorithm {
        /// The type byte found.
        byte: u8,
    },
    /// The stated key id is not the one computed from name and public key.
    #[error(
        "key id `{stated}` does not match the id `{computed}` computed from name and public key"
    )]
    IdMismatch {
        /// The id in the text.
        stated: KeyId,
        /// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`.
        computed: KeyId,
    },
    /// The public key is not a valid Ed25519 point, or is of small order (a weak key any
    /// signature could be forged for).
    #[error("public key is not a usable Ed25519 key: {reason}")]
    InvalidPublicKey {
        /// Why.
        reason: &'static str,
    },
}

/// A key name or checkpoint origin: non-empty UTF-8 without Unicode spaces, `+` or control
/// characters (C2SP `signed-note`'s key-name rule, plus no control character anywhere).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoteName(String);

impl NoteName {
    /// Validates a name.
    pub fn new(name: impl Into<String>) -> Result<NoteName, KeyError> {
        let name = name.into();
        let valid = !name.is_empty()
            && !name
                .chars()
                .any(|c| c.is_whitespace() || c == '+' || c.is_control());
        if valid {
            Ok(NoteName(name))
        } else {
            Err(KeyError::InvalidName {
                name: name.escape_debug().to_string(),
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NoteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key id: the first four bytes, big-endian, of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`.
/// Written as 8 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

impl KeyId {
    /// The id of an Ed25519 key of that name.
    pub fn of(name: &NoteName, public_key: &[u8; 32]) -> KeyId {
        let mut h = Sha256::new();
        h.update(name.as_str().as_bytes());
        h.update([b'\n', ED25519_SIGNATURE_TYPE]);
        h.update(public_key);
        let sum: [u8; 32] = h.finalize().into();
        let [a, b, c, d, ..] = sum;
        KeyId(u32::from_be_bytes([a, b, c, d]))
    }

    /// The 4 bytes, big-endian (the prefix of a note signature).
    pub const fn to_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }

    /// Parses exactly 8 lowercase hex digits.
    pub fn from_hex(text: &str) -> Option<KeyId> {
        from_hex::<4>(text).map(|b| KeyId(u32::from_be_bytes(b)))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.to_bytes()))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A private Ed25519 note key with its name. Its text form is
/// `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ 32-byte seed)>`.
///
/// Not `Clone`, and its `Debug` shows name and id only; the seed is zeroized on drop.
pub struct SignerKey {
    name: NoteName,
    id: KeyId,
    key: SigningKey,
}

impl SignerKey {
    /// A new key from 32 bytes of `rng`.
    pub fn generate(name: NoteName, rng: &mut impl CryptoRngCore) -> SignerKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut_slice());
        SignerKey::from_seed(name, &seed)
    }

    /// The key of a known seed (RFC 8032's 32-byte private key).
    pub fn from_seed(name: NoteName, seed: &[u8; 32]) -> SignerKey {
        let key = SigningKey::from_bytes(seed);
        let id = KeyId::of(&name, key.verifying_key().as_bytes());
        SignerKey { name, id, key }
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>` and checks the id against
    /// the derived public key.
    pub fn parse(text: &str) -> Result<SignerKey, KeyError> {
        const WHAT: &str = "private key";
        let rest = text.strip_prefix(PRIVATE_PREFIX).ok_or_else(|| {
            malformed(WHAT, "expected `PRIVATE+KEY+<name>+<hex id>+<base64 key>`")
        })?;
        let (name, stated, data) = split_key_text(WHAT, rest)?;
        let mut buf = Zeroizing::new([0u8; 48]);
        let seed = key_data(WHAT, data, buf.as_mut_slice())?;
        let key = SignerKey::from_seed(name, seed);
        check_id(stated, key.id)?;
        Ok(key)
    }

    /// The private key text (the secret: write it to a file only the owner can read).
    pub fn to_text(&self) -> PrivateKeyText {
        let mut data = Zeroizing::new([0u8; 33]);
        let (alg, seed) = data.split_at_mut(1);
        alg.copy_from_slice(&[ED25519_SIGNATURE_TYPE]);
        seed.copy_from_slice(self.key.as_bytes());
        // Sized up front so that no reallocation leaves a copy of the secret behind.
        let mut out = Zeroizing::new(String::with_capacity(
            PRIVATE_PREFIX.len() + self.name.as_str().len() + 1 + 8 + 1 + 44,
        ));
        out.push_str(PRIVATE_PREFIX);
        out.push_str(&self.keyid());
        out.push('+');
        STANDARD.encode_string(data.as_slice(), &mut out);
        PrivateKeyText(out)
    }

    /// The key name.
    pub fn name(&self) -> &NoteName {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// `<name>+<hex id>`: how notes and DSSE signatures name this key.
    pub fn keyid(&self) -> String {
        format!("{}+{}", self.name, self.id)
    }

    /// The public half.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The RFC 8032 Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The text of a private key, zeroized on drop; `Debug` does not show it.
pub struct PrivateKeyText(Zeroizing<String>);

impl PrivateKeyText {
    /// The text, to write to the key file.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKeyText(..)")
    }
}

/// A public Ed25519 note key with its name. Its text form (`Display`) is
/// `<name>+<hex id>+<base64(0x01 ‖ 32-byte public key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: NoteName,
    id: KeyId,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<hex id>+<base64(0x01 ‖ public key)>` and checks the id.
    pub fn parse(text: &str) -> Result<VerifierKey, KeyError> {
        const WHAT: &str = "verifier key";
        let (name, stated, data) = split_key_text(WHAT, text)?;
        let mut buf = [0u8; 48];
        let public = key_data(WHAT, data, &mut buf)?;
        let key = VerifierKey::from_public_key(name, public)?;
        check_id(stated, key.id)?;
        Ok(key)
    }

    /// The verifier of a raw 32-byte Ed25519 public key; refuses points that do not decode and
    /// small-order (weak) keys.
    pub fn from_public_key(name: NoteName, public_key: &[u8; 32]) -> Result<VerifierKey, KeyError> {
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| KeyError::InvalidPublicKey {
            reason: "not a point on the curve",
        })?;
        if key.is_weak() {
            return Err(KeyError::InvalidPublicKey {
                reason: "small-order point",
            });
        }
        let id = KeyId::of(&name, public_key);
        Ok(VerifierKey { name, id, key })
    }

    /// The key name.
    pub fn name(&self) -> &NoteName {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// `<name>+<hex id>`: how notes and DSSE signatures name this key.
    pub fn keyid(&self) -> String {
        format!("{}+{}", self.name, self.id)
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether `signature` (64 bytes) is this key's Ed25519 signature of `message`. Strict
    /// RFC 8032 verification: non-canonical `S`, and small-order `R`, are refused.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &sig).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = [0u8; 33];
        let (alg, key) = data.split_at_mut(1);
        alg.copy_from_slice(&[ED25519_SIGNATURE_TYPE]);
        key.copy_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, self.id, STANDARD.encode(data))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// Standard base64 (RFC 4648 §4) with canonical padding and no stray bits: the one decoder of
/// the checkpoint formats (the `base64` engine is strict; the tests pin it).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// Standard base64 with padding.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn malformed(what: &'static str, reason: impl Into<String>) -> KeyError {
    KeyError::Malformed {
        what,
        reason: reason.into(),
    }
}

/// `<name>+<hex id>+<data>`: the name has no `+`, the id is 8 lowercase hex digits, the data
/// (base64, which may hold `+`) is the rest.
fn split_key_text<'t>(
    what: &'static str,
    text: &'t str,
) -> Result<(NoteName, KeyId, &'t str), KeyError> {
    let form = "expected `<name>+<hex id>+<base64 key>`";
    let (name, rest) = text.split_once('+').ok_or_else(|| malformed(what, form))?;
    let (id, data) = rest.split_once('+').ok_or_else(|| malformed(what, form))?;
    let name = NoteName::new(name)?;
    let id = KeyId::from_hex(id)
        .ok_or_else(|| malformed(what, "the key id must be 8 lowercase hex digits"))?;
    Ok((name, id, data))
}

/// Decodes `base64(0x01 ‖ 32 bytes)` into `buf` and returns the 32 bytes.
fn key_data<'b>(
    what: &'static str,
    data: &str,
    buf: &'b mut [u8],
) -> Result<&'b [u8; 32], KeyError> {
    let len = STANDARD.decode_slice(data, buf).map_err(|_| {
        malformed(
            what,
            "the key data must be canonical standard base64 of 33 bytes",
        )
    })?;
    match buf.get(..len) {
        Some([ED25519_SIGNATURE_TYPE, key @ ..]) => <&[u8; 32]>::try_from(key)
            .map_err(|_| malformed(what, format!("the key data is {len} bytes, expected 33"))),
        Some([byte, ..]) => Err(KeyError::UnsupportedAlgorithm { byte: *byte }),
        _ => Err(malformed(what, "the key data is empty")),
    }
}

fn check_id(stated: KeyId, computed: KeyId) -> Result<(), KeyError> {
    if stated == computed {
        Ok(())
    } else {
        Err(KeyError::IdMismatch { stated, computed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `golang.org/x/mod/sumdb/note` documentation example key pair.
    const GO_PRIVATE: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    fn check_name(name: &str, valid: bool) {
        assert_eq!(NoteName::new(name).is_ok(), valid, "{name:?}");
    }

    #[test]
    fn names_follow_the_signed_note_rule() {
        check_name("example.com/log", true);
        check_name("PeterNeumann", true);
        check_name("é—ü", true);
        check_name("", false);
        check_name("a b", false);
        check_name("a+b", false);
        check_name("a\u{a0}b", false);
        check_name("a\u{2028}b", false);
        check_name("a\tb", false);
        check_name("a\u{7f}", false);
    }

    #[test]
    fn go_key_pair_round_trips_and_matches() {
        let signer = SignerKey::parse(GO_PRIVATE).unwrap();
        assert_eq!(signer.verifier().to_string(), GO_VERIFIER);
        assert_eq!(signer.to_text().expose_secret(), GO_PRIVATE);
        let verifier = VerifierKey::parse(GO_VERIFIER).unwrap();
        assert_eq!(verifier, signer.verifier());
        assert_eq!(verifier.keyid(), "PeterNeumann+c74f20a3");
    }

    fn check_verifier(text: &str, expected: Result<(), &str>) {
        let got = VerifierKey::parse(text)
            .map(|_| ())
            .map_err(|e| e.to_string());
        match (got, expected) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(want)) => assert!(e.contains(want), "{text}: `{e}` lacks `{want}`"),
            (got, want) => panic!("{text}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn verifier_key_parsing_is_strict() {
        check_verifier(GO_VERIFIER, Ok(()));
        check_verifier(
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            Err("8 lowercase hex"),
        );
        check_verifier(
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            Err("does not match"),
        );
        check_verifier(
            "Peter+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            Err("does not match"),
        );
        // W → X: 33 bytes fill 44 characters exactly, so this is another (invalid) point.
        check_verifier(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
            Err("not a point"),
        );
        check_verifier(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
            Err("canonical"),
        );
        check_verifier(
            "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            Err("canonical"),
        );
        check_verifier("PeterNeumann+c74f20a3+Ag==", Err("0x02"));
        check_verifier("PeterNeumann+c74f20a3", Err("expected"));
        check_verifier("", Err("expected"));
        check_verifier(" PeterNeumann+c74f20a3+AQ==", Err("invalid name"));
    }

    fn check_base64(text: &str, expected: Option<&[u8]>) {
        assert_eq!(decode_base64(text).as_deref(), expected, "{text:?}");
    }

    #[test]
    fn base64_is_standard_and_canonical() {
        check_base64("AQ==", Some(&[1]));
        check_base64("AQI=", Some(&[1, 2]));
        check_base64("+/8=", Some(&[0xfb, 0xff]));
        check_base64("AR==", None); // stray bits
        check_base64("AQJ=", None);
        check_base64("AQ=", None);
        check_base64("AQ", None);
        check_base64("AQ===", None);
        check_base64("AQ==\n", None);
        check_base64(" AQ==", None);
        check_base64("-_8=", None); // URL-safe alphabet
        assert_eq!(encode_base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn small_order_public_keys_are_refused() {
        let name = NoteName::new("n").unwrap();
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        assert!(matches!(
            VerifierKey::from_public_key(name, &identity),
            Err(KeyError::InvalidPublicKey { .. })
        ));
    }

    #[test]
    fn private_key_parsing_checks_prefix_and_id_and_never_echoes_the_secret() {
        let wrong_id = GO_PRIVATE.replace("c74f20a3", "c74f20a4");
        let e = SignerKey::parse(&wrong_id).unwrap_err().to_string();
        assert!(e.contains("does not match"), "{e}");
        for bad in [
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
            "private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
            GO_VERIFIER,
        ] {
            let e = SignerKey::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("AYEKFALV"), "{e}");
        }
        let key = SignerKey::parse(GO_PRIVATE).unwrap();
        let debug = format!("{key:?} {:?}", key.to_text());
        assert!(!debug.contains("AYEKFALV"), "{debug}");
    }

    #[test]
    fn signatures_verify_strictly() {
        let key = SignerKey::from_seed(NoteName::new("n").unwrap(), &[7; 32]);
        let sig = key.sign(b"msg");
        let v = key.verifier();
        assert!(v.verify(b"msg", &sig));
        assert!(!v.verify(b"msh", &sig));
        assert!(!v.verify(b"msg", &sig[..63]));
        let mut flipped = sig;
        flipped[10] ^= 1;
        assert!(!v.verify(b"msg", &flipped));
    }
}
