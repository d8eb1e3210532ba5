//! What a sweep asks for, checked: the pattern and its settings, the
//! parameter varied and its points, replications, length, seed, a second
//! alternative to compare with, a precision to reach. Every refusal is one
//! line naming the problem and what is admissible.

use crate::params::{Kind, ParamSet, ParamSpec};
use crate::time::{self, Time};
use crate::{find_pattern, PatternInfo};

/// Most points one sweep has.
pub const MAX_POINTS: usize = 200;
/// Fewest replications a point has (an interval needs two).
pub const MIN_REPS: usize = 2;
/// Most replications a point starts with.
pub const MAX_REPS: usize = 1_000;
/// Most replications `--precision` lets one point grow to.
pub const MAX_ADAPTIVE_REPS: usize = 200;
/// Longest replication, in virtual seconds.
pub const MAX_DURATION_S: f64 = 100_000.0;
/// Most runs (replications of every point, of both alternatives) one
/// sweep starts with.
pub const MAX_RUNS: usize = 20_000;
/// Relative precision one may ask for, as a fraction of the mean.
pub const PRECISION_RANGE: (f64, f64) = (0.001, 0.5);

/// One of the alternatives a sweep runs: a pattern and its settings.
#[derive(Clone, Debug)]
pub struct Alternative {
    /// How the output names it ("request-response", "workers=2").
    pub label: String,
    pub info: &'static PatternInfo,
    /// Its values at every point but the varied parameter.
    pub base: ParamSet,
}

/// A checked sweep.
#[derive(Clone, Debug)]
pub struct Plan {
    pub main: Alternative,
    /// A second alternative run on the same random streams.
    pub vs: Option<Alternative>,
    pub vary: &'static ParamSpec,
    /// The varied parameter's value at each point.
    pub values: Vec<f64>,
    pub reps: usize,
    pub duration: Time,
    pub seed: u64,
    /// Add replications until the mean wait's half-width is within this
    /// fraction of the mean (capped at [`MAX_ADAPTIVE_REPS`]).
    pub precision: Option<f64>,
}

/// What the command line (or the page) asks for, unchecked.
#[derive(Clone, Debug, Default)]
pub struct Ask {
    pub pattern: String,
    /// `id=from..to:points`.
    pub vary: String,
    /// `id=value`, each.
    pub sets: Vec<String>,
    pub reps: usize,
    pub duration_s: f64,
    pub seed: u64,
    /// A pattern id and/or `id=value` settings, comma-separated.
    pub vs: Option<String>,
    /// `5%` or `0.05`.
    pub precision: Option<String>,
}

/// `n` values evenly spaced from `from` to `to`, ends included (rounded
/// for a whole-number parameter): a sweep's points, as the page plans
/// them too.
pub fn spaced(from: f64, to: f64, n: usize, integer: bool) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let v = if n <= 1 {
                from
            } else {
                from + (to - from) * i as f64 / (n - 1) as f64
            };
            if integer {
                v.round()
            } else {
                v
            }
        })
        .collect()
}

/// Applies one `id=value` (what `--set` takes) to `params`; `what` names
/// the option in the refusal.
pub fn apply_set(params: &mut ParamSet, set: &str, what: &str) -> Result<(), String> {
    let (id, value) = set
        .split_once('=')
        .ok_or_else(|| format!("{what} '{set}' is not of the form id=value"))?;
    params
        .set_str(id.trim(), value.trim())
        .map_err(|e| e.to_string())
}

fn number(text: &str, what: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{what} '{}' is not a number", crate::params::clip(text)))
}

