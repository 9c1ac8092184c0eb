//! What `hostguard run` tells the operator at the end, as one value: rendered as the human
//! summary, or printed whole by `--json` (`hostguard.run_summary.v1`, docs/cli-json.md).

use std::fmt::Write as _;
use std::path::Path;

use hostguard_manager::{
    verify_runtime_risk_ledger_artifact, RecordEvictions, ResumeReport, RolloutPhase,
};
use serde::Serialize;

use crate::drive::Driver;
use crate::plural::count;

/// The summary of one run.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RunSummary {
    /// `hostguard.run_summary.v1`.
    pub schema: &'static str,
    /// The stream read.
    pub events: String,
    /// The output folder.
    pub out: String,
    /// Hostcalls decided.
    pub hostcalls: u64,
    /// Distinct extensions seen (counted exactly up to `extensions_counted_up_to`).
    pub extensions: u64,
    /// The bound of the exact count: `extensions` equal to it means at least that many.
    pub extensions_counted_up_to: u64,
    /// Operator lines applied.
    pub operator_lines: u64,
    /// Verdict counts.
    pub verdicts: VerdictCounts,
    /// The rollout at the end.
    pub rollout: RolloutEnd,
    /// Alerts raised (in memory at the end).
    pub alerts: u64,
    /// The in-memory ledger at the end.
    pub ledger: LedgerEnd,
    /// Records retention evicted, per stream (the artifacts hold the newest `record_limit` per
    /// extension and stream).
    pub records_evicted: RecordEvictions,
    /// The record retention bound.
    pub record_limit: u64,
    /// What resuming `--ledger-file` restored; absent without one, or for a new file.
    pub resumed: Option<Resumed>,
    /// Files written to `out`.
    pub written: Vec<String>,
    /// Artifacts of an earlier run removed from `out` (`--force`).
    pub removed: Vec<String>,
    /// Warnings (also printed to stderr), each `file:line: message` or `file: message`.
    pub warnings: Vec<String>,
    /// Warnings past the kept ones.
    pub warnings_dropped: u64,
}

/// Verdict counts of a run.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VerdictCounts {
    /// Blocked.
    pub blocked: u64,
    /// Asked a person.
    pub prompted: u64,
    /// Allowed.
    pub allowed: u64,
}

/// The rollout at the end of a run.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RolloutEnd {
    /// The phase.
    pub phase: RolloutPhase,
    /// The phase an automatic rollback left, if one did.
    pub rolled_back_from: Option<RolloutPhase>,
}

/// The ledger at the end of a run.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LedgerEnd {
    /// Entries held in memory (`ledger.json`).
    pub entries: u64,
    /// Earlier entries retention evicted (`ledger_limit`); `--ledger-file` keeps them.
    pub evicted: u64,
    /// The retention bound.
    pub ledger_limit: u64,
    /// The hash chain verifies.
    pub chain_valid: bool,
}

/// What resuming a ledger file restored.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Resumed {
    /// Entries the file held.
    pub entries_found: u64,
    /// Extensions restored.
    pub extensions: u64,
    /// Restored with the kill switch on.
    pub killed: Vec<String>,
    /// Restored quarantined.
    pub quarantined: Vec<String>,
    /// The phase the gate goes on in.
    pub rollout_phase: RolloutPhase,
    /// The phase an automatic rollback left.
    pub rolled_back_from: Option<RolloutPhase>,
}

impl From<&ResumeReport> for Resumed {
    fn from(r: &ResumeReport) -> Resumed {
        Resumed {
            entries_found: r.entries_found,
            extensions: r.extensions,
            killed: r.killed.clone(),
            quarantined: r.quarantined.clone(),
            rollout_phase: r.rollout_phase,
            rolled_back_from: r.rolled_back_from,
        }
    }
}

/// What a run counted while streaming, besides the driver's own counts.
#[derive(Debug, Clone, Copy)]
pub struct Streamed {
    /// Operator lines applied.
    pub operator_lines: u64,
    /// Distinct extensions (bounded count).
    pub extensions: usize,
    /// The bound of the count.
    pub counted_up_to: usize,
}

