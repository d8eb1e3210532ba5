//! `request-response`: the client sends a request and is blocked until the
//! response comes back (or its timeout fires).
//!
//! Topology: `clients` client nodes, one service node with `workers` parallel
//! workers and a FIFO waiting room of `queue_cap`. Each client has a link up
//! to the service and one back.
//!
//! Workload: open-loop Poisson arrivals at total `rate`, each assigned to a
//! client uniformly at random; each request's service time is drawn when it
//! is offered, so compare mode can give two patterns the same draws.
//!
//! Behaviour:
//! - a request that finds a free worker starts at once; otherwise it waits in
//!   the queue; if the queue is full it is dropped (`queue_full`) and the
//!   service answers `503` (an `Error` message);
//! - the client gives up on an attempt after `timeout_ms`; with `retries`
//!   left it tries again after an exponential back-off with jitter;
//! - the service does not know the client gave up: it still serves the
//!   request (counted as wasted work) and sends a response, which the client
//!   discards on arrival (`late`);
//! - the first response to reach a still-pending request completes it,
//!   whichever attempt it answers.

use std::collections::HashMap;

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
use rand::Rng;

pub const ID: &str = "request-response";

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
    params::TIMEOUT_MS,
    params::RETRIES,
    params::BACKOFF_MS,
    params::OUTAGE_AT_S,
    params::OUTAGE_S,
    params::SLOWDOWN_OFF,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Request / response",
    timing: "Synchronous: the client sends a request and is blocked until the response arrives or its timeout fires.",
    flow: "Direct: client → service → client, with no intermediary.",
    delivery: "At-most-once per attempt. A timeout ends the wait; optional retries try again after an exponential back-off with jitter.",
    sees: "Each client waits for the whole round trip. As the load nears capacity the queue and the wait explode; requests that time out still occupy a worker, so the service does work nobody is waiting for.",
    law: "Open-loop Poisson arrivals, exponential service and no network delay: the mean wait equals the M/M/c (Erlang C) sojourn time. Goodput falls once the timeout is shorter than the wait.",
    question: "Why does the payment page hang when the service is busy?",
    params: PARAMS,
    kinds: &[MsgKind::Request, MsgKind::Response, MsgKind::Error, MsgKind::Retry],
    companion: "message-queue",
    keyed_by_message: false,
    figures,
};

/// Timeouts, retries and the work nobody waited for.
fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "timed_out",
            label: "timed-out attempts",
            value: t.timed_out as f64,
            unit: "",
        },
        Figure {
            id: "retries",
            label: "retries",
            value: t.retries as f64,
            unit: "",
        },
        Figure {
            id: "wasted_work",
            label: "wasted work",
            value: t.wasted as f64,
            unit: "",
        },
    ]
}

/// When one attempt passed each point, for the wait's breakdown.
#[derive(Clone, Copy, Debug, Default)]
struct Trace {
    /// The request left the client.
    sent: Time,
    /// It reached the service.
    arrived: Time,
    /// A worker took it.
    started: Time,
    /// The worker finished.
    done: Time,
}

/// A response or error as it reaches its client.
struct Reply {
    msg: MsgId,
    req: ReqId,
    attempt: u32,
    kind: MsgKind,
    trace: Trace,
}

/// Future actions of this pattern's engine.
#[derive(Clone, Copy, Debug)]
enum Action {
    /// The next open-loop arrival. Ignored if `gen` is stale (the rate changed).
    Arrival { gen: u64 },
    /// A message reaches the end of its link.
    Reach {
        msg: MsgId,
        req: ReqId,
        attempt: u32,
        kind: MsgKind,
        link: LinkId,
        lost: bool,
        trace: Trace,
    },
    /// A worker finishes a request.
    Done {
        msg: MsgId,
        req: ReqId,
        attempt: u32,
        client: NodeId,
        trace: Trace,
    },
    /// The client's timer for one attempt fires.
    Timeout { req: ReqId, attempt: u32 },
    /// The back-off is over: send the next attempt.
    Resend { req: ReqId },
}

