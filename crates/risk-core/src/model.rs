//! The risk model's configuration, inputs and outputs (docs/design.md §3).
//!
//! [`RiskModel`] is the validated, immutable part shared by every extension; per-extension state
//! lives in [`ExtensionRiskState`](crate::ExtensionRiskState) and one decision is
//! [`evaluate`](crate::evaluate) → [`Evaluation`].

use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::config::RuntimeRiskConfig;
use crate::drift::min_exceedances;
use crate::eprocess::EProcess;
use crate::explain::{Explanation, Triggers};
use crate::features::{HttpTargetClass, FEATURE_COUNT};
use crate::hysteresis::{HysteresisConfig, ScoreBands, Transition};
use crate::posterior::Posterior;
use crate::state::EnforcementState;
use hostguard_exec::ExecTier;

/// Largest `window_size` the model accepts (bounds the per-extension allocation).
pub const MAX_WINDOW_SIZE: usize = 1 << 16;

/// The validated risk model: knobs and everything precomputed from them.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskModel {
    pub(crate) hysteresis: HysteresisConfig,
    pub(crate) alpha: f64,
    pub(crate) window_size: usize,
    /// Forgetting factor `λ = 1 − 1/window_size`.
    pub(crate) lambda: f64,
    /// `ln(1/alpha)`: the e-process breach level.
    pub(crate) log_threshold: f64,
    /// E-process increments `(flagged, unflagged)`.
    pub(crate) e_increments: (f64, f64),
    /// Conformal exceedances among the last `DRIFT_RECENT` that flag drift.
    pub(crate) min_exceedances: u32,
    pub(crate) decision_timeout_ms: u64,
    pub(crate) fail_closed: bool,
}

/// Why a [`RiskModel`] could not be built. The config loader checks the documented ranges; this
/// checks what the model's mathematics needs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RiskModelError {
    /// `alpha` must be a probability strictly between 0 and 1.
    #[error("risk model: `alpha` = `{value}` is outside (0, 1)")]
    Alpha {
        /// The value given.
        value: f64,
    },
    /// `window_size` must be in `[2, MAX_WINDOW_SIZE]`.
    #[error("risk model: `window_size` = `{value}` is outside [2, {MAX_WINDOW_SIZE}]")]
    WindowSize {
        /// The value given.
        value: usize,
    },
    /// Score bands must be finite, in `(0, 1]`, and strictly increasing.
    #[error("risk model: score bands `{harden}`, `{prompt}`, `{deny}`, `{terminate}` must be finite, in (0, 1] and strictly increasing (harden < prompt < deny < terminate)")]
    Bands {
        /// Harden threshold.
        harden: f64,
        /// Prompt threshold.
        prompt: f64,
        /// Deny threshold.
        deny: f64,
        /// Terminate threshold.
        terminate: f64,
    },
    /// `cooldown_calls` must be at least 1.
    #[error("risk model: `cooldown_calls` = `{value}` is outside [1, 4294967295]")]
    CooldownCalls {
        /// The value given.
        value: u32,
    },
    /// `de_escalation_margin` must be finite and in `[0, 1)`.
    #[error("risk model: `de_escalation_margin` = `{value}` is outside [0, 1)")]
    DeEscalationMargin {
        /// The value given.
        value: f64,
    },
}

