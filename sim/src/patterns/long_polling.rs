//! `long-polling`: the client asks; the server holds the request open until
//! it has news (or `hold_ms` passes) and only then answers; the client asks
//! again at once.
//!
//! Same topology and update workload as short polling (see
//! [`crate::updates`]): the waiting time is staleness. A poll carries the
//! client's cursor; a poll that finds news is answered as soon as it is
//! served, one that finds none is held. Every new update answers every held
//! poll. A client whose poll (or answer) is lost re-polls after its
//! `timeout_ms`.

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

pub const ID: &str = "long-polling";

pub const PARAMS: &[ParamSpec] = &[
    params::UPDATE_RATE,
    params::HOLD_MS,
    params::CLIENTS,
    params::SERVICE_MS.with_default(2.0),
    params::SERVICE_DIST,
    params::WORKERS.with_default(4.0),
    params::QUEUE_CAP,
    params::NET_MS,
    params::JITTER_MS,
    params::LOSS,
    ParamSpec {
        help: "How long a client waits for an answer to a poll before polling again (should exceed the hold time).",
        kind: params::Kind::Number {
            min: 1.0,
            max: 180_000.0,
            default: 25_000.0,
            step: 1.0,
            integer: false,
            log: true,
        },
        ..params::TIMEOUT_MS
    },
    params::OUTAGE_AT_S,
    params::OUTAGE_S,
    params::SLOWDOWN_OFF,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Long polling",
    timing: "Asynchronous with a held request: the server keeps each poll open until it has news or the hold time runs out.",
    flow: "Direct: client → server, answered when there is something to say; the client polls again at once.",
    delivery: "At-most-once per poll; a lost poll or answer is healed when the client's timeout makes it poll again.",
    sees: "Every client keeps one request parked at the server. News goes out the moment it exists; when nothing happens the line stays quiet but for one empty answer per hold time.",
    law: "Staleness ≈ one-way latency (+ the re-poll gap); open connections ≈ clients; empty answers ≈ 1 per hold_ms per idle client.",
    question: "Why not just poll every second?",
    params: PARAMS,
    kinds: &[MsgKind::Poll, MsgKind::Response, MsgKind::EmptyPoll, MsgKind::Error],
    companion: "server-sent-events",
    keyed_by_message: true,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "held_open",
            label: "polls held open",
            value: t.open_connections as f64,
            unit: "",
        },
        Figure {
            id: "empty_answers",
            label: "empty answers",
            value: t.sent_of(MsgKind::EmptyPoll) as f64,
            unit: "",
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

/// Identifies one poll of one client: (client, that client's poll number).
type PollId = (NodeId, u64);

#[derive(Clone, Copy, Debug)]
enum Action {
    Update {
        gen: u64,
    },
    PollArrives {
        msg: MsgId,
        poll: PollId,
        cursor: u64,
        lost: bool,
    },
    Served {
        msg: MsgId,
        poll: PollId,
        cursor: u64,
        arrived: Time,
        started: Time,
    },
    HoldExpires {
        poll: PollId,
    },
    Answer {
        msg: MsgId,
        poll: PollId,
        upto: u64,
        lost: bool,
        /// The answer's way: the poll's queue and service when news was
        /// already there, else just the hop back from the moment news came.
        trip: Trip,
    },
    ClientTimeout {
        poll: PollId,
    },
    /// A client sends its first poll.
    Connect {
        client: NodeId,
    },
}

struct Job {
    msg: MsgId,
    poll: PollId,
    cursor: u64,
    service: Time,
    /// When the poll reached the server, for the staleness breakdown.
    arrived: Time,
}

pub struct LongPolling {
    params: ParamSet,
    topo: Topology,
    server: NodeId,
    clients: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    update_rate: f64,
    update_gen: u64,
    hold: Time,
    timeout: Time,
    service_mean: Time,
    dist: ServiceDist,
    updates: Updates,
    station: Station<Job>,
    /// Outage window and slowdown of the server.
    faults: ServiceFaults,
    /// Each client's current poll number; answers to older polls still
    /// deliver data but do not trigger a re-poll.
    current: Vec<u64>,
    /// Polls the server holds open, waiting for news.
    held: Vec<PollId>,
}

impl LongPolling {
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
        LongPolling {
            faults: ServiceFaults::from_params(&params),
            update_rate: params.get("update_rate"),
            update_gen: 0,
            hold: time::from_ms(params.get("hold_ms")),
            timeout: time::from_ms(params.get("timeout_ms")),
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
            current: vec![0; clients as usize],
            held: Vec::with_capacity(clients as usize),
        }
    }

    fn schedule_update(&mut self) {
        if let Some(gap) = exp_gap(self.update_rate, &mut self.rng.arrivals) {
            let gen = self.update_gen;
            self.sched.at(self.now + gap, Action::Update { gen });
        }
    }

    /// The client opens a new poll and arms its timeout.
    fn poll(&mut self, rec: &mut Recorder, client: NodeId) {
        let c = client as usize;
        self.current[c] += 1;
        let poll = (client, self.current[c]);
        let cursor = self.updates.seen(client);
        let link: LinkId = client * 2;
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
                poll,
                cursor,
                lost: t.lost,
            },
        );
        self.sched
            .at(self.now + self.timeout, Action::ClientTimeout { poll });
    }

    fn answer(&mut self, rec: &mut Recorder, poll: PollId, kind: MsgKind, upto: u64, trip: Trip) {
        let link: LinkId = poll.0 * 2 + 1;
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
                poll,
                upto,
                lost: t.lost,
                trip,
            },
        );
    }

    fn report_open(&self, rec: &mut Recorder) {
        rec.emit(
            self.now,
            What::Open {
                node: self.server,
                connections: self.held.len() as u32,
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
                poll: job.poll,
                cursor: job.cursor,
                arrived: job.arrived,
                started: self.now,
            },
        );
    }

    fn on_poll(&mut self, rec: &mut Recorder, msg: MsgId, poll: PollId, cursor: u64) {
        if self.faults.down(self.now) {
            // No answer from a server that is down: the client's timeout
            // makes it poll again.
            rec.drop(self.now, msg, self.server, DropReason::ServiceDown);
            return;
        }
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        match self.station.admit(Job {
            msg,
            poll,
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
                self.answer(rec, poll, MsgKind::Error, cursor, Trip::pushed(self.now));
            }
        }
    }

    fn on_served(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        poll: PollId,
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
        let total = self.updates.total();
        if total > cursor {
            // News was already there: the poll's own queue and service are
            // part of its staleness.
            let trip = Trip::served(0, arrived, started, self.now);
            self.answer(rec, poll, MsgKind::Response, total, trip);
        } else {
            self.held.push(poll);
            self.report_open(rec);
            self.sched
                .at(self.now + self.hold, Action::HoldExpires { poll });
        }
        while let Some(job) = self.station.take_next() {
            self.start(rec, job, true);
        }
    }

    fn on_update(&mut self, rec: &mut Recorder) {
        self.updates.produce(self.now, rec);
        let total = self.updates.total();
        if !self.held.is_empty() {
            for i in 0..self.held.len() {
                let poll = self.held[i];
                self.answer(rec, poll, MsgKind::Response, total, Trip::pushed(self.now));
            }
            self.held.clear();
            self.report_open(rec);
        }
        self.schedule_update();
    }

    fn on_hold_expires(&mut self, rec: &mut Recorder, poll: PollId) {
        if let Some(i) = self.held.iter().position(|&p| p == poll) {
            self.held.swap_remove(i);
            self.report_open(rec);
            let total = self.updates.total();
            self.answer(rec, poll, MsgKind::EmptyPoll, total, Trip::pushed(self.now));
        }
    }

    fn on_answer(&mut self, rec: &mut Recorder, msg: MsgId, poll: PollId, upto: u64, trip: Trip) {
        let (client, n) = poll;
        rec.emit(self.now, What::Delivered { msg, node: client });
        self.updates.deliver(client, upto, self.now, trip, rec);
        if self.current[client as usize] == n {
            self.poll(rec, client);
        }
    }

    fn on_client_timeout(&mut self, rec: &mut Recorder, poll: PollId) {
        let (client, n) = poll;
        if self.current[client as usize] == n {
            rec.emit(
                self.now,
                What::TimedOut {
                    req: n,
                    node: client,
                    attempt: 0,
                },
            );
            self.poll(rec, client);
        }
    }
}

