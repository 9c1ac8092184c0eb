//! [`ExtensionManagerBuilder`]: every knob of the manager, validated once in
//! [`build`](ExtensionManagerBuilder::build) (STYLE "Parse, don't validate").

use std::path::PathBuf;
use std::sync::Arc;

use hostguard_ledger::FsyncPolicy;
use hostguard_risk_core::{
    Clock, ExecMediationPolicy, ExtensionPolicy, QuotaLimits, RuntimeRiskConfig, SecretBrokerPolicy,
};
use hostguard_rollout::{RollbackTrigger, RolloutPhase};

use crate::checkpoints::{CheckpointEvery, CheckpointSpec};
use crate::clock::SystemClock;

/// Default capacity of each per-extension record stream (telemetry, alerts, exec and secret
/// logs, quota breaches, kill-switch audit).
pub const DEFAULT_RECORD_LIMIT: usize = 1024;
/// Largest accepted record-stream capacity.
pub const MAX_RECORD_LIMIT: usize = 1_000_000;
/// Calls remembered for `record_outcome` / `mark_false_positive` / `resolve_prompt`.
pub const DEFAULT_CALL_INDEX_LIMIT: usize = 65_536;
/// Default bound on the extensions the gate keeps state for (one shard each).
pub const DEFAULT_MAX_EXTENSIONS: usize = 65_536;

/// Builds an [`ExtensionManager`](crate::ExtensionManager). Defaults: risk controller off
/// ([`RuntimeRiskConfig::default`]), the Safe policy profile, the [`SystemClock`], the default
/// secret broker, rollout phase shadow, the default rollback trigger, a salt RNG seeded from the
/// operating system.
#[derive(Clone)]
pub struct ExtensionManagerBuilder {
    pub(crate) risk_config: RuntimeRiskConfig,
    pub(crate) policy: ExtensionPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) secret_policy: SecretBrokerPolicy,
    pub(crate) exec_policy: ExecMediationPolicy,
    pub(crate) quota: Option<QuotaLimits>,
    pub(crate) ledger_limit: Option<usize>,
    pub(crate) rollout_phase: RolloutPhase,
    pub(crate) rollback_trigger: RollbackTrigger,
    pub(crate) rng_seed: Option<u64>,
    pub(crate) record_limit: usize,
    pub(crate) max_extensions: usize,
    pub(crate) durable: Option<(PathBuf, FsyncPolicy)>,
    pub(crate) workspace: Option<String>,
    pub(crate) guarded: Vec<String>,
    pub(crate) home: Option<String>,
    pub(crate) damaged_ledger: DamagedLedger,
    pub(crate) checkpoints: Option<CheckpointSpec>,
    pub(crate) adopt_uncheckpointed: bool,
    pub(crate) require_checkpoint: bool,
}

impl Default for ExtensionManagerBuilder {
    fn default() -> Self {
        ExtensionManagerBuilder {
            risk_config: RuntimeRiskConfig::default(),
            policy: ExtensionPolicy::default(),
            clock: Arc::new(SystemClock),
            secret_policy: SecretBrokerPolicy::default(),
            exec_policy: ExecMediationPolicy::default(),
            quota: None,
            ledger_limit: None,
            rollout_phase: RolloutPhase::Shadow,
            rollback_trigger: RollbackTrigger::default(),
            rng_seed: None,
            record_limit: DEFAULT_RECORD_LIMIT,
            max_extensions: DEFAULT_MAX_EXTENSIONS,
            guarded: Vec::new(),
            home: None,
            durable: None,
            workspace: None,
            damaged_ledger: DamagedLedger::Refuse,
            checkpoints: None,
            adopt_uncheckpointed: false,
            require_checkpoint: false,
        }
    }
}

impl std::fmt::Debug for ExtensionManagerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtensionManagerBuilder")
            .field("risk_config", &self.risk_config)
            .field("policy", &self.policy)
            .field("rollout_phase", &self.rollout_phase)
            .field("rollback_trigger", &self.rollback_trigger)
            .field("record_limit", &self.record_limit)
            .field("max_extensions", &self.max_extensions)
            .finish_non_exhaustive()
    }
}

impl ExtensionManagerBuilder {
    /// The risk controller's configuration. Its `enforce` field is *derived*: the manager sets it
    /// to the rollout phase's `is_enforcing()` (docs/design.md §4), whatever is passed here.
    #[must_use]
    pub fn risk_config(mut self, config: RuntimeRiskConfig) -> Self {
        self.risk_config = config;
        self
    }

