//! The durable sink: an append-only JSONL file, one entry per line (docs/design.md §5 "Retention").
//!
//! [`DurableLedger::open`] verifies the whole file, truncates a torn final line (a crash
//! mid-write: no trailing newline) and reports it, and continues the chain; a complete line
//! that does not parse or verify, the last one included, is an error naming the line, never a
//! silent skip. This is the only I/O of the crate.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use rand_core::RngCore;

use crate::digest::Digest;
use crate::entry::LedgerEntry;
use crate::ledger::{AppendReceipt, Ledger, LedgerError};
use crate::record::EntryPayload;
use crate::verify::{ChainVerifier, VerifyErrorCode};

/// When the sink calls `fsync` (`File::sync_data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every entry: an acknowledged entry survives power loss.
    EveryEntry,
    /// After every `n` entries: up to `n − 1` acknowledged entries may be lost on power loss.
    EveryN(NonZeroU32),
    /// Never (the OS flushes when it likes): fastest, weakest.
    Never,
}

/// What [`DurableLedger::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenReport {
    /// Entries read and verified.
    pub entries_loaded: u64,
    /// Bytes of a torn final line that were truncated (0 when the file was clean).
    pub truncated_bytes: u64,
}

/// Why the durable ledger failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DurableError {
    /// An I/O operation failed.
    #[error("ledger file `{path}`: {op} failed: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A complete line is not a ledger entry (corruption or tampering, not a torn write).
    #[error(
        "ledger file `{path}` line {line} (entry index {index}) is not a ledger entry: {message}"
    )]
    CorruptLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 0-based index of the first invalid entry (`line − 1`).
        index: u64,
        /// What is wrong.
        message: String,
    },
    /// A line parses but does not continue the chain (tampering, not a torn write).
    #[error("ledger file `{path}` line {line} (entry index {index}) breaks the chain: {code}: {message}")]
    ChainBroken {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 0-based index of the first invalid entry (`line − 1`).
        index: u64,
        /// The verifier's code.
        code: VerifyErrorCode,
        /// The verifier's message.
        message: String,
    },
    /// The entry was refused before anything was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The file's length changed between [`DurableLedger::prepare`] and
    /// [`PreparedLedger::open`]: another writer; nothing is continued.
    #[error(
        "ledger file `{path}` changed while it was being opened ({read} bytes read, {now} now)"
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// Its length when read.
        read: u64,
        /// Its length at open.
        now: u64,
    },
    /// The entry's line would be longer than [`MAX_LINE_BYTES`]: refused, nothing written.
    #[error("ledger file `{path}`: an entry of {len} bytes is longer than a line may be ({MAX_LINE_BYTES})")]
    EntryTooLong {
        /// The file.
        path: PathBuf,
        /// The line's length.
        len: usize,
    },
    /// An earlier write or fsync failed, so the file's tail is unknown: reopen it.
    #[error("ledger file `{path}` is poisoned by an earlier failed write or fsync; reopen it")]
    Poisoned {
        /// The file.
        path: PathBuf,
    },
}

/// The longest line the file may hold (the entry's JSON and its newline). An entry is a few
/// hundred bytes; [`DurableLedger::append`] refuses one that would be longer, so a longer line
/// is never a torn write but corruption, refused before it is held in memory.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// How far [`scan`] got.
#[derive(Debug, Default)]
struct Scan {
    /// Entries read and verified.
    entries: u64,
    /// Bytes of the complete, verified lines.
    valid_len: u64,
    /// Bytes in the file.
    file_len: u64,
}

fn io_error(path: &Path, op: &'static str) -> impl FnOnce(std::io::Error) -> DurableError {
    let path = path.to_path_buf();
    move |source| DurableError::Io { path, op, source }
}

/// Reads every line, verifies it against the chain from genesis and hands it on; stops at a
/// final line without its newline (torn), fails on any other bad line.
fn scan(
    path: &Path,
    mut reader: impl BufRead,
    commit: &mut dyn FnMut(LedgerEntry),
) -> Result<Scan, DurableError> {
    let mut chain = ChainVerifier::new(0, Digest::GENESIS);
    let mut errors = Vec::new();
    let mut line = Vec::new();
    let mut canonical = Vec::new();
    let mut scan = Scan {
        entries: 0,
        valid_len: 0,
        file_len: 0,
    };
    loop {
        line.clear();
        let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX);
        let n = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(io_error(path, "read"))?;
        if n >= MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            return Err(DurableError::CorruptLine {
                path: path.to_path_buf(),
                line: scan.entries.saturating_add(1),
                index: scan.entries,
                message: format!("the line is longer than {MAX_LINE_BYTES} bytes"),
            });
        }
        scan.file_len = scan.file_len.saturating_add(n as u64);
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(scan);
        }
        let index = scan.entries;
        let corrupt = |message: String| DurableError::CorruptLine {
            path: path.to_path_buf(),
            line: index.saturating_add(1),
            index,
            message,
        };
        let entry = read_line(&line, &mut canonical).map_err(corrupt)?;
        let position = usize::try_from(index).unwrap_or(usize::MAX);
        if chain.check(position, &entry, &mut errors) {
            let (code, message) = errors
                .first()
                .map_or((VerifyErrorCode::LedgerHashMismatch, String::new()), |e| {
                    (e.code, e.message.clone())
                });
            return Err(DurableError::ChainBroken {
                path: path.to_path_buf(),
                line: index.saturating_add(1),
                index,
                code,
                message,
            });
        }
        commit(entry);
        scan.entries = index.saturating_add(1);
        scan.valid_len = scan.valid_len.saturating_add(n as u64);
    }
}

