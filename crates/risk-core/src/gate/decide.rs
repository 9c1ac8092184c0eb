//! The gate's decision as a pure step (docs/design.md §2 steps 2–7): [`assess`] runs the layers
//! (trust, policy, quota, detection and mediation, secret broker, risk model) and
//! [`conclude`] applies the decision-time budget and enforces the model's state under the
//! rollout phase. No lock, clock or randomness inside: the caller gives the state, the time the
//! call arrived and the time the decision took, then records the [`Decision`].
//!
//! Steps 2–4 end the pipeline when they refuse; the risk model then does not run (it can only
//! tighten, docs/design.md §2 step 3).

use std::borrow::Cow;
use std::sync::Arc;

use hostguard_exec::{ExecMediationPolicy, ExecTier, Taint};
use hostguard_rollout::RolloutPhase;

use super::call::Call;
use super::enforce::{action_for, settle, EnforcementBasis, Settlement, VerdictAction};
use super::mediation::{broker_env, mediate, Mediation};
use super::trust::ExtensionTrustState;
use crate::capability::Capability;
use crate::detect::{Detection, Detector, TaintTracker};
use crate::evaluate::{assess_risk, ExtensionRiskState};
use crate::features::HttpTargetClass;
use crate::hostcall::MAX_ENV_NAMES;
use crate::hysteresis::Transition;
use crate::model::{Evaluation, RiskInput, RiskModel};
use crate::policy::{ExtensionPolicy, PolicyVerdict};
use crate::quota::{QuotaBreach, QuotaTracker};
use crate::secret::{SecretBrokerDecision, SecretBrokerPolicy, SecretBrokerReason};
use crate::state::EnforcementState;

/// What the gate decides with: policy, detection, mediation, broker, model and rollout.
#[derive(Debug, Clone, Copy)]
pub struct GateConfig<'a> {
    /// Static policy.
    pub policy: &'a ExtensionPolicy,
    /// The rule catalog and where the host runs.
    pub detector: &'a Detector,
    /// Exec mediation (preset, allow / deny patterns).
    pub exec_policy: &'a ExecMediationPolicy,
    /// The secret broker.
    pub secrets: &'a SecretBrokerPolicy,
    /// The risk model.
    pub model: &'a RiskModel,
    /// Whether the risk controller runs.
    pub risk_enabled: bool,
    /// The window (calls) over which earlier secret reads taint later calls.
    pub taint_window: u64,
    /// The rollout phase.
    pub phase: RolloutPhase,
    /// The rollout epoch (transitions so far), for enforce_new.
    pub epoch: u64,
}

/// One extension's state, as the step reads and advances it.
#[derive(Debug)]
pub struct GateState<'a> {
    /// Kill switch and quarantine.
    pub trust: &'a mut ExtensionTrustState,
    /// Quota windows.
    pub quota: &'a mut QuotaTracker,
    /// What the extension did earlier that rules look at.
    pub taint: &'a mut TaintTracker,
    /// The risk model's state.
    pub risk: &'a mut ExtensionRiskState,
    /// The rollout epoch of the extension's first call.
    pub first_seen_epoch: &'a mut Option<u64>,
}

/// Judges what a call does given what its extension did before. [`Detector`] judges every
/// time; a host may memoise (the judgment depends on the call and the taint only).
pub trait Judge {
    /// The call's detection.
    fn judge(&self, call: &Call<'_>, taint: Taint) -> Arc<Detection>;
}

impl Judge for Detector {
    fn judge(&self, call: &Call<'_>, taint: Taint) -> Arc<Detection> {
        Arc::new(self.inspect(call.host, call.capability, taint))
    }
}

/// Something a decision found that an alert reports (the manager words and stores it).
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// Static policy denied the capability.
    PolicyDenied,
    /// A quota was exceeded.
    QuotaExceeded(QuotaBreach),
    /// Mediation denied the call ([`Decision::mediation`] says why).
    MediationDenied,
    /// An env read of a secret was brokered.
    SecretRedacted(SecretBrokerReason),
    /// An env read named nothing the broker can answer for.
    SecretUnnamed,
    /// The enforced model blocked the call.
    RiskBlocked,
    /// The model would have blocked the call, had the rollout enforced it.
    WouldBlock,
    /// The extension was quarantined (Terminate enforced).
    Quarantined,
    /// The enforced state rose.
    Escalated,
    /// The enforced state fell.
    DeEscalated,
}

