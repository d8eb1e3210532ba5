//! `request-response` for real: an axum service on 127.0.0.1 with
//! `workers` permits and a waiting room of `queue_cap`, and hyper clients
//! sending each request at the moment the model offered it.
//!
//! What is real: the sockets, HTTP/1.1 framing, the service's queue
//! (tokio's fair semaphore: first come, first served), its timers, the
//! clients' timeouts and retries. What is the model's: the arrival times
//! and which client sends (replayed from the model's run of the same
//! recipe), the laws the service times, link delays and losses are drawn
//! from (the engine's `Link` and `ServiceDist`), the outage window and
//! slowdown. A loss is an application-level drop, as in the model: the
//! message is never sent (up) or is read and thrown away (down) — real TCP
//! would instead resend it after a retransmission timeout (≥ 200 ms on
//! Linux), invisible to the application but for the delay.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::dist::backoff;
use sim::event::{DropReason, FailReason, MsgId, MsgKind, ReqId};
use sim::time::{self as vt};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

use super::arrivals::{self, Arrival};
use super::clock;
use super::hop::{self, Leg};
use super::http::{self, num, Http};
use super::log::Log;
use super::station::{Entry, Station};
use super::Limits;

/// The path the service answers on.
pub const PATH: &str = "/real/request-response";

/// What the clients read from the run's parameters.
#[derive(Clone)]
struct Settings {
    timeout: Duration,
    retries: u32,
    backoff: vt::Time,
    link: Link,
    /// The service's node: clients are `0..clients`, the service next.
    node: NodeId,
}

impl Settings {
    fn from(p: &ParamSet) -> Settings {
        Settings {
            timeout: nanos(vt::from_ms(p.get("timeout_ms"))),
            retries: p.get("retries") as u32,
            backoff: vt::from_ms(p.get("backoff_ms")),
            link: arrivals::link(p),
            node: p.get("clients") as NodeId,
        }
    }
}

fn nanos(t: vt::Time) -> Duration {
    Duration::from_nanos(t)
}

/// Requests neither answered nor given up: work for any other is wasted.
type Open = Arc<Mutex<HashSet<ReqId>>>;

/// The service's side of the run.
struct Service {
    station: Station,
    /// How long a service that is down holds a request: past the client's
    /// patience.
    hold: Duration,
    log: Arc<Log>,
    open: Open,
}

/// One request's answer: its status, and in headers the answer's message
/// id and when (run time) the request arrived, was taken up and answered.
async fn work(State(s): State<Arc<Service>>, headers: HeaderMap) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let (Some(msg), Some(req), Some(service)) = (
        num(&headers, "x-msg"),
        num(&headers, "x-req"),
        num(&headers, "x-service-ns"),
    ) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    // The worker stays busy until it is done, whoever still waits.
    http::detached(async move {
        let log = &s.log;
        let (permit, started) = match s.station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full => {
                let refused = http::answer(log, [arrived; 3]);
                return (StatusCode::SERVICE_UNAVAILABLE, refused);
            }
            Entry::Down => {
                // A service that is down answers nothing.
                tokio::time::sleep(s.hold).await;
                return (StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new());
            }
        };
        let wasted = || !s.open.lock().expect("never poisoned").contains(&req);
        let left = s.station.work(msg, permit, started, service, wasted).await;
        (StatusCode::OK, http::answer(log, [arrived, started, left]))
    })
    .await
}

/// An answer that reached its client: 200 or 503, its message id and the
/// trip the request made.
struct Answer {
    ok: bool,
    reply: MsgId,
    trip: Trip,
}

/// The clients' side: shared by every request's task.
struct Clients {
    settings: Settings,
    url: String,
    http: Http,
    sockets: Semaphore,
    seed: u64,
    log: Arc<Log>,
    open: Open,
}

impl Clients {
    /// One attempt: a socket, the hop up, the exchange, the hop down. Its
    /// answer goes to `answer`; if the client has stopped waiting by then,
    /// the answer arrived late and is thrown away, as in the model.
    async fn attempt(
        self: Arc<Self>,
        a: Arrival,
        kind: MsgKind,
        mut rng: ChaCha8Rng,
        answer: oneshot::Sender<Answer>,
    ) {
        let log = &self.log;
        let Ok(_socket) = self.sockets.acquire().await else {
            return;
        };
        let up = self.settings.link.transit(&mut rng);
        let down = self.settings.link.transit(&mut rng);
        let msg = log.msg();
        let sent = Instant::now();
        let (node, client) = (self.settings.node, a.client);
        let leg = Leg {
            msg,
            req: a.req,
            kind,
            link: client * 2,
            to: node,
        };
        if !hop::cross(log, leg, sent, up).await {
            return;
        }
        let request = hyper::Request::post(&self.url)
            .header("x-msg", msg)
            .header("x-req", a.req)
            .header("x-service-ns", a.service)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        // No answer: a service that is down answers nothing.
        let Some(answered) = http::exchange(&self.http, request).await else {
            return;
        };
        drop(_socket);
        let ok = answered.status == StatusCode::OK;
        let (reply, [arrived, started, left]) = (answered.msg, answered.trip);
        // The answer left the service at `left`; the hop down from there.
        let leg = Leg {
            msg: reply,
            req: a.req,
            kind: if ok {
                MsgKind::Response
            } else {
                MsgKind::Error
            },
            link: client * 2 + 1,
            to: client,
        };
        if !hop::cross(log, leg, log.instant(left), down).await {
            return;
        }
        let hop_in = arrived.saturating_sub(log.time(sent));
        let trip = Trip::served(hop_in, arrived, started, left);
        if answer.send(Answer { ok, reply, trip }).is_err() {
            log.emit(What::Dropped {
                msg: reply,
                node: client,
                reason: DropReason::Late,
            });
        }
    }

