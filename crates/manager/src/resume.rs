//! Building on an existing durable ledger (issue 14 "resume = replay"): the file is verified
//! while it is read, the gate's state is folded from its entries ([`RestoredState`]), and a
//! `resume` control entry records what was restored. A damaged file refuses the build, or, when
//! the host asked for it, is moved aside and the gate starts fail-closed.

use std::path::{Path, PathBuf};

use hostguard_ledger::{
    Checkpoint, CheckpointError, ConfigChangeRecord, Digest, DurableError, DurableLedger,
    EntryPayload, FsyncPolicy, Ledger, LedgerEntry, PreparedLedger, RestoredState, ResumeRecord,
    TRUST_QUARANTINED, TRUST_TRUSTED,
};
use hostguard_risk_core::{HysteresisConfig, RuntimeRiskConfig};
use hostguard_rollout::{RestoredRollout, RollbackTrigger, RolloutPhase};

use crate::builder::{DamagedLedger, ExtensionManagerBuilder};
use crate::checkpoints::{CheckpointSpec, Checkpointer};
use crate::error::BuildError;
use crate::sink::{LedgerSink, Store};
use crate::state::phase_code;

/// Why a manager started fail-closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailClosedStart {
    /// The damaged file, moved to `moved_to`.
    pub damaged: PathBuf,
    /// Where it is now (`damaged` itself when there was no file to move).
    pub moved_to: PathBuf,
    /// The first entry that did not verify (0-based); `None` when the checkpoint file itself
    /// was refused.
    pub first_invalid_index: Option<u64>,
    /// The verifier's message.
    pub error: String,
}

impl FailClosedStart {
    /// Where the damaged file went, in words (there may have been none to move).
    pub fn moved_description(&self) -> String {
        if self.moved_to == self.damaged {
            "there was no file to move".to_owned()
        } else {
            format!("moved to `{}`", self.moved_to.display())
        }
    }
}

/// What a manager built on an existing durable ledger found and restored
/// ([`ExtensionManager::resume_report`](crate::ExtensionManager::resume_report)); the same
/// facts are the ledger's `resume` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeReport {
    /// Entries the file held, verified, before this start.
    pub entries_found: u64,
    /// Bytes of a torn final line (a write the crash interrupted) cut off at open; 0 when the
    /// file was clean. Also raised as a `ledger_integrity` alert.
    pub truncated_bytes: u64,
    /// The rollout phase the manager goes on in.
    pub rollout_phase: RolloutPhase,
    /// The phase an automatic rollback left, while the rollout still sits where it put it.
    pub rolled_back_from: Option<RolloutPhase>,
    /// Extensions whose state was restored.
    pub extensions: u64,
    /// Extensions restored with the kill switch engaged, sorted.
    pub killed: Vec<String>,
    /// Extensions restored quarantined, sorted.
    pub quarantined: Vec<String>,
    /// Builder settings the ledger's state overrode (`risk_config`, `rollout_phase`,
    /// `rollback_trigger`): a resumed manager goes on with the ledger's; change them with the
    /// operator API after `build`, so that the change is in the chain.
    pub overridden: Vec<&'static str>,
    /// Set when the manager started fail-closed ([`DamagedLedger::FailClosed`]).
    pub fail_closed: Option<FailClosedStart>,
}

impl ResumeReport {
    /// The ledger's copy.
    pub(crate) fn record(&self) -> ResumeRecord {
        ResumeRecord {
            entries_found: self.entries_found,
            truncated_bytes: self.truncated_bytes,
            rollout_phase: self.rollout_phase.as_str().to_owned(),
            rolled_back_from: self.rolled_back_from.map(|p| p.as_str().to_owned()),
            extensions: self.extensions,
            killed: self.killed.clone(),
            quarantined: self.quarantined.clone(),
            overridden: self.overridden.iter().map(|s| (*s).to_owned()).collect(),
            fail_closed: self.fail_closed.as_ref().map(|f| {
                format!(
                    "`{}` refused ({}); {}",
                    f.damaged.display(),
                    f.error,
                    f.moved_description()
                )
            }),
        }
    }
}

