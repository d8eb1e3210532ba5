//! Exports: a run's events (NDJSON), its per-second metrics (CSV, the
//! columns of `switchboard simulate --format csv`) or its transcript (what
//! the page says aloud at 1×, second by second: `app::describe`), made by
//! simulating the run again
//! — the engine gives the same events for the same seed, values and live
//! changes at the same virtual times.
//!
//! - `GET /api/export?pattern=…&seed=…&<params>&until_s=…&format=…`: the
//!   run a link describes (its settings from t = 0).
//! - `POST /api/export` with a JSON body `{"recipe": Recipe, "format": …}`
//!   (the viewed run's starting values and every live change with its
//!   virtual time): exactly the run the class watched. JSON only, so no
//!   other site's form can post one.
//!
//! Bounded: at most `Limits::max_exports` run at once (more get 503), each
//! may simulate at most `Limits::export_events` events, and an export whose
//! client went away, or that is running when the server stops, is cancelled
//! at its next virtual second.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sim::run::{Advance, Options};
use sim::wire::Recipe;
use sim::{find_pattern, Simulation};

use crate::shared::Shared;

/// Longest exported run, in virtual seconds.
pub const MAX_EXPORT_S: f64 = 3600.0;
/// Most events in one NDJSON export (about 50 MB of text).
pub const MAX_EXPORT_EVENTS: usize = 500_000;
/// Most entries in one trace (about 70 MB of JSON).
pub const MAX_TRACE_EVENTS: usize = 600_000;

/// Actions an export runs between two looks at its bounds.
const SLICE: usize = 200_000;

/// What bounds one export while it runs.
#[derive(Clone)]
pub struct Bounds {
    /// Events it may simulate.
    pub events: u64,
    /// Set when the client went away or the server is stopping.
    pub cancelled: Arc<AtomicBool>,
}

