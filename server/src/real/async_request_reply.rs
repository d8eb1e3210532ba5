//! `async-request-reply` for real: clients POST a job to an axum service
//! on 127.0.0.1, which answers `202 Accepted` at once and runs the job
//! later through its `workers` (its waiting room of `queue_cap` is the job
//! store); each client then GETs the job's status every `poll_ms` until
//! the result comes back.
//!
//! What is real: the sockets and HTTP framing, the `202` sent before the
//! work is taken up, the job queue and its timers, the status lookups
//! answered at once, the clients' submit timeouts and poll timers. What is
//! the model's: the arrival times, clients and each job's service time
//! (replayed from the model's run of the same recipe), the link's delay
//! and loss law, the outage and slowdown.
//!
//! The jobs' book is shared by the service and its clients, as the
//! model's is: the service knows a job whose client has given up on its
//! submit (it drops the late submit; work on it is wasted), and a status
//! poll for a job whose result is home is not answered. A real service
//! would learn that only from an expiry.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, FailReason, MsgKind, ReqId};
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::{Event, ParamSet, What};
use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

use super::arrivals::{self, Arrival};
use super::clock;
use super::hop::{self, Leg};
use super::http::{self, num, stamp, Http};
use super::log::Log;
use super::station::{Door, Station};
use super::Limits;

/// The path jobs are submitted on; a job's status is at `{PATH}/{req}`.
pub const PATH: &str = "/real/jobs";

/// A job between its submit and its result at the client.
struct Job {
    /// Wakes the client's job loop when the `202` is home; gone once it
    /// has (or the client gave up).
    accepted: Option<oneshot::Sender<()>>,
    /// When the job reached the service, was taken up and finished, once
    /// it is done.
    done: Option<[Time; 3]>,
}

/// The jobs' book.
type Jobs = Arc<Mutex<HashMap<ReqId, Job>>>;

fn book(jobs: &Jobs) -> std::sync::MutexGuard<'_, HashMap<ReqId, Job>> {
    jobs.lock().expect("never poisoned")
}

/// The service's side of the run.
struct Service {
    station: Station,
    log: Arc<Log>,
    jobs: Jobs,
}

/// A submit: `202` with the acceptance's message id at once and the job
/// queued or started; `503` with an error's id when the store is full;
/// nothing from a service that is down (the submit times out).
async fn submit(State(s): State<Arc<Service>>, headers: HeaderMap) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let (Some(msg), Some(req), Some(service)) = (
        num(&headers, "x-msg"),
        num(&headers, "x-req"),
        num(&headers, "x-service-ns"),
    ) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    let (log, node) = (&s.log, s.station.node);
    let mut out = HeaderMap::new();
    if !s.station.down(arrived) && !book(&s.jobs).contains_key(&req) {
        // The client gave up on this submit already: nobody will poll.
        let reason = DropReason::Late;
        log.emit_at(arrived, What::Dropped { msg, node, reason });
        return (StatusCode::GONE, out);
    }
    // The job lives on after the answer, on a task of its own; the door
    // it met is told back at once, before it waits for a worker.
    let (tell, told) = oneshot::channel();
    let own = s.clone();
    tokio::spawn(async move {
        let s = own;
        let station = &s.station;
        let (permit, started) = match station.arrive(msg, arrived) {
            Door::Working { permit, started } => {
                let _ = tell.send(StatusCode::ACCEPTED);
                (permit, started)
            }
            Door::Queued => {
                let _ = tell.send(StatusCode::ACCEPTED);
                station.take_up(msg).await
            }
            Door::Full => {
                let _ = tell.send(StatusCode::SERVICE_UNAVAILABLE);
                return;
            }
            // No answer from a service that is down: the submit times out.
            Door::Down => return,
        };
        let wasted = || !book(&s.jobs).contains_key(&req);
        let left = station.work(msg, permit, started, service, wasted).await;
        let trip = [s.log.time(arrived), s.log.time(started), s.log.time(left)];
        if let Some(job) = book(&s.jobs).get_mut(&req) {
            job.done = Some(trip);
        };
    });
    let Ok(status) = told.await else {
        return (StatusCode::SERVICE_UNAVAILABLE, out);
    };
    // A 202 accepting the job, or a 503 refusing it: both are answers.
    stamp(&mut out, "x-msg", log.msg());
    stamp(&mut out, "x-left-ns", log.time(arrived));
    (status, out)
}

