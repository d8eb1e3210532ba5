//! A real run played back in a pane: the events a real run reported
//! (`real::recording`), paced by wall time like a live run and sent in
//! the same frames, so the page draws the real run exactly as it draws
//! the model. Its figures come from a recorder fed those events as they
//! play, the same code that measures the model.
//!
//! A recording is what happened, so the whole of it can be shown: play,
//! pause, speed, a restart, a seek to any moment of it, a step to its next
//! event and a step back over its last, and the way back to the furthest
//! it has played all work, so a real pane follows the page's timeline
//! beside the model. A change of parameter, pattern or seed is refused in
//! words (the real run would have to run again).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use sim::timeline::SeekError;
use sim::wire::{Control, Flight, Frame, Hello, Moment, Tick, MAX_FLIGHTS};
use sim::Recorder;

use crate::live::pacer::Pacer;
use crate::live::session::QUIET_HEARTBEAT;
use crate::live::watched::{Watched, Worked};
use crate::real::recording::Recording;

/// What a refused control says.
const RECORDED: &str = "the real pane plays back a real run as it happened: it plays, pauses, seeks, steps and starts again, but cannot change; change pane A's settings and run it for real again";

pub struct Playback {
    rec: Arc<Recording>,
    /// Increments with every restart, so the page drops stale ticks.
    run: u32,
    pacer: Pacer,
    /// Where the playback stands.
    now: sim::Time,
    /// The furthest it has played ("back to live" returns there).
    furthest: sim::Time,
    /// A step asked for: the next tick plays to this moment at once.
    step_to: Option<sim::Time>,
    /// The first event not yet sent.
    next: usize,
    /// The real run's figures so far.
    recorder: Recorder,
    /// Events the viewer had no room for since its last tick.
    coalesced: u64,
    /// The state the last tick told, to send nothing while nothing moves.
    told: Option<(u32, sim::Time, bool, f64)>,
    quiet: u32,
}

impl Playback {
    /// A playback of `rec` from its start, playing.
    pub fn new(rec: Arc<Recording>) -> Playback {
        Playback {
            rec,
            run: 1,
            pacer: Pacer::default(),
            now: 0,
            furthest: 0,
            step_to: None,
            next: 0,
            recorder: Recorder::new(false, false),
            coalesced: 0,
            told: None,
            quiet: 0,
        }
    }

    /// From the start again, as a new run.
    fn restart(&mut self) {
        self.run += 1;
        self.rewind();
        self.furthest = 0;
        self.step_to = None;
        self.coalesced = 0;
        self.told = None;
    }

    /// Back before the first event: no event played, no figure counted.
    fn rewind(&mut self) {
        self.recorder = Recorder::new(false, false);
        self.next = 0;
        self.now = 0;
    }

    /// What a tick tells, to send nothing while it stays the same.
    fn told_now(&self) -> (u32, sim::Time, bool, f64) {
        (self.run, self.now, self.pacer.playing, self.pacer.speed)
    }

    /// Stands the playback at `t`: its figures are of every event up to
    /// then (fed again from the start to go back: at most a run's ~60,000
    /// events, a few milliseconds).
    fn go_to(&mut self, t: sim::Time) {
        let t = t.min(self.rec.horizon);
        if t < self.now {
            self.rewind();
        }
        let events = &self.rec.events;
        let to = self.next + events[self.next..].partition_point(|e| e.at <= t);
        for e in &events[self.next..to] {
            self.recorder.emit(e.at, e.what);
        }
        self.recorder.metrics_mut().advance_to(t);
        self.next = to;
        self.now = t;
        self.furthest = self.furthest.max(t);
        self.step_to = None;
    }

