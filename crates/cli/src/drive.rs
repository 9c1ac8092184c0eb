//! Driving an [`ExtensionManager`] over a `hostguard.hostcall_event.v1` stream: the engine of
//! `run`, `what-if` and the detection check. One line in, at most one verdict out; the stream is
//! never held in memory.
//!
//! Per hostcall line: the manager's clock moves to `ts_ms` (never backwards), the gate decides,
//! then the host's side is replayed — a blocked call is reported as `denied` (the host never ran
//! it), otherwise the recorded `outcome` (success when absent) with its latency — and a
//! `false_positive` flag is passed on as `mark_false_positive`. Operator lines call the
//! manager's runbook API.

use std::num::NonZeroU32;
use std::path::Path;

use hostguard_manager::{
    BuildError, CheckpointEvery, Clock, EnforcementState, ExtensionManager, ExtensionPolicy,
    FsyncPolicy, ManualClock, Outcome, PolicyProfile, RolloutPhase, RuntimeRiskConfig, Verdict,
    VerdictAction,
};
use serde::Serialize;

use crate::error::{CliError, CliResult};
use crate::events::{Event, HostcallEvent, OperatorAction};

/// How to build the gate for a run.
#[derive(Debug, Clone)]
pub struct GateOptions {
    /// The resolved risk config (its `enforce` follows the phase).
    pub risk: RuntimeRiskConfig,
    /// The policy profile.
    pub profile: PolicyProfile,
    /// The starting rollout phase.
    pub phase: RolloutPhase,
    /// A fixed seed for the ledger's commitment salts: reproducible output, but salts anyone can
    /// recompute, so redacted values become guessable. Fixtures and tests only.
    pub unsafe_fixed_salt_seed: Option<u64>,
    /// The clock's start (the first line's `ts_ms` is a good choice).
    pub start_ms: u64,
    /// The workspace root extensions run in (absolute): writes inside it are ordinary work
    /// (docs/detection.md "Classes").
    pub workspace: Option<String>,
    /// A durable ledger file the run continues (created when absent), exactly as a host's
    /// `durable_ledger` does: the gate resumes from its state and appends to its chain.
    pub ledger_file: Option<std::path::PathBuf>,
    /// Signs checkpoints of `ledger_file` with this key into [`checkpoint_path`] (at start,
    /// every 1000 entries, at the end of the run), and checks the file against the last one
    /// before resuming.
    pub checkpoint_key: Option<std::path::PathBuf>,
    /// The user's home folder, so `~/x` resolves whatever the workspace (`hostguard mcp`: the
    /// `$HOME` the server inherits).
    pub home: Option<String>,
    /// When `ledger_file` is flushed to disk ([`LEDGER_FILE_FSYNC`] for a run; `hostguard mcp`
    /// flushes it on its own 200 ms tick, off the call path).
    pub ledger_fsync: FsyncPolicy,
    /// Absolute paths guarded as the gate's own state (`guard_path`): `hostguard mcp` guards
    /// its state folder and mapping file.
    pub guarded: Vec<String>,
}

/// Where `run --checkpoint-key` keeps the checkpoint of `--ledger-file F`: `F.checkpoint`.
pub fn checkpoint_path(ledger_file: &Path) -> std::path::PathBuf {
    let mut name = ledger_file.as_os_str().to_owned();
    name.push(".checkpoint");
    std::path::PathBuf::from(name)
}

/// One line of `verdicts.jsonl` (field order fixed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VerdictLine {
    /// The call.
    pub call_id: String,
    /// Its extension.
    pub extension_id: String,
    /// The host must not run it.
    pub blocked: bool,
    /// The extension's enforcement state after the decision.
    pub state: EnforcementState,
    /// Why, one human line.
    pub reason: String,
    /// allow | prompt | block.
    pub action: VerdictAction,
    /// The stable reason code.
    pub reason_code: String,
    /// The risk score, when the risk model ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<f64>,
    /// The catalog rules the call fired (docs/detection.md), strictest first.
    pub rules: Vec<String>,
    /// Their MITRE ATT&CK technique ids.
    pub attack: Vec<String>,
    /// The secret broker withheld an env value (the extension got the placeholder).
    pub secret_redacted: bool,
}

impl VerdictLine {
    fn new(call: &HostcallEvent, verdict: &Verdict) -> VerdictLine {
        VerdictLine {
            call_id: call.call_id.clone(),
            extension_id: call.extension_id.clone(),
            blocked: verdict.is_blocked(),
            state: verdict.state(),
            reason: verdict.reason().to_owned(),
            action: verdict.action(),
            reason_code: verdict.reason_code().to_owned(),
            risk_score: verdict.risk_score(),
            rules: verdict.rules().to_vec(),
            attack: verdict.attack().to_vec(),
            secret_redacted: verdict.secret_placeholder().is_some(),
        }
    }
}

/// The manager, its clock, and what the stream asked that could not be done.
pub struct Driver {
    /// The gate.
    pub manager: ExtensionManager,
    /// Its clock (shared with the manager).
    pub clock: ManualClock,
    /// Operator lines that referred to an unknown call or changed nothing, as
    /// `line: message` (reported, not fatal: a call may have left the bounded call index).
    pub warnings: Vec<String>,
    /// Warnings beyond the ones kept in [`Driver::warnings`].
    pub warnings_dropped: u64,
    /// Hostcalls decided.
    pub calls: u64,
    /// Hostcalls blocked.
    pub blocked: u64,
    /// Hostcalls that prompted.
    pub prompted: u64,
}

