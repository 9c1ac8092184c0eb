//! `cargo xtask schemas [--check]`: writes `schemas/` — the JSON Schema of every artifact and
//! input, and its README — from the table `SCHEMAS` of `crates/cli/src/schemas.rs`.
//!
//! Without `--check` the files are written and stale ones removed; with `--check` nothing is
//! written and the task fails when any file would change, appear or disappear (a type changed
//! without its schema being regenerated).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use hostguard_cli::schemas::{render_all, SCHEMA_DIR};

/// Regenerates (or, with `check`, compares) `ROOT/schemas/`.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let dir = root.join(SCHEMA_DIR);
    let files: BTreeMap<String, String> = render_all()
        .context("cannot render a schema")?
        .into_iter()
        .collect();
    let mut changed = Vec::new();
    for (name, text) in &files {
        match std::fs::read(dir.join(name)) {
            Ok(bytes) if bytes == text.as_bytes() => {}
            Ok(_) => changed.push(format!("changed {SCHEMA_DIR}/{name}")),
            Err(_) => changed.push(format!("missing {SCHEMA_DIR}/{name}")),
        }
    }
    let mut stale = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !files.contains_key(&name) {
                stale.push(name);
            }
        }
    }
    stale.sort();
    changed.extend(stale.iter().map(|n| format!("stale {SCHEMA_DIR}/{n}")));
    if check {
        if changed.is_empty() {
            println!("    {} schemas up to date", files.len() - 1);
            return Ok(());
        }
        bail!(
            "schemas/ is out of date (run `cargo xtask schemas`):\n  {}",
            changed.join("\n  ")
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, text) in &files {
        std::fs::write(dir.join(name), text)
            .with_context(|| format!("cannot write {SCHEMA_DIR}/{name}"))?;
    }
    for name in &stale {
        std::fs::remove_file(dir.join(name))
            .with_context(|| format!("cannot remove {SCHEMA_DIR}/{name}"))?;
    }
    println!(
        "    wrote {} files to {SCHEMA_DIR}/ ({} changed or new, {} removed)",
        files.len(),
        changed.len() - stale.len(),
        stale.len()
    );
    Ok(())
}
