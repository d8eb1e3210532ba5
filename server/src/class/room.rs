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

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use bytes::Bytes;
use sim::wire::{Change, Frame, Recipe};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::class::codes::hash_secret;
use crate::limits::Limits;
use crate::live::session::{Session, METRICS_EVERY, TICK};
use crate::live::simulators::{Simulators, Weight};
use crate::live::watched::Watched;

/// Followers one room may have.
pub const MAX_FOLLOWERS: usize = 200;
/// Ballots one room counts at most (twice its followers).
pub const MAX_BALLOTS: usize = 2 * MAX_FOLLOWERS;

/// One student's sketch of a sweep: a value per point index.
pub type Sketch = Vec<(u16, f64)>;

/// Most points one student's sketch of a sweep has (a page's sweep has at
/// most 40).
pub const MAX_SKETCH_POINTS: usize = 40;

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
pub struct CatchUp {
    hello: Option<Numbered>,
    params: Vec<Numbered>,
    /// (metrics-only tick) for chart history, oldest first.
    history: VecDeque<Numbered>,
    /// Full ticks, oldest first.
    recent: VecDeque<Numbered>,
    /// The newest moment the presenter went to (a seek or step back): a
    /// joiner sees where the class is looking, and a drag's twenty a
    /// second do not pile up.
    moment: Option<Numbered>,
    /// The presenter's bookmarks as last sent (the newest list only).
    marks: Option<Numbered>,
    /// The presenter's latest sweep: its start and each point so far (a
    /// joiner sees the curve as it stands).
    sweep: Vec<Numbered>,
}

/// Most frames of a sweep a catch-up keeps (its start and 40 points).
const SWEEP_FRAMES: usize = 1 + MAX_SKETCH_POINTS;

/// How a presenter's control is relayed to everyone as it is — the
/// inspector as a notice, a sweep kept for joiners (and whether it starts
/// one) — if it is one of those; parsed once.
fn relayed(text: &str) -> Option<(Kind, bool)> {
    match sim::wire::Control::parse(text).ok()? {
        sim::wire::Control::Inspect { .. } => Some((Kind::Text, false)),
        sim::wire::Control::Sweep { csv, .. } => Some((Kind::Sweep, csv.is_empty())),
        _ => None,
    }
}

/// Whether a relayed sweep frame starts a sweep (rather than adding a point).
fn starts_sweep(text: &[u8]) -> bool {
    std::str::from_utf8(text)
        .ok()
        .and_then(relayed)
        .is_some_and(|(_, starts)| starts)
}

impl CatchUp {
    /// Keeps a frame a joiner will need (notices are not kept).
    fn keep(&mut self, n: &Numbered, kind: Kind) {
        match kind {
            Kind::Hello => {
                *self = CatchUp {
                    hello: Some(n.clone()),
                    ..CatchUp::default()
                }
            }
            Kind::Params => self.params.push(n.clone()),
            Kind::Tick => {
                if self.recent.len() == RECENT_TICKS {
                    self.recent.pop_front();
                }
                self.recent.push_back(n.clone());
            }
            Kind::History => {
                if self.history.len() == HISTORY_TICKS {
                    self.history.pop_front();
                }
                self.history.push_back(n.clone());
            }
            Kind::Moment => self.moment = Some(n.clone()),
            Kind::Marks => self.marks = Some(n.clone()),
            Kind::Sweep => {
                if starts_sweep(&n.bytes) {
                    self.sweep.clear();
                }
                if self.sweep.len() < SWEEP_FRAMES {
                    self.sweep.push(n.clone());
                }
            }
            Kind::Text | Kind::Story => {}
        }
    }

    /// The kept frames in sequence order. `all`: with the chart history
    /// that the recent ticks repeat (another replica keeping its own
    /// catch-up needs it as the recent ticks age out); without, what a
    /// joiner's page is sent.
    pub fn entries(&self, all: bool) -> Vec<(Kind, Numbered)> {
        let first_recent = self.recent.front().map_or(u64::MAX, |n| n.seq);
        let mut out: Vec<(Kind, Numbered)> = self
            .history
            .iter()
            .filter(|n| all || n.seq < first_recent)
            .map(|n| (Kind::History, n.clone()))
            .chain(self.params.iter().map(|n| (Kind::Params, n.clone())))
            .chain(self.recent.iter().map(|n| (Kind::Tick, n.clone())))
            .chain(self.moment.iter().map(|n| (Kind::Moment, n.clone())))
            .chain(self.marks.iter().map(|n| (Kind::Marks, n.clone())))
            .chain(self.sweep.iter().map(|n| (Kind::Sweep, n.clone())))
            .collect();
        out.sort_by_key(|(_, n)| n.seq);
        if let Some(h) = &self.hello {
            out.insert(0, (Kind::Hello, h.clone()));
        }
        out
    }

