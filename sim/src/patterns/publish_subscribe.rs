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

use crate::engine::{Cx, Delivery, Endpoint, Model, Tally, Visit};
use crate::event::{DropReason, FailReason, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "publish-subscribe";

/// Request ids are `event × REQ_STRIDE + subscriber`.
const REQ_STRIDE: u64 = 64;

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::ms("publisher_wait_ms", "publisher wait (mean)", s.legs.mean),
        Figure::count("fanout_deliveries", "copies handled", t.completed),
        Figure::count(
            "dropped_overflow",
            "dropped by full buffers",
            t.dropped[crate::metrics::drop_index(DropReason::Overflow)],
        ),
        Figure::new(
            "max_backlog",
            "longest subscriber backlog",
            s.max_node_queue as f64,
            "events",
        ),
        Figure::count("lost", "copies lost", t.failed_of(FailReason::Lost)),
    ]
}

/// What travels: a publish, the broker's ack, a subscriber's copy.
#[derive(Clone, Copy, Debug)]
pub enum Post {
    Publish,
    /// Acknowledges a publish sent at `published`.
    Ack {
        published: Time,
    },
    /// The copy for subscriber `s`.
    Copy {
        s: u16,
    },
}

/// A copy at its subscriber: which event-and-subscriber pair, and when the
/// broker sent it.
#[derive(Clone, Copy, Debug)]
pub struct Copy {
    req: ReqId,
    s: u16,
    sent: Time,
}

#[derive(Clone)]
pub struct PublishSubscribe {
    broker: NodeId,
    publishers: u16,
    slow_factor: f64,
    drop_oldest: bool,
    subscribers: Vec<Endpoint<Copy, Visit<Copy>>>,
    /// When each event was accepted by the broker, until every copy is settled.
    published: HashMap<u64, (Time, u16)>,
    events: u64,
    /// The broker's outage window.
    faults: ServiceFaults,
}

type Cxp<'a> = Cx<'a, PublishSubscribe>;

impl PublishSubscribe {
    /// The subscribers' own limit: the buffer for drop-oldest (the pattern
    /// makes room); for block, the session's queue limit, past which even a
    /// blocking subscriber drops its oldest event as `overflow`.
    fn cap(buffer: usize, drop_oldest: bool) -> usize {
        if drop_oldest {
            buffer
        } else {
            crate::budget::QUEUE_LIMIT
        }
    }

