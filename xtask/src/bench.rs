//! `cargo xtask bench`: runs every crate's criterion benches and prints one table — bench,
//! median, target, ratio to target — from `<criterion>/**/new/estimates.json`
//! (docs/design.md §10 quality bars), then the percentiles of the `hostguard mcp` latency bench
//! (`crates/cli/benches/mcp.rs`), which criterion's medians do not carry.
//! `<criterion>` is where criterion writes: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
//! else `target/criterion` of the workspace.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// How a bench's target is stated.
enum Target {
    /// A fixed median, in nanoseconds.
    Nanos(f64),
    /// At most `factor` × another bench's median measured in the same run.
    Relative(&'static str, f64),
    /// At most this many nanoseconds per element (criterion `Throughput::Elements`).
    PerElement(f64),
    /// At most this many nanoseconds above another bench's median measured in the same run
    /// (the ratio is of the difference to this bound).
    Added(&'static str, f64),
}

/// The docs/design.md §10 bars, by criterion id.
fn target_of(id: &str) -> Option<(Target, &'static str)> {
    Some(match id {
        "manager/evaluate_hostcall" => (Target::Nanos(2_000.0), "≤ 2 µs"),
        // Five 10 KB command lines per iteration: at most 10 ms each (issue 12: bounded).
        "exec/inspect_10kb" => (Target::Nanos(50_000_000.0), "≤ 10 ms / 10 KB line"),
        "risk_core/evaluate" => (Target::Nanos(300.0), "≤ 300 ns"),
        "risk_core/hysteresis_step" => (Target::Nanos(300.0), "≤ 300 ns"),
        "ledger/append" => (
            Target::Relative("ledger/sha256_baseline", 2.0),
            "≤ 2× sha256",
        ),
        "ledger/append_presealed" => (
            Target::Relative("ledger/sha256_baseline", 2.0),
            "≤ 2× sha256",
        ),
        "ledger/verify" => (Target::PerElement(1_000.0), "≥ 1 M entries/s"),
        "evidence/ledger_verify_100k" => (Target::Nanos(100_000_000.0), "≥ 1 M entries/s"),
        "evidence/build_verify_100k" | "evidence/build_verify_100k_one_extension" => {
            (Target::Nanos(500_000_000.0), "≤ 0.5 s")
        }
        // Issue 13: a tools/call round trip through the gateway against the same server direct.
        "mcp/tools_call_gateway" => (
            Target::Added("mcp/tools_call_direct", 200_000.0),
            "≤ direct + 200 µs",
        ),
        _ => return None,
    })
}

/// One measured bench.
struct Measured {
    id: String,
    median_ns: f64,
    elements: Option<f64>,
}

/// What `cargo xtask bench` runs before it prints.
pub enum Run {
    /// Every crate's benches.
    All,
    /// Only the `hostguard mcp` latency bench (`--mcp`).
    Mcp,
    /// Nothing: print the last run's results (`--summary`).
    Nothing,
}

pub fn run(root: &Path, what: Run) -> Result<()> {
    match what {
        Run::All => crate::run_cargo(&["bench", "--workspace", "--locked"])?,
        Run::Mcp => {
            crate::run_cargo(&["bench", "--locked", "-p", "hostguard-cli", "--bench", "mcp"])?
        }
        Run::Nothing => {}
    }
    let criterion = criterion_dir(root);
    let mut found = Vec::new();
    collect(&criterion, &criterion, &mut found)?;
    found.sort_by(|a, b| a.id.cmp(&b.id));
    if found.is_empty() {
        println!("no criterion results under {}", criterion.display());
        return Ok(());
    }
    let median_of = |id: &str| found.iter().find(|m| m.id == id).map(|m| m.median_ns);
    println!(
        "{:<48} {:>12} {:>18} {:>8}",
        "bench", "median", "target", "ratio"
    );
    for m in &found {
        let (target, ratio) = match target_of(&m.id) {
            None => ("-".to_owned(), "-".to_owned()),
            Some((target, text)) => {
                // (measured, limit): the ratio is measured / limit.
                let pair = match target {
                    Target::Nanos(ns) => Some((m.median_ns, ns)),
                    Target::Relative(base, factor) => {
                        median_of(base).map(|b| (m.median_ns, b * factor))
                    }
                    Target::PerElement(ns) => m.elements.map(|n| (m.median_ns, n * ns)),
                    Target::Added(base, ns) => median_of(base).map(|b| (m.median_ns - b, ns)),
                };
                match pair {
                    Some((measured, limit)) if limit > 0.0 => {
                        (text.to_owned(), format!("{:.2}", measured / limit))
                    }
                    _ => (text.to_owned(), "n/a".to_owned()),
                }
            }
        };
        println!(
            "{:<48} {:>12} {:>18} {:>8}",
            m.id,
            human(m.median_ns),
            target,
            ratio
        );
    }
    println!("ratio = median / target (≤ 1.00 meets the bar)");
    mcp_percentiles(&criterion, median_of("mcp/sha256_ledger_entry_baseline"))
}

/// Criterion's output folder, as criterion chooses it.
fn criterion_dir(root: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return root.join(home);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(target) => root.join(target).join("criterion"),
        None => root.join("target/criterion"),
    }
}

/// The percentile file of `crates/cli/benches/mcp.rs`, in criterion's folder.
const MCP_PERCENTILES: &str = "hostguard-mcp-latency.json";

/// Issue 13's bars on the added latency of a `tools/call` round trip through the gateway.
const MCP_ADDED_P50_NS: f64 = 200_000.0;
const MCP_ADDED_P99_NS: f64 = 1_000_000.0;

/// p50 / p99 of the `hostguard mcp` round trips (direct, behind a relay that gates nothing,
/// through the gateway) and the added latency against issue 13's bars; the added p50 also as
/// a multiple of the SHA-256 of one ledger entry (the bench runs both; a filtered run may leave
/// the two from different runs).
fn mcp_percentiles(criterion: &Path, sha256_ns: Option<f64>) -> Result<()> {
    let path = criterion.join(MCP_PERCENTILES);
    if !path.is_file() {
        return Ok(());
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    let ns = |pointer: &str| -> Result<f64> {
        doc.pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .with_context(|| format!("{} has no `{pointer}`", path.display()))
    };
    println!();
    println!(
        "hostguard mcp, tools/call round trip: {} calls each, interleaved, paced {} µs apart ({})",
        ns("/calls")?,
        ns("/interval_us")?,
        path.display()
    );
    println!(
        "{:<48} {:>12} {:>12} {:>18} {:>12}",
        "round trip", "p50", "p99", "target p50 / p99", "ratio"
    );
    for (name, key) in [
        ("direct", "direct"),
        ("null relay (no gate)", "null_relay"),
        ("through the gateway", "gateway"),
    ] {
        println!(
            "{:<48} {:>12} {:>12}",
            name,
            human(ns(&format!("/{key}/p50_ns"))?),
            human(ns(&format!("/{key}/p99_ns"))?)
        );
    }
    let (p50, p99) = (ns("/added/p50_ns")?, ns("/added/p99_ns")?);
    println!(
        "{:<48} {:>12} {:>12} {:>18} {:>12}",
        "added (gateway - direct, per percentile)",
        human(p50),
        human(p99),
        "≤ 200 µs / ≤ 1 ms",
        format!(
            "{:.2} / {:.2}",
            p50 / MCP_ADDED_P50_NS,
            p99 / MCP_ADDED_P99_NS
        )
    );
    if let Some(sha) = sha256_ns.filter(|s| *s > 0.0) {
        println!(
            "added p50 = {:.0}× the SHA-256 of one ledger entry ({}, mcp/sha256_ledger_entry_baseline)",
            p50 / sha,
            human(sha)
        );
    }
    Ok(())
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<Measured>) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let estimates = path.join("estimates.json");
            if estimates.is_file() {
                out.push(read_measured(base, &path, &estimates)?);
            }
        } else if path
            .file_name()
            .is_some_and(|n| n != "report" && n != "base")
        {
            collect(base, &path, out)?;
        }
    }
    Ok(())
}

fn read_measured(base: &Path, new_dir: &Path, estimates: &Path) -> Result<Measured> {
    let parse = |p: &PathBuf| -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parse {}", p.display()))
    };
    let est = parse(&estimates.to_path_buf())?;
    let median_ns = est
        .pointer("/median/point_estimate")
        .and_then(serde_json::Value::as_f64)
        .with_context(|| format!("{} has no median", estimates.display()))?;
    let bench = parse(&new_dir.join("benchmark.json")).ok();
    let elements = bench
        .as_ref()
        .and_then(|b| b.pointer("/throughput/Elements"))
        .and_then(serde_json::Value::as_f64);
    let id = bench
        .as_ref()
        .and_then(|b| b.get("full_id"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            new_dir
                .parent()
                .and_then(|p| p.strip_prefix(base).ok())
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        });
    Ok(Measured {
        id,
        median_ns,
        elements,
    })
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}