    /// The frames to send a joiner, in order, and the last sequence number
    /// among them.
    fn frames(&self) -> (Vec<Numbered>, u64) {
        let entries = self.entries(false);
        let last = entries.iter().map(|(_, n)| n.seq).max().unwrap_or(0);
        (entries.into_iter().map(|(_, n)| n).collect(), last)
    }

    /// Where the run these frames show stands: its start (the hello), every
    /// live change since, and the newest tick's time, speed and state.
    /// This is what another replica replays when it takes the room over.
    pub fn standing(&self) -> Option<Standing> {
        let Ok(Frame::Hello(h)) = Frame::decode(&self.hello.as_ref()?.bytes) else {
            return None;
        };
        let changes = self
            .params
            .iter()
            .filter_map(|n| match Frame::decode(&n.bytes) {
                Ok(Frame::Params { at, values, .. }) => Some(Change { at, values }),
                _ => None,
            })
            .collect();
        // The newest word on where the run is: its last tick, or the moment
        // the teacher went to after it.
        let tick = self.recent.back().or(self.history.back());
        let newest = [tick, self.moment.as_ref()]
            .into_iter()
            .flatten()
            .max_by_key(|n| n.seq)
            .and_then(|n| match Frame::decode(&n.bytes) {
                Ok(Frame::Tick(t)) => Some((t.now, t.head, t.speed, t.playing)),
                Ok(Frame::Moment(m)) => Some((m.now, m.head, m.speed, m.playing)),
                _ => None,
            });
        let (now, until, speed, playing) = newest.unwrap_or((0, 0, h.speed, h.playing));
        let marks = self
            .marks
            .as_ref()
            .and_then(|n| match Frame::decode(&n.bytes) {
                Ok(Frame::Marks { bookmarks, .. }) => Some(bookmarks),
                _ => None,
            })
            .unwrap_or_default();
        Some(Standing {
            recipe: Recipe {
                pattern: h.pattern,
                seed: h.seed,
                values: h.values,
                changes,
                until,
            },
            playing,
            speed,
            run: h.run,
            marks,
            shown: (now < until).then_some(now),
        })
    }
}

/// Where a room pane stands: what `GET /api/rooms/<code>` shows and what a
/// fork replays.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standing {
    pub recipe: Recipe,
    pub playing: bool,
    pub speed: f64,
    /// The run's number on the pages (their ticks must carry it): a
    /// replica continuing the run keeps it.
    #[serde(default)]
    pub run: u32,
    /// The presenter's bookmarks: a replica continuing the room sends them
    /// again.
    #[serde(default)]
    pub marks: Vec<sim::wire::Bookmark>,
    /// The moment of its past the teacher is looking at (`None`: its
    /// head): a replica continuing the room shows it again.
    #[serde(default)]
    pub shown: Option<sim::Time>,
}

impl Standing {
    /// Where `session` stands, `recipe` being how it got there (`None`: a
    /// run that starts at its present values).
    pub fn of(session: &Session, recipe: Option<Recipe>) -> Standing {
        let sim = session.sim();
        let mut recipe = recipe.unwrap_or_else(|| Recipe {
            pattern: sim.info().id.to_string(),
            seed: sim.seed(),
            values: sim.params().values().to_vec(),
            changes: Vec::new(),
            until: 0,
        });
        recipe.until = session.head();
        Standing {
            recipe,
            playing: session.pacer().playing,
            speed: session.pacer().speed,
            run: session.run(),
            marks: Vec::new(),
            shown: (sim.now() < session.head()).then_some(sim.now()),
        }
    }
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
    /// Kept by the driver of a pane simulated here; a mirrored pane (the
    /// room is simulated on another replica) derives it from its frames.
    standing: Mutex<Standing>,
    /// The newest frame's number: a replica taking the room over numbers on
    /// from it, so its followers' pages take the frames that follow.
    last_seq: AtomicU64,
    /// The room is simulated on another replica; this one relays it.
    mirrored: AtomicBool,
}

