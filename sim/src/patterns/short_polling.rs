//! `short-polling`: every client asks "anything new?" every `poll_ms`; the
//! server answers at once, with the news or empty-handed.
//!
//! Topology: `clients` clients, one server with `workers` and a queue; an up
//! and a down link per client. Updates are produced on the server side as a
//! Poisson stream at `update_rate`. Each (update, client) pair is one thing
//! a client wants: it is offered when the update is produced and completed
//! when that client's poll brings it home, so the waiting time is the
//! update's *staleness* and throughput counts updates delivered.
//!
//! A poll carries the client's cursor (how many updates it has); the server
//! answers with everything after it, as of the moment it finishes serving the
//! poll. Each client polls on a fixed schedule with a random phase, whether
//! or not its last poll came back; lost polls and lost answers are healed by
//! the next poll.

use rand::Rng;

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::{exp_gap, ServiceDist};
use crate::event::{DropReason, MsgId, MsgKind, What};
use crate::faults::ServiceFaults;
use crate::metrics::Snapshot;
use crate::net::Net;
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::station::{Admit, Station};
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};
use crate::trip::Trip;
use crate::updates::Updates;

pub const ID: &str = "short-polling";

pub const PARAMS: &[ParamSpec] = &[
    params::UPDATE_RATE,
    params::POLL_MS,
    params::CLIENTS,
    params::SERVICE_MS.with_default(2.0),
    params::SERVICE_DIST,
    params::WORKERS.with_default(4.0),
    params::QUEUE_CAP,
    params::NET_MS,
    params::JITTER_MS,
    params::LOSS,
    params::OUTAGE_AT_S,
    params::OUTAGE_S,
    params::SLOWDOWN_OFF,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Short polling",
    timing: "Asynchronous, client-driven: each client asks on its own schedule and the server answers at once.",
    flow: "Direct: client → server → client, once per poll interval per client.",
    delivery: "At-most-once per poll; a lost poll or answer is healed by the next poll, which asks again from the client's cursor.",
    sees: "A steady drumbeat of polls whether or not anything changed. At low update rates most answers are empty; data waits on the server until the next poll comes by.",
    law: "Mean staleness ≈ poll_ms/2 + one-way network latency; the share of empty answers ≈ e^(−u·poll_ms) for update rate u.",
    question: "Why not just poll every second?",
    params: PARAMS,
    kinds: &[MsgKind::Poll, MsgKind::Response, MsgKind::EmptyPoll, MsgKind::Error],
    companion: "server-sent-events",
    keyed_by_message: true,
    figures,
};

