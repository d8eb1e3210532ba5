//! `publish-subscribe` for real, on a real `nats-server` ([`Broker`]):
//! publishers publish each event to one subject through JetStream, whose
//! `PubAck` is the broker's acknowledgement (the publisher's wait, one
//! round trip); every subscriber — its own NATS connection with a core
//! subscription on the subject — gets its own copy from the broker's
//! fan-out, and handles copies one at a time from a buffer of `buffer`
//! (the last one `slow_factor` times slower): `drop-oldest` drops the
//! oldest waiting copy when the buffer is full, `block` lets the backlog
//! grow.
//!
//! What is real: the broker, its protocol and fan-out, the acks, the
//! subscribers' connections, buffers and timers. What is the model's: when
//! each publisher publishes (replayed from the model's run of the same
//! recipe), the service times (the model's draws, in the order copies
//! reach a subscriber), the link law (the link layer delays and drops a
//! publish before it reaches the broker, and a copy after the broker sent
//! it), and the broker's outage (applied at its door by the link layer:
//! a `nats-server` cannot be told to refuse). At these rates the broker's
//! own slow-consumer cut (8 MB pending per connection) is never reached:
//! the buffers that overflow are the subscribers'.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, FailReason, MsgId, MsgKind, ReqId};
use sim::faults::ServiceFaults;
use sim::time::{self, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::arrivals;
use super::broker::{self, Broker};
use super::clock;
use super::hop::{self, Leg};
use super::log::Log;
use super::tap::{Capture, Frames};
use super::Limits;

/// Request ids are `event × REQ_STRIDE + subscriber`, as in the model.
const REQ_STRIDE: u64 = 64;

/// The model's publishes: when, and by which publisher (links `2p` run
/// publisher `p` → broker).
pub fn schedule(p: &ParamSet, model: &[Event]) -> Vec<(Time, NodeId)> {
    let publishers = p.get("clients") as u16;
    model
        .iter()
        .filter_map(|e| match e.what {
            What::Sent {
                kind: MsgKind::Request,
                link,
                ..
            } if link < 2 * publishers => Some((e.at, link / 2)),
            _ => None,
        })
        .collect()
}

/// The service time the model drew for each copy it delivered: the model
/// draws one per copy reaching a subscriber, in the order they arrive —
/// so the same copy works as long in the real run (a copy the model lost
/// has none, and takes a draw past the model's).
pub fn copy_draws(p: &ParamSet, seed: u64, model: &[Event]) -> (HashMap<ReqId, Time>, Vec<Time>) {
    let mut arriving: Vec<(Time, usize, ReqId)> = model
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.what {
            What::Sent {
                kind: MsgKind::Event,
                req,
                arrive_at,
                lost: false,
                ..
            } => Some((arrive_at, i, req)),
            _ => None,
        })
        .collect();
    arriving.sort_unstable();
    let draws = arrivals::service_draws(p, seed, arriving.len() * 2 + 256);
    let by_copy = arriving
        .iter()
        .zip(&draws)
        .map(|(&(_, _, req), &d)| (req, d))
        .collect();
    let spare = draws[arriving.len()..].to_vec();
    (by_copy, spare)
}

/// A copy at its subscriber.
#[derive(Clone, Copy)]
struct Copy {
    msg: MsgId,
    req: ReqId,
    /// When the broker took the event in (its copies are wanted since).
    offered: Time,
    /// When the broker sent it, and when it arrived.
    sent: Time,
    arrived: Time,
    service: Time,
}

/// What a subscriber's buffer holds.
#[derive(Default)]
struct Backlog {
    waiting: VecDeque<Copy>,
    /// The copy being handled (taken by the worker), or none: idle.
    busy: bool,
    next: Option<(Copy, Instant)>,
}

/// One subscriber: a buffer and a single worker.
struct Subscriber {
    node: NodeId,
    /// How many copies may wait: the buffer under drop-oldest, the
    /// engine's queue limit under block.
    cap: usize,
    backlog: Mutex<Backlog>,
    ready: Notify,
    log: Arc<Log>,
}

impl Subscriber {
    /// A copy arrives: taken up at once by an idle worker, or queued —
    /// making room by dropping the oldest under drop-oldest.
    fn arrive(&self, c: Copy) {
        let (log, node) = (&self.log, self.node);
        let now = Instant::now();
        let mut b = self.backlog.lock().expect("never poisoned");
        if !b.busy {
            b.busy = true;
            b.next = Some((c, now));
            let msg = c.msg;
            log.emit_at(
                now,
                What::Started {
                    msg,
                    node,
                    queued: false,
                },
            );
            drop(b);
            self.ready.notify_one();
            return;
        }
        while b.waiting.len() >= self.cap {
            let Some(old) = b.waiting.pop_front() else {
                break;
            };
            let reason = DropReason::Overflow;
            log.emit_at(
                now,
                What::Dropped {
                    msg: old.msg,
                    node,
                    reason,
                },
            );
            let reason = FailReason::Lost;
            log.emit_at(
                now,
                What::Failed {
                    req: old.req,
                    node,
                    reason,
                },
            );
        }
        b.waiting.push_back(c);
        log.emit_at(now, What::Queued { msg: c.msg, node });
    }

