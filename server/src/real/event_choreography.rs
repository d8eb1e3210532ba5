//! `event-choreography` for real, on a real `nats-server` ([`Broker`]):
//! every stage of the chain (order, payment, inventory…) is a service of
//! its own — its own NATS connection, `workers` workers and a waiting room
//! of `queue_cap` — that reacts to the previous stage's event on a core
//! subject and publishes its own; no coordinator. A failed step publishes
//! a compensation that walks back up the chain, each stage undoing its
//! step and passing it on (a saga).
//!
//! What is real: the broker and its subjects, the stages' connections,
//! queues and timers, the events and compensations as NATS messages
//! carrying the order's context. What is the model's: when orders are
//! placed (replayed from the model's run of the same recipe), each step's
//! service time and which steps fail (the model's own draws and
//! decisions, matched by order and stage), the link law, and the stalled
//! stage.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::event::{FailReason, MsgId, MsgKind, ReqId};
use sim::time::{self, Time};
use sim::topology::{Link, NodeId};
use sim::{Event, ParamSet, What};
use tokio::time::Instant;

use super::arrivals::{self, Arrival};
use super::broker::{self, Broker};
use super::hop::{self, Leg};
use super::log::Log;
use super::station::{Entry, Station};
use super::tap::{Capture, Frames};
use super::Limits;

/// What the model did that the real run replays.
pub struct Plan {
    pub arrivals: Vec<Arrival>,
    /// Each step's service time, by order and stage: the model draws one
    /// per event reaching a stage.
    pub draws: HashMap<(ReqId, u16), Time>,
    /// The steps the model failed, by order and stage.
    pub fails: HashSet<(ReqId, u16)>,
}

/// Reads the plan off the model's events.
pub fn plan(p: &ParamSet, seed: u64, model: &[Event]) -> Plan {
    let clients = p.get("clients") as u16;
    let mut arrivals = arrivals::schedule(p, seed, model);
    for a in &mut arrivals {
        a.service = 0;
    }
    // Events reaching a stage, in the order they arrive: the model's draw
    // order. Link c runs client c → stage 0; clients + 2i stage i → i + 1.
    let mut reaching: Vec<(Time, usize, ReqId, u16)> = Vec::new();
    let mut legs: HashMap<(ReqId, Time), u16> = HashMap::new();
    let mut fails = HashSet::new();
    for (n, e) in model.iter().enumerate() {
        match e.what {
            What::Sent {
                req,
                kind: MsgKind::Request | MsgKind::Event,
                link,
                arrive_at,
                ..
            } => {
                let stage = if link < clients {
                    0
                } else {
                    (link - clients) / 2 + 1
                };
                reaching.push((arrive_at, n, req, stage));
            }
            What::Leg { req, node, .. } => {
                legs.insert((req, e.at), node - clients);
            }
            What::Failed {
                req,
                reason: FailReason::Compensated,
                ..
            } => {
                // A step that failed after its work (not for a full queue)
                // ended at the same moment as its leg.
                if let Some(&stage) = legs.get(&(req, e.at)) {
                    fails.insert((req, stage));
                }
            }
            _ => {}
        }
    }
    reaching.sort_unstable();
    let all = arrivals::service_draws(p, seed, reaching.len() + 256);
    let draws = reaching
        .iter()
        .zip(all)
        .map(|(&(_, _, req, stage), d)| ((req, stage), d))
        .collect();
    Plan {
        arrivals,
        draws,
        fails,
    }
}

/// An order's context, carried in every event about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Context {
    /// The event's message id.
    msg: MsgId,
    req: ReqId,
    client: NodeId,
    created: Time,
    /// When the order last left a party: the next hop starts here.
    handed: Time,
    /// Network, queue and service time over the stages so far.
    parts: [Time; 3],
}

impl Context {
    fn encode(&self) -> String {
        let [n, q, s] = self.parts;
        let c = self;
        format!(
            "{} {} {} {} {} {n} {q} {s}",
            c.msg, c.req, c.client, c.created, c.handed
        )
    }

