//! hostguard manager: the facade hosts embed — the hostcall gate, enforcement, kill switch,
//! alerts, triage and the incident-response runbook API (docs/design.md §2, §4, §7).
//!
//! Principal types: [`ExtensionManager`] (built with [`ExtensionManager::builder`]), which
//! answers every [`HostCall`] with a [`Verdict`] and records it in a hash-chained ledger;
//! [`Outcome`], what the host reports after running a call; [`ExtensionTrustState`] and the kill
//! switch; [`Triage`], the runbook's decision tree. Every type a host or the `hostguard` CLI
//! needs is re-exported here, so `use pi::extensions::{...}` in the runbook becomes
//! `use hostguard_manager::{...}`.
//!
//! Every decision, security alert, control action and verification is also a `tracing` event
//! under a stable target ([`DECISION_TARGET`], [`ALERT_TARGET`], [`CONTROL_TARGET`],
//! [`VERIFY_TARGET`]; docs/tracing.md), free when no subscriber listens.
//!
//! ```
//! use hostguard_manager::{
//!     verify_runtime_risk_ledger_artifact, ExtensionManager, ExtensionPolicy, HostCall,
//!     ManualClock, Outcome, PolicyProfile, RuntimeRiskConfig,
//! };
//! use serde_json::json;
//!
//! let clock = ManualClock::new(1_000);
//! let manager = ExtensionManager::builder()
//!     .risk_config(RuntimeRiskConfig { enabled: true, ..RuntimeRiskConfig::default() })
//!     .policy(ExtensionPolicy::from_profile(PolicyProfile::Standard))
//!     .clock(clock.clone())
//!     .build()?;
//!
//! // Standard profile: exec needs a person's approval.
//! let call = HostCall::new("ext", "call-1", "exec", json!({"command": "ls"}));
//! let verdict = manager.evaluate_hostcall(&call)?;
//! assert!(verdict.requires_prompt() && !verdict.is_blocked());
//! manager.resolve_prompt("call-1", true);
//! manager.record_outcome("call-1", Outcome::Success);
//!
//! // Kill switch: refused at step 2, in every phase.
//! manager.set_kill_switch("ext", true, "INC-1");
//! let refused = manager.evaluate_hostcall(&HostCall::new("ext", "call-2", "log", json!({})))?;
//! assert!(refused.is_blocked());
//! assert_eq!(refused.reason_code(), "kill_switch");
//!
//! let report = verify_runtime_risk_ledger_artifact(&manager.runtime_risk_ledger_artifact());
//! assert!(report.valid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alerts;
mod builder;
mod checkpoints;
mod clock;
mod control;
mod detection_cache;
mod error;
mod findings;
mod gate;
mod manager;
mod records;
mod resume;
mod shard;
mod sink;
mod state;
mod streams;
mod trace;
mod triage;
mod verdict;
mod verify;

// The manager.
pub use alerts::LEDGER_INTEGRITY_FAILURE;
pub use builder::{
    DamagedLedger, ExtensionManagerBuilder, DEFAULT_CALL_INDEX_LIMIT, DEFAULT_MAX_EXTENSIONS,
    DEFAULT_RECORD_LIMIT, MAX_RECORD_LIMIT,
};
pub use checkpoints::{CheckpointEvery, CheckpointStatus};
pub use clock::SystemClock;
pub use error::{BuildError, ControlError, FalsePositiveError, HostcallError};
pub use findings::{finding_context_hash, ExternalFinding};
pub use manager::ExtensionManager;
pub use resume::{FailClosedStart, ResumeReport};
pub use streams::RecordEvictions;
// `tracing` targets (docs/tracing.md).
pub use trace::{ALERT_TARGET, CONTROL_TARGET, DECISION_TARGET, VERIFY_TARGET};
pub use triage::{
    triage_alert, triage_alerts, IncidentSeverity, RunbookProcedure, Triage, TriageContext,
    BURST_THRESHOLD, BURST_WINDOW_MS,
};
pub use verdict::{Outcome, Verdict};

// Hostcalls, policy, configuration, the risk model's vocabulary (risk-core).
pub use hostguard_risk_core::{
    classify_command, derive_capability, line_column, secret_name_hash, tool_capability,
    BandProfile, Capability, CapabilityError, CapabilitySet, CliOverrides, Clock, CommandAnalysis,
    ConfigError, ConfigExplanation, ConfigField, ConfigFile, ConfigSource, ConfigSources,
    Contributor, DomainTag, EnforcementState, ExecClass, ExecDecision, ExecFinding,
    ExecMediationPolicy, ExecMediationPreset, ExecPattern, ExecPatternError, ExecTier, Explanation,
    ExtensionOverride, ExtensionPolicy, FallbackReason, Feature, HostCall, HostcallMethod,
    HttpTargetClass, HysteresisConfig, InvalidHostcall, ManualClock, Outcome as RiskOutcome,
    PolicyDecision, PolicyError, PolicyMode, PolicyProfile, PolicyReason, PolicyVerdict, Posterior,
    QuotaBreach, QuotaKind, QuotaLimits, QuotaUsage, ResolvedRiskConfig, RiskModelError,
    RuntimeRiskConfig, ScoreBands, SecretBrokerDecision, SecretBrokerPolicy, SecretBrokerReason,
    SecretPolicyError, TextRedaction, Trigger, Triggers, ENV_PREFIX, SECRET_PLACEHOLDER,
};
// The gate's pure step (risk-core's `gate`): what a decision applied and why.
pub use hostguard_risk_core::{
    action_for, settle, EnforcementBasis, ExtensionTrustState, Settlement, VerdictAction,
};

