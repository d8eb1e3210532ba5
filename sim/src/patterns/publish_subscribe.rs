//! `publish-subscribe`: publishers send events to a topic on a broker; every
//! subscriber gets its own copy. Publishers never see subscribers.
//!
//! Topology: publishers → broker → `subscribers` subscribers. The broker
//! acknowledges each publish at once (the publisher's wait, a `Leg`, is one
//! round trip whatever the number of subscribers) and forwards a copy to
//! each subscriber. A subscriber handles copies one at a time from a buffer
//! of `buffer` events. The last subscriber is `slow_factor` times slower:
//! when its buffer is full, `drop-oldest` drops the oldest waiting copy,
//! `block` lets its backlog grow. The others are unaffected either way.
//!
//! Each (event, subscriber) pair is one thing wanted: offered when the
//! broker accepts the event, completed when that subscriber has handled it
//! (the waiting time), failed as lost when its copy is dropped.

use std::collections::HashMap;

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

pub const ID: &str = "publish-subscribe";

/// Request ids are `event × REQ_STRIDE + subscriber`.
const REQ_STRIDE: u64 = 64;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "Publish rate",
        unit: "events/s",
        help: "Events per second published by all publishers together (Poisson).",
        ..params::RATE.with_default(20.0)
    },
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    ParamSpec {
        name: "Publishers",
        help: "Publisher nodes sharing the publish rate.",
        ..params::CLIENTS.with_default(2.0)
    },
    params::SUBSCRIBERS,
    params::SLOW_FACTOR,
    params::SLOW_POLICY,
    params::BUFFER,
    ParamSpec {
        help: "Mean time a subscriber spends on one event.",
        ..params::SERVICE_MS
    },
    params::SERVICE_DIST,
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
        help: "How long the broker stays down, accepting no publishes (0: no outage).",
        ..params::OUTAGE_S
    },
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Publish / subscribe",
    timing: "Asynchronous: publishers hand events to the broker and carry on.",
    flow: "Through a broker: events go to a topic, every subscriber gets a copy; publishers never see subscribers.",
    delivery: "At-most-once per subscriber, through a bounded buffer: a full buffer drops its oldest event (drop-oldest) or keeps growing (block, up to 50,000 per subscriber; past that the oldest is dropped as overflow).",
    sees: "Each publish fans out into one copy per subscriber. A slow subscriber falls behind on its own — dropping events or lagging further and further — while the others and the publishers carry on unaffected.",
    law: "Deliveries = publishes × subscribers (minus counted drops); publisher wait is independent of the number of subscribers.",
    question: "What does a slow subscriber do to the others?",
    params: PARAMS,
    kinds: &[MsgKind::Request, MsgKind::Ack, MsgKind::Event],
    companion: "message-queue",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "publisher_wait_ms",
            label: "publisher wait (mean)",
            value: s.legs.mean,
            unit: "ms",
        },
        Figure {
            id: "fanout_deliveries",
            label: "copies handled",
            value: t.completed as f64,
            unit: "",
        },
        Figure {
            id: "dropped_overflow",
            label: "dropped by full buffers",
            value: t.dropped[crate::metrics::drop_index(DropReason::Overflow)] as f64,
            unit: "",
        },
        Figure {
            id: "max_backlog",
            label: "longest subscriber backlog",
            value: s.max_node_queue as f64,
            unit: "events",
        },
        Figure {
            id: "lost",
            label: "copies lost",
            value: t.failed_by[fail_index(FailReason::Lost)] as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    /// A publish reaches the broker.
    AtBroker {
        msg: MsgId,
        publisher: NodeId,
        sent: Time,
        lost: bool,
    },
    /// The broker's ack reaches the publisher.
    Acked {
        msg: MsgId,
        publisher: NodeId,
        sent: Time,
        lost: bool,
    },
    /// A copy reaches subscriber `s`.
    AtSubscriber {
        msg: MsgId,
        req: ReqId,
        s: u16,
        lost: bool,
        /// When the broker sent the copy.
        sent: Time,
    },
    /// Subscriber `s` handled a copy.
    Handled {
        msg: MsgId,
        req: ReqId,
        s: u16,
        trip: Trip,
    },
}

struct Job {
    msg: MsgId,
    req: ReqId,
    service: Time,
    /// The copy's hop and arrival, for the wait's breakdown.
    trip: Trip,
}

pub struct PublishSubscribe {
    params: ParamSet,
    topo: Topology,
    broker: NodeId,
    publishers: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    slow_factor: f64,
    drop_oldest: bool,
    subscribers: Vec<Station<Job>>,
    /// When each event was accepted by the broker, until every copy is settled.
    published: HashMap<u64, (Time, u16)>,
    events: u64,
    /// The broker's outage window.
    faults: ServiceFaults,
}