/// The layers' work before enforcement.
#[derive(Debug)]
pub struct Assessment {
    draft: Draft,
    first_seen: u64,
    detection: Arc<Detection>,
    mediation: Option<Mediation>,
    secrets: Vec<SecretBrokerDecision>,
    quota_breach: Option<QuotaBreach>,
    findings: Vec<Finding>,
    eval: Option<Evaluation>,
}

/// One decided call: the verdict and everything to record, as data.
#[derive(Debug)]
pub struct Decision {
    /// What the host must do.
    pub action: VerdictAction,
    /// What the gate selected and what it applied.
    pub settlement: Settlement,
    /// The state the layers enforced in every phase reached.
    pub gate_state: EnforcementState,
    /// Why the model's state was or was not applied.
    pub basis: EnforcementBasis,
    /// The rollout phase the call was decided in.
    pub phase: RolloutPhase,
    /// Why, as a code (`policy_deny`, `exec_mediation`, `risk_deny`, …).
    pub reason_code: &'static str,
    /// Why, in words.
    pub reason: Cow<'static, str>,
    /// The static policy's reason (`kill_switch`, `quarantined` before policy ran).
    pub policy_reason: &'static str,
    /// An env read of a secret was answered with the placeholder.
    pub secret_redacted: bool,
    /// This call quarantined the extension.
    pub quarantined: bool,
    /// The risk model's evaluation, when it ran.
    pub eval: Option<Evaluation>,
    /// What the call does and which rules it fired.
    pub detection: Arc<Detection>,
    /// Mediation's decision, for calls that run a command or fire a rule.
    pub mediation: Option<Mediation>,
    /// The broker's answer per env name.
    pub secrets: Vec<SecretBrokerDecision>,
    /// The quota the call exceeded.
    pub quota_breach: Option<QuotaBreach>,
    /// What the alerts report, in order.
    pub findings: Vec<Finding>,
    /// How long the decision took (ms), as the caller measured it: what the decision budget
    /// is checked against.
    pub decision_ms: u64,
    /// How long the call took from its arrival to the decision (ms), waiting included: what
    /// the rollout's latency health sees. The caller sets it; `conclude` starts it at
    /// `decision_ms`.
    pub latency_ms: u64,
}

impl Decision {
    /// Whether the model's state was applied.
    pub fn enforced(&self) -> bool {
        self.basis.enforces()
    }

    /// Telemetry's `resource_target_class`: where an http call goes, whether a file call
    /// touches a sensitive path, whether an env read was brokered.
    pub fn resource_class(&self, capability: Capability) -> &'static str {
        let d = &self.detection;
        match capability {
            Capability::Http => d
                .network_target()
                .unwrap_or(HttpTargetClass::Unknown)
                .as_str(),
            Capability::Read | Capability::Write if d.sensitive_path() => "sensitive_path",
            Capability::Read | Capability::Write => "path",
            Capability::Exec => "command",
            Capability::Env if self.secret_redacted => "secret_env",
            Capability::Env => "env",
            Capability::Session
            | Capability::Ui
            | Capability::Events
            | Capability::Log
            | Capability::Tool => "none",
        }
    }
}

/// The whole step for a decision that took no time: [`assess`] then [`conclude`].
pub fn step(
    state: &mut GateState<'_>,
    call: &Call<'_>,
    config: &GateConfig<'_>,
    judge: &dyn Judge,
) -> Decision {
    let assessment = assess(state, call, config, judge);
    conclude(state, call, config, assessment, 0)
}

