//! [`ExtensionManager`]: construction, the operator API (kill switch, trust, rollout, prompts,
//! outcomes) and the artifacts of the runbook (docs/design.md §4, §7).
//!
//! The gate itself, `evaluate_hostcall`, is in `gate.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use hostguard_evidence::{BoundedLog, SecurityAlert, SecurityAlertSeverity};
use hostguard_ledger::{
    ConfigChangeRecord, DecisionRecord, EntryPayload, KillSwitchRecord, PromptResolutionRecord,
    RestoredState, RiskStateResetRecord, RollbackThresholds, RollbackTriggerChangeRecord,
    RolloutTransitionRecord, RuntimeRiskLedgerArtifact, TrustChangeRecord, ROLLBACK_REASON_PREFIX,
};
use hostguard_risk_core::{
    Clock, Context, Detector, ExecMediationPolicy, ExtensionPolicy, ExtensionRiskState,
    HysteresisConfig, QuotaTracker, RiskModel, RuntimeRiskConfig, SecretBrokerPolicy, TaintTracker,
};
use hostguard_rollout::{
    DecisionSample, RollbackTrigger, RolloutConfigError, RolloutController, RolloutPhase,
    RolloutState, Transition,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::builder::{ExtensionManagerBuilder, DEFAULT_CALL_INDEX_LIMIT, MAX_RECORD_LIMIT};
use crate::checkpoints::CheckpointStatus;
use crate::error::BuildError;
use crate::records::ShardRecords;
use crate::resume::{self, OpenedLedger, ResumeReport};
use crate::shard::{lock, read, write, CallRef, CallStripe, Striped, STRIPES};
use crate::sink::LedgerSink;
use crate::trust::ExtensionTrustState;
use crate::verdict::{Outcome, VerdictAction};

/// The facade a host embeds: one gate for every hostcall, the operator API of the incident
/// runbook, and the artifacts it reads. `Send + Sync`: share it behind an `Arc` and call it from
/// any thread.
///
/// Host integration — evaluate, dispatch (or refuse, or ask), report the outcome:
///
/// ```
/// use hostguard_manager::{
///     ExtensionManager, ExtensionPolicy, HostCall, ManualClock, Outcome, PolicyProfile,
///     RuntimeRiskConfig,
/// };
/// use serde_json::json;
///
/// let clock = ManualClock::new(1_000);
/// let manager = ExtensionManager::builder()
///     .risk_config(RuntimeRiskConfig { enabled: true, ..RuntimeRiskConfig::default() })
///     .policy(ExtensionPolicy::from_profile(PolicyProfile::Permissive))
///     .clock(clock.clone())
///     .build()?;
///
/// let call = HostCall::new("ext", "call-1", "exec", json!({"command": "ls"}));
/// let verdict = manager.evaluate_hostcall(&call)?;
/// if verdict.is_blocked() {
///     // refuse the call, tell the extension `verdict.reason()`
/// } else if verdict.requires_prompt() {
///     // ask a person, then `manager.resolve_prompt("call-1", approved)`
/// } else {
///     // dispatch the call
/// }
/// clock.advance_ms(3);
/// manager.record_outcome("call-1", Outcome::Success);
///
/// let report = hostguard_manager::verify_runtime_risk_ledger_artifact(
///     &manager.runtime_risk_ledger_artifact(),
/// );
/// assert!(report.valid);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ExtensionManager {
    pub(crate) clock: Arc<dyn Clock>,
    /// The risk controller in force; swapped by `set_runtime_risk_config`. Shards keep their
    /// own copy and refresh it when `controller_epoch` moves (one atomic load per call).
    pub(crate) controller: RwLock<Arc<Controller>>,
    pub(crate) controller_epoch: AtomicU64,
    pub(crate) genesis_config: RuntimeRiskConfig,
    pub(crate) genesis_hysteresis: HysteresisConfig,
    pub(crate) policy: ExtensionPolicy,
    pub(crate) secret_policy: SecretBrokerPolicy,
    pub(crate) exec_policy: ExecMediationPolicy,
    /// The rule catalog and the workspace: what every call is judged by (docs/detection.md).
    pub(crate) detector: Detector,
    /// Detections of recent calls, shared by every extension (a call's detection does not
    /// depend on who makes it, only on what the extension did before).
    pub(crate) detections: crate::detection_cache::DetectionCache,
    pub(crate) record_limit: usize,
    /// Bound on the shards a hostcall may create (`max_extensions`).
    pub(crate) max_extensions: usize,
    /// Shards in `shards`. INVARIANT (shards-bounded): a hostcall creates a shard only after
    /// reserving a slot here below `max_extensions`.
    pub(crate) shard_count: AtomicUsize,
    /// `epoch << 2 | phase code`, written under the core lock, read lock-free by the gate.
    pub(crate) phase_word: AtomicU64,
    /// Alert `sequence_id`s, monotonic from 1 across every stream.
    pub(crate) alert_seq: AtomicU64,
    pub(crate) shards: Striped<RwLock<HashMap<String, Arc<Shard>>>>,
    pub(crate) calls: Striped<Mutex<CallStripe<Shard>>>,
    pub(crate) seed_rng: Mutex<ChaCha20Rng>,
    /// The chain started fail-closed ([`crate::DamagedLedger::FailClosed`]): every extension
    /// is quarantined at first sight until an operator lifts it.
    pub(crate) fail_closed: bool,
    /// What a resumed manager restored.
    pub(crate) resume: Option<ResumeReport>,
    pub(crate) core: Mutex<Core>,
}

