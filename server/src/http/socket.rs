//! `GET /ws`: a socket goes to a private session (`live::viewer`), to a
//! room pane as its presenter or a follower (`class::member`), or to a
//! private copy of a room pane where it stands (a fork). Unknown class
//! codes count against the client's allowance (`http::rooms::find`).

use std::sync::Arc;

use axum::extract::ws::{close_code, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::live::session::Session;
use crate::live::viewer::{refuse, serve_viewer};
use crate::shared::Shared;

/// `GET /ws?pattern=…&seed=…&<param>=<value>…`: a private session.
/// `GET /ws?room=<code>&pane=<i>`: a room pane (presenter when the request
/// carries the room's presenter cookie, follower otherwise).
/// `GET /ws?fork=<code>&pane=<i>`: a private session continuing the room
/// pane's run from where it stands now.
/// `GET /ws?real=<id>`: a kept real run played back (`live::playback`).
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(shared): State<Arc<Shared>>,
    client: crate::http::client::Client,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let limit = shared.limits.max_message;
    let ws = ws.max_message_size(limit).max_frame_size(limit);
    let get = |k: &str| pairs.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
    let pane: usize = get("pane").and_then(|p| p.parse().ok()).unwrap_or(0);
    if let Some(code) = get("room") {
        let room = crate::http::rooms::find(&shared, &code, client).await;
        return ws.on_upgrade(move |socket| async move {
            match room {
                Err(why) => refuse(socket, close_code::AGAIN, &why.reason()).await,
                Ok(Some(room)) => {
                    let presenter = room.is_presenter(
                        crate::class::codes::presenter_secret(&headers, &room.code).as_deref(),
                    );
                    crate::class::member::serve(socket, room, pane, presenter, shared).await
                }
                Ok(None) => {
                    refuse(
                        socket,
                        close_code::POLICY,
                        "this class has ended or never was: check the code",
                    )
                    .await
                }
            }
        });
    }
    if let Some(id) = get("real") {
        let recording = shared.recordings.find(&id);
        let permit = Arc::clone(&shared.sessions).try_acquire_owned();
        return ws.on_upgrade(move |socket| async move {
            let Some(rec) = recording else {
                return refuse(socket, sim::wire::CLOSE_GONE, crate::real::recording::GONE).await;
            };
            let Ok(permit) = permit else {
                return refuse_full(socket, &shared).await;
            };
            let playback = crate::live::playback::Playback::new(rec);
            serve_viewer(socket, playback, Vec::new(), shared, permit).await
        });
    }
    let fork = match get("fork") {
        Some(code) => Some(
            crate::http::rooms::find(&shared, &code, client)
                .await
                .ok()
                .flatten(),
        ),
        None => None,
    };
    let permit = Arc::clone(&shared.sessions).try_acquire_owned();
    ws.on_upgrade(move |socket| async move {
        if shared.shutdown.is_triggered() {
            return refuse(socket, close_code::AWAY, crate::shutdown::REASON).await;
        }
        let Ok(permit) = permit else {
            return refuse_full(socket, &shared).await;
        };
        let (session, problems) = match fork {
            None => Session::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            Some(None) => {
                return refuse(
                    socket,
                    close_code::POLICY,
                    "this class has ended or never was: check the code",
                )
                .await
            }
            Some(Some(room)) => {
                let Some(standing) = room.panes.get(pane).map(|p| p.standing()) else {
                    return refuse(socket, close_code::POLICY, "this class has no such pane").await;
                };
                let replayed = tokio::task::spawn_blocking(move || {
                    let mut s = Session::replay(&standing.recipe, standing.speed)?;
                    if standing.playing {
                        s.control(r#"{"type":"play"}"#)?;
                    }
                    Ok::<_, String>(s)
                })
                .await;
                match replayed {
                    Ok(Ok(s)) => (s, Vec::new()),
                    Ok(Err(e)) => return refuse(socket, close_code::POLICY, &e).await,
                    Err(_) => return refuse(socket, close_code::ERROR, "the fork failed").await,
                }
            }
        };
        serve_viewer(socket, session, problems, shared, permit).await
    })
}

/// Tells a viewer past the session cap that the server is full.
async fn refuse_full(socket: axum::extract::ws::WebSocket, shared: &Shared) {
    shared.warnings.full.warn("a viewer was refused");
    let reason = format!(
        "the server is full ({} sessions): try again in a minute",
        shared.limits.max_sessions
    );
    refuse(socket, close_code::AGAIN, &reason).await
}
