//! Per-extension sharded state and the striped call index (DESIGN §7: "state is sharded per
//! extension; the ledger append is the only global serialisation point").
//!
//! Lock order, everywhere: extension shard → core (ledger + rollout). The core lock is never held
//! while a shard lock is taken, so there is no cycle. Stripe locks (shard map, call index) are
//! leaf locks: nothing else is taken while one is held.
//!
//! A poisoned lock (a thread panicked while holding it) is recovered, never propagated: the host
//! must not crash because of us, and every structure behind these locks is left consistent at
//! each statement boundary that could unwind (bounded rings, counters).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hostguard_rollout::SampleId;

use crate::verdict::VerdictAction;

/// Number of stripes of the shard map and of the call index.
pub(crate) const STRIPES: usize = 16;

/// Locks a mutex, recovering it if poisoned.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks an rwlock, recovering it if poisoned.
pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks an rwlock, recovering it if poisoned.
pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// FNV-1a: a cheap, fixed hash to pick a stripe (not security relevant: a colliding id only
/// shares a stripe lock).
fn fnv1a(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `STRIPES` values of `T`, one picked per key.
#[derive(Debug)]
pub(crate) struct Striped<T> {
    stripes: [T; STRIPES],
}

impl<T> Striped<T> {
    pub(crate) fn new(make: impl FnMut(usize) -> T) -> Striped<T> {
        Striped {
            stripes: std::array::from_fn(make),
        }
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "the index is reduced modulo the array's length"
    )]
    pub(crate) fn get(&self, key: &str) -> &T {
        // Truncation is intended: only the low bits pick the stripe.
        let index = (fnv1a(key) % STRIPES as u64) as usize;
        &self.stripes[index]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.stripes.iter()
    }
}

/// What the gate remembers about one decided call, for `record_outcome`,
/// `mark_false_positive` and `resolve_prompt`, which name the call only.
#[derive(Debug)]
pub(crate) struct CallRef<S> {
    pub(crate) shard: Arc<S>,
    pub(crate) seq: u64,
    pub(crate) sample: SampleId,
    pub(crate) ts_ms: u64,
    pub(crate) action: VerdictAction,
    pub(crate) prompt_resolved: bool,
}

impl<S> Clone for CallRef<S> {
    fn clone(&self) -> Self {
        CallRef {
            shard: Arc::clone(&self.shard),
            seq: self.seq,
            sample: self.sample,
            ts_ms: self.ts_ms,
            action: self.action,
            prompt_resolved: self.prompt_resolved,
        }
    }
}

/// One stripe of the call index: a bounded map, oldest evicted first.
#[derive(Debug)]
pub(crate) struct CallStripe<S> {
    map: HashMap<Arc<str>, CallRef<S>>,
    order: VecDeque<Arc<str>>,
    capacity: usize,
}

impl<S> CallStripe<S> {
    pub(crate) fn new(capacity: usize) -> CallStripe<S> {
        CallStripe {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Inserts (or replaces: a host that reuses a call id refers to its latest decision).
    /// Returns the evicted reference so the caller can drop it after unlocking.
    pub(crate) fn insert(&mut self, call_id: Arc<str>, call: CallRef<S>) -> Option<CallRef<S>> {
        if let Some(slot) = self.map.get_mut(&*call_id) {
            *slot = call;
            return None;
        }
        let evicted = if self.order.len() >= self.capacity {
            self.order
                .pop_front()
                .and_then(|oldest| self.map.remove(&*oldest))
        } else {
            None
        };
        self.order.push_back(Arc::clone(&call_id));
        self.map.insert(call_id, call);
        evicted
    }

    pub(crate) fn get(&self, call_id: &str) -> Option<&CallRef<S>> {
        self.map.get(call_id)
    }

    pub(crate) fn get_mut(&mut self, call_id: &str) -> Option<&mut CallRef<S>> {
        self.map.get_mut(call_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(seq: u64) -> CallRef<()> {
        CallRef {
            shard: Arc::new(()),
            seq,
            sample: SampleId::new(seq),
            ts_ms: 0,
            action: VerdictAction::Allow,
            prompt_resolved: false,
        }
    }

    #[test]
    fn call_stripe_is_bounded_and_replaces_duplicates() {
        let mut s = CallStripe::new(2);
        assert!(s.insert("a".into(), call(0)).is_none());
        assert!(s.insert("b".into(), call(1)).is_none());
        assert!(s.insert("b".into(), call(2)).is_none());
        assert_eq!(s.get("b").map(|c| c.seq), Some(2));
        assert_eq!(s.insert("c".into(), call(3)).map(|c| c.seq), Some(0));
        assert!(s.get("a").is_none());
        assert_eq!(s.map.len(), 2);
        assert_eq!(s.order.len(), 2);
    }

    #[test]
    fn stripes_pick_the_same_stripe_for_a_key() {
        let s = Striped::new(|i| i);
        assert_eq!(s.get("ext-a"), s.get("ext-a"));
        assert!(s.iter().count() == STRIPES);
    }

    #[test]
    fn poisoned_locks_are_recovered() {
        let m = Arc::new(Mutex::new(1));
        let m2 = Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let _g = lock(&m2);
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}
