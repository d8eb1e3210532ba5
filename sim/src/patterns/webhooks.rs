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

use crate::dist::backoff;
use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{FailReason, MsgKind, ReqId, What};
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "webhooks";

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, p: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    let idempotent = p.spec("idempotency").is_ok() && p.get_bool("idempotency");
    let duplicates = t.wasted as f64;
    vec![
        Figure::count("retries", "retries", t.sent_of(MsgKind::Retry)),
        Figure::new(
            "duplicate_side_effects",
            "duplicate side effects",
            if idempotent { 0.0 } else { duplicates },
            "",
        ),
        Figure::new(
            "duplicates_suppressed",
            "duplicates recognised",
            if idempotent { duplicates } else { 0.0 },
            "",
        ),
        Figure::count(
            "dead_lettered",
            "dead-lettered undelivered",
            t.failed_of(FailReason::DeadLetter),
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// A receiver handled a callback.
    Handled(Visit<Callback>),
    /// The provider's wait for attempt `attempt`'s ack is over.
    Timeout { req: ReqId, attempt: u32 },
    /// The back-off is over: deliver again.
    Resend { req: ReqId },
}

/// What travels: a callback (attempt) to receiver `r` for an event made
/// at `created`, or an ack.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    Callback { r: u16, created: Time },
    Ack,
}

/// A callback at its receiver.
#[derive(Clone, Copy, Debug)]
pub struct Callback {
    req: ReqId,
    r: u16,
    created: Time,
    /// When this attempt left the provider.
    sent: Time,
}

/// An event the provider has not seen acknowledged yet.
#[derive(Clone)]
struct Pending {
    receiver: NodeId,
    created: Time,
    attempt: u32,
    backing_off: bool,
}

#[derive(Clone)]
pub struct Webhooks {
    provider: NodeId,
    timeout: Time,
    retries: u32,
    backoff: Time,
    deliveries: HashMap<ReqId, Pending>,
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
    /// The receivers; the outage is theirs.
    receivers: Vec<Endpoint<Callback, Timer>>,
}

type Cxh<'a> = Cx<'a, Webhooks>;

impl Webhooks {
    fn send_attempt(&mut self, cx: &mut Cxh, req: ReqId) {
        let Some(d) = self.deliveries.get(&req) else {
            return;
        };
        let (r, created, attempt) = (d.receiver, d.created, d.attempt);
        let kind = if attempt == 0 {
            MsgKind::Callback
        } else {
            MsgKind::Retry
        };
        // Links 2r / 2r+1: provider ⇄ receiver r.
        cx.send(r * 2, kind, req, Call::Callback { r, created });
        *self.copies.entry(req).or_insert(0) += 1;
        cx.after(self.timeout, Timer::Timeout { req, attempt });
    }

