//! hostguard rollout: progressive enforcement phases, sliding-window health statistics and
//! automatic rollback (DESIGN §4). This crate depends on no other hostguard crate.
//!
//! Not yet implemented: this crate holds only its module documentation until the rollout issue
//! lands. It exports nothing.
