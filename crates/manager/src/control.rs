//! The operator's API (runbook Procedures 1, 4, 5): the risk configuration, the rollout phase
//! and its rollback trigger, kill switches, trust and resets, and what the host reports after a
//! call (outcomes, prompt answers, false positives). Every change is in force before it is
//! recorded; each `try_` method says whether its ledger entry was written
//! ([`ControlError::NotRecorded`]), the plain one raises a Critical `ledger_integrity` alert
//! instead.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use hostguard_ledger::{
    ConfigChangeRecord, EntryPayload, KillSwitchRecord, PromptResolutionRecord,
    RiskStateResetRecord, RollbackTriggerChangeRecord,
};
use hostguard_risk_core::{
    ExtensionPolicy, ExtensionTrustState, HysteresisConfig, RiskModel, RuntimeRiskConfig,
    VerdictAction,
};
use hostguard_rollout::{
    DecisionSample, RollbackTrigger, RolloutConfigError, RolloutPhase, RolloutState, Transition,
    TransitionReason,
};

use crate::error::{BuildError, ControlError, FalsePositiveError};
use crate::manager::ExtensionManager;
use crate::shard::{lock, read, write, CallRef};
use crate::state::{
    phase_code, phase_from_word, thresholds, transition_payload, trust_payload, Controller, Core,
    Shard,
};
use crate::trace::Control;
use crate::verdict::Outcome;

impl ExtensionManager {
    // ---------------------------------------------------------------------------------------
    // Configuration and rollout (runbook Procedures 1, 4, 5).
    // ---------------------------------------------------------------------------------------

    /// The risk controller's configuration in force; `enforce` is the rollout phase's
    /// `is_enforcing()`.
    pub fn runtime_risk_config(&self) -> RuntimeRiskConfig {
        RuntimeRiskConfig {
            enforce: self.rollout_phase().is_enforcing(),
            ..read(&self.controller).config
        }
    }

    /// The hysteresis knobs in force (bands follow the policy profile unless the config names
    /// a band profile).
    pub fn hysteresis_config(&self) -> HysteresisConfig {
        read(&self.controller).hysteresis
    }

    /// Changes the risk controller's configuration at run time (runbook tuning: `alpha`,
    /// `decision_timeout_ms`, `cooldown_calls`, band `profile`, `fail_closed`, `enabled`...),
    /// validated like the builder's. `enforce` is not a setting: the value recorded is the
    /// rollout phase's (every config source refuses to set it, docs/design.md §3);
    /// `window_size` and `ledger_limit` size per-extension state and the ledger, so changing
    /// them needs a new manager ([`BuildError::FixedAtRunTime`]). The change is a ledger
    /// config-change entry, written while every known extension is paused between decisions,
    /// so each later decision of those extensions is evaluated under the new configuration and
    /// replay applies it from that entry on. Returns whether anything changed.
    pub fn set_runtime_risk_config(&self, config: RuntimeRiskConfig) -> Result<bool, BuildError> {
        let current = Arc::clone(&read(&self.controller));
        let config = RuntimeRiskConfig {
            enforce: current.config.enforce,
            ..config
        };
        config.validate()?;
        for (field, now, wanted) in [
            (
                "window_size",
                current.config.window_size,
                config.window_size,
            ),
            (
                "ledger_limit",
                current.config.ledger_limit,
                config.ledger_limit,
            ),
        ] {
            if now != wanted {
                return Err(BuildError::FixedAtRunTime {
                    field,
                    current: now,
                    requested: wanted,
                });
            }
        }
        if config == current.config {
            return Ok(false);
        }
        let hysteresis = config.hysteresis_config(self.policy.profile());
        let model = RiskModel::new(&config, hysteresis)?;
        // Pause every known extension between two decisions (lock order: extension → core;
        // no other code holds two extension locks, so taking them all cannot deadlock).
        let shards = self.all_shards();
        let guards: Vec<_> = shards.iter().map(|s| lock(&s.state)).collect();
        let now = self.clock.now_ms();
        {
            let mut core = lock(&self.core);
            let Core { ledger, rng, .. } = &mut *core;
            let recorded = RuntimeRiskConfig {
                enforce: self.rollout_phase().is_enforcing(),
                ..config
            };
            let receipt = ledger.append(
                now,
                None,
                EntryPayload::ConfigChange(ConfigChangeRecord {
                    config: recorded,
                    hysteresis,
                }),
                rng,
            )?;
            Control {
                seq: Some(receipt.seq),
                ..Control::new("config_change", None)
            }
            .emit();
            *write(&self.controller) = Arc::new(Controller {
                config,
                hysteresis,
                model,
            });
            self.controller_epoch.fetch_add(1, Ordering::AcqRel);
        }
        drop(guards);
        Ok(true)
    }

