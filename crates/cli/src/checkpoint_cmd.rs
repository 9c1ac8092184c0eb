//! `hostguard ledger checkpoint` and `hostguard ledger verify --checkpoint`
//! (`docs/ledger-format.md` §8): sign a ledger's head; hold a ledger against a signed checkpoint.
//!
//! Works on the parsed ledger artifact (`ledger_cmd::read_ledger`), never on file syntax.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    check_ledger_against_checkpoint, open_checkpoint, verify_runtime_risk_ledger_artifact,
    Checkpoint, CheckpointCoverage, CheckpointError, CheckpointErrorCode, Digest, NoteName,
    RuntimeRiskLedgerVerificationReport, VerifiedCheckpoint,
};
use serde::Serialize;

use crate::error::{write_file, CliError, CliResult, ExitKind};
use crate::key_cmd::{read_signer_key, read_verifier_key, same_file};
use crate::ledger_cmd::{read_ledger, render_verification, to_json_pretty};

/// What `ledger checkpoint` was asked.
#[derive(Debug, Clone)]
pub struct CheckpointArgs {
    /// The ledger.
    pub ledger: PathBuf,
    /// The private key file.
    pub key: PathBuf,
    /// The origin line (default: the key's name).
    pub origin: Option<String>,
    /// Where to write the signed checkpoint (default: standard output).
    pub out: Option<PathBuf>,
    /// Print `hostguard.ledger_checkpoint.v1` (the note included when there is no `out`).
    pub json: bool,
}

/// What `ledger checkpoint --json` prints (docs/cli-json.md).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckpointReport {
    /// `hostguard.ledger_checkpoint.v1`.
    pub schema: &'static str,
    /// The file written; absent when the note went to standard output (then in `note`).
    pub out: Option<String>,
    /// The checkpoint's origin line.
    pub origin: String,
    /// Entries the checkpoint covers.
    pub entries: u64,
    /// The head hash it pins (hex).
    pub head: String,
    /// The signing key, `<name>+<hex id>`.
    pub key_id: String,
    /// The signed note (docs/ledger-format.md §8), when not written to `out`.
    pub note: Option<String>,
}

/// What `ledger verify --checkpoint` was asked.
#[derive(Debug, Clone)]
pub struct VerifyArgs {
    /// The ledger.
    pub ledger: PathBuf,
    /// The signed checkpoint.
    pub checkpoint: PathBuf,
    /// The verifier key file.
    pub pubkey: PathBuf,
    /// The expected origin (default: the verifier key's name).
    pub origin: Option<String>,
    /// Print JSON.
    pub json: bool,
}

/// The checkpoint half of `ledger verify --checkpoint --json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckpointVerdict {
    /// The checkpoint's signature holds and the ledger is consistent with it.
    pub valid: bool,
    /// Why not (`checkpoint_*`).
    pub code: Option<CheckpointErrorCode>,
    /// The error message.
    pub message: Option<String>,
    /// The signed origin (when the signature verified).
    pub origin: Option<String>,
    /// The signed size.
    pub size: Option<u64>,
    /// The signed head hash.
    pub head: Option<Digest>,
    /// The key whose signature verified.
    pub keyid: Option<String>,
    /// Entries the checkpoint pins (when consistent).
    pub covered: Option<u64>,
    /// Entries after it, pinned by no signature (when consistent).
    pub after: Option<u64>,
}

/// `ledger verify --checkpoint --json`: the ledger report and the checkpoint verdict.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub(crate) struct VerifyJson<'a> {
    /// The ledger's verification.
    pub(crate) ledger: &'a RuntimeRiskLedgerVerificationReport,
    /// The checkpoint's.
    pub(crate) checkpoint: &'a CheckpointVerdict,
}

/// `hostguard ledger checkpoint LEDGER --key K [--origin O] [--out FILE]`: refuses (exit 1) a
/// ledger that does not verify.
pub fn checkpoint(args: &CheckpointArgs) -> CliResult {
    if let Some(out) = &args.out {
        if same_file(out, &args.ledger) || same_file(out, &args.key) {
            return Err(CliError::input(format!(
                "--out `{}` is an input: expected a new file",
                out.display()
            )));
        }
    }
    let ledger = read_ledger(&args.ledger)?;
    if ledger.anchor.first_seq > 0 {
        // `ledger verify --checkpoint` could never check it (`checkpoint_head_unproven`).
        return Err(CliError::finding(format!(
            "ledger `{}` starts at seq {} (earlier entries were evicted): a checkpoint pins a \
             ledger from genesis; sign the durable ledger file (`run --ledger-file`) instead",
            args.ledger.display(),
            ledger.anchor.first_seq
        )));
    }
    let key = read_signer_key(&args.key)?;
    let origin = match &args.origin {
        Some(origin) => parse_origin(origin)?,
        None => key.name().clone(),
    };
    let checkpoint = Checkpoint::of_ledger(origin, &ledger).map_err(|e| {
        CliError::finding(format!(
            "ledger `{}`: {}: {e} (refusing to sign it; `hostguard ledger verify` lists every error)",
            args.ledger.display(),
            e.code()
        ))
    })?;
    let note = checkpoint.sign(&key);
    if args.json {
        if let Some(out) = &args.out {
            write_file(out, note.as_bytes())?;
        }
        let report = CheckpointReport {
            schema: "hostguard.ledger_checkpoint.v1",
            out: args.out.as_ref().map(|p| p.display().to_string()),
            origin: checkpoint.origin().to_string(),
            entries: checkpoint.size(),
            head: checkpoint.head().to_string(),
            key_id: key.keyid().to_string(),
            note: args.out.is_none().then_some(note),
        };
        crate::outln!("{}", to_json_pretty(&report)?)?;
        return Ok(ExitKind::Ok);
    }
    match &args.out {
        Some(out) => {
            write_file(out, note.as_bytes())?;
            crate::outln!(
                "wrote checkpoint `{}`: origin `{}`, {} entries, head {}, signed by `{}`",
                out.display(),
                checkpoint.origin(),
                checkpoint.size(),
                checkpoint.head(),
                key.keyid()
            )?;
        }
        None => crate::out!("{note}")?,
    }
    Ok(ExitKind::Ok)
}

