//! Server-side updates that every client wants: the workload of the polling
//! and push patterns.
//!
//! Updates are produced as a Poisson stream (from the arrivals random
//! stream, so every such pattern sees the same update times for a seed).
//! Each (update, client) pair is one thing a client wants: offered when the
//! update is produced, completed when that client has it, so the waiting
//! time is the update's staleness. Clients hold a cursor (how many updates
//! they have); delivering "everything up to n" completes the pairs in
//! between. No per-pair state is kept.

use std::collections::VecDeque;

use crate::event::{FailReason, ReqId, What};
use crate::recorder::Recorder;
use crate::time::Time;
use crate::topology::NodeId;
use crate::trip::Trip;

/// Request ids are `update × REQ_STRIDE + client`; `clients` is at most 50.
pub const REQ_STRIDE: u64 = 64;

#[derive(Clone)]
pub struct Updates {
    /// Where updates are produced (the server).
    origin: NodeId,
    /// Production times of updates some client still lacks;
    /// `produced[i]` is update number `first + i`.
    produced: VecDeque<Time>,
    first: u64,
    /// Updates produced so far.
    total: u64,
    /// Updates each client has (or has given up on).
    seen: Vec<u64>,
}

impl Updates {
    pub fn new(origin: NodeId, clients: u16) -> Self {
        Updates {
            origin,
            produced: VecDeque::with_capacity(256),
            first: 0,
            total: 0,
            seen: vec![0; clients as usize],
        }
    }

    fn req(k: u64, client: NodeId) -> ReqId {
        k * REQ_STRIDE + client as u64
    }

    /// Updates kept because some client still lacks them (the session's
    /// memory budget counts them).
    pub fn held(&self) -> usize {
        self.produced.len()
    }

    /// A new update at `now`: every client now wants it.
    pub fn produce(&mut self, now: Time, rec: &mut Recorder) -> u64 {
        let k = self.total;
        self.total += 1;
        self.produced.push_back(now);
        for c in 0..self.seen.len() {
            rec.emit(
                now,
                What::Offered {
                    req: Self::req(k, c as NodeId),
                    node: self.origin,
                },
            );
        }
        k
    }

    /// Updates produced so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many updates `client` has.
    pub fn seen(&self, client: NodeId) -> u64 {
        self.seen[client as usize]
    }

    /// `client` now has every update before `upto`, brought by `trip`:
    /// completes those it lacked.
    pub fn deliver(
        &mut self,
        client: NodeId,
        upto: u64,
        now: Time,
        trip: Trip,
        rec: &mut Recorder,
    ) {
        let c = client as usize;
        for k in self.seen[c]..upto.min(self.total) {
            let produced = self.produced[(k - self.first) as usize];
            trip.complete(rec, now, Self::req(k, client), client, produced);
        }
        self.advance(c, upto);
    }

    /// `client` will never get the updates before `upto` it lacks: each fails
    /// as lost (a dropped stream without resume).
    pub fn lose(&mut self, client: NodeId, upto: u64, now: Time, rec: &mut Recorder) {
        let c = client as usize;
        for k in self.seen[c]..upto.min(self.total) {
            rec.emit(
                now,
                What::Failed {
                    req: Self::req(k, client),
                    node: client,
                    reason: FailReason::Lost,
                },
            );
        }
        self.advance(c, upto);
    }

    fn advance(&mut self, c: usize, upto: u64) {
        self.seen[c] = self.seen[c].max(upto.min(self.total));
        let low = self.seen.iter().copied().min().unwrap_or(0);
        while self.first < low {
            self.produced.pop_front();
            self.first += 1;
        }
    }

    /// (update, client) pairs not yet delivered or lost.
    pub fn pending(&self) -> u64 {
        self.seen.iter().map(|&s| self.total - s).sum()
    }
}