    /// The static policy in force.
    pub fn policy(&self) -> &ExtensionPolicy {
        &self.policy
    }

    /// The current rollout phase.
    pub fn rollout_phase(&self) -> RolloutPhase {
        phase_from_word(self.phase_word.load(Ordering::Acquire))
    }

    /// The rollout snapshot: phase, enforce, rollback origin, transitions, window statistics,
    /// would-have-blocked counts (runbook Procedure 4).
    pub fn rollout_state(&self) -> RolloutState {
        lock(&self.core).rollout.state()
    }

    /// Advances the rollout one phase (shadow → log_only → enforce_new → enforce_all); a ledger
    /// control entry records it. `false` at enforce_all.
    pub fn advance_rollout(&self) -> bool {
        self.try_advance_rollout().unwrap_or(true)
    }

    /// As [`advance_rollout`](Self::advance_rollout), reporting an entry that could not be
    /// written ([`ControlError::NotRecorded`]: the new phase is in force all the same).
    pub fn try_advance_rollout(&self) -> Result<bool, ControlError> {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let transition = core.rollout.advance(now);
        self.transition_if_any(&mut core, transition)
    }

    /// Sets the rollout phase directly (runbook Procedure 5: back to shadow); a ledger control
    /// entry records it. `false` when already in `phase`.
    pub fn set_rollout_phase(&self, phase: RolloutPhase) -> bool {
        self.try_set_rollout_phase(phase).unwrap_or(true)
    }

    /// As [`set_rollout_phase`](Self::set_rollout_phase), reporting an entry that could not be
    /// written ([`ControlError::NotRecorded`]: the new phase is in force all the same).
    pub fn try_set_rollout_phase(&self, phase: RolloutPhase) -> Result<bool, ControlError> {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let transition = core.rollout.set_phase(phase, now);
        self.transition_if_any(&mut core, transition)
    }

    fn transition_if_any(
        &self,
        core: &mut Core,
        transition: Option<Transition>,
    ) -> Result<bool, ControlError> {
        match transition {
            Some(t) => self.apply_transition(core, &t).map(|()| true),
            None => Ok(false),
        }
    }

    /// Replaces the automatic-rollback thresholds; an invalid trigger changes nothing and writes
    /// nothing. A change is a ledger control entry (`rollback_trigger_change`, no extension) with
    /// the thresholds before and after, so an incident timeline shows that, and when, rollback
    /// was made harder (or easier) (issue 7: config changes are ledger control entries). Setting
    /// the trigger already in force writes no entry. An entry that could not be written raises
    /// a Critical alert ([`try_set_rollback_trigger`](Self::try_set_rollback_trigger) reports it).
    pub fn set_rollback_trigger(&self, trigger: RollbackTrigger) -> Result<(), RolloutConfigError> {
        match self.try_set_rollback_trigger(trigger) {
            Err(ControlError::InvalidTrigger(e)) => Err(e),
            Ok(()) | Err(_) => Ok(()),
        }
    }