impl RiskModel {
    /// Builds the model from the risk config and the hysteresis knobs in force (see
    /// [`RuntimeRiskConfig::hysteresis_config`] for the usual way to derive them).
    pub fn new(
        config: &RuntimeRiskConfig,
        hysteresis: HysteresisConfig,
    ) -> Result<RiskModel, RiskModelError> {
        let alpha = config.alpha;
        if !(alpha.is_finite() && alpha > 0.0 && alpha < 1.0) {
            return Err(RiskModelError::Alpha { value: alpha });
        }
        let window_size = config.window_size;
        if !(2..=MAX_WINDOW_SIZE).contains(&window_size) {
            return Err(RiskModelError::WindowSize { value: window_size });
        }
        let ScoreBands {
            harden,
            prompt,
            deny,
            terminate,
        } = hysteresis.bands;
        let in_range = |x: f64| x.is_finite() && x > 0.0 && x <= 1.0;
        let bands_ok = [harden, prompt, deny, terminate].into_iter().all(in_range)
            && harden < prompt
            && prompt < deny
            && deny < terminate;
        if !bands_ok {
            return Err(RiskModelError::Bands {
                harden,
                prompt,
                deny,
                terminate,
            });
        }
        if hysteresis.cooldown_calls == 0 {
            return Err(RiskModelError::CooldownCalls {
                value: hysteresis.cooldown_calls,
            });
        }
        let margin = hysteresis.de_escalation_margin;
        if !(margin.is_finite() && (0.0..1.0).contains(&margin)) {
            return Err(RiskModelError::DeEscalationMargin { value: margin });
        }
        Ok(RiskModel {
            hysteresis,
            alpha,
            window_size,
            lambda: 1.0 - 1.0 / window_size as f64,
            log_threshold: (1.0 / alpha).ln(),
            e_increments: EProcess::increments(),
            min_exceedances: min_exceedances(alpha),
            decision_timeout_ms: config.decision_timeout_ms,
            fail_closed: config.fail_closed,
        })
    }

    /// The hysteresis knobs in force.
    pub fn hysteresis(&self) -> &HysteresisConfig {
        &self.hysteresis
    }

    /// The type-I error budget.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The effective memory in calls.
    pub fn window_size(&self) -> usize {
        self.window_size
    }

    /// The e-process breach level `ln(1/alpha)`.
    pub fn log_threshold(&self) -> f64 {
        self.log_threshold
    }
}

/// What the model is told about one call: its capability, the exec tier, and the signals
/// detection derived from its effects (docs/detection.md) — computed once by the caller and
/// shared with mediation. The model reads no params itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskInput {
    /// The call's derived capability.
    pub capability: Capability,
    /// For exec calls, the strictest of the exec classifier's tier and the rules' severity
    /// (`None` when the call runs no command or was not classified: an unclassified exec
    /// scores like Medium).
    pub exec_tier: Option<ExecTier>,
    /// The exec classifier named a critical class (reverse shell, pipe-to-shell…).
    pub exec_critical_class: bool,
    /// What detection saw.
    pub signals: Signals,
    /// When the call arrived (drives the burst features).
    pub now_ms: u64,
}

/// The signals of one call's detection the model scores (see [`crate::Detection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signals {
    /// A secret, privilege, persistence, system or host path outside the workspace is read or
    /// changed, or a relative path climbs out of the workspace (feature `sensitive_path`).
    pub sensitive_path: bool,
    /// A credential-shaped env var is read (brokered, or expanded by a command): feature
    /// `secret_env`.
    pub secret_env: bool,
    /// A secret is read (file, credential store, env var, cloud metadata): it arms the
    /// exfiltration shape for the window, and with an egress in the same call is the shape.
    pub secret_read: bool,
    /// Where the call sends or fetches (feature `http_target`).
    pub target: Option<HttpTargetClass>,
    /// The call reaches off the machine and its network to somewhere other than the package
    /// registries and code hosts (the egress half of the exfiltration shape).
    pub leaves: bool,
    /// The strictest rule that fired: High and Critical floor the state at Prompt.
    pub rule_severity: Option<ExecTier>,
}

/// How a call ended, as the host reports it after running (or refusing) it. Errors feed the
/// error-rate and failure-streak features and the posterior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The call succeeded: evidence towards `safe`.
    Success,
    /// The host or the OS refused it (permission denied): strongest evidence towards `unsafe`.
    Denied,
    /// The call timed out: evidence towards `unsafe`.
    Timeout,
    /// An I/O error: evidence towards `unsafe`.
    IoError,
    /// Any other error: evidence towards `suspicious`.
    OtherError,
}

