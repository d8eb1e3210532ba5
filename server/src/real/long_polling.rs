//! `long-polling` for real: clients GET from an axum server on 127.0.0.1;
//! a poll that finds news is answered once served, one that finds none is
//! held open until news comes (a `tokio::sync::watch` on the update count)
//! or `hold_ms` passes; the client polls again the moment an answer
//! arrives, or when its own `timeout_ms` runs out.
//!
//! What is real: the sockets and HTTP framing, held requests, the server's
//! queue and timers, the clients' closed loop (a re-poll waits for a real
//! answer). What is the model's: when updates are produced and when each
//! client first polls (replayed from the model's run of the same recipe),
//! the service times (the model's draws, in the order polls reach the
//! server), and the link's delay and loss law.

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
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, MsgKind};
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::updates::REQ_STRIDE;
use sim::{Event, ParamSet, What};
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::time::Instant;

use super::arrivals;
use super::clock;
use super::log::Log;
use super::loopback::Loopback;
use super::news;
use super::station::{Entry, Station};
use super::Limits;

/// The path polls are held on.
pub const PATH: &str = "/real/long-poll";

/// What the model did that the real run replays.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// When each update was produced (update k at `updates[k]`).
    pub updates: Vec<Time>,
    /// Per client: when it sends its first poll.
    pub first: Vec<Option<Time>>,
}

/// Reads the schedule off the model's events.
pub fn schedule(p: &ParamSet, model: &[Event]) -> Schedule {
    let mut s = Schedule {
        updates: Vec::new(),
        first: vec![None; p.get("clients") as usize],
    };
    for e in model {
        match e.what {
            What::Offered { req, .. } if req % REQ_STRIDE == 0 => s.updates.push(e.at),
            What::Sent {
                kind: MsgKind::Poll,
                link,
                ..
            } => {
                s.first[link as usize / 2].get_or_insert(e.at);
            }
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
    /// Updates produced so far; held polls wait on it.
    total: watch::Sender<u64>,
    /// Polls held open now (reported under this lock, in order).
    held: Mutex<u32>,
    hold: Duration,
    /// The model's service draws, in the order polls reach the server.
    services: Vec<Time>,
    taken: AtomicU64,
}

impl Server {
    fn held(&self, by: i32) {
        let mut held = self.held.lock().expect("never poisoned");
        *held = held.saturating_add_signed(by);
        self.log.emit(What::Open {
            node: self.station.node,
            connections: *held,
        });
    }
}

/// One poll: answered with the server's update count (`x-upto`) and its
/// kind (`x-kind`: response, empty or error), the answer's message id and
/// the trip that counts against the news it brings.
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
        let answer = |out: &mut HeaderMap, kind: u64, upto: u64, trip: [Time; 3]| {
            stamp(out, "x-msg", log.msg());
            stamp(out, "x-kind", kind);
            stamp(out, "x-upto", upto);
            stamp(out, "x-arrived-ns", trip[0]);
            stamp(out, "x-started-ns", trip[1]);
            stamp(out, "x-left-ns", trip[2]);
        };
        let (permit, started) = match s.station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full => {
                let t = log.time(Instant::now());
                answer(&mut out, ERROR, cursor, [t; 3]);
                return (StatusCode::SERVICE_UNAVAILABLE, out);
            }
            Entry::Down => return (StatusCode::SERVICE_UNAVAILABLE, out),
        };
        let left = s
            .station
            .work(msg, permit, started, service, || false)
            .await;
        let mut news = s.total.subscribe();
        let total = *news.borrow_and_update();
        if total > cursor {
            let trip = [log.time(arrived), log.time(started), log.time(left)];
            answer(&mut out, RESPONSE, total, trip);
            return (StatusCode::OK, out);
        }
        // Nothing new: held until news comes or the hold runs out.
        s.held(1);
        let came = tokio::time::timeout(s.hold, news.wait_for(|&t| t > cursor)).await;
        s.held(-1);
        let t = log.time(Instant::now());
        let (kind, upto) = match came {
            Ok(Ok(total)) => (RESPONSE, *total),
            _ => (EMPTY, *s.total.borrow()),
        };
        answer(&mut out, kind, upto, [t; 3]);
        (StatusCode::OK, out)
    });
    job.await
        .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new()))
}