    fn decode(text: &[u8]) -> Option<Context> {
        let text = std::str::from_utf8(text).ok()?;
        let v: Vec<u64> = text
            .split(' ')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let [msg, req, client, created, handed, n, q, s] = v[..] else {
            return None;
        };
        Some(Context {
            msg,
            req,
            client: client as NodeId,
            created,
            handed,
            parts: [n, q, s],
        })
    }
}

/// The chain.
struct Chain {
    stages: Vec<Station>,
    clients: u16,
    link: Link,
    nats: async_nats::Client,
    /// Subjects: `{prefix}.event.{i}` reach stage `i`, `{prefix}.undo.{i}`
    /// compensate it.
    prefix: String,
    draws: HashMap<(ReqId, u16), Time>,
    fails: HashSet<(ReqId, u16)>,
    slow_stage: u16,
    slowdown: f64,
    seed: u64,
    log: Arc<Log>,
}

impl Chain {
    fn node(&self, i: u16) -> NodeId {
        self.clients + i
    }

    fn rng(&self, req: ReqId, i: u16, kind: u64) -> ChaCha8Rng {
        let salt = req.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((i as u64) << 40) ^ (kind << 56);
        ChaCha8Rng::seed_from_u64(self.seed ^ salt)
    }

    /// Sends `ctx` as a `kind` message on `link` to stage `to` (its
    /// subject `subject`): across the link, then published.
    async fn send(&self, mut ctx: Context, kind: MsgKind, link: u16, to: u16, subject: &str) {
        let log = &self.log;
        let mut rng = self.rng(ctx.req, to, kind as u64);
        ctx.msg = log.msg();
        let leg = Leg {
            msg: ctx.msg,
            req: ctx.req,
            kind,
            link,
            to: self.node(to),
        };
        if hop::cross(log, leg, Instant::now(), self.link.transit(&mut rng)).await {
            let payload = ctx.encode();
            log.name(&payload, ctx.msg);
            let _ = self.nats.publish(subject.to_string(), payload.into()).await;
        }
    }

    /// The compensation of stage `i`'s step, if there is a stage before.
    async fn compensate_before(&self, ctx: Context, i: u16) {
        if i > 0 {
            let link = self.clients + 2 * (i - 1) + 1;
            let subject = format!("{}.undo.{}", self.prefix, i - 1);
            self.send(ctx, MsgKind::Compensation, link, i - 1, &subject)
                .await;
        }
    }

    /// Step `i` of the order failed: the saga fails, compensations walk back.
    async fn fail(&self, ctx: Context, i: u16) {
        let (req, node) = (ctx.req, ctx.client);
        let reason = FailReason::Compensated;
        self.log.emit(What::Failed { req, node, reason });
        self.compensate_before(ctx, i).await;
    }

    /// An event reaches stage `i`: the step, then the next event — or the
    /// order done, or the saga failed.
    async fn step(self: Arc<Self>, i: u16, mut ctx: Context) {
        let log = &self.log;
        let arrived = Instant::now();
        let t = log.time(arrived);
        ctx.parts[0] += t.saturating_sub(ctx.handed);
        let station = &self.stages[i as usize];
        let (permit, started) = match station.enter(ctx.msg, arrived).await {
            Entry::Working { permit, started } => (permit, started),
            // A full queue fails the step like any other failure.
            Entry::Full | Entry::Down => return self.fail(ctx, i).await,
        };
        let mut service = self.draws.get(&(ctx.req, i)).copied().unwrap_or(0);
        if self.slow_stage == i + 1 {
            service = time::from_ns((service as f64 * self.slowdown).floor());
        }
        let left = station
            .work(ctx.msg, permit, started, service, || false)
            .await;
        let (s, l) = (log.time(started), log.time(left));
        ctx.parts[1] += s.saturating_sub(t);
        ctx.parts[2] += l.saturating_sub(s);
        ctx.handed = l;
        let node = self.node(i);
        let latency = l.saturating_sub(t);
        log.emit_at(
            left,
            What::Leg {
                req: ctx.req,
                node,
                latency,
            },
        );
        if self.fails.contains(&(ctx.req, i)) {
            self.fail(ctx, i).await;
        } else if (i as usize) + 1 < self.stages.len() {
            let link = self.clients + 2 * i;
            let subject = format!("{}.event.{}", self.prefix, i + 1);
            self.send(ctx, MsgKind::Event, link, i + 1, &subject).await;
        } else {
            log.complete_with(left, ctx.req, node, ctx.created, ctx.parts);
        }
    }