impl Plan {
    pub fn new(ask: &Ask) -> Result<Plan, String> {
        let info = find_pattern(&ask.pattern).map_err(|e| e.to_string())?;
        let mut base = info.defaults();
        for set in &ask.sets {
            apply_set(&mut base, set, "--set")?;
        }
        let bad_vary = || {
            format!(
                "--vary '{}' is not of the form id=from..to:points (e.g. rate=10..95:20)",
                crate::params::clip(&ask.vary)
            )
        };
        let (id, range) = ask.vary.split_once('=').ok_or_else(bad_vary)?;
        let (span, points) = range.rsplit_once(':').ok_or_else(bad_vary)?;
        let (from, to) = span.split_once("..").ok_or_else(bad_vary)?;
        let (_, vary) = base.spec(id.trim()).map_err(|e| e.to_string())?;
        let Kind::Number { integer, .. } = vary.kind else {
            return Err(format!(
                "{} is not a number (a choice or a switch): a sweep varies a number",
                vary.id
            ));
        };
        let from = vary
            .check(number(from, "from")?)
            .map_err(|e| e.to_string())?;
        let to = vary.check(number(to, "to")?).map_err(|e| e.to_string())?;
        let points: usize = points
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=MAX_POINTS).contains(n))
            .ok_or_else(|| {
                format!(
                    "points = '{}' is out of range: expected from 1 to {MAX_POINTS}",
                    crate::params::clip(points)
                )
            })?;
        let values = spaced(from, to, points, integer);
        if !(MIN_REPS..=MAX_REPS).contains(&ask.reps) {
            return Err(format!(
                "reps = {} is out of range: expected from {MIN_REPS} to {MAX_REPS} replications",
                ask.reps
            ));
        }
        if !(ask.duration_s.is_finite() && (0.1..=MAX_DURATION_S).contains(&ask.duration_s)) {
            return Err(format!(
                "duration = {} is out of range: expected from 0.1 to {MAX_DURATION_S} virtual seconds",
                ask.duration_s
            ));
        }
        let vs = match &ask.vs {
            None => None,
            Some(text) => Some(alternative(info, &base, &ask.sets, text, vary)?),
        };
        let precision = match &ask.precision {
            None => None,
            Some(text) => {
                let t = text.trim();
                let v = match t.strip_suffix('%') {
                    Some(p) => number(p, "precision")? / 100.0,
                    None => number(t, "precision")?,
                };
                let (lo, hi) = PRECISION_RANGE;
                if !(lo..=hi).contains(&v) {
                    return Err(format!(
                        "precision = {} is out of range: expected from {}% to {}% of the mean",
                        crate::params::clip(t),
                        lo * 100.0,
                        hi * 100.0
                    ));
                }
                Some(v)
            }
        };
        let runs = points * ask.reps * if vs.is_some() { 2 } else { 1 };
        if runs > MAX_RUNS {
            return Err(format!(
                "{points} points × {} replications{} = {runs} runs, more than a sweep runs ({MAX_RUNS}): fewer points or replications",
                ask.reps,
                if vs.is_some() { " × 2 alternatives" } else { "" }
            ));
        }
        Ok(Plan {
            main: Alternative {
                label: info.id.to_string(),
                info,
                base,
            },
            vs,
            vary,
            values,
            reps: ask.reps,
            duration: time::from_secs(ask.duration_s),
            seed: ask.seed,
            precision,
        })
    }

    /// The alternatives, the main one first.
    pub fn alternatives(&self) -> Vec<&Alternative> {
        std::iter::once(&self.main)
            .chain(self.vs.as_ref())
            .collect()
    }

    /// `alt`'s values at point `point`.
    pub fn params(&self, alt: usize, point: usize) -> ParamSet {
        let mut p = self.alternatives()[alt].base.clone();
        // Checked against the same spec when the plan was made.
        let _ = p.set(self.vary.id, self.values[point]);
        p
    }
}