    /// The frame that shows the real run where the playback stands, drawn
    /// from nothing: the messages then on their links (sent, not yet
    /// arrived), each node's counts and the figures so far. Events not yet
    /// sent to the viewer are dropped: it starts over from this moment.
    fn moment(&mut self, undone: Vec<sim::Event>) -> Vec<u8> {
        let now = self.now;
        let mut flights: Vec<Flight> = self.rec.events[..self.next]
            .iter()
            .filter_map(Flight::of)
            .filter(|f| f.arrive > now)
            .collect();
        let total = flights.len() as u64;
        if flights.len() > MAX_FLIGHTS {
            // The soonest to arrive, as the model's moment keeps.
            flights.sort_unstable_by_key(|f| (f.arrive, f.msg));
            flights.truncate(MAX_FLIGHTS);
        }
        let metrics = self.recorder.metrics_mut();
        let nodes = metrics.node_counts(self.rec.topology.nodes.len());
        let snapshot = metrics.snapshot();
        self.coalesced = 0;
        self.told = Some(self.told_now());
        Frame::Moment(Moment {
            run: self.run,
            now,
            head: self.furthest,
            playing: self.pacer.playing,
            speed: self.pacer.speed,
            flights,
            flights_total: total,
            nodes,
            metrics: snapshot,
            undone,
        })
        .encode()
    }

    /// One event time back: the events at the last moment played are
    /// undone, and the playback stands at the moment before them.
    fn step_back(&mut self) -> Result<Vec<u8>, String> {
        if self.pacer.playing {
            return Err("step back works while paused: pause first".into());
        }
        let events = &self.rec.events;
        let Some(last) = events[..self.next].last() else {
            return Err("this is the start of the run: there is no step before it".into());
        };
        let first = events[..self.next].partition_point(|e| e.at < last.at);
        let undone = events[first..self.next].to_vec();
        match first.checked_sub(1) {
            Some(i) => self.go_to(events[i].at),
            // Back over the first events: the start, before any.
            None => self.rewind(),
        }
        Ok(self.moment(undone))
    }

    fn control(&mut self, control: Control) -> Result<Option<Vec<u8>>, String> {
        match control {
            Control::Play => {
                if self.now >= self.rec.horizon {
                    self.restart();
                    self.pacer.playing = true;
                    return Ok(Some(self.hello()));
                }
                self.pacer.playing = true;
            }
            Control::Pause => self.pacer.playing = false,
            Control::Speed { value } => self.pacer.set_speed(value),
            Control::Reset { seed: None } => {
                self.restart();
                return Ok(Some(self.hello()));
            }
            Control::Story { req, msg } => {
                let subject = match (req, msg) {
                    (Some(r), _) => sim::story::Subject::Request(r),
                    (None, Some(m)) => sim::story::Subject::Message(m),
                    (None, None) => {
                        return Err("a story is of a request (req) or a message (msg)".into())
                    }
                };
                let events = sim::story::tell(subject, self.rec.events[..self.next].iter());
                return Ok(Some(
                    Frame::Story(sim::wire::Story {
                        run: self.run,
                        req,
                        msg: if req.is_some() { None } else { msg },
                        events,
                        whole: true,
                        until: self.now,
                        overflow: 0,
                    })
                    .encode(),
                ));
            }
            Control::Seek { t } => {
                if !t.is_finite() || t < 0.0 {
                    return Err(SeekError::NotATime(t).to_string());
                }
                let horizon = sim::time::to_secs(self.rec.horizon);
                if t > horizon + 1e-9 {
                    return Err(SeekError::Beyond {
                        asked: t,
                        head: horizon,
                    }
                    .to_string());
                }
                self.pacer.playing = false;
                self.go_to(sim::time::from_secs(t));
                return Ok(Some(self.moment(Vec::new())));
            }
            Control::Step => {
                if self.pacer.playing {
                    return Err("step works while paused: pause first".into());
                }
                let Some(e) = self.rec.events.get(self.next) else {
                    return Err("this is the end of the real run: there is no step after it".into());
                };
                self.step_to = Some(e.at);
            }
            Control::StepBack => return self.step_back().map(Some),
            Control::Live => {
                self.go_to(self.furthest);
                return Ok(Some(self.moment(Vec::new())));
            }
            Control::Inspect { .. } | Control::Bookmarks { .. } | Control::Sweep { .. } => {}
            Control::Set { .. } | Control::Pattern { .. } | Control::Reset { seed: Some(_) } => {
                return Err(RECORDED.into())
            }
        }
        Ok(None)
    }
}

/// Whether a control takes the playback back in time, which feeds its
/// recorder again from the start (~1.3 ms for 75,000 events).
fn rewinds(c: &Control) -> bool {
    matches!(c, Control::Seek { .. } | Control::StepBack)
}

