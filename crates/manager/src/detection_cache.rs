//! A bounded cache of detections. A call's detection depends only on its method, params,
//! capability and the extension's taint — the catalog and the workspace are fixed per manager
//! — so a call an agent repeats (reading the same file, running the same build, polling the
//! same local URL) is judged once. Entries are keyed by extension too, so one extension cannot
//! learn from a fast answer what another just did; a detection of command lines longer than
//! [`MAX_CACHED_COMMAND_BYTES`] is not kept (its inspections would dominate the memory).
//! Striped by the params digest like the call index; a stripe lock is a leaf (taken under a
//! shard lock, nothing taken under it), held only for the lookup and the insert, never while a
//! call is judged. Each stripe forgets its oldest entry first.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use hostguard_risk_core::{Call, Detection, HostcallMethod, Taint};

use crate::shard::lock;

/// Stripes of the cache.
const STRIPES: usize = 16;
/// Detections kept per stripe (the cache holds at most `STRIPES × PER_STRIPE`).
pub(crate) const PER_STRIPE: usize = 64;
/// Longest command text (summed over a call's command lines) whose detection is kept.
pub(crate) const MAX_CACHED_COMMAND_BYTES: usize = 4096;

/// What a detection depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    params: [u8; 32],
    extension: u64,
    method: Option<HostcallMethod>,
    capability: u8,
    taint: Taint,
}

#[derive(Debug, Default)]
struct Stripe {
    map: HashMap<Key, Arc<Detection>, BuildHasherDefault<DigestHasher>>,
    order: VecDeque<Key>,
}

/// The cache.
#[derive(Debug)]
pub(crate) struct DetectionCache {
    stripes: Vec<Mutex<Stripe>>,
}

impl Default for DetectionCache {
    fn default() -> DetectionCache {
        DetectionCache {
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
        }
    }
}

/// Hashes a [`Key`] by its params digest (a SHA-256, so its bits are already uniform; an
/// extension that grinds params to share a bucket meets a stripe of at most [`PER_STRIPE`]
/// entries), folding in the other fields it is written with.
#[derive(Debug, Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word.iter_mut().zip(chunk).for_each(|(w, b)| *w = *b);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
}

/// The key of an extension in the cache (computed once per extension, kept in its shard).
pub(crate) fn extension_key(extension_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    extension_id.hash(&mut h);
    h.finish()
}

impl DetectionCache {
    /// The detection of `call` (whose params hash to `params`), judged by `judge` unless a
    /// detection of the same call under the same taint is cached.
    pub(crate) fn get_or_judge(
        &self,
        call: &Call<'_>,
        extension_key: u64,
        taint: Taint,
        judge: impl FnOnce() -> Detection,
    ) -> Arc<Detection> {
        let params = &call.params_digest;
        let key = Key {
            params: *params,
            extension: extension_key,
            method: call.method,
            capability: call.capability.code(),
            taint,
        };
        let Some(stripe) = self.stripes.get(usize::from(params[0]) % STRIPES) else {
            return Arc::new(judge());
        };
        if let Some(d) = lock(stripe).map.get(&key) {
            return Arc::clone(d);
        }
        let detection = Arc::new(judge());
        let command_bytes: usize = detection.commands.iter().map(|(line, _)| line.len()).sum();
        if command_bytes > MAX_CACHED_COMMAND_BYTES {
            return detection;
        }
        let mut s = lock(stripe);
        if s.map.insert(key, Arc::clone(&detection)).is_none() {
            s.order.push_back(key);
        }
        while s.order.len() > PER_STRIPE {
            if let Some(old) = s.order.pop_front() {
                s.map.remove(&old);
            }
        }
        detection
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostguard_risk_core::HostCall;
    use serde_json::json;

    #[test]
    fn a_repeated_call_is_judged_once_and_the_cache_stays_bounded() {
        let cache = DetectionCache::default();
        let host = HostCall::new("e", "c", "fs", json!({"op": "read", "path": "a"}));
        let call = Call::parse(&host, 0).unwrap();
        let mut judged = 0;
        for _ in 0..3 {
            cache.get_or_judge(&call, extension_key("e"), Taint::NONE, || {
                judged += 1;
                Detection::default()
            });
        }
        assert_eq!(judged, 1);
        // Another taint or method is another detection.
        cache.get_or_judge(&call, extension_key("e"), Taint::SECRET, || {
            judged += 1;
            Detection::default()
        });
        let tool_host = HostCall::new(
            "e",
            "c",
            "tool",
            json!({"name": "read", "input": {"path": "a"}}),
        );
        let mut tool = Call::parse(&tool_host, 0).unwrap();
        tool.params_digest = call.params_digest;
        assert_eq!(tool.capability, call.capability);
        cache.get_or_judge(&tool, extension_key("e"), Taint::NONE, || {
            judged += 1;
            Detection::default()
        });
        assert_eq!(judged, 3);
        // Another extension's identical call is judged anew.
        let other_host = HostCall::new("f", "c", "fs", json!({"op": "read", "path": "a"}));
        let other = Call::parse(&other_host, 0).unwrap();
        cache.get_or_judge(&other, extension_key("f"), Taint::NONE, || {
            judged += 1;
            Detection::default()
        });
        assert_eq!(judged, 4);
        let mut varied = call.clone();
        for i in 0..(STRIPES * PER_STRIPE * 2) {
            let mut params = [0u8; 32];
            params[..8].copy_from_slice(&(i as u64).to_le_bytes());
            varied.params_digest = params;
            cache.get_or_judge(&varied, extension_key("e"), Taint::NONE, Detection::default);
        }
        let held: usize = cache.stripes.iter().map(|s| lock(s).map.len()).sum();
        assert!(held <= STRIPES * PER_STRIPE, "{held}");
    }
}
