//! The one seam between the classroom and the replicas: every handler and
//! the socket path reach rooms through a [`Registry`] — the rooms held
//! here, and (with `serve --nats`) the replicas behind them. A room
//! simulated here answers itself; a room relayed from another replica is
//! asked through NATS; a code unknown here is looked for on the others; a
//! new room is registered with them before it runs and given the outlet
//! its frames leave through. The cluster never calls back into this.

use std::sync::Arc;

use crate::class::cluster::wire::{Ask, Reply};
use crate::class::cluster::{mirror, owner, Cluster, RoomRecord};
use crate::class::codes;
use crate::class::host::Host;
use crate::class::room::{self, Outlet, Room, Standing};
use crate::live::session::Session;

/// The rooms, here and on the other replicas.
#[derive(Clone)]
pub struct Registry {
    pub host: Arc<dyn Host>,
    pub cluster: Option<Arc<Cluster>>,
}

/// A room's answer to a request (a status, a body, whether it is JSON):
/// its own, or the replica's that runs it.
pub type Answer = Reply;

fn answer(status: u16, body: String, json: bool) -> Answer {
    Reply { status, body, json }
}

/// A new room's settings.
pub struct NewRoom {
    pub secret_hash: [u8; 32],
    pub seed: u64,
    /// The open scenario's id and how many choices its question has.
    pub preset: Option<(String, usize)>,
    /// One session per pane, where the presenter's run stands.
    pub sessions: Vec<(Session, Standing)>,
}

impl Registry {
    /// The room `code`: held here, or (in a set of replicas) relayed from
    /// the replica that runs it. Err: it exists but cannot be reached now.
    pub async fn find(&self, code: &str) -> Result<Option<Arc<Room>>, String> {
        if let Some(room) = self.host.rooms().get(code) {
            return Ok(Some(room));
        }
        let code = codes::normal(code);
        match &self.cluster {
            Some(cluster) if code.len() == codes::CODE_LEN => {
                mirror::open(cluster, &self.host, &code).await
            }
            _ => Ok(None),
        }
    }

    /// Asks the replica that runs a relayed room.
    async fn forward(&self, room: &Room, ask: Ask) -> Answer {
        let Some(cluster) = &self.cluster else {
            return answer(500, "no replicas to ask".into(), false);
        };
        match mirror::ask(cluster, &room.code, &ask).await {
            Ok(r) => r,
            Err(e) => answer(503, e, false),
        }
    }

    /// What `GET /api/rooms/<code>` says (`ballot`: the page's, hashed).
    pub async fn describe(&self, room: &Room, presenter: bool, ballot: Option<[u8; 32]>) -> Answer {
        if room.is_mirrored() {
            let ask = Ask::Describe {
                presenter,
                ballot: ballot.map(|b| crate::class::cluster::wire::hex(&b)),
            };
            let asked = self.forward(room, ask).await;
            if asked.status != 503 {
                return asked;
            }
            // The owner is gone and the room not yet taken over: what this
            // replica relays (its own followers, the last frames' standing)
            // is still true.
        }
        answer(
            200,
            room.describe(presenter, ballot.as_ref()).to_string(),
            true,
        )
    }

    /// Counts ballot `ballot`'s prediction.
    pub async fn answer(&self, room: &Room, choice: usize, ballot: [u8; 32]) -> Answer {
        if room.is_mirrored() {
            let ask = Ask::Answer {
                choice,
                ballot: crate::class::cluster::wire::hex(&ballot),
            };
            return self.forward(room, ask).await;
        }
        let (status, body) = room.answer(choice, &ballot);
        answer(status.as_u16(), body, false)
    }

    /// A student's sketch of the teacher's sweep.
    pub async fn sketch(&self, room: &Room, points: Vec<(u16, f64)>, ballot: [u8; 32]) -> Answer {
        if room.is_mirrored() {
            let ask = Ask::Sketch {
                points,
                ballot: crate::class::cluster::wire::hex(&ballot),
            };
            return self.forward(room, ask).await;
        }
        let (status, body) = room.sketch(&points, &ballot);
        answer(status.as_u16(), body, false)
    }

    /// The class's sketches (the caller checked the presenter).
    pub async fn sketches(&self, room: &Room) -> Answer {
        if room.is_mirrored() {
            return self.forward(room, Ask::Sketches).await;
        }
        answer(200, room.sketches_json(), true)
    }

    /// The presenter reveals the answers or locks joining.
    pub async fn steer(
        &self,
        room: &Room,
        reveal: Option<bool>,
        joining_open: Option<bool>,
    ) -> Answer {
        if room.is_mirrored() {
            return self
                .forward(
                    room,
                    Ask::Steer {
                        reveal,
                        joining_open,
                    },
                )
                .await;
        }
        room.steer(reveal, joining_open);
        answer(204, String::new(), false)
    }

    /// Draws a free code, registers the room with the replicas (before it
    /// runs, so no other replica draws the code), starts its drivers here
    /// and holds it. Err: the status and why.
    pub async fn start(&self, new: NewRoom) -> Result<Arc<Room>, (u16, String)> {
        let NewRoom {
            secret_hash,
            seed,
            preset,
            sessions,
        } = new;
        let mut code = String::new();
        for _ in 0..8 {
            let candidate = codes::new_code().map_err(|e| (500, e))?;
            if self.host.rooms().get(&candidate).is_some() {
                continue;
            }
            let Some(cluster) = &self.cluster else {
                code = candidate;
                break;
            };
            let record = RoomRecord {
                owner: cluster.replica.clone(),
                epoch: 0,
                secret_hash: crate::class::cluster::wire::hex(&secret_hash),
                seed,
                preset: preset.clone(),
                joining_open: true,
                revealed: false,
                answers: vec![0; preset.as_ref().map_or(0, |p| p.1)],
                panes: sessions.iter().map(|(_, st)| st.clone()).collect(),
            };
            match owner::register(cluster, &candidate, &record).await {
                Ok(_) => {
                    code = candidate;
                    break;
                }
                Err(e) if e.is_empty() => continue,
                Err(e) => return Err((503, e)),
            }
        }
        if code.is_empty() {
            return Err((503, "no free class code: try again".into()));
        }
        let outlet = |pane: usize| -> Option<Arc<dyn Outlet>> {
            self.cluster.as_ref().map(|c| c.outlet(&code, pane))
        };
        let runtime: Arc<dyn room::Runtime> = Arc::clone(&self.host) as Arc<dyn room::Runtime>;
        let room = room::start(
            code.clone(),
            secret_hash,
            seed,
            preset,
            sessions,
            &runtime,
            outlet,
        );
        if let Some(cluster) = &self.cluster {
            match cluster.record(&code).await {
                Some((_, revision)) => {
                    owner::keep(cluster, Arc::clone(&room), &self.host, revision, 0).await
                }
                None => {
                    room.close("the room registry lost the class");
                    return Err((503, "the room registry is unavailable".into()));
                }
            }
        }
        self.host.rooms().insert(Arc::clone(&room));
        Ok(room)
    }
}
