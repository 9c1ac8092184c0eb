//! The gate as one pure step (docs/design.md §2): parse once ([`Call`]), decide purely
//! ([`assess`], [`conclude`]; [`step`] is both), and let the caller record the [`Decision`].
//! Enforcement under the rollout phase ([`settle`]) is the function ledger replay runs too.

mod call;
mod decide;
mod enforce;
mod mediation;
mod trust;

pub use call::{args_shape_digest, params_digest, Call};
pub use decide::unnamed_env_reason;
pub use decide::{
    assess, conclude, risk_code, step, Assessment, Decision, Finding, GateConfig, GateState, Judge,
};
pub use enforce::{action_for, settle, EnforcementBasis, Settlement, VerdictAction};
pub use mediation::{attack_ids, broker_env, mediate, rule_codes, rule_id, rule_ids, Mediation};
pub use trust::{ExtensionTrustState, TRUST_QUARANTINED, TRUST_TRUSTED};