    /// As [`set_rollback_trigger`](Self::set_rollback_trigger), reporting an invalid trigger
    /// ([`ControlError::InvalidTrigger`]) and an entry that could not be written
    /// ([`ControlError::NotRecorded`]: the thresholds are in force all the same).
    pub fn try_set_rollback_trigger(&self, trigger: RollbackTrigger) -> Result<(), ControlError> {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let before = *core.rollout.trigger();
        core.rollout.set_rollback_trigger(trigger)?;
        if before == trigger {
            return Ok(());
        }
        // Under the same core lock as the change: the entry's place in the chain is the point
        // from which the new thresholds apply to rollout samples.
        let payload = EntryPayload::RollbackTriggerChange(RollbackTriggerChangeRecord {
            from: thresholds(&before),
            to: thresholds(&trigger),
            reason: None,
        });
        let recorded = self.append_control(&mut core, now, None, payload);
        Control::new("rollback_trigger_change", None)
            .written(&recorded)
            .emit();
        recorded.map(|_| ())
    }

    /// Records one decision's health sample by hand (the gate feeds its own decisions
    /// automatically; this is for hosts that measure outside the gate). Returns whether the
    /// sample rolled the rollout back.
    pub fn record_rollout_decision(&self, latency_ms: u64, was_error: bool, was_fp: bool) -> bool {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let outcome = core.rollout.record_decision(
            DecisionSample {
                latency_ms,
                was_error,
                was_false_positive: was_fp,
                would_block: false,
            },
            now,
        );
        // A rollback that could not be recorded is in force and alerted (`append_control`).
        self.transition_if_any(&mut core, outcome.rollback)
            .unwrap_or(true)
    }

    /// Flags an earlier decision as a false positive (operators, docs/design.md §2 step 8):
    /// `false` whenever [`try_mark_false_positive`](Self::try_mark_false_positive) refuses.
    pub fn mark_false_positive(&self, call_id: &str) -> bool {
        self.try_mark_false_positive(call_id).is_ok()
    }

    /// Flags an earlier decision as a false positive; the flag may roll the rollout back. Only
    /// a call the gate blocked or prompted — or, in a phase that does not enforce the model,
    /// would have — can be flagged; refused too when the call is unknown, was used by more
    /// than one extension (then name it:
    /// [`try_mark_false_positive_for`](Self::try_mark_false_positive_for)), is already flagged,
    /// or its sample has left the rollout window.
    pub fn try_mark_false_positive(&self, call_id: &str) -> Result<(), FalsePositiveError> {
        self.flag_false_positive(call_id, self.call_ref(call_id))
    }

    /// As [`mark_false_positive`](Self::mark_false_positive), for the call `call_id` of
    /// `extension_id` (for hosts whose call ids are only unique per extension).
    pub fn mark_false_positive_for(&self, extension_id: &str, call_id: &str) -> bool {
        self.try_mark_false_positive_for(extension_id, call_id)
            .is_ok()
    }

    /// As [`try_mark_false_positive`](Self::try_mark_false_positive), for the call `call_id`
    /// of `extension_id`.
    pub fn try_mark_false_positive_for(
        &self,
        extension_id: &str,
        call_id: &str,
    ) -> Result<(), FalsePositiveError> {
        self.flag_false_positive(call_id, self.call_ref_for(extension_id, call_id))
    }

    fn flag_false_positive(
        &self,
        call_id: &str,
        call: Option<CallRef<Shard>>,
    ) -> Result<(), FalsePositiveError> {
        let call = call.ok_or_else(|| FalsePositiveError::UnknownCall {
            call_id: call_id.to_owned(),
        })?;
        if !call.stopped {
            return Err(FalsePositiveError::NotStopped {
                call_id: call_id.to_owned(),
            });
        }
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let transition = core
            .rollout
            .mark_false_positive(call.sample, now)
            .map_err(|reason| FalsePositiveError::Window {
                call_id: call_id.to_owned(),
                reason,
            })?;
        Control {
            call_id: Some(call_id),
            ..Control::new("false_positive", Some(&call.shard.extension_id))
        }
        .emit();
        if let Some(t) = transition {
            // A rollback that could not be recorded is in force and alerted.
            let _in_force = self.apply_transition(&mut core, &t);
        }
        Ok(())
    }

