//! `hostguard mcp` against real third-party MCP software (issue 13, docs/mcp.md "Tested
//! against"): the official MCP Python SDK's client (`ClientSession` over `stdio_client`,
//! `mcp_sdk/driver.py`) talks to `mcp-server-git` (PyPI), `@modelcontextprotocol/server-filesystem`
//! (npm) and a server of our own written with the SDK (`mcp_sdk/test_server.py`), once
//! directly and once through the gateway, and the test compares what the client received and
//! what the server saw.
//!
//! The software is what `mcp_sdk/requirements.txt` and `mcp_sdk/package-lock.json` pin,
//! installed by `cargo xtask mcp-deps` under the target directory. The target is `test = false`
//! (a plain `cargo test` does not build it: it would need that install); `cargo xtask ci` (or
//! `cargo xtask mcp-sdk`) lints and runs it with `HOSTGUARD_MCP_SDK_DIR` set; a test run
//! without it fails, naming the command, instead of passing.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test must fail loudly (STYLE: tests may relax the library lints)"
)]

#[path = "mcp_sdk/filesystem.rs"]
mod filesystem;
#[path = "mcp_sdk/git.rs"]
mod git;
#[path = "mcp_sdk/harness.rs"]
mod harness;
#[path = "mcp_sdk/own_server.rs"]
mod own_server;
#[path = "mcp_sdk/state.rs"]
mod state;
