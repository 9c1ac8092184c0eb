//! `hostguard bundle export --dsse [--key K]` and the envelope half of `hostguard bundle verify`
//! (`docs/evidence-format.md` §5.1): a bundle wrapped in a DSSE envelope, signed with a note key;
//! an envelope verified (statement, subject digest, bundle) and, with `--pubkey`, its signature.
//!
//! A bare bundle goes to `bundle_cmd::verify` unchanged; this file only adds the envelope path.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hostguard_manager::{
    verify_incident_evidence_bundle, verify_incident_evidence_bundle_json, DsseEnvelope,
    DsseSignatureErrorCode, IncidentBundleVerificationReport, IncidentEvidenceBundle, VerifierKey,
};
use serde::{Deserialize, Serialize};

use crate::bundle_cmd::render_summary;
use crate::error::{write_file, CliError, CliResult, ExitKind};
use crate::key_cmd::{read_signer_key, read_verifier_key, same_file};
use crate::ledger_cmd::to_json_pretty;

/// The code of an envelope whose statement cannot be unwrapped (`DsseEnvelope::bundle`).
pub const ENVELOPE_INVALID: &str = "envelope_invalid";

/// What `bundle export` was asked.
#[derive(Debug, Clone)]
pub struct ExportArgs {
    /// The bundle file.
    pub bundle: PathBuf,
    /// The private key to sign with (none: an unsigned envelope).
    pub key: Option<PathBuf>,
    /// Where to write the envelope (default: standard output).
    pub out: Option<PathBuf>,
    /// Print `hostguard.bundle_export.v1` (the envelope included when there is no `out`).
    pub json: bool,
}

/// What `bundle export --json` prints (docs/cli-json.md).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExportReport {
    /// `hostguard.bundle_export.v1`.
    pub schema: &'static str,
    /// The envelope file written; absent when the envelope is in `envelope`.
    pub out: Option<String>,
    /// The signing key, `<name>+<hex id>`; absent for an unsigned envelope.
    pub signed_by: Option<String>,
    /// The DSSE envelope, when not written to `out`.
    pub envelope: Option<serde_json::Value>,
}

/// The signature part of an envelope's verification.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureVerdict {
    /// Whether a key was given to check the signature with (`--pubkey`).
    pub checked: bool,
    /// Whether the key's signature holds (`None` when not checked).
    pub valid: Option<bool>,
    /// The key, `<name>+<hex id>`.
    pub keyid: Option<String>,
    /// Why not (`dsse_*`).
    pub code: Option<DsseSignatureErrorCode>,
    /// The error message, or why nothing was checked.
    pub message: Option<String>,
}

/// The statement part: could the bundle be unwrapped (`DsseEnvelope::bundle`)?
#[derive(Debug, Clone, Serialize)]
pub struct StatementVerdict {
    /// The payload holds exactly an incident-evidence statement whose subject digest is the
    /// bundle's hash.
    pub valid: bool,
    /// [`ENVELOPE_INVALID`] when not.
    pub code: Option<&'static str>,
    /// Why not.
    pub message: Option<String>,
}

/// `bundle verify --json` of an envelope.
#[derive(Debug, Clone, Serialize)]
pub struct EnvelopeReport {
    /// Always true: the file was an envelope.
    pub envelope: bool,
    /// `payloadType`.
    pub payload_type: String,
    /// The keyids of every signature, as written (unauthenticated hints).
    pub signature_keyids: Vec<String>,
    /// The signature check.
    pub signature: SignatureVerdict,
    /// The statement check.
    pub statement: StatementVerdict,
    /// The unwrapped bundle's verification.
    pub bundle: Option<IncidentBundleVerificationReport>,
    /// With `--pubkey`: the bundle's embedded checkpoint, checked by the same keys (`present:
    /// false` when it carries none, which an envelope signature makes acceptable).
    pub checkpoint: Option<crate::bundle_sig::BundleCheckpointVerdict>,
}

