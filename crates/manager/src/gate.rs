//! The gate: [`ExtensionManager::evaluate_hostcall`], docs/design.md §2 steps 1–8 as lock →
//! step → append → store. The decision itself is risk-core's pure step (`assess`, then
//! `conclude` with the time it took); this file gives it the extension's state and the
//! manager's configuration, and records what it decided: the ledger entry first, then the
//! rollout sample, the call index and the record streams.

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hostguard_ledger::{
    AppliedRecord, Committed, DecisionRecord, Digest, EntryBody, EntryPayload, LedgerEntry,
};
use hostguard_risk_core::{
    action_for, assess, attack_ids, conclude, rule_ids, Call, Capability, Decision,
    EnforcementState, GateConfig, GateState, HostCall, Judge, Posterior, Taint, VerdictAction,
};
use hostguard_rollout::DecisionSample;

use crate::alerts::AlertContext;
use crate::error::HostcallError;
use crate::manager::ExtensionManager;
use crate::shard::{lock, CallRef};
use crate::state::{phase_from_word, trust_payload, Core, Shard, ShardState};
use crate::trace::Control;
use crate::verdict::Verdict;

impl ExtensionManager {
    /// Decides one hostcall: docs/design.md §2 steps 1–8 (see the module docs of `gate.rs`). The
    /// decision is in the ledger before the verdict is returned.
    ///
    /// Errors: [`HostcallError::InvalidRequest`] for a malformed call (nothing is recorded),
    /// [`HostcallError::Ledger`] when the decision cannot be recorded. The host must not dispatch
    /// a call that got an error.
    pub fn evaluate_hostcall(&self, host: &HostCall) -> Result<Verdict, HostcallError> {
        // Step 1: parse once; the capability is derived, a mismatching declaration is refused.
        let now = self.clock.now_ms();
        let call = Call::parse(host, now)?;
        let shard = self.hostcall_shard(call.extension_id()).ok_or_else(|| {
            HostcallError::ExtensionLimit {
                extension_id: host.extension_id.clone(),
                limit: self.max_extensions,
            }
        })?;
        let mut guard = lock(&shard.state);
        let st = &mut *guard;
        self.refresh_controller(st);
        // Steps 2–7: the pure step, timed against the decision budget.
        let decision = self.decide(st, &call);
        // Step 8: record — the ledger entry at decision time, then everything else.
        let (seq, sample) = self.append_decision(st, &call, &decision)?;
        // The decision's event, then its alerts' (docs/tracing.md); free when nobody listens.
        crate::trace::decision(&call, &decision, seq, self.detector.catalog());
        // One shared copy of the call id for the call index and the telemetry record.
        let call_id: Arc<str> = Arc::from(host.call_id.as_str());
        self.index_call(&shard, Arc::clone(&call_id), &call, seq, sample, &decision);
        let ctx = AlertContext {
            call: &call,
            catalog: self.detector.catalog(),
        };
        self.store_records(st, &ctx, call_id, seq, &decision);
        drop(guard);
        Ok(self.verdict(&call, &decision, seq))
    }

    /// Runs the step on the extension's state, timed.
    fn decide(&self, st: &mut ShardState, call: &Call<'_>) -> Decision {
        let word = self.phase_word.load(Ordering::Acquire);
        let controller = &st.controller;
        let config = GateConfig {
            policy: &self.policy,
            detector: &self.detector,
            exec_policy: &self.exec_policy,
            secrets: &self.secret_policy,
            model: &controller.model,
            risk_enabled: controller.config.enabled,
            taint_window: controller.config.window_size as u64,
            phase: phase_from_word(word),
            epoch: word >> 2,
        };
        let mut state = GateState {
            trust: &mut st.trust,
            quota: &mut st.quota,
            taint: &mut st.taint,
            risk: &mut st.risk,
            first_seen_epoch: &mut st.first_seen_epoch,
        };
        let judge = CachedJudge {
            manager: self,
            extension_key: st.detection_key,
        };
        // The budget counts the decision, not the wait for the extension's lock; the rollout's
        // latency sample counts both.
        let started = self.clock.now_ms();
        let assessment = assess(&mut state, call, &config, &judge);
        let ended = self.clock.now_ms();
        let took = ended.saturating_sub(started);
        let mut decision = conclude(&mut state, call, &config, assessment, took);
        decision.latency_ms = ended.saturating_sub(call.now_ms);
        decision
    }

    /// Appends the decision entry, feeds the rollout window, and records the quarantine and
    /// any rollback the sample triggered. Returns the entry's seq and the rollout sample.
    fn append_decision(
        &self,
        st: &mut ShardState,
        call: &Call<'_>,
        decision: &Decision,
    ) -> Result<(u64, hostguard_rollout::SampleId), HostcallError> {
        let record = self.decision_record(st, call, decision);
        let mut extension = st.spare_extension.take().unwrap_or_default();
        set(&mut extension, call.extension_id());
        let now = call.now_ms;
        let mut core = lock(&self.core);
        let Core { ledger, rng, .. } = &mut *core;
        let receipt = ledger.append(now, Some(extension), EntryPayload::Decision(record), rng)?;
        let sample = DecisionSample {
            latency_ms: decision.latency_ms,
            was_error: decision.eval.as_ref().is_some_and(|e| e.fallback.is_some()),
            was_false_positive: false,
            would_block: decision.settlement.model_blocks,
        };
        let outcome = core.rollout.record_decision(sample, now);
        if decision.quarantined {
            let payload = trust_payload(
                hostguard_risk_core::ExtensionTrustState::Trusted,
                hostguard_risk_core::ExtensionTrustState::Quarantined,
                "quarantine: terminate state enforced",
            );
            // A failed control append raises its own Critical alert (`append_control`).
            let recorded = self.append_control(&mut core, now, Some(call.extension_id()), payload);
            Control {
                automatic: true,
                ..Control::new("quarantine", Some(call.extension_id()))
            }
            .written(&recorded)
            .emit();
        }
        if let Some(t) = outcome.rollback {
            // A rollback that could not be recorded is in force and alerted.
            let _in_force = self.apply_transition(&mut core, &t);
        }
        self.raise_checkpoint_failure(&mut core, now);
        drop(core);
        // The evicted entry is recycled (or dropped) here, outside the core lock (ledger README).
        recycle(st, receipt.evicted);
        Ok((receipt.seq, outcome.sample_id))
    }