// Detection: effects, classes and the rule catalog (docs/detection.md).
pub use hostguard_risk_core::{
    Catalog, CatalogError, Class, Classes, CommandInspection, Context, Detection, Detector, Effect,
    Example, Method, Rule, RuleHit, Severity, Signals, Taint, TaintTracker, ToolKind, Verb,
};

// The verifiers, each emitting a `hostguard::verify` event (the lower crates' own, wrapped).
pub use verify::{
    check_ledger_against_checkpoint, check_span_against_checkpoint, open_checkpoint,
    verify_bundle_checkpoint, verify_incident_evidence_bundle,
    verify_incident_evidence_bundle_json, verify_runtime_risk_ledger_artifact,
    verify_runtime_risk_ledger_artifact_json,
};

// The ledger: artifact, verification, replay (runbook Procedures 1, 5, 6); signed checkpoints
// and the note keys that sign them and DSSE envelopes (docs/ledger-format.md §8).
pub use hostguard_ledger::{
    read_checkpoint_file, Checkpoint, CheckpointCoverage, CheckpointError, CheckpointErrorCode,
    KeyError, KeyId, NoteName, PrivateKeyText, SignerKey, VerifiedCheckpoint, VerifierKey,
    CHECKPOINT_MAX_BYTES,
};
pub use hostguard_ledger::{
    replay_runtime_risk_ledger_artifact, AppliedRecord, ArtifactParseError, Committed,
    ConfigChangeRecord, DecisionRecord, Digest, DurableError, DurableLedger, EntryBody,
    EntryPayload, ExactJsonError, FindingRecord, FsyncPolicy, KillSwitchRecord, LedgerAnchor,
    LedgerEntry, LedgerError, LedgerHead, LedgerVerifyError, MalformedJson, OpenReport,
    PinStanding, PromptResolutionRecord, RedactableField, ReplayError, ReplaySkipCounts,
    RestoredState, ResumeRecord, Reveal, RiskStateResetRecord, RollbackThresholds,
    RollbackTriggerChangeRecord, RolloutTransitionRecord, RuntimeRiskLedgerArtifact,
    RuntimeRiskLedgerEntry, RuntimeRiskLedgerVerificationReport, RuntimeRiskReplayArtifact,
    RuntimeRiskReplayStep, Salt, ToolPinRecord, TrustChangeRecord, VerifyErrorCode, MAX_LINE_BYTES,
    RUNTIME_RISK_LEDGER_SCHEMA, RUNTIME_RISK_REPLAY_SCHEMA,
};

// The rollout (runbook Procedure 4).
pub use hostguard_rollout::{
    FlagError, ParsePhaseError, PhaseCounts, RollbackTrigger, RolloutConfigError, RolloutPhase,
    RolloutState, Transition as RolloutTransition, TransitionReason, WindowStats,
};

// Records and evidence (runbook Procedure 6).
pub use hostguard_evidence::{
    build_incident_evidence_bundle, canonical_bundle_json, dsse_pae, to_canonical_string,
    BoundedLog, BundleVerifyError, BundleVerifyErrorCode, DsseEnvelope, DsseSignature,
    DsseSignatureError, DsseSignatureErrorCode, EvidenceDomainTag, EvidenceError,
    ExecMediationArtifact, ExecMediationLedgerEntry, InTotoStatement, InTotoSubject,
    IncidentBundleFilter, IncidentBundleRedactionPolicy, IncidentBundleSummary,
    IncidentBundleVerificationReport, IncidentEvidenceBundle, IncidentEvidenceBundleBuilder,
    KillSwitchAuditEntry, QuotaBreachEvent, RolloutSnapshot, RuntimeHostcallTelemetryArtifact,
    RuntimeHostcallTelemetryEvent, SecretBrokerArtifact, SecretBrokerLedgerEntry, SecurityAlert,
    SecurityAlertArtifact, SecurityAlertCategory, SecurityAlertSeverity, TrustStateRecord,
    DSSE_PAYLOAD_TYPE, INCIDENT_EVIDENCE_BUNDLE_SCHEMA, INCIDENT_EVIDENCE_PREDICATE_TYPE,
    INCIDENT_EVIDENCE_SUBJECT_NAME, IN_TOTO_STATEMENT_TYPE, REDACTED,
};
