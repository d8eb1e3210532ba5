//! A room owned by another replica, relayed here: one subscription per
//! pane feeds the pane's local broadcast and catch-up (started from one
//! catch-up requested from the owner), so every local member shares it;
//! presenters' controls and the room's HTTP requests go to the owner.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_nats::RequestErrorKind;
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::wire::{self, Ask, Reply};
use super::{ask_subject, closed_subject, frames_subject, takeover, Cluster};
use crate::class::host::Host;
use crate::class::room::{Order, Room, RoomPane};

/// What a refused or unanswered request to the owner says.
pub const MOVING: &str = "the class is moving to another server: try again in a moment";

/// The tasks relaying a mirrored room.
pub struct Links {
    stop: watch::Sender<bool>,
    /// Each pane's control relay; it hands its order queue back when
    /// stopped (a takeover gives it to the pane's new driver).
    relays: Vec<JoinHandle<mpsc::Receiver<Order>>>,
    feeds: Vec<JoinHandle<()>>,
}

/// The room `code` as this replica can serve it: mirrored from its owner,
/// taken over if its owner is gone, `None` if no replica has it.
pub async fn open(
    cluster: &Arc<Cluster>,
    host: &Arc<dyn Host>,
    code: &str,
) -> Result<Option<Arc<Room>>, String> {
    // Unknown codes are answered without waiting for another opening.
    if cluster.record(code).await.is_none() {
        return Ok(None);
    }
    let _one_at_a_time = cluster.opening.lock().await;
    if let Some(room) = host.rooms().get(code) {
        return Ok(Some(room));
    }
    let Some((record, revision)) = cluster.record(code).await else {
        return Ok(None);
    };
    let owner_alive = cluster.is_alive(&record.owner).await.unwrap_or(true);
    if !owner_alive {
        return Ok(takeover::take(cluster, host, code, record, revision).await);
    }
    let hash = record.secret_hash().ok_or("the room's record is damaged")?;
    let (room, receivers) = Room::new(
        code.to_string(),
        hash,
        record.seed,
        record.preset.clone(),
        record.panes.len(),
        true,
    );
    room.joining_open
        .store(record.joining_open, Ordering::Relaxed);
    room.revealed.store(record.revealed, Ordering::Relaxed);
    let (stop, stopped) = watch::channel(false);
    let mut feeds = Vec::new();
    for (i, pane) in room.panes.iter().enumerate() {
        // Subscribe first: frames published while the catch-up is on its
        // way wait in the subscription, and those it holds are skipped.
        let sub = cluster
            .client
            .subscribe(frames_subject(code, i))
            .await
            .map_err(|e| format!("cannot follow the class: {e}"))?;
        let got = catch_up(cluster, code, i).await?;
        for (kind, n) in wire::decode_entries(&got.payload).ok_or(MOVING)? {
            pane.publish(n, kind);
        }
        feeds.push(tokio::spawn(feed(sub, Arc::clone(pane), stopped.clone())));
    }
    let closing = cluster
        .client
        .subscribe(closed_subject(code))
        .await
        .map_err(|e| format!("cannot follow the class: {e}"))?;
    feeds.push(tokio::spawn(watch_closed(
        closing,
        Arc::clone(&room),
        stopped.clone(),
    )));
    let relays = receivers
        .into_iter()
        .enumerate()
        .map(|(i, orders)| {
            tokio::spawn(relay(
                Arc::clone(cluster),
                code.to_string(),
                i,
                orders,
                stopped.clone(),
            ))
        })
        .collect();
    if let Ok(mut links) = cluster.links.lock() {
        links.insert(
            code.to_string(),
            Links {
                stop,
                relays,
                feeds,
            },
        );
    }
    host.rooms().insert(Arc::clone(&room));
    tracing::info!("class {code} relayed here from replica {}", record.owner);
    Ok(Some(room))
}