impl Bounds {
    /// No cancellation, the given event budget (tests, tools).
    pub fn events(events: u64) -> Bounds {
        Bounds {
            events,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Sets the flag when dropped: the request's future is dropped when its
/// client goes away, and the export thread sees it.
pub(crate) struct CancelOnDrop(pub(crate) Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What an export is made as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Every event, one JSON object a line.
    Ndjson,
    /// One row of metrics a virtual second.
    Csv,
    /// The run in words: each announcement with its virtual time, then
    /// the run as it stands at the end.
    Transcript,
    /// A Chrome / Perfetto trace (`crate::trace`).
    Perfetto,
    /// The last seconds as a sequence diagram (`crate::sequence`), one
    /// request's conversation drawn over the rest if given.
    Svg {
        highlight: Option<u64>,
        window: sim::Time,
    },
}

impl Format {
    /// The `format` a request names, or the one-line refusal.
    pub fn parse(name: &str) -> Result<Format, String> {
        match name {
            "ndjson" => Ok(Format::Ndjson),
            "csv" => Ok(Format::Csv),
            "transcript" => Ok(Format::Transcript),
            "perfetto" => Ok(Format::Perfetto),
            "svg" => Ok(Format::Svg {
                highlight: None,
                window: crate::sequence::WINDOW,
            }),
            other => Err(format!(
                "format = '{}' is unknown: expected ndjson, csv, transcript, perfetto or svg",
                sim::params::clip(other)
            )),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
            Format::Transcript => "txt",
            Format::Perfetto => "trace.json",
            Format::Svg { .. } => "svg",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Ndjson => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Transcript => "text/plain; charset=utf-8",
            Format::Perfetto => "application/json",
            Format::Svg { .. } => "image/svg+xml",
        }
    }
}

/// What an export asks for, checked.
struct Request {
    params: sim::ParamSet,
    seed: u64,
    until_s: f64,
    format: Format,
}

fn read(query: &[(String, String)]) -> Result<Request, String> {
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.as_str());
    let info = find_pattern(get("pattern").unwrap_or("")).map_err(|e| e.to_string())?;
    let mut params = info.defaults();
    let mut seed = 1;
    let mut until_s = 60.0;
    let mut format = Format::Csv;
    for (k, v) in query {
        match k.as_str() {
            "pattern" => {}
            "seed" => {
                seed = v
                    .parse()
                    .map_err(|_| format!("seed = '{}' is not a whole number", sim::params::clip(v)))?
            }
            "until_s" => {
                until_s = v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0 && *x <= MAX_EXPORT_S)
                    .ok_or_else(|| {
                        format!("until_s = '{}' is out of range: expected from 0 to {MAX_EXPORT_S} virtual seconds", sim::params::clip(v))
                    })?
            }
            "format" => format = Format::parse(v)?,
            _ => params.set_str(k, v).map_err(|e| e.to_string())?,
        }
    }
    Ok(Request {
        params,
        seed,
        until_s,
        format,
    })
}

/// The export's body and file name, or the one-line refusal.
pub fn render(query: &[(String, String)], bounds: &Bounds) -> Result<(String, String), String> {
    let r = read(query)?;
    let id = r.params.pattern();
    let sim = Simulation::new(r.params, r.seed, options(r.format));
    let name = format!("switchboard-{id}-seed{}-{:.0}s", r.seed, r.until_s);
    output(
        sim,
        &[],
        sim::time::from_secs(r.until_s),
        r.format,
        name,
        bounds,
    )
}

fn options(format: Format) -> Options {
    Options {
        keep_events: format != Format::Csv,
        series: format == Format::Csv,
    }
}

/// Replays a viewed run: its starting values, then each live change at its
/// virtual time. A recipe is one run: a change of a parameter that would
/// restart the run is refused, and so is a recipe with more than
/// `max_changes` changes.
pub fn render_recipe(
    recipe: &Recipe,
    format: Format,
    bounds: &Bounds,
    max_changes: usize,
) -> Result<(String, String), String> {
    let info = find_pattern(&recipe.pattern).map_err(|e| e.to_string())?;
    let mut params = info.defaults();
    params.set_all(&recipe.values).map_err(|e| e.to_string())?;
    let until = recipe.until;
    if until == 0 || until > sim::time::from_secs(MAX_EXPORT_S) {
        return Err(format!(
            "until = {} s is out of range: expected from 0 to {MAX_EXPORT_S} virtual seconds",
            sim::time::to_secs(until)
        ));
    }
    if recipe.changes.len() > max_changes {
        return Err(format!(
            "the recipe has {} live changes: at most {max_changes} can be replayed",
            recipe.changes.len()
        ));
    }
    let mut last = 0;
    let mut before = params.values().to_vec();
    for c in &recipe.changes {
        if c.at < last || c.values.len() != info.params.len() {
            return Err("the recipe's changes are out of order or malformed".into());
        }
        for ((spec, &old), &new) in info.params.iter().zip(&before).zip(&c.values) {
            if !spec.live && old != new {
                return Err(format!(
                    "the recipe changes {} during the run, which restarts it: a recipe holds one run",
                    spec.id
                ));
            }
        }
        before.clone_from(&c.values);
        last = c.at;
    }
    let sim = Simulation::new(params, recipe.seed, options(format));
    let name = format!(
        "switchboard-{}-seed{}-{:.0}s",
        info.id,
        recipe.seed,
        sim::time::to_secs(until)
    );
    output(sim, &recipe.changes, until, format, name, bounds)
}

/// Runs `sim` to `until`, applying `changes` on the way, and renders it,
/// one virtual second at a time so that the bounds are looked at often.
fn output(
    mut sim: Simulation,
    changes: &[sim::wire::Change],
    until: sim::Time,
    format: Format,
    name: String,
    bounds: &Bounds,
) -> Result<(String, String), String> {
    let mut out = String::new();
    let mut words = (format == Format::Transcript).then(|| {
        let title = format!(
            "Switchboard transcript: {} (seed {}), what the page says aloud at 1x",
            sim.info().lesson.name,
            sim.seed()
        );
        app::describe::transcript::Transcriber::new(
            sim.params().clone(),
            sim.topology(),
            sim.seed(),
            &title,
        )
    });
    let mut trace = (format == Format::Perfetto).then(|| {
        let title = format!(
            "Switchboard: {} (seed {})",
            sim.info().lesson.name,
            sim.seed()
        );
        crate::trace::Tracer::new(&title, sim.topology())
    });
    let mut diagram = match format {
        Format::Svg { highlight, window } => Some(crate::sequence::Sequence::new(
            sim.topology(),
            until,
            window,
            highlight,
        )),
        _ => None,
    };
    // A trace's counters every 100 ms; the rest look once a second.
    let step = if trace.is_some() {
        100 * sim::time::MS
    } else {
        sim::time::SECOND
    };
    let mut lines = 0;
    let mut pending = changes.iter().peekable();
    let mut t = 0;
    while t < until {
        let next_change = pending.peek().map(|c| c.at).filter(|&at| at < until);
        t = (t + step).min(until);
        if let Some(at) = next_change.filter(|&at| at <= t) {
            t = at;
        }
        loop {
            if bounds.cancelled.load(Ordering::Relaxed) {
                return Err("the export was cancelled".into());
            }
            match sim.advance_budgeted(t, SLICE) {
                Advance::Reached | Advance::AtCap => break,
                Advance::OutOfTime if sim.events_emitted() <= bounds.events => {}
                Advance::OutOfTime => break,
                Advance::OverBudget => {
                    return Err(format!(
                        "the run holds more than {} messages and timers by {:.0} s, over a run's budget: \
                         export a lighter run or use `switchboard simulate`",
                        sim::budget::MAX_HELD,
                        sim::time::to_secs(sim.now())
                    ))
                }
            }
        }
        if sim.events_emitted() > bounds.events {
            return Err(format!(
                "the run has more than {} events by {:.0} s, more than one export may simulate: \
                 export a shorter stretch or use `switchboard simulate`",
                bounds.events,
                sim::time::to_secs(t)
            ));
        }
        if let Some(w) = words.as_mut() {
            let metrics = sim.snapshot();
            w.reached(sim.now(), sim.events(), &metrics);
            sim.clear_events();
        }
        if let Some(d) = diagram.as_mut() {
            d.events(sim.events())?;
            sim.clear_events();
        }
        if let Some(tr) = trace.as_mut() {
            tr.events(sim.events());
            sim.clear_events();
            let metrics = sim.snapshot();
            tr.counters(&metrics);
            if tr.written > MAX_TRACE_EVENTS {
                return Err(format!(
                    "the trace has more than {MAX_TRACE_EVENTS} entries by {:.1} s: export a shorter stretch",
                    sim::time::to_secs(t)
                ));
            }
        }
        while let Some(c) = pending.next_if(|c| c.at <= t) {
            let specs = sim.params().specs();
            for (spec, &v) in specs.iter().zip(&c.values) {
                if sim.params().get(spec.id) != v {
                    sim.set_param(spec.id, v).map_err(|e| e.to_string())?;
                }
            }
            if let Some(w) = words.as_mut() {
                w.set_values(&c.values);
            }
        }
        if format == Format::Ndjson {
            for e in sim.events() {
                lines += 1;
                if lines > MAX_EXPORT_EVENTS {
                    return Err(format!(
                        "the run has more than {MAX_EXPORT_EVENTS} events by {:.0} s: export a shorter stretch or use `switchboard simulate`",
                        sim::time::to_secs(t)
                    ));
                }
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string(e).map_err(|e| e.to_string())?
                );
            }
            sim.clear_events();
        }
    }
    let file = format!("{name}.{}", format.extension());
    if let Some(tr) = trace {
        return Ok((tr.finish(), file));
    }
    if let (Some(d), Format::Svg { window, .. }) = (diagram, format) {
        let title = format!(
            "{} (seed {}), the {} s before {:.2} s",
            sim.info().lesson.name,
            sim.seed(),
            sim::params::fmt_num(sim::time::to_secs(window.min(until))),
            sim::time::to_secs(until)
        );
        return Ok((d.finish(&title), file));
    }
    match (format, words) {
        (Format::Ndjson, _) => Ok((out, file)),
        (Format::Transcript, Some(w)) => Ok((w.finish(), file)),
        _ => Ok((crate::cli::csv(&sim), file)),
    }
}