/// The one global critical section: the ledger chain and the rollout window.
pub(crate) struct Core {
    pub(crate) ledger: LedgerSink,
    pub(crate) rollout: RolloutController,
    pub(crate) rng: ChaCha20Rng,
    /// Control-plane alerts (automatic rollback), not about one extension.
    pub(crate) control_alerts: BoundedLog<SecurityAlert>,
}

/// The risk controller: configuration (its `enforce` is not used: the phase decides), the
/// hysteresis knobs and the model built from them.
#[derive(Debug, Clone)]
pub(crate) struct Controller {
    pub(crate) config: RuntimeRiskConfig,
    pub(crate) hysteresis: HysteresisConfig,
    pub(crate) model: RiskModel,
}

/// One extension's state, behind its own lock.
pub(crate) struct Shard {
    pub(crate) extension_id: String,
    pub(crate) state: Mutex<ShardState>,
}

/// Everything the gate keeps about one extension (bounded).
pub(crate) struct ShardState {
    pub(crate) risk: ExtensionRiskState,
    /// What the extension did earlier that rules look at (secret reads, downloads); kept
    /// whether or not the risk controller runs.
    pub(crate) taint: TaintTracker,
    pub(crate) quota: QuotaTracker,
    pub(crate) trust: ExtensionTrustState,
    /// The rollout epoch in which the extension made its first call (enforce_new).
    pub(crate) first_seen_epoch: Option<u64>,
    /// Salts for this extension's commitments, sealed outside the core lock.
    pub(crate) rng: ChaCha20Rng,
    /// The extension's record streams.
    pub(crate) records: ShardRecords,
    /// Allocations of an evicted ledger decision entry, reused by the next record.
    pub(crate) spare_record: Option<Box<DecisionRecord>>,
    pub(crate) spare_extension: Option<String>,
    /// This shard's copy of the controller and the epoch it was copied at.
    pub(crate) controller: Controller,
    pub(crate) controller_epoch: u64,
}

pub(crate) const fn phase_code(phase: RolloutPhase) -> u64 {
    match phase {
        RolloutPhase::Shadow => 0,
        RolloutPhase::LogOnly => 1,
        RolloutPhase::EnforceNew => 2,
        RolloutPhase::EnforceAll => 3,
    }
}

pub(crate) const fn phase_from_word(word: u64) -> RolloutPhase {
    match word & 3 {
        0 => RolloutPhase::Shadow,
        1 => RolloutPhase::LogOnly,
        2 => RolloutPhase::EnforceNew,
        _ => RolloutPhase::EnforceAll,
    }
}

impl std::fmt::Debug for ExtensionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtensionManager")
            .field("config", &self.runtime_risk_config())
            .field("phase", &self.rollout_phase())
            .finish_non_exhaustive()
    }
}

