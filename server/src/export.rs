//! Exports: a run's events (NDJSON) or per-second metrics (CSV, the columns
//! of `switchboard simulate --format csv`), made by simulating the run again
//! — the engine gives the same events for the same seed, values and live
//! changes at the same virtual times.
//!
//! - `GET /api/export?pattern=…&seed=…&<params>&until_s=…&format=…`: the
//!   run a link describes (its settings from t = 0).
//! - `POST /api/export` with form fields `recipe` (a JSON [`Recipe`]: the
//!   viewed run's starting values and every live change with its virtual
//!   time) and `format`: exactly the run the class watched.

use std::fmt::Write as _;

use axum::extract::{Form, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sim::run::Options;
use sim::wire::Recipe;
use sim::{find_pattern, Simulation};

/// Longest exported run, in virtual seconds.
pub const MAX_EXPORT_S: f64 = 3600.0;
/// Most events in one NDJSON export (about 100 MB of text).
pub const MAX_EXPORT_EVENTS: usize = 1_000_000;

/// What an export asks for, checked.
struct Request {
    params: sim::ParamSet,
    seed: u64,
    until_s: f64,
    ndjson: bool,
}

fn read(query: &[(String, String)]) -> Result<Request, String> {
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.as_str());
    let info = find_pattern(get("pattern").unwrap_or("")).map_err(|e| e.to_string())?;
    let mut params = info.defaults();
    let mut seed = 1;
    let mut until_s = 60.0;
    let mut ndjson = false;
    for (k, v) in query {
        match k.as_str() {
            "pattern" => {}
            "seed" => {
                seed = v
                    .parse()
                    .map_err(|_| format!("seed = '{v}' is not a whole number"))?
            }
            "until_s" => {
                until_s = v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0 && *x <= MAX_EXPORT_S)
                    .ok_or_else(|| {
                        format!("until_s = '{v}' is out of range: expected from 0 to {MAX_EXPORT_S} virtual seconds")
                    })?
            }
            "format" => {
                ndjson = match v.as_str() {
                    "ndjson" => true,
                    "csv" => false,
                    _ => return Err(format!("format = '{v}' is unknown: expected ndjson or csv")),
                }
            }
            _ => params.set_str(k, v).map_err(|e| e.to_string())?,
        }
    }
    Ok(Request {
        params,
        seed,
        until_s,
        ndjson,
    })
}

/// The export's body and file name, or the one-line refusal.
pub fn render(query: &[(String, String)]) -> Result<(String, String), String> {
    let r = read(query)?;
    let id = r.params.pattern();
    let sim = Simulation::new(r.params, r.seed, options(r.ndjson));
    let name = format!("switchboard-{id}-seed{}-{:.0}s", r.seed, r.until_s);
    output(sim, &[], sim::time::from_secs(r.until_s), r.ndjson, name)
}

fn options(ndjson: bool) -> Options {
    Options {
        keep_events: ndjson,
        series: !ndjson,
    }
}

/// Replays a viewed run: its starting values, then each live change at its
/// virtual time.
pub fn render_recipe(recipe: &Recipe, ndjson: bool) -> Result<(String, String), String> {
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
    let mut last = 0;
    for c in &recipe.changes {
        if c.at < last || c.values.len() != info.params.len() {
            return Err("the recipe's changes are out of order or malformed".into());
        }
        last = c.at;
    }
    let sim = Simulation::new(params, recipe.seed, options(ndjson));
    let name = format!(
        "switchboard-{}-seed{}-{:.0}s",
        info.id,
        recipe.seed,
        sim::time::to_secs(until)
    );
    output(sim, &recipe.changes, until, ndjson, name)
}

