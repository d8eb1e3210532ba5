//! `scatter-gather` for real: clients POST to an axum gateway on
//! 127.0.0.1, which POSTs a branch to each of `fanout` backends (axum
//! endpoints, each with `workers` workers and a waiting room of
//! `queue_cap`) at once, gathers the answers until the last is back or the
//! branch timeout passes (a partial result), combines for `gateway_ms` and
//! answers the client.
//!
//! What is real: the sockets and HTTP framing on both tiers, the fan-out
//! in parallel, the backends' queues and timers, the gateway's timeout and
//! its partial results, branches answered after it gave up (late, their
//! work wasted). What is the model's: the arrival times and clients
//! (replayed from the model's run of the same recipe), the service times
//! (the model's draws, in the order branches reach a backend), the link
//! law (the client ⇄ gateway hop is reliable, as in the model; loss
//! applies to the branches), and the outage and slowdown of backend 1.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, MsgId, MsgKind, ReqId};
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use super::arrivals::{self, Arrival};
use super::clock;
use super::hop::{self, Leg};
use super::http::{self, num, stamp, Http};
use super::log::Log;
use super::station::{Entry, Station};
use super::Limits;

/// The path the gateway takes requests on.
pub const PATH: &str = "/real/scatter-gather";

/// The path backend `b` takes branches on: `/real/backend/{b}`.
const BACKEND: &str = "/real/backend";

/// The run's nodes and links, numbered as the model numbers them.
#[derive(Clone, Copy)]
struct Layout {
    clients: u16,
}

impl Layout {
    fn gateway(self) -> NodeId {
        self.clients
    }

    fn backend(self, b: u16) -> NodeId {
        self.clients + 1 + b
    }

    /// Gateway → backend `b`; the way back is the next link.
    fn to_backend(self, b: u16) -> u16 {
        2 * self.clients + 2 * b
    }
}

/// The service time the model drew for each branch that reached its
/// backend, by request and backend: the model draws one per branch
/// arriving, in the order they arrive — so the same branch works as long
/// in the real run (a branch the model lost has none, and takes a draw
/// past the model's).
pub fn branch_draws(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
) -> (HashMap<(ReqId, u16), Time>, Vec<Time>) {
    let first_branch_link = 2 * p.get("clients") as u16;
    let mut arriving: Vec<(Time, usize, ReqId, u16)> = model
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.what {
            What::Sent {
                kind: MsgKind::Request,
                req,
                link,
                arrive_at,
                lost: false,
                ..
            } if link >= first_branch_link && (link - first_branch_link).is_multiple_of(2) => {
                Some((arrive_at, i, req, (link - first_branch_link) / 2))
            }
            _ => None,
        })
        .collect();
    arriving.sort_unstable();
    let all = arrivals::service_draws(p, seed, arriving.len() * 2 + 256);
    let by_branch = arriving
        .iter()
        .zip(&all)
        .map(|(&(_, _, req, b), &d)| ((req, b), d))
        .collect();
    (by_branch, all[arriving.len()..].to_vec())
}

/// Requests the gateway is still gathering for: a branch served for any
/// other is wasted work.
type Gathering = Arc<Mutex<HashSet<ReqId>>>;

/// The backends' side of the run.
struct Backends {
    stations: Vec<Station>,
    log: Arc<Log>,
    /// The model's service draw for each branch it delivered.
    draws: HashMap<(ReqId, u16), Time>,
    /// Draws past the model's, for branches it lost and the real run did not.
    spare: Vec<Time>,
    taken: AtomicU64,
    gathering: Gathering,
}

/// One branch at backend `b`: served, then answered with the answer's
/// message id and when (run time) it arrived, was taken up and answered;
/// a full backend answers at once with an error; one that is down answers
/// nothing the pattern counts (the gateway's timeout covers it).
async fn branch(
    State(s): State<Arc<Backends>>,
    Path(b): Path<usize>,
    headers: HeaderMap,
) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let (Some(msg), Some(req)) = (num(&headers, "x-msg"), num(&headers, "x-req")) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    if b >= s.stations.len() {
        return (StatusCode::NOT_FOUND, HeaderMap::new());
    }
    http::detached(async move {
        let (station, log) = (&s.stations[b], &s.log);
        let service = match s.draws.get(&(req, b as u16)) {
            Some(&d) => d,
            None => {
                let n = s.taken.fetch_add(1, Ordering::Relaxed) as usize;
                s.spare.get(n).copied().unwrap_or(0)
            }
        };
        let (permit, started) = match station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full => {
                let refused = http::answer(log, [arrived; 3]);
                return (StatusCode::SERVICE_UNAVAILABLE, refused);
            }
            Entry::Down => return (StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new()),
        };
        let wasted = || !s.gathering.lock().expect("never poisoned").contains(&req);
        let left = station.work(msg, permit, started, service, wasted).await;
        (StatusCode::OK, http::answer(log, [arrived, started, left]))
    })
    .await
}

/// A branch's answer, back at the gateway.
struct Back {
    msg: MsgId,
    ok: bool,
    /// When it arrived at its backend, was taken up and answered.
    trip: [Time; 3],
}

