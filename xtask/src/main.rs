//! `cargo xtask`: the maintainers' tasks (docs/design.md §9).
//!
//! `cargo xtask ci` runs exactly what `.ci/run` runs, step by step, printing each step and
//! stopping at the first one that fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

mod bench;
mod circles;
mod detect;
mod fixtures;
mod gen;
mod mcp_deps;
mod schemas;
mod traces;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("deps") => {
            check_dependency_direction().and_then(|()| circles::check(&workspace_root()?))
        }
        Some("fixtures") => match flag(&args, "--check") {
            Ok(check) => workspace_root().and_then(|root| fixtures::run(&root, check)),
            Err(e) => Err(e),
        },
        Some("schemas") => match flag(&args, "--check") {
            Ok(check) => workspace_root().and_then(|root| schemas::run(&root, check)),
            Err(e) => Err(e),
        },
        Some("detect") => no_args(&args)
            .and_then(|()| workspace_root())
            .and_then(|root| detect::run(&root)),
        Some("snapshots") => match flag(&args, "--accept") {
            Ok(accept) => snapshots(accept),
            Err(e) => Err(e),
        },
        Some("mcp-deps") => no_args(&args).and_then(|()| mcp_deps_task()),
        Some("mcp-sdk") => no_args(&args).and_then(|()| mcp_sdk_suite()),
        Some("bench") => match bench_run(&args) {
            Ok(what) => workspace_root().and_then(|root| bench::run(&root, what)),
            Err(e) => Err(e),
        },
        Some("help") | Some("--help") | Some("-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => {
            eprintln!("xtask: unknown task `{other}`");
            print_help();
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    eprintln!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         ci                   fmt --check, dependency direction, clippy -D warnings, tests, doc tests,\n  \
                              the host example, fixtures --check, schemas --check, snapshots, detect,\n  \
                              mcp-deps, mcp-sdk\n  \
         deps                 check that crate dependencies point down only (docs/design.md §1) and that\n  \
                              no two files of a crate import each other (STYLE.md)\n  \
         fixtures [--check]   regenerate fixtures/ from the fixed seed; --check fails if a byte would change\n  \
         schemas [--check]    write schemas/ (the JSON Schema of every artifact and input, from the\n  \
                              Rust types); --check fails if a byte would change\n  \
         snapshots [--accept] run the insta snapshot tests (never writing snapshots unless --accept)\n  \
         detect               hostguard run over fixtures/traces and the blind traces (enforce_all): no\n  \
                              benign call stopped, every harmful call stopped but the listed known\n  \
                              misses (docs/design.md §10, docs/detection.md)\n  \
         mcp-deps             install the pinned MCP software of the mcp-sdk suite (crates/cli/tests/mcp_sdk/:\n  \
                              the MCP Python SDK, mcp-server-git, server-filesystem) under the target\n  \
                              directory; skipped when its stamp matches the pin files\n  \
         mcp-sdk              mcp-deps, then the suite of `hostguard mcp` against that real software\n  \
                              (`cargo test -p hostguard-cli --test mcp_sdk`, linted first)\n  \
         bench [--summary|--mcp]  run every criterion bench, print bench / median / target / ratio\n  \
                              and the p50 / p99 added latency of `hostguard mcp` (--summary: only\n  \
                              print the last run's; --mcp: run only the `hostguard mcp` bench)"
    );
}

/// One CI step: a name and the cargo arguments it runs.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
}

const CI_STEPS: &[Step] = &[
    Step {
        name: "format",
        args: &["fmt", "--all", "--", "--check"],
    },
    Step {
        name: "clippy",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "tests",
        args: &[
            "test",
            "--workspace",
            "--locked",
            "--lib",
            "--bins",
            "--tests",
        ],
    },
    Step {
        name: "doc tests",
        args: &["test", "--workspace", "--locked", "--doc"],
    },
    // The host integration README points to (examples/host.rs): it checks its own account of
    // the gate and exits non-zero when the API no longer behaves as it shows.
    Step {
        name: "host example",
        args: &["run", "--locked", "--quiet", "--example", "host"],
    },
];

