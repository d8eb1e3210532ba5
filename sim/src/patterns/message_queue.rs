//! `message-queue`: producers put work on a broker's queue and carry on;
//! competing consumers take it, one message at a time, and acknowledge it.
//!
//! Topology: producers → broker → `consumers` consumers (links both ways).
//!
//! - A producer's message is stored at the broker (a `Queued` event there)
//!   and acknowledged to the producer at once: the producer's wait is the
//!   enqueue round trip (a `Leg`), whatever the depth.
//! - The broker hands each consumer up to `prefetch` unacknowledged copies.
//!   A copy waits in the consumer's buffer, is processed, and the consumer
//!   acks. The first processing completes the request: the waiting time is
//!   enqueued → processed.
//! - A copy not acknowledged within `visibility_ms` (lost, or its consumer
//!   crashed) is delivered again (a `Retry` message); after `retries`
//!   redeliveries it goes to the dead-letter list. At-least-once: a lost ack
//!   makes a duplicate, counted as wasted work.
//! - The stored message leaves the broker when acked (served) or
//!   dead-lettered, so the broker's queue depth counts ready and
//!   unacknowledged messages.

use std::collections::{HashMap, VecDeque};

use rand::Rng;

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::{exp_gap, ServiceDist};
use crate::event::{DropReason, FailReason, MsgId, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
use crate::metrics::{fail_index, Snapshot};
use crate::net::{Net, Workload};
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "message-queue";

pub const PARAMS: &[ParamSpec] = &[
    params::RATE.with_default(40.0),
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    ParamSpec {
        name: "Producers",
        help: "Producer nodes sharing the offered load.",
        ..params::CLIENTS.with_default(3.0)
    },
    params::CONSUMERS,
    ParamSpec {
        help: "Mean time a consumer spends on one message.",
        ..params::SERVICE_MS.with_default(40.0)
    },
    params::SERVICE_DIST,
    params::PREFETCH,
    params::VISIBILITY_MS,
    ParamSpec {
        name: "Max redeliveries",
        help: "Redeliveries of an unacknowledged message before it goes to the dead-letter list.",
        kind: params::Kind::Number {
            min: 0.0,
            max: 20.0,
            default: 3.0,
            step: 1.0,
            integer: true,
            log: false,
        },
        ..params::RETRIES
    },
    ParamSpec {
        help: "Messages the broker stores; past it producers are refused.",
        kind: params::Kind::Number {
            min: 0.0,
            max: 1_000_000.0,
            default: 100_000.0,
            step: 1.0,
            integer: true,
            log: true,
        },
        ..params::QUEUE_CAP
    },
    params::CRASHES_PER_MIN,
    params::RESTART_MS,
    params::NET_MS,
    params::JITTER_MS,
    params::LOSS,
    ParamSpec {
        name: "Broker outage at",
        help: "Virtual time at which the broker goes down.",
        ..params::OUTAGE_AT_S
    },
    ParamSpec {
        name: "Broker outage length",
        help: "How long the broker stays down, refusing publishes and acks and delivering nothing (0: no outage).",
        ..params::OUTAGE_S
    },
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Message queue",
    timing: "Asynchronous: producers hand work to a broker and carry on; consumers take it when they can.",
    flow: "Through a broker's work queue shared by competing consumers.",
    delivery: "At-least-once: each message is acknowledged after processing; unacknowledged ones come back after the visibility timeout, and too many tries send a message to the dead-letter list.",
    sees: "Producers get a quick receipt however long the queue. Consumers share the work; adding them raises throughput until it meets the offered rate. Past that the queue grows steadily; a crashed consumer's messages come back after the visibility timeout.",
    law: "Throughput ≈ min(λ, consumers·μ); depth grows ≈ (λ − consumers·μ)·t when overloaded; producer wait ≈ enqueue round trip whatever the depth.",
    question: "Why put a queue in front of the workers?",
    params: PARAMS,
    kinds: &[MsgKind::Request, MsgKind::Ack, MsgKind::Event, MsgKind::Retry, MsgKind::Error],
    companion: "request-response",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "producer_wait_ms",
            label: "producer wait (mean)",
            value: s.legs.mean,
            unit: "ms",
        },
        Figure {
            id: "depth",
            label: "messages at the broker",
            value: s.queue_depth as f64,
            unit: "",
        },
        Figure {
            id: "redeliveries",
            label: "redeliveries",
            value: t.sent_of(MsgKind::Retry) as f64,
            unit: "",
        },
        Figure {
            id: "duplicates",
            label: "duplicates processed",
            value: t.wasted as f64,
            unit: "",
        },
        Figure {
            id: "dead_lettered",
            label: "dead-lettered",
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
    /// A producer's message reaches the broker.
    AtBroker {
        msg: MsgId,
        req: ReqId,
        producer: NodeId,
        sent: Time,
        lost: bool,
    },
    /// The broker's receipt reaches the producer.
    Receipt {
        msg: MsgId,
        req: ReqId,
        producer: NodeId,
        sent: Time,
        lost: bool,
    },
    /// A copy reaches consumer `c`.
    AtConsumer {
        msg: MsgId,
        req: ReqId,
        c: u16,
        lost: bool,
        /// `left`: when the broker sent it; `earlier`: its broker queue time.
        trip: Trip,
    },
    /// Consumer `c` finished processing (ignored if `epoch` is stale).
    Processed {
        c: u16,
        epoch: u64,
    },
    /// A consumer's ack reaches the broker.
    AckArrives {
        msg: MsgId,
        req: ReqId,
        lost: bool,
    },
    /// The visibility timeout of delivery `delivery` of `req`.
    Visibility {
        req: ReqId,
        delivery: u32,
    },
    Crash {
        c: u16,
        timer: u64,
    },
    Restart {
        c: u16,
    },
    /// The broker's outage may be over: deliver what waits.
    Resume,
}

/// Where a stored message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    Unacked { c: u16, epoch: u64 },
}

