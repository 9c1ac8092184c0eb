//! `hostguard run`: drives the manager over a recorded stream and writes every artifact of the
//! runbook's evidence checklist to a folder (docs/design.md §8).
//!
//! Output files: `verdicts.jsonl` (one line per hostcall, input order), `ledger.json`,
//! `alerts.json`, `telemetry.json`, `exec_mediation.json`, `secret_broker.json`,
//! `quota_breaches.json`, `rollout.json`, `trust.json` (trust state and kill-switch audit) and
//! `triage.json` (the runbook's triage of every alert, with the live manager's context).

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use hostguard_manager::{
    CliOverrides, ConfigField, ConfigSource, ExtensionManager, PolicyProfile, ResumeReport,
    RolloutPhase,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::config_cmd;
use crate::drive::{Driver, GateOptions};
use crate::error::{create_fresh, write_artifact, CliError, CliResult, ExitKind};
use crate::events::EventReader;
use crate::ledger_cmd::to_json_pretty;
use crate::out_dir;
use crate::out_dir::names;
use crate::run_summary::{RunSummary, Streamed};

/// The lines above which a progress bar is shown (when stderr is a terminal).
pub const PROGRESS_MIN_LINES: u64 = 10_000;

/// Distinct extensions the summary counts exactly (memory stays bounded past it).
pub const MAX_COUNTED_EXTENSIONS: usize = 10_000;

/// What `run` was asked.
#[derive(Debug, Clone)]
pub struct RunArgs {
    /// The stream.
    pub events: PathBuf,
    /// The output folder (created).
    pub out: PathBuf,
    /// A risk config file.
    pub config: Option<PathBuf>,
    /// Risk config overrides from the command line.
    pub overrides: CliOverrides,
    /// The policy profile.
    pub profile: PolicyProfile,
    /// The starting rollout phase.
    pub phase: RolloutPhase,
    /// See [`GateOptions::unsafe_fixed_salt_seed`].
    pub unsafe_fixed_salt_seed: Option<u64>,
    /// See [`GateOptions::workspace`].
    pub workspace: Option<String>,
    /// See [`GateOptions::ledger_file`].
    pub ledger_file: Option<PathBuf>,
    /// See [`GateOptions::checkpoint_key`].
    pub checkpoint_key: Option<PathBuf>,
    /// Reuse a non-empty `out`, removing the artifacts of an earlier run first.
    pub force: bool,
    /// Print the summary as one JSON document (`hostguard.run_summary.v1`).
    pub json: bool,
}

/// What the gate of a run is built from, besides the stream.
#[derive(Debug, Clone, Copy)]
pub struct GateSpec<'a> {
    /// A risk config file.
    pub config: Option<&'a Path>,
    /// Risk config overrides.
    pub overrides: &'a CliOverrides,
    /// The policy profile.
    pub profile: PolicyProfile,
    /// The starting rollout phase.
    pub phase: RolloutPhase,
    /// See [`GateOptions::unsafe_fixed_salt_seed`].
    pub seed: Option<u64>,
    /// See [`GateOptions::workspace`].
    pub workspace: Option<&'a str>,
}

/// Resolves the gate's options: the risk controller is enabled unless a config source says
/// otherwise; the clock starts at the stream's first timestamp.
pub fn gate_options(events: &Path, spec: &GateSpec<'_>) -> CliResult<GateOptions> {
    let resolved = config_cmd::resolve(spec.config, spec.overrides)?;
    let mut risk = *resolved.config();
    if resolved.source(ConfigField::Enabled) == &ConfigSource::Default {
        risk.enabled = true;
    }
    let start_ms = match EventReader::open(events)?.next() {
        Some(first) => first?.1.ts_ms(),
        None => 0,
    };
    Ok(GateOptions {
        risk,
        profile: spec.profile,
        phase: spec.phase,
        unsafe_fixed_salt_seed: spec.seed,
        start_ms,
        workspace: spec.workspace.map(str::to_owned),
        ledger_file: None,
        checkpoint_key: None,
        guarded: Vec::new(),
        ledger_fsync: crate::drive::LEDGER_FILE_FSYNC,
        home: None,
    })
}

