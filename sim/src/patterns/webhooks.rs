//! `webhooks`: the provider calls the receiver back with each event and
//! retries until the receiver acknowledges it.
//!
//! Topology: a provider and `clients` receiver endpoints (with `workers` and
//! a queue). Events are produced at the provider as a Poisson stream; each
//! is delivered by a callback. The receiver handles it and answers with an
//! ack. The provider waits `timeout_ms` for the ack, then retries after an
//! exponential back-off with jitter; after `retries` retries the event goes
//! to the dead-letter list.
//!
//! The waiting time is event produced → first handled by the receiver. A
//! lost ack makes the provider deliver again: the receiver handles the event
//! twice — a duplicate side effect, unless it is `idempotency`-aware. While
//! the receiver is down (`outage_at_s` for `outage_s`) callbacks are refused
//! and delivery follows the back-off schedule.

use std::collections::{HashMap, HashSet};

use rand::Rng;

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::ServiceDist;
use crate::event::{DropReason, FailReason, MsgId, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
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
use crate::trip::Trip;

pub const ID: &str = "webhooks";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "Event rate",
        unit: "events/s",
        help: "Events per second the provider must deliver (Poisson).",
        ..params::RATE.with_default(5.0)
    },
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    ParamSpec {
        name: "Receivers",
        help: "Receiver endpoints; each event goes to one of them.",
        kind: params::Kind::Number {
            min: 1.0,
            max: 20.0,
            default: 1.0,
            step: 1.0,
            integer: true,
            log: false,
        },
        ..params::CLIENTS
    },
    params::IDEMPOTENCY,
    ParamSpec {
        help: "Virtual time at which the receivers go down.",
        ..params::OUTAGE_AT_S
    },
    ParamSpec {
        help: "How long the receivers stay down, refusing every callback (0: no outage).",
        ..params::OUTAGE_S
    },
    ParamSpec {
        help: "Mean time the receiver spends handling one callback.",
        ..params::SERVICE_MS.with_default(5.0)
    },
    params::SERVICE_DIST,
    params::WORKERS.with_default(4.0),
    params::QUEUE_CAP,
    ParamSpec {
        name: "Ack timeout",
        help: "How long the provider waits for the receiver's ack before retrying.",
        ..params::TIMEOUT_MS
    },
    ParamSpec {
        kind: params::Kind::Number {
            min: 0.0,
            max: 20.0,
            default: 6.0,
            step: 1.0,
            integer: true,
            log: false,
        },
        ..params::RETRIES
    },
    ParamSpec {
        kind: params::Kind::Number {
            min: 0.0,
            max: 600_000.0,
            default: 1_000.0,
            step: 1.0,
            integer: false,
            log: true,
        },
        ..params::BACKOFF_MS
    },
    params::NET_MS,
    params::JITTER_MS,
    params::LOSS,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Webhooks",
    timing: "Asynchronous callback: the provider calls the receiver when something happens; nobody polls.",
    flow: "Direct but reversed: provider → receiver, answered with an ack.",
    delivery: "At-least-once: retries with exponential back-off and jitter until acked; a lost ack means a duplicate; after the last retry the event goes to the dead-letter list.",
    sees: "Events arrive one hop after they happen. Take the receiver down and deliveries turn into a retry schedule that stretches out; lose acks and the receiver sees duplicates — harmless only if it is idempotent.",
    law: "Healthy latency ≈ one-way network latency; under an outage delivery time follows the back-off schedule; duplicate side effects = 0 with idempotency on, = lost acks with it off; after `retries` an event goes to the dead-letter list.",
    question: "What happens if our webhook endpoint is down for a minute?",
    params: PARAMS,
    kinds: &[MsgKind::Callback, MsgKind::Retry, MsgKind::Ack],
    companion: "short-polling",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, p: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    let idempotent = p.spec("idempotency").is_ok() && p.get_bool("idempotency");
    let duplicates = t.wasted as f64;
    vec![
        Figure {
            id: "retries",
            label: "retries",
            value: t.sent_of(MsgKind::Retry) as f64,
            unit: "",
        },
        Figure {
            id: "duplicate_side_effects",
            label: "duplicate side effects",
            value: if idempotent { 0.0 } else { duplicates },
            unit: "",
        },
        Figure {
            id: "duplicates_suppressed",
            label: "duplicates recognised",
            value: if idempotent { duplicates } else { 0.0 },
            unit: "",
        },
        Figure {
            id: "dead_lettered",
            label: "dead-lettered undelivered",
            value: t.failed_by[fail_index(FailReason::DeadLetter)] as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    CallbackArrives {
        msg: MsgId,
        req: ReqId,
        created: Time,
        receiver: NodeId,
        lost: bool,
        /// When this attempt left the provider.
        sent: Time,
    },
    Handled {
        msg: MsgId,
        req: ReqId,
        created: Time,
        receiver: NodeId,
        /// The attempt that got handled: hop, arrival, start of work.
        trip: Trip,
    },
    AckArrives {
        msg: MsgId,
        req: ReqId,
        lost: bool,
    },
    Timeout {
        req: ReqId,
        attempt: u32,
    },
    Resend {
        req: ReqId,
    },
}

/// An event the provider has not seen acknowledged yet.
struct Delivery {
    receiver: NodeId,
    created: Time,
    attempt: u32,
    backing_off: bool,
}

struct Job {
    msg: MsgId,
    req: ReqId,
    created: Time,
    service: Time,
    /// The attempt's way so far (hop and arrival), for the breakdown.
    trip: Trip,
}

pub struct Webhooks {
    params: ParamSet,
    topo: Topology,
    provider: NodeId,
    receivers: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    timeout: Time,
    retries: u32,
    backoff: Time,
    deliveries: HashMap<ReqId, Delivery>,
    /// Events the receivers have handled at least once.
    handled: HashSet<ReqId>,
    /// Events whose fate is settled: handled, or dead-lettered first.
    resolved: HashSet<ReqId>,
    /// Callback copies of an event still on their way or at a receiver.
    /// When an event is settled at the provider and has none left, nothing
    /// about it can happen any more, and it is forgotten (`handled`,
    /// `resolved`): the books stay the size of what is live, not of the
    /// whole run.
    copies: HashMap<ReqId, u32>,
    stations: Vec<Station<Job>>,
}

impl Webhooks {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let receivers = params.get("clients") as u16;
        let workers = params.get("workers") as u32;
        let queue_cap = params.get("queue_cap") as usize;
        let mut topo = Topology::default();
        let provider = topo.add_node(NodeKind::Client, "provider".into(), 0, 0);
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        let stations = (0..receivers)
            .map(|r| {
                let node = topo.add_node(
                    NodeKind::Service,
                    format!("receiver {}", r + 1),
                    workers,
                    queue_cap as u32,
                );
                Station::new(node, workers, queue_cap)
            })
            .collect::<Vec<_>>();
        // Links 2r / 2r+1: provider ⇄ receiver r.
        for s in &stations {
            topo.add_link(provider, s.node, net, jitter, loss);
            topo.add_link(s.node, provider, net, jitter, loss);
        }
        Webhooks {
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            timeout: time::from_ms(params.get("timeout_ms")),
            retries: params.get("retries") as u32,
            backoff: time::from_ms(params.get("backoff_ms")),
            params,
            topo,
            provider,
            receivers,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            deliveries: HashMap::with_capacity(1024),
            handled: HashSet::with_capacity(4096),
            resolved: HashSet::with_capacity(4096),
            copies: HashMap::with_capacity(4096),
            stations,
        }
    }

    /// Whether the receivers are down at `t`.
    fn down(&self, t: Time) -> bool {
        ServiceFaults::from_params(&self.params).down(t)
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    fn send_attempt(&mut self, rec: &mut Recorder, req: ReqId) {
        let Some(d) = self.deliveries.get(&req) else {
            return;
        };
        let (receiver, created, attempt) = (d.receiver, d.created, d.attempt);
        let kind = if attempt == 0 {
            MsgKind::Callback
        } else {
            MsgKind::Retry
        };
        let link: LinkId = receiver * 2;
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            kind,
            req,
        );
        *self.copies.entry(req).or_insert(0) += 1;
        self.sched.at(
            t.arrive_at,
            Action::CallbackArrives {
                msg: t.msg,
                req,
                created,
                receiver,
                lost: t.lost,
                sent: self.now,
            },
        );
        self.sched
            .at(self.now + self.timeout, Action::Timeout { req, attempt });
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let receiver = self.rng.arrivals.random_range(0..self.receivers);
        let req = self.workload.new_req();
        rec.emit(
            self.now,
            What::Offered {
                req,
                node: self.provider,
            },
        );
        self.deliveries.insert(
            req,
            Delivery {
                receiver,
                created: self.now,
                attempt: 0,
                backing_off: false,
            },
        );
        self.send_attempt(rec, req);
        self.schedule_arrival();
    }

    fn start(&mut self, rec: &mut Recorder, r: usize, job: Job, queued: bool) {
        let node = self.stations[r].node;
        rec.emit(
            self.now,
            What::Started {
                msg: job.msg,
                node,
                queued,
            },
        );
        self.sched.at(
            self.now + job.service,
            Action::Handled {
                msg: job.msg,
                req: job.req,
                created: job.created,
                receiver: r as NodeId,
                trip: Trip {
                    started: self.now,
                    ..job.trip
                },
            },
        );
    }

    fn on_callback(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        created: Time,
        receiver: NodeId,
        trip: Trip,
    ) {
        let node = self.stations[receiver as usize].node;
        if self.down(self.now) {
            rec.drop(self.now, msg, node, DropReason::ServiceDown);
            return self.copy_ended(req);
        }
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        match self.stations[receiver as usize].admit(Job {
            msg,
            req,
            created,
            service,
            trip,
        }) {
            Admit::Start(job) => self.start(rec, receiver as usize, job, false),
            Admit::Queued => rec.emit(self.now, What::Queued { msg, node }),
            Admit::Full(_) => {
                rec.drop(self.now, msg, node, DropReason::QueueFull);
                self.copy_ended(req);
            }
        }
    }

    /// One callback copy of `req` is gone (lost, refused or handled).
    fn copy_ended(&mut self, req: ReqId) {
        if let Some(n) = self.copies.get_mut(&req) {
            *n -= 1;
            if *n == 0 {
                self.copies.remove(&req);
            }
        }
        self.forget_if_done(req);
    }

    /// Forgets `req` once the provider is done with it and no copy is left.
    fn forget_if_done(&mut self, req: ReqId) {
        if !self.deliveries.contains_key(&req) && !self.copies.contains_key(&req) {
            self.handled.remove(&req);
            self.resolved.remove(&req);
        }
    }

    fn on_handled(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        created: Time,
        receiver: NodeId,
        trip: Trip,
    ) {
        let r = receiver as usize;
        self.stations[r].finish();
        let node = self.stations[r].node;
        let first = self.handled.insert(req);
        rec.emit(
            self.now,
            What::Served {
                msg,
                node,
                wasted: !first,
            },
        );
        // A first handling after the provider gave up changes nothing for
        // the books: the event already failed as dead-lettered.
        if first && self.resolved.insert(req) {
            Trip {
                left: self.now,
                ..trip
            }
            .complete(rec, self.now, req, node, created);
        }
        let link: LinkId = receiver * 2 + 1;
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            MsgKind::Ack,
            req,
        );
        self.sched.at(
            t.arrive_at,
            Action::AckArrives {
                msg: t.msg,
                req,
                lost: t.lost,
            },
        );
        while let Some(job) = self.stations[r].take_next() {
            self.start(rec, r, job, true);
        }
        self.copy_ended(req);
    }

    fn on_ack(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        if self.deliveries.remove(&req).is_some() {
            rec.emit(
                self.now,
                What::Delivered {
                    msg,
                    node: self.provider,
                },
            );
            self.forget_if_done(req);
        } else {
            // An ack for an event already acked (a duplicate's) or dead-lettered.
            rec.drop(self.now, msg, self.provider, DropReason::Late);
        }
    }

    fn on_timeout(&mut self, rec: &mut Recorder, req: ReqId, attempt: u32) {
        let Some(d) = self.deliveries.get_mut(&req) else {
            return;
        };
        if d.attempt != attempt || d.backing_off {
            return;
        }
        rec.emit(
            self.now,
            What::TimedOut {
                req,
                node: self.provider,
                attempt,
            },
        );
        if d.attempt < self.retries {
            // Exponential back-off with "equal jitter".
            let ceiling = self.backoff.saturating_mul(1 << d.attempt.min(20));
            let half = ceiling / 2;
            let u: f64 = self.rng.client.random();
            d.backing_off = true;
            self.sched.at(
                self.now + half + time::from_ns((u * (ceiling - half) as f64).floor()),
                Action::Resend { req },
            );
        } else {
            self.deliveries.remove(&req);
            if self.resolved.insert(req) {
                rec.emit(
                    self.now,
                    What::Failed {
                        req,
                        node: self.provider,
                        reason: FailReason::DeadLetter,
                    },
                );
            }
            self.forget_if_done(req);
        }
    }

    fn on_resend(&mut self, rec: &mut Recorder, req: ReqId) {
        if let Some(d) = self.deliveries.get_mut(&req) {
            d.attempt += 1;
            d.backing_off = false;
            self.send_attempt(rec, req);
        }
    }
}

