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

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::ServiceDist;
use crate::event::{DropReason, FailReason, MsgId, MsgKind, ReqId, What};
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

pub const ID: &str = "fire-and-forget";

pub const PARAMS: &[ParamSpec] = &[
    params::RATE,
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    params::CLIENTS,
    params::SERVICE_MS,
    params::SERVICE_DIST,
    params::WORKERS,
    params::QUEUE_CAP,
    params::NET_MS,
    params::JITTER_MS,
    params::LOSS,
    params::OUTAGE_AT_S,
    params::OUTAGE_S,
    params::SLOWDOWN_OFF,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Fire and forget",
    timing: "Asynchronous with no reply: the sender hands the message to the network and carries on at once.",
    flow: "Direct and one-way: client → service.",
    delivery: "At-most-once, unacknowledged. A message lost on the link or refused by a full queue is simply gone.",
    sees: "Senders never wait and never see an error. Losses happen silently: only the receiver's count — and this dashboard's — shows them.",
    law: "Sender wait = 0; delivered = sent × (1 − loss), with no error at the sender.",
    question: "What do we give up when we stop waiting for an answer?",
    params: PARAMS,
    kinds: &[MsgKind::Request],
    companion: "request-response",
    keyed_by_message: false,
    figures,
};

/// Losses nobody told the sender about.
fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    let lost = t.failed_by[crate::metrics::fail_index(FailReason::Lost)];
    vec![
        Figure {
            id: "silent_losses",
            label: "silent losses",
            value: lost as f64,
            unit: "",
        },
        Figure {
            id: "silent_loss_share",
            label: "share lost silently",
            value: if t.offered > 0 {
                100.0 * lost as f64 / t.offered as f64
            } else {
                0.0
            },
            unit: "%",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    Reach {
        msg: MsgId,
        req: ReqId,
        lost: bool,
    },
    /// A worker finished; the message arrived at `arrived` and was
    /// started at `started`.
    Done {
        msg: MsgId,
        req: ReqId,
        arrived: Time,
        started: Time,
    },
}

/// A message waiting for, or held by, a worker.
struct Job {
    msg: MsgId,
    req: ReqId,
    service: Time,
    /// When it reached the receiver.
    arrived: Time,
}

/// A message produced and not yet processed or lost.
struct Pending {
    created: Time,
    service: Time,
}

pub struct FireAndForget {
    params: ParamSet,
    topo: Topology,
    service: NodeId,
    clients: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    pending: HashMap<ReqId, Pending>,
    station: Station<Job>,
    /// Outage window and slowdown of the receiver.
    faults: ServiceFaults,
}

impl FireAndForget {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let clients = params.get("clients") as u16;
        let workers = params.get("workers") as u32;
        let queue_cap = params.get("queue_cap") as usize;
        let mut topo = Topology::default();
        for i in 0..clients {
            topo.add_node(NodeKind::Client, format!("sender {}", i + 1), 0, 0);
        }
        let service = topo.add_node(
            NodeKind::Service,
            "receiver".into(),
            workers,
            queue_cap as u32,
        );
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        for i in 0..clients {
            topo.add_link(i, service, net, jitter, loss);
        }
        FireAndForget {
            faults: ServiceFaults::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            workload: Workload::from_params(&params),
            params,
            topo,
            service,
            clients,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            pending: HashMap::with_capacity(1024),
            station: Station::new(service, workers, queue_cap),
        }
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let client = self.rng.arrivals.random_range(0..self.clients);
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        let req = self.workload.new_req();
        self.pending.insert(
            req,
            Pending {
                created: self.now,
                service,
            },
        );
        rec.emit(self.now, What::Offered { req, node: client });
        let link = client as LinkId;
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
            Action::Reach {
                msg: t.msg,
                req,
                lost: t.lost,
            },
        );
        self.schedule_arrival();
    }

    /// The message is gone: counted, never reported to the sender.
    fn lose(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, reason: DropReason) {
        rec.drop(self.now, msg, self.service, reason);
        self.pending.remove(&req);
        rec.emit(
            self.now,
            What::Failed {
                req,
                node: self.service,
                reason: FailReason::Lost,
            },
        );
    }

    fn start(&mut self, rec: &mut Recorder, job: Job, queued: bool) {
        rec.emit(
            self.now,
            What::Started {
                msg: job.msg,
                node: self.service,
                queued,
            },
        );
        self.sched.at(
            self.now + self.faults.stretch(job.service),
            Action::Done {
                msg: job.msg,
                req: job.req,
                arrived: job.arrived,
                started: self.now,
            },
        );
    }

    fn on_reach(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        if self.faults.down(self.now) {
            // Refused by a receiver that is down; the sender never knows.
            return self.lose(rec, msg, req, DropReason::ServiceDown);
        }
        let service = self
            .pending
            .get(&req)
            .map_or(self.service_mean, |p| p.service);
        match self.station.admit(Job {
            msg,
            req,
            service,
            arrived: self.now,
        }) {
            Admit::Start(job) => self.start(rec, job, false),
            Admit::Queued => rec.emit(
                self.now,
                What::Queued {
                    msg,
                    node: self.service,
                },
            ),
            Admit::Full(_) => self.lose(rec, msg, req, DropReason::QueueFull),
        }
    }

    fn on_done(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        arrived: Time,
        started: Time,
    ) {
        self.station.finish();
        rec.emit(
            self.now,
            What::Served {
                msg,
                node: self.service,
                wasted: false,
            },
        );
        if let Some(p) = self.pending.remove(&req) {
            rec.emit(
                self.now,
                What::Breakdown {
                    req,
                    network: arrived - p.created,
                    queue: started - arrived,
                    service: self.now - started,
                },
            );
            rec.emit(
                self.now,
                What::Completed {
                    req,
                    node: self.service,
                    wait: self.now - p.created,
                },
            );
        }
        self.start_waiting(rec);
    }

    fn start_waiting(&mut self, rec: &mut Recorder) {
        while let Some(job) = self.station.take_next() {
            self.start(rec, job, true);
        }
    }
}

impl Pattern for FireAndForget {
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
        rec.emit(
            self.now,
            What::Capacity {
                node: self.service,
                workers: self.station.workers(),
            },
        );
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
            Action::Reach { msg, req, lost } => {
                if lost {
                    self.lose(rec, msg, req, DropReason::Loss);
                } else {
                    self.on_reach(rec, msg, req);
                }
            }
            Action::Done {
                msg,
                req,
                arrived,
                started,
            } => self.on_done(rec, msg, req, arrived, started),
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
            "workers" => {
                self.station
                    .resize(value as u32, &mut self.topo, rec, self.now);
                self.start_waiting(rec);
            }
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(&self.params)
            }
            "queue_cap" => {
                self.station.set_room(value as usize, &mut self.topo);
            }
            "net_ms" | "jitter_ms" | "loss" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len() + self.pending.len() + self.station.queued()
    }

    fn audit(&self) -> Audit {
        Audit {
            in_flight: self
                .sched
                .iter()
                .filter(|a| matches!(a, Action::Reach { .. }))
                .count() as u64,
            queued: self.station.queued() as u64,
            in_service: self.station.busy() as u64,
            pending: self.pending.len() as u64,
        }
    }
}