/// `hostguard run`. The stream is read more than once (its first timestamp starts the clock),
/// so `--events -` (stdin) and any stream that is not a regular file (a named pipe,
/// `<(zcat s.gz)`) are first copied to `OUT/events.jsonl.partial`, renamed `OUT/events.jsonl`
/// — the run's record of its input — only when the run succeeds.
pub fn run(args: &RunArgs) -> CliResult {
    let mut inputs: Vec<&Path> = vec![args.events.as_path()];
    inputs.extend(args.ledger_file.as_deref());
    inputs.extend(args.config.as_deref());
    inputs.extend(args.checkpoint_key.as_deref());
    let stdin = args.events.as_os_str() == "-";
    let piped = stdin || std::fs::metadata(&args.events).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let mut writes = names::RUN_WRITES.to_vec();
    if piped {
        writes.push(names::EVENTS);
    }
    out_dir::prepare(&args.out, args.force, &inputs, &writes)?;
    if !piped {
        return run_stream(args, None);
    }
    let partial = args.out.join(names::EVENTS_PARTIAL);
    if partial.symlink_metadata().is_ok() {
        return Err(CliError::input(format!(
            "`{}` holds the stream of an earlier run that failed: move it away (or replay it with --events) first",
            partial.display()
        )));
    }
    if let Err(err) = spool(&args.events, stdin, &partial) {
        let _ = std::fs::remove_file(&partial);
        return Err(err);
    }
    let spooled_args = RunArgs {
        events: partial.clone(),
        ..args.clone()
    };
    match run_stream(&spooled_args, Some(&args.events)) {
        Ok(kind) => Ok(kind),
        Err(err) => {
            // Nothing read from a pipe is lost: the copy stays for the operator to inspect.
            eprintln!(
                "hostguard: the stream read from `{}` is kept as `{}`",
                args.events.display(),
                partial.display()
            );
            Err(err)
        }
    }
}

/// Copies the stream (stdin when `stdin`) to `to`.
fn spool(events: &Path, stdin: bool, to: &Path) -> CliResult<()> {
    let mut writer = BufWriter::new(create_fresh(to)?);
    let copied = if stdin {
        std::io::copy(&mut std::io::stdin().lock(), &mut writer)
    } else {
        let mut source =
            std::fs::File::open(events).map_err(|e| CliError::io("read", events, &e))?;
        std::io::copy(&mut source, &mut writer)
    };
    copied.map_err(|e| CliError::io("copy the stream to", to, &e))?;
    writer.flush().map_err(|e| CliError::io("write", to, &e))
}

/// `run` over a stream in a regular file, the output folder ready; `spooled_from` names the
/// stream the file is a copy of (stdin or a pipe), for messages and the manifest.
fn run_stream(args: &RunArgs, spooled_from: Option<&Path>) -> CliResult {
    let shown = spooled_from.unwrap_or(&args.events);
    let options = gate_options(
        &args.events,
        &GateSpec {
            config: args.config.as_deref(),
            overrides: &args.overrides,
            profile: args.profile,
            phase: args.phase,
            seed: args.unsafe_fixed_salt_seed,
            workspace: args.workspace.as_deref(),
        },
    )?;
    let options = GateOptions {
        ledger_file: args.ledger_file.clone(),
        checkpoint_key: args.checkpoint_key.clone(),
        guarded: Vec::new(),
        ledger_fsync: crate::drive::LEDGER_FILE_FSYNC,
        home: None,
        ..options
    };
    let mut driver = Driver::new(&options)?;
    let resumed = driver
        .manager
        .resume_report()
        .map(|report| resume_warnings(args, report))
        .unwrap_or_default();
    // Verdicts go to a side file renamed into place only with the other artifacts: a bad line
    // or a failed write must not leave new verdicts next to the artifacts of an earlier run.
    let partial_path = args.out.join(names::VERDICTS_PARTIAL);
    let streamed =
        stream_verdicts(args, &mut driver, &partial_path).and_then(|counts| {
            match driver.manager.write_checkpoint() {
                Some(Err(e)) => Err(CliError::finding(format!(
                    "the run's last checkpoint was not written: {e}"
                ))),
                _ => Ok(counts),
            }
        });
    let (operator_lines, extensions) = match streamed {
        Ok(counts) => counts,
        Err(err) => {
            let _ = std::fs::remove_file(&partial_path);
            return Err(err);
        }
    };
    let counts = Streamed {
        operator_lines,
        extensions,
        counted_up_to: MAX_COUNTED_EXTENSIONS,
    };
    finish_run(
        args,
        &driver,
        counts,
        (shown, spooled_from.is_some()),
        resumed,
    )
}

