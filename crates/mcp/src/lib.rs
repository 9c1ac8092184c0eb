//! `hostguard-mcp`: the gate in front of an MCP server (docs/mcp.md). A stdio gateway relays
//! newline-delimited JSON-RPC between a client and the server it spawns; every `tools/call`
//! becomes hostcalls of the gate, every `tools/list` is checked against the tool pins.
//!
//! What is here:
//! - [`jsonrpc`]: one line classified as a request, notification, response or batch, bounded
//!   and panic-free, and the error and refused-tool-call lines the gateway writes;
//! - [`mapping`]: a `tools/call` as hostcalls (`exec`, `fs` read/write, `http`, `tool`), by a
//!   table of the reference servers' tools that a user's rules extend;
//! - [`pins`]: the pin of a tool definition, and the pin file that fails closed;
//! - [`gateway`]: what to do with each line from the client and from the server (gate,
//!   refuse, forward), with no I/O of its own;
//! - [`relay`]: the two pumps between a client's and a server's pipes, lines bounded;
//! - [`scan`]: the poisoning scan of definitions and results;
//! - [`report`]: tool pins and findings to the ledger, credentials redacted in results;
//! - [`elicit`]: asking a person through the client when the gate wants an approval.
//!
//! ```
//! use hostguard_mcp::mapping::ToolMap;
//! use serde_json::json;
//!
//! let calls = ToolMap::default().hostcalls("notes-server", "7", "fetch", &json!({"url": "https://x.example/"}));
//! assert_eq!(calls[0].method, "http");
//! ```

pub mod elicit;
pub mod gateway;
pub mod jsonrpc;
pub mod mapping;
pub mod pins;
pub mod relay;
pub mod report;
pub mod scan;