impl ExtensionManager {
    /// A builder with every default (see [`ExtensionManagerBuilder`]).
    pub fn builder() -> ExtensionManagerBuilder {
        ExtensionManagerBuilder::default()
    }

    pub(crate) fn from_builder(b: ExtensionManagerBuilder) -> Result<ExtensionManager, BuildError> {
        let mut config = b.risk_config;
        if let Some(limit) = b.ledger_limit {
            config.ledger_limit = limit;
        }
        // INVARIANT (enforce-follows-phase): `config.enforce == phase.is_enforcing()` (docs/design.md §4).
        config.enforce = b.rollout_phase.is_enforcing();
        config.validate()?;
        if !(1..=MAX_RECORD_LIMIT).contains(&b.record_limit) {
            return Err(BuildError::RecordLimit {
                value: b.record_limit,
            });
        }
        if b.max_extensions == 0 {
            return Err(BuildError::MaxExtensions);
        }
        let policy = match b.quota {
            Some(q) => b.policy.clone().with_quota(q),
            None => b.policy.clone(),
        };
        let now = b.clock.now_ms();
        let opened = resume::open_ledger(&b, config.ledger_limit, now)?;
        let start = resume::start_settings(&b, config, &opened.restored)?;
        let config = start.config;
        let hysteresis = config.hysteresis_config(policy.profile());
        let model = RiskModel::new(&config, hysteresis)?;
        let mut seed_rng = ChaCha20Rng::from_seed(match b.rng_seed {
            Some(seed) => seed_from_u64(seed),
            None => os_seed(),
        });
        let mut core_rng = ChaCha20Rng::from_seed(next_seed(&mut seed_rng));
        let context = match &b.workspace {
            Some(root) => Context::with_workspace(root).ok_or_else(|| BuildError::Workspace {
                value: root.clone(),
            })?,
            None => Context::new(),
        };
        let detector = Detector::builtin(context)?;
        let resumes = opened.resumes();
        let OpenedLedger {
            sink: mut ledger,
            restored,
            truncated_bytes,
            fail_closed,
        } = opened;
        let entries_found = match &fail_closed {
            Some(f) => f.first_invalid_index.unwrap_or(0),
            None => restored.entries,
        };
        // The configuration as entries record it (`enforce` false at genesis, else the phase's).
        let recorded = ConfigChangeRecord {
            config: RuntimeRiskConfig {
                enforce: restored.entries > 0 && config.enforce,
                ..config
            },
            hysteresis,
        };
        let (rollout, epoch) = if restored.entries == 0 {
            // A new chain: the genesis entry states the configuration it starts under (ledger
            // README), then the start-up phase, if not shadow.
            ledger.append(
                now,
                None,
                EntryPayload::ConfigChange(recorded),
                &mut core_rng,
            )?;
            let mut rollout = RolloutController::new(start.trigger)?;
            let mut epoch = 0;
            if let Some(t) = rollout.set_phase(start.rollout.phase, now) {
                ledger.append(now, None, transition_payload(&t), &mut core_rng)?;
                epoch += 1;
            }
            (rollout, epoch)
        } else {
            // Only the builder's `ledger_limit` (or a policy profile that moves the bands) can
            // make the configuration differ from the ledger's: record it before the resume.
            let as_recorded = restored.config.map(|c| ConfigChangeRecord {
                config: RuntimeRiskConfig {
                    enforce: config.enforce,
                    ..c.config
                },
                ..c
            });
            if as_recorded != Some(recorded) {
                ledger.append(
                    now,
                    None,
                    EntryPayload::ConfigChange(recorded),
                    &mut core_rng,
                )?;
            }
            let rollout = RolloutController::restore(start.trigger, start.rollout)?;
            (rollout, start.rollout.transition_count)
        };
        let (genesis_config, genesis_hysteresis) = resume::genesis_config(
            &restored,
            (
                RuntimeRiskConfig {
                    enforce: false,
                    ..config
                },
                hysteresis,
            ),
        );
        let call_capacity = DEFAULT_CALL_INDEX_LIMIT / STRIPES;
        let mut manager = ExtensionManager {
            clock: b.clock,
            controller: RwLock::new(Arc::new(Controller {
                config,
                hysteresis,
                model,
            })),
            controller_epoch: AtomicU64::new(0),
            genesis_config,
            genesis_hysteresis,
            policy,
            secret_policy: b.secret_policy,
            exec_policy: b.exec_policy,
            detector,
            detections: crate::detection_cache::DetectionCache::default(),
            record_limit: b.record_limit,
            max_extensions: b.max_extensions,
            shard_count: AtomicUsize::new(0),
            phase_word: AtomicU64::new((epoch << 2) | phase_code(start.rollout.phase)),
            alert_seq: AtomicU64::new(0),
            shards: Striped::new(|_| RwLock::new(HashMap::new())),
            calls: Striped::new(|_| Mutex::new(CallStripe::new(call_capacity))),
            seed_rng: Mutex::new(seed_rng),
            fail_closed: restored.fail_closed,
            resume: None,
            core: Mutex::new(Core {
                ledger,
                rollout,
                rng: core_rng,
                control_alerts: BoundedLog::new(b.record_limit),
            }),
        };
        if resumes {
            let (killed, quarantined) = manager.restore_extensions(&restored);
            let report = ResumeReport {
                entries_found,
                truncated_bytes,
                rollout_phase: start.rollout.phase,
                rolled_back_from: start.rollout.rolled_back_from,
                extensions: restored.extensions.len() as u64,
                killed,
                quarantined,
                overridden: start.overridden,
                fail_closed,
            };
            manager.record_resume(&report, now)?;
            manager.resume = Some(report);
        }
        let now = manager.clock.now_ms();
        if let Some(Err(message)) = lock(&manager.core).ledger.checkpoint_now(now, true) {
            return Err(BuildError::CheckpointWrite { message });
        }
        Ok(manager)
    }

