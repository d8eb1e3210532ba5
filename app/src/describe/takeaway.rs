//! What each chart says, for those who cannot see it: a one-line takeaway
//! that changes with the data ("p95 rising: 120 → 340 ms over the last
//! 10 s") and the chart's last seconds as a table, one row a second.

use crate::charts::pane_charts::CHARTS;
use crate::charts::series::Series;

use super::words::{rate, wait};

/// The stretch a takeaway compares across, in virtual seconds.
pub const TREND_S: f64 = 10.0;
/// Rows of a chart's table: its last seconds, one row each.
pub const TABLE_ROWS: usize = 10;

/// A chart's data as a table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub caption: String,
    /// Column headers, the time first.
    pub head: Vec<String>,
    /// One row a virtual second, oldest first; the time first.
    pub rows: Vec<Vec<String>>,
}

/// The mean of line `line` over the points in `[from, to]` seconds.
fn mean(s: &Series, line: usize, from: f64, to: f64) -> Option<f64> {
    let l = s.lines.get(line)?;
    let (mut sum, mut n) = (0.0, 0);
    for (t, v) in s.t.iter().zip(l) {
        if *t >= from && *t <= to {
            sum += v;
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// Line `line` now (its last second) and `TREND_S` ago (the first second of
/// the stretch), and how many seconds apart they are.
fn ends(s: &Series, line: usize) -> Option<(f64, f64, f64)> {
    let last = *s.t.back()?;
    let first = s.t.iter().copied().find(|t| *t >= last - TREND_S)?;
    let now = mean(s, line, last - 1.0, last)?;
    let then = mean(s, line, first, first + 1.0)?;
    Some((then, now, last - first))
}

/// "rising: 120 → 340 ms over the last 10 s", "steady at about 40 ms".
fn trend(s: &Series, line: usize, say: impl Fn(f64) -> String) -> Option<String> {
    let (then, now, span) = ends(s, line)?;
    let moved = (now - then).abs() >= 0.2 * then.abs().max(now.abs()) && (now - then).abs() >= 1.0;
    Some(if moved && span >= 2.0 {
        let way = if now > then { "rising" } else { "falling" };
        format!(
            "{way}: {} → {} over the last {:.0} s",
            say(then),
            say(now),
            span
        )
    } else {
        format!("steady at about {}", say(now))
    })
}

/// The takeaway line of chart `chart` (in [`CHARTS`] order).
pub fn takeaway(chart: usize, s: &Series) -> String {
    if s.is_empty() {
        return "No data yet.".into();
    }
    let last = |line: usize| {
        s.lines
            .get(line)
            .and_then(|l| l.back())
            .copied()
            .unwrap_or(0.0)
    };
    let text = match chart {
        0 => trend(s, 1, wait)
            .map(|t| format!("p95 {t} (p50 {}, p99 {})", wait(last(0)), wait(last(2)))),
        1 => trend(s, 1, |v| format!("{} a second", rate(v))).map(|t| {
            format!(
                "Useful {t}; offered {} a second, {} messages a second on the wire",
                rate(last(0)),
                rate(last(2))
            )
        }),
        2 => {
            let names = CHARTS[2].names;
            let parts: Vec<f64> = (0..names.len()).map(last).collect();
            let total: f64 = parts.iter().sum();
            let (i, most) = parts
                .iter()
                .copied()
                .enumerate()
                .fold((0, 0.0), |a, (i, v)| if v > a.1 { (i, v) } else { a });
            Some(if total <= 0.0 {
                "No waits to split yet".into()
            } else {
                format!(
                    "Most of the wait is {}: {} of {}",
                    names[i],
                    wait(most),
                    wait(total)
                )
            })
        }
        _ => trend(s, 0, |v| format!("{v:.0}"))
            .map(|t| format!("Queued {t}; {:.0} in flight", last(1))),
    };
    let mut text = text.unwrap_or_else(|| "No data yet".into());
    if !text.ends_with('.') {
        text.push('.');
    }
    let first = text.remove(0).to_ascii_uppercase();
    format!("{first}{text}")
}

/// Chart `chart`'s last [`TABLE_ROWS`] seconds: at each whole second the
/// newest point at or before it.
pub fn table(chart: usize, s: &Series) -> Table {
    let spec = &CHARTS[chart];
    let mut head = vec!["Time (s)".to_string()];
    head.extend(spec.names.iter().map(|n| format!("{n} ({})", spec.unit)));
    let mut rows = Vec::new();
    if let Some(&last) = s.t.back() {
        let end = last.floor();
        let start = (end - (TABLE_ROWS as f64 - 1.0)).max(0.0);
        let mut k = 0;
        let mut second = start;
        while second <= end {
            while k + 1 < s.len() && s.t[k + 1] <= second {
                k += 1;
            }
            if s.t[k] <= second {
                let mut row = vec![format!("{second:.0}")];
                row.extend(s.lines.iter().map(|l| cell(l[k])));
                rows.push(row);
            }
            second += 1.0;
        }
    }
    Table {
        caption: format!(
            "{}: the last {} seconds, one row a second",
            spec.title,
            rows.len()
        ),
        head,
        rows,
    }
}

/// A table cell: three significant figures.
fn cell(v: f64) -> String {
    crate::format::fmt_number(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rising() -> Series {
        let mut s = Series::new(3, 300);
        for k in 0..=200 {
            let t = k as f64 * 0.1;
            let p95 = if t < 10.0 {
                40.0
            } else {
                40.0 + (t - 10.0) * 30.0
            };
            s.push(t, &[p95 / 3.0, p95, p95 * 1.5]);
        }
        s
    }

    #[test]
    fn a_rising_wait_says_so_with_its_ends() {
        let text = takeaway(0, &rising());
        assert!(text.starts_with("P95 rising: 55 ms → 325 ms"), "{text}");
        assert!(text.contains("over the last 10 s"), "{text}");
        let mut flat = Series::new(3, 300);
        for k in 0..100 {
            flat.push(k as f64 * 0.1, &[10.0, 40.0, 60.0]);
        }
        assert_eq!(
            takeaway(0, &flat),
            "P95 steady at about 40 ms (p50 10 ms, p99 60 ms)."
        );
        assert_eq!(takeaway(0, &Series::new(3, 10)), "No data yet.");
    }

    #[test]
    fn a_table_has_a_row_a_second_and_a_header_per_line() {
        let t = table(0, &rising());
        assert_eq!(t.head, ["Time (s)", "p50 (ms)", "p95 (ms)", "p99 (ms)"]);
        assert_eq!(t.rows.len(), TABLE_ROWS);
        assert_eq!(t.rows[0][0], "11");
        assert_eq!(t.rows[9][0], "20");
        assert_eq!(t.rows[9][2], "340");
        assert!(t.caption.starts_with("Waiting time: the last 10 seconds"));
    }
}
