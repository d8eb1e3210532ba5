//! A real run played back in a pane: the events a real run reported
//! (`real::recording`), paced by wall time like a live run and sent in
//! the same frames, so the page draws the real run exactly as it draws
//! the model. Its figures come from a recorder fed those events as they
//! play, the same code that measures the model.
//!
//! A recording is what happened: play, pause, speed and a restart from
//! its start work; a change of parameter, pattern or seed, a step or a
//! seek is refused in words (the real run would have to run again).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use sim::wire::{Control, Frame, Hello, Tick};
use sim::Recorder;

use crate::live::pacer::Pacer;
use crate::live::session::QUIET_HEARTBEAT;
use crate::live::watched::{Watched, Worked};
use crate::real::recording::Recording;

/// What a refused control says.
const RECORDED: &str = "the real pane plays back a real run as it happened: it plays, pauses, changes speed and starts again, but cannot change; change pane A's settings and run it for real again";

pub struct Playback {
    rec: Arc<Recording>,
    /// Increments with every restart, so the page drops stale ticks.
    run: u32,
    pacer: Pacer,
    /// Where the playback stands.
    now: sim::Time,
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
        self.now = 0;
        self.next = 0;
        self.recorder = Recorder::new(false, false);
        self.coalesced = 0;
        self.told = None;
    }

    fn control(&mut self, text: &str) -> Result<Option<Vec<u8>>, String> {
        match Control::parse(text)? {
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
            Control::Live
            | Control::Inspect { .. }
            | Control::Bookmarks { .. }
            | Control::Sweep { .. } => {}
            Control::Set { .. }
            | Control::Pattern { .. }
            | Control::Reset { seed: Some(_) }
            | Control::Step
            | Control::StepBack
            | Control::Seek { .. } => return Err(RECORDED.into()),
        }
        Ok(None)
    }
}

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
        _cpu: Duration,
        send_tick: bool,
        with_metrics: bool,
        _history: bool,
    ) -> Worked {
        let answers = controls.iter().map(|c| self.control(c)).collect();
        let from = self.next;
        let target = (self.now + self.pacer.advance(wall)).min(self.rec.horizon);
        let events = &self.rec.events;
        let to = from + events[from..].partition_point(|e| e.at <= target);
        for e in &events[from..to] {
            self.recorder.emit(e.at, e.what);
        }
        self.recorder.metrics_mut().advance_to(target);
        self.now = target;
        self.next = to;
        if self.now >= self.rec.horizon {
            // The end of what happened: it stands there until played again.
            self.pacer.playing = false;
        }
        let told = (self.run, self.now, self.pacer.playing, self.pacer.speed);
        let still = to == from && self.told == Some(told) && controls.is_empty();
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
            r#"{"type":"seek","t":1}"#,
            r#"{"type":"step"}"#,
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
}
