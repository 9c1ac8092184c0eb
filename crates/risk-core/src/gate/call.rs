//! [`Call`]: a hostcall parsed once (docs/design.md §2 step 1). Every fact the gate needs from
//! the params — capability, method, digests, the env names a broker answers for, the bytes a
//! write carries — is computed here; nothing downstream re-reads the JSON for them (detection,
//! which reads what a call does, is judged once per params and taint through the manager's
//! cache).

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::capability::{Capability, HostcallMethod};
use crate::hostcall::{HostCall, InvalidHostcall};
use crate::quota::QuotaCharge;

/// Parameters a write may carry its bytes in (fs ops, and write / edit / patch tools).
const WRITE_CONTENT_KEYS: [&str; 12] = [
    "content",
    "contents",
    "data",
    "text",
    "body",
    "bytes",
    "new_string",
    "new_str",
    "patch",
    "diff",
    "edits",
    "append",
];

/// Bound of the shape digest's walk (values visited, nesting depth).
const SHAPE_BUDGET: u32 = 512;
const SHAPE_DEPTH: u32 = 16;

/// A validated hostcall and its facts.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The call as the host sent it (ids, and params for detection).
    pub host: &'a HostCall,
    /// The method, when it is one of the event format's.
    pub method: Option<HostcallMethod>,
    /// The derived capability.
    pub capability: Capability,
    /// When the gate received it.
    pub now_ms: u64,
    /// SHA-256 of the params' JSON.
    pub params_digest: [u8; 32],
    /// SHA-256 of the params' shape (keys and JSON types, no values).
    pub shape_digest: [u8; 32],
    /// The variables an env call names, `None` when it names none the broker can answer for
    /// (empty for calls of other capabilities).
    pub env_names: Option<Vec<&'a str>>,
    /// What the call costs against the quotas.
    pub charge: QuotaCharge,
}

impl<'a> Call<'a> {
    /// Validates `host` and computes its facts.
    ///
    /// Errors: [`InvalidHostcall`] for a malformed call.
    pub fn parse(host: &'a HostCall, now_ms: u64) -> Result<Call<'a>, InvalidHostcall> {
        let capability = host.validate()?;
        let env_names = if capability == Capability::Env {
            host.env_names()
        } else {
            Some(Vec::new())
        };
        let mut charge = QuotaCharge::for_capability(capability);
        if capability == Capability::Write {
            charge = charge.with_write_bytes(write_bytes(host));
        }
        Ok(Call {
            host,
            method: HostcallMethod::parse(&host.method),
            capability,
            now_ms,
            params_digest: params_digest(&host.params),
            shape_digest: args_shape_digest(&host.params),
            env_names,
            charge,
        })
    }

    /// The extension making the call.
    pub fn extension_id(&self) -> &'a str {
        &self.host.extension_id
    }
}

/// Feeds serialized bytes straight into a hash, or counts them (no intermediate buffer).
struct Sink {
    hash: Option<Sha256>,
    bytes: u64,
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(h) = &mut self.hash {
            h.update(buf);
        }
        self.bytes = self.bytes.saturating_add(buf.len() as u64);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 of the params' JSON (serde_json's maps are ordered, so equal params hash equally).
pub fn params_digest(params: &Value) -> [u8; 32] {
    let mut sink = Sink {
        hash: Some(Sha256::new()),
        bytes: 0,
    };
    // Serializing a `Value` into a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut sink, params);
    sink.hash.map(|h| h.finalize().into()).unwrap_or_default()
}

