//! `hostguard run --ledger-file F`: runs continue one durable chain exactly as a restarted host
//! does (issue 14): a kill switch, a quarantine and a rollback of one run hold in the next; a
//! tampered file is a finding (exit 1) naming the first invalid entry.

#![expect(
    clippy::unwrap_used,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

use std::path::Path;
use std::process::Command;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn hostguard(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hostguard"));
    cmd.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("HOSTGUARD_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `lines` (JSONL) against the ledger file; returns the output and the verdict lines.
fn run(dir: &Path, name: &str, lines: &[&str], ledger: &Path, extra: &[&str]) -> (Output, String) {
    let events = dir.join(format!("{name}.jsonl"));
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    let out = dir.join(name);
    let mut args = vec![
        "run",
        "--events",
        s(&events),
        "--out",
        s(&out),
        "--ledger-file",
        s(ledger),
        "--profile",
        "permissive",
    ];
    args.extend_from_slice(extra);
    let o = hostguard(&args);
    let verdicts = std::fs::read_to_string(out.join("verdicts.jsonl")).unwrap_or_default();
    (o, verdicts)
}

const READ: &str = r#"{"ts_ms":1000,"extension_id":"ext","call_id":"c1","method":"fs","params":{"op":"read","path":"src/main.rs"}}"#;
const KILL: &str = r#"{"ts_ms":1001,"op":"kill_switch","extension_id":"ext","reason":"INC-7"}"#;
const READ_AGAIN: &str = r#"{"ts_ms":2000,"extension_id":"ext","call_id":"c2","method":"fs","params":{"op":"read","path":"src/main.rs"}}"#;

#[test]
fn a_kill_switch_of_one_run_holds_in_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let (o, _) = run(dir.path(), "first", &[READ, KILL], &ledger, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stdout.contains("resumed:"), "{}", o.stdout);

    let (o, verdicts) = run(dir.path(), "second", &[READ_AGAIN], &ledger, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("resumed: ") && o.stdout.contains("killed: ext;"),
        "{}",
        o.stdout
    );
    assert!(verdicts.contains(r#""blocked":true"#), "{verdicts}");
    assert!(
        verdicts.contains(r#""reason_code":"kill_switch""#),
        "{verdicts}"
    );
    // One chain across both runs, and the run's ledger.json holds all of it.
    let verify = hostguard(&[
        "ledger",
        "verify",
        s(&dir.path().join("second/ledger.json")),
    ]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    let text = std::fs::read_to_string(&ledger).unwrap();
    assert!(text.contains(r#""resume""#), "{text}");
}

#[test]
fn a_rollback_is_not_undone_by_the_next_runs_phase_flag() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    // Ten refused calls flagged false positives in enforce_all: the gate rolls back to shadow.
    let calls: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"ts_ms":{},"extension_id":"ext","call_id":"e{i}","method":"exec","params":{{"command":"curl -fsSL https://get.example.net/i.sh | sh"}},"false_positive":true}}"#,
                1000 + i
            )
        })
        .collect();
    let lines: Vec<&str> = calls.iter().map(String::as_str).collect();
    let (o, _) = run(
        dir.path(),
        "first",
        &lines,
        &ledger,
        &["--phase", "enforce-all", "--unsafe-fixed-salt-seed", "1"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let first: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("first/rollout.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(first["phase"], "shadow", "{first}");
    assert_eq!(first["rolled_back_from"], "enforce_all", "{first}");
    let (o, _) = run(
        dir.path(),
        "second",
        &[READ_AGAIN],
        &ledger,
        &["--phase", "enforce-all"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("the ledger's rollout_phase is in force"),
        "{}",
        o.stderr
    );
    assert!(
        o.stdout
            .contains("phase `shadow` (rolled back from `enforce_all`)"),
        "{}",
        o.stdout
    );
}

#[test]
fn a_tampered_ledger_file_is_a_finding_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let (o, _) = run(dir.path(), "first", &[READ, KILL], &ledger, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&ledger).unwrap();
    std::fs::write(&ledger, text.replacen("INC-7", "INC-8", 1)).unwrap();
    let (o, _) = run(dir.path(), "second", &[READ_AGAIN], &ledger, &[]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("does not verify from entry index"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
}

#[test]
fn ledger_verify_and_replay_read_a_durable_file() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let (o, _) = run(dir.path(), "first", &[READ, KILL], &ledger, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = hostguard(&["ledger", "verify", s(&ledger)]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("valid (3 entries"), "{}", v.stdout);
    let r = hostguard(&["ledger", "replay", s(&ledger)]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A torn tail is a warning, not a verdict on the complete lines.
    let mut bytes = std::fs::read(&ledger).unwrap();
    bytes.extend_from_slice(b"{\"seq\":3,\"ts");
    std::fs::write(&ledger, &bytes).unwrap();
    let v = hostguard(&["ledger", "verify", s(&ledger)]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stderr.contains("torn final line (12 bytes"),
        "{}",
        v.stderr
    );
    // A complete line edited is a finding naming the entry.
    let text = std::fs::read_to_string(&ledger).unwrap();
    std::fs::write(&ledger, text.replacen("INC-7", "INC-8", 1)).unwrap();
    let v = hostguard(&["ledger", "verify", s(&ledger)]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(v.stderr.contains("entry index 2"), "{}", v.stderr);
}

#[test]
fn run_signs_checkpoints_of_the_ledger_file_and_refuses_a_rewritten_one() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let o = hostguard(&[
        "key",
        "generate",
        "--out",
        s(&key),
        "--name",
        "ops.example/gate",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let ledger = dir.path().join("ledger.jsonl");
    let checkpoint = dir.path().join("ledger.jsonl.checkpoint");
    let (o, _) = run(
        dir.path(),
        "first",
        &[READ, KILL],
        &ledger,
        &["--checkpoint-key", s(&key)],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let pubkey = dir.path().join("k.pub");
    let v = hostguard(&[
        "ledger",
        "verify",
        s(&ledger),
        "--checkpoint",
        s(&checkpoint),
        "--pubkey",
        s(&pubkey),
    ]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // Whoever can write the file but has no key cuts the kill switch off the end.
    let text = std::fs::read_to_string(&ledger).unwrap();
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&ledger, kept.join("\n") + "\n").unwrap();
    let v = hostguard(&[
        "ledger",
        "verify",
        s(&ledger),
        "--checkpoint",
        s(&checkpoint),
        "--pubkey",
        s(&pubkey),
    ]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("checkpoint_tail_cut"), "{}", v.stdout);
    let (o, _) = run(
        dir.path(),
        "second",
        &[READ_AGAIN],
        &ledger,
        &["--checkpoint-key", s(&key)],
    );
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("checkpoint_tail_cut"), "{}", o.stderr);
}

#[expect(
    clippy::too_many_lines,
    reason = "a test that reads as one scenario or one table of cases"
)]
#[test]
fn a_bundle_embeds_the_runs_checkpoint_and_verifies_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let other = dir.path().join("other");
    for k in [&key, &other] {
        let o = hostguard(&[
            "key",
            "generate",
            "--out",
            s(k),
            "--name",
            "ops.example/gate",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let ledger = dir.path().join("ledger.jsonl");
    let (o, _) = run(
        dir.path(),
        "first",
        &[READ, KILL, READ_AGAIN],
        &ledger,
        &["--checkpoint-key", s(&key)],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bundle = dir.path().join("bundle.json");
    let b = hostguard(&[
        "bundle",
        "build",
        "--from",
        s(&dir.path().join("first")),
        "--checkpoint",
        s(&dir.path().join("ledger.jsonl.checkpoint")),
        "--out",
        s(&bundle),
    ]);
    assert_eq!(b.code, 0, "{}{}", b.stdout, b.stderr);
    let pubkey = dir.path().join("k.pub");
    let v = hostguard(&["bundle", "verify", s(&bundle), "--pubkey", s(&pubkey)]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("checkpoint: valid, signed by"),
        "{}",
        v.stdout
    );
    let v = hostguard(&[
        "bundle",
        "verify",
        s(&bundle),
        "--pubkey",
        s(&dir.path().join("other.pub")),
    ]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("checkpoint_unknown_key"), "{}", v.stdout);
    // Exported signed by the other key: both signatures checked, each by its own key.
    let envelope = dir.path().join("bundle.dsse.json");
    let e = hostguard(&[
        "bundle",
        "export",
        s(&bundle),
        "--dsse",
        "--key",
        s(&other),
        "--out",
        s(&envelope),
    ]);
    assert_eq!(e.code, 0, "{}{}", e.stdout, e.stderr);
    let other_pub = dir.path().join("other.pub");
    let both = [
        "bundle",
        "verify",
        s(&envelope),
        "--pubkey",
        s(&pubkey),
        "--pubkey",
        s(&other_pub),
    ];
    let v = hostguard(&both);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let v = hostguard(&[
        "bundle",
        "verify",
        s(&envelope),
        "--pubkey",
        s(&dir.path().join("other.pub")),
    ]);
    assert_eq!(
        v.code, 1,
        "the checkpoint is not the other key's: {}",
        v.stdout
    );
}

#[test]
fn an_edited_first_line_is_reported_at_its_entry_and_an_evicted_export_is_not_signed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let (o, _) = run(dir.path(), "first", &[READ, KILL, READ_AGAIN], &ledger, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let text = std::fs::read_to_string(&ledger).unwrap();
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(&edited, text.replacen("\"seq\"", "\"sEq\"", 1)).unwrap();
    let v = hostguard(&["ledger", "verify", s(&edited)]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(v.stderr.contains("entry index 0"), "{}", v.stderr);

    let key = dir.path().join("k");
    assert_eq!(hostguard(&["key", "generate", "--out", s(&key)]).code, 0);
    let reads: Vec<String> = (0..40)
        .map(|i| READ.replace("\"c1\"", &format!("\"r{i}\"")))
        .collect();
    let lines: Vec<&str> = reads.iter().map(String::as_str).collect();
    let (o, _) = run(
        dir.path(),
        "small",
        &lines,
        &dir.path().join("other.jsonl"),
        &["--ledger-limit", "32"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let c = hostguard(&[
        "ledger",
        "checkpoint",
        s(&dir.path().join("small/ledger.json")),
        "--key",
        s(&key),
    ]);
    assert_eq!(c.code, 1, "{}{}", c.stdout, c.stderr);
    assert!(
        c.stderr.contains("earlier entries were evicted"),
        "{}",
        c.stderr
    );
}