    /// The worker: handles each copy for its service time, in order.
    async fn work(self: Arc<Self>) {
        let (log, node) = (&self.log, self.node);
        loop {
            let next = self.backlog.lock().expect("never poisoned").next.take();
            let Some((c, started)) = next else {
                self.ready.notified().await;
                continue;
            };
            clock::until(started + Duration::from_nanos(c.service)).await;
            let now = Instant::now();
            let msg = c.msg;
            log.emit_at(
                now,
                What::Served {
                    msg,
                    node,
                    wasted: false,
                },
            );
            let (s, t) = (log.time(started), log.time(now));
            let trip = Trip::served(c.arrived.saturating_sub(c.sent), c.arrived, s, t);
            log.complete(now, c.req, node, c.offered, trip);
            let mut b = self.backlog.lock().expect("never poisoned");
            match b.waiting.pop_front() {
                Some(c) => {
                    b.next = Some((c, now));
                    let msg = c.msg;
                    log.emit_at(
                        now,
                        What::Started {
                            msg,
                            node,
                            queued: true,
                        },
                    );
                }
                None => b.busy = false,
            }
        }
    }
}

/// The subscribers' side.
struct Subscribers {
    each: Vec<Arc<Subscriber>>,
    link: Link,
    /// Links `first_link + s` run broker → subscriber `s`.
    first_link: u16,
    /// The model's service draw for each copy it delivered.
    draws: HashMap<ReqId, Time>,
    /// Draws past the model's, for copies it lost and the real run did not.
    spare: Vec<Time>,
    taken: AtomicU64,
    slow_factor: f64,
    seed: u64,
    log: Arc<Log>,
}

impl Subscribers {
    /// Copy of event `k` (taken in at `offered`) for subscriber `s`, as the
    /// broker delivered it: across the link, into the buffer.
    async fn carry(self: Arc<Self>, s: u16, k: u64, offered: Time) {
        let log = &self.log;
        let req = k * REQ_STRIDE + s as u64;
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed ^ req.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let sub = &self.each[s as usize];
        let leg = Leg {
            msg: log.msg(),
            req,
            kind: MsgKind::Event,
            link: self.first_link + s,
            to: sub.node,
        };
        let sent = Instant::now();
        if !hop::cross(log, leg, sent, self.link.transit(&mut rng)).await {
            let reason = FailReason::Lost;
            log.emit(What::Failed {
                req,
                node: sub.node,
                reason,
            });
            return;
        }
        let base = match self.draws.get(&req) {
            Some(&d) => d,
            None => {
                let n = self.taken.fetch_add(1, Ordering::Relaxed) as usize;
                self.spare.get(n).copied().unwrap_or(0)
            }
        };
        let slow = s as usize + 1 == self.each.len() && self.each.len() > 1;
        let service = if slow {
            time::from_ns((base as f64 * self.slow_factor).floor())
        } else {
            base
        };
        sub.arrive(Copy {
            msg: leg.msg,
            req,
            offered,
            sent: log.time(sent),
            arrived: log.time(Instant::now()),
            service,
        });
    }
}

/// The publishers' side.
struct Publishers {
    js: async_nats::jetstream::Context,
    subject: String,
    link: Link,
    broker: NodeId,
    subscribers: u16,
    faults: ServiceFaults,
    /// Events the broker has taken in.
    events: AtomicU64,
    seed: u64,
    log: Arc<Log>,
}