    /// A request from the moment it was meant to leave to its end.
    async fn request(self: Arc<Self>, a: Arrival) {
        let log = &self.log;
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ a.req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (req, node) = (a.req, a.client);
        for attempt in 0..=self.settings.retries {
            let kind = if attempt == 0 {
                MsgKind::Request
            } else {
                MsgKind::Retry
            };
            let deadline = Instant::now() + self.settings.timeout;
            let (tx, rx) = oneshot::channel();
            // Detached: an attempt given up on still runs to its end, so a
            // late answer is seen arriving (and thrown away).
            let link_rng = ChaCha8Rng::seed_from_u64(rng.random());
            tokio::spawn(self.clone().attempt(a, kind, link_rng, tx));
            let waited = tokio::time::timeout_at(deadline, async {
                match rx.await {
                    Ok(answer) => answer,
                    // Lost on the way, or no answer: the client waits on.
                    Err(_) => std::future::pending().await,
                }
            });
            let reason = match waited.await {
                Ok(Answer {
                    ok: true,
                    reply,
                    trip,
                }) => {
                    // Measured from when it was meant to leave: a late
                    // start is part of the wait, never hidden.
                    let now = Instant::now();
                    self.open.lock().expect("never poisoned").remove(&req);
                    log.emit_at(now, What::Delivered { msg: reply, node });
                    log.complete(now, req, node, a.at, trip);
                    return;
                }
                Ok(Answer {
                    ok: false, reply, ..
                }) => {
                    log.emit(What::Delivered { msg: reply, node });
                    FailReason::Rejected
                }
                Err(_) => {
                    log.emit(What::TimedOut { req, node, attempt });
                    FailReason::Timeout
                }
            };
            if attempt == self.settings.retries {
                self.open.lock().expect("never poisoned").remove(&req);
                log.emit(What::Failed { req, node, reason });
                return;
            }
            tokio::time::sleep(nanos(backoff(self.settings.backoff, attempt, &mut rng))).await;
        }
    }
}

/// Runs the model's schedule for real until `horizon` after the start, as
/// the model ran it; what has not ended by then is left pending, as in the
/// model.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
) -> Result<(), String> {
    let settings = Settings::from(p);
    let arrivals = arrivals::schedule(p, seed, model);
    let open = Open::default();
    let service = Arc::new(Service {
        station: Station::new(settings.node, p, log.clone()),
        hold: settings.timeout + Duration::from_secs(1),
        log: log.clone(),
        open: open.clone(),
    });
    let app = Router::new().route(PATH, post(work)).with_state(service);
    let serving = http::serve(app).await?;
    let clients = Arc::new(Clients {
        settings,
        url: serving.url(PATH),
        http: http::client(limits, log),
        sockets: Semaphore::new(limits.sockets),
        seed,
        log: log.clone(),
        open: open.clone(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    let sending = arrivals::offer_each(log, stop, arrivals, |a| {
        open.lock().expect("never poisoned").insert(a.req);
        tasks.spawn(clients.clone().request(a));
    });
    // The model stops at the horizon with some requests still pending; so
    // does the real run (their tasks are dropped, their sockets closed).
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, sending).await;
    tasks.shutdown().await;
    serving.stop().await;
    ended
}

/// The floor: round trips with no work, no delay, before the run.
pub async fn floor(n: usize) -> hdrhistogram::Histogram<u64> {
    let mut h = clock::histogram();
    let app = Router::new().route("/floor", post(|| async { "" }));
    let Ok(serving) = http::serve(app).await else {
        return h;
    };
    let client = http::inner_client(&Limits::default());
    let url = serving.url("/floor");
    for _ in 0..n {
        let start = Instant::now();
        let req = hyper::Request::post(&url)
            .body(Empty::<Bytes>::new())
            .expect("valid");
        if let Ok(r) = client.request(req).await {
            let _ = r.into_body().collect().await;
            clock::record(&mut h, Instant::now() - start);
        }
    }
    serving.stop().await;
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::run::Options;
    use sim::Simulation;

    /// The services handed to the real run are the model's own draws: each
    /// served request's Started → Served time in the model equals it.
    #[test]
    fn the_real_run_gets_the_models_service_draws() {
        let mut p = sim::find_pattern("request-response").unwrap().defaults();
        p.set("rate", 150.0).unwrap();
        let mut model = Simulation::new(p.clone(), 11, Options::EVENTS);
        model.advance_to(vt::from_secs(3.0));
        let mut arrivals = Vec::new();
        let mut request_msg = std::collections::HashMap::new();
        let mut started = std::collections::HashMap::new();
        let mut served = Vec::new();
        for e in model.events() {
            match e.what {
                What::Offered { req, node } => arrivals.push(Arrival {
                    at: e.at,
                    client: node,
                    req,
                    service: 0,
                }),
                What::Sent {
                    msg,
                    req,
                    kind: sim::MsgKind::Request,
                    ..
                } => {
                    request_msg.insert(msg, req);
                }
                What::Started { msg, .. } => {
                    started.insert(msg, e.at);
                }
                What::Served { msg, .. } if request_msg.contains_key(&msg) => {
                    served.push((request_msg[&msg], e.at - started[&msg]));
                }
                _ => {}
            }
        }
        arrivals::draw_services(&p, 11, &mut arrivals);
        assert!(served.len() > 200, "{}", served.len());
        for (req, took) in served {
            let a = arrivals.iter().find(|a| a.req == req).unwrap();
            assert_eq!(a.service, took, "request {req}");
        }
    }
}