impl Outcome {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Timeout => "timeout",
            Outcome::IoError => "io_error",
            Outcome::OtherError => "other_error",
        }
    }

    /// Whether the outcome is an error.
    pub const fn is_error(self) -> bool {
        match self {
            Outcome::Success => false,
            Outcome::Denied | Outcome::Timeout | Outcome::IoError | Outcome::OtherError => true,
        }
    }

    /// Maps a recorded `error_code` (hostcall streams, docs/design.md §8) to an outcome: none is
    /// success; codes are matched case-insensitively on their usual spellings.
    pub fn from_error_code(code: Option<&str>) -> Outcome {
        let Some(code) = code else {
            return Outcome::Success;
        };
        let code = code.trim();
        let is = |names: &[&str]| names.iter().any(|n| code.eq_ignore_ascii_case(n));
        if is(&[
            "denied",
            "permission_denied",
            "forbidden",
            "eacces",
            "eperm",
            "403",
        ]) {
            Outcome::Denied
        } else if is(&["timeout", "timed_out", "etimedout", "deadline_exceeded"]) {
            Outcome::Timeout
        } else if is(&[
            "io",
            "io_error",
            "eio",
            "enoent",
            "enospc",
            "ebadf",
            "not_found",
        ]) {
            Outcome::IoError
        } else {
            Outcome::OtherError
        }
    }

    /// Posterior evidence of the outcome (one place, with rationale).
    pub(crate) const fn evidence(self) -> Posterior {
        match self {
            // A normal call: half the weight of a call's own score evidence.
            Outcome::Success => Posterior {
                safe: 0.5,
                suspicious: 0.0,
                unsafe_: 0.0,
            },
            // Refused by the host or the OS: the extension tried something it may not do.
            Outcome::Denied => Posterior {
                safe: 0.0,
                suspicious: 0.0,
                unsafe_: 0.75,
            },
            // Hangs and I/O errors are what probing and resource abuse look like.
            Outcome::Timeout | Outcome::IoError => Posterior {
                safe: 0.0,
                suspicious: 0.0,
                unsafe_: 0.5,
            },
            // Other failures are noteworthy, not damning.
            Outcome::OtherError => Posterior {
                safe: 0.0,
                suspicious: 0.5,
                unsafe_: 0.0,
            },
        }
    }
}

/// Why an evaluation is a fail-safe fallback rather than the model's own verdict (docs/design.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    /// The decision took longer than `decision_timeout_ms`.
    DecisionTimeout,
    /// The model failed (a non-finite intermediate value).
    ControllerError,
}

impl FallbackReason {
    /// The ledger's `fallback_reason` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            FallbackReason::DecisionTimeout => "decision_timeout",
            FallbackReason::ControllerError => "controller_error",
        }
    }
}

/// Everything one decision of the model produced. Every number is finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The risk score `s ∈ [0, 1]`.
    pub score: f64,
    /// The posterior after this call.
    pub posterior: Posterior,
    /// Triggers that fired (each raises the target to at least Harden).
    pub triggers: Triggers,
    /// Target state from the bands and triggers alone.
    pub target: EnforcementState,
    /// The machine's state before the call.
    pub state_before: EnforcementState,
    /// The machine's state after the call ([`Hysteresis::step`](crate::Hysteresis::step)).
    pub state_after: EnforcementState,
    /// The state the verdict uses: `state_after`, raised to at least Deny by a fail-closed
    /// fallback (never lowered). Differs from `state_after` only when `fallback` is set.
    pub verdict: EnforcementState,
    /// How the machine moved.
    pub transition: Transition,
    /// Posterior unsafe ≥ 0.55 or target ≥ Deny.
    pub unsafe_evaluation: bool,
    /// Consecutive unsafe evaluations (3 → Terminate).
    pub consecutive_unsafe: u32,
    /// The e-process log-value after this call.
    pub e_process_log: f64,
    /// Whether drift is flagged.
    pub drift: bool,
    /// Feature values, in [`Feature::ALL`](crate::Feature::ALL) order.
    pub features: [f64; FEATURE_COUNT],
    /// Top contributors to the score.
    pub explanation: Explanation,
    /// Set when the verdict is a fail-safe fallback.
    pub fallback: Option<FallbackReason>,
    /// Milliseconds the decision took by the injected clock.
    pub decision_ms: u64,
}

