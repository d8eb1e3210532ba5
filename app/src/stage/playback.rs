//! The browser's plain buffer of what is on stage.
//!
//! Ticks from the server append events here; once per animation frame the
//! display clock moves forward and the events it passes are applied: a
//! `Sent` becomes a dot, `Queued`/`Started`/`Served` move the node's queue
//! and worker counts, drops and timeouts leave a short-lived mark. Nothing
//! here is reactive: the canvas reads it directly, so there is never one
//! signal or DOM node per message.
//!
//! The display clock trails the newest server time by about one tick, so
//! messages that are sent and arrive within one tick are still seen moving.

use std::collections::VecDeque;

use sim::event::{Event, MsgId, MsgKind, ReqId, What};
use sim::time::{Time, MS};
use sim::topology::{LinkId, NodeId, Topology};
use sim::wire::{Flight, Hello, Moment, Tick};

/// A message in flight, drawn as a dot on its link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot {
    pub msg: MsgId,
    /// The conversation it belongs to: clicking a dot inspects this.
    pub req: ReqId,
    pub link: LinkId,
    pub kind: MsgKind,
    pub sent: Time,
    pub arrive: Time,
    /// Drawn hollow: it will vanish at `arrive`.
    pub lost: bool,
}

/// A message on its link, as the server names it (a sent event or a
/// moment's flight).
impl From<&Flight> for Dot {
    fn from(f: &Flight) -> Dot {
        Dot {
            msg: f.msg,
            req: f.req,
            link: f.link,
            kind: f.kind,
            sent: f.sent,
            arrive: f.arrive,
            lost: f.lost,
        }
    }
}

impl Dot {
    /// How far along its link the dot is at `t` (0..=1).
    pub fn progress(&self, t: Time) -> f64 {
        if self.arrive <= self.sent {
            return 1.0;
        }
        (t.saturating_sub(self.sent) as f64 / (self.arrive - self.sent) as f64).clamp(0.0, 1.0)
    }
}

/// What a short-lived mark on a node says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Dropped,
    TimedOut,
    Completed,
    Failed,
}

/// A brief mark where something happened, faded out over wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    pub node: NodeId,
    pub kind: MarkKind,
    /// Wall-clock time (ms) the mark appeared.
    pub born_ms: f64,
}

/// How long a mark stays on screen.
pub const MARK_MS: f64 = 600.0;
/// At most this many marks are kept; older ones are discarded first.
const MAX_MARKS: usize = 400;

/// Fewest milliseconds between two new marks of one kind at one node: at
/// most three onsets a second, under the general flash threshold.
pub const FLASH_GAP_MS: f64 = 1000.0 / 3.0;

/// What the display clock passed since the sound last listened: the
/// outcomes the earcons tell (`crate::access::sound`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heard {
    pub completed: u64,
    pub dropped: u64,
    pub timed_out: u64,
}

/// Queue and workers of one node, as of the display clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeState {
    pub queued: u32,
    pub busy: u32,
    pub workers: u32,
    /// Connections or requests held open at the node.
    pub open: u32,
}

#[derive(Default)]
pub struct Playback {
    pub run: u32,
    pub topology: Topology,
    /// Events received but not yet reached by the display clock, in order.
    pending: VecDeque<Event>,
    pub dots: Vec<Dot>,
    pub marks: VecDeque<Mark>,
    pub nodes: Vec<NodeState>,
    /// Virtual time being shown.
    pub display: Time,
    /// Newest virtual time the server reported.
    pub latest: Time,
    /// Virtual time one tick covers at the current speed; the display trails
    /// `latest` by about this much.
    pub lag: Time,
    pub playing: bool,
    pub speed: f64,
    /// Events the server reported as coalesced since the run started.
    pub coalesced: u64,
    /// The server's sampling of the stream: one message and one request in
    /// `sampled` arrive (1: all). Each dot then stands for this many.
    pub sampled: u64,
    /// Bumped when the topology changes so the stage recomputes its layout.
    pub generation: u64,
    /// Bumped whenever what the stage shows changes other than through the
    /// display clock (events applied, counts resynchronised, a new run):
    /// the stage is redrawn only when this, the clock or a mark moves.
    pub revision: u64,
    /// Wall-clock milliseconds of playing time: marks fade against this
    /// clock, so pausing freezes the whole picture.
    pub clock_ms: f64,
    /// The newest events received, for the message inspector.
    log: VecDeque<Event>,
    /// The last requests that completed or failed, newest last.
    pub recent: VecDeque<Recent>,
    /// The conversation whose dots are drawn highlighted.
    pub highlight: Option<ReqId>,
    /// The single message drawn highlighted (message-keyed inspection).
    pub highlight_msg: Option<MsgId>,
    /// Motion reduced (the user's system setting): dots jump between
    /// quarter points of their links instead of gliding.
    pub reduced_motion: bool,
    /// Outcomes the display clock passed, until the sound takes them.
    pub heard: Heard,
}

