//! The headline figures of a real run beside its model's: both read off a
//! `sim::Recorder` fed with that run's events, by the one function below,
//! so a row compares like with like whatever the pattern.

use super::log::Kinds;
use serde::Serialize;
use sim::{DropReason, FailReason, ParamSet, PatternInfo, Recorder};

/// One headline figure, model beside real.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub model: f64,
    pub real: f64,
    /// (real − model) / model, in percent; `None` when the model's is 0.
    pub diff_pct: Option<f64>,
}

/// The figures one run's events give, in the table's order.
fn figures(rec: &mut Recorder, info: &PatternInfo, p: &ParamSet) -> Vec<(String, String, f64)> {
    let snapshot = rec.metrics_mut().snapshot();
    let t = snapshot.totals;
    let w = rec.metrics().overall_waits();
    let mut out: Vec<(String, String, f64)> = Vec::with_capacity(24);
    let mut add = |id: &str, label: &str, v: f64| out.push((id.into(), label.into(), v));
    add("offered", "offered", t.offered as f64);
    add("completed", "completed", t.completed as f64);
    for r in FailReason::ALL {
        add(
            &format!("failed_{}", r.id()),
            &format!("failed: {}", r.label()),
            t.failed_of(r) as f64,
        );
    }
    add("pending", "pending at the end", rec.ledger().pending as f64);
    for (r, n) in DropReason::ALL.into_iter().zip(t.dropped) {
        add(
            &format!("dropped_{}", r.id()),
            &format!("messages dropped: {}", r.label()),
            n as f64,
        );
    }
    add("timed_out", "timed-out attempts", t.timed_out as f64);
    add("retries", "retries", t.retries as f64);
    add("wire", "messages on the wire", t.sent as f64);
    add("mean_wait_ms", "mean wait (ms)", w.mean);
    add("p50_ms", "p50 wait (ms)", w.p50);
    add("p95_ms", "p95 wait (ms)", w.p95);
    add("p99_ms", "p99 wait (ms)", w.p99);
    let b = snapshot.overall_breakdown;
    if b.count > 0 {
        add("mean_network_ms", "mean time on the wire (ms)", b.network);
        add("mean_queue_ms", "mean time queued (ms)", b.queue);
    }
    for f in (info.figures)(&snapshot, p) {
        // A pattern's own list repeats some common figures.
        if !out.iter().any(|(id, _, _)| id == f.id) {
            out.push((f.id.into(), f.label.into(), f.value));
        }
    }
    out
}

/// Model and real side by side: every figure either run has, leaving out
/// the failure and drop reasons neither run saw.
pub fn compare(
    model: &mut Recorder,
    real: &mut Recorder,
    info: &PatternInfo,
    p: &ParamSet,
) -> Vec<Row> {
    let m = figures(model, info, p);
    let r = figures(real, info, p);
    m.into_iter()
        .zip(r)
        .filter(|((id, _, a), (_, _, b))| {
            let by_reason = id.starts_with("failed_") || id.starts_with("dropped_");
            !(by_reason && *a == 0.0 && *b == 0.0)
        })
        .map(|((id, label, model), (_, _, real))| Row {
            diff_pct: (model != 0.0).then(|| (real - model) / model * 100.0),
            id,
            label,
            model,
            real,
        })
        .collect()
}

/// One kind of event, counted in both runs.
#[derive(Clone, Debug, Serialize)]
pub struct KindCount {
    pub kind: &'static str,
    pub model: u64,
    pub real: u64,
}

/// Every kind either run emitted, in name order.
pub fn kinds(model: &Kinds, real: &Kinds) -> Vec<KindCount> {
    let mut names: Vec<&'static str> = model.keys().chain(real.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|kind| KindCount {
            kind,
            model: model.get(kind).copied().unwrap_or(0),
            real: real.get(kind).copied().unwrap_or(0),
        })
        .collect()
}
