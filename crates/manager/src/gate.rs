//! The gate: [`ExtensionManager::evaluate_hostcall`], docs/design.md §2 steps 1–8 in order.
//!
//! 1 validate → 2 kill switch / trust → 3 static policy → 4 quota → 5 risk model → 6 exec
//! mediation / secret broker → 7 enforcement (rollout phase) → 8 record (ledger, telemetry,
//! alerts, rollout sample). Steps 2–4 end the pipeline when they refuse; the risk model then
//! does not run (it can only tighten, docs/design.md §2 step 3).

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hostguard_evidence::{
    SecurityAlert, SecurityAlertCategory as Cat, SecurityAlertSeverity as Sev,
};
use hostguard_ledger::{Committed, DecisionRecord, EntryBody, EntryPayload, LedgerEntry};
use hostguard_risk_core::DomainTag;
use hostguard_risk_core::{
    evaluate, Capability, Detection, EnforcementState, Evaluation, ExecTier, HostCall,
    HttpTargetClass, PolicyVerdict, Posterior, QuotaCharge, RiskInput, SecretBrokerDecision,
    Transition, MAX_ENV_NAMES,
};
use hostguard_rollout::{DecisionSample, RolloutPhase};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::error::HostcallError;
use crate::manager::{phase_from_word, trust_payload, Core, ExtensionManager, ShardState};
use crate::records::PendingRecords;
use crate::shard::{lock, CallRef};
use crate::trust::ExtensionTrustState;
use crate::verdict::{Verdict, VerdictAction};

/// The verdict being built, strictest so far.
struct Draft {
    action: VerdictAction,
    state: EnforcementState,
    reason_code: &'static str,
    reason: Cow<'static, str>,
    policy_reason: &'static str,
    enforced: bool,
    would_block: bool,
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
            enforced: false,
            would_block: false,
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

/// What a risk state means for a call of `capability` when enforced (docs/design.md §4 table).
pub(crate) const fn action_for(state: EnforcementState, capability: Capability) -> VerdictAction {
    match state {
        EnforcementState::Allow => VerdictAction::Allow,
        EnforcementState::Harden => {
            if capability.is_dangerous() {
                VerdictAction::Block
            } else {
                VerdictAction::Allow
            }
        }
        EnforcementState::Prompt => VerdictAction::Prompt,
        EnforcementState::Deny | EnforcementState::Terminate => VerdictAction::Block,
    }
}

const fn risk_code(state: EnforcementState) -> &'static str {
    match state {
        EnforcementState::Allow => "allowed",
        EnforcementState::Harden => "risk_harden",
        EnforcementState::Prompt => "risk_prompt",
        EnforcementState::Deny => "risk_deny",
        EnforcementState::Terminate => "risk_terminate",
    }
}

