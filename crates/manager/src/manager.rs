//! [`ExtensionManager`]: construction, the operator API (kill switch, trust, rollout, prompts,
//! outcomes) and the artifacts of the runbook (docs/design.md §4, §7).
//!
//! The gate itself, `evaluate_hostcall`, is in `gate.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use hostguard_evidence::{BoundedLog, SecurityAlertSeverity};
use hostguard_ledger::{
    ConfigChangeRecord, EntryPayload, KillSwitchRecord, RestoredState, RuntimeRiskLedgerArtifact,
};
use hostguard_risk_core::{
    Clock, Context, Detector, ExecMediationPolicy, ExtensionPolicy, ExtensionRiskState,
    HysteresisConfig, QuotaTracker, RiskModel, RuntimeRiskConfig, SecretBrokerPolicy, TaintTracker,
};
use hostguard_rollout::RolloutController;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::builder::{ExtensionManagerBuilder, DEFAULT_CALL_INDEX_LIMIT, MAX_RECORD_LIMIT};
use crate::checkpoints::CheckpointStatus;
use crate::error::{BuildError, ControlError};
use crate::resume::{self, OpenedLedger, ResumeReport};
use crate::shard::{lock, read, write, CallRef, CallStripe, Striped, STRIPES};
use crate::sink::LedgerSink;
use crate::state::{
    phase_code, transition_payload, trust_payload, Controller, Core, Shard, ShardState,
};
use crate::streams::ShardRecords;
use crate::trace::Verified;
use hostguard_risk_core::ExtensionTrustState;

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

impl ExtensionManagerBuilder {
    /// Validates every knob and builds the manager; writes the genesis config entry (and the
    /// start-up rollout transition, if any) to the ledger. The error names the bad field.
    pub fn build(self) -> Result<ExtensionManager, BuildError> {
        ExtensionManager::from_builder(self)
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

    fn from_builder(b: ExtensionManagerBuilder) -> Result<ExtensionManager, BuildError> {
        let config = validated_config(&b)?;
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
        let mut seed_rng = ChaCha20Rng::from_seed(b.rng_seed.map_or_else(os_seed, seed_from_u64));
        let mut core_rng = ChaCha20Rng::from_seed(next_seed(&mut seed_rng));
        let detector = detector_for(&b)?;
        let resumes = opened.resumes();
        let OpenedLedger {
            sink: mut ledger,
            restored,
            truncated_bytes,
            fail_closed,
        } = opened;
        let (rollout, epoch) = start_chain(
            &mut ledger,
            &restored,
            ConfigChangeRecord { config, hysteresis },
            &start,
            now,
            &mut core_rng,
        )?;
        let genesis = RuntimeRiskConfig {
            enforce: false,
            ..config
        };
        let (genesis_config, genesis_hysteresis) =
            resume::genesis_config(&restored, (genesis, hysteresis));
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
            manager.resume_from(&restored, start, truncated_bytes, fail_closed, now)?;
        }
        let now = manager.clock.now_ms();
        if let Some(Err(message)) = lock(&manager.core).ledger.checkpoint_now(now, true) {
            return Err(BuildError::CheckpointWrite { message });
        }
        Ok(manager)
    }

