//! `server-sent-events` for real: an axum SSE endpoint on 127.0.0.1 that
//! writes every update to each open stream, and hyper clients reading the
//! streams with `eventsource-stream`'s parser and their own reconnect loop,
//! so each reconnect and each replay is an event the page can count.
//!
//! What is real: the streams (HTTP/1.1 chunked `text/event-stream`), the
//! `id:` lines and the `Last-Event-ID` header a client sends when it comes
//! back, the server's replay of what it missed (from the server's own
//! record of every update), and a dropped stream closing its socket. What
//! is the model's: when updates are produced, when each client connects
//! and when its stream drops (replayed from the model's run of the same
//! recipe: a drop shows in the model as the client's next connect,
//! `reconnect_ms` earlier), and the link's delay law. A stream keeps its
//! order: an event leaves the server no earlier than the one before it
//! arrived, as on one TCP connection.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, FailReason, MsgId, MsgKind, ReqId};
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::updates::REQ_STRIDE;
use sim::{Event, ParamSet, What};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::clock;
use super::log::Log;
use super::loopback::Loopback;
use super::Limits;

/// The path the streams are served on.
pub const PATH: &str = "/real/events";

/// Events one stream may have waiting to be written: past it the client
/// is too slow and its stream is cut (a server must bound what it buffers).
const BACKLOG: usize = 4096;

/// What the model did that the real run replays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schedule {
    /// When each update was produced (update k at `updates[k]`).
    pub updates: Vec<Time>,
    /// Per client: when it sends each (re)connect request.
    pub connects: Vec<Vec<Time>>,
    /// Per client: when its stream drops.
    pub drops: Vec<Vec<Time>>,
}

/// Reads the schedule off the model's events (the model having run a
/// reconnect past the horizon, so a drop just before it shows).
pub fn schedule(p: &ParamSet, model: &[Event], horizon: Time) -> Schedule {
    let clients = p.get("clients") as usize;
    let reconnect = vt::from_ms(p.get("reconnect_ms"));
    let mut s = Schedule {
        updates: Vec::new(),
        connects: vec![Vec::new(); clients],
        drops: vec![Vec::new(); clients],
    };
    for e in model {
        match e.what {
            What::Offered { req, .. } if req % REQ_STRIDE == 0 && e.at <= horizon => {
                s.updates.push(e.at)
            }
            What::Sent {
                kind: MsgKind::Connect,
                link,
                ..
            } => {
                let c = link as usize / 2;
                if !s.connects[c].is_empty() {
                    let dropped = e.at - reconnect;
                    if dropped <= horizon {
                        s.drops[c].push(dropped);
                    }
                }
                if e.at <= horizon {
                    s.connects[c].push(e.at);
                }
            }
            _ => {}
        }
    }
    s
}

/// What the run reads from its parameters.
#[derive(Clone)]
struct Settings {
    clients: u16,
    resume: bool,
    link: Link,
    /// The server's node: clients are `0..clients`, the server next.
    server: NodeId,
}

impl Settings {
    fn from(p: &ParamSet) -> Settings {
        Settings {
            clients: p.get("clients") as u16,
            resume: p.get_bool("resume"),
            link: Link {
                id: 0,
                from: 0,
                to: 1,
                net: vt::from_ms(p.get("net_ms")),
                jitter: vt::from_ms(p.get("jitter_ms")),
                loss: 0.0,
                reliable: true,
            },
            server: p.get("clients") as NodeId,
        }
    }
}

fn req(k: u64, client: NodeId) -> ReqId {
    k * REQ_STRIDE + client as u64
}

/// One event on its way down a stream: written when the link says it
/// arrives.
struct Out {
    k: u64,
    msg: MsgId,
    kind: MsgKind,
    /// When it was written to the stream (run time).
    sent: Time,
    /// When it reaches the client (run time).
    arrive: Time,
}

/// One open stream, as the server holds it.
struct Stream {
    tx: mpsc::Sender<Out>,
    /// Closing this ends the stream's body and its socket.
    close: oneshot::Sender<()>,
    /// When the last event written to it arrives: the next may not overtake.
    last_arrival: Time,
}