    /// Signs a checkpoint of the ledger's head now (a host's orderly shutdown, an operator
    /// before copying the ledger off): `None` without
    /// [`checkpoints`](ExtensionManagerBuilder::checkpoints), else whether it was written.
    pub fn write_checkpoint(&self) -> Option<Result<(), String>> {
        let now = self.clock.now_ms();
        lock(&self.core).ledger.checkpoint_now(now, false)
    }

    /// What checkpointing did last (`None` without
    /// [`checkpoints`](ExtensionManagerBuilder::checkpoints)): a failed write never undoes a
    /// decision, it is counted here with its message.
    pub fn checkpoint_status(&self) -> Option<CheckpointStatus> {
        lock(&self.core)
            .ledger
            .checkpoints
            .as_ref()
            .map(|c| c.status().clone())
    }

    /// What this manager restored from an existing durable ledger (`None` on a new ledger or
    /// in memory): runbook Procedure 5 reads it after a restart.
    pub fn resume_report(&self) -> Option<&ResumeReport> {
        self.resume.as_ref()
    }

    /// Gives every extension of the ledger its shard back, in the state the ledger left it.
    /// Returns the killed and the quarantined extensions, sorted.
    fn restore_extensions(&self, restored: &RestoredState) -> (Vec<String>, Vec<String>) {
        let (mut killed, mut quarantined) = (Vec::new(), Vec::new());
        for (id, ext) in &restored.extensions {
            let (_, shard) = self.create_shard(id, false);
            let mut st = lock(&shard.state);
            st.trust = if ext.kill_switch.is_some() {
                killed.push(id.clone());
                ExtensionTrustState::Killed
            } else if ext.is_quarantined() || (restored.fail_closed && ext.trust.is_none()) {
                quarantined.push(id.clone());
                ExtensionTrustState::Quarantined
            } else {
                ExtensionTrustState::Trusted
            };
            st.risk.restore_hysteresis(ext.hysteresis());
            st.first_seen_epoch = ext.first_seen_epoch;
        }
        (killed, quarantined)
    }

