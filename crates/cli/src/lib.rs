//! hostguard-cli: the operator's `hostguard` binary (docs/design.md §8) as a library of commands, so the
//! binary stays a thin clap layer and the commands are testable.
//!
//! Principal items: [`events::EventReader`], the streaming reader of the
//! `hostguard.hostcall_event.v1` format (`docs/event-format.md`); [`error::CliError`] and
//! [`error::ExitKind`], the exit-code contract (0 ok, 1 verification failed / finding, 2 bad input
//! or usage); one module per command family.
//!
//! ```
//! use hostguard_cli::events::{parse_line, Event};
//!
//! let line = r#"{"ts_ms":1,"extension_id":"ext","call_id":"c1","method":"exec","params":{"command":"ls"}}"#;
//! assert!(matches!(parse_line(line), Ok(Event::Hostcall(_))));
//! let (column, message) = parse_line(r#"{"ts_ms":"soon"}"#).unwrap_err();
//! assert_eq!(column, 15);
//! assert!(message.contains("expected u64"));
//! ```

// Output goes through `out!`/`outln!`: `print!` panics when the reader closes the pipe.
#![deny(clippy::print_stdout)]

pub mod bundle_cmd;
pub mod bundle_sig;
pub mod checkpoint_cmd;
pub mod config_cmd;
pub mod demo;
pub mod drive;
pub mod envelope_cmd;
pub mod error;
pub mod events;
pub mod export_cmd;
pub mod key_cmd;
pub mod labels;
pub mod ledger_cmd;
pub mod mcp_cmd;
pub mod out_dir;
pub mod plural;
pub mod rules_cmd;
pub mod run_cmd;
pub mod run_summary;
#[cfg(feature = "schema")]
pub mod schemas;
pub mod triage_cmd;
pub mod whatif_cmd;