/// Runs the layers of docs/design.md §2 steps 2–6 and the risk model (step 5).
pub fn assess(
    state: &mut GateState<'_>,
    call: &Call<'_>,
    config: &GateConfig<'_>,
    judge: &dyn Judge,
) -> Assessment {
    let first_seen = *state.first_seen_epoch.get_or_insert(config.epoch);
    let mut a = Assessment {
        draft: Draft::new(),
        first_seen,
        detection: Arc::default(),
        mediation: None,
        secrets: Vec::new(),
        quota_breach: None,
        findings: Vec::new(),
        eval: None,
    };
    if refused_by_trust(*state.trust, call, &mut a.draft)
        || refused_by_policy(call, config, &mut a)
        || refused_by_quota(state, call, &mut a)
    {
        return a;
    }
    judge_call(state, call, config, judge, &mut a);
    if config.risk_enabled {
        a.eval = Some(run_model(state, call, config, &a));
    }
    apply_mediation(&mut a);
    apply_broker(call, &mut a);
    a
}

/// Step 2: the kill switch refuses always (controller on or off, every phase); a quarantine
/// holds until an operator lifts it, whatever the phase or the controller's `enabled` flag
/// later become (docs/design.md §3 "Terminate is sticky").
fn refused_by_trust(trust: ExtensionTrustState, call: &Call<'_>, d: &mut Draft) -> bool {
    let (code, what) = match trust {
        ExtensionTrustState::Killed => ("kill_switch", "is killed by the kill switch"),
        ExtensionTrustState::Quarantined => {
            ("quarantined", "is quarantined until an operator lifts it")
        }
        ExtensionTrustState::Unknown | ExtensionTrustState::Trusted => return false,
    };
    d.policy_reason = code;
    d.raise(
        VerdictAction::Block,
        EnforcementState::Terminate,
        code,
        || format!("extension `{}` {what}", call.extension_id()),
    );
    true
}

/// Step 3: static policy. A deny ends the pipeline; a prompt asks a person.
fn refused_by_policy(call: &Call<'_>, config: &GateConfig<'_>, a: &mut Assessment) -> bool {
    let capability = call.capability;
    let policy = config.policy.evaluate(call.extension_id(), capability);
    let d = &mut a.draft;
    d.policy_reason = policy.reason.as_str();
    match policy.verdict {
        PolicyVerdict::Deny => {
            d.raise(
                VerdictAction::Block,
                EnforcementState::Deny,
                "policy_deny",
                || {
                    format!(
                        "policy denies capability `{capability}` ({})",
                        policy.reason
                    )
                },
            );
            a.findings.push(Finding::PolicyDenied);
            true
        }
        PolicyVerdict::Prompt => {
            d.raise(
                VerdictAction::Prompt,
                EnforcementState::Prompt,
                "policy_prompt",
                || format!("policy requires a person's approval for capability `{capability}`"),
            );
            false
        }
        PolicyVerdict::Allow => false,
    }
}

/// Step 4: quota. A breach refuses the call (every phase) and skips the model.
fn refused_by_quota(state: &mut GateState<'_>, call: &Call<'_>, a: &mut Assessment) -> bool {
    let Err(breach) = state.quota.check_and_record(call.now_ms, &call.charge) else {
        return false;
    };
    a.draft.raise(
        VerdictAction::Block,
        EnforcementState::Deny,
        "quota_exceeded",
        || breach.to_string(),
    );
    a.quota_breach = Some(breach);
    a.findings.push(Finding::QuotaExceeded(breach));
    true
}

/// Detection feeds both mediation (step 6) and the model (step 5): the call's effects, judged by
/// the rule catalog with what the extension did before. Every variable an env call names is
/// brokered: a host may read any of the keys.
fn judge_call(
    state: &mut GateState<'_>,
    call: &Call<'_>,
    config: &GateConfig<'_>,
    judge: &dyn Judge,
    a: &mut Assessment,
) {
    let taint = state.taint.taint(config.taint_window);
    a.detection = judge.judge(call, taint);
    state.taint.observe(&a.detection);
    let catalog = config.detector.catalog();
    a.mediation = mediate(config.exec_policy, catalog, call.capability, &a.detection);
    if call.capability == Capability::Env {
        let names = call.env_names.iter().flatten();
        a.secrets = names
            .map(|name| broker_env(config.secrets, config.detector, name))
            .collect();
    }
}

