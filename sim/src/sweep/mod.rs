//! What-if sweeps: the curve behind a slider.
//!
//! A sweep runs one pattern at each of a range of values of one parameter,
//! several independent replications per point, and reports every figure
//! `simulate` reports as a mean with its 95 % confidence half-width
//! (Student's t), beside the closed form where one exists. Replication `r`
//! uses the same seed at every point — and so the same random streams for
//! the same purposes (arrivals, service, network, client) — so
//! neighbouring points differ by the parameter alone (common random
//! numbers); a second alternative (`--vs`) runs on the same streams too,
//! and their difference is reported paired, replication by replication.
//! Each replication's warm-up is cut by MSER-5 ([`mser`]).
//!
//! `sim` never spawns threads: [`sweep`] says which runs a point needs and
//! the caller runs them — on as many threads as it likes, since a run
//! depends only on its point and replication index, and results come back
//! in the order asked. The output is byte-identical whatever the threads.

pub mod mser;
mod plan;
mod replicate;
pub mod stats;

pub use plan::{
    apply_set, spaced, Alternative, Ask, Plan, MAX_ADAPTIVE_REPS, MAX_DURATION_S, MAX_POINTS,
    MAX_REPS, MAX_RUNS, MIN_REPS,
};
pub use replicate::{replicate, Replication, COMMON};

use stats::{estimate, paired, Estimate};

/// Utilisation at or past which a point is flagged slow to converge: its
/// run-to-run spread is so large that a few replications give a
/// misleadingly tight interval.
pub const SLOW_RHO: f64 = 0.95;

/// The seed of replication `rep` (splitmix64 of the sweep's seed and the
/// index): the same at every point and for both alternatives.
pub fn rep_seed(seed: u64, rep: usize) -> u64 {
    let mut z = seed ^ (rep as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One run a sweep needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// 0: the main alternative; 1: `--vs`.
    pub alt: usize,
    pub point: usize,
    pub rep: usize,
}

impl Plan {
    /// Runs one job (on whatever thread the caller chose).
    pub fn run(&self, job: Job) -> Replication {
        replicate(
            self.params(job.alt, job.point),
            rep_seed(self.seed, job.rep),
            self.duration,
        )
    }
}

/// One figure at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub figure: String,
    pub estimate: Estimate,
    /// The closed form's value, where there is one.
    pub theory: Option<f64>,
}

/// The paired difference main − vs of one figure at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub figure: String,
    pub estimate: Estimate,
    /// The half-width two independent samples would have given.
    pub independent_ci95: f64,
}

/// Everything measured at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct PointResult {
    pub value: f64,
    /// ρ from the closed form, where there is one.
    pub rho: Option<f64>,
    /// ρ ≥ [`SLOW_RHO`]: the interval may be too tight to trust.
    pub slow: bool,
    /// Replications run (per alternative).
    pub reps: usize,
    /// Replications that went over a run's memory budget (left out).
    pub over_budget: usize,
    /// Completed requests cut as warm-up, mean over replications.
    pub cut_mean: f64,
    pub events: u64,
    pub rows: Vec<Row>,
    /// The second alternative's figures (named as the main's).
    pub vs: Vec<Row>,
    pub differences: Vec<Difference>,
}

/// A whole sweep's results.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub points: Vec<PointResult>,
}

fn names(r: &Replication) -> Vec<String> {
    COMMON
        .iter()
        .map(|s| s.to_string())
        .chain(r.own.iter().cloned())
        .collect()
}

