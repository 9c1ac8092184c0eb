//! What the gate answers ([`Verdict`]) and what the host reports back ([`Outcome`])
//! (docs/design.md §2 steps 7–8).

use std::borrow::Cow;

use hostguard_risk_core::{
    Capability, EnforcementState, FallbackReason, VerdictAction, SECRET_PLACEHOLDER,
};
use serde::{Deserialize, Serialize};

/// The gate's answer for one hostcall. Every verdict has been written to the ledger before it is
/// returned ([`Verdict::ledger_seq`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    pub(crate) call_id: String,
    pub(crate) capability: Capability,
    pub(crate) action: VerdictAction,
    pub(crate) state: EnforcementState,
    pub(crate) risk_state: Option<EnforcementState>,
    pub(crate) risk_score: Option<f64>,
    pub(crate) enforced: bool,
    pub(crate) reason_code: Cow<'static, str>,
    pub(crate) reason: Cow<'static, str>,
    pub(crate) fallback: Option<FallbackReason>,
    pub(crate) secret_redacted: bool,
    /// The ids of the catalog rules the call fired, strictest first.
    #[serde(default)]
    pub(crate) rules: Vec<String>,
    /// The MITRE ATT&CK technique ids of those rules.
    #[serde(default)]
    pub(crate) attack: Vec<String>,
    pub(crate) ledger_seq: u64,
}

impl Verdict {
    /// The call this verdict is about.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The derived capability.
    pub fn capability(&self) -> Capability {
        self.capability
    }

    /// Allow, prompt or block.
    pub fn action(&self) -> VerdictAction {
        self.action
    }

    /// The host must refuse the call.
    pub fn is_blocked(&self) -> bool {
        self.action == VerdictAction::Block
    }

    /// The host must ask a person before dispatching.
    pub fn requires_prompt(&self) -> bool {
        self.action == VerdictAction::Prompt
    }

    /// The enforcement state the gate applied to this call (the ledger's `applied.action`):
    /// `Terminate` for a killed extension, `Deny` for a policy, quota or mediation refusal, the
    /// risk model's state when the rollout enforces it, `Allow` otherwise.
    pub fn state(&self) -> EnforcementState {
        self.state
    }

    /// The risk model's own state for this call (`None` when the model did not run), enforced
    /// or not.
    pub fn risk_state(&self) -> Option<EnforcementState> {
        self.risk_state
    }

    /// The risk score (`None` when the model did not run).
    pub fn risk_score(&self) -> Option<f64> {
        self.risk_score
    }

    /// Whether the rollout phase enforced the risk model's state for this call.
    pub fn enforced(&self) -> bool {
        self.enforced
    }

    /// A stable snake_case code: `allowed`, `kill_switch`, `quarantined`, `policy_deny`,
    /// `policy_prompt`,
    /// `quota_exceeded`, `exec_mediation`, `risk_harden`, `risk_prompt`, `risk_deny`,
    /// `risk_terminate`, `decision_timeout`, `controller_error`.
    pub fn reason_code(&self) -> &str {
        &self.reason_code
    }

    /// One human line saying why.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The ids of the catalog rules the call fired (docs/detection.md), strictest first,
    /// whether or not they decided the verdict.
    pub fn rules(&self) -> &[String] {
        &self.rules
    }

    /// The MITRE ATT&CK technique ids of [`rules`](Self::rules), each once.
    pub fn attack(&self) -> &[String] {
        &self.attack
    }

    /// Set when the verdict is the fail-safe fallback of the decision budget.
    pub fn fallback(&self) -> Option<FallbackReason> {
        self.fallback
    }

    /// For an `env` read of a secret name: the value the host must return instead of the
    /// secret ([`SECRET_PLACEHOLDER`]). The host never hands the real value to the extension.
    pub fn secret_placeholder(&self) -> Option<&'static str> {
        self.secret_redacted.then_some(SECRET_PLACEHOLDER)
    }

    /// The seq of the ledger entry that records this decision.
    pub fn ledger_seq(&self) -> u64 {
        self.ledger_seq
    }
}

/// How a dispatched (or refused) call ended, as the host reports it with
/// [`ExtensionManager::record_outcome`](crate::ExtensionManager::record_outcome).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The call succeeded.
    Success,
    /// The call failed. `code` is the host's error code; `denied` / `eacces` / `403`, `timeout`,
    /// `io` / `enoent` and the other spellings of
    /// [`RiskOutcome::from_error_code`](hostguard_risk_core::Outcome::from_error_code) feed the
    /// risk model as such; anything else is an "other" error.
    Error {
        /// The host's error code.
        code: String,
    },
}

impl Outcome {
    /// The risk model's view of this outcome.
    pub fn to_risk_outcome(&self) -> hostguard_risk_core::Outcome {
        match self {
            Outcome::Success => hostguard_risk_core::Outcome::Success,
            Outcome::Error { code } => hostguard_risk_core::Outcome::from_error_code(Some(code)),
        }
    }

    /// The text recorded in the telemetry event's `outcome` (`success`, or the risk model's
    /// outcome name: `denied`, `timeout`, `io_error`, `other_error`).
    pub fn as_str(&self) -> &'static str {
        self.to_risk_outcome().as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostguard_risk_core::Outcome as R;

    fn check(outcome: Outcome, expected: R) {
        assert_eq!(outcome.to_risk_outcome(), expected, "{outcome:?}");
    }

    fn err(code: &str) -> Outcome {
        Outcome::Error { code: code.into() }
    }

    #[test]
    fn host_outcomes_map_to_risk_outcomes() {
        check(Outcome::Success, R::Success);
        check(err("denied"), R::Denied);
        check(err("EACCES"), R::Denied);
        check(err("timeout"), R::Timeout);
        check(err("io"), R::IoError);
        check(err("enoent"), R::IoError);
        check(err("weird"), R::OtherError);
        assert_eq!(err("io").as_str(), "io_error");
    }
}
