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
    // The manifest names what run wrote: the list `--force` checks before writing.
    let manifest = std::fs::read_to_string(out.join(".hostguard-artifacts")).unwrap();
    let mut writes = hostguard_cli::out_dir::names::RUN_WRITES.to_vec();
    writes.sort_unstable();
    assert_eq!(manifest.lines().collect::<Vec<_>>(), writes);
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

/// The subcommands a `--help` text lists (clap's `Commands:` section), `help` left out.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect()
}

/// Every leaf command, as its words (`["ledger", "verify"]`), from the binary's own help.
fn leaf_commands() -> Vec<Vec<String>> {
    let mut leaves = Vec::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = hostguard(&args);
        assert_eq!(help.code, 0, "{args:?}");
        let children = subcommands(&help.stdout);
        for child in &children {
            let mut next = path.clone();
            next.push(child.clone());
            queue.push(next);
        }
        if children.is_empty() {
            leaves.push(path);
        }
    }
    leaves
}

/// Commands whose output is a file format of another program, not a result: a shell
/// completion script, a roff man page.
const NOT_RESULTS: [&str; 2] = ["completions", "man"];

#[test]
fn every_command_has_json_output() {
    let leaves = leaf_commands();
    assert!(leaves.len() >= 17, "{leaves:?}");
    for leaf in leaves {
        if leaf.len() == 1 && NOT_RESULTS.contains(&leaf[0].as_str()) {
            continue;
        }
        let mut args: Vec<&str> = leaf.iter().map(String::as_str).collect();
        args.push("--help");
        let help = hostguard(&args).stdout;
        let has_flag = help
            .lines()
            .any(|l| l.split_whitespace().next() == Some("--json"));
        assert!(has_flag, "`hostguard {}` lacks --json", leaf.join(" "));
    }
}

/// Runs a command with `--json`; its stdout is one JSON document naming its schema.
fn json_doc(args: &[&str], schema: &str) -> serde_json::Value {
    let o = hostguard(args);
    assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(doc.get("schema"), Some(&schema.into()), "{args:?}");
    doc
}

#[test]
fn json_output_of_demo_run_events_check_what_if_and_bundle_build() {
    let dir = tempfile::tempdir().unwrap();
    let demo_out = dir.path().join("demo");
    let demo = json_doc(
        &["demo", "--out", s(&demo_out), "--json"],
        "hostguard.demo_summary.v1",
    );
    assert_eq!(demo["verified"], true);
    assert_eq!(demo["profile"], "permissive");
    let events = demo_out.join("events.jsonl");
    let check = json_doc(
        &["events", "check", s(&events), "--json"],
        "hostguard.events_check.v1",
    );
    let run_out = dir.path().join("run");
    let run = json_doc(
        &[
            "run",
            "--events",
            s(&events),
            "--out",
            s(&run_out),
            "--profile",
            "permissive",
            "--json",
        ],
        "hostguard.run_summary.v1",
    );
    // The same stream, counted alike by the two commands and the demo.
    assert_eq!(run["hostcalls"], check["hostcalls"]);
    assert_eq!(run["hostcalls"], demo["hostcalls"]);
    assert_eq!(run["verdicts"]["blocked"], demo["blocked"]);
    assert_eq!(run["ledger"]["chain_valid"], true);
    let bundle = dir.path().join("b.json");
    let built = json_doc(
        &[
            "bundle",
            "build",
            "--from",
            s(&run_out),
            "--out",
            s(&bundle),
            "--json",
        ],
        "hostguard.bundle_build.v1",
    );
    assert_eq!(built["verification"]["valid"], true);
    let config = write(dir.path(), "strict.toml", "profile = \"safe\"\n");
    let what_if = json_doc(
        &[
            "what-if",
            "--events",
            s(&events),
            "--config",
            s(&config),
            "--json",
        ],
        "hostguard.what_if.v1",
    );
    assert_eq!(what_if["verdicts"], run["hostcalls"]);
    assert!(what_if["changes"].is_array());
}

