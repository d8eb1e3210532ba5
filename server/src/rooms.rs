//! The room registry and its HTTP surface (the contract scripts rely on):
//!
//! - `POST /api/rooms` with JSON `{"link": "<the dashboard's link query>"}`
//!   (optionally `"recipes"`: each pane's run so far, so the room continues
//!   the presenter's run instead of restarting it) → `201 {"code",
//!   "join_url"}` and the presenter's cookie (HttpOnly, SameSite=Strict).
//! - `GET /api/rooms/<code>` → `{"code", "followers", "playing",
//!   "joining_open", "panes": [{"pattern", "seed", "params", "link"}]}`, 404 when
//!   unknown (and `"presenter": true` for the presenter's own browser).
//! - `GET /api/rooms/<code>/qr.svg` → the join address as a QR code.
//! - `GET /join/<code>` → the follower's page.
//! - `GET /ws?room=<code>&pane=<i>` → [`serve_member`]: the pane's frames,
//!   the same bytes for everyone; controls only from the presenter.
//! - `GET /ws?fork=<code>&pane=<i>` → a private session replayed to where
//!   the room pane stands (see `viewer::upgrade`).
//!
//! Caps: [`MAX_ROOMS`] rooms, [`MAX_FOLLOWERS`] followers a room. A room
//! whose presenter has gone is paused, and closed after
//! `Limits::room_grace`; its followers are told why.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{close_code, Message, Utf8Bytes, WebSocket};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use sim::wire::Recipe;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::cluster::wire::Ask;
use crate::room::{self, Order, Room, Standing};
use crate::session::Session;
use crate::shared::Shared;
use crate::viewer::{close, error_frame, too_big};

/// Rooms at once.
pub const MAX_ROOMS: usize = 32;
/// Followers one room may have.
pub const MAX_FOLLOWERS: usize = 200;
/// Join codes: six characters from an alphabet without look-alikes
/// (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

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
    fn len(&self) -> usize {
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

/// Why a room cannot be looked up now.
pub enum Unreachable {
    /// It exists but cannot be reached (a replica is taking it over).
    Moving(String),
    /// This client looked up too many unknown codes: it waits this long.
    Throttled(Duration),
}

impl Unreachable {
    /// The refusal, as an HTTP answer.
    pub fn response(&self) -> Response {
        match self {
            Unreachable::Moving(why) => refuse(StatusCode::SERVICE_UNAVAILABLE, why.clone()),
            Unreachable::Throttled(wait) => too_many(
                *wait,
                format!(
                    "too many unknown class codes from your network: try again in {}",
                    crate::gate::wait_text(*wait)
                ),
            ),
        }
    }

    /// The refusal, as the reason a socket is closed with.
    pub fn reason(&self) -> String {
        match self {
            Unreachable::Moving(why) => why.clone(),
            Unreachable::Throttled(wait) => format!(
                "too many unknown class codes from your network: try again in {}",
                crate::gate::wait_text(*wait)
            ),
        }
    }
}

/// 429 with `Retry-After`.
pub fn too_many(wait: Duration, why: String) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, secs.to_string())],
        why,
    )
        .into_response()
}

/// Finds the room `code` for `client`: open here, or (in a set of
/// replicas) relayed from the replica that runs it. Unknown codes count
/// against the client's allowance (`gate`); past it, every lookup of its
/// waits, so a live code cannot be told from a dead one by a script.
pub async fn find(
    shared: &Arc<Shared>,
    code: &str,
    client: crate::client::Client,
) -> Result<Option<Arc<Room>>, Unreachable> {
    shared
        .gate
        .may_look_up(client.0)
        .map_err(Unreachable::Throttled)?;
    let found = lookup(shared, code).await.map_err(Unreachable::Moving)?;
    if found.is_none() {
        shared
            .gate
            .unknown_code(client.0)
            .map_err(Unreachable::Throttled)?;
    }
    Ok(found)
}

/// The room `code`, here or relayed; Err: it exists but cannot be reached.
async fn lookup(shared: &Arc<Shared>, code: &str) -> Result<Option<Arc<Room>>, String> {
    if let Some(room) = shared.rooms.get(code) {
        return Ok(Some(room));
    }
    let code: String = code
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| ALPHABET.contains(&(*c as u8)))
        .take(CODE_LEN)
        .collect();
    match &shared.cluster {
        Some(cluster) if code.len() == CODE_LEN => {
            crate::cluster::mirror::open(cluster, shared, &code).await
        }
        _ => Ok(None),
    }
}

