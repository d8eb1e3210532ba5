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

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::ServiceDist;
use crate::event::{DropReason, MsgId, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
use crate::metrics::Snapshot;
use crate::net::{Net, Workload};
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::station::{Admit, Station};
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::{complete_with, Trip};

pub const ID: &str = "scatter-gather";

pub const PARAMS: &[ParamSpec] = &[
    params::RATE.with_default(20.0),
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    params::CLIENTS.with_default(2.0),
    params::FANOUT,
    ParamSpec {
        help: "Mean time one backend worker spends on one branch.",
        ..params::SERVICE_MS.with_default(20.0)
    },
    params::SERVICE_DIST,
    ParamSpec {
        help: "Branches each backend works on in parallel.",
        ..params::WORKERS
    },
    params::QUEUE_CAP,
    params::GATEWAY_MS,
    params::NET_MS,
    params::JITTER_MS,
    ParamSpec {
        help: "Probability that a branch message (gateway ⇄ backend) is lost.",
        ..params::LOSS
    },
    ParamSpec {
        name: "Branch timeout",
        help: "How long the gateway waits for the branches before answering with what it has.",
        ..params::TIMEOUT_MS.with_default(1_000.0)
    },
    ParamSpec {
        name: "Backend 1 outage at",
        help: "Virtual time at which backend 1 goes down.",
        ..params::OUTAGE_AT_S
    },
    ParamSpec {
        name: "Backend 1 outage length",
        help: "How long backend 1 stays down (0: no outage); its branches time out.",
        ..params::OUTAGE_S
    },
    ParamSpec {
        name: "Backend 1 slowdown",
        help: "How many times slower backend 1 works (1: normal speed).",
        ..params::SLOWDOWN_OFF
    },
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Scatter-gather",
    timing: "Synchronous at the edge, parallel behind it: the client waits while the gateway waits for every branch.",
    flow: "Through a gateway that fans each request out to every backend and gathers the answers.",
    delivery: "At-most-once per branch; a per-branch timeout turns missing branches into a partial result.",
    sees: "Each request splits into a burst of branches and waits for the slowest one. The more backends, the more likely one of them is having a slow moment — so the edge's tail is far worse than any single backend's.",
    law: "Response time = slowest branch + gateway (+ the client's two hops); p99 at the edge ≫ p99 of one backend (tail at scale).",
    question: "Why is the gateway slower than every backend?",
    params: PARAMS,
    kinds: &[MsgKind::Request, MsgKind::Response, MsgKind::Error],
    companion: "request-response",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    vec![
        Figure {
            id: "branch_p99_ms",
            label: "one branch p99",
            value: s.legs.p99,
            unit: "ms",
        },
        Figure {
            id: "edge_p99_ms",
            label: "edge p99",
            value: s.overall.p99,
            unit: "ms",
        },
        Figure {
            id: "tail_ratio",
            label: "edge p99 / branch p99",
            value: if s.legs.p99 > 0.0 {
                s.overall.p99 / s.legs.p99
            } else {
                0.0
            },
            unit: "×",
        },
        Figure {
            id: "partial",
            label: "partial results",
            value: s.totals.timed_out as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    /// A client's request reaches the gateway.
    AtGateway {
        msg: MsgId,
        req: ReqId,
    },
    /// A branch reaches backend `b`.
    AtBackend {
        msg: MsgId,
        req: ReqId,
        b: u16,
        lost: bool,
    },
    /// Backend `b` finished a branch.
    BackendDone {
        msg: MsgId,
        req: ReqId,
        b: u16,
        arrived: Time,
        started: Time,
    },
    /// A branch's answer (or error) reaches the gateway.
    BranchBack {
        msg: MsgId,
        req: ReqId,
        lost: bool,
        error: bool,
        /// The branch's arrival, start and answer at its backend.
        trip: Trip,
    },
    BranchTimeout {
        req: ReqId,
    },
    /// The gateway finished combining.
    GatewayDone {
        req: ReqId,
    },
    /// The answer reaches the client.
    AtClient {
        msg: MsgId,
        req: ReqId,
    },
}

/// A request the gateway is gathering for.
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

struct Job {
    msg: MsgId,
    req: ReqId,
    service: Time,
    arrived: Time,
}

pub struct ScatterGather {
    params: ParamSet,
    topo: Topology,
    gateway: NodeId,
    /// Node id of backend 0; backends are consecutive.
    first_backend: NodeId,
    clients: u16,
    fanout: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    gateway_time: Time,
    timeout: Time,
    gathers: HashMap<ReqId, Gather>,
    backends: Vec<Station<Job>>,
    /// Outage window and slowdown of backend 1.
    faults: ServiceFaults,
}

impl ScatterGather {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let clients = params.get("clients") as u16;
        let fanout = params.get("fanout") as u16;
        let workers = params.get("workers") as u32;
        let queue_cap = params.get("queue_cap") as usize;
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        let mut topo = Topology::default();
        for i in 0..clients {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let gateway = topo.add_node(NodeKind::Gateway, "gateway".into(), 0, 0);
        let first_backend = gateway + 1;
        for b in 0..fanout {
            topo.add_node(
                NodeKind::Service,
                format!("backend {}", b + 1),
                workers,
                queue_cap as u32,
            );
        }
        // Links: 2i / 2i+1 client i ⇄ gateway; then 2c + 2b / 2c + 2b + 1 gateway ⇄ backend b.
        for i in 0..clients {
            topo.add_link(i, gateway, net, jitter, 0.0);
            topo.add_link(gateway, i, net, jitter, 0.0);
        }
        for b in 0..fanout {
            topo.add_link(gateway, first_backend + b, net, jitter, loss);
            topo.add_link(first_backend + b, gateway, net, jitter, loss);
        }
        ScatterGather {
            faults: ServiceFaults::from_params(&params),
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            gateway_time: time::from_ms(params.get("gateway_ms")),
            timeout: time::from_ms(params.get("timeout_ms")),
            backends: (0..fanout)
                .map(|b| Station::new(first_backend + b, workers, queue_cap))
                .collect(),
            params,
            topo,
            gateway,
            first_backend,
            clients,
            fanout,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            gathers: HashMap::with_capacity(1024),
        }
    }

    fn link_to_backend(&self, b: u16) -> LinkId {
        2 * self.clients + 2 * b
    }

    fn link_from_backend(&self, b: u16) -> LinkId {
        2 * self.clients + 2 * b + 1
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let client = self.rng.arrivals.random_range(0..self.clients);
        let req = self.workload.new_req();
        self.gathers.insert(
            req,
            Gather {
                client,
                created: self.now,
                scattered: self.now,
                outstanding: self.fanout,
                done: false,
                critical: [0; 3],
                gathered: self.now,
                answered: self.now,
            },
        );
        rec.emit(self.now, What::Offered { req, node: client });
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            client * 2,
            MsgKind::Request,
            req,
        );
        self.sched
            .at(t.arrive_at, Action::AtGateway { msg: t.msg, req });
        self.schedule_arrival();
    }

    fn on_gateway(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.gateway,
            },
        );
        if let Some(g) = self.gathers.get_mut(&req) {
            g.scattered = self.now;
        }
        for b in 0..self.fanout {
            let link = self.link_to_backend(b);
            let t = self.net.send(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                link,
                MsgKind::Request,
                req,
            );
            self.sched.at(
                t.arrive_at,
                Action::AtBackend {
                    msg: t.msg,
                    req,
                    b,
                    lost: t.lost,
                },
            );
        }
        self.sched
            .at(self.now + self.timeout, Action::BranchTimeout { req });
    }

    fn start(&mut self, rec: &mut Recorder, b: u16, job: Job, queued: bool) {
        rec.emit(
            self.now,
            What::Started {
                msg: job.msg,
                node: self.first_backend + b,
                queued,
            },
        );
        self.sched.at(
            self.now + job.service,
            Action::BackendDone {
                msg: job.msg,
                req: job.req,
                b,
                arrived: job.arrived,
                started: self.now,
            },
        );
    }

    fn reply(&mut self, rec: &mut Recorder, b: u16, req: ReqId, error: bool, trip: Trip) {
        let link = self.link_from_backend(b);
        let kind = if error {
            MsgKind::Error
        } else {
            MsgKind::Response
        };
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            kind,
            req,
        );
        self.sched.at(
            t.arrive_at,
            Action::BranchBack {
                msg: t.msg,
                req,
                lost: t.lost,
                error,
                trip,
            },
        );
    }

    fn on_backend(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, b: u16) {
        let mut service = self.dist.sample(self.service_mean, &mut self.rng.service);
        let node = self.first_backend + b;
        if b == 0 {
            if self.faults.down(self.now) {
                // Backend 1 is down: this branch will time out.
                rec.drop(self.now, msg, node, DropReason::ServiceDown);
                return;
            }
            service = self.faults.stretch(service);
        }
        let job = Job {
            msg,
            req,
            service,
            arrived: self.now,
        };
        match self.backends[b as usize].admit(job) {
            Admit::Start(job) => self.start(rec, b, job, false),
            Admit::Queued => rec.emit(self.now, What::Queued { msg, node }),
            Admit::Full(_) => {
                rec.drop(self.now, msg, node, DropReason::QueueFull);
                self.reply(rec, b, req, true, Trip::pushed(self.now));
            }
        }
    }

    fn on_backend_done(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, b: u16, trip: Trip) {
        self.backends[b as usize].finish();
        let wasted = self.gathers.get(&req).is_none_or(|g| g.done);
        rec.emit(
            self.now,
            What::Served {
                msg,
                node: self.first_backend + b,
                wasted,
            },
        );
        self.reply(rec, b, req, false, trip);
        while let Some(job) = self.backends[b as usize].take_next() {
            self.start(rec, b, job, true);
        }
    }

    fn on_branch_back(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        error: bool,
        trip: Trip,
    ) {
        let gateway = self.gateway;
        let Some(g) = self.gathers.get_mut(&req).filter(|g| !g.done) else {
            rec.drop(self.now, msg, gateway, DropReason::Late);
            return;
        };
        rec.emit(self.now, What::Delivered { msg, node: gateway });
        if !error {
            g.critical = Trip {
                hop_in: trip.arrived - g.scattered,
                ..trip
            }
            .split(g.scattered, self.now);
            rec.emit(
                self.now,
                What::Leg {
                    req,
                    node: gateway,
                    latency: self.now - g.scattered,
                },
            );
        }
        g.outstanding -= 1;
        let complete = g.outstanding == 0;
        if complete {
            self.gather(req);
        }
    }

    /// Every branch is back, or the timeout passed: combine and answer.
    fn gather(&mut self, req: ReqId) {
        if let Some(g) = self.gathers.get_mut(&req) {
            g.done = true;
            g.gathered = self.now;
        }
        self.sched
            .at(self.now + self.gateway_time, Action::GatewayDone { req });
    }

    fn on_timeout(&mut self, rec: &mut Recorder, req: ReqId) {
        let Some(g) = self.gathers.get(&req) else {
            return;
        };
        if g.done {
            return;
        }
        // A partial result: the missing branches are given up on.
        rec.emit(
            self.now,
            What::TimedOut {
                req,
                node: self.gateway,
                attempt: 0,
            },
        );
        self.gather(req);
    }

    fn on_gateway_done(&mut self, rec: &mut Recorder, req: ReqId) {
        let Some(g) = self.gathers.get_mut(&req) else {
            return;
        };
        g.answered = self.now;
        let client = g.client;
        let link = client * 2 + 1;
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            MsgKind::Response,
            req,
        );
        self.sched
            .at(t.arrive_at, Action::AtClient { msg: t.msg, req });
    }

    fn on_client(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        if let Some(g) = self.gathers.remove(&req) {
            rec.emit(
                self.now,
                What::Delivered {
                    msg,
                    node: g.client,
                },
            );
            // The client's hops and the gateway's combining are on the
            // critical path too; waiting out a timeout is the rest.
            let [network, queue, service] = g.critical;
            let parts = [
                network + (g.scattered - g.created) + (self.now - g.answered),
                queue,
                service + (g.answered - g.gathered),
            ];
            complete_with(rec, self.now, req, g.client, g.created, parts);
        }
    }
}

