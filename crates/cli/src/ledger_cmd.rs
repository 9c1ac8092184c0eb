//! `hostguard ledger verify` and `hostguard ledger replay` (runbook Procedures 5 and 6, step 7).

use std::fmt::Write as _;
use std::path::Path;

use hostguard_manager::{
    replay_runtime_risk_ledger_artifact, verify_runtime_risk_ledger_artifact,
    verify_runtime_risk_ledger_artifact_json, DurableLedger, ExactJsonError, ReplayError,
    RestoredState, RuntimeRiskLedgerArtifact, RuntimeRiskLedgerVerificationReport,
    RuntimeRiskReplayStep, VerifyErrorCode,
};

use crate::error::{malformed_json, read_bytes, CliError, CliResult, ExitKind};

/// What a ledger file is expected to hold, for bad-input messages.
const LEDGER_ARTIFACT: &str = "a ledger artifact (`hostguard.runtime_risk_ledger.v1` JSON)";

/// Reads a ledger artifact exactly as its bytes hold it: a malformed file is bad input (exit 2)
/// naming line and column; a file holding more than an artifact — an unknown or repeated member
/// at any depth (`docs/ledger-format.md` §4.1) — does not verify (exit 1,
/// `non_canonical_content`).
///
/// A durable ledger file (JSONL, a host's `durable_ledger` or `run --ledger-file`) is read too:
/// see [`read_durable`].
pub fn read_ledger(file: &Path) -> CliResult<RuntimeRiskLedgerArtifact> {
    let bytes = read_bytes(file)?;
    if is_durable(&bytes) {
        return read_durable(file).map(|(artifact, _)| artifact);
    }
    RuntimeRiskLedgerArtifact::from_json_slice(&bytes).map_err(|e| match e {
        ExactJsonError::Malformed(json) => malformed_json(file, &json, LEDGER_ARTIFACT),
        ExactJsonError::NonCanonical { message } => CliError::finding(format!(
            "ledger `{}` does not verify: {}: {message}",
            file.display(),
            VerifyErrorCode::NonCanonicalContent
        )),
    })
}

/// Whether `bytes` are a durable ledger file rather than an artifact: the first line is a
/// whole JSON object (an artifact as the CLI writes it opens with `{` alone) that has no
/// `schema` member (a compact artifact has one). A durable file whose first line was edited
/// still reads as durable, so the edit is reported at its entry.
fn is_durable(bytes: &[u8]) -> bool {
    /// Whether a JSON object has a `schema` member (nothing else is kept).
    #[derive(serde::Deserialize)]
    struct Probe {
        schema: Option<serde::de::IgnoredAny>,
    }
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    serde_json::from_slice::<Probe>(first).is_ok_and(|p| p.schema.is_none())
}

/// Reads a durable ledger file without changing it (`docs/ledger-format.md` §5): every complete
/// line verified as the chain from genesis; a line that does not is a finding (exit 1) naming
/// its line and entry index. Returns the artifact of every entry (header: the genesis config)
/// and the bytes of a torn final line, which is reported, not verified.
pub fn read_durable(file: &Path) -> CliResult<(RuntimeRiskLedgerArtifact, u64)> {
    let mut entries = Vec::new();
    let mut state = RestoredState::default();
    let report = DurableLedger::read(file, &mut |entry| {
        state.observe(&entry);
        entries.push(entry);
    })
    .map_err(|e| match e.first_invalid_index() {
        Some(_) => CliError::finding(format!("{e}")),
        None => CliError::input(format!("{e}")),
    })?;
    let (config, hysteresis) = state
        .first_config
        .map_or_else(Default::default, |c| (c.config, c.hysteresis));
    let artifact = RuntimeRiskLedgerArtifact::from_entries(0, config, hysteresis, entries);
    Ok((artifact, report.truncated_bytes))
}

/// The human report of a verification: a verdict line, then one line per error.
pub fn render_verification(name: &str, report: &RuntimeRiskLedgerVerificationReport) -> String {
    let mut out = String::new();
    if report.valid {
        let _ = writeln!(
            out,
            "ledger `{name}`: valid ({} entries, {} elided, {} redacted, {} evicted before the anchor)",
            report.entry_count, report.elided_count, report.redacted_count, report.evicted_count
        );
    } else {
        let first = report
            .first_invalid_index
            .map_or_else(|| "none (header)".to_owned(), |i| i.to_string());
        let _ = writeln!(
            out,
            "ledger `{name}`: INVALID ({} over {}); first invalid index: {first}",
            crate::plural::count(report.errors.len() as u64, "error", "errors"),
            crate::plural::count(report.entry_count as u64, "entry", "entries"),
        );
        for error in &report.errors {
            let at = error
                .index
                .map_or_else(|| "header".to_owned(), |i| format!("entry {i}"));
            let _ = writeln!(out, "  {at}: {}: {}", error.code, error.message);
        }
    }
    out
}

