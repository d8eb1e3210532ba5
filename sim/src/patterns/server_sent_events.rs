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

use crate::engine::{Connections, Cx, Delivery, Model, Tally};
use crate::event::{DropReason, FailReason, MsgKind, What};
use crate::info::Figure;
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, SECOND};
use crate::topology::{NodeId, NodeKind, Topology};
use crate::trip::Trip;
use crate::updates::Updates;

pub const ID: &str = "server-sent-events";

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::count("open_streams", "open streams", t.open_connections),
        Figure::count("reconnects", "reconnects", t.sent_of(MsgKind::Connect)),
        Figure::count(
            "resumed",
            "events replayed on resume",
            t.sent_of(MsgKind::Replay),
        ),
        Figure::count(
            "lost",
            "events lost in drops",
            t.failed_of(FailReason::Lost),
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

impl Timer {
    fn drop(client: NodeId, timer: u64) -> Self {
        Timer::Drop { client, timer }
    }

    fn reconnect(client: NodeId) -> Self {
        Timer::Reconnect { client }
    }
}

#[derive(Clone)]
pub struct ServerSentEvents {
    server: NodeId,
    resume: bool,
    updates: Updates,
    /// One stream per client; a message carries the stream it was written to.
    streams: Connections<Timer>,
}

type Cxe<'a> = Cx<'a, ServerSentEvents>;

impl ServerSentEvents {
    /// Event `m.req` arrives on stream `m.body` (gone if that stream is).
    fn on_event(&mut self, cx: &mut Cxe, m: Delivery<u64>) {
        let client = m.to;
        if self.streams.carries(client, m.body) {
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

    /// Writes update `k` to `client`'s stream, behind the event before it.
    fn push(&mut self, cx: &mut Cxe, client: NodeId, k: u64, kind: MsgKind) {
        let stream = self.streams.generation(client);
        self.streams.write(cx, client, kind, k, stream);
    }

    /// The (re)connect request (link 2i, carrying Last-Event-ID) reaches the
    /// server.
    fn on_connect(&mut self, cx: &mut Cxe, m: Delivery<u64>) {
        let (client, last_seen) = (m.from, m.req);
        cx.emit(What::Delivered {
            msg: m.msg,
            node: self.server,
        });
        self.streams.opened(cx, client);
        let total = self.updates.total();
        if self.resume {
            for k in last_seen.max(self.updates.seen(client))..total {
                self.push(cx, client, k, MsgKind::Replay);
            }
        } else {
            // Whatever was produced while the client was away is gone.
            self.updates.lose(client, total, cx.now, cx.rec);
        }
        self.streams.arm_drop(cx, client);
    }
}

impl Model for ServerSentEvents {
    type Timer = Timer;
    /// The stream an event was written to (nothing on a connect request).
    type Msg = u64;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let n = p.get("clients") as u16;
        let parties = topo.add_parties(NodeKind::Client, "client", n);
        let server = topo.add_node(NodeKind::Service, "server".into(), 0, 0);
        // Link 2i: client i → server (connects); 2i+1: server → client i (the stream).
        topo.connect_all_reliable(parties, server, p);
        ServerSentEvents {
            resume: p.get_bool("resume"),
            server,
            updates: Updates::new(server, n),
            streams: Connections::new(server, n, false, p, Timer::drop, Timer::reconnect),
        }
    }

    fn start(&mut self, cx: &mut Cxe) {
        self.streams.report_open(cx);
        for client in 0..self.streams.clients() {
            let phase: f64 = cx.rng.client.random();
            let at = time::from_ns((phase * (SECOND / 10) as f64).floor());
            cx.at(at, Timer::Reconnect { client });
        }
    }

    fn arrival(&mut self, cx: &mut Cxe) {
        let k = self.updates.produce(cx.now, cx.rec);
        for client in 0..self.streams.clients() {
            if self.streams.is_open(client) {
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
            Timer::Drop { client, timer } => self.streams.dropped(cx, client, timer),
            Timer::Reconnect { client } => {
                let last_seen = self.updates.seen(client);
                cx.send(client * 2, MsgKind::Connect, last_seen, 0);
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxe, id: &str, value: f64) {
        if id == "resume" {
            self.resume = value != 0.0;
        } else {
            self.streams.set_param(cx, id, value);
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
