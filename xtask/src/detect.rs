//! The detection-quality gate of `cargo xtask ci` (DESIGN §10): `hostguard run` over every
//! labelled trace of `fixtures/traces/` in phase `enforce_all`; fails if a harmful call of a
//! malicious trace is not blocked or a call of a benign extension is.
//!
//! The gate runs under two policy profiles and both must be clean: `standard` (the default a
//! host gets: exec and env wait for a person, standard quotas) and `permissive` (every capability
//! granted, as a host grants its coding agent exec and network, so what is judged is the risk
//! model, exec mediation and quotas, not a static deny of exec).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The policy profiles of the gate; each must be clean.
pub const PROFILES: [&str; 2] = ["standard", "permissive"];
/// The rollout phase of the gate.
pub const PHASE: &str = "enforce_all";

/// Builds the `hostguard` binary (debug) and returns its path.
pub fn hostguard_binary(root: &Path) -> Result<PathBuf> {
    crate::run_cargo(&["build", "--quiet", "--locked", "-p", "hostguard-cli"])?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug").join("hostguard");
    if !bin.is_file() {
        bail!("`{}` was not built", bin.display());
    }
    Ok(bin)
}

/// One trace's result.
struct Judged {
    name: String,
    kind: String,
    calls: usize,
    blocked: usize,
    false_positives: Vec<String>,
    false_positive_codes: Vec<String>,
    false_negatives: Vec<String>,
}

pub fn run(root: &Path) -> Result<()> {
    let bin = hostguard_binary(root)?;
    let mut failures = Vec::new();
    for profile in PROFILES {
        let results = judge_all(root, &bin, profile)?;
        let mut by_kind: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
        for r in &results {
            let e = by_kind.entry(r.kind.as_str()).or_default();
            e.0 += 1;
            e.1 += r.calls;
            e.2 += r.blocked;
            if r.false_positives.is_empty() && r.false_negatives.is_empty() {
                e.3 += 1;
            } else {
                failures.push(format!(
                    "{} ({}, profile {profile}): false positives [{}] (codes: {}), false negatives [{}]",
                    r.name,
                    r.kind,
                    r.false_positives.join(", "),
                    r.false_positive_codes.join(", "),
                    r.false_negatives.join(", ")
                ));
            }
        }
        println!("    detection over fixtures/traces (profile {profile}, phase {PHASE}):");
        for (kind, (traces, calls, blocked, ok)) in &by_kind {
            println!(
                "    {kind:<9} {traces} traces, {calls} calls, {blocked} blocked, {ok}/{traces} judged correct"
            );
        }
    }
    if !failures.is_empty() {
        bail!("detection quality bar missed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

/// `hostguard run` over every trace under `profile`, judged against its labels.
fn judge_all(root: &Path, bin: &Path, profile: &str) -> Result<Vec<Judged>> {
    let traces = root.join("fixtures/traces");
    let work = root.join("target/xtask/detect").join(profile);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&traces)
        .with_context(|| format!("cannot list {}", traces.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    names.sort();
    let mut results = Vec::new();
    for trace in &names {
        let stem = trace
            .file_stem()
            .and_then(|s| s.to_str())
            .context("trace name is not UTF-8")?;
        let out = work.join(stem);
        let status = Command::new(bin)
            .args(["run", "--events"])
            .arg(trace)
            .arg("--out")
            .arg(&out)
            .args(["--profile", profile, "--phase", PHASE])
            .stdout(std::process::Stdio::null())
            .status()
            .context("could not start hostguard")?;
        if !status.success() {
            bail!("`hostguard run` failed on {} ({status})", trace.display());
        }
        let labels: Value = serde_json::from_str(
            &std::fs::read_to_string(traces.join(format!("{stem}.labels.json")))
                .with_context(|| format!("labels of {stem}"))?,
        )?;
        results.push(judge(stem, &labels, &out.join("verdicts.jsonl"))?);
    }
    Ok(results)
}

fn judge(name: &str, labels: &Value, verdicts: &Path) -> Result<Judged> {
    let benign: BTreeSet<&str> = labels
        .get("extensions")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, l)| l.as_str() == Some("benign"))
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default();
    let harmful: BTreeSet<&str> = labels
        .get("harmful_call_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let text = std::fs::read_to_string(verdicts)
        .with_context(|| format!("cannot read {}", verdicts.display()))?;
    let mut judged = Judged {
        name: name.to_owned(),
        kind: labels
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
        calls: 0,
        blocked: 0,
        false_positives: Vec::new(),
        false_positive_codes: Vec::new(),
        false_negatives: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line)?;
        let call = v.get("call_id").and_then(Value::as_str).unwrap_or_default();
        let ext = v
            .get("extension_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let blocked = v.get("blocked").and_then(Value::as_bool).unwrap_or(false);
        judged.calls += 1;
        if blocked {
            judged.blocked += 1;
        }
        if benign.contains(ext) && blocked {
            judged.false_positives.push(call.to_owned());
            let code = v
                .get("reason_code")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            judged.false_positive_codes.push(code.to_owned());
        }
        if harmful.contains(call) {
            seen.insert(call.to_owned());
            if !blocked {
                judged.false_negatives.push(call.to_owned());
            }
        }
    }
    // A harmful call the run never decided is missed too.
    for h in &harmful {
        if !seen.contains(*h) {
            judged.false_negatives.push((*h).to_owned());
        }
    }
    Ok(judged)
}