/// The server's record: what it produced, who is connected.
struct Record {
    /// Updates produced so far.
    total: u64,
    streams: Vec<Option<Stream>>,
    /// The link's draws for each client's stream.
    rng: Vec<ChaCha8Rng>,
}

/// The server's side of the run.
struct Server {
    settings: Settings,
    updates: Arc<Vec<Time>>,
    log: Arc<Log>,
    record: Mutex<Record>,
}

impl Server {
    fn report_open(&self, r: &Record) {
        let open = r.streams.iter().filter(|s| s.is_some()).count() as u32;
        self.log.emit(What::Open {
            node: self.settings.server,
            connections: open,
        });
    }

    /// Writes update `k` to `client`'s stream, behind what was written to
    /// it before; a stream whose client cannot keep up is cut.
    fn push(&self, r: &mut Record, client: NodeId, k: u64, kind: MsgKind) {
        let c = client as usize;
        let (up, _) = self.settings.link.transit(&mut r.rng[c]);
        let Some(stream) = r.streams[c].as_mut() else {
            return;
        };
        let log = &self.log;
        let now = log.time(Instant::now());
        let arrive = (now + up).max(stream.last_arrival);
        stream.last_arrival = arrive;
        let msg = log.msg();
        log.emit(What::Sent {
            msg,
            req: req(k, client),
            kind,
            link: client * 2 + 1,
            arrive_at: arrive,
            lost: false,
        });
        let out = Out {
            k,
            msg,
            kind,
            sent: now,
            arrive,
        };
        if let Err(e) = stream.tx.try_send(out) {
            let out = match e {
                mpsc::error::TrySendError::Full(o) | mpsc::error::TrySendError::Closed(o) => o,
            };
            log.emit(What::Dropped {
                msg: out.msg,
                node: client,
                reason: DropReason::Disconnected,
            });
            if let Some(s) = r.streams[c].take() {
                let _ = s.close.send(());
            }
            self.report_open(r);
        }
    }

    /// Produces update `k`: every client wants it; open streams get it.
    fn produce(&self, k: u64, intended: Instant) {
        let mut r = self.record.lock().expect("never poisoned");
        r.total = k + 1;
        for c in 0..self.settings.clients {
            self.log.emit_at(
                intended,
                What::Offered {
                    req: req(k, c),
                    node: self.settings.server,
                },
            );
        }
        for c in 0..self.settings.clients {
            self.push(&mut r, c, k, MsgKind::Event);
        }
    }

    /// The model's drop of `client`'s stream: closed, socket and all.
    fn cut(&self, client: NodeId) {
        let mut r = self.record.lock().expect("never poisoned");
        if let Some(s) = r.streams[client as usize].take() {
            let _ = s.close.send(());
            self.report_open(&r);
        }
    }
}

