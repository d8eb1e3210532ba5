//! Each actor of a pane — its clients, servers or workers, queue, broker,
//! subscribers, backends — with its state in words and numbers: the list a
//! screen reader walks beside the stage ("Service: 4 of 4 workers busy,
//! 12 waiting, queue growing by about 20 a second"). Parties that differ
//! only by number (client 1…n, consumer 1…n) are told as one group, with
//! the ones that stand out named.

use sim::topology::{Node, NodeKind};

use super::words::{capitalised, count, listed, rate, wait};
use super::{Context, Reading};
use crate::stage::playback::NodeState;

/// One line of the description: who, and how it is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// "Service", "Clients (8)", "Consumers (4)".
    pub name: String,
    pub state: String,
}

/// Groups of more than this many like parties are told as one line.
const NAMED_ONE_BY_ONE: usize = 4;

/// At most this many members of a large group are named for standing out.
const OUTLIERS: usize = 3;

/// The whole run in one sentence: time, load, waits, losses so far.
pub fn overview(cx: &Context, now: &Reading, playing: bool) -> String {
    let m = &now.metrics;
    let [_, many] = cx.wants();
    let state = if playing { "playing" } else { "paused" };
    let mut parts = vec![format!(
        "{} at {}, {state}",
        cx.title(),
        super::words::clock(sim::time::to_secs(now.at))
    )];
    parts.extend(traffic(m, &format!("{many} ")));
    let dropped: u64 = m.totals.dropped.iter().sum();
    parts.push(format!(
        "{} failed and {} dropped so far",
        m.totals.failed, dropped
    ));
    format!("{}.", parts.join("; "))
}

/// What is offered and delivered a second (`noun`: what, with its space,
/// or nothing where the sentence has said it) and, once anything is
/// delivered, the waits.
fn traffic(m: &sim::metrics::Snapshot, noun: &str) -> Vec<String> {
    let mut out = vec![format!(
        "{} {noun}a second offered, {} delivered",
        rate(m.offered_per_s),
        rate(m.throughput_per_s)
    )];
    if m.wait.count > 0 {
        out.push(format!(
            "wait p50 {}, p95 {}",
            wait(m.wait.p50),
            wait(m.wait.p95)
        ));
    }
    out
}

/// Every actor of the pane, in the stage's order (parties first), with
/// trends measured against `before` (a reading a few seconds older).
pub fn actors(cx: &Context, now: &Reading, before: Option<&Reading>) -> Vec<Actor> {
    let mut out = Vec::new();
    for group in groups(&cx.topology.nodes) {
        let first = &cx.topology.nodes[group[0]];
        if first.kind == NodeKind::Client {
            out.push(parties(cx, group.len(), first, now));
        } else if group.len() > NAMED_ONE_BY_ONE {
            out.push(crowd(cx, &group, now, before));
        } else {
            for &i in &group {
                let node = &cx.topology.nodes[i];
                out.push(Actor {
                    name: capitalised(&node.label),
                    state: node_state(node, i, now, before),
                });
            }
        }
    }
    out
}

