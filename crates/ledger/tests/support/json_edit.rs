//! Editing JSON at a path, for the strictness tests of the ledger and the evidence crates (one
//! home: `crates/evidence/tests/evidence.rs` includes this file too).

use serde_json::{json, Value};

/// The path of every object inside `v`, `v` itself first.
pub fn objects(v: &Value) -> Vec<Vec<Value>> {
    fn walk(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        let children: Vec<(Value, &Value)> = match v {
            Value::Object(m) => {
                out.push(path.clone());
                m.iter().map(|(k, c)| (json!(k), c)).collect()
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, c)| (json!(i), c))
                .collect(),
            _ => Vec::new(),
        };
        for (key, child) in children {
            path.push(key);
            walk(child, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The JSON of `v` with a member `name: value` written first in the object at `path` (a
/// repeated member when the object has one of that name).
pub fn with_member(v: &Value, path: &[Value], name: &str, value: &Value) -> String {
    let inner = |key: Value| match path.split_first() {
        Some((first, rest)) if *first == key => Some(rest),
        _ => None,
    };
    match v {
        Value::Object(m) => {
            let mut members: Vec<String> = m
                .iter()
                .map(|(k, c)| match inner(json!(k)) {
                    Some(rest) => format!("{}:{}", json!(k), with_member(c, rest, name, value)),
                    None => format!("{}:{c}", json!(k)),
                })
                .collect();
            if path.is_empty() {
                members.insert(0, format!("{}:{value}", json!(name)));
            }
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, c)| match inner(json!(i)) {
                    Some(rest) => with_member(c, rest, name, value),
                    None => c.to_string(),
                })
                .collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// The object at `path` of `v`.
pub fn object_at<'a>(v: &'a Value, path: &[Value]) -> &'a serde_json::Map<String, Value> {
    let found = path.iter().fold(v, |v, k| match k {
        Value::String(s) => &v[s.as_str()],
        _ => &v[k.as_u64().unwrap() as usize],
    });
    found.as_object().unwrap()
}

/// `v` with an unknown member written first in the object at `path`.
pub fn with_unknown(v: &Value, path: &[Value]) -> String {
    with_member(v, path, "smuggled", &json!("payload"))
}

/// `v` with the first member of the object at `path` written twice.
pub fn with_repeated(v: &Value, path: &[Value]) -> String {
    let (name, value) = object_at(v, path).iter().next().unwrap();
    with_member(v, path, name, value)
}
