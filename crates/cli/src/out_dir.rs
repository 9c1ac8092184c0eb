//! The output folder of `hostguard run` and `hostguard demo`: created when absent; an existing
//! folder that holds anything is only reused with `--force`, and then every artifact an earlier
//! run or demo wrote there and this one did not is removed once the new ones are written, so no
//! stale file sits beside them (issue 16). Files hostguard does not write are never touched.

use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};
use crate::plural::count;

/// Every file `run` or `demo` writes into its output folder (and the side file `run` renames
/// into place): what `--force` removes before a new run.
pub const ARTIFACT_NAMES: [&str; 13] = [
    "verdicts.jsonl",
    "verdicts.jsonl.partial",
    "ledger.json",
    "alerts.json",
    "telemetry.json",
    "exec_mediation.json",
    "secret_broker.json",
    "quota_breaches.json",
    "rollout.json",
    "trust.json",
    "triage.json",
    "bundle.json",
    "events.jsonl",
];

/// What preparing the folder did, for the command's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Earlier artifacts removed (`--force`).
    pub removed: Vec<String>,
    /// Other files left in place (not hostguard's, or the command's inputs).
    pub kept: Vec<String>,
}

/// Makes `dir` ready for a run's artifacts: created when absent; a folder that holds anything
/// is refused without `force`. Nothing is removed yet: a run that fails leaves the earlier
/// run's artifacts as they were ([`remove_stale`] runs after the new ones are written).
pub fn prepare(dir: &Path, force: bool) -> CliResult<()> {
    let entries = existing_entries(dir)?;
    if entries.is_empty() {
        return std::fs::create_dir_all(dir).map_err(|e| CliError::out_dir(dir, &e));
    }
    if force {
        return Ok(());
    }
    Err(CliError::input(format!(
        "the output folder `{}` is not empty ({}): pass --force to replace the artifacts of an earlier run, or choose a new folder",
        dir.display(),
        count(entries.len() as u64, "entry", "entries")
    )))
}

/// After a run wrote `written` into `dir`: removes every other artifact an earlier run or demo
/// left there, except the command's `inputs`; files hostguard does not write are kept.
pub fn remove_stale(dir: &Path, written: &[&str], inputs: &[&Path]) -> CliResult<Prepared> {
    let inputs: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut prepared = Prepared::default();
    for (name, path) in existing_entries(dir)? {
        if written.contains(&name.as_str()) {
            continue;
        }
        let ours = ARTIFACT_NAMES.contains(&name.as_str());
        let input = path.canonicalize().is_ok_and(|p| inputs.contains(&p));
        if ours && !input && path.is_file() {
            std::fs::remove_file(&path).map_err(|e| CliError::io("remove", &path, &e))?;
            prepared.removed.push(name);
        } else {
            prepared.kept.push(name);
        }
    }
    Ok(prepared)
}

/// Says what `--force` removed and kept.
pub fn report(out: &Path, prepared: &Prepared) {
    if prepared.removed.is_empty() {
        return;
    }
    let kept = match prepared.kept.as_slice() {
        [] => String::new(),
        names => format!(
            " (kept {}: {})",
            count(names.len() as u64, "other file", "other files"),
            names.join(", ")
        ),
    };
    eprintln!(
        "hostguard: {}: --force removed {} of an earlier run{kept}",
        out.display(),
        count(prepared.removed.len() as u64, "artifact", "artifacts")
    );
}

/// The entries of `dir` (name, path), sorted; none when it does not exist.
fn existing_entries(dir: &Path) -> CliResult<Vec<(String, PathBuf)>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CliError::out_dir(dir, &e)),
    };
    let mut entries = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| CliError::io("read", dir, &e))?;
        entries.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    entries.sort();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_or_empty_folder_needs_no_force() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        prepare(&new, false).unwrap();
        assert!(new.is_dir());
        prepare(&new, false).unwrap();
    }

    #[test]
    fn a_non_empty_folder_needs_force_and_only_stale_artifacts_that_are_not_inputs_go() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["bundle.json", "events.jsonl", "ledger.json", "notes.txt"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let err = prepare(dir.path(), false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        prepare(dir.path(), true).unwrap();
        assert!(
            dir.path().join("bundle.json").exists(),
            "nothing removed yet"
        );
        let input = dir.path().join("events.jsonl");
        let prepared = remove_stale(dir.path(), &["ledger.json"], &[&input]).unwrap();
        assert_eq!(prepared.removed, ["bundle.json"]);
        assert_eq!(prepared.kept, ["events.jsonl", "notes.txt"]);
        assert!(!dir.path().join("bundle.json").exists());
        assert!(dir.path().join("ledger.json").exists());
    }
}