impl RoomPane {
    fn new(orders: mpsc::Sender<Order>, mirrored: bool) -> RoomPane {
        let (frames, _) = broadcast::channel(FOLLOWER_LAG);
        RoomPane {
            orders,
            frames,
            catch_up: Mutex::new(CatchUp::default()),
            standing: Mutex::new(Standing::default()),
            last_seq: AtomicU64::new(0),
            mirrored: AtomicBool::new(mirrored),
        }
    }

    /// Subscribes to the live frames, then takes the catch-up: the joiner
    /// sends the catch-up and then every live frame numbered after it.
    pub fn join(&self) -> (broadcast::Receiver<Numbered>, Vec<Numbered>, u64) {
        let rx = self.frames.subscribe();
        let (frames, last) = self.catch_up.lock().map(|c| c.frames()).unwrap_or_default();
        (rx, frames, last)
    }

    pub fn standing(&self) -> Standing {
        if self.mirrored.load(Ordering::Relaxed) {
            return self
                .catch_up
                .lock()
                .ok()
                .and_then(|c| c.standing())
                .unwrap_or_default();
        }
        self.standing.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The catch-up's frames with their kinds (see [`CatchUp::entries`]).
    pub fn entries(&self, all: bool) -> Vec<(Kind, Numbered)> {
        self.catch_up
            .lock()
            .map(|c| c.entries(all))
            .unwrap_or_default()
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Relaxed)
    }

    pub fn is_mirrored(&self) -> bool {
        self.mirrored.load(Ordering::Relaxed)
    }

    /// Numbers the frames that follow from at least `first`.
    pub fn bump_seq(&self, first: u64) {
        self.last_seq.fetch_max(first, Ordering::Relaxed);
    }

    /// Keeps a numbered frame for late joiners and sends it to everyone
    /// watching here (chart history is kept only: its full tick went out
    /// live).
    pub fn publish(&self, n: Numbered, kind: Kind) {
        self.last_seq.fetch_max(n.seq, Ordering::Relaxed);
        if let Ok(mut c) = self.catch_up.lock() {
            c.keep(&n, kind);
        }
        if !matches!(kind, Kind::History) {
            let _ = self.frames.send(n);
        }
    }
}

/// What the room's replicas tell its owner of their own members.
#[derive(Clone, Copy, Debug)]
pub struct Presence {
    pub followers: usize,
    pub presenters: usize,
    pub at: Instant,
}

/// How long a replica's report of its members counts.
pub const PRESENCE_FOR: std::time::Duration = std::time::Duration::from_secs(3);

/// A classroom room.
pub struct Room {
    pub code: String,
    /// SHA-256 of the presenter's secret (a 128-bit random value): the
    /// secret itself is only in the presenter's cookie, never stored,
    /// logged or in a URL; other replicas check presenters against this.
    pub secret_hash: [u8; 32],
    pub panes: Vec<Arc<RoomPane>>,
    pub seed: u64,
    /// Students connected to this replica.
    pub followers: AtomicUsize,
    pub joining_open: AtomicBool,
    /// Presenter connections open on this replica now.
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
    /// Members on other replicas, by replica (kept by the owner).
    pub remote: Mutex<HashMap<String, Presence>>,
    /// When the room was started: one no presenter ever opens closes
    /// after `Limits::claim_grace`.
    pub started: Instant,
    /// A presenter has opened the room (here or on another replica).
    pub claimed: AtomicBool,
    /// Each ballot's current choice, by the ballot's hash (`ballot.rs`):
    /// one answer per ballot, a second one replaces the first.
    pub ballots: Mutex<HashMap<[u8; 32], usize>>,
    /// Each student's sketch of the teacher's sweep, by ballot: a value
    /// per point index. Cleared when the teacher starts another sweep.
    pub sketches: Mutex<HashMap<[u8; 32], Sketch>>,
}