/// A (re)connect: the stream, after the replay of what the client missed
/// (with resume).
async fn connect(State(s): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let num = |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.parse().ok() };
    let (Some(client), Some(msg)) = (num("x-client"), num("x-msg")) else {
        return axum::http::StatusCode::BAD_REQUEST.into_response();
    };
    if client >= s.settings.clients as u64 {
        return axum::http::StatusCode::BAD_REQUEST.into_response();
    }
    let client = client as NodeId;
    // Last-Event-ID is the id of the last event the client has: ids count
    // from 1, so it is also how many updates it has.
    let seen = num("last-event-id").unwrap_or(0);
    let (tx, rx) = mpsc::channel(BACKLOG);
    let (close, closed) = oneshot::channel();
    {
        let log = &s.log;
        let mut r = s.record.lock().expect("never poisoned");
        log.emit(What::Delivered {
            msg,
            node: s.settings.server,
        });
        if let Some(old) = r.streams[client as usize].replace(Stream {
            tx,
            close,
            last_arrival: 0,
        }) {
            let _ = old.close.send(());
        }
        s.report_open(&r);
        let total = r.total;
        // Without resume nothing is replayed: the client finds the gap in
        // the ids and counts what it lost.
        if s.settings.resume {
            for k in seen..total {
                s.push(&mut r, client, k, MsgKind::Replay);
            }
        }
    }
    let body = futures_util::stream::unfold(
        (rx, closed, s.log.clone(), client),
        |(mut rx, mut closed, log, client)| async move {
            let lose = |msg| {
                log.emit(What::Dropped {
                    msg,
                    node: client,
                    reason: DropReason::Disconnected,
                })
            };
            let out = tokio::select! {
                biased;
                _ = &mut closed => None,
                out = rx.recv() => out,
            };
            let Some(out) = out else {
                while let Ok(o) = rx.try_recv() {
                    lose(o.msg);
                }
                return None;
            };
            tokio::select! {
                biased;
                _ = &mut closed => {
                    lose(out.msg);
                    while let Ok(o) = rx.try_recv() {
                        lose(o.msg);
                    }
                    return None;
                }
                _ = clock::until(log.instant(out.arrive)) => {}
            }
            let kind = if out.kind == MsgKind::Replay {
                "replay"
            } else {
                "update"
            };
            let data = format!(
                r#"{{"update":{},"msg":{},"sent_ns":{}}}"#,
                out.k, out.msg, out.sent
            );
            let event = SseEvent::default()
                .id((out.k + 1).to_string())
                .event(kind)
                .data(data);
            Some((
                Ok::<_, std::convert::Infallible>(event),
                (rx, closed, log, client),
            ))
        },
    );
    let mut response = Sse::new(body).into_response();
    // A drop closes the socket, not just the stream.
    response
        .headers_mut()
        .insert("connection", HeaderValue::from_static("close"));
    response
}

/// One client: connects when the model's client did, reads its stream
/// until it ends, and comes back with the id it saw last.
struct Reader {
    settings: Settings,
    url: String,
    http: Client<Loopback, Empty<Bytes>>,
    updates: Arc<Vec<Time>>,
    log: Arc<Log>,
}

impl Reader {
    async fn run(&self, client: NodeId, connects: Vec<Time>, seed: u64) {
        let log = &self.log;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (0x5EED_0000 + client as u64));
        let mut seen: u64 = 0;
        for at in connects {
            clock::until(log.instant(at)).await;
            let msg = log.msg();
            let (up, _) = self.settings.link.transit(&mut rng);
            log.emit_at(
                log.instant(at),
                What::Sent {
                    msg,
                    req: seen,
                    kind: MsgKind::Connect,
                    link: client * 2,
                    arrive_at: at + up,
                    lost: false,
                },
            );
            clock::until(log.instant(at + up)).await;
            let request = hyper::Request::get(&self.url)
                .header("x-client", client)
                .header("x-msg", msg)
                .header("last-event-id", seen)
                .header("accept", "text/event-stream")
                .body(Empty::<Bytes>::new())
                .expect("a valid request");
            let Ok(response) = self.http.request(request).await else {
                continue;
            };
            let mut events = response.into_body().into_data_stream().eventsource();
            while let Some(Ok(e)) = events.next().await {
                let Ok(id) = e.id.parse::<u64>() else {
                    continue;
                };
                let Some(m) = field(&e.data, "msg") else {
                    continue;
                };
                let now = Instant::now();
                let t = log.time(now);
                // Update `id − 1` arrived: a repeat is thrown away, a jump
                // past updates never received loses them.
                let k = id.saturating_sub(1);
                if id == 0 || k < seen || k as usize >= self.updates.len() {
                    log.emit_at(
                        now,
                        What::Dropped {
                            msg: m,
                            node: client,
                            reason: DropReason::Late,
                        },
                    );
                    continue;
                }
                for gap in seen..k {
                    log.emit_at(
                        now,
                        What::Failed {
                            req: req(gap, client),
                            node: client,
                            reason: FailReason::Lost,
                        },
                    );
                }
                log.emit_at(
                    now,
                    What::Delivered {
                        msg: m,
                        node: client,
                    },
                );
                let produced = self.updates[k as usize];
                let sent = field(&e.data, "sent_ns").unwrap_or(t);
                log.complete(now, req(k, client), client, produced, Trip::pushed(sent));
                seen = id;
            }
        }
    }
}

