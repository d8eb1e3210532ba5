//! A served endpoint: a node's workers behind a waiting room, its faults
//! (outage, slowdown) and its service-time law. It emits what happens to a
//! message offered to it (dropped, queued, started, served) and schedules
//! the end of each job as the model's own timer, so a model only says what
//! a finished job leads to.

use crate::dist::ServiceDist;
use crate::event::{DropReason, MsgId, What};
use crate::faults::ServiceFaults;
use crate::params::ParamSet;
use crate::station::{Admit, Station};
use crate::time::{self, Time};
use crate::topology::NodeId;

use super::{Cx, Model, Tally};

/// A message at an endpoint: when it came and started, and the model's job.
#[derive(Clone, Copy, Debug)]
pub struct Visit<J> {
    pub msg: MsgId,
    /// When it reached the endpoint.
    pub arrived: Time,
    /// When a worker took it up (set when it starts).
    pub started: Time,
    /// Its service time as drawn (a slowdown stretches it when it starts).
    pub service: Time,
    pub job: J,
}

/// What became of a message offered to an endpoint.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer<J> {
    /// It started or waits (the event is emitted).
    Taken,
    /// It was dropped here for `reason` (the event is emitted); the job is
    /// handed back for whatever the refusal means to the model.
    Refused(J, DropReason),
}

#[derive(Clone)]
pub struct Endpoint<J, T> {
    pub node: NodeId,
    station: Station<Visit<J>>,
    pub faults: ServiceFaults,
    /// Mean service time; 0 where the endpoint's work takes no time.
    pub mean: Time,
    pub dist: ServiceDist,
    /// The timer that ends a job: the model's own action for it.
    done: fn(Visit<J>) -> T,
    /// Whether the run's outage and slowdown apply here (not where they
    /// belong to another node of the pattern).
    faulted: bool,
}

impl<J: Copy, T> Endpoint<J, T> {
    /// An endpoint at `node` with `workers` and a waiting room of
    /// `queue_cap`, its service time and faults read from whichever of
    /// `service_ms`, `service_dist`, `outage_*` and `slowdown` the pattern
    /// declares.
    pub fn new(
        node: NodeId,
        workers: u32,
        queue_cap: usize,
        p: &ParamSet,
        done: fn(Visit<J>) -> T,
    ) -> Self {
        let declared = |id: &str| p.spec(id).is_ok();
        Endpoint {
            node,
            station: Station::new(node, workers, queue_cap),
            faults: ServiceFaults::from_params(p),
            mean: if declared("service_ms") {
                time::from_ms(p.get("service_ms"))
            } else {
                0
            },
            dist: if declared("service_dist") {
                ServiceDist::from_index(p.get("service_dist") as usize)
            } else {
                ServiceDist::Const
            },
            done,
            faulted: true,
        }
    }

    /// The same endpoint untouched by the run's faults: they belong to
    /// another node of the pattern (a broker, a provider).
    pub fn steady(self) -> Self {
        Endpoint {
            faults: ServiceFaults::default(),
            faulted: false,
            ..self
        }
    }

    /// The pattern's one service: `workers` and `queue_cap` from the
    /// parameters of those names.
    pub fn service(node: NodeId, p: &ParamSet, done: fn(Visit<J>) -> T) -> Self {
        let (workers, queue_cap) = (p.get("workers") as u32, p.get("queue_cap") as usize);
        Self::new(node, workers, queue_cap, p, done)
    }

    /// A service time drawn from the endpoint's law.
    pub fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Time {
        self.dist.sample(self.mean, rng)
    }

    /// Reports the endpoint's workers (a run's opening event).
    pub fn open<M: Model<Timer = T>>(&self, cx: &mut Cx<'_, M>) {
        cx.emit(What::Capacity {
            node: self.node,
            workers: self.station.workers(),
        });
    }

    /// Offers message `msg` (which just arrived) with its `service` time:
    /// refused while the endpoint is down or its room is full, else it
    /// starts or waits.
    pub fn offer<M: Model<Timer = T>>(
        &mut self,
        cx: &mut Cx<'_, M>,
        msg: MsgId,
        service: Time,
        job: J,
    ) -> Offer<J> {
        if self.refuses(cx, msg) {
            return Offer::Refused(job, DropReason::ServiceDown);
        }
        self.admit(cx, msg, service, job)
    }

