//! The files beside a durable ledger (with `durable.rs`, the only I/O of the crate): reading and
//! atomically replacing a checkpoint file, and moving a damaged file aside. Nothing is ever
//! deleted or overwritten in place.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::checkpoint::CHECKPOINT_MAX_BYTES;

/// Reads a checkpoint file: at most [`CHECKPOINT_MAX_BYTES`] + 1 bytes (the parser refuses
/// more), `None` when there is no such file.
pub fn read_checkpoint_file(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let limit = u64::try_from(CHECKPOINT_MAX_BYTES).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Replaces `path` with `bytes` atomically: written to `path.tmp`, synced, renamed over `path`,
/// and the folder synced, so a reader (or a crash) sees the old content or the new, never a
/// torn one.
pub fn replace_file_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut side = path.as_os_str().to_owned();
    side.push(".tmp");
    let side = PathBuf::from(side);
    let mut file = std::fs::File::create(&side)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&side, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename itself durable; a platform that cannot open a folder skips it.
        if let Ok(d) = std::fs::File::open(dir) {
            d.sync_all()?;
        }
    }
    Ok(())
}

/// Renames `path` to the first free `path.damaged-<tag>[-n]` and returns the new name; `None`
/// when there is no such file.
pub fn move_aside(path: &Path, tag: &str) -> std::io::Result<Option<PathBuf>> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let base = format!("{}.damaged-{tag}", path.display());
    let target = (0u32..1000)
        .map(|n| match n {
            0 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}-{n}")),
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "every `.damaged-` name is taken",
            )
        })?;
    std::fs::rename(path, &target)?;
    Ok(Some(target))
}