/// The JSON body the page posts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeRequest {
    recipe: Recipe,
    format: String,
    /// A request whose conversation a sequence diagram draws over the rest.
    #[serde(default)]
    req: Option<u64>,
    /// How many virtual seconds a sequence diagram shows (2 unless given).
    #[serde(default)]
    window_s: Option<f64>,
}

/// Runs `work` on a blocking thread under the export cap, cancelling it if
/// this request is dropped (its client left) or the server stops.
async fn bounded<F>(shared: &Shared, format: Format, work: F) -> Response
where
    F: FnOnce(&Bounds) -> Result<(String, String), String> + Send + 'static,
{
    let Ok(_place) = Arc::clone(&shared.exports).try_acquire_owned() else {
        shared.warnings.exports_busy.warn("an export was refused");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} exports are running: try again in a moment",
                shared.limits.max_exports
            ),
        )
            .into_response();
    };
    let bounds = Bounds::events(shared.limits.export_events);
    let _cancel_on_drop = CancelOnDrop(Arc::clone(&bounds.cancelled));
    let cancelled = Arc::clone(&bounds.cancelled);
    let stopping = shared.shutdown.triggered();
    let job = tokio::task::spawn_blocking(move || work(&bounds));
    tokio::pin!(job);
    let done = tokio::select! {
        done = &mut job => done,
        _ = stopping => {
            cancelled.store(true, Ordering::Relaxed);
            return (StatusCode::SERVICE_UNAVAILABLE, crate::shutdown::REASON).into_response();
        }
    };
    respond(done, format)
}