impl ExtensionManager {
    /// Decides one hostcall: docs/design.md §2 steps 1–8 (see the module docs of `gate.rs`). The
    /// decision is in the ledger before the verdict is returned.
    ///
    /// Errors: [`HostcallError::InvalidRequest`] for a malformed call (nothing is recorded),
    /// [`HostcallError::Ledger`] when the decision cannot be recorded. The host must not dispatch
    /// a call that got an error.
    pub fn evaluate_hostcall(&self, call: &HostCall) -> Result<Verdict, HostcallError> {
        // Step 1: validate; the capability is derived, a mismatching declaration is refused.
        let capability = call.validate()?;
        let now = self.clock.now_ms();
        let word = self.phase_word.load(Ordering::Acquire);
        let phase = phase_from_word(word);
        let epoch = word >> 2;
        let params_digest = params_digest(&call.params);
        let Some(shard) = self.hostcall_shard(&call.extension_id) else {
            return Err(HostcallError::ExtensionLimit {
                extension_id: call.extension_id.clone(),
                limit: self.max_extensions,
            });
        };
        let mut guard = lock(&shard.state);
        let st = &mut *guard;
        self.refresh_controller(st);
        let first_epoch = *st.first_seen_epoch.get_or_insert(epoch);
        let ctx = AlertContext {
            now,
            extension_id: &call.extension_id,
            call,
            capability,
            params_digest: &params_digest,
        };
        let mut d = Draft::new();
        let mut pending = PendingRecords::default();
        let mut eval: Option<Evaluation> = None;
        let mut secrets: Vec<SecretBrokerDecision> = Vec::new();
        let mut detection: Arc<Detection> = Arc::default();
        let mut env_names_ok = true;
        let mut quarantine_now = false;

        'pipeline: {
            // Step 2: kill switch — refused always, controller on or off, every phase.
            if st.trust == ExtensionTrustState::Killed {
                d.policy_reason = "kill_switch";
                d.raise(
                    VerdictAction::Block,
                    EnforcementState::Terminate,
                    "kill_switch",
                    || {
                        format!(
                            "extension `{}` is killed by the kill switch",
                            call.extension_id
                        )
                    },
                );
                break 'pipeline;
            }
            // A quarantine is a trust state, not a risk verdict of this call: once enforced it
            // holds until an operator lifts it (kill switch off, `reset_extension`), whatever
            // the rollout phase or the controller's `enabled` flag later become (docs/design.md §3
            // "Terminate is sticky").
            if st.trust == ExtensionTrustState::Quarantined {
                d.policy_reason = "quarantined";
                d.raise(
                    VerdictAction::Block,
                    EnforcementState::Terminate,
                    "quarantined",
                    || {
                        format!(
                            "extension `{}` is quarantined until an operator lifts it",
                            call.extension_id
                        )
                    },
                );
                break 'pipeline;
            }

            // Step 3: static policy. A deny skips the risk model.
            let policy = self.policy.evaluate(&call.extension_id, capability);
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
                    pending.alerts.push(ctx.alert(
                        Cat::PolicyDenial,
                        Sev::Warning,
                        "deny",
                        d.reason.clone().into_owned(),
                        vec!["policy_deny".into(), policy.reason.as_str().into()],
                        None,
                        "grant the capability with a per-extension override if the extension needs it (runbook Procedure 2)",
                    ));
                    break 'pipeline;
                }
                PolicyVerdict::Prompt => d.raise(
                    VerdictAction::Prompt,
                    EnforcementState::Prompt,
                    "policy_prompt",
                    || format!("policy requires a person's approval for capability `{capability}`"),
                ),
                PolicyVerdict::Allow => {}
            }

            // Step 4: quota. A breach refuses the call (every phase) and skips the model.
            let charge = quota_charge(call, capability);
            if let Err(breach) = st.quota.check_and_record(now, &charge) {
                d.raise(
                    VerdictAction::Block,
                    EnforcementState::Deny,
                    "quota_exceeded",
                    || breach.to_string(),
                );
                pending.quota.push(breach);
                pending.alerts.push(ctx.alert(
                    Cat::QuotaBreach,
                    Sev::Warning,
                    "deny",
                    breach.to_string(),
                    vec!["quota_exceeded".into(), breach.kind.as_str().into()],
                    None,
                    "check the extension's call rate; raise its quota with a per-extension override if legitimate",
                ));
                break 'pipeline;
            }

            // Detection feeds both mediation (step 6) and the model (step 5): the call's effects,
            // judged by the rule catalog with what the extension did before.
            let taint = st.taint.taint(st.controller.config.window_size as u64);
            detection =
                self.detections
                    .get_or_judge(call, &params_digest, capability, taint, || {
                        self.detector.inspect(call, capability, taint)
                    });
            st.taint.observe(&detection);
            let mediation = self.mediate(capability, &detection);
            if capability == Capability::Env {
                // Every variable the call names is brokered: a host may read any of the keys.
                match call.env_names() {
                    Some(names) => {
                        secrets = names
                            .into_iter()
                            .map(|name| self.broker_env(name))
                            .collect();
                    }
                    None => env_names_ok = false,
                }
            }

            // Step 5: the risk model, when enabled.
            if st.controller.config.enabled {
                let mut signals = detection.signals();
                signals.secret_env |= !env_names_ok || secrets.iter().any(|s| s.redacted);
                signals.secret_read |= signals.secret_env;
                // A High or Critical rule raises an exec call's tier; a Medium one is a signal
                // its own feature already scores (a secret env read), not counted twice.
                let severe = detection.severity();
                let severe = if severe >= ExecTier::High {
                    severe
                } else {
                    ExecTier::Low
                };
                let exec_tier = (capability == Capability::Exec).then(|| {
                    let classified = mediation.as_ref().map_or(ExecTier::Low, |m| m.classified);
                    classified.max(severe)
                });
                let input = RiskInput {
                    capability,
                    exec_tier,
                    exec_critical_class: mediation.as_ref().is_some_and(|m| m.critical),
                    signals,
                    now_ms: now,
                };
                eval = Some(evaluate(
                    &st.controller.model,
                    &mut st.risk,
                    &input,
                    &*self.clock,
                ));
            }

            // Step 6: mediation (every phase, every method) and the secret broker.
            if let Some(m) = &mediation {
                let exec = capability == Capability::Exec;
                pending.exec.extend(m.log_entry(&ctx));
                if !m.allowed {
                    d.raise(
                        VerdictAction::Block,
                        EnforcementState::Deny,
                        if exec {
                            "exec_mediation"
                        } else {
                            "rule_mediation"
                        },
                        || m.reason.clone(),
                    );
                    let mut codes = m.reason_codes();
                    codes.extend(self.rule_codes(&detection));
                    pending.alerts.push(ctx.alert(
                        Cat::ExecMediation,
                        if m.critical { Sev::Critical } else { Sev::Error },
                        "deny",
                        m.reason.clone(),
                        codes,
                        eval.as_ref().map(|e| e.score),
                        if exec {
                            "review the command; add an allow pattern only for a command that is safe in every context"
                        } else {
                            "review the call against the rule (`hostguard rules explain ID`); the extension has no business doing this"
                        },
                    ));
                }
            }
            if let Some(s) = secrets.iter().find(|s| s.redacted) {
                d.secret_redacted = true;
                pending.alerts.push(ctx.alert(
                    Cat::SecretBroker,
                    Sev::Info,
                    "redact",
                    format!("env read of a secret name brokered ({})", s.reason),
                    vec!["secret_redacted".into(), s.reason.as_str().into()],
                    eval.as_ref().map(|e| e.score),
                    "none: the extension received the placeholder, not the value",
                ));
            }
            pending.secret.extend(secrets.iter().cloned());
            if !env_names_ok {
                // The broker can only answer for named variables: an env read that names none
                // (a whole-environment read, a non-string name) or too many to broker would
                // reach the host unbrokered. Refused in every phase, like exec mediation.
                d.raise(
                    VerdictAction::Block,
                    EnforcementState::Deny,
                    "secret_broker_unnamed",
                    || {
                        format!(
                            "env read names no variable the secret broker can check (a string, or at most {MAX_ENV_NAMES} strings, under `name`, `key`, `var`, `names`, `keys` or `vars`)"
                        )
                    },
                );
                pending.alerts.push(ctx.alert(
                    Cat::SecretBroker,
                    Sev::Warning,
                    "deny",
                    d.reason.clone().into_owned(),
                    vec!["secret_broker_unnamed".into()],
                    eval.as_ref().map(|e| e.score),
                    "review the extension: an env read must name the variables it reads",
                ));
            }

            // Step 7: enforcement of the model's state, as the rollout phase says (docs/design.md §4).
            let Some(e) = &eval else {
                break 'pipeline;
            };
            let enforced = match phase {
                RolloutPhase::EnforceAll => true,
                RolloutPhase::EnforceNew => first_epoch == epoch,
                RolloutPhase::Shadow | RolloutPhase::LogOnly => false,
            };
            let risk_action = action_for(e.state_after, capability);
            let fail_closed_fallback = e.fallback.is_some() && st.controller.config.fail_closed;
            d.would_block = risk_action == VerdictAction::Block || fail_closed_fallback;
            d.enforced = enforced;
            if let Some(fallback) = e.fallback {
                // A fallback is the risk controller's verdict, so the rollout governs it like
                // any other (docs/design.md §4: only kill switch, policy, quotas and exec mediation are
                // enforced in every phase; shadow never blocks on risk). Where enforced,
                // fail-closed denies and fail-open keeps whatever was reached (docs/design.md §2); a
                // fallback never lowers a stricter verdict, since `raise` only tightens.
                if enforced && fail_closed_fallback {
                    d.raise(VerdictAction::Block, e.verdict, fallback.as_str(), || {
                        format!(
                            "risk controller fallback ({}) after {} ms, fail-closed",
                            fallback.as_str(),
                            e.decision_ms
                        )
                    });
                }
            }
            let alerting = phase != RolloutPhase::Shadow;
            if enforced {
                d.raise(risk_action, e.state_after, risk_code(e.state_after), || {
                    e.summary()
                });
                d.explain_tie(risk_action, e.state_after, risk_code(e.state_after), || {
                    e.summary()
                });
                if risk_action == VerdictAction::Block {
                    pending.alerts.push(ctx.alert(
                        Cat::AnomalyDenial,
                        Sev::Error,
                        "block",
                        e.summary(),
                        risk_reason_codes(e),
                        Some(e.score),
                        "review the extension's recent hostcalls (runbook Procedure 3)",
                    ));
                }
                if e.state_after == EnforcementState::Terminate
                    && st.trust == ExtensionTrustState::Trusted
                {
                    st.trust = ExtensionTrustState::Quarantined;
                    quarantine_now = true;
                }
            } else if alerting && d.would_block {
                pending.alerts.push(ctx.alert(
                    Cat::AnomalyDenial,
                    Sev::Warning,
                    "would_block",
                    format!("would block if enforced: {}", e.summary()),
                    risk_reason_codes(e),
                    Some(e.score),
                    "none yet: the rollout does not enforce; watch before advancing (runbook Procedure 4)",
                ));
            }
            // Risk alerts beyond would-block belong to enforced decisions: shadow raises none,
            // log_only (and enforce_new for older extensions) only would-block (docs/design.md §4).
            if enforced {
                match e.transition {
                    Transition::Quarantined => pending.alerts.push(ctx.alert(
                        Cat::Quarantine,
                        Sev::Critical,
                        "quarantine",
                        format!(
                            "{} consecutive unsafe evaluations: {}",
                            e.consecutive_unsafe,
                            e.summary()
                        ),
                        risk_reason_codes(e),
                        Some(e.score),
                        "runbook Procedure 1: confirm, then kill switch or reset the extension",
                    )),
                    Transition::Escalated | Transition::DeEscalated => {
                        let up = e.transition == Transition::Escalated;
                        pending.alerts.push(ctx.alert(
                            Cat::ProfileTransition,
                            if up { Sev::Warning } else { Sev::Info },
                            e.state_after.as_str(),
                            format!(
                                "enforcement state {} → {}",
                                e.state_before.as_str(),
                                e.state_after.as_str()
                            ),
                            vec![
                                if up { "escalated" } else { "de_escalated" }.into(),
                                e.state_before.as_str().into(),
                                e.state_after.as_str().into(),
                            ],
                            Some(e.score),
                            if up {
                                "runbook Procedure 3: review the transition"
                            } else {
                                "log; verify the cooldown worked"
                            },
                        ));
                    }
                    Transition::Stay => {}
                }
            }
        }

        // Step 8: record. The decision entry is written at decision time.
        let hysteresis = st.risk.hysteresis();
        // The record reuses the allocations of an entry the ledger evicted earlier (see
        // `recycle`): on a full ledger an append then frees almost nothing and allocates almost
        // nothing, which matters most when threads free each other's entries.
        let mut record = st.spare_record.take().unwrap_or_else(empty_record);
        let r = &mut *record;
        set(&mut r.call_id, &call.call_id);
        r.capability = capability;
        set(&mut r.method, &call.method);
        r.params_hash = Committed::seal(hex(&params_digest), &mut st.rng);
        set(&mut r.policy_reason, d.policy_reason);
        r.risk_evaluated = eval.is_some();
        r.risk_score = eval.as_ref().map_or(0.0, |e| e.score);
        r.posterior = eval
            .as_ref()
            .map_or_else(|| st.risk.posterior(), |e| e.posterior);
        r.triggers.clear();
        if let Some(e) = &eval {
            r.triggers
                .extend(e.triggers.iter().map(|t| t.as_str().to_owned()));
        }
        r.selected_action = d.state;
        r.state_before = eval.as_ref().map_or(hysteresis.state, |e| e.state_before);
        r.state_after = eval.as_ref().map_or(hysteresis.state, |e| e.state_after);
        r.consecutive_unsafe = eval
            .as_ref()
            .map_or(hysteresis.consecutive_unsafe, |e| e.consecutive_unsafe);
        r.enforced = d.enforced;
        set(&mut r.rollout_phase, phase.as_str());
        r.e_process_log = eval
            .as_ref()
            .map_or_else(|| st.risk.e_process_log(), |e| e.e_process_log);
        r.drift = eval.as_ref().is_some_and(|e| e.drift);
        r.fallback_reason = eval
            .as_ref()
            .and_then(|e| e.fallback)
            .map(|f| f.as_str().to_owned());
        match &eval {
            Some(e) => r.explanation_summary = e.summary(),
            None => set(&mut r.explanation_summary, &d.reason),
        }
        let mut entry_extension = st.spare_extension.take().unwrap_or_default();
        set(&mut entry_extension, &call.extension_id);
        let latency_ms = self.clock.now_ms().saturating_sub(now);
        let was_error = eval.as_ref().is_some_and(|e| e.fallback.is_some());
        let (receipt, sample) = {
            let mut core = lock(&self.core);
            let Core {
                ledger,
                rollout,
                rng,
                ..
            } = &mut *core;
            let receipt = ledger.append(
                now,
                Some(entry_extension),
                EntryPayload::Decision(record),
                rng,
            )?;
            let quarantine = quarantine_now.then(|| {
                trust_payload(
                    ExtensionTrustState::Trusted,
                    ExtensionTrustState::Quarantined,
                    "quarantine: terminate state enforced",
                )
            });
            let outcome = rollout.record_decision(
                DecisionSample {
                    latency_ms,
                    was_error,
                    was_false_positive: false,
                    would_block: d.would_block,
                },
                now,
            );
            if let Some(payload) = quarantine {
                self.append_control(&mut core, now, Some(&call.extension_id), payload);
            }
            if let Some(t) = outcome.rollback {
                self.apply_transition(&mut core, &t);
            }
            self.raise_checkpoint_failure(&mut core, now);
            (receipt, outcome.sample_id)
        };
        // The evicted entry is recycled (or dropped) here, outside the core lock (ledger README).
        let seq = receipt.seq;
        recycle(st, receipt.evicted);
        let call_id: Arc<str> = Arc::from(call.call_id.as_str());
        let evicted_call = lock(self.calls.get(&call.call_id)).insert(
            Arc::clone(&call_id),
            CallRef {
                shard: Arc::clone(&shard),
                seq,
                sample,
                ts_ms: now,
                action: d.action,
                prompt_resolved: false,
                outcome_recorded: false,
            },
        );
        drop(evicted_call);
        self.store_records(
            st,
            &ctx,
            call_id,
            seq,
            pending,
            eval.as_ref(),
            d.enforced,
            d.action == VerdictAction::Block,
            resource_class(&detection, capability, secrets.iter().any(|s| s.redacted)),
        );
        drop(guard);
        Ok(Verdict {
            call_id: call.call_id.clone(),
            capability,
            action: d.action,
            state: d.state,
            risk_state: eval.as_ref().map(|e| e.state_after),
            risk_score: eval.as_ref().map(|e| e.score),
            enforced: d.enforced,
            reason_code: Cow::Borrowed(d.reason_code),
            reason: d.reason,
            fallback: eval.as_ref().and_then(|e| e.fallback),
            secret_redacted: d.secret_redacted,
            rules: self.rule_ids(&detection),
            attack: self.attack_ids(&detection),
            ledger_seq: seq,
        })
    }
}

