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

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::exp_gap;
use crate::event::{DropReason, FailReason, MsgId, MsgKind, What};
use crate::metrics::{fail_index, Snapshot};
use crate::net::Net;
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::time::{self, Time, SECOND};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
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
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "open_streams",
            label: "open streams",
            value: t.open_connections as f64,
            unit: "",
        },
        Figure {
            id: "reconnects",
            label: "reconnects",
            value: t.sent_of(MsgKind::Connect) as f64,
            unit: "",
        },
        Figure {
            id: "resumed",
            label: "events replayed on resume",
            value: t.sent_of(MsgKind::Replay) as f64,
            unit: "",
        },
        Figure {
            id: "lost",
            label: "events lost in drops",
            value: t.failed_by[fail_index(FailReason::Lost)] as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Update {
        gen: u64,
    },
    /// An event (update `k`) reaches the client on stream `stream`.
    EventArrives {
        msg: MsgId,
        client: NodeId,
        k: u64,
        stream: u64,
        /// When the server wrote it: the hop is the network share of the wait.
        sent: Time,
    },
    /// The client's connection drops (ignored if `timer` is stale).
    Drop {
        client: NodeId,
        timer: u64,
    },
    /// The client sends its (re)connect request.
    Reconnect {
        client: NodeId,
    },
    /// The (re)connect request reaches the server.
    ConnectArrives {
        msg: MsgId,
        client: NodeId,
        last_seen: u64,
    },
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
    params: ParamSet,
    topo: Topology,
    server: NodeId,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    update_rate: f64,
    update_gen: u64,
    drops_per_min: f64,
    reconnect: Time,
    resume: bool,
    updates: Updates,
    clients: Vec<Client>,
}

impl ServerSentEvents {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let n = params.get("clients") as u16;
        let mut topo = Topology::default();
        for i in 0..n {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let server = topo.add_node(NodeKind::Service, "server".into(), 0, 0);
        let (net, jitter) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
        );
        // Link 2i: client i → server (connects); 2i+1: server → client i (the stream).
        for i in 0..n {
            topo.add_link(i, server, net, jitter, 0.0);
            topo.add_link(server, i, net, jitter, 0.0);
        }
        ServerSentEvents {
            update_rate: params.get("update_rate"),
            update_gen: 0,
            drops_per_min: params.get("drops_per_min"),
            reconnect: time::from_ms(params.get("reconnect_ms")),
            resume: params.get_bool("resume"),
            params,
            topo,
            server,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
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

    fn schedule_update(&mut self) {
        if let Some(gap) = exp_gap(self.update_rate, &mut self.rng.arrivals) {
            let gen = self.update_gen;
            self.sched.at(self.now + gap, Action::Update { gen });
        }
    }

    fn schedule_drop(&mut self, client: NodeId) {
        let c = &mut self.clients[client as usize];
        c.drop_timer += 1;
        let timer = c.drop_timer;
        if let Some(gap) = exp_gap(self.drops_per_min / 60.0, &mut self.rng.client) {
            self.sched
                .at(self.now + gap, Action::Drop { client, timer });
        }
    }

    fn report_open(&self, rec: &mut Recorder) {
        let open = self.clients.iter().filter(|c| c.connected).count() as u32;
        rec.emit(
            self.now,
            What::Open {
                node: self.server,
                connections: open,
            },
        );
    }

    /// Writes update `k` to `client`'s stream.
    fn push(&mut self, rec: &mut Recorder, client: NodeId, k: u64, kind: MsgKind) {
        let link: LinkId = client * 2 + 1;
        let not_before = self.clients[client as usize].last_arrival;
        let t = self.net.send_not_before(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            kind,
            k,
            not_before,
        );
        let c = &mut self.clients[client as usize];
        c.last_arrival = t.arrive_at;
        let stream = c.stream;
        self.sched.at(
            t.arrive_at,
            Action::EventArrives {
                msg: t.msg,
                client,
                k,
                stream,
                sent: self.now,
            },
        );
    }

    fn on_update(&mut self, rec: &mut Recorder) {
        let k = self.updates.produce(self.now, rec);
        for client in 0..self.clients.len() as NodeId {
            if self.clients[client as usize].connected {
                self.push(rec, client, k, MsgKind::Event);
            }
        }
        self.schedule_update();
    }

    fn on_event(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        client: NodeId,
        k: u64,
        stream: u64,
        sent: Time,
    ) {
        let c = &self.clients[client as usize];
        if c.connected && c.stream == stream {
            rec.emit(self.now, What::Delivered { msg, node: client });
            self.updates
                .deliver(client, k + 1, self.now, Trip::pushed(sent), rec);
        } else {
            rec.drop(self.now, msg, client, DropReason::Disconnected);
        }
    }

    fn on_drop(&mut self, rec: &mut Recorder, client: NodeId, timer: u64) {
        let c = &mut self.clients[client as usize];
        if !c.connected || c.drop_timer != timer {
            return;
        }
        c.connected = false;
        c.stream += 1;
        c.last_arrival = 0;
        self.report_open(rec);
        self.sched
            .at(self.now + self.reconnect, Action::Reconnect { client });
    }

    fn on_reconnect(&mut self, rec: &mut Recorder, client: NodeId) {
        let last_seen = self.updates.seen(client);
        let link: LinkId = client * 2;
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            MsgKind::Connect,
            last_seen,
        );
        self.sched.at(
            t.arrive_at,
            Action::ConnectArrives {
                msg: t.msg,
                client,
                last_seen,
            },
        );
    }

