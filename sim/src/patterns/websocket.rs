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

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::{exp_gap, ServiceDist};
use crate::event::{DropReason, FailReason, MsgId, MsgKind, ReqId, What};
use crate::metrics::{fail_index, Snapshot};
use crate::net::{Net, Workload};
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::station::{Admit, Station};
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::Trip;

pub const ID: &str = "websocket";

/// Request ids are `message × REQ_STRIDE + recipient`.
const REQ_STRIDE: u64 = 64;

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "Message rate",
        unit: "msgs/s",
        help: "Chat messages per second sent by all clients together (Poisson).",
        kind: params::Kind::Number {
            min: 0.0,
            max: 5_000.0,
            default: 10.0,
            step: 0.1,
            integer: false,
            log: true,
        },
        ..params::RATE
    },
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    ParamSpec {
        help: "Clients in the chat room; each message goes to all the others.",
        kind: params::Kind::Number {
            min: 2.0,
            max: 50.0,
            default: 5.0,
            step: 1.0,
            integer: true,
            log: false,
        },
        ..params::CLIENTS
    },
    params::HEARTBEAT_MS,
    params::DROPS_PER_MIN.with_default(0.0),
    params::RECONNECT_MS,
    ParamSpec {
        help: "Mean time the server spends on one message before fanning it out.",
        ..params::SERVICE_MS.with_default(1.0)
    },
    params::SERVICE_DIST,
    params::WORKERS.with_default(4.0),
    params::NET_MS,
    params::JITTER_MS,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "WebSocket",
    timing: "Asynchronous and full duplex: either side may send at any moment over a connection that stays open.",
    flow: "Direct and persistent: every client holds one connection to the server, which relays.",
    delivery: "At-most-once: what is sent to a connection that has dropped is lost; heartbeats show the connection is alive.",
    sees: "A chat room: each message goes up once and comes down to everyone else. The connections stay open, quiet but for heartbeats; a dropped client misses what was said while it was away.",
    law: "Server deliveries = sent × (clients − 1); latency ≈ two one-way hops + server service.",
    question: "When is a persistent connection worth it?",
    params: PARAMS,
    kinds: &[MsgKind::Event, MsgKind::Heartbeat, MsgKind::Connect],
    companion: "request-response",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "open_connections",
            label: "open connections",
            value: t.open_connections as f64,
            unit: "",
        },
        Figure {
            id: "deliveries",
            label: "deliveries",
            value: t.completed as f64,
            unit: "",
        },
        Figure {
            id: "heartbeats",
            label: "heartbeat messages",
            value: t.sent_of(MsgKind::Heartbeat) as f64,
            unit: "",
        },
        Figure {
            id: "missed",
            label: "missed while away",
            value: t.failed_by[fail_index(FailReason::Lost)] as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    /// A chat message reaches the server.
    Up {
        msg: MsgId,
        sender: NodeId,
        sent: Time,
        link_gen: u64,
    },
    /// The server finished handling message `k`.
    Relay {
        msg: MsgId,
        k: u64,
        sender: NodeId,
        sent: Time,
        arrived: Time,
        started: Time,
    },
    /// A relayed copy reaches `to` on connection generation `conn`.
    Down {
        msg: MsgId,
        req: ReqId,
        to: NodeId,
        conn: u64,
        /// Its way: hop up (from when the sender sent it), the relay's
        /// queue and work, hop down.
        trip: Trip,
    },
    /// A heartbeat ping (client → server) or pong arrives.
    Beat {
        msg: MsgId,
        client: NodeId,
        pong: bool,
    },
    HeartbeatTick {
        client: NodeId,
    },
    Drop {
        client: NodeId,
        timer: u64,
    },
    Reconnect {
        client: NodeId,
    },
    ConnectArrives {
        msg: MsgId,
        client: NodeId,
    },
}

struct Work {
    msg: MsgId,
    k: u64,
    sender: NodeId,
    sent: Time,
    service: Time,
    /// When it reached the server, for the wait's breakdown.
    arrived: Time,
}

struct Client {
    connected: bool,
    /// Generation of the connection: copies sent on an older one are gone.
    conn: u64,
    last_arrival: Time,
    drop_timer: u64,
}

pub struct WebSocket {
    params: ParamSet,
    topo: Topology,
    server: NodeId,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    heartbeat: Time,
    drops_per_min: f64,
    reconnect: Time,
    clients: Vec<Client>,
    station: Station<Work>,
    /// Copies of each relayed message still on their way: (message → left).
    unsettled: HashMap<u64, u16>,
    next_k: u64,
}