    fn on_callback(&mut self, cx: &mut Cxh, m: Delivery<Call>, r: u16, created: Time) {
        let job = Callback {
            req: m.req,
            r,
            created,
            sent: m.sent,
        };
        if let Offer::Refused(..) = self.receivers[r as usize].offer_drawn(cx, m.msg, job) {
            self.copy_ended(m.req);
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

    fn on_handled(&mut self, cx: &mut Cxh, v: Visit<Callback>) {
        let Callback {
            req,
            r,
            created,
            sent,
        } = v.job;
        let first = self.handled.insert(req);
        let receiver = &mut self.receivers[r as usize];
        receiver.done(cx, v.msg, !first);
        let node = receiver.node;
        // A first handling after the provider gave up changes nothing for
        // the books: the event already failed as dead-lettered.
        if first && self.resolved.insert(req) {
            let trip = Trip::served(v.arrived - sent, v.arrived, v.started, cx.now);
            cx.complete(&trip, req, node, created);
        }
        cx.send(r * 2 + 1, MsgKind::Ack, req, Call::Ack);
        self.receivers[r as usize].next(cx);
        self.copy_ended(req);
    }

    fn on_ack(&mut self, cx: &mut Cxh, m: Delivery<Call>) {
        if self.deliveries.remove(&m.req).is_some() {
            cx.emit(What::Delivered {
                msg: m.msg,
                node: self.provider,
            });
            self.forget_if_done(m.req);
        } else {
            // An ack for an event already acked (a duplicate's) or dead-lettered.
            cx.drop(m.msg, self.provider, crate::event::DropReason::Late);
        }
    }

    fn on_timeout(&mut self, cx: &mut Cxh, req: ReqId, attempt: u32) {
        let Some(d) = self.deliveries.get_mut(&req) else {
            return;
        };
        if d.attempt != attempt || d.backing_off {
            return;
        }
        let provider = self.provider;
        cx.emit(What::TimedOut {
            req,
            node: provider,
            attempt,
        });
        if d.attempt < self.retries {
            let delay = backoff(self.backoff, d.attempt, &mut cx.rng.client);
            d.backing_off = true;
            cx.after(delay, Timer::Resend { req });
        } else {
            self.deliveries.remove(&req);
            if self.resolved.insert(req) {
                cx.emit(What::Failed {
                    req,
                    node: provider,
                    reason: FailReason::DeadLetter,
                });
            }
            self.forget_if_done(req);
        }
    }
}

impl Model for Webhooks {
    type Timer = Timer;
    type Msg = Call;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let n = p.get("clients") as u16;
        let (workers, queue_cap) = (p.get("workers") as u32, p.get("queue_cap") as usize);
        let provider = topo.add_node(NodeKind::Client, "provider".into(), 0, 0);
        let receivers = (0..n)
            .map(|r| {
                let name = format!("receiver {}", r + 1);
                let node = topo.add_node(NodeKind::Service, name, workers, queue_cap as u32);
                Endpoint::new(node, workers, queue_cap, p, Timer::Handled)
            })
            .collect::<Vec<_>>();
        for r in &receivers {
            topo.connect(provider, r.node, p);
            topo.connect(r.node, provider, p);
        }
        Webhooks {
            timeout: time::from_ms(p.get("timeout_ms")),
            retries: p.get("retries") as u32,
            backoff: time::from_ms(p.get("backoff_ms")),
            provider,
            receivers,
            deliveries: HashMap::with_capacity(1024),
            handled: HashSet::with_capacity(4096),
            resolved: HashSet::with_capacity(4096),
            copies: HashMap::with_capacity(4096),
        }
    }

    fn start(&mut self, cx: &mut Cxh) {
        for r in &self.receivers {
            r.open(cx);
        }
    }

    fn arrival(&mut self, cx: &mut Cxh) {
        let receiver = cx.rng.arrivals.random_range(0..self.receivers.len() as u16);
        let req = cx.workload.new_req();
        cx.emit(What::Offered {
            req,
            node: self.provider,
        });
        let pending = Pending {
            receiver,
            created: cx.now,
            attempt: 0,
            backing_off: false,
        };
        self.deliveries.insert(req, pending);
        self.send_attempt(cx, req);
    }

    fn deliver(&mut self, cx: &mut Cxh, m: Delivery<Call>) {
        match m.body {
            Call::Callback { r, created } => self.on_callback(cx, m, r, created),
            Call::Ack => self.on_ack(cx, m),
        }
    }

    fn lost(&mut self, _cx: &mut Cxh, m: Delivery<Call>) {
        if let Call::Callback { .. } = m.body {
            self.copy_ended(m.req);
        }
    }

    fn timer(&mut self, cx: &mut Cxh, t: Timer) {
        match t {
            Timer::Handled(v) => self.on_handled(cx, v),
            Timer::Timeout { req, attempt } => self.on_timeout(cx, req, attempt),
            Timer::Resend { req } => {
                if let Some(d) = self.deliveries.get_mut(&req) {
                    d.attempt += 1;
                    d.backing_off = false;
                    self.send_attempt(cx, req);
                }
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxh, id: &str, value: f64) {
        match id {
            "timeout_ms" => self.timeout = time::from_ms(value),
            "retries" => self.retries = value as u32,
            "backoff_ms" => self.backoff = time::from_ms(value),
            // Idempotency is read where it applies (the figures).
            _ => {
                for r in &mut self.receivers {
                    r.set_param(cx, id, value);
                }
            }
        }
    }

    fn tally(&self) -> Tally {
        let pending = self.deliveries.keys();
        Endpoint::tally(
            &self.receivers,
            pending.filter(|r| !self.resolved.contains(r)).count() as u64,
        )
    }

    fn held(&self) -> usize {
        self.deliveries.len()
            + self.handled.len()
            + self.resolved.len()
            + self.copies.len()
            + self.receivers.iter().map(Endpoint::queued).sum::<usize>()
    }
}
