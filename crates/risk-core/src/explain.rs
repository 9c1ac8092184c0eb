//! Triggers and explanations of a risk evaluation (docs/design.md §3 "Explanation").
//!
//! Nothing here allocates on the hot path: contributor codes are `&'static str` in a fixed
//! array; the one-line summary is built only when asked for.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::features::Feature;
use crate::state::EnforcementState;

/// Most contributors an explanation lists.
pub const MAX_CONTRIBUTORS: usize = 12;

/// A condition that raises the target state to at least Harden whatever the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The e-process reached `1/alpha`.
    EProcessBreach,
    /// The drift tests flagged a change of behaviour.
    Drift,
    /// The exec classifier named a critical class (reverse shell, pipe-to-shell…).
    CriticalExecClass,
    /// A secret env or sensitive file read followed by a public/unknown http call.
    ExfiltrationShape,
    /// A High-severity rule of the catalog fired (floor Prompt).
    SevereRule,
    /// A Critical-severity rule of the catalog fired (floor Prompt; the call itself is refused
    /// at mediation, and a quarantine still takes three unsafe evaluations in a row).
    CriticalRule,
}

impl Trigger {
    /// Every trigger, in declaration order.
    pub const ALL: [Trigger; 6] = [
        Trigger::EProcessBreach,
        Trigger::Drift,
        Trigger::CriticalExecClass,
        Trigger::ExfiltrationShape,
        Trigger::SevereRule,
        Trigger::CriticalRule,
    ];

    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::EProcessBreach => "e_process_breach",
            Trigger::Drift => "drift",
            Trigger::CriticalExecClass => "critical_exec_class",
            Trigger::ExfiltrationShape => "exfiltration_shape",
            Trigger::SevereRule => "severe_rule",
            Trigger::CriticalRule => "critical_rule",
        }
    }

    /// The trigger with code `code`.
    pub fn from_code(code: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == code)
    }

    /// The least state this trigger imposes on the hysteresis target.
    pub const fn floor(self) -> EnforcementState {
        match self {
            Trigger::EProcessBreach
            | Trigger::Drift
            | Trigger::CriticalExecClass
            | Trigger::ExfiltrationShape => EnforcementState::Harden,
            Trigger::SevereRule | Trigger::CriticalRule => EnforcementState::Prompt,
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Trigger::EProcessBreach => 1,
            Trigger::Drift => 2,
            Trigger::CriticalExecClass => 4,
            Trigger::ExfiltrationShape => 8,
            Trigger::SevereRule => 16,
            Trigger::CriticalRule => 32,
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of triggers (a bitset; iteration in declaration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Triggers(u8);

impl Triggers {
    /// No trigger.
    pub const fn empty() -> Triggers {
        Triggers(0)
    }

    /// Adds `trigger`.
    pub fn insert(&mut self, trigger: Trigger) {
        self.0 |= trigger.bit();
    }

    /// Whether `trigger` fired.
    pub const fn contains(self, trigger: Trigger) -> bool {
        self.0 & trigger.bit() != 0
    }

    /// Whether no trigger fired.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of triggers that fired.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The triggers that fired, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Trigger> {
        Trigger::ALL.into_iter().filter(move |t| self.contains(*t))
    }

    /// The floor the triggers impose on the hysteresis target: the strictest of their own
    /// floors (Harden for the model's triggers, Prompt for a High or Critical rule), Allow when
    /// none fired.
    pub fn floor(self) -> EnforcementState {
        self.iter()
            .map(Trigger::floor)
            .max()
            .unwrap_or(EnforcementState::Allow)
    }

    /// The floor of triggers recorded by code (ledger replay runs this over a decision's
    /// `triggers`): a code this version does not know floors at Harden, as every trigger
    /// did before per-trigger floors existed.
    pub fn floor_of_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> EnforcementState {
        codes
            .into_iter()
            .map(|c| Trigger::from_code(c).map_or(EnforcementState::Harden, Trigger::floor))
            .max()
            .unwrap_or(EnforcementState::Allow)
    }
}

impl FromIterator<Trigger> for Triggers {
    fn from_iter<I: IntoIterator<Item = Trigger>>(iter: I) -> Triggers {
        let mut set = Triggers::empty();
        iter.into_iter().for_each(|t| set.insert(t));
        set
    }
}

/// One term of the score: a feature code and its signed impact `weight · value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contributor {
    /// The feature code (`exec_tier`, `window_mean`, …).
    pub code: &'static str,
    /// Its signed contribution to the (unclamped) score.
    pub impact: f64,
}

/// The top contributors to a score: at most [`MAX_CONTRIBUTORS`], non-zero impacts only,
/// ordered by |impact| descending, then code ascending (deterministic).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Explanation {
    contributors: [Contributor; MAX_CONTRIBUTORS],
    len: usize,
}

