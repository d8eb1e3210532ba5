//! Failover by determinism: a room whose owner's heartbeat expired is
//! claimed by one replica (compare-and-set on the registry record) and its
//! panes replayed from their recipes to where they stood — the engine is
//! deterministic for a recipe, so the continued run is the same run.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{mirror, owner, Cluster, RoomRecord};
use crate::class::host::Host;
use crate::class::room::{self, Room, Standing, Start};
use crate::live::session::Session;

/// What the followers of a room taken over are told.
pub const NOTICE: &str = "the class's server went away: it continues on another";

/// Takes over every room whose owner is no longer alive.
pub async fn look(cluster: &Arc<Cluster>, host: &Arc<dyn Host>) {
    let mut alive: HashMap<String, bool> = HashMap::new();
    for code in cluster.codes() {
        let Some((record, revision)) = cluster.record(&code).await else {
            continue;
        };
        if record.owner == cluster.replica {
            continue;
        }
        let owner_alive = match alive.get(&record.owner) {
            Some(a) => *a,
            None => {
                // Unknown (the store did not answer) counts as alive.
                let a = cluster.is_alive(&record.owner).await.unwrap_or(true);
                alive.insert(record.owner.clone(), a);
                a
            }
        };
        if !owner_alive {
            let _one_at_a_time = cluster.opening.lock().await;
            take(cluster, host, &code, record, revision).await;
        }
    }
}

/// Claims `code` (as of `revision`) and continues it here. `None` when
/// another replica claimed it first or its run cannot be replayed.
pub async fn take(
    cluster: &Arc<Cluster>,
    host: &Arc<dyn Host>,
    code: &str,
    record: RoomRecord,
    revision: u64,
) -> Option<Arc<Room>> {
    let epoch = record.epoch + 1;
    let claimed = RoomRecord {
        owner: cluster.replica.clone(),
        epoch,
        ..record.clone()
    };
    let revision = cluster
        .registry
        .update(code, claimed.encode(), revision)
        .await
        .ok()?;
    let mirrored = host.rooms().get(code).filter(|r| r.is_mirrored());
    // What this replica's members saw is at least as recent as the record
    // (written once a second): continue from it when it is.
    let from_frames: Vec<Option<Standing>> = record
        .panes
        .iter()
        .enumerate()
        .map(|(i, written)| {
            let seen = mirrored.as_ref()?.panes.get(i)?.standing();
            (!seen.recipe.pattern.is_empty() && seen.recipe.until >= written.recipe.until)
                .then_some(seen)
        })
        .collect();
    let standings: Vec<Standing> = record
        .panes
        .iter()
        .zip(&from_frames)
        .map(|(w, f)| f.clone().unwrap_or_else(|| w.clone()))
        .collect();
    let built = tokio::task::spawn_blocking(move || {
        standings
            .into_iter()
            .map(|st| {
                let mut s = Session::replay(&st.recipe, st.speed)?;
                s.set_run(st.run);
                if let Some(t) = st.shown {
                    // The teacher was looking back: there again (the seek
                    // runs in the room's first ticks; its moment goes to all).
                    s.look_at(t)?;
                } else if st.playing {
                    s.control(r#"{"type":"play"}"#)?;
                }
                Ok((s, st))
            })
            .collect::<Result<Vec<_>, String>>()
    })
    .await;
    let sessions = match built {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!("class {code} cannot be continued: {e}");
            let _ = cluster.registry.delete(code).await;
            if let Some(m) = mirrored {
                m.close(&format!("the class ended: {e}"));
            }
            return None;
        }
        Err(_) => return None,
    };
    let first = (epoch as u64) << 40;
    let room = match mirrored {
        Some(room) => {
            if let Ok(mut a) = room.answers.lock() {
                *a = record.answers.clone();
            }
            let receivers = mirror::detach(cluster, code).await?;
            for (i, ((session, standing), orders)) in
                sessions.into_iter().zip(receivers).enumerate()
            {
                let pane = &room.panes[i];
                let start = if from_frames[i].is_some() {
                    Start::Continue {
                        notice: NOTICE.into(),
                        frames: pane.entries(false),
                    }
                } else {
                    Start::Fresh
                };
                pane.bump_seq(first);
                let driver = room::Driver {
                    host: Arc::clone(host) as Arc<dyn room::Runtime>,
                    outlet: Some(cluster.outlet(code, i)),
                };
                room::spawn_driver(&room, i, session, orders, driver, start, standing);
            }
            room
        }
        None => {
            let hash = record.secret_hash()?;
            let (room, receivers) = Room::new(
                code.to_string(),
                hash,
                record.seed,
                record.preset.clone(),
                sessions.len(),
                false,
            );
            room.joining_open
                .store(record.joining_open, Ordering::Relaxed);
            room.revealed.store(record.revealed, Ordering::Relaxed);
            if let Ok(mut a) = room.answers.lock() {
                *a = record.answers.clone();
            }
            for (i, ((session, standing), orders)) in
                sessions.into_iter().zip(receivers).enumerate()
            {
                room.panes[i].bump_seq(first);
                let driver = room::Driver {
                    host: Arc::clone(host) as Arc<dyn room::Runtime>,
                    outlet: Some(cluster.outlet(code, i)),
                };
                room::spawn_driver(&room, i, session, orders, driver, Start::Fresh, standing);
            }
            host.rooms().insert(Arc::clone(&room));
            room
        }
    };
    // The presenter gets the whole grace to come back.
    // A room taken over was a class already: its teacher's page reconnects.
    room.claimed.store(true, Ordering::Relaxed);
    if let Ok(mut t) = room.presenter_seen.lock() {
        *t = tokio::time::Instant::now();
    }
    owner::keep(cluster, Arc::clone(&room), host, revision, epoch).await;
    tracing::info!(
        "class {code} taken over from replica {} (epoch {epoch})",
        record.owner
    );
    Some(room)
}
