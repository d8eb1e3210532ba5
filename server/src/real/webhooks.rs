//! `webhooks` for real: a provider POSTs each event to one of `clients`
//! receiver endpoints (axum, on 127.0.0.1, each with `workers` workers and
//! a waiting room of `queue_cap`); a receiver's `200` is the ack. The
//! provider waits `timeout_ms` for it, backs off exponentially with
//! jitter and delivers again, and after `retries` retries puts the event
//! on the dead-letter list.
//!
//! What is real: the sockets and HTTP framing, the receivers' queues and
//! timers, the provider's timeouts, back-off and redeliveries, and the
//! duplicates they cause (an event handled twice because its ack was lost
//! or late). What is the model's: when events happen and which receiver
//! each goes to (replayed from the model's run of the same recipe), the
//! service times (the model's draws, in the order callbacks reach a
//! receiver that is up), the link's delay and loss law, the outage.
//!
//! As in the model, only an ack counts: a receiver that is down or full
//! answers `503` at once, and the provider — which here reads nothing but
//! acks — waits out its timeout before it backs off. A real provider
//! would usually back off on the `503` straight away.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::Empty;
use hyper::body::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::dist::backoff;
use sim::event::{DropReason, FailReason, MsgKind, ReqId};
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

use super::arrivals;
use super::clock;
use super::hop::{self, Leg};
use super::http::{self, num, stamp, Http};
use super::log::Log;
use super::station::{Entry, Station};
use super::Limits;

/// The path receiver `r` takes callbacks on: `/real/webhooks/{r}`.
pub const PATH: &str = "/real/webhooks";

/// The provider's node; receiver `r` is node `1 + r`, as in the model.
const PROVIDER: NodeId = 0;

/// One event of the model's run: when it happened and where it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Happening {
    pub at: Time,
    pub req: ReqId,
    /// The receiver the model chose for it.
    pub receiver: u16,
}

/// The model's events, in order, each with the receiver of its first
/// callback (links `2r` run provider → receiver `r`).
pub fn schedule(model: &[Event]) -> Vec<Happening> {
    let mut events = Vec::new();
    let mut at = HashMap::new();
    for e in model {
        match e.what {
            What::Offered { req, node } if node == PROVIDER => {
                at.insert(req, e.at);
            }
            What::Sent {
                req,
                kind: MsgKind::Callback,
                link,
                ..
            } => {
                if let Some(at) = at.remove(&req) {
                    let receiver = link / 2;
                    events.push(Happening { at, req, receiver });
                }
            }
            _ => {}
        }
    }
    events
}

/// The receivers' side of the run.
struct Receivers {
    stations: Vec<Station>,
    log: Arc<Log>,
    /// The model's service draws, in the order callbacks reach a receiver
    /// that is up.
    services: Vec<Time>,
    taken: AtomicU64,
    /// Events handled at least once: handling one again is a duplicate.
    handled: Mutex<HashSet<ReqId>>,
    /// Events whose fate is settled — handled, or dead-lettered first — so
    /// a handling after the provider gave up changes nothing.
    settled: Arc<Mutex<HashSet<ReqId>>>,
}