/// One name per concept: `--band-profile`, `band_profile`, `HOSTGUARD_RISK_BAND_PROFILE`;
/// `--window-size`, `window_size`, `HOSTGUARD_RISK_WINDOW_SIZE`. The old names still work, each
/// with a warning that names the new one.
#[test]
fn old_config_names_work_with_a_warning_naming_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.toml", "profile = \"safe\"\n");
    let o = hostguard_env(
        &["config", "explain", "--config", s(&old), "--json"],
        &[("HOSTGUARD_RISK_WINDOW", "64")],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("`profile` is the old name of `band_profile`"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("`HOSTGUARD_RISK_WINDOW` is the old name of `HOSTGUARD_RISK_WINDOW_SIZE`"),
        "{}",
        o.stderr
    );
    let text = hostguard_env(
        &["config", "explain", "--band-profile", "safe"],
        &[("HOSTGUARD_RISK_WINDOW_SIZE", "64")],
    );
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stderr.is_empty(), "{}", text.stderr);
    for line in ["band_profile", "HOSTGUARD_RISK_WINDOW_SIZE"] {
        assert!(text.stdout.contains(line), "{line}: {}", text.stdout);
    }
}

/// Values on the command line are kebab-case (`--phase enforce-all`, `--category
/// exec-mediation`); the snake_case spellings of the artifacts are accepted too, with a warning.
#[test]
fn kebab_and_snake_values_are_both_accepted_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&out)]).code, 0);
    let help = hostguard(&["run", "--help"]).stdout;
    assert!(
        help.contains("log-only, enforce-new, enforce-all"),
        "{help}"
    );
    for (category, name) in [("exec-mediation", "k.json"), ("exec_mediation", "s.json")] {
        let bundle = dir.path().join(name);
        let o = hostguard(&[
            "bundle",
            "build",
            "--from",
            s(&out),
            "--category",
            category,
            "--out",
            s(&bundle),
            "--json",
        ]);
        assert_eq!(o.code, 0, "{category}: {}", o.stderr);
        // The snake_case spelling works, with a warning naming the command-line spelling.
        assert_eq!(
            o.stderr
                .contains("command-line values are kebab-case, `exec-mediation`"),
            category.contains('_'),
            "{category}: {}",
            o.stderr
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("k.json")).unwrap(),
        std::fs::read(dir.path().join("s.json")).unwrap()
    );
}

/// One message format: `hostguard: file:line:column: message`, 1-based, for a config file's
/// syntax errors and for a bad key or value in it alike.
#[test]
fn config_file_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, at) in [
        ("syntax.toml", "alpha = 0.1\nwindow_size = \"", ":2:16: "),
        (
            "value.toml",
            "alpha = 0.1\n  window_size = 4097\n",
            ":2:3: ",
        ),
        ("key.toml", "alpha = 0.1\nwindow = 64\n", ":2:1: "),
        ("dup.json", "{\"alpha\": 0.1,\n \"alpha\": 0.2}", ":2:2: "),
        // Columns count chars, not bytes.
        ("accent.json", "{\"band_profile\": \"ééééé\" x}", ":1:26: "),
    ] {
        let file = write(dir.path(), name, text);
        let o = hostguard(&["config", "explain", "--config", s(&file)]);
        let expected = format!("hostguard: {}{at}", s(&file));
        assert_bad_input(&o, &expected);
        assert!(o.stderr.starts_with(&expected), "{name}: {}", o.stderr);
    }
}