/// A request its client is still waiting on.
struct Request {
    client: NodeId,
    created: Time,
    /// Service time drawn when the request was offered; every attempt uses it.
    service: Time,
    /// Current attempt, 0-based.
    attempt: u32,
    /// Waiting out a back-off: no attempt is in progress.
    backing_off: bool,
}

/// A request waiting at the service for a worker.
struct Job {
    msg: MsgId,
    req: ReqId,
    attempt: u32,
    client: NodeId,
    service: Time,
    trace: Trace,
}

/// Parameter values in the form the hot path uses.
#[derive(Clone, Copy)]
struct Config {
    service_mean: Time,
    dist: ServiceDist,
    workers: u32,
    queue_cap: usize,
    timeout: Time,
    retries: u32,
    backoff: Time,
}

impl Config {
    fn from(p: &ParamSet) -> Self {
        Config {
            service_mean: time::from_ms(p.get("service_ms")),
            dist: ServiceDist::from_index(p.get("service_dist") as usize),
            workers: p.get("workers") as u32,
            queue_cap: p.get("queue_cap") as usize,
            timeout: time::from_ms(p.get("timeout_ms")),
            retries: p.get("retries") as u32,
            backoff: time::from_ms(p.get("backoff_ms")),
        }
    }
}

pub struct RequestResponse {
    params: ParamSet,
    cfg: Config,
    topo: Topology,
    service: NodeId,
    clients: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    pending: HashMap<ReqId, Request>,
    /// The service's workers and queue.
    station: Station<Job>,
    /// Outage window and slowdown of the service.
    faults: ServiceFaults,
}

impl RequestResponse {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let cfg = Config::from(&params);
        let clients = params.get("clients") as u16;
        let net = time::from_ms(params.get("net_ms"));
        let jitter = time::from_ms(params.get("jitter_ms"));
        let loss = params.get("loss");
        let mut topo = Topology::default();
        for i in 0..clients {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let service = topo.add_node(
            NodeKind::Service,
            "service".into(),
            cfg.workers,
            cfg.queue_cap as u32,
        );
        // Link 2i goes up from client i, link 2i+1 comes back down to it.
        for i in 0..clients {
            topo.add_link(i, service, net, jitter, loss);
            topo.add_link(service, i, net, jitter, loss);
        }
        let station = Station::new(service, cfg.workers, cfg.queue_cap);
        RequestResponse {
            workload: Workload::from_params(&params),
            faults: ServiceFaults::from_params(&params),
            params,
            cfg,
            topo,
            service,
            clients,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            pending: HashMap::with_capacity(1024),
            station,
        }
    }

    fn up_link(client: NodeId) -> LinkId {
        client * 2
    }

