//! Metrics computed from every event.
//!
//! [`Metrics::apply`] sees each event the engine emits — none are sampled —
//! and keeps: waiting-time histograms (overall and per 100 ms bucket, merged
//! into a rolling one-second window), offered/completed/failed/wire counts,
//! time-weighted queue depth and utilisation, and drop and failure reasons.
//! [`Snapshot`] is what the viewer plots; [`SeriesRow`] is one line of the
//! CLI's per-second CSV.

use std::collections::VecDeque;

use hdrhistogram::{Counter, Histogram};
use serde::{Deserialize, Serialize};

use crate::event::{DropReason, Event, FailReason, MsgKind, What};
use crate::time::{self, Time, MS};

/// One node's counts at a moment: what a stage shows at a moment of the
/// past (`wire::Moment`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeCounts {
    pub queued: u32,
    pub busy: u32,
    /// `None`: as the topology says (no capacity change seen).
    pub workers: Option<u32>,
    pub open: u32,
}

/// Width of one metrics bucket. Ten buckets make the rolling window.
pub const BUCKET: Time = 100 * MS;
/// Buckets in the rolling window (one virtual second).
pub const WINDOW_BUCKETS: usize = 10;
/// Largest waiting time the histograms resolve, in microseconds (one hour);
/// longer waits are clamped to it.
const MAX_WAIT_US: u64 = 3_600_000_000;

fn new_histogram<T: Counter>() -> Histogram<T> {
    // Two significant digits: 1 % resolution in a few kilobytes.
    Histogram::new_with_bounds(1, MAX_WAIT_US, 2).expect("static histogram bounds are valid")
}

/// A histogram of one bucket's waits (or a window's: ten buckets): 32-bit
/// counts are ample for 100 ms or a second, and halve what each keyframe
/// copies (eleven of these are in every copy of the metrics).
type WindowHistogram = Histogram<u32>;

/// Counts and time integrals over one bucket of virtual time.
#[derive(Clone)]
struct Bucket {
    start: Time,
    offered: u64,
    completed: u64,
    failed: u64,
    sent: u64,
    /// Waiting times of requests completed in this bucket, in µs.
    waits: WindowHistogram,
    /// ∫ busy workers dt, in worker-nanoseconds.
    busy_area: f64,
    /// ∫ worker capacity dt; utilisation is busy_area / capacity_area.
    capacity_area: f64,
    /// ∫ queue depth dt; the time-average depth is depth_area / width.
    depth_area: f64,
    /// Exact sum of the waits completed in this bucket (ns).
    wait_sum: u64,
    /// Sums of the network, queue and service parts (ns) of the waits with
    /// a breakdown, and how many there were.
    parts: [u64; 3],
    parts_n: u64,
}

impl Bucket {
    fn new(start: Time) -> Self {
        Bucket {
            start,
            offered: 0,
            completed: 0,
            failed: 0,
            sent: 0,
            waits: new_histogram(),
            busy_area: 0.0,
            capacity_area: 0.0,
            depth_area: 0.0,
            wait_sum: 0,
            parts: [0; 3],
            parts_n: 0,
        }
    }

    /// Clears the bucket for reuse without reallocating its histogram.
    fn reset(&mut self, start: Time) {
        self.start = start;
        self.offered = 0;
        self.completed = 0;
        self.failed = 0;
        self.sent = 0;
        self.waits.reset();
        self.busy_area = 0.0;
        self.capacity_area = 0.0;
        self.depth_area = 0.0;
        self.wait_sum = 0;
        self.parts = [0; 3];
        self.parts_n = 0;
    }
}

/// Waiting-time statistics in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Waits {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Waits {
    fn from_histogram<T: Counter>(h: &Histogram<T>, exact_mean_ms: Option<f64>) -> Waits {
        if h.is_empty() {
            return Waits::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Waits {
            count: h.len(),
            mean: exact_mean_ms.unwrap_or_else(|| h.mean() / 1000.0),
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
        }
    }
}

/// Upper edges (ms) of the waiting-time histogram's bins, 1-2-5 steps; a
/// last bin takes everything longer.
pub const HIST_EDGES_MS: [f64; 16] = [
    0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0,
    10_000.0,
];

