//! `message-queue` for real, on a real `nats-server` ([`Broker`]) with
//! JetStream: producers publish each message to a work-queue stream
//! (memory, at most `queue_cap` messages, a full stream refuses), whose
//! `PubAck` is the producer's receipt; `consumers` competing consumers —
//! each its own NATS connection — pull from one durable pull consumer,
//! each holding at most `prefetch` unacknowledged copies (one outstanding
//! pull request per free credit), process one at a time and ack. JetStream
//! itself redelivers a copy not acked within `ack_wait` (= `visibility_ms`)
//! and stops at `max_deliver` (= `retries` + 1), telling so in its
//! max-deliveries advisory, on which the run dead-letters the message
//! (deletes it from the stream). A consumer crash closes its connection:
//! its unacked copies come back after the visibility timeout.
//!
//! What is real: the broker and its protocol, storage, the stream's limit,
//! acks, pull requests, redeliveries and their count, the advisory, the
//! consumers' connections, buffers and timers. What is the model's: when
//! producers produce (replayed from the model's run of the same recipe),
//! when consumers crash and restart, each message's processing time (the
//! model's own draw for it, matched by message), the link law (the link
//! layer delays and drops a message before it reaches the broker, a copy
//! after the broker sent it, an ack before it is sent), and the broker's
//! outage (at its door: a `nats-server` cannot be told to refuse).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{DropReason, FailReason, MsgId, MsgKind, ReqId};
use sim::faults::ServiceFaults;
use sim::time::{self as vt, Time};
use sim::topology::{Link, NodeId};
use sim::trip::Trip;
use sim::{Event, ParamSet, What};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::arrivals::{self, Arrival};
use super::broker::{self, Broker};
use super::clock;
use super::hop::{self, Leg};
use super::log::Log;
use super::tap::{Capture, Frames};
use super::Limits;

const STREAM: &str = "SWITCHBOARD_QUEUE";
const SUBJECT: &str = "switchboard.real.queue";
const DURABLE: &str = "workers";

/// What the model did that the real run replays.
pub struct Plan {
    /// The producers' messages.
    pub arrivals: Vec<Arrival>,
    /// Each stored message's processing time: the model draws one per
    /// message it stores, in the order it stores them.
    pub draws: HashMap<ReqId, Time>,
    /// Draws past the model's, for messages the real broker stores and
    /// the model's did not.
    pub spare: Vec<Time>,
    /// Per consumer: when it crashes and when it is back.
    pub crashes: Vec<Vec<(Time, Time)>>,
}