/// A status poll: answered at once, the result with its times when the
/// job is done, "still running" when not; nothing from a service that is
/// down, or for a job whose result is home.
async fn status(
    State(s): State<Arc<Service>>,
    Path(req): Path<ReqId>,
    headers: HeaderMap,
) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let Some(msg) = num(&headers, "x-msg") else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    let (log, node) = (&s.log, s.station.node);
    if s.station.down(arrived) {
        let reason = DropReason::ServiceDown;
        log.emit_at(arrived, What::Dropped { msg, node, reason });
        return (StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new());
    }
    log.emit_at(arrived, What::Delivered { msg, node });
    let Some(done) = book(&s.jobs).get(&req).map(|j| j.done) else {
        return (StatusCode::NOT_FOUND, HeaderMap::new());
    };
    let mut out = HeaderMap::new();
    stamp(&mut out, "x-msg", log.msg());
    stamp(&mut out, "x-left-ns", log.time(arrived));
    if let Some(trip) = done {
        for (name, t) in ["x-arrived-ns", "x-started-ns", "x-finished-ns"]
            .into_iter()
            .zip(trip)
        {
            stamp(&mut out, name, t);
        }
    }
    (StatusCode::OK, out)
}

/// The clients' side.
struct Clients {
    link: Link,
    poll: Duration,
    timeout: Duration,
    url: String,
    http: Http,
    sockets: Semaphore,
    seed: u64,
    log: Arc<Log>,
    jobs: Jobs,
    service: NodeId,
}

/// What came back to a client: the answer's id, when it left, its kind,
/// and the job's times if it is the result.
struct Answer {
    msg: u64,
    left: Time,
    kind: MsgKind,
    done: Option<[Time; 3]>,
}

impl Clients {
    /// One exchange with the service: the hop up, the HTTP exchange, the
    /// hop down; what reached the client, if anything did.
    async fn exchange(
        &self,
        client: NodeId,
        leg: Leg,
        request: hyper::Request<Empty<Bytes>>,
        rng: &mut ChaCha8Rng,
    ) -> Option<Answer> {
        let log = &self.log;
        let _socket = self.sockets.acquire().await.ok()?;
        let up = self.link.transit(rng);
        let down = self.link.transit(rng);
        if !hop::cross(log, leg, Instant::now(), up).await {
            return None;
        }
        let response = self.http.request(request).await.ok()?;
        let code = response.status();
        let h = response.headers();
        let (msg, left) = (num(h, "x-msg")?, num(h, "x-left-ns")?);
        let done = match (num(h, "x-arrived-ns"), num(h, "x-started-ns")) {
            (Some(a), Some(s)) => Some([a, s, num(h, "x-finished-ns").unwrap_or(s)]),
            _ => None,
        };
        let kind = match (code, done) {
            (StatusCode::ACCEPTED, _) => MsgKind::Accepted,
            (StatusCode::OK, Some(_)) => MsgKind::Response,
            (StatusCode::OK, None) => MsgKind::EmptyPoll,
            _ => MsgKind::Error,
        };
        response.into_body().collect().await.ok()?;
        let leg = Leg {
            msg,
            req: leg.req,
            kind,
            link: client * 2 + 1,
            to: client,
        };
        if !hop::cross(log, leg, log.instant(left), down).await {
            return None;
        }
        Some(Answer {
            msg,
            left,
            kind,
            done,
        })
    }

    /// Submits job `a`; its `202` (or `503`) as it reaches the client.
    async fn submit(self: Arc<Self>, a: Arrival, mut rng: ChaCha8Rng) {
        let log = &self.log;
        let leg = Leg {
            msg: log.msg(),
            req: a.req,
            kind: MsgKind::Request,
            link: a.client * 2,
            to: self.service,
        };
        let request = hyper::Request::post(&self.url)
            .header("x-msg", leg.msg)
            .header("x-req", a.req)
            .header("x-service-ns", a.service)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Some(answer) = self.exchange(a.client, leg, request, &mut rng).await else {
            return;
        };
        let now = Instant::now();
        let mut jobs = book(&self.jobs);
        let Some(job) = jobs.get_mut(&a.req).filter(|j| j.accepted.is_some()) else {
            let (msg, node) = (answer.msg, a.client);
            let reason = DropReason::Late;
            log.emit_at(now, What::Dropped { msg, node, reason });
            return;
        };
        let (msg, node) = (answer.msg, a.client);
        log.emit_at(now, What::Delivered { msg, node });
        if answer.kind == MsgKind::Accepted {
            let latency = log.time(now).saturating_sub(a.at);
            log.emit_at(
                now,
                What::Leg {
                    req: a.req,
                    node,
                    latency,
                },
            );
            if let Some(accepted) = job.accepted.take() {
                let _ = accepted.send(());
            }
        }
    }

