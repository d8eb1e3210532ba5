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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::dist::{backoff, ServiceDist};
use sim::faults::ServiceFaults;
use sim::time::{self as vt};
use sim::topology::Link;
use sim::ParamSet;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::clock;
use super::loopback::Loopback;
use super::{Arrival, Limits, Tally};

/// The path the service answers on.
pub const PATH: &str = "/real/request-response";

/// What the service and the clients read from the run's parameters.
#[derive(Clone)]
struct Settings {
    workers: u32,
    queue_cap: usize,
    timeout: Duration,
    retries: u32,
    backoff: vt::Time,
    service_mean: vt::Time,
    dist: ServiceDist,
    faults: ServiceFaults,
    link: Link,
}

impl Settings {
    fn from(p: &ParamSet) -> Settings {
        Settings {
            workers: p.get("workers") as u32,
            queue_cap: p.get("queue_cap") as usize,
            timeout: nanos(vt::from_ms(p.get("timeout_ms"))),
            retries: p.get("retries") as u32,
            backoff: vt::from_ms(p.get("backoff_ms")),
            service_mean: vt::from_ms(p.get("service_ms")),
            dist: ServiceDist::from_index(p.get("service_dist") as usize),
            faults: ServiceFaults::from_params(p),
            link: Link {
                id: 0,
                from: 0,
                to: 1,
                net: vt::from_ms(p.get("net_ms")),
                jitter: vt::from_ms(p.get("jitter_ms")),
                loss: p.get("loss"),
                reliable: false,
            },
        }
    }
}

fn nanos(t: vt::Time) -> Duration {
    Duration::from_nanos(t)
}

/// The service's side of the run.
struct Service {
    settings: Settings,
    workers: Semaphore,
    waiting: AtomicUsize,
    t0: Instant,
}

/// One request's answer, as the client reads it: status and the time it
/// spent in the service's queue.
async fn work(State(s): State<Arc<Service>>, headers: HeaderMap) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let service = header_u64(&headers, "x-service-ns").unwrap_or(0);
    // Detached: a client that gives up does not stop the work (the model's
    // wasted work), and the worker stays busy until it is done.
    let job = tokio::spawn(async move {
        let mut out = HeaderMap::new();
        let since = (arrived - s.t0).as_nanos() as vt::Time;
        if s.settings.faults.down(since) {
            // A service that is down answers nothing: hold the request
            // past the client's patience.
            tokio::time::sleep(s.settings.timeout + Duration::from_secs(1)).await;
            return (StatusCode::SERVICE_UNAVAILABLE, out);
        }
        let permit = match s.workers.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if s.waiting.load(Ordering::Relaxed) >= s.settings.queue_cap {
                    return (StatusCode::SERVICE_UNAVAILABLE, out);
                }
                s.waiting.fetch_add(1, Ordering::Relaxed);
                let p = s.workers.acquire().await.expect("never closed");
                s.waiting.fetch_sub(1, Ordering::Relaxed);
                p
            }
        };
        let started = Instant::now();
        clock::until(started + nanos(s.settings.faults.stretch(service))).await;
        drop(permit);
        let queued = (started - arrived).as_micros().to_string();
        out.insert("x-queue-us", queued.parse().expect("digits"));
        (StatusCode::OK, out)
    });
    job.await
        .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new()))
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.parse().ok()
}

/// How one attempt ended.
enum Attempted {
    Answered { status: u16, queue: Duration },
    Broken,
}

/// Gives each arrival the service time the model drew for it: the model
/// draws one per arrival, in order, from its seed's service stream, and
/// nothing else draws from that stream — so the real service works exactly
/// as long as the modelled one, and a difference is the machine's.
pub fn draw_services(p: &ParamSet, seed: u64, arrivals: &mut [Arrival]) {
    let s = Settings::from(p);
    let mut streams = sim::rng::Streams::new(seed);
    for a in arrivals {
        a.service = s.dist.sample(s.service_mean, &mut streams.service);
    }
}

/// The clients' side: shared by every request's task.
struct Clients {
    settings: Settings,
    url: String,
    http: Client<Loopback, Empty<Bytes>>,
    sockets: Semaphore,
    seed: u64,
}