/// One callback: handled by a worker of receiver `r`, then acked (`200`
/// with the ack's message id and when it left); `503` with no ack from a
/// receiver that is down or full.
async fn callback(
    State(s): State<Arc<Receivers>>,
    Path(r): Path<usize>,
    headers: HeaderMap,
) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let (Some(msg), Some(req), Some(created), Some(sent)) = (
        num(&headers, "x-msg"),
        num(&headers, "x-req"),
        num(&headers, "x-created-ns"),
        num(&headers, "x-sent-ns"),
    ) else {
        return (StatusCode::BAD_REQUEST, HeaderMap::new());
    };
    if r >= s.stations.len() {
        return (StatusCode::NOT_FOUND, HeaderMap::new());
    }
    // A provider that gives up does not stop the handling.
    http::detached(async move {
        let (station, log) = (&s.stations[r], &s.log);
        let service = if station.down(arrived) {
            0
        } else {
            let n = s.taken.fetch_add(1, Ordering::Relaxed) as usize;
            s.services.get(n).copied().unwrap_or(0)
        };
        let (permit, started) = match station.enter(msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            Entry::Full | Entry::Down => {
                return (StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new())
            }
        };
        let mut first = false;
        let handled = || {
            first = s.handled.lock().expect("never poisoned").insert(req);
            !first
        };
        let left = station.work(msg, permit, started, service, handled).await;
        if first && s.settled.lock().expect("never poisoned").insert(req) {
            let (a, st, t) = (log.time(arrived), log.time(started), log.time(left));
            let trip = Trip::served(a.saturating_sub(sent), a, st, t);
            log.complete(left, req, station.node, created, trip);
        }
        let mut ack = HeaderMap::new();
        stamp(&mut ack, "x-msg", log.msg());
        stamp(&mut ack, "x-left-ns", log.time(left));
        (StatusCode::OK, ack)
    })
    .await
}

/// The provider's side.
struct Provider {
    link: Link,
    timeout: Duration,
    retries: u32,
    backoff: Time,
    /// Each receiver's endpoint.
    urls: Vec<String>,
    http: Http,
    sockets: Semaphore,
    seed: u64,
    log: Arc<Log>,
    /// Events not acked yet, each with the wake-up of its delivery loop.
    unacked: Mutex<HashMap<ReqId, oneshot::Sender<()>>>,
    settled: Arc<Mutex<HashSet<ReqId>>>,
}

impl Provider {
    /// One attempt: the callback's hop, the POST, the ack's hop back. An
    /// ack for an event already acked or given up on arrives late.
    async fn attempt(self: Arc<Self>, e: Happening, kind: MsgKind, mut rng: ChaCha8Rng) {
        let log = &self.log;
        let Ok(socket) = self.sockets.acquire().await else {
            return;
        };
        let up = self.link.transit(&mut rng);
        let down = self.link.transit(&mut rng);
        let r = e.receiver;
        let leg = Leg {
            msg: log.msg(),
            req: e.req,
            kind,
            link: r * 2,
            to: 1 + r,
        };
        let sent = Instant::now();
        if !hop::cross(log, leg, sent, up).await {
            return;
        }
        let request = hyper::Request::post(&self.urls[r as usize])
            .header("x-msg", leg.msg)
            .header("x-req", e.req)
            .header("x-created-ns", e.at)
            .header("x-sent-ns", log.time(sent))
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Some(answered) = http::exchange(&self.http, request).await else {
            return;
        };
        drop(socket);
        let (ack, [.., left]) = (answered.msg, answered.trip);
        let leg = Leg {
            msg: ack,
            req: e.req,
            kind: MsgKind::Ack,
            link: r * 2 + 1,
            to: PROVIDER,
        };
        if !hop::cross(log, leg, log.instant(left), down).await {
            return;
        }
        let waiting = self.unacked.lock().expect("never poisoned").remove(&e.req);
        match waiting {
            Some(acked) => {
                log.emit(What::Delivered {
                    msg: ack,
                    node: PROVIDER,
                });
                let _ = acked.send(());
            }
            None => log.emit(What::Dropped {
                msg: ack,
                node: PROVIDER,
                reason: DropReason::Late,
            }),
        }
    }