    /// The static extension policy (docs/design.md §2 step 3).
    #[must_use]
    pub fn policy(mut self, policy: ExtensionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The injected clock ([`SystemClock`] by default; tests pass a `ManualClock`).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The secret broker's name rules.
    #[must_use]
    pub fn secret_policy(mut self, policy: SecretBrokerPolicy) -> Self {
        self.secret_policy = policy;
        self
    }

    /// The exec mediation policy (default: deny tier High and above).
    #[must_use]
    pub fn exec_mediation(mut self, policy: ExecMediationPolicy) -> Self {
        self.exec_policy = policy;
        self
    }

    /// The global quota preset (replaces the policy's; per-extension overrides in the policy
    /// still win for their extension).
    #[must_use]
    pub fn quota(mut self, quota: QuotaLimits) -> Self {
        self.quota = Some(quota);
        self
    }

    /// Ledger entries kept in memory (overrides `risk_config.ledger_limit`; same range).
    #[must_use]
    pub fn ledger_limit(mut self, limit: usize) -> Self {
        self.ledger_limit = Some(limit);
        self
    }

    /// The rollout phase to start in (default shadow: a new deployment starts safe). A phase
    /// other than shadow is written to the ledger as a transition at start-up.
    #[must_use]
    pub fn rollout_phase(mut self, phase: RolloutPhase) -> Self {
        self.rollout_phase = phase;
        self
    }

    /// The automatic-rollback thresholds (validated at build).
    #[must_use]
    pub fn rollback_trigger(mut self, trigger: RollbackTrigger) -> Self {
        self.rollback_trigger = trigger;
        self
    }

    /// Seeds the commitment-salt RNG (tests and fixtures). Without it the seed comes from the
    /// operating system's randomness (through std's `RandomState`).
    #[must_use]
    pub fn rng_seed(mut self, seed: u64) -> Self {
        self.rng_seed = Some(seed);
        self
    }

    /// Capacity of each per-extension record stream, in [1, 1_000_000] (default 1024).
    #[must_use]
    pub fn record_limit(mut self, limit: usize) -> Self {
        self.record_limit = limit;
        self
    }

    /// How many extensions the gate keeps state for, at least 1 (default
    /// [`DEFAULT_MAX_EXTENSIONS`]). State is per extension and never silently forgotten (that
    /// would forget a kill switch or a quarantine), so memory is bounded by refusing the calls
    /// of a new extension past the limit ([`crate::HostcallError::ExtensionLimit`]: the host
    /// must not dispatch them). Operator actions (kill switch, reset) are never refused.
    #[must_use]
    pub fn max_extensions(mut self, limit: usize) -> Self {
        self.max_extensions = limit;
        self
    }

    /// Keeps the ledger in an append-only JSONL file as well as in memory (docs/design.md §5). Every
    /// decision is written to the file before its verdict is returned; a write failure is a
    /// [`HostcallError::Durable`](crate::HostcallError::Durable) and the call must not be
    /// dispatched.
    ///
    /// On an existing file, `build` **resumes**: it verifies every line (a torn final line — no
    /// newline — is cut off and reported; any other bad line refuses the build, see
    /// [`damaged_ledger`](Self::damaged_ledger)), restores the gate's state from the entries —
    /// kill switches, quarantines and trust, each extension's hysteresis state and unsafe
    /// streak, the rollout phase with its rollback provenance and epoch, the rollback trigger,
    /// the latest risk configuration — and writes a `resume` entry saying what it restored
    /// ([`ExtensionManager::resume_report`](crate::ExtensionManager::resume_report)). The ledger's state wins over this builder's
    /// `risk_config`, `rollout_phase` and `rollback_trigger` (the report names each one it
    /// overrode): change them after `build` through the operator API, so the change is in the
    /// chain. Record streams, quotas, taint and the risk model's statistics start fresh.
    ///
    /// Whoever can write the file decides what a restart restores, unless the host also keeps
    /// signed [`checkpoints`](Self::checkpoints) of it (`docs/ledger-format.md` §5.1).
    #[must_use]
    pub fn durable_ledger(mut self, path: impl Into<PathBuf>, fsync: FsyncPolicy) -> Self {
        self.durable = Some((path.into(), fsync));
        self
    }

    /// What `build` does when the durable ledger does not verify: refuse (the default,
    /// [`BuildError::LedgerDamaged`](crate::BuildError::LedgerDamaged) names the first invalid
    /// entry), or start fail-closed ([`DamagedLedger::FailClosed`]).
    #[must_use]
    pub fn damaged_ledger(mut self, on_damage: DamagedLedger) -> Self {
        self.damaged_ledger = on_damage;
        self
    }

    /// Signs checkpoints of the durable ledger with `key` (`docs/ledger-format.md` §8, origin
    /// the key's name) into `path`, replaced atomically: when the manager is built, after
    /// every control entry, `every` N entries or T ms, and on
    /// [`write_checkpoint`](crate::ExtensionManager::write_checkpoint). The ledger is synced before
    /// each, so a checkpoint never pins an entry a crash could lose. On an existing file,
    /// `build` first checks the ledger against the checkpoint there: a ledger cut, rewritten or
    /// re-chained since, a missing checkpoint, or a loosening control entry after it is
    /// [`BuildError::CheckpointRefused`](crate::BuildError::CheckpointRefused) (or a
    /// fail-closed start, see [`damaged_ledger`](Self::damaged_ledger)); decisions after it
    /// cannot lower a state below the checkpoint's (`docs/ledger-format.md` §5.1). Keep `path`
    /// where whoever can write the ledger cannot (or copy each checkpoint off the machine):
    /// the check is as strong as that separation. Needs
    /// [`durable_ledger`](Self::durable_ledger).
    #[must_use]
    pub fn checkpoints(
        mut self,
        path: impl Into<PathBuf>,
        key: hostguard_ledger::SignerKey,
        every: CheckpointEvery,
    ) -> Self {
        self.checkpoints = Some(CheckpointSpec {
            path: path.into(),
            key: Arc::new(key),
            every,
        });
        self
    }

    /// Accepts an existing durable ledger that has no checkpoint yet — the first start with
    /// [`checkpoints`](Self::checkpoints) on a ledger kept without them — instead of refusing it
    /// (`checkpoint_missing`): its content is trusted as the file holds it, and checkpointed
    /// from this start on. Use it once, after verifying the file some other way.
    #[must_use]
    pub fn adopt_uncheckpointed_ledger(mut self) -> Self {
        self.adopt_uncheckpointed = true;
        self
    }

    /// Refuses to start without a checkpoint file (`checkpoint_missing`), even when the ledger
    /// file is missing or empty too: for a host past its first start, deleting both files must
    /// not give a fresh gate. A checkpoint replaced by an *older* one of the same key, with the
    /// ledger cut back to it, cannot be told from local files: keep copies of the checkpoints
    /// off the host (`docs/ledger-format.md` §5.1).
    #[must_use]
    pub fn require_checkpoint(mut self) -> Self {
        self.require_checkpoint = true;
        self
    }

    /// The workspace root the host runs extensions in (an absolute path, validated at build):
    /// writes and deletes inside it are ordinary work, the same outside are judged by what
    /// they touch (docs/detection.md "Classes"). Without it, relative paths are the workspace
    /// and every absolute path is outside it.
    #[must_use]
    pub fn workspace(mut self, root: impl Into<String>) -> Self {
        self.workspace = Some(root.into());
        self
    }

    /// The user's home folder (absolute), so `~/x` and `$HOME/x` resolve in every call
    /// whatever the workspace (without it, the home is known only from a workspace under
    /// `/home/U` or `/Users/U`).
    #[must_use]
    pub fn home(mut self, home: impl Into<String>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// Guards `path` (absolute: a folder or a file) as the gate's own state: every call that
    /// writes, deletes or changes anything in it fires `defense_evasion.gate_state_tamper`
    /// (Critical), whatever the method — an MCP gateway guards its state folder, so a server
    /// cannot approve its own tools or lift its own kill switch through a command.
    #[must_use]
    pub fn guard_path(mut self, path: impl Into<String>) -> Self {
        self.guarded.push(path.into());
        self
    }
}

/// What [`build`](crate::ExtensionManagerBuilder::build) does when the durable ledger does not
/// verify (a complete line that does not parse, or breaks the chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DamagedLedger {
    /// Refuse to build: [`BuildError::LedgerDamaged`](crate::BuildError::LedgerDamaged) names the file and the first invalid
    /// entry. Nothing is changed on disk.
    #[default]
    Refuse,
    /// Move the damaged file aside (to `FILE.damaged-<ms>`, nothing is deleted), start a new
    /// chain in its place whose `resume` entry says why, and quarantine every extension at
    /// first sight until an operator lifts it (`reset_extension`, or the kill switch engaged
    /// and lifted). The chain stays fail-closed across later restarts.
    FailClosed,
}