/// Step 5: the risk model, on the detection's signals.
fn run_model(
    state: &mut GateState<'_>,
    call: &Call<'_>,
    config: &GateConfig<'_>,
    a: &Assessment,
) -> Evaluation {
    let capability = call.capability;
    let mut signals = a.detection.signals();
    signals.secret_env |= call.env_names.is_none() || a.secrets.iter().any(|s| s.redacted);
    signals.secret_read |= signals.secret_env;
    // A High or Critical rule raises an exec call's tier; a Medium one is a signal its own
    // feature already scores (a secret env read), not counted twice.
    let severe = Some(a.detection.severity()).filter(|s| *s >= ExecTier::High);
    let exec_tier = (capability == Capability::Exec).then(|| {
        let classified = a.mediation.as_ref().map_or(ExecTier::Low, |m| m.classified);
        severe.map_or(classified, |s| classified.max(s))
    });
    let input = RiskInput {
        capability,
        exec_tier,
        exec_critical_class: a.mediation.as_ref().is_some_and(|m| m.critical),
        signals,
        now_ms: call.now_ms,
    };
    assess_risk(config.model, state.risk, &input)
}

/// Step 6: mediation refuses in every phase, for every method.
fn apply_mediation(a: &mut Assessment) {
    let Some(m) = a.mediation.as_ref().filter(|m| !m.allowed) else {
        return;
    };
    let code = m.code();
    a.draft
        .raise(VerdictAction::Block, EnforcementState::Deny, code, || {
            m.reason.clone()
        });
    a.findings.push(Finding::MediationDenied);
}

/// Step 6: the secret broker. An env read that names no variable (a whole-environment read, a
/// non-string name) or too many to broker would reach the host unbrokered: refused in every
/// phase, like exec mediation.
fn apply_broker(call: &Call<'_>, a: &mut Assessment) {
    if let Some(s) = a.secrets.iter().find(|s| s.redacted) {
        a.draft.secret_redacted = true;
        a.findings.push(Finding::SecretRedacted(s.reason));
    }
    if call.env_names.is_some() {
        return;
    }
    a.draft.raise(
        VerdictAction::Block,
        EnforcementState::Deny,
        "secret_broker_unnamed",
        unnamed_env_reason,
    );
    a.findings.push(Finding::SecretUnnamed);
}

/// Why an env read that names nothing the broker can answer for is refused.
pub fn unnamed_env_reason() -> String {
    format!(
        "env read names no variable the secret broker can check (a string, or at most {MAX_ENV_NAMES} strings, under `name`, `key`, `var`, `names`, `keys` or `vars`)"
    )
}

/// Step 7: applies the decision-time budget to the time the decision took, and enforces the
/// model's state as the rollout phase says (docs/design.md §4).
pub fn conclude(
    state: &mut GateState<'_>,
    call: &Call<'_>,
    config: &GateConfig<'_>,
    mut a: Assessment,
    decision_ms: u64,
) -> Decision {
    let gate_state = a.draft.state;
    let eval = a.eval.take().map(|e| e.timed(decision_ms, config.model));
    let basis = eval.as_ref().map_or(EnforcementBasis::NotEvaluated, |_| {
        EnforcementBasis::of(config.phase, a.first_seen, config.epoch)
    });
    let settlement = settle(
        call.capability,
        gate_state,
        eval.as_ref().map(|e| e.verdict),
        basis,
    );
    let mut quarantined = false;
    if let Some(e) = &eval {
        let fail_closed = config.model.fail_closed;
        enforce(
            &mut a,
            e,
            call.capability,
            basis,
            settlement.model_blocks,
            fail_closed,
        );
        quarantined = basis.enforces()
            && e.state_after == EnforcementState::Terminate
            && *state.trust == ExtensionTrustState::Trusted;
        if quarantined {
            *state.trust = ExtensionTrustState::Quarantined;
        }
    }
    let d = a.draft;
    Decision {
        action: settlement.action,
        settlement,
        gate_state,
        basis,
        phase: config.phase,
        reason_code: d.reason_code,
        reason: d.reason,
        policy_reason: d.policy_reason,
        secret_redacted: d.secret_redacted,
        quarantined,
        eval,
        detection: a.detection,
        mediation: a.mediation,
        secrets: a.secrets,
        quota_breach: a.quota_breach,
        findings: a.findings,
        decision_ms,
        latency_ms: decision_ms,
    }
}