    fn down_link(client: NodeId) -> LinkId {
        client * 2 + 1
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    /// Puts a message on `link` and schedules its arrival (or loss).
    fn send(
        &mut self,
        rec: &mut Recorder,
        link: LinkId,
        kind: MsgKind,
        req: ReqId,
        attempt: u32,
        trace: Trace,
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
        self.sched.at(
            t.arrive_at,
            Action::Reach {
                msg: t.msg,
                req,
                attempt,
                kind,
                link,
                lost: t.lost,
                trace,
            },
        );
    }

    /// Sends attempt `attempt` of `req` and arms its timeout.
    fn send_attempt(&mut self, rec: &mut Recorder, req: ReqId, client: NodeId, attempt: u32) {
        let kind = if attempt == 0 {
            MsgKind::Request
        } else {
            MsgKind::Retry
        };
        let trace = Trace {
            sent: self.now,
            ..Trace::default()
        };
        self.send(rec, Self::up_link(client), kind, req, attempt, trace);
        self.sched.at(
            self.now + self.cfg.timeout,
            Action::Timeout { req, attempt },
        );
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let client = self.rng.arrivals.random_range(0..self.clients);
        let service = self
            .cfg
            .dist
            .sample(self.cfg.service_mean, &mut self.rng.service);
        let req = self.workload.new_req();
        self.pending.insert(
            req,
            Request {
                client,
                created: self.now,
                service,
                attempt: 0,
                backing_off: false,
            },
        );
        rec.emit(self.now, What::Offered { req, node: client });
        self.send_attempt(rec, req, client, 0);
        self.schedule_arrival();
    }

    /// A worker takes `job` (already counted busy by the station).
    fn start_job(&mut self, rec: &mut Recorder, job: Job, queued: bool) {
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
                attempt: job.attempt,
                client: job.client,
                trace: Trace {
                    started: self.now,
                    ..job.trace
                },
            },
        );
    }

    /// A request (first attempt or retry) reaches the service.
    fn on_request(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        attempt: u32,
        link: LinkId,
        trace: Trace,
    ) {
        let client = self.topo.links[link as usize].from;
        if self.faults.down(self.now) {
            // A service that is down answers nothing: the client times out.
            rec.drop(self.now, msg, self.service, DropReason::ServiceDown);
            return;
        }
        // The service time travels with the request; an abandoned request
        // keeps the draw it was given.
        let service = self
            .pending
            .get(&req)
            .map(|r| r.service)
            .unwrap_or(self.cfg.service_mean);
        let job = Job {
            msg,
            req,
            attempt,
            client,
            service,
            trace: Trace {
                arrived: self.now,
                ..trace
            },
        };
        match self.station.admit(job) {
            Admit::Start(job) => self.start_job(rec, job, false),
            Admit::Queued => rec.emit(
                self.now,
                What::Queued {
                    msg,
                    node: self.service,
                },
            ),
            Admit::Full(_) => {
                rec.drop(self.now, msg, self.service, DropReason::QueueFull);
                self.send(
                    rec,
                    Self::down_link(client),
                    MsgKind::Error,
                    req,
                    attempt,
                    Trace::default(),
                );
            }
        }
    }

    fn on_done(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        attempt: u32,
        client: NodeId,
        trace: Trace,
    ) {
        self.station.finish();
        let wasted = !self.pending.contains_key(&req);
        rec.emit(
            self.now,
            What::Served {
                msg,
                node: self.service,
                wasted,
            },
        );
        let trace = Trace {
            done: self.now,
            ..trace
        };
        self.send(
            rec,
            Self::down_link(client),
            MsgKind::Response,
            req,
            attempt,
            trace,
        );
        self.start_waiting_jobs(rec);
    }

    fn start_waiting_jobs(&mut self, rec: &mut Recorder) {
        while let Some(job) = self.station.take_next() {
            self.start_job(rec, job, true);
        }
    }

    /// A response or an error reaches its client.
    fn on_reply(&mut self, rec: &mut Recorder, reply: Reply, client: NodeId) {
        let Reply {
            msg,
            req,
            attempt,
            kind,
            trace,
        } = reply;
        let Some(r) = self.pending.get(&req) else {
            rec.drop(self.now, msg, client, DropReason::Late);
            return;
        };
        if kind == MsgKind::Response {
            let wait = self.now - r.created;
            self.pending.remove(&req);
            rec.emit(self.now, What::Delivered { msg, node: client });
            rec.emit(
                self.now,
                What::Breakdown {
                    req,
                    network: (trace.arrived - trace.sent) + (self.now - trace.done),
                    queue: trace.started - trace.arrived,
                    service: trace.done - trace.started,
                },
            );
            rec.emit(
                self.now,
                What::Completed {
                    req,
                    node: client,
                    wait,
                },
            );
        } else if r.attempt == attempt && !r.backing_off {
            // A 503 for the attempt in progress: retry or give up.
            rec.emit(self.now, What::Delivered { msg, node: client });
            self.retry_or_fail(rec, req, FailReason::Rejected);
        } else {
            // A 503 for an attempt the client already gave up on.
            rec.drop(self.now, msg, client, DropReason::Late);
        }
    }

    fn on_timeout(&mut self, rec: &mut Recorder, req: ReqId, attempt: u32) {
        let Some(r) = self.pending.get(&req) else {
            return;
        };
        if r.attempt != attempt || r.backing_off {
            return;
        }
        let node = r.client;
        rec.emit(self.now, What::TimedOut { req, node, attempt });
        self.retry_or_fail(rec, req, FailReason::Timeout);
    }

    /// The attempt in progress failed: back off and retry, or fail the request.
    fn retry_or_fail(&mut self, rec: &mut Recorder, req: ReqId, reason: FailReason) {
        let Some(r) = self.pending.get_mut(&req) else {
            return;
        };
        if r.attempt < self.cfg.retries {
            // Exponential back-off with "equal jitter": half fixed, half random.
            let ceiling = self.cfg.backoff.saturating_mul(1 << r.attempt.min(20));
            let half = ceiling / 2;
            let u: f64 = self.rng.client.random();
            let delay = half + time::from_ns((u * (ceiling - half) as f64).floor());
            r.backing_off = true;
            self.sched.at(self.now + delay, Action::Resend { req });
        } else {
            let node = r.client;
            self.pending.remove(&req);
            rec.emit(self.now, What::Failed { req, node, reason });
        }
    }

    fn on_resend(&mut self, rec: &mut Recorder, req: ReqId) {
        let Some(r) = self.pending.get_mut(&req) else {
            return;
        };
        r.attempt += 1;
        r.backing_off = false;
        let (client, attempt) = (r.client, r.attempt);
        self.send_attempt(rec, req, client, attempt);
    }

    fn handle(&mut self, action: Action, rec: &mut Recorder) {
        match action {
            Action::Arrival { gen } => {
                if self.workload.is_current(gen) {
                    self.on_arrival(rec);
                }
            }
            Action::Reach {
                msg,
                req,
                attempt,
                kind,
                link,
                lost,
                trace,
            } => {
                let to = self.topo.links[link as usize].to;
                if lost {
                    rec.drop(self.now, msg, to, DropReason::Loss);
                } else if to == self.service {
                    self.on_request(rec, msg, req, attempt, link, trace);
                } else {
                    let reply = Reply {
                        msg,
                        req,
                        attempt,
                        kind,
                        trace,
                    };
                    self.on_reply(rec, reply, to);
                }
            }
            Action::Done {
                msg,
                req,
                attempt,
                client,
                trace,
            } => self.on_done(rec, msg, req, attempt, client, trace),
            Action::Timeout { req, attempt } => self.on_timeout(rec, req, attempt),
            Action::Resend { req } => self.on_resend(rec, req),
        }
    }
}

