//! `cargo xtask bench`: runs every crate's criterion benches and prints one table — bench,
//! median, target, ratio to target — from `target/criterion/**/new/estimates.json`
//! (docs/design.md §10 quality bars).

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
        _ => return None,
    })
}

/// One measured bench.
struct Measured {
    id: String,
    median_ns: f64,
    elements: Option<f64>,
}

pub fn run(root: &Path, run_benches: bool) -> Result<()> {
    if run_benches {
        crate::run_cargo(&["bench", "--workspace", "--locked"])?;
    }
    let criterion = root.join("target/criterion");
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
                let limit = match target {
                    Target::Nanos(ns) => Some(ns),
                    Target::Relative(base, factor) => median_of(base).map(|b| b * factor),
                    Target::PerElement(ns) => m.elements.map(|n| n * ns),
                };
                match limit {
                    Some(limit) if limit > 0.0 => {
                        (text.to_owned(), format!("{:.2}", m.median_ns / limit))
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
