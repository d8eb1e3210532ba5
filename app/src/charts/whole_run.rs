//! The whole run in one chart, not only the last 20 seconds: the run's
//! per-second figures (replayed by the server from the page's recipe,
//! the CSV an export gives) downsampled to the chart's width with the
//! smallest and largest value of every bucket kept — a spike one second
//! long still shows at any zoom — and the live changes marked.

use crate::charts::series::Series;
use sim::ParamSet;

/// A fault's window on the run's clock: from, to (virtual seconds), and
/// what it is ("outage", "spike").
pub type Window = (f64, f64, &'static str);

/// The fault windows `params` set (an outage, a load spike), as the
/// whole-run charts shade them.
pub fn windows(params: &ParamSet) -> Vec<Window> {
    let mut out = Vec::new();
    for (at, len, name) in [
        ("outage_at_s", "outage_s", "outage"),
        ("spike_at_s", "spike_s", "spike"),
    ] {
        if params.spec(at).is_ok() && params.spec(len).is_ok() {
            let (a, l) = (params.get(at), params.get(len));
            if l > 0.0 {
                out.push((a, a + l, name));
            }
        }
    }
    out
}

/// One virtual second of the run (a row of the CSV export).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Second {
    pub t: f64,
    pub completed: f64,
    pub p50: f64,
    pub p95: f64,
}

/// Reads `t,offered,completed,p50,p95,p99,queue_depth` rows; a row that
/// does not read is skipped.
pub fn parse_csv(text: &str) -> Vec<Second> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<f64> = line
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .ok()?;
            (f.len() >= 5).then(|| Second {
                t: f[0],
                completed: f[2],
                p50: f[3],
                p95: f[4],
            })
        })
        .collect()
}

/// The seconds as at most `2 × buckets` points per line: for each bucket
/// the smallest values at its first second and the largest at its last,
/// so the line passes through both. `pick` chooses the lines drawn.
pub fn envelope(seconds: &[Second], buckets: usize, pick: &[fn(&Second) -> f64]) -> Series {
    let per = seconds.len().div_ceil(buckets.max(1)).max(1);
    let mut s = Series::new(pick.len(), 2 * buckets.max(1) + 2);
    for chunk in seconds.chunks(per) {
        let (first, last) = (chunk[0].t, chunk[chunk.len() - 1].t);
        let lo: Vec<f64> = pick
            .iter()
            .map(|f| chunk.iter().map(f).fold(f64::INFINITY, f64::min))
            .collect();
        let hi: Vec<f64> = pick
            .iter()
            .map(|f| chunk.iter().map(f).fold(f64::NEG_INFINITY, f64::max))
            .collect();
        if per == 1 {
            s.push(first, &hi);
        } else {
            s.push(first, &lo);
            s.push(last, &hi);
        }
    }
    s
}

/// The chart in a sentence: its span, the worst p95 and when, the range of
/// completed per second, the changes marked.
pub fn takeaway(seconds: &[Second], changes: usize, faults: &[Window]) -> String {
    let (Some(first), Some(last)) = (seconds.first(), seconds.last()) else {
        return "The run has not reached its first second yet.".into();
    };
    let worst = seconds
        .iter()
        .copied()
        .fold(*first, |a, b| if b.p95 > a.p95 { b } else { a });
    let (lo, hi) = seconds.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), s| {
        (lo.min(s.completed), hi.max(s.completed))
    });
    let marks = match changes {
        0 => "no live changes".to_string(),
        1 => "1 live change marked".to_string(),
        n => format!("{n} live changes marked"),
    };
    let shaded: Vec<String> = faults
        .iter()
        .filter(|(from, _, _)| *from < last.t)
        .map(|(from, to, name)| format!("the {name} ({from:.0}–{to:.0} s)"))
        .collect();
    let shaded = match shaded.len() {
        0 => String::new(),
        1 => format!("; {} shaded", shaded[0]),
        _ => format!("; {} shaded", shaded.join(" and ")),
    };
    format!(
        "The whole run, {:.0} to {:.0} s: p95 wait peaked at {} at {:.0} s; completed {:.0} to {:.0} a second; {marks}{shaded}.",
        first.t - 1.0,
        last.t,
        crate::format::fmt_ms(worst.p95),
        worst.t,
        lo,
        hi
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize) -> Vec<Second> {
        (1..=n)
            .map(|i| Second {
                t: i as f64,
                completed: 50.0 + (i % 7) as f64,
                p50: 10.0,
                p95: if i == 137 {
                    900.0
                } else {
                    20.0 + (i % 3) as f64
                },
            })
            .collect()
    }

    #[test]
    fn every_second_lies_inside_the_envelope_and_a_one_second_spike_survives() {
        let seconds = run(1_000);
        let s = envelope(&seconds, 120, &[|s| s.p95, |s| s.completed]);
        assert!(s.len() <= 2 * 120 + 2, "{}", s.len());
        let p95: Vec<f64> = s.lines[0].iter().copied().collect();
        assert_eq!(p95.iter().copied().fold(0.0, f64::max), 900.0);
        let (lo, hi) = (
            s.lines[1].iter().copied().fold(f64::INFINITY, f64::min),
            s.lines[1].iter().copied().fold(0.0, f64::max),
        );
        assert!(seconds
            .iter()
            .all(|x| x.completed >= lo && x.completed <= hi));
        // Few seconds: one point each, as they are.
        let short = envelope(&seconds[..10], 120, &[|s| s.p50]);
        assert_eq!(short.len(), 10);
    }

    #[test]
    fn the_csv_export_reads_back_and_is_told_in_a_sentence() {
        let text = "t,offered,completed,p50,p95,p99,queue_depth\n1,80,78,12.500,30.000,41.000,0.000\n2,80,81,13.000,1200.000,1300.000,4.000\nbad,row\n";
        let rows = parse_csv(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].p95, 1200.0);
        let said = takeaway(&rows, 1, &[]);
        assert!(
            said.contains("0 to 2 s") && said.contains("at 2 s") && said.contains("1 live change"),
            "{said}"
        );
        let said = takeaway(&rows, 0, &[(1.0, 1.5, "outage"), (30.0, 35.0, "spike")]);
        assert!(
            said.ends_with("no live changes; the outage (1–2 s) shaded."),
            "{said}"
        );
    }

    #[test]
    fn faults_set_are_windows_and_faults_off_are_none() {
        let info = sim::find_pattern("request-response").unwrap();
        let mut p = info.defaults();
        assert!(windows(&p).is_empty());
        p.set_str("outage_at_s", "20").unwrap();
        p.set_str("outage_s", "10").unwrap();
        assert_eq!(windows(&p), vec![(20.0, 30.0, "outage")]);
    }
}