    /// Appends a control entry (core lock held). The change it records is already in force; if
    /// it cannot be written, a Critical `ledger_integrity` alert says so — a restart would not
    /// restore it. A checkpoint write that failed is alerted too. Returns whether it was
    /// written.
    pub(crate) fn append_control(
        &self,
        core: &mut Core,
        now: u64,
        extension_id: Option<&str>,
        payload: EntryPayload,
    ) -> bool {
        let kind = payload.kind_name();
        let Core { ledger, rng, .. } = &mut *core;
        let result = ledger
            .append(now, extension_id.map(str::to_owned), payload, rng)
            .map_err(|e| crate::HostcallError::from(e).to_string());
        if let Err(e) = &result {
            self.ledger_alert(
                core,
                now,
                "record",
                SecurityAlertSeverity::Critical,
                format!(
                    "the `{kind}` control entry{} was not recorded ({e}): it is in force, but a \
                     restart would not restore it",
                    extension_id
                        .map(|x| format!(" of `{x}`"))
                        .unwrap_or_default()
                ),
                &[
                    crate::triage::LEDGER_INTEGRITY_FAILURE,
                    "control_not_recorded",
                ],
            );
        }
        self.raise_checkpoint_failure(core, now);
        result.is_ok()
    }

    /// A `ledger_integrity` alert for a checkpoint write that failed since the last one
    /// (core lock held).
    pub(crate) fn raise_checkpoint_failure(&self, core: &mut Core, now: u64) {
        if let Some(e) = core.ledger.checkpoint_failure.take() {
            self.ledger_alert(
                core,
                now,
                "checkpoint",
                SecurityAlertSeverity::Error,
                format!(
                    "a ledger checkpoint could not be written ({e}): entries since the last \
                     one are pinned by no signature, and a restart refuses control entries \
                     after it"
                ),
                &["checkpoint_write_failed"],
            );
        }
    }

