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

use std::io::BufRead;
use std::path::{Path, PathBuf};

use hostguard_risk_core::Capability;

use crate::error::{CliError, CliResult};

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

/// `hostguard events check FILE`: reads the whole stream (constant memory) and prints what it
/// holds; the first bad line is bad input (exit 2).
pub fn check(file: &Path) -> CliResult {
    let mut hostcalls = 0u64;
    let mut operator = 0u64;
    let mut by_capability = std::collections::BTreeMap::<&'static str, u64>::new();
    let mut ops = std::collections::BTreeMap::<&'static str, u64>::new();
    let mut reader = EventReader::open(file)?;
    for item in reader.by_ref() {
        let (_, event) = item?;
        match event {
            Event::Hostcall(call) => {
                hostcalls += 1;
                let cap = call.derived.map_or("unknown", Capability::as_str);
                *by_capability.entry(cap).or_default() += 1;
            }
            Event::Operator(op) => {
                operator += 1;
                *ops.entry(op.action.op()).or_default() += 1;
            }
        }
    }
    let lines = reader.line();
    let caps: Vec<String> = by_capability
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let ops: Vec<String> = ops.iter().map(|(k, v)| format!("{k} {v}")).collect();
    crate::outln!(
        "`{}`: ok, {lines} lines: {hostcalls} hostcalls ({}), {operator} operator lines ({})",
        file.display(),
        if caps.is_empty() {
            "none".to_owned()
        } else {
            caps.join(", ")
        },
        if ops.is_empty() {
            "none".to_owned()
        } else {
            ops.join(", ")
        },
    )?;
    Ok(crate::error::ExitKind::Ok)
}

#[cfg(test)]
mod tests;