/// Runs `sim` to `until`, applying `changes` on the way, and renders it.
fn output(
    mut sim: Simulation,
    changes: &[sim::wire::Change],
    until: sim::Time,
    ndjson: bool,
    name: String,
) -> Result<(String, String), String> {
    let mut out = String::new();
    let mut lines = 0;
    let mut pending = changes.iter().peekable();
    let mut t = 0;
    while t < until {
        let next_change = pending.peek().map(|c| c.at).filter(|&at| at < until);
        t = (t + sim::time::SECOND).min(until);
        if let Some(at) = next_change.filter(|&at| at <= t) {
            t = at;
        }
        sim.advance_to(t);
        while let Some(c) = pending.next_if(|c| c.at <= t) {
            let specs = sim.params().specs();
            for (spec, &v) in specs.iter().zip(&c.values) {
                if sim.params().get(spec.id) != v {
                    sim.set_param(spec.id, v).map_err(|e| e.to_string())?;
                }
            }
        }
        if ndjson {
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
    if ndjson {
        Ok((out, format!("{name}.ndjson")))
    } else {
        Ok((crate::cli::csv(&sim), format!("{name}.csv")))
    }
}

/// The form the page posts.
#[derive(Deserialize)]
pub struct RecipeForm {
    recipe: String,
    format: String,
}

pub async fn export_recipe(Form(form): Form<RecipeForm>) -> Response {
    let ndjson = form.format == "ndjson";
    let done = tokio::task::spawn_blocking(move || {
        if !matches!(form.format.as_str(), "ndjson" | "csv") {
            return Err(format!(
                "format = '{}' is unknown: expected ndjson or csv",
                form.format
            ));
        }
        let recipe: Recipe = serde_json::from_str(&form.recipe)
            .map_err(|e| format!("the recipe is not valid: {e}"))?;
        render_recipe(&recipe, ndjson)
    })
    .await;
    respond(done, ndjson)
}

fn respond(
    done: Result<Result<(String, String), String>, tokio::task::JoinError>,
    ndjson: bool,
) -> Response {
    match done {
        Ok(Ok((body, file))) => (
            [
                (
                    header::CONTENT_TYPE,
                    if ndjson {
                        "application/x-ndjson"
                    } else {
                        "text/csv; charset=utf-8"
                    }
                    .to_string(),
                ),
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

pub async fn export(Query(query): Query<Vec<(String, String)>>) -> Response {
    let ndjson = query.iter().any(|(k, v)| k == "format" && v == "ndjson");
    let done = tokio::task::spawn_blocking(move || render(&query)).await;
    respond(done, ndjson)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn csv_export_matches_the_cli() {
        let (body, file) = render(&q(&[
            ("pattern", "request-response"),
            ("seed", "9"),
            ("rate", "120"),
            ("until_s", "5"),
            ("format", "csv"),
        ]))
        .unwrap();
        let cli = crate::cli::simulate(&crate::cli::SimulateArgs {
            pattern: "request-response".into(),
            sets: vec!["rate=120".into()],
            duration: 5.0,
            seed: 9,
            format: crate::cli::Format::Csv,
        })
        .unwrap();
        assert_eq!(body, cli);
        assert_eq!(file, "switchboard-request-response-seed9-5s.csv");
    }

    #[test]
    fn ndjson_export_is_every_event_of_the_run() {
        let (body, _) = render(&q(&[
            ("pattern", "webhooks"),
            ("until_s", "3"),
            ("format", "ndjson"),
        ]))
        .unwrap();
        let mut sim = Simulation::new(
            find_pattern("webhooks").unwrap().defaults(),
            1,
            Options {
                keep_events: true,
                series: false,
            },
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
            let e = render(&query).unwrap_err();
            assert!(e.contains(says) && !e.contains('\n'), "{e}");
        }
    }

    /// A run watched with live changes, replayed from its recipe, gives the
    /// same events, one for one.
    #[test]
    fn a_recipe_replays_the_watched_run_exactly() {
        let info = find_pattern("request-response").unwrap();
        let mut watched = Simulation::new(
            info.defaults(),
            5,
            Options {
                keep_events: true,
                series: false,
            },
        );
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
        let (body, file) = render_recipe(&recipe, true).unwrap();
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
        let (other, _) = render_recipe(&plain, true).unwrap();
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
        assert!(render_recipe(&good, false).is_ok());
        let mut bad = good.clone();
        bad.values[0] = -5.0;
        assert!(render_recipe(&bad, false).unwrap_err().contains("rate"));
        let mut bad = good.clone();
        bad.until = 0;
        assert!(render_recipe(&bad, false).unwrap_err().contains("until"));
        let mut bad = good;
        bad.changes = vec![sim::wire::Change {
            at: 5,
            values: vec![1.0],
        }];
        assert!(render_recipe(&bad, false).is_err());
    }
}
