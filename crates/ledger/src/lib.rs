//! hostguard ledger: the tamper-evident, hash-chained record of every decision and every
//! control-plane event (DESIGN §5).
//!
//! Not yet implemented: this crate holds only its module documentation until the ledger issue
//! lands. It exports nothing.