/// The model's part of the verdict's reason and of the findings. A fallback is the risk
/// controller's verdict, so the rollout governs it like any other (docs/design.md §4: only kill
/// switch, policy, quotas and mediation are enforced in every phase; shadow never blocks on
/// risk); risk alerts beyond would-block belong to enforced decisions.
fn enforce(
    a: &mut Assessment,
    e: &Evaluation,
    capability: Capability,
    basis: EnforcementBasis,
    model_blocks: bool,
    fail_closed: bool,
) {
    if !basis.enforces() {
        if basis.announces_would_block() && model_blocks {
            a.findings.push(Finding::WouldBlock);
        }
        return;
    }
    let d = &mut a.draft;
    // Where enforced, fail-closed denies and fail-open keeps whatever was reached.
    if let Some(fallback) = e.fallback.filter(|_| fail_closed) {
        d.raise(VerdictAction::Block, e.verdict, fallback.as_str(), || {
            format!(
                "risk controller fallback ({}) after {} ms, fail-closed",
                fallback.as_str(),
                e.decision_ms
            )
        });
    }
    let risk_action = action_for(e.state_after, capability);
    let code = risk_code(e.state_after);
    d.raise(risk_action, e.state_after, code, || e.summary());
    d.explain_tie(risk_action, e.state_after, code, || e.summary());
    if risk_action == VerdictAction::Block {
        a.findings.push(Finding::RiskBlocked);
    }
    match e.transition {
        Transition::Quarantined => a.findings.push(Finding::Quarantined),
        Transition::Escalated => a.findings.push(Finding::Escalated),
        Transition::DeEscalated => a.findings.push(Finding::DeEscalated),
        Transition::Stay => {}
    }
}

/// The reason code of an enforced risk state.
pub const fn risk_code(state: EnforcementState) -> &'static str {
    match state {
        EnforcementState::Allow => "allowed",
        EnforcementState::Harden => "risk_harden",
        EnforcementState::Prompt => "risk_prompt",
        EnforcementState::Deny => "risk_deny",
        EnforcementState::Terminate => "risk_terminate",
    }
}

/// The verdict being built, strictest so far.
#[derive(Debug)]
struct Draft {
    action: VerdictAction,
    state: EnforcementState,
    reason_code: &'static str,
    reason: Cow<'static, str>,
    policy_reason: &'static str,
    secret_redacted: bool,
}

impl Draft {
    fn new() -> Draft {
        Draft {
            action: VerdictAction::Allow,
            state: EnforcementState::Allow,
            reason_code: "allowed",
            reason: Cow::Borrowed("allowed"),
            policy_reason: "none",
            secret_redacted: false,
        }
    }

    /// Tightens the verdict; never loosens it (a later, more lenient layer cannot downgrade a
    /// stricter one, docs/design.md §2 "a fallback never downgrades").
    fn raise(
        &mut self,
        action: VerdictAction,
        state: EnforcementState,
        code: &'static str,
        reason: impl FnOnce() -> String,
    ) {
        if (action, state) > (self.action, self.state) {
            self.reason_code = code;
            self.reason = Cow::Owned(reason());
        }
        self.action = self.action.max(action);
        self.state = self.state.max(state);
    }

