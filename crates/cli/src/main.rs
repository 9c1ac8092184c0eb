//! The `hostguard` binary: parses the command line (clap) and maps each command's result to the
//! exit-code contract — 0 ok, 1 verification failed / finding, 2 bad input or usage (clap usage
//! errors included). Errors print one line on stderr, never a backtrace; with `--json`, also a
//! `hostguard.cli_error.v1` document on stdout.

mod args;
mod manual;

use std::process::ExitCode;

use clap::Parser as _;
use hostguard_cli::bundle_cmd::{self, BuildArgs, Redaction};
use hostguard_cli::checkpoint_cmd::{self, CheckpointArgs};
use hostguard_cli::envelope_cmd::{self, ExportArgs};
use hostguard_cli::error::{CliError, CliResult, ExitKind};
use hostguard_cli::key_cmd;
use hostguard_cli::rules_cmd::{self, Subject, TestArgs};
use hostguard_cli::run_cmd::{self, RunArgs};
use hostguard_cli::whatif_cmd::{self, WhatIfArgs};
use hostguard_cli::{config_cmd, events, export_cmd, ledger_cmd, mcp_cmd, triage_cmd};
use hostguard_manager::IncidentBundleFilter;

use args::{
    BundleCommand, Cli, Command, ConfigCommand, EventsCommand, KeyCommand, LedgerCommand,
    RedactArg, RulesCommand,
};

fn main() -> ExitCode {
    // Every command spells its JSON flag `--json`; a usage error with it still prints the
    // error document, so that standard output is always one JSON document.
    let json = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if err.use_stderr() => {
            // Usage errors carry the same `hostguard: ` prefix as every other message.
            let message = err.render().to_string();
            if json {
                // clap's message is the lines before the first blank one (then `Usage:`).
                let lines: Vec<&str> = message
                    .lines()
                    .take_while(|l| !l.trim().is_empty())
                    .map(str::trim)
                    .collect();
                let usage = CliError::input(lines.join(" ").trim_start_matches("error: "));
                println!("{}", usage.json_document());
            }
            eprint!("hostguard: {message}");
            return ExitCode::from(ExitKind::BadInput.code());
        }
        Err(err) => {
            // --help and --version.
            let _ = err.print();
            return ExitCode::from(ExitKind::Ok.code());
        }
    };
    warn_snake_case_values(std::env::args_os());
    match dispatch(cli.command) {
        Ok(kind) => ExitCode::from(kind.code()),
        Err(err) => {
            // A report already printed (then the failure) stays the one document.
            if json && !hostguard_cli::error::stdout_written() {
                println!("{}", err.json_document());
            }
            eprintln!("hostguard: {err}");
            ExitCode::from(err.kind.code())
        }
    }
}

/// The flags whose values are words: kebab-case on the command line (`--phase log-only`); the
/// artifacts' snake_case spelling (`log_only`) still works, with a warning naming the other.
const KEBAB_VALUED_FLAGS: [&str; 2] = ["--phase", "--category"];

/// Warns once per snake_case value of a [`KEBAB_VALUED_FLAGS`] flag (clap accepted it). An
/// argument that is not UTF-8 is no such flag or value.
fn warn_snake_case_values(args: impl Iterator<Item = std::ffi::OsString>) {
    let args: Vec<String> = args.map(|a| a.into_string().unwrap_or_default()).collect();
    for (i, arg) in args.iter().enumerate() {
        let (flag, value) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value)),
            None => (arg.as_str(), args.get(i + 1).map(String::as_str)),
        };
        if let (true, Some(value)) = (KEBAB_VALUED_FLAGS.contains(&flag), value) {
            if value.contains('_') {
                eprintln!(
                    "hostguard: warning: `{flag} {value}`: command-line values are kebab-case, `{}` (the snake_case spelling still works)",
                    value.replace('_', "-")
                );
            }
        }
    }
}

