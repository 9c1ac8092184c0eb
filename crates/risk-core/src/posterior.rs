//! The posterior over {safe, suspicious, unsafe} (docs/design.md §3).

use serde::{Deserialize, Serialize};

/// Posterior probabilities of the three classes of an extension's behaviour; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Posterior {
    /// Probability of `safe`.
    pub safe: f64,
    /// Probability of `suspicious`.
    pub suspicious: f64,
    /// Probability of `unsafe`.
    #[serde(rename = "unsafe")]
    pub unsafe_: f64,
}

impl Default for Posterior {
    /// The uniform posterior.
    fn default() -> Self {
        Posterior {
            safe: 1.0 / 3.0,
            suspicious: 1.0 / 3.0,
            unsafe_: 1.0 / 3.0,
        }
    }
}

/// The most evidence one evaluated call brings: one unit for its score plus at most 0.75 for its
/// outcome. With forgetting `λ = 1 − 1/window_size` the mass stays below `window_size` times
/// this; [`DirichletCounts::cap_mass`] keeps that true when outcomes outnumber evaluations.
pub const MAX_EVIDENCE_PER_CALL: f64 = 1.75;

/// Prior pseudo-count of each class, added when the posterior is read (never forgotten): the
/// posterior of a fresh extension is uniform, and it is always well defined.
pub const DIRICHLET_PRIOR: f64 = 1.0;

/// Dirichlet pseudo-counts of evidence for {safe, suspicious, unsafe}, with exponential
/// forgetting: before each call's evidence is added every count is multiplied by
/// `λ = 1 − 1/window_size`, so a count is a geometrically weighted sum with effective memory
/// `1/(1 − λ) = window_size` calls and total mass bounded by `window_size · max evidence per
/// call` (no unbounded growth; an extension can recover).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DirichletCounts {
    /// Evidence for `safe`.
    pub safe: f64,
    /// Evidence for `suspicious`.
    pub suspicious: f64,
    /// Evidence for `unsafe`.
    #[serde(rename = "unsafe")]
    pub unsafe_: f64,
}

impl DirichletCounts {
    /// No evidence yet.
    pub const fn new() -> DirichletCounts {
        DirichletCounts {
            safe: 0.0,
            suspicious: 0.0,
            unsafe_: 0.0,
        }
    }

    /// Multiplies every count by `lambda` (in `[0, 1]`).
    pub fn forget(&mut self, lambda: f64) {
        self.safe *= lambda;
        self.suspicious *= lambda;
        self.unsafe_ *= lambda;
    }

    /// Adds evidence (each component must be finite and non-negative; others are ignored so a
    /// bug cannot poison the counts).
    pub fn add(&mut self, evidence: Posterior) {
        let ok = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
        self.safe += ok(evidence.safe);
        self.suspicious += ok(evidence.suspicious);
        self.unsafe_ += ok(evidence.unsafe_);
    }

    /// Scales every count down in proportion when their sum exceeds `max_mass`, so evidence
    /// added without a forgetting step (outcomes of calls the model never evaluated, an
    /// outcome reported twice) cannot grow the mass past the bound forgetting keeps.
    pub fn cap_mass(&mut self, max_mass: f64) {
        let total = self.safe + self.suspicious + self.unsafe_;
        if total > max_mass && max_mass.is_finite() && max_mass > 0.0 {
            let factor = max_mass / total;
            self.safe *= factor;
            self.suspicious *= factor;
            self.unsafe_ *= factor;
        }
    }

    /// The posterior mean `(count_k + prior) / Σ (count_j + prior)`.
    pub fn posterior(&self) -> Posterior {
        let safe = self.safe + DIRICHLET_PRIOR;
        let suspicious = self.suspicious + DIRICHLET_PRIOR;
        let unsafe_ = self.unsafe_ + DIRICHLET_PRIOR;
        let total = safe + suspicious + unsafe_;
        Posterior {
            safe: safe / total,
            suspicious: suspicious / total,
            unsafe_: unsafe_ / total,
        }
    }
}

/// The evidence one call with score `s` contributes: the Binomial(2, s) split
/// `((1 − s)², 2s(1 − s), s²)`, one unit of mass in total. A call at 0 is pure `safe` evidence,
/// a call at 1 pure `unsafe`, a call at 0.5 mostly `suspicious`.
pub fn score_evidence(s: f64) -> Posterior {
    let s = if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let r = 1.0 - s;
    Posterior {
        safe: r * r,
        suspicious: 2.0 * s * r,
        unsafe_: s * s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_bounds_the_mass_and_lets_an_extension_recover() {
        let lambda = 1.0 - 1.0 / 128.0;
        let mut counts = DirichletCounts::new();
        for _ in 0..10_000 {
            counts.forget(lambda);
            counts.add(score_evidence(1.0));
        }
        assert!(counts.unsafe_ <= 128.0 + 1e-9);
        assert!(counts.posterior().unsafe_ > 0.95);
        for _ in 0..1_000 {
            counts.forget(lambda);
            counts.add(score_evidence(0.0));
        }
        assert!(counts.posterior().safe > 0.95);
    }

    #[test]
    fn evidence_is_one_unit_and_fresh_posterior_is_uniform() {
        for s in [0.0, 0.25, 0.5, 1.0, f64::NAN, -3.0] {
            let e = score_evidence(s);
            assert!((e.safe + e.suspicious + e.unsafe_ - 1.0).abs() < 1e-12);
        }
        assert_eq!(DirichletCounts::new().posterior(), Posterior::default());
    }
}
