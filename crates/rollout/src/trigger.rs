//! The rollback trigger: the thresholds that revert an enforcing rollout to shadow (docs/design.md §4,
//! runbook Procedure 4), and their validation.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Fewest samples the window must hold before its statistics are conclusive. Below it the window
/// is `inconclusive` and no rollback fires: missing data is never healthy, and never damning.
pub const MIN_SAMPLES: usize = 10;

/// Largest accepted [`RollbackTrigger::window_size`]: bounds the window's memory.
pub const MAX_WINDOW_SIZE: usize = 100_000;

/// Thresholds that roll an enforcing rollout back to shadow. Each is compared strictly (`>`):
/// a window exactly at a limit is healthy.
///
/// The fields are public because operators build the trigger with a struct literal (runbook
/// Procedure 4, docs/design.md §4). A literal is not yet known to be valid: the controller validates it
/// on the way in ([`crate::RolloutController::new`], [`crate::RolloutController::set_rollback_trigger`]),
/// and [`RollbackTrigger::validate`] says what is wrong.
///
/// ```
/// use hostguard_rollout::RollbackTrigger;
///
/// let trigger = RollbackTrigger { max_false_positive_rate: 0.02, ..RollbackTrigger::default() };
/// assert_eq!(trigger.validate(), Ok(()));
/// let bad = RollbackTrigger { window_size: 5, ..RollbackTrigger::default() };
/// assert_eq!(
///     bad.validate().unwrap_err().to_string(),
///     "rollback trigger `window_size` = `5` is out of range: allowed [10, 100000] (at least the \
///      minimum sample count 10)",
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RollbackTrigger {
    /// Largest tolerated share of flagged false positives in the window, in `[0, 1]`.
    pub max_false_positive_rate: f64,
    /// Largest tolerated share of controller errors in the window, in `[0, 1]`.
    pub max_error_rate: f64,
    /// How many of the most recent decisions the window holds, in `[10, 100_000]`.
    pub window_size: usize,
    /// Largest tolerated mean decision latency over the window, in milliseconds, at least 1.
    pub max_latency_ms: u64,
}

impl RollbackTrigger {
    /// Checks every field; the first out-of-range field is the error. Never clamps.
    pub fn validate(&self) -> Result<(), RolloutConfigError> {
        check_rate("max_false_positive_rate", self.max_false_positive_rate)?;
        check_rate("max_error_rate", self.max_error_rate)?;
        if !(MIN_SAMPLES..=MAX_WINDOW_SIZE).contains(&self.window_size) {
            return Err(RolloutConfigError::OutOfRange {
                field: "window_size",
                value: self.window_size.to_string(),
                allowed: "[10, 100000] (at least the minimum sample count 10)",
            });
        }
        if self.max_latency_ms == 0 {
            return Err(RolloutConfigError::OutOfRange {
                field: "max_latency_ms",
                value: self.max_latency_ms.to_string(),
                allowed: "[1, 18446744073709551615]",
            });
        }
        Ok(())
    }
}

impl Default for RollbackTrigger {
    /// The defaults of docs/design.md §4: 5 % false positives, 10 % errors, 100 samples, 200 ms.
    fn default() -> Self {
        RollbackTrigger {
            max_false_positive_rate: 0.05,
            max_error_rate: 0.10,
            window_size: 100,
            max_latency_ms: 200,
        }
    }
}

/// A rollout configuration value the controller refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RolloutConfigError {
    /// A [`RollbackTrigger`] field lies outside its allowed range.
    #[error("rollback trigger `{field}` = `{value}` is out of range: allowed {allowed}")]
    OutOfRange {
        /// The field's name, as spelled in [`RollbackTrigger`].
        field: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// The allowed range, in words.
        allowed: &'static str,
    },
}

fn check_rate(field: &'static str, value: f64) -> Result<(), RolloutConfigError> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(RolloutConfigError::OutOfRange {
            field,
            value: value.to_string(),
            allowed: "[0, 1] (finite)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(trigger: RollbackTrigger, expected: Result<(), (&str, &str)>) {
        let got = trigger.validate().map_err(|e| match e {
            RolloutConfigError::OutOfRange { field, value, .. } => (field.to_owned(), value),
        });
        let expected = expected.map_err(|(f, v)| (f.to_owned(), v.to_owned()));
        assert_eq!(got, expected, "{trigger:?}");
    }

    fn with(f: impl FnOnce(&mut RollbackTrigger)) -> RollbackTrigger {
        let mut t = RollbackTrigger::default();
        f(&mut t);
        t
    }

    #[test]
    fn validation_table() {
        check(RollbackTrigger::default(), Ok(()));
        check(with(|t| t.max_false_positive_rate = 0.0), Ok(()));
        check(with(|t| t.max_false_positive_rate = 1.0), Ok(()));
        check(
            with(|t| t.max_false_positive_rate = -0.01),
            Err(("max_false_positive_rate", "-0.01")),
        );
        check(
            with(|t| t.max_false_positive_rate = 1.5),
            Err(("max_false_positive_rate", "1.5")),
        );
        check(
            with(|t| t.max_false_positive_rate = f64::NAN),
            Err(("max_false_positive_rate", "NaN")),
        );
        check(
            with(|t| t.max_error_rate = f64::INFINITY),
            Err(("max_error_rate", "inf")),
        );
        check(
            with(|t| t.max_error_rate = 1.0000001),
            Err(("max_error_rate", "1.0000001")),
        );
        check(with(|t| t.window_size = 10), Ok(()));
        check(with(|t| t.window_size = 100_000), Ok(()));
        check(with(|t| t.window_size = 9), Err(("window_size", "9")));
        check(with(|t| t.window_size = 0), Err(("window_size", "0")));
        check(
            with(|t| t.window_size = 100_001),
            Err(("window_size", "100001")),
        );
        check(with(|t| t.max_latency_ms = 1), Ok(()));
        check(with(|t| t.max_latency_ms = 0), Err(("max_latency_ms", "0")));
    }

    #[test]
    fn error_message_names_field_value_and_range() {
        let err = with(|t| t.max_error_rate = 2.0).validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "rollback trigger `max_error_rate` = `2` is out of range: allowed [0, 1] (finite)"
        );
    }

    #[test]
    fn defaults_match_design() {
        let t = RollbackTrigger::default();
        assert_eq!(
            (
                t.max_false_positive_rate,
                t.max_error_rate,
                t.window_size,
                t.max_latency_ms
            ),
            (0.05, 0.10, 100, 200)
        );
    }
}
