//! What an entry records: decisions and control-plane events (docs/design.md §2 step 8, §5), and the
//! salted commitments that make fields redactable.

use hostguard_risk_core::{
    Capability, EnforcementBasis, EnforcementState, HysteresisConfig, Posterior, RuntimeRiskConfig,
};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::digest::{commitment, Digest, Salt};

/// The payload of an entry: one decision of the gate, or one control-plane event, so the whole
/// incident timeline is in one tamper-evident sequence (docs/design.md §5).
///
/// Open set: new control events will be added, so matches outside this crate need a wildcard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryPayload {
    /// One decision of the gate (kind code 0). Boxed so that an entry moves as a few words
    /// inside the append's critical section.
    Decision(Box<DecisionRecord>),
    /// The kill switch of the entry's extension was engaged or lifted (kind code 1).
    KillSwitch(KillSwitchRecord),
    /// The trust level of the entry's extension changed (kind code 2).
    TrustChange(TrustChangeRecord),
    /// The rollout phase changed, by an operator or by automatic rollback (kind code 3).
    RolloutTransition(RolloutTransitionRecord),
    /// The risk configuration changed; replay applies it from this entry on (kind code 4).
    ConfigChange(ConfigChangeRecord),
    /// An operator reset the entry's extension's risk state (kind code 5).
    RiskStateReset(RiskStateResetRecord),
    /// A person answered a Prompt verdict (`resolve_prompt`, docs/design.md §4) (kind code 6).
    PromptResolution(PromptResolutionRecord),
    /// An operator replaced the automatic-rollback thresholds (`set_rollback_trigger`,
    /// docs/design.md §4) (kind code 7).
    RollbackTriggerChange(RollbackTriggerChangeRecord),
    /// A manager started on an existing ledger and restored its state from it (kind code 8).
    Resume(ResumeRecord),
    /// A tool the entry's extension offers was pinned: the hash of its definition, and whether
    /// it is approved (kind code 9).
    ToolPin(ToolPinRecord),
    /// A layer in front of the entry's extension found something in what it sent — a tool
    /// definition, a tool's result — that the gate's hostcalls do not show (kind code 10).
    Finding(FindingRecord),
}

impl EntryPayload {
    /// The kind code of the canonical encoding (`docs/ledger-format.md` §2).
    pub const fn kind_code(&self) -> u8 {
        match self {
            EntryPayload::Decision(_) => 0,
            EntryPayload::KillSwitch(_) => 1,
            EntryPayload::TrustChange(_) => 2,
            EntryPayload::RolloutTransition(_) => 3,
            EntryPayload::ConfigChange(_) => 4,
            EntryPayload::RiskStateReset(_) => 5,
            EntryPayload::PromptResolution(_) => 6,
            EntryPayload::RollbackTriggerChange(_) => 7,
            EntryPayload::Resume(_) => 8,
            EntryPayload::ToolPin(_) => 9,
            EntryPayload::Finding(_) => 10,
        }
    }

    /// The snake_case kind name, as in the JSON.
    pub const fn kind_name(&self) -> &'static str {
        match self {
            EntryPayload::Decision(_) => "decision",
            EntryPayload::KillSwitch(_) => "kill_switch",
            EntryPayload::TrustChange(_) => "trust_change",
            EntryPayload::RolloutTransition(_) => "rollout_transition",
            EntryPayload::ConfigChange(_) => "config_change",
            EntryPayload::RiskStateReset(_) => "risk_state_reset",
            EntryPayload::PromptResolution(_) => "prompt_resolution",
            EntryPayload::RollbackTriggerChange(_) => "rollback_trigger_change",
            EntryPayload::Resume(_) => "resume",
            EntryPayload::ToolPin(_) => "tool_pin",
            EntryPayload::Finding(_) => "finding",
        }
    }

    /// Every commitment of the payload, with the field it belongs to.
    pub fn commitments(&self) -> impl Iterator<Item = (RedactableField, &Committed)> {
        let params = match self {
            EntryPayload::Decision(d) => Some((RedactableField::ParamsHash, &d.params_hash)),
            EntryPayload::KillSwitch(_)
            | EntryPayload::TrustChange(_)
            | EntryPayload::RolloutTransition(_)
            | EntryPayload::ConfigChange(_)
            | EntryPayload::RiskStateReset(_)
            | EntryPayload::PromptResolution(_)
            | EntryPayload::RollbackTriggerChange(_)
            | EntryPayload::Resume(_)
            | EntryPayload::ToolPin(_)
            | EntryPayload::Finding(_) => None,
        };
        params.into_iter()
    }

    pub(crate) fn commitment_mut(&mut self, field: RedactableField) -> Option<&mut Committed> {
        match (self, field) {
            (EntryPayload::Decision(d), RedactableField::ParamsHash) => Some(&mut d.params_hash),
            (
                EntryPayload::KillSwitch(_)
                | EntryPayload::TrustChange(_)
                | EntryPayload::RolloutTransition(_)
                | EntryPayload::ConfigChange(_)
                | EntryPayload::RiskStateReset(_)
                | EntryPayload::PromptResolution(_)
                | EntryPayload::RollbackTriggerChange(_)
                | EntryPayload::Resume(_)
                | EntryPayload::ToolPin(_)
                | EntryPayload::Finding(_),
                RedactableField::ParamsHash,
            ) => None,
        }
    }
}

