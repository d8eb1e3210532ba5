//! `websocket` for real: a chat room on an axum WebSocket endpoint on
//! 127.0.0.1 and tokio-tungstenite clients, one connection each. A client
//! sends a text frame; the server relays it (through `workers` workers)
//! to every other connected client; clients ping, the server pongs.
//!
//! What is real: the upgrade handshake, the frames (text, ping, pong,
//! close), the relay's queue and work, a dropped connection closing its
//! socket and the client dialling again. What is the model's: when each
//! client sends, pings, and when its connection drops and comes back
//! (replayed from the model's run of the same recipe: a drop shows as the
//! client's next connect, `reconnect_ms` earlier), the relay's service
//! times (the model's draws, in the order messages reach the relay), and
//! the link's delay law. A connection keeps its order: a frame leaves no
//! earlier than the one before it arrived. One exception to the link law:
//! a pong is written by tungstenite itself the moment the ping is read, so
//! it carries no link delay.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, FailReason, MsgId, MsgKind};
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::arrivals;
use super::clock;
use super::log::Log;
use super::station::{Entry, Station};
use super::tap::{Capture, Tap};
use super::Limits;

/// The path the room is served on.
pub const PATH: &str = "/real/ws";

/// Largest frame either side accepts: a chat message here is ~100 bytes.
const MAX_FRAME: usize = 64 * 1024;

/// Frames one connection may have waiting to be written before its
/// client counts as too slow and is cut.
const BACKLOG: usize = 4096;

/// Request ids are `message × STRIDE + recipient`, as the model's.
const STRIDE: u64 = 64;

/// What one client does, and when (run time), as the model did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Sends a chat message (the model's message id on its `Sent`).
    Chat,
    Ping,
    /// Dials again after a drop.
    Connect,
}

/// The model's run, as the real one replays it.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// Per client: what it does, in time order.
    pub steps: Vec<Vec<(Time, Step)>>,
    /// Per client: when its connection drops.
    pub drops: Vec<Vec<Time>>,
}

/// Reads the schedule off the model's events (run a reconnect past the
/// horizon, so a drop just before it shows).
pub fn schedule(p: &ParamSet, model: &[Event], horizon: Time) -> Schedule {
    let clients = p.get("clients") as usize;
    let reconnect = vt::from_ms(p.get("reconnect_ms"));
    let mut s = Schedule {
        steps: vec![Vec::new(); clients],
        drops: vec![Vec::new(); clients],
    };
    for e in model {
        let What::Sent { kind, link, .. } = e.what else {
            continue;
        };
        if link % 2 == 1 {
            continue;
        }
        let c = link as usize / 2;
        let step = match kind {
            MsgKind::Event => Step::Chat,
            MsgKind::Heartbeat => Step::Ping,
            MsgKind::Connect => {
                let dropped = e.at.saturating_sub(reconnect);
                if dropped <= horizon {
                    s.drops[c].push(dropped);
                }
                Step::Connect
            }
            _ => continue,
        };
        if e.at <= horizon {
            s.steps[c].push((e.at, step));
        }
    }
    s
}

/// What the run reads from its parameters.
#[derive(Clone)]
struct Settings {
    clients: u16,
    link: Link,
    /// The server's node: clients are `0..clients`, the server next.
    server: NodeId,
}