/// The gateway's side of the run.
struct Gateway {
    layout: Layout,
    link: Link,
    timeout: Duration,
    combine: Duration,
    /// Each backend's endpoint.
    urls: Vec<String>,
    http: Http,
    /// The gateway's share of the run's sockets.
    sockets: Semaphore,
    seed: u64,
    log: Arc<Log>,
    gathering: Gathering,
}

impl Gateway {
    /// Branch `b` of `req`: its hop out, the POST, its hop back, then to
    /// the gatherer — or, when the gatherer has answered already, late.
    async fn branch(self: Arc<Self>, req: ReqId, b: u16, back: mpsc::Sender<Back>) {
        let log = &self.log;
        let salt = req.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (b as u64) << 48;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ salt);
        let Ok(socket) = self.sockets.acquire().await else {
            return;
        };
        let out = self.link.transit(&mut rng);
        let home = self.link.transit(&mut rng);
        let to = self.layout.to_backend(b);
        let leg = Leg {
            msg: log.msg(),
            req,
            kind: MsgKind::Request,
            link: to,
            to: self.layout.backend(b),
        };
        if !hop::cross(log, leg, Instant::now(), out).await {
            return;
        }
        let request = hyper::Request::post(&self.urls[b as usize])
            .header("x-msg", leg.msg)
            .header("x-req", req)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Some(answered) = http::exchange(&self.http, request).await else {
            return;
        };
        drop(socket);
        let ok = answered.status == StatusCode::OK;
        let (reply, [arrived, started, left]) = (answered.msg, answered.trip);
        let leg = Leg {
            msg: reply,
            req,
            kind: if ok {
                MsgKind::Response
            } else {
                MsgKind::Error
            },
            link: to + 1,
            to: self.layout.gateway(),
        };
        if !hop::cross(log, leg, log.instant(left), home).await {
            return;
        }
        let answer = Back {
            msg: reply,
            ok,
            trip: [arrived, started, left],
        };
        if back.send(answer).await.is_err() {
            log.emit(What::Dropped {
                msg: reply,
                node: self.layout.gateway(),
                reason: DropReason::Late,
            });
        }
    }

    /// Scatters `req`'s branches and gathers them until all are back or
    /// the timeout; the critical path's split (network, queue, service)
    /// and when the gathering ended.
    async fn gather(self: &Arc<Self>, req: ReqId, scattered: Instant) -> ([Time; 3], Instant) {
        let (log, gateway) = (&self.log, self.layout.gateway());
        let fanout = self.urls.len() as u16;
        self.gathering.lock().expect("never poisoned").insert(req);
        let (tx, mut rx) = mpsc::channel(fanout as usize);
        for b in 0..fanout {
            tokio::spawn(self.clone().branch(req, b, tx.clone()));
        }
        drop(tx);
        let (deadline, s) = (scattered + self.timeout, log.time(scattered));
        let mut critical = [0; 3];
        let mut outstanding = fanout;
        while outstanding > 0 {
            let back = match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(back)) => back,
                // Every branch that will come back has: the rest were lost
                // or refused, and only the timeout tells.
                Ok(None) => {
                    clock::until(deadline).await;
                    break;
                }
                Err(_) => break,
            };
            let now = Instant::now();
            log.emit_at(
                now,
                What::Delivered {
                    msg: back.msg,
                    node: gateway,
                },
            );
            if back.ok {
                let [arrived, started, left] = back.trip;
                let trip = Trip::served(arrived.saturating_sub(s), arrived, started, left);
                critical = trip.split(s, log.time(now));
                log.emit_at(
                    now,
                    What::Leg {
                        req,
                        node: gateway,
                        latency: log.time(now).saturating_sub(s),
                    },
                );
            }
            outstanding -= 1;
        }
        if outstanding > 0 {
            // A partial result: the missing branches are given up on.
            log.emit(What::TimedOut {
                req,
                node: gateway,
                attempt: 0,
            });
        }
        // Branches still on their way find the gatherer gone: late.
        drop(rx);
        self.gathering.lock().expect("never poisoned").remove(&req);
        (critical, Instant::now())
    }
}

/// One client request at the gateway: scattered, gathered, combined, and
/// answered with the answer's message id, the critical path's split and
/// when (run time) the branches went out, the gathering ended and the
/// answer left.
async fn request(State(g): State<Arc<Gateway>>, headers: HeaderMap) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let (Some(msg), Some(req)) = (num(&headers, "x-msg"), num(&headers, "x-req")) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    http::detached(async move {
        let log = &g.log;
        let gateway = g.layout.gateway();
        log.emit_at(arrived, What::Delivered { msg, node: gateway });
        let (critical, gathered) = g.gather(req, arrived).await;
        clock::until(gathered + g.combine).await;
        let answered = Instant::now();
        let mut out = HeaderMap::new();
        stamp(&mut out, "x-msg", log.msg());
        stamp(&mut out, "x-scattered-ns", log.time(arrived));
        stamp(&mut out, "x-gathered-ns", log.time(gathered));
        stamp(&mut out, "x-left-ns", log.time(answered));
        for (name, t) in ["x-network-ns", "x-queue-ns", "x-service-ns"]
            .into_iter()
            .zip(critical)
        {
            stamp(&mut out, name, t);
        }
        (StatusCode::OK, out)
    })
    .await
}

