//! `GET /api/export`: a run's events (NDJSON) or per-second metrics (CSV).
//!
//! The query is the dashboard's own (`pattern`, `seed`, parameters) plus
//! `until_s` (how far the run got) and `format`. The run is simulated again
//! from t = 0 — a seed and parameters give the same events every time — so
//! the export is exactly what the link it came from reproduces, and the CSV
//! has the columns of `switchboard simulate --format csv`.

use std::fmt::Write as _;

use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sim::run::Options;
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
    let until = sim::time::from_secs(r.until_s);
    let mut sim = Simulation::new(
        r.params,
        r.seed,
        Options {
            keep_events: r.ndjson,
            series: !r.ndjson,
        },
    );
    let name = format!("switchboard-{id}-seed{}-{:.0}s", r.seed, r.until_s);
    if !r.ndjson {
        sim.advance_to(until);
        return Ok((crate::cli::csv(&sim), format!("{name}.csv")));
    }
    let mut out = String::new();
    let mut lines = 0;
    let mut t = 0;
    while t < until {
        t = (t + sim::time::SECOND).min(until);
        sim.advance_to(t);
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
    Ok((out, format!("{name}.ndjson")))
}

pub async fn export(Query(query): Query<Vec<(String, String)>>) -> Response {
    let done = tokio::task::spawn_blocking(move || {
        let ndjson = query.iter().any(|(k, v)| k == "format" && v == "ndjson");
        render(&query).map(|r| (r, ndjson))
    })
    .await;
    match done {
        Ok(Ok(((body, file), ndjson))) => (
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
}