/// Staleness is the waiting time; these say what the polling cost.
fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    let full = t.sent_of(MsgKind::Response);
    let empty = t.sent_of(MsgKind::EmptyPoll);
    vec![
        Figure {
            id: "empty_poll_share",
            label: "empty answers",
            value: if full + empty > 0 {
                100.0 * empty as f64 / (full + empty) as f64
            } else {
                0.0
            },
            unit: "%",
        },
        Figure {
            id: "polls",
            label: "polls sent",
            value: t.sent_of(MsgKind::Poll) as f64,
            unit: "",
        },
        Figure {
            id: "wire_per_update",
            label: "messages per update delivered",
            value: if t.completed > 0 {
                t.sent as f64 / t.completed as f64
            } else {
                0.0
            },
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    /// The server produces an update (ignored if `gen` is stale).
    Update { gen: u64 },
    /// A client's poll timer fires.
    PollTick { client: NodeId },
    /// A poll reaches the server; it carries the client's cursor.
    PollArrives {
        msg: MsgId,
        client: NodeId,
        cursor: u64,
        lost: bool,
    },
    /// The server finished a poll.
    Served {
        msg: MsgId,
        client: NodeId,
        cursor: u64,
        /// When the poll reached the server and a worker took it.
        arrived: Time,
        started: Time,
    },
    /// An answer reaches its client with updates up to `upto`.
    Answer {
        msg: MsgId,
        client: NodeId,
        upto: u64,
        lost: bool,
        /// The answer's way: the poll's queue and service at the server, the
        /// hop back (the poll's own hop predates the data it carries).
        trip: Trip,
    },
}

struct Job {
    msg: MsgId,
    client: NodeId,
    cursor: u64,
    service: Time,
    arrived: Time,
}

pub struct ShortPolling {
    params: ParamSet,
    topo: Topology,
    server: NodeId,
    clients: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    update_rate: f64,
    poll: Time,
    service_mean: Time,
    dist: ServiceDist,
    /// The updates and what each client has of them.
    updates: Updates,
    station: Station<Job>,
    /// Outage window and slowdown of the server.
    faults: ServiceFaults,
    /// Bumped when the update rate changes (stale `Update`s are ignored).
    update_gen: u64,
}

impl ShortPolling {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let clients = params.get("clients") as u16;
        let workers = params.get("workers") as u32;
        let queue_cap = params.get("queue_cap") as usize;
        let mut topo = Topology::default();
        for i in 0..clients {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let server = topo.add_node(
            NodeKind::Service,
            "server".into(),
            workers,
            queue_cap as u32,
        );
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        for i in 0..clients {
            topo.add_link(i, server, net, jitter, loss);
            topo.add_link(server, i, net, jitter, loss);
        }
        ShortPolling {
            faults: ServiceFaults::from_params(&params),
            update_rate: params.get("update_rate"),
            poll: time::from_ms(params.get("poll_ms")),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            params,
            topo,
            server,
            clients,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            updates: Updates::new(server, clients),
            station: Station::new(server, workers, queue_cap),
            update_gen: 0,
        }
    }

    fn schedule_update(&mut self) {
        if let Some(gap) = exp_gap(self.update_rate, &mut self.rng.arrivals) {
            let gen = self.update_gen;
            self.sched.at(self.now + gap, Action::Update { gen });
        }
    }

    fn on_update(&mut self, rec: &mut Recorder) {
        self.updates.produce(self.now, rec);
        self.schedule_update();
    }

    /// Polls and answers carry the client's cursor (polls) or the server's
    /// update count (answers) as their correlation id.
    fn on_poll_tick(&mut self, rec: &mut Recorder, client: NodeId) {
        let cursor = self.updates.seen(client);
        let link = client * 2;
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            MsgKind::Poll,
            cursor,
        );
        self.sched.at(
            t.arrive_at,
            Action::PollArrives {
                msg: t.msg,
                client,
                cursor,
                lost: t.lost,
            },
        );
        self.sched
            .at(self.now + self.poll, Action::PollTick { client });
    }

    fn answer(&mut self, rec: &mut Recorder, client: NodeId, kind: MsgKind, upto: u64, trip: Trip) {
        let link: LinkId = client * 2 + 1;
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            link,
            kind,
            upto,
        );
        self.sched.at(
            t.arrive_at,
            Action::Answer {
                msg: t.msg,
                client,
                upto,
                lost: t.lost,
                trip,
            },
        );
    }

    fn start(&mut self, rec: &mut Recorder, job: Job, queued: bool) {
        rec.emit(
            self.now,
            What::Started {
                msg: job.msg,
                node: self.server,
                queued,
            },
        );
        self.sched.at(
            self.now + self.faults.stretch(job.service),
            Action::Served {
                msg: job.msg,
                client: job.client,
                cursor: job.cursor,
                arrived: job.arrived,
                started: self.now,
            },
        );
    }

    fn on_poll(&mut self, rec: &mut Recorder, msg: MsgId, client: NodeId, cursor: u64) {
        if self.faults.down(self.now) {
            // No answer from a server that is down: the next poll tries again.
            rec.drop(self.now, msg, self.server, DropReason::ServiceDown);
            return;
        }
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        match self.station.admit(Job {
            msg,
            client,
            cursor,
            service,
            arrived: self.now,
        }) {
            Admit::Start(job) => self.start(rec, job, false),
            Admit::Queued => rec.emit(
                self.now,
                What::Queued {
                    msg,
                    node: self.server,
                },
            ),
            Admit::Full(_) => {
                rec.drop(self.now, msg, self.server, DropReason::QueueFull);
                let trip = Trip::served(0, self.now, self.now, self.now);
                self.answer(rec, client, MsgKind::Error, cursor, trip);
            }
        }
    }

    fn on_served(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        client: NodeId,
        cursor: u64,
        arrived: Time,
        started: Time,
    ) {
        self.station.finish();
        rec.emit(
            self.now,
            What::Served {
                msg,
                node: self.server,
                wasted: false,
            },
        );
        let upto = self.updates.total();
        let kind = if upto > cursor {
            MsgKind::Response
        } else {
            MsgKind::EmptyPoll
        };
        let trip = Trip::served(0, arrived, started, self.now);
        self.answer(rec, client, kind, upto, trip);
        while let Some(job) = self.station.take_next() {
            self.start(rec, job, true);
        }
    }

    fn on_answer(&mut self, rec: &mut Recorder, msg: MsgId, client: NodeId, upto: u64, trip: Trip) {
        rec.emit(self.now, What::Delivered { msg, node: client });
        self.updates.deliver(client, upto, self.now, trip, rec);
    }
}

impl Pattern for ShortPolling {
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
        self.schedule_update();
        for client in 0..self.clients {
            let phase: f64 = self.rng.client.random();
            let at = time::from_ns((phase * self.poll as f64).floor());
            self.sched.at(at, Action::PollTick { client });
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
            Action::PollTick { client } => self.on_poll_tick(rec, client),
            Action::PollArrives {
                msg,
                client,
                cursor,
                lost,
            } => {
                if lost {
                    rec.drop(self.now, msg, self.server, DropReason::Loss);
                } else {
                    self.on_poll(rec, msg, client, cursor);
                }
            }
            Action::Served {
                msg,
                client,
                cursor,
                arrived,
                started,
            } => self.on_served(rec, msg, client, cursor, arrived, started),
            Action::Answer {
                msg,
                client,
                upto,
                lost,
                trip,
            } => {
                if lost {
                    rec.drop(self.now, msg, client, DropReason::Loss);
                } else {
                    self.on_answer(rec, msg, client, upto, trip);
                }
            }
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
            "update_rate" => {
                self.update_rate = value;
                self.update_gen += 1;
                self.schedule_update();
            }
            // Takes effect from each client's next tick.
            "poll_ms" => self.poll = time::from_ms(value),
            "service_ms" => self.service_mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            "workers" => {
                self.station
                    .resize(value as u32, &mut self.topo, rec, self.now);
                while let Some(job) = self.station.take_next() {
                    self.start(rec, job, true);
                }
            }
            id if ServiceFaults::reads(id) => {
                self.faults = ServiceFaults::from_params(&self.params)
            }
            "queue_cap" => {
                self.station.set_room(value as usize, &mut self.topo);
            }
            "net_ms" | "jitter_ms" | "loss" => self.topo.set_network_from(&self.params),
            _ => {}
        }
        Ok(())
    }

    fn held(&self) -> usize {
        self.sched.len() + self.station.queued() + self.updates.held()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| matches!(a, Action::PollArrives { .. } | Action::Answer { .. }))
            .count() as u64;
        Audit {
            in_flight,
            queued: self.station.queued() as u64,
            in_service: self.station.busy() as u64,
            pending: self.updates.pending(),
        }
    }
}
