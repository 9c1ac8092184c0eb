//! Per-extension sharded state and the striped call index (docs/design.md §7: "state is sharded per
//! extension; the ledger append is the only global serialisation point").
//!
//! Lock order, everywhere: extension shard → core (ledger + rollout). The core lock is never held
//! while a shard lock is taken, so there is no cycle. Stripe locks (shard map, call index) are
//! leaf locks: nothing else is taken while one is held.
//!
//! A poisoned lock (a thread panicked while holding it) is recovered, never propagated: the host
//! must not crash because of us, and every structure behind these locks is left consistent at
//! each statement boundary that could unwind (bounded rings, counters).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hostguard_rollout::SampleId;

use hostguard_risk_core::VerdictAction;

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
    /// The gate stopped the call (blocked or prompted), or would have once the rollout
    /// enforces the model: only such a call can be flagged a false positive.
    pub(crate) stopped: bool,
    pub(crate) prompt_resolved: bool,
    /// The host reported how the call ended: a second report is refused (it would feed the
    /// posterior and the window twice).
    pub(crate) outcome_recorded: bool,
}

impl<S> Clone for CallRef<S> {
    fn clone(&self) -> Self {
        CallRef {
            shard: Arc::clone(&self.shard),
            seq: self.seq,
            sample: self.sample,
            ts_ms: self.ts_ms,
            action: self.action,
            stopped: self.stopped,
            prompt_resolved: self.prompt_resolved,
            outcome_recorded: self.outcome_recorded,
        }
    }
}

/// The decisions one call id refers to: usually one; several when different extensions used
/// the same id (hosts often number calls per extension, e.g. JSON-RPC ids per connection).
#[derive(Debug)]
enum CallSlot<S> {
    One(CallRef<S>),
    Many(Vec<CallRef<S>>),
}

impl<S> CallSlot<S> {
    fn refs(&self) -> &[CallRef<S>] {
        match self {
            CallSlot::One(call) => std::slice::from_ref(call),
            CallSlot::Many(calls) => calls,
        }
    }

    fn refs_mut(&mut self) -> &mut [CallRef<S>] {
        match self {
            CallSlot::One(call) => std::slice::from_mut(call),
            CallSlot::Many(calls) => calls,
        }
    }
}

/// One stripe of the call index: a bounded map from call id to the latest decision of each
/// extension that used the id, oldest evicted first.
#[derive(Debug)]
pub(crate) struct CallStripe<S> {
    map: HashMap<Arc<str>, CallSlot<S>>,
    order: VecDeque<(Arc<str>, Arc<S>)>,
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

    /// Inserts (or replaces: an extension that reuses a call id refers to its latest
    /// decision; another extension's decision under the same id is kept beside it).
    /// Returns the evicted reference so the caller can drop it after unlocking.
    pub(crate) fn insert(&mut self, call_id: Arc<str>, call: CallRef<S>) -> Option<CallRef<S>> {
        if let Some(slot) = self.map.get_mut(&*call_id) {
            if let Some(existing) = slot
                .refs_mut()
                .iter_mut()
                .find(|r| Arc::ptr_eq(&r.shard, &call.shard))
            {
                *existing = call;
                return None;
            }
        }
        let evicted = if self.order.len() >= self.capacity {
            self.order
                .pop_front()
                .and_then(|(oldest, shard)| self.remove(&oldest, &shard))
        } else {
            None
        };
        self.order
            .push_back((Arc::clone(&call_id), Arc::clone(&call.shard)));
        match self.map.entry(call_id) {
            Entry::Vacant(vacant) => {
                vacant.insert(CallSlot::One(call));
            }
            Entry::Occupied(mut occupied) => {
                let slot = occupied.get_mut();
                let previous = std::mem::replace(slot, CallSlot::Many(Vec::with_capacity(2)));
                if let CallSlot::Many(calls) = slot {
                    match previous {
                        CallSlot::One(first) => calls.push(first),
                        CallSlot::Many(earlier) => calls.extend(earlier),
                    }
                    calls.push(call);
                }
            }
        }
        evicted
    }

