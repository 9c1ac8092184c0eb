//! hostguard risk-core: the policy layer and the online risk model.
//!
//! Everything in this crate is pure: no I/O, no wall clock, no unseeded randomness.
//! Time and randomness come from the caller (DESIGN §1).