    /// The decision's ledger record, reusing the allocations of an entry the ledger evicted
    /// earlier (see `recycle`): on a full ledger an append then frees almost nothing and
    /// allocates almost nothing, which matters most when threads free each other's entries.
    fn decision_record(
        &self,
        st: &mut ShardState,
        call: &Call<'_>,
        d: &Decision,
    ) -> Box<DecisionRecord> {
        let mut record = st.spare_record.take().unwrap_or_else(empty_record);
        let r = &mut *record;
        let host = call.host;
        set(&mut r.call_id, &host.call_id);
        r.capability = call.capability;
        set(&mut r.method, &host.method);
        r.params_hash = Committed::seal(Digest(call.params_digest).to_hex(), &mut st.rng);
        set(&mut r.policy_reason, d.policy_reason);
        r.selected_action = d.settlement.selected;
        r.enforced = d.enforced();
        set(&mut r.rollout_phase, d.phase.as_str());
        r.applied = Some(AppliedRecord {
            action: d.settlement.applied,
            gate_action: d.gate_state,
            basis: d.basis,
        });
        fill_risk(r, st, d);
        record
    }

    /// Indexes the call for `record_outcome`, `resolve_prompt` and false-positive flags.
    fn index_call(
        &self,
        shard: &Arc<Shard>,
        call_id: Arc<str>,
        call: &Call<'_>,
        seq: u64,
        sample: hostguard_rollout::SampleId,
        decision: &Decision,
    ) {
        let action = decision.action;
        // What the gate applies once the rollout enforces the model: the counterfactual of a
        // phase that does not.
        let selected = action_for(decision.settlement.selected, call.capability);
        let stopped = action != VerdictAction::Allow || selected != VerdictAction::Allow;
        let evicted = lock(self.calls.get(&call.host.call_id)).insert(
            call_id,
            CallRef {
                shard: Arc::clone(shard),
                seq,
                sample,
                ts_ms: call.now_ms,
                action,
                stopped,
                prompt_resolved: false,
                outcome_recorded: false,
            },
        );
        drop(evicted);
    }

    fn verdict(&self, call: &Call<'_>, d: &Decision, seq: u64) -> Verdict {
        let catalog = self.detector.catalog();
        Verdict {
            call_id: call.host.call_id.clone(),
            capability: call.capability,
            action: d.action,
            state: d.settlement.applied,
            risk_state: d.eval.as_ref().map(|e| e.state_after),
            risk_score: d.eval.as_ref().map(|e| e.score),
            enforced: d.enforced(),
            reason_code: Cow::Borrowed(d.reason_code),
            rules: rule_ids(catalog, &d.detection),
            attack: attack_ids(catalog, &d.detection),
            reason: d.reason.clone(),
            fallback: d.eval.as_ref().and_then(|e| e.fallback),
            secret_redacted: d.secret_redacted,
            ledger_seq: seq,
        }
    }
}

/// The manager judges through its detection cache (a call's detection depends only on the call
/// and the extension's taint).
struct CachedJudge<'a> {
    manager: &'a ExtensionManager,
    extension_key: u64,
}

impl Judge for CachedJudge<'_> {
    fn judge(&self, call: &Call<'_>, taint: Taint) -> Arc<hostguard_risk_core::Detection> {
        let m = self.manager;
        m.detections
            .get_or_judge(call, self.extension_key, taint, || {
                m.detector.inspect(call.host, call.capability, taint)
            })
    }
}

/// The risk model's part of a record; without an evaluation, the extension's current state.
fn fill_risk(r: &mut DecisionRecord, st: &ShardState, d: &Decision) {
    let h = st.risk.hysteresis();
    let e = d.eval.as_ref();
    r.risk_evaluated = e.is_some();
    r.risk_score = e.map_or(0.0, |e| e.score);
    r.posterior = e.map_or_else(|| st.risk.posterior(), |e| e.posterior);
    r.triggers.clear();
    if let Some(e) = e {
        r.triggers
            .extend(e.triggers.iter().map(|t| t.as_str().to_owned()));
    }
    r.state_before = e.map_or(h.state, |e| e.state_before);
    r.state_after = e.map_or(h.state, |e| e.state_after);
    r.consecutive_unsafe = e.map_or(h.consecutive_unsafe, |e| e.consecutive_unsafe);
    r.e_process_log = e.map_or_else(|| st.risk.e_process_log(), |e| e.e_process_log);
    r.drift = e.is_some_and(|e| e.drift);
    r.fallback_reason = e.and_then(|e| e.fallback).map(|f| f.as_str().to_owned());
    match e {
        Some(e) => {
            r.explanation_summary.clear();
            e.write_summary(&mut r.explanation_summary);
        }
        None => set(&mut r.explanation_summary, &d.reason),
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
        applied: None,
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
