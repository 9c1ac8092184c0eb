//! One test per contradiction a user met between two commands (issue 16): what one command says,
//! the other must not deny.

use super::support::*;

/// The `N alerts triaged — P0: …` line of a triage rendering.
fn triage_counts(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("alerts triaged"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default()
}

#[test]
fn the_demo_and_offline_triage_of_its_alerts_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let demo = hostguard(&["demo", "--out", s(&out)]);
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    let offline = hostguard(&["triage", s(&out.join("alerts.json"))]);
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    // The demo says how to re-run its stream the way it ran it (its policy profile).
    assert!(
        demo.stdout.contains("events.jsonl --profile permissive"),
        "{}",
        demo.stdout
    );
    let counts = triage_counts(&demo.stdout);
    assert!(counts.contains("P0"), "{}", demo.stdout);
    assert_eq!(counts, triage_counts(&offline.stdout));
    // `triage --json` over the alerts is the run's triage.json, byte for byte.
    let json = hostguard(&["triage", "--json", s(&out.join("alerts.json"))]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(
        json.stdout,
        std::fs::read_to_string(out.join("triage.json")).unwrap()
    );
}

#[test]
fn triage_json_joins_back_to_its_alert() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&out)]).code, 0);
    let json = hostguard(&["triage", "--json", s(&out.join("alerts.json"))]);
    let triaged: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let alerts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("alerts.json")).unwrap()).unwrap();
    let triaged = triaged.as_array().unwrap();
    let alerts = alerts["alerts"].as_array().unwrap();
    assert_eq!(triaged.len(), alerts.len());
    for (t, a) in triaged.iter().zip(alerts) {
        for key in ["ts_ms", "sequence_id", "extension_id"] {
            assert_eq!(t["alert"][key], a[key], "{key}");
        }
        assert!(t["triage"]["severity"].as_str().unwrap().starts_with('P'));
    }
}

/// A stream of allowed calls, each flagged a false positive, under `enforce_all`: flags on
/// allowed calls are warnings and must not roll the rollout back.
#[test]
fn false_positive_flags_on_allowed_calls_are_refused_and_roll_nothing_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..30 {
        lines.push_str(&format!(
            "{{\"ts_ms\":{},\"extension_id\":\"calm\",\"call_id\":\"c{i}\",\"method\":\"fs\",\"params\":{{\"op\":\"read\",\"path\":\"src/main.rs\"}},\"false_positive\":true}}\n",
            1_000 + i * 10
        ));
    }
    let stream = write(dir.path(), "e.jsonl", &lines);
    let out = dir.path().join("o");
    let o = hostguard(&[
        "run",
        "--events",
        s(&stream),
        "--out",
        s(&out),
        "--phase",
        "enforce-all",
        "--profile",
        "permissive",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("call `c0` was allowed"), "{}", o.stderr);
    assert!(o.stdout.contains("phase `enforce_all`;"), "{}", o.stdout);
    let rollout = std::fs::read_to_string(out.join("rollout.json")).unwrap();
    assert!(rollout.contains("\"false_positive_count\": 0"), "{rollout}");
}

/// A two-call stream.
fn two_calls(dir: &std::path::Path) -> std::path::PathBuf {
    write(
        dir,
        "e.jsonl",
        "{\"ts_ms\":1,\"extension_id\":\"a\",\"call_id\":\"c1\",\"method\":\"fs\",\"params\":{\"op\":\"read\",\"path\":\"README.md\"}}\n\
         {\"ts_ms\":2,\"extension_id\":\"a\",\"call_id\":\"c2\",\"method\":\"log\",\"params\":{\"message\":\"hi\"}}\n",
    )
}

#[test]
fn a_non_empty_out_folder_needs_force_and_force_leaves_no_stale_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A demo leaves bundle.json and events.jsonl, which `run` does not write.
    assert_eq!(hostguard(&["demo", "--out", s(&out)]).code, 0);
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let stream = two_calls(dir.path());
    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&out)]);
    assert_bad_input(&o, "is not empty");
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    let again = hostguard(&["demo", "--out", s(&out)]);
    assert_bad_input(&again, "is not empty");

    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&out), "--force"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("--force removed"), "{}", o.stderr);
    assert!(o.stderr.contains("notes.txt"), "{}", o.stderr);
    assert!(!out.join("bundle.json").exists(), "stale bundle.json left");
    assert!(
        !out.join("events.jsonl").exists(),
        "stale events.jsonl left"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    let verdicts = std::fs::read_to_string(out.join("verdicts.jsonl")).unwrap();
    assert_eq!(verdicts.lines().count(), 2);
}

#[test]
fn force_never_removes_the_runs_own_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&out)]).code, 0);
    // Re-run the demo's stream into its own folder: events.jsonl is the input, not stale.
    let events = out.join("events.jsonl");
    let o = hostguard(&[
        "run",
        "--events",
        s(&events),
        "--out",
        s(&out),
        "--force",
        "--profile",
        "permissive",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(events.is_file());
}

#[test]
fn run_reads_the_stream_from_stdin_and_keeps_it() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let stream = two_calls(dir.path());
    let text = std::fs::read_to_string(&stream).unwrap();
    let out = dir.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hostguard"))
        .args(["run", "--events", "-", "--out", s(&out)])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 hostcalls"));
    assert_eq!(
        std::fs::read_to_string(out.join("events.jsonl")).unwrap(),
        text
    );
    // The same verdicts as from the file.
    let from_file = dir.path().join("file");
    assert_eq!(
        hostguard(&["run", "--events", s(&stream), "--out", s(&from_file)]).code,
        0
    );
    assert_eq!(
        std::fs::read_to_string(out.join("verdicts.jsonl")).unwrap(),
        std::fs::read_to_string(from_file.join("verdicts.jsonl")).unwrap()
    );
}
