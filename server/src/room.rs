//! A classroom room: the presenter's panes, each simulated once on the
//! simulation threads, its frames encoded once and fanned out to every
//! follower through a `tokio::sync::broadcast`.
//!
//! A room pane's driver task is the only owner of its [`Session`]. It
//! applies the presenter's controls (each answered to its sender), ticks
//! 30 times a second, and publishes every frame with a sequence number. It
//! also keeps the [`CatchUp`] a late joiner starts from: the run's `Hello`,
//! every `Params` since, the last 20 s of metrics (chart history) and the
//! last 2 s of ticks with their events (the messages in flight), so a
//! joiner sees the room as it is, never a run from t = 0. A follower that
//! falls behind the broadcast skips to a fresh catch-up; nobody waits for
//! it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sim::wire::{Change, Recipe};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::session::Session;
use crate::shared::Shared;
use crate::simulators::Weight;
use crate::viewer::{METRICS_EVERY, TICK};

/// Frames a follower may be behind the room before it skips to a catch-up.
pub const FOLLOWER_LAG: usize = 128;
/// Chart history a late joiner gets (metrics ticks, ~15 a second).
const HISTORY_TICKS: usize = 300;
/// Ticks with events a late joiner gets (the messages in flight).
const RECENT_TICKS: usize = 60;

/// A frame of a room pane, numbered so that a joiner can tell the frames
/// of its catch-up from the live ones that follow.
#[derive(Clone, Debug)]
pub struct Numbered {
    pub seq: u64,
    pub bytes: Bytes,
    /// A text frame (a notice for everyone, e.g. the run reached its
    /// budget), not a binary one.
    pub text: bool,
}

/// What a late joiner needs to see a room pane as it is now.
#[derive(Default)]
struct CatchUp {
    hello: Option<Numbered>,
    params: Vec<Numbered>,
    /// (metrics-only tick) for chart history, oldest first.
    history: VecDeque<Numbered>,
    /// Full ticks, oldest first.
    recent: VecDeque<Numbered>,
}

impl CatchUp {
    /// The frames to send a joiner, in order, and the last sequence number
    /// among them.
    fn frames(&self) -> (Vec<Bytes>, u64) {
        let mut out = Vec::new();
        let mut last = 0;
        let mut push = |n: &Numbered| {
            out.push(n.bytes.clone());
            last = last.max(n.seq);
        };
        if let Some(h) = &self.hello {
            push(h);
        }
        let first_recent = self.recent.front().map_or(u64::MAX, |n| n.seq);
        // History older than the recent ticks, and the params in between,
        // in sequence order.
        let mut older: Vec<&Numbered> = self
            .history
            .iter()
            .filter(|n| n.seq < first_recent)
            .chain(self.params.iter())
            .chain(self.recent.iter())
            .collect();
        older.sort_by_key(|n| n.seq);
        for n in older {
            push(n);
        }
        (out, last)
    }
}

/// Where a room pane stands: what `GET /api/rooms/<code>` shows and what a
/// fork replays.
#[derive(Clone, Debug, Default)]
pub struct Standing {
    pub recipe: Recipe,
    pub playing: bool,
    pub speed: f64,
}

/// A control from the presenter, with where its refusal goes.
pub struct Order {
    pub text: String,
    pub answer: oneshot::Sender<Option<String>>,
}

/// One pane of a room.
pub struct RoomPane {
    pub orders: mpsc::Sender<Order>,
    pub frames: broadcast::Sender<Numbered>,
    catch_up: Mutex<CatchUp>,
    standing: Mutex<Standing>,
}

impl RoomPane {
    /// Subscribes to the live frames, then takes the catch-up: the joiner
    /// sends the catch-up and then every live frame numbered after it.
    pub fn join(&self) -> (broadcast::Receiver<Numbered>, Vec<Bytes>, u64) {
        let rx = self.frames.subscribe();
        let (frames, last) = self.catch_up.lock().map(|c| c.frames()).unwrap_or_default();
        (rx, frames, last)
    }