/// Counts of waits per bin of [`HIST_EDGES_MS`] (the 17th: longer).
pub type WaitHistogram = [u64; 17];

fn binned<T: Counter>(h: &Histogram<T>) -> WaitHistogram {
    // Each recorded bucket goes to exactly one bin (by its value), so no
    // wait is counted twice where a bin edge falls inside a bucket.
    let mut bins = [0u64; 17];
    for v in h.iter_recorded() {
        let ms = v.value_iterated_to() as f64 / 1000.0;
        let i = HIST_EDGES_MS.iter().position(|&e| ms < e).unwrap_or(16);
        bins[i] += v.count_at_value().as_u64();
    }
    bins
}

/// Where waiting time goes, as mean milliseconds per completed request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// How many completions this covers (0: the pattern has no breakdown).
    pub count: u64,
    pub network: f64,
    pub queue: f64,
    pub service: f64,
    /// The rest of the wait: timeouts, back-off, polling gaps.
    pub other: f64,
}

impl Breakdown {
    fn from_sums(parts: [u128; 3], n: u64, wait_sum: u128, waits: u64) -> Breakdown {
        if n == 0 || n != waits {
            return Breakdown::default();
        }
        let ms = |x: u128| x as f64 / n as f64 / MS as f64;
        let (network, queue, service) = (ms(parts[0]), ms(parts[1]), ms(parts[2]));
        Breakdown {
            count: n,
            network,
            queue,
            service,
            other: (ms(wait_sum) - network - queue - service).max(0.0),
        }
    }
}

/// Running totals since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub offered: u64,
    pub completed: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub retries: u64,
    /// Requests served after their client had given up or been answered.
    pub wasted: u64,
    /// Messages put on the wire.
    pub sent: u64,
    /// Dropped messages by [`DropReason`], in `DropReason::ALL` order.
    pub dropped: [u64; 8],
    /// Failed requests by [`FailReason`], in `FailReason::ALL` order.
    pub failed_by: [u64; 5],
    /// Messages put on the wire by [`MsgKind`], in `MsgKind::ALL` order;
    /// patterns derive their own figures from these (empty-poll share…).
    pub sent_by_kind: [u64; 14],
    /// Connections held open right now, over all nodes (a level, not a
    /// total: long polls waiting, streams connected).
    pub open_connections: u64,
}

impl Totals {
    /// Messages of `kind` ever put on the wire.
    pub fn sent_of(&self, kind: MsgKind) -> u64 {
        self.sent_by_kind[kind_index(kind)]
    }

    /// Requests that ended unserved for `reason`.
    pub fn failed_of(&self, reason: FailReason) -> u64 {
        self.failed_by[fail_index(reason)]
    }
}

/// What the viewer plots, several times a second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Virtual time of the snapshot.
    pub at: Time,
    /// How much virtual time the rolling-window figures cover (≤ 1 s).
    pub window: Time,
    pub offered_per_s: f64,
    /// Useful deliveries per second: completed requests.
    pub throughput_per_s: f64,
    pub failed_per_s: f64,
    /// Messages put on the wire per second.
    pub wire_per_s: f64,
    /// Waiting time over the rolling window.
    pub wait: Waits,
    /// Waiting time since the start of the run.
    pub overall: Waits,
    /// Waiting-time histogram over the rolling window (bins of
    /// [`HIST_EDGES_MS`]).
    pub wait_hist: WaitHistogram,
    /// Latency of single legs (branches, hops) since the start of the run.
    pub legs: Waits,
    /// Where the wait went, over the rolling window.
    pub breakdown: Breakdown,
    /// Where the wait went, since the start of the run.
    pub overall_breakdown: Breakdown,
    /// Busy worker time over capacity, over the rolling window.
    pub utilisation: f64,
    pub queue_depth: u64,
    /// The longest queue at any one node (the laggard's backlog).
    pub max_node_queue: u64,
    pub in_flight: u64,
    pub busy: u64,
    pub capacity: u64,
    pub totals: Totals,
}

/// One virtual second of the CLI's `--format csv` series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    /// End of the second, in virtual seconds.
    pub t: f64,
    pub offered: u64,
    pub completed: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// Time-averaged queue depth over the second.
    pub queue_depth: f64,
}