fn ci() -> Result<()> {
    let root = workspace_root()?;
    let total = CI_STEPS.len() + 7;
    println!("==> [1/{total}] dependency direction, file circles");
    check_dependency_direction()?;
    circles::check(&root)?;
    for (i, step) in CI_STEPS.iter().enumerate() {
        println!(
            "==> [{}/{total}] {}: cargo {}",
            i + 2,
            step.name,
            step.args.join(" ")
        );
        run_cargo(step.args).with_context(|| format!("ci step `{}` failed", step.name))?;
    }
    println!(
        "==> [{}/{total}] fixtures are up to date",
        CI_STEPS.len() + 2
    );
    fixtures::run(&root, true).context("ci step `fixtures` failed")?;
    println!(
        "==> [{}/{total}] schemas are up to date",
        CI_STEPS.len() + 3
    );
    schemas::run(&root, true).context("ci step `schemas` failed")?;
    println!(
        "==> [{}/{total}] snapshot tests (INSTA_UPDATE=no)",
        CI_STEPS.len() + 4
    );
    snapshots(false).context("ci step `snapshots` failed")?;
    println!(
        "==> [{}/{total}] detection quality: hostguard run over fixtures/traces",
        CI_STEPS.len() + 5
    );
    detect::run(&root).context("ci step `detect` failed")?;
    // The MCP suite against real third-party software (docs/mcp.md "Tested against"): a failed
    // install fails CI; the suite (`test = false`: no `cargo test` builds it) is linted and
    // run here.
    println!(
        "==> [{}/{total}] MCP suite software: pinned venv and node_modules (mcp-deps)",
        CI_STEPS.len() + 6
    );
    let dir = mcp_deps::run(&root, &target_directory()?).context("ci step `mcp-deps` failed")?;
    println!(
        "==> [{total}/{total}] MCP suite: {}",
        MCP_SDK_ARGS.join(" ")
    );
    run_mcp_suite(&dir).context("ci step `mcp-sdk` failed")?;
    println!("==> ci passed ({total} steps)");
    Ok(())
}

/// The MCP suite: its own test target, which needs `mcp-deps`.
const MCP_SDK_ARGS: &[&str] = &[
    "test",
    "--locked",
    "-p",
    "hostguard-cli",
    "--test",
    "mcp_sdk",
];

/// The suite's lint: `clippy --all-targets` skips a `test = false` target.
const MCP_SDK_LINT: &[&str] = &[
    "clippy",
    "--locked",
    "-p",
    "hostguard-cli",
    "--test",
    "mcp_sdk",
    "--",
    "-D",
    "warnings",
];

/// Lints the MCP suite, then runs it against the software installed in `dir`.
fn run_mcp_suite(dir: &Path) -> Result<()> {
    run_cargo(MCP_SDK_LINT)?;
    run_cargo_env(MCP_SDK_ARGS, &[(mcp_deps::DIR_VAR, dir)])
}

/// `cargo xtask mcp-deps`: installs the suite's software, and says where.
fn mcp_deps_task() -> Result<()> {
    let dir = mcp_deps::run(&workspace_root()?, &target_directory()?)?;
    println!("    {}={}", mcp_deps::DIR_VAR, dir.display());
    Ok(())
}

/// `cargo xtask mcp-sdk`: installs the suite's software if needed, then runs the suite.
fn mcp_sdk_suite() -> Result<()> {
    let dir = mcp_deps::run(&workspace_root()?, &target_directory()?)?;
    run_mcp_suite(&dir)
}

/// No argument after the task name.
fn no_args(args: &[String]) -> Result<()> {
    match args.get(1) {
        Some(arg) => bail!("unexpected argument `{arg}`"),
        None => Ok(()),
    }
}

/// `--flag` present or not; any other argument is a usage error.
fn flag(args: &[String], name: &str) -> Result<bool> {
    let mut present = false;
    for arg in args.iter().skip(1) {
        if arg == name {
            present = true;
        } else {
            bail!("unexpected argument `{arg}` (expected nothing or `{name}`)");
        }
    }
    Ok(present)
}

/// `bench`'s one optional flag.
fn bench_run(args: &[String]) -> Result<bench::Run> {
    match args.get(1..).unwrap_or_default() {
        [] => Ok(bench::Run::All),
        [flag] if flag == "--summary" => Ok(bench::Run::Nothing),
        [flag] if flag == "--mcp" => Ok(bench::Run::Mcp),
        [arg, ..] => {
            bail!("unexpected argument `{arg}` (expected nothing, `--summary` or `--mcp`)")
        }
    }
}

/// The workspace root (the parent of this crate's manifest directory).
fn workspace_root() -> Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// The packages with insta snapshot tests: every workspace member with an `insta`
/// dev-dependency.
fn snapshot_packages() -> Result<Vec<String>> {
    let meta = cargo_metadata()?;
    let packages = meta
        .get("packages")
        .and_then(|p| p.as_array())
        .context("cargo metadata has no `packages` array")?;
    let mut out = Vec::new();
    for package in packages {
        let uses_insta = package
            .get("dependencies")
            .and_then(|d| d.as_array())
            .is_some_and(|deps| {
                deps.iter()
                    .any(|d| d.get("name").and_then(|n| n.as_str()) == Some("insta"))
            });
        if uses_insta {
            if let Some(name) = package.get("name").and_then(|n| n.as_str()) {
                out.push(name.to_owned());
            }
        }
    }
    Ok(out)
}

