//! hostguard evidence: security records (alerts, telemetry, exec-mediation and secret-broker
//! logs, quota breaches) and verifiable, redactable incident evidence bundles (DESIGN §6).
//!
//! Not yet implemented: this crate holds only its module documentation until the evidence issue
//! lands. It exports nothing.