pub async fn export_recipe(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<RecipeRequest>,
) -> Response {
    let format = match Format::parse(&request.format) {
        Ok(Format::Svg { .. }) => match crate::sequence::window(request.window_s) {
            Ok(window) => Format::Svg {
                highlight: request.req,
                window,
            },
            Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
        },
        Ok(f) => f,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let max_changes = shared.limits.recipe_changes;
    bounded(&shared, format, move |bounds| {
        render_recipe(&request.recipe, format, bounds, max_changes)
    })
    .await
}

fn respond(
    done: Result<Result<(String, String), String>, tokio::task::JoinError>,
    format: Format,
) -> Response {
    match done {
        Ok(Ok((body, file))) => (
            [
                (header::CONTENT_TYPE, format.content_type().to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            body,
        )
            .into_response(),
        Ok(Err(problem)) => (StatusCode::BAD_REQUEST, problem).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the export failed").into_response(),
    }
}

pub async fn export(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    // An unknown format is refused by `render`, with its reason.
    let format = query
        .iter()
        .find(|(k, _)| k == "format")
        .and_then(|(_, v)| Format::parse(v).ok())
        .unwrap_or(Format::Csv);
    bounded(&shared, format, move |bounds| render(&query, bounds)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unbounded() -> Bounds {
        Bounds::events(u64::MAX)
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn csv_export_matches_the_cli() {
        let (body, file) = render(
            &q(&[
                ("pattern", "request-response"),
                ("seed", "9"),
                ("rate", "120"),
                ("until_s", "5"),
                ("format", "csv"),
            ]),
            &unbounded(),
        )
        .unwrap();
        let cli = crate::cli::simulate(&crate::cli::SimulateArgs {
            pattern: Some("request-response".into()),
            sets: vec!["rate=120".into()],
            duration: 5.0,
            seed: 9,
            format: crate::cli::Format::Csv,
            changes: Vec::new(),
            at: None,
            link: None,
            real: false,
        })
        .unwrap();
        assert_eq!(body, cli);
        assert_eq!(file, "switchboard-request-response-seed9-5s.csv");
    }

    #[test]
    fn ndjson_export_is_every_event_of_the_run() {
        let (body, _) = render(
            &q(&[
                ("pattern", "webhooks"),
                ("until_s", "3"),
                ("format", "ndjson"),
            ]),
            &unbounded(),
        )
        .unwrap();
        let mut sim = Simulation::new(
            find_pattern("webhooks").unwrap().defaults(),
            1,
            Options::EVENTS,
        );
        sim.advance_to(3 * sim::time::SECOND);
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), sim.events().len());
        let first: sim::Event = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first, sim.events()[0]);
    }

    #[test]
    fn bad_exports_are_refused_in_one_line() {
        for (query, says) in [
            (q(&[("pattern", "nope")]), "nope"),
            (
                q(&[("pattern", "request-response"), ("rate", "-1")]),
                "rate",
            ),
            (
                q(&[("pattern", "request-response"), ("until_s", "1e9")]),
                "until_s",
            ),
            (
                q(&[("pattern", "request-response"), ("format", "xml")]),
                "format",
            ),
        ] {
            let e = render(&query, &unbounded()).unwrap_err();
            assert!(e.contains(says) && !e.contains('\n'), "{e}");
        }
    }

    /// A run watched with live changes, replayed from its recipe, gives the
    /// same events, one for one.
    #[test]
    fn a_recipe_replays_the_watched_run_exactly() {
        let info = find_pattern("request-response").unwrap();
        let mut watched = Simulation::new(info.defaults(), 5, Options::EVENTS);
        let start = watched.params().values().to_vec();
        let mut events = Vec::new();
        let mut changes = Vec::new();
        for (at_ms, id, v) in [
            (1_300, "rate", 300.0),
            (2_750, "workers", 3.0),
            (2_750, "loss", 0.1),
        ] {
            watched.advance_to(at_ms * sim::time::MS);
            events.extend_from_slice(watched.events());
            watched.clear_events();
            watched.set_param(id, v).unwrap();
            changes.push(sim::wire::Change {
                at: watched.now(),
                values: watched.params().values().to_vec(),
            });
        }
        watched.advance_to(4 * sim::time::SECOND);
        events.extend_from_slice(watched.events());
        let recipe = Recipe {
            pattern: info.id.into(),
            seed: 5,
            values: start,
            changes,
            until: 4 * sim::time::SECOND,
        };
        let (body, file) = render_recipe(&recipe, Format::Ndjson, &unbounded(), 100).unwrap();
        assert_eq!(file, "switchboard-request-response-seed5-4s.ndjson");
        let replayed: Vec<sim::Event> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(replayed.len(), events.len());
        assert!(
            replayed == events,
            "the replay differs from the watched run"
        );
        // Without the changes it would not match: the test can fail.
        let plain = Recipe {
            changes: Vec::new(),
            ..recipe.clone()
        };
        let (other, _) = render_recipe(&plain, Format::Ndjson, &unbounded(), 100).unwrap();
        assert_ne!(other, body);
    }

    #[test]
    fn bad_recipes_are_refused() {
        let info = find_pattern("request-response").unwrap();
        let good = Recipe {
            pattern: info.id.into(),
            seed: 1,
            values: info.defaults().values().to_vec(),
            changes: Vec::new(),
            until: sim::time::SECOND,
        };
        assert!(render_recipe(&good, Format::Csv, &unbounded(), 100).is_ok());
        let mut bad = good.clone();
        bad.values[0] = -5.0;
        assert!(render_recipe(&bad, Format::Csv, &unbounded(), 100)
            .unwrap_err()
            .contains("rate"));
        let mut bad = good.clone();
        bad.until = 0;
        assert!(render_recipe(&bad, Format::Csv, &unbounded(), 100)
            .unwrap_err()
            .contains("until"));
        let mut bad = good;
        bad.changes = vec![sim::wire::Change {
            at: 5,
            values: vec![1.0],
        }];
        assert!(render_recipe(&bad, Format::Csv, &unbounded(), 100).is_err());
    }

    #[test]
    fn exports_stop_at_their_event_budget_and_when_cancelled() {
        let heavy = q(&[
            ("pattern", "request-response"),
            ("rate", "20000"),
            ("timeout_ms", "200"),
            ("spike_s", "3600"),
            ("spike_x", "20"),
            ("until_s", "3600"),
            ("format", "csv"),
        ]);
        let e = render(&heavy, &Bounds::events(2_000_000)).unwrap_err();
        assert!(e.contains("more than 2000000 events by"), "{e}");
        let cancelled = Bounds::events(u64::MAX);
        cancelled.cancelled.store(true, Ordering::Relaxed);
        assert_eq!(
            render(&heavy, &cancelled).unwrap_err(),
            "the export was cancelled"
        );
    }

    #[test]
    fn recipes_that_restart_or_carry_too_many_changes_are_refused() {
        let info = find_pattern("request-response").unwrap();
        let start = info.defaults().values().to_vec();
        let mut more_clients = start.clone();
        let i = info.params.iter().position(|p| p.id == "clients").unwrap();
        more_clients[i] += 1.0;
        let recipe = Recipe {
            pattern: info.id.into(),
            seed: 1,
            values: start.clone(),
            changes: vec![sim::wire::Change {
                at: sim::time::SECOND,
                values: more_clients,
            }],
            until: 2 * sim::time::SECOND,
        };
        let e = render_recipe(&recipe, Format::Csv, &unbounded(), 100).unwrap_err();
        assert!(e.contains("changes clients during the run"), "{e}");
        let many = Recipe {
            changes: (0..101)
                .map(|k| sim::wire::Change {
                    at: k,
                    values: start.clone(),
                })
                .collect(),
            ..recipe
        };
        let e = render_recipe(&many, Format::Csv, &unbounded(), 100).unwrap_err();
        assert!(e.contains("at most 100"), "{e}");
    }

    #[test]
    fn an_export_over_a_runs_memory_budget_is_refused() {
        // The service is down and answers nothing: every request waits
        // out its two-minute timeout, so 20,000 a second hold far more
        // than a run's budget.
        let e = render(
            &q(&[
                ("pattern", "request-response"),
                ("rate", "20000"),
                ("outage_at_s", "0"),
                ("outage_s", "3600"),
                ("timeout_ms", "120000"),
                ("until_s", "60"),
                ("format", "csv"),
            ]),
            &unbounded(),
        )
        .unwrap_err();
        assert!(e.contains("over a run's budget"), "{e}");
    }

    #[test]
    fn a_transcript_says_what_the_page_would_and_is_the_same_every_time() {
        let query = q(&[
            ("pattern", "request-response"),
            ("seed", "7"),
            ("rate", "80"),
            ("workers", "2"),
            ("service_ms", "20"),
            ("queue_cap", "50"),
            ("spike_at_s", "8"),
            ("spike_s", "10"),
            ("spike_x", "4"),
            ("until_s", "25"),
            ("format", "transcript"),
        ]);
        let (body, file) = render(&query, &unbounded()).unwrap();
        assert_eq!(file, "switchboard-request-response-seed7-25s.txt");
        assert!(
            body.starts_with("Switchboard transcript: Request / response (seed 7)"),
            "{body}"
        );
        assert!(
            body.contains("A queue is full: new requests are turned away"),
            "{body}"
        );
        assert!(
            body.contains("At the end: Request / response at 25.0 s"),
            "{body}"
        );
        assert!(body.contains("- Service: "), "{body}");
        let stamps: Vec<&str> = body.lines().filter(|l| l.starts_with('[')).collect();
        assert!(stamps.len() >= 2 && stamps.len() <= 5, "{stamps:?}");
        assert_eq!(render(&query, &unbounded()).unwrap().0, body);
        assert!(render(
            &q(&[("pattern", "webhooks"), ("format", "braille")]),
            &unbounded()
        )
        .unwrap_err()
        .contains("expected ndjson, csv, transcript, perfetto or svg"));
    }
}
