//! `short-polling` for real: clients ask an axum server on 127.0.0.1
//! "anything new since my cursor?" over real HTTP GETs, each on its own
//! schedule whether or not the last answer came back; the server answers
//! through its workers with everything produced so far, or empty-handed.
//!
//! What is real: the sockets and HTTP framing, the server's queue and
//! timers, a poll refused by a full queue (a `503`), answers carrying the
//! server's update count as a header. What is the model's: when updates
//! are produced and when each client polls (replayed from the model's run
//! of the same recipe), the service times (the model's draws, in the order
//! polls reach the server), and the link's delay and loss law.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, MsgKind};
use sim::time::Time;
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::updates::REQ_STRIDE;
use sim::{Event, ParamSet, What};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::arrivals;
use super::clock;
use super::log::Log;
use super::loopback::Loopback;
use super::news;
use super::station::{Entry, Station};
use super::Limits;

/// The path polls are answered on.
pub const PATH: &str = "/real/poll";

/// What the model did that the real run replays.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// When each update was produced (update k at `updates[k]`).
    pub updates: Vec<Time>,
    /// Per client: when it sends each poll.
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

fn num(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.parse().ok()
}

fn stamp(h: &mut HeaderMap, name: &'static str, v: u64) {
    h.insert(name, v.into());
}

/// The server's side of the run.
struct Server {
    station: Station,
    log: Arc<Log>,
    /// Updates produced so far.
    total: AtomicU64,
    /// The model's service draws, in the order polls reach the server.
    services: Vec<Time>,
    taken: AtomicU64,
}

/// One poll: answered after its service with the server's update count
/// (`x-upto`), the answer's message id and when it arrived, was taken up
/// and answered; a `503` from a full queue; nothing from a server that is
/// down (the client's next poll tries again).
async fn poll(State(s): State<Arc<Server>>, headers: HeaderMap) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let (Some(msg), Some(cursor)) = (num(&headers, "x-msg"), num(&headers, "x-cursor")) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    let job = tokio::spawn(async move {
        let log = &s.log;
        let mut out = HeaderMap::new();
        let n = s.taken.fetch_add(1, Ordering::Relaxed);
        let service = s.services.get(n as usize).copied().unwrap_or(0);
        let (permit, started) = match s.station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full => {
                let t = log.time(arrived);
                stamp(&mut out, "x-msg", log.msg());
                stamp(&mut out, "x-upto", cursor);
                for name in ["x-arrived-ns", "x-started-ns", "x-left-ns"] {
                    stamp(&mut out, name, t);
                }
                return (StatusCode::SERVICE_UNAVAILABLE, out);
            }
            Entry::Down => return (StatusCode::SERVICE_UNAVAILABLE, out),
        };
        let left = s
            .station
            .work(msg, permit, started, service, || false)
            .await;
        stamp(&mut out, "x-msg", log.msg());
        stamp(&mut out, "x-upto", s.total.load(Ordering::Relaxed));
        stamp(&mut out, "x-arrived-ns", log.time(arrived));
        stamp(&mut out, "x-started-ns", log.time(started));
        stamp(&mut out, "x-left-ns", log.time(left));
        (StatusCode::OK, out)
    });
    job.await
        .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new()))
}

/// The clients' side.
struct Clients {
    link: Link,
    url: String,
    http: Client<Loopback, Empty<Bytes>>,
    sockets: Semaphore,
    updates: Arc<Vec<Time>>,
    /// What each client has: how many updates.
    seen: Vec<Mutex<u64>>,
    log: Arc<Log>,
    server: NodeId,
}

