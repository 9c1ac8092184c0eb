//! Ed25519 signatures of a DSSE envelope (`docs/evidence-format.md` §5.1): the signature is
//! over `PAE(payloadType, payload)` as the DSSE protocol specifies, the `keyid` is the key's
//! `<name>+<hex id>` (the note-key encodings of `docs/ledger-format.md` §8.2).
//!
//! The keys are the ledger crate's [`SignerKey`] / [`VerifierKey`] (one home for keys). Pure: the
//! caller brings the key; nothing here reads a file or a clock.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use hostguard_ledger::{SignerKey, VerifierKey};
use serde::{Deserialize, Serialize};

use crate::dsse::{DsseEnvelope, DsseSignature};
use crate::error::EvidenceError;

/// Why an envelope's signature by a trusted key does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsseSignatureError {
    /// The payload is not standard base64, so there are no bytes to verify a signature over.
    #[error("the envelope's payload is not standard base64")]
    PayloadNotBase64,
    /// The envelope carries no signature at all.
    #[error("the envelope carries no signature")]
    Unsigned,
    /// No signature names the trusted key, and no signature without a keyid verifies under it.
    #[error("no signature by key `{keyid}` (the envelope's keyids: {found})")]
    UnknownKey {
        /// The trusted key, `<name>+<hex id>`.
        keyid: String,
        /// The keyids present, comma-separated.
        found: String,
    },
    /// A signature naming the trusted key does not verify over `PAE(payloadType, payload)`.
    #[error("the signature by key `{keyid}` does not verify over PAE(payloadType, payload)")]
    SignatureInvalid {
        /// The trusted key.
        keyid: String,
    },
}

/// Stable codes of [`DsseSignatureError`], serialized as `dsse_*` snake_case strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub enum DsseSignatureErrorCode {
    /// `dsse_payload_not_base64`.
    #[serde(rename = "dsse_payload_not_base64")]
    PayloadNotBase64,
    /// `dsse_unsigned`.
    #[serde(rename = "dsse_unsigned")]
    Unsigned,
    /// `dsse_unknown_key`.
    #[serde(rename = "dsse_unknown_key")]
    UnknownKey,
    /// `dsse_signature_invalid`.
    #[serde(rename = "dsse_signature_invalid")]
    SignatureInvalid,
}

impl DsseSignatureErrorCode {
    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            DsseSignatureErrorCode::PayloadNotBase64 => "dsse_payload_not_base64",
            DsseSignatureErrorCode::Unsigned => "dsse_unsigned",
            DsseSignatureErrorCode::UnknownKey => "dsse_unknown_key",
            DsseSignatureErrorCode::SignatureInvalid => "dsse_signature_invalid",
        }
    }
}

impl fmt::Display for DsseSignatureErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DsseSignatureError {
    /// The stable code.
    pub fn code(&self) -> DsseSignatureErrorCode {
        match self {
            DsseSignatureError::PayloadNotBase64 => DsseSignatureErrorCode::PayloadNotBase64,
            DsseSignatureError::Unsigned => DsseSignatureErrorCode::Unsigned,
            DsseSignatureError::UnknownKey { .. } => DsseSignatureErrorCode::UnknownKey,
            DsseSignatureError::SignatureInvalid { .. } => DsseSignatureErrorCode::SignatureInvalid,
        }
    }
}

/// DSSE's pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn dsse_pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    );
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}

impl DsseEnvelope {
    /// Signs the envelope with `key`: an Ed25519 signature of `PAE(payloadType, payload)` with
    /// keyid `<name>+<hex id>`, replacing an earlier signature with the same keyid.
    pub fn sign(&mut self, key: &SignerKey) -> Result<(), EvidenceError> {
        let payload = self
            .payload_bytes()
            .ok_or_else(|| EvidenceError::Envelope {
                reason: "payload is not standard base64".to_owned(),
            })?;
        let keyid = key.keyid();
        let sig = key.sign(&dsse_pae(&self.payload_type, &payload));
        self.signatures.retain(|s| s.keyid != keyid);
        self.signatures.push(DsseSignature {
            keyid,
            sig: STANDARD.encode(sig),
        });
        Ok(())
    }

    /// Checks that `key` signed the envelope: every signature whose keyid is the key's must
    /// verify (a forged one is refused, not skipped); a signature without keyid counts when it
    /// verifies; signatures of other keys are ignored. The keyid only selects; the signature
    /// decides. The payload is not interpreted (see [`DsseEnvelope::bundle`]).
    pub fn verify_signature(&self, key: &VerifierKey) -> Result<(), DsseSignatureError> {
        let payload = self
            .payload_bytes()
            .ok_or(DsseSignatureError::PayloadNotBase64)?;
        if self.signatures.is_empty() {
            return Err(DsseSignatureError::Unsigned);
        }
        let pae = dsse_pae(&self.payload_type, &payload);
        let keyid = key.keyid();
        let holds = |s: &DsseSignature| decode_sig(&s.sig).is_some_and(|b| key.verify(&pae, &b));
        let named: Vec<&DsseSignature> = self
            .signatures
            .iter()
            .filter(|s| s.keyid == keyid)
            .collect();
        if !named.is_empty() {
            return if named.iter().all(|s| holds(s)) {
                Ok(())
            } else {
                Err(DsseSignatureError::SignatureInvalid { keyid })
            };
        }
        if self
            .signatures
            .iter()
            .any(|s| s.keyid.is_empty() && holds(s))
        {
            return Ok(());
        }
        let found: Vec<String> = self
            .signatures
            .iter()
            .map(|s| format!("`{}`", s.keyid))
            .collect();
        Err(DsseSignatureError::UnknownKey {
            keyid,
            found: found.join(", "),
        })
    }

    fn payload_bytes(&self) -> Option<Vec<u8>> {
        STANDARD.decode(&self.payload).ok()
    }
}

/// A signature in standard or URL-safe base64 (DSSE: verifiers must accept either).
fn decode_sig(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // DSSE protocol.md, "Test Vectors".
        assert_eq!(
            dsse_pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(dsse_pae("", b""), b"DSSEv1 0  0 ");
    }
}