/// `--json`: standard output is exactly one JSON document on every path — a usage error, and a
/// report printed before the command fails (a bare bundle checked with --pubkey).
#[test]
fn json_stdout_is_one_document_on_usage_errors_and_late_failures() {
    let o = hostguard(&[
        "run", "--events", "x", "--out", "y", "--phase", "bogus", "--json",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(doc.get("schema"), Some(&"hostguard.cli_error.v1".into()));
    assert!(o.stderr.starts_with("hostguard: "), "{}", o.stderr);
    // The whole of clap's message, not its first line: it names what is missing.
    let o = hostguard(&["run", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let error = doc["error"].as_str().unwrap();
    assert!(
        error.contains("--events") && error.contains("--out"),
        "{error}"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&out)]).code, 0);
    let key = dir.path().join("k");
    assert_eq!(hostguard(&["key", "generate", "--out", s(&key)]).code, 0);
    let pubkey = dir.path().join("k.pub");
    let o = hostguard(&[
        "bundle",
        "verify",
        s(&out.join("bundle.json")),
        "--pubkey",
        s(&pubkey),
        "--json",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(doc.get("checkpoint").is_some(), "{doc}");
}

/// A named pipe is read once, copied aside (the stream is read twice), and kept as the run's
/// record of its input; what-if, which cannot copy, refuses it by name.
#[test]
fn a_named_pipe_is_read_whole_by_run_and_refused_by_what_if() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(two_calls(dir.path())).unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let out = dir.path().join("out");
    let o = hostguard(&["run", "--events", s(&fifo), "--out", s(&out)]);
    writer.join().unwrap();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("2 hostcalls"), "{}", o.stdout);
    assert_eq!(
        std::fs::read_to_string(out.join("events.jsonl")).unwrap(),
        text
    );
    let config = write(dir.path(), "c.toml", "alpha = 0.05\n");
    let o = hostguard(&["what-if", "--events", s(&fifo), "--config", s(&config)]);
    assert_bad_input(&o, "is not a regular file");
}

/// `--force` never loses or overwrites what is not a stale artifact of hostguard's own: the
/// user's files in a folder hostguard never wrote, an input inside the folder, the target of
/// a symlink, the stream piped in from the folder's own copy.
#[test]
fn force_touches_only_hostguards_own_stale_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let stream = two_calls(dir.path());
    // A folder of the user's: no manifest, so nothing of it is removed.
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("bundle.json"), "my own").unwrap();
    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&mine), "--force"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(mine.join("bundle.json")).unwrap(),
        "my own"
    );
    // An input under an artifact's name inside the folder would be overwritten: refused.
    let ledger = mine.join("ledger.json");
    let o = hostguard(&[
        "run",
        "--events",
        s(&stream),
        "--out",
        s(&mine),
        "--force",
        "--ledger-file",
        s(&ledger),
    ]);
    assert_bad_input(&o, "move it out");
    // A symlinked artifact is replaced, its target left alone.
    let outside = dir.path().join("outside.json");
    std::fs::write(&outside, "keep").unwrap();
    std::fs::remove_file(mine.join("alerts.json")).unwrap();
    std::os::unix::fs::symlink(&outside, mine.join("alerts.json")).unwrap();
    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&mine), "--force"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
    assert!(mine
        .join("alerts.json")
        .symlink_metadata()
        .unwrap()
        .is_file());
    // stdin is the folder's own events.jsonl: read whole before anything replaces it.
    let demo = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&demo)]).code, 0);
    let own = std::fs::File::open(demo.join("events.jsonl")).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hostguard"))
        .args([
            "run",
            "--events",
            "-",
            "--out",
            s(&demo),
            "--force",
            "--profile",
            "permissive",
        ])
        .stdin(own)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("25 hostcalls"), "{stdout}");
    assert!(
        !demo.join("bundle.json").exists(),
        "the demo's stale bundle.json stays"
    );
}

/// The demo has alerts that name no extension (the automatic rollback): they must not make a
/// bundle of an extension the run never saw look valid.
#[test]
fn a_bundle_of_an_extension_the_run_never_saw_is_refused_even_beside_global_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&demo)]).code, 0);
    let bundle = dir.path().join("b.json");
    let o = hostguard(&[
        "bundle",
        "build",
        "--from",
        s(&demo),
        "--extension",
        "typo",
        "--out",
        s(&bundle),
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("code-helper, theme-pack"), "{}", o.stderr);
    assert!(!bundle.exists());
    let o = hostguard(&[
        "bundle",
        "build",
        "--from",
        s(&demo),
        "--extension",
        "theme-pack",
        "--out",
        s(&bundle),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

/// Record retention (1024 per extension and stream) is said in the summary and in --json, not
/// hidden behind a shorter telemetry.json.
#[test]
fn the_run_summary_says_what_record_retention_evicted() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..1030)
        .map(|i| {
            format!(
                "{{\"ts_ms\":{},\"extension_id\":\"busy\",\"call_id\":\"c{i}\",\"method\":\"log\",\"params\":{{\"message\":\"m\"}}}}\n",
                1_000 + i * 1_000
            )
        })
        .collect();
    let stream = write(dir.path(), "busy.jsonl", &lines);
    let out = dir.path().join("out");
    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&out), "--json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(doc["records_evicted"]["telemetry"], 6, "{doc}");
    let text = hostguard(&["run", "--events", s(&stream), "--out", s(&out), "--force"]);
    assert!(
        text.stdout
            .contains("records: retention evicted 6 telemetry events"),
        "{}",
        text.stdout
    );
}