/// The entry for `node` in a per-node vector, grown as needed.
fn grow(v: &mut Vec<u32>, node: crate::topology::NodeId) -> &mut u32 {
    let i = node as usize;
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    &mut v[i]
}

/// Everything measured about one run, updated event by event.
#[derive(Clone)]
pub struct Metrics {
    /// Time up to which the integrals have been accumulated.
    now: Time,
    queue_depth: u64,
    in_flight: u64,
    busy: u64,
    /// Workers per node, from `Capacity` events; summed into `capacity`.
    workers: Vec<u32>,
    /// Open connections per node, from `Open` events.
    open: Vec<u32>,
    /// Queue length per node, from `Queued`/`Started`/`Dropped` events.
    node_queue: Vec<u64>,
    /// Busy workers per node, from `Started`/`Served`: what a page shows
    /// at a moment it did not watch (a seek).
    node_busy: Vec<u32>,
    capacity: u64,
    current: Bucket,
    /// Closed buckets of the rolling window, oldest first.
    recent: VecDeque<Bucket>,
    /// Scratch histogram for merging the window, kept to avoid allocation.
    scratch: WindowHistogram,
    overall: Histogram<u64>,
    /// Exact sum of waiting times, so the mean is not histogram-rounded.
    wait_sum: u128,
    /// Leg latencies in µs, and their exact sum.
    legs: Histogram<u64>,
    leg_sum: u128,
    /// Network, queue and service sums (ns) over the run, and their count.
    parts: [u128; 3],
    parts_n: u64,
    busy_area: f64,
    capacity_area: f64,
    totals: Totals,
    /// Per-second rows, kept only when asked for (the CLI's CSV).
    series: Option<Vec<SeriesRow>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(false)
    }
}

impl Metrics {
    /// Roughly the bytes a copy of these metrics takes: the histograms
    /// (fixed size, whatever they count) are nearly all of it.
    pub fn footprint(&self) -> usize {
        let hist = |h: &Histogram<u64>| h.distinct_values() * 8;
        let window = |h: &WindowHistogram| h.distinct_values() * 4;
        std::mem::size_of::<Metrics>()
            + window(&self.current.waits)
            + self.recent.iter().map(|b| window(&b.waits)).sum::<usize>()
            + window(&self.scratch)
            + hist(&self.overall)
            + hist(&self.legs)
            + (self.workers.len() + self.open.len() + self.node_busy.len()) * 4
            + self.node_queue.len() * 8
            + self
                .series
                .as_ref()
                .map_or(0, |s| s.len() * std::mem::size_of::<SeriesRow>())
    }

    /// `series`: also keep one [`SeriesRow`] per virtual second.
    pub fn new(series: bool) -> Self {
        Metrics {
            now: 0,
            queue_depth: 0,
            in_flight: 0,
            busy: 0,
            workers: Vec::new(),
            open: Vec::new(),
            node_queue: Vec::new(),
            node_busy: Vec::new(),
            capacity: 0,
            current: Bucket::new(0),
            recent: VecDeque::with_capacity(WINDOW_BUCKETS + 1),
            scratch: new_histogram(),
            overall: new_histogram(),
            wait_sum: 0,
            legs: new_histogram(),
            leg_sum: 0,
            parts: [0; 3],
            parts_n: 0,
            busy_area: 0.0,
            capacity_area: 0.0,
            totals: Totals::default(),
            series: series.then(Vec::new),
        }
    }

    /// Accumulates levels up to `to` within the current bucket.
    fn integrate(&mut self, to: Time) {
        let dt = to.saturating_sub(self.now) as f64;
        if dt > 0.0 {
            let b = &mut self.current;
            b.busy_area += self.busy as f64 * dt;
            b.capacity_area += self.capacity as f64 * dt;
            b.depth_area += self.queue_depth as f64 * dt;
            self.busy_area += self.busy as f64 * dt;
            self.capacity_area += self.capacity as f64 * dt;
            self.now = to;
        }
    }

    /// Moves the metrics clock to `t`, closing every bucket that ends by then.
    pub fn advance_to(&mut self, t: Time) {
        while t >= self.current.start + BUCKET {
            let end = self.current.start + BUCKET;
            self.integrate(end);
            self.close_bucket(end);
        }
        self.integrate(t);
    }