impl Room {
    /// A room with `panes` panes and their order queues' receiving ends,
    /// for drivers (simulated here) or relays (mirrored).
    pub fn new(
        code: String,
        secret_hash: [u8; 32],
        seed: u64,
        preset: Option<(String, usize)>,
        panes: usize,
        mirrored: bool,
    ) -> (Arc<Room>, Vec<mpsc::Receiver<Order>>) {
        let mut receivers = Vec::new();
        let panes = (0..panes)
            .map(|_| {
                let (tx, rx) = mpsc::channel(64);
                receivers.push(rx);
                Arc::new(RoomPane::new(tx, mirrored))
            })
            .collect();
        let room = Arc::new(Room {
            code,
            secret_hash,
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
            remote: Mutex::new(HashMap::new()),
            started: Instant::now(),
            claimed: AtomicBool::new(false),
            ballots: Mutex::new(HashMap::new()),
            sketches: Mutex::new(HashMap::new()),
        });
        (room, receivers)
    }

    pub fn is_presenter(&self, secret: Option<&str>) -> bool {
        secret.is_some_and(|s| {
            hash_secret(s)
                .iter()
                .zip(self.secret_hash.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
    }

    /// Simulated on another replica.
    pub fn is_mirrored(&self) -> bool {
        self.panes.iter().any(|p| p.is_mirrored())
    }

    /// Followers here and, for the owner, on the replicas that reported
    /// lately.
    pub fn followers_total(&self) -> usize {
        let here = self.followers.load(Ordering::Relaxed);
        let there: usize = self
            .remote
            .lock()
            .map(|m| {
                m.values()
                    .filter(|p| p.at.elapsed() < PRESENCE_FOR)
                    .map(|p| p.followers)
                    .sum()
            })
            .unwrap_or(0);
        here + there
    }

    /// Another replica's report of its members of this room.
    pub fn report(&self, replica: &str, followers: usize, presenters: usize) {
        if presenters > 0 {
            self.claimed.store(true, Ordering::Relaxed);
            if let Ok(mut t) = self.presenter_seen.lock() {
                *t = Instant::now();
            }
        }
        if let Ok(mut m) = self.remote.lock() {
            m.insert(
                replica.to_string(),
                Presence {
                    followers,
                    presenters,
                    at: Instant::now(),
                },
            );
        }
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

/// What a room answers, wherever the request came in (here, or from
/// another replica through the cluster).
impl Room {
    /// What `GET /api/rooms/<code>` says of a room simulated here.
    pub fn describe(&self, presenter: bool, ballot: Option<&[u8; 32]>) -> serde_json::Value {
        let room = self;
        let panes: Vec<serde_json::Value> = room
            .panes
            .iter()
            .map(|p| {
                let st = p.standing();
                let now = st
                    .recipe
                    .changes
                    .last()
                    .map_or(&st.recipe.values, |c| &c.values);
                let (params, link) = sim::find_pattern(&st.recipe.pattern)
                    .ok()
                    .map(|info| {
                        let mut set = info.defaults();
                        let _ = set.set_all(now);
                        // The pane as a dashboard link: what the page reads
                        // (exact seeds, which JSON numbers are not past 2^53).
                        let link = app::url::pane_query(info, set.values(), st.recipe.seed);
                        (set.to_json(), link)
                    })
                    .unwrap_or_default();
                serde_json::json!({
                    "pattern": st.recipe.pattern,
                    "seed": st.recipe.seed,
                    "params": params,
                    "link": link,
                })
            })
            .collect();
        let playing = room.panes.iter().any(|p| p.standing().playing);
        let answers = room.answers.lock().map(|a| a.clone()).unwrap_or_default();
        let revealed = room.revealed.load(Ordering::Relaxed);
        let mine = ballot.and_then(|b| room.ballots.lock().ok()?.get(b).copied());
        serde_json::json!({
            "code": room.code,
            "followers": room.followers_total(),
            "playing": playing,
            "joining_open": room.joining_open.load(Ordering::Relaxed),
            "panes": panes,
            "presenter": presenter,
            "preset": room.preset,
            "answered": answers.iter().sum::<u32>(),
            // The counts only once revealed (or to the presenter).
            "answers": (revealed || presenter).then_some(answers),
            "revealed": revealed,
            // What this page's ballot chose (its own answer, to nobody else).
            "mine": mine,
        })
    }

    /// Counts ballot `ballot`'s prediction in a room simulated here (a
    /// changed answer moves its count).
    /// A student's sketch of the teacher's sweep (a second one replaces the
    /// first): at most [`MAX_SKETCH_POINTS`] values, each a finite number
    /// from 0 to 10^9 at a point index below that.
    pub fn sketch(&self, points: &[(u16, f64)], ballot: &[u8; 32]) -> (StatusCode, String) {
        if points.is_empty() || points.len() > MAX_SKETCH_POINTS {
            return (
                StatusCode::BAD_REQUEST,
                format!("a sketch has from 1 to {MAX_SKETCH_POINTS} points"),
            );
        }
        if points.iter().any(|&(i, y)| {
            usize::from(i) >= MAX_SKETCH_POINTS || !y.is_finite() || !(0.0..=1e9).contains(&y)
        }) {
            return (
                StatusCode::BAD_REQUEST,
                "a sketch's points are a point number and a value from 0 to 1e9".into(),
            );
        }
        let Ok(mut sketches) = self.sketches.lock() else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the sketches are unavailable".into(),
            );
        };
        if !sketches.contains_key(ballot) && sketches.len() >= MAX_BALLOTS {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                "this class has gathered as many sketches as it takes".into(),
            );
        }
        let mut mine = points.to_vec();
        mine.sort_by_key(|p| p.0);
        mine.dedup_by_key(|p| p.0);
        sketches.insert(*ballot, mine);
        (StatusCode::NO_CONTENT, String::new())
    }

    /// The class's sketches, for the presenter: `{"sketches": [[[i, y], …], …]}`
    /// in no particular order (nothing says whose).
    pub fn sketches_json(&self) -> String {
        let all: Vec<Sketch> = self
            .sketches
            .lock()
            .map(|s| {
                let mut v: Vec<_> = s.values().cloned().collect();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                v
            })
            .unwrap_or_default();
        serde_json::json!({ "sketches": all }).to_string()
    }

    pub fn answer(&self, choice: usize, ballot: &[u8; 32]) -> (StatusCode, String) {
        let room = self;
        if room.revealed.load(Ordering::Relaxed) {
            return (
                StatusCode::CONFLICT,
                "the answers have been revealed".into(),
            );
        }
        let (Ok(mut counts), Ok(mut ballots)) = (room.answers.lock(), room.ballots.lock()) else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the answers are unavailable".into(),
            );
        };
        if choice >= counts.len() {
            return (StatusCode::BAD_REQUEST, "no such choice".into());
        }
        let before = ballots.get(ballot).copied();
        if before.is_none() && ballots.len() >= MAX_BALLOTS {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                "this class has counted as many answers as it takes".into(),
            );
        }
        if let Some(old) = before {
            counts[old] = counts[old].saturating_sub(1);
        }
        counts[choice] = counts[choice].saturating_add(1);
        ballots.insert(*ballot, choice);
        (StatusCode::NO_CONTENT, String::new())
    }

    /// The presenter's reveal or lock, on a room simulated here.
    pub fn steer(&self, reveal: Option<bool>, joining_open: Option<bool>) {
        let room = self;
        if let Some(r) = reveal {
            room.revealed.store(r, Ordering::Relaxed);
        }
        if let Some(o) = joining_open {
            room.joining_open.store(o, Ordering::Relaxed);
        }
    }
}