impl Explanation {
    /// Builds the explanation from every term of the score (any number; no allocation).
    pub fn from_terms<const N: usize>(mut terms: [Contributor; N]) -> Explanation {
        terms.sort_unstable_by(|a, b| {
            b.impact
                .abs()
                .total_cmp(&a.impact.abs())
                .then_with(|| a.code.cmp(b.code))
        });
        let mut explanation = Explanation {
            contributors: [Contributor {
                code: "",
                impact: 0.0,
            }; MAX_CONTRIBUTORS],
            len: 0,
        };
        let kept = terms
            .iter()
            .filter(|t| t.impact != 0.0 && t.impact.is_finite());
        for (slot, term) in explanation.contributors.iter_mut().zip(kept) {
            *slot = *term;
            explanation.len += 1;
        }
        explanation
    }

    /// The hot-path constructor: feature impacts, ties broken by the features' precomputed
    /// alphabetical rank (same order as [`Explanation::from_terms`], no string comparisons).
    pub(crate) fn from_features<const N: usize>(terms: [(Feature, f64); N]) -> Explanation {
        let mut explanation = Explanation {
            contributors: [Contributor {
                code: "",
                impact: 0.0,
            }; MAX_CONTRIBUTORS],
            len: 0,
        };
        // Non-zero terms, insertion-sorted into a small buffer (typically 3–6 of them).
        let mut kept = [(0.0f64, 0u8, Feature::Capability); N];
        let mut len = 0usize;
        for (feature, impact) in terms {
            if impact == 0.0 || !impact.is_finite() {
                continue;
            }
            let key = (impact.abs(), feature.alphabetical_rank());
            let mut pos = len;
            while pos > 0 {
                let Some(&(prev_abs, prev_rank, _)) = kept.get(pos - 1) else {
                    break;
                };
                let prev_abs = prev_abs.abs();
                let before = prev_abs > key.0 || (prev_abs == key.0 && prev_rank < key.1);
                if before {
                    break;
                }
                if let (Some(prev), Some(slot)) = (kept.get(pos - 1).copied(), kept.get_mut(pos)) {
                    *slot = prev;
                }
                pos -= 1;
            }
            if let Some(slot) = kept.get_mut(pos) {
                *slot = (impact, key.1, feature);
                len += 1;
            }
        }
        for (slot, &(impact, _, feature)) in explanation
            .contributors
            .iter_mut()
            .zip(kept.iter().take(len))
        {
            *slot = Contributor {
                code: feature.as_str(),
                impact,
            };
            explanation.len += 1;
        }
        explanation
    }

    /// The contributors, strongest first.
    pub fn contributors(&self) -> &[Contributor] {
        self.contributors.get(..self.len).unwrap_or(&[])
    }

    /// One summary line, e.g. `score 0.820 → deny (escalated); triggers: exfiltration_shape;
    /// top: exfiltration_shape +0.550, http_target +0.120, capability +0.125`.
    pub fn summary(
        &self,
        score: f64,
        state: EnforcementState,
        transition: &str,
        triggers: Triggers,
    ) -> String {
        let mut line = String::with_capacity(128);
        self.write_summary(&mut line, score, state, transition, triggers);
        line
    }

    /// Appends [`summary`](Self::summary)'s line to `line` (a caller may reuse a buffer).
    pub fn write_summary(
        &self,
        line: &mut String,
        score: f64,
        state: EnforcementState,
        transition: &str,
        triggers: Triggers,
    ) {
        line.push_str("score ");
        push_fixed3(line, score, false);
        line.push_str(" → ");
        line.push_str(state.as_str());
        line.push_str(" (");
        line.push_str(transition);
        line.push(')');
        if !triggers.is_empty() {
            line.push_str("; triggers: ");
            for (i, t) in triggers.iter().enumerate() {
                if i > 0 {
                    line.push_str(", ");
                }
                line.push_str(t.as_str());
            }
        }
        if self.len > 0 {
            line.push_str("; top: ");
            for (i, c) in self.contributors().iter().take(3).enumerate() {
                if i > 0 {
                    line.push_str(", ");
                }
                line.push_str(c.code);
                line.push(' ');
                push_fixed3(line, c.impact, true);
            }
        }
    }
}