    fn close_bucket(&mut self, end: Time) {
        let mut next = if self.recent.len() >= WINDOW_BUCKETS {
            self.recent.pop_front().expect("window is not empty")
        } else {
            Bucket::new(end)
        };
        next.reset(end);
        let closed = std::mem::replace(&mut self.current, next);
        self.recent.push_back(closed);
        if self.series.is_some() && end.is_multiple_of(time::SECOND) {
            let row = self.second_row(end);
            if let Some(s) = self.series.as_mut() {
                s.push(row);
            }
        }
    }

    /// Folds the last ten closed buckets (exactly the second ending at `end`).
    fn second_row(&mut self, end: Time) -> SeriesRow {
        self.scratch.reset();
        let (mut offered, mut completed, mut depth_area) = (0, 0, 0.0);
        for b in self.recent.iter().rev().take(WINDOW_BUCKETS) {
            offered += b.offered;
            completed += b.completed;
            depth_area += b.depth_area;
            let _ = self.scratch.add(&b.waits);
        }
        let w = Waits::from_histogram(&self.scratch, None);
        SeriesRow {
            t: time::to_secs(end),
            offered,
            completed,
            p50: w.p50,
            p95: w.p95,
            p99: w.p99,
            queue_depth: depth_area / time::SECOND as f64,
        }
    }

