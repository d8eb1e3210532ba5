//! `event-choreography`: an order flows Order → Payment → Inventory →
//! Shipping with no coordinator: each service reacts to the previous one's
//! event and emits its own. A failed step emits a compensating event that
//! walks back up the chain, undoing the steps before it (a saga).
//!
//! Topology: clients place orders with the first service; services form a
//! chain, each with `workers` and a queue, linked both ways (events forward,
//! compensations back). The waiting time is order placed → last step done:
//! the sum of the hops, the services' work and whatever queues form. A
//! stalled service (`slow_stage`, `slowdown`) stalls everything after it.

use std::collections::HashMap;

use rand::Rng;

use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{FailReason, MsgKind, ReqId, What};
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::complete_with;

pub const ID: &str = "event-choreography";

/// The services of the chain, in order.
const NAMES: [&str; 6] = [
    "order",
    "payment",
    "inventory",
    "shipping",
    "invoice",
    "notify",
];

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::count(
            "failures",
            "failed steps (sagas)",
            t.failed_of(FailReason::Compensated),
        ),
        Figure::count(
            "compensations",
            "compensating events",
            t.sent_of(MsgKind::Compensation),
        ),
        Figure::ms("step_ms", "one step, mean", s.legs.mean),
        Figure::count("backlog", "longest queue", s.max_node_queue),
    ]
}

#[derive(Clone)]
struct Order {
    client: NodeId,
    created: Time,
    /// When the order last left a party (the client, or a stage handing
    /// it on): the next arrival's hop starts here.
    handed: Time,
    /// Network, queue and service time over the stages so far.
    parts: [Time; 3],
}

/// An order's step at stage `i`.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    req: ReqId,
    i: u16,
}

#[derive(Clone)]
pub struct EventChoreography {
    clients: u16,
    fail_rate: f64,
    slow_stage: u16,
    slowdown: f64,
    orders: HashMap<ReqId, Order>,
    stages: Vec<Endpoint<Step, Visit<Step>>>,
}

type Cxc<'a> = Cx<'a, EventChoreography>;

impl EventChoreography {
    /// Links: client c → stage 0 is link c; then stage i → i+1 is
    /// clients + 2i, and i+1 → i (compensations) clients + 2i + 1.
    fn forward(&self, i: u16) -> LinkId {
        self.clients + 2 * i
    }

    /// Step `i` of `req` failed: the saga fails and compensations walk back.
    fn fail(&mut self, cx: &mut Cxc, req: ReqId, i: u16) {
        if let Some(o) = self.orders.remove(&req) {
            cx.emit(What::Failed {
                req,
                node: o.client,
                reason: FailReason::Compensated,
            });
        }
        self.compensate_before(cx, req, i);
    }

    /// Sends the compensation to stage `i - 1`, if there is one.
    fn compensate_before(&mut self, cx: &mut Cxc, req: ReqId, i: u16) {
        if i > 0 {
            let link = self.forward(i - 1) + 1;
            cx.send(link, MsgKind::Compensation, req, i - 1);
        }
    }

    fn on_reach(&mut self, cx: &mut Cxc, m: Delivery<u16>) {
        let (req, i) = (m.req, m.body);
        if let Some(o) = self.orders.get_mut(&req) {
            o.parts[0] += cx.now - o.handed;
        }
        let stage = &mut self.stages[i as usize];
        let mut service = stage.draw(&mut cx.rng.service);
        if self.slow_stage == i + 1 {
            service = time::from_ns((service as f64 * self.slowdown).floor());
        }
        if let Offer::Refused(..) = stage.admit(cx, m.msg, service, Step { req, i }) {
            // A full queue fails the step like any other failure.
            self.fail(cx, req, i);
        }
    }

    fn on_step_done(&mut self, cx: &mut Cxc, v: Visit<Step>) {
        let Step { req, i } = v.job;
        if let Some(o) = self.orders.get_mut(&req) {
            o.parts[1] += v.started - v.arrived;
            o.parts[2] += cx.now - v.started;
            o.handed = cx.now;
        }
        let stage = &mut self.stages[i as usize];
        stage.done(cx, v.msg, false);
        let node = stage.node;
        cx.emit(What::Leg {
            req,
            node,
            latency: cx.now - v.arrived,
        });
        let failed: f64 = cx.rng.client.random();
        if failed < self.fail_rate {
            self.fail(cx, req, i);
        } else if i as usize + 1 < self.stages.len() {
            cx.send(self.forward(i), MsgKind::Event, req, i + 1);
        } else if let Some(o) = self.orders.remove(&req) {
            complete_with(cx.rec, cx.now, req, node, o.created, o.parts);
        }
        self.stages[i as usize].next(cx);
    }
}

impl Model for EventChoreography {
    /// A stage finished its step.
    type Timer = Visit<Step>;
    /// The stage an event or compensation reaches.
    type Msg = u16;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let stages = p.get("stages") as u16;
        let (workers, queue_cap) = (p.get("workers") as u32, p.get("queue_cap") as usize);
        let parties = topo.add_parties(NodeKind::Client, "client", clients);
        let first = clients;
        let stages = (0..stages)
            .map(|i| {
                let name = NAMES[i as usize].into();
                let node = topo.add_node(NodeKind::Service, name, workers, queue_cap as u32);
                // The stalled stage is this pattern's own fault.
                Endpoint::new(node, workers, queue_cap, p, |v| v).steady()
            })
            .collect::<Vec<_>>();
        for c in parties {
            topo.connect(c, first, p);
        }
        for i in 0..(stages.len() as u16).saturating_sub(1) {
            topo.connect(first + i, first + i + 1, p);
            topo.connect(first + i + 1, first + i, p);
        }
        EventChoreography {
            fail_rate: p.get("fail_rate"),
            slow_stage: p.get("slow_stage") as u16,
            slowdown: p.get("slowdown"),
            clients,
            orders: HashMap::with_capacity(1024),
            stages,
        }
    }

    fn start(&mut self, cx: &mut Cxc) {
        for s in &self.stages {
            s.open(cx);
        }
    }

    fn arrival(&mut self, cx: &mut Cxc) {
        let client = cx.rng.arrivals.random_range(0..self.clients);
        let req = cx.workload.new_req();
        let order = Order {
            client,
            created: cx.now,
            handed: cx.now,
            parts: [0; 3],
        };
        self.orders.insert(req, order);
        cx.emit(What::Offered { req, node: client });
        cx.send(client as LinkId, MsgKind::Request, req, 0);
    }

    fn deliver(&mut self, cx: &mut Cxc, m: Delivery<u16>) {
        if m.kind == MsgKind::Compensation {
            // A compensation undoes stage `i`'s step (at once) and passes it on.
            cx.emit(What::Delivered {
                msg: m.msg,
                node: m.to,
            });
            self.compensate_before(cx, m.req, m.body);
        } else {
            self.on_reach(cx, m);
        }
    }

    fn timer(&mut self, cx: &mut Cxc, v: Visit<Step>) {
        self.on_step_done(cx, v);
    }

    fn set_param(&mut self, cx: &mut Cxc, id: &str, value: f64) {
        match id {
            "fail_rate" => self.fail_rate = value,
            "slow_stage" => self.slow_stage = value as u16,
            "slowdown" => self.slowdown = value,
            _ => {
                for s in &mut self.stages {
                    s.set_param(cx, id, value);
                }
            }
        }
    }

    fn tally(&self) -> Tally {
        Endpoint::tally(&self.stages, self.orders.len() as u64)
    }

    fn held(&self) -> usize {
        self.orders.len() + self.stages.iter().map(Endpoint::queued).sum::<usize>()
    }
}
