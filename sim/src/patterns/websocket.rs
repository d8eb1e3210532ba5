//! `websocket`: a chat room over persistent, full-duplex connections. Any
//! client sends; the server fans each message out to the other
//! `clients` − 1; heartbeats keep the connections alive.
//!
//! Each (message, recipient) pair is one thing wanted: offered when the
//! server takes the message, completed when that recipient has it — the
//! waiting time is sender → recipient: two hops plus the server's handling.
//! Connections deliver in order and drop now and then (`drops_per_min`);
//! what is in flight to a dropped client, or sent while it is away, is lost.

use std::collections::HashMap;

use rand::Rng;

use crate::engine::{Connections, Cx, Delivery, Endpoint, Model, Tally, Visit};
use crate::event::{DropReason, FailReason, MsgKind, ReqId, What};
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "websocket";

/// Request ids are `message × REQ_STRIDE + recipient`.
const REQ_STRIDE: u64 = 64;

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::count("open_connections", "open connections", t.open_connections),
        Figure::count("deliveries", "deliveries", t.completed),
        Figure::count(
            "heartbeats",
            "heartbeat messages",
            t.sent_of(MsgKind::Heartbeat),
        ),
        Figure::count("missed", "missed while away", t.failed_of(FailReason::Lost)),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// The server finished handling a chat message.
    Relay(Visit<Chat>),
    HeartbeatTick {
        client: NodeId,
    },
    /// The client's connection drops (ignored if `timer` is stale).
    Drop {
        client: NodeId,
        timer: u64,
    },
    Reconnect {
        client: NodeId,
    },
}

impl Timer {
    fn drop(client: NodeId, timer: u64) -> Self {
        Timer::Drop { client, timer }
    }

    fn reconnect(client: NodeId) -> Self {
        Timer::Reconnect { client }
    }
}

/// What travels on a connection.
#[derive(Clone, Copy, Debug)]
pub enum Frame {
    /// A chat message up to the server, on the sender's connection `conn`.
    Up {
        conn: u64,
    },
    /// A relayed copy on the recipient's connection `conn`, with its way:
    /// hop up (from when the sender sent it), the relay's queue and work,
    /// hop down.
    Down {
        conn: u64,
        trip: Trip,
    },
    Ping,
    Pong,
    Connect,
}

/// A chat message at the server: its number and who sent it when.
#[derive(Clone, Copy, Debug)]
pub struct Chat {
    k: u64,
    sender: NodeId,
    sent: Time,
}

#[derive(Clone)]
pub struct WebSocket {
    heartbeat: Time,
    /// One connection per client; a frame carries the one it was sent on.
    conns: Connections<Timer>,
    server: Endpoint<Chat, Timer>,
    /// Copies of each relayed message still on their way: (message → left).
    unsettled: HashMap<u64, u16>,
    next_k: u64,
}

type Cxw<'a> = Cx<'a, WebSocket>;

impl WebSocket {
    fn on_up(&mut self, cx: &mut Cxw, m: Delivery<Frame>, conn: u64) {
        let sender = m.from;
        if !self.conns.carries(sender, conn) {
            return cx.drop(m.msg, self.server.node, DropReason::Disconnected);
        }
        let k = self.next_k;
        self.next_k += 1;
        let chat = Chat {
            k,
            sender,
            sent: m.sent,
        };
        // The relay's queue is at the session's limit: refused.
        self.server.offer_drawn(cx, m.msg, chat);
    }

    fn on_relay(&mut self, cx: &mut Cxw, v: Visit<Chat>) {
        let Chat { k, sender, sent } = v.job;
        let trip = Trip::served(v.arrived - sent, v.arrived, v.started, cx.now);
        self.server.done(cx, v.msg, false);
        let n = self.conns.clients();
        let mut left = 0;
        for to in (0..n).filter(|&to| to != sender) {
            let req = k * REQ_STRIDE + to as u64;
            cx.emit(What::Offered { req, node: sender });
            if !self.conns.is_open(to) {
                cx.emit(What::Failed {
                    req,
                    node: to,
                    reason: FailReason::Lost,
                });
                continue;
            }
            let conn = self.conns.generation(to);
            let down = Frame::Down { conn, trip };
            self.conns.write(cx, to, MsgKind::Event, req, down);
            left += 1;
        }
        if left > 0 {
            self.unsettled.insert(k, left);
        }
        self.server.next(cx);
    }