impl Publishers {
    /// One publish: across the link to the broker, taken in (every
    /// subscriber now wants a copy), acked by JetStream, the ack across the
    /// link back.
    async fn publish(self: Arc<Self>, n: u64, publisher: NodeId) {
        let log = &self.log;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let up = self.link.transit(&mut rng);
        let down = self.link.transit(&mut rng);
        let k = self.events.load(Ordering::Relaxed);
        let leg = Leg {
            msg: log.msg(),
            req: k,
            kind: MsgKind::Request,
            link: publisher * 2,
            to: self.broker,
        };
        let sent = Instant::now();
        if !hop::cross(log, leg, sent, up).await {
            return;
        }
        let now = Instant::now();
        let broker = self.broker;
        if self.faults.down(log.time(now)) {
            let reason = DropReason::ServiceDown;
            log.emit_at(
                now,
                What::Dropped {
                    msg: leg.msg,
                    node: broker,
                    reason,
                },
            );
            return;
        }
        let k = self.events.fetch_add(1, Ordering::Relaxed);
        log.emit_at(
            now,
            What::Delivered {
                msg: leg.msg,
                node: broker,
            },
        );
        for s in 0..self.subscribers {
            let req = k * REQ_STRIDE + s as u64;
            log.emit_at(now, What::Offered { req, node: broker });
        }
        let payload = format!("{k} {}", log.time(now));
        log.name(&payload, leg.msg);
        let Ok(ack) = self.js.publish(self.subject.clone(), payload.into()).await else {
            return;
        };
        if ack.await.is_err() {
            return;
        }
        let leg = Leg {
            msg: log.msg(),
            req: k,
            kind: MsgKind::Ack,
            link: publisher * 2 + 1,
            to: publisher,
        };
        if !hop::cross(log, leg, Instant::now(), down).await {
            return;
        }
        let now = Instant::now();
        log.emit_at(
            now,
            What::Delivered {
                msg: leg.msg,
                node: publisher,
            },
        );
        let latency = log.time(now).saturating_sub(log.time(sent));
        log.emit_at(
            now,
            What::Leg {
                req: 0,
                node: publisher,
                latency,
            },
        );
    }
}

/// Runs the model's publishes for real through `broker` until `horizon`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    p: &ParamSet,
    seed: u64,
    model: &[Event],
    horizon: Duration,
    _limits: &Limits,
    stop: &AtomicBool,
    log: &Arc<Log>,
    broker: &Broker,
) -> Result<(), String> {
    let publishers = p.get("clients") as u16;
    let n = p.get("subscribers") as u16;
    let node = publishers;
    let subject = format!("switchboard.real.{seed}.events");
    let drop_oldest = p.get("slow_policy") == 0.0;
    let cap = if drop_oldest {
        p.get("buffer") as usize
    } else {
        sim::budget::QUEUE_LIMIT
    };
    let plan = schedule(p, model);
    let (draws, spare) = copy_draws(p, seed, model);
    let subscribers = Arc::new(Subscribers {
        each: (0..n)
            .map(|s| {
                let node = node + 1 + s;
                log.emit_at(log.t0(), What::Capacity { node, workers: 1 });
                Arc::new(Subscriber {
                    node,
                    cap,
                    backlog: Mutex::default(),
                    ready: Notify::new(),
                    log: log.clone(),
                })
            })
            .collect(),
        link: arrivals::link(p),
        first_link: 2 * publishers,
        draws,
        spare,
        taken: AtomicU64::new(0),
        slow_factor: p.get("slow_factor"),
        seed,
        log: log.clone(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    // Each subscriber: its own connection and subscription, and a worker.
    for s in 0..n {
        let client = broker::connect(&broker.url).await?;
        let mut copies = client
            .subscribe(subject.clone())
            .await
            .map_err(broker::refused)?;
        client.flush().await.map_err(broker::refused)?;
        let subs = subscribers.clone();
        tasks.spawn(subs.each[s as usize].clone().work());
        let subs = subscribers.clone();
        tasks.spawn(async move {
            let _client = client;
            while let Some(m) = copies.next().await {
                let text = String::from_utf8_lossy(&m.payload);
                let mut words = text.split(' ').map(|w| w.parse::<u64>());
                if let (Some(Ok(k)), Some(Ok(offered))) = (words.next(), words.next()) {
                    tokio::spawn(subs.clone().carry(s, k, offered));
                }
            }
        });
    }
    let setup = async_nats::jetstream::new(broker::connect(&broker.url).await?);
    setup
        .create_stream(async_nats::jetstream::stream::Config {
            name: format!("SWITCHBOARD_{seed}"),
            subjects: vec![subject.clone()],
            storage: async_nats::jetstream::stream::StorageType::Memory,
            max_messages: 100_000,
            max_bytes: 16 << 20,
            ..Default::default()
        })
        .await
        .map_err(broker::refused)?;
    // The publishers' connection goes through a relay that keeps its
    // frames: a publish and the broker's ack, for the page.
    *log.capture.lock().expect("never poisoned") = Capture::nats(Frames {
        sent: "PUB switchboard.real",
        received: "MSG _INBOX",
    });
    let url = broker.tapped(log.capture.clone()).await?;
    let js = async_nats::jetstream::new(broker::connect(&url).await?);
    let publishing = Arc::new(Publishers {
        js,
        subject,
        link: arrivals::link(p),
        broker: node,
        subscribers: n,
        faults: ServiceFaults::from_params(p),
        events: AtomicU64::new(0),
        seed,
        log: log.clone(),
    });
    let sending = async {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (at, publisher) in plan {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let intended = log.instant(at);
            clock::until(intended).await;
            log.late(Instant::now() - intended);
            tasks.spawn(publishing.clone().publish(rng.random(), publisher));
        }
        std::future::pending::<()>().await
    };
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, sending).await;
    tasks.shutdown().await;
    ended
}