/// `--vs`: another pattern and/or other settings. Another pattern starts at
/// its defaults and takes the main settings it shares; the settings given
/// come last.
fn alternative(
    main: &'static PatternInfo,
    main_base: &ParamSet,
    sets: &[String],
    text: &str,
    vary: &ParamSpec,
) -> Result<Alternative, String> {
    let items: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err("--vs is empty: give a pattern id and/or id=value settings".into());
    }
    let other = items.iter().find(|s| !s.contains('='));
    let (info, mut base) = match other {
        Some(id) => {
            let info = find_pattern(id).map_err(|e| format!("--vs: {e}"))?;
            let mut base = info.defaults();
            for set in sets {
                if let Some((id, value)) = set.split_once('=') {
                    if base.spec(id.trim()).is_ok() {
                        apply_set(&mut base, set, "--set")?;
                    } else {
                        let _ = value;
                    }
                }
            }
            (info, base)
        }
        None => (main, main_base.clone()),
    };
    for set in items.iter().filter(|s| s.contains('=')) {
        apply_set(&mut base, set, "--vs")?;
    }
    if base.spec(vary.id).is_err() {
        return Err(format!(
            "--vs: {} has no parameter {} to vary",
            info.id, vary.id
        ));
    }
    Ok(Alternative {
        label: items.join(","),
        info,
        base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(vary: &str) -> Ask {
        Ask {
            pattern: "request-response".into(),
            vary: vary.into(),
            reps: 10,
            duration_s: 60.0,
            seed: 1,
            ..Ask::default()
        }
    }

    #[test]
    fn points_span_the_range_and_whole_numbers_stay_whole() {
        let p = Plan::new(&ask("rate=10..100:10")).unwrap();
        assert_eq!(p.values.len(), 10);
        assert_eq!((p.values[0], p.values[9]), (10.0, 100.0));
        let w = Plan::new(&ask("workers=1..4:3")).unwrap();
        assert_eq!(w.values, vec![1.0, 3.0, 4.0]);
        assert_eq!(Plan::new(&ask("rate=50..90:1")).unwrap().values, vec![50.0]);
    }

    #[test]
    fn bad_asks_are_refused_in_one_line_naming_the_problem() {
        let refuse = |a: Ask| Plan::new(&a).unwrap_err();
        assert!(refuse(ask("nope=1..2:3")).contains("nope"));
        assert!(refuse(ask("rate=1..2")).contains("id=from..to:points"));
        assert!(refuse(ask("rate=1..2:0")).contains("points = '0' is out of range"));
        assert!(refuse(ask("rate=1..2:5000")).contains("expected from 1 to 200"));
        assert!(refuse(ask("rate=1..1e12:3")).contains("rate"));
        assert!(refuse(ask("rate=x..2:3")).contains("not a number"));
        assert!(refuse(ask("service_dist=0..1:2")).contains("varies a number"));
        assert!(refuse(Ask {
            reps: 1,
            ..ask("rate=1..2:3")
        })
        .contains("reps = 1"));
        assert!(refuse(Ask {
            reps: 1_000_000,
            ..ask("rate=1..2:3")
        })
        .contains("reps"));
        assert!(refuse(Ask {
            duration_s: f64::NAN,
            ..ask("rate=1..2:3")
        })
        .contains("duration"));
        assert!(refuse(Ask {
            reps: 200,
            ..ask("rate=1..2:200")
        })
        .contains("more than a sweep runs"));
        assert!(refuse(Ask {
            precision: Some("0%".into()),
            ..ask("rate=1..2:3")
        })
        .contains("precision"));
        assert!(refuse(Ask {
            vs: Some("nope".into()),
            ..ask("rate=1..2:3")
        })
        .contains("--vs"));
        assert!(refuse(Ask {
            vs: Some("short-polling".into()),
            ..ask("timeout_ms=100..200:2")
        })
        .contains("no parameter"));
        for e in [refuse(ask("rate=1..2:0")), refuse(ask("nope=1..2:3"))] {
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn an_alternative_takes_the_shared_settings_then_its_own() {
        let a = Ask {
            sets: vec!["service_ms=20".into()],
            vs: Some("message-queue, consumers=3".into()),
            precision: Some("5%".into()),
            ..ask("rate=10..40:4")
        };
        let p = Plan::new(&a).unwrap();
        let vs = p.vs.as_ref().unwrap();
        assert_eq!(vs.info.id, "message-queue");
        assert_eq!(vs.label, "message-queue,consumers=3");
        assert_eq!(vs.base.get("consumers"), 3.0);
        assert_eq!(p.precision, Some(0.05));
        assert_eq!(p.params(1, 3).get("rate"), 40.0);
        assert_eq!(p.params(0, 0).get("service_ms"), 20.0);
    }
}