    /// A compensation reaches stage `i`: undone at once, passed on.
    async fn undo(self: Arc<Self>, i: u16, ctx: Context) {
        let node = self.node(i);
        self.log.emit(What::Delivered { msg: ctx.msg, node });
        self.compensate_before(ctx, i).await;
    }

    /// Stage `i`'s service: its own connection, reacting to its subjects.
    async fn serve(self: Arc<Self>, i: u16, client: async_nats::Client) {
        let subject = format!("{}.*.{i}", self.prefix);
        let Ok(mut inbox) = client.subscribe(subject).await else {
            return;
        };
        let undo = format!("{}.undo.{i}", self.prefix);
        while let Some(m) = inbox.next().await {
            let Some(ctx) = Context::decode(&m.payload) else {
                continue;
            };
            if m.subject.as_str() == undo {
                tokio::spawn(self.clone().undo(i, ctx));
            } else {
                tokio::spawn(self.clone().step(i, ctx));
            }
        }
    }
}

/// Runs the model's orders for real through `broker` until `horizon`.
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
    let clients = p.get("clients") as u16;
    let n = p.get("stages") as u16;
    let plan = plan(p, seed, model);
    let nats = broker::connect(&broker.url).await?;
    let chain = Arc::new(Chain {
        stages: (0..n)
            .map(|i| Station::new(clients + i, p, log.clone()).steady())
            .collect(),
        clients,
        link: arrivals::link(p),
        nats,
        prefix: format!("switchboard.real.{seed}.order"),
        draws: plan.draws,
        fails: plan.fails,
        slow_stage: p.get("slow_stage") as u16,
        slowdown: p.get("slowdown"),
        seed,
        log: log.clone(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    // Stage 1's connection goes through a relay that keeps its frames:
    // its subscription and the first order event it got, for the page.
    *log.capture.lock().expect("never poisoned") = Capture::nats(Frames {
        sent: "SUB",
        received: "MSG switchboard.real",
    });
    for i in 0..n {
        let url = if i == 0 {
            broker.tapped(log.capture.clone()).await?
        } else {
            broker.url.clone()
        };
        let client = broker::connect(&url).await?;
        tasks.spawn(chain.clone().serve(i, client.clone()));
        // Subscribed before the first order is placed.
        client.flush().await.map_err(broker::refused)?;
    }
    let first = format!("{}.event.0", chain.prefix);
    let placing = arrivals::offer_each(log, stop, plan.arrivals, |a| {
        let ctx = Context {
            msg: 0,
            req: a.req,
            client: a.client,
            created: a.at,
            handed: a.at,
            parts: [0; 3],
        };
        let (chain, first) = (chain.clone(), first.clone());
        tasks.spawn(async move {
            chain.send(ctx, MsgKind::Request, a.client, 0, &first).await;
        });
    });
    let ended = super::until_horizon_or_stop(log.t0() + horizon, stop, placing).await;
    tasks.shutdown().await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_survives_the_wire() {
        let c = Context {
            msg: 7,
            req: 42,
            client: 3,
            created: 1_000,
            handed: 2_500,
            parts: [10, 20, 30],
        };
        assert_eq!(Context::decode(c.encode().as_bytes()), Some(c));
        assert_eq!(Context::decode(b"1 2 3"), None);
        assert_eq!(Context::decode(b"not numbers at all 1 2 3 4"), None);
    }
}