/// Appends `x` with three decimals, exactly as `{:.3}` writes it (`{:+.3}` with `plus`): the
/// exact binary value rounded half to even. Every decision's summary holds a few such numbers,
/// and the general float formatter is a large part of a decision's cost; values it does not
/// cover (non-finite, or of 2^52 and more) go through the formatter.
fn push_fixed3(out: &mut String, x: f64, plus: bool) {
    use fmt::Write as _;
    let bits = x.to_bits();
    let biased = (bits >> 52) & 0x7ff;
    // x = m · 2^-shift, m < 2^53.
    let m = (bits & ((1 << 52) - 1)) | if biased == 0 { 0 } else { 1 << 52 };
    if !x.is_finite() || biased >= 1075 {
        let _ = if plus {
            write!(out, "{x:+.3}")
        } else {
            write!(out, "{x:.3}")
        };
        return;
    }
    let shift = 1075 - biased.max(1);
    // m · 1000 < 2^63: from a shift of 64 on, x · 1000 < 1/2, never a tie, so 0.
    let thousandths = if shift >= 64 {
        0
    } else {
        let n = u128::from(m) * 1000;
        let q = n >> shift;
        let r = n & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        q + u128::from(r > half || (r == half && q & 1 == 1))
    };
    if x.is_sign_negative() {
        out.push('-');
    } else if plus {
        out.push('+');
    }
    // m · 1000 >> shift with m < 2^53 and shift ≥ 1 fits a u64.
    let thousandths = u64::try_from(thousandths).unwrap_or(u64::MAX);
    let whole = thousandths / 1000;
    if whole < 10 {
        push_digit(out, whole);
    } else {
        let _ = write!(out, "{whole}");
    }
    out.push('.');
    let frac = thousandths % 1000;
    for digit in [frac / 100, frac / 10 % 10, frac % 10] {
        push_digit(out, digit);
    }
}

/// Appends the decimal digit `d` (< 10).
fn push_digit(out: &mut String, d: u64) {
    out.push(char::from(b'0' + u8::try_from(d % 10).unwrap_or(0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &'static str, impact: f64) -> Contributor {
        Contributor { code, impact }
    }

    #[test]
    fn order_is_magnitude_desc_then_code_and_zeros_are_dropped() {
        let e = Explanation::from_terms([
            c("b", 0.1),
            c("a", -0.1),
            c("z", 0.0),
            c("c", 0.5),
            c("d", f64::NAN),
        ]);
        let codes: Vec<_> = e.contributors().iter().map(|c| c.code).collect();
        assert_eq!(codes, ["c", "a", "b"]);
    }

    #[test]
    fn hot_path_constructor_orders_like_the_general_one() {
        let impacts = [
            0.1, -0.1, 0.0, 0.5, 0.1, 0.05, -0.5, 0.2, 0.1, 0.3, 0.1, 0.01, 0.02, 0.1,
        ];
        let terms: [(Feature, f64); 14] = std::array::from_fn(|i| (Feature::ALL[i], impacts[i]));
        let general = Explanation::from_terms(terms.map(|(f, impact)| c(f.as_str(), impact)));
        assert_eq!(Explanation::from_features(terms), general);
        assert_eq!(general.contributors().len(), 12);
    }

    #[test]
    fn at_most_twelve_contributors() {
        let terms = [c("x", 0.1); 20];
        assert_eq!(Explanation::from_terms(terms).contributors().len(), 12);
    }

    #[test]
    fn triggers_set_and_floor() {
        let set: Triggers = [Trigger::Drift, Trigger::EProcessBreach]
            .into_iter()
            .collect();
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Trigger::EProcessBreach, Trigger::Drift]
        );
        assert_eq!(set.len(), 2);
        assert_eq!(set.floor(), EnforcementState::Harden);
        assert_eq!(Triggers::empty().floor(), EnforcementState::Allow);
    }

    fn fixed3(x: f64, plus: bool) -> String {
        let mut out = String::new();
        push_fixed3(&mut out, x, plus);
        out
    }

    #[test]
    fn fixed3_is_the_formatter_on_ties_signs_and_edges() {
        for x in [
            0.0625,
            0.0005,
            0.0015,
            0.0025,
            -0.0001,
            -0.0,
            0.0,
            1.0005,
            0.9995,
            1.0,
            -1.0,
            5e-324,
            -5e-324,
            1e-20,
            4503599627370495.5,
            4503599627370496.0,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            0.1,
            0.2,
            0.3,
        ] {
            assert_eq!(fixed3(x, false), format!("{x:.3}"), "{x:e}");
            assert_eq!(fixed3(x, true), format!("{x:+.3}"), "{x:e}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn fixed3_agrees_with_the_formatter_on_any_float(bits in proptest::prelude::any::<u64>(), small in -2.0f64..2.0) {
            for x in [f64::from_bits(bits), small, small / 1000.0] {
                proptest::prop_assert_eq!(fixed3(x, false), format!("{x:.3}"));
                proptest::prop_assert_eq!(fixed3(x, true), format!("{x:+.3}"));
            }
        }
    }
}
