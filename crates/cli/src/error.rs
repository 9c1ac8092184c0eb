//! The CLI's error type and its exit codes (docs/design.md §8): 0 ok, 1 verification failed or a
//! finding, 2 bad input or usage.
//!
//! Every error is one line for a person: bad input names the file, the line, the column and what
//! was expected (`events.jsonl:3:17: expected ...`), never a backtrace.

use std::fmt;
use std::path::Path;

use hostguard_manager::MalformedJson;

/// The schema of [`CliError::json_document`].
pub const CLI_ERROR_SCHEMA: &str = "hostguard.cli_error.v1";

/// How a command ended, as a process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 0: everything checked out.
    Ok,
    /// 1: a verification failed or the command reports a finding.
    Finding,
    /// 2: bad input or usage.
    BadInput,
}

impl ExitKind {
    /// Every exit kind, in code order (the man page's EXIT STATUS section lists them).
    pub const ALL: [ExitKind; 3] = [ExitKind::Ok, ExitKind::Finding, ExitKind::BadInput];

    /// What the exit code tells a caller, in a few words.
    pub const fn meaning(self) -> &'static str {
        match self {
            ExitKind::Ok => "everything checked out",
            ExitKind::Finding => "a verification failed or the command reports a finding",
            ExitKind::BadInput => {
                "bad input or usage: one line on standard error names the file, line, column and what was expected"
            }
        }
    }

    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            ExitKind::Ok => 0,
            ExitKind::Finding => 1,
            ExitKind::BadInput => 2,
        }
    }
}

/// A command's failure: its exit kind and one human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The exit code it maps to.
    pub kind: ExitKind,
    /// One line (the bad-input location and expectation, or what failed).
    pub message: String,
}

impl CliError {
    /// Bad input or usage (exit 2).
    pub fn input(message: impl Into<String>) -> CliError {
        CliError {
            kind: ExitKind::BadInput,
            message: message.into(),
        }
    }

    /// A verification failure or finding (exit 1).
    pub fn finding(message: impl Into<String>) -> CliError {
        CliError {
            kind: ExitKind::Finding,
            message: message.into(),
        }
    }

    /// The failure as one JSON document (`hostguard.cli_error.v1`), for a command run with
    /// `--json`: what it prints on stdout instead of nothing, so that a pipeline that saves
    /// the report (`ledger verify --json > report.json`) keeps why there is none.
    pub fn json_document(&self) -> String {
        serde_json::json!({
            "schema": CLI_ERROR_SCHEMA,
            "valid": false,
            "exit_code": self.kind.code(),
            "error": self.message,
        })
        .to_string()
    }

    /// The JSON Schema of [`CliError::json_document`]. Written by hand because the document is
    /// built by hand (`serde_json::json!`): the same four members, with their constant values.
    #[cfg(feature = "schema")]
    pub fn json_document_schema() -> schemars::Schema {
        schemars::json_schema!({
            "description": "What a command run with `--json` prints on stdout instead of its report when it fails (exit 1 or 2): why there is no report.",
            "type": "object",
            "additionalProperties": false,
            "required": ["schema", "valid", "exit_code", "error"],
            "properties": {
                "schema": { "const": CLI_ERROR_SCHEMA },
                "valid": { "const": false },
                "exit_code": {
                    "enum": [ExitKind::Finding.code(), ExitKind::BadInput.code()],
                    "description": "1: a verification failed or a finding; 2: bad input or usage"
                },
                "error": { "type": "string", "description": "the message the command prints on stderr" }
            }
        })
    }

    /// Bad input at a place in a file.
    pub fn at(file: &Path, line: usize, column: usize, message: impl fmt::Display) -> CliError {
        CliError::input(format!("{}:{line}:{column}: {message}", file.display()))
    }

    /// The output folder `dir` cannot be created (it names an existing file, or the OS
    /// refused).
    pub fn out_dir(dir: &Path, err: &std::io::Error) -> CliError {
        if dir.exists() && !dir.is_dir() {
            CliError::input(format!(
                "cannot use `{}` as the output folder: it is a file, expected a folder (existing or new)",
                dir.display()
            ))
        } else {
            CliError::io("create the output folder", dir, err)
        }
    }