impl PublishSubscribe {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let publishers = params.get("clients") as u16;
        let n = params.get("subscribers") as u16;
        let buffer = params.get("buffer") as usize;
        let drop_oldest = params.get("slow_policy") == 0.0;
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        let mut topo = Topology::default();
        for i in 0..publishers {
            topo.add_node(NodeKind::Client, format!("publisher {}", i + 1), 0, 0);
        }
        let broker = topo.add_node(NodeKind::Broker, "broker".into(), 0, 0);
        let subscribers = (0..n)
            .map(|s| {
                let label = if s + 1 == n && n > 1 {
                    format!("subscriber {} (slow)", s + 1)
                } else {
                    format!("subscriber {}", s + 1)
                };
                let node = topo.add_node(NodeKind::Subscriber, label, 1, buffer as u32);
                Station::new(node, 1, Self::cap(buffer, drop_oldest))
            })
            .collect::<Vec<_>>();
        for i in 0..publishers {
            topo.add_link(i, broker, net, jitter, loss);
            topo.add_link(broker, i, net, jitter, loss);
        }
        for s in &subscribers {
            topo.add_link(broker, s.node, net, jitter, loss);
        }
        PublishSubscribe {
            faults: ServiceFaults::from_params(&params),
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            slow_factor: params.get("slow_factor"),
            drop_oldest,
            params,
            topo,
            broker,
            publishers,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            subscribers,
            published: HashMap::with_capacity(1024),
            events: 0,
        }
    }

    /// The station's own limit: the buffer for drop-oldest (the pattern
    /// makes room); for block, the session's queue limit, past which even a
    /// blocking subscriber drops its oldest event as `overflow`.
    fn cap(buffer: usize, drop_oldest: bool) -> usize {
        if drop_oldest {
            buffer
        } else {
            crate::budget::QUEUE_LIMIT
        }
    }

    fn link_to_subscriber(&self, s: u16) -> LinkId {
        2 * self.publishers + s
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let publisher = self.rng.arrivals.random_range(0..self.publishers);
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            publisher * 2,
            MsgKind::Request,
            self.events,
        );
        self.sched.at(
            t.arrive_at,
            Action::AtBroker {
                msg: t.msg,
                publisher,
                sent: self.now,
                lost: t.lost,
            },
        );
        self.schedule_arrival();
    }

    /// The broker accepts an event: every subscriber now wants a copy.
    fn on_broker(&mut self, rec: &mut Recorder, msg: MsgId, publisher: NodeId, sent: Time) {
        if self.faults.down(self.now) {
            // A broker that is down accepts nothing: the event is never published.
            rec.drop(self.now, msg, self.broker, DropReason::ServiceDown);
            return;
        }
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.broker,
            },
        );
        let k = self.events;
        self.events += 1;
        let n = self.subscribers.len() as u16;
        self.published.insert(k, (self.now, n));
        for s in 0..n {
            rec.emit(
                self.now,
                What::Offered {
                    req: k * REQ_STRIDE + s as u64,
                    node: self.broker,
                },
            );
        }
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            publisher * 2 + 1,
            MsgKind::Ack,
            k,
        );
        self.sched.at(
            t.arrive_at,
            Action::Acked {
                msg: t.msg,
                publisher,
                sent,
                lost: t.lost,
            },
        );
        for s in 0..n {
            let link = self.link_to_subscriber(s);
            let req = k * REQ_STRIDE + s as u64;
            let t = self.net.send(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                link,
                MsgKind::Event,
                req,
            );
            self.sched.at(
                t.arrive_at,
                Action::AtSubscriber {
                    msg: t.msg,
                    req,
                    s,
                    lost: t.lost,
                    sent: self.now,
                },
            );
        }
    }

    /// One copy is settled (handled or lost); forget the event when all are.
    fn settle(&mut self, req: ReqId) -> Option<Time> {
        let k = req / REQ_STRIDE;
        let (at, left) = self.published.get_mut(&k).map(|e| {
            e.1 -= 1;
            (e.0, e.1)
        })?;
        if left == 0 {
            self.published.remove(&k);
        }
        Some(at)
    }

    fn lose(&mut self, rec: &mut Recorder, req: ReqId, node: NodeId) {
        self.settle(req);
        rec.emit(
            self.now,
            What::Failed {
                req,
                node,
                reason: FailReason::Lost,
            },
        );
    }

    fn service_for(&mut self, s: u16) -> Time {
        let base = self.dist.sample(self.service_mean, &mut self.rng.service);
        let slow = s as usize + 1 == self.subscribers.len() && self.subscribers.len() > 1;
        if slow {
            time::from_ns((base as f64 * self.slow_factor).floor())
        } else {
            base
        }
    }

    fn start(&mut self, rec: &mut Recorder, s: u16, job: Job, queued: bool) {
        let node = self.subscribers[s as usize].node;
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
                s,
                trip: Trip {
                    started: self.now,
                    ..job.trip
                },
            },
        );
    }

    fn on_subscriber(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, s: u16, sent: Time) {
        let node = self.subscribers[s as usize].node;
        let service = self.service_for(s);
        let trip = Trip::served(self.now - sent, self.now, self.now, self.now);
        let mut job = Job {
            msg,
            req,
            service,
            trip,
        };
        loop {
            match self.subscribers[s as usize].admit(job) {
                Admit::Start(job) => return self.start(rec, s, job, false),
                Admit::Queued => return rec.emit(self.now, What::Queued { msg, node }),
                Admit::Full(back) => job = back,
            }
            // A full buffer under drop-oldest: make room by dropping the
            // oldest waiting copy, then try again.
            match self.subscribers[s as usize].evict_oldest() {
                Some(old) => {
                    rec.drop(self.now, old.msg, node, DropReason::Overflow);
                    self.lose(rec, old.req, node);
                }
                None => {
                    // Nothing waiting to drop: the newcomer has no room.
                    rec.drop(self.now, job.msg, node, DropReason::QueueFull);
                    return self.lose(rec, job.req, node);
                }
            }
        }
    }

    fn on_handled(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, s: u16, trip: Trip) {
        let st = &mut self.subscribers[s as usize];
        st.finish();
        let node = st.node;
        rec.emit(
            self.now,
            What::Served {
                msg,
                node,
                wasted: false,
            },
        );
        if let Some(at) = self.settle(req) {
            Trip {
                left: self.now,
                ..trip
            }
            .complete(rec, self.now, req, node, at);
        }
        while let Some(job) = self.subscribers[s as usize].take_next() {
            self.start(rec, s, job, true);
        }
    }

    fn set_buffers(&mut self) {
        let cap = Self::cap(self.params.get("buffer") as usize, self.drop_oldest);
        for st in &mut self.subscribers {
            st.set_queue_cap(cap);
            self.topo.nodes[st.node as usize].queue_cap = self.params.get("buffer") as u32;
        }
    }
}

