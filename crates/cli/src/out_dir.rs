//! The output folder of `hostguard run` and `hostguard demo`: created when absent; an existing
//! folder that holds anything is only reused with `--force`. The files a command wrote are
//! listed in the folder's manifest (`MANIFEST`); with `--force`, once the new artifacts are
//! written, the files the previous manifest lists and this command did not write are removed,
//! so no stale artifact sits beside the new ones (issue 16). A file no manifest lists — the
//! user's own, in a folder hostguard never wrote — is never touched, and no input of the
//! command may sit in the folder under a name the command writes.

use std::path::{Path, PathBuf};

use crate::error::{write_artifact, CliError, CliResult};
use crate::plural::count;

/// The manifest: one file name per line, every file the last command wrote into the folder.
pub const MANIFEST: &str = ".hostguard-artifacts";

/// The artifacts of a run folder, by file name (docs/runbook.md "Getting the artifacts"): the
/// one home of these names for every command that writes or reads a run folder.
pub mod names {
    /// One verdict line per hostcall.
    pub const VERDICTS: &str = "verdicts.jsonl";
    /// The ledger artifact.
    pub const LEDGER: &str = "ledger.json";
    /// The security alerts.
    pub const ALERTS: &str = "alerts.json";
    /// The hostcall telemetry.
    pub const TELEMETRY: &str = "telemetry.json";
    /// The exec-mediation records.
    pub const EXEC_MEDIATION: &str = "exec_mediation.json";
    /// The secret-broker records.
    pub const SECRET_BROKER: &str = "secret_broker.json";
    /// The quota breaches.
    pub const QUOTA_BREACHES: &str = "quota_breaches.json";
    /// The rollout snapshot.
    pub const ROLLOUT: &str = "rollout.json";
    /// Trust states and kill-switch audit.
    pub const TRUST: &str = "trust.json";
    /// Every alert with its triage.
    pub const TRIAGE: &str = "triage.json";
    /// The evidence bundle (`demo`).
    pub const BUNDLE: &str = "bundle.json";
    /// The stream (`demo`, and `run` from a pipe).
    pub const EVENTS: &str = "events.jsonl";

    /// What `run` writes (and `--events -` adds [`EVENTS`]).
    pub const RUN_WRITES: [&str; 10] = [
        VERDICTS,
        LEDGER,
        ALERTS,
        TELEMETRY,
        EXEC_MEDIATION,
        SECRET_BROKER,
        QUOTA_BREACHES,
        ROLLOUT,
        TRUST,
        TRIAGE,
    ];

    /// The side file the stream of a pipe is copied to, renamed [`EVENTS`] when the run ends.
    pub const EVENTS_PARTIAL: &str = "events.jsonl.partial";

    /// The side file verdicts are streamed to, renamed [`VERDICTS`] when the run ends.
    pub const VERDICTS_PARTIAL: &str = "verdicts.jsonl.partial";
}

/// Every name `run` or `demo` may write into its output folder (the manifest, and the side
/// files renamed into place, included): no input may sit in the folder under one of them.
pub const ARTIFACT_NAMES: [&str; 15] = [
    MANIFEST,
    names::VERDICTS,
    names::VERDICTS_PARTIAL,
    names::LEDGER,
    names::ALERTS,
    names::TELEMETRY,
    names::EXEC_MEDIATION,
    names::SECRET_BROKER,
    names::QUOTA_BREACHES,
    names::ROLLOUT,
    names::TRUST,
    names::TRIAGE,
    names::BUNDLE,
    names::EVENTS,
    names::EVENTS_PARTIAL,
];

/// What preparing the folder did, for the command's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Earlier artifacts removed (`--force`).
    pub removed: Vec<String>,
    /// Other files left in place (not listed by the previous manifest); inputs are not listed.
    pub kept: Vec<String>,
}

/// Makes `dir` ready for a command's artifacts: created when absent; a folder that holds
/// anything is refused without `force`; an input inside it under a name the command writes is
/// refused (it would be overwritten). Nothing is removed yet: a run that fails leaves the
/// earlier run's artifacts as they were ([`remove_stale`] runs after the new ones are written).
pub fn prepare(dir: &Path, force: bool, inputs: &[&Path], writes: &[&str]) -> CliResult<()> {
    refuse_inputs_among_artifacts(dir, inputs)?;
    let entries = existing_entries(dir)?;
    if entries.is_empty() {
        return std::fs::create_dir_all(dir).map_err(|e| CliError::out_dir(dir, &e));
    }
    if force {
        return refuse_overwriting_foreign_files(dir, writes);
    }
    Err(CliError::input(format!(
        "the output folder `{}` is not empty ({}): pass --force to replace the artifacts of an earlier run, or choose a new folder",
        dir.display(),
        count(entries.len() as u64, "entry", "entries")
    )))
}