/// How a pane's driver begins.
pub enum Start {
    /// A new room: the session's hello starts the frames.
    Fresh,
    /// Taking over a room from a replica that is gone: the frames the
    /// followers' pages need to be where the room stood are sent again
    /// (renumbered after the last one seen, after a notice saying why), and
    /// the session, replayed to that point, goes on from there.
    Continue {
        notice: String,
        frames: Vec<(Kind, Numbered)>,
    },
}

/// Starts a room from `sessions` (one per pane, already where the
/// presenter's run stands) and their driver tasks. `preset`: the open
/// scenario's id and how many choices its question has.
pub fn start(
    code: String,
    secret_hash: [u8; 32],
    seed: u64,
    preset: Option<(String, usize)>,
    sessions: Vec<(Session, Standing)>,
    host: &Arc<dyn Runtime>,
    outlet: impl Fn(usize) -> Option<Arc<dyn Outlet>>,
) -> Arc<Room> {
    let (room, receivers) = Room::new(code, secret_hash, seed, preset, sessions.len(), false);
    for ((i, (session, standing)), orders) in sessions.into_iter().enumerate().zip(receivers) {
        let driver = Driver {
            host: Arc::clone(host),
            outlet: outlet(i),
        };
        spawn_driver(&room, i, session, orders, driver, Start::Fresh, standing);
    }
    room
}