/// A pane's catch-up from its owner. A room is in the registry a moment
/// before its owner listens for requests, so "nobody is listening" is
/// asked again for up to a second before the member is told to retry.
async fn catch_up(
    cluster: &Cluster,
    code: &str,
    pane: usize,
) -> Result<async_nats::Message, String> {
    const TRIES: u32 = 5;
    let ask = serde_json::to_vec(&Ask::CatchUp { pane }).unwrap_or_default();
    for attempt in 1..=TRIES {
        match cluster
            .client
            .request(ask_subject(code), ask.clone().into())
            .await
        {
            Ok(m) => return Ok(m),
            Err(e) if e.kind() == RequestErrorKind::NoResponders && attempt < TRIES => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(_) => break,
        }
    }
    Err(MOVING.to_string())
}

/// Stops relaying `code` and hands back each pane's order queue.
pub async fn detach(cluster: &Cluster, code: &str) -> Option<Vec<mpsc::Receiver<Order>>> {
    let links = cluster.links.lock().ok()?.remove(code)?;
    let _ = links.stop.send(true);
    for f in links.feeds {
        let _ = f.await;
    }
    let mut out = Vec::new();
    for r in links.relays {
        out.push(r.await.ok()?);
    }
    Some(out)
}

/// One pane's frames from the owner into the local broadcast.
async fn feed(
    mut sub: async_nats::Subscriber,
    pane: Arc<RoomPane>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            m = sub.next() => {
                let Some(m) = m else { return };
                if let Some((kind, n)) = wire::open(&m.payload) {
                    if n.seq > pane.last_seq() {
                        pane.publish(n, kind);
                    }
                }
            }
        }
    }
}

/// Closes the mirror when the owner closes the room.
async fn watch_closed(
    mut sub: async_nats::Subscriber,
    room: Arc<Room>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::select! {
        _ = stop.changed() => {}
        m = sub.next() => {
            if let Some(m) = m {
                room.close(&String::from_utf8_lossy(&m.payload));
            }
        }
    }
}

/// One pane's controls to the owner, each answered to its sender.
async fn relay(
    cluster: Arc<Cluster>,
    code: String,
    pane: usize,
    mut orders: mpsc::Receiver<Order>,
    mut stop: watch::Receiver<bool>,
) -> mpsc::Receiver<Order> {
    loop {
        tokio::select! {
            _ = stop.changed() => return orders,
            o = orders.recv() => {
                let Some(o) = o else { return orders };
                let refused = match ask(&cluster, &code, &Ask::Control { pane, text: o.text }).await {
                    Ok(r) if r.status < 300 => None,
                    Ok(r) => Some(r.body),
                    Err(e) => Some(e),
                };
                let _ = o.answer.send(refused);
            }
        }
    }
}

/// Asks a room's owner.
pub async fn ask(cluster: &Cluster, code: &str, ask: &Ask) -> Result<Reply, String> {
    let body = serde_json::to_vec(ask).map_err(|e| e.to_string())?;
    match cluster.client.request(ask_subject(code), body.into()).await {
        Ok(m) => serde_json::from_slice(&m.payload).map_err(|_| MOVING.to_string()),
        Err(e)
            if matches!(
                e.kind(),
                RequestErrorKind::NoResponders | RequestErrorKind::TimedOut
            ) =>
        {
            Err(MOVING.into())
        }
        Err(e) => Err(format!("the class is unreachable: {e}")),
    }
}

/// Tells each mirrored room's owner how many members it has here, and
/// takes the owner's word for whether joining is open; forgets the links
/// of mirrors that closed.
pub async fn report(cluster: &Cluster, host: &dyn Host) {
    for room in host.rooms().all() {
        if !room.is_mirrored() {
            continue;
        }
        let presence = Ask::Presence {
            replica: cluster.replica.clone(),
            followers: room.followers.load(Ordering::Relaxed),
            presenters: room.presenters.load(Ordering::Relaxed),
        };
        if let Ok(body) = serde_json::to_vec(&presence) {
            let _ = cluster
                .client
                .publish(ask_subject(&room.code), body.into())
                .await;
        }
        if let Some((record, _)) = cluster.record(&room.code).await {
            room.joining_open
                .store(record.joining_open, Ordering::Relaxed);
            room.revealed.store(record.revealed, Ordering::Relaxed);
        }
    }
    if let Ok(mut links) = cluster.links.lock() {
        links.retain(|code, l| {
            let open = host.rooms().get(code).is_some();
            if !open {
                let _ = l.stop.send(true);
            }
            open
        });
    }
}