    pub fn standing(&self) -> Standing {
        self.standing.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// A classroom room.
pub struct Room {
    pub code: String,
    /// The presenter's secret (a 128-bit random value, hex); compared in
    /// constant time, never logged, never in a URL.
    secret: String,
    pub panes: Vec<Arc<RoomPane>>,
    pub seed: u64,
    pub followers: AtomicUsize,
    pub joining_open: AtomicBool,
    /// Presenter connections open now.
    pub presenters: AtomicUsize,
    /// Set when the room closes: its followers are told why.
    closed: watch::Sender<Option<String>>,
    /// When a presenter was last connected (for expiry).
    pub presenter_seen: Mutex<Instant>,
    /// The scenario whose question the class answers, if any.
    pub preset: Option<String>,
    /// The class's anonymous answers, a count per choice.
    pub answers: Mutex<Vec<u32>>,
    /// The presenter has revealed the answers.
    pub revealed: AtomicBool,
}

impl Room {
    pub fn is_presenter(&self, secret: Option<&str>) -> bool {
        secret.is_some_and(|s| {
            s.len() == self.secret.len()
                && s.bytes()
                    .zip(self.secret.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
    }

    /// Resolves with the reason when the room closes.
    pub fn closed(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let mut rx = self.closed.subscribe();
        async move {
            match rx.wait_for(|c| c.is_some()).await {
                Ok(reason) => reason.clone().unwrap_or_default(),
                Err(_) => "the class has ended".into(),
            }
        }
    }

    pub fn close(&self, reason: &str) {
        self.closed.send_replace(Some(reason.to_string()));
    }

    pub fn is_closed(&self) -> bool {
        self.closed.borrow().is_some()
    }

    /// Pauses every pane (the presenter is gone, or asked for it).
    pub fn pause_all(&self) {
        for p in &self.panes {
            let (answer, _) = oneshot::channel();
            let _ = p.orders.try_send(Order {
                text: r#"{"type":"pause"}"#.into(),
                answer,
            });
        }
    }
}

/// Starts a room from `sessions` (one per pane, already where the
/// presenter's run stands) and their driver tasks. `preset`: the open
/// scenario's id and how many choices its question has.
pub fn start(
    code: String,
    secret: String,
    seed: u64,
    preset: Option<(String, usize)>,
    sessions: Vec<Session>,
    shared: &Arc<Shared>,
) -> Arc<Room> {
    let mut panes = Vec::new();
    let mut drivers = Vec::new();
    for session in sessions {
        let (orders_tx, orders_rx) = mpsc::channel(64);
        let (frames, _) = broadcast::channel(FOLLOWER_LAG);
        let pane = Arc::new(RoomPane {
            orders: orders_tx,
            frames,
            catch_up: Mutex::new(CatchUp::default()),
            standing: Mutex::new(Standing::default()),
        });
        drivers.push((Arc::clone(&pane), session, orders_rx));
        panes.push(pane);
    }
    let room = Arc::new(Room {
        code,
        secret,
        panes,
        seed,
        followers: AtomicUsize::new(0),
        joining_open: AtomicBool::new(true),
        presenters: AtomicUsize::new(0),
        closed: watch::Sender::new(None),
        presenter_seen: Mutex::new(Instant::now()),
        answers: Mutex::new(vec![0; preset.as_ref().map_or(0, |p| p.1)]),
        preset: preset.map(|p| p.0),
        revealed: AtomicBool::new(false),
    });
    for (pane, session, orders) in drivers {
        tokio::spawn(drive(
            Arc::clone(&room),
            pane,
            session,
            orders,
            Arc::clone(shared),
        ));
    }
    room
}

/// One room pane's driver: controls in, one simulation, frames out to all.
async fn drive(
    room: Arc<Room>,
    pane: Arc<RoomPane>,
    session: Session,
    mut orders: mpsc::Receiver<Order>,
    shared: Arc<Shared>,
) {
    let mut seq: u64 = 0;
    let hello = session.hello();
    publish(&pane, &mut seq, hello, Kind::Hello);
    if let Ok(mut st) = pane.standing.lock() {
        let sim = session.sim();
        *st = Standing {
            recipe: Recipe {
                pattern: sim.info().id.to_string(),
                seed: sim.seed(),
                values: sim.params().values().to_vec(),
                changes: Vec::new(),
                until: sim.now(),
            },
            playing: session.pacer().playing,
            speed: session.pacer().speed,
        };
    }
    let mut session = Some(session);
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let mut ticks: u64 = 0;
    let mut weight = Weight::Light;
    let closed = room.closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            _ = &mut closed => return,
            _ = interval.tick() => {}
        }
        let Some(mut s) = session.take() else { return };
        let mut batch = Vec::new();
        let mut answers = Vec::new();
        while batch.len() < shared.limits.controls_per_tick {
            match orders.try_recv() {
                // The presenter's inspector: shown to everyone as is.
                Ok(o)
                    if matches!(
                        sim::wire::Control::parse(&o.text),
                        Ok(sim::wire::Control::Inspect { .. })
                    ) =>
                {
                    seq += 1;
                    let _ = pane.frames.send(Numbered {
                        seq,
                        bytes: Bytes::from(o.text),
                        text: true,
                    });
                    let _ = o.answer.send(None);
                }
                Ok(o) => {
                    batch.push(o.text);
                    answers.push(o.answer);
                }
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let wall = now - last;
        last = now;
        ticks += 1;
        let with_metrics = ticks.is_multiple_of(METRICS_EVERY);
        let cpu = shared.limits.tick_cpu;
        let job = shared.simulators.run(weight, move || {
            let worked = s.work(&batch, wall, cpu, true, with_metrics, true);
            (s, worked)
        });
        let Ok((s, worked)) = job.await else { return };
        weight = if worked.spent {
            Weight::Heavy
        } else {
            Weight::Light
        };
        for (answer, reply) in worked.answers.into_iter().zip(answers) {
            match answer {
                Ok(Some(frame)) => {
                    // The recipe so far changes only with a new run or a
                    // live change.
                    let kind = match sim::wire::Frame::decode(&frame) {
                        Ok(sim::wire::Frame::Hello(h)) => {
                            if let Ok(mut st) = pane.standing.lock() {
                                st.recipe.pattern = h.pattern;
                                st.recipe.seed = h.seed;
                                st.recipe.values = h.values;
                                st.recipe.changes.clear();
                            }
                            Kind::Hello
                        }
                        Ok(sim::wire::Frame::Params { at, values, .. }) => {
                            if let Ok(mut st) = pane.standing.lock() {
                                st.recipe.changes.push(Change { at, values });
                            }
                            Kind::Params
                        }
                        _ => Kind::Params,
                    };
                    publish(&pane, &mut seq, frame, kind);
                    let _ = reply.send(None);
                }
                Ok(None) => {
                    let _ = reply.send(None);
                }
                Err(e) => {
                    let _ = reply.send(Some(e));
                }
            }
        }
        if let Some(notice) = worked.notice {
            // Everyone watching is told why the room stopped.
            seq += 1;
            let _ = pane.frames.send(Numbered {
                seq,
                bytes: Bytes::from(sim::wire::error_text(&notice)),
                text: true,
            });
        }
        if let Some(t) = worked.tick {
            publish(&pane, &mut seq, t, Kind::Tick);
        }
        if let Some(h) = worked.history {
            publish(&pane, &mut seq, h, Kind::History);
        }
        if let Ok(mut st) = pane.standing.lock() {
            st.recipe.until = s.sim().now();
            st.playing = s.pacer().playing;
            st.speed = s.pacer().speed;
        }
        session = Some(s);
    }
}

/// Numbers a frame, keeps it for late joiners, and sends it to everyone
/// watching (chart history is kept only: its full tick went out live).
fn publish(pane: &RoomPane, seq: &mut u64, bytes: Vec<u8>, kind: Kind) {
    *seq += 1;
    let n = Numbered {
        seq: *seq,
        bytes: Bytes::from(bytes),
        text: false,
    };
    if let Ok(mut c) = pane.catch_up.lock() {
        match kind {
            Kind::Hello => {
                *c = CatchUp {
                    hello: Some(n.clone()),
                    ..CatchUp::default()
                }
            }
            Kind::Params => c.params.push(n.clone()),
            Kind::Tick => {
                if c.recent.len() == RECENT_TICKS {
                    c.recent.pop_front();
                }
                c.recent.push_back(n.clone());
            }
            Kind::History => {
                if c.history.len() == HISTORY_TICKS {
                    c.history.pop_front();
                }
                c.history.push_back(n);
                return;
            }
        }
    }
    let _ = pane.frames.send(n);
}

/// Which catch-up list a frame belongs to.
#[derive(Clone, Copy)]
enum Kind {
    Hello,
    Params,
    Tick,
    History,
}