/// Where frames go beyond this replica (in a set of replicas: published
/// once for the others). Given to a room's drivers by whoever starts the
/// room; the room never looks it up.
pub trait Outlet: Send + Sync {
    /// Sends a frame on; a failure is the outlet's to log, not retried
    /// (the local followers have the frame).
    fn send<'a>(&'a self, kind: Kind, n: &'a Numbered) -> futures_util::future::BoxFuture<'a, ()>;
}

/// What a pane's driver runs on: the server's limits and its simulation
/// threads (the server's `class::host::Host` is one).
pub trait Runtime: Send + Sync + 'static {
    fn limits(&self) -> &Limits;
    fn simulators(&self) -> &Simulators;
}

/// What a pane's driver runs with: the server's limits and threads, and
/// where its frames go beyond this replica.
pub struct Driver {
    pub host: Arc<dyn Runtime>,
    pub outlet: Option<Arc<dyn Outlet>>,
}

/// Runs pane `index` of `room` here from `session`.
pub fn spawn_driver(
    room: &Arc<Room>,
    index: usize,
    session: Session,
    orders: mpsc::Receiver<Order>,
    driver: Driver,
    start: Start,
    standing: Standing,
) {
    room.panes[index].mirrored.store(false, Ordering::Relaxed);
    tokio::spawn(drive(
        Arc::clone(room),
        index,
        session,
        orders,
        driver,
        start,
        standing,
    ));
}

/// Numbers frames, keeps and sends them here, and (in a set of replicas)
/// publishes them once for the others.
struct Emitter {
    pane: Arc<RoomPane>,
    outlet: Option<Arc<dyn Outlet>>,
    seq: u64,
}

impl Emitter {
    async fn emit(&mut self, bytes: Bytes, kind: Kind) {
        self.seq += 1;
        let n = Numbered {
            seq: self.seq,
            text: kind.is_text(),
            bytes,
        };
        if let Some(o) = &self.outlet {
            o.send(kind, &n).await;
        }
        self.pane.publish(n, kind);
    }
}

