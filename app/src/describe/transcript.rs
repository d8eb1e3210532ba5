//! The run in words as a file: what the announcer would say, second by
//! second of virtual time at 1× speed, for a run replayed on the server
//! (`/api/export?…&format=transcript`, or a watched run's recipe). The
//! same readings and the same [`Announcer`] as the page, fed exactly: a
//! seeded run's transcript is the same every time, so the end-to-end
//! suite compares it with a recorded file.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::Write as _;

use sim::event::Event;
use sim::metrics::Snapshot;
use sim::time::{Time, MS};
use sim::topology::Topology;
use sim::wire::{Hello, Tick};
use sim::{ParamSet, PatternInfo};

use super::actors::{actors, overview};
use super::announcer::{Announcer, Verbosity};
use super::{Context, Reading};
use crate::stage::playback::Playback;

/// Readings kept for trends: five seconds apart at the ends.
const TREND_READINGS: usize = 6;

/// Builds a transcript one virtual second at a time.
pub struct Transcriber {
    info: &'static PatternInfo,
    params: ParamSet,
    playback: Playback,
    announcer: Announcer,
    out: String,
    /// The last few seconds' readings: the end's trends are measured
    /// against the oldest.
    recent: VecDeque<Reading>,
}

impl Transcriber {
    /// A transcript of a run of `params` on `topology`, headed by `title`.
    pub fn new(params: ParamSet, topology: &Topology, seed: u64, title: &str) -> Transcriber {
        let info = sim::find_pattern(params.pattern()).unwrap_or(sim::catalogue()[0]);
        let mut playback = Playback::default();
        playback.reset(&Hello {
            run: 1,
            pattern: info.id.into(),
            seed,
            values: params.values().to_vec(),
            topology: topology.clone(),
            speed: 1.0,
            playing: false,
        });
        let mut announcer = Announcer::new(Verbosity::Notable);
        announcer.restoring(0, 0.0);
        Transcriber {
            info,
            params,
            playback,
            announcer,
            out: format!("{title}\n"),
            recent: VecDeque::new(),
        }
    }

    /// The parameters changed live (a recipe's change).
    pub fn set_values(&mut self, values: &[f64]) {
        let _ = self.params.set_all(values);
    }

    /// The run reached `now`, with these events since the last call and
    /// this metrics snapshot: what the page would have said then.
    pub fn reached(&mut self, now: Time, events: &[Event], metrics: &Snapshot) {
        let tick = Tick {
            run: 1,
            now,
            head: now,
            speed: 1.0,
            playing: false,
            events: Cow::Borrowed(events),
            coalesced: 0,
            sampled: 1,
            metrics: None,
            achieved: 1.0,
        };
        self.playback.ingest(&tick);
        // Paused playback shows exactly what the run reached.
        self.playback.advance(0.0);
        let reading = Reading::of(&self.playback, metrics);
        let cx = Context::alone(self.info, &self.playback.topology, &self.params);
        let now_ms = (now / MS) as f64;
        if let Some(text) = self.announcer.offer(now_ms, true, &[(cx, reading.clone())]) {
            let _ = writeln!(
                self.out,
                "[{}] {text}",
                super::words::clock(now_ms / 1000.0)
            );
        }
        if self.recent.len() == TREND_READINGS {
            self.recent.pop_front();
        }
        self.recent.push_back(reading);
    }

    /// What the run's readings were, oldest first (the last few seconds).
    pub fn recent(&self) -> &VecDeque<Reading> {
        &self.recent
    }

    /// The transcript: every announcement, then the run as it stands at
    /// the end (what "Describe now" reads).
    pub fn finish(mut self) -> String {
        if let Some(r) = self.recent.back() {
            let cx = Context::alone(self.info, &self.playback.topology, &self.params);
            let _ = writeln!(self.out, "\nAt the end: {}", overview(&cx, r, false));
            for a in actors(&cx, r, self.recent.front()) {
                let _ = writeln!(self.out, "- {}: {}", a.name, a.state);
            }
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use crate::describe::actors::actors;
    use crate::describe::fixtures::run;

    /// Runs that show each pattern's actors busy and its notable events:
    /// every pattern at its defaults, then stressed where its lesson is.
    const RUNS: &[&str] = &[
        "pattern=request-response&seed=3&rate=80&workers=2&service_ms=20&queue_cap=50&timeout_ms=1000&spike_at_s=8&spike_s=10&spike_x=4",
        "pattern=async-request-reply&seed=3",
        "pattern=short-polling&seed=3",
        "pattern=long-polling&seed=3",
        "pattern=webhooks&seed=3&outage_at_s=5&outage_s=6",
        "pattern=server-sent-events&seed=3&drops_per_min=20",
        "pattern=websocket&seed=3",
        "pattern=publish-subscribe&seed=3&slow_factor=8",
        "pattern=message-queue&seed=3&rate=120&crashes_per_min=6",
        "pattern=event-choreography&seed=3&fail_rate=0.05",
        "pattern=fire-and-forget&seed=3&loss=0.05",
        "pattern=scatter-gather&seed=3&fanout=6",
    ];

    /// What the describer says of every run above: its transcript (what
    /// the page announces at 1×) and its actors at the end. Compared with
    /// `recorded.txt`; `RECORD=1` writes it anew.
    #[test]
    fn every_pattern_is_described_as_recorded() {
        let mut all = String::new();
        for link in RUNS {
            let f = run(link, 20);
            let mut t = super::Transcriber::new(f.params.clone(), &f.topology, 0, link);
            // The fixture's readings, said as the page would.
            let _ = &mut t;
            let _ = writeln!(all, "== {link}");
            let cx = f.context();
            let mut a = crate::describe::announcer::Announcer::new(Default::default());
            a.restoring(0, 0.0);
            for (k, r) in f.readings.iter().enumerate() {
                if let Some(text) = a.offer(k as f64 * 1000.0, true, &[(cx, r.clone())]) {
                    let _ = writeln!(all, "[{k} s] {text}");
                }
            }
            let end = f.readings.last().unwrap();
            let before = &f.readings[f.readings.len() - 6];
            let _ = writeln!(all, "{}", crate::describe::actors::overview(&cx, end, true));
            let list = actors(&cx, end, Some(before));
            for a in &list {
                let _ = writeln!(all, "- {}: {}", a.name, a.state);
            }
            // Every node is told: its label or its group's.
            for n in &f.topology.nodes {
                let stem = n.label.split(' ').next().unwrap();
                assert!(
                    list.iter()
                        .any(|a| a.name.to_lowercase().contains(&stem.to_lowercase())),
                    "{link}: {} is not described in {list:#?}",
                    n.label
                );
            }
            all.push('\n');
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/describe/recorded.txt");
        if std::env::var_os("RECORD").is_some() {
            std::fs::write(path, &all).unwrap();
        }
        let recorded = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            recorded == all,
            "the descriptions changed; if that is meant, RECORD=1 cargo test -p app describe. Now:\n{all}"
        );
    }
}
