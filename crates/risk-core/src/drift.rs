//! Drift: a split-window mean shift and a conformal residual test (docs/design.md §3).
//!
//! Both tests look at the *same* residual `r_t = |s_t − m_t|`, where `m_t` is the mean of the
//! extension's last `window_size` scores before call `t`.
//!
//! - **Split-window mean shift.** The last `window_size` residuals are split into an older and a
//!   newer half; the test fires when `mean(newer) − mean(older) ≥ DRIFT_MIN_SHIFT`.
//! - **Conformal residual test.** A calibration set holds up to `window_size` past residuals.
//!   With `n` of them, the threshold is `q̂ = ⌈(1 − α)(n + 1)⌉`-th smallest (or +∞ when that
//!   rank exceeds `n`: too little data to certify anything). A residual *exceeds* when
//!   `r > max(q̂, DRIFT_MIN_RESIDUAL)`. Under exchangeability an exceedance has probability at
//!   most α; the test fires when at least `k` of the last [`DRIFT_RECENT`] residuals exceed, `k`
//!   being the smallest count whose Binomial(`DRIFT_RECENT`, α) tail is at most α — so one
//!   stray residual never flags drift.
//!
//! Drift is flagged when either test fires. The calibration set is fed with a delay of
//! [`DRIFT_RECENT`] calls (the residuals under test are never part of their own reference) and
//! is **frozen while drift is flagged**, so post-change data does not dilute the reference
//! while the change is flagged; after drift clears, the delayed residuals of the drift period
//! enter it too, so a lasting change becomes the new normal (by design).
//!
//! Cost: `O(1)` per call for the mean shift; the conformal count scans the calibration set with
//! an early exit, `O(window_size)` in the worst case — the runbook's "reduce window_size" advice
//! for latency is true of this code.

/// Residuals under test by the conformal rule (also the calibration delay).
pub const DRIFT_RECENT: usize = 16;
/// Residuals below this never count as exceedances: drift is about behaviour a quarter of the
/// scale away from its own recent mean, not about benign mode changes (reads → builds).
pub const DRIFT_MIN_RESIDUAL: f64 = 0.25;
/// Mean shift between the two halves of the residual window that flags drift.
pub const DRIFT_MIN_SHIFT: f64 = 0.20;

/// A fixed-capacity ring of `f64` with a running sum. Allocated once; never grows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ring {
    buf: Vec<f64>,
    head: usize,
    len: usize,
    sum: f64,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Ring {
        Ring {
            buf: vec![0.0; capacity.max(1)],
            head: 0,
            len: 0,
            sum: 0.0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    pub(crate) fn mean(&self) -> f64 {
        if self.len == 0 {
            0.0
        } else {
            (self.sum / self.len as f64).max(0.0)
        }
    }

    /// The value pushed `age` pushes ago (0 = newest); 0 when there is none.
    pub(crate) fn at_age(&self, age: usize) -> f64 {
        if age >= self.len {
            return 0.0;
        }
        // `age < len ≤ cap`, so one conditional wrap replaces a division.
        let back = age + 1;
        let idx = if back <= self.head {
            self.head - back
        } else {
            self.head + self.buf.len() - back
        };
        self.buf.get(idx).copied().unwrap_or(0.0)
    }

    /// Pushes `value`, returning the evicted value (0 when the ring was not full).
    pub(crate) fn push(&mut self, value: f64) -> f64 {
        let cap = self.buf.len();
        let evicted = if self.len == cap {
            self.buf.get(self.head).copied().unwrap_or(0.0)
        } else {
            self.len += 1;
            0.0
        };
        if let Some(slot) = self.buf.get_mut(self.head) {
            *slot = value;
        }
        self.head += 1;
        if self.head == cap {
            self.head = 0;
        }
        self.sum += value - evicted;
        if self.head == 0 {
            // Re-sum exactly once per lap: running sums must not accumulate rounding error
            // over millions of calls (amortised O(1)).
            self.sum = self.buf.iter().take(self.len).sum();
        }
        evicted
    }

    pub(crate) fn sum(&self) -> f64 {
        self.sum
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &f64> {
        self.buf.iter().take(self.len)
    }

    pub(crate) fn clear(&mut self) {
        self.buf.iter_mut().for_each(|v| *v = 0.0);
        self.head = 0;
        self.len = 0;
        self.sum = 0.0;
    }
}

/// The drift state of one extension: three rings of `window_size` residuals/values.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftDetector {
    residuals: Ring,
    newer_sum: f64,
    since_resum: usize,
    calibration: Ring,
    recent_exceedances: u32,
    drifting: bool,
}

/// What one step of the drift tests saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftReading {
    /// Whether drift is flagged after this call.
    pub drifting: bool,
    /// `mean(newer half) − mean(older half)` of the residual window (0 until it is full).
    pub shift: f64,
    /// Whether this call's residual exceeded the conformal threshold.
    pub exceeded: bool,
    /// Exceedances among the last [`DRIFT_RECENT`] residuals.
    pub recent_exceedances: u32,
}