/// `x-kind` values.
const RESPONSE: u64 = 0;
const EMPTY: u64 = 1;
const ERROR: u64 = 2;

/// The clients' side.
struct Clients {
    link: Link,
    timeout: Duration,
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
    /// One client's loop: poll, and poll again when answered or tired of
    /// waiting.
    async fn client(self: Arc<Self>, client: NodeId, first: Time, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (0x1_0000 + client as u64));
        clock::until(self.log.instant(first)).await;
        for n in 1u64.. {
            let (tx, rx) = oneshot::channel();
            let link_rng = ChaCha8Rng::seed_from_u64(rng.random());
            tokio::spawn(self.clone().poll(client, link_rng, tx));
            if tokio::time::timeout(self.timeout, rx).await.is_err() {
                self.log.emit(What::TimedOut {
                    req: n,
                    node: client,
                    attempt: 0,
                });
            }
        }
    }

    /// One poll, to its answer (or its loss); `answered` tells the client.
    async fn poll(
        self: Arc<Self>,
        client: NodeId,
        mut rng: ChaCha8Rng,
        answered: oneshot::Sender<()>,
    ) {
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
        let h = response.headers();
        let (Some(reply), Some(kind), Some(upto), Some(left)) = (
            num(h, "x-msg"),
            num(h, "x-kind"),
            num(h, "x-upto"),
            num(h, "x-left-ns"),
        ) else {
            return;
        };
        let arrived = num(h, "x-arrived-ns").unwrap_or(left);
        let started = num(h, "x-started-ns").unwrap_or(left);
        let _ = response.into_body().collect().await;
        drop(_socket);
        let kind = match kind {
            RESPONSE => MsgKind::Response,
            EMPTY => MsgKind::EmptyPoll,
            _ => MsgKind::Error,
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
        // A client that has moved on (timed out) no longer listens.
        let _ = answered.send(());
    }
}

/// Runs the model's updates for real, the clients polling in a closed
/// loop, until `horizon`.
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
    let polls = model
        .iter()
        .filter(|e| {
            matches!(
                e.what,
                What::Sent {
                    kind: MsgKind::Poll,
                    ..
                }
            )
        })
        .count();
    let (listener, addr) = super::loopback::listen().await?;
    let (total, _) = watch::channel(0u64);
    let server = Arc::new(Server {
        station: Station::new(node, p, log.clone()),
        log: log.clone(),
        total,
        held: Mutex::new(0),
        hold: Duration::from_nanos(vt::from_ms(p.get("hold_ms"))),
        // Room for more polls than the model's: the real loop is closed.
        services: arrivals::service_draws(p, seed, polls * 2 + 256),
        taken: AtomicU64::new(0),
    });
    log.emit_at(
        log.t0(),
        What::Open {
            node,
            connections: 0,
        },
    );
    let app = Router::new()
        .route(PATH, get(poll))
        .with_state(server.clone());
    let serving = tokio::spawn(async move { axum::serve(listener, app).await });
    let updates = Arc::new(plan.updates);
    let clients = Arc::new(Clients {
        link: arrivals::link(p),
        timeout: Duration::from_nanos(vt::from_ms(p.get("timeout_ms"))),
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
    let mut tasks = tokio::task::JoinSet::new();
    for (c, first) in plan.first.iter().enumerate() {
        if let Some(at) = *first {
            tasks.spawn(clients.clone().client(c as NodeId, at, seed));
        }
    }
    let producing = async {
        let total = |n| {
            server.total.send_replace(n);
        };
        news::produce(log, &updates, node, node, total).await;
        std::future::pending::<()>().await
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, producing).await;
    tasks.shutdown().await;
    serving.abort();
    let _ = serving.await;
    ended
}