/// Reads the plan off the model's events.
pub fn plan(p: &ParamSet, seed: u64, model: &[Event]) -> Plan {
    let producers = p.get("clients") as u16;
    let consumers = p.get("consumers") as u16;
    let broker = producers;
    let mut arrivals = arrivals::schedule(p, seed, model);
    for a in &mut arrivals {
        a.service = 0;
    }
    let mut request_of: HashMap<MsgId, ReqId> = HashMap::new();
    let mut stored = Vec::new();
    let mut crashes = vec![Vec::new(); consumers as usize];
    let mut down: Vec<Option<Time>> = vec![None; consumers as usize];
    for e in model {
        match e.what {
            What::Sent {
                msg,
                req,
                kind: MsgKind::Request,
                ..
            } => {
                request_of.insert(msg, req);
            }
            What::Queued { msg, node } if node == broker => {
                if let Some(&req) = request_of.get(&msg) {
                    stored.push(req);
                }
            }
            What::Capacity { node, workers } if node > broker => {
                let c = (node - broker - 1) as usize;
                match (workers, down[c].take()) {
                    (0, _) => down[c] = Some(e.at),
                    (_, Some(at)) => crashes[c].push((at, e.at)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for (c, at) in down.iter().enumerate() {
        if let Some(at) = *at {
            crashes[c].push((at, Time::MAX));
        }
    }
    let all = arrivals::service_draws(p, seed, stored.len() * 2 + 256);
    let draws = stored.iter().copied().zip(all.iter().copied()).collect();
    let spare = all[stored.len()..].to_vec();
    Plan {
        arrivals,
        draws,
        spare,
        crashes,
    }
}

/// A message the broker holds, as the run keeps its book (from what the
/// real broker said: `PubAck`s, acks, advisories).
struct Stored {
    /// The producer's message, `Queued` at the broker while stored.
    msg: MsgId,
    /// Its stream sequence, once the broker has said it.
    seq: Option<u64>,
    /// When it was stored (its wait counts from there).
    created: Time,
    /// When it last became ready to hand out: stored, or due back after
    /// a visibility timeout.
    ready_at: Time,
    /// Processed once already: later processing is a duplicate.
    done: bool,
}

#[derive(Default)]
struct Book {
    stored: HashMap<ReqId, Stored>,
    by_seq: HashMap<u64, ReqId>,
    /// Messages processed at least once, stored or not.
    processed: std::collections::HashSet<ReqId>,
}

/// A copy in a consumer's hands.
struct Copy {
    msg: MsgId,
    req: ReqId,
    trip: Trip,
    real: jetstream::Message,
    /// Tells its credit loop the ack reached the broker.
    acked: oneshot::Sender<()>,
}

/// A consumer's buffer and its one worker.
#[derive(Default)]
struct Backlog {
    waiting: VecDeque<Copy>,
    /// The copy being processed, and when it started.
    current: Option<(MsgId, Instant)>,
    /// Copies on their way to it: lost if it crashes before they arrive.
    coming: std::collections::HashSet<MsgId>,
    next: Option<Copy>,
}

/// One consumer across its lives.
struct Consumer {
    node: NodeId,
    backlog: Mutex<Backlog>,
    ready: Notify,
}

/// Everything the parties share.
struct Queue {
    producers: u16,
    broker: NodeId,
    consumers: Vec<Consumer>,
    link: Link,
    faults: ServiceFaults,
    visibility: Duration,
    prefetch: u32,
    book: Mutex<Book>,
    draws: HashMap<ReqId, Time>,
    spare: Vec<Time>,
    taken: AtomicU64,
    js: jetstream::Context,
    stream: stream::Stream,
    url: String,
    /// Consumer 1's first connection goes through a relay that keeps its
    /// frames: a pull request and a delivery, for the page.
    tapped: Mutex<Option<String>>,
    seed: u64,
    log: Arc<Log>,
}

impl Queue {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().expect("never poisoned")
    }

    fn rng(&self, salt: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn down(&self, at: Instant) -> bool {
        self.faults.down(self.log.time(at))
    }

    /// One producer's message: across the link, stored (or refused) by
    /// the real stream, the receipt across the link back.
    async fn produce(self: Arc<Self>, a: Arrival) {
        let log = &self.log;
        let mut rng = self.rng(a.req);
        let up = self.link.transit(&mut rng);
        let down = self.link.transit(&mut rng);
        let (broker, producer, req) = (self.broker, a.client, a.req);
        let leg = Leg {
            msg: log.msg(),
            req,
            kind: MsgKind::Request,
            link: producer * 2,
            to: broker,
        };
        let sent = Instant::now();
        let unstored = |reason| {
            log.emit(What::Failed {
                req,
                node: producer,
                reason,
            })
        };
        if !hop::cross(log, leg, sent, up).await {
            return unstored(FailReason::Lost);
        }
        let at = Instant::now();
        if self.down(at) {
            let reason = DropReason::ServiceDown;
            log.emit_at(
                at,
                What::Dropped {
                    msg: leg.msg,
                    node: broker,
                    reason,
                },
            );
            return unstored(FailReason::Lost);
        }
        let t = log.time(at);
        let stored = Stored {
            msg: leg.msg,
            seq: None,
            created: t,
            ready_at: t,
            done: false,
        };
        self.book().stored.insert(req, stored);
        let published = match self.js.publish(SUBJECT, req.to_string().into()).await {
            Ok(ack) => ack.await.ok(),
            Err(_) => None,
        };
        let kind = match published {
            Some(ack) => {
                let mut book = self.book();
                if let Some(s) = book.stored.get_mut(&req) {
                    s.seq = Some(ack.sequence);
                }
                book.by_seq.insert(ack.sequence, req);
                drop(book);
                log.emit_at(
                    at,
                    What::Queued {
                        msg: leg.msg,
                        node: broker,
                    },
                );
                MsgKind::Ack
            }
            None => {
                // The stream is full (or would not answer): refused.
                self.book().stored.remove(&req);
                let reason = DropReason::QueueFull;
                log.emit_at(
                    at,
                    What::Dropped {
                        msg: leg.msg,
                        node: broker,
                        reason,
                    },
                );
                unstored(FailReason::Rejected);
                MsgKind::Error
            }
        };
        let receipt = Leg {
            msg: log.msg(),
            req,
            kind,
            link: producer * 2 + 1,
            to: producer,
        };
        if !hop::cross(log, receipt, Instant::now(), down).await {
            return;
        }
        let now = Instant::now();
        log.emit_at(
            now,
            What::Delivered {
                msg: receipt.msg,
                node: producer,
            },
        );
        let latency = log.time(now).saturating_sub(log.time(sent));
        log.emit_at(
            now,
            What::Leg {
                req,
                node: producer,
                latency,
            },
        );
    }

    /// One credit of consumer `c`: a pull request for one copy; the copy
    /// across the link into the consumer's buffer; the credit back when
    /// its ack reaches the broker or its visibility timeout passes.
    async fn credit(self: Arc<Self>, c: u16, puller: consumer::PullConsumer) {
        let log = &self.log;
        let con = &self.consumers[c as usize];
        let link = 2 * self.producers + 2 * c;
        loop {
            // A broker that is down hands nothing out.
            while self.down(Instant::now()) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let Ok(mut batch) = puller
                .batch()
                .max_messages(1)
                .expires(Duration::from_secs(1))
                .messages()
                .await
            else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let Some(Ok(real)) = batch.next().await else {
                continue;
            };
            let now = Instant::now();
            let t = log.time(now);
            let Some(req) = std::str::from_utf8(&real.payload)
                .ok()
                .and_then(|s| s.parse::<ReqId>().ok())
            else {
                let _ = real.ack().await;
                continue;
            };
            let first = real.info().map(|i| i.delivered <= 1).unwrap_or(true);
            let visibility = self.visibility.as_nanos() as Time;
            let in_broker = self.book().stored.get_mut(&req).map(|s| {
                let waited = t.saturating_sub(s.ready_at);
                s.ready_at = t + visibility;
                waited
            });
            let Some(in_broker) = in_broker else {
                // Acked or dead-lettered already: nothing to hand out.
                let _ = real.ack().await;
                continue;
            };
            let deadline = now + self.visibility;
            let mut rng = self.rng(req ^ (t << 8) ^ c as u64);
            let leg = Leg {
                msg: log.msg(),
                req,
                kind: if first {
                    MsgKind::Event
                } else {
                    MsgKind::Retry
                },
                link,
                to: con.node,
            };
            let coming = |on: bool| {
                let mut b = con.backlog.lock().expect("never poisoned");
                if on {
                    b.coming.insert(leg.msg);
                } else {
                    b.coming.remove(&leg.msg);
                }
            };
            if let Some(reply) = &real.reply {
                log.name(reply.as_str(), leg.msg);
            }
            coming(true);
            let arrived = hop::cross(log, leg, now, self.link.transit(&mut rng)).await;
            coming(false);
            if !arrived {
                clock::until(deadline).await;
                continue;
            }
            let arrived = log.time(Instant::now());
            let (acked, ack_reached) = oneshot::channel();
            let copy = Copy {
                msg: leg.msg,
                req,
                trip: Trip {
                    hop_in: arrived.saturating_sub(t),
                    arrived,
                    started: arrived,
                    left: arrived,
                    earlier: [0, in_broker, 0],
                },
                real,
                acked,
            };
            self.arrive(c, copy);
            let _ = tokio::time::timeout_at(deadline, ack_reached).await;
        }
    }

    /// A copy reaches consumer `c`: processed at once or buffered.
    fn arrive(&self, c: u16, copy: Copy) {
        let con = &self.consumers[c as usize];
        let (log, node) = (&self.log, con.node);
        let now = Instant::now();
        let mut b = con.backlog.lock().expect("never poisoned");
        if b.current.is_none() && b.next.is_none() {
            b.current = Some((copy.msg, now));
            let msg = copy.msg;
            log.emit_at(
                now,
                What::Started {
                    msg,
                    node,
                    queued: false,
                },
            );
            b.next = Some(copy);
            drop(b);
            con.ready.notify_one();
        } else {
            log.emit_at(
                now,
                What::Queued {
                    msg: copy.msg,
                    node,
                },
            );
            b.waiting.push_back(copy);
        }
    }

    /// Consumer `c`'s worker: processes each copy for its message's time,
    /// then acks it.
    async fn work(self: Arc<Self>, c: u16) {
        let con = &self.consumers[c as usize];
        let (log, node) = (&self.log, con.node);
        loop {
            let next = con.backlog.lock().expect("never poisoned").next.take();
            let Some(copy) = next else {
                con.ready.notified().await;
                continue;
            };
            let started = con
                .backlog
                .lock()
                .expect("never poisoned")
                .current
                .map_or_else(Instant::now, |(_, at)| at);
            let service = self.service_of(copy.req);
            clock::until(started + Duration::from_nanos(service)).await;
            let now = Instant::now();
            let t = log.time(now);
            let (first, created) = {
                let mut book = self.book();
                let first = book.processed.insert(copy.req);
                let created = book.stored.get_mut(&copy.req).map(|s| {
                    s.done = true;
                    s.created
                });
                (first, created)
            };
            log.emit_at(
                now,
                What::Served {
                    msg: copy.msg,
                    node,
                    wasted: !first,
                },
            );
            if let (true, Some(created)) = (first, created) {
                let trip = Trip {
                    started: log.time(started),
                    left: t,
                    ..copy.trip
                };
                log.complete(now, copy.req, node, created, trip);
            }
            tokio::spawn(self.clone().ack(c, copy));
            let mut b = con.backlog.lock().expect("never poisoned");
            b.current = None;
            if let Some(next) = b.waiting.pop_front() {
                b.current = Some((next.msg, now));
                let msg = next.msg;
                log.emit_at(
                    now,
                    What::Started {
                        msg,
                        node,
                        queued: true,
                    },
                );
                b.next = Some(next);
            }
        }
    }

    fn service_of(&self, req: ReqId) -> Time {
        match self.draws.get(&req) {
            Some(&d) => d,
            None => {
                let n = self.taken.fetch_add(1, Ordering::Relaxed) as usize;
                self.spare.get(n).copied().unwrap_or(0)
            }
        }
    }

    /// The ack of `copy`: across the link, then the real ack; the message
    /// leaves the broker's book (or the ack is late: acked already, or
    /// dead-lettered).
    async fn ack(self: Arc<Self>, c: u16, copy: Copy) {
        let log = &self.log;
        let broker = self.broker;
        let mut rng = self.rng(copy.msg ^ 0xACC);
        let leg = Leg {
            msg: log.msg(),
            req: copy.req,
            kind: MsgKind::Ack,
            link: 2 * self.producers + 2 * c + 1,
            to: broker,
        };
        if !hop::cross(log, leg, Instant::now(), self.link.transit(&mut rng)).await {
            return;
        }
        let now = Instant::now();
        if self.down(now) {
            let reason = DropReason::ServiceDown;
            return log.emit_at(
                now,
                What::Dropped {
                    msg: leg.msg,
                    node: broker,
                    reason,
                },
            );
        }
        if copy.real.ack().await.is_err() {
            // Its connection is gone (a crash): the copy comes back.
            return;
        }
        let gone = {
            let mut book = self.book();
            let s = book.stored.remove(&copy.req);
            if let Some(seq) = s.as_ref().and_then(|s| s.seq) {
                book.by_seq.remove(&seq);
            }
            s
        };
        let Some(s) = gone else {
            let reason = DropReason::Late;
            return log.emit_at(
                now,
                What::Dropped {
                    msg: leg.msg,
                    node: broker,
                    reason,
                },
            );
        };
        log.emit_at(
            now,
            What::Delivered {
                msg: leg.msg,
                node: broker,
            },
        );
        log.emit_at(
            now,
            What::Started {
                msg: s.msg,
                node: broker,
                queued: true,
            },
        );
        log.emit_at(
            now,
            What::Served {
                msg: s.msg,
                node: broker,
                wasted: false,
            },
        );
        let _ = copy.acked.send(());
    }

    /// One life of consumer `c`: its own connection, `prefetch` credits
    /// and its worker, until the returned tasks are dropped (a crash).
    async fn life(self: &Arc<Self>, c: u16) -> Result<JoinSet<()>, String> {
        let tapped = if c == 0 {
            self.tapped.lock().expect("never poisoned").take()
        } else {
            None
        };
        let url = tapped.unwrap_or_else(|| self.url.clone());
        let client = broker::connect(&url).await?;
        let js = jetstream::new(client);
        let puller: consumer::PullConsumer = js
            .get_consumer_from_stream(DURABLE, STREAM)
            .await
            .map_err(broker::refused)?;
        let mut tasks = JoinSet::new();
        for _ in 0..self.prefetch {
            tasks.spawn(self.clone().credit(c, puller.clone()));
        }
        tasks.spawn(self.clone().work(c));
        let node = self.consumers[c as usize].node;
        self.log.emit(What::Capacity { node, workers: 1 });
        Ok(tasks)
    }

    /// Consumer `c` crashes: its process and connection are gone, its
    /// half-done work wasted, its buffered copies lost with it.
    fn crash(&self, c: u16, tasks: JoinSet<()>) {
        drop(tasks);
        let con = &self.consumers[c as usize];
        let (log, node) = (&self.log, con.node);
        let mut b = con.backlog.lock().expect("never poisoned");
        if let Some((msg, _)) = b.current.take() {
            log.emit(What::Served {
                msg,
                node,
                wasted: true,
            });
        }
        b.next = None;
        for copy in b.waiting.drain(..) {
            let reason = DropReason::Crashed;
            log.emit(What::Dropped {
                msg: copy.msg,
                node,
                reason,
            });
        }
        // Copies still on the link find nobody there.
        for msg in b.coming.drain() {
            let reason = DropReason::Disconnected;
            log.emit(What::Dropped { msg, node, reason });
        }
        log.emit(What::Capacity { node, workers: 0 });
    }

    /// Consumer `c` through the model's crashes and restarts.
    async fn consume(self: Arc<Self>, c: u16, crashes: Vec<(Time, Time)>) {
        let Ok(mut tasks) = self.life(c).await else {
            return;
        };
        for (down, up) in crashes {
            clock::until(self.log.instant(down)).await;
            self.crash(c, tasks);
            if up == Time::MAX {
                return;
            }
            clock::until(self.log.instant(up)).await;
            let Ok(next) = self.life(c).await else {
                return;
            };
            tasks = next;
        }
        std::future::pending::<()>().await
    }

    /// JetStream's max-deliveries advisories: each names a message it
    /// will not deliver again, which the run dead-letters.
    async fn dead_letters(self: Arc<Self>, mut advisories: async_nats::Subscriber) {
        let (log, broker) = (&self.log, self.broker);
        while let Some(m) = advisories.next().await {
            let Some(seq) = serde_json::from_slice::<serde_json::Value>(&m.payload)
                .ok()
                .and_then(|v| v.get("stream_seq")?.as_u64())
            else {
                continue;
            };
            let gone = {
                let mut book = self.book();
                book.by_seq
                    .remove(&seq)
                    .and_then(|req| Some((req, book.stored.remove(&req)?)))
            };
            let _ = self.stream.delete_message(seq).await;
            let Some((req, s)) = gone else {
                continue;
            };
            let reason = DropReason::DeadLetter;
            log.emit(What::Dropped {
                msg: s.msg,
                node: broker,
                reason,
            });
            if !s.done {
                let reason = FailReason::DeadLetter;
                log.emit(What::Failed {
                    req,
                    node: broker,
                    reason,
                });
            }
        }
    }
}

/// Runs the model's messages for real through `broker` until `horizon`.
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
    let producers = p.get("clients") as u16;
    let n = p.get("consumers") as u16;
    let plan = plan(p, seed, model);
    *log.capture.lock().expect("never poisoned") = Capture::nats(Frames {
        sent: "PUB $JS.API.CONSUMER.MSG.NEXT",
        received: "MSG switchboard.real.queue",
    });
    let visibility = Duration::from_nanos(vt::from_ms(p.get("visibility_ms")));
    let client = broker::connect(&broker.url).await?;
    let advisories = client
        .subscribe(format!(
            "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM}.{DURABLE}"
        ))
        .await
        .map_err(broker::refused)?;
    let js = jetstream::new(client);
    let stream = js
        .create_stream(stream::Config {
            name: STREAM.into(),
            subjects: vec![SUBJECT.into()],
            storage: stream::StorageType::Memory,
            retention: stream::RetentionPolicy::WorkQueue,
            discard: stream::DiscardPolicy::New,
            max_messages: p.get("queue_cap") as i64,
            max_bytes: 16 << 20,
            ..Default::default()
        })
        .await
        .map_err(broker::refused)?;
    let prefetch = p.get("prefetch") as u32;
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(DURABLE.into()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: visibility,
            max_deliver: p.get("retries") as i64 + 1,
            max_ack_pending: (prefetch as i64 * n as i64).max(1),
            ..Default::default()
        })
        .await
        .map_err(broker::refused)?;
    let queue = Arc::new(Queue {
        producers,
        broker: producers,
        consumers: (0..n)
            .map(|c| Consumer {
                node: producers + 1 + c,
                backlog: Mutex::default(),
                ready: Notify::new(),
            })
            .collect(),
        link: arrivals::link(p),
        faults: ServiceFaults::from_params(p),
        visibility,
        prefetch,
        book: Mutex::default(),
        draws: plan.draws,
        spare: plan.spare,
        taken: AtomicU64::new(0),
        js,
        stream,
        url: broker.url.clone(),
        tapped: Mutex::new(Some(broker.tapped(log.capture.clone()).await?)),
        seed,
        log: log.clone(),
    });
    let mut tasks = JoinSet::new();
    tasks.spawn(queue.clone().dead_letters(advisories));
    for (c, crashes) in plan.crashes.into_iter().enumerate() {
        tasks.spawn(queue.clone().consume(c as u16, crashes));
    }
    let producing = arrivals::offer_each(log, stop, plan.arrivals, |a| {
        tasks.spawn(queue.clone().produce(a));
    });
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, producing).await;
    tasks.shutdown().await;
    ended
}
