//! The model's open-loop workload as a real run replays it: each arrival's
//! moment, client and request id from the model's own `Offered` events,
//! its service time from the model's own draw, and the loop that offers
//! each at its moment.

use std::sync::atomic::{AtomicBool, Ordering};

use sim::dist::ServiceDist;
use sim::event::ReqId;
use sim::time as vt;
use sim::topology::{Link, NodeId};
use sim::{Event, ParamSet, What};
use tokio::time::Instant;

use super::clock;
use super::log::Log;

/// One request (or message) of the schedule.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// When it is meant to leave, from the run's start.
    pub at: sim::Time,
    pub client: NodeId,
    pub req: ReqId,
    /// Its service time: the model's own draw for it.
    pub service: sim::Time,
}

/// The model's arrivals, in order, each with the service time the model
/// drew for it.
pub fn schedule(p: &ParamSet, seed: u64, model: &[Event]) -> Vec<Arrival> {
    let mut arrivals: Vec<Arrival> = model
        .iter()
        .filter_map(|e| match e.what {
            What::Offered { req, node } => Some(Arrival {
                at: e.at,
                client: node,
                req,
                service: 0,
            }),
            _ => None,
        })
        .collect();
    draw_services(p, seed, &mut arrivals);
    arrivals
}

/// Gives each arrival the service time the model drew for it: the model
/// draws one per arrival, in order, from its seed's service stream, and
/// nothing else draws from that stream — so the real service works exactly
/// as long as the modelled one, and a difference is the machine's.
pub fn draw_services(p: &ParamSet, seed: u64, arrivals: &mut [Arrival]) {
    let draws = service_draws(p, seed, arrivals.len());
    for (a, service) in arrivals.iter_mut().zip(draws) {
        a.service = service;
    }
}

/// The model's first `n` service draws, in order: where the model draws
/// one per message reaching a service (a relay, a poll), the real service
/// takes the n-th for the n-th message it takes in.
pub fn service_draws(p: &ParamSet, seed: u64, n: usize) -> Vec<sim::Time> {
    let mean = vt::from_ms(p.get("service_ms"));
    let dist = ServiceDist::from_index(p.get("service_dist") as usize);
    let mut streams = sim::rng::Streams::new(seed);
    (0..n)
        .map(|_| dist.sample(mean, &mut streams.service))
        .collect()
}

/// Offers each arrival of `schedule` at its moment, as the model did
/// (recording how late the machine got there), and hands it to `start`;
/// then waits for the horizon. Stops offering when `stop` is set.
pub async fn offer_each(
    log: &Log,
    stop: &AtomicBool,
    schedule: Vec<Arrival>,
    mut start: impl FnMut(Arrival),
) {
    for a in schedule {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let intended = log.instant(a.at);
        clock::until(intended).await;
        log.late(Instant::now() - intended);
        let (req, node) = (a.req, a.client);
        log.emit_at(intended, What::Offered { req, node });
        start(a);
    }
    std::future::pending::<()>().await
}

/// The run's link law (delay, jitter, loss) as the engine draws it.
pub fn link(p: &ParamSet) -> Link {
    Link {
        id: 0,
        from: 0,
        to: 1,
        net: vt::from_ms(p.get("net_ms")),
        jitter: vt::from_ms(p.get("jitter_ms")),
        loss: if p.spec("loss").is_ok() {
            p.get("loss")
        } else {
            0.0
        },
        reliable: false,
    }
}
