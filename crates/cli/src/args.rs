//! The `hostguard` binary's command line (clap): every command, subcommand and flag, and the
//! conversions of flag values to library types. `main.rs` dispatches on it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hostguard_cli::bundle_cmd::{parse_category, parse_severity};
use hostguard_cli::key_cmd::DEFAULT_KEY_NAME;
use hostguard_manager::{
    CliOverrides, PolicyProfile, RolloutPhase, SecurityAlertCategory, SecurityAlertSeverity,
};

/// Operate hostguard: run recorded hostcall streams through the gate, verify and replay ledgers,
/// build and verify evidence bundles, triage alerts, explain the config.
#[derive(Debug, Parser)]
#[command(
    name = "hostguard",
    version,
    propagate_version = true,
    after_help = "Exit codes: 0 ok, 1 verification failed or a finding, 2 bad input or usage.\n\
                  Start with `hostguard demo`; docs/runbook.md has the command of every runbook step."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The main job: an embedded incident, end to end — timeline, artifacts, evidence bundle,
    /// triage.
    Demo {
        /// Where to write the artifacts (a new or empty folder; see --force).
        #[arg(long, value_name = "DIR", default_value = "hostguard-demo")]
        out: PathBuf,
        /// Reuse a non-empty --out: the artifacts of an earlier run or demo that this one does
        /// not write are removed; other files are left alone.
        #[arg(long)]
        force: bool,
        /// Print the outcome as one JSON document (`hostguard.demo_summary.v1`,
        /// docs/cli-json.md) instead of the timeline.
        #[arg(long)]
        json: bool,
    },
    /// Drive the gate over a recorded stream and write every artifact to a folder.
    Run {
        /// A `hostguard.hostcall_event.v1` JSONL stream (docs/event-format.md); `-` reads it
        /// from stdin and keeps it as OUT/events.jsonl.
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        /// The output folder (a new or empty folder; see --force).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Reuse a non-empty --out: the artifacts of an earlier run or demo that this one does
        /// not write are removed; other files (and this run's inputs) are left alone.
        #[arg(long)]
        force: bool,
        /// Print the summary as one JSON document (`hostguard.run_summary.v1`,
        /// docs/cli-json.md).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        gate: GateFlags,
        /// Seed the ledger's commitment salts: byte-reproducible output, but anyone can
        /// recompute the salts, so redacted values become guessable. Fixtures and tests only.
        #[arg(long, value_name = "SEED")]
        unsafe_fixed_salt_seed: Option<u64>,
        /// A durable ledger (JSONL) to continue, created when absent: the gate resumes the
        /// state the file's entries leave (kill switches, quarantines, rollout phase...) and
        /// appends to its chain, exactly as a host's durable ledger does; exit 1 when the file
        /// does not verify.
        #[arg(long, value_name = "FILE")]
        ledger_file: Option<PathBuf>,
        /// Sign checkpoints of --ledger-file with this key (`hostguard key generate`) into
        /// `FILE.checkpoint` (at start, every 1000 entries, at the end), and refuse (exit 1) a
        /// ledger file that contradicts the last one: cut, rewritten or re-chained.
        #[arg(long, value_name = "KEY", requires = "ledger_file")]
        checkpoint_key: Option<PathBuf>,
    },
    /// Build, verify or export (signed DSSE) an incident evidence bundle (runbook Procedure 6).
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// Triage every alert of an alerts.json with the runbook's decision tree.
    Triage {
        /// An alert artifact (`OUT/alerts.json` of `hostguard run`).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export alerts and gate decisions as OCSF or jsonl lines for a SIEM
    /// (docs/export-format.md).
    ///
    /// One JSON object per line on stdout; refuses (exit 1, nothing on stdout) a ledger that
    /// does not verify.
    Export {
        /// ocsf: OCSF 1.8.0 Detection Findings and API Activity; jsonl: hostguard.export.v1.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The output is JSON lines already; with --json a failure also prints the
        /// `hostguard.cli_error.v1` document on stdout, as every command's --json does.
        #[arg(long)]
        json: bool,
        /// A run folder (`hostguard run --out`, `hostguard demo --out`) or a ledger file.
        source: PathBuf,
    },
    /// Replay a stream under another config; list every verdict that changes.
    WhatIf {
        /// A `hostguard.hostcall_event.v1` JSONL stream.
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        /// The new risk config (TOML or JSON).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The baseline risk config (default: the defaults, risk controller enabled).
        #[arg(long, value_name = "FILE")]
        baseline_config: Option<PathBuf>,
        /// Trace labels (`*.labels.json`): report false positives/negatives before and after.
        #[arg(long, value_name = "FILE")]
        labels: Option<PathBuf>,
        /// The policy profile of both runs.
        #[arg(long, value_enum, default_value_t = Profile::Standard)]
        profile: Profile,
        /// The starting rollout phase of both runs.
        #[arg(long, value_enum, default_value_t = Phase::Shadow)]
        phase: Phase,
        /// The workspace root extensions run in (absolute; relative paths are in it).
        #[arg(long, value_name = "DIR")]
        workspace: Option<String>,
        /// Print JSON (`hostguard.what_if.v1`, docs/cli-json.md).
        #[arg(long)]
        json: bool,
    },
    /// Signing keys: Ed25519 note keys for ledger checkpoints and DSSE envelopes
    /// (docs/ledger-format.md §8.2).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Verify, replay or checkpoint a runtime risk ledger artifact (runbook Procedures 5 and 6).
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
    /// The detection rule catalog (docs/detection.md): list, explain, test a command.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Put the gate in front of an MCP server: `hostguard mcp --state DIR -- COMMAND [ARGS...]`
    /// relays the server's stdio, every tools/call a hostcall of the gate; `approve` and
    /// `kill` operate a gateway through DIR.
    Mcp(McpCli),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `hostguard man | man -l -`, `hostguard man ledger verify`.
    Man {
        /// The command whose page to print (`ledger verify`); none: the top page.
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
    },
}

