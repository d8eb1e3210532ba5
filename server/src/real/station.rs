//! A real service's workers and waiting room: `workers` permits on tokio's
//! fair semaphore (first come, first served, as the model's queue) and at
//! most `queue_cap` waiting; outages and slowdowns by the run's faults.
//! Each step is reported as the model's event for it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sim::event::{DropReason, MsgId};
use sim::faults::ServiceFaults;
use sim::topology::NodeId;
use sim::{ParamSet, What};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::clock;
use super::log::Log;

/// One service node, for real.
pub struct Station {
    pub node: NodeId,
    workers: Semaphore,
    /// Messages waiting for a worker now.
    waiting: AtomicUsize,
    queue_cap: usize,
    faults: ServiceFaults,
    log: Arc<Log>,
}

/// How a message was met at the station's door.
pub enum Door<'a> {
    /// A worker took it up at once.
    Working {
        permit: SemaphorePermit<'a>,
        started: Instant,
    },
    /// It waits in the waiting room.
    Queued,
    /// The waiting room was full.
    Full,
    /// The service is down: nobody took it.
    Down,
}

/// How a message got on at the station.
pub enum Entry<'a> {
    /// A worker took it up at `started` (holding `permit` until done).
    Working {
        permit: SemaphorePermit<'a>,
        started: Instant,
    },
    /// The waiting room was full.
    Full,
    /// The service is down: nobody took it.
    Down,
}

impl Station {
    pub fn new(node: NodeId, p: &ParamSet, log: Arc<Log>) -> Station {
        let workers = p.get("workers") as u32;
        log.emit_at(log.t0(), What::Capacity { node, workers });
        Station {
            node,
            workers: Semaphore::new(workers as usize),
            waiting: AtomicUsize::new(0),
            // A pattern without a waiting-room control queues up to the
            // engine's own limit, as its model does.
            queue_cap: if p.spec("queue_cap").is_ok() {
                p.get("queue_cap") as usize
            } else {
                sim::budget::QUEUE_LIMIT
            },
            faults: ServiceFaults::from_params(p),
            log,
        }
    }

    /// The same station without the run's outage and slowdown: a service
    /// the faults leave alone (scatter-gather's backends but the first).
    pub fn steady(mut self) -> Station {
        self.faults = ServiceFaults::default();
        self
    }

    /// Whether the service is down at `at` (by the run's outage).
    pub fn down(&self, at: Instant) -> bool {
        self.faults.down(self.log.time(at))
    }

    /// Message `msg`, arrived at `arrived`, asks for a worker.
    pub async fn enter(&self, msg: MsgId, arrived: Instant) -> Entry<'_> {
        match self.arrive(msg, arrived) {
            Door::Working { permit, started } => Entry::Working { permit, started },
            Door::Queued => {
                let (permit, started) = self.take_up(msg).await;
                Entry::Working { permit, started }
            }
            Door::Full => Entry::Full,
            Door::Down => Entry::Down,
        }
    }

    /// The first half of [`Station::enter`], decided at once: for a
    /// service that must answer before the work is taken up (a job's
    /// `202`). A message `Queued` here must be [`Station::take_up`]-ed.
    pub fn arrive(&self, msg: MsgId, arrived: Instant) -> Door<'_> {
        let (log, node) = (&self.log, self.node);
        if self.down(arrived) {
            log.emit_at(
                arrived,
                What::Dropped {
                    msg,
                    node,
                    reason: DropReason::ServiceDown,
                },
            );
            return Door::Down;
        }
        if let Ok(permit) = self.workers.try_acquire() {
            log.emit_at(
                arrived,
                What::Started {
                    msg,
                    node,
                    queued: false,
                },
            );
            return Door::Working {
                permit,
                started: arrived,
            };
        }
        if self.waiting.load(Ordering::Relaxed) >= self.queue_cap {
            log.emit_at(
                arrived,
                What::Dropped {
                    msg,
                    node,
                    reason: DropReason::QueueFull,
                },
            );
            return Door::Full;
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        log.emit_at(arrived, What::Queued { msg, node });
        Door::Queued
    }

    /// A queued message waits its turn (first come, first served) for a
    /// worker: the worker and when it took the message up.
    pub async fn take_up(&self, msg: MsgId) -> (SemaphorePermit<'_>, Instant) {
        let permit = self.workers.acquire().await.expect("never closed");
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let started = Instant::now();
        self.log.emit_at(
            started,
            What::Started {
                msg,
                node: self.node,
                queued: true,
            },
        );
        (permit, started)
    }

    /// Works on `msg` for its service time (stretched by a slowdown), then
    /// frees the worker; when it finished.
    pub async fn work(
        &self,
        msg: MsgId,
        permit: SemaphorePermit<'_>,
        started: Instant,
        service: sim::Time,
        wasted: impl FnOnce() -> bool,
    ) -> Instant {
        clock::until(started + Duration::from_nanos(self.faults.stretch(service))).await;
        let left = Instant::now();
        let node = self.node;
        self.log.emit_at(
            left,
            What::Served {
                msg,
                node,
                wasted: wasted(),
            },
        );
        drop(permit);
        left
    }
}