    /// Updates every figure from one event.
    pub fn apply(&mut self, e: &Event) {
        self.advance_to(e.at);
        match e.what {
            What::Offered { .. } => {
                self.current.offered += 1;
                self.totals.offered += 1;
            }
            What::Sent { kind, .. } => {
                self.current.sent += 1;
                self.totals.sent += 1;
                if kind == MsgKind::Retry {
                    self.totals.retries += 1;
                }
                self.totals.sent_by_kind[kind_index(kind)] += 1;
                self.in_flight += 1;
            }
            What::Queued { node, .. } => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.queue_depth += 1;
                *self.node_queue_mut(node) += 1;
            }
            What::Started { queued, node, .. } => {
                if queued {
                    self.queue_depth = self.queue_depth.saturating_sub(1);
                    let q = self.node_queue_mut(node);
                    *q = q.saturating_sub(1);
                } else {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                self.busy += 1;
                *grow(&mut self.node_busy, node) += 1;
            }
            What::Served { wasted, node, .. } => {
                self.busy = self.busy.saturating_sub(1);
                let b = grow(&mut self.node_busy, node);
                *b = b.saturating_sub(1);
                if wasted {
                    self.totals.wasted += 1;
                }
            }
            What::Delivered { .. } => {
                self.in_flight = self.in_flight.saturating_sub(1);
            }
            What::Dropped { reason, node, .. } => {
                if reason.from_queue() {
                    self.queue_depth = self.queue_depth.saturating_sub(1);
                    let q = self.node_queue_mut(node);
                    *q = q.saturating_sub(1);
                } else {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                self.totals.dropped[drop_index(reason)] += 1;
            }
            What::TimedOut { .. } => self.totals.timed_out += 1,
            What::Completed { wait, .. } => {
                let us = (wait / 1000).clamp(1, MAX_WAIT_US);
                self.current.completed += 1;
                self.totals.completed += 1;
                let _ = self.current.waits.record(us);
                let _ = self.overall.record(us);
                self.current.wait_sum += wait;
                self.wait_sum += wait as u128;
            }
            What::Failed { reason, .. } => {
                self.current.failed += 1;
                self.totals.failed += 1;
                self.totals.failed_by[fail_index(reason)] += 1;
            }
            What::Breakdown {
                network,
                queue,
                service,
                ..
            } => {
                for (i, x) in [network, queue, service].into_iter().enumerate() {
                    self.current.parts[i] += x;
                    self.parts[i] += x as u128;
                }
                self.current.parts_n += 1;
                self.parts_n += 1;
            }
            What::Leg { latency, .. } => {
                let _ = self.legs.record((latency / 1000).clamp(1, MAX_WAIT_US));
                self.leg_sum += latency as u128;
            }
            What::Open { node, connections } => {
                let i = node as usize;
                if self.open.len() <= i {
                    self.open.resize(i + 1, 0);
                }
                self.open[i] = connections;
                self.totals.open_connections = self.open.iter().map(|&c| c as u64).sum();
            }
            What::Capacity { node, workers } => {
                let i = node as usize;
                if self.workers.len() <= i {
                    self.workers.resize(i + 1, 0);
                }
                self.workers[i] = workers;
                self.capacity = self.workers.iter().map(|&w| w as u64).sum();
            }
        }
    }

    /// Each node's queue, busy and total workers and open connections,
    /// in node order (`nodes` of them): the stage at this moment.
    pub fn node_counts(&self, nodes: usize) -> Vec<NodeCounts> {
        (0..nodes)
            .map(|i| NodeCounts {
                queued: self
                    .node_queue
                    .get(i)
                    .map_or(0, |&q| q.min(u32::MAX as u64) as u32),
                busy: self.node_busy.get(i).copied().unwrap_or(0),
                workers: self.workers.get(i).copied(),
                open: self.open.get(i).copied().unwrap_or(0),
            })
            .collect()
    }

    fn node_queue_mut(&mut self, node: crate::topology::NodeId) -> &mut u64 {
        let i = node as usize;
        if self.node_queue.len() <= i {
            self.node_queue.resize(i + 1, 0);
        }
        &mut self.node_queue[i]
    }

    /// Figures over the rolling window and the whole run, at the metrics clock.
    pub fn snapshot(&mut self) -> Snapshot {
        self.scratch.reset();
        let _ = self.scratch.add(&self.current.waits);
        let (mut offered, mut completed, mut failed, mut sent) = (
            self.current.offered,
            self.current.completed,
            self.current.failed,
            self.current.sent,
        );
        let (mut busy, mut cap) = (self.current.busy_area, self.current.capacity_area);
        let mut parts = self.current.parts.map(|x| x as u128);
        let (mut parts_n, mut wait_sum) = (self.current.parts_n, self.current.wait_sum as u128);
        let mut start = self.current.start;
        let horizon = time::SECOND;
        for b in self.recent.iter().rev() {
            if self.now.saturating_sub(b.start) > horizon {
                break;
            }
            let _ = self.scratch.add(&b.waits);
            offered += b.offered;
            completed += b.completed;
            failed += b.failed;
            sent += b.sent;
            busy += b.busy_area;
            cap += b.capacity_area;
            start = b.start;
            for (p, x) in parts.iter_mut().zip(b.parts) {
                *p += x as u128;
            }
            parts_n += b.parts_n;
            wait_sum += b.wait_sum as u128;
        }
        let window = self.now.saturating_sub(start);
        let per_s = |n: u64| {
            if window == 0 {
                0.0
            } else {
                n as f64 / time::to_secs(window)
            }
        };
        Snapshot {
            at: self.now,
            window,
            offered_per_s: per_s(offered),
            throughput_per_s: per_s(completed),
            failed_per_s: per_s(failed),
            wire_per_s: per_s(sent),
            wait: Waits::from_histogram(&self.scratch, None),
            wait_hist: binned(&self.scratch),
            overall: self.overall_waits(),
            legs: {
                let n = self.legs.len();
                let mean = (n > 0).then(|| self.leg_sum as f64 / n as f64 / MS as f64);
                Waits::from_histogram(&self.legs, mean)
            },
            breakdown: Breakdown::from_sums(parts, parts_n, wait_sum, completed),
            overall_breakdown: Breakdown::from_sums(
                self.parts,
                self.parts_n,
                self.wait_sum,
                self.totals.completed,
            ),
            utilisation: if cap > 0.0 { busy / cap } else { 0.0 },
            queue_depth: self.queue_depth,
            max_node_queue: self.node_queue.iter().copied().max().unwrap_or(0),
            in_flight: self.in_flight,
            busy: self.busy,
            capacity: self.capacity,
            totals: self.totals,
        }
    }

    /// Waiting time over the whole run, with the exact mean.
    pub fn overall_waits(&self) -> Waits {
        let n = self.overall.len();
        let mean = (n > 0).then(|| self.wait_sum as f64 / n as f64 / MS as f64);
        Waits::from_histogram(&self.overall, mean)
    }

    /// Waiting-time histogram since the start of the run.
    pub fn overall_histogram(&self) -> WaitHistogram {
        binned(&self.overall)
    }

    /// Busy worker time over capacity since the start of the run.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_area > 0.0 {
            self.busy_area / self.capacity_area
        } else {
            0.0
        }
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// The per-second rows, if they were asked for.
    pub fn series(&self) -> &[SeriesRow] {
        self.series.as_deref().unwrap_or(&[])
    }
}

