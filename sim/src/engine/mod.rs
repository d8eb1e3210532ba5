//! The one engine every pattern runs on.
//!
//! [`Engine`] is the only implementation of [`Pattern`]. It owns what every
//! pattern needs and none decides: the parameters, the topology, the
//! scheduler, the random streams, the clock, the message ids, the workload's
//! arrivals, messages on their links (a lost one is dropped at the far end
//! of its link before the model hears of it), the common live parameters
//! (network, workload) and the in-flight count (a message in the scheduler
//! *is* in flight). A pattern is a [`Model`]: its own timers and message
//! bodies, its state, and its decisions, which it makes through a [`Cx`].

mod connections;
mod cx;
mod endpoint;

pub use connections::Connections;
pub use cx::{Cx, Delivery};
pub use endpoint::{Endpoint, Offer, Visit};

use crate::event::DropReason;
use crate::info::PatternInfo;
use crate::net::{Net, Workload};
use crate::params::{ParamError, ParamSet};
use crate::pattern::{Audit, Pattern};
use crate::recorder::Recorder;
use crate::rng::Streams;
use crate::scheduler::Scheduler;
use crate::time::Time;
use crate::topology::Topology;

/// A pattern's own part of a run: what it keeps and what it decides.
pub trait Model: Clone + Send + Sized + 'static {
    /// The pattern's timers (a timeout, a poll tick, a job's end).
    type Timer: Copy + Send + 'static;
    /// What the pattern's messages carry besides what every message has.
    type Msg: Copy + Send + 'static;

    /// The model for `params`, drawing its nodes and links on `topo`.
    fn new(params: &ParamSet, topo: &mut Topology) -> Self;

    /// The run's opening events and actions, before the first arrival is
    /// drawn.
    fn start(&mut self, _cx: &mut Cx<'_, Self>) {}

    /// The workload's next arrival (a request, or an update the server
    /// produces). The engine draws the one after it afterwards.
    fn arrival(&mut self, cx: &mut Cx<'_, Self>);

    /// A message reached the far end of its link.
    fn deliver(&mut self, cx: &mut Cx<'_, Self>, m: Delivery<Self::Msg>);

    /// A message was lost on its link; the engine has already dropped it at
    /// the far end (reason `loss`). What else the loss means, if anything.
    fn lost(&mut self, _cx: &mut Cx<'_, Self>, _m: Delivery<Self::Msg>) {}

    /// One of the pattern's timers fired.
    fn timer(&mut self, cx: &mut Cx<'_, Self>, t: Self::Timer);

    /// A live parameter changed (already set in `cx.params`; the engine has
    /// applied the network and the workload).
    fn set_param(&mut self, _cx: &mut Cx<'_, Self>, _id: &str, _value: f64) {}

    /// Where the pattern's structures say messages and requests are, beyond
    /// the messages on links, which the engine counts itself.
    fn tally(&self) -> Tally;

    /// Whether a message on its link is a request that exists nowhere else
    /// yet (a producer's message before the broker stores it): the engine
    /// counts such messages as pending too.
    fn carries_request(_m: &Delivery<Self::Msg>) -> bool {
        false
    }

    /// Items the pattern holds besides scheduled actions (waiting jobs,
    /// pending records), by length only.
    fn held(&self) -> usize;

    /// Whether a timer can no longer do anything (the request it guards
    /// was answered): once true it stays true. The engine drops such a
    /// timer unrun — it is not an action of the run, so stepping never
    /// lands on it — and leaves it out of keyframes, which is what keeps
    /// a busy run's copies small (most of a loaded request/response run's
    /// timers are timeouts of requests already answered).
    fn stale(&self, _t: &Self::Timer) -> bool {
        false
    }
}

/// The part of an [`Audit`] a model counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub queued: u64,
    pub in_service: u64,
    pub pending: u64,
}

/// One scheduled action of a run of `M`.
#[derive(Clone)]
enum Action<M: Model> {
    /// The workload's next arrival; ignored if `gen` is stale (the rate
    /// changed since it was drawn).
    Arrival {
        gen: u64,
    },
    /// A message on its link.
    Message {
        m: Delivery<M::Msg>,
        lost: bool,
    },
    Timer(M::Timer),
}

/// The clock, scheduler, random streams, network and workload of one run.
#[derive(Clone)]
struct Core<M: Model> {
    params: ParamSet,
    topo: Topology,
    sched: Scheduler<Action<M>>,
    rng: Streams,
    now: Time,
    net: Net,
    workload: Workload,
    /// Scheduled actions after the last sweep of stale timers.
    clean_at: usize,
}

/// A run of the pattern `M`.
#[derive(Clone)]
pub struct Engine<M: Model> {
    /// The catalogue entry this run answers to (`Pattern::info`).
    info: &'static PatternInfo,
    core: Core<M>,
    model: M,
}

impl<M: Model> Engine<M> {
    pub fn new(info: &'static PatternInfo, params: ParamSet, seed: u64) -> Self {
        let mut topo = Topology::default();
        let model = M::new(&params, &mut topo);
        Engine {
            info,
            core: Core {
                workload: Workload::from_params(&params),
                params,
                topo,
                sched: Scheduler::new(),
                rng: Streams::new(seed),
                now: 0,
                net: Net::default(),
                clean_at: 0,
            },
            model,
        }
    }

    /// Drops the stale timers at the front of the scheduler, so that the
    /// next action is one that does something; and, when the scheduler has
    /// grown, the stale ones buried in it too.
    fn drop_stale(&mut self) {
        let model = &self.model;
        let stale = |a: &Action<M>| matches!(a, Action::Timer(t) if model.stale(t));
        while self.core.sched.peek().is_some_and(stale) {
            self.core.sched.pop_due(Time::MAX);
        }
        if self.core.sched.len() > 2 * self.core.clean_at.max(Core::<M>::CLEAN_FLOOR) {
            self.core.sched.retain(|a| !stale(a));
            self.core.clean_at = self.core.sched.len();
        }
    }

    /// Boxed, as the catalogue builds engines.
    pub fn boxed(info: &'static PatternInfo, params: ParamSet, seed: u64) -> Box<dyn Pattern> {
        Box::new(Self::new(info, params, seed))
    }
}

impl<M: Model> Core<M> {
    fn cx<'a>(&'a mut self, rec: &'a mut Recorder) -> Cx<'a, M> {
        Cx {
            now: self.now,
            rec,
            rng: &mut self.rng,
            topo: &mut self.topo,
            params: &self.params,
            workload: &mut self.workload,
            sched: &mut self.sched,
            net: &mut self.net,
        }
    }

    /// Scheduled actions at the last clean-up: the next comes when the
    /// scheduler has grown past twice this (amortised O(1) per action).
    const CLEAN_FLOOR: usize = 4096;

    fn schedule_arrival(&mut self) {
        if let Some((at, gen)) = self.workload.next(self.now, &mut self.rng.arrivals) {
            self.sched.at(at, Action::Arrival { gen });
        }
    }
}

impl<M: Model> Pattern for Engine<M> {
    fn info(&self) -> &'static PatternInfo {
        self.info
    }

    fn params(&self) -> &ParamSet {
        &self.core.params
    }

    fn topology(&self) -> &Topology {
        &self.core.topo
    }

    fn start(&mut self, rec: &mut Recorder) {
        self.model.start(&mut self.core.cx(rec));
        self.core.schedule_arrival();
        self.drop_stale();
    }

    fn next_time(&self) -> Option<Time> {
        self.core.sched.peek_time()
    }

    fn clock(&self) -> Time {
        self.core.now
    }

    fn step(&mut self, until: Time, rec: &mut Recorder) -> bool {
        let Some((t, action)) = self.core.sched.pop_due(until) else {
            return false;
        };
        self.core.now = t;
        match action {
            Action::Arrival { gen } => {
                if self.core.workload.is_current(gen) {
                    self.model.arrival(&mut self.core.cx(rec));
                    self.core.schedule_arrival();
                }
            }
            Action::Message { m, lost: false } => self.model.deliver(&mut self.core.cx(rec), m),
            Action::Message { m, lost: true } => {
                rec.drop(t, m.msg, m.to, DropReason::Loss);
                self.model.lost(&mut self.core.cx(rec), m);
            }
            Action::Timer(timer) => self.model.timer(&mut self.core.cx(rec), timer),
        }
        self.drop_stale();
        true
    }

    fn set_param(
        &mut self,
        id: &str,
        value: f64,
        now: Time,
        rec: &mut Recorder,
    ) -> Result<(), ParamError> {
        let core = &mut self.core;
        core.params.set(id, value)?;
        core.now = core.now.max(now);
        if Workload::reads(id) {
            // Poisson arrivals are memoryless: drawing afresh from now at
            // the new rate (or spike) is exact.
            core.workload.set_from(&core.params);
            core.schedule_arrival();
        } else if matches!(id, "net_ms" | "jitter_ms" | "loss") {
            core.topo.set_network_from(&core.params);
        }
        self.model.set_param(&mut core.cx(rec), id, value);
        self.drop_stale();
        Ok(())
    }

    fn audit(&self) -> Audit {
        let (mut in_flight, mut carried) = (0, 0);
        for a in self.core.sched.iter() {
            if let Action::Message { m, .. } = a {
                in_flight += 1;
                carried += u64::from(M::carries_request(m));
            }
        }
        let Tally {
            queued,
            in_service,
            pending,
        } = self.model.tally();
        Audit {
            in_flight,
            queued,
            in_service,
            pending: pending + carried,
        }
    }

    fn held(&self) -> usize {
        self.core.sched.len() + self.model.held()
    }

    fn flights(&self, out: &mut Vec<crate::wire::Flight>) {
        let links = &self.core.topo.links;
        out.extend(self.core.sched.iter_timed().filter_map(|(at, a)| match a {
            Action::Message { m, lost } => Some(crate::wire::Flight {
                msg: m.msg,
                req: m.req,
                kind: m.kind,
                link: links.iter().find(|l| l.from == m.from && l.to == m.to)?.id,
                sent: m.sent,
                arrive: at,
                lost: *lost,
            }),
            _ => None,
        }));
    }

    fn clone_box(&self) -> Box<dyn Pattern> {
        // A keyframe leaves stale timers out: the copy runs the same.
        let mut copy = self.clone();
        let model = &copy.model;
        copy.core
            .sched
            .retain(|a| !matches!(a, Action::Timer(t) if model.stale(t)));
        copy.core.clean_at = copy.core.sched.len();
        Box::new(copy)
    }
}
