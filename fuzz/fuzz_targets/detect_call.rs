//! Fuzz target: the detection catalog never panics on any hostcall (docs/detection.md). The
//! first byte picks the method; the rest is a command line for `exec`, else JSON params (or,
//! when it is not JSON, a path, URL or name under every key the detector reads). The
//! inspection is bounded and deterministic, and written content is judged without panicking.
#![no_main]

use std::sync::OnceLock;

use hostguard_risk_core::Detector;
use hostguard_exec::MAX_HITS;
use hostguard_risk_core::{derive_capability, Catalog, Classes, Context, HostCall, Taint};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn detector() -> Option<&'static Detector> {
    static DETECTOR: OnceLock<Option<Detector>> = OnceLock::new();
    DETECTOR
        .get_or_init(|| {
            Context::with_workspace("/home/dev/project").and_then(|c| Detector::builtin(c).ok())
        })
        .as_ref()
}

const METHODS: [&str; 5] = ["exec", "fs", "http", "env", "tool"];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Some(detector) = detector() else {
        return;
    };
    let method = METHODS[usize::from(*first) % METHODS.len()];
    let text = String::from_utf8_lossy(rest);
    let catalog: &Catalog = detector.catalog();
    let ctx = detector.context();

    // Any text as a command line, and as written content in every kind of place.
    let a = catalog.inspect_command(&text, ctx, Taint::SECRET);
    assert!(a.hits.len() <= MAX_HITS);
    assert_eq!(a, catalog.inspect_command(&text, ctx, Taint::SECRET));
    for target in ["/home/dev/.bashrc", "package.json", "/tmp/.x/a.sh", ".npmrc"] {
        let classes: Classes = catalog.classify_path(target, ctx);
        let _ = catalog.content_classes(classes, &text, ctx);
    }

    let params = match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({
            "command": text, "op": "write", "path": text, "content": text, "url": text,
            "name": text, "input": { "command": text, "path": text, "url": text },
        }),
    };
    let Value::Object(map) = &params else {
        return;
    };
    let Ok(capability) = derive_capability(method, map) else {
        return;
    };
    let call = HostCall::new("ext", "c", method, params.clone());
    let d = detector.inspect(&call, capability, Taint::SECRET);
    assert_eq!(d.hits, detector.inspect(&call, capability, Taint::SECRET).hits);
});