impl WebSocket {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let n = params.get("clients") as u16;
        let workers = params.get("workers") as u32;
        let (net, jitter) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
        );
        let mut topo = Topology::default();
        for i in 0..n {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let server = topo.add_node(
            NodeKind::Service,
            "server".into(),
            workers,
            crate::budget::QUEUE_LIMIT as u32,
        );
        for i in 0..n {
            topo.add_link(i, server, net, jitter, 0.0);
            topo.add_link(server, i, net, jitter, 0.0);
        }
        WebSocket {
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            heartbeat: time::from_ms(params.get("heartbeat_ms")),
            drops_per_min: params.get("drops_per_min"),
            reconnect: time::from_ms(params.get("reconnect_ms")),
            params,
            topo,
            server,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            clients: (0..n)
                .map(|_| Client {
                    connected: true,
                    conn: 0,
                    last_arrival: 0,
                    drop_timer: 0,
                })
                .collect(),
            station: Station::new(server, workers, crate::budget::QUEUE_LIMIT),
            unsettled: HashMap::with_capacity(1024),
            next_k: 0,
        }
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
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

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let n = self.clients.len() as u16;
        let sender = self.rng.arrivals.random_range(0..n);
        if self.clients[sender as usize].connected {
            let conn = self.clients[sender as usize].conn;
            let t = self.net.send(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                sender * 2,
                MsgKind::Event,
                self.next_k,
            );
            self.sched.at(
                t.arrive_at,
                Action::Up {
                    msg: t.msg,
                    sender,
                    sent: self.now,
                    link_gen: conn,
                },
            );
        }
        self.schedule_arrival();
    }

    fn start(&mut self, rec: &mut Recorder, w: Work, queued: bool) {
        rec.emit(
            self.now,
            What::Started {
                msg: w.msg,
                node: self.server,
                queued,
            },
        );
        self.sched.at(
            self.now + w.service,
            Action::Relay {
                msg: w.msg,
                k: w.k,
                sender: w.sender,
                sent: w.sent,
                arrived: w.arrived,
                started: self.now,
            },
        );
    }

    fn on_up(&mut self, rec: &mut Recorder, msg: MsgId, sender: NodeId, sent: Time, link_gen: u64) {
        let c = &self.clients[sender as usize];
        if !c.connected || c.conn != link_gen {
            rec.drop(self.now, msg, self.server, DropReason::Disconnected);
            return;
        }
        let k = self.next_k;
        self.next_k += 1;
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        match self.station.admit(Work {
            msg,
            k,
            sender,
            sent,
            service,
            arrived: self.now,
        }) {
            Admit::Start(w) => self.start(rec, w, false),
            Admit::Queued => rec.emit(
                self.now,
                What::Queued {
                    msg,
                    node: self.server,
                },
            ),
            // The relay's queue is at the session's limit: refused.
            Admit::Full(w) => rec.drop(self.now, w.msg, self.server, DropReason::QueueFull),
        }
    }

    fn on_relay(&mut self, rec: &mut Recorder, msg: MsgId, k: u64, sender: NodeId, trip: Trip) {
        self.station.finish();
        rec.emit(
            self.now,
            What::Served {
                msg,
                node: self.server,
                wasted: false,
            },
        );
        let n = self.clients.len() as u16;
        let mut left = 0;
        for to in (0..n).filter(|&to| to != sender) {
            let req = k * REQ_STRIDE + to as u64;
            rec.emit(self.now, What::Offered { req, node: sender });
            let c = &self.clients[to as usize];
            if !c.connected {
                rec.emit(
                    self.now,
                    What::Failed {
                        req,
                        node: to,
                        reason: FailReason::Lost,
                    },
                );
                continue;
            }
            let (conn, not_before) = (c.conn, c.last_arrival);
            let t = self.net.send_not_before(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                to * 2 + 1,
                MsgKind::Event,
                req,
                not_before,
            );
            self.clients[to as usize].last_arrival = t.arrive_at;
            self.sched.at(
                t.arrive_at,
                Action::Down {
                    msg: t.msg,
                    req,
                    to,
                    conn,
                    trip,
                },
            );
            left += 1;
        }
        if left > 0 {
            self.unsettled.insert(k, left);
        }
        while let Some(w) = self.station.take_next() {
            self.start(rec, w, true);
        }
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

    fn on_down(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        to: NodeId,
        conn: u64,
        trip: Trip,
    ) {
        self.settle(req);
        let c = &self.clients[to as usize];
        if c.connected && c.conn == conn {
            rec.emit(self.now, What::Delivered { msg, node: to });
            let sent = trip.arrived - trip.hop_in;
            trip.complete(rec, self.now, req, to, sent);
        } else {
            rec.drop(self.now, msg, to, DropReason::Disconnected);
            rec.emit(
                self.now,
                What::Failed {
                    req,
                    node: to,
                    reason: FailReason::Lost,
                },
            );
        }
    }

    fn on_heartbeat_tick(&mut self, rec: &mut Recorder, client: NodeId) {
        if self.clients[client as usize].connected {
            let t = self.net.send(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                client * 2,
                MsgKind::Heartbeat,
                0,
            );
            self.sched.at(
                t.arrive_at,
                Action::Beat {
                    msg: t.msg,
                    client,
                    pong: false,
                },
            );
        }
        self.sched
            .at(self.now + self.heartbeat, Action::HeartbeatTick { client });
    }

    fn on_beat(&mut self, rec: &mut Recorder, msg: MsgId, client: NodeId, pong: bool) {
        let node = if pong { client } else { self.server };
        rec.emit(self.now, What::Delivered { msg, node });
        if !pong && self.clients[client as usize].connected {
            let link: LinkId = client * 2 + 1;
            let not_before = self.clients[client as usize].last_arrival;
            let t = self.net.send_not_before(
                &self.topo,
                &mut self.rng.network,
                rec,
                self.now,
                link,
                MsgKind::Heartbeat,
                0,
                not_before,
            );
            self.clients[client as usize].last_arrival = t.arrive_at;
            self.sched.at(
                t.arrive_at,
                Action::Beat {
                    msg: t.msg,
                    client,
                    pong: true,
                },
            );
        }
    }

    fn on_drop(&mut self, rec: &mut Recorder, client: NodeId, timer: u64) {
        let c = &mut self.clients[client as usize];
        if !c.connected || c.drop_timer != timer {
            return;
        }
        c.connected = false;
        c.conn += 1;
        c.last_arrival = 0;
        self.report_open(rec);
        self.sched
            .at(self.now + self.reconnect, Action::Reconnect { client });
    }

    fn on_reconnect(&mut self, rec: &mut Recorder, client: NodeId) {
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            client * 2,
            MsgKind::Connect,
            0,
        );
        self.sched
            .at(t.arrive_at, Action::ConnectArrives { msg: t.msg, client });
    }

    fn on_connect(&mut self, rec: &mut Recorder, msg: MsgId, client: NodeId) {
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.server,
            },
        );
        self.clients[client as usize].connected = true;
        self.report_open(rec);
        self.schedule_drop(client);
    }
}