    fn settle(&mut self, req: ReqId) {
        let k = req / REQ_STRIDE;
        if let Some(left) = self.unsettled.get_mut(&k) {
            *left -= 1;
            if *left == 0 {
                self.unsettled.remove(&k);
            }
        }
    }

    fn on_down(&mut self, cx: &mut Cxw, m: Delivery<Frame>, conn: u64, trip: Trip) {
        let (req, to) = (m.req, m.to);
        self.settle(req);
        if self.conns.carries(to, conn) {
            cx.emit(What::Delivered {
                msg: m.msg,
                node: to,
            });
            let sent = trip.arrived - trip.hop_in;
            cx.complete(&trip, req, to, sent);
        } else {
            cx.drop(m.msg, to, DropReason::Disconnected);
            cx.emit(What::Failed {
                req,
                node: to,
                reason: FailReason::Lost,
            });
        }
    }
}

impl Model for WebSocket {
    type Timer = Timer;
    type Msg = Frame;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let n = p.get("clients") as u16;
        let workers = p.get("workers") as u32;
        let parties = topo.add_parties(NodeKind::Client, "client", n);
        let queue_cap = crate::budget::QUEUE_LIMIT;
        let server = topo.add_node(
            NodeKind::Service,
            "server".into(),
            workers,
            queue_cap as u32,
        );
        topo.connect_all_reliable(parties, server, p);
        WebSocket {
            heartbeat: time::from_ms(p.get("heartbeat_ms")),
            conns: Connections::new(server, n, true, p, Timer::drop, Timer::reconnect),
            server: Endpoint::new(server, workers, queue_cap, p, Timer::Relay),
            unsettled: HashMap::with_capacity(1024),
            next_k: 0,
        }
    }

    fn start(&mut self, cx: &mut Cxw) {
        self.server.open(cx);
        self.conns.report_open(cx);
        for client in 0..self.conns.clients() {
            let phase: f64 = cx.rng.client.random();
            let at = time::from_ns((phase * self.heartbeat as f64).floor());
            cx.at(at, Timer::HeartbeatTick { client });
            self.conns.arm_drop(cx, client);
        }
    }

    fn arrival(&mut self, cx: &mut Cxw) {
        let sender = cx.rng.arrivals.random_range(0..self.conns.clients());
        if self.conns.is_open(sender) {
            let up = Frame::Up {
                conn: self.conns.generation(sender),
            };
            cx.send(sender * 2, MsgKind::Event, self.next_k, up);
        }
    }

    fn deliver(&mut self, cx: &mut Cxw, m: Delivery<Frame>) {
        match m.body {
            Frame::Up { conn } => self.on_up(cx, m, conn),
            Frame::Down { conn, trip } => self.on_down(cx, m, conn, trip),
            Frame::Ping => {
                cx.emit(What::Delivered {
                    msg: m.msg,
                    node: m.to,
                });
                if self.conns.is_open(m.from) {
                    self.conns
                        .write(cx, m.from, MsgKind::Heartbeat, 0, Frame::Pong);
                }
            }
            Frame::Pong => cx.emit(What::Delivered {
                msg: m.msg,
                node: m.to,
            }),
            Frame::Connect => {
                cx.emit(What::Delivered {
                    msg: m.msg,
                    node: m.to,
                });
                self.conns.opened(cx, m.from);
                self.conns.arm_drop(cx, m.from);
            }
        }
    }

    fn timer(&mut self, cx: &mut Cxw, t: Timer) {
        match t {
            Timer::Relay(v) => self.on_relay(cx, v),
            Timer::HeartbeatTick { client } => {
                if self.conns.is_open(client) {
                    cx.send(client * 2, MsgKind::Heartbeat, 0, Frame::Ping);
                }
                cx.after(self.heartbeat, Timer::HeartbeatTick { client });
            }
            Timer::Drop { client, timer } => self.conns.dropped(cx, client, timer),
            Timer::Reconnect { client } => {
                cx.send(client * 2, MsgKind::Connect, 0, Frame::Connect);
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxw, id: &str, value: f64) {
        if id == "heartbeat_ms" {
            self.heartbeat = time::from_ms(value);
        } else if !self.conns.set_param(cx, id, value) {
            self.server.set_param(cx, id, value);
        }
    }

    fn tally(&self) -> Tally {
        Endpoint::tally(
            [&self.server],
            self.unsettled.values().map(|&n| n as u64).sum(),
        )
    }

    fn held(&self) -> usize {
        self.server.queued() + self.unsettled.len()
    }
}