    fn on_connect(&mut self, rec: &mut Recorder, msg: MsgId, client: NodeId, last_seen: u64) {
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.server,
            },
        );
        self.clients[client as usize].connected = true;
        self.report_open(rec);
        let total = self.updates.total();
        if self.resume {
            for k in last_seen.max(self.updates.seen(client))..total {
                self.push(rec, client, k, MsgKind::Replay);
            }
        } else {
            // Whatever was produced while the client was away is gone.
            self.updates.lose(client, total, self.now, rec);
        }
        self.schedule_drop(client);
    }
}

impl Pattern for ServerSentEvents {
    fn info(&self) -> &'static PatternInfo {
        &INFO
    }

    fn params(&self) -> &ParamSet {
        &self.params
    }

    fn topology(&self) -> &Topology {
        &self.topo
    }

    fn start(&mut self, rec: &mut Recorder) {
        self.report_open(rec);
        self.schedule_update();
        for client in 0..self.clients.len() as NodeId {
            let phase: f64 = self.rng.client.random();
            let at = time::from_ns((phase * (SECOND / 10) as f64).floor());
            self.sched.at(at, Action::Reconnect { client });
        }
    }

    fn next_time(&self) -> Option<Time> {
        self.sched.peek_time()
    }

    fn step(&mut self, until: Time, rec: &mut Recorder) -> bool {
        let Some((t, action)) = self.sched.pop_due(until) else {
            return false;
        };
        self.now = t;
        match action {
            Action::Update { gen } => {
                if gen == self.update_gen {
                    self.on_update(rec);
                }
            }
            Action::EventArrives {
                msg,
                client,
                k,
                stream,
                sent,
            } => self.on_event(rec, msg, client, k, stream, sent),
            Action::Drop { client, timer } => self.on_drop(rec, client, timer),
            Action::Reconnect { client } => self.on_reconnect(rec, client),
            Action::ConnectArrives {
                msg,
                client,
                last_seen,
            } => self.on_connect(rec, msg, client, last_seen),
        }
        true
    }

    fn set_param(
        &mut self,
        id: &str,
        value: f64,
        now: Time,
        _rec: &mut Recorder,
    ) -> Result<(), ParamError> {
        self.params.set(id, value)?;
        self.now = self.now.max(now);
        match id {
            "update_rate" => {
                self.update_rate = value;
                self.update_gen += 1;
                self.schedule_update();
            }
            "drops_per_min" => {
                self.drops_per_min = value;
                // Re-arm every connected client's drop clock at the new rate
                // (memoryless, so drawing afresh is exact).
                for client in 0..self.clients.len() as NodeId {
                    if self.clients[client as usize].connected {
                        self.schedule_drop(client);
                    }
                }
            }
            "reconnect_ms" => self.reconnect = time::from_ms(value),
            "resume" => self.resume = value != 0.0,
            "net_ms" | "jitter_ms" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len() + self.updates.held()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::EventArrives { .. } | Action::ConnectArrives { .. }
                )
            })
            .count() as u64;
        Audit {
            in_flight,
            queued: 0,
            in_service: 0,
            pending: self.updates.pending(),
        }
    }
}
