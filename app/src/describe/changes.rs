//! What changed between two readings of a pane, worth saying aloud: a
//! waiting time that rose or fell, deliveries that sped up or slowed, a
//! queue that grew or drained, drops or failures that started, stopped,
//! doubled or halved — and the notable events of a run, each said once
//! (an outage beginning or ending, the first full queue, the first dead
//! letter, a consumer's crash…). A steady run changes nothing, so says
//! nothing.

use sim::{DropReason, FailReason};

use super::words::{count, listed, rate, wait};
use super::{Context, Reading};

/// Counts over one interval between two readings (exact: from the
/// metrics' totals): a rate that goes on is not news; one that starts,
/// stops, or moves by more than chance explains, is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates {
    /// Virtual seconds the interval lasted (0: no interval yet).
    pub secs: f64,
    pub offered: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub failed: u64,
}

impl Rates {
    pub fn between(before: &Reading, after: &Reading) -> Rates {
        let (b, a) = (&before.metrics.totals, &after.metrics.totals);
        Rates {
            secs: after.secs_since(before),
            offered: a.offered.saturating_sub(b.offered),
            delivered: a.completed.saturating_sub(b.completed),
            dropped: a
                .dropped
                .iter()
                .sum::<u64>()
                .saturating_sub(b.dropped.iter().sum()),
            failed: a.failed.saturating_sub(b.failed),
        }
    }

    fn per_s(&self, n: u64) -> f64 {
        if self.secs > 0.0 {
            n as f64 / self.secs
        } else {
            0.0
        }
    }
}

/// Whether a count of `n1` in `r1` against `n0` in `r0` is a change in
/// the rate: by a quarter, by at least [`RATE_PER_S`], and by more than
/// three standard errors of two Poisson counts (noise at low rates is not
/// news).
fn rate_moved(r0: &Rates, n0: u64, r1: &Rates, n1: u64) -> bool {
    if r0.secs <= 0.0 || r1.secs <= 0.0 {
        return false;
    }
    let (a, b) = (r0.per_s(n0), r1.per_s(n1));
    let se = (n0 as f64 / (r0.secs * r0.secs) + n1 as f64 / (r1.secs * r1.secs)).sqrt();
    (b >= 1.25 * a || b * 1.25 <= a) && (b - a).abs() >= RATE_PER_S && (b - a).abs() > 3.0 * se
}

/// A waiting time moved when it rose by half or fell by a third, and by
/// at least this (the snapshot's p95 is of the last second: noisier than
/// a rate over seconds)…
const WAIT_MS: f64 = 2.0;
/// …and both seconds had at least this many waits.
const WAITS: u64 = 20;
/// A rate moved when it changed by a quarter and at least this per second
/// (rates are measured over the whole interval, from exact totals).
const RATE_PER_S: f64 = 2.0;

/// What changed from `before` to `after`, as clauses ("p95 wait rose from
/// 40 ms to 120 ms"); `last` is the loss rates of the interval before, to
/// tell a new loss from one that goes on.
pub fn changes(cx: &Context, before: &Reading, after: &Reading, last: Rates) -> Vec<String> {
    let (m0, m1) = (&before.metrics, &after.metrics);
    let mut out = Vec::new();
    if m0.wait.count >= WAITS && m1.wait.count >= WAITS {
        let (w0, w1) = (m0.wait.p95, m1.wait.p95);
        if w1 >= 1.5 * w0 && w1 - w0 >= WAIT_MS {
            out.push(format!("p95 wait rose from {} to {}", wait(w0), wait(w1)));
        } else if w1 * 1.5 <= w0 && w0 - w1 >= WAIT_MS {
            out.push(format!("p95 wait fell from {} to {}", wait(w0), wait(w1)));
        }
    }
    let now = Rates::between(before, after);
    let [_, many] = cx.wants();
    let offered = format!("offered {many}");
    for (what, was, is) in [
        (offered.as_str(), last.offered, now.offered),
        ("delivered", last.delivered, now.delivered),
    ] {
        if rate_moved(&last, was, &now, is) {
            let (a, b) = (last.per_s(was), now.per_s(is));
            let way = if b > a { "rose" } else { "fell" };
            out.push(format!(
                "{what} {way} from {} to {} a second",
                rate(a),
                rate(b)
            ));
        }
    }
    let (q0, q1) = (m0.queue_depth, m1.queue_depth);
    if q1 >= q0 + (q0 / 2).max(QUEUE_MOVED) {
        out.push(format!("{q1} waiting in queues, up from {q0}"));
    } else if q0 >= QUEUE_MOVED && q1 <= q0 / 2 {
        out.push(format!("queues down to {q1} waiting from {q0}"));
    }
    let dt = now.secs;
    let lost = |label: &str, was: u64, is: u64, reasons: String| -> Option<String> {
        if last.secs <= 0.0 {
            None
        } else if is > 0 && was == 0 {
            Some(format!("{is} {label} ({reasons})"))
        } else if is == 0 && was >= LOSSES_GONE {
            Some(format!("no more {label}"))
        } else if rate_moved(&last, was, &now, is) && is > was {
            Some(format!("{label} up to {is} in {dt:.0} s ({reasons})"))
        } else if rate_moved(&last, was, &now, is) && is > 0 {
            Some(format!("{label} down to {is} in {dt:.0} s"))
        } else {
            None
        }
    };
    let (t0, t1) = (&m0.totals, &m1.totals);
    let drop_reasons = reasons(
        DropReason::ALL.iter().map(|r| r.label()),
        &t0.dropped,
        &t1.dropped,
    );
    out.extend(lost("dropped", last.dropped, now.dropped, drop_reasons));
    let fail_reasons = reasons(
        FailReason::ALL.iter().map(|r| r.label()),
        &t0.failed_by,
        &t1.failed_by,
    );
    out.extend(lost(
        &format!("{many} failed"),
        last.failed,
        now.failed,
        fail_reasons,
    ));
    out
}

