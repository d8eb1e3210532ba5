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

use crate::dist::backoff;
use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{DropReason, FailReason, MsgKind, ReqId, What};
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, Topology};
use crate::trip::Trip;

pub const ID: &str = "request-response";

/// Timeouts, retries and the work nobody waited for.
/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::count("timed_out", "timed-out attempts", t.timed_out),
        Figure::count("retries", "retries", t.retries),
        Figure::count("wasted_work", "wasted work", t.wasted),
    ]
}

/// The client's timers and the service's job ends.
#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// A worker finishes an attempt.
    Done(Visit<Attempt>),
    /// The client's timer for one attempt fires.
    Timeout { req: ReqId, attempt: u32 },
    /// The back-off is over: send the next attempt.
    Resend { req: ReqId },
}

/// One attempt of a request, as the service holds it.
#[derive(Clone, Copy, Debug)]
pub struct Attempt {
    req: ReqId,
    attempt: u32,
    client: NodeId,
    /// When it left the client: its hop up belongs to the wait.
    sent: Time,
}

/// What a request, response or 503 carries: the attempt it belongs to and,
/// on a response, where the attempt's time went (its hop up, its arrival
/// and start at the service; it left when the response was sent).
#[derive(Clone, Copy, Debug, Default)]
pub struct Leg {
    attempt: u32,
    hop_in: Time,
    arrived: Time,
    started: Time,
}

/// A request its client is still waiting on.
#[derive(Clone)]
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

/// The client's patience, as the hot path uses it.
#[derive(Clone, Copy)]
struct Patience {
    timeout: Time,
    retries: u32,
    backoff: Time,
}

impl Patience {
    fn from(p: &ParamSet) -> Self {
        Patience {
            timeout: time::from_ms(p.get("timeout_ms")),
            retries: p.get("retries") as u32,
            backoff: time::from_ms(p.get("backoff_ms")),
        }
    }
}

#[derive(Clone)]
pub struct RequestResponse {
    patience: Patience,
    clients: u16,
    pending: HashMap<ReqId, Request>,
    service: Endpoint<Attempt, Timer>,
}

type Cxr<'a> = Cx<'a, RequestResponse>;

// Link 2i goes up from client i, link 2i+1 comes back down to it.
fn up_link(client: NodeId) -> LinkId {
    client * 2
}

fn down_link(client: NodeId) -> LinkId {
    client * 2 + 1
}

impl RequestResponse {
    /// Sends attempt `attempt` of `req` and arms its timeout.
    fn send_attempt(&mut self, cx: &mut Cxr, req: ReqId, client: NodeId, attempt: u32) {
        let kind = if attempt == 0 {
            MsgKind::Request
        } else {
            MsgKind::Retry
        };
        let leg = Leg {
            attempt,
            ..Leg::default()
        };
        cx.send(up_link(client), kind, req, leg);
        cx.after(self.patience.timeout, Timer::Timeout { req, attempt });
    }

    /// A request (first attempt or retry) reaches the service.
    fn on_request(&mut self, cx: &mut Cxr, m: Delivery<Leg>) {
        // The service time travels with the request; an abandoned request
        // keeps the draw it was given. A service that is down answers
        // nothing: the client times out.
        let service = self
            .pending
            .get(&m.req)
            .map_or(self.service.mean, |r| r.service);
        let job = Attempt {
            req: m.req,
            attempt: m.body.attempt,
            client: m.from,
            sent: m.sent,
        };
        if let Offer::Refused(a, DropReason::QueueFull) =
            self.service.offer(cx, m.msg, service, job)
        {
            let leg = Leg {
                attempt: a.attempt,
                ..Leg::default()
            };
            cx.send(down_link(a.client), MsgKind::Error, a.req, leg);
        }
    }

    fn on_done(&mut self, cx: &mut Cxr, v: Visit<Attempt>) {
        let a = v.job;
        self.service
            .done(cx, v.msg, !self.pending.contains_key(&a.req));
        let leg = Leg {
            attempt: a.attempt,
            hop_in: v.arrived - a.sent,
            arrived: v.arrived,
            started: v.started,
        };
        cx.send(down_link(a.client), MsgKind::Response, a.req, leg);
        self.service.next(cx);
    }