/// Overwrites `dst` with `src`, keeping its allocation.
fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// A decision record to be filled in.
fn empty_record() -> Box<DecisionRecord> {
    Box::new(DecisionRecord {
        call_id: String::new(),
        capability: Capability::Log,
        method: String::new(),
        params_hash: Committed::new(String::new()),
        policy_reason: String::new(),
        risk_evaluated: false,
        risk_score: 0.0,
        posterior: Posterior {
            safe: 1.0,
            suspicious: 0.0,
            unsafe_: 0.0,
        },
        triggers: Vec::new(),
        selected_action: EnforcementState::Allow,
        state_before: EnforcementState::Allow,
        state_after: EnforcementState::Allow,
        consecutive_unsafe: 0,
        enforced: false,
        rollout_phase: String::new(),
        e_process_log: 0.0,
        drift: false,
        fallback_reason: None,
        explanation_summary: String::new(),
    })
}

/// Keeps the allocations of an evicted decision entry for this shard's next record.
fn recycle(st: &mut ShardState, evicted: Option<LedgerEntry>) {
    let Some(entry) = evicted else {
        return;
    };
    if let EntryBody::Full(EntryPayload::Decision(record)) = entry.body {
        st.spare_record = Some(record);
    }
    if let Some(extension) = entry.extension_id {
        st.spare_extension = Some(extension);
    }
}

