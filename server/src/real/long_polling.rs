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
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::event::MsgKind;
use sim::time::{self as vt, Time};
use sim::topology::NodeId;
use sim::{Event, ParamSet, What};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::arrivals;
use super::clock;
use super::http;
use super::log::Log;
use super::news;
use super::poll::{self, Answer, Pollers};
use super::station::{Entry, Station};
use super::Limits;

/// The path polls are held on.
pub const PATH: &str = "/real/long-poll";

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
    let Some((msg, cursor)) = poll::asked(&headers) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    http::detached(async move {
        let log = &s.log;
        let mut out = HeaderMap::new();
        let n = s.taken.fetch_add(1, Ordering::Relaxed);
        let service = s.services.get(n as usize).copied().unwrap_or(0);
        let (permit, started) = match s.station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full => {
                let t = log.time(Instant::now());
                Answer::Refused.stamp(&mut out, log.msg(), cursor, [t; 3]);
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
            Answer::News.stamp(&mut out, log.msg(), total, trip);
            return (StatusCode::OK, out);
        }
        // Nothing new: held until news comes or the hold runs out.
        s.held(1);
        let came = tokio::time::timeout(s.hold, news.wait_for(|&t| t > cursor)).await;
        s.held(-1);
        let t = log.time(Instant::now());
        let (answer, upto) = match came {
            Ok(Ok(total)) => (Answer::News, *total),
            _ => (Answer::Empty, *s.total.borrow()),
        };
        answer.stamp(&mut out, log.msg(), upto, [t; 3]);
        (StatusCode::OK, out)
    })
    .await
}

/// The clients' side: their polls, and how long each waits for an answer.
struct Clients {
    pollers: Pollers,
    timeout: Duration,
}

impl Clients {
    /// One client's loop: poll, and poll again when answered or tired of
    /// waiting.
    async fn client(self: Arc<Self>, client: NodeId, first: Time, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (0x1_0000 + client as u64));
        clock::until(self.pollers.log.instant(first)).await;
        for n in 1u64.. {
            let (tx, rx) = oneshot::channel();
            let link_rng = ChaCha8Rng::seed_from_u64(rng.random());
            let clients = self.clone();
            tokio::spawn(async move {
                if clients.pollers.poll(client, link_rng).await {
                    // A client that has moved on (timed out) no longer
                    // listens.
                    let _ = tx.send(());
                }
            });
            // A poll lost on the way, or one a server that is down never
            // answers, is waited for until the client's timeout.
            let answered = async {
                if rx.await.is_err() {
                    std::future::pending::<()>().await
                }
            };
            if tokio::time::timeout(self.timeout, answered).await.is_err() {
                self.pollers.log.emit(What::TimedOut {
                    req: n,
                    node: client,
                    attempt: 0,
                });
            }
        }
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
    let plan = poll::schedule(p, model);
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
    let serving = http::serve(app).await?;
    let updates = Arc::new(plan.updates);
    let clients = Arc::new(Clients {
        pollers: Pollers::new(p, serving.url(PATH), limits, log, updates.clone(), node),
        timeout: Duration::from_nanos(vt::from_ms(p.get("timeout_ms"))),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (c, polls) in plan.polls.iter().enumerate() {
        if let Some(&at) = polls.first() {
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
    serving.stop().await;
    ended
}
