//! Fuzz target: what the MCP gateway reads in what a server shows the model — the poisoning
//! scan of a definition or a result, and the redaction of credentials — never panics on any
//! text, and redaction leaves nothing a second pass would redact.
#![no_main]

use std::sync::OnceLock;

use hostguard_manager::{Context, Detector, SecretBrokerPolicy};
use hostguard_mcp::scan::{scan, Scope};
use libfuzzer_sys::fuzz_target;

fn detector() -> Option<&'static Detector> {
    static DETECTOR: OnceLock<Option<Detector>> = OnceLock::new();
    DETECTOR
        .get_or_init(|| {
            let context = Context::with_workspace("/home/dev/project")?;
            Detector::builtin(context).ok()
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(d) = detector() {
        let _ = scan(&text, d, Scope::Definition);
        let _ = scan(&text, d, Scope::Result);
    }
    let policy = SecretBrokerPolicy::default();
    let once = policy.redact_text(&text);
    let twice = policy.redact_text(&once.text);
    assert!(!twice.redacted(), "{text:?} -> {:?}", once.text);
});