impl Clients {
    /// One attempt: the hop up, the exchange, the hop down.
    async fn attempt(&self, service: vt::Time, rng: &mut ChaCha8Rng) -> Attempted {
        let (up, lost) = self.settings.link.transit(rng);
        clock::until(Instant::now() + nanos(up)).await;
        if lost {
            return std::future::pending().await;
        }
        let Ok(socket) = self.sockets.acquire().await else {
            return Attempted::Broken;
        };
        let request = hyper::Request::post(&self.url)
            .header("x-service-ns", service)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let Ok(response) = self.http.request(request).await else {
            return Attempted::Broken;
        };
        let status = response.status().as_u16();
        let queue =
            Duration::from_micros(header_u64(response.headers(), "x-queue-us").unwrap_or(0));
        if response.into_body().collect().await.is_err() {
            return Attempted::Broken;
        }
        drop(socket);
        let (down, lost) = self.settings.link.transit(rng);
        clock::until(Instant::now() + nanos(down)).await;
        if lost {
            return std::future::pending().await;
        }
        Attempted::Answered { status, queue }
    }

    /// A request from the moment it was meant to leave to its end.
    async fn request(&self, a: Arrival, intended: Instant, tally: Arc<Tally>) {
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ a.req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let service = a.service;
        for attempt in 0..=self.settings.retries {
            if attempt > 0 {
                tally.retries.fetch_add(1, Ordering::Relaxed);
            }
            let deadline = Instant::now() + self.settings.timeout;
            let outcome = tokio::time::timeout_at(deadline, self.attempt(service, &mut rng)).await;
            let rejected = match outcome {
                Ok(Attempted::Answered { status: 200, queue }) => {
                    // Measured from when it was meant to leave: a late
                    // start is part of the wait, never hidden.
                    tally.complete(Instant::now() - intended, queue);
                    return;
                }
                Ok(_) => true,
                Err(_) => {
                    tally.timed_out.fetch_add(1, Ordering::Relaxed);
                    false
                }
            };
            if attempt == self.settings.retries {
                let which = if rejected {
                    &tally.failed_rejected
                } else {
                    &tally.failed_timeout
                };
                which.fetch_add(1, Ordering::Relaxed);
                return;
            }
            tokio::time::sleep(nanos(backoff(self.settings.backoff, attempt, &mut rng))).await;
        }
    }
}

/// Runs `arrivals` for real until `horizon` after the start, as the model
/// ran them; what has not ended by then is left pending, as in the model.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    arrivals: Vec<Arrival>,
    horizon: Duration,
    limits: &Limits,
    stop: &AtomicBool,
    tally: Arc<Tally>,
) -> Result<(), String> {
    let settings = Settings::from(p);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let t0 = Instant::now() + Duration::from_millis(50);
    let service = Arc::new(Service {
        settings: settings.clone(),
        workers: Semaphore::new(settings.workers as usize),
        waiting: AtomicUsize::new(0),
        t0,
    });
    let app = Router::new().route(PATH, post(work)).with_state(service);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(limits.sockets)
        .build(Loopback::tapped(tally.capture.clone()));
    let clients = Arc::new(Clients {
        settings,
        url: format!("http://{addr}{PATH}"),
        http,
        sockets: Semaphore::new(limits.sockets),
        seed,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for a in arrivals {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let intended = t0 + nanos(a.at);
        clock::until(intended).await;
        tally.scheduled(Instant::now() - intended);
        let (clients, tally) = (clients.clone(), tally.clone());
        tasks.spawn(async move { clients.request(a, intended, tally).await });
    }
    // The model stops at the horizon with some requests still pending; so
    // does the real run (their tasks are dropped, their sockets closed).
    let horizon = t0 + horizon;
    let drained = async { while tasks.join_next().await.is_some() {} };
    let stopped = async {
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = tokio::time::timeout_at(horizon, drained) => {}
        _ = stopped => {}
    }
    tasks.shutdown().await;
    server.abort();
    let _ = server.await;
    if stop.load(Ordering::Relaxed) {
        return Err("the real run was stopped".into());
    }
    Ok(())
}

/// The floor: round trips with no work, no delay, before the run.
pub async fn floor(n: usize) -> hdrhistogram::Histogram<u64> {
    let mut h = clock::histogram();
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
        return h;
    };
    let Ok(addr) = listener.local_addr() else {
        return h;
    };
    let app = Router::new().route("/floor", post(|| async { "" }));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http: Client<Loopback, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(Loopback::new());
    let url = format!("http://{addr}/floor");
    for _ in 0..n {
        let start = Instant::now();
        let req = hyper::Request::post(&url)
            .body(Empty::<Bytes>::new())
            .expect("valid");
        if let Ok(r) = http.request(req).await {
            let _ = r.into_body().collect().await;
            clock::record(&mut h, Instant::now() - start);
        }
    }
    server.abort();
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::run::Options;
    use sim::{Simulation, What};

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
        draw_services(&p, 11, &mut arrivals);
        assert!(served.len() > 200, "{}", served.len());
        for (req, took) in served {
            let a = arrivals.iter().find(|a| a.req == req).unwrap();
            assert_eq!(a.service, took, "request {req}");
        }
    }
}
