//! `hostguard key generate` and the key files every signing command reads
//! (`docs/ledger-format.md` §8.2): the private key text in `K` (mode 0600), the verifier key
//! text in `K.pub`, each followed by one newline.
//!
//! The edge of the system: the only place that draws key randomness from the operating system
//! and touches key files. Secret text is held in zeroizing buffers and never printed.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use hostguard_manager::{NoteName, SignerKey, VerifierKey};
use rand_core::{OsRng, RngCore as _};
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult, ExitKind};

/// The key name `key generate` uses without `--name`.
pub const DEFAULT_KEY_NAME: &str = "hostguard";

/// A key file larger than this is not a key (a private key text is about 100 bytes).
const KEY_FILE_MAX_BYTES: usize = 4096;

/// `hostguard key generate --out K [--name NAME]`: writes the private key to `K` (created with
/// mode 0600) and the verifier key to `K.pub`; refuses to overwrite either.
pub fn generate(out: &Path, name: &str, json: bool) -> CliResult {
    let name = NoteName::new(name).map_err(|e| CliError::input(format!("--name: {e}")))?;
    let public_path = public_key_path(out);
    for path in [out, public_path.as_path()] {
        if path.symlink_metadata().is_ok() {
            return Err(CliError::input(format!(
                "`{}` exists: refusing to overwrite it (expected a new file; a key is never replaced in place)",
                path.display()
            )));
        }
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng.try_fill_bytes(seed.as_mut_slice()).map_err(|e| {
        CliError::input(format!(
            "cannot draw randomness from the operating system: {e}"
        ))
    })?;
    let key = SignerKey::from_seed(name, &seed);
    let secret = key.to_text();
    write_new(out, &[secret.expose_secret().as_bytes(), b"\n"], 0o600)?;
    let verifier = key.verifier();
    let public = format!("{verifier}\n");
    if let Err(e) = write_new(&public_path, &[public.as_bytes()], 0o644) {
        // Leave no half-made pair behind.
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    if json {
        let report = KeyGenerateReport {
            schema: "hostguard.key_generate.v1",
            private_key_file: out.display().to_string(),
            verifier_key_file: public_path.display().to_string(),
            verifier_key: verifier.to_string(),
        };
        crate::outln!("{}", crate::ledger_cmd::to_json_pretty(&report)?)?;
        return Ok(ExitKind::Ok);
    }
    crate::outln!(
        "wrote private key `{}` (mode 0600; keep it off the machine whose ledger it signs) and verifier key `{}`:\n{verifier}",
        out.display(),
        public_path.display()
    )?;
    Ok(ExitKind::Ok)
}

/// What `key generate --json` prints (docs/cli-json.md).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyGenerateReport {
    /// `hostguard.key_generate.v1`.
    pub schema: &'static str,
    /// The private key file (mode 0600).
    pub private_key_file: String,
    /// The verifier key file.
    pub verifier_key_file: String,
    /// The verifier key line (`<name>+<hex id>+<base64 key>`).
    pub verifier_key: String,
}

/// `K.pub` for `K`.
pub fn public_key_path(key: &Path) -> PathBuf {
    let mut name = OsString::from(key.as_os_str());
    name.push(".pub");
    PathBuf::from(name)
}

/// Reads a private key file (bad input, exit 2, when it is not one; the message never quotes
/// the file).
pub fn read_signer_key(file: &Path) -> CliResult<SignerKey> {
    let text = read_key_file(file)?;
    SignerKey::parse(strip_newline(&text)).map_err(|e| {
        CliError::input(format!(
            "`{}`: expected a private key (`hostguard key generate`): {e}",
            file.display()
        ))
    })
}

/// Reads a verifier key file (`K.pub`); bad input (exit 2) when it is not one.
pub fn read_verifier_key(file: &Path) -> CliResult<VerifierKey> {
    let text = read_key_file(file)?;
    VerifierKey::parse(strip_newline(&text)).map_err(|e| {
        CliError::input(format!(
            "`{}`: expected a verifier key `<name>+<hex id>+<base64 key>`: {e}",
            file.display()
        ))
    })
}

/// Whether `a` and `b` name the same existing file (an output must not replace an input).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Creates `path` (never over an existing file) with `mode` on Unix and writes `parts`.
fn write_new(path: &Path, parts: &[&[u8]], mode: u32) -> CliResult<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|e| CliError::io("create", path, &e))?;
    // The umask may only narrow the mode; set it exactly anyway.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| CliError::io("set the mode of", path, &e))?;
    }
    parts
        .iter()
        .try_for_each(|part| file.write_all(part))
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::io("write", path, &e))
}

/// The whole file, as UTF-8, in a zeroizing buffer; at most [`KEY_FILE_MAX_BYTES`].
fn read_key_file(file: &Path) -> CliResult<Zeroizing<String>> {
    let handle = std::fs::File::open(file).map_err(|e| CliError::io("read", file, &e))?;
    // Room for the largest accepted file, so that reading never reallocates (a reallocation
    // would free a copy of the secret without zeroizing it).
    let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_FILE_MAX_BYTES + 1));
    handle
        .take(KEY_FILE_MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::io("read", file, &e))?;
    if bytes.len() > KEY_FILE_MAX_BYTES {
        return Err(CliError::input(format!(
            "`{}` is larger than {KEY_FILE_MAX_BYTES} bytes: expected a key file",
            file.display()
        )));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::input(format!(
            "`{}`: expected a key file (UTF-8 text)",
            file.display()
        ))
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// The key text without the one newline the key files end with.
fn strip_newline(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}
