//! Export as an in-toto Statement v1 inside a DSSE envelope, so standard supply-chain tooling
//! can carry, sign and verify incident bundles (`docs/evidence-format.md` §5).
//!
//! The envelope is exported unsigned (`signatures: []`); [`DsseEnvelope::sign`] (in
//! `dsse_sign.rs`) adds an Ed25519 signature with a key the caller loaded, and any carrier
//! (cosign, in-toto tooling, a KMS) may add its own.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hostguard_ledger::{from_json_exactly, ExactJsonError};
use serde::{Deserialize, Serialize};

use crate::error::EvidenceError;
use crate::incident::IncidentEvidenceBundle;

/// `_type` of an in-toto Statement v1.
pub const IN_TOTO_STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of an incident evidence statement.
pub const INCIDENT_EVIDENCE_PREDICATE_TYPE: &str = "https://hostguard.dev/incident-evidence/v1";
/// DSSE `payloadType` of an in-toto statement.
pub const DSSE_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The subject name of an incident evidence statement.
pub const INCIDENT_EVIDENCE_SUBJECT_NAME: &str = "hostguard-incident-evidence-bundle";

/// An in-toto Statement v1 whose subject is the bundle (digest `sha256` = the bundle hash) and
/// whose predicate is the bundle itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InTotoStatement {
    /// Always [`IN_TOTO_STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// One subject: the bundle.
    pub subject: Vec<InTotoSubject>,
    /// Always [`INCIDENT_EVIDENCE_PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The bundle.
    pub predicate: IncidentEvidenceBundle,
}

/// An in-toto resource descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InTotoSubject {
    /// The subject's name.
    pub name: String,
    /// Digests by algorithm (`sha256` → lowercase hex).
    pub digest: BTreeMap<String, String>,
}

/// A DSSE envelope (`payload` is standard base64 with padding). Unknown and repeated members
/// are refused, as everywhere a verifier reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DsseEnvelope {
    /// Always [`DSSE_PAYLOAD_TYPE`].
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Base64 of the statement's compact JSON.
    pub payload: String,
    /// Signatures over `PAE(payloadType, payload)`; empty as exported.
    pub signatures: Vec<DsseSignature>,
}

/// One DSSE signature, added by whoever carries the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DsseSignature {
    /// Key identifier (may be empty).
    #[serde(default)]
    pub keyid: String,
    /// Base64 signature.
    pub sig: String,
}

impl IncidentEvidenceBundle {
    /// The in-toto statement over this bundle; the subject digest is the *stored*
    /// `bundle_hash` (verify the bundle first if it came from elsewhere).
    pub fn to_in_toto_statement(&self) -> InTotoStatement {
        InTotoStatement {
            statement_type: IN_TOTO_STATEMENT_TYPE.to_owned(),
            subject: vec![InTotoSubject {
                name: INCIDENT_EVIDENCE_SUBJECT_NAME.to_owned(),
                digest: [("sha256".to_owned(), self.bundle_hash.to_hex())]
                    .into_iter()
                    .collect(),
            }],
            predicate_type: INCIDENT_EVIDENCE_PREDICATE_TYPE.to_owned(),
            predicate: self.clone(),
        }
    }

    /// The unsigned DSSE envelope carrying [`Self::to_in_toto_statement`].
    pub fn to_dsse_envelope(&self) -> Result<DsseEnvelope, EvidenceError> {
        let statement =
            serde_json::to_vec(&self.to_in_toto_statement()).map_err(EvidenceError::json)?;
        Ok(DsseEnvelope {
            payload_type: DSSE_PAYLOAD_TYPE.to_owned(),
            payload: STANDARD.encode(statement),
            signatures: Vec::new(),
        })
    }
}

impl DsseEnvelope {
    /// The envelope as compact JSON.
    pub fn to_json(&self) -> Result<String, EvidenceError> {
        serde_json::to_string(self).map_err(EvidenceError::json)
    }

    /// Parses an envelope from JSON bytes: a member the envelope or a signature does not know,
    /// or one written twice, is [`EvidenceError::NonCanonicalContent`] (the signature would not
    /// cover it); other malformed JSON is [`EvidenceError::Json`]. Whether `keyid` is present
    /// or not is free, as DSSE allows.
    pub fn from_json_slice(bytes: &[u8]) -> Result<DsseEnvelope, EvidenceError> {
        serde_json::from_slice(bytes).map_err(|e| {
            let message = e.to_string();
            let beyond = e.classify() == serde_json::error::Category::Data
                && (message.starts_with("unknown field") || message.starts_with("duplicate field"));
            if beyond {
                EvidenceError::NonCanonicalContent { message }
            } else {
                EvidenceError::json(e)
            }
        })
    }

    /// Unwraps the bundle: checks the payload type, the statement type, the predicate type and
    /// that the one subject's `sha256` equals the bundle's stored hash. Signatures are not
    /// checked (that is the carrier's job), and the bundle still needs
    /// [`crate::verify_incident_evidence_bundle`].
    pub fn bundle(&self) -> Result<IncidentEvidenceBundle, EvidenceError> {
        if self.payload_type != DSSE_PAYLOAD_TYPE {
            return Err(EvidenceError::envelope(format!(
                "payloadType is `{}`, expected `{DSSE_PAYLOAD_TYPE}`",
                self.payload_type
            )));
        }
        let bytes = STANDARD
            .decode(&self.payload)
            .map_err(|e| EvidenceError::envelope(format!("payload is not base64: {e}")))?;
        // The payload must be exactly the statement that is checked: a member the types do not
        // know, or a repeated member name, would travel under a signature without being
        // covered by the bundle hash or seen by the verifier.
        let statement: InTotoStatement = from_json_exactly(&bytes).map_err(|e| match e {
            ExactJsonError::NonCanonical { message } => {
                EvidenceError::envelope(format!("payload: {message}"))
            }
            malformed @ ExactJsonError::Malformed(_) => EvidenceError::exact(malformed),
        })?;
        if statement.statement_type != IN_TOTO_STATEMENT_TYPE {
            return Err(EvidenceError::envelope(format!(
                "_type is `{}`, expected `{IN_TOTO_STATEMENT_TYPE}`",
                statement.statement_type
            )));
        }
        if statement.predicate_type != INCIDENT_EVIDENCE_PREDICATE_TYPE {
            return Err(EvidenceError::envelope(format!(
                "predicateType is `{}`, expected `{INCIDENT_EVIDENCE_PREDICATE_TYPE}`",
                statement.predicate_type
            )));
        }
        let want = statement.predicate.bundle_hash.to_hex();
        match statement.subject.as_slice() {
            [s] if s.digest.get("sha256") == Some(&want) => Ok(statement.predicate),
            _ => Err(EvidenceError::envelope(format!(
                "subject must be one entry with sha256 `{want}`"
            ))),
        }
    }
}
