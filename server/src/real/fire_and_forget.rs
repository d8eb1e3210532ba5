//! `fire-and-forget` for real: senders POST each message to an axum
//! receiver on 127.0.0.1 and carry on; the receiver answers `202 Accepted`
//! at once and works on the message later, with `workers` workers and a
//! waiting room of `queue_cap`.
//!
//! What is real: the sockets and HTTP framing, the receiver's queue and
//! timers, a message refused by a full queue or a receiver that is down
//! (its `503` unread by a sender that never looks). What is the model's:
//! the arrival times, senders and service times (replayed from the model's
//! run of the same recipe) and the link's delay and loss law. The `202`
//! is HTTP's acknowledgement of the bytes, not a message of the pattern: a
//! fire-and-forget sender does not read it, and it is not counted.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{FailReason, MsgKind};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::arrivals::{self, Arrival};
use super::hop::{self, Leg};
use super::http::{self, num, Http};
use super::log::Log;
use super::station::{Entry, Station};
use super::Limits;

/// The path the receiver takes messages on.
pub const PATH: &str = "/real/fire-and-forget";

/// The receiver: takes the message, answers 202 straight away, works on
/// it when a worker is free; the message is done when worked on.
async fn receive(State(s): State<Arc<Receiver>>, headers: HeaderMap) -> StatusCode {
    let arrived = Instant::now();
    let (Some(msg), Some(req), Some(service), Some(created)) = (
        num(&headers, "x-msg"),
        num(&headers, "x-req"),
        num(&headers, "x-service-ns"),
        num(&headers, "x-created-ns"),
    ) else {
        return StatusCode::BAD_REQUEST;
    };
    let r = s;
    tokio::spawn(async move {
        let (permit, started) = match r.station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full | Entry::Down => {
                r.log.emit_at(
                    arrived,
                    What::Failed {
                        req,
                        node: r.station.node,
                        reason: FailReason::Lost,
                    },
                );
                return;
            }
        };
        let left = r
            .station
            .work(msg, permit, started, service, || false)
            .await;
        let log = &r.log;
        let (arrived, started, t) = (log.time(arrived), log.time(started), log.time(left));
        let trip = Trip::served(arrived.saturating_sub(created), arrived, started, t);
        log.complete(left, req, r.station.node, created, trip);
    });
    StatusCode::ACCEPTED
}

/// The receiver's side of the run.
struct Receiver {
    station: Station,
    log: Arc<Log>,
}

/// The senders' side.
struct Senders {
    link: Link,
    url: String,
    http: Http,
    sockets: Semaphore,
    seed: u64,
    log: Arc<Log>,
    receiver: NodeId,
}

impl Senders {
    /// Sends one message and forgets it: the link may lose it; the answer
    /// is read off the socket (to free it) and ignored.
    async fn send(self: Arc<Self>, a: Arrival) {
        let log = &self.log;
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ a.req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let Ok(_socket) = self.sockets.acquire().await else {
            return;
        };
        let leg = Leg {
            msg: log.msg(),
            req: a.req,
            kind: MsgKind::Request,
            link: a.client,
            to: self.receiver,
        };
        let up = self.link.transit(&mut rng);
        if !hop::cross(log, leg, Instant::now(), up).await {
            log.emit(What::Failed {
                req: a.req,
                node: self.receiver,
                reason: FailReason::Lost,
            });
            return;
        }
        let request = hyper::Request::post(&self.url)
            .header("x-msg", leg.msg)
            .header("x-req", a.req)
            .header("x-service-ns", a.service)
            .header("x-created-ns", a.at)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        if let Ok(response) = self.http.request(request).await {
            let _ = response.into_body().collect().await;
        }
    }
}

/// Runs the model's schedule for real until `horizon`.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
) -> Result<(), String> {
    let node = p.get("clients") as NodeId;
    let receiver = Arc::new(Receiver {
        station: Station::new(node, p, log.clone()),
        log: log.clone(),
    });
    let app = Router::new()
        .route(PATH, post(receive))
        .with_state(receiver);
    let serving = http::serve(app).await?;
    let senders = Arc::new(Senders {
        link: arrivals::link(p),
        url: serving.url(PATH),
        http: http::client(limits, log),
        sockets: Semaphore::new(limits.sockets),
        seed,
        log: log.clone(),
        receiver: node,
    });
    let mut tasks = tokio::task::JoinSet::new();
    let schedule = arrivals::schedule(p, seed, model);
    let sending = arrivals::offer_each(log, stop, schedule, |a| {
        tasks.spawn(senders.clone().send(a));
    });
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, sending).await;
    tasks.shutdown().await;
    serving.stop().await;
    ended
}