    /// Removes the decision of `shard`'s extension under `call_id`.
    fn remove(&mut self, call_id: &str, shard: &Arc<S>) -> Option<CallRef<S>> {
        let (key, slot) = self.map.remove_entry(call_id)?;
        match slot {
            CallSlot::One(call) => {
                if Arc::ptr_eq(&call.shard, shard) {
                    Some(call)
                } else {
                    self.map.insert(key, CallSlot::One(call));
                    None
                }
            }
            CallSlot::Many(mut calls) => {
                let removed = calls
                    .iter()
                    .position(|r| Arc::ptr_eq(&r.shard, shard))
                    .map(|i| calls.swap_remove(i));
                let slot = if calls.len() == 1 {
                    calls.pop().map(CallSlot::One)
                } else {
                    Some(CallSlot::Many(calls))
                };
                if let Some(slot) = slot {
                    self.map.insert(key, slot);
                }
                removed
            }
        }
    }

    /// The decision `call_id` names, when exactly one extension used the id (`None` when
    /// unknown or ambiguous: an outcome must never be credited to the wrong extension).
    pub(crate) fn get(&self, call_id: &str) -> Option<&CallRef<S>> {
        match self.map.get(call_id)? {
            CallSlot::One(call) => Some(call),
            CallSlot::Many(_) => None,
        }
    }

    /// The decision of `shard`'s extension under `call_id`.
    pub(crate) fn get_for(&self, call_id: &str, shard: &Arc<S>) -> Option<&CallRef<S>> {
        self.map
            .get(call_id)?
            .refs()
            .iter()
            .find(|r| Arc::ptr_eq(&r.shard, shard))
    }

    /// As [`get`](Self::get) (`shard: None`) or [`get_for`](Self::get_for), mutably.
    pub(crate) fn get_mut(
        &mut self,
        call_id: &str,
        shard: Option<&Arc<S>>,
    ) -> Option<&mut CallRef<S>> {
        let slot = self.map.get_mut(call_id)?;
        match (slot, shard) {
            (CallSlot::One(call), None) => Some(call),
            (CallSlot::Many(_), None) => None,
            (slot, Some(shard)) => slot
                .refs_mut()
                .iter_mut()
                .find(|r| Arc::ptr_eq(&r.shard, shard)),
        }
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
            stopped: false,
            prompt_resolved: false,
            outcome_recorded: false,
        }
    }

    fn call_of(shard: &Arc<()>, seq: u64) -> CallRef<()> {
        CallRef {
            shard: Arc::clone(shard),
            ..call(seq)
        }
    }

    #[test]
    fn call_stripe_is_bounded_and_replaces_duplicates() {
        let ext = Arc::new(());
        let mut s = CallStripe::new(2);
        assert!(s.insert("a".into(), call_of(&ext, 0)).is_none());
        assert!(s.insert("b".into(), call_of(&ext, 1)).is_none());
        assert!(s.insert("b".into(), call_of(&ext, 2)).is_none());
        assert_eq!(s.get("b").map(|c| c.seq), Some(2));
        assert_eq!(
            s.insert("c".into(), call_of(&ext, 3)).map(|c| c.seq),
            Some(0)
        );
        assert!(s.get("a").is_none());
        assert_eq!(s.map.len(), 2);
        assert_eq!(s.order.len(), 2);
    }

    #[test]
    fn one_call_id_of_two_extensions_is_ambiguous_unless_the_extension_is_named() {
        let (x, y) = (Arc::new(()), Arc::new(()));
        let mut s = CallStripe::new(3);
        assert!(s.insert("7".into(), call_of(&x, 0)).is_none());
        assert!(s.insert("7".into(), call_of(&y, 1)).is_none());
        assert!(s.get("7").is_none(), "ambiguous");
        assert_eq!(s.get_for("7", &x).map(|c| c.seq), Some(0));
        assert_eq!(s.get_for("7", &y).map(|c| c.seq), Some(1));
        assert!(s.insert("7".into(), call_of(&y, 2)).is_none());
        assert_eq!(s.get_mut("7", Some(&y)).map(|c| c.seq), Some(2));
        assert!(s.get_mut("7", None).is_none());
        // Eviction removes exactly the oldest decision (x's), leaving y's unambiguous.
        assert!(s.insert("8".into(), call_of(&x, 3)).is_none());
        assert_eq!(s.insert("9".into(), call_of(&x, 4)).map(|c| c.seq), Some(0));
        assert_eq!(s.get("7").map(|c| c.seq), Some(2));
        assert_eq!(s.order.len(), 3);
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