/// A message stored at the broker until acked or dead-lettered.
struct Stored {
    /// The producer's message, `Queued` at the broker while stored.
    msg: MsgId,
    created: Time,
    service: Time,
    /// Deliveries so far; the current one's number.
    delivery: u32,
    state: State,
    /// Processed once already: later processing is a duplicate.
    done: bool,
    /// When it last became ready (stored, or back after a visibility
    /// timeout): the broker-queue share of the wait starts here.
    ready_at: Time,
}

/// A copy held by a consumer.
#[derive(Clone, Copy)]
struct Held {
    msg: MsgId,
    req: ReqId,
    /// This copy's way: broker queue, hop, consumer buffer, processing.
    trip: Trip,
}

struct Consumer {
    node: NodeId,
    up: bool,
    /// Bumped on every crash: work and credit of an older life are void.
    epoch: u64,
    /// Copies delivered and not yet acked or expired (≤ prefetch).
    unacked: u32,
    buffer: VecDeque<Held>,
    current: Option<Held>,
    crash_timer: u64,
}

pub struct MessageQueue {
    params: ParamSet,
    topo: Topology,
    broker: NodeId,
    producers: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    prefetch: u32,
    visibility: Time,
    max_redeliveries: u32,
    capacity: usize,
    crashes_per_min: f64,
    restart: Time,
    stored: HashMap<ReqId, Stored>,
    ready: VecDeque<ReqId>,
    consumers: Vec<Consumer>,
    /// Round-robin start for dispatching, so consumers share fairly.
    next_consumer: usize,
    /// The broker's outage window.
    faults: ServiceFaults,
}