    /// One status poll of job `a`; the result completes it.
    async fn poll(self: Arc<Self>, a: Arrival, mut rng: ChaCha8Rng) {
        let log = &self.log;
        let leg = Leg {
            msg: log.msg(),
            req: a.req,
            kind: MsgKind::Poll,
            link: a.client * 2,
            to: self.service,
        };
        let request = hyper::Request::get(format!("{}/{}", self.url, a.req))
            .header("x-msg", leg.msg)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Some(answer) = self.exchange(a.client, leg, request, &mut rng).await else {
            return;
        };
        let now = Instant::now();
        let (msg, node) = (answer.msg, a.client);
        let mut jobs = book(&self.jobs);
        if !jobs.contains_key(&a.req) {
            let reason = DropReason::Late;
            log.emit_at(now, What::Dropped { msg, node, reason });
            return;
        }
        log.emit_at(now, What::Delivered { msg, node });
        if let Some([arrived, started, finished]) = answer.done {
            jobs.remove(&a.req);
            // Waiting for the next poll to come by is the rest of the wait.
            let t = log.time(now);
            let parts = [
                arrived.saturating_sub(a.at) + t.saturating_sub(answer.left),
                started.saturating_sub(arrived),
                finished.saturating_sub(started),
            ];
            log.complete_with(now, a.req, node, a.at, parts);
        }
    }

    /// Job `a` from its submit to its result: the `202` within the
    /// timeout, then a poll every `poll_ms` until the result is home.
    async fn job(self: Arc<Self>, a: Arrival) {
        let log = &self.log;
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ a.req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (tx, accepted) = oneshot::channel();
        let job = Job {
            accepted: Some(tx),
            done: None,
        };
        book(&self.jobs).insert(a.req, job);
        let link_rng = ChaCha8Rng::seed_from_u64(rng.random());
        tokio::spawn(self.clone().submit(a, link_rng));
        let deadline = log.instant(a.at) + self.timeout;
        if tokio::time::timeout_at(deadline, accepted).await.is_err() {
            let gave_up = book(&self.jobs).remove(&a.req).is_some();
            if gave_up {
                let (req, node) = (a.req, a.client);
                log.emit(What::TimedOut {
                    req,
                    node,
                    attempt: 0,
                });
                let reason = FailReason::Timeout;
                log.emit(What::Failed { req, node, reason });
            }
            return;
        }
        // Polls on a fixed schedule from the 202: a lost one is healed by
        // the next.
        let mut next = Instant::now() + self.poll;
        loop {
            clock::until(next).await;
            if !book(&self.jobs).contains_key(&a.req) {
                return;
            }
            let link_rng = ChaCha8Rng::seed_from_u64(rng.random());
            tokio::spawn(self.clone().poll(a, link_rng));
            next += self.poll;
        }
    }
}

/// Runs the model's jobs for real until `horizon`; what has not ended by
/// then is left pending, as in the model.
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
    let jobs = Jobs::default();
    let service = Arc::new(Service {
        station: Station::new(node, p, log.clone()),
        log: log.clone(),
        jobs: jobs.clone(),
    });
    let app = Router::new()
        .route(PATH, post(submit))
        .route(&format!("{PATH}/{{req}}"), get(status))
        .with_state(service);
    let serving = http::serve(app).await?;
    let ms = |id| Duration::from_nanos(vt::from_ms(p.get(id)));
    let clients = Arc::new(Clients {
        link: arrivals::link(p),
        poll: ms("poll_ms"),
        timeout: ms("timeout_ms"),
        url: serving.url(PATH),
        http: http::client(limits, log),
        sockets: Semaphore::new(limits.sockets),
        seed,
        log: log.clone(),
        jobs,
        service: node,
    });
    let mut tasks = tokio::task::JoinSet::new();
    let sending = arrivals::offer_each(log, stop, arrivals::schedule(p, seed, model), |a| {
        tasks.spawn(clients.clone().job(a));
    });
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, sending).await;
    tasks.shutdown().await;
    serving.stop().await;
    ended
}