/// `--force` replaces what a hostguard command wrote, never a file of the user's that happens
/// to bear an artifact's name: one of `writes` present in `dir` must be listed by the manifest.
fn refuse_overwriting_foreign_files(dir: &Path, writes: &[&str]) -> CliResult<()> {
    let listed = previous_manifest(dir);
    for name in writes {
        let path = dir.join(name);
        if path.symlink_metadata().is_ok() && !listed.iter().any(|l| l == name) {
            return Err(CliError::input(format!(
                "`{}` was not written by hostguard (no manifest `{MANIFEST}` lists it): --force refuses to overwrite it; move it away or choose another folder",
                path.display()
            )));
        }
    }
    Ok(())
}

/// An input at `dir/NAME` with `NAME` one of [`ARTIFACT_NAMES`] would be overwritten.
fn refuse_inputs_among_artifacts(dir: &Path, inputs: &[&Path]) -> CliResult<()> {
    let Ok(dir) = dir.canonicalize() else {
        return Ok(()); // a new folder holds no input
    };
    for input in inputs {
        let Ok(path) = input.canonicalize() else {
            continue;
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.parent() == Some(dir.as_path())
            && ARTIFACT_NAMES.contains(&name)
            && name != names::EVENTS
        {
            return Err(CliError::input(format!(
                "input `{}` is in the output folder under the name of an artifact the command writes: move it out of `{}` or rename it",
                input.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// After a command wrote `written` into `dir`: removes every file the previous manifest lists
/// that this command did not write (never one of `inputs`), then writes the new manifest.
pub fn remove_stale(dir: &Path, written: &[&str], inputs: &[&Path]) -> CliResult<Prepared> {
    let inputs: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let listed = previous_manifest(dir);
    let mut prepared = Prepared::default();
    for (name, path) in existing_entries(dir)? {
        let input = path.canonicalize().is_ok_and(|p| inputs.contains(&p));
        if name == MANIFEST || written.contains(&name.as_str()) || input {
            continue;
        }
        let ours = listed.contains(&name) && ARTIFACT_NAMES.contains(&name.as_str());
        if ours && path.symlink_metadata().is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&path).map_err(|e| CliError::io("remove", &path, &e))?;
            prepared.removed.push(name);
        } else {
            prepared.kept.push(name);
        }
    }
    let mut manifest: Vec<&str> = written.to_vec();
    manifest.sort_unstable();
    write_artifact(
        &dir.join(MANIFEST),
        format!("{}\n", manifest.join("\n")).as_bytes(),
    )?;
    Ok(prepared)
}

/// The names the folder's manifest lists; none without one.
fn previous_manifest(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(MANIFEST))
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Says what `--force` removed and kept.
pub fn report(out: &Path, prepared: &Prepared) {
    if prepared.removed.is_empty() {
        return;
    }
    let kept = match prepared.kept.as_slice() {
        [] => String::new(),
        files => format!(
            " (kept {}: {})",
            count(files.len() as u64, "other file", "other files"),
            files.join(", ")
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
        prepare(&new, false, &[], &[]).unwrap();
        assert!(new.is_dir());
        prepare(&new, false, &[], &[]).unwrap();
    }

    #[test]
    fn force_removes_only_what_the_previous_manifest_lists_and_never_an_input() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "bundle.json",
            "events.jsonl",
            "ledger.json",
            "notes.txt",
            "trust.json",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let err = prepare(dir.path(), false, &[], &[]).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        // ledger.json is the user's (no manifest lists it): --force will not overwrite it.
        let err = prepare(dir.path(), true, &[], &["ledger.json"]).unwrap_err();
        assert!(
            err.to_string().contains("not written by hostguard"),
            "{err}"
        );
        prepare(dir.path(), true, &[], &["verdicts.jsonl"]).unwrap();
        // No manifest: a folder hostguard never wrote; nothing of it is removed.
        let first = remove_stale(dir.path(), &["ledger.json"], &[]).unwrap();
        assert!(first.removed.is_empty(), "{first:?}");
        assert!(dir.path().join("bundle.json").exists());
        // The manifest now lists ledger.json only; write it as if a demo wrote more.
        std::fs::write(
            dir.path().join(MANIFEST),
            "bundle.json\nevents.jsonl\nledger.json\n",
        )
        .unwrap();
        let input = dir.path().join("events.jsonl");
        let second = remove_stale(dir.path(), &["ledger.json"], &[&input]).unwrap();
        assert_eq!(second.removed, ["bundle.json"]);
        assert_eq!(second.kept, ["notes.txt", "trust.json"]);
        assert_eq!(previous_manifest(dir.path()), ["ledger.json"]);
    }

    #[test]
    fn an_input_under_an_artifacts_name_in_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.json");
        std::fs::write(&ledger, "x").unwrap();
        let err = prepare(dir.path(), true, &[&ledger], &[]).unwrap_err();
        assert!(err.to_string().contains("move it out"), "{err}");
        let elsewhere = dir.path().join("ledger.jsonl");
        std::fs::write(&elsewhere, "x").unwrap();
        prepare(dir.path(), true, &[&elsewhere], &[]).unwrap();
    }
}
