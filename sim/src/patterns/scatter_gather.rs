//! `scatter-gather`: a gateway calls `fanout` backends in parallel for each
//! request and answers when all are back (or the branch timeout passes, with
//! a partial result).
//!
//! Topology: clients ⇄ gateway ⇄ backends, each backend with `workers` and a
//! queue. The client's waiting time is request created → answer received:
//! two client hops, the slowest branch, and the gateway's combining time.
//! Every branch that comes back is a `Leg` event with its latency (gateway
//! sends → gateway receives), so the dashboard can set one backend's tail
//! beside the edge's.
//!
//! Loss applies to the gateway ⇄ backend links (the client ⇄ gateway hop is
//! taken as reliable): a lost branch is covered by the branch timeout.

use std::collections::HashMap;

use rand::Rng;

use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{DropReason, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
use crate::info::{ratio, Figure};
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::{complete_with, Trip};

pub const ID: &str = "scatter-gather";

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    vec![
        Figure::ms("branch_p99_ms", "one branch p99", s.legs.p99),
        Figure::ms("edge_p99_ms", "edge p99", s.overall.p99),
        Figure::new(
            "tail_ratio",
            "edge p99 / branch p99",
            ratio(s.overall.p99, s.legs.p99),
            "×",
        ),
        Figure::count("partial", "partial results", s.totals.timed_out),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// A backend finished a branch.
    BackendDone(Visit<Branch>),
    BranchTimeout {
        req: ReqId,
    },
    /// The gateway finished combining.
    GatewayDone {
        req: ReqId,
    },
}

/// What travels between clients, the gateway and the backends.
#[derive(Clone, Copy, Debug)]
pub enum Hop {
    /// A client's request to the gateway.
    Request,
    /// A branch to backend `b`.
    Branch { b: u16 },
    /// A branch's answer (or error), with its arrival, start and answer at
    /// its backend.
    Back { trip: Trip },
    /// The combined answer to the client.
    Answer,
}

/// A branch at its backend.
#[derive(Clone, Copy, Debug)]
pub struct Branch {
    req: ReqId,
    b: u16,
}

/// A request the gateway is gathering for.
#[derive(Clone)]
struct Gather {
    client: NodeId,
    created: Time,
    /// When the branches went out.
    scattered: Time,
    outstanding: u16,
    /// Answered (or gave up): late branches are wasted.
    done: bool,
    /// Network, queue and service time of the last branch back: the
    /// critical path of the breakdown.
    critical: [Time; 3],
    /// When the gateway began combining, and when it answered.
    gathered: Time,
    answered: Time,
}

#[derive(Clone)]
pub struct ScatterGather {
    gateway: NodeId,
    clients: u16,
    gateway_time: Time,
    timeout: Time,
    gathers: HashMap<ReqId, Gather>,
    backends: Vec<Endpoint<Branch, Timer>>,
    /// Outage window and slowdown of backend 1 (the others are healthy).
    faults: ServiceFaults,
}

type Cxg<'a> = Cx<'a, ScatterGather>;

impl ScatterGather {
    /// Links: 2i / 2i+1 client i ⇄ gateway; then 2c + 2b / 2c + 2b + 1
    /// gateway ⇄ backend b.
    fn link_to_backend(&self, b: u16) -> LinkId {
        2 * self.clients + 2 * b
    }

    fn reply(&mut self, cx: &mut Cxg, b: u16, req: ReqId, error: bool, trip: Trip) {
        let kind = if error {
            MsgKind::Error
        } else {
            MsgKind::Response
        };
        cx.send(self.link_to_backend(b) + 1, kind, req, Hop::Back { trip });
    }

    fn on_gateway(&mut self, cx: &mut Cxg, m: Delivery<Hop>) {
        let req = m.req;
        cx.emit(What::Delivered {
            msg: m.msg,
            node: self.gateway,
        });
        if let Some(g) = self.gathers.get_mut(&req) {
            g.scattered = cx.now;
        }
        for b in 0..self.backends.len() as u16 {
            cx.send(
                self.link_to_backend(b),
                MsgKind::Request,
                req,
                Hop::Branch { b },
            );
        }
        cx.after(self.timeout, Timer::BranchTimeout { req });
    }

    fn on_backend(&mut self, cx: &mut Cxg, m: Delivery<Hop>, b: u16) {
        let backend = &mut self.backends[b as usize];
        let mut service = backend.draw(&mut cx.rng.service);
        if b == 0 {
            if self.faults.down(cx.now) {
                // Backend 1 is down: this branch will time out.
                return cx.drop(m.msg, backend.node, DropReason::ServiceDown);
            }
            service = self.faults.stretch(service);
        }
        let branch = Branch { req: m.req, b };
        if let Offer::Refused(..) = backend.admit(cx, m.msg, service, branch) {
            self.reply(cx, b, m.req, true, Trip::pushed(cx.now));
        }
    }

    fn on_backend_done(&mut self, cx: &mut Cxg, v: Visit<Branch>) {
        let Branch { req, b } = v.job;
        let wasted = self.gathers.get(&req).is_none_or(|g| g.done);
        self.backends[b as usize].done(cx, v.msg, wasted);
        let trip = Trip::served(0, v.arrived, v.started, cx.now);
        self.reply(cx, b, req, false, trip);
        self.backends[b as usize].next(cx);
    }

    fn on_branch_back(&mut self, cx: &mut Cxg, m: Delivery<Hop>, trip: Trip) {
        let (gateway, req) = (self.gateway, m.req);
        let Some(g) = self.gathers.get_mut(&req).filter(|g| !g.done) else {
            return cx.drop(m.msg, gateway, DropReason::Late);
        };
        cx.emit(What::Delivered {
            msg: m.msg,
            node: gateway,
        });
        if m.kind != MsgKind::Error {
            g.critical = Trip {
                hop_in: trip.arrived - g.scattered,
                ..trip
            }
            .split(g.scattered, cx.now);
            cx.emit(What::Leg {
                req,
                node: gateway,
                latency: cx.now - g.scattered,
            });
        }
        g.outstanding -= 1;
        if g.outstanding == 0 {
            self.gather(cx, req);
        }
    }

    /// Every branch is back, or the timeout passed: combine and answer.
    fn gather(&mut self, cx: &mut Cxg, req: ReqId) {
        if let Some(g) = self.gathers.get_mut(&req) {
            g.done = true;
            g.gathered = cx.now;
        }
        cx.after(self.gateway_time, Timer::GatewayDone { req });
    }

    fn on_timeout(&mut self, cx: &mut Cxg, req: ReqId) {
        if self.gathers.get(&req).is_none_or(|g| g.done) {
            return;
        }
        // A partial result: the missing branches are given up on.
        cx.emit(What::TimedOut {
            req,
            node: self.gateway,
            attempt: 0,
        });
        self.gather(cx, req);
    }

    fn on_client(&mut self, cx: &mut Cxg, m: Delivery<Hop>) {
        if let Some(g) = self.gathers.remove(&m.req) {
            cx.emit(What::Delivered {
                msg: m.msg,
                node: g.client,
            });
            // The client's hops and the gateway's combining are on the
            // critical path too; waiting out a timeout is the rest.
            let [network, queue, service] = g.critical;
            let parts = [
                network + (g.scattered - g.created) + (cx.now - g.answered),
                queue,
                service + (g.answered - g.gathered),
            ];
            complete_with(cx.rec, cx.now, m.req, g.client, g.created, parts);
        }
    }
}

impl Model for ScatterGather {
    type Timer = Timer;
    type Msg = Hop;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let fanout = p.get("fanout") as u16;
        let (workers, queue_cap) = (p.get("workers") as u32, p.get("queue_cap") as usize);
        let parties = topo.add_parties(NodeKind::Client, "client", clients);
        let gateway = topo.add_node(NodeKind::Gateway, "gateway".into(), 0, 0);
        let backends = (0..fanout)
            .map(|b| {
                let name = format!("backend {}", b + 1);
                let node = topo.add_node(NodeKind::Service, name, workers, queue_cap as u32);
                // Backend 1's faults are decided when a branch reaches it.
                Endpoint::new(node, workers, queue_cap, p, Timer::BackendDone).steady()
            })
            .collect::<Vec<_>>();
        // Loss applies to the gateway ⇄ backend links only.
        topo.connect_all_reliable(parties, gateway, p);
        for b in &backends {
            topo.connect(gateway, b.node, p);
            topo.connect(b.node, gateway, p);
        }
        ScatterGather {
            faults: ServiceFaults::from_params(p),
            gateway_time: time::from_ms(p.get("gateway_ms")),
            timeout: time::from_ms(p.get("timeout_ms")),
            backends,
            gateway,
            clients,
            gathers: HashMap::with_capacity(1024),
        }
    }

    fn start(&mut self, cx: &mut Cxg) {
        for b in &self.backends {
            b.open(cx);
        }
    }

    fn arrival(&mut self, cx: &mut Cxg) {
        let client = cx.rng.arrivals.random_range(0..self.clients);
        let req = cx.workload.new_req();
        let now = cx.now;
        let gather = Gather {
            client,
            created: now,
            scattered: now,
            outstanding: self.backends.len() as u16,
            done: false,
            critical: [0; 3],
            gathered: now,
            answered: now,
        };
        self.gathers.insert(req, gather);
        cx.emit(What::Offered { req, node: client });
        cx.send(client * 2, MsgKind::Request, req, Hop::Request);
    }

    fn deliver(&mut self, cx: &mut Cxg, m: Delivery<Hop>) {
        match m.body {
            Hop::Request => self.on_gateway(cx, m),
            Hop::Branch { b } => self.on_backend(cx, m, b),
            Hop::Back { trip } => self.on_branch_back(cx, m, trip),
            Hop::Answer => self.on_client(cx, m),
        }
    }

    fn timer(&mut self, cx: &mut Cxg, t: Timer) {
        match t {
            Timer::BackendDone(v) => self.on_backend_done(cx, v),
            Timer::BranchTimeout { req } => self.on_timeout(cx, req),
            Timer::GatewayDone { req } => {
                if let Some(g) = self.gathers.get_mut(&req) {
                    g.answered = cx.now;
                    cx.send(g.client * 2 + 1, MsgKind::Response, req, Hop::Answer);
                }
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxg, id: &str, value: f64) {
        match id {
            "gateway_ms" => self.gateway_time = time::from_ms(value),
            "timeout_ms" => self.timeout = time::from_ms(value),
            id if ServiceFaults::reads(id) => self.faults = ServiceFaults::from_params(cx.params),
            _ => {
                for b in &mut self.backends {
                    b.set_param(cx, id, value);
                }
            }
        }
    }

    fn tally(&self) -> Tally {
        Endpoint::tally(&self.backends, self.gathers.len() as u64)
    }

    fn held(&self) -> usize {
        self.gathers.len() + self.backends.iter().map(Endpoint::queued).sum::<usize>()
    }
}