/// Arguments and environment variables that are not UTF-8 never panic the binary.
#[test]
fn non_utf8_arguments_and_environment_never_panic() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let stream = two_calls(dir.path());
    let odd = std::ffi::OsStr::from_bytes(b"r\xff");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hostguard"))
        .current_dir(dir.path())
        .arg("run")
        .arg("--events")
        .arg(&stream)
        .arg("--out")
        .arg(odd)
        .env(
            std::ffi::OsStr::from_bytes(b"JUNK"),
            std::ffi::OsStr::from_bytes(b"\xff"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hostguard"))
        .args(["config", "explain"])
        .env(
            "HOSTGUARD_RISK_ALPHA",
            std::ffi::OsStr::from_bytes(b"0.\xff"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`HOSTGUARD_RISK_ALPHA` is not UTF-8"),
        "{stderr}"
    );
}

/// What a folder holds never redirects a write: a symlink at a side file is replaced, a pipe at
/// an artifact's name is refused (no hang), a user's file under an artifact's name is refused.
#[test]
fn planted_symlinks_pipes_and_foreign_files_never_redirect_or_lose_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let stream = two_calls(dir.path());
    let out = dir.path().join("out");
    assert_eq!(
        hostguard(&["run", "--events", s(&stream), "--out", s(&out)]).code,
        0
    );
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    for side in ["verdicts.jsonl.partial", "ledger.json.writing"] {
        std::os::unix::fs::symlink(&victim, out.join(side)).unwrap();
    }
    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&out), "--force"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    for name in ["verdicts.jsonl", "ledger.json"] {
        assert!(
            out.join(name).symlink_metadata().unwrap().is_file(),
            "{name}"
        );
    }
    // A pipe at an artifact's name: refused, not waited on.
    std::fs::remove_file(out.join("trust.json")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(out.join("trust.json"))
        .status()
        .unwrap();
    assert!(made.success());
    let o = hostguard(&["run", "--events", s(&stream), "--out", s(&out), "--force"]);
    assert_bad_input(&o, "is not a regular file");
    // A user's file under an artifact's name, in a folder no manifest describes.
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("ledger.json"), "my ledger").unwrap();
    let o = hostguard(&["demo", "--out", s(&mine), "--force"]);
    assert_bad_input(&o, "was not written by hostguard");
    assert_eq!(
        std::fs::read_to_string(mine.join("ledger.json")).unwrap(),
        "my ledger"
    );
}

/// The copy of a piped stream a failed run kept is not overwritten by the next piped run.
#[test]
fn a_kept_copy_of_a_failed_piped_run_is_never_overwritten() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let piped = |input: &str, force: bool| {
        let mut args = vec!["run", "--events", "-", "--out", s(&out)];
        if force {
            args.push("--force");
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hostguard"))
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, stderr) = piped("{\"ts_ms\":1,\n", false);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is kept as"), "{stderr}");
    let kept = out.join("events.jsonl.partial");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "{\"ts_ms\":1,\n");
    let (code, stderr) = piped("", true);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("holds the stream of an earlier run that failed"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "{\"ts_ms\":1,\n");
}

/// An output file the operator restricted keeps its permissions when rewritten.
#[test]
fn a_rewritten_output_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    assert_eq!(hostguard(&["demo", "--out", s(&demo)]).code, 0);
    let bundle = dir.path().join("internal.json");
    std::fs::write(&bundle, "old").unwrap();
    std::fs::set_permissions(&bundle, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = hostguard(&[
        "bundle",
        "build",
        "--from",
        s(&demo),
        "--redact",
        "internal",
        "--out",
        s(&bundle),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mode = std::fs::metadata(&bundle).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!dir.path().join("internal.json.writing").exists());
}
