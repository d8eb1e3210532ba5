//! A real run kept for drawing: its events in the engine's vocabulary and
//! its messages' bytes, so a pane can play it back beside the model
//! (`live::playback`) and the inspector can show what a message was on
//! the wire (`GET /api/real/{id}/bytes`).
//!
//! Kept by the server under a random id for a while ([`KEPT_FOR`]), at
//! most [`MAX_KEPT`] at once (the oldest goes first): a page's real run
//! is at most 30 s at 200 messages/s, ~60,000 events, ~3 MiB.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sim::event::MsgId;
use sim::topology::Topology;
use sim::{Event, ParamSet};

/// Real runs kept at once.
pub const MAX_KEPT: usize = 8;
/// How long a real run is kept after it ran.
pub const KEPT_FOR: Duration = Duration::from_secs(15 * 60);

/// One real run, as it happened.
pub struct Recording {
    /// The recipe it ran (after any cap on its rate): the pane's values.
    pub params: ParamSet,
    pub seed: u64,
    /// The model's parties and links for the recipe: the real parties
    /// reported on the same nodes.
    pub topology: Topology,
    /// Where it stops: the run's length.
    pub horizon: sim::Time,
    /// Every event up to the horizon, in time order.
    pub events: Vec<Event>,
    /// The bytes of each message the tapped connection carried.
    pub bytes: BTreeMap<MsgId, String>,
}

/// The real runs the server keeps, newest last.
#[derive(Default)]
pub struct Recordings {
    kept: Mutex<VecDeque<(String, Instant, Arc<Recording>)>>,
}

impl Recordings {
    /// Keeps `rec` and gives its id (16 random hex digits: not guessable,
    /// and exact in a browser, which reads it as text).
    pub fn keep(&self, rec: Recording) -> String {
        let id = format!("{:016x}", rand::random::<u64>());
        let mut kept = self.kept.lock().expect("never poisoned");
        forget_old(&mut kept, Instant::now());
        while kept.len() >= MAX_KEPT {
            kept.pop_front();
        }
        kept.push_back((id.clone(), Instant::now(), Arc::new(rec)));
        id
    }

    /// The run kept under `id`, if it still is.
    pub fn find(&self, id: &str) -> Option<Arc<Recording>> {
        let mut kept = self.kept.lock().expect("never poisoned");
        forget_old(&mut kept, Instant::now());
        kept.iter()
            .find(|(k, _, _)| k == id)
            .map(|(_, _, r)| Arc::clone(r))
    }
}

fn forget_old(kept: &mut VecDeque<(String, Instant, Arc<Recording>)>, now: Instant) {
    kept.retain(|(_, at, _)| now.duration_since(*at) < KEPT_FOR);
}

/// Why a real pane has nothing to play, in words.
pub const GONE: &str = "this real run is no longer kept on the server (runs are kept 15 minutes, 8 at most): run it again from \"Real vs model\"";

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Recording {
        Recording {
            params: sim::catalogue()[0].defaults(),
            seed: 1,
            topology: Topology::default(),
            horizon: 0,
            events: Vec::new(),
            bytes: BTreeMap::new(),
        }
    }

    #[test]
    fn keeps_the_newest_few_under_ids_of_their_own() {
        let r = Recordings::default();
        let ids: Vec<String> = (0..MAX_KEPT + 2).map(|_| r.keep(rec())).collect();
        assert!(r.find(&ids[0]).is_none() && r.find(&ids[1]).is_none());
        assert!(ids[2..].iter().all(|id| r.find(id).is_some()));
        assert!(r.find("0000000000000000").is_none());
        assert_eq!(ids[5].len(), 16);
    }
}