/// What every alert of one call shares.
pub(crate) struct AlertContext<'a> {
    pub(crate) now: u64,
    pub(crate) extension_id: &'a str,
    pub(crate) call: &'a HostCall,
    pub(crate) capability: Capability,
    pub(crate) params_digest: &'a [u8; 32],
}

impl AlertContext<'_> {
    #[expect(
        clippy::too_many_arguments,
        reason = "one alert's fields, named at the call site"
    )]
    fn alert(
        &self,
        category: hostguard_evidence::SecurityAlertCategory,
        severity: hostguard_evidence::SecurityAlertSeverity,
        action_taken: &str,
        reason: String,
        reason_codes: Vec<String>,
        risk_score: Option<f64>,
        remediation: &str,
    ) -> SecurityAlert {
        SecurityAlert {
            ts_ms: self.now,
            // Assigned when the alert is stored (monotonic across every stream).
            sequence_id: 0,
            extension_id: Some(self.extension_id.to_owned()),
            category,
            severity,
            capability: self.capability.as_str().to_owned(),
            method: self.call.method.clone(),
            action_taken: action_taken.to_owned(),
            reason,
            reason_codes,
            risk_score,
            context_hash: context_hash(self.extension_id, &self.call.call_id, self.params_digest),
            remediation: remediation.to_owned(),
        }
    }
}

