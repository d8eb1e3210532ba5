//! `POST /api/real`: a pane's recipe run as the model and for real over
//! this machine's loopback, side by side (`crate::real`); the real run is
//! kept for a pane to play back (`/ws?real=<id>`), and
//! `GET /api/real/{id}/bytes?msgs=…` gives its messages' bytes.
//!
//! A real run takes the real seconds it runs, on a runtime and threads of
//! its own; the server runs at most `limits.max_real_runs` at once; a page
//! past them gets a ticket and its place in line (`202`), keeps it by
//! asking again with the ticket, and runs in its turn (`real_line`). A run stops — sockets closed, tasks dropped —
//! when its page goes away (the request is dropped) or the server stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use tokio::time::Instant;

use super::real_line::{Turn, MAX_WAITING, PER_CLIENT};
use crate::export::CancelOnDrop;
use crate::shared::Shared;

/// The page's longest real run, seconds (the command line allows 120).
pub const MAX_PAGE_SECS: f64 = 30.0;

/// What the page posts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealRequest {
    pattern: String,
    /// The pane's values, as `id=value` (`--set`).
    #[serde(default)]
    sets: Vec<String>,
    #[serde(default)]
    seed: u64,
    duration_s: f64,
    /// The page's place in line, from an earlier answer, if it waits.
    #[serde(default)]
    ticket: Option<u64>,
}

fn bad(status: StatusCode, words: impl Into<String>) -> Response {
    (status, words.into()).into_response()
}

pub async fn real(
    State(shared): State<Arc<Shared>>,
    client: crate::http::client::Client,
    Json(ask): Json<RealRequest>,
) -> Response {
    let info = match sim::find_pattern(&ask.pattern) {
        Ok(info) => info,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e.to_string()),
    };
    if !(ask.duration_s.is_finite() && (1.0..=MAX_PAGE_SECS).contains(&ask.duration_s)) {
        return bad(
            StatusCode::BAD_REQUEST,
            format!(
                "duration = {} s: a real run from the page lasts 1 to {MAX_PAGE_SECS} s",
                ask.duration_s
            ),
        );
    }
    let mut params = info.defaults();
    for set in &ask.sets {
        if let Err(e) = sim::sweep::apply_set(&mut params, set, "set") {
            return bad(StatusCode::BAD_REQUEST, e);
        }
    }
    let places = shared.limits.max_real_runs;
    let asked = shared
        .real_line
        .ask(&shared.real_runs, ask.ticket, client.0, Instant::now());
    let _place = match asked {
        Turn::Run(place) => place,
        Turn::Wait { ticket, ahead } => {
            let line = serde_json::json!({ "ticket": ticket, "ahead": ahead, "places": places });
            return (StatusCode::ACCEPTED, Json(line)).into_response();
        }
        Turn::Full => {
            return bad(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{places} real runs are under way on this server (its limit) and {MAX_WAITING} pages wait for a place: try again later"
                ),
            )
        }
        Turn::Crowded => {
            return bad(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "{PER_CLIENT} pages from your address already wait for a real run (the most one address may hold of the line's {MAX_WAITING} places): try again when one of them has run"
                ),
            )
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_drop = CancelOnDrop(Arc::clone(&stop));
    let flag = Arc::clone(&stop);
    let (seed, secs) = (ask.seed, ask.duration_s);
    // A thread of its own: the run blocks on its own runtime.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("real-run".into())
        .spawn(move || {
            let _ = tx.send(crate::real::compare_recorded(
                params,
                seed,
                secs,
                crate::real::Limits::default(),
                &flag,
            ));
        });
    if spawned.is_err() {
        return bad(
            StatusCode::SERVICE_UNAVAILABLE,
            "no thread for a real run now: try again",
        );
    }
    let stopping = shared.shutdown.triggered();
    tokio::select! {
        done = rx => match done {
            Ok(Ok((mut report, recorded))) => {
                report.recording = Some(shared.recordings.keep(recorded));
                Json(report).into_response()
            }
            Ok(Err(words)) => bad(StatusCode::BAD_REQUEST, words),
            Err(_) => bad(StatusCode::INTERNAL_SERVER_ERROR, "the real run stopped"),
        },
        _ = stopping => {
            stop.store(true, Ordering::Relaxed);
            bad(StatusCode::SERVICE_UNAVAILABLE, crate::shutdown::REASON)
        }
    }
}

/// Most messages one bytes request asks for.
pub const MAX_ASKED: usize = 64;

/// What the inspector asks: which messages' bytes, as `msgs=3,4,9`.
#[derive(Deserialize)]
pub struct BytesQuery {
    #[serde(default)]
    msgs: String,
}

/// `GET /api/real/{id}/bytes?msgs=…`: the bytes of those messages of a
/// kept real run that its tapped connection carried, as a JSON object
/// from message id to text (a message not tapped is left out).
pub async fn bytes(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<BytesQuery>,
) -> Response {
    let Some(rec) = shared.recordings.find(&id) else {
        return bad(StatusCode::NOT_FOUND, crate::real::recording::GONE);
    };
    let mut asked = Vec::new();
    for part in q.msgs.split(',').filter(|p| !p.is_empty()) {
        match part.trim().parse::<u64>() {
            Ok(m) if asked.len() < MAX_ASKED => asked.push(m),
            Ok(_) => {
                return bad(
                    StatusCode::BAD_REQUEST,
                    format!("at most {MAX_ASKED} messages at a time"),
                )
            }
            Err(_) => {
                return bad(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "msgs = '{}': expected message numbers separated by commas",
                        sim::params::clip(&q.msgs)
                    ),
                )
            }
        }
    }
    let found: serde_json::Map<String, serde_json::Value> = asked
        .into_iter()
        .filter_map(|m| {
            rec.bytes
                .get(&m)
                .map(|b| (m.to_string(), serde_json::Value::from(b.as_str())))
        })
        .collect();
    Json(found).into_response()
}
