//! [`BoundedLog`]: the fixed-capacity ring every record stream lives in (docs/design.md §6 "Every stream
//! is a bounded ring; reading never drains it", §10 "memory flat").

use std::collections::vec_deque;
use std::collections::VecDeque;

/// A fixed-capacity ring: `push` is O(1) and evicts the oldest record once full, counting the
/// evictions; reading (`iter`, `to_vec`, `len`) never drains it.
///
/// A capacity of 0 keeps nothing: every push is counted as evicted.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedLog<T> {
    items: VecDeque<T>,
    capacity: usize,
    evicted: u64,
}

impl<T> BoundedLog<T> {
    /// An empty ring holding at most `capacity` records. Storage is allocated as records arrive,
    /// so a generous capacity costs nothing up front.
    pub fn new(capacity: usize) -> BoundedLog<T> {
        BoundedLog {
            items: VecDeque::new(),
            capacity,
            evicted: 0,
        }
    }

    /// Appends `item`, evicting (and counting) the oldest record when full. Returns the evicted
    /// record, if any.
    pub fn push(&mut self, item: T) -> Option<T> {
        if self.capacity == 0 {
            self.evicted = self.evicted.saturating_add(1);
            return Some(item);
        }
        // INVARIANT (bounded): len <= capacity after every push.
        let out = if self.items.len() >= self.capacity {
            self.evicted = self.evicted.saturating_add(1);
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(item);
        out
    }

    /// The records, oldest first.
    pub fn iter(&self) -> vec_deque::Iter<'_, T> {
        self.items.iter()
    }

    /// A copy of the records, oldest first.
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.items.iter().cloned().collect()
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The most records held at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records evicted so far (saturating).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The newest record.
    pub fn last(&self) -> Option<&T> {
        self.items.back()
    }

    /// The newest record, mutably (e.g. to attach an outcome to the last telemetry event).
    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.items.back_mut()
    }

    /// The newest record matching `pred`, mutably (e.g. the telemetry event of a call id).
    pub fn find_last_mut<P>(&mut self, mut pred: P) -> Option<&mut T>
    where
        P: FnMut(&T) -> bool,
    {
        self.items.iter_mut().rev().find(|t| pred(t))
    }
}

impl<'a, T> IntoIterator for &'a BoundedLog<T> {
    type Item = &'a T;
    type IntoIter = vec_deque::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(capacity: usize, pushes: u32, expected: &[u32], evicted: u64) {
        let mut log = BoundedLog::new(capacity);
        for i in 0..pushes {
            log.push(i);
        }
        assert_eq!(
            log.to_vec(),
            expected,
            "capacity {capacity}, pushes {pushes}"
        );
        assert_eq!(log.evicted(), evicted);
        assert_eq!(log.len(), expected.len());
        assert!(log.len() <= capacity);
    }

    #[test]
    fn ring_keeps_the_newest_and_counts_evictions() {
        check(3, 0, &[], 0);
        check(3, 2, &[0, 1], 0);
        check(3, 3, &[0, 1, 2], 0);
        check(3, 4, &[1, 2, 3], 1);
        check(3, 10, &[7, 8, 9], 7);
        check(1, 5, &[4], 4);
        check(0, 5, &[], 5);
    }

    #[test]
    fn push_returns_the_evicted_record() {
        let mut log = BoundedLog::new(2);
        assert_eq!(log.push('a'), None);
        assert_eq!(log.push('b'), None);
        assert_eq!(log.push('c'), Some('a'));
        assert_eq!(BoundedLog::new(0).push('x'), Some('x'));
    }

    #[test]
    fn reading_never_drains() {
        let mut log = BoundedLog::new(4);
        log.push(1);
        log.push(2);
        assert_eq!(log.iter().count(), 2);
        assert_eq!(log.to_vec(), vec![1, 2]);
        assert_eq!((&log).into_iter().copied().sum::<i32>(), 3);
        assert_eq!(log.len(), 2);
        assert_eq!(log.last(), Some(&2));
    }

    #[test]
    fn last_mut_and_find_last_mut_edit_in_place() {
        let mut log = BoundedLog::new(4);
        for (id, v) in [("a", 1), ("b", 2), ("a", 3)] {
            log.push((id, v));
        }
        if let Some(last) = log.last_mut() {
            last.1 = 30;
        }
        if let Some(a) = log.find_last_mut(|(id, _)| *id == "a") {
            a.1 += 1;
        }
        if let Some(b) = log.find_last_mut(|(id, _)| *id == "b") {
            b.1 = 20;
        }
        assert!(log.find_last_mut(|(id, _)| *id == "z").is_none());
        assert_eq!(log.to_vec(), vec![("a", 1), ("b", 20), ("a", 31)]);
        assert!(BoundedLog::<u8>::new(1).last_mut().is_none());
    }
}