    /// Writes the `resume` entry and raises the alerts a restart calls for.
    fn record_resume(&self, report: &ResumeReport, now: u64) -> Result<(), BuildError> {
        let mut core = lock(&self.core);
        let Core { ledger, rng, .. } = &mut *core;
        ledger.append(now, None, EntryPayload::Resume(report.record()), rng)?;
        if report.fail_closed.is_some() {
            // What the damaged file's verified part had killed or quarantined goes into the new
            // chain as entries of its own, so the next restart restores it too.
            let carried = "carried over from the damaged ledger";
            for id in &report.killed {
                let payload = EntryPayload::KillSwitch(KillSwitchRecord {
                    engaged: true,
                    reason: carried.to_owned(),
                });
                ledger.append(now, Some(id.clone()), payload, rng)?;
            }
            for id in &report.quarantined {
                let payload = trust_payload(
                    ExtensionTrustState::Trusted,
                    ExtensionTrustState::Quarantined,
                    carried,
                );
                ledger.append(now, Some(id.clone()), payload, rng)?;
            }
        }
        if report.truncated_bytes > 0 {
            self.ledger_alert(
                &mut core,
                now,
                "resume",
                SecurityAlertSeverity::Warning,
                format!(
                    "the ledger's final line was torn ({} bytes, a write interrupted by the \
                     crash) and was cut off at start-up; that decision was never acknowledged",
                    report.truncated_bytes
                ),
                &["ledger_torn_tail"],
            );
        }
        if let Some(f) = &report.fail_closed {
            self.ledger_alert(
                &mut core,
                now,
                "resume",
                SecurityAlertSeverity::Critical,
                format!(
                    "the ledger `{}` was refused ({}); {}, and the gate started fail-closed: \
                     every extension is quarantined until an operator lifts it",
                    f.damaged.display(),
                    f.error,
                    f.moved_description()
                ),
                &[crate::triage::LEDGER_INTEGRITY_FAILURE, "fail_closed"],
            );
        }
        Ok(())
    }

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
    /// validated like the builder's. `enforce` is ignored (it follows the rollout phase);
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
            ledger.append(
                now,
                None,
                EntryPayload::ConfigChange(ConfigChangeRecord {
                    config: recorded,
                    hysteresis,
                }),
                rng,
            )?;
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
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        match core.rollout.advance(now) {
            Some(t) => {
                self.apply_transition(&mut core, &t);
                true
            }
            None => false,
        }
    }

    /// Sets the rollout phase directly (runbook Procedure 5: back to shadow); a ledger control
    /// entry records it. `false` when already in `phase`.
    pub fn set_rollout_phase(&self, phase: RolloutPhase) -> bool {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        match core.rollout.set_phase(phase, now) {
            Some(t) => {
                self.apply_transition(&mut core, &t);
                true
            }
            None => false,
        }
    }

    /// Replaces the automatic-rollback thresholds; an invalid trigger changes nothing and writes
    /// nothing. A change is a ledger control entry (`rollback_trigger_change`, no extension) with
    /// the thresholds before and after, so an incident timeline shows that, and when, rollback
    /// was made harder (or easier) (issue 7: config changes are ledger control entries). Setting
    /// the trigger already in force writes no entry.
    pub fn set_rollback_trigger(&self, trigger: RollbackTrigger) -> Result<(), RolloutConfigError> {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        let before = *core.rollout.trigger();
        core.rollout.set_rollback_trigger(trigger)?;
        if before == trigger {
            return Ok(());
        }
        // Under the same core lock as the change: the entry's place in the chain is the point
        // from which the new thresholds apply to rollout samples.
        // A validated trigger always encodes (finite rates); if the append fails (a failing
        // durable file) the change still takes effect, like every control entry, and an alert
        // says it is not in the ledger.
        self.append_control(
            &mut core,
            now,
            None,
            EntryPayload::RollbackTriggerChange(RollbackTriggerChangeRecord {
                from: thresholds(&before),
                to: thresholds(&trigger),
                reason: None,
            }),
        );
        Ok(())
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
        match outcome.rollback {
            Some(t) => {
                self.apply_transition(&mut core, &t);
                true
            }
            None => false,
        }
    }

    /// Flags an earlier decision as a false positive (operators, docs/design.md §2 step 8). `false` when
    /// the call is unknown, was used by more than one extension (then name the extension:
    /// [`mark_false_positive_for`](Self::mark_false_positive_for)), or its sample has left the
    /// rollout window. The flag may roll the rollout back.
    pub fn mark_false_positive(&self, call_id: &str) -> bool {
        self.call_ref(call_id)
            .is_some_and(|call| self.flag_false_positive(&call))
    }

    /// As [`mark_false_positive`](Self::mark_false_positive), for the call `call_id` of
    /// `extension_id` (for hosts whose call ids are only unique per extension).
    pub fn mark_false_positive_for(&self, extension_id: &str, call_id: &str) -> bool {
        self.call_ref_for(extension_id, call_id)
            .is_some_and(|call| self.flag_false_positive(&call))
    }

    fn flag_false_positive(&self, call: &CallRef<Shard>) -> bool {
        let now = self.clock.now_ms();
        let mut core = lock(&self.core);
        match core.rollout.mark_false_positive(call.sample, now) {
            Ok(Some(t)) => {
                self.apply_transition(&mut core, &t);
                true
            }
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Writes a rollout transition to the ledger, publishes the new phase to the gate and, for an
    /// automatic rollback, raises a `ProfileTransition` alert. Called with the core lock held.
    pub(crate) fn apply_transition(&self, core: &mut Core, t: &Transition) {
        let now = t.at_ms;
        // A control entry of three short strings always encodes; if the append fails the
        // transition still takes effect (the safe direction is the operator's choice), and an
        // alert says it is not in the ledger.
        self.append_control(core, now, None, transition_payload(t));
        let word = self.phase_word.load(Ordering::Acquire);
        let epoch = (word >> 2).wrapping_add(1);
        self.phase_word
            .store((epoch << 2) | phase_code(t.to), Ordering::Release);
        if t.reason.is_rollback() {
            self.rollback_alert(core, t);
        }
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
        // Lifting the switch of an extension never seen changes nothing and creates no state.
        let shard = match on {
            true => self.shard(extension_id),
            false => match self.existing_shard(extension_id) {
                Some(shard) => shard,
                None => return false,
            },
        };
        let now = self.clock.now_ms();
        let mut st = lock(&shard.state);
        let was_killed = st.trust == ExtensionTrustState::Killed;
        if was_killed == on {
            return false;
        }
        st.trust = if on {
            ExtensionTrustState::Killed
        } else {
            st.risk.reset();
            st.taint.reset();
            ExtensionTrustState::Trusted
        };
        self.append_control(
            &mut lock(&self.core),
            now,
            Some(extension_id),
            EntryPayload::KillSwitch(KillSwitchRecord {
                engaged: on,
                reason: reason.to_owned(),
            }),
        );
        self.record_kill_audit(&mut st, extension_id, on, reason, now);
        true
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
        let Some(shard) = self.existing_shard(extension_id) else {
            return false;
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
        self.append_control(
            &mut core,
            now,
            Some(extension_id),
            EntryPayload::RiskStateReset(RiskStateResetRecord {
                reason: reason.to_owned(),
            }),
        );
        if st.trust != before {
            self.append_control(
                &mut core,
                now,
                Some(extension_id),
                trust_payload(before, st.trust, reason),
            );
        }
        true
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
        ledger
            .append(
                now,
                Some(shard.extension_id.clone()),
                EntryPayload::PromptResolution(PromptResolutionRecord {
                    call_id: call_id.to_owned(),
                    approved,
                }),
                rng,
            )
            .is_ok()
    }

    // ---------------------------------------------------------------------------------------
    // Artifacts.
    // ---------------------------------------------------------------------------------------

    /// The retained ledger as an artifact (runbook Procedures 1, 5, 6).
    pub fn runtime_risk_ledger_artifact(&self) -> RuntimeRiskLedgerArtifact {
        let now = self.clock.now_ms();
        lock(&self.core)
            .ledger
            .view()
            .artifact(now, self.genesis_config, self.genesis_hysteresis)
    }

    // ---------------------------------------------------------------------------------------
    // Internals.
    // ---------------------------------------------------------------------------------------

    pub(crate) fn existing_shard(&self, extension_id: &str) -> Option<Arc<Shard>> {
        read(self.shards.get(extension_id))
            .get(extension_id)
            .map(Arc::clone)
    }

    /// The extension's shard, created on first sight (operator actions: never refused).
    pub(crate) fn shard(&self, extension_id: &str) -> Arc<Shard> {
        // An unbounded create always returns a shard.
        self.shard_bounded(extension_id, false)
            .unwrap_or_else(|| self.create_shard(extension_id, false).1)
    }

    /// The extension's shard for a hostcall: `None` when it is new and the manager already
    /// keeps `max_extensions` shards.
    pub(crate) fn hostcall_shard(&self, extension_id: &str) -> Option<Arc<Shard>> {
        self.shard_bounded(extension_id, true)
    }

    fn shard_bounded(&self, extension_id: &str, bounded: bool) -> Option<Arc<Shard>> {
        if let Some(shard) = self.existing_shard(extension_id) {
            return Some(shard);
        }
        let (created, shard) = self.create_shard(extension_id, bounded);
        created.then_some(shard)
    }

    /// Creates the shard unless another thread did first. Returns whether a shard is available
    /// (false only when `bounded` and the limit is reached) and the shard (a detached one, never
    /// stored, when refused — callers drop it).
    fn create_shard(&self, extension_id: &str, bounded: bool) -> (bool, Arc<Shard>) {
        let seed = next_seed(&mut lock(&self.seed_rng));
        let controller_epoch = self.controller_epoch.load(Ordering::Acquire);
        let controller = Controller::clone(&read(&self.controller));
        let mut map = write(self.shards.get(extension_id));
        if let Some(shard) = map.get(extension_id) {
            return (true, Arc::clone(shard));
        }
        let new_shard = Arc::new(Shard {
            extension_id: extension_id.to_owned(),
            state: Mutex::new(ShardState {
                risk: ExtensionRiskState::new(&controller.model),
                taint: TaintTracker::new(),
                quota: QuotaTracker::new(*self.policy.quota_limits_for(extension_id)),
                trust: if self.fail_closed {
                    ExtensionTrustState::Quarantined
                } else {
                    ExtensionTrustState::Trusted
                },
                first_seen_epoch: None,
                rng: ChaCha20Rng::from_seed(seed),
                records: ShardRecords::new(self.record_limit),
                spare_record: None,
                spare_extension: None,
                controller,
                controller_epoch,
            }),
        });
        // INVARIANT (shards-bounded): reserve the slot before inserting.
        let reserved = self
            .shard_count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (!bounded || n < self.max_extensions).then_some(n.saturating_add(1))
            })
            .is_ok();
        if !reserved {
            return (false, new_shard);
        }
        map.insert(extension_id.to_owned(), Arc::clone(&new_shard));
        (true, new_shard)
    }

    /// Brings the shard's copy of the controller up to date (one atomic load when current).
    pub(crate) fn refresh_controller(&self, st: &mut ShardState) {
        let epoch = self.controller_epoch.load(Ordering::Acquire);
        if epoch != st.controller_epoch {
            st.controller = Controller::clone(&read(&self.controller));
            st.controller_epoch = epoch;
        }
    }

    /// The decision `call_id` names (`None` when unknown or used by several extensions).
    pub(crate) fn call_ref(&self, call_id: &str) -> Option<CallRef<Shard>> {
        lock(self.calls.get(call_id)).get(call_id).cloned()
    }

    /// The decision of `extension_id` under `call_id`.
    pub(crate) fn call_ref_for(&self, extension_id: &str, call_id: &str) -> Option<CallRef<Shard>> {
        let shard = self.existing_shard(extension_id)?;
        lock(self.calls.get(call_id))
            .get_for(call_id, &shard)
            .cloned()
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

pub(crate) fn transition_payload(t: &Transition) -> EntryPayload {
    EntryPayload::RolloutTransition(RolloutTransitionRecord {
        from: t.from.as_str().to_owned(),
        to: t.to.as_str().to_owned(),
        reason: if t.reason.is_rollback() {
            format!("{ROLLBACK_REASON_PREFIX}{}", t.reason)
        } else {
            t.reason.code().to_owned()
        },
    })
}

pub(crate) fn trust_payload(
    from: ExtensionTrustState,
    to: ExtensionTrustState,
    reason: &str,
) -> EntryPayload {
    EntryPayload::TrustChange(TrustChangeRecord {
        from: from.as_str().to_owned(),
        to: to.as_str().to_owned(),
        reason: reason.to_owned(),
    })
}

/// The ledger's copy of a rollback trigger (the ledger does not depend on the rollout crate).
fn thresholds(t: &RollbackTrigger) -> RollbackThresholds {
    // Destructured so that a new trigger field is a compile error here, never an unrecorded one.
    let RollbackTrigger {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    } = *t;
    RollbackThresholds {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    }
}

/// The rollout crate's trigger of a ledger's thresholds (a resumed manager's).
pub(crate) fn trigger_of(t: RollbackThresholds) -> RollbackTrigger {
    // Destructured so that a new field is a compile error here.
    let RollbackThresholds {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    } = t;
    RollbackTrigger {
        max_false_positive_rate,
        max_error_rate,
        window_size,
        max_latency_ms,
    }
}

fn next_seed(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    seed
}

fn seed_from_u64(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        // Spread the 8 seed bytes over 32 (ChaCha's key); the fixed pattern is fine for a seed
        // a test chose.
        *byte = seed.to_le_bytes().get(i % 8).copied().unwrap_or(0) ^ (i as u8);
    }
    out
}

/// 256 bits from std's per-process random SipHash keys (seeded by the OS). No extra
/// dependency; good enough for commitment salts, which must be unpredictable, not secret keys.
fn os_seed() -> [u8; 32] {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(i);
        for (dst, src) in chunk.iter_mut().zip(h.finish().to_le_bytes()) {
            *dst = src;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_words_round_trip() {
        for phase in RolloutPhase::ALL {
            for epoch in [0u64, 1, 7, 1 << 40] {
                assert_eq!(phase_from_word((epoch << 2) | phase_code(phase)), phase);
            }
        }
    }

    #[test]
    fn manager_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ExtensionManager>();
    }

    #[test]
    fn seeds_differ_by_seed_and_os_seeds_are_not_zero() {
        assert_ne!(seed_from_u64(1), seed_from_u64(2));
        assert_ne!(os_seed(), [0u8; 32]);
    }
}
