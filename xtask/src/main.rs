//! `cargo xtask`: the maintainers' tasks (DESIGN §9).
//!
//! `cargo xtask ci` runs exactly what `.ci/run` runs, step by step, printing each step and
//! stopping at the first one that fails.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("deps") => check_dependency_direction(),
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
         ci     fmt --check, dependency direction, clippy -D warnings, tests, doc tests\n  \
         deps   check that crate dependencies point down only (DESIGN §1)"
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
];

fn ci() -> Result<()> {
    let total = CI_STEPS.len() + 1;
    println!("==> [1/{total}] dependency direction");
    check_dependency_direction()?;
    for (i, step) in CI_STEPS.iter().enumerate() {
        println!(
            "==> [{}/{total}] {}: cargo {}",
            i + 2,
            step.name,
            step.args.join(" ")
        );
        run_cargo(step.args).with_context(|| format!("ci step `{}` failed", step.name))?;
    }
    println!("==> ci passed ({total} steps)");
    Ok(())
}

fn run_cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        // CI never writes snapshots: accepting one is a deliberate act (`cargo xtask snapshots`).
        .env("INSTA_UPDATE", "no")
        .status()
        .context("could not start cargo")?;
    if !status.success() {
        bail!("`cargo {}` exited with {status}", args.join(" "));
    }
    Ok(())
}

/// Which of our crates each crate may depend on (DESIGN §1: arrows point down only).
fn allowed_internal_deps() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("hostguard-risk-core", &[][..]),
        ("hostguard-rollout", &[][..]),
        ("hostguard-ledger", &["hostguard-risk-core"][..]),
        (
            "hostguard-evidence",
            &["hostguard-risk-core", "hostguard-ledger"][..],
        ),
        (
            "hostguard-manager",
            &[
                "hostguard-risk-core",
                "hostguard-ledger",
                "hostguard-evidence",
                "hostguard-rollout",
            ][..],
        ),
        (
            "hostguard-cli",
            &[
                "hostguard-manager",
                "hostguard-risk-core",
                "hostguard-ledger",
                "hostguard-evidence",
                "hostguard-rollout",
            ][..],
        ),
    ])
}

fn check_dependency_direction() -> Result<()> {
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
    let meta: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("cargo metadata printed invalid json")?;
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
                "`{name}` has no place in the layer table of xtask (DESIGN §1)"
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
