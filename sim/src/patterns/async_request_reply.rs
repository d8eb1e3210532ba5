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

use crate::engine::{Cx, Delivery, Endpoint, Model, Tally, Visit};
use crate::event::{DropReason, FailReason, MsgKind, ReqId, What};
use crate::info::{ratio, Figure};
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{LinkId, NodeId, Topology};
use crate::trip::complete_with;

pub const ID: &str = "async-request-reply";

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::ms("accept_ms", "202 round trip (mean)", s.legs.mean),
        Figure::new(
            "polls_per_job",
            "polls per job",
            ratio(t.sent_of(MsgKind::Poll) as f64, t.completed as f64),
            "",
        ),
        Figure::count(
            "empty_polls",
            "\"still running\" answers",
            t.sent_of(MsgKind::EmptyPoll),
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// A worker finished the job.
    JobDone(Visit<ReqId>),
    /// The client stops waiting for its submit's 202.
    SubmitTimeout { req: ReqId },
    /// The client's poll timer for `req` fires.
    PollTick { req: ReqId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    /// Submitted, no 202 yet.
    Submitting,
    /// Accepted; the client polls.
    Polling,
}

#[derive(Clone)]
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

#[derive(Clone)]
pub struct AsyncRequestReply {
    clients: u16,
    poll: Time,
    timeout: Time,
    /// Jobs whose result the client has not received yet.
    jobs: HashMap<ReqId, Job>,
    /// The workers and the queue of jobs waiting for one (the job store).
    service: Endpoint<ReqId, Timer>,
}

type Cxa<'a> = Cx<'a, AsyncRequestReply>;

fn up(client: NodeId) -> LinkId {
    client * 2
}

fn down(client: NodeId) -> LinkId {
    client * 2 + 1
}

impl AsyncRequestReply {
    /// A submit reaches the service: 202 and the job waits or starts, or
    /// 503 when the store is full.
    fn on_submit(&mut self, cx: &mut Cxa, m: Delivery<()>) {
        let (node, req) = (self.service.node, m.req);
        if self.service.faults.down(cx.now) {
            // No 202 from a service that is down: the submit times out.
            return cx.drop(m.msg, node, DropReason::ServiceDown);
        }
        let Some(job) = self.jobs.get_mut(&req) else {
            // The client gave up on this submit already: nobody will poll.
            return cx.drop(m.msg, node, DropReason::Late);
        };
        job.arrived = cx.now;
        let (client, service) = (job.client, job.service);
        if self.service.full() {
            cx.drop(m.msg, node, DropReason::QueueFull);
            cx.send(down(client), MsgKind::Error, req, ());
        } else {
            cx.send(down(client), MsgKind::Accepted, req, ());
            self.service.admit(cx, m.msg, service, req);
        }
    }

    fn on_job_done(&mut self, cx: &mut Cxa, v: Visit<ReqId>) {
        let job = self.jobs.get_mut(&v.job);
        let wasted = job.is_none();
        if let Some(j) = job {
            j.done = true;
            j.started = v.started;
            j.finished = cx.now;
        }
        self.service.done(cx, v.msg, wasted);
        self.service.next(cx);
    }

    fn on_accepted(&mut self, cx: &mut Cxa, m: Delivery<()>) {
        let req = m.req;
        let Some(job) = self
            .jobs
            .get_mut(&req)
            .filter(|j| j.state == JobState::Submitting)
        else {
            return cx.drop(m.msg, m.to, DropReason::Late);
        };
        job.state = JobState::Polling;
        let (client, created) = (job.client, job.created);
        cx.emit(What::Delivered {
            msg: m.msg,
            node: client,
        });
        cx.emit(What::Leg {
            req,
            node: client,
            latency: cx.now - created,
        });
        cx.after(self.poll, Timer::PollTick { req });
    }

    fn on_submit_timeout(&mut self, cx: &mut Cxa, req: ReqId) {
        if let Some(job) = self
            .jobs
            .get(&req)
            .filter(|j| j.state == JobState::Submitting)
        {
            let node = job.client;
            self.jobs.remove(&req);
            cx.emit(What::TimedOut {
                req,
                node,
                attempt: 0,
            });
            cx.emit(What::Failed {
                req,
                node,
                reason: FailReason::Timeout,
            });
        }
    }

    fn on_poll(&mut self, cx: &mut Cxa, m: Delivery<()>) {
        let node = self.service.node;
        if self.service.faults.down(cx.now) {
            // A poll reaching the service while it is down is lost unanswered.
            return cx.drop(m.msg, node, DropReason::ServiceDown);
        }
        cx.emit(What::Delivered { msg: m.msg, node });
        // Status lookups are cheap: answered at once, without a worker.
        let Some((client, done)) = self.jobs.get(&m.req).map(|j| (j.client, j.done)) else {
            return;
        };
        let kind = if done {
            MsgKind::Response
        } else {
            MsgKind::EmptyPoll
        };
        cx.send(down(client), kind, m.req, ());
    }

    /// A status answer (or a 503) reaches the client.
    fn on_answer(&mut self, cx: &mut Cxa, m: Delivery<()>) {
        let (req, client) = (m.req, m.to);
        let Some(job) = self.jobs.get(&req) else {
            return cx.drop(m.msg, client, DropReason::Late);
        };
        let (created, arrived, started, finished) =
            (job.created, job.arrived, job.started, job.finished);
        cx.emit(What::Delivered {
            msg: m.msg,
            node: client,
        });
        if m.kind == MsgKind::Response {
            self.jobs.remove(&req);
            // Waiting for the next poll to come by is the rest of the wait.
            let parts = [
                (arrived - created) + (cx.now - m.sent),
                started - arrived,
                finished - started,
            ];
            complete_with(cx.rec, cx.now, req, client, created, parts);
        }
    }
}

impl Model for AsyncRequestReply {
    type Timer = Timer;
    type Msg = ();

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let node = topo.clients_and_service(p, "client", "service + job store");
        AsyncRequestReply {
            poll: time::from_ms(p.get("poll_ms")),
            timeout: time::from_ms(p.get("timeout_ms")),
            clients,
            jobs: HashMap::with_capacity(1024),
            service: Endpoint::service(node, p, Timer::JobDone),
        }
    }

    fn start(&mut self, cx: &mut Cxa) {
        self.service.open(cx);
    }

    fn arrival(&mut self, cx: &mut Cxa) {
        let client = cx.rng.arrivals.random_range(0..self.clients);
        let service = self.service.draw(&mut cx.rng.service);
        let req = cx.workload.new_req();
        let job = Job {
            client,
            created: cx.now,
            service,
            state: JobState::Submitting,
            done: false,
            arrived: 0,
            started: 0,
            finished: 0,
        };
        self.jobs.insert(req, job);
        cx.emit(What::Offered { req, node: client });
        cx.send(up(client), MsgKind::Request, req, ());
        cx.after(self.timeout, Timer::SubmitTimeout { req });
    }

    fn deliver(&mut self, cx: &mut Cxa, m: Delivery<()>) {
        match m.kind {
            MsgKind::Request => self.on_submit(cx, m),
            MsgKind::Poll => self.on_poll(cx, m),
            MsgKind::Accepted => self.on_accepted(cx, m),
            _ => self.on_answer(cx, m),
        }
    }

    fn timer(&mut self, cx: &mut Cxa, t: Timer) {
        match t {
            Timer::JobDone(v) => self.on_job_done(cx, v),
            Timer::SubmitTimeout { req } => self.on_submit_timeout(cx, req),
            Timer::PollTick { req } => {
                let Some(client) = self.jobs.get(&req).map(|j| j.client) else {
                    return;
                };
                cx.send(up(client), MsgKind::Poll, req, ());
                cx.after(self.poll, Timer::PollTick { req });
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxa, id: &str, value: f64) {
        match id {
            "poll_ms" => self.poll = time::from_ms(value),
            "timeout_ms" => self.timeout = time::from_ms(value),
            _ => {
                self.service.set_param(cx, id, value);
            }
        }
    }

    fn tally(&self) -> Tally {
        Endpoint::tally([&self.service], self.jobs.len() as u64)
    }

    fn held(&self) -> usize {
        self.jobs.len() + self.service.queued()
    }
}