/// One decision of the gate, written at decision time (docs/design.md §2 step 8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    /// The host's id of the call.
    pub call_id: String,
    /// The capability derived from the method.
    pub capability: Capability,
    /// The hostcall method.
    pub method: String,
    /// Hash of the call's parameters, as a salted commitment (redactable).
    pub params_hash: Committed,
    /// Why static policy allowed or refused the call.
    pub policy_reason: String,
    /// Whether the risk model ran. `false` when the kill switch, policy, quota or mediation
    /// decided first; replay skips such decisions.
    pub risk_evaluated: bool,
    /// The risk score `s ∈ [0, 1]` (0 when the model did not run).
    pub risk_score: f64,
    /// The posterior after this call.
    pub posterior: Posterior,
    /// Codes of the triggers that fired (e-process breach, drift, critical exec, ...).
    pub triggers: Vec<String>,
    /// What the gate selected: the strictest of the layers enforced in every phase and the
    /// model's verdict — in shadow and log_only the counterfactual. (In decisions written
    /// without [`applied`](Self::applied), before it existed, what was applied.)
    pub selected_action: EnforcementState,
    /// The hysteresis state before this call.
    pub state_before: EnforcementState,
    /// The hysteresis state after this call.
    pub state_after: EnforcementState,
    /// Consecutive unsafe evaluations after this call.
    pub consecutive_unsafe: u32,
    /// Whether the rollout phase enforced the risk verdict.
    pub enforced: bool,
    /// The rollout phase name (`shadow`, `log_only`, `enforce_new`, `enforce_all`).
    pub rollout_phase: String,
    /// The e-process log-value after this call.
    pub e_process_log: f64,
    /// Whether drift was flagged.
    pub drift: bool,
    /// `decision_timeout` or `controller_error` when the fail-safe verdict was used.
    pub fallback_reason: Option<String>,
    /// One-line explanation.
    pub explanation_summary: String,
    /// What was applied and why (every decision written since the member exists; absent in
    /// older ones, whose bodies keep their bytes, `docs/ledger-format.md` §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<AppliedRecord>,
}

/// What the gate applied to a call, beside what it selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AppliedRecord {
    /// The state applied under the rollout phase.
    pub action: EnforcementState,
    /// The state the layers enforced in every phase reached (kill switch, trust, policy,
    /// quota, mediation, secret broker).
    pub gate_action: EnforcementState,
    /// Why the model's state was or was not applied.
    pub basis: EnforcementBasis,
}

/// The kill switch of the entry's extension was engaged (`engaged = true`) or lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KillSwitchRecord {
    /// Engaged (true) or lifted (false).
    pub engaged: bool,
    /// The operator's reason (e.g. an incident reference).
    pub reason: String,
}

/// The trust level of the entry's extension changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TrustChangeRecord {
    /// The previous trust level.
    pub from: String,
    /// The new trust level.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// The rollout phase changed. Phases are strings: the ledger does not depend on the rollout
/// crate (docs/design.md §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RolloutTransitionRecord {
    /// The previous phase.
    pub from: String,
    /// The new phase.
    pub to: String,
    /// Why (`operator`, `rollback: error rate …`).
    pub reason: String,
}

