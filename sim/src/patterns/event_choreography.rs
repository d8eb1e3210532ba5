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

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::ServiceDist;
use crate::event::{FailReason, MsgId, MsgKind, ReqId, What};
use crate::metrics::{fail_index, Snapshot};
use crate::net::{Net, Workload};
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::station::{Admit, Station};
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

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "Order rate",
        unit: "orders/s",
        help: "Orders placed per second by all clients together (Poisson).",
        kind: params::Kind::Number {
            min: 0.0,
            max: 5_000.0,
            default: 20.0,
            step: 0.1,
            integer: false,
            log: true,
        },
        ..params::RATE
    },
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    params::CLIENTS.with_default(3.0),
    params::STAGES,
    params::FAIL_RATE,
    params::SLOW_STAGE,
    params::SLOWDOWN,
    ParamSpec {
        help: "Mean time each service spends on its step.",
        ..params::SERVICE_MS
    },
    params::SERVICE_DIST,
    params::WORKERS.with_default(2.0),
    params::QUEUE_CAP.with_default(100_000.0),
    params::NET_MS,
    params::JITTER_MS,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Event choreography",
    timing: "Asynchronous: nobody waits on anybody; each service reacts when the event it cares about arrives.",
    flow: "As events, with no coordinator: each service listens for the previous step's event and emits its own.",
    delivery: "At-least-once per hop; a failed step emits a compensating event and the earlier steps undo themselves (a saga).",
    sees: "Each order ripples down the chain one event at a time. Slow one service down and a queue builds in front of it while everything after it goes quiet; a failure sends compensations back up the chain.",
    law: "End-to-end latency = the sum of the hops; a stalled service stalls everything downstream; compensations = failures.",
    question: "Who is in charge when nobody is in charge?",
    params: PARAMS,
    kinds: &[MsgKind::Request, MsgKind::Event, MsgKind::Compensation],
    companion: "request-response",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "failures",
            label: "failed steps (sagas)",
            value: t.failed_by[fail_index(FailReason::Compensated)] as f64,
            unit: "",
        },
        Figure {
            id: "compensations",
            label: "compensating events",
            value: t.sent_of(MsgKind::Compensation) as f64,
            unit: "",
        },
        Figure {
            id: "step_ms",
            label: "one step, mean",
            value: s.legs.mean,
            unit: "ms",
        },
        Figure {
            id: "backlog",
            label: "longest queue",
            value: s.max_node_queue as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    /// An order's event reaches stage `i` (stage 0: the order itself).
    Reach {
        msg: MsgId,
        req: ReqId,
        i: u16,
    },
    /// Stage `i` finished its step.
    StepDone {
        msg: MsgId,
        req: ReqId,
        i: u16,
        arrived: Time,
        started: Time,
    },
    /// A compensation reaches stage `i`.
    Compensate {
        msg: MsgId,
        req: ReqId,
        i: u16,
    },
}

struct Order {
    client: NodeId,
    created: Time,
    /// When the order last left a party (the client, or a stage handing
    /// it on): the next arrival's hop starts here.
    handed: Time,
    /// Network, queue and service time over the stages so far.
    parts: [Time; 3],
}

struct Step {
    msg: MsgId,
    req: ReqId,
    arrived: Time,
    service: Time,
}

pub struct EventChoreography {
    params: ParamSet,
    topo: Topology,
    clients: u16,
    /// Node id of stage 0; stages are consecutive.
    first: NodeId,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    fail_rate: f64,
    slow_stage: u16,
    slowdown: f64,
    orders: HashMap<ReqId, Order>,
    stations: Vec<Station<Step>>,
}

