//! The `hostguard` binary: parses the command line (clap) and maps each command's result to the
//! exit-code contract — 0 ok, 1 verification failed / finding, 2 bad input or usage (clap usage
//! errors included). Errors print one line on stderr, never a backtrace.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hostguard_cli::error::{CliResult, ExitKind};
use hostguard_cli::{config_cmd, events, ledger_cmd};
use hostguard_risk_core::CliOverrides;

/// Operate hostguard: verify and replay ledgers, explain the config.
#[derive(Debug, Parser)]
#[command(name = "hostguard", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap derive"
)]
enum Command {
    /// Verify or replay a runtime risk ledger artifact (runbook Procedures 5 and 6).
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Check a `hostguard.hostcall_event.v1` stream (docs/event-format.md) line by line.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// The risk controller's config.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Verify the hash chain; exit 1 and list every error when it does not verify.
    Verify {
        /// A `hostguard.runtime_risk_ledger.v1` JSON file (e.g. `OUT/ledger.json`).
        file: PathBuf,
        /// Print the verification report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-derive every decision (runbook Procedure 6, step 7); refuses a ledger that does not
    /// verify (exit 1).
    Replay {
        /// A `hostguard.runtime_risk_ledger.v1` JSON file.
        file: PathBuf,
        /// Print the replay artifact as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// Parse every line; exit 2 at the first bad one (file, line, column, what was expected).
    Check {
        /// A JSONL stream.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the resolved config and the source of each field
    /// (defaults < file < HOSTGUARD_RISK_* env < command line).
    Explain {
        /// A TOML or JSON config file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        risk: RiskFlags,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Command-line overrides of the risk config; values are parsed by risk-core so they fail the
/// same way as in a file or the environment.
#[derive(Debug, Clone, Default, Args)]
struct RiskFlags {
    /// Risk controller on or off (true|false).
    #[arg(long, value_name = "BOOL")]
    enabled: Option<String>,
    /// Enforce the risk model's verdicts (true|false).
    #[arg(long, value_name = "BOOL")]
    enforce: Option<String>,
    /// Type-I error budget of the sequential test, [1e-6, 0.5] (smaller: fewer false alarms,
    /// less sensitive).
    #[arg(long, value_name = "P")]
    alpha: Option<String>,
    /// Calls of memory, [8, 4096].
    #[arg(long, value_name = "N")]
    window_size: Option<String>,
    /// Ledger entries kept in memory, [32, 1000000].
    #[arg(long, value_name = "N")]
    ledger_limit: Option<String>,
    /// Decision budget in milliseconds, [1, 2000].
    #[arg(long, value_name = "MS")]
    decision_timeout_ms: Option<String>,
    /// Deny when the model cannot decide in time (true|false).
    #[arg(long, value_name = "BOOL")]
    fail_closed: Option<String>,
    /// Score bands: safe|balanced|permissive (default: follow the policy profile).
    #[arg(long, value_name = "BANDS")]
    band_profile: Option<String>,
    /// Calls below the band before de-escalating one level.
    #[arg(long, value_name = "N")]
    cooldown_calls: Option<String>,
    /// Margin below the entry threshold that counts as calm.
    #[arg(long, value_name = "M")]
    de_escalation_margin: Option<String>,
}

impl RiskFlags {
    fn overrides(&self) -> CliOverrides {
        CliOverrides {
            enabled: self.enabled.clone(),
            enforce: self.enforce.clone(),
            alpha: self.alpha.clone(),
            window_size: self.window_size.clone(),
            ledger_limit: self.ledger_limit.clone(),
            decision_timeout_ms: self.decision_timeout_ms.clone(),
            fail_closed: self.fail_closed.clone(),
            profile: self.band_profile.clone(),
            cooldown_calls: self.cooldown_calls.clone(),
            de_escalation_margin: self.de_escalation_margin.clone(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                ExitKind::BadInput
            } else {
                // --help and --version.
                ExitKind::Ok
            };
            let _ = err.print();
            return ExitCode::from(code.code());
        }
    };
    match dispatch(cli.command) {
        Ok(kind) => ExitCode::from(kind.code()),
        Err(err) => {
            eprintln!("hostguard: {err}");
            ExitCode::from(err.kind.code())
        }
    }
}

fn dispatch(command: Command) -> CliResult {
    match command {
        Command::Ledger { command } => match command {
            LedgerCommand::Verify { file, json } => ledger_cmd::verify(&file, json),
            LedgerCommand::Replay { file, json } => ledger_cmd::replay(&file, json),
        },
        Command::Events { command } => match command {
            EventsCommand::Check { file } => events::check(&file),
        },
        Command::Config { command } => match command {
            ConfigCommand::Explain { config, risk, json } => {
                config_cmd::explain(config.as_deref(), &risk.overrides(), json)
            }
        },
    }
}