impl Playback {
    /// Answers the controls of one tick in order, within `cpu`: of several
    /// seeks only the last is made (a drag's latest moment wins), and
    /// once `cpu` is spent a further rewind is refused in words (one
    /// always runs), so a client sending controls as fast as it can takes
    /// no more of a simulation thread than a live session.
    fn answer(
        &mut self,
        controls: &[String],
        cpu: Duration,
    ) -> Vec<Result<Option<Vec<u8>>, String>> {
        let started = std::time::Instant::now();
        let parsed: Vec<Result<Control, String>> =
            controls.iter().map(|c| Control::parse(c)).collect();
        let last_seek = parsed
            .iter()
            .rposition(|c| matches!(c, Ok(Control::Seek { .. })));
        let mut rewound = false;
        let mut out = Vec::with_capacity(controls.len());
        for (i, c) in parsed.into_iter().enumerate() {
            let c = match c {
                Ok(c) => c,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            if matches!(c, Control::Seek { .. }) && Some(i) != last_seek {
                out.push(Ok(None));
                continue;
            }
            let rewinding = rewinds(&c);
            if rewinding && rewound && started.elapsed() >= cpu {
                out.push(Err(BUSY.into()));
                continue;
            }
            rewound |= rewinding;
            out.push(self.control(c));
        }
        out
    }
}

/// What a rewind past a tick's budget says.
const BUSY: &str = "the real pane is still going back through its run: step back again in a moment";

impl Watched for Playback {
    fn hello(&self) -> Vec<u8> {
        Frame::Hello(Hello {
            run: self.run,
            pattern: self.rec.params.pattern().to_string(),
            seed: self.rec.seed,
            values: self.rec.params.values().to_vec(),
            topology: self.rec.topology.clone(),
            speed: self.pacer.speed,
            playing: self.pacer.playing,
        })
        .encode()
    }