    /// Restores the extensions a resumed ledger knew and records the `resume` entry.
    fn resume_from(
        &mut self,
        restored: &RestoredState,
        start: resume::StartSettings,
        truncated_bytes: u64,
        fail_closed: Option<crate::resume::FailClosedStart>,
        now: u64,
    ) -> Result<(), BuildError> {
        let entries_found = match &fail_closed {
            Some(f) => f.first_invalid_index.unwrap_or(0),
            None => restored.entries,
        };
        let (killed, quarantined) = self.restore_extensions(restored);
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
        self.record_resume(&report, now)?;
        let failed = report.fail_closed.as_ref();
        Verified {
            entries: Some(report.entries_found),
            code: failed.map(|_| "fail_closed"),
            first_invalid_index: failed.and_then(|f| f.first_invalid_index),
            truncated_bytes: Some(report.truncated_bytes),
            extensions: Some(report.extensions),
            ..Verified::new("resume", failed.is_none(), u64::from(failed.is_some()))
        }
        .emit();
        self.resume = Some(report);
        Ok(())
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

    /// Appends a control entry (core lock held) and returns its seq. The change it records is
    /// already in force; if it cannot be written, a Critical `ledger_integrity` alert says so —
    /// a restart would not restore it — and the error says it to the caller. A checkpoint
    /// write that failed is alerted too.
    pub(crate) fn append_control(
        &self,
        core: &mut Core,
        now: u64,
        extension_id: Option<&str>,
        payload: EntryPayload,
    ) -> Result<u64, ControlError> {
        let kind = payload.kind_name();
        let Core { ledger, rng, .. } = &mut *core;
        let result = ledger
            .append(now, extension_id.map(str::to_owned), payload, rng)
            .map(|receipt| receipt.seq)
            .map_err(|e| ControlError::NotRecorded {
                kind,
                extension_id: extension_id.map(str::to_owned),
                reason: crate::HostcallError::from(e).to_string(),
            });
        if let Err(e) = &result {
            self.ledger_alert(
                core,
                now,
                "record",
                SecurityAlertSeverity::Critical,
                e.to_string(),
                &[
                    crate::alerts::LEDGER_INTEGRITY_FAILURE,
                    "control_not_recorded",
                ],
            );
        }
        self.raise_checkpoint_failure(core, now);
        result
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
                &[crate::alerts::LEDGER_INTEGRITY_FAILURE, "fail_closed"],
            );
        }
        Ok(())
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
                detection_key: crate::detection_cache::extension_key(extension_id),
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
}

/// The builder's risk configuration, validated, with the builder's ledger limit and the phase's
/// `enforce`, and the builder's bounds checked.
fn validated_config(b: &ExtensionManagerBuilder) -> Result<RuntimeRiskConfig, BuildError> {
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
    Ok(config)
}

/// The rule catalog for the builder's workspace.
fn detector_for(b: &ExtensionManagerBuilder) -> Result<Detector, BuildError> {
    let mut context = match &b.workspace {
        Some(root) => Context::with_workspace(root).ok_or_else(|| BuildError::Workspace {
            value: root.clone(),
        })?,
        None => Context::new(),
    };
    if let Some(home) = &b.home {
        context = context
            .with_home(home)
            .ok_or_else(|| BuildError::GuardedPath {
                value: home.clone(),
            })?;
    }
    for path in &b.guarded {
        context = context
            .with_host_path(path)
            .ok_or_else(|| BuildError::GuardedPath {
                value: path.clone(),
            })?;
    }
    Ok(Detector::builtin(context)?)
}

/// Starts or continues the chain: a new one gets the genesis configuration and the start-up
/// phase; a resumed one a configuration entry when the builder's differs from the ledger's.
/// Returns the rollout controller and its epoch.
fn start_chain(
    ledger: &mut LedgerSink,
    restored: &RestoredState,
    in_force: ConfigChangeRecord,
    start: &resume::StartSettings,
    now: u64,
    rng: &mut ChaCha20Rng,
) -> Result<(RolloutController, u64), BuildError> {
    // The configuration as entries record it (`enforce` false at genesis, else the phase's).
    let config = in_force.config;
    let recorded = ConfigChangeRecord {
        config: RuntimeRiskConfig {
            enforce: restored.entries > 0 && config.enforce,
            ..config
        },
        ..in_force
    };
    if restored.entries == 0 {
        // A new chain: the genesis entry states the configuration it starts under (ledger
        // README), then the start-up phase, if not shadow.
        ledger.append(now, None, EntryPayload::ConfigChange(recorded), rng)?;
        let mut rollout = RolloutController::new(start.trigger)?;
        let mut epoch = 0;
        if let Some(t) = rollout.set_phase(start.rollout.phase, now) {
            ledger.append(now, None, transition_payload(&t), rng)?;
            epoch += 1;
        }
        Ok((rollout, epoch))
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
            ledger.append(now, None, EntryPayload::ConfigChange(recorded), rng)?;
        }
        let rollout = RolloutController::restore(start.trigger, start.rollout)?;
        Ok((rollout, start.rollout.transition_count))
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
