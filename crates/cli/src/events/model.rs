//! The events of a `hostguard.hostcall_event.v1` stream, as parsed: a hostcall or an operator
//! action, one per line.

use hostguard_manager::RolloutPhase;
use hostguard_risk_core::{Capability, HostCall};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The schema name of one hostcall line (optional `schema` field; when present it must be this).
pub const HOSTCALL_EVENT_SCHEMA: &str = "hostguard.hostcall_event.v1";

/// One hostcall an extension made, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostcallEvent {
    /// When the call was made (milliseconds; drives the manager's clock).
    pub ts_ms: u64,
    /// The calling extension.
    pub extension_id: String,
    /// The call's id, unique within the stream.
    pub call_id: String,
    /// The hostcall method (`exec`, `env`, `http`, `fs`, `session`, `ui`, `events`, `log`, `tool`).
    pub method: String,
    /// The call's parameters (a JSON object).
    pub params: Map<String, Value>,
    /// The capability the extension declared, if it declared one (must match the derived one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// The capability derived from method and params.
    #[serde(skip)]
    pub derived: Option<Capability>,
    /// What happened when the host ran (or refused) the call, if recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<EventOutcome>,
    /// An operator later flagged this decision as a false positive.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub false_positive: bool,
}

impl HostcallEvent {
    /// The gate's view of the call.
    pub fn host_call(&self) -> HostCall {
        let call = HostCall::new(
            self.extension_id.clone(),
            self.call_id.clone(),
            self.method.clone(),
            Value::Object(self.params.clone()),
        );
        match &self.capability {
            Some(declared) => call.with_capability(declared.clone()),
            None => call,
        }
    }
}

/// The recorded outcome of a call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventOutcome {
    /// The error code when the call failed (`denied`, `timeout`, `io`…); absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// How long the host took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// An operator action recorded in the stream, applied in order with the hostcalls.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorAction {
    /// `kill_switch`: refuse every call of the extension from now on.
    KillSwitch {
        /// The extension.
        extension_id: String,
        /// Why (an incident reference).
        reason: String,
    },
    /// `lift_kill_switch`: lift it (which also resets the extension's risk state).
    LiftKillSwitch {
        /// The extension.
        extension_id: String,
        /// Why.
        reason: String,
    },
    /// `set_rollout_phase`: move the rollout to a phase.
    SetRolloutPhase {
        /// The phase.
        phase: RolloutPhase,
    },
    /// `advance_rollout`: advance the rollout one phase.
    AdvanceRollout,
    /// `mark_false_positive`: flag an earlier decision as a false positive.
    MarkFalsePositive {
        /// The call.
        call_id: String,
    },
    /// `resolve_prompt`: a person answered a prompt.
    ResolvePrompt {
        /// The call that prompted.
        call_id: String,
        /// Whether the person approved it.
        approved: bool,
    },
}

impl OperatorAction {
    /// The `op` names, in documentation order.
    pub const OPS: [&'static str; 6] = [
        "kill_switch",
        "lift_kill_switch",
        "set_rollout_phase",
        "advance_rollout",
        "mark_false_positive",
        "resolve_prompt",
    ];

    /// The `op` name of this action.
    pub const fn op(&self) -> &'static str {
        match self {
            OperatorAction::KillSwitch { .. } => "kill_switch",
            OperatorAction::LiftKillSwitch { .. } => "lift_kill_switch",
            OperatorAction::SetRolloutPhase { .. } => "set_rollout_phase",
            OperatorAction::AdvanceRollout => "advance_rollout",
            OperatorAction::MarkFalsePositive { .. } => "mark_false_positive",
            OperatorAction::ResolvePrompt { .. } => "resolve_prompt",
        }
    }
}

/// One operator line.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorEvent {
    /// When the operator acted.
    pub ts_ms: u64,
    /// What they did.
    pub action: OperatorAction,
}

/// One line of a stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A hostcall.
    Hostcall(HostcallEvent),
    /// An operator action.
    Operator(OperatorEvent),
}

impl Event {
    /// The line's timestamp.
    pub const fn ts_ms(&self) -> u64 {
        match self {
            Event::Hostcall(call) => call.ts_ms,
            Event::Operator(op) => op.ts_ms,
        }
    }
}