    /// A response or an error reaches its client.
    fn on_reply(&mut self, cx: &mut Cxr, m: Delivery<Leg>) {
        let (req, client) = (m.req, m.to);
        let Some(r) = self.pending.get(&req) else {
            return cx.drop(m.msg, client, DropReason::Late);
        };
        if m.kind == MsgKind::Response {
            let created = r.created;
            self.pending.remove(&req);
            cx.emit(What::Delivered {
                msg: m.msg,
                node: client,
            });
            let Leg {
                hop_in,
                arrived,
                started,
                ..
            } = m.body;
            let trip = Trip::served(hop_in, arrived, started, m.sent);
            cx.complete(&trip, req, client, created);
        } else if r.attempt == m.body.attempt && !r.backing_off {
            // A 503 for the attempt in progress: retry or give up.
            cx.emit(What::Delivered {
                msg: m.msg,
                node: client,
            });
            self.retry_or_fail(cx, req, FailReason::Rejected);
        } else {
            // A 503 for an attempt the client already gave up on.
            cx.drop(m.msg, client, DropReason::Late);
        }
    }

    fn on_timeout(&mut self, cx: &mut Cxr, req: ReqId, attempt: u32) {
        let Some(r) = self.pending.get(&req) else {
            return;
        };
        if r.attempt != attempt || r.backing_off {
            return;
        }
        let node = r.client;
        cx.emit(What::TimedOut { req, node, attempt });
        self.retry_or_fail(cx, req, FailReason::Timeout);
    }

    /// The attempt in progress failed: back off and retry, or fail the request.
    fn retry_or_fail(&mut self, cx: &mut Cxr, req: ReqId, reason: FailReason) {
        let Some(r) = self.pending.get_mut(&req) else {
            return;
        };
        if r.attempt < self.patience.retries {
            let delay = backoff(self.patience.backoff, r.attempt, &mut cx.rng.client);
            r.backing_off = true;
            cx.after(delay, Timer::Resend { req });
        } else {
            let node = r.client;
            self.pending.remove(&req);
            cx.emit(What::Failed { req, node, reason });
        }
    }

    fn on_resend(&mut self, cx: &mut Cxr, req: ReqId) {
        let Some(r) = self.pending.get_mut(&req) else {
            return;
        };
        r.attempt += 1;
        r.backing_off = false;
        let (client, attempt) = (r.client, r.attempt);
        self.send_attempt(cx, req, client, attempt);
    }
}

impl Model for RequestResponse {
    type Timer = Timer;
    type Msg = Leg;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let node = topo.clients_and_service(p, "client", "service");
        RequestResponse {
            patience: Patience::from(p),
            clients,
            pending: HashMap::with_capacity(1024),
            service: Endpoint::service(node, p, Timer::Done),
        }
    }

    fn start(&mut self, cx: &mut Cxr) {
        self.service.open(cx);
    }

    fn arrival(&mut self, cx: &mut Cxr) {
        use rand::Rng;
        let client = cx.rng.arrivals.random_range(0..self.clients);
        let service = self.service.draw(&mut cx.rng.service);
        let req = cx.workload.new_req();
        let request = Request {
            client,
            created: cx.now,
            service,
            attempt: 0,
            backing_off: false,
        };
        self.pending.insert(req, request);
        cx.emit(What::Offered { req, node: client });
        self.send_attempt(cx, req, client, 0);
    }

    fn deliver(&mut self, cx: &mut Cxr, m: Delivery<Leg>) {
        if m.to == self.service.node {
            self.on_request(cx, m);
        } else {
            self.on_reply(cx, m);
        }
    }

    fn timer(&mut self, cx: &mut Cxr, t: Timer) {
        match t {
            Timer::Done(v) => self.on_done(cx, v),
            Timer::Timeout { req, attempt } => self.on_timeout(cx, req, attempt),
            Timer::Resend { req } => self.on_resend(cx, req),
        }
    }

    fn set_param(&mut self, cx: &mut Cxr, id: &str, value: f64) {
        self.patience = Patience::from(cx.params);
        self.service.set_param(cx, id, value);
    }

    fn tally(&self) -> Tally {
        Endpoint::tally([&self.service], self.pending.len() as u64)
    }

    fn held(&self) -> usize {
        self.pending.len() + self.service.queued()
    }

    /// A timeout or back-off of a request already answered (or failed),
    /// or of an attempt the client has moved on from.
    fn stale(&self, t: &Timer) -> bool {
        match *t {
            Timer::Done(_) => false,
            Timer::Timeout { req, attempt } => self
                .pending
                .get(&req)
                .is_none_or(|r| r.attempt != attempt || r.backing_off),
            Timer::Resend { req } => !self.pending.contains_key(&req),
        }
    }
}