/// The ledger a manager starts on and what it held.
pub(crate) struct OpenedLedger {
    pub(crate) sink: LedgerSink,
    pub(crate) restored: RestoredState,
    pub(crate) truncated_bytes: u64,
    pub(crate) fail_closed: Option<FailClosedStart>,
}

impl OpenedLedger {
    /// Whether the manager resumes (an existing chain, or a fail-closed restart).
    pub(crate) fn resumes(&self) -> bool {
        self.restored.entries > 0 || self.fail_closed.is_some()
    }
}

/// Opens the builder's ledger: in memory, or the durable file read, folded and checked against
/// its last checkpoint — read-only first, so a refused file is left exactly as it was — then
/// opened for appending; a damaged file refuses the build or starts fail-closed.
pub(crate) fn open_ledger(
    b: &ExtensionManagerBuilder,
    limit: usize,
    now_ms: u64,
) -> Result<OpenedLedger, BuildError> {
    let Some((path, fsync)) = &b.durable else {
        if b.checkpoints.is_some() {
            return Err(BuildError::CheckpointsNeedDurableLedger);
        }
        return Ok(OpenedLedger {
            sink: LedgerSink::new(Store::Memory(Ledger::new(limit)?)),
            restored: RestoredState::default(),
            truncated_bytes: 0,
            fail_closed: None,
        });
    };
    let (damage, prefix) = match inspect(b, path, limit).map_err(|boxed| *boxed) {
        Ok(inspected) => return open_inspected(b, *fsync, inspected),
        Err((Damage::Other(e), _)) => return Err(e),
        Err(damaged) => damaged,
    };
    if b.damaged_ledger == DamagedLedger::Refuse {
        return Err(damage.into_error(path, b));
    }
    let first_invalid_index = damage.first_invalid_index();
    let error = damage.into_error(path, b).to_string();
    let moved_to = move_aside(path, now_ms)?.unwrap_or_else(|| path.clone());
    if let Some(spec) = &b.checkpoints {
        move_aside(&spec.path, now_ms)?;
    }
    let (durable, _) = DurableLedger::open(path, limit, *fsync)?;
    Ok(OpenedLedger {
        sink: durable_sink(b, durable, 0),
        // Kill switches and quarantines of the damaged file's verified part — the lines before
        // the first bad one — carry over; what the damage hides, nothing can (every extension
        // is quarantined at first sight instead).
        restored: prefix.tightening_only(),
        truncated_bytes: 0,
        fail_closed: Some(FailClosedStart {
            damaged: path.clone(),
            moved_to,
            first_invalid_index,
            error,
        }),
    })
}

/// Why a durable ledger cannot be resumed from.
enum Damage {
    /// A line does not parse or breaks the chain.
    Chain(DurableError, u64),
    /// The ledger contradicts its last checkpoint, or the checkpoint does not open.
    Checkpoint(CheckpointError, Option<u64>),
    /// Not damage (I/O, limits): always an error.
    Other(BuildError),
}

impl Damage {
    fn first_invalid_index(&self) -> Option<u64> {
        match self {
            Damage::Chain(_, index) => Some(*index),
            Damage::Checkpoint(_, index) => *index,
            Damage::Other(_) => None,
        }
    }

    fn into_error(self, path: &Path, b: &ExtensionManagerBuilder) -> BuildError {
        match self {
            Damage::Chain(source, first_invalid_index) => BuildError::LedgerDamaged {
                path: path.to_path_buf(),
                first_invalid_index,
                source,
            },
            Damage::Checkpoint(source, first_invalid_index) => BuildError::CheckpointRefused {
                path: path.to_path_buf(),
                checkpoint: b
                    .checkpoints
                    .as_ref()
                    .map(|c| c.path.clone())
                    .unwrap_or_default(),
                first_invalid_index,
                source: Box::new(source),
            },
            Damage::Other(e) => e,
        }
    }
}

/// What the read-only pass over a durable file found, ready to be opened.
struct Inspected {
    prepared: PreparedLedger,
    restored: RestoredState,
    pinned_size: u64,
}