/// The gate `options` describe, on `clock` (the replay's manual clock, or the wall clock of a
/// live gateway): the one place the CLI builds a manager.
pub fn build_gate(
    options: &GateOptions,
    clock: impl hostguard_manager::Clock + 'static,
) -> CliResult<ExtensionManager> {
    let mut builder = ExtensionManager::builder()
        .risk_config(options.risk)
        .policy(ExtensionPolicy::from_profile(options.profile))
        .clock(clock)
        .rollout_phase(options.phase);
    if let Some(seed) = options.unsafe_fixed_salt_seed {
        builder = builder.rng_seed(seed);
    }
    if let Some(root) = &options.workspace {
        builder = builder.workspace(root.clone());
    }
    for path in &options.guarded {
        builder = builder.guard_path(path.clone());
    }
    if let Some(home) = &options.home {
        builder = builder.home(home.clone());
    }
    if let Some(file) = &options.ledger_file {
        builder = builder.durable_ledger(file, options.ledger_fsync);
        if let Some(key) = &options.checkpoint_key {
            let key = crate::key_cmd::read_signer_key(key)?;
            builder = builder.checkpoints(checkpoint_path(file), key, CheckpointEvery::default());
        }
    }
    builder.build().map_err(|e| match e {
        // A ledger that does not verify is a finding (runbook Procedure 5), not bad usage.
        BuildError::LedgerDamaged { .. } | BuildError::CheckpointRefused { .. } => {
            CliError::finding(format!("{e}"))
        }
        e => CliError::input(format!("cannot build the gate: {e}")),
    })
}

/// How often `--ledger-file` is flushed to disk: a crash loses at most the last 63 decisions of a
/// run (the file stays a valid chain; a torn last line is cut off and reported on the next run).
pub const LEDGER_FILE_FSYNC: FsyncPolicy = FsyncPolicy::EveryN(match NonZeroU32::new(64) {
    Some(n) => n,
    None => NonZeroU32::MIN,
});

/// Warnings kept (the count goes on).
const MAX_WARNINGS: usize = 100;

impl Driver {
    /// Builds the gate.
    pub fn new(options: &GateOptions) -> CliResult<Driver> {
        let clock = ManualClock::new(options.start_ms);
        let manager = build_gate(options, clock.clone())?;
        Ok(Driver {
            manager,
            clock,
            warnings: Vec::new(),
            warnings_dropped: 0,
            calls: 0,
            blocked: 0,
            prompted: 0,
        })
    }

    /// Applies one line; a hostcall yields its verdict line.
    pub fn apply(
        &mut self,
        file: &Path,
        line: usize,
        event: &Event,
    ) -> CliResult<Option<VerdictLine>> {
        if event.ts_ms() > self.clock.now_ms() {
            self.clock.set_ms(event.ts_ms());
        }
        match event {
            Event::Hostcall(call) => self.hostcall(file, line, call).map(Some),
            Event::Operator(op) => {
                self.operator(line, &op.action);
                Ok(None)
            }
        }
    }

    fn hostcall(
        &mut self,
        file: &Path,
        line: usize,
        call: &HostcallEvent,
    ) -> CliResult<VerdictLine> {
        let verdict = self
            .manager
            .evaluate_hostcall(&call.host_call())
            .map_err(|e| CliError::at(file, line, 1, format!("the gate refused the call: {e}")))?;
        self.calls += 1;
        if verdict.is_blocked() {
            self.blocked += 1;
            self.manager.record_outcome_with_latency(
                &call.call_id,
                Outcome::Error {
                    code: "denied".to_owned(),
                },
                0,
            );
        } else {
            if verdict.requires_prompt() {
                self.prompted += 1;
            }
            let recorded = call.outcome.clone().unwrap_or_default();
            let outcome = match recorded.error_code {
                Some(code) => Outcome::Error { code },
                None => Outcome::Success,
            };
            match recorded.latency_ms {
                Some(ms) => self
                    .manager
                    .record_outcome_with_latency(&call.call_id, outcome, ms),
                None => self.manager.record_outcome(&call.call_id, outcome),
            };
        }
        if call.false_positive {
            if let Err(e) = self.manager.try_mark_false_positive(&call.call_id) {
                self.warn(line, format!("`false_positive` not recorded: {e}"));
            }
        }
        Ok(VerdictLine::new(call, &verdict))
    }

    fn operator(&mut self, line: usize, action: &OperatorAction) {
        let m = &self.manager;
        let (applied, what) = match action {
            OperatorAction::KillSwitch {
                extension_id,
                reason,
            } => (
                m.set_kill_switch(extension_id, true, reason),
                format!("kill switch of `{extension_id}` was already on"),
            ),
            OperatorAction::LiftKillSwitch {
                extension_id,
                reason,
            } => (
                m.set_kill_switch(extension_id, false, reason),
                format!("kill switch of `{extension_id}` was not on"),
            ),
            OperatorAction::SetRolloutPhase { phase } => (
                m.set_rollout_phase(*phase),
                format!("rollout phase already `{phase}`"),
            ),
            OperatorAction::AdvanceRollout => (
                m.advance_rollout(),
                "rollout cannot advance past `enforce_all`".to_owned(),
            ),
            OperatorAction::MarkFalsePositive { call_id } => match m.try_mark_false_positive(call_id) {
                Ok(()) => (true, String::new()),
                Err(e) => (false, format!("not flagged a false positive: {e}")),
            },
            OperatorAction::ResolvePrompt { call_id, approved } => (
                m.resolve_prompt(call_id, *approved),
                format!("`{call_id}` has no pending prompt (unknown, not a prompt, or already answered)"),
            ),
        };
        if !applied {
            self.warn(line, what);
        }
    }

    fn warn(&mut self, line: usize, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("{line}: {message}"));
        } else {
            self.warnings_dropped += 1;
        }
    }
}