/// A number field of an event's JSON data (the server writes flat
/// objects of numbers).
fn field(data: &str, name: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    v.get(name)?.as_u64()
}

/// Runs the model's updates, connects and drops for real until `horizon`.
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    _limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
) -> Result<(), String> {
    let settings = Settings::from(p);
    let plan = schedule(p, model, horizon.as_nanos() as Time);
    let updates = Arc::new(plan.updates);
    let n = settings.clients as usize;
    let server = Arc::new(Server {
        settings: settings.clone(),
        updates: updates.clone(),
        log: log.clone(),
        record: Mutex::new(Record {
            total: 0,
            streams: (0..n).map(|_| None).collect(),
            rng: (0..n)
                .map(|c| ChaCha8Rng::seed_from_u64(seed ^ (0xD0_0000 + c as u64)))
                .collect(),
        }),
    });
    log.emit_at(
        log.t0(),
        What::Open {
            node: settings.server,
            connections: 0,
        },
    );
    let app = Router::new()
        .route(PATH, get(connect))
        .with_state(server.clone());
    let serving = super::http::serve(app).await?;

    let http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(Loopback::tapped(log.capture.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    for (c, connects) in plan.connects.into_iter().enumerate() {
        let reader = Reader {
            settings: settings.clone(),
            url: serving.url(PATH),
            http: http.clone(),
            updates: updates.clone(),
            log: log.clone(),
        };
        tasks.spawn(async move { reader.run(c as NodeId, connects, seed).await });
    }
    let mut drops: Vec<(Time, NodeId)> = plan
        .drops
        .iter()
        .enumerate()
        .flat_map(|(c, ds)| ds.iter().map(move |&d| (d, c as NodeId)))
        .collect();
    drops.sort_unstable();
    {
        let server = server.clone();
        let log = log.clone();
        tasks.spawn(async move {
            for (at, client) in drops {
                clock::until(log.instant(at)).await;
                server.cut(client);
            }
        });
    }
    let producer = {
        let server = server.clone();
        let log = log.clone();
        async move {
            for (k, &at) in server.updates.iter().enumerate() {
                let intended = log.instant(at);
                clock::until(intended).await;
                log.late(Instant::now() - intended);
                server.produce(k as u64, intended);
            }
            // The streams stay open to the horizon.
            std::future::pending::<()>().await
        }
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, producer).await;
    tasks.shutdown().await;
    // Close every stream so the bodies end and their sockets with them.
    for c in 0..settings.clients {
        server.cut(c);
    }
    serving.stop().await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::run::Options;
    use sim::Simulation;

    /// The schedule holds every update the model produced, each client's
    /// connects, and a drop before every reconnect.
    #[test]
    fn the_schedule_is_the_models() {
        let mut p = sim::find_pattern("server-sent-events").unwrap().defaults();
        p.set("drops_per_min", 30.0).unwrap();
        p.set("update_rate", 20.0).unwrap();
        let mut model = Simulation::new(p.clone(), 5, Options::EVENTS);
        model.advance_to(vt::from_secs(12.0));
        let s = schedule(&p, model.events(), vt::from_secs(10.0));
        let produced = model.summary(0.0).offered / p.get("clients") as u64;
        assert!(s.updates.len() as u64 <= produced && s.updates.len() > 150);
        assert!(s.updates.windows(2).all(|w| w[0] <= w[1]));
        for (c, d) in s.connects.iter().zip(&s.drops) {
            assert!(!c.is_empty());
            assert!(d.len() + 1 >= c.len(), "a drop before each reconnect");
        }
        assert!(s.drops.iter().map(Vec::len).sum::<usize>() > 5);
    }
}