/// The fold of a durable file, with what a checkpoint check needs.
struct Fold {
    restored: RestoredState,
    pinned_hash: Option<Digest>,
    /// The checkpoint's size: entries from this seq on are pinned by no signature.
    pinned_size: Option<u64>,
    /// The first entry after the checkpoint that loosens enforcement.
    unpinned: Option<(u64, String)>,
    /// Extensions the fold may hold (`max_extensions`): past it, entries of new ones are not
    /// folded and the file is refused, so a hostile file cannot grow the fold.
    max_extensions: usize,
    overflow: bool,
    /// A trust value the manager never writes.
    unknown_trust: Option<(u64, String)>,
}

impl Fold {
    fn new(pinned_size: Option<u64>, max_extensions: usize) -> Fold {
        Fold {
            restored: RestoredState::default(),
            pinned_hash: None,
            pinned_size,
            unpinned: None,
            max_extensions,
            overflow: false,
            unknown_trust: None,
        }
    }

    fn observe(&mut self, e: &LedgerEntry) {
        let unpinned = self.pinned_size.is_some_and(|size| e.seq >= size);
        if unpinned && self.unpinned.is_none() {
            // After the checkpoint: judged by what it would loosen (an odd trust value too).
            self.unpinned = loosens(e, &self.restored).map(|kind| (e.seq, kind));
        }
        if let Some(EntryPayload::TrustChange(t)) = e.payload() {
            let known = TRUST_VALUES.contains(&t.to.as_str());
            if !known && !unpinned && self.unknown_trust.is_none() {
                self.unknown_trust = Some((e.seq, t.to.clone()));
            }
        }
        let new_extension = e
            .extension_id
            .as_ref()
            .is_some_and(|x| !self.restored.extensions.contains_key(x));
        if new_extension && self.restored.extensions.len() >= self.max_extensions {
            self.overflow = true;
            self.restored.entries = self.restored.entries.saturating_add(1);
        } else {
            self.restored.observe(e);
        }
        if self.pinned_size.and_then(|s| s.checked_sub(1)) == Some(e.seq) {
            self.pinned_hash = Some(e.ledger_hash);
            self.restored.seal();
        }
    }

    /// A file the fold cannot restore from, whatever its checkpoint says.
    fn refusal(&self) -> Option<BuildError> {
        if self.overflow {
            return Some(BuildError::Resume(format!(
                "the ledger names more than `max_extensions` ({}) extensions: raise the bound to \
                 resume from it",
                self.max_extensions
            )));
        }
        self.unknown_trust.as_ref().map(|(seq, to)| {
            BuildError::Resume(format!(
                "entry {seq} changes a trust to `{to}`, which no manager writes"
            ))
        })
    }
}

/// The trust values a `trust_change` entry may carry (`ExtensionTrustState` names the manager
/// writes); any other is refused rather than guessed at.
const TRUST_VALUES: [&str; 2] = [TRUST_TRUSTED, TRUST_QUARANTINED];

/// Reads the durable file without changing it, folds it and checks it against the checkpoint.
/// A damaged file comes back with the fold of its verified part.
fn inspect(
    b: &ExtensionManagerBuilder,
    path: &Path,
    limit: usize,
) -> Result<Inspected, Box<(Damage, RestoredState)>> {
    let checkpoint = b.checkpoints.as_ref().map(CheckpointSpec::read);
    let pinned = match &checkpoint {
        Some(Ok(Some(v))) => Some(v.checkpoint().clone()),
        _ => None,
    };
    let pinned_size = pinned.as_ref().map(Checkpoint::size);
    let mut fold = Fold::new(pinned_size, b.max_extensions);
    let read = DurableLedger::prepare(path, limit, &mut |e| fold.observe(e));
    if let Some(refusal) = fold.refusal() {
        return Err(Box::new((Damage::Other(refusal), fold.restored)));
    }
    let prepared = match read {
        Ok(prepared) => prepared,
        Err(e) => {
            let damage = match e.first_invalid_index() {
                Some(index) => Damage::Chain(e, index),
                None => Damage::Other(e.into()),
            };
            return Err(Box::new((damage, fold.restored)));
        }
    };
    let held = fold.restored.entries;
    let missing = held > 0 && !b.adopt_uncheckpointed || b.require_checkpoint;
    let refused = match (checkpoint, &pinned) {
        (Some(Err(e)), _) => Some(Damage::Checkpoint(e, None)),
        (Some(Ok(None)), _) if missing => Some(Damage::Checkpoint(
            CheckpointError::Missing { ledger_size: held },
            None,
        )),
        (_, Some(c)) => check_pinned(c, held, fold.pinned_hash)
            .err()
            .or_else(|| unpinned_control(c, fold.unpinned.take())),
        _ => None,
    };
    if let Some(damage) = refused {
        return Err(Box::new((damage, fold.restored)));
    }
    Ok(Inspected {
        prepared,
        restored: fold.restored,
        pinned_size: pinned_size.unwrap_or(0),
    })
}

