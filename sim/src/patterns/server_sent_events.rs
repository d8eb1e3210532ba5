//! `server-sent-events`: each client holds one long-lived stream; the server
//! pushes every update down it the moment it exists.
//!
//! Same update workload as the polling patterns ([`crate::updates`]). A
//! stream behaves like TCP: events on it arrive in order (never overtaking
//! each other, whatever the jitter) and are not lost one by one — but the
//! whole connection drops now and then (`drops_per_min`). Events in flight
//! then are gone; the client reconnects after `reconnect_ms`. With `resume`
//! it sends Last-Event-ID and the server replays what it missed; without,
//! everything produced while it was away is lost (and counted as such).

use rand::Rng;

use crate::dist::exp_gap;
use crate::engine::{Cx, Delivery, Engine, Model, Tally};
use crate::event::{DropReason, FailReason, MsgKind, What};
use crate::info::{Figure, PatternInfo};
use crate::metrics::{fail_index, Snapshot};
use crate::params::{self, ParamSet, ParamSpec};
use crate::time::{self, Time, SECOND};
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trip::Trip;
use crate::updates::Updates;

pub const ID: &str = "server-sent-events";

pub const PARAMS: &[ParamSpec] = &[
    params::UPDATE_RATE,
    params::CLIENTS,
    params::NET_MS,
    params::JITTER_MS,
    params::DROPS_PER_MIN,
    params::RECONNECT_MS,
    params::RESUME,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Server-sent events",
    timing: "Asynchronous push: the client opens one long-lived stream and the server writes each event to it as it happens.",
    flow: "Direct and one-way: server → client over a stream the client opened.",
    delivery: "At-most-once on a dropped stream; with resume (Last-Event-ID) the server replays what the client missed when it reconnects.",
    sees: "One open stream per client and one message per event — nothing else on the wire. When a connection drops the client reconnects; with resume on it catches up with a burst of replays, with it off the gap is simply lost.",
    law: "Latency ≈ one-way network latency; events lost on a drop = 0 with resume, = the events produced during the gap without.",
    question: "Why not just poll every second?",
    params: PARAMS,
    kinds: &[MsgKind::Event, MsgKind::Replay, MsgKind::Connect],
    companion: "websocket",
    keyed_by_message: true,
    figures,
    build: Engine::<ServerSentEvents>::boxed,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::new(
            "open_streams",
            "open streams",
            t.open_connections as f64,
            "",
        ),
        Figure::new(
            "reconnects",
            "reconnects",
            t.sent_of(MsgKind::Connect) as f64,
            "",
        ),
        Figure::new(
            "resumed",
            "events replayed on resume",
            t.sent_of(MsgKind::Replay) as f64,
            "",
        ),
        Figure::new(
            "lost",
            "events lost in drops",
            t.failed_by[fail_index(FailReason::Lost)] as f64,
            "",
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// The client's connection drops (ignored if `timer` is stale).
    Drop { client: NodeId, timer: u64 },
    /// The client sends its (re)connect request.
    Reconnect { client: NodeId },
}

/// One client's side of its stream.
struct Client {
    connected: bool,
    /// Increments on every drop: events of an older stream are gone.
    stream: u64,
    /// Arrival time of the last event sent on the current stream: a stream
    /// delivers in order.
    last_arrival: Time,
    /// Generation of the drop timer, so a rate change can re-arm it.
    drop_timer: u64,
}

pub struct ServerSentEvents {
    server: NodeId,
    drops_per_min: f64,
    reconnect: Time,
    resume: bool,
    updates: Updates,
    clients: Vec<Client>,
}

type Cxe<'a> = Cx<'a, ServerSentEvents>;

impl ServerSentEvents {
    fn schedule_drop(&mut self, cx: &mut Cxe, client: NodeId) {
        let c = &mut self.clients[client as usize];
        c.drop_timer += 1;
        let timer = c.drop_timer;
        if let Some(gap) = exp_gap(self.drops_per_min / 60.0, &mut cx.rng.client) {
            cx.after(gap, Timer::Drop { client, timer });
        }
    }

    fn report_open(&self, cx: &mut Cxe) {
        let open = self.clients.iter().filter(|c| c.connected).count() as u32;
        cx.emit(What::Open {
            node: self.server,
            connections: open,
        });
    }

    /// Writes update `k` to `client`'s stream (link 2i + 1), behind the
    /// event before it.
    fn push(&mut self, cx: &mut Cxe, client: NodeId, k: u64, kind: MsgKind) {
        let c = &self.clients[client as usize];
        let (not_before, stream) = (c.last_arrival, c.stream);
        let t = cx.send_not_before(client * 2 + 1, kind, k, stream, not_before);
        self.clients[client as usize].last_arrival = t.arrive_at;
    }

    /// Event `m.req` arrives on stream `m.body` (gone if that stream is).
    fn on_event(&mut self, cx: &mut Cxe, m: Delivery<u64>) {
        let client = m.to;
        let c = &self.clients[client as usize];
        if c.connected && c.stream == m.body {
            cx.emit(What::Delivered {
                msg: m.msg,
                node: client,
            });
            self.updates
                .deliver(client, m.req + 1, cx.now, Trip::pushed(m.sent), cx.rec);
        } else {
            cx.drop(m.msg, client, DropReason::Disconnected);
        }
    }

    fn on_drop(&mut self, cx: &mut Cxe, client: NodeId, timer: u64) {
        let c = &mut self.clients[client as usize];
        if !c.connected || c.drop_timer != timer {
            return;
        }
        c.connected = false;
        c.stream += 1;
        c.last_arrival = 0;
        self.report_open(cx);
        cx.after(self.reconnect, Timer::Reconnect { client });
    }

    /// The (re)connect request (link 2i, carrying Last-Event-ID) reaches the
    /// server.
    fn on_connect(&mut self, cx: &mut Cxe, m: Delivery<u64>) {
        let (client, last_seen) = (m.from, m.req);
        cx.emit(What::Delivered {
            msg: m.msg,
            node: self.server,
        });
        self.clients[client as usize].connected = true;
        self.report_open(cx);
        let total = self.updates.total();
        if self.resume {
            for k in last_seen.max(self.updates.seen(client))..total {
                self.push(cx, client, k, MsgKind::Replay);
            }
        } else {
            // Whatever was produced while the client was away is gone.
            self.updates.lose(client, total, cx.now, cx.rec);
        }
        self.schedule_drop(cx, client);
    }
}

impl Model for ServerSentEvents {
    type Timer = Timer;
    /// The stream an event was written to (nothing on a connect request).
    type Msg = u64;

    const INFO: &'static PatternInfo = &INFO;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let n = p.get("clients") as u16;
        let parties = topo.add_parties(NodeKind::Client, "client", n);
        let server = topo.add_node(NodeKind::Service, "server".into(), 0, 0);
        // Link 2i: client i → server (connects); 2i+1: server → client i (the stream).
        topo.connect_all_reliable(parties, server, p);
        ServerSentEvents {
            drops_per_min: p.get("drops_per_min"),
            reconnect: time::from_ms(p.get("reconnect_ms")),
            resume: p.get_bool("resume"),
            server,
            updates: Updates::new(server, n),
            clients: (0..n)
                .map(|_| Client {
                    connected: false,
                    stream: 0,
                    last_arrival: 0,
                    drop_timer: 0,
                })
                .collect(),
        }
    }

    fn start(&mut self, cx: &mut Cxe) {
        self.report_open(cx);
        for client in 0..self.clients.len() as NodeId {
            let phase: f64 = cx.rng.client.random();
            let at = time::from_ns((phase * (SECOND / 10) as f64).floor());
            cx.at(at, Timer::Reconnect { client });
        }
    }

    fn arrival(&mut self, cx: &mut Cxe) {
        let k = self.updates.produce(cx.now, cx.rec);
        for client in 0..self.clients.len() as NodeId {
            if self.clients[client as usize].connected {
                self.push(cx, client, k, MsgKind::Event);
            }
        }
    }

    fn deliver(&mut self, cx: &mut Cxe, m: Delivery<u64>) {
        if m.to == self.server {
            self.on_connect(cx, m);
        } else {
            self.on_event(cx, m);
        }
    }

    fn timer(&mut self, cx: &mut Cxe, t: Timer) {
        match t {
            Timer::Drop { client, timer } => self.on_drop(cx, client, timer),
            Timer::Reconnect { client } => {
                let last_seen = self.updates.seen(client);
                cx.send(client * 2, MsgKind::Connect, last_seen, 0);
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxe, id: &str, value: f64) {
        match id {
            "drops_per_min" => {
                self.drops_per_min = value;
                // Re-arm every connected client's drop clock at the new rate
                // (memoryless, so drawing afresh is exact).
                for client in 0..self.clients.len() as NodeId {
                    if self.clients[client as usize].connected {
                        self.schedule_drop(cx, client);
                    }
                }
            }
            "reconnect_ms" => self.reconnect = time::from_ms(value),
            "resume" => self.resume = value != 0.0,
            _ => {}
        }
    }

    fn tally(&self) -> Tally {
        Tally {
            pending: self.updates.pending(),
            ..Tally::default()
        }
    }

    fn held(&self) -> usize {
        self.updates.held()
    }
}