impl Pattern for RequestResponse {
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
                workers: self.cfg.workers,
            },
        );
        self.schedule_arrival();
    }

    fn next_time(&self) -> Option<Time> {
        self.sched.peek_time()
    }

    fn step(&mut self, until: Time, rec: &mut Recorder) -> bool {
        match self.sched.pop_due(until) {
            Some((t, action)) => {
                self.now = t;
                self.handle(action, rec);
                true
            }
            None => false,
        }
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
        self.cfg = Config::from(&self.params);
        match id {
            id if Workload::reads(id) => {
                // Poisson arrivals are memoryless: drawing afresh from now at
                // the new rate (or spike) is exact.
                self.workload.set_from(&self.params);
                self.schedule_arrival();
            }
            "workers" => {
                self.topo.nodes[self.service as usize].workers = self.cfg.workers;
                self.station.set_workers(self.cfg.workers);
                rec.emit(
                    self.now,
                    What::Capacity {
                        node: self.service,
                        workers: self.cfg.workers,
                    },
                );
                self.start_waiting_jobs(rec);
            }
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(&self.params)
            }
            "queue_cap" => {
                self.topo.nodes[self.service as usize].queue_cap = self.cfg.queue_cap as u32;
                self.station.set_queue_cap(self.cfg.queue_cap);
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
        let in_flight = self
            .sched
            .iter()
            .filter(|a| matches!(a, Action::Reach { .. }))
            .count() as u64;
        Audit {
            in_flight,
            queued: self.station.queued() as u64,
            in_service: self.station.busy() as u64,
            pending: self.pending.len() as u64,
        }
    }
}