    /// A file that cannot be read or written.
    pub fn io(action: &str, file: &Path, err: &std::io::Error) -> CliError {
        CliError::input(format!(
            "cannot {action} `{}`: {}",
            file.display(),
            io_reason(err)
        ))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The result of a command: the exit kind on success (`Ok` or `Finding` for reports that print
/// their own findings), a [`CliError`] otherwise.
pub type CliResult<T = ExitKind> = Result<T, CliError>;

/// A serde_json error's message without its trailing ` at line L column C` (the caller prints
/// the location itself, in `file:line:column` form).
pub fn json_reason(err: &serde_json::Error) -> String {
    without_position(&err.to_string()).to_owned()
}

/// A JSON parser's message without its trailing ` at line L column C`.
fn without_position(text: &str) -> &str {
    text.rfind(" at line ")
        .and_then(|at| text.get(..at))
        .unwrap_or(text)
}

/// Bad input: `file` is not JSON of `what` (exit 2), at the parser's line and column.
pub fn malformed_json(file: &Path, json: &MalformedJson, what: &str) -> CliError {
    CliError::at(
        file,
        json.line.max(1),
        json.column.max(1),
        format!("expected {what}: {}", without_position(&json.message)),
    )
}

/// Reads the bytes of `file`; a file that cannot be read is bad input.
pub fn read_bytes(file: &Path) -> CliResult<Vec<u8>> {
    std::fs::read(file).map_err(|e| CliError::io("read", file, &e))
}

/// Reads a whole JSON document from `file` as `T`; a parse error names file, line, column and
/// `what` was expected.
pub fn read_json_file<T: serde::de::DeserializeOwned>(file: &Path, what: &str) -> CliResult<T> {
    let bytes = read_bytes(file)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::at(
            file,
            e.line().max(1),
            e.column().max(1),
            format!("expected {what}: {}", json_reason(&e)),
        )
    })
}

/// Writes to standard output (what [`out!`](crate::out) and [`outln!`](crate::outln) expand
/// to). A reader that went away — `hostguard ledger replay L | head -1` — is not an error: the
/// rest of the output is dropped and the command keeps its exit code (`print!` would panic with
/// "failed printing to stdout: Broken pipe"). Any other write failure is an error.
pub fn write_stdout(args: fmt::Arguments<'_>) -> CliResult<()> {
    use std::io::Write as _;
    STDOUT_WRITTEN.store(true, std::sync::atomic::Ordering::Relaxed);
    match std::io::stdout().lock().write_fmt(args) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::input(format!(
            "cannot write to standard output: {}",
            io_reason(&e)
        ))),
        _ => Ok(()),
    }
}

/// Set once the command wrote anything to standard output: a `--json` command that already
/// printed its report and then fails must not print a second document (the error document),
/// so that standard output stays exactly one JSON document.
static STDOUT_WRITTEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the command wrote to standard output ([`write_stdout`]).
pub fn stdout_written() -> bool {
    STDOUT_WRITTEN.load(std::sync::atomic::Ordering::Relaxed)
}

/// `print!` that returns a [`CliResult`] instead of panicking on a closed pipe.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::error::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` that returns a [`CliResult`] instead of panicking on a closed pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::error::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes `contents` to `file`, a path the user named (`--out FILE`). A path that leads to a
/// device or a pipe (`/dev/stdout`, symlinks followed) is written in place; anything else
/// through a side file renamed over it ([`replace_with`]): a reader never sees half a file.
pub fn write_file(file: &Path, contents: &[u8]) -> CliResult<()> {
    if file.metadata().is_ok_and(|m| !m.is_file()) {
        return std::fs::write(file, contents).map_err(|e| CliError::io("write", file, &e));
    }
    replace_with(file, contents)
}

/// Writes an artifact into an output folder the command owns: a symlink at `file` is
/// replaced, never followed, and anything else that is not a regular file (a pipe, a device)
/// is refused — an artifact is never written outside its folder, and a run never hangs on a
/// pipe planted in it.
pub fn write_artifact(file: &Path, contents: &[u8]) -> CliResult<()> {
    if let Ok(meta) = file.symlink_metadata() {
        if !meta.is_file() && !meta.file_type().is_symlink() {
            return Err(CliError::input(format!(
                "`{}` is not a regular file: refusing to write an artifact over it",
                file.display()
            )));
        }
    }
    replace_with(file, contents)
}

/// Creates `file` anew for writing: an entry already at its name (a leftover side file of
/// ours, or a symlink planted there) is removed first and never followed.
pub fn create_fresh(file: &Path) -> CliResult<std::fs::File> {
    match std::fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(CliError::io("replace", file, &e));
        }
        _ => {}
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| CliError::io("write", file, &e))
}

/// `contents` to a fresh side file (`FILE.writing`) with the permissions of the regular file
/// it replaces (an operator's 0600 stays), renamed over `file`; the side file is removed on
/// any error.
fn replace_with(file: &Path, contents: &[u8]) -> CliResult<()> {
    use std::io::Write as _;
    let mut side = file.as_os_str().to_owned();
    side.push(".writing");
    let side = std::path::PathBuf::from(side);
    let mut out = create_fresh(&side)?;
    let kept = file
        .symlink_metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.permissions());
    let written = kept
        .map_or(Ok(()), |p| out.set_permissions(p))
        .and_then(|()| out.write_all(contents))
        .and_then(|()| out.flush());
    drop(out);
    written
        .and_then(|()| std::fs::rename(&side, file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&side);
            CliError::io("write", file, &e)
        })
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory, expected a file".to_owned(),
        _ => err.to_string(),
    }
}