fn risk_reason_codes(e: &Evaluation) -> Vec<String> {
    let mut codes = vec![risk_code(e.state_after).to_owned()];
    codes.extend(e.triggers.iter().map(|t| t.as_str().to_owned()));
    if let Some(f) = e.fallback {
        codes.push(f.as_str().to_owned());
    }
    codes
}

/// SHA-256 of the params' JSON (serde_json's maps are ordered, so equal params hash equally).
pub(crate) fn params_digest(params: &Value) -> [u8; 32] {
    /// Feeds serialized bytes straight into the hash (no intermediate buffer).
    struct HashWriter(Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Sha256::new());
    // Serializing a `Value` into a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut w, params);
    w.0.finalize().into()
}

/// SHA-256 of the params' *shape*: keys and JSON types, no values (bounded walk).
pub(crate) fn args_shape_digest(params: &Value) -> [u8; 32] {
    fn walk(v: &Value, depth: u32, budget: &mut u32, h: &mut Sha256) {
        if *budget == 0 || depth > 16 {
            h.update(b"~");
            return;
        }
        *budget -= 1;
        match v {
            Value::Null => h.update(b"n"),
            Value::Bool(_) => h.update(b"b"),
            Value::Number(_) => h.update(b"#"),
            Value::String(_) => h.update(b"s"),
            Value::Array(items) => {
                h.update(b"[");
                for item in items {
                    walk(item, depth + 1, budget, h);
                }
                h.update(b"]");
            }
            Value::Object(map) => {
                h.update(b"{");
                for (k, item) in map {
                    h.update((k.len() as u64).to_be_bytes());
                    h.update(k.as_bytes());
                    walk(item, depth + 1, budget, h);
                }
                h.update(b"}");
            }
        }
    }
    let mut h = Sha256::new();
    let mut budget = 512;
    walk(params, 0, &mut budget, &mut h);
    h.finalize().into()
}