impl EventChoreography {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let clients = params.get("clients") as u16;
        let stages = params.get("stages") as u16;
        let workers = params.get("workers") as u32;
        let queue_cap = params.get("queue_cap") as usize;
        let (net, jitter) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
        );
        let mut topo = Topology::default();
        for i in 0..clients {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let first = clients;
        let stations = (0..stages)
            .map(|i| {
                let node = topo.add_node(
                    NodeKind::Service,
                    NAMES[i as usize].into(),
                    workers,
                    queue_cap as u32,
                );
                Station::new(node, workers, queue_cap)
            })
            .collect::<Vec<_>>();
        // Links: client c → stage 0 is link c; then stage i → i+1 is
        // clients + 2i, and i+1 → i (compensations) clients + 2i + 1.
        for c in 0..clients {
            topo.add_link(c, first, net, jitter, 0.0);
        }
        for i in 0..stages.saturating_sub(1) {
            topo.add_link(first + i, first + i + 1, net, jitter, 0.0);
            topo.add_link(first + i + 1, first + i, net, jitter, 0.0);
        }
        EventChoreography {
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            fail_rate: params.get("fail_rate"),
            slow_stage: params.get("slow_stage") as u16,
            slowdown: params.get("slowdown"),
            params,
            topo,
            clients,
            first,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            orders: HashMap::with_capacity(1024),
            stations,
        }
    }

    fn stages(&self) -> u16 {
        self.stations.len() as u16
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    fn send(
        &mut self,
        rec: &mut Recorder,
        link: LinkId,
        kind: MsgKind,
        req: ReqId,
        i: u16,
        back: bool,
    ) {
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            kind,
            req,
        );
        let action = if back {
            Action::Compensate { msg: t.msg, req, i }
        } else {
            Action::Reach { msg: t.msg, req, i }
        };
        self.sched.at(t.arrive_at, action);
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let client = self.rng.arrivals.random_range(0..self.clients);
        let req = self.workload.new_req();
        self.orders.insert(
            req,
            Order {
                client,
                created: self.now,
                handed: self.now,
                parts: [0; 3],
            },
        );
        rec.emit(self.now, What::Offered { req, node: client });
        self.send(rec, client as LinkId, MsgKind::Request, req, 0, false);
        self.schedule_arrival();
    }

    fn start(&mut self, rec: &mut Recorder, i: u16, step: Step, queued: bool) {
        let node = self.first + i;
        rec.emit(
            self.now,
            What::Started {
                msg: step.msg,
                node,
                queued,
            },
        );
        self.sched.at(
            self.now + step.service,
            Action::StepDone {
                msg: step.msg,
                req: step.req,
                i,
                arrived: step.arrived,
                started: self.now,
            },
        );
    }

    fn on_reach(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, i: u16) {
        if let Some(o) = self.orders.get_mut(&req) {
            o.parts[0] += self.now - o.handed;
        }
        let mut service = self.dist.sample(self.service_mean, &mut self.rng.service);
        if self.slow_stage == i + 1 {
            service = time::from_ns((service as f64 * self.slowdown).floor());
        }
        let node = self.first + i;
        let step = Step {
            msg,
            req,
            arrived: self.now,
            service,
        };
        match self.stations[i as usize].admit(step) {
            Admit::Start(step) => self.start(rec, i, step, false),
            Admit::Queued => rec.emit(self.now, What::Queued { msg, node }),
            Admit::Full(_) => {
                // A full queue fails the step like any other failure.
                rec.drop(self.now, msg, node, crate::event::DropReason::QueueFull);
                self.fail(rec, req, i);
            }
        }
    }

    /// Step `i` of `req` failed: the saga fails and compensations walk back.
    fn fail(&mut self, rec: &mut Recorder, req: ReqId, i: u16) {
        if let Some(o) = self.orders.remove(&req) {
            rec.emit(
                self.now,
                What::Failed {
                    req,
                    node: o.client,
                    reason: FailReason::Compensated,
                },
            );
        }
        if i > 0 {
            let link = self.clients + 2 * (i - 1) + 1;
            self.send(rec, link, MsgKind::Compensation, req, i - 1, true);
        }
    }

    fn on_step_done(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        i: u16,
        arrived: Time,
        started: Time,
    ) {
        if let Some(o) = self.orders.get_mut(&req) {
            o.parts[1] += started - arrived;
            o.parts[2] += self.now - started;
            o.handed = self.now;
        }
        self.stations[i as usize].finish();
        let node = self.first + i;
        rec.emit(
            self.now,
            What::Served {
                msg,
                node,
                wasted: false,
            },
        );
        rec.emit(
            self.now,
            What::Leg {
                req,
                node,
                latency: self.now - arrived,
            },
        );
        let failed: f64 = self.rng.client.random();
        if failed < self.fail_rate {
            self.fail(rec, req, i);
        } else if i + 1 < self.stages() {
            let link = self.clients + 2 * i;
            self.send(rec, link, MsgKind::Event, req, i + 1, false);
        } else if let Some(o) = self.orders.remove(&req) {
            complete_with(rec, self.now, req, node, o.created, o.parts);
        }
        while let Some(step) = self.stations[i as usize].take_next() {
            self.start(rec, i, step, true);
        }
    }

    /// A compensation undoes stage `i`'s step (at once) and passes it on.
    fn on_compensate(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, i: u16) {
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.first + i,
            },
        );
        if i > 0 {
            let link = self.clients + 2 * (i - 1) + 1;
            self.send(rec, link, MsgKind::Compensation, req, i - 1, true);
        }
    }
}

impl Pattern for EventChoreography {
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
        for s in &self.stations {
            rec.emit(
                self.now,
                What::Capacity {
                    node: s.node,
                    workers: s.workers(),
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
            Action::Reach { msg, req, i } => self.on_reach(rec, msg, req, i),
            Action::StepDone {
                msg,
                req,
                i,
                arrived,
                started,
            } => self.on_step_done(rec, msg, req, i, arrived, started),
            Action::Compensate { msg, req, i } => self.on_compensate(rec, msg, req, i),
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
            "fail_rate" => self.fail_rate = value,
            "slow_stage" => self.slow_stage = value as u16,
            "slowdown" => self.slowdown = value,
            "service_ms" => self.service_mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            "workers" => {
                for i in 0..self.stages() {
                    self.stations[i as usize].resize(value as u32, &mut self.topo, rec, self.now);
                    while let Some(step) = self.stations[i as usize].take_next() {
                        self.start(rec, i, step, true);
                    }
                }
            }
            "queue_cap" => {
                for s in &mut self.stations {
                    s.set_room(value as usize, &mut self.topo);
                }
            }
            "net_ms" | "jitter_ms" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len()
            + self.orders.len()
            + self.stations.iter().map(Station::queued).sum::<usize>()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| matches!(a, Action::Reach { .. } | Action::Compensate { .. }))
            .count() as u64;
        Audit {
            in_flight,
            queued: self.stations.iter().map(|s| s.queued() as u64).sum(),
            in_service: self.stations.iter().map(|s| s.busy() as u64).sum(),
            pending: self.orders.len() as u64,
        }
    }
}