impl Pattern for WebSocket {
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
        rec.emit(
            self.now,
            What::Capacity {
                node: self.server,
                workers: self.station.workers(),
            },
        );
        self.report_open(rec);
        for client in 0..self.clients.len() as NodeId {
            let phase: f64 = self.rng.client.random();
            self.sched.at(
                time::from_ns((phase * self.heartbeat as f64).floor()),
                Action::HeartbeatTick { client },
            );
            self.schedule_drop(client);
        }
        self.schedule_arrival();
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
            Action::Arrival { gen } => {
                if self.workload.is_current(gen) {
                    self.on_arrival(rec);
                }
            }
            Action::Up {
                msg,
                sender,
                sent,
                link_gen,
            } => self.on_up(rec, msg, sender, sent, link_gen),
            Action::Relay {
                msg,
                k,
                sender,
                sent,
                arrived,
                started,
            } => {
                let trip = Trip::served(arrived - sent, arrived, started, self.now);
                self.on_relay(rec, msg, k, sender, trip)
            }
            Action::Down {
                msg,
                req,
                to,
                conn,
                trip,
            } => self.on_down(rec, msg, req, to, conn, trip),
            Action::Beat { msg, client, pong } => self.on_beat(rec, msg, client, pong),
            Action::HeartbeatTick { client } => self.on_heartbeat_tick(rec, client),
            Action::Drop { client, timer } => self.on_drop(rec, client, timer),
            Action::Reconnect { client } => self.on_reconnect(rec, client),
            Action::ConnectArrives { msg, client } => self.on_connect(rec, msg, client),
        }
        true
    }

    fn set_param(
        &mut self,
        id: &str,
        value: f64,
        now: Time,
        rec: &mut Recorder,
    ) -> Result<(), ParamError> {
        self.params.set(id, value)?;
        self.now = self.now.max(now);
        match id {
            id if Workload::reads(id) => {
                // Poisson arrivals are memoryless: drawing afresh from now at
                // the new rate (or spike) is exact.
                self.workload.set_from(&self.params);
                self.schedule_arrival();
            }
            "heartbeat_ms" => self.heartbeat = time::from_ms(value),
            "drops_per_min" => {
                self.drops_per_min = value;
                for client in 0..self.clients.len() as NodeId {
                    if self.clients[client as usize].connected {
                        self.schedule_drop(client);
                    }
                }
            }
            "reconnect_ms" => self.reconnect = time::from_ms(value),
            "service_ms" => self.service_mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            "workers" => {
                self.station
                    .resize(value as u32, &mut self.topo, rec, self.now);
                while let Some(w) = self.station.take_next() {
                    self.start(rec, w, true);
                }
            }
            "net_ms" | "jitter_ms" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len() + self.station.queued() + self.unsettled.len()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::Up { .. }
                        | Action::Down { .. }
                        | Action::Beat { .. }
                        | Action::ConnectArrives { .. }
                )
            })
            .count() as u64;
        Audit {
            in_flight,
            queued: self.station.queued() as u64,
            in_service: self.station.busy() as u64,
            pending: self.unsettled.values().map(|&n| n as u64).sum(),
        }
    }
}
