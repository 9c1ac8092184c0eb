//! Exec mediation in the gate (DESIGN §2 step 6): method `exec` and tool `bash` alike, with
//! non-string arguments stringified ([`HostCall::command_lines`]), classified once by the exec
//! classifier; the analysis feeds the risk model and the mediation policy decides.
//!
//! Nothing here stores the command: logs and alerts get its SHA-256 and the classifier's class
//! and tier, never its text (a command line may carry a credential).

use hostguard_evidence::ExecMediationLedgerEntry;
use hostguard_risk_core::{ExecClass, ExecTier, HostCall};
use sha2::{Digest as _, Sha256};

use crate::gate::{hex, AlertContext};
use crate::manager::ExtensionManager;

/// One mediated command.
pub(crate) struct Mediation {
    pub(crate) tier: ExecTier,
    pub(crate) class: Option<ExecClass>,
    pub(crate) critical: bool,
    pub(crate) allowed: bool,
    pub(crate) reason_code: &'static str,
    pub(crate) reason: String,
    command_digest: [u8; 32],
}

impl Mediation {
    pub(crate) fn reason_codes(&self) -> Vec<String> {
        let mut codes = vec!["exec_mediation".to_owned(), self.reason_code.to_owned()];
        if let Some(class) = self.class {
            codes.push(class.as_str().to_owned());
        }
        codes
    }

    pub(crate) fn log_entry(&self, ctx: &AlertContext<'_>) -> ExecMediationLedgerEntry {
        ExecMediationLedgerEntry {
            ts_ms: ctx.now,
            extension_id: Some(ctx.extension_id.to_owned()),
            call_id: ctx.call.call_id.clone(),
            command_hash: hex(&self.command_digest),
            class: self.class.map(|c| c.as_str().to_owned()),
            tier: self.tier,
            decision: if self.allowed { "allow" } else { "deny" }.to_owned(),
            reason: self.reason.clone(),
        }
    }
}

impl ExtensionManager {
    /// Classifies and mediates the command of an `exec` call or a `bash`-like tool call; `None`
    /// for calls that run no command. A call may name its command in several places a host
    /// could read ([`HostCall::command_lines`]): each is mediated and the strictest decision
    /// wins (a denial over an allow, then the higher tier), so an extension cannot show the
    /// gate a harmless command and the host a dangerous one.
    pub(crate) fn mediate_exec(&self, call: &HostCall) -> Option<Mediation> {
        call.command_lines()
            .iter()
            .map(|command| self.mediate_command(command))
            .max_by_key(|m| (!m.allowed, m.tier))
    }

    fn mediate_command(&self, command: &str) -> Mediation {
        let decision = self.exec_policy.mediate(command);
        let analysis = &decision.analysis;
        // The reason is rebuilt from class and tier: the classifier's own line may quote the
        // command, and the command may hold a secret.
        let reason = match analysis.class {
            Some(class) => format!(
                "exec command {} by mediation: class `{}`, tier `{}` ({})",
                if decision.allowed {
                    "allowed"
                } else {
                    "denied"
                },
                class.as_str(),
                analysis.tier,
                decision.reason_code
            ),
            None => format!(
                "exec command {} by mediation: tier `{}` ({})",
                if decision.allowed {
                    "allowed"
                } else {
                    "denied"
                },
                analysis.tier,
                decision.reason_code
            ),
        };
        Mediation {
            tier: analysis.tier,
            class: analysis.class,
            critical: analysis.is_critical(),
            allowed: decision.allowed,
            reason_code: decision.reason_code,
            reason,
            command_digest: Sha256::digest(command.as_bytes()).into(),
        }
    }
}