/// Random bytes from the operating system.
fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness for a room: {e}"))?;
    Ok(b)
}

fn new_code() -> Result<String, String> {
    Ok(random::<CODE_LEN>()?
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// `N` random bytes as hex.
pub fn random_hex<const N: usize>() -> Result<String, String> {
    Ok(random::<N>()?.iter().map(|b| format!("{b:02x}")).collect())
}

fn new_secret() -> Result<String, String> {
    random_hex::<16>()
}

/// The presenter cookie's name for a room.
fn cookie_name(code: &str) -> String {
    format!("sb_presenter_{code}")
}

/// The presenter secret the request's cookies carry for `code`, if any.
pub fn presenter_secret(headers: &HeaderMap, code: &str) -> Option<String> {
    let name = cookie_name(code);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn refuse(status: StatusCode, why: impl Into<String>) -> Response {
    (status, why.into()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    link: String,
    /// Each pane's run so far (starting values, live changes, how far it
    /// got): the room continues it.
    #[serde(default)]
    recipes: Option<Vec<Recipe>>,
    /// Whether the presenter's run was playing.
    #[serde(default = "yes")]
    playing: bool,
    /// The scenario open on the presenter's page: its question goes to
    /// every student.
    #[serde(default)]
    preset: Option<String>,
}

fn yes() -> bool {
    true
}

/// `POST /api/rooms`
pub async fn create(
    State(shared): State<Arc<Shared>>,
    client: crate::client::Client,
    Json(req): Json<CreateRoom>,
) -> Response {
    if let Err(wait) = shared.gate.start_room(client.0) {
        return too_many(
            wait,
            format!(
                "this network has started many classes just now: try again in {}",
                crate::gate::wait_text(wait)
            ),
        );
    }
    if shared.rooms.len() >= MAX_ROOMS {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_ROOMS} classes are running on this server: try again later"),
        );
    }
    if req.link.len() > 8 * 1024 {
        return refuse(StatusCode::BAD_REQUEST, "the link is too long");
    }
    let settings = app::url::parse(&req.link, sim::catalogue()[0]);
    if !settings.problems.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, settings.problems.join("; "));
    }
    let recipes = req.recipes.unwrap_or_default();
    if !recipes.is_empty() && recipes.len() != settings.panes.len() {
        return refuse(StatusCode::BAD_REQUEST, "one recipe per pane of the link");
    }
    let limit = shared.limits.recipe_changes;
    let playing = req.playing;
    let seed = settings.seed;
    // Replaying the presenter's run is simulation work: off the async
    // workers, under the export cap.
    let Ok(_place) = Arc::clone(&shared.exports).try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy: try again in a moment",
        );
    };
    let built = tokio::task::spawn_blocking(move || -> Result<Vec<(Session, Standing)>, String> {
        settings
            .panes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (mut s, recipe) = match recipes.get(i) {
                    Some(r) if r.pattern == p.info.id && r.changes.len() <= limit => {
                        (Session::replay(r, 1.0)?, Some(r.clone()))
                    }
                    Some(_) => {
                        return Err(format!("recipe {} does not match pane {}", i + 1, i + 1))
                    }
                    None => {
                        let mut params = p.info.defaults();
                        params.set_all(&p.values).map_err(|e| e.to_string())?;
                        (Session::new(params, seed), None)
                    }
                };
                if !playing {
                    let _ = s.control(r#"{"type":"pause"}"#);
                } else {
                    let _ = s.control(r#"{"type":"play"}"#);
                }
                let standing = Standing::of(&s, recipe);
                Ok((s, standing))
            })
            .collect()
    })
    .await;
    let sessions = match built {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return refuse(StatusCode::BAD_REQUEST, e),
        Err(_) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the room could not be built",
            )
        }
    };
    let secret = match new_secret() {
        Ok(s) => s,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let preset = req
        .preset
        .as_deref()
        .and_then(app::presets::find)
        .map(|p| (p.id.to_string(), p.choices.len()));
    let hash = room::hash_secret(&secret);
    let mut code = String::new();
    // A code is drawn again if another room (here or on another replica)
    // has it.
    for _ in 0..8 {
        let candidate = match new_code() {
            Ok(c) => c,
            Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
        };
        if shared.rooms.get(&candidate).is_some() {
            continue;
        }
        let Some(cluster) = &shared.cluster else {
            code = candidate;
            break;
        };
        // Registered before it runs, so no other replica draws the code.
        let record = crate::cluster::RoomRecord {
            owner: cluster.replica.clone(),
            epoch: 0,
            secret_hash: crate::cluster::wire::hex(&hash),
            seed,
            preset: preset.clone(),
            joining_open: true,
            revealed: false,
            answers: vec![0; preset.as_ref().map_or(0, |p| p.1)],
            panes: sessions.iter().map(|(_, st)| st.clone()).collect(),
        };
        match crate::cluster::owner::register(cluster, &candidate, &record).await {
            Ok(_) => {
                code = candidate;
                break;
            }
            Err(e) if e.is_empty() => continue,
            Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, e),
        }
    }
    if code.is_empty() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "no free class code: try again",
        );
    }
    let room = room::start(code.clone(), hash, seed, preset, sessions, &shared);
    if let Some(cluster) = &shared.cluster {
        match cluster.record(&code).await {
            Some((_, revision)) => {
                crate::cluster::owner::host(cluster, Arc::clone(&room), &shared, revision, 0)
            }
            None => {
                room.close("the room registry lost the class");
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the room registry is unavailable",
                );
            }
        }
    }
    shared.rooms.insert(room);
    tracing::info!("class {code} started");
    let cookie = format!(
        "{}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400",
        cookie_name(&code)
    );
    (
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(serde_json::json!({ "code": code, "join_url": format!("/join/{code}") })),
    )
        .into_response()
}

