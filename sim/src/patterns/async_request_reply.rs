//! `async-request-reply`: the client submits a job and gets `202 Accepted`
//! with a job id at once; it then polls the job's status every `poll_ms`
//! until the result is there.
//!
//! Topology: clients ⇄ a service whose `workers` run the jobs from a queue
//! (the job store). The submit is answered on arrival, before the job runs:
//! the acceptance wait (a `Leg`) is one round trip whatever the load. Each
//! poll is answered at once — empty while the job is queued or running, with
//! the result once it is done. The waiting time is submit → result received.
//!
//! A submit whose `202` does not come back within `timeout_ms` fails; polls
//! run on a fixed schedule, so a lost poll or answer is healed by the next.

use std::collections::HashMap;

use rand::Rng;

use crate::catalogue::{Figure, PatternInfo};
use crate::dist::ServiceDist;
use crate::event::{DropReason, FailReason, MsgId, MsgKind, ReqId, What};
use crate::faults::ServiceFaults;
use crate::metrics::Snapshot;
use crate::net::{Net, Workload};
use crate::params::{self, ParamError, ParamSet, ParamSpec};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::station::{Admit, Station};
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, NodeKind, Topology};

pub const ID: &str = "async-request-reply";

pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "Job rate",
        unit: "jobs/s",
        help: "Jobs submitted per second by all clients together (Poisson).",
        ..params::RATE.with_default(10.0)
    },
    params::SPIKE_AT_S,
    params::SPIKE_S,
    params::SPIKE_X,
    params::CLIENTS,
    ParamSpec {
        name: "Job time",
        help: "Mean time one worker spends on one job.",
        kind: params::Kind::Number {
            min: 0.01,
            max: 600_000.0,
            default: 500.0,
            step: 0.01,
            integer: false,
            log: true,
        },
        ..params::SERVICE_MS
    },
    params::SERVICE_DIST,
    params::WORKERS.with_default(8.0),
    ParamSpec {
        help: "Jobs that may wait for a worker; past it a submit is refused.",
        ..params::QUEUE_CAP.with_default(1_000.0)
    },
    ParamSpec {
        help: "How often a client asks for its job's status.",
        ..params::POLL_MS.with_default(200.0)
    },
    params::NET_MS,
    params::JITTER_MS,
    params::LOSS,
    ParamSpec {
        name: "Submit timeout",
        help: "How long a client waits for the 202 before giving up on a submit.",
        ..params::TIMEOUT_MS
    },
    params::OUTAGE_AT_S,
    params::OUTAGE_S,
    params::SLOWDOWN_OFF,
];

pub const INFO: PatternInfo = PatternInfo {
    id: ID,
    name: "Async request-reply",
    timing: "Asynchronous: the submit returns at once with a job id; the client comes back for the result.",
    flow: "Direct, with a job store: submit → 202 Accepted → status polls → result.",
    delivery: "At-least-once polling: the client keeps asking until the result arrives; lost polls are healed by the next.",
    sees: "The 202 comes back in one round trip however busy the workers are. Then a trickle of status polls, most answered \"still running\", until one brings the result.",
    law: "Acceptance wait ≈ one round trip whatever the load; completion observed ≈ queue + service + U(0, poll_ms); polls per job ≈ (queue + service)/poll_ms + 1.",
    question: "How do we keep clients from hanging on long jobs?",
    params: PARAMS,
    kinds: &[MsgKind::Request, MsgKind::Accepted, MsgKind::Poll, MsgKind::EmptyPoll, MsgKind::Response, MsgKind::Error],
    companion: "request-response",
    keyed_by_message: false,
    figures,
};

fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure {
            id: "accept_ms",
            label: "202 round trip (mean)",
            value: s.legs.mean,
            unit: "ms",
        },
        Figure {
            id: "polls_per_job",
            label: "polls per job",
            value: if t.completed > 0 {
                t.sent_of(MsgKind::Poll) as f64 / t.completed as f64
            } else {
                0.0
            },
            unit: "",
        },
        Figure {
            id: "empty_polls",
            label: "\"still running\" answers",
            value: t.sent_of(MsgKind::EmptyPoll) as f64,
            unit: "",
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Arrival {
        gen: u64,
    },
    /// A submit reaches the service.
    Submit {
        msg: MsgId,
        req: ReqId,
        lost: bool,
    },
    /// The 202 reaches the client.
    Accepted {
        msg: MsgId,
        req: ReqId,
        client: NodeId,
        lost: bool,
    },
    SubmitTimeout {
        req: ReqId,
    },
    /// A worker finished the job.
    JobDone {
        msg: MsgId,
        req: ReqId,
    },
    /// The client's poll timer for `req` fires.
    PollTick {
        req: ReqId,
    },
    PollArrives {
        msg: MsgId,
        req: ReqId,
        lost: bool,
    },
    /// A status answer reaches the client (`done`: it carries the result).
    Answer {
        msg: MsgId,
        req: ReqId,
        client: NodeId,
        done: bool,
        lost: bool,
        /// When the service sent it.
        sent: Time,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    /// Submitted, no 202 yet.
    Submitting,
    /// Accepted; the client polls.
    Polling,
}

struct Job {
    client: NodeId,
    created: Time,
    service: Time,
    state: JobState,
    /// The result is ready at the service.
    done: bool,
    /// When the submit reached the service, a worker took the job and
    /// finished it: the wait's breakdown.
    arrived: Time,
    started: Time,
    finished: Time,
}

struct Work {
    msg: MsgId,
    req: ReqId,
    service: Time,
}

pub struct AsyncRequestReply {
    params: ParamSet,
    topo: Topology,
    service: NodeId,
    clients: u16,
    sched: Scheduler<Action>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    service_mean: Time,
    dist: ServiceDist,
    poll: Time,
    timeout: Time,
    /// Jobs whose result the client has not received yet.
    jobs: HashMap<ReqId, Job>,
    /// The workers and the queue of jobs waiting for one.
    station: Station<Work>,
    /// Outage window and slowdown of the service.
    faults: ServiceFaults,
}

impl AsyncRequestReply {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        let clients = params.get("clients") as u16;
        let workers = params.get("workers") as u32;
        let queue_cap = params.get("queue_cap") as usize;
        let (net, jitter, loss) = (
            time::from_ms(params.get("net_ms")),
            time::from_ms(params.get("jitter_ms")),
            params.get("loss"),
        );
        let mut topo = Topology::default();
        for i in 0..clients {
            topo.add_node(NodeKind::Client, format!("client {}", i + 1), 0, 0);
        }
        let service = topo.add_node(
            NodeKind::Service,
            "service + job store".into(),
            workers,
            queue_cap as u32,
        );
        for i in 0..clients {
            topo.add_link(i, service, net, jitter, loss);
            topo.add_link(service, i, net, jitter, loss);
        }
        AsyncRequestReply {
            faults: ServiceFaults::from_params(&params),
            workload: Workload::from_params(&params),
            service_mean: time::from_ms(params.get("service_ms")),
            dist: ServiceDist::from_index(params.get("service_dist") as usize),
            poll: time::from_ms(params.get("poll_ms")),
            timeout: time::from_ms(params.get("timeout_ms")),
            params,
            topo,
            service,
            clients,
            sched: Scheduler::new(),
            rng: Streams::new(seed),
            now: 0,
            net: Net::default(),
            jobs: HashMap::with_capacity(1024),
            station: Station::new(service, workers, queue_cap),
        }
    }

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }

    fn up(client: NodeId) -> LinkId {
        client * 2
    }

    fn down(client: NodeId) -> LinkId {
        client * 2 + 1
    }

    fn on_arrival(&mut self, rec: &mut Recorder) {
        let client = self.rng.arrivals.random_range(0..self.clients);
        let service = self.dist.sample(self.service_mean, &mut self.rng.service);
        let req = self.workload.new_req();
        self.jobs.insert(
            req,
            Job {
                client,
                created: self.now,
                service,
                state: JobState::Submitting,
                done: false,
                arrived: 0,
                started: 0,
                finished: 0,
            },
        );
        rec.emit(self.now, What::Offered { req, node: client });
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            Self::up(client),
            MsgKind::Request,
            req,
        );
        self.sched.at(
            t.arrive_at,
            Action::Submit {
                msg: t.msg,
                req,
                lost: t.lost,
            },
        );
        self.sched
            .at(self.now + self.timeout, Action::SubmitTimeout { req });
        self.schedule_arrival();
    }

    fn start(&mut self, rec: &mut Recorder, w: Work, queued: bool) {
        if let Some(j) = self.jobs.get_mut(&w.req) {
            j.started = self.now;
        }
        rec.emit(
            self.now,
            What::Started {
                msg: w.msg,
                node: self.service,
                queued,
            },
        );
        self.sched.at(
            self.now + self.faults.stretch(w.service),
            Action::JobDone {
                msg: w.msg,
                req: w.req,
            },
        );
    }

    fn reply(&mut self, rec: &mut Recorder, client: NodeId, kind: MsgKind, req: ReqId) {
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            Self::down(client),
            kind,
            req,
        );
        let action = if kind == MsgKind::Accepted {
            Action::Accepted {
                msg: t.msg,
                req,
                client,
                lost: t.lost,
            }
        } else {
            Action::Answer {
                msg: t.msg,
                req,
                client,
                done: kind == MsgKind::Response,
                lost: t.lost,
                sent: self.now,
            }
        };
        self.sched.at(t.arrive_at, action);
    }

    fn on_submit(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        if self.faults.down(self.now) {
            // No 202 from a service that is down: the submit times out.
            return self.refuse(rec, msg);
        }
        let Some(job) = self.jobs.get_mut(&req) else {
            // The client gave up on this submit already: nobody will poll.
            rec.drop(self.now, msg, self.service, DropReason::Late);
            return;
        };
        job.arrived = self.now;
        let (client, service) = (job.client, job.service);
        match self.station.admit(Work { msg, req, service }) {
            Admit::Start(w) => {
                self.reply(rec, client, MsgKind::Accepted, req);
                self.start(rec, w, false);
            }
            Admit::Queued => {
                rec.emit(
                    self.now,
                    What::Queued {
                        msg,
                        node: self.service,
                    },
                );
                self.reply(rec, client, MsgKind::Accepted, req);
            }
            Admit::Full(_) => {
                rec.drop(self.now, msg, self.service, DropReason::QueueFull);
                self.reply(rec, client, MsgKind::Error, req);
            }
        }
    }

    fn on_job_done(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        self.station.finish();
        let job = self.jobs.get_mut(&req);
        let wasted = job.is_none();
        if let Some(j) = job {
            j.done = true;
            j.finished = self.now;
        }
        rec.emit(
            self.now,
            What::Served {
                msg,
                node: self.service,
                wasted,
            },
        );
        while let Some(w) = self.station.take_next() {
            self.start(rec, w, true);
        }
    }

    fn on_accepted(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId, client: NodeId) {
        let Some(job) = self
            .jobs
            .get_mut(&req)
            .filter(|j| j.state == JobState::Submitting)
        else {
            rec.drop(self.now, msg, client, DropReason::Late);
            return;
        };
        job.state = JobState::Polling;
        let (client, created) = (job.client, job.created);
        rec.emit(self.now, What::Delivered { msg, node: client });
        rec.emit(
            self.now,
            What::Leg {
                req,
                node: client,
                latency: self.now - created,
            },
        );
        self.sched
            .at(self.now + self.poll, Action::PollTick { req });
    }

    fn on_submit_timeout(&mut self, rec: &mut Recorder, req: ReqId) {
        if let Some(job) = self
            .jobs
            .get(&req)
            .filter(|j| j.state == JobState::Submitting)
        {
            let node = job.client;
            self.jobs.remove(&req);
            rec.emit(
                self.now,
                What::TimedOut {
                    req,
                    node,
                    attempt: 0,
                },
            );
            rec.emit(
                self.now,
                What::Failed {
                    req,
                    node,
                    reason: FailReason::Timeout,
                },
            );
        }
    }

    fn on_poll_tick(&mut self, rec: &mut Recorder, req: ReqId) {
        let Some(client) = self.jobs.get(&req).map(|j| j.client) else {
            return;
        };
        let t = self.net.send(
            &self.topo,
            &mut self.rng.network,
            rec,
            self.now,
            Self::up(client),
            MsgKind::Poll,
            req,
        );
        self.sched.at(
            t.arrive_at,
            Action::PollArrives {
                msg: t.msg,
                req,
                lost: t.lost,
            },
        );
        self.sched
            .at(self.now + self.poll, Action::PollTick { req });
    }

    /// A message reaching the service while it is down is lost unanswered.
    fn refuse(&mut self, rec: &mut Recorder, msg: MsgId) {
        rec.drop(self.now, msg, self.service, DropReason::ServiceDown);
    }

    fn on_poll(&mut self, rec: &mut Recorder, msg: MsgId, req: ReqId) {
        if self.faults.down(self.now) {
            return self.refuse(rec, msg);
        }
        rec.emit(
            self.now,
            What::Delivered {
                msg,
                node: self.service,
            },
        );
        // Status lookups are cheap: answered at once, without a worker.
        let Some((client, done)) = self.jobs.get(&req).map(|j| (j.client, j.done)) else {
            return;
        };
        let kind = if done {
            MsgKind::Response
        } else {
            MsgKind::EmptyPoll
        };
        self.reply(rec, client, kind, req);
    }

    fn on_answer(
        &mut self,
        rec: &mut Recorder,
        msg: MsgId,
        req: ReqId,
        client: NodeId,
        done: bool,
        sent: Time,
    ) {
        let Some(job) = self.jobs.get(&req) else {
            rec.drop(self.now, msg, client, DropReason::Late);
            return;
        };
        let (created, arrived, started, finished) =
            (job.created, job.arrived, job.started, job.finished);
        rec.emit(self.now, What::Delivered { msg, node: client });
        if done {
            self.jobs.remove(&req);
            // Waiting for the next poll to come by is the rest of the wait.
            rec.emit(
                self.now,
                What::Breakdown {
                    req,
                    network: (arrived - created) + (self.now - sent),
                    queue: started - arrived,
                    service: finished - started,
                },
            );
            rec.emit(
                self.now,
                What::Completed {
                    req,
                    node: client,
                    wait: self.now - created,
                },
            );
        }
    }
}

