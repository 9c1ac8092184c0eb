//! The manager's `tracing` events (docs/tracing.md): every gate decision, security alert,
//! operator or control action and verification, each under one stable target with stable
//! field names — a contract that `tests/tracing.rs` pins.
//!
//! No cost when nobody listens: every event is a `tracing::event!` whose field values are
//! evaluated only after the callsite's level and interest checks pass, and no field is
//! formatted here (`&'static str` codes, ids the host gave, numbers). No field holds a
//! secret, a command line, a parameter or a free-text reason: only ids, codes and counts the
//! ledger already has.

use hostguard_evidence::{SecurityAlert, SecurityAlertSeverity};
use hostguard_risk_core::{rule_id, Call, Catalog, Decision, VerdictAction};

/// Target of the event of every gate decision.
pub const DECISION_TARGET: &str = "hostguard::decision";
/// Target of the event of every security alert raised.
pub const ALERT_TARGET: &str = "hostguard::alert";
/// Target of the event of every operator or control action.
pub const CONTROL_TARGET: &str = "hostguard::control";
/// Target of the event of every verification (ledger, checkpoint, bundle, resume).
pub const VERIFY_TARGET: &str = "hostguard::verify";

/// The levels the manager emits at (a closed set, so each `event!` callsite is static).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lvl {
    Debug,
    Info,
    Warn,
    Error,
}

/// `tracing::event!` at a level chosen at run time: one static callsite per level.
macro_rules! event_at {
    ($lvl:expr, target: $target:expr, $($rest:tt)+) => {
        match $lvl {
            Lvl::Debug => ::tracing::event!(target: $target, ::tracing::Level::DEBUG, $($rest)+),
            Lvl::Info => ::tracing::event!(target: $target, ::tracing::Level::INFO, $($rest)+),
            Lvl::Warn => ::tracing::event!(target: $target, ::tracing::Level::WARN, $($rest)+),
            Lvl::Error => ::tracing::event!(target: $target, ::tracing::Level::ERROR, $($rest)+),
        }
    };
}

/// The level of a decision: what the host is told to do. Allow is DEBUG (the bulk of the
/// traffic), Prompt INFO, Block WARN (docs/tracing.md "Levels").
const fn decision_level(action: VerdictAction) -> Lvl {
    match action {
        VerdictAction::Allow => Lvl::Debug,
        VerdictAction::Prompt => Lvl::Info,
        VerdictAction::Block => Lvl::Warn,
    }
}

/// The event of one recorded decision (ledger entry `seq`).
#[inline]
pub(crate) fn decision(call: &Call<'_>, d: &Decision, seq: u64, catalog: &Catalog) {
    let host = call.host;
    event_at!(
        decision_level(d.action),
        target: DECISION_TARGET,
        extension = host.extension_id.as_str(),
        call_id = host.call_id.as_str(),
        method = host.method.as_str(),
        capability = call.capability.as_str(),
        seq,
        action = d.action.as_str(),
        selected = d.settlement.selected.as_str(),
        applied = d.settlement.applied.as_str(),
        basis = d.basis.as_str(),
        enforced = d.enforced(),
        phase = d.phase.as_str(),
        reason_code = d.reason_code,
        score = d.eval.as_ref().map(|e| e.score),
        risk_state = d.eval.as_ref().map(|e| e.state_after.as_str()),
        rule = d.detection.hits.first().map(|h| rule_id(catalog, h)),
        "hostcall decided"
    );
}

/// The level of an alert: Info INFO, Warning and Error WARN, Critical ERROR.
const fn alert_level(severity: SecurityAlertSeverity) -> Lvl {
    match severity {
        SecurityAlertSeverity::Info => Lvl::Info,
        SecurityAlertSeverity::Warning | SecurityAlertSeverity::Error => Lvl::Warn,
        SecurityAlertSeverity::Critical => Lvl::Error,
    }
}

/// What an alert's event says besides the alert itself: the call and its decision's ledger
/// entry (`None` for control-plane alerts) and the rule that fired, if any.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AlertOrigin<'a> {
    pub(crate) call_id: Option<&'a str>,
    pub(crate) seq: Option<u64>,
    pub(crate) rule: Option<&'a str>,
}

/// The event of one stored alert (its `sequence_id` assigned).
#[inline]
pub(crate) fn alert(a: &SecurityAlert, origin: AlertOrigin<'_>) {
    event_at!(
        alert_level(a.severity),
        target: ALERT_TARGET,
        category = a.category.as_str(),
        severity = a.severity.as_str(),
        action = a.action_taken.as_str(),
        code = a.reason_codes.first().map(String::as_str),
        rule = origin.rule,
        extension = a.extension_id.as_deref(),
        call_id = origin.call_id,
        seq = origin.seq,
        alert_seq = a.sequence_id,
        score = a.risk_score,
        "security alert"
    );
}