/// `cargo xtask snapshots [--accept]`: runs the test suites of every crate with insta
/// snapshots; CI never writes a snapshot (`INSTA_UPDATE=no`), `--accept` does (`always`).
fn snapshots(accept: bool) -> Result<()> {
    let packages = snapshot_packages()?;
    if packages.is_empty() {
        println!("    no crate has snapshot tests");
        return Ok(());
    }
    let mut args = vec!["test", "--locked"];
    for p in &packages {
        args.push("-p");
        args.push(p);
    }
    println!(
        "    snapshot tests of {} ({})",
        packages.join(", "),
        if accept {
            "accepting"
        } else {
            "INSTA_UPDATE=no"
        }
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(&args)
        .env("INSTA_UPDATE", if accept { "always" } else { "no" })
        .status()
        .context("could not start cargo")?;
    if !status.success() {
        bail!("snapshot tests failed (review with `cargo insta review` or `cargo xtask snapshots --accept`)");
    }
    Ok(())
}

fn cargo_metadata() -> Result<serde_json::Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .output()
        .context("could not run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("cargo metadata printed invalid json")
}

/// The target directory cargo builds into (`CARGO_TARGET_DIR`, the config, or `target/`).
fn target_directory() -> Result<PathBuf> {
    cargo_metadata()?
        .get("target_directory")
        .and_then(|d| d.as_str())
        .map(PathBuf::from)
        .context("cargo metadata has no `target_directory`")
}

fn run_cargo(args: &[&str]) -> Result<()> {
    run_cargo_env(args, &[])
}

/// `cargo ARGS` with `env` set in its environment.
fn run_cargo_env(args: &[&str], env: &[(&str, &Path)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        // CI never writes snapshots: accepting one is a deliberate act (`cargo xtask snapshots`).
        .env("INSTA_UPDATE", "no")
        .status()
        .context("could not start cargo")?;
    if !status.success() {
        bail!("`cargo {}` exited with {status}", args.join(" "));
    }
    Ok(())
}

/// Which of our crates each crate may depend on (docs/design.md §1: arrows point down only).
fn allowed_internal_deps() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("hostguard-exec", &[][..]),
        (
            "hostguard-risk-core",
            &["hostguard-exec", "hostguard-rollout"][..],
        ),
        ("hostguard-rollout", &[][..]),
        (
            "hostguard-ledger",
            &["hostguard-exec", "hostguard-rollout", "hostguard-risk-core"][..],
        ),
        (
            "hostguard-evidence",
            &[
                "hostguard-exec",
                "hostguard-rollout",
                "hostguard-risk-core",
                "hostguard-ledger",
            ][..],
        ),
        (
            "hostguard-manager",
            &[
                "hostguard-exec",
                "hostguard-risk-core",
                "hostguard-ledger",
                "hostguard-evidence",
                "hostguard-rollout",
            ][..],
        ),
        (
            "hostguard-mcp",
            &[
                "hostguard-manager",
                "hostguard-exec",
                "hostguard-risk-core",
                "hostguard-ledger",
                "hostguard-evidence",
                "hostguard-rollout",
            ][..],
        ),
        (
            "hostguard-cli",
            &[
                "hostguard-mcp",
                "hostguard-manager",
                "hostguard-exec",
                "hostguard-risk-core",
                "hostguard-ledger",
                "hostguard-evidence",
                "hostguard-rollout",
            ][..],
        ),
    ])
}

fn check_dependency_direction() -> Result<()> {
    let meta = cargo_metadata()?;
    let packages = meta
        .get("packages")
        .and_then(|p| p.as_array())
        .context("cargo metadata has no `packages` array")?;
    let ours: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
        .filter(|n| n.starts_with("hostguard-"))
        .collect();
    let allowed = allowed_internal_deps();
    let mut violations = Vec::new();
    for package in packages {
        let Some(name) = package.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        if !name.starts_with("hostguard-") {
            continue;
        }
        let Some(allowed_here) = allowed.get(name) else {
            violations.push(format!(
                "`{name}` has no place in the layer table of xtask (docs/design.md §1)"
            ));
            continue;
        };
        let deps = package
            .get("dependencies")
            .and_then(|d| d.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for dep in deps {
            let Some(dep_name) = dep.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            // dev-dependencies may reach up (tests of a lower crate never ship).
            let is_dev = dep.get("kind").and_then(|k| k.as_str()) == Some("dev");
            if ours.contains(dep_name) && !is_dev && !allowed_here.contains(&dep_name) {
                violations.push(format!("`{name}` must not depend on `{dep_name}`"));
            }
        }
    }
    if violations.is_empty() {
        println!("    dependencies point down only ({} crates)", ours.len());
        Ok(())
    } else {
        bail!(
            "dependency direction violated:\n  {}",
            violations.join("\n  ")
        )
    }
}