impl Evaluation {
    /// One summary line for ledgers and alerts (built on demand; the hot path does not
    /// allocate).
    pub fn summary(&self) -> String {
        let mut line = String::with_capacity(128);
        self.write_summary(&mut line);
        line
    }

    /// Appends [`summary`](Self::summary)'s line to `line` (the gate reuses the buffer of an
    /// evicted ledger record).
    pub fn write_summary(&self, line: &mut String) {
        let transition = transition_str(self.transition);
        self.explanation
            .write_summary(line, self.score, self.verdict, transition, self.triggers);
        if let Some(reason) = self.fallback {
            line.push_str("; fallback: ");
            line.push_str(reason.as_str());
        }
    }

    /// Every number of the evaluation, for finiteness checks.
    pub fn numbers(&self) -> impl Iterator<Item = f64> + '_ {
        [
            self.score,
            self.posterior.safe,
            self.posterior.suspicious,
            self.posterior.unsafe_,
            self.e_process_log,
        ]
        .into_iter()
        .chain(self.features.iter().copied())
        .chain(self.explanation.contributors().iter().map(|c| c.impact))
    }
}

/// The snake_case name of a transition (as its serde form).
pub const fn transition_str(transition: Transition) -> &'static str {
    match transition {
        Transition::Stay => "stay",
        Transition::Escalated => "escalated",
        Transition::DeEscalated => "de_escalated",
        Transition::Quarantined => "quarantined",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(config: RuntimeRiskConfig, hysteresis: HysteresisConfig, ok: bool) {
        assert_eq!(
            RiskModel::new(&config, hysteresis).is_ok(),
            ok,
            "{config:?} {hysteresis:?}"
        );
    }

    #[test]
    fn construction_validates_what_the_math_needs() {
        let c = RuntimeRiskConfig::default();
        let h = HysteresisConfig::default();
        check(c, h, true);
        check(RuntimeRiskConfig { alpha: 0.0, ..c }, h, false);
        check(
            RuntimeRiskConfig {
                alpha: f64::NAN,
                ..c
            },
            h,
            false,
        );
        check(RuntimeRiskConfig { alpha: 1.0, ..c }, h, false);
        check(
            RuntimeRiskConfig {
                window_size: 1,
                ..c
            },
            h,
            false,
        );
        check(
            RuntimeRiskConfig {
                window_size: 1 << 20,
                ..c
            },
            h,
            false,
        );
        let mut bad = h;
        bad.bands.deny = bad.bands.prompt;
        check(c, bad, false);
        check(
            c,
            HysteresisConfig {
                cooldown_calls: 0,
                ..h
            },
            false,
        );
        check(
            c,
            HysteresisConfig {
                de_escalation_margin: -0.1,
                ..h
            },
            false,
        );
        let err = RiskModel::new(&RuntimeRiskConfig { alpha: 2.0, ..c }, h);
        assert_eq!(
            err.map(|_| ()).map_err(|e| e.to_string()),
            Err("risk model: `alpha` = `2` is outside (0, 1)".to_owned())
        );
    }

    #[test]
    fn error_codes_map_to_outcomes() {
        assert_eq!(Outcome::from_error_code(None), Outcome::Success);
        assert_eq!(Outcome::from_error_code(Some("EACCES")), Outcome::Denied);
        assert_eq!(Outcome::from_error_code(Some("timeout")), Outcome::Timeout);
        assert_eq!(Outcome::from_error_code(Some("ENOENT")), Outcome::IoError);
        assert_eq!(Outcome::from_error_code(Some("weird")), Outcome::OtherError);
    }
}
