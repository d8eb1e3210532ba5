//! Pieces every pattern engine needs: putting messages on links and the
//! open-loop workload.
//!
//! [`Net`] hands out message ids and emits `Sent` with the transit the link
//! draws; the pattern schedules the arrival in its own action type.
//! [`Workload`] is the Poisson arrival process of the brief's `rate`.

use rand::Rng;

use crate::dist::exp_gap;
use crate::event::{MsgId, MsgKind, ReqId, What};
use crate::recorder::Recorder;
use crate::time::Time;
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
#[derive(Default)]
pub struct Net {
    next_msg: MsgId,
}

impl Net {
    /// Puts a message of `kind` for request `req` on `link` at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn send<R: Rng + ?Sized>(
        &mut self,
        topo: &Topology,
        rng: &mut R,
        rec: &mut Recorder,
        now: Time,
        link: LinkId,
        kind: MsgKind,
        req: ReqId,
    ) -> Transit {
        self.send_not_before(topo, rng, rec, now, link, kind, req, 0)
    }

    /// Like [`Net::send`], but the message arrives no earlier than
    /// `not_before`: a stream that delivers in order holds a message behind
    /// the one sent before it.
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

/// Open-loop Poisson arrivals at `rate` per second.
pub struct Workload {
    rate: f64,
    /// Bumped when the rate changes so an already scheduled arrival can be
    /// recognised as stale and ignored.
    generation: u64,
    next_req: ReqId,
}

impl Workload {
    pub fn new(rate: f64) -> Self {
        Workload {
            rate,
            generation: 0,
            next_req: 0,
        }
    }

    /// When the next arrival after `now` comes, and its generation; `None`
    /// at rate 0.
    pub fn next<R: Rng + ?Sized>(&self, now: Time, rng: &mut R) -> Option<(Time, u64)> {
        exp_gap(self.rate, rng).map(|gap| (now + gap, self.generation))
    }

    /// Changes the rate; arrivals scheduled before are now stale. Poisson
    /// arrivals are memoryless, so drawing afresh from now is exact.
    pub fn set_rate(&mut self, rate: f64) {
        self.rate = rate;
        self.generation += 1;
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
