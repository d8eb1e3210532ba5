//! The discrete-event scheduler: a binary heap of future actions.
//!
//! Ties in time are broken by a monotonically increasing sequence number, so
//! two actions scheduled for the same instant always run in the order they
//! were scheduled. That, plus seeded random streams, is what makes a run
//! deterministic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Time;

/// One action waiting for its time to come.
#[derive(Clone)]
struct Entry<A> {
    at: Time,
    /// Insertion order; breaks ties so equal-time actions run FIFO.
    seq: u64,
    action: A,
}

impl<A> PartialEq for Entry<A> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl<A> Eq for Entry<A> {}
impl<A> PartialOrd for Entry<A> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<A> Ord for Entry<A> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .at
            .cmp(&self.at)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A queue of future actions of type `A`, popped in time order.
#[derive(Clone)]
pub struct Scheduler<A> {
    heap: BinaryHeap<Entry<A>>,
    next_seq: u64,
}

impl<A> Default for Scheduler<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A> Scheduler<A> {
    pub fn new() -> Self {
        Scheduler {
            heap: BinaryHeap::with_capacity(1024),
            next_seq: 0,
        }
    }

    /// Schedules `action` to run at virtual time `at` (at the latest
    /// [`crate::time::FOREVER`]: an action that far out never runs).
    pub fn at(&mut self, at: Time, action: A) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let at = at.min(crate::time::FOREVER);
        self.heap.push(Entry { at, seq, action });
    }

    /// The time of the earliest pending action.
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.at)
    }

    /// The earliest pending action.
    pub fn peek(&self) -> Option<&A> {
        self.heap.peek().map(|e| &e.action)
    }

    /// Keeps only the actions `keep` approves. Order among the rest is
    /// unchanged: it is by time and insertion, not by place in the heap.
    pub fn retain(&mut self, mut keep: impl FnMut(&A) -> bool) {
        self.heap.retain(|e| keep(&e.action));
    }

    /// Removes and returns the earliest action if it is due at or before `until`.
    pub fn pop_due(&mut self, until: Time) -> Option<(Time, A)> {
        if self.heap.peek()?.at <= until {
            self.heap.pop().map(|e| (e.at, e.action))
        } else {
            None
        }
    }

    /// Number of pending actions.
    /// Every pending action and its time, in no particular order.
    pub fn iter_timed(&self) -> impl Iterator<Item = (Time, &A)> {
        self.heap.iter().map(|e| (e.at, &e.action))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Visits every pending action (in no particular order); used by audits.
    pub fn iter(&self) -> impl Iterator<Item = &A> {
        self.heap.iter().map(|e| &e.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut s = Scheduler::new();
        s.at(30, "c");
        s.at(10, "a1");
        s.at(20, "b");
        s.at(10, "a2");
        assert_eq!(s.peek_time(), Some(10));
        let order: Vec<_> = std::iter::from_fn(|| s.pop_due(u64::MAX))
            .map(|(_, a)| a)
            .collect();
        assert_eq!(order, vec!["a1", "a2", "b", "c"]);
    }

    #[test]
    fn pop_due_respects_the_horizon() {
        let mut s = Scheduler::new();
        s.at(5, 1);
        s.at(15, 2);
        assert_eq!(s.pop_due(10), Some((5, 1)));
        assert_eq!(s.pop_due(10), None);
        assert_eq!(s.len(), 1);
    }
}