impl Pattern for PublishSubscribe {
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
        for st in &self.subscribers {
            rec.emit(
                self.now,
                What::Capacity {
                    node: st.node,
                    workers: 1,
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
            Action::AtBroker {
                msg,
                publisher,
                sent,
                lost,
            } => {
                if lost {
                    rec.drop(self.now, msg, self.broker, DropReason::Loss);
                } else {
                    self.on_broker(rec, msg, publisher, sent);
                }
            }
            Action::Acked {
                msg,
                publisher,
                sent,
                lost,
            } => {
                if lost {
                    rec.drop(self.now, msg, publisher, DropReason::Loss);
                } else {
                    rec.emit(
                        self.now,
                        What::Delivered {
                            msg,
                            node: publisher,
                        },
                    );
                    rec.emit(
                        self.now,
                        What::Leg {
                            req: 0,
                            node: publisher,
                            latency: self.now - sent,
                        },
                    );
                }
            }
            Action::AtSubscriber {
                msg,
                req,
                s,
                lost,
                sent,
            } => {
                if lost {
                    let node = self.subscribers[s as usize].node;
                    rec.drop(self.now, msg, node, DropReason::Loss);
                    self.lose(rec, req, node);
                } else {
                    self.on_subscriber(rec, msg, req, s, sent);
                }
            }
            Action::Handled { msg, req, s, trip } => self.on_handled(rec, msg, req, s, trip),
        }
        true
    }

    fn set_param(
        &mut self,
        id: &str,
        value: f64,
        now: Time,
        _rec: &mut Recorder,
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
            "slow_factor" => self.slow_factor = value,
            "slow_policy" => {
                self.drop_oldest = value == 0.0;
                self.set_buffers();
            }
            "buffer" => self.set_buffers(),
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(&self.params)
            }
            "net_ms" | "jitter_ms" | "loss" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len()
            + self.published.len()
            + self.subscribers.iter().map(Station::queued).sum::<usize>()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::AtBroker { .. } | Action::Acked { .. } | Action::AtSubscriber { .. }
                )
            })
            .count() as u64;
        Audit {
            in_flight,
            queued: self.subscribers.iter().map(|s| s.queued() as u64).sum(),
            in_service: self.subscribers.iter().map(|s| s.busy() as u64).sum(),
            pending: self.published.values().map(|&(_, left)| left as u64).sum(),
        }
    }
}