fn rows(
    plan: &Plan,
    alt: usize,
    point: usize,
    reps: &[Replication],
) -> (Vec<String>, Vec<Vec<f64>>, Vec<Row>) {
    let names = reps.first().map(names).unwrap_or_default();
    let columns: Vec<Vec<f64>> = (0..names.len())
        .map(|i| {
            reps.iter()
                .map(|r| r.values.get(i).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let theory = crate::run::Theory::for_params(&plan.params(alt, point));
    let rows = names
        .iter()
        .zip(&columns)
        .map(|(name, col)| Row {
            figure: name.clone(),
            estimate: estimate(col),
            theory: match (name.as_str(), &theory) {
                ("wait_ms.mean", Some(t)) => t.mean_wait_ms,
                ("utilisation", Some(t)) if t.utilisation < 1.0 => Some(t.utilisation),
                _ => None,
            },
        })
        .collect();
    (names, columns, rows)
}

/// Runs a sweep: for each point in order, asks `run` for its replications
/// (of both alternatives) and, with a precision asked, for more until the
/// mean wait's half-width is within it (at most [`MAX_ADAPTIVE_REPS`]); each
/// point is passed to `done` as it is finished. `run` returns one
/// replication per job, in the order given; returning fewer stops the sweep
/// there (cancelled), and the points finished so far are the curve.
pub fn sweep(
    plan: &Plan,
    mut run: impl FnMut(&[Job]) -> Vec<Replication>,
    mut done: impl FnMut(usize, &PointResult),
) -> Curve {
    let alts = plan.alternatives().len();
    let mut points = Vec::with_capacity(plan.values.len());
    'points: for point in 0..plan.values.len() {
        let rho = crate::run::Theory::for_params(&plan.params(0, point)).map(|t| t.utilisation);
        let slow = rho.is_some_and(|r| r >= SLOW_RHO);
        let mut reps: Vec<Vec<Replication>> = vec![Vec::new(); alts];
        let mut want = plan.reps;
        loop {
            let have = reps[0].len();
            let jobs: Vec<Job> = (have..want)
                .flat_map(|rep| (0..alts).map(move |alt| Job { alt, point, rep }))
                .collect();
            let got = run(&jobs);
            if got.len() < jobs.len() {
                break 'points;
            }
            for (job, r) in jobs.iter().zip(got) {
                reps[job.alt].push(r);
            }
            let Some(precision) = plan.precision.filter(|_| !slow) else {
                break;
            };
            let waits: Vec<f64> = reps[0].iter().map(|r| r.values[0]).collect();
            let e = estimate(&waits);
            if e.ci95.is_nan() || e.ci95 <= precision * e.mean.abs() || want >= MAX_ADAPTIVE_REPS {
                break;
            }
            want = (want + plan.reps).min(MAX_ADAPTIVE_REPS);
        }
        let (names, columns, main_rows) = rows(plan, 0, point, &reps[0]);
        let (vs_rows, differences) = if alts > 1 {
            let (vs_names, vs_columns, vs_rows) = rows(plan, 1, point, &reps[1]);
            let differences = names
                .iter()
                .zip(&columns)
                .filter_map(|(name, a)| {
                    let j = vs_names.iter().position(|n| n == name)?;
                    let (estimate, independent_ci95) = paired(a, &vs_columns[j]);
                    Some(Difference {
                        figure: name.clone(),
                        estimate,
                        independent_ci95,
                    })
                })
                .collect();
            (vs_rows, differences)
        } else {
            (Vec::new(), Vec::new())
        };
        let all = || reps.iter().flatten();
        let result = PointResult {
            value: plan.values[point],
            rho,
            slow,
            reps: reps[0].len(),
            over_budget: all().filter(|r| r.over_budget).count(),
            cut_mean: reps[0].iter().map(|r| r.cut as f64).sum::<f64>()
                / reps[0].len().max(1) as f64,
            events: all().map(|r| r.events).sum(),
            rows: main_rows,
            vs: vs_rows,
            differences,
        };
        done(point, &result);
        points.push(result);
    }
    Curve { points }
}

/// A number as the outputs print it: up to six decimals, no trailing
/// zeros; empty when there is none.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

impl Curve {
    /// `value,figure,mean,ci95,n,theory`: one row per point and figure;
    /// with a second alternative also its rows (`vs.<figure>`) and the
    /// paired differences (`diff.<figure>`, main − vs).
    pub fn csv(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("value,figure,mean,ci95,n,theory\n");
        for p in &self.points {
            let v = num(p.value);
            let mut line = |figure: &str, e: &Estimate, theory: Option<f64>| {
                let _ = writeln!(
                    out,
                    "{v},{figure},{},{},{},{}",
                    num(e.mean),
                    num(e.ci95),
                    e.n,
                    theory.map(num).unwrap_or_default()
                );
            };
            for r in &p.rows {
                line(&r.figure, &r.estimate, r.theory);
            }
            for r in &p.vs {
                line(&format!("vs.{}", r.figure), &r.estimate, r.theory);
            }
            for d in &p.differences {
                line(&format!("diff.{}", d.figure), &d.estimate, None);
            }
        }
        out
    }

    /// The curve as JSON: per point its value, ρ, flags, and each figure's
    /// mean, ci95, n and theory.
    pub fn json(&self, plan: &Plan) -> serde_json::Value {
        use serde_json::json;
        let figures = |rows: &[Row]| {
            rows.iter()
                .map(|r| {
                    (
                        r.figure.clone(),
                        json!({
                            "mean": finite(r.estimate.mean),
                            "ci95": finite(r.estimate.ci95),
                            "n": r.estimate.n,
                            "theory": r.theory.and_then(finite),
                        }),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
        };
        let points: Vec<serde_json::Value> = self
            .points
            .iter()
            .map(|p| {
                let mut o = json!({
                    "value": p.value,
                    "rho": p.rho.and_then(finite),
                    "slow_to_converge": p.slow,
                    "reps": p.reps,
                    "over_budget": p.over_budget,
                    "warm_up_cut_mean": finite(p.cut_mean),
                    "figures": figures(&p.rows),
                });
                if plan.vs.is_some() {
                    o["vs"] = serde_json::Value::Object(figures(&p.vs));
                    o["diff"] = p
                        .differences
                        .iter()
                        .map(|d| {
                            (
                                d.figure.clone(),
                                json!({
                                    "mean": finite(d.estimate.mean),
                                    "ci95": finite(d.estimate.ci95),
                                    "n": d.estimate.n,
                                    "independent_ci95": finite(d.independent_ci95),
                                }),
                            )
                        })
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                o
            })
            .collect();
        json!({
            "pattern": plan.main.info.id,
            "vary": plan.vary.id,
            "reps": plan.reps,
            "duration_s": crate::time::to_secs(plan.duration),
            "seed": plan.seed,
            "vs": plan.vs.as_ref().map(|v| v.label.clone()),
            "precision": plan.precision,
            "points": points,
        })
    }

    /// How much narrower the paired intervals of `figure` are than two
    /// independent samples would give: the median ratio over the points.
    pub fn pairing_gain(&self, figure: &str) -> Option<f64> {
        let mut ratios: Vec<f64> = self
            .points
            .iter()
            .flat_map(|p| &p.differences)
            .filter(|d| d.figure == figure)
            .map(|d| d.independent_ci95 / d.estimate.ci95)
            .filter(|r| r.is_finite())
            .collect();
        if ratios.is_empty() {
            return None;
        }
        ratios.sort_by(f64::total_cmp);
        Some(ratios[ratios.len() / 2])
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_the_same_way_every_time() {
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(0.000_000_1), "0");
        assert_eq!(num(-0.000_000_1), "0");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(1_234.567_891_2), "1234.567891");
    }

    #[test]
    fn replication_seeds_differ_and_repeat() {
        assert_eq!(rep_seed(1, 3), rep_seed(1, 3));
        assert_ne!(rep_seed(1, 3), rep_seed(1, 4));
        assert_ne!(rep_seed(1, 3), rep_seed(2, 3));
    }
}