/// Writes the artifacts, removes stale ones, prints warnings and the summary; the exit kind.
fn finish_run(
    args: &RunArgs,
    driver: &Driver,
    counts: Streamed,
    (shown, spooled): (&Path, bool),
    resumed: Vec<String>,
) -> CliResult {
    let mut written = write_artifacts(&driver.manager, &args.out)?;
    // The side files go into place once every other artifact is written.
    let mut renames = vec![(names::VERDICTS_PARTIAL, names::VERDICTS)];
    if spooled {
        renames.push((names::EVENTS_PARTIAL, names::EVENTS));
        written.push(names::EVENTS);
    }
    for (from, to) in renames {
        let to = args.out.join(to);
        std::fs::rename(args.out.join(from), &to).map_err(|e| CliError::io("write", &to, &e))?;
    }
    let mut inputs: Vec<&Path> = vec![args.events.as_path()];
    inputs.extend(args.ledger_file.as_deref());
    inputs.extend(args.config.as_deref());
    let stale = out_dir::remove_stale(&args.out, &written, &inputs)?;
    out_dir::report(&args.out, &stale);
    for warning in &driver.warnings {
        // `file:line: message`, the position form of every message.
        eprintln!("hostguard: warning: {}:{warning}", shown.display());
    }
    if driver.warnings_dropped > 0 {
        eprintln!(
            "hostguard: warning: {}: and {} more warnings (not listed)",
            shown.display(),
            driver.warnings_dropped
        );
    }
    let mut summary =
        RunSummary::collect(shown, &args.out, driver, counts, (&written, &stale.removed));
    summary.warnings.splice(0..0, resumed);
    if args.json {
        crate::outln!("{}", to_json_pretty(&summary)?)?;
    } else {
        crate::out!("{}", summary.render())?;
    }
    // The run's own ledger must verify, as the demo's must: a chain that does not is a finding.
    Ok(if summary.ledger.chain_valid {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

/// Tells the operator what resuming `--ledger-file` changed about what they asked for.
/// Prints them as warnings and returns them, for `--json`'s `warnings`.
fn resume_warnings(args: &RunArgs, report: &ResumeReport) -> Vec<String> {
    let file = args.ledger_file.as_deref().unwrap_or(Path::new("-"));
    let mut warnings = Vec::new();
    if report.truncated_bytes > 0 {
        warnings.push(format!(
            "{}: a torn final line ({} bytes, an interrupted write) was cut off",
            file.display(),
            report.truncated_bytes
        ));
    }
    for setting in &report.overridden {
        warnings.push(format!(
            "{}: the ledger's {setting} is in force, not the command line's \
             (a resumed gate goes on in the ledger's state; change it with an operator line)",
            file.display()
        ));
    }
    for warning in &warnings {
        eprintln!("hostguard: warning: {warning}");
    }
    warnings
}

/// Drives the stream into `driver`, writing one verdict line per hostcall to `path`; returns
/// the operator lines and the distinct extensions seen.
fn stream_verdicts(args: &RunArgs, driver: &mut Driver, path: &Path) -> CliResult<(u64, usize)> {
    let mut verdicts = BufWriter::new(create_fresh(path)?);
    let progress = progress_bar(&args.events)?;
    let mut operator_lines = 0u64;
    let mut extensions = std::collections::BTreeSet::new();
    for item in EventReader::open(&args.events)? {
        let (line, event) = item?;
        if let Some(p) = &progress {
            p.set_position(line as u64);
        }
        match driver.apply(&args.events, line, &event)? {
            Some(verdict) => {
                if extensions.len() < MAX_COUNTED_EXTENSIONS {
                    extensions.insert(verdict.extension_id.clone());
                }
                let json = serde_json::to_string(&verdict)
                    .map_err(|e| CliError::finding(format!("cannot render a verdict: {e}")))?;
                writeln!(verdicts, "{json}").map_err(|e| CliError::io("write", path, &e))?;
            }
            None => operator_lines += 1,
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    verdicts
        .flush()
        .map_err(|e| CliError::io("write", path, &e))?;
    Ok((operator_lines, extensions.len()))
}

/// Writes every artifact of the evidence checklist to `dir`; returns the file names.
pub fn write_artifacts(m: &ExtensionManager, dir: &Path) -> CliResult<Vec<&'static str>> {
    let triaged = crate::triage_cmd::triage_artifact(m.security_alerts());
    let files: Vec<(&'static str, String)> = vec![
        (names::LEDGER, pretty(&m.runtime_risk_ledger_artifact())?),
        (names::ALERTS, pretty(&m.security_alert_artifact())?),
        (
            names::TELEMETRY,
            pretty(&m.runtime_hostcall_telemetry_artifact())?,
        ),
        (names::EXEC_MEDIATION, pretty(&m.exec_mediation_artifact())?),
        (names::SECRET_BROKER, pretty(&m.secret_broker_artifact())?),
        (names::QUOTA_BREACHES, pretty(&m.quota_breach_events())?),
        (names::ROLLOUT, pretty(&m.rollout_snapshot())?),
        (names::TRUST, pretty(&m.trust_state_records())?),
        (names::TRIAGE, pretty(&triaged)?),
    ];
    let mut written = vec![names::VERDICTS];
    for (name, text) in files {
        write_artifact(&dir.join(name), text.as_bytes())?;
        written.push(name);
    }
    Ok(written)
}

fn pretty<T: Serialize>(value: &T) -> CliResult<String> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::finding(format!("cannot render JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// A progress bar over the stream's lines, only when stderr is a terminal and the stream has
/// more than [`PROGRESS_MIN_LINES`] lines (counted by one extra pass over the bytes).
pub fn progress_bar(events: &Path) -> CliResult<Option<ProgressBar>> {
    if !std::io::stderr().is_terminal() {
        return Ok(None);
    }
    let lines = count_lines(events)?;
    if lines <= PROGRESS_MIN_LINES {
        return Ok(None);
    }
    let bar = ProgressBar::new(lines);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos}/{len} lines [{bar:30}] eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    Ok(Some(bar))
}

fn count_lines(path: &Path) -> CliResult<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| CliError::io("read", path, &e))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| CliError::io("read", path, &e))?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf
            .get(..n)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) as u64;
    }
}
