//! The detection-quality gate of `cargo xtask ci` (docs/design.md §10, docs/detection.md): `hostguard
//! run` over every labelled trace of two sets in phase `enforce_all`, with the workspace the
//! traces were recorded in: the traces `cargo xtask fixtures` generates (`fixtures/traces/`),
//! and the traces written blind by writers who never saw the rules
//! (`fixtures/traces/blind/*/`, README there). It fails if a harmful call of a malicious trace
//! is not stopped — unless `fixtures/traces/blind/KNOWN-MISSES.tsv` lists it with its class —
//! or a call of a benign extension is stopped.
//!
//! A call is *stopped* when it is blocked or the gate asks a person about it (a prompt counts:
//! the call does not run unattended) — except the static policy's own prompt for a capability
//! (`policy_prompt`: the standard profile asks before every exec, whatever the command; that
//! is not detection). A harmful env read the secret broker answered with the placeholder is
//! stopped too: the secret never reached the extension.
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
pub const PHASE: &str = "enforce-all";
/// The workspace root every trace is recorded in (docs/event-format.md "Paths").
pub const WORKSPACE: &str = "/home/dev/project";

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
    stopped: usize,
    harmful: usize,
    false_positives: Vec<String>,
    false_positive_codes: Vec<String>,
    false_negatives: Vec<String>,
}

/// A set of labelled traces the gate judges, and how many of each kind it must hold.
struct TraceSet {
    name: &'static str,
    /// Relative to the repository root.
    dir: &'static str,
    /// Whether the traces sit one level down, in a folder per writer.
    by_writer: bool,
    min_benign: usize,
    min_malicious: usize,
}

/// The sets: the traces `cargo xtask fixtures` generates from the rules' authors' own
/// scenarios, and the traces written blind (fixtures/traces/blind/README.md) by writers who saw
/// only docs/event-format.md and a list of ATT&CK techniques (issue 12: at least 60 malicious
/// and 30 benign).
const SETS: [TraceSet; 2] = [
    TraceSet {
        name: "authored",
        dir: "fixtures/traces",
        by_writer: false,
        min_benign: 30,
        min_malicious: 30,
    },
    TraceSet {
        name: "blind",
        dir: "fixtures/traces/blind",
        by_writer: true,
        min_benign: 30,
        min_malicious: 60,
    },
];

/// Harmful calls of the blind traces the gate is known to let through: `trace<TAB>call<TAB>why`.
/// Each is reported; one that is stopped under every profile fails the gate until it is removed
/// (the list only shrinks), and a benign call stopped is never excused.
pub const KNOWN_MISSES: &str = "fixtures/traces/blind/KNOWN-MISSES.tsv";

