//! The rooms this replica holds: those it simulates and those it relays
//! from another replica, by join code; the caps; and the sweep that closes
//! rooms nobody presents (see `Limits::claim_grace`, `Limits::room_grace`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::class::room::Room;

/// Rooms at once.
pub const MAX_ROOMS: usize = 32;

/// Every open room, by join code.
#[derive(Default)]
pub struct Rooms {
    map: Mutex<HashMap<String, Arc<Room>>>,
}

impl Rooms {
    /// An open room this replica simulates or relays.
    pub fn get(&self, code: &str) -> Option<Arc<Room>> {
        let code = code.trim().to_ascii_uppercase();
        self.map
            .lock()
            .ok()?
            .get(&code)
            .filter(|r| !r.is_closed())
            .cloned()
    }

    pub fn insert(&self, room: Arc<Room>) {
        if let Ok(mut map) = self.map.lock() {
            map.insert(room.code.clone(), room);
        }
    }

    /// Every room open here.
    pub fn all(&self) -> Vec<Arc<Room>> {
        self.map
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Rooms simulated here (the cap on new rooms; relayed ones cost a
    /// subscription, not a simulation).
    pub fn simulated(&self) -> usize {
        self.map
            .lock()
            .map(|m| m.values().filter(|r| !r.is_mirrored()).count())
            .unwrap_or(0)
    }

    /// Closes rooms no presenter opened within `claim` of their start,
    /// rooms whose presenter has been gone longer than `claim` with nobody
    /// following, and rooms whose presenter has been gone longer than
    /// `grace`; forgets closed ones.
    pub fn sweep(&self, grace: Duration, claim: Duration) {
        let Ok(mut map) = self.map.lock() else { return };
        map.retain(|_, r| {
            let gone = r
                .presenter_seen
                .lock()
                .map(|t| t.elapsed())
                .unwrap_or(Duration::MAX);
            let absent = r.presenters.load(Ordering::Relaxed) == 0;
            if r.is_mirrored() {
                // Relayed from another replica: forgotten here once nobody
                // here has watched it for a while (its owner decides when
                // the class ends).
                if absent && gone > grace && r.followers.load(Ordering::Relaxed) == 0 {
                    r.close("nobody here follows the class");
                }
            } else if !r.claimed.load(Ordering::Relaxed) && r.started.elapsed() > claim {
                r.close("no teacher opened this class: it has ended");
            } else if absent && (gone > grace || (gone > claim && r.followers_total() == 0)) {
                // Gone for good, or gone with nobody left to wait for them.
                r.close("the teacher has left: the class has ended");
            }
            !r.is_closed()
        });
    }

    /// Closes every room (the server is stopping).
    pub fn close_all(&self, reason: &str) {
        if let Ok(map) = self.map.lock() {
            for r in map.values() {
                r.close(reason);
            }
        }
    }
}