impl MessageQueue {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let producers = params.get("clients") as u16;
        let n = params.get("consumers") as u16;
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        let mut topo = Topology::default();
        for i in 0..producers {
            topo.add_node(NodeKind::Client, format!("producer {}", i + 1), 0, 0);
        }
        let broker = topo.add_node(
            NodeKind::Broker,
            "broker".into(),
            0,
            params.get("queue_cap") as u32,
        );
        let consumers = (0..n)
            .map(|c| Consumer {
                node: topo.add_node(NodeKind::Worker, format!("consumer {}", c + 1), 1, 0),
                up: true,
                epoch: 0,
                unacked: 0,
                buffer: VecDeque::new(),
                current: None,
                crash_timer: 0,
            })
            .collect::<Vec<_>>();
        // Links 2i / 2i+1: producer i ⇄ broker; 2p + 2c / 2p + 2c + 1: broker ⇄ consumer c.
        for i in 0..producers {
            topo.add_link(i, broker, net, jitter, loss);
            topo.add_link(broker, i, net, jitter, loss);
        }
        for c in &consumers {
            topo.add_link(broker, c.node, net, jitter, loss);
            topo.add_link(c.node, broker, net, jitter, loss);
        }
        MessageQueue {
            faults: ServiceFaults::from_params(&params),
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            prefetch: params.get("prefetch") as u32,
            visibility: time::from_ms(params.get("visibility_ms")),
            max_redeliveries: params.get("retries") as u32,
            capacity: params.get("queue_cap") as usize,
            crashes_per_min: params.get("crashes_per_min"),
            restart: time::from_ms(params.get("restart_ms")),
            params,
            topo,
            broker,
            producers,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            stored: HashMap::with_capacity(4096),
            ready: VecDeque::with_capacity(4096),
            consumers,
            next_consumer: 0,
        }
    }

    fn link_to_consumer(&self, c: u16) -> LinkId {
        2 * self.producers + 2 * c
    }

    fn link_from_consumer(&self, c: u16) -> LinkId {
        2 * self.producers + 2 * c + 1
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    /// Wakes the broker when its outage (as now configured) ends.
    fn schedule_resume(&mut self) {
        let end = time::from_secs(self.params.get("outage_at_s") + self.params.get("outage_s"));
        if end > self.now {
            self.sched.at(end, Action::Resume);
        }
    }

    fn schedule_crash(&mut self, c: u16) {
        let con = &mut self.consumers[c as usize];
        con.crash_timer += 1;
        let timer = con.crash_timer;
        if let Some(gap) = exp_gap(self.crashes_per_min / 60.0, &mut self.rng.client) {
            self.sched.at(self.now + gap, Action::Crash { c, timer });
        }
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let producer = self.rng.arrivals.random_range(0..self.producers);
        let req = self.workload.new_req();
        rec.emit(
            self.now,
            What::Offered {
                req,
                node: producer,
            },
        );
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            producer * 2,
            MsgKind::Request,
            req,
        );
        self.sched.at(
            t.arrive_at,
            Action::AtBroker {
                msg: t.msg,
                req,
                producer,
                sent: self.now,
                lost: t.lost,
            },
        );
        self.schedule_arrival();
    }

    fn on_broker_down(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, producer: NodeId) {
        // A broker that is down stores nothing and answers nothing.
        rec.drop(self.now, msg, self.broker, DropReason::ServiceDown);
        rec.emit(
            self.now,
            What::Failed {
                req,
                node: producer,
                reason: FailReason::Lost,
            },
        );
    }

    fn on_broker(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        producer: NodeId,
        sent: Time,
    ) {
        if self.faults.down(self.now) {
            return self.on_broker_down(rec, msg, req, producer);
        }
        let link = producer * 2 + 1;
        if self.stored.len() >= self.capacity {
            rec.drop(self.now, msg, self.broker, DropReason::QueueFull);
            rec.emit(
                self.now,
                What::Failed {
                    req,
                    node: producer,
                    reason: FailReason::Rejected,
                },
            );
            let t = self.net.send(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                link,
                MsgKind::Error,
                req,
            );
            self.sched.at(
                t.arrive_at,
                Action::Receipt {
                    msg: t.msg,
                    req,
                    producer,
                    sent,
                    lost: t.lost,
                },
            );
            return;
        }
        rec.emit(
            self.now,
            What::Queued {
                msg,
                node: self.broker,
            },
        );
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        self.stored.insert(
            req,
            Stored {
                msg,
                created: self.now,
                service,
                delivery: 0,
                state: State::Ready,
                done: false,
                ready_at: self.now,
            },
        );
        self.ready.push_back(req);
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
            Action::Receipt {
                msg: t.msg,
                req,
                producer,
                sent,
                lost: t.lost,
            },
        );
        self.dispatch(rec);
    }

    /// Hands ready messages to consumers with credit, round-robin.
    fn dispatch(&mut self, rec: &mut Recorder) {
        if self.faults.down(self.now) {
            return;
        }
        let n = self.consumers.len();
        let mut idle_rounds = 0;
        while !self.ready.is_empty() && idle_rounds < n {
            let c = self.next_consumer % n;
            self.next_consumer = (self.next_consumer + 1) % n;
            let con = &self.consumers[c];
            if !con.up || con.unacked >= self.prefetch {
                idle_rounds += 1;
                continue;
            }
            idle_rounds = 0;
            let req = self.ready.pop_front().expect("not empty");
            self.deliver(rec, req, c as u16);
        }
    }

    fn deliver(&mut self, rec: &mut Recorder, req: ReqId, c: u16) {
        let epoch = self.consumers[c as usize].epoch;
        self.consumers[c as usize].unacked += 1;
        let s = self
            .stored
            .get_mut(&req)
            .expect("ready messages are stored");
        s.delivery += 1;
        s.state = State::Unacked { c, epoch };
        let (delivery, in_broker) = (s.delivery, self.now - s.ready_at);
        let kind = if delivery == 1 {
            MsgKind::Event
        } else {
            MsgKind::Retry
        };
        let link = self.link_to_consumer(c);
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
            Action::AtConsumer {
                msg: t.msg,
                req,
                c,
                lost: t.lost,
                trip: Trip {
                    left: self.now,
                    earlier: [0, in_broker, 0],
                    ..Trip::default()
                },
            },
        );
        self.sched.at(
            self.now + self.visibility,
            Action::Visibility { req, delivery },
        );
    }

    fn on_consumer(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, c: u16, trip: Trip) {
        let node = self.consumers[c as usize].node;
        if !self.consumers[c as usize].up {
            rec.drop(self.now, msg, node, DropReason::Disconnected);
            return;
        }
        let copy = Held { msg, req, trip };
        if self.consumers[c as usize].current.is_none() {
            self.process(rec, c, copy, false);
        } else {
            rec.emit(self.now, What::Queued { msg, node });
            self.consumers[c as usize].buffer.push_back(copy);
        }
    }

    fn process(&mut self, rec: &mut Recorder, c: u16, mut copy: Held, queued: bool) {
        copy.trip.started = self.now;
        let con = &mut self.consumers[c as usize];
        con.current = Some(copy);
        let (node, epoch) = (con.node, con.epoch);
        rec.emit(
            self.now,
            What::Started {
                msg: copy.msg,
                node,
                queued,
            },
        );
        let service = self
            .stored
            .get(&copy.req)
            .map_or(self.service_mean, |s| s.service);
        self.sched
            .at(self.now + service, Action::Processed { c, epoch });
    }

    fn on_processed(&mut self, rec: &mut Recorder, c: u16, epoch: u64) {
        let con = &mut self.consumers[c as usize];
        if con.epoch != epoch {
            return;
        }
        let Some(copy) = con.current.take() else {
            return;
        };
        let node = con.node;
        let first = self.stored.get(&copy.req).is_some_and(|s| !s.done);
        rec.emit(
            self.now,
            What::Served {
                msg: copy.msg,
                node,
                wasted: !first,
            },
        );
        if let Some(s) = self.stored.get_mut(&copy.req).filter(|_| first) {
            s.done = true;
            Trip {
                left: self.now,
                ..copy.trip
            }
            .complete(rec, self.now, copy.req, node, s.created);
        }
        let link = self.link_from_consumer(c);
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            MsgKind::Ack,
            copy.req,
        );
        self.sched.at(
            t.arrive_at,
            Action::AckArrives {
                msg: t.msg,
                req: copy.req,
                lost: t.lost,
            },
        );
        if let Some(next) = self.consumers[c as usize].buffer.pop_front() {
            self.process(rec, c, next, true);
        }
    }

    /// The consumer that held delivery `state` gets its credit back.
    fn release(&mut self, state: State) {
        if let State::Unacked { c, epoch } = state {
            let con = &mut self.consumers[c as usize];
            if con.epoch == epoch {
                con.unacked = con.unacked.saturating_sub(1);
            }
        }
    }

    fn on_ack(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        if self.faults.down(self.now) {
            rec.drop(self.now, msg, self.broker, DropReason::ServiceDown);
            return;
        }
        let Some(s) = self.stored.remove(&req) else {
            // Acked already (a duplicate's ack) or dead-lettered.
            rec.drop(self.now, msg, self.broker, DropReason::Late);
            return;
        };
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.broker,
            },
        );
        // The stored message leaves the broker: done.
        rec.emit(
            self.now,
            What::Started {
                msg: s.msg,
                node: self.broker,
                queued: true,
            },
        );
        rec.emit(
            self.now,
            What::Served {
                msg: s.msg,
                node: self.broker,
                wasted: false,
            },
        );
        match s.state {
            State::Ready => {
                // Requeued after a timeout, then the late ack came: take it
                // off the ready list.
                if let Some(i) = self.ready.iter().position(|&r| r == req) {
                    self.ready.remove(i);
                }
            }
            unacked => self.release(unacked),
        }
        self.dispatch(rec);
    }

    fn on_visibility(&mut self, rec: &mut Recorder, req: ReqId, delivery: u32) {
        let Some(s) = self.stored.get_mut(&req) else {
            return;
        };
        if s.delivery != delivery || s.state == State::Ready {
            return;
        }
        let state = s.state;
        s.state = State::Ready;
        let (msg, done, redeliveries) = (s.msg, s.done, s.delivery.saturating_sub(1));
        self.release(state);
        if redeliveries >= self.max_redeliveries {
            self.stored.remove(&req);
            rec.drop(self.now, msg, self.broker, DropReason::DeadLetter);
            if !done {
                rec.emit(
                    self.now,
                    What::Failed {
                        req,
                        node: self.broker,
                        reason: FailReason::DeadLetter,
                    },
                );
            }
        } else {
            if let Some(s) = self.stored.get_mut(&req) {
                s.ready_at = self.now;
            }
            self.ready.push_back(req);
        }
        self.dispatch(rec);
    }

    fn on_crash(&mut self, rec: &mut Recorder, c: u16, timer: u64) {
        let con = &mut self.consumers[c as usize];
        if !con.up || con.crash_timer != timer {
            return;
        }
        con.up = false;
        con.epoch += 1;
        con.unacked = 0;
        let node = con.node;
        let current = con.current.take();
        let buffer: Vec<Held> = con.buffer.drain(..).collect();
        if let Some(copy) = current {
            // Half-done work is lost with the process.
            rec.emit(
                self.now,
                What::Served {
                    msg: copy.msg,
                    node,
                    wasted: true,
                },
            );
        }
        for copy in buffer {
            rec.drop(self.now, copy.msg, node, DropReason::Crashed);
        }
        rec.emit(self.now, What::Capacity { node, workers: 0 });
        self.sched
            .at(self.now + self.restart, Action::Restart { c });
    }

    fn on_restart(&mut self, rec: &mut Recorder, c: u16) {
        let con = &mut self.consumers[c as usize];
        con.up = true;
        let node = con.node;
        rec.emit(self.now, What::Capacity { node, workers: 1 });
        self.schedule_crash(c);
        self.dispatch(rec);
    }
}