pub fn run(root: &Path) -> Result<()> {
    let bin = hostguard_binary(root)?;
    let known = known_misses(root)?;
    let mut failures = Vec::new();
    // Known misses that some profile still lets through.
    let mut still_missed: BTreeSet<(String, String)> = BTreeSet::new();
    for profile in PROFILES {
        println!("    detection (profile {profile}, phase {PHASE}, workspace {WORKSPACE}):");
        for set in &SETS {
            let results = judge_set(root, &bin, set, profile)?;
            report(
                set,
                &results,
                profile,
                &known,
                &mut still_missed,
                &mut failures,
            );
        }
    }
    failures.extend(stale_known_misses(&known, &still_missed));
    if !failures.is_empty() {
        bail!("detection quality bar missed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

/// The known misses no profile let through any more (each fails the gate: the list only
/// shrinks).
fn stale_known_misses(
    known: &BTreeMap<(String, String), String>,
    still_missed: &BTreeSet<(String, String)>,
) -> Vec<String> {
    known
        .iter()
        .filter(|(key, _)| !still_missed.contains(*key))
        .map(|((trace, call), why)| {
            format!("known miss {trace} {call} is stopped under every profile: remove it from {KNOWN_MISSES} ({why})")
        })
        .collect()
}

/// Prints one set's counts under one profile and collects its failures.
fn report(
    set: &TraceSet,
    results: &[Judged],
    profile: &str,
    known: &BTreeMap<(String, String), String>,
    still_missed: &mut BTreeSet<(String, String)>,
    failures: &mut Vec<String>,
) {
    for kind in ["benign", "malicious"] {
        let of_kind: Vec<&Judged> = results.iter().filter(|r| r.kind == kind).collect();
        let (mut calls, mut stopped, mut harmful, mut missed, mut excused) = (0, 0, 0, 0, 0);
        for r in &of_kind {
            calls += r.calls;
            stopped += r.stopped;
            harmful += r.harmful;
            let mut unexcused = Vec::new();
            for call in &r.false_negatives {
                missed += 1;
                let key = (r.name.clone(), call.clone());
                if known.contains_key(&key) {
                    excused += 1;
                    still_missed.insert(key);
                } else {
                    unexcused.push(call.as_str());
                }
            }
            if !r.false_positives.is_empty() || !unexcused.is_empty() {
                failures.push(format!(
                    "{} ({}, {} set, profile {profile}): false positives [{}] (codes: {}), false negatives [{}]",
                    r.name,
                    r.kind,
                    set.name,
                    r.false_positives.join(", "),
                    r.false_positive_codes.join(", "),
                    unexcused.join(", ")
                ));
            }
        }
        let traces = of_kind.len();
        let head = format!(
            "    {:<9}{kind:<10}{traces:>4} traces, {calls:>5} calls, {stopped:>4} stopped",
            set.name
        );
        if kind == "benign" {
            println!("{head}");
        } else {
            println!(
                "{head}; harmful calls stopped {}/{harmful}{}",
                harmful - missed,
                if excused > 0 {
                    format!(" ({excused} known misses, {KNOWN_MISSES})")
                } else {
                    String::new()
                }
            );
        }
    }
}

/// The known misses, keyed by (trace, call).
fn known_misses(root: &Path) -> Result<BTreeMap<(String, String), String>> {
    let path = root.join(KNOWN_MISSES);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {KNOWN_MISSES}"))?;
    parse_known_misses(&text)
}

fn parse_known_misses(text: &str) -> Result<BTreeMap<(String, String), String>> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (Some(trace), Some(call), Some(why)) = (fields.next(), fields.next(), fields.next())
        else {
            bail!(
                "{KNOWN_MISSES}:{}: expected `trace<TAB>call<TAB>why`",
                n + 1
            );
        };
        if why.trim().is_empty() {
            bail!("{KNOWN_MISSES}:{}: a known miss says why", n + 1);
        }
        if out
            .insert((trace.to_owned(), call.to_owned()), why.to_owned())
            .is_some()
        {
            bail!("{KNOWN_MISSES}:{}: `{trace} {call}` is listed twice", n + 1);
        }
    }
    Ok(out)
}

/// The `*.jsonl` traces of a set (with their `*.labels.json` beside them), sorted.
fn trace_files(root: &Path, set: &TraceSet) -> Result<Vec<PathBuf>> {
    let jsonl_in = |dir: &Path| -> Result<Vec<PathBuf>> {
        Ok(std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "jsonl"))
            .collect())
    };
    let dir = root.join(set.dir);
    let mut files = if set.by_writer {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .flatten()
        {
            if entry.path().is_dir() {
                all.extend(jsonl_in(&entry.path())?);
            }
        }
        all
    } else {
        jsonl_in(&dir)?
    };
    files.sort();
    Ok(files)
}

/// `hostguard run` over every trace of `set` under `profile` (one process per trace, as many
/// at once as the machine has cores), each judged against its labels.
fn judge_set(root: &Path, bin: &Path, set: &TraceSet, profile: &str) -> Result<Vec<Judged>> {
    let files = trace_files(root, set)?;
    let work = root
        .join("target/xtask/detect")
        .join(profile)
        .join(set.name);
    // A fresh folder per run: `hostguard run` refuses a non-empty --out without --force, and
    // an earlier run's verdicts must never be judged as this one's.
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let results: Vec<Result<Judged>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let files = &files;
                let work = &work;
                scope.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % workers == w)
                        .map(|(i, trace)| (i, judge_trace(bin, trace, work, profile)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Result<Judged>)> = Vec::new();
        for h in handles {
            match h.join() {
                Ok(part) => all.extend(part),
                Err(_) => all.push((usize::MAX, Err(anyhow::anyhow!("a gate worker panicked")))),
            }
        }
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    });
    let results = results.into_iter().collect::<Result<Vec<_>>>()?;
    for (kind, min) in [("benign", set.min_benign), ("malicious", set.min_malicious)] {
        let count = results.iter().filter(|r| r.kind == kind).count();
        if count < min {
            bail!(
                "{} holds {count} {kind} traces, the gate needs at least {min}",
                set.dir
            );
        }
    }
    Ok(results)
}

