//! What a model sees and does while it decides: the clock, the random
//! streams, the topology, the parameters, the recorder, and the two ways to
//! make something happen later (send a message, set a timer).

use crate::event::{DropReason, MsgId, MsgKind, ReqId, What};
use crate::net::{Net, Transit, Workload};
use crate::params::ParamSet;
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::time::Time;
use crate::topology::{LinkId, NodeId, Topology};
use crate::trip::Trip;

use super::{Action, Model};

/// A message as it reaches the end of its link: what every message has,
/// and the pattern's own `body`.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<B> {
    pub msg: MsgId,
    pub req: ReqId,
    pub kind: MsgKind,
    pub from: NodeId,
    /// Where it arrives (or, lost, where it was dropped).
    pub to: NodeId,
    /// When it left: `now - sent` is its time on the wire.
    pub sent: Time,
    pub body: B,
}

/// The engine as one decision of model `M` sees it.
pub struct Cx<'a, M: Model> {
    /// The virtual instant the decision is made at.
    pub now: Time,
    pub rec: &'a mut Recorder,
    pub rng: &'a mut Streams,
    /// Mutable so a model can draw a capacity change on its node.
    pub topo: &'a mut Topology,
    pub params: &'a ParamSet,
    /// Request ids and the offered rate.
    pub workload: &'a mut Workload,
    pub(super) sched: &'a mut Scheduler<Action<M>>,
    pub(super) net: &'a mut Net,
}

impl<M: Model> Cx<'_, M> {
    /// Records `what` as happening now.
    pub fn emit(&mut self, what: What) {
        self.rec.emit(self.now, what);
    }

    /// Drops message `msg` at `node` now, for `reason`.
    pub fn drop(&mut self, msg: MsgId, node: NodeId, reason: DropReason) {
        self.rec.drop(self.now, msg, node, reason);
    }

    /// Puts a message on `link`; it is delivered to the model (or lost) at
    /// the end of its transit.
    pub fn send(&mut self, link: LinkId, kind: MsgKind, req: ReqId, body: M::Msg) -> Transit {
        self.send_not_before(link, kind, req, body, 0)
    }

    /// Like [`Cx::send`], but it arrives no earlier than `not_before`: a
    /// stream that delivers in order holds a message behind the one before.
    pub fn send_not_before(
        &mut self,
        link: LinkId,
        kind: MsgKind,
        req: ReqId,
        body: M::Msg,
        not_before: Time,
    ) -> Transit {
        let t = self.net.send_not_before(
            self.topo,
            &mut self.rng.network,
            self.rec,
            self.now,
            link,
            kind,
            req,
            not_before,
        );
        let l = &self.topo.links[link as usize];
        let m = Delivery {
            msg: t.msg,
            req,
            kind,
            from: l.from,
            to: l.to,
            sent: self.now,
            body,
        };
        self.sched
            .at(t.arrive_at, Action::Message { m, lost: t.lost });
        t
    }

    /// Fires `timer` at virtual time `at`.
    pub fn at(&mut self, at: Time, timer: M::Timer) {
        self.sched.at(at, Action::Timer(timer));
    }

    /// Fires `timer` after `delay`.
    pub fn after(&mut self, delay: Time, timer: M::Timer) {
        self.sched.at(self.now + delay, Action::Timer(timer));
    }

    /// Completes `req` at `node`: where its wait (begun at `from`) went,
    /// then the completion.
    pub fn complete(&mut self, trip: &Trip, req: ReqId, node: NodeId, from: Time) {
        trip.complete(self.rec, self.now, req, node, from);
    }

    /// A parameter's current value.
    pub fn get(&self, id: &str) -> f64 {
        self.params.get(id)
    }
}
