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
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::time::Time;
use sim::topology::NodeId;
use sim::{Event, ParamSet};
use tokio::time::Instant;

use super::arrivals;
use super::clock;
use super::http;
use super::log::Log;
use super::news;
use super::poll::{self, Answer, Pollers};
use super::station::{Entry, Station};
use super::Limits;

/// The path polls are answered on.
pub const PATH: &str = "/real/poll";

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
                let t = log.time(arrived);
                Answer::Refused.stamp(&mut out, log.msg(), cursor, [t; 3]);
                return (StatusCode::SERVICE_UNAVAILABLE, out);
            }
            Entry::Down => return (StatusCode::SERVICE_UNAVAILABLE, out),
        };
        let left = s
            .station
            .work(msg, permit, started, service, || false)
            .await;
        let upto = s.total.load(Ordering::Relaxed);
        let answer = if upto > cursor {
            Answer::News
        } else {
            Answer::Empty
        };
        let trip = [log.time(arrived), log.time(started), log.time(left)];
        answer.stamp(&mut out, log.msg(), upto, trip);
        (StatusCode::OK, out)
    })
    .await
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
    let plan = poll::schedule(p, model);
    let node = p.get("clients") as NodeId;
    let polls: usize = plan.polls.iter().map(Vec::len).sum();
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
    let serving = http::serve(app).await?;
    let updates = Arc::new(plan.updates);
    let url = serving.url(PATH);
    let clients = Arc::new(Pollers::new(p, url, limits, log, updates.clone(), node));
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
            let clients = clients.clone();
            tasks.spawn(async move {
                clients.poll(client, rng).await;
            });
        }
        std::future::pending::<()>().await
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, polling).await;
    tasks.shutdown().await;
    serving.stop().await;
    ended
}