/// A queue moved when it grew by half and at least this many, or halved
/// from at least this many (a few waiting come and go by chance).
const QUEUE_MOVED: u64 = 10;

/// Losses that stop are news only after at least this many in the
/// interval before (a few losses, then none, is chance).
const LOSSES_GONE: u64 = 5;

/// "queue full 30, lost on a link 7": the counts that grew, largest first.
fn reasons<'a>(labels: impl Iterator<Item = &'a str>, before: &[u64], after: &[u64]) -> String {
    let mut grew: Vec<(&str, u64)> = labels
        .zip(before.iter().zip(after))
        .map(|(l, (b, a))| (l, a.saturating_sub(*b)))
        .filter(|(_, n)| *n > 0)
        .collect();
    grew.sort_by_key(|g| std::cmp::Reverse(g.1));
    let parts: Vec<String> = grew.iter().map(|(l, n)| format!("{l} {n}")).collect();
    parts.join(", ")
}

/// The notable events of a run, each said once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Notable {
    OutageBegan,
    OutageEnded,
    QueueFull,
    Overflow,
    DeadLetter,
    Crash,
    Timeout,
    Disconnect,
    Compensation,
    ServiceDown,
}

/// Which notable events a run has had said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Said(u16);

impl Said {
    pub fn has(self, n: Notable) -> bool {
        self.0 & (1 << n as u16) != 0
    }

    fn mark(&mut self, n: Notable) {
        self.0 |= 1 << n as u16;
    }
}

/// The notable events between `before` and `after` not said yet in this
/// run, as sentences; marks them said.
pub fn notables(cx: &Context, before: &Reading, after: &Reading, said: &mut Said) -> Vec<String> {
    let mut found: Vec<(Notable, String)> = Vec::new();
    let (t0, t1) = (sim::time::to_secs(before.at), sim::time::to_secs(after.at));
    if let (Some(at), Some(len)) = (cx.param("outage_at_s"), cx.param("outage_s")) {
        if len > 0.0 {
            if t0 < at && at <= t1 {
                found.push((
                    Notable::OutageBegan,
                    format!(
                        "An outage began: for {} s, arriving work is refused",
                        rate(len)
                    ),
                ));
            }
            if t0 < at + len && at + len <= t1 {
                found.push((
                    Notable::OutageEnded,
                    format!("The outage ended after {} s", rate(len)),
                ));
            }
        }
    }
    let (d0, d1) = (
        &before.metrics.totals.dropped,
        &after.metrics.totals.dropped,
    );
    let first = |r: DropReason| {
        let i = DropReason::ALL.iter().position(|&x| x == r).unwrap_or(0);
        d0[i] == 0 && d1[i] > 0
    };
    let [_, many] = cx.wants();
    if first(DropReason::QueueFull) {
        found.push((
            Notable::QueueFull,
            format!("A queue is full: new {many} are turned away"),
        ));
    }
    if first(DropReason::Overflow) {
        found.push((
            Notable::Overflow,
            "A buffer overflowed: the oldest messages are dropped".into(),
        ));
    }
    if first(DropReason::DeadLetter) {
        found.push((
            Notable::DeadLetter,
            "The first message was dead-lettered after too many deliveries".into(),
        ));
    }
    if first(DropReason::Disconnected) {
        found.push((
            Notable::Disconnect,
            "A connection dropped: what was on it is gone".into(),
        ));
    }
    if first(DropReason::ServiceDown)
        && !said.has(Notable::OutageBegan)
        && !found.iter().any(|f| f.0 == Notable::OutageBegan)
    {
        found.push((
            Notable::ServiceDown,
            "Work arrived at a node that is down and was dropped".into(),
        ));
    }
    let crashed = cx.topology.nodes.iter().enumerate().find(|(i, n)| {
        n.workers > 0
            && before.nodes.get(*i).is_some_and(|s| s.workers > 0)
            && after.nodes.get(*i).is_some_and(|s| s.workers == 0)
    });
    if let Some((_, node)) = crashed {
        found.push((
            Notable::Crash,
            format!("{} crashed", super::words::capitalised(&node.label)),
        ));
    } else if first(DropReason::Crashed) {
        found.push((Notable::Crash, "A consumer crashed".into()));
    }
    let (m0, m1) = (&before.metrics.totals, &after.metrics.totals);
    if m0.timed_out == 0 && m1.timed_out > 0 {
        found.push((
            Notable::Timeout,
            format!(
                "The first timeouts: {} given up on",
                count(m1.timed_out, cx.wants())
            ),
        ));
    }
    let comp = FailReason::ALL
        .iter()
        .position(|&r| r == FailReason::Compensated)
        .unwrap_or(0);
    if m0.failed_by[comp] == 0 && m1.failed_by[comp] > 0 {
        found.push((
            Notable::Compensation,
            "A step failed: compensations undo the earlier steps".into(),
        ));
    }
    found.sort_by_key(|f| f.0);
    let mut out = Vec::new();
    for (n, text) in found {
        if !said.has(n) {
            said.mark(n);
            out.push(text);
        }
    }
    out
}

/// The clauses as one sentence, named by pane when panes are compared.
pub fn sentence(cx: &Context, clauses: &[String]) -> String {
    let body = listed(clauses);
    let body = super::words::capitalised(&body);
    if cx.panes > 1 {
        format!("{}: {body}.", cx.title())
    } else {
        format!("{body}.")
    }
}