/// Runs one command: each family of subcommands has its own small dispatcher below.
fn dispatch(command: Command) -> CliResult {
    match command {
        Command::Demo { out, force, json } => hostguard_cli::demo::demo(&out, force, json),
        Command::Run {
            events,
            out,
            force,
            json,
            gate,
            unsafe_fixed_salt_seed,
            ledger_file,
            checkpoint_key,
        } => run_cmd::run(&RunArgs {
            events,
            out,
            config: gate.config,
            overrides: gate.risk.overrides(),
            profile: gate.profile.into(),
            phase: gate.phase.into(),
            unsafe_fixed_salt_seed,
            workspace: gate.workspace,
            ledger_file,
            checkpoint_key,
            force,
            json,
        }),
        Command::Bundle { command } => bundle(command),
        Command::Triage { file, json } => triage_cmd::triage(&file, json),
        Command::Export { format, source, .. } => export_cmd::export(&source, format.into()),
        Command::WhatIf {
            events,
            config,
            baseline_config,
            labels,
            profile,
            phase,
            workspace,
            json,
        } => whatif_cmd::what_if(&WhatIfArgs {
            events,
            config,
            baseline: baseline_config,
            labels,
            profile: profile.into(),
            phase: phase.into(),
            workspace,
            json,
        }),
        Command::Key { command } => match command {
            KeyCommand::Generate { out, name, json } => key_cmd::generate(&out, &name, json),
        },
        Command::Ledger { command } => ledger(command),
        Command::Events { command } => match command {
            EventsCommand::Check { file, json } => events::check(&file, json),
        },
        Command::Rules { command } => rules(command),
        Command::Mcp(mcp) => mcp_command(mcp),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { command } => manual::man(&command),
        Command::Config { command } => match command {
            ConfigCommand::Explain { config, risk, json } => {
                config_cmd::explain(config.as_deref(), &risk.overrides(), json)
            }
        },
    }
}

fn mcp_command(mcp: args::McpCli) -> CliResult {
    match mcp.command {
        Some(args::McpCommand::Approve {
            state,
            tool,
            pin,
            json,
        }) => mcp_cmd::approve(&state, &tool, pin.as_deref(), json),
        Some(args::McpCommand::Kill {
            state,
            reason,
            lift,
            json,
        }) => mcp_cmd::kill(&state, &reason, lift, json),
        Some(args::McpCommand::Status { state, json }) => mcp_cmd::status(&state, json),
        None => mcp_cmd::run(&mcp_cmd::McpArgs {
            state: mcp.state.unwrap_or_default(),
            name: mcp.name,
            profile: mcp.profile.into(),
            phase: mcp.phase.into(),
            workspace: mcp.workspace,
            mapping: mcp.mapping,
            server: mcp.server,
        }),
    }
}

fn bundle(command: BundleCommand) -> CliResult {
    match command {
        BundleCommand::Build {
            from,
            start_ms,
            end_ms,
            extension,
            categories,
            min_severity,
            redact,
            out,
            checkpoint,
            json,
        } => bundle_cmd::build(&BuildArgs {
            from,
            filter: IncidentBundleFilter {
                start_ms,
                end_ms,
                extension_id: extension,
                alert_categories: (!categories.is_empty()).then_some(categories),
                min_severity,
            },
            redaction: match redact {
                RedactArg::External => Redaction::External,
                RedactArg::Internal => Redaction::Internal,
            },
            out,
            checkpoint,
            json,
        }),
        BundleCommand::Verify { file, pubkey, json } => envelope_cmd::verify(&file, &pubkey, json),
        BundleCommand::Export {
            file,
            dsse: _,
            key,
            out,
            json,
        } => envelope_cmd::export(&ExportArgs {
            bundle: file,
            key,
            out,
            json,
        }),
    }
}

fn ledger(command: LedgerCommand) -> CliResult {
    match command {
        LedgerCommand::Verify {
            file,
            checkpoint: Some(checkpoint),
            pubkey: Some(pubkey),
            origin,
            json,
        } => checkpoint_cmd::verify(&checkpoint_cmd::VerifyArgs {
            ledger: file,
            checkpoint,
            pubkey,
            origin,
            json,
        }),
        LedgerCommand::Verify { file, json, .. } => ledger_cmd::verify(&file, json),
        LedgerCommand::Checkpoint {
            file,
            key,
            origin,
            out,
            json,
        } => checkpoint_cmd::checkpoint(&CheckpointArgs {
            ledger: file,
            key,
            origin,
            out,
            json,
        }),
        LedgerCommand::Replay { file, json } => ledger_cmd::replay(&file, json),
    }
}

fn rules(command: RulesCommand) -> CliResult {
    match command {
        RulesCommand::List { json } => rules_cmd::list(json),
        RulesCommand::Explain { id, json } => rules_cmd::explain(&id, json),
        RulesCommand::Test {
            command,
            call,
            workspace,
            after,
            json,
        } => rules_cmd::test(&TestArgs {
            subject: match (command, call) {
                (_, Some(call)) => Subject::Call(call),
                (Some(line), None) => Subject::Command(line),
                (None, None) => Subject::Command(String::new()),
            },
            workspace,
            after,
            json,
        }),
    }
}