impl Clients {
    /// One poll, from its tick to its answer (or its loss).
    async fn poll(self: Arc<Self>, client: NodeId, mut rng: ChaCha8Rng) {
        let log = &self.log;
        let Ok(_socket) = self.sockets.acquire().await else {
            return;
        };
        let cursor = *self.seen[client as usize].lock().expect("never poisoned");
        let (up, lost) = self.link.transit(&mut rng);
        let (down, down_lost) = self.link.transit(&mut rng);
        let msg = log.msg();
        let sent = Instant::now();
        log.emit_at(
            sent,
            What::Sent {
                msg,
                req: cursor,
                kind: MsgKind::Poll,
                link: client * 2,
                arrive_at: log.time(sent) + up,
                lost,
            },
        );
        clock::until(sent + Duration::from_nanos(up)).await;
        if lost {
            let node = self.server;
            log.emit(What::Dropped {
                msg,
                node,
                reason: DropReason::Loss,
            });
            return;
        }
        let request = hyper::Request::get(&self.url)
            .header("x-msg", msg)
            .header("x-cursor", cursor)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Ok(response) = self.http.request(request).await else {
            return;
        };
        let ok = response.status() == StatusCode::OK;
        let h = response.headers();
        let (Some(reply), Some(upto), Some(left)) =
            (num(h, "x-msg"), num(h, "x-upto"), num(h, "x-left-ns"))
        else {
            return;
        };
        let arrived = num(h, "x-arrived-ns").unwrap_or(left);
        let started = num(h, "x-started-ns").unwrap_or(left);
        let _ = response.into_body().collect().await;
        drop(_socket);
        let kind = match (ok, upto > cursor) {
            (false, _) => MsgKind::Error,
            (true, true) => MsgKind::Response,
            (true, false) => MsgKind::EmptyPoll,
        };
        log.emit_at(
            log.instant(left),
            What::Sent {
                msg: reply,
                req: upto,
                kind,
                link: client * 2 + 1,
                arrive_at: left + down,
                lost: down_lost,
            },
        );
        clock::until(log.instant(left + down)).await;
        if down_lost {
            log.emit(What::Dropped {
                msg: reply,
                node: client,
                reason: DropReason::Loss,
            });
            return;
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
    }
}

/// Runs the model's updates and polls for real until `horizon`.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
) -> Result<(), String> {
    let plan = schedule(p, model);
    let node = p.get("clients") as NodeId;
    let polls: usize = plan.polls.iter().map(Vec::len).sum();
    let (listener, addr) = super::loopback::listen().await?;
    let server = Arc::new(Server {
        station: Station::new(node, p, log.clone()),
        log: log.clone(),
        total: AtomicU64::new(0),
        services: arrivals::service_draws(p, seed, polls + 64),
        taken: AtomicU64::new(0),
    });
    let app = Router::new()
        .route(PATH, get(poll))
        .with_state(server.clone());
    let serving = tokio::spawn(async move { axum::serve(listener, app).await });
    let updates = Arc::new(plan.updates);
    let clients = Arc::new(Clients {
        link: arrivals::link(p),
        url: format!("http://{addr}{PATH}"),
        http: Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(limits.sockets)
            .build(Loopback::tapped(log.capture.clone())),
        sockets: Semaphore::new(limits.sockets),
        updates: updates.clone(),
        seen: (0..node).map(|_| Mutex::new(0)).collect(),
        log: log.clone(),
        server: node,
    });
    // Every poll of every client, in time order.
    let mut ticks: Vec<(Time, NodeId)> = plan
        .polls
        .iter()
        .enumerate()
        .flat_map(|(c, ts)| ts.iter().map(move |&t| (t, c as NodeId)))
        .collect();
    ticks.sort_unstable();
    let mut tasks = tokio::task::JoinSet::new();
    {
        let (server, log, updates) = (server.clone(), log.clone(), updates.clone());
        tasks.spawn(async move {
            let total = |n| server.total.store(n, Ordering::Relaxed);
            news::produce(&log, &updates, node, node, total).await
        });
    }
    let polling = async {
        for (n, (at, client)) in ticks.into_iter().enumerate() {
            let intended = log.instant(at);
            clock::until(intended).await;
            log.late(Instant::now() - intended);
            let rng =
                ChaCha8Rng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            tasks.spawn(clients.clone().poll(client, rng));
        }
        std::future::pending::<()>().await
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, polling).await;
    tasks.shutdown().await;
    serving.abort();
    let _ = serving.await;
    ended
}