/// The room a request's path names (`/api/rooms/<code>/…`), or the answer
/// to send instead: 404 for a code no replica knows, 503 when the replicas
/// cannot be asked, 429 for a client that tried too many unknown codes.
pub struct KnownRoom(pub Arc<Room>);

impl FromRequestParts<Arc<Shared>> for KnownRoom {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let Path(code) = Path::<String>::from_request_parts(parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let Ok(client) = crate::client::Client::from_request_parts(parts, shared).await;
        match find(shared, &code, client).await {
            Ok(Some(room)) => Ok(KnownRoom(room)),
            Ok(None) => Err(refuse(
                StatusCode::NOT_FOUND,
                format!("no class with the code {}", sim::params::clip(&code)),
            )),
            Err(e) => Err(e.response()),
        }
    }
}

/// Asks the replica that runs a relayed room, as the room's own handler
/// would answer.
async fn forward(shared: &Shared, room: &Room, ask: Ask) -> Response {
    let Some(cluster) = &shared.cluster else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "no replicas to ask");
    };
    match crate::cluster::mirror::ask(cluster, &room.code, &ask).await {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let kind = if r.json {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            (status, [(header::CONTENT_TYPE, kind)], r.body).into_response()
        }
        Err(e) => refuse(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

/// `GET /api/rooms/<code>`. A student's page (not the presenter's) of a
/// class that asks a question gets its ballot here, once, under the
/// client's ballot allowance; the description then says what this ballot
/// chose, if anything (`"mine"`).
pub async fn describe(
    State(shared): State<Arc<Shared>>,
    KnownRoom(room): KnownRoom,
    client: crate::client::Client,
    headers: HeaderMap,
) -> Response {
    let presenter = room.is_presenter(presenter_secret(&headers, &room.code).as_deref());
    let mut ballot = crate::ballot::carried(&room, &headers);
    let mut cookie = None;
    if !presenter
        && ballot.is_none()
        && room.preset.is_some()
        && shared.gate.ballot(client.0).is_ok()
    {
        if let Ok((token, set)) = crate::ballot::mint(&room) {
            ballot = crate::ballot::verify(&room, &token);
            cookie = Some(set);
        }
    }
    let mut answered = if room.is_mirrored() {
        let ask = Ask::Describe {
            presenter,
            ballot: ballot.map(|b| crate::cluster::wire::hex(&b)),
        };
        let answered = forward(&shared, &room, ask).await;
        if answered.status() == StatusCode::SERVICE_UNAVAILABLE {
            // The owner is gone and the room not yet taken over: what this
            // replica relays (its own followers, the last frames' standing)
            // is still true.
            Json(describe_value(&room, presenter, ballot.as_ref())).into_response()
        } else {
            answered
        }
    } else {
        Json(describe_value(&room, presenter, ballot.as_ref())).into_response()
    };
    if let Some(set) = cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        answered.headers_mut().append(header::SET_COOKIE, set);
    }
    answered
}

/// What `GET /api/rooms/<code>` says of a room simulated here.
pub fn describe_value(
    room: &Room,
    presenter: bool,
    ballot: Option<&[u8; 32]>,
) -> serde_json::Value {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    choice: usize,
}

/// `POST /api/rooms/<code>/answer` `{"choice": i}`: one student's
/// prediction, counted once per ballot (the page's cookie, see `ballot`);
/// a second answer replaces the first; no ballot, no answer.
pub async fn answer(
    State(shared): State<Arc<Shared>>,
    KnownRoom(room): KnownRoom,
    headers: HeaderMap,
    Json(a): Json<Answer>,
) -> Response {
    let Some(ballot) = crate::ballot::carried(&room, &headers) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "this page holds no ballot for the class: open the class's page again to get one",
        );
    };
    if room.is_mirrored() {
        let ask = Ask::Answer {
            choice: a.choice,
            ballot: crate::cluster::wire::hex(&ballot),
        };
        return forward(&shared, &room, ask).await;
    }
    let (status, body) = answer_room(&room, a.choice, &ballot);
    (status, body).into_response()
}