impl Pattern for LongPolling {
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
        self.schedule_update();
        // Clients connect within the first 100 ms, not all at once.
        for client in 0..self.clients {
            let phase: f64 = self.rng.client.random();
            let at = time::from_ns((phase * time::from_ms(100.0) as f64).floor());
            self.sched.at(at, Action::Connect { client });
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
            Action::PollArrives {
                msg,
                poll,
                cursor,
                lost,
            } => {
                if lost {
                    rec.drop(self.now, msg, self.server, DropReason::Loss);
                } else {
                    self.on_poll(rec, msg, poll, cursor);
                }
            }
            Action::Served {
                msg,
                poll,
                cursor,
                arrived,
                started,
            } => self.on_served(rec, msg, poll, cursor, arrived, started),
            Action::HoldExpires { poll } => self.on_hold_expires(rec, poll),
            Action::Answer {
                msg,
                poll,
                upto,
                lost,
                trip,
            } => {
                if lost {
                    rec.drop(self.now, msg, poll.0, DropReason::Loss);
                } else {
                    self.on_answer(rec, msg, poll, upto, trip);
                }
            }
            Action::ClientTimeout { poll } => self.on_client_timeout(rec, poll),
            Action::Connect { client } => self.poll(rec, client),
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
            // Both take effect from the next poll held or sent.
            "hold_ms" => self.hold = time::from_ms(value),
            "timeout_ms" => self.timeout = time::from_ms(value),
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
        self.sched.len() + self.station.queued() + self.held.len() + self.updates.held()
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
