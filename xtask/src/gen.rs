//! Building blocks of the seeded fixture generators: a small seeded random source, a canonical
//! JSON writer (sorted keys, whatever serde_json's map type), and a session builder that writes
//! `hostguard.hostcall_event.v1` lines (docs/event-format.md).

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

/// A seeded random source (ChaCha20: the same stream on every platform).
pub struct Gen {
    rng: ChaCha20Rng,
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen {
            rng: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.rng.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 99) < percent
    }

    /// One element of a non-empty slice (the first when empty is impossible by construction).
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        let i = self.range(0, xs.len().saturating_sub(1) as u64) as usize;
        xs.get(i).copied().unwrap_or_default()
    }
}

/// JSON with object keys sorted at every level: byte-identical output whatever map type
/// serde_json was built with.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A recorded stream under construction: one or more extensions' calls and operator lines.
pub struct Stream {
    pub lines: Vec<String>,
    pub ts: u64,
    pub harmful: Vec<String>,
}

impl Stream {
    pub fn new(start_ms: u64) -> Stream {
        Stream {
            lines: Vec::new(),
            ts: start_ms,
            harmful: Vec::new(),
        }
    }

    /// Advances the clock by a random gap in `[lo, hi]` ms.
    pub fn wait(&mut self, g: &mut Gen, lo: u64, hi: u64) {
        self.ts += g.range(lo, hi);
    }

    /// Appends an operator line.
    pub fn op(&mut self, op: &str, fields: Value) {
        let mut line = format!("{{\"ts_ms\":{},\"op\":{}", self.ts, Value::from(op));
        if let Value::Object(map) = fields {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                if let Some(v) = map.get(key) {
                    line.push_str(&format!(",{}:{}", Value::from(key.as_str()), canonical(v)));
                }
            }
        }
        line.push('}');
        self.lines.push(line);
    }

    /// The stream as JSONL bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out.into_bytes()
    }
}

/// One extension's calls into a [`Stream`].
pub struct Ext {
    pub id: String,
    prefix: String,
    n: u32,
}

impl Ext {
    pub fn new(id: &str, prefix: &str) -> Ext {
        Ext {
            id: id.to_owned(),
            prefix: prefix.to_owned(),
            n: 0,
        }
    }

    /// Appends a hostcall; returns its call id.
    pub fn call(
        &mut self,
        s: &mut Stream,
        g: &mut Gen,
        method: &str,
        params: Value,
        error_code: Option<&str>,
    ) -> String {
        self.n += 1;
        let call_id = format!("{}-{}", self.prefix, self.n);
        let latency = match method {
            "exec" => g.range(40, 2_500),
            "http" => g.range(15, 400),
            _ => g.range(0, 6),
        };
        let outcome = match error_code {
            Some(code) => json!({"error_code": code, "latency_ms": latency}),
            None => json!({"latency_ms": latency}),
        };
        s.lines.push(format!(
            "{{\"ts_ms\":{},\"extension_id\":{},\"call_id\":{},\"method\":{},\"params\":{},\"outcome\":{}}}",
            s.ts,
            Value::from(self.id.as_str()),
            Value::from(call_id.as_str()),
            Value::from(method),
            canonical(&params),
            canonical(&outcome)
        ));
        call_id
    }

    pub fn exec(&mut self, s: &mut Stream, g: &mut Gen, command: &str) -> String {
        self.call(s, g, "exec", json!({ "command": command }), None)
    }

    /// An exec with the program and its arguments split, as many hosts record them.
    pub fn exec_args(
        &mut self,
        s: &mut Stream,
        g: &mut Gen,
        program: &str,
        args: &[&str],
    ) -> String {
        self.call(
            s,
            g,
            "exec",
            json!({ "command": program, "args": args }),
            None,
        )
    }

    pub fn bash(&mut self, s: &mut Stream, g: &mut Gen, command: &str) -> String {
        self.call(
            s,
            g,
            "tool",
            json!({ "name": "bash", "input": { "command": command } }),
            None,
        )
    }

    pub fn read(&mut self, s: &mut Stream, g: &mut Gen, path: &str) -> String {
        self.call(s, g, "fs", json!({ "op": "read", "path": path }), None)
    }

    pub fn read_missing(&mut self, s: &mut Stream, g: &mut Gen, path: &str) -> String {
        self.call(
            s,
            g,
            "fs",
            json!({ "op": "read", "path": path }),
            Some("not_found"),
        )
    }

    pub fn list(&mut self, s: &mut Stream, g: &mut Gen, path: &str) -> String {
        self.call(s, g, "fs", json!({ "op": "list", "path": path }), None)
    }

    pub fn write(&mut self, s: &mut Stream, g: &mut Gen, path: &str) -> String {
        self.call(s, g, "fs", json!({ "op": "write", "path": path }), None)
    }

    pub fn fs(&mut self, s: &mut Stream, g: &mut Gen, op: &str, path: &str) -> String {
        self.call(s, g, "fs", json!({ "op": op, "path": path }), None)
    }

    pub fn http(&mut self, s: &mut Stream, g: &mut Gen, method: &str, url: &str) -> String {
        self.call(s, g, "http", json!({ "method": method, "url": url }), None)
    }

    pub fn env(&mut self, s: &mut Stream, g: &mut Gen, name: &str) -> String {
        self.call(s, g, "env", json!({ "name": name }), None)
    }

    pub fn log(&mut self, s: &mut Stream, g: &mut Gen, message: &str) -> String {
        self.call(
            s,
            g,
            "log",
            json!({ "level": "info", "message": message }),
            None,
        )
    }

    pub fn ui(&mut self, s: &mut Stream, g: &mut Gen, text: &str) -> String {
        self.call(s, g, "ui", json!({ "kind": "notify", "text": text }), None)
    }

    pub fn session(&mut self, s: &mut Stream, g: &mut Gen, key: &str) -> String {
        self.call(s, g, "session", json!({ "op": "get", "key": key }), None)
    }

    pub fn events(&mut self, s: &mut Stream, g: &mut Gen, topic: &str) -> String {
        self.call(
            s,
            g,
            "events",
            json!({ "op": "subscribe", "topic": topic }),
            None,
        )
    }
}