/// `hostguard mcp`: a session of the gateway, or an operator command on its state folder.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct McpCli {
    #[command(subcommand)]
    pub(crate) command: Option<McpCommand>,
    /// The gateway's state folder (durable ledger, pins, kill switch, artifacts).
    #[arg(long, value_name = "DIR", required = true)]
    pub(crate) state: Option<PathBuf>,
    /// The extension name the server's calls are gated as (default: the command's file name).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// The policy profile.
    #[arg(long, value_enum, default_value_t = Profile::Standard)]
    pub(crate) profile: Profile,
    /// The rollout phase of a new ledger (a resumed ledger keeps its own).
    #[arg(long, value_enum, default_value_t = Phase::EnforceAll)]
    pub(crate) phase: Phase,
    /// The workspace root the server works in (absolute).
    #[arg(long, value_name = "DIR")]
    pub(crate) workspace: Option<String>,
    /// Your own mapping of tools' arguments to commands, paths and URLs (TOML, docs/mcp.md);
    /// the server's file tools cannot reach it.
    #[arg(long, value_name = "FILE")]
    pub(crate) mapping: Option<PathBuf>,
    /// The server's command line, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) server: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum McpCommand {
    /// Approve a tool's definition as the server last listed it (a new or changed tool is
    /// refused until then).
    Approve {
        /// The gateway's state folder.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// The tool's name.
        tool: String,
        /// The pin of the definition reviewed in `DIR/listed.json`: refused if the tool has
        /// changed since.
        #[arg(long, value_name = "HEX")]
        pin: Option<String>,
        /// Print JSON (`hostguard.mcp_approve.v1`).
        #[arg(long)]
        json: bool,
    },
    /// What a gateway's state folder says: each listed tool's standing, the kill switch, the
    /// ledger's verification.
    Status {
        /// The gateway's state folder.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// Print JSON (`hostguard.mcp_status.v1`).
        #[arg(long)]
        json: bool,
    },
    /// Engage (or, with --lift, lift) the kill switch of the gateway: a running one refuses
    /// every later call within a second.
    Kill {
        /// The gateway's state folder.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// Why (the incident reference).
        #[arg(long, value_name = "REASON")]
        reason: String,
        /// Lift it instead.
        #[arg(long)]
        lift: bool,
        /// Print JSON (`hostguard.mcp_kill.v1`).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Every rule: id, severity, ATT&CK technique ids, title.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What one rule matches, why, and its examples; exit 2 for an unknown id.
    Explain {
        /// The rule id (`persistence.ssh_authorized_keys`).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Which rules a command line (or, with --call, a hostcall of any method) fires, on which
    /// part of its parse; exit 1 when a rule fires, 0 when none does.
    Test {
        /// The command line, as one argument (quote it).
        #[arg(required_unless_present = "call", conflicts_with = "call")]
        command: Option<String>,
        /// A hostcall as JSON: `{"method":"fs","params":{"op":"write","path":…}}`.
        #[arg(long, value_name = "JSON")]
        call: Option<String>,
        /// The workspace root extensions run in (absolute; relative paths are in it).
        #[arg(long, value_name = "DIR")]
        workspace: Option<String>,
        /// What the extension did before: `secret` (read one), `download` (fetched a file);
        /// repeatable.
        #[arg(long, value_name = "WHAT")]
        after: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a key pair: the private key in FILE (mode 0600) and the verifier key in
    /// FILE.pub; refuses to overwrite either.
    Generate {
        /// The private key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The key name (no spaces or `+`); checkpoints signed with the key default to it as
        /// their origin.
        #[arg(long, value_name = "NAME", default_value = DEFAULT_KEY_NAME)]
        name: String,
        /// Print JSON (`hostguard.key_generate.v1`: the files and the verifier key).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Verify the hash chain and, with --checkpoint and --pubkey, that the ledger is consistent
    /// with a signed checkpoint (docs/ledger-format.md §8.4); exit 1 and list every error when
    /// it does not verify.
    Verify {
        /// A `hostguard.runtime_risk_ledger.v1` JSON file (e.g. `OUT/ledger.json`), or a durable
        /// ledger file (JSONL, e.g. `run --ledger-file`).
        file: PathBuf,
        /// A signed checkpoint (`hostguard ledger checkpoint`).
        #[arg(long, value_name = "FILE", requires = "pubkey")]
        checkpoint: Option<PathBuf>,
        /// The verifier key the checkpoint must be signed by (`KEY.pub`).
        #[arg(long, value_name = "FILE", requires = "checkpoint")]
        pubkey: Option<PathBuf>,
        /// The expected origin (default: the verifier key's name).
        #[arg(long, value_name = "ORIGIN", requires = "checkpoint")]
        origin: Option<String>,
        /// Print the verification report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of the ledger's head (origin, entry count, head hash); refuses a
    /// ledger that does not verify (exit 1).
    Checkpoint {
        /// A `hostguard.runtime_risk_ledger.v1` JSON file, or a durable ledger file (JSONL).
        file: PathBuf,
        /// The private key (`hostguard key generate`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The origin line (default: the key's name).
        #[arg(long, value_name = "ORIGIN")]
        origin: Option<String>,
        /// Where to write the signed checkpoint (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print JSON (`hostguard.ledger_checkpoint.v1`; the note included without --out).
        #[arg(long)]
        json: bool,
    },
    /// Re-derive every decision (runbook Procedure 6, step 7); refuses a ledger that does not
    /// verify (exit 1).
    Replay {
        /// A `hostguard.runtime_risk_ledger.v1` JSON file, or a durable ledger file (JSONL).
        file: PathBuf,
        /// Print the replay artifact as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum BundleCommand {
    /// Build a bundle from a `hostguard run` output folder; verifies it and prints its summary.
    Build {
        /// The folder `hostguard run` wrote.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Keep records at or after this time (ms).
        #[arg(long, value_name = "MS")]
        start_ms: Option<u64>,
        /// Keep records at or before this time (ms).
        #[arg(long, value_name = "MS")]
        end_ms: Option<u64>,
        /// Scope to one extension (other extensions' ledger entries are elided, not dropped).
        #[arg(long, value_name = "ID")]
        extension: Option<String>,
        /// Keep alerts of these categories (repeatable): policy-denial, anomaly-denial,
        /// exec-mediation, secret-broker, quota-breach, quarantine, profile-transition,
        /// ledger-integrity, tool-integrity (the artifacts' snake_case spellings are accepted
        /// too).
        #[arg(long = "category", value_name = "CATEGORY", value_parser = parse_category)]
        categories: Vec<SecurityAlertCategory>,
        /// Keep alerts at or above this severity: info, warning, error, critical.
        #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
        min_severity: Option<SecurityAlertSeverity>,
        /// external: every hash redacted, remediation kept; internal: nothing redacted.
        #[arg(long, value_enum, default_value_t = RedactArg::External)]
        redact: RedactArg,
        /// Where to write the bundle (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A signed checkpoint of the folder's ledger to embed (`hostguard ledger checkpoint`,
        /// or `run --checkpoint-key`'s `FILE.checkpoint`); the span then runs to the entry it
        /// pins, and `bundle verify --pubkey` checks it. Exit 1 if it does not cover the span.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Print JSON (`hostguard.bundle_build.v1`: the bundle's summary and its verification).
        #[arg(long)]
        json: bool,
    },
    /// Verify a bundle: embedded ledger chain, summary, filter, redaction and hash; exit 1 if
    /// it does not verify. A DSSE envelope is unwrapped first (statement and subject digest);
    /// its signature is checked only with --pubkey.
    Verify {
        /// A bundle JSON file, or a DSSE envelope of one.
        file: PathBuf,
        /// Verifier keys (`KEY.pub`, repeatable): an envelope's signature and the bundle's
        /// embedded checkpoint must each be signed by one of them; a bundle with neither fails.
        #[arg(long, value_name = "FILE")]
        pubkey: Vec<PathBuf>,
        /// Print the verification report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a bundle as a DSSE envelope carrying an in-toto statement, signed with --key
    /// (docs/evidence-format.md §5.1); refuses a bundle that does not verify (exit 1).
    Export {
        /// A bundle JSON file.
        file: PathBuf,
        /// Export as a DSSE envelope (the one format).
        #[arg(long, required = true)]
        dsse: bool,
        /// The private key to sign with (`hostguard key generate`); without it the envelope
        /// is unsigned.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Where to write the envelope (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print JSON (`hostguard.bundle_export.v1`; the envelope included without --out).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    Ocsf,
    Jsonl,
}

impl From<ExportFormat> for hostguard_cli::export_cmd::Format {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Ocsf => Self::Ocsf,
            ExportFormat::Jsonl => Self::Jsonl,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum RedactArg {
    External,
    Internal,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Profile {
    Safe,
    Standard,
    Permissive,
}

impl From<Profile> for PolicyProfile {
    fn from(p: Profile) -> PolicyProfile {
        match p {
            Profile::Safe => PolicyProfile::Safe,
            Profile::Standard => PolicyProfile::Standard,
            Profile::Permissive => PolicyProfile::Permissive,
        }
    }
}

/// The rollout phase: kebab-case like every value on the command line; the snake_case
/// spellings artifacts use (`log_only`) are accepted too.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Phase {
    Shadow,
    #[value(alias = "log_only")]
    LogOnly,
    #[value(alias = "enforce_new")]
    EnforceNew,
    #[value(alias = "enforce_all")]
    EnforceAll,
}

impl From<Phase> for RolloutPhase {
    fn from(p: Phase) -> RolloutPhase {
        match p {
            Phase::Shadow => RolloutPhase::Shadow,
            Phase::LogOnly => RolloutPhase::LogOnly,
            Phase::EnforceNew => RolloutPhase::EnforceNew,
            Phase::EnforceAll => RolloutPhase::EnforceAll,
        }
    }
}

/// How to build the gate for `run`.
#[derive(Debug, Clone, Args)]
pub(crate) struct GateFlags {
    /// A risk config file (TOML or JSON); the risk controller is enabled unless a source says
    /// otherwise.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The policy profile.
    #[arg(long, value_enum, default_value_t = Profile::Standard)]
    pub(crate) profile: Profile,
    /// The starting rollout phase (operator lines in the stream may change it).
    #[arg(long, value_enum, default_value_t = Phase::Shadow)]
    pub(crate) phase: Phase,
    /// The workspace root extensions run in (absolute): writes inside it are ordinary work,
    /// relative paths are in it.
    #[arg(long, value_name = "DIR")]
    pub(crate) workspace: Option<String>,
    #[command(flatten)]
    pub(crate) risk: RiskFlags,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EventsCommand {
    /// Parse every line; exit 2 at the first bad one (file, line, column, what was expected).
    Check {
        /// A JSONL stream.
        file: PathBuf,
        /// Print JSON (`hostguard.events_check.v1`; a bad line prints the
        /// `hostguard.cli_error.v1` document).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
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
pub(crate) struct RiskFlags {
    /// Risk controller on or off (true|false).
    #[arg(long, value_name = "BOOL")]
    pub(crate) enabled: Option<String>,
    /// Not a setting: the rollout phase (`--phase`) decides enforcement. Kept so that a
    /// command line that tries is refused with that reason instead of "unknown argument".
    #[arg(long, value_name = "BOOL", hide = true)]
    pub(crate) enforce: Option<String>,
    /// Type-I error budget of the sequential test, [1e-6, 0.5] (smaller: fewer false alarms,
    /// less sensitive).
    #[arg(long, value_name = "P")]
    pub(crate) alpha: Option<String>,
    /// Calls of memory, [8, 4096].
    #[arg(long, value_name = "N")]
    pub(crate) window_size: Option<String>,
    /// Ledger entries kept in memory, [32, 1000000].
    #[arg(long, value_name = "N")]
    pub(crate) ledger_limit: Option<String>,
    /// Decision budget in milliseconds, [1, 2000].
    #[arg(long, value_name = "MS")]
    pub(crate) decision_timeout_ms: Option<String>,
    /// Deny when the model cannot decide in time (true|false).
    #[arg(long, value_name = "BOOL")]
    pub(crate) fail_closed: Option<String>,
    /// Score bands: safe|balanced|permissive (default: follow the policy profile).
    #[arg(long, value_name = "BANDS")]
    pub(crate) band_profile: Option<String>,
    /// Calls below the band before de-escalating one level.
    #[arg(long, value_name = "N")]
    pub(crate) cooldown_calls: Option<String>,
    /// Margin below the entry threshold that counts as calm.
    #[arg(long, value_name = "M")]
    pub(crate) de_escalation_margin: Option<String>,
}

impl RiskFlags {
    pub(crate) fn overrides(&self) -> CliOverrides {
        CliOverrides {
            enabled: self.enabled.clone(),
            enforce: self.enforce.clone(),
            alpha: self.alpha.clone(),
            window_size: self.window_size.clone(),
            ledger_limit: self.ledger_limit.clone(),
            decision_timeout_ms: self.decision_timeout_ms.clone(),
            fail_closed: self.fail_closed.clone(),
            band_profile: self.band_profile.clone(),
            cooldown_calls: self.cooldown_calls.clone(),
            de_escalation_margin: self.de_escalation_margin.clone(),
        }
    }
}