/// The clients' side.
struct Clients {
    layout: Layout,
    /// The client ⇄ gateway hop: delayed as any link, never lossy.
    link: Link,
    url: String,
    http: Http,
    sockets: Semaphore,
    seed: u64,
    log: Arc<Log>,
}

impl Clients {
    /// A request from the moment it was meant to leave to its answer.
    async fn request(self: Arc<Self>, a: Arrival) {
        let log = &self.log;
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ a.req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let Ok(socket) = self.sockets.acquire().await else {
            return;
        };
        let (gateway, client) = (self.layout.gateway(), a.client);
        let up = self.link.transit(&mut rng);
        let down = self.link.transit(&mut rng);
        let leg = Leg {
            msg: log.msg(),
            req: a.req,
            kind: MsgKind::Request,
            link: client * 2,
            to: gateway,
        };
        hop::cross(log, leg, Instant::now(), up).await;
        let request = hyper::Request::post(&self.url)
            .header("x-msg", leg.msg)
            .header("x-req", a.req)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Ok(response) = self.http.request(request).await else {
            return;
        };
        let h = response.headers();
        let field = |name| num(h, name).unwrap_or(0);
        let (reply, scattered, gathered, left) = (
            field("x-msg"),
            field("x-scattered-ns"),
            field("x-gathered-ns"),
            field("x-left-ns"),
        );
        let critical = [
            field("x-network-ns"),
            field("x-queue-ns"),
            field("x-service-ns"),
        ];
        if response.into_body().collect().await.is_err() {
            return;
        }
        drop(socket);
        let leg = Leg {
            msg: reply,
            req: a.req,
            kind: MsgKind::Response,
            link: client * 2 + 1,
            to: client,
        };
        hop::cross(log, leg, log.instant(left), down).await;
        let now = Instant::now();
        log.emit_at(
            now,
            What::Delivered {
                msg: reply,
                node: client,
            },
        );
        // The client's hops and the gateway's combining are on the
        // critical path too; waiting out a timeout is the rest.
        let [network, queue, service] = critical;
        let parts = [
            network + scattered.saturating_sub(a.at) + log.time(now).saturating_sub(left),
            queue,
            service + left.saturating_sub(gathered),
        ];
        log.complete_with(now, a.req, client, a.at, parts);
    }
}

/// Runs the model's schedule for real until `horizon`; what has not ended
/// by then is left pending, as in the model.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
) -> Result<(), String> {
    let layout = Layout {
        clients: p.get("clients") as u16,
    };
    let fanout = p.get("fanout") as u16;
    let arrivals = arrivals::schedule(p, seed, model);
    let gathering = Gathering::default();
    let (draws, spare) = branch_draws(p, seed, model);
    let backends = Arc::new(Backends {
        stations: (0..fanout)
            .map(|b| {
                let station = Station::new(layout.backend(b), p, log.clone());
                // Only backend 1 has the run's faults.
                if b == 0 {
                    station
                } else {
                    station.steady()
                }
            })
            .collect(),
        log: log.clone(),
        draws,
        spare,
        taken: AtomicU64::new(0),
        gathering: gathering.clone(),
    });
    let tier = Router::new()
        .route(&format!("{BACKEND}/{{b}}"), post(branch))
        .with_state(backends);
    let backend_serving = http::serve(tier).await?;
    // A quarter of the sockets for the clients, the rest for the branches:
    // a gateway waiting for a socket its own clients hold could not answer.
    let client_sockets = (limits.sockets / 4).max(1);
    let link = arrivals::link(p);
    let gateway = Arc::new(Gateway {
        layout,
        link: link.clone(),
        timeout: Duration::from_nanos(vt::from_ms(p.get("timeout_ms"))),
        combine: Duration::from_nanos(vt::from_ms(p.get("gateway_ms"))),
        urls: (0..fanout)
            .map(|b| backend_serving.url(&format!("{BACKEND}/{b}")))
            .collect(),
        http: http::inner_client(limits),
        sockets: Semaphore::new(limits.sockets - client_sockets),
        seed,
        log: log.clone(),
        gathering,
    });
    let front = Router::new().route(PATH, post(request)).with_state(gateway);
    let serving = http::serve(front).await?;
    let clients = Arc::new(Clients {
        layout,
        link: Link { loss: 0.0, ..link },
        url: serving.url(PATH),
        http: http::client(limits, log),
        sockets: Semaphore::new(client_sockets),
        seed,
        log: log.clone(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    let sending = arrivals::offer_each(log, stop, arrivals, |a| {
        tasks.spawn(clients.clone().request(a));
    });
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, sending).await;
    tasks.shutdown().await;
    serving.stop().await;
    backend_serving.stop().await;
    ended
}