/// `hostguard ledger verify FILE [--json]`: verifies the bytes as read (a member the artifact
/// does not hold is `non_canonical_content`); exit 1 when they do not verify.
pub fn verify(file: &Path, json: bool) -> CliResult {
    let bytes = read_bytes(file)?;
    let report = if is_durable(&bytes) {
        let (artifact, torn) = read_durable(file)?;
        if torn > 0 {
            eprintln!(
                "hostguard: warning: {}: a torn final line ({torn} bytes, an interrupted write) was not verified",
                file.display()
            );
        }
        verify_runtime_risk_ledger_artifact(&artifact)
    } else {
        verify_runtime_risk_ledger_artifact_json(&bytes)
            .map_err(|e| malformed_json(file, &e, LEDGER_ARTIFACT))?
    };
    if json {
        crate::outln!("{}", to_json_pretty(&report)?)?;
    } else {
        crate::out!(
            "{}",
            render_verification(&file.display().to_string(), &report)
        )?;
    }
    Ok(if report.valid {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

/// The runbook's Procedure 6 step-7 line for one replay step, then what the gate applied and
/// why (the model's selection is `action=` in every phase; in shadow it is the counterfactual),
/// plus a marker when the recorded decision is not the one the step re-derives.
pub fn replay_line(step: &RuntimeRiskReplayStep) -> String {
    let mut line = format!(
        "[{}] ext={} cap={}.{} score={:.3} action={:?} state={:?} applied={:?}",
        step.ts_ms,
        step.extension_id,
        step.capability,
        step.method,
        step.risk_score,
        step.selected_action,
        step.derived_state,
        step.applied_action
    );
    if let Some(basis) = step.basis {
        let _ = write!(line, " ({basis})");
    }
    if !step.consistent {
        let _ = write!(
            line,
            "  INCONSISTENT (recorded state {:?}; derived action {}, applied {})",
            step.recorded_state,
            or_unknown(step.derived_selected_action),
            or_unknown(step.derived_applied_action)
        );
    }
    line
}

fn or_unknown(state: Option<hostguard_manager::EnforcementState>) -> String {
    state.map_or_else(
        || "unknown (phase not recognised)".to_owned(),
        |s| format!("{s:?}"),
    )
}

/// `hostguard ledger replay FILE [--json]`: refuses (exit 1) a ledger that does not verify.
pub fn replay(file: &Path, json: bool) -> CliResult {
    let artifact = read_ledger(file)?;
    let replay = match replay_runtime_risk_ledger_artifact(&artifact) {
        Ok(replay) => replay,
        Err(ReplayError::LedgerInvalid {
            first_invalid_index,
            error_count,
            first_errors,
        }) => {
            let first =
                first_invalid_index.map_or_else(|| "none (header)".to_owned(), |i| i.to_string());
            let listed: Vec<String> = first_errors.iter().map(ToString::to_string).collect();
            let more = error_count.saturating_sub(listed.len());
            return Err(CliError::finding(format!(
                "ledger `{}`: refusing to replay a ledger that does not verify ({error_count} errors, first invalid index: {first}): {}{}",
                file.display(),
                listed.join("; "),
                if more > 0 { format!("; and {more} more (`hostguard ledger verify` lists every error)") } else { String::new() }
            )));
        }
        Err(err) => {
            return Err(CliError::finding(format!(
                "ledger `{}`: {err}",
                file.display()
            )))
        }
    };
    if json {
        crate::outln!("{}", to_json_pretty(&replay)?)?;
    } else {
        for step in &replay.steps {
            crate::outln!("{}", replay_line(step))?;
        }
        crate::outln!(
            "{} steps replayed, {} inconsistent; skipped: {} control, {} elided, {} not risk-evaluated ({} not reproduced), {} unattributed",
            replay.steps.len(),
            replay.inconsistent_count,
            replay.skipped.control,
            replay.skipped.elided,
            replay.skipped.not_risk_evaluated,
            replay.unreproduced_unevaluated.len(),
            replay.skipped.unattributed
        )?;
    }
    Ok(
        if replay.inconsistent_count == 0 && replay.unreproduced_unevaluated.is_empty() {
            ExitKind::Ok
        } else {
            ExitKind::Finding
        },
    )
}

/// Pretty JSON of a report; serialization of our own types cannot fail in practice, and if it
/// does it is reported, not panicked on.
pub fn to_json_pretty<T: serde::Serialize>(value: &T) -> CliResult<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::finding(format!("cannot render JSON: {e}")))
}