impl RunSummary {
    /// Collects the summary from the driver at the end of a run.
    pub fn collect(
        events: &Path,
        out: &Path,
        driver: &Driver,
        streamed: Streamed,
        files: (&[&str], &[String]),
    ) -> RunSummary {
        let m = &driver.manager;
        let rollout = m.rollout_state();
        let ledger = m.runtime_risk_ledger_artifact();
        let (written, removed) = files;
        RunSummary {
            schema: "hostguard.run_summary.v1",
            events: events.display().to_string(),
            out: out.display().to_string(),
            hostcalls: driver.calls,
            extensions: streamed.extensions as u64,
            extensions_counted_up_to: streamed.counted_up_to as u64,
            operator_lines: streamed.operator_lines,
            verdicts: VerdictCounts {
                blocked: driver.blocked,
                prompted: driver.prompted,
                allowed: driver
                    .calls
                    .saturating_sub(driver.blocked)
                    .saturating_sub(driver.prompted),
            },
            rollout: RolloutEnd {
                phase: rollout.phase,
                rolled_back_from: rollout.rolled_back_from,
            },
            alerts: m.security_alerts().len() as u64,
            ledger: LedgerEnd {
                entries: ledger.entries.len() as u64,
                evicted: ledger.anchor.evicted_count,
                ledger_limit: m.runtime_risk_config().ledger_limit as u64,
                chain_valid: verify_runtime_risk_ledger_artifact(&ledger).valid,
            },
            records_evicted: m.records_evicted(),
            record_limit: m.record_limit() as u64,
            resumed: m.resume_report().map(Resumed::from),
            written: written.iter().map(|s| (*s).to_owned()).collect(),
            removed: removed.to_vec(),
            warnings: driver
                .warnings
                .iter()
                .map(|w| format!("{}:{w}", events.display()))
                .collect(),
            warnings_dropped: driver.warnings_dropped,
        }
    }

    /// The human summary.
    pub fn render(&self) -> String {
        let mut text = format!(
            "run `{}`: {} from {}{}, {}\n",
            self.events,
            count(self.hostcalls, "hostcall", "hostcalls"),
            if self.extensions >= self.extensions_counted_up_to {
                "at least "
            } else {
                ""
            },
            count(self.extensions, "extension", "extensions"),
            count(self.operator_lines, "operator line", "operator lines"),
        );
        if let Some(r) = &self.resumed {
            text.push_str(&resume_line(r));
        }
        let v = self.verdicts;
        let _ = writeln!(
            text,
            "verdicts: {} blocked, {} prompted, {} allowed",
            v.blocked, v.prompted, v.allowed
        );
        text.push_str(&self.rollout_line());
        text.push_str(&self.records_line());
        let _ = writeln!(text, "wrote {}/{{{}}}", self.out, self.written.join(", "));
        text
    }

    fn rollout_line(&self) -> String {
        // Retention evicts the oldest entries from memory (`ledger_limit`): say so, with where
        // the whole chain is kept, rather than let `ledger.json` look like the whole run.
        let l = self.ledger;
        let evicted = match l.evicted {
            0 => String::new(),
            n => format!(
                " ({} evicted by retention, `ledger_limit` {}; `--ledger-file` keeps every entry)",
                count(n, "earlier entry", "earlier entries"),
                l.ledger_limit
            ),
        };
        format!(
            "rollout: phase `{}`{}; {}; ledger: {}{evicted}, {}\n",
            self.rollout.phase,
            rolled_back(self.rollout.rolled_back_from),
            count(self.alerts, "alert", "alerts"),
            count(l.entries, "entry", "entries"),
            if l.chain_valid {
                "chain valid"
            } else {
                "CHAIN INVALID"
            }
        )
    }
}

impl RunSummary {
    /// Says what record retention evicted, when it evicted anything.
    fn records_line(&self) -> String {
        let e = self.records_evicted;
        let streams = [
            (e.alerts, "alert", "alerts"),
            (e.telemetry, "telemetry event", "telemetry events"),
            (
                e.exec_mediation,
                "exec-mediation record",
                "exec-mediation records",
            ),
            (
                e.secret_broker,
                "secret-broker record",
                "secret-broker records",
            ),
            (e.quota_breaches, "quota breach", "quota breaches"),
            (
                e.kill_switch_audit,
                "kill-switch audit entry",
                "kill-switch audit entries",
            ),
        ];
        let parts: Vec<String> = streams
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| count(*n, one, many))
            .collect();
        if parts.is_empty() {
            return String::new();
        }
        format!(
            "records: retention evicted {} (the artifacts hold the newest {} per extension and stream)\n",
            parts.join(", "),
            self.record_limit
        )
    }
}

/// ` (rolled back from `PHASE`)` after a phase, or nothing.
pub fn rolled_back(from: Option<RolloutPhase>) -> String {
    from.map(|p| format!(" (rolled back from `{p}`)"))
        .unwrap_or_default()
}

/// What resuming a ledger file restored, one line.
fn resume_line(r: &Resumed) -> String {
    let list = |names: &[String]| match names {
        [] => "none".to_owned(),
        names => names.join(", "),
    };
    format!(
        "resumed: {}, {} restored (killed: {}; quarantined: {}), phase `{}`{}\n",
        count(r.entries_found, "ledger entry", "ledger entries"),
        count(r.extensions, "extension", "extensions"),
        list(&r.killed),
        list(&r.quarantined),
        r.rollout_phase,
        rolled_back(r.rolled_back_from),
    )
}
