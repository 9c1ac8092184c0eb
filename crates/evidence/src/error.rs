//! [`EvidenceError`]: why a bundle could not be (de)serialized, hashed or unwrapped.

/// Why a bundle could not be serialized, parsed, hashed or taken out of its envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The JSON is malformed or does not have the bundle's shape.
    #[error("invalid evidence JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What was expected.
        message: String,
    },
    /// The JSON has the bundle's shape but holds content the bundle does not: a repeated
    /// member name or a member the type does not know, at any depth, or a value written in
    /// another form (`hostguard_ledger::from_json_exactly`). No hash would cover it.
    #[error("non-canonical evidence JSON: {message}")]
    NonCanonicalContent {
        /// What and where.
        message: String,
    },
    /// Writing the canonical encoding failed.
    #[error("canonical encoding failed")]
    Canonical,
    /// A value has no canonical JSON form (a non-string map key).
    #[error("no canonical form: {message}")]
    NotCanonical {
        /// What could not be encoded.
        message: String,
    },
    /// A DSSE envelope or in-toto statement is not one this crate produces.
    #[error("invalid envelope: {reason}")]
    Envelope {
        /// What is wrong, with the offending value in backticks.
        reason: String,
    },
}

impl EvidenceError {
    pub(crate) fn json(e: serde_json::Error) -> EvidenceError {
        EvidenceError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }

    /// Why bytes do not hold exactly a value: malformed JSON is [`EvidenceError::Json`],
    /// content beyond the value [`EvidenceError::NonCanonicalContent`].
    pub(crate) fn exact(e: hostguard_ledger::ExactJsonError) -> EvidenceError {
        match e {
            hostguard_ledger::ExactJsonError::Malformed(m) => EvidenceError::Json {
                line: m.line,
                column: m.column,
                message: m.message,
            },
            hostguard_ledger::ExactJsonError::NonCanonical { message } => {
                EvidenceError::NonCanonicalContent { message }
            }
        }
    }

    pub(crate) fn fmt(_: std::fmt::Error) -> EvidenceError {
        EvidenceError::Canonical
    }

    pub(crate) fn canonical(e: &dyn std::fmt::Display) -> EvidenceError {
        EvidenceError::NotCanonical {
            message: e.to_string(),
        }
    }

    pub(crate) fn envelope(reason: impl Into<String>) -> EvidenceError {
        EvidenceError::Envelope {
            reason: reason.into(),
        }
    }
}