    /// The broker accepts an event: every subscriber now wants a copy.
    fn on_broker(&mut self, cx: &mut Cxp, m: Delivery<Post>) {
        if self.faults.down(cx.now) {
            // A broker that is down accepts nothing: the event is never published.
            return cx.drop(m.msg, self.broker, DropReason::ServiceDown);
        }
        cx.emit(What::Delivered {
            msg: m.msg,
            node: self.broker,
        });
        let k = self.events;
        self.events += 1;
        let n = self.subscribers.len() as u16;
        self.published.insert(k, (cx.now, n));
        for s in 0..n {
            let req = k * REQ_STRIDE + s as u64;
            cx.emit(What::Offered {
                req,
                node: self.broker,
            });
        }
        let ack = Post::Ack { published: m.sent };
        cx.send(m.from * 2 + 1, MsgKind::Ack, k, ack);
        for s in 0..n {
            let req = k * REQ_STRIDE + s as u64;
            cx.send(
                2 * self.publishers + s,
                MsgKind::Event,
                req,
                Post::Copy { s },
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

    fn lose(&mut self, cx: &mut Cxp, req: ReqId, node: NodeId) {
        self.settle(req);
        cx.emit(What::Failed {
            req,
            node,
            reason: FailReason::Lost,
        });
    }

    fn on_copy(&mut self, cx: &mut Cxp, m: Delivery<Post>, s: u16) {
        let n = self.subscribers.len();
        let sub = &mut self.subscribers[s as usize];
        let node = sub.node;
        let base = sub.draw(&mut cx.rng.service);
        let service = if s as usize + 1 == n && n > 1 {
            time::from_ns((base as f64 * self.slow_factor).floor())
        } else {
            base
        };
        // A full buffer under drop-oldest: make room by dropping the oldest
        // waiting copy.
        while self.subscribers[s as usize].full() {
            let Some(old) = self.subscribers[s as usize].evict_oldest() else {
                break;
            };
            cx.drop(old.msg, node, DropReason::Overflow);
            self.lose(cx, old.job.req, node);
        }
        let copy = Copy {
            req: m.req,
            s,
            sent: m.sent,
        };
        if let crate::engine::Offer::Refused(copy, _) =
            self.subscribers[s as usize].admit(cx, m.msg, service, copy)
        {
            // Nothing waiting to drop: the newcomer has no room.
            self.lose(cx, copy.req, node);
        }
    }

    fn on_handled(&mut self, cx: &mut Cxp, v: Visit<Copy>) {
        let Copy { req, s, sent } = v.job;
        let sub = &mut self.subscribers[s as usize];
        sub.done(cx, v.msg, false);
        let node = sub.node;
        if let Some(at) = self.settle(req) {
            let trip = Trip::served(v.arrived - sent, v.arrived, v.started, cx.now);
            cx.complete(&trip, req, node, at);
        }
        self.subscribers[s as usize].next(cx);
    }

    fn set_buffers(&mut self, cx: &mut Cxp) {
        let buffer = cx.get("buffer");
        let cap = Self::cap(buffer as usize, self.drop_oldest);
        for sub in &mut self.subscribers {
            sub.set_queue_cap(cap);
            cx.topo.nodes[sub.node as usize].queue_cap = buffer as u32;
        }
    }
}

impl Model for PublishSubscribe {
    /// A subscriber handled a copy.
    type Timer = Visit<Copy>;
    type Msg = Post;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let publishers = p.get("clients") as u16;
        let n = p.get("subscribers") as u16;
        let buffer = p.get("buffer") as usize;
        let drop_oldest = p.get("slow_policy") == 0.0;
        let parties = topo.add_parties(NodeKind::Client, "publisher", publishers);
        let broker = topo.add_node(NodeKind::Broker, "broker".into(), 0, 0);
        let subscribers = (0..n)
            .map(|s| {
                let label = if s + 1 == n && n > 1 {
                    format!("subscriber {} (slow)", s + 1)
                } else {
                    format!("subscriber {}", s + 1)
                };
                let node = topo.add_node(NodeKind::Subscriber, label, 1, buffer as u32);
                Endpoint::new(node, 1, Self::cap(buffer, drop_oldest), p, |v| v).steady()
            })
            .collect::<Vec<_>>();
        topo.connect_all(parties, broker, p);
        for s in &subscribers {
            topo.connect(broker, s.node, p);
        }
        PublishSubscribe {
            faults: ServiceFaults::from_params(p),
            slow_factor: p.get("slow_factor"),
            drop_oldest,
            broker,
            publishers,
            subscribers,
            published: HashMap::with_capacity(1024),
            events: 0,
        }
    }

    fn start(&mut self, cx: &mut Cxp) {
        for sub in &self.subscribers {
            sub.open(cx);
        }
    }

    fn arrival(&mut self, cx: &mut Cxp) {
        let publisher = cx.rng.arrivals.random_range(0..self.publishers);
        cx.send(publisher * 2, MsgKind::Request, self.events, Post::Publish);
    }

    fn deliver(&mut self, cx: &mut Cxp, m: Delivery<Post>) {
        match m.body {
            Post::Publish => self.on_broker(cx, m),
            Post::Ack { published } => {
                let node = m.to;
                cx.emit(What::Delivered { msg: m.msg, node });
                let latency = cx.now - published;
                cx.emit(What::Leg {
                    req: 0,
                    node,
                    latency,
                });
            }
            Post::Copy { s } => self.on_copy(cx, m, s),
        }
    }

    fn lost(&mut self, cx: &mut Cxp, m: Delivery<Post>) {
        if let Post::Copy { .. } = m.body {
            self.lose(cx, m.req, m.to);
        }
    }

    fn timer(&mut self, cx: &mut Cxp, v: Visit<Copy>) {
        self.on_handled(cx, v);
    }

    fn set_param(&mut self, cx: &mut Cxp, id: &str, value: f64) {
        match id {
            "slow_factor" => self.slow_factor = value,
            "slow_policy" => {
                self.drop_oldest = value == 0.0;
                self.set_buffers(cx);
            }
            "buffer" => self.set_buffers(cx),
            id if ServiceFaults::reads(id) => self.faults = ServiceFaults::from_params(cx.params),
            _ => {
                for sub in &mut self.subscribers {
                    sub.set_param(cx, id, value);
                }
            }
        }
    }

    fn tally(&self) -> Tally {
        Endpoint::tally(
            &self.subscribers,
            self.published.values().map(|&(_, left)| left as u64).sum(),
        )
    }

    fn held(&self) -> usize {
        self.published.len() + self.subscribers.iter().map(Endpoint::queued).sum::<usize>()
    }
}
