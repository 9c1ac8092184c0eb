//! hostguard manager: the facade hosts embed — the hostcall gate, enforcement, kill switch,
//! alerts, triage and the incident-response runbook API (DESIGN §2, §4, §7).
//!
//! Not yet implemented: this crate holds only its module documentation until the manager issue
//! lands. It exports nothing.