impl DurableError {
    /// Whether the file does not exist (a new ledger, for a reader).
    pub fn is_not_found(&self) -> bool {
        matches!(self, DurableError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// The 0-based index of the first entry that does not verify, for a corrupt or tampered
    /// file (`None` for I/O and other errors).
    pub fn first_invalid_index(&self) -> Option<u64> {
        match self {
            DurableError::CorruptLine { index, .. } | DurableError::ChainBroken { index, .. } => {
                Some(*index)
            }
            DurableError::Io { .. }
            | DurableError::Ledger(_)
            | DurableError::Poisoned { .. }
            | DurableError::EntryTooLong { .. }
            | DurableError::Changed { .. } => None,
        }
    }
}

/// One line as [`DurableLedger::append`] writes it: the whole entry's JSON exactly as
/// serialized, then `\n`. Any other bytes — an unknown or repeated member, another spelling of a number, a flipped
/// bit that leaves a value unchanged — are refused: nobody else writes this file.
fn read_line(line: &[u8], canonical: &mut Vec<u8>) -> Result<LedgerEntry, String> {
    let json = line.strip_suffix(b"\n").unwrap_or(line);
    let entry: LedgerEntry = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    canonical.clear();
    serde_json::to_writer(&mut *canonical, &entry).map_err(|e| e.to_string())?;
    if canonical.as_slice() != json {
        return Err(
            "the line is not the entry as the ledger writes it (non-canonical bytes: \
                    an edited spelling, whitespace or member order)"
                .to_owned(),
        );
    }
    // The ledger writes every entry whole: an elided or redacted one keeps its hashes but hides
    // what a restart restores from (a kill switch elided would vanish from the state).
    if entry.is_elided() || entry.is_redacted() {
        return Err("an elided or redacted entry: the ledger writes every entry whole".to_owned());
    }
    Ok(entry)
}

/// A durable file read and verified by [`DurableLedger::prepare`], not yet changed.
#[derive(Debug)]
pub struct PreparedLedger {
    ledger: Ledger,
    path: PathBuf,
    scan: Scan,
}

impl PreparedLedger {
    /// What opening will report: the entries read, and the bytes of a torn final line that
    /// [`open`](Self::open) will cut off.
    pub fn report(&self) -> OpenReport {
        OpenReport {
            entries_loaded: self.scan.entries,
            truncated_bytes: self.scan.file_len.saturating_sub(self.scan.valid_len),
        }
    }

    /// The in-memory view read so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Opens the file for appending (creating it when there was none), cuts the torn final
    /// line off and continues the chain. Refused if the file's length changed since it was
    /// read: what was verified must be what is continued.
    pub fn open(self, policy: FsyncPolicy) -> Result<(DurableLedger, OpenReport), DurableError> {
        let PreparedLedger { ledger, path, scan } = self;
        let report = OpenReport {
            entries_loaded: scan.entries,
            truncated_bytes: scan.file_len.saturating_sub(scan.valid_len),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_error(&path, "open"))?;
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(io_error(&path, "seek"))?;
        if len != scan.file_len {
            return Err(DurableError::Changed {
                path,
                read: scan.file_len,
                now: len,
            });
        }
        if report.truncated_bytes > 0 {
            file.set_len(scan.valid_len)
                .map_err(io_error(&path, "truncate"))?;
            file.sync_all().map_err(io_error(&path, "fsync"))?;
            file.seek(SeekFrom::End(0))
                .map_err(io_error(&path, "seek"))?;
        }
        let durable = DurableLedger {
            ledger,
            file,
            path,
            policy,
            unsynced: 0,
            file_len: scan.valid_len,
            line: Vec::with_capacity(1024),
            poisoned: false,
        };
        Ok((durable, report))
    }
}

/// A [`Ledger`] whose every entry is also appended to a JSONL file.
#[derive(Debug)]
pub struct DurableLedger {
    ledger: Ledger,
    file: File,
    path: PathBuf,
    policy: FsyncPolicy,
    unsynced: u32,
    file_len: u64,
    line: Vec<u8>,
    poisoned: bool,
}

impl DurableLedger {
    /// Opens (or creates) `path`, verifies every line, truncates a torn final line, keeps the
    /// newest `ledger_limit` entries in memory and continues the chain after the last one.
    ///
    /// Only a final line without its newline is torn (a crash mid-write: the newline is the
    /// last byte written); it is cut off and reported in [`OpenReport::truncated_bytes`]. Any
    /// complete line that does not parse or does not continue the chain — the last one
    /// included — is an error naming it: corruption, never a torn write.
    pub fn open(
        path: impl AsRef<Path>,
        ledger_limit: usize,
        policy: FsyncPolicy,
    ) -> Result<(DurableLedger, OpenReport), DurableError> {
        DurableLedger::prepare(path, ledger_limit, &mut |_| {})?.open(policy)
    }

    /// The first half of [`open`](DurableLedger::open), which changes nothing on disk: reads
    /// and verifies every line (a missing file is an empty ledger), hands every verified entry
    /// to `observe` in chain order and keeps the newest `ledger_limit` in memory. The caller
    /// decides whether to go on ([`PreparedLedger::open`]) — the manager checks the file against
    /// its last checkpoint in between — or to leave the file exactly as it was.
    pub fn prepare(
        path: impl AsRef<Path>,
        ledger_limit: usize,
        observe: &mut dyn FnMut(&LedgerEntry),
    ) -> Result<PreparedLedger, DurableError> {
        let path = path.as_ref().to_path_buf();
        let mut ledger = Ledger::new(ledger_limit)?;
        let scan = match File::open(&path) {
            Ok(file) => scan(&path, BufReader::new(file), &mut |entry| {
                observe(&entry);
                ledger.commit(entry);
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Scan::default(),
            Err(e) => return Err(io_error(&path, "open")(e)),
        };
        Ok(PreparedLedger { ledger, path, scan })
    }

    /// Reads and verifies the file at `path` without changing it, handing every verified entry
    /// to `observe`; a torn final line is reported in the result, not cut off (the CLI's view
    /// of a file a gate may still be writing).
    pub fn read(
        path: impl AsRef<Path>,
        observe: &mut dyn FnMut(LedgerEntry),
    ) -> Result<OpenReport, DurableError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(io_error(path, "open"))?;
        let scan = scan(path, BufReader::new(file), observe)?;
        Ok(OpenReport {
            entries_loaded: scan.entries,
            truncated_bytes: scan.file_len.saturating_sub(scan.valid_len),
        })
    }

    /// Appends one entry to the file, then to memory (see [`Ledger::append`]).
    ///
    /// Nothing reaches memory unless the whole line was written; a failed write is rolled back
    /// by truncation, and if even that fails the ledger refuses further appends (`Poisoned`).
    pub fn append<R: RngCore + ?Sized>(
        &mut self,
        ts_ms: u64,
        extension_id: Option<String>,
        payload: EntryPayload,
        rng: &mut R,
    ) -> Result<AppendReceipt, DurableError> {
        if self.poisoned {
            return Err(DurableError::Poisoned {
                path: self.path.clone(),
            });
        }
        let entry = self.ledger.seal(ts_ms, extension_id, payload, rng)?;
        self.line.clear();
        if let Err(e) = serde_json::to_writer(&mut self.line, &entry) {
            return Err(DurableError::Io {
                path: self.path.clone(),
                op: "serialize",
                source: e.into(),
            });
        }
        self.line.push(b'\n');
        if self.line.len() > MAX_LINE_BYTES {
            return Err(DurableError::EntryTooLong {
                path: self.path.clone(),
                len: self.line.len(),
            });
        }
        if let Err(source) = self.file.write_all(&self.line) {
            if self.file.set_len(self.file_len).is_err() {
                self.poisoned = true;
            }
            return Err(DurableError::Io {
                path: self.path.clone(),
                op: "write",
                source,
            });
        }
        self.file_len = self.file_len.saturating_add(self.line.len() as u64);
        let sync_now = match self.policy {
            FsyncPolicy::EveryEntry => true,
            FsyncPolicy::EveryN(n) => {
                self.unsynced = self.unsynced.saturating_add(1);
                self.unsynced >= n.get()
            }
            FsyncPolicy::Never => false,
        };
        let seq = entry.seq;
        let ledger_hash = entry.ledger_hash;
        // The line is in the file: memory must follow, or the next seq would repeat.
        let evicted = self.ledger.commit(entry);
        if sync_now {
            self.unsynced = 0;
            if let Err(source) = self.file.sync_data() {
                // After a failed fsync the kernel may have dropped the dirty pages.
                self.poisoned = true;
                return Err(DurableError::Io {
                    path: self.path.clone(),
                    op: "fsync",
                    source,
                });
            }
        }
        Ok(AppendReceipt {
            seq,
            ledger_hash,
            evicted,
        })
    }

    /// A second handle on the file, for a caller that flushes it to disk on its own schedule
    /// (`sync_data` on it) without holding whatever guards this ledger: with
    /// [`FsyncPolicy::Never`], a host that syncs it every few hundred milliseconds bounds the
    /// entries a power loss can take by time, off the decision path.
    pub fn sync_handle(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// Flushes written entries to disk now, whatever the policy.
    pub fn sync(&mut self) -> Result<(), DurableError> {
        self.unsynced = 0;
        self.file.sync_data().map_err(|source| DurableError::Io {
            path: self.path.clone(),
            op: "fsync",
            source,
        })
    }

    /// The in-memory view (retention applies; the file keeps everything).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fsync policy.
    pub fn fsync_policy(&self) -> FsyncPolicy {
        self.policy
    }
}