/// SHA-256 of the params' *shape*: keys and JSON types, no values (bounded walk). The shape is
/// written out first and hashed once (the same bytes as hashing each piece).
pub fn args_shape_digest(params: &Value) -> [u8; 32] {
    fn walk(v: &Value, depth: u32, budget: &mut u32, out: &mut Vec<u8>) {
        if *budget == 0 || depth > SHAPE_DEPTH {
            out.push(b'~');
            return;
        }
        *budget -= 1;
        match v {
            Value::Null => out.push(b'n'),
            Value::Bool(_) => out.push(b'b'),
            Value::Number(_) => out.push(b'#'),
            Value::String(_) => out.push(b's'),
            Value::Array(items) => {
                out.push(b'[');
                for item in items {
                    walk(item, depth + 1, budget, out);
                }
                out.push(b']');
            }
            Value::Object(map) => {
                out.push(b'{');
                for (k, item) in map {
                    out.extend_from_slice(&(k.len() as u64).to_be_bytes());
                    out.extend_from_slice(k.as_bytes());
                    walk(item, depth + 1, budget, out);
                }
                out.push(b'}');
            }
        }
    }
    let mut shape = Vec::with_capacity(128);
    let mut budget = SHAPE_BUDGET;
    walk(params, 0, &mut budget, &mut shape);
    Sha256::digest(&shape).into()
}

/// The bytes a write call carries: every content parameter, at the top level and under a
/// tool's `input` (or `input` itself when it is the text), a string by its length and any
/// other value by its JSON length — so a write tool's `input.content`, an `edits` array or
/// content sent as an array of chunks all count against the `write_bytes` quota.
fn write_bytes(call: &HostCall) -> u64 {
    fn size(value: &Value) -> u64 {
        match value {
            Value::Null => 0,
            Value::String(text) => text.len() as u64,
            other => {
                let mut count = Sink {
                    hash: None,
                    bytes: 0,
                };
                // Serializing a `Value` into a writer that never fails cannot fail.
                let _ = serde_json::to_writer(&mut count, other);
                count.bytes
            }
        }
    }
    fn sum(source: &Map<String, Value>) -> u64 {
        WRITE_CONTENT_KEYS
            .iter()
            .filter_map(|key| source.get(*key))
            .fold(0u64, |total, value| total.saturating_add(size(value)))
    }
    let Some(params) = call.params_object() else {
        return 0;
    };
    let nested = match params.get("input") {
        Some(Value::Object(input)) => sum(input),
        Some(Value::String(text)) if call.method == "tool" => text.len() as u64,
        _ => 0,
    };
    sum(params).saturating_add(nested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shape_digest_ignores_values_and_params_digest_does_not() {
        let a = json!({"op": "read", "path": "a"});
        let b = json!({"op": "write", "path": "bbb"});
        let c = json!({"op": "read", "path": 1});
        assert_eq!(args_shape_digest(&a), args_shape_digest(&b));
        assert_ne!(args_shape_digest(&a), args_shape_digest(&c));
        assert_ne!(params_digest(&a), params_digest(&b));
        // Deeply nested input stays bounded and does not panic.
        let mut deep = json!(1);
        for _ in 0..1_000 {
            deep = json!([deep]);
        }
        let _ = args_shape_digest(&deep);
    }

    #[test]
    fn shape_digest_is_the_sha256_of_the_written_shape() {
        let mut shape = b"{".to_vec();
        shape.extend_from_slice(&2u64.to_be_bytes());
        shape.extend_from_slice(b"op");
        shape.extend_from_slice(b"s}");
        let expected: [u8; 32] = Sha256::digest(&shape).into();
        assert_eq!(args_shape_digest(&json!({"op": "read"})), expected);
    }

    #[test]
    fn params_digest_is_the_sha256_of_the_json() {
        let p = json!({"b": [1, "x"], "a": null});
        let expected: [u8; 32] = Sha256::digest(br#"{"a":null,"b":[1,"x"]}"#).into();
        assert_eq!(params_digest(&p), expected);
    }

    fn written(method: &str, params: Value) -> u64 {
        let host = HostCall::new("e", "c", method, params);
        Call::parse(&host, 0).unwrap().charge.write_bytes
    }

    #[test]
    fn a_write_is_charged_every_content_parameter() {
        assert_eq!(
            written(
                "fs",
                json!({"op": "write", "path": "a", "content": "12345"})
            ),
            5
        );
        assert_eq!(
            written(
                "tool",
                json!({"name": "edit", "input": {"path": "a", "content": "123", "edits": [1]}})
            ),
            6
        );
        assert_eq!(written("fs", json!({"op": "read", "path": "a"})), 0);
    }
}