impl Pattern for MessageQueue {
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
        for c in 0..self.consumers.len() as u16 {
            let node = self.consumers[c as usize].node;
            rec.emit(self.now, What::Capacity { node, workers: 1 });
            self.schedule_crash(c);
        }
        self.schedule_arrival();
        self.schedule_resume();
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
            Action::AtBroker {
                msg,
                req,
                producer,
                sent,
                lost,
            } => {
                if lost {
                    rec.drop(self.now, msg, self.broker, DropReason::Loss);
                    // Nothing was stored: the producer's message is lost.
                    rec.emit(
                        self.now,
                        What::Failed {
                            req,
                            node: producer,
                            reason: FailReason::Lost,
                        },
                    );
                } else {
                    self.on_broker(rec, msg, req, producer, sent);
                }
            }
            Action::Receipt {
                msg,
                req,
                producer,
                sent,
                lost,
            } => {
                if lost {
                    rec.drop(self.now, msg, producer, DropReason::Loss);
                } else {
                    rec.emit(
                        self.now,
                        What::Delivered {
                            msg,
                            node: producer,
                        },
                    );
                    rec.emit(
                        self.now,
                        What::Leg {
                            req,
                            node: producer,
                            latency: self.now - sent,
                        },
                    );
                }
            }
            Action::AtConsumer {
                msg,
                req,
                c,
                lost,
                trip,
            } => {
                if lost {
                    let node = self.consumers[c as usize].node;
                    rec.drop(self.now, msg, node, DropReason::Loss);
                } else {
                    let trip = Trip {
                        hop_in: self.now - trip.left,
                        arrived: self.now,
                        started: self.now,
                        left: self.now,
                        ..trip
                    };
                    self.on_consumer(rec, msg, req, c, trip);
                }
            }
            Action::Processed { c, epoch } => self.on_processed(rec, c, epoch),
            Action::AckArrives { msg, req, lost } => {
                if lost {
                    rec.drop(self.now, msg, self.broker, DropReason::Loss);
                } else {
                    self.on_ack(rec, msg, req);
                }
            }
            Action::Visibility { req, delivery } => self.on_visibility(rec, req, delivery),
            Action::Crash { c, timer } => self.on_crash(rec, c, timer),
            Action::Restart { c } => self.on_restart(rec, c),
            Action::Resume => self.dispatch(rec),
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
            "prefetch" => {
                self.prefetch = value as u32;
                self.dispatch(rec);
            }
            "visibility_ms" => self.visibility = time::from_ms(value),
            "retries" => self.max_redeliveries = value as u32,
            "queue_cap" => {
                self.capacity = value as usize;
                self.topo.nodes[self.broker as usize].queue_cap = value as u32;
            }
            "crashes_per_min" => {
                self.crashes_per_min = value;
                for c in 0..self.consumers.len() as u16 {
                    if self.consumers[c as usize].up {
                        self.schedule_crash(c);
                    }
                }
            }
            "restart_ms" => self.restart = time::from_ms(value),
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(&self.params);
                self.schedule_resume();
            }
            "net_ms" | "jitter_ms" | "loss" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len()
            + self.stored.len()
            + self.ready.len()
            + self.consumers.iter().map(|c| c.buffer.len()).sum::<usize>()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::AtBroker { .. }
                        | Action::Receipt { .. }
                        | Action::AtConsumer { .. }
                        | Action::AckArrives { .. }
                )
            })
            .count() as u64;
        let buffered: u64 = self.consumers.iter().map(|c| c.buffer.len() as u64).sum();
        let busy = self
            .consumers
            .iter()
            .filter(|c| c.current.is_some())
            .count() as u64;
        // Pending: on its way to the broker, or stored and not yet processed.
        let travelling = self
            .sched
            .iter()
            .filter(|a| matches!(a, Action::AtBroker { .. }))
            .count() as u64;
        let pending = travelling + self.stored.values().filter(|s| !s.done).count() as u64;
        Audit {
            in_flight,
            queued: self.stored.len() as u64 + buffered,
            in_service: busy,
            pending,
        }
    }
}