fn unpinned_control(c: &Checkpoint, unpinned: Option<(u64, String)>) -> Option<Damage> {
    unpinned.map(|(index, kind)| {
        Damage::Checkpoint(
            CheckpointError::UnpinnedControl {
                index,
                kind,
                checkpoint_size: c.size(),
            },
            Some(index),
        )
    })
}

/// Opens the inspected file for appending (cutting a torn tail): the file read is the file
/// continued (`PreparedLedger::open` refuses one that changed since).
fn open_inspected(
    b: &ExtensionManagerBuilder,
    fsync: FsyncPolicy,
    inspected: Inspected,
) -> Result<OpenedLedger, BuildError> {
    let (durable, report) = inspected.prepared.open(fsync)?;
    Ok(OpenedLedger {
        sink: durable_sink(b, durable, inspected.pinned_size),
        restored: inspected.restored,
        truncated_bytes: report.truncated_bytes,
        fail_closed: None,
    })
}

/// What an entry after the last checkpoint would loosen, if anything, given the state folded so
/// far: a kill switch lifted, a trust change other than a quarantine, a risk state reset, a
/// configuration or rollback-trigger change, or a rollout transition that does not leave the
/// phase the fold is in for a strictly more enforcing one (a same-phase transition would move
/// the enforce_new epoch). Decisions are not refused: they cannot lower a state below the
/// checkpoint's ([`RestoredState::seal`]).
fn loosens(e: &LedgerEntry, folded: &RestoredState) -> Option<String> {
    match e.payload()? {
        EntryPayload::KillSwitch(k) if !k.engaged => Some("kill_switch lifted".to_owned()),
        EntryPayload::TrustChange(t) if t.to != TRUST_QUARANTINED => {
            Some(format!("trust_change to `{}`", t.to))
        }
        EntryPayload::RiskStateReset(_) => Some("risk_state_reset".to_owned()),
        EntryPayload::RolloutTransition(t) if !raises(folded, &t.from, &t.to) => Some(format!(
            "rollout_transition from `{}` to `{}`",
            t.from, t.to
        )),
        EntryPayload::ConfigChange(_) => Some("config_change".to_owned()),
        EntryPayload::RollbackTriggerChange(_) => Some("rollback_trigger_change".to_owned()),
        _ => None,
    }
}

/// Whether a transition leaves the phase the fold is in (`from` is that phase) for a strictly
/// more enforcing one; an unknown name never does.
fn raises(folded: &RestoredState, from: &str, to: &str) -> bool {
    let current = folded
        .rollout
        .phase
        .as_deref()
        .unwrap_or(RolloutPhase::Shadow.as_str());
    match (current.parse::<RolloutPhase>(), to.parse::<RolloutPhase>()) {
        (Ok(current_phase), Ok(to)) => {
            from == current && phase_code(to) > phase_code(current_phase)
        }
        _ => false,
    }
}

/// The durable sink, signing checkpoints when the builder asked, counting from the
/// `pinned_size` entries the last checkpoint holds.
fn durable_sink(
    b: &ExtensionManagerBuilder,
    durable: DurableLedger,
    pinned_size: u64,
) -> LedgerSink {
    let mut sink = LedgerSink::new(Store::Durable(durable));
    sink.checkpoints = b.checkpoints.as_ref().map(|spec| {
        let mut checkpointer = Checkpointer::new(spec.clone());
        checkpointer.resume_from(pinned_size);
        checkpointer
    });
    sink
}