/// Counts ballot `ballot`'s prediction in a room simulated here (a
/// changed answer moves its count).
pub fn answer_room(room: &Room, choice: usize, ballot: &[u8; 32]) -> (StatusCode, String) {
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
    if before.is_none() && ballots.len() >= crate::ballot::MAX_BALLOTS {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steer {
    /// Reveal the class's answers.
    #[serde(default)]
    reveal: Option<bool>,
    /// Let students join (true) or lock joining (false).
    #[serde(default)]
    joining_open: Option<bool>,
}

/// `POST /api/rooms/<code>/steer`: the presenter reveals the answers or
/// locks joining; anyone else gets 403.
pub async fn steer(
    State(shared): State<Arc<Shared>>,
    KnownRoom(room): KnownRoom,
    headers: HeaderMap,
    Json(s): Json<Steer>,
) -> Response {
    if !room.is_presenter(presenter_secret(&headers, &room.code).as_deref()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "only the presenter can change this room",
        );
    }
    if room.is_mirrored() {
        let ask = Ask::Steer {
            reveal: s.reveal,
            joining_open: s.joining_open,
        };
        return forward(&shared, &room, ask).await;
    }
    steer_room(&room, s.reveal, s.joining_open);
    StatusCode::NO_CONTENT.into_response()
}

/// The presenter's reveal or lock, on a room simulated here.
pub fn steer_room(room: &Room, reveal: Option<bool>, joining_open: Option<bool>) {
    if let Some(r) = reveal {
        room.revealed.store(r, Ordering::Relaxed);
    }
    if let Some(o) = joining_open {
        room.joining_open.store(o, Ordering::Relaxed);
    }
}

/// `GET /api/rooms/<code>/qr.svg`: the join address, for phones.
pub async fn qr(KnownRoom(room): KnownRoom, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let url = format!("http://{host}/join/{}", room.code);
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(q) => {
            let svg = q
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /join/<code>`: the follower's page is the dashboard on the room.
pub async fn join(Path(code): Path<String>) -> Redirect {
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(CODE_LEN)
        .collect::<String>()
        .to_ascii_uppercase();
    Redirect::to(&format!("/?room={code}"))
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// Sends one message, giving up (false) if the page takes none for `stall`.
async fn send(sink: &mut Sink, stall: Duration, m: Message) -> bool {
    matches!(tokio::time::timeout(stall, sink.send(m)).await, Ok(Ok(())))
}

/// Keeps a room's count of followers or presenters right however a
/// connection ends; a room whose last presenter leaves is paused.
struct Membership {
    room: Arc<Room>,
    presenter: bool,
    /// A follower counted among the room's students (pane 0).
    counted: bool,
}

impl Drop for Membership {
    fn drop(&mut self) {
        if self.presenter {
            if self.room.presenters.fetch_sub(1, Ordering::Relaxed) == 1 {
                self.room.pause_all();
                if let Ok(mut t) = self.room.presenter_seen.lock() {
                    *t = Instant::now();
                }
            }
        } else if self.counted {
            self.room.followers.fetch_sub(1, Ordering::Relaxed);
            if self.room.is_mirrored() {
                // A relayed room is forgotten a while after its last
                // member here leaves.
                if let Ok(mut t) = self.room.presenter_seen.lock() {
                    *t = Instant::now();
                }
            }
        }
    }
}

/// One connection to a room pane: the presenter's (controls forwarded to
/// the pane's driver, refusals answered to them alone) or a follower's
/// (read-only). Both receive the pane's frames, byte for byte the same.
pub async fn serve_member(
    mut socket: WebSocket,
    room: Arc<Room>,
    pane: usize,
    presenter: bool,
    shared: Arc<Shared>,
) {
    let Some(rp) = room.panes.get(pane).cloned() else {
        let _ = socket
            .send(close(close_code::POLICY, "this class has no such pane"))
            .await;
        return;
    };
    // A student's page opens one socket per pane; pane 0's count the
    // students.
    let counted = !presenter && pane == 0;
    if !presenter {
        if !room.joining_open.load(Ordering::Relaxed) {
            let _ = socket
                .send(close(close_code::POLICY, "the teacher has locked joining"))
                .await;
            return;
        }
        if counted && room.followers.fetch_add(1, Ordering::Relaxed) >= MAX_FOLLOWERS {
            room.followers.fetch_sub(1, Ordering::Relaxed);
            let reason = format!("this class is full ({MAX_FOLLOWERS} students)");
            let _ = socket.send(close(close_code::AGAIN, &reason)).await;
            return;
        }
    } else {
        room.presenters.fetch_add(1, Ordering::Relaxed);
        room.claimed.store(true, Ordering::Relaxed);
    }
    let _membership = Membership {
        room: Arc::clone(&room),
        presenter,
        counted,
    };
    let limits = shared.limits.clone();
    let (mut sink, mut stream) = socket.split();
    let (mut rx, frames, mut last) = rp.join();
    for f in frames {
        if !send(&mut sink, limits.stall, Message::Binary(f)).await {
            return;
        }
    }
    let closed = room.closed();
    tokio::pin!(closed);
    let stopping = shared.shutdown.triggered();
    tokio::pin!(stopping);
    let mut ping = tokio::time::interval(limits.idle / 6);
    let mut last_heard = Instant::now();
    let ending: (u16, String) = loop {
        tokio::select! {
            biased;
            _ = &mut stopping => break (close_code::AWAY, crate::shutdown::REASON.into()),
            why = &mut closed => break (close_code::AWAY, why),
            got = rx.recv() => match got {
                Ok(n) => {
                    if n.seq > last {
                        last = n.seq;
                        let m = if n.text {
                            match Utf8Bytes::try_from(n.bytes) {
                                Ok(t) => Message::Text(t),
                                Err(_) => continue,
                            }
                        } else {
                            Message::Binary(n.bytes)
                        };
                        if !send(&mut sink, limits.stall, m).await {
                            break (close_code::POLICY, format!("the page took no frame for {} s", limits.stall.as_secs()));
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Behind the room: skip to where it is now.
                    let (r, frames, l) = rp.join();
                    rx = r;
                    last = l;
                    for f in frames {
                        if !send(&mut sink, limits.stall, Message::Binary(f)).await {
                            return;
                        }
                    }
                }
                Err(RecvError::Closed) => break (close_code::AWAY, "the class has ended".into()),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > limits.idle {
                    break (close_code::AWAY, format!("no answer from the page for {} s", limits.idle.as_secs()));
                }
                if !send(&mut sink, limits.stall, Message::Ping(bytes::Bytes::new())).await {
                    return;
                }
            }
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(t))) => {
                        if !presenter {
                            if !send(&mut sink, limits.stall, error_frame("only the presenter can change this room")).await {
                                return;
                            }
                            continue;
                        }
                        let (answer, refused) = oneshot::channel();
                        if rp.orders.send(Order { text: t.as_str().to_owned(), answer }).await.is_err() {
                            break (close_code::AWAY, "the class has ended".into());
                        }
                        if let Ok(Ok(Some(e))) = tokio::time::timeout(Duration::from_secs(5), refused).await {
                            if !send(&mut sink, limits.stall, error_frame(&e)).await {
                                return;
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        if too_big(&e) {
                            break (close_code::SIZE, format!("control messages are at most {} bytes", limits.max_message));
                        }
                        return;
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        sink.send(close(ending.0, &ending.1)),
    )
    .await;
}