    /// Delivers one event until it is acked or dead-lettered.
    async fn deliver(self: Arc<Self>, e: Happening) {
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ e.req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (tx, mut acked) = oneshot::channel();
        self.unacked
            .lock()
            .expect("never poisoned")
            .insert(e.req, tx);
        for attempt in 0..=self.retries {
            let kind = if attempt == 0 {
                MsgKind::Callback
            } else {
                MsgKind::Retry
            };
            // Detached: an attempt given up on still runs to its end, so
            // its handling (a duplicate) and its late ack are seen.
            let link_rng = ChaCha8Rng::seed_from_u64(rng.random());
            tokio::spawn(self.clone().attempt(e, kind, link_rng));
            if tokio::time::timeout(self.timeout, &mut acked).await.is_ok() {
                return;
            }
            let req = e.req;
            self.log.emit(What::TimedOut {
                req,
                node: PROVIDER,
                attempt,
            });
            if attempt == self.retries {
                break;
            }
            // An ack that comes in while backing off still settles it.
            let delay = Duration::from_nanos(backoff(self.backoff, attempt, &mut rng));
            if tokio::time::timeout(delay, &mut acked).await.is_ok() {
                return;
            }
        }
        let gave_up = self.unacked.lock().expect("never poisoned").remove(&e.req);
        if gave_up.is_some() && self.settled.lock().expect("never poisoned").insert(e.req) {
            self.log.emit(What::Failed {
                req: e.req,
                node: PROVIDER,
                reason: FailReason::DeadLetter,
            });
        }
    }
}

/// Runs the model's events for real until `horizon` after the start, as
/// the model ran them; deliveries not settled by then stay pending, as in
/// the model.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
) -> Result<(), String> {
    let events = schedule(model);
    let receivers = p.get("clients") as u16;
    let settled = Arc::new(Mutex::new(HashSet::new()));
    // The model draws a service for each callback taken in, retries too.
    let calls = model
        .iter()
        .filter(|e| matches!(e.what, What::Started { .. }))
        .count();
    let side = Arc::new(Receivers {
        stations: (0..receivers)
            .map(|r| Station::new(1 + r, p, log.clone()))
            .collect(),
        log: log.clone(),
        services: arrivals::service_draws(p, seed, calls * 2 + 256),
        taken: AtomicU64::new(0),
        handled: Mutex::default(),
        settled: settled.clone(),
    });
    let app = Router::new()
        .route(&format!("{PATH}/{{r}}"), post(callback))
        .with_state(side);
    let serving = http::serve(app).await?;
    let provider = Arc::new(Provider {
        link: arrivals::link(p),
        timeout: Duration::from_nanos(vt::from_ms(p.get("timeout_ms"))),
        retries: p.get("retries") as u32,
        backoff: vt::from_ms(p.get("backoff_ms")),
        urls: (0..receivers)
            .map(|r| serving.url(&format!("{PATH}/{r}")))
            .collect(),
        http: http::client(limits, log),
        sockets: Semaphore::new(limits.sockets),
        seed,
        log: log.clone(),
        unacked: Mutex::default(),
        settled,
    });
    let mut tasks = tokio::task::JoinSet::new();
    let happening = async {
        for e in events {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let intended = log.instant(e.at);
            clock::until(intended).await;
            log.late(Instant::now() - intended);
            let (req, node) = (e.req, PROVIDER);
            log.emit_at(intended, What::Offered { req, node });
            tasks.spawn(provider.clone().deliver(e));
        }
        std::future::pending::<()>().await
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, happening).await;
    tasks.shutdown().await;
    serving.stop().await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::run::Options;
    use sim::Simulation;

    /// Every event the model offered is in the schedule once, in order,
    /// with the receiver its first callback went to.
    #[test]
    fn the_schedule_is_the_models() {
        let mut p = sim::find_pattern("webhooks").unwrap().defaults();
        p.set("clients", 3.0).unwrap();
        p.set("rate", 40.0).unwrap();
        let mut model = Simulation::new(p.clone(), 9, Options::EVENTS);
        model.advance_to(vt::from_secs(5.0));
        let s = schedule(model.events());
        let offered = model
            .events()
            .iter()
            .filter(|e| matches!(e.what, What::Offered { .. }))
            .count();
        assert_eq!(s.len(), offered);
        assert!(s.len() > 100, "{}", s.len());
        assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
        let used: HashSet<u16> = s.iter().map(|e| e.receiver).collect();
        assert_eq!(used, HashSet::from([0, 1, 2]));
    }
}