    /// Writes a rollout transition to the ledger, publishes the new phase to the gate and, for an
    /// automatic rollback, raises a `ProfileTransition` alert. Called with the core lock held.
    pub(crate) fn apply_transition(
        &self,
        core: &mut Core,
        t: &Transition,
    ) -> Result<(), ControlError> {
        let now = t.at_ms;
        // A control entry of three short strings always encodes; if the append fails the
        // transition still takes effect (the safe direction is the operator's choice), an
        // alert says it is not in the ledger, and the caller learns it.
        let recorded = self.append_control(core, now, None, transition_payload(t));
        let action = match t.reason {
            TransitionReason::OperatorAdvance => "rollout_advance",
            TransitionReason::OperatorSet => "rollout_set",
            TransitionReason::FalsePositiveRate { .. }
            | TransitionReason::ErrorRate { .. }
            | TransitionReason::Latency { .. } => "rollback",
        };
        Control {
            automatic: t.reason.is_rollback(),
            from: Some(t.from.as_str()),
            to: Some(t.to.as_str()),
            code: Some(t.reason.code()),
            ..Control::new(action, None)
        }
        .written(&recorded)
        .emit();
        let word = self.phase_word.load(Ordering::Acquire);
        let epoch = (word >> 2).wrapping_add(1);
        self.phase_word
            .store((epoch << 2) | phase_code(t.to), Ordering::Release);
        if t.reason.is_rollback() {
            self.rollback_alert(core, t);
        }
        recorded.map(|_| ())
    }

    // ---------------------------------------------------------------------------------------
    // Kill switch, trust, reset (runbook Procedure 1).
    // ---------------------------------------------------------------------------------------

    /// Engages (`on`) or lifts the kill switch of `extension_id`. A killed extension is refused
    /// at step 2 of the gate: in every rollout phase, risk controller on or off. Lifting it
    /// resets the extension's risk state (the only way out of Terminate besides
    /// [`reset_extension`](Self::reset_extension)). The change is a ledger control entry and an
    /// audit record. Returns whether the switch changed.
    pub fn set_kill_switch(&self, extension_id: &str, on: bool, reason: &str) -> bool {
        self.try_set_kill_switch(extension_id, on, reason)
            .unwrap_or(true)
    }

    /// As [`set_kill_switch`](Self::set_kill_switch), reporting an entry that could not be
    /// written ([`ControlError::NotRecorded`]: the switch is in force all the same).
    pub fn try_set_kill_switch(
        &self,
        extension_id: &str,
        on: bool,
        reason: &str,
    ) -> Result<bool, ControlError> {
        // Lifting the switch of an extension never seen changes nothing and creates no state.
        let shard = match on {
            true => self.shard(extension_id),
            false => match self.existing_shard(extension_id) {
                Some(shard) => shard,
                None => return Ok(false),
            },
        };
        let now = self.clock.now_ms();
        let mut st = lock(&shard.state);
        let was_killed = st.trust == ExtensionTrustState::Killed;
        if was_killed == on {
            return Ok(false);
        }
        st.trust = if on {
            ExtensionTrustState::Killed
        } else {
            st.risk.reset();
            st.taint.reset();
            ExtensionTrustState::Trusted
        };
        let recorded = self.append_control(
            &mut lock(&self.core),
            now,
            Some(extension_id),
            EntryPayload::KillSwitch(KillSwitchRecord {
                engaged: on,
                reason: reason.to_owned(),
            }),
        );
        self.record_kill_audit(&mut st, extension_id, on, reason, now);
        let action = if on {
            "kill_switch_on"
        } else {
            "kill_switch_off"
        };
        Control::new(action, Some(extension_id))
            .written(&recorded)
            .emit();
        recorded.map(|_| true)
    }