/// The file holds the checkpoint's entry with the checkpoint's hash (the same rule as
/// `check_ledger_against_checkpoint`, on the hash the fold captured).
fn check_pinned(c: &Checkpoint, held: u64, found: Option<Digest>) -> Result<(), Damage> {
    let Some(index) = c.size().checked_sub(1) else {
        return Ok(());
    };
    match found {
        None => Err(Damage::Checkpoint(
            CheckpointError::TailCut {
                checkpoint_size: c.size(),
                ledger_size: held,
            },
            Some(held),
        )),
        Some(hash) if hash != c.head() => Err(Damage::Checkpoint(
            CheckpointError::HeadMismatch {
                index,
                expected: c.head(),
                found: hash,
            },
            Some(index),
        )),
        Some(_) => Ok(()),
    }
}

/// Moves `path` aside (`path.damaged-<ms>`), if it exists.
fn move_aside(path: &Path, now_ms: u64) -> Result<Option<PathBuf>, BuildError> {
    hostguard_ledger::move_aside(path, &now_ms.to_string()).map_err(|source| {
        BuildError::MoveAside {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// The settings a manager starts with: the builder's on a new ledger, the ledger's on a
/// resumed one (with the builder settings it overrode).
pub(crate) struct StartSettings {
    pub(crate) config: RuntimeRiskConfig,
    pub(crate) trigger: RollbackTrigger,
    pub(crate) rollout: RestoredRollout,
    pub(crate) overridden: Vec<&'static str>,
}

/// Decides the start settings. `config` is the builder's, validated; `ledger_limit` always
/// stays the builder's (it sizes memory, not decisions).
pub(crate) fn start_settings(
    b: &ExtensionManagerBuilder,
    config: RuntimeRiskConfig,
    restored: &RestoredState,
) -> Result<StartSettings, BuildError> {
    let mut overridden = Vec::new();
    let mut note = |differs: bool, name: &'static str| {
        if differs {
            overridden.push(name);
        }
    };
    let ledger_config = restored.config.map(|c| RuntimeRiskConfig {
        ledger_limit: config.ledger_limit,
        enforce: config.enforce,
        ..c.config
    });
    let config = match ledger_config {
        Some(c) => {
            note(c != config, "risk_config");
            c
        }
        None => config,
    };
    let trigger = match restored.rollback_trigger {
        Some(t) => {
            let t = crate::state::trigger_of(t);
            note(t != b.rollback_trigger, "rollback_trigger");
            t
        }
        None => b.rollback_trigger,
    };
    let rollout = restored_rollout(restored)?;
    let rollout = match rollout {
        Some(r) => {
            note(r.phase != b.rollout_phase, "rollout_phase");
            r
        }
        None => RestoredRollout {
            phase: b.rollout_phase,
            rolled_back_from: None,
            transition_count: 0,
            last_transition_ms: None,
        },
    };
    let config = RuntimeRiskConfig {
        enforce: rollout.phase.is_enforcing(),
        ..config
    };
    config.validate()?;
    Ok(StartSettings {
        config,
        trigger,
        rollout,
        overridden,
    })
}

/// The rollout of a resumed ledger (`None` for a new one: the builder's phase applies).
fn restored_rollout(restored: &RestoredState) -> Result<Option<RestoredRollout>, BuildError> {
    if restored.entries == 0 {
        return Ok(None);
    }
    let r = &restored.rollout;
    let phase = |name: Option<&String>| -> Result<Option<RolloutPhase>, BuildError> {
        name.map(|n| {
            n.parse::<RolloutPhase>()
                .map_err(|e| BuildError::Resume(e.to_string()))
        })
        .transpose()
    };
    Ok(Some(RestoredRollout {
        phase: phase(r.phase.as_ref())?.unwrap_or(RolloutPhase::Shadow),
        rolled_back_from: phase(r.rolled_back_from.as_ref())?,
        transition_count: r.transitions,
        last_transition_ms: r.last_transition_ms,
    }))
}

/// The configuration the chain started under (artifacts state it at seq 0): the ledger's first
/// config entry when resuming, else this start's.
pub(crate) fn genesis_config(
    restored: &RestoredState,
    start: (RuntimeRiskConfig, HysteresisConfig),
) -> (RuntimeRiskConfig, HysteresisConfig) {
    restored
        .first_config
        .map_or(start, |ConfigChangeRecord { config, hysteresis }| {
            (config, hysteresis)
        })
}
