//! The input stream format `hostguard.hostcall_event.v1` (docs/design.md §8, `docs/event-format.md`):
//! JSONL, one hostcall or one operator action per line, read line by line in constant memory.
//!
//! Every line is checked before anything acts on it: its JSON, the type of every field, the
//! required fields of its kind, the method (the capability is derived from it exactly as the gate
//! derives it), the operator action and its arguments. A bad line is one [`CliError`] naming the
//! file, the line, the column and what was expected.

mod model;
mod parse;
#[cfg(feature = "schema")]
mod schema;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use hostguard_risk_core::Capability;

use crate::error::{CliError, CliResult};
use crate::plural::count;

pub use model::{
    Event, EventOutcome, HostcallEvent, OperatorAction, OperatorEvent, HOSTCALL_EVENT_SCHEMA,
};
pub use parse::{parse_line, value_column};
#[cfg(feature = "schema")]
pub use schema::hostcall_event_schema;

/// Reads a stream line by line. Blank lines are skipped; memory is one line at a time.
#[derive(Debug)]
pub struct EventReader<R> {
    file: PathBuf,
    reader: R,
    buf: Vec<u8>,
    line: usize,
    done: bool,
}

impl EventReader<std::io::BufReader<std::fs::File>> {
    /// Opens `file` for reading.
    pub fn open(file: &Path) -> CliResult<Self> {
        let handle = std::fs::File::open(file).map_err(|e| CliError::io("read", file, &e))?;
        // Opening a directory succeeds on Unix; reading it is what fails.
        if handle.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(CliError::input(format!(
                "cannot read `{}`: is a directory, expected a file",
                file.display()
            )));
        }
        Ok(EventReader::new(
            file,
            std::io::BufReader::with_capacity(1 << 16, handle),
        ))
    }
}

impl<R: BufRead> EventReader<R> {
    /// Reads from `reader`; `file` is the name errors report.
    pub fn new(file: &Path, reader: R) -> Self {
        EventReader {
            file: file.to_path_buf(),
            reader,
            buf: Vec::with_capacity(1024),
            line: 0,
            done: false,
        }
    }

    /// The number of the last line read (1-based; 0 before the first).
    pub const fn line(&self) -> usize {
        self.line
    }

    /// The file name errors report.
    pub fn file(&self) -> &Path {
        &self.file
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = CliResult<(usize, Event)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(CliError::input(format!(
                        "{}:{}: cannot read: {e}",
                        self.file.display(),
                        self.line + 1
                    ))));
                }
            }
            self.line += 1;
            let text = match std::str::from_utf8(&self.buf) {
                Ok(text) => text,
                Err(e) => {
                    self.done = true;
                    return Some(Err(CliError::at(
                        &self.file,
                        self.line,
                        e.valid_up_to() + 1,
                        "expected UTF-8 text",
                    )));
                }
            };
            // A UTF-8 byte-order mark (what some editors and shells write first) is not part of
            // the first line; columns still count it, as they count bytes of the file's line.
            let (text, offset) = match text.strip_prefix('\u{feff}') {
                Some(rest) if self.line == 1 => (rest, '\u{feff}'.len_utf8()),
                _ => (text, 0),
            };
            if text.trim().is_empty() {
                continue;
            }
            let text = text.trim_end_matches(['\n', '\r']);
            let parsed = parse_line(text).map_err(|(column, message)| {
                CliError::at(&self.file, self.line, column + offset, message)
            });
            if parsed.is_err() {
                self.done = true;
            }
            return Some(parsed.map(|event| (self.line, event)));
        }
        None
    }
}

/// What `hostguard events check` found in a stream that parsed (`hostguard.events_check.v1`
/// with `--json`, docs/cli-json.md); a stream that does not parse is an error (exit 2).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventsCheckReport {
    /// `hostguard.events_check.v1`.
    pub schema: &'static str,
    /// The stream.
    pub file: String,
    /// Every line parsed.
    pub valid: bool,
    /// Lines read (blank lines included).
    pub lines: usize,
    /// Hostcall lines.
    pub hostcalls: u64,
    /// Hostcalls per derived capability.
    pub by_capability: BTreeMap<&'static str, u64>,
    /// Operator lines.
    pub operator_lines: u64,
    /// Operator lines per `op`.
    pub by_op: BTreeMap<&'static str, u64>,
}

/// `hostguard events check FILE [--json]`: every line parsed, or the first bad one (exit 2).
pub fn check(file: &Path, json: bool) -> CliResult {
    let mut report = EventsCheckReport {
        schema: "hostguard.events_check.v1",
        file: file.display().to_string(),
        valid: true,
        lines: 0,
        hostcalls: 0,
        by_capability: BTreeMap::new(),
        operator_lines: 0,
        by_op: BTreeMap::new(),
    };
    let mut reader = EventReader::open(file)?;
    for item in reader.by_ref() {
        let (_, event) = item?;
        match event {
            Event::Hostcall(call) => {
                report.hostcalls += 1;
                let cap = call.derived.map_or("unknown", Capability::as_str);
                *report.by_capability.entry(cap).or_default() += 1;
            }
            Event::Operator(op) => {
                report.operator_lines += 1;
                *report.by_op.entry(op.action.op()).or_default() += 1;
            }
        }
    }
    report.lines = reader.line();
    if json {
        crate::outln!("{}", crate::ledger_cmd::to_json_pretty(&report)?)?;
    } else {
        crate::outln!("{}", report.render())?;
    }
    Ok(crate::error::ExitKind::Ok)
}

impl EventsCheckReport {
    /// The human line.
    pub fn render(&self) -> String {
        let list = |counts: &BTreeMap<&'static str, u64>| {
            if counts.is_empty() {
                return "none".to_owned();
            }
            let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            parts.join(", ")
        };
        format!(
            "`{}`: ok, {}: {} ({}), {} ({})",
            self.file,
            count(self.lines as u64, "line", "lines"),
            count(self.hostcalls, "hostcall", "hostcalls"),
            list(&self.by_capability),
            count(self.operator_lines, "operator line", "operator lines"),
            list(&self.by_op),
        )
    }
}

#[cfg(test)]
mod tests;