    /// A second handle on the durable ledger's file (`None` for a ledger in memory), for a host
    /// that built the gate with `FsyncPolicy::Never` and flushes the file to disk on its own
    /// schedule, off the decision path (`sync_data` on the handle takes no lock of the gate).
    pub fn ledger_sync_handle(&self) -> Option<std::io::Result<std::fs::File>> {
        lock(&self.core).ledger.sync_handle()
    }

    /// The secret broker's rules in force (a host redacting text it passes on uses the same
    /// rules as the gate: `redact_text`).
    pub fn secret_policy(&self) -> &hostguard_risk_core::SecretBrokerPolicy {
        &self.secret_policy
    }

    /// The detector in force: the rule catalog (its classes of paths, hosts and env names) and
    /// where the host runs, for a layer in front of an extension that reads what the extension
    /// sends with the gate's own knowledge.
    pub fn detector(&self) -> &hostguard_risk_core::Detector {
        &self.detector
    }

    /// The trust state of `extension_id` (`Unknown` when never seen).
    pub fn trust_state(&self, extension_id: &str) -> ExtensionTrustState {
        match self.existing_shard(extension_id) {
            Some(shard) => lock(&shard.state).trust,
            None => ExtensionTrustState::Unknown,
        }
    }

    /// Operator reset of one extension (runbook Procedure 1, false positive: "reset extension
    /// state"): fresh risk state, a quarantine lifted. Does not lift a kill switch. Ledger:
    /// a risk-state reset entry, plus a trust-change entry when the trust changed. Returns
    /// whether the extension was known.
    pub fn reset_extension(&self, extension_id: &str, reason: &str) -> bool {
        self.try_reset_extension(extension_id, reason)
            .unwrap_or(true)
    }

    /// As [`reset_extension`](Self::reset_extension), reporting an entry that could not be
    /// written ([`ControlError::NotRecorded`], the first of the two: the reset is in force all
    /// the same).
    pub fn try_reset_extension(
        &self,
        extension_id: &str,
        reason: &str,
    ) -> Result<bool, ControlError> {
        let Some(shard) = self.existing_shard(extension_id) else {
            return Ok(false);
        };
        let now = self.clock.now_ms();
        let mut st = lock(&shard.state);
        st.risk.reset();
        st.taint.reset();
        let before = st.trust;
        if before == ExtensionTrustState::Quarantined {
            st.trust = ExtensionTrustState::Trusted;
        }
        let mut core = lock(&self.core);
        let reset = self.append_control(
            &mut core,
            now,
            Some(extension_id),
            EntryPayload::RiskStateReset(RiskStateResetRecord {
                reason: reason.to_owned(),
            }),
        );
        let trust = if st.trust == before {
            Ok(())
        } else {
            let payload = trust_payload(before, st.trust, reason);
            self.append_control(&mut core, now, Some(extension_id), payload)
                .map(|_| ())
        };
        let event = Control::new("reset", Some(extension_id)).written(&reset);
        Control {
            recorded: event.recorded && trust.is_ok(),
            ..event
        }
        .emit();
        reset.and(trust).map(|()| true)
    }

    /// The hysteresis state of `extension_id` (`None` when never seen).
    pub fn enforcement_state(
        &self,
        extension_id: &str,
    ) -> Option<hostguard_risk_core::EnforcementState> {
        self.existing_shard(extension_id)
            .map(|shard| lock(&shard.state).risk.state())
    }

    // ---------------------------------------------------------------------------------------
    // After the host ran the call.
    // ---------------------------------------------------------------------------------------

    /// Reports how a call ended: feeds the risk model (error rate, failure streak, posterior)
    /// and fills the telemetry event's `outcome` and `latency_ms` (time since the decision by
    /// the injected clock). Returns `false` for an unknown call id, for a call id that more
    /// than one extension used — an outcome is never credited to the wrong extension (hosts
    /// whose call ids are unique only per extension use
    /// [`record_outcome_for`](Self::record_outcome_for)) — and for a call whose outcome was
    /// already reported: one outcome per call, so a repeat cannot feed the model twice.
    pub fn record_outcome(&self, call_id: &str, outcome: Outcome) -> bool {
        let Some(call) = self.claim_outcome(None, call_id) else {
            return false;
        };
        let latency = self.clock.now_ms().saturating_sub(call.ts_ms);
        self.apply_outcome(&call, &outcome, latency);
        true
    }

