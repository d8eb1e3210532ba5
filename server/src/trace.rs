//! A run as a Chrome / Perfetto trace (the JSON trace-event format that
//! ui.perfetto.dev and chrome://tracing open): each node a track, each
//! worker of a node a lane of its own with one slice per message served,
//! each message a flow arrow from its sender's track to its receiver's,
//! drops, timeouts and completions as instants, and the run's figures
//! (queue depth, in flight, busy workers, throughput, p95 wait) as
//! counters. Virtual time is written as the trace's microseconds.

use std::collections::HashMap;

use sim::event::{Event, MsgId, What};
use sim::metrics::Snapshot;
use sim::topology::{NodeId, Topology};

/// The one process every track belongs to.
const PID: u32 = 1;

/// Lanes a node's workers draw on: thread ids `node * LANES + lane + 1`,
/// the node's own track being `node * LANES`.
const LANES: u32 = 1_000;

/// Writes the trace as the run goes: events as they are simulated,
/// counters at each step of the export.
pub struct Tracer {
    out: String,
    /// Trace events written so far (the export's bound counts them).
    pub written: usize,
    links: Vec<(NodeId, NodeId)>,
    labels: Vec<String>,
    /// A message being served: when, and on which lane of its node.
    serving: HashMap<MsgId, (u64, u32)>,
    /// Per node, which lanes are busy (a lane is reused once free).
    lanes: Vec<Vec<bool>>,
    /// Lanes already named in the trace.
    named: Vec<u32>,
}

/// Virtual nanoseconds as trace microseconds (three decimals: exact).
fn us(t: u64) -> String {
    format!("{}.{:03}", t / 1_000, t % 1_000)
}

/// A string as JSON (labels are ours, but a label could hold a quote).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

impl Tracer {
    pub fn new(title: &str, topology: &Topology) -> Tracer {
        let mut t = Tracer {
            out: String::from("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n"),
            written: 0,
            links: topology.links.iter().map(|l| (l.from, l.to)).collect(),
            labels: topology.nodes.iter().map(|n| n.label.clone()).collect(),
            serving: HashMap::new(),
            lanes: vec![Vec::new(); topology.nodes.len()],
            named: Vec::new(),
        };
        t.push(format!(
            "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{PID},\"args\":{{\"name\":{}}}}}",
            quoted(title)
        ));
        for (i, n) in topology.nodes.iter().enumerate() {
            let tid = i as u32 * LANES;
            t.push(format!(
                "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{PID},\"tid\":{tid},\"args\":{{\"name\":{}}}}}",
                quoted(&n.label)
            ));
            t.push(format!(
                "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{PID},\"tid\":{tid},\"args\":{{\"sort_index\":{tid}}}}}"
            ));
        }
        t
    }

    fn push(&mut self, line: String) {
        if self.written > 0 || !self.out.ends_with('\n') {
            self.out.push_str(",\n");
        }
        self.out.push_str(&line);
        self.written += 1;
    }

    /// A short slice on a node's track (what a flow arrow attaches to).
    fn mark(&mut self, node: NodeId, at: u64, name: &str, msg: MsgId) {
        let tid = u32::from(node) * LANES;
        self.push(format!(
            "{{\"ph\":\"X\",\"name\":{},\"cat\":\"message\",\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"dur\":1,\"args\":{{\"msg\":{msg}}}}}",
            quoted(name),
            us(at)
        ));
    }

    fn instant(&mut self, node: NodeId, at: u64, name: &str, args: String) {
        let tid = u32::from(node) * LANES;
        self.push(format!(
            "{{\"ph\":\"i\",\"s\":\"t\",\"name\":{},\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"args\":{{{args}}}}}",
            quoted(name),
            us(at)
        ));
    }

    fn label(&self, node: NodeId) -> &str {
        self.labels
            .get(usize::from(node))
            .map_or("?", String::as_str)
    }

