//! `cargo xtask mcp-deps`: installs the real MCP software the integration suite of `hostguard
//! mcp` runs against (crates/cli/tests/mcp_sdk.rs, docs/mcp.md "Tested against"), at the
//! versions the repository pins, under the cargo target directory:
//!
//! - `TARGET/mcp-sdk/venv`: a Python 3.11 venv holding `requirements.txt` exactly (every
//!   package pinned with `==` and its wheels' hashes, `pip --require-hashes --no-deps`): the
//!   official MCP Python SDK and `mcp-server-git`;
//! - `TARGET/mcp-sdk/node`: `npm ci` of `package.json` and `package-lock.json`:
//!   `@modelcontextprotocol/server-filesystem` and what it pulls in, by the lock's integrity;
//! - `TARGET/mcp-sdk/stamp`: the SHA-256 of the pin files an install finished from. A stamp
//!   that matches skips the install; anything else installs afresh.
//!
//! Any failure — no Python 3.11, no npm, an unreachable registry, a hash that does not match —
//! is an error: the suite never runs half installed, and CI never skips it silently.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// The variable the suite reads to find what this installed (set by `cargo xtask ci`).
pub const DIR_VAR: &str = "HOSTGUARD_MCP_SDK_DIR";

/// Where the pin files live, from the workspace root.
const PINS_DIR: &str = "crates/cli/tests/mcp_sdk";
/// The pin files, in the order the stamp hashes them.
const PIN_FILES: [&str; 3] = ["requirements.txt", "package.json", "package-lock.json"];
/// The Python the pins are for (their wheels are CPython 3.11's).
const PYTHON_VERSION: &str = "3.11";
/// Files a finished install has: a stamp without them is not trusted.
const INSTALLED: [&str; 2] = [
    "venv/bin/python",
    "node/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
];

/// Installs (or finds up to date) the suite's software under `target`; returns its folder.
pub fn run(root: &Path, target: &Path) -> Result<PathBuf> {
    let dir = target.join("mcp-sdk");
    let pins = root.join(PINS_DIR);
    let stamp = stamp_of(&pins)?;
    let stamp_path = dir.join("stamp");
    let installed = INSTALLED.iter().all(|f| dir.join(f).is_file());
    if installed && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s.trim() == stamp) {
        println!(
            "    up to date in `{}` (stamp {})",
            dir.display(),
            short(&stamp)
        );
        return Ok(dir);
    }
    // A half-finished or outdated install is removed whole, never patched.
    for stale in ["stamp", "venv", "node"] {
        remove(&dir.join(stale))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    install_python(&pins, &dir)?;
    install_node(&pins, &dir)?;
    std::fs::write(&stamp_path, format!("{stamp}\n"))
        .with_context(|| format!("cannot write `{}`", stamp_path.display()))?;
    println!(
        "    installed in `{}` (stamp {})",
        dir.display(),
        short(&stamp)
    );
    Ok(dir)
}

/// The SHA-256 of the pin files, each as its name, its length and its bytes.
fn stamp_of(pins: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    for name in PIN_FILES {
        let path = pins.join(name);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The venv: created with Python 3.11, then `requirements.txt` exactly, then a check that
/// the SDK and the git server import.
fn install_python(pins: &Path, dir: &Path) -> Result<()> {
    let python = python_311()?;
    let venv = dir.join("venv");
    println!("    python venv ({python}) in `{}`", venv.display());
    run_step(Command::new(&python).arg("-m").arg("venv").arg(&venv))?;
    let venv_python = venv.join("bin").join("python");
    run_step(
        Command::new(&venv_python)
            .args(["-m", "pip", "install", "--quiet", "--no-input"])
            .args(["--disable-pip-version-check", "--require-hashes"])
            .args(["--only-binary=:all:", "--no-deps", "-r"])
            .arg(pins.join("requirements.txt")),
    )?;
    run_step(Command::new(&venv_python).args(["-m", "pip", "check"]))?;
    run_step(Command::new(&venv_python).args([
        "-c",
        "import mcp, mcp_server_git; from mcp.server.mcpserver import MCPServer",
    ]))
}

/// `python3.11`, or a `python3` that is 3.11: the pins' wheels are for no other.
fn python_311() -> Result<String> {
    for candidate in [format!("python{PYTHON_VERSION}"), "python3".to_owned()] {
        let version = Command::new(&candidate)
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .output();
        if let Ok(out) = version {
            if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == PYTHON_VERSION
            {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "no Python {PYTHON_VERSION} on PATH (`python{PYTHON_VERSION}` or `python3`): the MCP suite's pins (`{PINS_DIR}/requirements.txt`) are its wheels"
    )
}

/// `npm ci` of the lock in `DIR/node`, install scripts off (nothing of it needs one).
fn install_node(pins: &Path, dir: &Path) -> Result<()> {
    let node = dir.join("node");
    std::fs::create_dir_all(&node)
        .with_context(|| format!("cannot create `{}`", node.display()))?;
    for name in ["package.json", "package-lock.json"] {
        std::fs::copy(pins.join(name), node.join(name))
            .with_context(|| format!("cannot copy `{name}` to `{}`", node.display()))?;
    }
    println!("    npm ci in `{}`", node.display());
    run_step(
        Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .args(["--loglevel", "error"])
            .current_dir(&node),
    )
}

/// Runs a command; fails with its command line when it cannot start or exits non-zero.
fn run_step(command: &mut Command) -> Result<()> {
    let line = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {line}"))?;
    if !status.success() {
        bail!("{line} exited with {status}");
    }
    Ok(())
}

/// The first hex digits of a stamp, for a person.
fn short(stamp: &str) -> &str {
    stamp.get(..12).unwrap_or(stamp)
}

fn remove(path: &Path) -> Result<()> {
    let removed = match path.symlink_metadata() {
        Err(_) => return Ok(()),
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    removed.with_context(|| format!("cannot remove `{}`", path.display()))
}