/// The risk configuration changed. Replay uses `hysteresis` from this entry on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigChangeRecord {
    /// The new controller configuration.
    pub config: RuntimeRiskConfig,
    /// The new hysteresis configuration (the resolved bands).
    pub hysteresis: HysteresisConfig,
}

/// An operator reset the risk state of the entry's extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RiskStateResetRecord {
    /// Why.
    pub reason: String,
}

/// A person answered the Prompt verdict of a call of the entry's extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PromptResolutionRecord {
    /// The call that was prompted.
    pub call_id: String,
    /// Whether the person approved it.
    pub approved: bool,
}

/// An operator replaced the automatic-rollback thresholds. Both the thresholds before and after
/// the change are recorded, so one entry shows whether rollback was made harder (a loosened
/// trigger keeps a failing enforcement in place) or easier (a tightened one rolls back to shadow
/// sooner) even when the trigger in force before it was set by the builder and never ledgered.
/// The ledger does not depend on the rollout crate (docs/design.md §1), so the thresholds are its own
/// [`RollbackThresholds`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RollbackTriggerChangeRecord {
    /// The thresholds in force before the change.
    pub from: RollbackThresholds,
    /// The thresholds in force from this entry on.
    pub to: RollbackThresholds,
    /// The operator's reason, when the caller gave one.
    pub reason: Option<String>,
}

/// A manager was built on an existing ledger: what it found and restored (`docs/ledger-format.md`
/// §5). Written once per start, after the entries it was restored from, so the chain says when
/// the gate restarted and in which state it went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ResumeRecord {
    /// Entries the file held (and verified) before this start.
    pub entries_found: u64,
    /// Bytes of a torn final line cut off at open (0 when the file was clean).
    pub truncated_bytes: u64,
    /// The rollout phase the manager goes on in.
    pub rollout_phase: String,
    /// The phase an automatic rollback left, when the rollout still sits where it put it.
    pub rolled_back_from: Option<String>,
    /// Extensions whose state was restored.
    pub extensions: u64,
    /// Extensions restored with the kill switch engaged, sorted.
    pub killed: Vec<String>,
    /// Extensions restored quarantined, sorted.
    pub quarantined: Vec<String>,
    /// Settings the host passed to the builder that the ledger's state overrode, sorted
    /// (`risk_config`, `rollout_phase`, `rollback_trigger`).
    pub overridden: Vec<String>,
    /// Set when the manager started fail-closed instead: why the previous file was refused and
    /// where it was moved; every extension starts quarantined.
    pub fail_closed: Option<String>,
}

/// A tool the entry's extension offers, pinned: `SHA-256(0x30 ‖ canonical JSON of its
/// definition)` (`DomainTag::McpToolPin`), written when the tool is first seen in a session
/// and whenever its standing changes, so the chain shows which definition the model was shown
/// and who approved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolPinRecord {
    /// The tool's name, as the extension lists it.
    pub tool: String,
    /// The pin of the definition seen.
    pub pin: Digest,
    /// Whether that definition is approved.
    pub standing: PinStanding,
    /// Why the standing is what it is (`first use`, `operator`, `not approved`, …).
    pub reason: String,
}

/// The standing of a pinned tool definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PinStanding {
    /// Approved: the model may be shown it and the tool may be called (code 0).
    Approved,
    /// Never approved (code 1).
    New,
    /// Differs from the definition approved under the same name: a possible rug pull (code 2).
    Changed,
}

impl PinStanding {
    /// The code byte of the canonical encoding.
    pub const fn code(self) -> u8 {
        match self {
            PinStanding::Approved => 0,
            PinStanding::New => 1,
            PinStanding::Changed => 2,
        }
    }
}

/// What a layer in front of the extension found: the rule that fired, what it fired on and
/// what was done. The alert with the same rule carries the wording; the entry puts the finding
/// in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FindingRecord {
    /// The rule id (`mcp.tool_poisoned`, `mcp.secret_in_result`, …).
    pub rule: String,
    /// What it fired on (`tool "notes": description`, `result of tool "notes" (call mcp-3)`).
    pub subject: String,
    /// What was done (`withheld`, `redacted`, `alerted`).
    pub action: String,
}