fn context_hash(extension_id: &str, call_id: &str, params_digest: &[u8; 32]) -> String {
    let mut h = DomainTag::AlertContext.hasher();
    h.update((extension_id.len() as u64).to_be_bytes());
    h.update(extension_id.as_bytes());
    h.update((call_id.len() as u64).to_be_bytes());
    h.update(call_id.as_bytes());
    h.update(params_digest);
    hex(&h.finalize())
}

/// Lowercase hex of a digest.
pub(crate) fn hex(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

/// Parameters a write may carry its bytes in (fs ops, and write / edit / patch tools).
const WRITE_CONTENT_KEYS: [&str; 12] = [
    "content",
    "contents",
    "data",
    "text",
    "body",
    "bytes",
    "new_string",
    "new_str",
    "patch",
    "diff",
    "edits",
    "append",
];

fn quota_charge(call: &HostCall, capability: Capability) -> QuotaCharge {
    let charge = QuotaCharge::for_capability(capability);
    if capability != Capability::Write {
        return charge;
    }
    charge.with_write_bytes(write_bytes(call))
}

/// The bytes a write call carries: every content parameter, at the top level and under a
/// tool's `input` (or `input` itself when it is the text), a string by its length and any
/// other value by its JSON length — so a write tool's `input.content`, an `edits` array or
/// content sent as an array of chunks all count against the `write_bytes` quota.
fn write_bytes(call: &HostCall) -> u64 {
    fn size(value: &Value) -> u64 {
        match value {
            Value::Null => 0,
            Value::String(text) => text.len() as u64,
            other => {
                /// Counts serialized bytes without buffering them.
                struct Count(u64);
                impl std::io::Write for Count {
                    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                        self.0 = self.0.saturating_add(buf.len() as u64);
                        Ok(buf.len())
                    }
                    fn flush(&mut self) -> std::io::Result<()> {
                        Ok(())
                    }
                }
                let mut count = Count(0);
                // Serializing a `Value` into a writer that never fails cannot fail.
                let _ = serde_json::to_writer(&mut count, other);
                count.0
            }
        }
    }
    fn sum(source: &serde_json::Map<String, Value>) -> u64 {
        WRITE_CONTENT_KEYS
            .iter()
            .filter_map(|key| source.get(*key))
            .fold(0u64, |total, value| total.saturating_add(size(value)))
    }
    let Some(params) = call.params_object() else {
        return 0;
    };
    let nested = match params.get("input") {
        Some(Value::Object(input)) => sum(input),
        Some(Value::String(text)) if call.method == "tool" => text.len() as u64,
        _ => 0,
    };
    sum(params).saturating_add(nested)
}