    /// Like [`Endpoint::offer`], with a service time drawn from the
    /// endpoint's law once the message is let in.
    pub fn offer_drawn<M: Model<Timer = T>>(
        &mut self,
        cx: &mut Cx<'_, M>,
        msg: MsgId,
        job: J,
    ) -> Offer<J> {
        if self.refuses(cx, msg) {
            return Offer::Refused(job, DropReason::ServiceDown);
        }
        let service = self.draw(&mut cx.rng.service);
        self.admit(cx, msg, service, job)
    }

    /// Whether the endpoint is down now; if so `msg` is dropped here.
    fn refuses<M: Model<Timer = T>>(&self, cx: &mut Cx<'_, M>, msg: MsgId) -> bool {
        let down = self.faults.down(cx.now);
        if down {
            cx.drop(msg, self.node, DropReason::ServiceDown);
        }
        down
    }

    /// Like [`Endpoint::offer`], whether the endpoint is down or not (a
    /// model that decides for itself what an outage does).
    pub fn admit<M: Model<Timer = T>>(
        &mut self,
        cx: &mut Cx<'_, M>,
        msg: MsgId,
        service: Time,
        job: J,
    ) -> Offer<J> {
        let visit = Visit {
            msg,
            arrived: cx.now,
            started: cx.now,
            service,
            job,
        };
        match self.station.admit(visit) {
            Admit::Start(v) => self.start(cx, v, false),
            Admit::Queued => cx.emit(What::Queued {
                msg,
                node: self.node,
            }),
            Admit::Full(v) => {
                cx.drop(msg, self.node, DropReason::QueueFull);
                return Offer::Refused(v.job, DropReason::QueueFull);
            }
        }
        Offer::Taken
    }

    fn start<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>, v: Visit<J>, queued: bool) {
        cx.emit(What::Started {
            msg: v.msg,
            node: self.node,
            queued,
        });
        let end = cx.now + self.faults.stretch(v.service);
        cx.at(
            end,
            (self.done)(Visit {
                started: cx.now,
                ..v
            }),
        );
    }

    /// A worker finished `msg`: it is served (`wasted`: nobody waits for it
    /// any more). Call [`Endpoint::next`] once the model has said what the
    /// job led to.
    pub fn done<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>, msg: MsgId, wasted: bool) {
        self.station.finish();
        cx.emit(What::Served {
            msg,
            node: self.node,
            wasted,
        });
    }

    /// Free workers take the jobs that wait longest.
    pub fn next<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>) {
        while let Some(v) = self.station.take_next() {
            self.start(cx, v, true);
        }
    }

    /// Applies a live change of `workers`, `queue_cap`, the service time or
    /// the faults; whether `id` was one of them.
    pub fn set_param<M: Model<Timer = T>>(
        &mut self,
        cx: &mut Cx<'_, M>,
        id: &str,
        value: f64,
    ) -> bool {
        match id {
            "workers" => {
                self.resize(cx, value as u32);
            }
            "queue_cap" => self.station.set_room(value as usize, cx.topo),
            "service_ms" => self.mean = time::from_ms(value),
            "service_dist" => self.dist = ServiceDist::from_index(value as usize),
            id if ServiceFaults::reads(id) && self.faulted => {
                self.faults = ServiceFaults::from_params(cx.params)
            }
            _ => return false,
        }
        true
    }

    /// Changes the number of workers live (the drawn node and a `Capacity`
    /// event follow); waiting jobs start on new workers.
    pub fn resize<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>, workers: u32) {
        self.station.resize(workers, cx.topo, cx.rec, cx.now);
        self.next(cx);
    }

    /// Removes the job that has waited longest (to make room).
    pub fn evict_oldest(&mut self) -> Option<Visit<J>> {
        self.station.evict_oldest()
    }

    /// Sets the waiting room's limit without redrawing the node (the
    /// picture shows a buffer the pattern enforces itself).
    pub fn set_queue_cap(&mut self, cap: usize) {
        self.station.set_queue_cap(cap);
    }

    /// Every worker busy and the room full.
    pub fn full(&self) -> bool {
        self.station.full()
    }

    /// What `endpoints` hold (waiting, in service), with the model's own
    /// count of `pending` requests.
    pub fn tally<'a>(endpoints: impl IntoIterator<Item = &'a Self>, pending: u64) -> Tally
    where
        Self: 'a,
    {
        let mut t = Tally {
            pending,
            ..Tally::default()
        };
        for e in endpoints {
            t.queued += e.queued() as u64;
            t.in_service += u64::from(e.busy());
        }
        t
    }

    pub fn queued(&self) -> usize {
        self.station.queued()
    }

    pub fn busy(&self) -> u32 {
        self.station.busy()
    }
}