/// `hostguard bundle export BUNDLE --dsse [--key K] [--out FILE]`: refuses (exit 1) a bundle
/// that does not verify.
pub fn export(args: &ExportArgs) -> CliResult {
    let inputs = [Some(&args.bundle), args.key.as_ref()];
    if let Some(out) = &args.out {
        if inputs
            .into_iter()
            .flatten()
            .any(|input| same_file(out, input))
        {
            return Err(CliError::input(format!(
                "--out `{}` is an input: expected a new file",
                out.display()
            )));
        }
    }
    let bytes = std::fs::read(&args.bundle).map_err(|e| CliError::io("read", &args.bundle, &e))?;
    let bundle = IncidentEvidenceBundle::from_json_slice(&bytes).map_err(|e| {
        CliError::input(format!(
            "`{}`: expected an incident evidence bundle: {e}",
            args.bundle.display()
        ))
    })?;
    let report = verify_incident_evidence_bundle_json(&bytes);
    if !report.valid {
        let codes: Vec<&str> = report.errors.iter().map(|e| e.code.as_str()).collect();
        return Err(CliError::finding(format!(
            "bundle `{}` does not verify ({}): refusing to export it (`hostguard bundle verify` lists every error)",
            args.bundle.display(),
            codes.join(", ")
        )));
    }
    let mut envelope = bundle.to_dsse_envelope().map_err(envelope_error)?;
    let signer = match &args.key {
        Some(file) => {
            let key = read_signer_key(file)?;
            envelope.sign(&key).map_err(envelope_error)?;
            Some(key.keyid())
        }
        None => None,
    };
    let mut json = envelope.to_json().map_err(envelope_error)?;
    json.push('\n');
    if args.json {
        return export_report(args, signer, &json);
    }
    match &args.out {
        Some(out) => {
            write_file(out, json.as_bytes())?;
            let how = signer.map_or_else(
                || "unsigned (no --key)".to_owned(),
                |k| format!("signed by `{k}`"),
            );
            crate::outln!("wrote DSSE envelope `{}`: {how}", out.display())?;
        }
        None => crate::out!("{json}")?,
    }
    Ok(ExitKind::Ok)
}

/// `bundle export --json`: writes the envelope to `out` (if any) and prints the report.
fn export_report(args: &ExportArgs, signer: Option<String>, json: &str) -> CliResult {
    let envelope = match &args.out {
        Some(out) => {
            write_file(out, json.as_bytes())?;
            None
        }
        None => Some(
            serde_json::from_str(json)
                .map_err(|e| CliError::finding(format!("cannot render the envelope: {e}")))?,
        ),
    };
    let report = ExportReport {
        schema: "hostguard.bundle_export.v1",
        out: args.out.as_ref().map(|p| p.display().to_string()),
        signed_by: signer,
        envelope,
    };
    crate::outln!("{}", to_json_pretty(&report)?)?;
    Ok(ExitKind::Ok)
}

/// `hostguard bundle verify FILE [--pubkey P]... [--json]`: an envelope is verified here (its
/// signature by one of the keys, then the bundle and its embedded checkpoint), a bare bundle by
/// `bundle_cmd::verify` (whose only signature is the embedded checkpoint).
pub fn verify(file: &Path, pubkeys: &[PathBuf], json: bool) -> CliResult {
    let bytes = std::fs::read(file).map_err(|e| CliError::io("read", file, &e))?;
    let keys = pubkeys
        .iter()
        .map(|p| read_verifier_key(p))
        .collect::<CliResult<Vec<VerifierKey>>>()?;
    if !is_envelope(&bytes) {
        return crate::bundle_cmd::verify(file, &keys, json);
    }
    let envelope = DsseEnvelope::from_json_slice(&bytes).map_err(|e| match e {
        // More than an envelope: it does not verify, like any other verifier's input.
        hostguard_manager::EvidenceError::NonCanonicalContent { message } => {
            CliError::finding(format!(
                "`{}` does not verify: non_canonical_content: {message}",
                file.display()
            ))
        }
        e => CliError::input(format!(
            "`{}`: expected a DSSE envelope: {e}",
            file.display()
        )),
    })?;
    let (report, bundle) = envelope_report(&envelope, &keys);
    if json {
        crate::outln!("{}", to_json_pretty(&report)?)?;
    } else {
        crate::out!("{}", render(file, &report, bundle.as_ref()))?;
    }
    let ok = report.signature.valid != Some(false)
        && report.statement.valid
        && report.bundle.as_ref().is_some_and(|b| b.valid)
        && report
            .checkpoint
            .as_ref()
            .is_none_or(|c| c.valid || !c.present);
    Ok(if ok { ExitKind::Ok } else { ExitKind::Finding })
}

