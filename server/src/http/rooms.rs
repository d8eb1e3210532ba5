//! The rooms' HTTP surface (the contract scripts rely on), over the
//! classroom's registry:
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
//! - `GET /ws?room=<code>&pane=<i>` → `class::member::serve`: the pane's frames,
//!   the same bytes for everyone; controls only from the presenter.
//! - `GET /ws?fork=<code>&pane=<i>` → a private session replayed to where
//!   the room pane stands (see `http::socket`).
//!
//! Caps: `rooms::MAX_ROOMS` rooms, `room::MAX_FOLLOWERS` followers a
//! room; per client, the `gate`'s rates (rooms started, unknown codes,
//! ballots), past which 429 with `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use sim::wire::Recipe;

use crate::class::codes;
use crate::class::registry::{self, NewRoom};
use crate::class::room::{Room, Standing};
use crate::class::rooms::MAX_ROOMS;
use crate::live::session::Session;
use crate::shared::Shared;

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
                    crate::http::gate::wait_text(*wait)
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
                crate::http::gate::wait_text(*wait)
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
    client: crate::http::client::Client,
) -> Result<Option<Arc<Room>>, Unreachable> {
    shared
        .gate
        .may_look_up(client.0)
        .map_err(Unreachable::Throttled)?;
    let found = shared
        .registry()
        .find(code)
        .await
        .map_err(Unreachable::Moving)?;
    if found.is_none() {
        shared
            .gate
            .unknown_code(client.0)
            .map_err(Unreachable::Throttled)?;
    }
    Ok(found)
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
    client: crate::http::client::Client,
    Json(req): Json<CreateRoom>,
) -> Response {
    if let Err(wait) = shared.gate.start_room(client.0) {
        return too_many(
            wait,
            format!(
                "this network has started many classes just now: try again in {}",
                crate::http::gate::wait_text(wait)
            ),
        );
    }
    if shared.rooms.simulated() >= MAX_ROOMS {
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
    let secret = match codes::new_secret() {
        Ok(s) => s,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let preset = req
        .preset
        .as_deref()
        .and_then(app::controls::presets::find)
        .map(|p| (p.id.to_string(), p.choices.len()));
    let new = NewRoom {
        secret_hash: codes::hash_secret(&secret),
        seed,
        preset,
        sessions,
    };
    let code = match shared.registry().start(new).await {
        Ok(room) => room.code.clone(),
        Err((status, why)) => {
            return refuse(
                StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                why,
            )
        }
    };
    tracing::info!("class {code} started");
    let cookie = format!(
        "{}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400",
        codes::cookie_name(&code)
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
        let Ok(client) = crate::http::client::Client::from_request_parts(parts, shared).await;
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

/// A registry answer as an HTTP response.
fn respond(a: registry::Answer) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let kind = if a.json {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    (status, [(header::CONTENT_TYPE, kind)], a.body).into_response()
}

/// `GET /api/rooms/<code>`. A student's page (not the presenter's) of a
/// class that asks a question gets its ballot here, once, under the
/// client's ballot allowance; the description then says what this ballot
/// chose, if anything (`"mine"`).
pub async fn describe(
    State(shared): State<Arc<Shared>>,
    KnownRoom(room): KnownRoom,
    client: crate::http::client::Client,
    headers: HeaderMap,
) -> Response {
    let presenter = room.is_presenter(codes::presenter_secret(&headers, &room.code).as_deref());
    let mut ballot = crate::class::ballot::carried(&room, &headers);
    let mut cookie = None;
    if !presenter
        && ballot.is_none()
        && room.preset.is_some()
        && shared.gate.ballot(client.0).is_ok()
    {
        if let Ok((token, set)) = crate::class::ballot::mint(&room) {
            ballot = crate::class::ballot::verify(&room, &token);
            cookie = Some(set);
        }
    }
    let mut answered = respond(shared.registry().describe(&room, presenter, ballot).await);
    if let Some(set) = cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        answered.headers_mut().append(header::SET_COOKIE, set);
    }
    answered
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
    let Some(ballot) = crate::class::ballot::carried(&room, &headers) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "this page holds no ballot for the class: open the class's page again to get one",
        );
    };
    respond(shared.registry().answer(&room, a.choice, ballot).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sketch {
    /// A value per point of the teacher's sweep: `[index, value]`.
    points: Vec<(u16, f64)>,
}

/// `POST /api/rooms/<code>/sketch`: a student's sketch of the teacher's
/// sweep, one per ballot (a second replaces the first). A page without a
/// ballot (a class with no question) is given one here, under the client's
/// ballot allowance.
pub async fn sketch(
    State(shared): State<Arc<Shared>>,
    KnownRoom(room): KnownRoom,
    client: crate::http::client::Client,
    headers: HeaderMap,
    Json(s): Json<Sketch>,
) -> Response {
    if room.is_presenter(codes::presenter_secret(&headers, &room.code).as_deref()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "the presenter's page shows the class's sketches; the students send them",
        );
    }
    let mut cookie = None;
    let ballot = match crate::class::ballot::carried(&room, &headers) {
        Some(b) => b,
        None => {
            if shared.gate.ballot(client.0).is_err() {
                return refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    "this address has been given as many ballots as it may for now: try again in a minute",
                );
            }
            let minted = crate::class::ballot::mint(&room)
                .ok()
                .and_then(|(token, set)| Some((crate::class::ballot::verify(&room, &token)?, set)));
            let Some((b, set)) = minted else {
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "no ballot could be made");
            };
            cookie = Some(set);
            b
        }
    };
    let mut answered = respond(shared.registry().sketch(&room, s.points, ballot).await);
    if let Some(set) = cookie.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        answered.headers_mut().append(header::SET_COOKIE, set);
    }
    answered
}

/// `GET /api/rooms/<code>/sketches`: the class's sketches, for the
/// presenter only.
pub async fn sketches(
    State(shared): State<Arc<Shared>>,
    KnownRoom(room): KnownRoom,
    headers: HeaderMap,
) -> Response {
    if !room.is_presenter(codes::presenter_secret(&headers, &room.code).as_deref()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "only the presenter sees the class's sketches",
        );
    }
    respond(shared.registry().sketches(&room).await)
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
    if !room.is_presenter(codes::presenter_secret(&headers, &room.code).as_deref()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "only the presenter can change this room",
        );
    }
    respond(
        shared
            .registry()
            .steer(&room, s.reveal, s.joining_open)
            .await,
    )
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
        .take(codes::CODE_LEN)
        .collect::<String>()
        .to_ascii_uppercase();
    Redirect::to(&format!("/?room={code}"))
}