/// One operator or control action (docs/tracing.md "hostguard::control").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Control<'a> {
    /// What was done (`kill_switch_on`, `rollback`, …).
    pub(crate) action: &'static str,
    pub(crate) extension: Option<&'a str>,
    pub(crate) call_id: Option<&'a str>,
    /// The ledger entry the action wrote.
    pub(crate) seq: Option<u64>,
    /// Every ledger entry the action called for was written.
    pub(crate) recorded: bool,
    /// Done by the manager itself (rollback, quarantine), not by an operator.
    pub(crate) automatic: bool,
    pub(crate) from: Option<&'static str>,
    pub(crate) to: Option<&'static str>,
    pub(crate) code: Option<&'static str>,
    pub(crate) approved: Option<bool>,
}

impl<'a> Control<'a> {
    /// An operator action on `extension` (or on the whole manager) that wrote no entry yet.
    pub(crate) const fn new(action: &'static str, extension: Option<&'a str>) -> Control<'a> {
        Control {
            action,
            extension,
            call_id: None,
            seq: None,
            recorded: true,
            automatic: false,
            from: None,
            to: None,
            code: None,
            approved: None,
        }
    }

    /// The ledger append's result: its seq, or not recorded.
    pub(crate) fn written<E>(self, result: &Result<u64, E>) -> Control<'a> {
        Control {
            seq: result.as_ref().ok().copied(),
            recorded: result.is_ok(),
            ..self
        }
    }

    /// Emits the event: INFO for an operator action, WARN for an automatic one or one whose
    /// ledger entry could not be written.
    pub(crate) fn emit(self) {
        let level = if self.automatic || !self.recorded {
            Lvl::Warn
        } else {
            Lvl::Info
        };
        event_at!(
            level,
            target: CONTROL_TARGET,
            action = self.action,
            extension = self.extension,
            call_id = self.call_id,
            seq = self.seq,
            recorded = self.recorded,
            automatic = self.automatic,
            from = self.from,
            to = self.to,
            code = self.code,
            approved = self.approved,
            "control action"
        );
    }
}

/// One verification's result (docs/tracing.md "hostguard::verify").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verified {
    /// What was verified: `ledger`, `checkpoint`, `bundle`, `bundle_checkpoint`, `resume`.
    pub(crate) subject: &'static str,
    pub(crate) valid: bool,
    /// Entries examined (a bundle: its embedded ledger's).
    pub(crate) entries: Option<u64>,
    pub(crate) errors: u64,
    /// The first error's stable code.
    pub(crate) code: Option<&'static str>,
    /// The first entry that did not verify.
    pub(crate) first_invalid_index: Option<u64>,
    /// A checkpoint: entries it pins and entries after it.
    pub(crate) covered: Option<u64>,
    pub(crate) after: Option<u64>,
    /// A resume: torn bytes cut off and extensions restored.
    pub(crate) truncated_bytes: Option<u64>,
    pub(crate) extensions: Option<u64>,
}

impl Verified {
    /// A result of `subject` with nothing but validity and the error count.
    pub(crate) const fn new(subject: &'static str, valid: bool, errors: u64) -> Verified {
        Verified {
            subject,
            valid,
            entries: None,
            errors,
            code: None,
            first_invalid_index: None,
            covered: None,
            after: None,
            truncated_bytes: None,
            extensions: None,
        }
    }

    /// Emits the event: INFO when valid, WARN when not.
    pub(crate) fn emit(self) {
        let level = if self.valid { Lvl::Info } else { Lvl::Warn };
        event_at!(
            level,
            target: VERIFY_TARGET,
            subject = self.subject,
            valid = self.valid,
            entries = self.entries,
            errors = self.errors,
            code = self.code,
            first_invalid_index = self.first_invalid_index,
            covered = self.covered,
            after = self.after,
            truncated_bytes = self.truncated_bytes,
            extensions = self.extensions,
            "verification"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_levels_follow_the_action() {
        let check = |action, expected| assert_eq!(decision_level(action), expected);
        check(VerdictAction::Allow, Lvl::Debug);
        check(VerdictAction::Prompt, Lvl::Info);
        check(VerdictAction::Block, Lvl::Warn);
    }

    #[test]
    fn alert_levels_follow_the_severity() {
        let check = |severity, expected| assert_eq!(alert_level(severity), expected);
        check(SecurityAlertSeverity::Info, Lvl::Info);
        check(SecurityAlertSeverity::Warning, Lvl::Warn);
        check(SecurityAlertSeverity::Error, Lvl::Warn);
        check(SecurityAlertSeverity::Critical, Lvl::Error);
    }
}