/// One room pane's driver: controls in, one simulation, frames out to all.
async fn drive(
    room: Arc<Room>,
    index: usize,
    session: Session,
    mut orders: mpsc::Receiver<Order>,
    Driver { host, outlet }: Driver,
    start: Start,
    standing: Standing,
) {
    let pane = Arc::clone(&room.panes[index]);
    let mut out = Emitter {
        seq: pane.last_seq(),
        pane: Arc::clone(&pane),
        outlet,
    };
    match start {
        Start::Fresh => {
            out.emit(Bytes::from(session.hello()), Kind::Hello).await;
            // A room continued from its record: the teacher's bookmarks.
            if !standing.marks.is_empty() {
                let marks = sim::wire::Frame::Marks {
                    run: session.run(),
                    bookmarks: standing.marks.clone(),
                };
                out.emit(Bytes::from(marks.encode()), Kind::Marks).await;
            }
        }
        Start::Continue { notice, frames } => {
            out.emit(Bytes::from(sim::wire::error_text(&notice)), Kind::Text)
                .await;
            for (kind, n) in frames {
                out.emit(n.bytes, kind).await;
            }
        }
    }
    if let Ok(mut st) = pane.standing.lock() {
        *st = standing;
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
        while batch.len() < host.limits().controls_per_tick {
            match orders.try_recv() {
                // The presenter's inspector or sweep: shown to everyone
                // as is (a new sweep: the students sketch afresh).
                Ok(o) => match relayed(&o.text) {
                    Some((kind, starts)) => {
                        if starts {
                            if let Ok(mut s) = room.sketches.lock() {
                                s.clear();
                            }
                        }
                        out.emit(Bytes::from(o.text), kind).await;
                        let _ = o.answer.send(None);
                    }
                    None => {
                        batch.push(o.text);
                        answers.push(o.answer);
                    }
                },
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let wall = now - last;
        last = now;
        ticks += 1;
        let with_metrics = ticks.is_multiple_of(METRICS_EVERY);
        let cpu = host.limits().tick_cpu;
        let job = host.simulators().run(weight, move || {
            let worked = s.work(&batch, wall, cpu, true, with_metrics, true);
            (s, worked)
        });
        let Ok((s, worked)) = job.await else { return };
        weight = if worked.spent {
            Weight::Heavy
        } else {
            Weight::Light
        };
        // A seek's moment reached this tick comes before the answers.
        for frame in worked.said {
            let kind = record(&pane, &frame);
            out.emit(Bytes::from(frame), kind).await;
        }
        for (answer, reply) in worked.answers.into_iter().zip(answers) {
            match answer {
                Ok(Some(frame)) => {
                    let kind = record(&pane, &frame);
                    out.emit(Bytes::from(frame), kind).await;
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
            out.emit(Bytes::from(sim::wire::error_text(&notice)), Kind::Text)
                .await;
        }
        if let Some(t) = worked.tick {
            out.emit(Bytes::from(t), Kind::Tick).await;
        }
        if let Some(h) = worked.history {
            out.emit(Bytes::from(h), Kind::History).await;
        }
        if let Ok(mut st) = pane.standing.lock() {
            st.recipe.until = s.head();
            st.playing = s.pacer().playing;
            st.speed = s.pacer().speed;
        }
        session = Some(s);
    }
}

/// Which catch-up list a room's frame belongs to; a new run, a live
/// change and the teacher's bookmarks also go into the room's standing
/// (its recipe so far, for a replica that takes it over).
fn record(pane: &RoomPane, frame: &[u8]) -> Kind {
    match sim::wire::Frame::decode(frame) {
        Ok(sim::wire::Frame::Hello(h)) => {
            if let Ok(mut st) = pane.standing.lock() {
                st.recipe.pattern = h.pattern;
                st.recipe.seed = h.seed;
                st.recipe.values = h.values;
                st.recipe.changes.clear();
                st.run = h.run;
                st.shown = None;
            }
            Kind::Hello
        }
        Ok(sim::wire::Frame::Params { at, values, .. }) => {
            if let Ok(mut st) = pane.standing.lock() {
                // A change in the run's past starts a new future: the
                // changes after it are gone.
                st.recipe.changes.retain(|c| c.at <= at);
                st.recipe.changes.push(Change { at, values });
                st.shown = None;
            }
            Kind::Params
        }
        Ok(sim::wire::Frame::Moment(m)) => {
            if let Ok(mut st) = pane.standing.lock() {
                st.shown = (m.now < m.head).then_some(m.now);
            }
            Kind::Moment
        }
        Ok(sim::wire::Frame::Story(_)) => Kind::Story,
        Ok(sim::wire::Frame::Marks { bookmarks, .. }) => {
            if let Ok(mut st) = pane.standing.lock() {
                st.marks = bookmarks;
            }
            Kind::Marks
        }
        _ => Kind::Params,
    }
}

/// Which catch-up list a frame belongs to (and so how a replica relaying
/// it treats it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Hello,
    Params,
    Tick,
    /// A metrics-only copy of a tick, kept for joiners' charts, not sent.
    History,
    /// A text frame for everyone (a notice, the presenter's inspector).
    Text,
    /// The run at a moment the presenter went to; only the newest is kept.
    Moment,
    /// The presenter's bookmarks; only the newest list is kept.
    Marks,
    /// A conversation's whole story the presenter asked for: for everyone
    /// watching now, not kept for joiners.
    Story,
    /// The presenter's sweep (a text frame): its start and its points are
    /// kept for joiners, a new sweep replacing the old.
    Sweep,
}

impl Kind {
    pub fn to_byte(self) -> u8 {
        match self {
            Kind::Hello => 0,
            Kind::Params => 1,
            Kind::Tick => 2,
            Kind::History => 3,
            Kind::Text => 4,
            Kind::Moment => 5,
            Kind::Marks => 6,
            Kind::Story => 7,
            Kind::Sweep => 8,
        }
    }

    /// Whether its frames are text (JSON) rather than binary.
    pub fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Sweep)
    }

    pub fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            0 => Kind::Hello,
            1 => Kind::Params,
            2 => Kind::Tick,
            3 => Kind::History,
            4 => Kind::Text,
            5 => Kind::Moment,
            6 => Kind::Marks,
            7 => Kind::Story,
            8 => Kind::Sweep,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(seq: u64) -> Numbered {
        Numbered {
            seq,
            text: false,
            bytes: Bytes::from(vec![seq as u8]),
        }
    }

    #[test]
    fn a_joiner_gets_the_latest_sweep_as_it_stands() {
        let sweep = |seq: u64, csv: &str| Numbered {
            seq,
            text: true,
            bytes: Bytes::from(
                sim::wire::Control::Sweep {
                    param: "rate".into(),
                    from: 10.0,
                    to: 90.0,
                    points: 5,
                    reps: 3,
                    secs: 20.0,
                    figure: "wait_ms.mean".into(),
                    csv: csv.into(),
                }
                .to_json(),
            ),
        };
        let mut c = CatchUp::default();
        c.keep(&n(1), Kind::Hello);
        c.keep(&sweep(2, ""), Kind::Sweep);
        c.keep(&sweep(3, "10,wait_ms.mean,11,1,3,11\n"), Kind::Sweep);
        // A new sweep replaces the old one, its points follow.
        c.keep(&sweep(4, ""), Kind::Sweep);
        c.keep(&sweep(5, "10,wait_ms.mean,12,1,3,11\n"), Kind::Sweep);
        let kept: Vec<(Kind, u64, bool)> = c
            .entries(false)
            .into_iter()
            .filter(|(k, _)| *k == Kind::Sweep)
            .map(|(k, n)| (k, n.seq, n.text))
            .collect();
        assert_eq!(kept, vec![(Kind::Sweep, 4, true), (Kind::Sweep, 5, true)]);
        assert_eq!(Kind::from_byte(Kind::Sweep.to_byte()), Some(Kind::Sweep));
    }

    #[test]
    fn a_students_sketch_is_checked_replaced_and_shown_without_names() {
        let (room, _orders) = Room::new("ABCDEF".into(), [0; 32], 1, None, 1, false);
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_eq!(
            room.sketch(&[(0, 5.0), (1, 7.5)], &a).0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            room.sketch(&[(1, 9.0), (1, 3.0), (0, 1.0)], &b).0,
            StatusCode::NO_CONTENT
        );
        // A second sketch replaces the first.
        assert_eq!(room.sketch(&[(0, 6.0)], &a).0, StatusCode::NO_CONTENT);
        let v: serde_json::Value = serde_json::from_str(&room.sketches_json()).unwrap();
        assert_eq!(v["sketches"].as_array().unwrap().len(), 2);
        assert!(
            !room.sketches_json().contains("0101"),
            "no ballot in the answer"
        );
        for bad in [
            vec![],
            vec![(0, f64::NAN)],
            vec![(0, -1.0)],
            vec![(0, 2e9)],
            vec![(40, 1.0)],
            (0..41).map(|i| (i, 1.0)).collect::<Vec<_>>(),
        ] {
            assert_eq!(room.sketch(&bad, &a).0, StatusCode::BAD_REQUEST, "{bad:?}");
        }
    }

    #[test]
    fn a_joiner_gets_only_the_newest_moment_and_bookmarks_in_their_place() {
        let mut c = CatchUp::default();
        c.keep(&n(1), Kind::Hello);
        c.keep(&n(2), Kind::Tick);
        for seq in 3..50 {
            c.keep(&n(seq), Kind::Moment);
        }
        c.keep(&n(50), Kind::Params);
        c.keep(&n(51), Kind::Marks);
        c.keep(&n(52), Kind::Marks);
        let kinds: Vec<(Kind, u64)> = c
            .entries(false)
            .into_iter()
            .map(|(k, n)| (k, n.seq))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Hello, 1),
                (Kind::Tick, 2),
                (Kind::Moment, 49),
                (Kind::Params, 50),
                (Kind::Marks, 52)
            ]
        );
        // A new run forgets the moment and the bookmarks.
        c.keep(&n(53), Kind::Hello);
        assert_eq!(c.entries(false).len(), 1);
    }
}
