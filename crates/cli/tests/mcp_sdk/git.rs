//! `mcp-server-git` (PyPI) behind `hostguard mcp`, driven by the SDK's client, on a repository
//! the test makes: benign calls answer exactly as the server does directly; calls at credential
//! stores and start-up folders are refused and never reach the server.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use super::harness::*;

/// A repository at `path`, made afresh, the same to the byte every time (fixed names and
/// dates): two commits on `main`, a staged change and an unstaged one.
fn make_repo(path: &Path) {
    if path.exists() {
        std::fs::remove_dir_all(path).unwrap();
    }
    std::fs::create_dir_all(path).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.test"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
            .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "--quiet"]);
    std::fs::write(path.join("README.md"), "# demo\n").unwrap();
    std::fs::write(path.join("lib.rs"), "pub fn one() -> u8 {\n    1\n}\n").unwrap();
    git(&["add", "README.md", "lib.rs"]);
    git(&["commit", "--quiet", "-m", "first"]);
    std::fs::write(path.join("README.md"), "# demo\n\nA demo.\n").unwrap();
    git(&["commit", "--quiet", "-am", "describe the demo"]);
    std::fs::write(path.join("lib.rs"), "pub fn one() -> u8 {\n    2 - 1\n}\n").unwrap();
    std::fs::write(path.join("new.txt"), "staged\n").unwrap();
    git(&["add", "new.txt"]);
}

fn benign_steps(repo: &str) -> Value {
    let r = |extra: Value| {
        let mut args = json!({"repo_path": repo});
        if let (Some(a), Some(e)) = (args.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        args
    };
    json!([
        list(),
        call("git_status", r(json!({}))),
        call("git_diff_unstaged", r(json!({}))),
        call("git_diff_staged", r(json!({}))),
        call("git_diff", r(json!({"target": "HEAD~1"}))),
        call("git_log", r(json!({"max_count": 5}))),
        call("git_show", r(json!({"revision": "HEAD"}))),
        call("git_branch", r(json!({"branch_type": "local"}))),
        call("git_create_branch", r(json!({"branch_name": "docs"}))),
        call("git_checkout", r(json!({"branch_name": "docs"}))),
        call("git_status", r(json!({}))),
    ])
}

#[test]
fn git_benign_calls_return_exactly_what_the_server_returns_directly() {
    let deps = Deps::get();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let steps = benign_steps(&s(&repo));
    let calls = steps.as_array().unwrap().len();

    make_repo(&repo);
    let direct = deps.session(&deps.git_server(&repo), None, steps.clone());
    make_repo(&repo);
    let gateway = Gateway::new(&dir.path().join("state"), "git");
    let gated = deps.session(&deps.git_server(&repo), Some(&gateway), steps);

    // First use: every tool trusted, listed to the model as the server lists it.
    assert_eq!(gated.tools(0), direct.tools(0));
    assert!(
        direct.tool_names(0).contains(&"git_status"),
        "{}",
        direct.brief()
    );
    for step in 1..calls {
        assert!(!direct.is_error(step), "{}", direct.brief());
        assert_eq!(
            gated.result(step),
            direct.result(step),
            "step {step} differs through the gateway"
        );
    }
    assert!(gated.text(1).contains("new.txt"), "{}", gated.brief());
    assert!(gated.text(9).contains("docs"), "{}", gated.brief());
}

#[test]
fn git_calls_at_credentials_and_start_up_folders_are_refused_and_never_reach_the_server() {
    let deps = Deps::get();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    make_repo(&repo);
    let repo_path = s(&repo);
    let steps = json!([
        list(),
        call("git_status", json!({"repo_path": repo_path})),
        call(
            "git_show",
            json!({"repo_path": "/home/dev/.aws", "revision": "HEAD:credentials"})
        ),
        call("git_log", json!({"repo_path": "/home/dev/.ssh"})),
        call(
            "git_create_branch",
            json!({"repo_path": "/home/dev/.config/autostart", "branch_name": "x"})
        ),
    ]);
    let harmful = [
        "/home/dev/.aws",
        "/home/dev/.ssh",
        "/home/dev/.config/autostart",
    ];

    // Directly, the server is sent every call (its own confinement to the repository answers
    // them): the log sees what a server is sent.
    let direct_log = dir.path().join("direct.jsonl");
    let server = Deps::logged(deps.git_server(&repo), &direct_log);
    deps.session(&server, None, steps.clone());
    let seen = read_or_empty(&direct_log);
    for path in harmful {
        assert!(seen.contains(path), "the log missed {path}: {seen}");
    }

    let gated_log = dir.path().join("gated.jsonl");
    let server = Deps::logged(deps.git_server(&repo), &gated_log);
    let gateway = Gateway::new(&dir.path().join("state"), "git");
    let gated = deps.session(&server, Some(&gateway), steps);
    assert!(!gated.is_error(1), "{}", gated.brief());
    for step in 2..=4 {
        assert_refused(&gated, step);
    }
    let seen = read_or_empty(&gated_log);
    assert!(
        seen.contains("git_status"),
        "the benign call went through: {seen}"
    );
    for path in harmful {
        assert!(!seen.contains(path), "{path} reached the server: {seen}");
    }
}
