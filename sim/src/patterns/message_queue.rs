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

use crate::dist::{exp_gap, ServiceDist};
use crate::engine::{Cx, Delivery, Model, Tally};
use crate::event::{DropReason, FailReason, MsgId, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "message-queue";

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::ms("producer_wait_ms", "producer wait (mean)", s.legs.mean),
        Figure::count("depth", "messages at the broker", s.queue_depth),
        Figure::count("redeliveries", "redeliveries", t.sent_of(MsgKind::Retry)),
        Figure::count("duplicates", "duplicates processed", t.wasted),
        Figure::count(
            "dead_lettered",
            "dead-lettered",
            t.failed_of(FailReason::DeadLetter),
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// Consumer `c` finished processing (ignored if `epoch` is stale).
    Processed {
        c: u16,
        epoch: u64,
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

/// What travels between producers, the broker and the consumers.
#[derive(Clone, Copy, Debug)]
pub enum Envelope {
    /// A producer's message to the broker.
    Produce,
    /// The broker's receipt (ack or 503) for a message produced at
    /// `produced`.
    Receipt { produced: Time },
    /// A copy for consumer `c`, after `in_broker` in the broker's queue.
    Copy { c: u16, in_broker: Time },
    /// A consumer's ack.
    Ack,
}

/// Where a stored message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    Unacked { c: u16, epoch: u64 },
}

/// A message stored at the broker until acked or dead-lettered.
#[derive(Clone)]
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

#[derive(Clone)]
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

#[derive(Clone)]
pub struct MessageQueue {
    broker: NodeId,
    producers: u16,
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

type Cxq<'a> = Cx<'a, MessageQueue>;

impl MessageQueue {
    /// Links 2i / 2i+1: producer i ⇄ broker; 2p + 2c / 2p + 2c + 1: broker ⇄ consumer c.
    fn link_to_consumer(&self, c: u16) -> LinkId {
        2 * self.producers + 2 * c
    }

    /// Wakes the broker when its outage (as now configured) ends.
    fn schedule_resume(&mut self, cx: &mut Cxq) {
        let end = time::from_secs(cx.get("outage_at_s") + cx.get("outage_s"));
        if end > cx.now {
            cx.at(end, Timer::Resume);
        }
    }

    fn schedule_crash(&mut self, cx: &mut Cxq, c: u16) {
        let con = &mut self.consumers[c as usize];
        con.crash_timer += 1;
        let timer = con.crash_timer;
        if let Some(gap) = exp_gap(self.crashes_per_min / 60.0, &mut cx.rng.client) {
            cx.after(gap, Timer::Crash { c, timer });
        }
    }

    /// The producer's message was never stored: it fails with `reason`.
    fn unstored(cx: &mut Cxq, req: ReqId, producer: NodeId, reason: FailReason) {
        cx.emit(What::Failed {
            req,
            node: producer,
            reason,
        });
    }

    fn on_broker(&mut self, cx: &mut Cxq, m: Delivery<Envelope>) {
        let (msg, req, producer) = (m.msg, m.req, m.from);
        if self.faults.down(cx.now) {
            // A broker that is down stores nothing and answers nothing.
            cx.drop(msg, self.broker, DropReason::ServiceDown);
            return Self::unstored(cx, req, producer, FailReason::Lost);
        }
        let receipt = Envelope::Receipt { produced: m.sent };
        let link = producer * 2 + 1;
        if self.stored.len() >= self.capacity {
            cx.drop(msg, self.broker, DropReason::QueueFull);
            Self::unstored(cx, req, producer, FailReason::Rejected);
            cx.send(link, MsgKind::Error, req, receipt);
            return;
        }
        cx.emit(What::Queued {
            msg,
            node: self.broker,
        });
        let service = self.dist.sample(self.service_mean, &mut cx.rng.service);
        let stored = Stored {
            msg,
            created: cx.now,
            service,
            delivery: 0,
            state: State::Ready,
            done: false,
            ready_at: cx.now,
        };
        self.stored.insert(req, stored);
        self.ready.push_back(req);
        cx.send(link, MsgKind::Ack, req, receipt);
        self.dispatch(cx);
    }

    /// Hands ready messages to consumers with credit, round-robin.
    fn dispatch(&mut self, cx: &mut Cxq) {
        if self.faults.down(cx.now) {
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
            self.hand(cx, req, c as u16);
        }
    }

    /// Delivers stored message `req` to consumer `c` and starts its
    /// visibility timeout.
    fn hand(&mut self, cx: &mut Cxq, req: ReqId, c: u16) {
        let epoch = self.consumers[c as usize].epoch;
        self.consumers[c as usize].unacked += 1;
        let s = self
            .stored
            .get_mut(&req)
            .expect("ready messages are stored");
        s.delivery += 1;
        s.state = State::Unacked { c, epoch };
        let (delivery, in_broker) = (s.delivery, cx.now - s.ready_at);
        let kind = if delivery == 1 {
            MsgKind::Event
        } else {
            MsgKind::Retry
        };
        let copy = Envelope::Copy { c, in_broker };
        cx.send(self.link_to_consumer(c), kind, req, copy);
        cx.after(self.visibility, Timer::Visibility { req, delivery });
    }

    fn on_consumer(&mut self, cx: &mut Cxq, m: Delivery<Envelope>, c: u16, in_broker: Time) {
        let node = self.consumers[c as usize].node;
        if !self.consumers[c as usize].up {
            return cx.drop(m.msg, node, DropReason::Disconnected);
        }
        let trip = Trip {
            hop_in: cx.now - m.sent,
            arrived: cx.now,
            started: cx.now,
            left: cx.now,
            earlier: [0, in_broker, 0],
        };
        let copy = Held {
            msg: m.msg,
            req: m.req,
            trip,
        };
        if self.consumers[c as usize].current.is_none() {
            self.process(cx, c, copy, false);
        } else {
            cx.emit(What::Queued { msg: m.msg, node });
            self.consumers[c as usize].buffer.push_back(copy);
        }
    }

    fn process(&mut self, cx: &mut Cxq, c: u16, mut copy: Held, queued: bool) {
        copy.trip.started = cx.now;
        let con = &mut self.consumers[c as usize];
        con.current = Some(copy);
        let (node, epoch) = (con.node, con.epoch);
        cx.emit(What::Started {
            msg: copy.msg,
            node,
            queued,
        });
        let service = self
            .stored
            .get(&copy.req)
            .map_or(self.service_mean, |s| s.service);
        cx.after(service, Timer::Processed { c, epoch });
    }

    fn on_processed(&mut self, cx: &mut Cxq, c: u16, epoch: u64) {
        let con = &mut self.consumers[c as usize];
        if con.epoch != epoch {
            return;
        }
        let Some(copy) = con.current.take() else {
            return;
        };
        let node = con.node;
        let first = self.stored.get(&copy.req).is_some_and(|s| !s.done);
        cx.emit(What::Served {
            msg: copy.msg,
            node,
            wasted: !first,
        });
        if let Some(s) = self.stored.get_mut(&copy.req).filter(|_| first) {
            s.done = true;
            let trip = Trip {
                left: cx.now,
                ..copy.trip
            };
            cx.complete(&trip, copy.req, node, s.created);
        }
        let link = self.link_to_consumer(c) + 1;
        cx.send(link, MsgKind::Ack, copy.req, Envelope::Ack);
        if let Some(next) = self.consumers[c as usize].buffer.pop_front() {
            self.process(cx, c, next, true);
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

    fn on_ack(&mut self, cx: &mut Cxq, m: Delivery<Envelope>) {
        let (msg, req, broker) = (m.msg, m.req, self.broker);
        if self.faults.down(cx.now) {
            return cx.drop(msg, broker, DropReason::ServiceDown);
        }
        let Some(s) = self.stored.remove(&req) else {
            // Acked already (a duplicate's ack) or dead-lettered.
            return cx.drop(msg, broker, DropReason::Late);
        };
        cx.emit(What::Delivered { msg, node: broker });
        // The stored message leaves the broker: done.
        cx.emit(What::Started {
            msg: s.msg,
            node: broker,
            queued: true,
        });
        cx.emit(What::Served {
            msg: s.msg,
            node: broker,
            wasted: false,
        });
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
        self.dispatch(cx);
    }

    fn on_visibility(&mut self, cx: &mut Cxq, req: ReqId, delivery: u32) {
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
            cx.drop(msg, self.broker, DropReason::DeadLetter);
            if !done {
                cx.emit(What::Failed {
                    req,
                    node: self.broker,
                    reason: FailReason::DeadLetter,
                });
            }
        } else {
            if let Some(s) = self.stored.get_mut(&req) {
                s.ready_at = cx.now;
            }
            self.ready.push_back(req);
        }
        self.dispatch(cx);
    }

    fn on_crash(&mut self, cx: &mut Cxq, c: u16, timer: u64) {
        let con = &mut self.consumers[c as usize];
        if !con.up || con.crash_timer != timer {
            return;
        }
        con.up = false;
        con.epoch += 1;
        con.unacked = 0;
        let node = con.node;
        if let Some(copy) = con.current.take() {
            // Half-done work is lost with the process.
            cx.emit(What::Served {
                msg: copy.msg,
                node,
                wasted: true,
            });
        }
        for copy in con.buffer.drain(..) {
            cx.rec.drop(cx.now, copy.msg, node, DropReason::Crashed);
        }
        cx.emit(What::Capacity { node, workers: 0 });
        cx.after(self.restart, Timer::Restart { c });
    }
}

impl Model for MessageQueue {
    type Timer = Timer;
    type Msg = Envelope;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let producers = p.get("clients") as u16;
        let n = p.get("consumers") as u16;
        let parties = topo.add_parties(NodeKind::Client, "producer", producers);
        let queue_cap = p.get("queue_cap") as u32;
        let broker = topo.add_node(NodeKind::Broker, "broker".into(), 0, queue_cap);
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
        topo.connect_all(parties, broker, p);
        for c in &consumers {
            topo.connect(broker, c.node, p);
            topo.connect(c.node, broker, p);
        }
        MessageQueue {
            faults: ServiceFaults::from_params(p),
            service_mean: time::from_ms(p.get("service_ms")),
            dist: ServiceDist::from_index(p.get("service_dist") as usize),
            prefetch: p.get("prefetch") as u32,
            visibility: time::from_ms(p.get("visibility_ms")),
            max_redeliveries: p.get("retries") as u32,
            capacity: p.get("queue_cap") as usize,
            crashes_per_min: p.get("crashes_per_min"),
            restart: time::from_ms(p.get("restart_ms")),
            broker,
            producers,
            stored: HashMap::with_capacity(4096),
            ready: VecDeque::with_capacity(4096),
            consumers,
            next_consumer: 0,
        }
    }

    fn start(&mut self, cx: &mut Cxq) {
        for c in 0..self.consumers.len() as u16 {
            let node = self.consumers[c as usize].node;
            cx.emit(What::Capacity { node, workers: 1 });
            self.schedule_crash(cx, c);
        }
        self.schedule_resume(cx);
    }

    fn arrival(&mut self, cx: &mut Cxq) {
        let producer = cx.rng.arrivals.random_range(0..self.producers);
        let req = cx.workload.new_req();
        cx.emit(What::Offered {
            req,
            node: producer,
        });
        cx.send(producer * 2, MsgKind::Request, req, Envelope::Produce);
    }

    fn deliver(&mut self, cx: &mut Cxq, m: Delivery<Envelope>) {
        match m.body {
            Envelope::Produce => self.on_broker(cx, m),
            Envelope::Receipt { produced } => {
                let node = m.to;
                cx.emit(What::Delivered { msg: m.msg, node });
                let latency = cx.now - produced;
                cx.emit(What::Leg {
                    req: m.req,
                    node,
                    latency,
                });
            }
            Envelope::Copy { c, in_broker } => self.on_consumer(cx, m, c, in_broker),
            Envelope::Ack => self.on_ack(cx, m),
        }
    }

    fn lost(&mut self, cx: &mut Cxq, m: Delivery<Envelope>) {
        if let Envelope::Produce = m.body {
            // Nothing was stored: the producer's message is lost.
            Self::unstored(cx, m.req, m.from, FailReason::Lost);
        }
    }

    fn timer(&mut self, cx: &mut Cxq, t: Timer) {
        match t {
            Timer::Processed { c, epoch } => self.on_processed(cx, c, epoch),
            Timer::Visibility { req, delivery } => self.on_visibility(cx, req, delivery),
            Timer::Crash { c, timer } => self.on_crash(cx, c, timer),
            Timer::Restart { c } => {
                let con = &mut self.consumers[c as usize];
                con.up = true;
                let node = con.node;
                cx.emit(What::Capacity { node, workers: 1 });
                self.schedule_crash(cx, c);
                self.dispatch(cx);
            }
            Timer::Resume => self.dispatch(cx),
        }
    }

    fn set_param(&mut self, cx: &mut Cxq, id: &str, value: f64) {
        match id {
            "service_ms" => self.service_mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            "prefetch" => {
                self.prefetch = value as u32;
                self.dispatch(cx);
            }
            "visibility_ms" => self.visibility = time::from_ms(value),
            "retries" => self.max_redeliveries = value as u32,
            "queue_cap" => {
                self.capacity = value as usize;
                cx.topo.nodes[self.broker as usize].queue_cap = value as u32;
            }
            "crashes_per_min" => {
                self.crashes_per_min = value;
                for c in 0..self.consumers.len() as u16 {
                    if self.consumers[c as usize].up {
                        self.schedule_crash(cx, c);
                    }
                }
            }
            "restart_ms" => self.restart = time::from_ms(value),
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(cx.params);
                self.schedule_resume(cx);
            }
            _ => {}
        }
    }

    fn tally(&self) -> Tally {
        let buffered: u64 = self.consumers.iter().map(|c| c.buffer.len() as u64).sum();
        let busy = self.consumers.iter().filter(|c| c.current.is_some());
        // Pending: stored and not yet processed (and, counted by the
        // engine, on its way to the broker).
        Tally {
            queued: self.stored.len() as u64 + buffered,
            in_service: busy.count() as u64,
            pending: self.stored.values().filter(|s| !s.done).count() as u64,
        }
    }

    fn carries_request(m: &Delivery<Envelope>) -> bool {
        matches!(m.body, Envelope::Produce)
    }

    fn held(&self) -> usize {
        self.stored.len()
            + self.ready.len()
            + self.consumers.iter().map(|c| c.buffer.len()).sum::<usize>()
    }
}