    /// Adds the events just simulated.
    pub fn events(&mut self, events: &[Event]) {
        for e in events {
            match e.what {
                What::Sent {
                    msg,
                    req,
                    kind,
                    link,
                    arrive_at,
                    lost,
                } => {
                    let Some(&(from, to)) = self.links.get(usize::from(link)) else {
                        continue;
                    };
                    let name = kind.label();
                    self.mark(from, e.at, name, msg);
                    let (ftid, ttid) = (u32::from(from) * LANES, u32::from(to) * LANES);
                    self.push(format!(
                        "{{\"ph\":\"s\",\"id\":{msg},\"name\":{},\"cat\":\"message\",\"pid\":{PID},\"tid\":{ftid},\"ts\":{},\"args\":{{\"req\":{req}}}}}",
                        quoted(name),
                        us(e.at)
                    ));
                    if !lost {
                        self.mark(to, arrive_at, name, msg);
                        self.push(format!(
                            "{{\"ph\":\"f\",\"bp\":\"e\",\"id\":{msg},\"name\":{},\"cat\":\"message\",\"pid\":{PID},\"tid\":{ttid},\"ts\":{}}}",
                            quoted(name),
                            us(arrive_at)
                        ));
                    }
                }
                What::Started { msg, node, .. } => {
                    let Some(lanes) = self.lanes.get_mut(usize::from(node)) else {
                        continue;
                    };
                    let lane = match lanes.iter().position(|busy| !busy) {
                        Some(i) => i,
                        None => {
                            lanes.push(false);
                            lanes.len() - 1
                        }
                    };
                    lanes[lane] = true;
                    let tid = u32::from(node) * LANES + lane as u32 + 1;
                    if !self.named.contains(&tid) {
                        self.named.push(tid);
                        let name = format!("{} · worker {}", self.label(node), lane + 1);
                        self.push(format!(
                            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{PID},\"tid\":{tid},\"args\":{{\"name\":{}}}}}",
                            quoted(&name)
                        ));
                        self.push(format!(
                            "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{PID},\"tid\":{tid},\"args\":{{\"sort_index\":{tid}}}}}"
                        ));
                    }
                    self.serving.insert(msg, (e.at, lane as u32));
                }
                What::Served { msg, node, wasted } => {
                    if let Some((from, lane)) = self.serving.remove(&msg) {
                        if let Some(l) = self
                            .lanes
                            .get_mut(usize::from(node))
                            .and_then(|l| l.get_mut(lane as usize))
                        {
                            *l = false;
                        }
                        let tid = u32::from(node) * LANES + lane + 1;
                        let name = if wasted { "serve (wasted)" } else { "serve" };
                        self.push(format!(
                            "{{\"ph\":\"X\",\"name\":\"{name}\",\"cat\":\"work\",\"pid\":{PID},\"tid\":{tid},\"ts\":{},\"dur\":{},\"args\":{{\"msg\":{msg}}}}}",
                            us(from),
                            us(e.at - from)
                        ));
                    }
                }
                What::Dropped { msg, node, reason } => {
                    self.serving.remove(&msg);
                    self.instant(
                        node,
                        e.at,
                        &format!("dropped: {}", reason.label()),
                        format!("\"msg\":{msg}"),
                    );
                }
                What::TimedOut { req, node, attempt } => self.instant(
                    node,
                    e.at,
                    "timed out",
                    format!("\"req\":{req},\"attempt\":{attempt}"),
                ),
                What::Completed { req, node, wait } => self.instant(
                    node,
                    e.at,
                    "completed",
                    format!("\"req\":{req},\"wait_ms\":{}", sim::time::to_ms(wait)),
                ),
                What::Failed { req, node, reason } => self.instant(
                    node,
                    e.at,
                    &format!("failed: {}", reason.label()),
                    format!("\"req\":{req}"),
                ),
                _ => {}
            }
        }
    }

    /// The run's figures at `m.at`, as counters.
    pub fn counters(&mut self, m: &Snapshot) {
        let ts = us(m.at);
        for (name, value) in [
            ("queue depth", m.queue_depth as f64),
            ("in flight", m.in_flight as f64),
            ("busy workers", m.busy as f64),
            ("throughput /s", m.throughput_per_s),
            ("wait p95 ms", m.wait.p95),
        ] {
            let v = if value.is_finite() { value } else { 0.0 };
            self.push(format!(
                "{{\"ph\":\"C\",\"name\":\"{name}\",\"pid\":{PID},\"ts\":{ts},\"args\":{{\"value\":{v}}}}}"
            ));
        }
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("\n]}\n");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::run::Options;
    use sim::{find_pattern, Simulation};

    /// Two seconds of request / response: valid JSON, every flow that
    /// starts has its slice, served slices never overlap on a lane.
    #[test]
    fn a_run_reads_back_as_a_trace_with_tracks_flows_and_counters() {
        let info = find_pattern("request-response").unwrap();
        let mut sim = Simulation::new(info.defaults(), 3, Options::EVENTS);
        let mut t = Tracer::new("request / response", sim.topology());
        for s in 1..=20 {
            sim.advance_to(s * 100 * sim::time::MS);
            t.events(sim.events());
            sim.clear_events();
            let m = sim.snapshot();
            t.counters(&m);
        }
        let text = t.finish();
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let evs = v["traceEvents"].as_array().unwrap();
        let count = |ph: &str| evs.iter().filter(|e| e["ph"] == ph).count();
        assert!(count("s") > 50, "flows start");
        assert!(count("f") > 40 && count("f") <= count("s"));
        assert_eq!(count("C"), 20 * 5);
        let names: Vec<&str> = evs
            .iter()
            .filter(|e| e["name"] == "thread_name")
            .filter_map(|e| e["args"]["name"].as_str())
            .collect();
        assert!(names.contains(&"service"), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("service · worker")));
        // A lane serves one message at a time.
        let mut by_lane: HashMap<u64, Vec<(f64, f64)>> = HashMap::new();
        for e in evs.iter().filter(|e| e["cat"] == "work") {
            let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
            by_lane
                .entry(e["tid"].as_u64().unwrap())
                .or_default()
                .push((ts, ts + dur));
        }
        assert!(!by_lane.is_empty());
        for spans in by_lane.values_mut() {
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in spans.windows(2) {
                assert!(w[0].1 <= w[1].0 + 1e-6, "{w:?}");
            }
        }
    }
}