    fn work(
        &mut self,
        controls: &[String],
        wall: Duration,
        cpu: Duration,
        send_tick: bool,
        with_metrics: bool,
        _history: bool,
    ) -> Worked {
        let answers = self.answer(controls, cpu);
        let from = self.next;
        let advanced = self.pacer.advance(wall);
        let target = match self.step_to {
            Some(t) => t,
            None => self.now + advanced,
        };
        if target > self.now || self.step_to.is_some() {
            self.go_to(target);
        }
        let to = self.next;
        if self.now >= self.rec.horizon {
            // The end of what happened: it stands there until played again.
            self.pacer.playing = false;
        }
        let told = self.told_now();
        let still = to == from && self.told == Some(told);
        if still && self.quiet + 1 < QUIET_HEARTBEAT {
            self.quiet += 1;
            return Worked {
                answers,
                ..Worked::default()
            };
        }
        if !send_tick {
            self.coalesced += (to - from) as u64;
            return Worked {
                answers,
                ..Worked::default()
            };
        }
        let metrics = (with_metrics || !self.pacer.playing || self.coalesced > 0)
            .then(|| self.recorder.metrics_mut().snapshot());
        let tick = Frame::Tick(Tick {
            run: self.run,
            now: self.now,
            head: self.now,
            speed: self.pacer.speed,
            playing: self.pacer.playing,
            events: Cow::Borrowed(&self.rec.events[from..to]),
            coalesced: self.coalesced,
            sampled: 1,
            metrics,
            achieved: self.pacer.speed,
        })
        .encode();
        self.coalesced = 0;
        self.told = Some(told);
        self.quiet = 0;
        Worked {
            answers,
            tick: Some(tick),
            ..Worked::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::Simulation;
    use std::collections::BTreeMap;

    /// A recording of the model itself (what a real run reports has the
    /// same shape): 3 s of request-response.
    fn recording() -> Arc<Recording> {
        let params = sim::find_pattern("request-response").unwrap().defaults();
        let mut model = Simulation::new(params.clone(), 4, sim::run::Options::EVENTS);
        let horizon = sim::time::from_secs(3.0);
        model.advance_to(horizon);
        Arc::new(Recording {
            params,
            seed: 4,
            topology: model.topology().clone(),
            horizon,
            events: model.events().to_vec(),
            bytes: BTreeMap::new(),
        })
    }

    fn tick(p: &mut Playback, controls: &[&str], wall_ms: u64) -> Worked {
        let controls: Vec<String> = controls.iter().map(|c| c.to_string()).collect();
        p.work(
            &controls,
            Duration::from_millis(wall_ms),
            Duration::MAX,
            true,
            true,
            false,
        )
    }

    /// Played to its end, every event is sent once, in order, and the
    /// figures are those of every event; then it stands still.
    #[test]
    fn plays_every_event_once_then_stands_at_its_end() {
        let rec = recording();
        let mut p = Playback::new(Arc::clone(&rec));
        let mut sent = Vec::new();
        let mut last = None;
        for _ in 0..200 {
            let w = tick(&mut p, &[], 33);
            if let Some(bytes) = w.tick {
                let Ok(Frame::Tick(t)) = Frame::decode(&bytes) else {
                    panic!("a tick")
                };
                sent.extend_from_slice(&t.events);
                last = Some((t.now, t.playing, t.metrics));
            }
        }
        assert_eq!(sent, rec.events);
        let (now, playing, metrics) = last.unwrap();
        assert_eq!(now, rec.horizon);
        assert!(!playing, "it stops at the end of what happened");
        let (mut whole, _) = crate::real::log::to_recorder(&rec.events, rec.horizon);
        assert_eq!(metrics.unwrap(), whole.metrics_mut().snapshot());
        assert!(tick(&mut p, &[], 33).tick.is_none(), "nothing moves");
    }

    #[test]
    fn pauses_restarts_and_refuses_change_in_words() {
        let rec = recording();
        let mut p = Playback::new(rec);
        tick(&mut p, &[], 100);
        let w = tick(&mut p, &[r#"{"type":"pause"}"#], 100);
        let Ok(Frame::Tick(t)) = Frame::decode(w.tick.as_ref().unwrap()) else {
            panic!("a tick")
        };
        assert!(!t.playing && t.now == sim::time::from_ms(100.0));
        for c in [
            r#"{"type":"set","param":"rate","value":5}"#,
            r#"{"type":"pattern","id":"polling"}"#,
            r#"{"type":"reset","seed":3}"#,
        ] {
            let w = tick(&mut p, &[c], 33);
            assert!(
                matches!(&w.answers[0], Err(e) if e.contains("as it happened")),
                "{c}"
            );
        }
        let w = tick(&mut p, &[r#"{"type":"reset"}"#], 33);
        let Ok(Some(hello)) = &w.answers[0] else {
            panic!("a restart answers with its hello")
        };
        let Ok(Frame::Hello(h)) = Frame::decode(hello) else {
            panic!("a hello")
        };
        assert_eq!((h.run, h.pattern.as_str()), (2, "request-response"));
        let w = tick(&mut p, &[r#"{"type":"story","req":0}"#], 33);
        let Ok(Some(story)) = &w.answers[0] else {
            panic!("a story")
        };
        assert!(matches!(Frame::decode(story), Ok(Frame::Story(_))));
    }

    fn moment_of(w: &Worked) -> Moment {
        match &w.answers[0] {
            Ok(Some(bytes)) => match Frame::decode(bytes) {
                Ok(Frame::Moment(m)) => m,
                other => panic!("a moment, not {other:?}"),
            },
            other => panic!("a moment, not {other:?}"),
        }
    }

    fn sorted(mut f: Vec<Flight>) -> Vec<Flight> {
        f.sort_by_key(|f| (f.msg, f.arrive));
        f
    }

    /// A seek shows the recording at that moment exactly as the run that
    /// made it stood there (the recording here is of the model): the same
    /// messages on their links, node counts and figures, backwards as
    /// forwards; back to live returns to the furthest it played.
    #[test]
    fn a_seek_shows_the_moment_the_run_stood_at() {
        let rec = recording();
        let mut p = Playback::new(Arc::clone(&rec));
        for _ in 0..60 {
            tick(&mut p, &[], 33);
        }
        let mut furthest = p.now;
        for t in [1.5, 0.25, 2.0, 0.0, 1.5] {
            let w = tick(&mut p, &[&format!(r#"{{"type":"seek","t":{t}}}"#)], 33);
            let m = moment_of(&w);
            let at = sim::time::from_secs(t);
            let mut model = Simulation::new(rec.params.clone(), 4, sim::run::Options::EVENTS);
            model.advance_to(at);
            let want = model.moment(m.run, 0, Vec::new());
            assert_eq!(
                (m.now, m.head, m.playing),
                (at, furthest.max(at), false),
                "t = {t}"
            );
            assert_eq!(m.flights_total, want.flights_total, "t = {t}");
            assert_eq!(sorted(m.flights), sorted(want.flights), "t = {t}");
            assert_eq!(m.nodes, want.nodes, "t = {t}");
            assert_eq!(m.metrics.totals, want.metrics.totals, "t = {t}");
            assert!(
                w.tick.is_none(),
                "a seek stands still: no tick after its moment"
            );
            assert!(tick(&mut p, &[], 33).tick.is_none(), "and stays still");
            furthest = furthest.max(at);
        }
        let m = moment_of(&tick(&mut p, &[r#"{"type":"live"}"#], 33));
        assert_eq!(m.now, furthest);
        for c in [r#"{"type":"seek","t":-1}"#, r#"{"type":"seek","t":3.5}"#] {
            let w = tick(&mut p, &[c], 33);
            assert!(matches!(&w.answers[0], Err(e) if e.contains("t = ")), "{c}");
        }
    }

    /// A step back undoes the events of the last moment played and a step
    /// plays exactly them again; at the start there is no step back.
    #[test]
    fn steps_back_and_forth_over_one_moment_of_events() {
        let rec = recording();
        let mut p = Playback::new(Arc::clone(&rec));
        tick(&mut p, &[r#"{"type":"seek","t":1}"#], 33);
        let before = p.next;
        let m = moment_of(&tick(&mut p, &[r#"{"type":"step_back"}"#], 33));
        assert!(!m.undone.is_empty());
        let at = m.undone[0].at;
        assert!(m.undone.iter().all(|e| e.at == at), "one moment's events");
        assert_eq!(&rec.events[before - m.undone.len()..before], &m.undone[..]);
        assert!(m.now < at);
        let w = tick(&mut p, &[r#"{"type":"step"}"#], 33);
        assert!(w.answers[0].as_ref().is_ok_and(Option::is_none));
        let Ok(Frame::Tick(t)) = Frame::decode(w.tick.as_ref().unwrap()) else {
            panic!("a tick")
        };
        assert_eq!((t.now, &t.events[..]), (at, &m.undone[..]));
        tick(&mut p, &[r#"{"type":"seek","t":0}"#], 33);
        let first = rec.events[0].at;
        if first == 0 {
            tick(&mut p, &[r#"{"type":"step_back"}"#], 33);
        }
        let w = tick(&mut p, &[r#"{"type":"step_back"}"#], 33);
        assert!(
            matches!(&w.answers[0], Err(e) if e.contains("start of the run")),
            "{:?}",
            w.answers
        );
        tick(&mut p, &[r#"{"type":"play"}"#], 33);
        let w = tick(&mut p, &[r#"{"type":"step"}"#], 33);
        assert!(matches!(&w.answers[0], Err(e) if e.contains("pause first")));
    }

    /// Of a drag's seeks in one tick only the last is made; past the
    /// tick's budget a further step back is refused in words.
    #[test]
    fn a_tick_makes_one_seek_and_rewinds_within_its_budget() {
        let rec = recording();
        let mut p = Playback::new(rec);
        let controls: Vec<String> = [0.5, 1.0, 1.5]
            .iter()
            .map(|t| format!(r#"{{"type":"seek","t":{t}}}"#))
            .collect();
        let w = p.work(&controls, Duration::ZERO, Duration::MAX, true, true, false);
        assert!(matches!(w.answers[..2], [Ok(None), Ok(None)]));
        let Ok(Some(bytes)) = &w.answers[2] else {
            panic!("the last seek answers")
        };
        let Ok(Frame::Moment(m)) = Frame::decode(bytes) else {
            panic!("a moment")
        };
        assert_eq!(m.now, sim::time::from_secs(1.5));
        let backs = vec![r#"{"type":"step_back"}"#.to_string(); 3];
        let w = p.work(&backs, Duration::ZERO, Duration::ZERO, true, true, false);
        assert!(matches!(&w.answers[0], Ok(Some(_))), "one always runs");
        for a in &w.answers[1..] {
            assert!(matches!(a, Err(e) if e == BUSY), "{a:?}");
        }
    }
}