impl Settings {
    fn from(p: &ParamSet) -> Settings {
        Settings {
            clients: p.get("clients") as u16,
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

/// A relayed copy on its way down a connection.
struct Out {
    msg: MsgId,
    req: u64,
    /// The frame's text.
    text: String,
    /// When it reaches the client (run time).
    arrive: Time,
}

/// One open connection, as the server holds it.
struct Conn {
    tx: mpsc::Sender<Out>,
    /// Sending on this closes the connection (the model's drop).
    close: oneshot::Sender<()>,
    /// When the last frame written to it arrives: the next may not overtake.
    last_arrival: Time,
}

/// The server's side of the run.
struct Server {
    settings: Settings,
    station: Station,
    log: Arc<Log>,
    conns: Mutex<Vec<Option<Conn>>>,
    /// The link's draws for each client's connection down.
    rng: Mutex<Vec<ChaCha8Rng>>,
    /// The model's service draws, in the order messages reach the relay.
    services: Vec<Time>,
    /// Messages relayed so far: the next one's number and service draw.
    relayed: AtomicU64,
}

impl Server {
    fn report_open(&self, conns: &[Option<Conn>]) {
        let open = conns.iter().filter(|c| c.is_some()).count() as u32;
        self.log.emit(What::Open {
            node: self.settings.server,
            connections: open,
        });
    }

    /// The model's drop of `client`'s connection: its socket closed.
    fn cut(&self, client: NodeId) {
        let mut conns = self.conns.lock().expect("never poisoned");
        if let Some(c) = conns[client as usize].take() {
            let _ = c.close.send(());
            self.report_open(&conns);
        }
    }

    /// Message `k` from `sender`, its way so far in `trip`: a copy to every
    /// other client, or lost for one that is away.
    fn relay(&self, k: u64, sender: NodeId, up_sent: Time, trip: Trip) {
        let log = &self.log;
        let mut conns = self.conns.lock().expect("never poisoned");
        let mut rng = self.rng.lock().expect("never poisoned");
        let now = log.time(Instant::now());
        for to in (0..self.settings.clients).filter(|&to| to != sender) {
            let req = k * STRIDE + to as u64;
            log.emit(What::Offered { req, node: sender });
            let Some(conn) = conns[to as usize].as_mut() else {
                log.emit(What::Failed {
                    req,
                    node: to,
                    reason: FailReason::Lost,
                });
                continue;
            };
            let (down, _) = self.settings.link.transit(&mut rng[to as usize]);
            let arrive = (now + down).max(conn.last_arrival);
            conn.last_arrival = arrive;
            let msg = log.msg();
            log.emit(What::Sent {
                msg,
                req,
                kind: MsgKind::Event,
                link: to * 2 + 1,
                arrive_at: arrive,
                lost: false,
            });
            let text = format!(
                r#"{{"k":{k},"from":{sender},"msg":{msg},"sent_ns":{up_sent},"arrived_ns":{},"started_ns":{},"left_ns":{}}}"#,
                trip.arrived, trip.started, trip.left
            );
            if conn
                .tx
                .try_send(Out {
                    msg,
                    req,
                    text,
                    arrive,
                })
                .is_err()
            {
                // Too slow to keep up: its copy is lost and it is cut.
                log.emit(What::Dropped {
                    msg,
                    node: to,
                    reason: DropReason::Disconnected,
                });
                log.emit(What::Failed {
                    req,
                    node: to,
                    reason: FailReason::Lost,
                });
                if let Some(c) = conns[to as usize].take() {
                    let _ = c.close.send(());
                }
                self.report_open(&conns);
            }
        }
    }
}

fn num(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.parse().ok()
}

/// A client dials in (`x-client`; `x-msg` names its connect message when
/// it is a reconnect).
async fn upgrade(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(client) = num(&headers, "x-client").filter(|&c| c < s.settings.clients as u64) else {
        return axum::http::StatusCode::BAD_REQUEST.into_response();
    };
    let connect = num(&headers, "x-msg");
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| serve(s, client as NodeId, connect, socket))
}

/// One connection, from its opening to its drop.
async fn serve(s: Arc<Server>, client: NodeId, connect: Option<MsgId>, socket: WebSocket) {
    let log = s.log.clone();
    let node = s.settings.server;
    let (tx, mut rx) = mpsc::channel::<Out>(BACKLOG);
    let (close, mut closed) = oneshot::channel();
    {
        let mut conns = s.conns.lock().expect("never poisoned");
        if let Some(msg) = connect {
            log.emit(What::Delivered { msg, node });
        }
        if let Some(old) = conns[client as usize].replace(Conn {
            tx,
            close,
            last_arrival: 0,
        }) {
            let _ = old.close.send(());
        }
        if connect.is_some() {
            s.report_open(&conns);
        }
    }
    let (mut sink, mut stream) = socket.split();
    let lose = |o: Out| {
        log.emit(What::Dropped {
            msg: o.msg,
            node: client,
            reason: DropReason::Disconnected,
        });
        log.emit(What::Failed {
            req: o.req,
            node: client,
            reason: FailReason::Lost,
        });
    };
    // The frame the writer holds until its arrival time: lost if the
    // connection drops first.
    let holding: Mutex<Option<Out>> = Mutex::new(None);
    // Full duplex: the writer waits on each frame's arrival while the
    // reader goes on taking frames in.
    let writer = async {
        while let Some(out) = rx.recv().await {
            let arrive = log.instant(out.arrive);
            let text = out.text.clone();
            *holding.lock().expect("never poisoned") = Some(out);
            clock::until(arrive).await;
            if sink.send(Frame::Text(text.into())).await.is_err() {
                return;
            }
            holding.lock().expect("never poisoned").take();
        }
    };
    let reader = async {
        while let Some(Ok(frame)) = stream.next().await {
            match frame {
                Frame::Text(text) => {
                    let arrived = Instant::now();
                    let (Some(msg), Some(sent)) = (field(&text, "msg"), field(&text, "sent_ns"))
                    else {
                        continue;
                    };
                    let s = s.clone();
                    tokio::spawn(async move { relay(s, client, msg, sent, arrived).await });
                }
                Frame::Ping(payload) => {
                    // tungstenite has queued the pong already.
                    let (ping, pong) = pair(&payload);
                    log.emit(What::Delivered { msg: ping, node });
                    let now = log.time(Instant::now());
                    log.emit(What::Sent {
                        msg: pong,
                        req: 0,
                        kind: MsgKind::Heartbeat,
                        link: client * 2 + 1,
                        arrive_at: now,
                        lost: false,
                    });
                }
                _ => {}
            }
        }
    };
    tokio::select! {
        _ = &mut closed => {}
        _ = writer => {}
        _ = reader => {}
    }
    // Whatever was still on its way down is lost with the connection.
    if let Some(o) = holding.lock().expect("never poisoned").take() {
        lose(o);
    }
    while let Ok(o) = rx.try_recv() {
        lose(o);
    }
}

/// A chat message reached the relay: queued for a worker, worked on, sent
/// on to the others.
async fn relay(s: Arc<Server>, sender: NodeId, msg: MsgId, sent: Time, arrived: Instant) {
    let k = s.relayed.fetch_add(1, Ordering::Relaxed);
    let service = s.services.get(k as usize).copied().unwrap_or(0);
    let (permit, started) = match s.station.enter(msg, arrived).await {
        Entry::Working { permit, started } => (permit, started),
        Entry::Full | Entry::Down => return,
    };
    let left = s
        .station
        .work(msg, permit, started, service, || false)
        .await;
    let log = &s.log;
    let (a, st, l) = (log.time(arrived), log.time(started), log.time(left));
    let trip = Trip::served(a.saturating_sub(sent), a, st, l);
    s.relay(k, sender, sent, trip);
}

/// A number field of a frame's JSON text.
fn field(text: &str, name: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get(name)?.as_u64()
}

/// A ping's payload: its own message id and the one its pong will carry.
fn pair(payload: &[u8]) -> (MsgId, MsgId) {
    let id = |b: &[u8]| b.try_into().map(u64::from_be_bytes).unwrap_or(0);
    if payload.len() == 16 {
        (id(&payload[..8]), id(&payload[8..]))
    } else {
        (0, 0)
    }
}

/// One client: dials, sends and pings when the model's client did, reads
/// what the room relays, and dials again after a drop.
struct Member {
    client: NodeId,
    settings: Settings,
    addr: std::net::SocketAddr,
    log: Arc<Log>,
    rng: ChaCha8Rng,
}

type Socket = tokio_tungstenite::WebSocketStream<Tap<tokio::net::TcpStream>>;

impl Member {
    /// Opens a connection (a reconnect names its connect message).
    async fn dial(&self, connect: Option<MsgId>) -> Option<Socket> {
        let socket = tokio::net::TcpStream::connect(self.addr).await.ok()?;
        let _ = socket.set_nodelay(true);
        let capture = Capture::claim(&self.log.capture);
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                format!("ws://{}{PATH}", self.addr),
            )
            .ok()?;
        request.headers_mut().insert("x-client", self.client.into());
        if let Some(m) = connect {
            request.headers_mut().insert("x-msg", m.into());
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME))
            .max_frame_size(Some(MAX_FRAME))
            .max_write_buffer_size(MAX_FRAME * 4);
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            request,
            Tap::new(socket, capture),
            Some(config),
        )
        .await
        .ok()?;
        Some(ws)
    }

    /// A connection's two halves at work: a writer sending each frame when
    /// its hop up ends (in order, as TCP keeps it) and a reader.
    fn attach(&self, ws: Socket) -> Attached {
        let (mut sink, stream) = ws.split();
        let (tx, mut rx) = mpsc::channel::<(Message, MsgId, Time)>(BACKLOG);
        let log = self.log.clone();
        let server = self.settings.server;
        let writer = tokio::spawn(async move {
            while let Some((frame, msg, arrive)) = rx.recv().await {
                clock::until(log.instant(arrive)).await;
                if sink.send(frame).await.is_err() {
                    // The connection had dropped under it.
                    log.emit(What::Dropped {
                        msg,
                        node: server,
                        reason: DropReason::Disconnected,
                    });
                }
            }
        });
        Attached {
            tx,
            last_arrival: 0,
            _writer: AbortOnDrop(writer),
            _reader: AbortOnDrop(tokio::spawn(read(stream, self.client, self.log.clone()))),
        }
    }

    async fn run(mut self, steps: Vec<(Time, Step)>) {
        let log = self.log.clone();
        let c = self.client;
        let server = self.settings.server;
        let mut conn = self.dial(None).await.map(|ws| self.attach(ws));
        for (at, step) in steps {
            clock::until(log.instant(at)).await;
            log.late(Instant::now() - log.instant(at));
            let msg = log.msg();
            let (up, _) = self.settings.link.transit(&mut self.rng);
            let kind = match step {
                Step::Chat => MsgKind::Event,
                Step::Ping => MsgKind::Heartbeat,
                Step::Connect => MsgKind::Connect,
            };
            let pong = (step == Step::Ping).then(|| log.msg());
            // In order behind the last frame on this connection.
            let arrive = (at + up).max(conn.as_ref().map_or(0, |c| c.last_arrival));
            log.emit_at(
                log.instant(at),
                What::Sent {
                    msg,
                    req: 0,
                    kind,
                    link: c * 2,
                    arrive_at: arrive,
                    lost: false,
                },
            );
            if step == Step::Connect {
                // The old connection (closed by the drop) goes first.
                drop(conn.take());
                clock::until(log.instant(at + up)).await;
                conn = self.dial(Some(msg)).await.map(|ws| self.attach(ws));
                continue;
            }
            let frame = match pong {
                Some(pong) => {
                    let mut payload = msg.to_be_bytes().to_vec();
                    payload.extend_from_slice(&pong.to_be_bytes());
                    Message::Ping(payload.into())
                }
                None => Message::Text(format!(r#"{{"msg":{msg},"sent_ns":{at}}}"#).into()),
            };
            let queued = match conn.as_mut() {
                Some(open) => {
                    open.last_arrival = arrive;
                    open.tx.try_send((frame, msg, arrive)).is_ok()
                }
                None => false,
            };
            if !queued {
                log.emit(What::Dropped {
                    msg,
                    node: server,
                    reason: DropReason::Disconnected,
                });
            }
        }
        // Stays connected to the horizon (the run then closes everything).
        let _connected = conn;
        std::future::pending::<()>().await
    }
}

/// A member's open connection: frames go to its writer.
struct Attached {
    tx: mpsc::Sender<(Message, MsgId, Time)>,
    /// When the last frame written arrives: the next may not overtake it.
    last_arrival: Time,
    _writer: AbortOnDrop,
    _reader: AbortOnDrop,
}

/// Stops a reader when its member is stopped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads what the room sends `client` until its connection closes.
async fn read(
    mut stream: futures_util::stream::SplitStream<Socket>,
    client: NodeId,
    log: Arc<Log>,
) {
    while let Some(Ok(frame)) = stream.next().await {
        let now = Instant::now();
        match frame {
            Message::Text(text) => {
                let n = |name| field(&text, name);
                let (Some(k), Some(msg), Some(sent)) = (n("k"), n("msg"), n("sent_ns")) else {
                    continue;
                };
                let (arrived, started, left) = (
                    n("arrived_ns").unwrap_or(sent),
                    n("started_ns").unwrap_or(sent),
                    n("left_ns").unwrap_or(sent),
                );
                let trip = Trip::served(arrived.saturating_sub(sent), arrived, started, left);
                log.emit_at(now, What::Delivered { msg, node: client });
                log.complete(now, k * STRIDE + client as u64, client, sent, trip);
            }
            Message::Pong(payload) => {
                let (_, pong) = pair(&payload);
                log.emit_at(
                    now,
                    What::Delivered {
                        msg: pong,
                        node: client,
                    },
                );
            }
            _ => {}
        }
    }
}

/// Runs the model's chat, pings, drops and reconnects for real.
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
    let chats = plan
        .steps
        .iter()
        .flatten()
        .filter(|(_, s)| *s == Step::Chat)
        .count();
    let n = settings.clients as usize;
    let server = Arc::new(Server {
        settings: settings.clone(),
        station: Station::new(settings.server, p, log.clone()),
        log: log.clone(),
        conns: Mutex::new((0..n).map(|_| None).collect()),
        rng: Mutex::new(
            (0..n)
                .map(|c| ChaCha8Rng::seed_from_u64(seed ^ (0xD0_0000 + c as u64)))
                .collect(),
        ),
        services: arrivals::service_draws(p, seed, chats + 64),
        relayed: AtomicU64::new(0),
    });
    let app = Router::new()
        .route(PATH, get(upgrade))
        .with_state(server.clone());
    let serving = super::http::serve(app).await?;
    log.emit_at(
        log.t0(),
        What::Open {
            node: settings.server,
            connections: settings.clients as u32,
        },
    );
    let mut tasks = tokio::task::JoinSet::new();
    for (c, steps) in plan.steps.into_iter().enumerate() {
        let member = Member {
            client: c as NodeId,
            settings: settings.clone(),
            addr: serving.addr,
            log: log.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed ^ (0x5EED_0000 + c as u64)),
        };
        tasks.spawn(member.run(steps));
    }
    let mut drops: Vec<(Time, NodeId)> = plan
        .drops
        .iter()
        .enumerate()
        .flat_map(|(c, ds)| ds.iter().map(move |&d| (d, c as NodeId)))
        .collect();
    drops.sort_unstable();
    let cutting = {
        let server = server.clone();
        let log = log.clone();
        async move {
            for (at, client) in drops {
                clock::until(log.instant(at)).await;
                server.cut(client);
            }
            std::future::pending::<()>().await
        }
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, cutting).await;
    tasks.shutdown().await;
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

    /// Every chat message and ping the model's clients sent is in the
    /// schedule, and a drop comes before every reconnect.
    #[test]
    fn the_schedule_is_the_models() {
        let mut p = sim::find_pattern("websocket").unwrap().defaults();
        p.set("drops_per_min", 30.0).unwrap();
        let mut model = Simulation::new(p.clone(), 3, Options::EVENTS);
        model.advance_to(vt::from_secs(10.0));
        let s = schedule(&p, model.events(), vt::from_secs(10.0));
        let sent = |kind| {
            model
                .events()
                .iter()
                .filter(|e| matches!(e.what, What::Sent { kind: k, link, .. } if k == kind && link % 2 == 0))
                .count()
        };
        let count = |step| s.steps.iter().flatten().filter(|(_, x)| *x == step).count();
        assert_eq!(count(Step::Chat), sent(MsgKind::Event));
        assert_eq!(count(Step::Ping), sent(MsgKind::Heartbeat));
        assert_eq!(count(Step::Connect), sent(MsgKind::Connect));
        assert!(count(Step::Connect) > 0);
        for (steps, drops) in s.steps.iter().zip(&s.drops) {
            let connects = steps.iter().filter(|(_, x)| *x == Step::Connect).count();
            assert_eq!(connects, drops.len());
        }
    }
}