    /// As [`record_outcome`](Self::record_outcome), for the call `call_id` of `extension_id`.
    pub fn record_outcome_for(&self, extension_id: &str, call_id: &str, outcome: Outcome) -> bool {
        let Some(shard) = self.existing_shard(extension_id) else {
            return false;
        };
        let Some(call) = self.claim_outcome(Some(&shard), call_id) else {
            return false;
        };
        let latency = self.clock.now_ms().saturating_sub(call.ts_ms);
        self.apply_outcome(&call, &outcome, latency);
        true
    }

    /// As [`record_outcome`](Self::record_outcome) with the latency measured by the host
    /// (recorded hostcall streams carry it).
    pub fn record_outcome_with_latency(
        &self,
        call_id: &str,
        outcome: Outcome,
        latency_ms: u64,
    ) -> bool {
        let Some(call) = self.claim_outcome(None, call_id) else {
            return false;
        };
        self.apply_outcome(&call, &outcome, latency_ms);
        true
    }

    /// A person answered a Prompt verdict: written to the ledger as a prompt-resolution entry.
    /// `false` when the call is unknown, was used by more than one extension (see
    /// [`resolve_prompt_for`](Self::resolve_prompt_for)), was not prompted, or was already
    /// resolved.
    pub fn resolve_prompt(&self, call_id: &str, approved: bool) -> bool {
        self.resolve(None, call_id, approved)
    }

    /// As [`resolve_prompt`](Self::resolve_prompt), for the call `call_id` of `extension_id`.
    pub fn resolve_prompt_for(&self, extension_id: &str, call_id: &str, approved: bool) -> bool {
        let Some(shard) = self.existing_shard(extension_id) else {
            return false;
        };
        self.resolve(Some(&shard), call_id, approved)
    }

    fn resolve(&self, of: Option<&Arc<Shard>>, call_id: &str, approved: bool) -> bool {
        let shard = {
            let mut stripe = lock(self.calls.get(call_id));
            let Some(call) = stripe.get_mut(call_id, of) else {
                return false;
            };
            if call.action != VerdictAction::Prompt || call.prompt_resolved {
                return false;
            }
            call.prompt_resolved = true;
            Arc::clone(&call.shard)
        };
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let Core { ledger, rng, .. } = &mut *core;
        let appended = ledger
            .append(
                now,
                Some(shard.extension_id.clone()),
                EntryPayload::PromptResolution(PromptResolutionRecord {
                    call_id: call_id.to_owned(),
                    approved,
                }),
                rng,
            )
            .map(|receipt| receipt.seq);
        Control {
            call_id: Some(call_id),
            approved: Some(approved),
            ..Control::new("prompt_resolution", Some(&shard.extension_id))
        }
        .written(&appended)
        .emit();
        appended.is_ok()
    }

    /// The call's decision, marked as having its outcome: `None` when unknown, ambiguous, or
    /// already reported (one outcome per call).
    fn claim_outcome(&self, of: Option<&Arc<Shard>>, call_id: &str) -> Option<CallRef<Shard>> {
        let mut stripe = lock(self.calls.get(call_id));
        let call = stripe.get_mut(call_id, of)?;
        if call.outcome_recorded {
            return None;
        }
        call.outcome_recorded = true;
        Some(call.clone())
    }

    fn apply_outcome(&self, call: &CallRef<Shard>, outcome: &Outcome, latency_ms: u64) {
        let mut st = lock(&call.shard.state);
        self.refresh_controller(&mut st);
        if st.controller.config.enabled {
            hostguard_risk_core::record_outcome(&mut st.risk, outcome.to_risk_outcome());
        }
        self.fill_telemetry_outcome(&mut st, call.seq, outcome, latency_ms);
    }
}