/// Telemetry's `resource_target_class`: where an http call goes, whether a file call touches a
/// sensitive path, whether an env read was brokered.
fn resource_class(
    detection: &Detection,
    capability: Capability,
    secret_redacted: bool,
) -> &'static str {
    match capability {
        Capability::Http => detection
            .network_target()
            .unwrap_or(HttpTargetClass::Unknown)
            .as_str(),
        Capability::Read | Capability::Write => {
            if detection.sensitive_path() {
                "sensitive_path"
            } else {
                "path"
            }
        }
        Capability::Exec => "command",
        Capability::Env => {
            if secret_redacted {
                "secret_env"
            } else {
                "env"
            }
        }
        Capability::Session
        | Capability::Ui
        | Capability::Events
        | Capability::Log
        | Capability::Tool => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostguard_risk_core::EnforcementState::{Allow, Deny, Harden, Prompt, Terminate};
    use VerdictAction::{Allow as A, Block as B, Prompt as P};

    fn check(state: EnforcementState, capability: Capability, expected: VerdictAction) {
        assert_eq!(
            action_for(state, capability),
            expected,
            "{state:?} {capability}"
        );
    }

    #[test]
    fn enforcement_table_of_design_section_4() {
        check(Allow, Capability::Exec, A);
        check(Harden, Capability::Exec, B);
        check(Harden, Capability::Env, B);
        check(Harden, Capability::Http, B);
        check(Harden, Capability::Read, A);
        check(Harden, Capability::Log, A);
        check(Prompt, Capability::Read, P);
        check(Deny, Capability::Log, B);
        check(Terminate, Capability::Ui, B);
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

    #[test]
    fn shape_digest_ignores_values_and_params_digest_does_not() {
        let a = serde_json::json!({"op": "read", "path": "a"});
        let b = serde_json::json!({"op": "write", "path": "bbb"});
        let c = serde_json::json!({"op": "read", "path": 1});
        assert_eq!(args_shape_digest(&a), args_shape_digest(&b));
        assert_ne!(args_shape_digest(&a), args_shape_digest(&c));
        assert_ne!(params_digest(&a), params_digest(&b));
        // Deeply nested input stays bounded and does not panic.
        let mut deep = serde_json::json!(1);
        for _ in 0..1_000 {
            deep = serde_json::json!([deep]);
        }
        let _ = args_shape_digest(&deep);
    }

    #[test]
    fn hex_is_lowercase_and_64_chars() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x0f;
        let h = hex(&bytes);
        assert_eq!(h.len(), 64);
        assert!(h.starts_with("ab00"));
        assert!(h.ends_with("0f"));
    }
}