impl Pattern for ScatterGather {
    fn info(&self) -> &'static PatternInfo {
        &INFO
    }

    fn params(&self) -> &ParamSet {
        &self.params
    }

    fn topology(&self) -> &Topology {
        &self.topo
    }

    fn start(&mut self, rec: &mut Recorder) {
        for b in 0..self.fanout {
            rec.emit(
                self.now,
                What::Capacity {
                    node: self.first_backend + b,
                    workers: self.backends[b as usize].workers(),
                },
            );
        }
        self.schedule_arrival();
    }

    fn next_time(&self) -> Option<Time> {
        self.sched.peek_time()
    }

    fn step(&mut self, until: Time, rec: &mut Recorder) -> bool {
        let Some((t, action)) = self.sched.pop_due(until) else {
            return false;
        };
        self.now = t;
        match action {
            Action::Arrival { gen } => {
                if self.workload.is_current(gen) {
                    self.on_arrival(rec);
                }
            }
            Action::AtGateway { msg, req } => self.on_gateway(rec, msg, req),
            Action::AtBackend { msg, req, b, lost } => {
                if lost {
                    rec.drop(self.now, msg, self.first_backend + b, DropReason::Loss);
                } else {
                    self.on_backend(rec, msg, req, b);
                }
            }
            Action::BackendDone {
                msg,
                req,
                b,
                arrived,
                started,
            } => {
                let trip = Trip::served(0, arrived, started, self.now);
                self.on_backend_done(rec, msg, req, b, trip)
            }
            Action::BranchBack {
                msg,
                req,
                lost,
                error,
                trip,
            } => {
                if lost {
                    rec.drop(self.now, msg, self.gateway, DropReason::Loss);
                } else {
                    self.on_branch_back(rec, msg, req, error, trip);
                }
            }
            Action::BranchTimeout { req } => self.on_timeout(rec, req),
            Action::GatewayDone { req } => self.on_gateway_done(rec, req),
            Action::AtClient { msg, req } => self.on_client(rec, msg, req),
        }
        true
    }

    fn set_param(
        &mut self,
        id: &str,
        value: f64,
        now: Time,
        rec: &mut Recorder,
    ) -> Result<(), ParamError> {
        self.params.set(id, value)?;
        self.now = self.now.max(now);
        match id {
            id if Workload::reads(id) => {
                // Poisson arrivals are memoryless: drawing afresh from now at
                // the new rate (or spike) is exact.
                self.workload.set_from(&self.params);
                self.schedule_arrival();
            }
            "service_ms" => self.service_mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            "gateway_ms" => self.gateway_time = time::from_ms(value),
            "timeout_ms" => self.timeout = time::from_ms(value),
            "workers" => {
                for b in 0..self.fanout {
                    self.backends[b as usize].resize(value as u32, &mut self.topo, rec, self.now);
                    while let Some(job) = self.backends[b as usize].take_next() {
                        self.start(rec, b, job, true);
                    }
                }
            }
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(&self.params)
            }
            "queue_cap" => {
                for b in 0..self.fanout {
                    self.backends[b as usize].set_room(value as usize, &mut self.topo);
                }
            }
            "net_ms" | "jitter_ms" | "loss" => {
                let (net, jitter, loss) = (
                    time::from_ms(self.params.get("net_ms")),
                    time::from_ms(self.params.get("jitter_ms")),
                    self.params.get("loss"),
                );
                let client_links = 2 * self.clients as usize;
                for (i, l) in self.topo.links.iter_mut().enumerate() {
                    l.net = net;
                    l.jitter = jitter;
                    l.loss = if i < client_links { 0.0 } else { loss };
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len()
            + self.gathers.len()
            + self.backends.iter().map(Station::queued).sum::<usize>()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::AtGateway { .. }
                        | Action::AtBackend { .. }
                        | Action::BranchBack { .. }
                        | Action::AtClient { .. }
                )
            })
            .count() as u64;
        Audit {
            in_flight,
            queued: self.backends.iter().map(|s| s.queued() as u64).sum(),
            in_service: self.backends.iter().map(|s| s.busy() as u64).sum(),
            pending: self.gathers.len() as u64,
        }
    }
}
