//! `fire-and-forget`: the sender hands a message to the network and carries
//! on. No reply, no acknowledgement, no error.
//!
//! Topology: `clients` client nodes, one link each to a service with
//! `workers` and a queue of `queue_cap`. Workload: open-loop Poisson at total
//! `rate`, service times drawn when a message is produced (as in
//! request-response, so compare mode can share them).
//!
//! The waiting time is the receiver's: produced → processed by the service.
//! A message lost on the link or refused by a full queue fails with reason
//! `lost` — counted here, never reported to its sender.

use std::collections::HashMap;

use rand::Rng;

use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{FailReason, MsgKind, ReqId, What};
use crate::info::{percent, Figure};
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::Time;
use crate::topology::{LinkId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "fire-and-forget";

/// Losses nobody told the sender about.
/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    let lost = t.failed_by[crate::metrics::fail_index(FailReason::Lost)];
    vec![
        Figure::count("silent_losses", "silent losses", lost),
        Figure::new(
            "silent_loss_share",
            "share lost silently",
            percent(lost as f64, t.offered as f64),
            "%",
        ),
    ]
}

/// A message produced and not yet processed or lost.
#[derive(Clone)]
struct Pending {
    created: Time,
    service: Time,
}

#[derive(Clone)]
pub struct FireAndForget {
    clients: u16,
    pending: HashMap<ReqId, Pending>,
    receiver: Endpoint<ReqId, Visit<ReqId>>,
}

type Cxf<'a> = Cx<'a, FireAndForget>;

impl FireAndForget {
    /// The message is gone: counted, never reported to the sender.
    fn forget(&mut self, cx: &mut Cxf, req: ReqId) {
        self.pending.remove(&req);
        cx.emit(What::Failed {
            req,
            node: self.receiver.node,
            reason: FailReason::Lost,
        });
    }
}

impl Model for FireAndForget {
    /// A worker finished the message.
    type Timer = Visit<ReqId>;
    type Msg = ();

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let parties = topo.add_parties(NodeKind::Client, "sender", clients);
        let (workers, queue_cap) = (p.get("workers") as u32, p.get("queue_cap") as u32);
        let node = topo.add_node(NodeKind::Service, "receiver".into(), workers, queue_cap);
        for i in parties {
            topo.connect(i, node, p);
        }
        FireAndForget {
            clients,
            pending: HashMap::with_capacity(1024),
            receiver: Endpoint::service(node, p, |v| v),
        }
    }

    fn start(&mut self, cx: &mut Cxf) {
        self.receiver.open(cx);
    }

    fn arrival(&mut self, cx: &mut Cxf) {
        let client = cx.rng.arrivals.random_range(0..self.clients);
        let service = self.receiver.draw(&mut cx.rng.service);
        let req = cx.workload.new_req();
        let created = cx.now;
        self.pending.insert(req, Pending { created, service });
        cx.emit(What::Offered { req, node: client });
        cx.send(client as LinkId, MsgKind::Request, req, ());
    }

    fn deliver(&mut self, cx: &mut Cxf, m: Delivery<()>) {
        let service = self
            .pending
            .get(&m.req)
            .map_or(self.receiver.mean, |p| p.service);
        if let Offer::Refused(req, _) = self.receiver.offer(cx, m.msg, service, m.req) {
            // Refused by a receiver that is down or full; the sender never knows.
            self.forget(cx, req);
        }
    }

    fn lost(&mut self, cx: &mut Cxf, m: Delivery<()>) {
        self.forget(cx, m.req);
    }

    fn timer(&mut self, cx: &mut Cxf, v: Visit<ReqId>) {
        let req = v.job;
        self.receiver.done(cx, v.msg, false);
        if let Some(p) = self.pending.remove(&req) {
            let trip = Trip::served(v.arrived - p.created, v.arrived, v.started, cx.now);
            cx.complete(&trip, req, self.receiver.node, p.created);
        }
        self.receiver.next(cx);
    }

    fn set_param(&mut self, cx: &mut Cxf, id: &str, value: f64) {
        self.receiver.set_param(cx, id, value);
    }

    fn tally(&self) -> Tally {
        Endpoint::tally([&self.receiver], self.pending.len() as u64)
    }

    fn held(&self) -> usize {
        self.pending.len() + self.receiver.queued()
    }
}
