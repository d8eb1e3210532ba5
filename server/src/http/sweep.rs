//! `POST /api/sweep`: one stretch of a what-if sweep for the page, under
//! the server's budget.
//!
//! The page asks for its curve a point at a time (so it can draw each as
//! it comes, show progress and cancel between points), each with the same
//! seed: replication `r` has the same random streams at every point, so
//! the curve is the one `switchboard sweep` prints. A request is refused in
//! words past the page's limits (points, replications, virtual seconds, the
//! events it would simulate) or when the server's sweep places are taken;
//! it runs on threads of its own at a lower priority than the live
//! sessions, and stops between replications when its page goes away or the
//! server stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sim::sweep::{Ask, Plan};

use crate::export::CancelOnDrop;
use crate::shared::Shared;

/// The page's limits for one request (the command line has its own).
pub const MAX_POINTS: usize = 40;
pub const MAX_REPS: usize = 50;
pub const MAX_DURATION_S: f64 = 600.0;

/// Events one offered request costs, about (its messages' sent, queued,
/// served and delivered, its offered and completed): the estimate a sweep
/// is refused by before it runs.
const EVENTS_PER_OFFER: f64 = 10.0;

/// What the page posts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    pattern: String,
    vary: String,
    #[serde(default)]
    sets: Vec<String>,
    reps: usize,
    duration_s: f64,
    #[serde(default)]
    seed: u64,
    /// `json` (the default) or `csv` (`value,figure,mean,ci95,n,theory`,
    /// what the page reads).
    #[serde(default)]
    format: Option<String>,
}

/// About how many events `plan` simulates: its offered load at each point
/// (the rate where the pattern has one) for its length, every replication.
pub fn estimated_events(plan: &Plan) -> f64 {
    let secs = sim::time::to_secs(plan.duration);
    (0..plan.values.len())
        .map(|p| {
            let params = plan.params(0, p);
            let rate = params.spec("rate").map_or(100.0, |_| params.get("rate"));
            // A spike multiplies the load for its length.
            let spiked = if params.spec("spike_s").is_ok() {
                params.get("spike_s").min(secs) * (params.get("spike_x") - 1.0).max(0.0)
            } else {
                0.0
            };
            rate * (secs + spiked) * EVENTS_PER_OFFER * plan.reps as f64
        })
        .sum()
}

/// Checks a request against the page's limits and the events budget.
pub fn check(request: &SweepRequest, max_events: u64) -> Result<Plan, String> {
    let plan = Plan::new(&Ask {
        pattern: request.pattern.clone(),
        vary: request.vary.clone(),
        sets: request.sets.clone(),
        reps: request.reps,
        duration_s: request.duration_s,
        seed: request.seed,
        vs: None,
        precision: None,
    })?;
    if plan.values.len() > MAX_POINTS {
        return Err(format!(
            "{} points: a sweep from the page asks at most {MAX_POINTS} at once",
            plan.values.len()
        ));
    }
    if plan.reps > MAX_REPS {
        return Err(format!(
            "reps = {}: a sweep from the page runs at most {MAX_REPS} replications a point",
            plan.reps
        ));
    }
    if request.duration_s > MAX_DURATION_S {
        return Err(format!(
            "duration = {} s: a sweep from the page runs at most {MAX_DURATION_S} virtual seconds a replication",
            request.duration_s
        ));
    }
    let events = estimated_events(&plan);
    if events > max_events as f64 {
        return Err(format!(
            "this would simulate about {:.0} million events, more than a sweep on this server may ({} million): fewer replications, shorter runs or a lower load",
            events / 1e6,
            max_events / 1_000_000
        ));
    }
    Ok(plan)
}

/// A finished curve, as asked for.
enum Answer {
    Json(serde_json::Value),
    Csv(String),
}

pub async fn sweep(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<SweepRequest>,
) -> Response {
    let csv = match request.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!(
                    "format = '{}' is unknown: expected json or csv",
                    sim::params::clip(other)
                ),
            )
                .into_response()
        }
    };
    let plan = match check(&request, shared.limits.sweep_events) {
        Ok(p) => p,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let Ok(_place) = Arc::clone(&shared.sweeps).try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} sweeps are running on this server: the next point is asked again in a moment",
                shared.limits.max_sweeps
            ),
        )
            .into_response();
    };
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(Arc::clone(&cancelled));
    let flag = Arc::clone(&cancelled);
    let threads = shared.limits.sweep_threads;
    let job = tokio::task::spawn_blocking(move || {
        let curve = sim::sweep::sweep(
            &plan,
            |jobs| crate::sweeps::run_jobs(&plan, jobs, threads, &flag, true),
            |_, _| {},
        );
        (curve.points.len() == plan.values.len()).then(|| {
            if csv {
                Answer::Csv(curve.csv())
            } else {
                Answer::Json(curve.json(&plan))
            }
        })
    });
    let stopping = shared.shutdown.triggered();
    tokio::pin!(job);
    let done = tokio::select! {
        done = &mut job => done,
        _ = stopping => {
            cancelled.store(true, Ordering::Relaxed);
            return (StatusCode::SERVICE_UNAVAILABLE, crate::shutdown::REASON).into_response();
        }
    };
    match done {
        Ok(Some(Answer::Json(json))) => Json(json).into_response(),
        Ok(Some(Answer::Csv(csv))) => (
            [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv,
        )
            .into_response(),
        Ok(None) => (StatusCode::SERVICE_UNAVAILABLE, "the sweep was cancelled").into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the sweep stopped").into_response(),
    }
}
