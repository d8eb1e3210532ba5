//! One poll of the polling patterns, for real: a client asks the server
//! "anything new since my cursor?" over a real HTTP GET, across the link
//! both ways, and what the answer brings is home. Short and long polling
//! differ in when clients poll and how long the server holds a poll, not
//! in what one poll is.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand_chacha::ChaCha8Rng;
use sim::event::MsgKind;
use sim::time::Time;
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::updates::REQ_STRIDE;
use sim::{Event, ParamSet, What};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::arrivals;
use super::hop::{self, Leg};
use super::http::{self, num, stamp, Http};
use super::log::Log;
use super::news;
use super::Limits;

/// What an answer is (its `x-kind` header): news, nothing new, or a
/// refusal from a full queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    News = 0,
    Empty = 1,
    Refused = 2,
}

impl Answer {
    fn kind(code: u64) -> MsgKind {
        match code {
            0 => MsgKind::Response,
            1 => MsgKind::EmptyPoll,
            _ => MsgKind::Error,
        }
    }

    /// Writes the answer's headers: its message id, kind, the server's
    /// update count and when (run time) the poll arrived, was taken up and
    /// answered.
    pub fn stamp(self, out: &mut HeaderMap, msg: u64, upto: u64, trip: [Time; 3]) {
        stamp(out, "x-msg", msg);
        stamp(out, "x-kind", self as u64);
        stamp(out, "x-upto", upto);
        stamp(out, "x-arrived-ns", trip[0]);
        stamp(out, "x-started-ns", trip[1]);
        stamp(out, "x-left-ns", trip[2]);
    }
}

/// What the model did that a polling run replays.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// When each update was produced (update k at `updates[k]`).
    pub updates: Vec<Time>,
    /// Per client: when it sent each poll (a long-polling client's first
    /// sets its loop going; the rest follow its answers).
    pub polls: Vec<Vec<Time>>,
}

/// Reads the schedule off the model's events.
pub fn schedule(p: &ParamSet, model: &[Event]) -> Schedule {
    let mut s = Schedule {
        updates: Vec::new(),
        polls: vec![Vec::new(); p.get("clients") as usize],
    };
    for e in model {
        match e.what {
            What::Offered { req, .. } if req % REQ_STRIDE == 0 => s.updates.push(e.at),
            What::Sent {
                kind: MsgKind::Poll,
                link,
                ..
            } => s.polls[link as usize / 2].push(e.at),
            _ => {}
        }
    }
    s
}

/// A poll's message id and cursor, as the server reads them.
pub fn asked(h: &HeaderMap) -> Option<(u64, u64)> {
    Some((num(h, "x-msg")?, num(h, "x-cursor")?))
}

/// The clients of a polling pattern.
pub struct Pollers {
    pub link: Link,
    pub url: String,
    pub http: Http,
    /// The run's socket budget: a poll holds one from send to answer.
    pub sockets: Semaphore,
    pub updates: Arc<Vec<Time>>,
    /// What each client has: how many updates.
    pub seen: Vec<Mutex<u64>>,
    pub log: Arc<Log>,
    pub server: NodeId,
}

impl Pollers {
    /// The clients `0..server` of a run of `p`, polling `url`.
    pub fn new(
        p: &ParamSet,
        url: String,
        limits: &Limits,
        log: &Arc<Log>,
        updates: Arc<Vec<Time>>,
        server: NodeId,
    ) -> Pollers {
        Pollers {
            link: arrivals::link(p),
            url,
            http: http::client(limits, log),
            sockets: Semaphore::new(limits.sockets),
            updates,
            seen: (0..server).map(|_| Mutex::new(0)).collect(),
            log: log.clone(),
            server,
        }
    }

    /// One poll from `client`, from its send to its answer (or its loss);
    /// whether an answer reached the client.
    pub async fn poll(&self, client: NodeId, mut rng: ChaCha8Rng) -> bool {
        let log = &self.log;
        let Ok(socket) = self.sockets.acquire().await else {
            return false;
        };
        let cursor = *self.seen[client as usize].lock().expect("never poisoned");
        let up = self.link.transit(&mut rng);
        let down = self.link.transit(&mut rng);
        let leg = Leg {
            msg: log.msg(),
            req: cursor,
            kind: MsgKind::Poll,
            link: client * 2,
            to: self.server,
        };
        if !hop::cross(log, leg, Instant::now(), up).await {
            return false;
        }
        let request = hyper::Request::get(&self.url)
            .header("x-msg", leg.msg)
            .header("x-cursor", cursor)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Ok(response) = self.http.request(request).await else {
            return false;
        };
        let h = response.headers();
        // A server that is down answers nothing the pattern counts.
        let (Some(reply), Some(kind), Some(upto), Some(left)) = (
            num(h, "x-msg"),
            num(h, "x-kind"),
            num(h, "x-upto"),
            num(h, "x-left-ns"),
        ) else {
            return false;
        };
        let arrived = num(h, "x-arrived-ns").unwrap_or(left);
        let started = num(h, "x-started-ns").unwrap_or(left);
        let _ = response.into_body().collect().await;
        drop(socket);
        let leg = Leg {
            msg: reply,
            req: upto,
            kind: Answer::kind(kind),
            link: client * 2 + 1,
            to: client,
        };
        if !hop::cross(log, leg, log.instant(left), down).await {
            return false;
        }
        let now = Instant::now();
        log.emit_at(
            now,
            What::Delivered {
                msg: reply,
                node: client,
            },
        );
        // Everything up to `upto` it lacked is now home: each update's wait
        // is its staleness.
        let trip = Trip::served(0, arrived, started, left);
        let seen = &self.seen[client as usize];
        news::bring_home(log, &self.updates, seen, client, upto, trip, now);
        true
    }
}