impl DriftDetector {
    /// A detector over `window_size` residuals.
    pub fn new(window_size: usize) -> DriftDetector {
        DriftDetector {
            residuals: Ring::new(window_size.max(2)),
            newer_sum: 0.0,
            since_resum: 0,
            calibration: Ring::new(window_size.max(2)),
            recent_exceedances: 0,
            drifting: false,
        }
    }

    /// Whether drift is currently flagged.
    pub fn drifting(&self) -> bool {
        self.drifting
    }

    /// Residuals in the calibration set.
    pub fn calibration_len(&self) -> usize {
        self.calibration.len()
    }

    /// The conformal threshold `q̂` at `alpha` over the current calibration set (`+∞` when the
    /// set is too small). For inspection and tests; the hot path counts instead of sorting.
    pub fn quantile(&self, alpha: f64) -> f64 {
        let n = self.calibration.len();
        let Some(rank) = conformal_rank(n, alpha) else {
            return f64::INFINITY;
        };
        let mut sorted: Vec<f64> = self.calibration.values().copied().collect();
        sorted.sort_by(f64::total_cmp);
        sorted
            .get(rank.saturating_sub(1))
            .copied()
            .unwrap_or(f64::INFINITY)
    }

    /// One step with residual `r`; `min_exceedances` is the model's precomputed `k`.
    pub fn step(&mut self, r: f64, alpha: f64, min_exceedances: u32) -> DriftReading {
        let r = if r.is_finite() { r.max(0.0) } else { 1.0 };
        let exceeded = r > DRIFT_MIN_RESIDUAL && self.exceeds_quantile(r, alpha);
        self.recent_exceedances =
            ((self.recent_exceedances << 1) | u32::from(exceeded)) & ((1u32 << DRIFT_RECENT) - 1);
        let recent = self.recent_exceedances.count_ones();

        // Split-window sums: the value at age half−1 moves from the newer half to the older one.
        let half = self.residuals.capacity() / 2;
        let moving = self.residuals.at_age(half.saturating_sub(1));
        let delayed = self.residuals.at_age(DRIFT_RECENT.saturating_sub(1));
        let had_delayed = self.residuals.len() >= DRIFT_RECENT;
        self.residuals.push(r);
        self.newer_sum += r - moving;
        self.since_resum += 1;
        if self.residuals.len() <= half || self.since_resum >= self.residuals.capacity() {
            // Exact re-sum while filling and once per lap (amortised O(1)): no rounding drift.
            self.newer_sum = (0..half).map(|age| self.residuals.at_age(age)).sum();
            self.since_resum = 0;
        }
        let shift = if self.residuals.is_full() && half > 0 {
            let older = self.residuals.capacity() - half;
            let older_sum = self.residuals.sum() - self.newer_sum;
            (self.newer_sum / half as f64 - older_sum / older as f64).max(-1.0)
        } else {
            0.0
        };

        self.drifting = recent >= min_exceedances || shift >= DRIFT_MIN_SHIFT;
        // INVARIANT (frozen-reference): the calibration set does not move while drifting.
        if !self.drifting && had_delayed {
            self.calibration.push(delayed);
        }
        DriftReading {
            drifting: self.drifting,
            shift: if shift.is_finite() { shift } else { 0.0 },
            exceeded,
            recent_exceedances: recent,
        }
    }