/// Consecutive nodes of one kind whose labels differ only by a number.
fn groups(nodes: &[Node]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let same = out.last().is_some_and(|g| {
            let head = &nodes[g[0]];
            head.kind == n.kind
                && stem(&head.label).is_some()
                && stem(&head.label) == stem(&n.label)
        });
        match out.last_mut() {
            Some(g) if same => g.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// "client" of "client 3", "subscriber" of "subscriber 4 (slow)"; `None`
/// for a label without a number.
fn stem(label: &str) -> Option<&str> {
    let base = label.split(" (").next().unwrap_or(label);
    let (stem, number) = base.rsplit_once(' ')?;
    number.chars().all(|c| c.is_ascii_digit()).then_some(stem)
}

/// A group's name: "Clients (8)", or the one party's own label.
fn group_name(node: &Node, n: usize) -> String {
    match (stem(&node.label), n) {
        (Some(s), n) if n > 1 => format!("{}s ({n})", capitalised(s)),
        _ => capitalised(&node.label),
    }
}

/// The parties that want things: how many they want, get and lose.
fn parties(cx: &Context, n: usize, first: &Node, now: &Reading) -> Actor {
    let m = &now.metrics;
    let t = &m.totals;
    let outstanding = t.offered.saturating_sub(t.completed + t.failed);
    let mut parts = vec![format!("{} outstanding", count(outstanding, cx.wants()))];
    parts.extend(traffic(m, ""));
    if m.failed_per_s > 0.0 {
        parts.push(format!("{} failing a second", rate(m.failed_per_s)));
    }
    Actor {
        name: group_name(first, n),
        state: parts.join(", "),
    }
}

/// A working or storing node's state in words.
fn node_state(node: &Node, i: usize, now: &Reading, before: Option<&Reading>) -> String {
    let s = now.nodes.get(i).copied().unwrap_or_default();
    let mut parts = Vec::new();
    let works = node.workers > 0 || s.workers > 0;
    if node.kind == NodeKind::Worker && s.workers == 0 && node.workers > 0 {
        parts.push("down (crashed, restarting)".to_string());
    } else if works && s.workers == 1 {
        parts.push(if s.busy > 0 { "busy" } else { "idle" }.to_string());
    } else if works {
        parts.push(format!(
            "{} of {} workers busy",
            s.busy.min(s.workers),
            s.workers
        ));
    }
    let stores = matches!(node.kind, NodeKind::Broker | NodeKind::JobStore);
    if stores {
        parts.push(format!(
            "{} stored",
            count(s.queued as u64, ["message", "messages"])
        ));
    } else if works || s.queued > 0 || node.queue_cap > 0 {
        parts.push(format!("{} waiting", s.queued));
    }
    if node.queue_cap > 0 && s.queued >= node.queue_cap {
        parts.push(format!("queue full at {}", node.queue_cap));
    }
    if let Some(trend) = before.and_then(|b| queue_trend(i, now, b)) {
        parts.push(trend);
    }
    if s.open > 0 {
        parts.push(format!(
            "{} held open",
            count(s.open as u64, ["connection", "connections"])
        ));
    }
    if parts.is_empty() {
        parts.push("passing messages on".into());
    }
    parts.join(", ")
}

/// "queue growing by about 20 a second" when node `i`'s queue moved by
/// enough since `before` to be more than noise.
fn queue_trend(i: usize, now: &Reading, before: &Reading) -> Option<String> {
    let q1 = now.nodes.get(i)?.queued as f64;
    let q0 = before.nodes.get(i)?.queued as f64;
    let dt = now.secs_since(before);
    let per_s = (q1 - q0) / dt;
    if (q1 - q0).abs() < 3.0 || per_s.abs() < 1.0 {
        return None;
    }
    Some(if q1 == 0.0 {
        "queue just emptied".to_string()
    } else if per_s > 0.0 {
        format!("queue growing by about {} a second", rate(per_s))
    } else {
        format!("queue shrinking by about {} a second", rate(-per_s))
    })
}

/// A large group of like nodes (consumers, subscribers, backends): how
/// many are busy or down, how much waits, and the ones that stand out.
fn crowd(cx: &Context, group: &[usize], now: &Reading, before: Option<&Reading>) -> Actor {
    let nodes = &cx.topology.nodes;
    let first = &nodes[group[0]];
    let states: Vec<NodeState> = group
        .iter()
        .map(|&i| now.nodes.get(i).copied().unwrap_or_default())
        .collect();
    let down = group
        .iter()
        .zip(&states)
        .filter(|(&i, s)| nodes[i].workers > 0 && s.workers == 0)
        .count();
    let busy = states.iter().filter(|s| s.busy > 0).count();
    let waiting: u64 = states.iter().map(|s| s.queued as u64).sum();
    let mut parts = vec![format!("{busy} busy"), format!("{waiting} waiting in all")];
    if down > 0 {
        parts.insert(1, format!("{down} down"));
    }
    let mut standing: Vec<(usize, u32)> = group
        .iter()
        .zip(&states)
        .filter(|(_, s)| s.queued > 0)
        .map(|(&i, s)| (i, s.queued))
        .collect();
    standing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let named: Vec<String> = standing
        .iter()
        .take(OUTLIERS)
        .map(|&(i, q)| {
            let trend = before
                .and_then(|b| queue_trend(i, now, b))
                .map(|t| format!(", {t}"))
                .unwrap_or_default();
            format!("{} has {q} waiting{trend}", nodes[i].label)
        })
        .collect();
    if !named.is_empty() {
        parts.push(listed(&named));
    }
    Actor {
        name: group_name(first, group.len()),
        state: parts.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_group_by_their_stem() {
        assert_eq!(stem("client 12"), Some("client"));
        assert_eq!(stem("subscriber 4 (slow)"), Some("subscriber"));
        assert_eq!(stem("service + job store"), None);
        assert_eq!(stem("broker"), None);
    }
}