/// A request that just completed (with its wait) or failed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recent {
    pub req: ReqId,
    pub wait: Option<Time>,
}

/// Events kept for the inspector: some seconds of a busy run.
const LOG_EVENTS: usize = 50_000;
/// Recent requests offered in the inspector's list.
const RECENT: usize = 10;

/// Wall-clock length of one server tick.
const TICK_MS: f64 = 1000.0 / 30.0;

impl Playback {
    /// Starts drawing a new run.
    pub fn reset(&mut self, hello: &Hello) {
        self.run = hello.run;
        self.topology = hello.topology.clone();
        self.pending.clear();
        self.log.clear();
        self.recent.clear();
        self.highlight = None;
        self.highlight_msg = None;
        self.dots.clear();
        self.marks.clear();
        self.nodes = hello
            .topology
            .nodes
            .iter()
            .map(|n| NodeState {
                queued: 0,
                busy: 0,
                workers: n.workers,
                open: 0,
            })
            .collect();
        self.display = 0;
        self.latest = 0;
        self.playing = hello.playing;
        self.speed = hello.speed;
        self.lag = Self::lag_for(hello.speed);
        self.coalesced = 0;
        self.heard = Heard::default();
        self.generation += 1;
        self.revision += 1;
    }

    fn lag_for(speed: f64) -> Time {
        (1.5 * TICK_MS * speed * MS as f64) as Time
    }

    /// Takes a tick's events. Returns `false` for a tick of an older run.
    pub fn ingest(&mut self, tick: &Tick<'_>) -> bool {
        if tick.run != self.run {
            return false;
        }
        self.pending.extend(tick.events.iter().copied());
        for e in tick.events.iter() {
            if self.log.len() == LOG_EVENTS {
                self.log.pop_front();
            }
            self.log.push_back(*e);
            match e.what {
                What::Completed { req, wait, .. } => self.note_recent(req, Some(wait)),
                What::Failed { req, .. } => self.note_recent(req, None),
                _ => {}
            }
        }
        self.latest = self.latest.max(tick.now);
        self.playing = tick.playing;
        self.speed = tick.speed;
        self.lag = Self::lag_for(tick.speed);
        self.sampled = tick.sampled.max(1);
        if tick.coalesced > 0 {
            self.coalesced += tick.coalesced;
        }
        if tick.coalesced > 0 || tick.sampled > 1 {
            // Some events never arrived: resynchronise the counts the
            // server's snapshot carries.
            if let Some(m) = &tick.metrics {
                self.resync(m.queue_depth, m.busy);
            }
        }
        true
    }

