//! Pieces every pattern engine needs: putting messages on links and the
//! open-loop workload.
//!
//! [`Net`] hands out message ids and emits `Sent` with the transit the link
//! draws; the engine ([`crate::engine`]) schedules the arrival.
//! [`Workload`] is the Poisson arrival process of the brief's `rate`.

use rand::Rng;

use crate::dist::exp_gap;
use crate::event::{MsgId, MsgKind, ReqId, What};
use crate::params::ParamSet;
use crate::recorder::Recorder;
use crate::time::{self, Time};
use crate::topology::{LinkId, Topology};

/// Where and when a message sent now will end its hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transit {
    pub msg: MsgId,
    pub arrive_at: Time,
    /// The message disappears at `arrive_at` instead of arriving.
    pub lost: bool,
}

/// Message ids and link transit for one run.
#[derive(Clone, Default)]
pub struct Net {
    next_msg: MsgId,
}

impl Net {
    /// Puts a message of `kind` for request `req` on `link` at `now`,
    /// arriving no earlier than `not_before` (a stream that delivers in
    /// order holds a message behind the one sent before it; 0 for none).
    #[allow(clippy::too_many_arguments)]
    pub fn send_not_before<R: Rng + ?Sized>(
        &mut self,
        topo: &Topology,
        rng: &mut R,
        rec: &mut Recorder,
        now: Time,
        link: LinkId,
        kind: MsgKind,
        req: ReqId,
        not_before: Time,
    ) -> Transit {
        let msg = self.next_msg;
        self.next_msg += 1;
        let (transit, lost) = topo.links[link as usize].transit(rng);
        let arrive_at = (now + transit).max(not_before);
        rec.emit(
            now,
            What::Sent {
                msg,
                req,
                kind,
                link,
                arrive_at,
                lost,
            },
        );
        Transit {
            msg,
            arrive_at,
            lost,
        }
    }
}

/// A stretch of virtual time during which the offered load is multiplied.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spike {
    pub at: Time,
    pub len: Time,
    pub factor: f64,
}

impl Spike {
    /// No spike: zero length or a factor of one.
    fn is_off(&self) -> bool {
        self.len == 0 || self.factor == 1.0
    }
}

/// Open-loop Poisson arrivals at `rate` per second, times the spike's
/// factor while a spike lasts.
#[derive(Clone)]
pub struct Workload {
    rate: f64,
    spike: Spike,
    /// Bumped when the rate changes so an already scheduled arrival can be
    /// recognised as stale and ignored.
    generation: u64,
    next_req: ReqId,
}

/// The spike a pattern's parameters describe (none if it has no spike
/// parameters).
fn spike_of(p: &ParamSet) -> Spike {
    if !p.specs().iter().any(|s| s.id == "spike_s") {
        return Spike::default();
    }
    Spike {
        at: time::from_secs(p.get("spike_at_s")),
        len: time::from_secs(p.get("spike_s")),
        factor: p.get("spike_x"),
    }
}

/// The parameters a workload reads.
const READS: [&str; 5] = ["rate", "update_rate", "spike_at_s", "spike_s", "spike_x"];

/// The workload's rate: requests offered (`rate`) or, for the patterns
/// whose clients want the server's news, updates produced (`update_rate`).
fn rate_of(p: &ParamSet) -> f64 {
    if p.spec("rate").is_ok() {
        p.get("rate")
    } else {
        p.get("update_rate")
    }
}

impl Workload {
    /// The workload a pattern's parameters describe: `rate`, and the spike
    /// where the pattern offers one.
    pub fn from_params(p: &ParamSet) -> Self {
        Workload {
            rate: rate_of(p),
            spike: spike_of(p),
            generation: 0,
            next_req: 0,
        }
    }

    /// Whether `id` changes the workload.
    pub fn reads(id: &str) -> bool {
        READS.contains(&id)
    }

    /// Re-reads rate and spike; arrivals scheduled before are now stale.
    pub fn set_from(&mut self, p: &ParamSet) {
        self.rate = rate_of(p);
        self.spike = spike_of(p);
        self.generation += 1;
    }

    /// The offered rate at `t`.
    pub fn rate_at(&self, t: Time) -> f64 {
        let s = &self.spike;
        if !s.is_off() && t >= s.at && t < s.at + s.len {
            self.rate * s.factor
        } else {
            self.rate
        }
    }

    /// The next instant after `t` where the rate changes, if any.
    fn boundary_after(&self, t: Time) -> Option<Time> {
        let s = &self.spike;
        if s.is_off() {
            None
        } else if t < s.at {
            Some(s.at)
        } else if t < s.at + s.len {
            Some(s.at + s.len)
        } else {
            None
        }
    }

    /// When the next arrival after `now` comes, and its generation; `None`
    /// when no more arrivals will come. The rate is piecewise constant and
    /// Poisson arrivals are memoryless, so a gap that would cross a change
    /// is redrawn from the change at the new rate: exact, and without a
    /// spike the draws are the same as a plain Poisson stream's.
    pub fn next<R: Rng + ?Sized>(&self, now: Time, rng: &mut R) -> Option<(Time, u64)> {
        let mut t = now;
        loop {
            let boundary = self.boundary_after(t);
            match exp_gap(self.rate_at(t), rng) {
                Some(gap) if boundary.is_none_or(|b| t + gap < b) => {
                    return Some((t + gap, self.generation))
                }
                _ => t = boundary?,
            }
        }
    }

    pub fn is_current(&self, generation: u64) -> bool {
        generation == self.generation
    }

    /// A fresh request id.
    pub fn new_req(&mut self) -> ReqId {
        let r = self.next_req;
        self.next_req += 1;
        r
    }
}