/// One trace through `hostguard run`, judged against the labels beside it.
fn judge_trace(bin: &Path, trace: &Path, work: &Path, profile: &str) -> Result<Judged> {
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
        .args([
            "--profile",
            profile,
            "--phase",
            PHASE,
            "--workspace",
            WORKSPACE,
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .context("could not start hostguard")?;
    if !status.success() {
        bail!("`hostguard run` failed on {} ({status})", trace.display());
    }
    let labels_path = trace.with_file_name(format!("{stem}.labels.json"));
    let labels: Value = serde_json::from_str(
        &std::fs::read_to_string(&labels_path).with_context(|| format!("labels of {stem}"))?,
    )
    .with_context(|| format!("{} is not JSON", labels_path.display()))?;
    let labels = Labels::check(stem, &labels)
        .with_context(|| format!("{} cannot judge", labels_path.display()))?;
    let text = std::fs::read_to_string(out.join("verdicts.jsonl"))
        .with_context(|| format!("cannot read the verdicts of {stem}"))?;
    judge(stem, &labels, &text)
}

/// A trace's labels (`hostguard.trace_labels.v1`, docs/event-format.md), checked so that the
/// gate can fail: a malicious trace names at least one harmful call, every label is one of the
/// two kinds, no field is missing, misspelt or of the wrong type.
#[derive(Debug)]
struct Labels {
    kind: String,
    benign: BTreeSet<String>,
    malicious: BTreeSet<String>,
    harmful: BTreeSet<String>,
}

impl Labels {
    fn check(stem: &str, labels: &Value) -> Result<Labels> {
        let obj = labels.as_object().context("labels are not a JSON object")?;
        for key in obj.keys() {
            if ![
                "schema",
                "trace",
                "kind",
                "description",
                "extensions",
                "harmful_call_ids",
            ]
            .contains(&key.as_str())
            {
                bail!("unknown field `{key}`");
            }
        }
        let string = |key: &str| -> Result<&str> {
            obj.get(key)
                .and_then(Value::as_str)
                .with_context(|| format!("expected field `{key}` (a string)"))
        };
        if string("schema")? != "hostguard.trace_labels.v1" {
            bail!("expected `schema` `hostguard.trace_labels.v1`");
        }
        if string("trace")? != stem {
            bail!("expected `trace` `{stem}` (the file's name)");
        }
        string("description")?;
        let kind = string("kind")?;
        if kind != "benign" && kind != "malicious" {
            bail!("expected `kind` `benign` or `malicious`, found `{kind}`");
        }
        let mut benign = BTreeSet::new();
        let mut malicious = BTreeSet::new();
        let extensions = obj
            .get("extensions")
            .and_then(Value::as_object)
            .context("expected field `extensions` (an object: extension id to label)")?;
        for (id, label) in extensions {
            match label.as_str() {
                Some("benign") => benign.insert(id.clone()),
                Some("malicious") => malicious.insert(id.clone()),
                _ => bail!("expected the label of `{id}` to be `benign` or `malicious`"),
            };
        }
        let mut harmful = BTreeSet::new();
        for id in obj
            .get("harmful_call_ids")
            .and_then(Value::as_array)
            .context("expected field `harmful_call_ids` (an array of call ids)")?
        {
            let id = id
                .as_str()
                .context("expected `harmful_call_ids` to hold strings")?;
            if !harmful.insert(id.to_owned()) {
                bail!("harmful call `{id}` is listed twice");
            }
        }
        match kind {
            "malicious" if harmful.is_empty() => {
                bail!("a malicious trace must name its harmful calls: `harmful_call_ids` is empty")
            }
            "malicious" if malicious.is_empty() => {
                bail!("a malicious trace must label a malicious extension")
            }
            "benign" if !harmful.is_empty() || !malicious.is_empty() => {
                bail!("a benign trace has no harmful call and no malicious extension")
            }
            _ => {}
        }
        Ok(Labels {
            kind: kind.to_owned(),
            benign,
            malicious,
            harmful,
        })
    }
}

/// Judges one trace's `verdicts.jsonl` against its labels; a verdict of an extension the labels
/// do not name, or a harmful call made by an extension not labelled malicious, is an error (the
/// labels and the trace disagree, so the trace cannot be judged).
fn judge(name: &str, labels: &Labels, verdicts: &str) -> Result<Judged> {
    let mut judged = Judged {
        name: name.to_owned(),
        kind: labels.kind.clone(),
        calls: 0,
        stopped: 0,
        harmful: labels.harmful.len(),
        false_positives: Vec::new(),
        false_positive_codes: Vec::new(),
        false_negatives: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    for (n, line) in verdicts.lines().enumerate() {
        let at = || format!("{name}: verdict line {}", n + 1);
        let v: Value = serde_json::from_str(line).with_context(at)?;
        let field = |key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .with_context(|| format!("{}: no `{key}`", at()))
        };
        let call = field("call_id")?;
        let ext = field("extension_id")?;
        let blocked = v
            .get("blocked")
            .and_then(Value::as_bool)
            .with_context(|| format!("{}: no `blocked`", at()))?;
        let prompted = v.get("action").and_then(Value::as_str) == Some("prompt")
            && v.get("reason_code").and_then(Value::as_str) != Some("policy_prompt");
        let redacted = v
            .get("secret_redacted")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let stopped = blocked || prompted;
        if !labels.benign.contains(ext) && !labels.malicious.contains(ext) {
            bail!("{name}: extension `{ext}` (call `{call}`) is not labelled");
        }
        if labels.harmful.contains(call) && !labels.malicious.contains(ext) {
            bail!("{name}: harmful call `{call}` is made by `{ext}`, not labelled malicious");
        }
        judged.calls += 1;
        if stopped {
            judged.stopped += 1;
        }
        if labels.benign.contains(ext) && stopped {
            judged.false_positives.push(call.to_owned());
            let code = v
                .get("reason_code")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            judged.false_positive_codes.push(code.to_owned());
        }
        if labels.harmful.contains(call) {
            seen.insert(call.to_owned());
            if !stopped && !redacted {
                judged.false_negatives.push(call.to_owned());
            }
        }
    }
    // A harmful call the run never decided is missed too.
    for h in &labels.harmful {
        if !seen.contains(h) {
            judged.false_negatives.push(h.clone());
        }
    }
    Ok(judged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(json: &str) -> Result<Labels> {
        Labels::check("t", &serde_json::from_str(json)?)
    }

    const MALICIOUS: &str = r#"{"schema":"hostguard.trace_labels.v1","trace":"t","kind":"malicious","description":"d","extensions":{"bad":"malicious","good":"benign"},"harmful_call_ids":["b-2"]}"#;

    const VERDICTS: &str = concat!(
        r#"{"call_id":"g-1","extension_id":"good","blocked":false}"#,
        "\n",
        r#"{"call_id":"b-1","extension_id":"bad","blocked":false}"#,
        "\n",
        r#"{"call_id":"b-2","extension_id":"bad","blocked":true}"#,
        "\n",
    );

    #[test]
    fn the_gate_judges_a_clean_trace_clean() -> Result<()> {
        let j = judge("t", &labels(MALICIOUS)?, VERDICTS)?;
        assert!(j.false_positives.is_empty() && j.false_negatives.is_empty());
        assert_eq!((j.calls, j.stopped), (3, 1));
        Ok(())
    }

    #[test]
    fn the_gate_fails_on_a_missed_harmful_call_and_a_benign_block() -> Result<()> {
        let missed = VERDICTS.replace(
            r#""b-2","extension_id":"bad","blocked":true"#,
            r#""b-2","extension_id":"bad","blocked":false"#,
        );
        let j = judge("t", &labels(MALICIOUS)?, &missed)?;
        assert_eq!(j.false_negatives, ["b-2"]);
        let fp = VERDICTS.replace(
            r#""g-1","extension_id":"good","blocked":false"#,
            r#""g-1","extension_id":"good","blocked":true"#,
        );
        let j = judge("t", &labels(MALICIOUS)?, &fp)?;
        assert_eq!(j.false_positives, ["g-1"]);
        // A harmful call the run never made is missed too.
        let j = judge("t", &labels(MALICIOUS)?, "")?;
        assert_eq!(j.false_negatives, ["b-2"]);
        Ok(())
    }

    #[test]
    fn a_prompt_is_stopped_but_the_policys_own_prompt_is_not() -> Result<()> {
        let l = labels(MALICIOUS)?;
        let prompted = VERDICTS.replace(
            r#""b-2","extension_id":"bad","blocked":true"#,
            r#""b-2","extension_id":"bad","blocked":false,"action":"prompt","reason_code":"risk_prompt""#,
        );
        assert!(judge("t", &l, &prompted)?.false_negatives.is_empty());
        let policy = VERDICTS.replace(
            r#""b-2","extension_id":"bad","blocked":true"#,
            r#""b-2","extension_id":"bad","blocked":false,"action":"prompt","reason_code":"policy_prompt""#,
        );
        assert_eq!(judge("t", &l, &policy)?.false_negatives, ["b-2"]);
        // A benign call the detection asks about is a false positive.
        let benign_prompt = VERDICTS.replace(
            r#""g-1","extension_id":"good","blocked":false"#,
            r#""g-1","extension_id":"good","blocked":false,"action":"prompt","reason_code":"risk_prompt""#,
        );
        assert_eq!(judge("t", &l, &benign_prompt)?.false_positives, ["g-1"]);
        // A harmful env read answered with the placeholder is stopped.
        let redacted = VERDICTS.replace(
            r#""b-2","extension_id":"bad","blocked":true"#,
            r#""b-2","extension_id":"bad","blocked":false,"secret_redacted":true"#,
        );
        assert!(judge("t", &l, &redacted)?.false_negatives.is_empty());
        Ok(())
    }

    #[test]
    fn known_misses_say_why_and_only_shrink() -> Result<()> {
        let known = parse_known_misses("# comment\nt\tb-2\tclass: why\n")?;
        assert_eq!(known.len(), 1);
        for bad in ["t\tb-2\n", "t\tb-2\t \n", "t\tb-2\tx\nt\tb-2\ty\n"] {
            assert!(parse_known_misses(bad).is_err(), "accepted: {bad:?}");
        }
        let key = ("t".to_owned(), "b-2".to_owned());
        let mut missed = BTreeSet::new();
        assert_eq!(stale_known_misses(&known, &missed).len(), 1);
        missed.insert(key);
        assert!(stale_known_misses(&known, &missed).is_empty());
        Ok(())
    }

    /// Labels under which nothing could ever fail the gate are refused, not judged clean.
    #[test]
    fn labels_that_would_make_the_gate_unable_to_fail_are_refused() {
        let cases = [
            // a malicious trace naming no harmful call
            MALICIOUS.replace(r#"["b-2"]"#, "[]"),
            // the harmful calls under a misspelt key (the old gate read it as none)
            MALICIOUS.replace("harmful_call_ids", "harmful_calls"),
            // no extension labelled malicious
            MALICIOUS.replace(r#""bad":"malicious""#, r#""bad":"benign""#),
            // extensions under a misspelt key (the old gate saw no benign extension)
            MALICIOUS.replace("extensions", "extension"),
            // a label that is neither kind
            MALICIOUS.replace(r#""good":"benign""#, r#""good":"Benign""#),
            // a kind that is neither
            MALICIOUS.replace(r#""kind":"malicious""#, r#""kind":"evil""#),
            // a benign trace with a harmful call
            MALICIOUS.replace(r#""kind":"malicious""#, r#""kind":"benign""#),
            // the labels of another trace
            MALICIOUS.replace(r#""trace":"t""#, r#""trace":"other""#),
            // a wrong schema
            MALICIOUS.replace("trace_labels.v1", "trace_labels.v0"),
            // a harmful call listed twice
            MALICIOUS.replace(r#"["b-2"]"#, r#"["b-2","b-2"]"#),
            // not an object
            "[]".to_owned(),
        ];
        for case in &cases {
            assert!(labels(case).is_err(), "accepted: {case}");
        }
    }

    #[test]
    fn verdicts_the_labels_do_not_cover_cannot_be_judged() -> Result<()> {
        let l = labels(MALICIOUS)?;
        // An unlabelled extension: its blocks would count as nothing.
        let extra = format!(
            "{VERDICTS}{}\n",
            r#"{"call_id":"x-1","extension_id":"stranger","blocked":true}"#
        );
        assert!(judge("t", &l, &extra).is_err());
        // A harmful call made by a benign extension: labels and trace disagree.
        let swapped = VERDICTS.replace(
            r#""b-2","extension_id":"bad""#,
            r#""b-2","extension_id":"good""#,
        );
        assert!(judge("t", &l, &swapped).is_err());
        // A verdict line without `blocked` is not "not blocked".
        assert!(judge("t", &l, r#"{"call_id":"b-2","extension_id":"bad"}"#).is_err());
        Ok(())
    }
}