    fn note_recent(&mut self, req: ReqId, wait: Option<Time>) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent { req, wait });
    }

    /// Every event of `req`'s conversation still in the log, in order (by
    /// the rules of [`sim::story`], as the server tells a whole story).
    pub fn conversation(&self, req: ReqId) -> Vec<Event> {
        sim::story::tell(sim::story::Subject::Request(req), self.log.iter())
    }

    /// One message's own story (for patterns whose messages carry no single
    /// request: polls, answers, stream events): its events, and what it
    /// completed or failed where and when it arrived.
    pub fn message_story(&self, msg: MsgId) -> Vec<Event> {
        sim::story::tell(sim::story::Subject::Message(msg), self.log.iter())
    }

    /// Sets the service's counts after events were coalesced away.
    fn resync(&mut self, queued: u64, busy: u64) {
        self.revision += 1;
        for (n, s) in self.topology.nodes.iter().zip(self.nodes.iter_mut()) {
            if n.workers > 0 {
                s.queued = queued as u32;
                s.busy = (busy as u32).min(s.workers.max(busy as u32));
            }
        }
    }

    /// The reader held the view while the run went on: take up again at
    /// `now`, the queues and workers as `queued` and `busy` say (the events
    /// in between were not kept, so nothing of them is drawn).
    pub fn jump(&mut self, now: Time, queued: u64, busy: u64) {
        self.pending.clear();
        self.dots.clear();
        self.marks.clear();
        self.latest = self.latest.max(now);
        self.display = self.latest;
        self.resync(queued, busy);
    }

    /// Shows the run at a moment the page did not watch arrive (a seek, a
    /// step back, back to live): its dots and its nodes' counts as the
    /// server has them there, nothing pending, nothing fading.
    pub fn moment(&mut self, m: &Moment) {
        self.pending.clear();
        self.log.clear();
        self.recent.clear();
        self.marks.clear();
        self.dots.clear();
        self.dots.extend(m.flights.iter().map(Dot::from));
        for ((state, node), counts) in self
            .nodes
            .iter_mut()
            .zip(&self.topology.nodes)
            .zip(&m.nodes)
        {
            *state = NodeState {
                queued: counts.queued,
                busy: counts.busy,
                workers: counts.workers.unwrap_or(node.workers),
                open: counts.open,
            };
        }
        self.display = m.now;
        self.latest = m.now;
        self.playing = m.playing;
        self.speed = m.speed;
        self.lag = Self::lag_for(m.speed);
        self.heard = Heard::default();
        self.revision += 1;
    }

    /// Moves the display clock for `wall_dt_ms` of wall time, applying every
    /// event it passes.
    pub fn advance(&mut self, wall_dt_ms: f64) {
        if self.playing {
            self.clock_ms += wall_dt_ms.clamp(0.0, 250.0);
        }
        let now_ms = self.clock_ms;
        let target = if self.playing {
            let step = (wall_dt_ms.clamp(0.0, 250.0) * self.speed * MS as f64) as Time;
            // Trail the server by `lag` so that messages sent and delivered
            // within one tick are still seen travelling.
            let ceiling = self.latest.saturating_sub(self.lag);
            let mut t = self.display + step;
            // Fell far behind (tab in background, burst of ticks): catch up.
            if t + 4 * self.lag.max(MS) < ceiling {
                t = ceiling;
            }
            t.min(ceiling)
        } else {
            // Paused or single-stepping: show exactly what the server did.
            self.latest
        };
        self.display = self.display.max(target);
        while let Some(e) = self.pending.front() {
            if e.at > self.display {
                break;
            }
            let e = self.pending.pop_front().expect("front exists");
            self.apply(&e, now_ms);
            self.revision += 1;
        }
        let t = self.display;
        self.dots.retain(|d| d.arrive > t);
        while self
            .marks
            .front()
            .is_some_and(|m| now_ms - m.born_ms > MARK_MS)
        {
            self.marks.pop_front();
        }
    }

    fn mark(&mut self, node: NodeId, kind: MarkKind, now_ms: f64) {
        match kind {
            MarkKind::Completed => self.heard.completed += 1,
            MarkKind::Dropped | MarkKind::Failed => self.heard.dropped += 1,
            MarkKind::TimedOut => self.heard.timed_out += 1,
        }
        // At most one new mark of a kind at a node per FLASH_GAP_MS: a
        // node that drops a thousand messages a second shows a steady
        // pulse of three a second, never a flicker (WCAG 2.3.1).
        let recent = self
            .marks
            .iter()
            .rev()
            .take_while(|m| now_ms - m.born_ms < FLASH_GAP_MS)
            .any(|m| m.node == node && m.kind == kind);
        if recent {
            return;
        }
        if self.marks.len() >= MAX_MARKS {
            self.marks.pop_front();
        }
        self.marks.push_back(Mark {
            node,
            kind,
            born_ms: now_ms,
        });
    }

    fn node(&mut self, id: NodeId) -> Option<&mut NodeState> {
        self.nodes.get_mut(id as usize)
    }

    fn apply(&mut self, e: &Event, now_ms: f64) {
        match e.what {
            What::Sent { .. } => self.dots.extend(Flight::of(e).as_ref().map(Dot::from)),
            What::Queued { node, .. } => {
                if let Some(n) = self.node(node) {
                    n.queued += 1;
                }
            }
            What::Started { node, queued, .. } => {
                if let Some(n) = self.node(node) {
                    if queued {
                        n.queued = n.queued.saturating_sub(1);
                    }
                    n.busy += 1;
                }
            }
            What::Served { node, .. } => {
                if let Some(n) = self.node(node) {
                    n.busy = n.busy.saturating_sub(1);
                }
            }
            What::Dropped { node, reason, .. } => {
                if reason.from_queue() {
                    if let Some(n) = self.node(node) {
                        n.queued = n.queued.saturating_sub(1);
                    }
                }
                self.mark(node, MarkKind::Dropped, now_ms)
            }
            What::TimedOut { node, .. } => self.mark(node, MarkKind::TimedOut, now_ms),
            What::Completed { node, .. } => self.mark(node, MarkKind::Completed, now_ms),
            What::Failed { node, .. } => self.mark(node, MarkKind::Failed, now_ms),
            What::Capacity { node, workers } => {
                if let Some(n) = self.node(node) {
                    n.workers = workers;
                }
            }
            What::Open { node, connections } => {
                if let Some(n) = self.node(node) {
                    n.open = connections;
                }
            }
            What::Offered { .. }
            | What::Delivered { .. }
            | What::Leg { .. }
            | What::Breakdown { .. } => {}
        }
    }

    /// Every how many dots one is drawn so that at most `budget` are.
    pub fn sample_stride(&self, budget: usize) -> usize {
        self.dots.len().div_ceil(budget.max(1)).max(1)
    }

    /// Messages each drawn dot stands for: the page's own sampling at
    /// `stride` times the server's.
    pub fn messages_per_dot(&self, stride: usize) -> usize {
        stride.saturating_mul(self.sampled.max(1) as usize)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sim::run::Options;
    use sim::{find_pattern, Simulation};
    use std::borrow::Cow;

    pub(crate) fn run_ticks(ticks: usize) -> (Playback, Simulation) {
        run_ticks_of("request-response", ticks)
    }

    /// Feeds `ticks` ticks of a default run of `pattern` through a playback.
    pub(crate) fn run_ticks_of(pattern: &str, ticks: usize) -> (Playback, Simulation) {
        let info = find_pattern(pattern).unwrap();
        let mut sim = Simulation::new(info.defaults(), 1, Options::EVENTS);
        let mut pb = Playback::default();
        pb.reset(&Hello {
            run: 1,
            pattern: info.id.into(),
            seed: 1,
            values: sim.params().values().to_vec(),
            topology: sim.topology().clone(),
            speed: 1.0,
            playing: true,
        });
        for i in 1..=ticks {
            let now = i as Time * 33 * MS;
            sim.advance_to(now);
            let tick = Tick {
                run: 1,
                now,
                head: now,
                speed: 1.0,
                playing: true,
                events: Cow::Borrowed(sim.events()),
                coalesced: 0,
                sampled: 1,
                metrics: None,
                achieved: 1.0,
            };
            assert!(pb.ingest(&tick));
            sim.clear_events();
            pb.advance(33.0);
        }
        (pb, sim)
    }

    #[test]
    fn the_display_trails_the_server_and_dots_move() {
        let (pb, _) = run_ticks(60);
        assert!(pb.display < pb.latest && pb.latest - pb.display <= 2 * pb.lag);
        assert!(
            !pb.dots.is_empty(),
            "at 80 req/s with 20 ms links some messages are in flight"
        );
        for d in &pb.dots {
            let p = d.progress(pb.display);
            assert!((0.0..=1.0).contains(&p));
            assert!(d.arrive > pb.display);
        }
    }

    #[test]
    fn queue_and_worker_counts_follow_the_events() {
        let (mut pb, sim) = run_ticks(90);
        // Drain everything up to the latest tick and compare with the engine.
        pb.playing = false;
        pb.advance(0.0);
        let service = pb.nodes.last().unwrap();
        assert_eq!(service.workers, 1);
        assert_eq!(service.queued as u64, sim.ledger().queued);
        assert_eq!(service.busy as u64, sim.ledger().in_service);
        let in_flight = sim.ledger().in_flight as usize;
        assert_eq!(pb.dots.len(), in_flight, "every message on a link is a dot");
    }

    #[test]
    fn ticks_of_an_old_run_are_ignored() {
        let mut pb = Playback {
            run: 3,
            ..Default::default()
        };
        let tick = Tick {
            run: 2,
            now: 5,
            head: 5,
            speed: 1.0,
            playing: true,
            events: Cow::Owned(vec![]),
            coalesced: 0,
            sampled: 1,
            metrics: None,
            achieved: 1.0,
        };
        assert!(!pb.ingest(&tick));
        assert_eq!(pb.latest, 0);
    }

    #[test]
    fn sampling_keeps_the_dot_budget() {
        let mut pb = Playback::default();
        for i in 0..4500 {
            pb.dots.push(Dot {
                msg: i,
                req: i,
                link: 0,
                kind: MsgKind::Request,
                sent: 0,
                arrive: 10,
                lost: false,
            });
        }
        assert_eq!(pb.sample_stride(2000), 3);
        assert_eq!(pb.sample_stride(5000), 1);
    }

    #[test]
    fn a_node_dropping_everything_pulses_at_most_three_times_a_second() {
        let mut pb = Playback {
            nodes: vec![NodeState::default(); 2],
            ..Default::default()
        };
        for k in 0..1000 {
            let e = Event {
                at: k,
                what: What::Dropped {
                    msg: k,
                    node: 1,
                    reason: sim::DropReason::QueueFull,
                },
            };
            pb.apply(&e, k as f64);
        }
        let onsets = pb.marks.iter().filter(|m| m.node == 1).count();
        assert!(onsets <= 3, "{onsets} marks in one second");
        assert_eq!(pb.heard.dropped, 1000, "the sound still hears every one");
    }
}
