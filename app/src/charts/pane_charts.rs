//! The four charts every pane plots: what each shows, its series, names
//! and colours, its test id and its label for screen readers.

use crate::charts::canvas::ChartSpec;
use crate::stage::palette::Hue;

/// Chart points kept: about 20 s at 15 snapshots a second.
pub const CHART_POINTS: usize = 300;

/// The four charts of a pane, in drawing order.
pub const CHARTS: [ChartSpec<'static>; 4] = [
    ChartSpec {
        title: "Waiting time",
        unit: "ms",
        names: &["p50", "p95", "p99"],
        dashed: &[],
        stacked: false,
        colours: &[],
    },
    ChartSpec {
        title: "Throughput",
        unit: "per s",
        names: &["offered", "useful", "on the wire"],
        dashed: &[0],
        stacked: false,
        colours: &[],
    },
    ChartSpec {
        title: "Where the wait goes",
        unit: "ms",
        names: &["network", "queue", "service", "other (gaps, retries)"],
        dashed: &[],
        stacked: true,
        colours: &[Hue::Sky, Hue::Orange, Hue::Blue, Hue::Vermillion],
    },
    ChartSpec {
        title: "Backlog",
        unit: "msgs",
        names: &["queued", "in flight"],
        dashed: &[],
        stacked: false,
        colours: &[],
    },
];
pub const CHART_IDS: [&str; 4] = ["wait-chart", "rate-chart", "breakdown-chart", "depth-chart"];
pub const CHART_LABELS: [&str; 4] = [
    "Waiting time p50, p95 and p99 in milliseconds",
    "Offered, useful and wire messages per second",
    "Mean wait split into network, queue, service and other, in milliseconds",
    "Messages queued and in flight",
];