pub fn kind_index(k: MsgKind) -> usize {
    MsgKind::ALL.iter().position(|&x| x == k).unwrap_or(0)
}

pub fn drop_index(r: DropReason) -> usize {
    DropReason::ALL.iter().position(|&x| x == r).unwrap_or(0)
}

pub fn fail_index(r: FailReason) -> usize {
    FailReason::ALL.iter().position(|&x| x == r).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completed(at: Time, wait_ms: u64) -> Event {
        Event {
            at,
            what: What::Completed {
                req: 0,
                node: 0,
                wait: wait_ms * MS,
            },
        }
    }

    #[test]
    fn window_rates_cover_the_last_second_only() {
        let mut m = Metrics::new(false);
        // 50 completions in the first second, 10 in the third.
        for i in 0..50 {
            m.apply(&completed(i * 20 * MS, 5));
        }
        for i in 0..10 {
            m.apply(&completed(2 * time::SECOND + i * 100 * MS, 40));
        }
        m.advance_to(3 * time::SECOND);
        let s = m.snapshot();
        assert_eq!(s.window, time::SECOND);
        assert!(
            (s.throughput_per_s - 10.0).abs() < 1e-9,
            "{}",
            s.throughput_per_s
        );
        assert!((s.wait.p50 - 40.0).abs() < 0.5);
        assert_eq!(s.overall.count, 60);
        assert!((s.overall.mean - (50.0 * 5.0 + 10.0 * 40.0) / 60.0).abs() < 1e-9);
    }

    #[test]
    fn the_histogram_bins_every_wait_once() {
        let mut m = Metrics::new(false);
        for (i, w) in [0u64, 1, 3, 7, 15, 40, 90, 150, 700, 20_000]
            .iter()
            .enumerate()
        {
            m.apply(&completed(i as Time * MS, *w));
        }
        let h = m.overall_histogram();
        assert_eq!(h.iter().sum::<u64>(), 10);
        // 0 ms is recorded as 1 µs: the first bin (< 0.1 ms).
        assert_eq!(h[0], 1);
        let mut edge = Metrics::new(false);
        for w in 4_990..5_010 {
            edge.apply(&completed(0, 0));
            edge.apply(&Event {
                at: 0,
                what: What::Completed {
                    req: 0,
                    node: 0,
                    wait: w * 1000,
                },
            });
        }
        assert_eq!(
            edge.overall_histogram().iter().sum::<u64>(),
            40,
            "no double counting at an edge"
        );
        assert_eq!(h[4], 1, "1 ms falls in [1, 2) ms");
        assert_eq!(h[16], 1, "20 s is past the last edge");
    }

    #[test]
    fn utilisation_and_depth_are_time_weighted() {
        let mut m = Metrics::new(true);
        m.apply(&Event {
            at: 0,
            what: What::Capacity {
                node: 1,
                workers: 2,
            },
        });
        m.apply(&Event {
            at: 0,
            what: What::Sent {
                msg: 0,
                req: 0,
                kind: MsgKind::Request,
                link: 0,
                arrive_at: 0,
                lost: false,
            },
        });
        m.apply(&Event {
            at: 0,
            what: What::Started {
                msg: 0,
                node: 1,
                queued: false,
            },
        });
        // One of two workers busy for half a second → 25 % over one second.
        m.apply(&Event {
            at: time::SECOND / 2,
            what: What::Served {
                msg: 0,
                node: 1,
                wasted: false,
            },
        });
        m.advance_to(time::SECOND);
        assert!((m.utilisation() - 0.25).abs() < 1e-9);
        assert_eq!(m.series().len(), 1);
        assert_eq!(m.series()[0].t, 1.0);
    }
}