    /// Names the detection as the reason when it asks for what the static policy already asked
    /// (a prompt both want): the operator learns why the model wants a person.
    fn explain_tie(
        &mut self,
        action: VerdictAction,
        state: EnforcementState,
        code: &'static str,
        reason: impl FnOnce() -> String,
    ) {
        if self.reason_code == "policy_prompt" && (action, state) == (self.action, self.state) {
            self.reason_code = code;
            self.reason = Cow::Owned(reason());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnforcementState::{Allow, Deny, Harden, Prompt, Terminate};
    use VerdictAction::{Allow as A, Block as B, Prompt as P};

    /// The whole step on one extension's state, as replay-free callers use it: a kill switch
    /// refuses before anything else runs; an ordinary call under shadow is scored, recorded as
    /// not enforced, and allowed.
    #[test]
    fn the_step_refuses_a_killed_extension_and_scores_an_ordinary_call() {
        use crate::config::RuntimeRiskConfig;
        use crate::hostcall::HostCall;
        use crate::hysteresis::HysteresisConfig;
        use crate::policy::{ExtensionPolicy, PolicyProfile};
        use crate::quota::QuotaLimits;
        use hostguard_exec::Context;

        let policy = ExtensionPolicy::from_profile(PolicyProfile::Permissive);
        let detector = Detector::builtin(Context::new()).unwrap();
        let exec_policy = ExecMediationPolicy::default();
        let secrets = SecretBrokerPolicy::default();
        let model =
            RiskModel::new(&RuntimeRiskConfig::default(), HysteresisConfig::default()).unwrap();
        let config = GateConfig {
            policy: &policy,
            detector: &detector,
            exec_policy: &exec_policy,
            secrets: &secrets,
            model: &model,
            risk_enabled: true,
            taint_window: 128,
            phase: RolloutPhase::Shadow,
            epoch: 0,
        };
        let (mut trust, mut quota) = (
            ExtensionTrustState::Killed,
            QuotaTracker::new(QuotaLimits::UNLIMITED),
        );
        let (mut taint, mut risk, mut first_seen) = (
            TaintTracker::default(),
            ExtensionRiskState::new(&model),
            None,
        );
        let mut state = GateState {
            trust: &mut trust,
            quota: &mut quota,
            taint: &mut taint,
            risk: &mut risk,
            first_seen_epoch: &mut first_seen,
        };
        let host = HostCall::new(
            "e",
            "c",
            "fs",
            serde_json::json!({"op": "read", "path": "a"}),
        );
        let call = Call::parse(&host, 0).unwrap();
        let d = step(&mut state, &call, &config, &detector);
        assert_eq!(
            (d.action, d.reason_code, d.basis),
            (B, "kill_switch", EnforcementBasis::NotEvaluated)
        );
        assert!(d.eval.is_none());
        *state.trust = ExtensionTrustState::Trusted;
        let d = step(&mut state, &call, &config, &detector);
        assert_eq!((d.action, d.basis), (A, EnforcementBasis::Shadow));
        assert!(d.eval.is_some() && !d.enforced());
        assert_eq!(*state.first_seen_epoch, Some(0));
    }

    #[test]
    fn a_draft_only_tightens() {
        let mut d = Draft::new();
        d.raise(P, Prompt, "policy_prompt", || "ask".into());
        d.raise(A, Harden, "risk_harden", || "harden".into());
        assert_eq!(
            (d.action, d.state, d.reason_code),
            (P, Prompt, "policy_prompt")
        );
        d.raise(B, Deny, "exec_mediation", || "denied".into());
        d.raise(A, Allow, "allowed", || "allowed".into());
        assert_eq!(
            (d.action, d.state, d.reason_code),
            (B, Deny, "exec_mediation")
        );
        d.raise(B, Terminate, "risk_terminate", || "t".into());
        assert_eq!((d.state, d.reason_code), (Terminate, "risk_terminate"));
    }
}