    /// Forgets everything (operator reset). Keeps the allocations.
    pub fn clear(&mut self) {
        self.residuals.clear();
        self.calibration.clear();
        self.newer_sum = 0.0;
        self.since_resum = 0;
        self.recent_exceedances = 0;
        self.drifting = false;
    }

    /// `r > q̂` ⇔ at least `rank` calibration residuals are `< r` ⇔ at most `n − rank` are
    /// `≥ r`; the scan stops as soon as more than `n − rank` are found.
    fn exceeds_quantile(&self, r: f64, alpha: f64) -> bool {
        let n = self.calibration.len();
        let Some(rank) = conformal_rank(n, alpha) else {
            return false;
        };
        let allowed = n - rank;
        let mut at_or_above = 0usize;
        for &c in self.calibration.values() {
            if c >= r {
                at_or_above += 1;
                if at_or_above > allowed {
                    return false;
                }
            }
        }
        true
    }
}

/// The smallest `k ≥ 2` with `P(Binomial(DRIFT_RECENT, alpha) ≥ k) ≤ alpha`.
pub fn min_exceedances(alpha: f64) -> u32 {
    let n = DRIFT_RECENT as u32;
    let mut tail = 1.0; // P(X ≥ 0)
    let mut pmf = (1.0 - alpha).powi(n as i32); // P(X = 0)
    for k in 0..n {
        tail -= pmf; // now P(X ≥ k + 1)
        let next = k + 1;
        if next >= 2 && tail <= alpha {
            return next;
        }
        pmf *= f64::from(n - k) / f64::from(k + 1) * alpha / (1.0 - alpha);
    }
    n
}

/// `⌈(1 − α)(n + 1)⌉` when it is at most `n`.
fn conformal_rank(n: usize, alpha: f64) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let rank = ((1.0 - alpha) * (n as f64 + 1.0)).ceil();
    if rank.is_finite() && rank >= 1.0 && rank <= n as f64 {
        Some(rank as usize)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_exceedances_follow_the_binomial_tail() {
        assert_eq!(min_exceedances(0.01), 3);
        assert_eq!(min_exceedances(1e-6), 2);
        assert_eq!(min_exceedances(0.5), 9);
        assert_eq!(min_exceedances(0.05), 3);
    }

    #[test]
    fn ring_sums_match_a_naive_recomputation() {
        let mut ring = Ring::new(5);
        for i in 0..23 {
            ring.push(f64::from(i) * 0.1);
            let naive: f64 = ring.values().sum::<f64>() / ring.len() as f64;
            assert!((ring.mean() - naive).abs() < 1e-9);
        }
        assert_eq!(ring.at_age(0), 2.2);
        assert_eq!(ring.at_age(4), 1.8);
        assert_eq!(ring.at_age(5), 0.0);
    }

    #[test]
    fn quantile_needs_enough_data_and_stable_residuals_never_drift() {
        let mut d = DriftDetector::new(128);
        let k = min_exceedances(0.01);
        for i in 0..1000 {
            let r = 0.05 + 0.01 * f64::from(i % 7);
            assert!(!d.step(r, 0.01, k).drifting, "call {i}");
        }
        assert!(d.quantile(0.01) <= 0.11);
        assert_eq!(DriftDetector::new(8).quantile(0.01), f64::INFINITY);
    }

    #[test]
    fn a_level_shift_is_flagged_and_freezes_the_reference() {
        let mut d = DriftDetector::new(128);
        let k = min_exceedances(0.01);
        for _ in 0..300 {
            d.step(0.02, 0.01, k);
        }
        let reference = d.quantile(0.01);
        let mut first = None;
        for i in 0..40 {
            if d.step(0.6, 0.01, k).drifting && first.is_none() {
                first = Some(i);
            }
        }
        assert_eq!(first, Some(2), "third exceedance flags drift");
        assert_eq!(
            d.quantile(0.01),
            reference,
            "reference frozen while drifting"
        );
    }
}