/// The thresholds of a rollback trigger (the fields of the rollout crate's `RollbackTrigger`, in
/// its order). Finite by construction when written by the manager: the rollout crate validates
/// a trigger before it takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RollbackThresholds {
    /// Largest tolerated share of flagged false positives in the window.
    pub max_false_positive_rate: f64,
    /// Largest tolerated share of controller errors in the window.
    pub max_error_rate: f64,
    /// How many of the most recent decisions the window holds.
    pub window_size: usize,
    /// Largest tolerated mean decision latency over the window, in milliseconds.
    pub max_latency_ms: u64,
}

/// The fields an entry can redact. Open set: new redactable fields will be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RedactableField {
    /// [`DecisionRecord::params_hash`].
    ParamsHash,
}

impl RedactableField {
    /// Every redactable field.
    pub const ALL: [RedactableField; 1] = [RedactableField::ParamsHash];

    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RedactableField::ParamsHash => "params_hash",
        }
    }
}

/// A salted commitment `SHA-256(0x02 ‖ salt ‖ value)` to a redactable value (docs/design.md §5).
///
/// Only the commitment enters the body digest, so dropping the reveal (value and salt) leaves
/// the entry verifiable. Fields are private: a `Committed` built in code always opens; one read
/// from JSON is checked by the verifier.
///
/// Salts: [`Committed::new`] makes a *placeholder* (all-zero salt) that
/// [`crate::Ledger::append`] seals with a fresh salt from its injected RNG;
/// [`Committed::seal`] seals up front with the caller's RNG, so a host can do that hash before
/// taking the lock around the append. An all-zero salt is never left in a sealed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Committed {
    commitment: Digest,
    reveal: Option<Reveal>,
}

/// The opening of a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    /// The committed value.
    pub value: String,
    /// The 16-byte salt.
    pub salt: Salt,
}

impl Committed {
    /// A commitment to `value` with a fresh salt from `rng`.
    pub fn seal<R: RngCore + ?Sized>(value: impl Into<String>, rng: &mut R) -> Committed {
        let mut salt = Salt::default();
        rng.fill_bytes(&mut salt.0);
        if salt == Salt::default() {
            // 2^-128, but an all-zero salt means "placeholder" to append.
            salt.0 = [0xff; 16];
        }
        Committed::with_salt(value.into(), salt)
    }

    /// A placeholder commitment to `value` (all-zero salt) that
    /// [`crate::Ledger::append`] seals with a fresh salt.
    pub fn new(value: impl Into<String>) -> Committed {
        Committed {
            commitment: Digest::GENESIS,
            reveal: Some(Reveal {
                value: value.into(),
                salt: Salt::default(),
            }),
        }
    }

    /// A commitment to `value` under a caller-chosen salt (test vectors, re-opening a recorded
    /// commitment). The salt must be random for the commitment to hide anything.
    pub fn with_salt(value: String, salt: Salt) -> Committed {
        Committed {
            commitment: commitment(&salt, &value),
            reveal: Some(Reveal { value, salt }),
        }
    }

    /// The commitment.
    pub fn commitment(&self) -> &Digest {
        &self.commitment
    }

    /// The opening, or `None` once redacted.
    pub fn reveal(&self) -> Option<&Reveal> {
        self.reveal.as_ref()
    }

    /// The revealed value, or `None` once redacted.
    pub fn value(&self) -> Option<&str> {
        self.reveal.as_ref().map(|r| r.value.as_str())
    }

    /// Whether the value has been dropped.
    pub fn is_redacted(&self) -> bool {
        self.reveal.is_none()
    }

    /// Whether the reveal (if any) opens the commitment.
    pub fn opens(&self) -> bool {
        match &self.reveal {
            Some(r) => commitment(&r.salt, &r.value) == self.commitment,
            None => true,
        }
    }

    /// Seals a placeholder with a salt from `rng`; anything else is left alone.
    pub(crate) fn seal_placeholder<R: RngCore + ?Sized>(&mut self, rng: &mut R) {
        if let Some(r) = &mut self.reveal {
            if r.salt == Salt::default() {
                rng.fill_bytes(&mut r.salt.0);
                if r.salt == Salt::default() {
                    r.salt.0 = [0xff; 16];
                }
                self.commitment = commitment(&r.salt, &r.value);
            }
        }
    }

    /// Drops value and salt.
    pub(crate) fn redact(&mut self) {
        self.reveal = None;
    }
}
