//! The owning replica's side of a room: its registry record (written once
//! a second and at every takeover, compare-and-set on the revision so a
//! replica that lost the room finds out), and the answers to other
//! replicas' requests: controls, catch-ups, the room's HTTP surface and
//! their members' reports.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::wire::{self, Ask, Reply, RoomRecord};
use super::{ask_subject, closed_subject, Cluster};
use crate::class::host::Host;
use crate::class::room::{Order, Room};

/// How often the owner writes a room's record (how much of a run a
/// takeover without a mirror may have to repeat).
const WRITE_EVERY: Duration = Duration::from_secs(1);

/// A room's record as this replica, its owner, sees it now.
pub fn record_of(cluster: &Cluster, room: &Room, epoch: u32) -> RoomRecord {
    let answers = room.answers.lock().map(|a| a.clone()).unwrap_or_default();
    RoomRecord {
        owner: cluster.replica.clone(),
        epoch,
        secret_hash: wire::hex(&room.secret_hash),
        seed: room.seed,
        preset: room.preset.clone().map(|p| (p, answers.len())),
        joining_open: room.joining_open.load(Ordering::Relaxed),
        revealed: room.revealed.load(Ordering::Relaxed),
        answers,
        panes: room.panes.iter().map(|p| p.standing()).collect(),
    }
}

/// Enters a new room in the registry. Err(""): the code is taken (the
/// caller draws another).
pub async fn register(cluster: &Cluster, code: &str, record: &RoomRecord) -> Result<u64, String> {
    match cluster.registry.create(code, record.encode()).await {
        Ok(rev) => Ok(rev),
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Err(String::new()),
        Err(e) => Err(format!("the room registry is unavailable: {e}")),
    }
}

/// Serves `room` to the other replicas while it is open here. Returns
/// once the broker has this replica's subscription to the room's requests,
/// so a replica that finds the room right after it is created or taken
/// over is answered, not told nobody is listening.
pub async fn keep(
    cluster: &Arc<Cluster>,
    room: Arc<Room>,
    host: &Arc<dyn Host>,
    revision: u64,
    epoch: u32,
) {
    let cluster = Arc::clone(cluster);
    let host = Arc::clone(host);
    let code = room.code.clone();
    let mut asks = match cluster.client.subscribe(ask_subject(&code)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("class {code}: cannot take requests from other replicas: {e}");
            return;
        }
    };
    // The subscription is only queued until flushed to the broker.
    if let Err(e) = cluster.client.flush().await {
        tracing::warn!("class {code}: the broker did not take the subscription yet: {e}");
    }
    tokio::spawn(async move {
        let mut revision = revision;
        let mut every = tokio::time::interval(WRITE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let closed = room.closed();
        tokio::pin!(closed);
        loop {
            tokio::select! {
                reason = &mut closed => {
                    if host.shutdown().is_triggered() {
                        // Stopping: `leave` wrote the record; another
                        // replica takes the room over.
                        return;
                    }
                    if cluster.record(&code).await.is_some_and(|(r, _)| r.owner == cluster.replica) {
                        let _ = cluster.registry.delete(&code).await;
                        let _ = cluster.client.publish(closed_subject(&code), reason.into()).await;
                    }
                    return;
                }
                Some(msg) = asks.next() => {
                    let reply = answer(&room, &cluster, msg.payload.as_ref()).await;
                    if let (Some(to), Some(body)) = (msg.reply, reply) {
                        let _ = cluster.client.publish(to, body).await;
                    }
                }
                _ = every.tick() => {
                    let record = record_of(&cluster, &room, epoch);
                    match cluster.registry.update(&code, record.encode(), revision).await {
                        Ok(r) => revision = r,
                        Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                            // Another replica took the room while this one
                            // was cut off: its members reconnect there.
                            tracing::warn!("class {code} is now run by another replica");
                            room.close("the class moved to another server: reconnecting");
                            return;
                        }
                        Err(e) => tracing::warn!("class {code}: the registry is unavailable: {e}"),
                    }
                }
            }
        }
    });
}

/// The owner's answer to one request (`None`: nothing to reply).
async fn answer(room: &Room, cluster: &Cluster, payload: &[u8]) -> Option<bytes::Bytes> {
    let reply = |status: u16, body: String, json: bool| {
        Some(bytes::Bytes::from(
            serde_json::to_vec(&Reply { status, body, json }).unwrap_or_default(),
        ))
    };
    match serde_json::from_slice::<Ask>(payload) {
        Err(e) => reply(400, format!("not a request: {e}"), false),
        Ok(Ask::Control { pane, text }) => {
            let Some(p) = room.panes.get(pane) else {
                return reply(404, "this class has no such pane".into(), false);
            };
            let (tx, rx) = oneshot::channel();
            if p.orders.send(Order { text, answer: tx }).await.is_err() {
                return reply(410, "the class has ended".into(), false);
            }
            match tokio::time::timeout(Duration::from_secs(2), rx).await {
                Ok(Ok(Some(refused))) => reply(400, refused, false),
                _ => reply(204, String::new(), false),
            }
        }
        Ok(Ask::CatchUp { pane }) => {
            let p = room.panes.get(pane)?;
            let max = cluster.max_payload().saturating_sub(1024);
            Some(wire::encode_entries(&p.entries(true), max))
        }
        Ok(Ask::Describe { presenter, ballot }) => reply(
            200,
            room.describe(
                presenter,
                ballot.as_deref().and_then(wire::unhex32).as_ref(),
            )
            .to_string(),
            true,
        ),
        Ok(Ask::Answer { choice, ballot }) => match wire::unhex32(&ballot) {
            Some(b) => {
                let (status, body) = room.answer(choice, &b);
                reply(status.as_u16(), body, false)
            }
            None => reply(400, "a malformed ballot".into(), false),
        },
        Ok(Ask::Sketch { points, ballot }) => match wire::unhex32(&ballot) {
            Some(b) => {
                let (status, body) = room.sketch(&points, &b);
                reply(status.as_u16(), body, false)
            }
            None => reply(400, "a malformed ballot".into(), false),
        },
        Ok(Ask::Sketches) => reply(200, room.sketches_json(), true),
        Ok(Ask::Steer {
            reveal,
            joining_open,
        }) => {
            room.steer(reveal, joining_open);
            reply(204, String::new(), false)
        }
        Ok(Ask::Presence {
            replica,
            followers,
            presenters,
        }) => {
            room.report(&replica, followers, presenters);
            None
        }
    }
}

/// The server is stopping: each room owned here gets its final record
/// (where every pane stands now), so the replica that takes it over
/// continues from there.
pub async fn leave(cluster: &Cluster, host: &dyn Host) {
    for room in host.rooms().all() {
        if room.is_mirrored() {
            continue;
        }
        let Some((record, revision)) = cluster.record(&room.code).await else {
            continue;
        };
        if record.owner != cluster.replica {
            continue;
        }
        let last = record_of(cluster, &room, record.epoch);
        let _ = cluster
            .registry
            .update(&room.code, last.encode(), revision)
            .await;
    }
}