/// The envelope's signature by one of `keys`: the first that verifies, else the first's error.
fn signature_verdict(envelope: &DsseEnvelope, keys: &[VerifierKey]) -> SignatureVerdict {
    // Each key checked once: the first that verifies, else the first key's error.
    let mut first_failure = None;
    for key in keys {
        match envelope.verify_signature(key) {
            Ok(()) => return checked(key, Ok(())),
            Err(e) => {
                first_failure.get_or_insert((key, e));
            }
        }
    }
    match first_failure {
        Some((key, e)) => checked(key, Err(e)),
        None => SignatureVerdict {
            checked: false,
            valid: None,
            keyid: None,
            code: None,
            message: Some(
                "not checked: no --pubkey was given, so nothing shows who signed this envelope"
                    .to_owned(),
            ),
        },
    }
}

fn checked(
    key: &VerifierKey,
    outcome: Result<(), hostguard_manager::DsseSignatureError>,
) -> SignatureVerdict {
    SignatureVerdict {
        checked: true,
        valid: Some(outcome.is_ok()),
        keyid: Some(key.keyid()),
        code: outcome.as_ref().err().map(|e| e.code()),
        message: outcome.err().map(|e| e.to_string()),
    }
}

fn envelope_report(
    envelope: &DsseEnvelope,
    keys: &[VerifierKey],
) -> (EnvelopeReport, Option<IncidentEvidenceBundle>) {
    let signature = signature_verdict(envelope, keys);
    let (statement, bundle) = match envelope.bundle() {
        Ok(bundle) => (
            StatementVerdict {
                valid: true,
                code: None,
                message: None,
            },
            Some(bundle),
        ),
        Err(e) => (
            StatementVerdict {
                valid: false,
                code: Some(ENVELOPE_INVALID),
                message: Some(e.to_string()),
            },
            None,
        ),
    };
    let report = EnvelopeReport {
        envelope: true,
        payload_type: envelope.payload_type.clone(),
        signature_keyids: envelope
            .signatures
            .iter()
            .map(|s| s.keyid.clone())
            .collect(),
        signature,
        statement,
        bundle: bundle.as_ref().map(verify_incident_evidence_bundle),
        checkpoint: bundle
            .as_ref()
            .filter(|_| !keys.is_empty())
            .map(|b| crate::bundle_sig::check(b, keys)),
    };
    (report, bundle)
}

fn render(file: &Path, report: &EnvelopeReport, bundle: Option<&IncidentEvidenceBundle>) -> String {
    let mut out = String::new();
    let keyids: Vec<String> = report
        .signature_keyids
        .iter()
        .map(|k| format!("`{k}`"))
        .collect();
    let _ = writeln!(
        out,
        "envelope `{}`: payloadType `{}`, {} signature(s) {}",
        file.display(),
        report.payload_type,
        keyids.len(),
        if keyids.is_empty() {
            String::new()
        } else {
            format!("(keyids, unverified hints: {})", keyids.join(", "))
        }
    );
    let s = &report.signature;
    let _ = match (s.valid, &s.code) {
        (Some(true), _) => writeln!(
            out,
            "signature: valid, by `{}`",
            s.keyid.as_deref().unwrap_or_default()
        ),
        (Some(false), Some(code)) => writeln!(
            out,
            "signature: INVALID: {code}: {}",
            s.message.as_deref().unwrap_or_default()
        ),
        _ => writeln!(
            out,
            "signature: NOT CHECKED (no --pubkey): this envelope is not shown to be signed by anyone"
        ),
    };
    match (bundle, &report.bundle) {
        (Some(bundle), Some(r)) => {
            let _ = writeln!(
                out,
                "statement: subject sha256 equals the bundle hash {}",
                bundle.bundle_hash
            );
            out.push_str(&render_summary(bundle, r));
            if let Some(c) = &report.checkpoint {
                out.push_str(&crate::bundle_sig::render(c));
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "statement: INVALID: {ENVELOPE_INVALID}: {}",
                report.statement.message.as_deref().unwrap_or_default()
            );
        }
    }
    out
}

/// Whether the JSON's top-level object has a `payloadType` member (a DSSE envelope); a file
/// that is not JSON at all is left to the bundle path, which reports where it fails.
fn is_envelope(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "payloadType")]
        payload_type: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.payload_type.is_some())
}

fn envelope_error(e: hostguard_manager::EvidenceError) -> CliError {
    CliError::finding(format!("cannot build the envelope: {e}"))
}