impl Pattern for AsyncRequestReply {
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
                node: self.service,
                workers: self.station.workers(),
            },
        );
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
        let lost_at =
            |node: NodeId, msg: MsgId, rec: &mut Recorder| rec.drop(t, msg, node, DropReason::Loss);
        match action {
            Action::Arrival { gen } => {
                if self.workload.is_current(gen) {
                    self.on_arrival(rec);
                }
            }
            Action::Submit { msg, req, lost } => {
                if lost {
                    lost_at(self.service, msg, rec);
                } else {
                    self.on_submit(rec, msg, req);
                }
            }
            Action::Accepted {
                msg,
                req,
                client,
                lost,
            } => {
                if lost {
                    lost_at(client, msg, rec);
                } else {
                    self.on_accepted(rec, msg, req, client);
                }
            }
            Action::SubmitTimeout { req } => self.on_submit_timeout(rec, req),
            Action::JobDone { msg, req } => self.on_job_done(rec, msg, req),
            Action::PollTick { req } => self.on_poll_tick(rec, req),
            Action::PollArrives { msg, req, lost } => {
                if lost {
                    lost_at(self.service, msg, rec);
                } else {
                    self.on_poll(rec, msg, req);
                }
            }
            Action::Answer {
                msg,
                req,
                client,
                done,
                lost,
                sent,
            } => {
                if lost {
                    lost_at(client, msg, rec);
                } else {
                    self.on_answer(rec, msg, req, client, done, sent);
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
            id if Workload::reads(id) => {
                // Poisson arrivals are memoryless: drawing afresh from now at
                // the new rate (or spike) is exact.
                self.workload.set_from(&self.params);
                self.schedule_arrival();
            }
            "service_ms" => self.service_mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            "poll_ms" => self.poll = time::from_ms(value),
            "timeout_ms" => self.timeout = time::from_ms(value),
            "workers" => {
                self.station
                    .resize(value as u32, &mut self.topo, rec, self.now);
                while let Some(w) = self.station.take_next() {
                    self.start(rec, w, true);
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
        self.sched.len() + self.jobs.len() + self.station.queued()
    }

    fn audit(&self) -> Audit {
        let in_flight = self
            .sched
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::Submit { .. }
                        | Action::Accepted { .. }
                        | Action::PollArrives { .. }
                        | Action::Answer { .. }
                )
            })
            .count() as u64;
        Audit {
            in_flight,
            queued: self.station.queued() as u64,
            in_service: self.station.busy() as u64,
            pending: self.jobs.len() as u64,
        }
    }
}
