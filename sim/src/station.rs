//! A service station: parallel workers behind a FIFO waiting room.
//!
//! The queueing core that services, consumers and backends share. It only
//! keeps the books (who is busy, who waits); the pattern that owns it emits
//! the events and schedules completions, because only the pattern knows what
//! a finished job leads to.

use std::collections::VecDeque;

use crate::event::What;
use crate::recorder::Recorder;
use crate::time::Time;
use crate::topology::{NodeId, Topology};

/// What happened to a job offered to the station.
#[derive(Debug, PartialEq, Eq)]
pub enum Admit<J> {
    /// A worker was free: the job starts now.
    Start(J),
    /// All workers busy: the job waits in the queue.
    Queued,
    /// The queue is full: the job is refused and handed back.
    Full(J),
}

#[derive(Clone)]
pub struct Station<J> {
    pub node: NodeId,
    workers: u32,
    queue_cap: usize,
    busy: u32,
    queue: VecDeque<J>,
}

impl<J> Station<J> {
    pub fn new(node: NodeId, workers: u32, queue_cap: usize) -> Self {
        Station {
            node,
            workers,
            queue_cap,
            busy: 0,
            queue: VecDeque::with_capacity(queue_cap.min(4096)),
        }
    }

    /// Offers a job: it starts, waits, or is refused.
    pub fn admit(&mut self, job: J) -> Admit<J> {
        if self.busy < self.workers {
            self.busy += 1;
            Admit::Start(job)
        } else if self.queue.len() < self.queue_cap {
            self.queue.push_back(job);
            Admit::Queued
        } else {
            Admit::Full(job)
        }
    }

    /// Removes and returns the job that has waited longest (to make room).
    pub fn evict_oldest(&mut self) -> Option<J> {
        self.queue.pop_front()
    }

    /// A worker finished its job.
    pub fn finish(&mut self) {
        self.busy = self.busy.saturating_sub(1);
    }

    /// The next waiting job a free worker takes, if any. Call until `None`
    /// after a finish or a capacity change.
    pub fn take_next(&mut self) -> Option<J> {
        if self.busy < self.workers {
            let job = self.queue.pop_front()?;
            self.busy += 1;
            Some(job)
        } else {
            None
        }
    }

    /// Changes the number of workers. Busy workers above the new count
    /// finish their jobs; the queue is served again via [`Station::take_next`].
    pub fn set_workers(&mut self, workers: u32) {
        self.workers = workers;
    }

    /// Changes the number of workers live: the drawn node follows and a
    /// `Capacity` event reports it. Waiting jobs are then taken with
    /// [`Station::take_next`].
    pub fn resize(&mut self, workers: u32, topo: &mut Topology, rec: &mut Recorder, now: Time) {
        self.set_workers(workers);
        topo.nodes[self.node as usize].workers = workers;
        rec.emit(
            now,
            What::Capacity {
                node: self.node,
                workers,
            },
        );
    }

    /// Changes the waiting room live, on the drawn node too.
    pub fn set_room(&mut self, cap: usize, topo: &mut Topology) {
        self.set_queue_cap(cap);
        topo.nodes[self.node as usize].queue_cap = cap.min(u32::MAX as usize) as u32;
    }

    /// Changes the waiting room; jobs already waiting beyond it stay.
    pub fn set_queue_cap(&mut self, cap: usize) {
        self.queue_cap = cap;
    }

    pub fn workers(&self) -> u32 {
        self.workers
    }

    /// Every worker busy and the waiting room full: the next job is refused.
    pub fn full(&self) -> bool {
        self.busy >= self.workers && self.queue.len() >= self.queue_cap
    }

    pub fn busy(&self) -> u32 {
        self.busy
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_queues_then_refuses() {
        let mut s = Station::new(0, 1, 1);
        assert_eq!(s.admit('a'), Admit::Start('a'));
        assert_eq!(s.admit('b'), Admit::Queued);
        assert_eq!(s.admit('c'), Admit::Full('c'));
        s.finish();
        assert_eq!(s.take_next(), Some('b'));
        assert_eq!(s.take_next(), None);
        assert_eq!((s.busy(), s.queued()), (1, 0));
    }

    #[test]
    fn more_workers_drain_the_queue() {
        let mut s = Station::new(0, 1, 10);
        for j in 0..4 {
            let _ = s.admit(j);
        }
        s.set_workers(3);
        assert_eq!(
            std::iter::from_fn(|| s.take_next()).collect::<Vec<_>>(),
            vec![1, 2]
        );
        s.set_workers(1);
        s.finish();
        assert_eq!(s.take_next(), None, "still two busy above the new count");
    }
}