/// `hostguard ledger verify LEDGER --checkpoint C --pubkey P [--origin O] [--json]`: the
/// ledger's own verification, then the checkpoint's (§8.4); exit 1 unless both hold.
pub fn verify(args: &VerifyArgs) -> CliResult {
    let ledger = read_ledger(&args.ledger)?;
    let verifier = read_verifier_key(&args.pubkey)?;
    let origin = match &args.origin {
        Some(origin) => parse_origin(origin)?,
        None => verifier.name().clone(),
    };
    let bytes = read_checkpoint(&args.checkpoint)?;
    let report = verify_runtime_risk_ledger_artifact(&ledger);
    let verdict = match open_checkpoint(&bytes, &verifier, &origin) {
        Ok(cp) => {
            let outcome = check_ledger_against_checkpoint(&ledger, &cp);
            CheckpointVerdict::of(Some(&cp), outcome)
        }
        Err(e) => CheckpointVerdict::of(None, Err(e)),
    };
    if args.json {
        let json = VerifyJson {
            ledger: &report,
            checkpoint: &verdict,
        };
        crate::outln!("{}", to_json_pretty(&json)?)?;
    } else {
        crate::out!(
            "{}{}",
            render_verification(&args.ledger.display().to_string(), &report),
            render_verdict(&args.checkpoint, &verdict)
        )?;
    }
    Ok(if report.valid && verdict.valid {
        ExitKind::Ok
    } else {
        ExitKind::Finding
    })
}

impl CheckpointVerdict {
    fn of(
        cp: Option<&VerifiedCheckpoint>,
        outcome: Result<CheckpointCoverage, CheckpointError>,
    ) -> CheckpointVerdict {
        let signed = cp.map(VerifiedCheckpoint::checkpoint);
        let (coverage, error) = match outcome {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e)),
        };
        CheckpointVerdict {
            valid: error.is_none(),
            code: error.as_ref().map(CheckpointError::code),
            message: error.as_ref().map(ToString::to_string),
            origin: signed.map(|c| c.origin().to_string()),
            size: signed.map(Checkpoint::size),
            head: signed.map(Checkpoint::head),
            keyid: cp.map(|c| c.keyid().to_owned()),
            covered: coverage.map(|c| c.covered),
            after: coverage.map(|c| c.after),
        }
    }
}

/// One line: the verdict, and what the checkpoint pins or why it does not hold.
pub fn render_verdict(file: &Path, v: &CheckpointVerdict) -> String {
    let mut out = String::new();
    match (&v.code, &v.message) {
        (Some(code), Some(message)) => {
            let _ = writeln!(
                out,
                "checkpoint `{}`: INVALID: {code}: {message}",
                file.display()
            );
        }
        _ => {
            let _ = write!(
                out,
                "checkpoint `{}`: valid: origin `{}`, {} entries, head {}, signed by `{}`",
                file.display(),
                v.origin.as_deref().unwrap_or_default(),
                v.size.unwrap_or_default(),
                v.head.unwrap_or_default(),
                v.keyid.as_deref().unwrap_or_default()
            );
            match v.after {
                Some(after) if after > 0 => {
                    let _ = writeln!(
                        out,
                        "; {after} later entries are not covered by it (sign a new checkpoint)"
                    );
                }
                _ => out.push('\n'),
            }
        }
    }
    out
}

fn parse_origin(origin: &str) -> CliResult<NoteName> {
    NoteName::new(origin).map_err(|e| CliError::input(format!("--origin: {e}")))
}

/// The checkpoint file's bytes, at most `CHECKPOINT_MAX_BYTES` + 1 (the parser refuses more).
pub fn read_checkpoint(file: &Path) -> CliResult<Vec<u8>> {
    let not_found = || std::io::Error::from(std::io::ErrorKind::NotFound);
    hostguard_manager::read_checkpoint_file(file)
        .and_then(|bytes| bytes.ok_or_else(not_found))
        .map_err(|e| CliError::io("read", file, &e))
}
