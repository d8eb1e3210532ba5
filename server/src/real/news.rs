//! The update workload of the polling and push patterns, for real: the
//! model's updates produced on schedule (each offered to every client, as
//! `sim::updates` does) and what a client's answer brings home (each
//! update it lacked completed, its wait the update's staleness).

use std::sync::Mutex;

use sim::time::Time;
use sim::topology::NodeId;
use sim::trip::Trip;
use sim::updates::REQ_STRIDE;
use sim::What;
use tokio::time::Instant;

use super::clock;
use super::log::Log;

/// Produces each update at its moment: every client of `clients` wants it
/// (offered at the server `origin`), then `published(k + 1)` tells the
/// server how many there are.
pub async fn produce(
    log: &Log,
    updates: &[Time],
    origin: NodeId,
    clients: u16,
    mut published: impl FnMut(u64),
) {
    for (k, &at) in updates.iter().enumerate() {
        let intended = log.instant(at);
        clock::until(intended).await;
        log.late(Instant::now() - intended);
        for c in 0..clients {
            let req = k as u64 * REQ_STRIDE + c as u64;
            log.emit_at(intended, What::Offered { req, node: origin });
        }
        published(k as u64 + 1);
    }
}

/// An answer reached `client` at `now` with every update before `upto`:
/// those it lacked (from `seen`) complete, their waits split by `trip`.
pub fn bring_home(
    log: &Log,
    updates: &[Time],
    seen: &Mutex<u64>,
    client: NodeId,
    upto: u64,
    trip: Trip,
    now: Instant,
) {
    let mut seen = seen.lock().expect("never poisoned");
    for k in *seen..upto.min(updates.len() as u64) {
        let req = k * REQ_STRIDE + client as u64;
        log.complete(now, req, client, updates[k as usize], trip);
    }
    *seen = (*seen).max(upto);
}
