//! The sequential test: a CUSUM-style e-process over flagged calls (docs/design.md §3).
//!
//! Each call is *flagged* when its score is at least [`FLAG_THRESHOLD`]. Under the null
//! hypothesis (benign behaviour) a call is flagged with probability at most [`NULL_FLAG_RATE`];
//! under the alternative with probability [`ALT_FLAG_RATE`]. The log-likelihood-ratio increment is
//! `ln(p1/p0)` for a flagged call and `ln((1 − p1)/(1 − p0))` (negative) for an unflagged one.
//! The statistic is the CUSUM recursion `L_t = max(0, L_{t−1} + increment)`: `exp(L_t)` is the
//! largest likelihood ratio over all possible change points, i.e. an e-detector (a running
//! maximum of e-processes started at every time). Flooring at 0 means a long benign history
//! cannot be banked to hide a later attack: two flagged calls in a row breach at the default
//! alpha whatever came before. The test breaches when `exp(L) ≥ 1/alpha`, i.e.
//! `L ≥ ln(1/alpha)`; by Lorden's bound the average run length to a false alarm under the null is
//! at least `1/alpha` calls. Smaller alpha → fewer false alarms, less sensitive.

use serde::{Deserialize, Serialize};

/// Score at or above which a call is flagged.
pub const FLAG_THRESHOLD: f64 = 0.35;
/// Flag rate assumed under benign behaviour (`p0`).
pub const NULL_FLAG_RATE: f64 = 0.05;
/// Flag rate the test is tuned to detect (`p1`).
pub const ALT_FLAG_RATE: f64 = 0.5;
/// The log-value is capped at this multiple of the breach level so that, after an attack
/// stops, the test falls below the breach level again within a bounded number of calls.
pub const LOG_CAP_FACTOR: f64 = 2.0;

/// Rounding slack of the breach comparison.
const BREACH_TOLERANCE: f64 = 1e-9;

/// The e-process state of one extension: one number.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EProcess {
    /// `L_t`, in `[0, LOG_CAP_FACTOR · ln(1/alpha)]`.
    pub log_value: f64,
}

/// What one step of the test saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EProcessReading {
    /// `L_t` after the step.
    pub log_value: f64,
    /// Whether `L_t ≥ ln(1/alpha)`.
    pub breach: bool,
}

impl EProcess {
    /// A fresh test at `L = 0`.
    pub const fn new() -> EProcess {
        EProcess { log_value: 0.0 }
    }

    /// The log-likelihood-ratio increments `(flagged, unflagged)`.
    pub fn increments() -> (f64, f64) {
        (
            (ALT_FLAG_RATE / NULL_FLAG_RATE).ln(),
            ((1.0 - ALT_FLAG_RATE) / (1.0 - NULL_FLAG_RATE)).ln(),
        )
    }

    /// One step with the call's flag; `log_threshold = ln(1/alpha)` (precomputed by the model).
    pub fn step(&mut self, flagged: bool, log_threshold: f64) -> EProcessReading {
        self.step_with(flagged, log_threshold, EProcess::increments())
    }

    /// [`EProcess::step`] with the increments precomputed (the model's hot path).
    pub fn step_with(
        &mut self,
        flagged: bool,
        log_threshold: f64,
        (flagged_increment, unflagged_increment): (f64, f64),
    ) -> EProcessReading {
        let increment = if flagged {
            flagged_increment
        } else {
            unflagged_increment
        };
        let cap = LOG_CAP_FACTOR * log_threshold;
        let next = (self.log_value + increment).max(0.0).min(cap);
        self.log_value = if next.is_finite() { next } else { cap };
        EProcessReading {
            log_value: self.log_value,
            // The tolerance absorbs rounding: `2·ln(10)` and `ln(100)` must compare equal.
            breach: self.log_value >= log_threshold - BREACH_TOLERANCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(flags: &[bool], alpha: f64, expected_breaches: &[bool]) {
        let mut e = EProcess::new();
        let got: Vec<bool> = flags
            .iter()
            .map(|&f| e.step(f, (1.0 / alpha).ln()).breach)
            .collect();
        assert_eq!(got, expected_breaches, "{flags:?} alpha={alpha}");
    }

    #[test]
    fn breaches() {
        check(&[true, true], 0.01, &[false, true]);
        check(&[true, false, true], 0.01, &[false, false, false]);
        check(&[true, true, true], 1e-6, &[false, false, false]);
        check(&[true; 6], 1e-6, &[false, false, false, false, false, true]);
    }

    #[test]
    fn benign_history_cannot_be_banked() {
        let mut e = EProcess::new();
        let t = (100.0_f64).ln();
        for _ in 0..100_000 {
            e.step(false, t);
        }
        assert_eq!(e.log_value, 0.0);
        e.step(true, t);
        assert!(e.step(true, t).breach);
        for _ in 0..1000 {
            e.step(true, t);
        }
        assert!(e.log_value <= 2.0 * t);
    }
}