impl Pattern for Webhooks {
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
            Action::CallbackArrives {
                msg,
                req,
                created,
                receiver,
                lost,
                sent,
            } => {
                if lost {
                    let node = self.stations[receiver as usize].node;
                    rec.drop(self.now, msg, node, DropReason::Loss);
                    self.copy_ended(req);
                } else {
                    let trip = Trip::served(self.now - sent, self.now, self.now, self.now);
                    self.on_callback(rec, msg, req, created, receiver, trip);
                }
            }
            Action::Handled {
                msg,
                req,
                created,
                receiver,
                trip,
            } => self.on_handled(rec, msg, req, created, receiver, trip),
            Action::AckArrives { msg, req, lost } => {
                if lost {
                    rec.drop(self.now, msg, self.provider, DropReason::Loss);
                } else {
                    self.on_ack(rec, msg, req);
                }
            }
            Action::Timeout { req, attempt } => self.on_timeout(rec, req, attempt),
            Action::Resend { req } => self.on_resend(rec, req),
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
            "timeout_ms" => self.timeout = time::from_ms(value),
            "retries" => self.retries = value as u32,
            "backoff_ms" => self.backoff = time::from_ms(value),
            "workers" => {
                for r in 0..self.stations.len() {
                    self.stations[r].resize(value as u32, &mut self.topo, rec, self.now);
                    while let Some(job) = self.stations[r].take_next() {
                        self.start(rec, r, job, true);
                    }
                }
            }
            "queue_cap" => {
                for s in &mut self.stations {
                    s.set_room(value as usize, &mut self.topo);
                }
            }
            "net_ms" | "jitter_ms" | "loss" => self.topo.set_network_from(&self.params),
            // idempotency and the outage window are read where they apply.
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len()
            + self.deliveries.len()
            + self.handled.len()
            + self.resolved.len()
            + self.copies.len()
            + self.stations.iter().map(Station::queued).sum::<usize>()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::CallbackArrives { .. } | Action::AckArrives { .. }
                )
            })
            .count() as u64;
        Audit {
            in_flight,
            queued: self.stations.iter().map(|s| s.queued() as u64).sum(),
            in_service: self.stations.iter().map(|s| s.busy() as u64).sum(),
            pending: self
                .deliveries
                .keys()
                .filter(|r| !self.resolved.contains(r))
                .count() as u64,
        }
    }
}
