//! A viewer's simulation session, without the socket.
//!
//! Owns the [`Simulation`], the [`Pacer`] and the run counter; turns control
//! messages into state changes (or errors that change nothing) and produces
//! the encoded frames the viewer receives. Everything here is synchronous,
//! so it is tested by feeding it durations and strings; [`Session::work`]
//! runs on a simulation thread, never on an async worker.
//!
//! Budgets: a tick's simulation stops when its CPU time is spent (the run
//! then falls behind real time, and `Tick::achieved` says by how much), and
//! a run that holds more than `sim::budget::MAX_HELD` items is paused with
//! a message instead of growing.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use sim::link::LinkChange;
use sim::run::{Advance, Applied, Options};
use sim::timeline::Timeline;
use sim::wire::{Control, Frame, Hello, Tick};
use sim::{find_pattern, ParamSet, Simulation};

use crate::live::pacer::Pacer;
use crate::live::sampling::Sampler;
use crate::live::watched::{Watched, Worked};

/// Wall time between ticks (~30 Hz): a session's pace.
pub const TICK: std::time::Duration = std::time::Duration::from_millis(33);
/// A metrics snapshot rides on every n-th tick (~15 Hz).
pub const METRICS_EVERY: u64 = 2;

/// The seed a session starts with unless the viewer asks for another, so that
/// everybody who opens the page sees the same run.
pub const DEFAULT_SEED: u64 = 1;

/// Actions run between two looks at the clock during a tick's work.
const ACTIONS_PER_SLICE: usize = 20_000;

/// Weight of the newest tick in the smoothed achieved speed.
const ACHIEVED_WEIGHT: f64 = 0.25;

/// A paused run with nothing new still sends a tick every this many ticks
/// (~2 s): the page's heartbeat. Between them it sends nothing.
pub const QUIET_HEARTBEAT: u32 = 60;

/// What a tick tells the page about the run beyond its events: when none
/// of it changed and the run is paused, there is nothing to send.
#[derive(Clone, Copy, PartialEq)]
struct Told {
    run: u32,
    now: sim::Time,
    playing: bool,
    speed: f64,
}

pub struct Session {
    /// The run, its recorded changes and its keyframes: the session shows
    /// its head or any moment of its past.
    timeline: Timeline,
    pacer: Pacer,
    /// Increments with every new run, so the viewer can ignore stale ticks.
    run: u32,
    /// Events not delivered to the viewer since its last delivered tick.
    coalesced: u64,
    /// Virtual seconds per wall second actually kept, smoothed; the viewer
    /// is told when it falls below the speed asked for.
    achieved: f64,
    /// What the last tick sent said: a paused run that still says the same
    /// sends nothing but a heartbeat (a class's paused panes cost no
    /// bandwidth).
    told: Option<Told>,
    /// Ticks withheld since the last one sent.
    quiet: u32,
    /// Which events a tick carries when there are more than a page draws.
    sampler: Sampler,
    /// The last tick carried a metrics snapshot. A sampled run's ticks
    /// carry one at least every other tick (the page resynchronises its
    /// counts from it), not every tick: the snapshot is the costliest part
    /// of a heavy tick.
    metrics_last: bool,
    /// The sampled events of the tick being encoded (reused: no allocation
    /// per tick once it has grown).
    kept: Vec<sim::event::Event>,
    /// A link to a run (`ch=` changes, a `t=` moment): the run is brought
    /// there, as fast as the CPU budget allows, before anything else.
    opening: Option<Opening>,
    /// When the next conversation story may be recomputed: each costs up
    /// to a fifth of a second of a simulation thread, so a page that asks
    /// for one after another waits four times as long as the last took.
    story_after: Option<Instant>,
    /// Frames no control of this tick answers, in order: the moment a seek
    /// under way reached (sent before the tick's answers).
    said: Vec<Vec<u8>>,
}

/// The least wait between two stories of one session.
const STORY_GAP: Duration = Duration::from_millis(20);

/// What a link asks of a run before it is shown.
struct Opening {
    /// Its live changes still to make, in time order.
    changes: std::collections::VecDeque<LinkChange>,
    /// How far to run: the later of the moment and the last change.
    head: sim::Time,
    /// The moment to show (`t=`), paused; `None`: the head, as the page
    /// asks (playing or not).
    show: Option<sim::Time>,
}

/// The latest moment a link may open a run at (`t=`), in virtual seconds.
pub const MAX_OPEN_S: f64 = 3_600.0;

impl Session {
    pub fn new(params: ParamSet, seed: u64) -> Self {
        Session {
            timeline: Timeline::new(Simulation::new(params, seed, Options::EVENTS)),
            pacer: Pacer::default(),
            run: 1,
            coalesced: 0,
            achieved: 1.0,
            told: None,
            quiet: 0,
            sampler: Sampler::default(),
            kept: Vec::new(),
            metrics_last: false,
            opening: None,
            story_after: None,
            said: Vec::new(),
        }
    }

    /// A session configured from the WebSocket URL's query pairs
    /// (`pattern`, `seed`, then parameter ids). Problems are reported and the
    /// defaults used in their place.
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (Self, Vec<String>) {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let mut problems = Vec::new();
        let default = sim::catalogue()[0];
        let info = match pairs.iter().find(|(k, _)| *k == "pattern") {
            Some((_, id)) => find_pattern(id).unwrap_or_else(|e| {
                problems.push(e.to_string());
                default
            }),
            None => default,
        };
        let mut params = info.defaults();
        let mut seed = DEFAULT_SEED;
        let mut show = None;
        let (mut changes, refused) = sim::link::parse_changes(
            info,
            pairs.iter().filter(|(k, _)| *k == "ch").map(|(_, v)| *v),
        );
        problems.extend(refused);
        let latest = sim::time::from_secs(MAX_OPEN_S);
        if changes.iter().any(|c| c.at > latest) {
            problems.push(format!(
                "a link's changes are made within its first {MAX_OPEN_S} s; later ones were left out"
            ));
            changes.retain(|c| c.at <= latest);
        }
        for (k, v) in pairs {
            match k {
                "pattern" | "ch" => {}
                "t" => match v.parse::<f64>() {
                    Ok(t) if t.is_finite() && (0.0..=MAX_OPEN_S).contains(&t) => {
                        // Exact when written as a link writes it.
                        show = Some(
                            sim::time::parse_exact_secs(v)
                                .unwrap_or_else(|| sim::time::from_secs(t)),
                        );
                    }
                    _ => problems.push(format!(
                        "t = '{}' is not a moment a link can open: expected seconds from 0 to {MAX_OPEN_S}",
                        sim::params::clip(v)
                    )),
                },
                "seed" => match v.parse() {
                    Ok(s) => seed = s,
                    Err(_) => problems.push(format!(
                        "seed = '{}' is not a valid value: expected a whole number",
                        sim::params::clip(v)
                    )),
                },
                _ => {
                    if let Err(e) = params.set_str(k, v) {
                        problems.push(e.to_string());
                    }
                }
            }
        }
        let mut session = Session::new(params, seed);
        if show.is_some() || !changes.is_empty() {
            let last = changes.last().map_or(0, |c| c.at);
            session.opening = Some(Opening {
                head: show.unwrap_or(0).max(last),
                show,
                changes: changes.into(),
            });
        }
        (session, problems)
    }

    pub fn sim(&self) -> &Simulation {
        self.timeline.sim()
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// The run's number (pages ignore ticks of another run).
    pub fn run(&self) -> u32 {
        self.run
    }

    /// Continues numbering from a run shown elsewhere: a replica taking a
    /// room over keeps the number the followers' pages know.
    pub fn set_run(&mut self, run: u32) {
        self.run = run;
    }

    /// Runs the seek under way for at most `cpu` (at least one slice), and
    /// keeps the moment's frame to send when it is reached. Returns the
    /// refusal if the way there went over the run's memory budget.
    fn seek_within(&mut self, cpu: Duration) -> Option<String> {
        let started = Instant::now();
        loop {
            match self.timeline.seek_continue(ACTIONS_PER_SLICE) {
                Ok(sim::timeline::Progress::Working) => {
                    if started.elapsed() >= cpu {
                        return None;
                    }
                }
                Ok(sim::timeline::Progress::Done(undone)) => {
                    let frame = self.moment(undone.unwrap_or_default());
                    self.said.push(frame);
                    return None;
                }
                Err(e) => return Some(e.to_string()),
            }
        }
    }

    /// A control that acts on the moment shown: the seek under way is run
    /// to its end first, and its moment told before this control's answer.
    fn reach_the_moment(&mut self) -> Result<(), String> {
        if self.timeline.seeking() {
            if let sim::timeline::Progress::Done(undone) =
                self.timeline.seek_finish().map_err(|e| e.to_string())?
            {
                let frame = self.moment(undone.unwrap_or_default());
                self.said.push(frame);
            }
        }
        Ok(())
    }

    /// Brings a run opened by a link to its moment within `cpu`, making
    /// its changes where the link says: the moment's frame when it is there
    /// (after the changes' `Params`), nothing before. Controls sent
    /// meanwhile are refused (the page sends none until then).
    fn open_towards(&mut self, controls: usize, cpu: Duration) -> Worked {
        let started = Instant::now();
        let mut notice = None;
        let mut said = Vec::new();
        while let Some(o) = self.opening.as_mut() {
            if o.show.is_some() {
                self.pacer.playing = false;
            }
            let next = o.changes.front().copied();
            let to = next.map_or(o.head, |c| c.at);
            match self.timeline.advance_budgeted(to, ACTIONS_PER_SLICE) {
                Advance::Reached | Advance::AtCap => {
                    self.timeline.sim_mut().clear_events();
                    let Some(c) = next else {
                        let show = o.show;
                        self.opening = None;
                        if let Some(t) = show.filter(|&t| t < self.timeline.head().now) {
                            if let Err(e) = self.timeline.seek(t) {
                                notice = Some(e.to_string());
                            }
                        }
                        break;
                    };
                    o.changes.pop_front();
                    match self.timeline.set_param(c.spec.id, c.value) {
                        Ok(_) => said.push(
                            Frame::Params {
                                run: self.run,
                                at: self.timeline.sim().now(),
                                values: self.timeline.sim().params().values().to_vec(),
                            }
                            .encode(),
                        ),
                        Err(e) => notice = Some(e),
                    }
                }
                Advance::OutOfTime => {
                    self.timeline.sim_mut().clear_events();
                    if started.elapsed() >= cpu {
                        break;
                    }
                }
                Advance::OverBudget => {
                    self.opening = None;
                    notice = Some(sim::budget::over_budget_text(self.timeline.sim().held()));
                    break;
                }
            }
        }
        self.timeline.sim_mut().clear_events();
        let answers = (0..controls)
            .map(|_| Err("the run is still being brought to the link's moment".to_string()))
            .collect();
        let tick = self.opening.is_none().then(|| self.moment(Vec::new()));
        Worked {
            answers,
            notice,
            tick,
            history: None,
            spent: self.opening.is_some(),
            said,
        }
    }

    /// Paused, no events, nothing coalesced, the same time, speed and run
    /// as the last tick said, and the heartbeat not yet due.
    fn nothing_to_tell(&self) -> bool {
        !self.pacer.playing
            && self.timeline.sim().events().is_empty()
            && self.coalesced == 0
            && self.told == Some(self.told_now())
            && self.quiet + 1 < QUIET_HEARTBEAT
    }

    fn told_now(&self) -> Told {
        Told {
            run: self.run,
            now: self.timeline.sim().now(),
            playing: self.pacer.playing,
            speed: self.pacer.speed,
        }
    }

    /// Advances the simulation by the virtual time `wall` is worth, as far
    /// as `cpu` of processor time allows. Returns a notice for the viewer
    /// when the run reached its memory budget and was paused, and whether
    /// the CPU budget ran out before the target.
    pub fn advance_within(&mut self, wall: Duration, cpu: Duration) -> (Option<String>, bool) {
        let dt = self.pacer.advance(wall);
        if dt == 0 {
            self.achieved = self.pacer.speed;
            return (None, false);
        }
        let (from, target) = (self.timeline.sim().now(), self.timeline.sim().now() + dt);
        let started = Instant::now();
        let mut notice = None;
        let mut spent = false;
        loop {
            match self.timeline.advance_budgeted(target, ACTIONS_PER_SLICE) {
                Advance::Reached | Advance::AtCap => break,
                Advance::OutOfTime if started.elapsed() < cpu => {}
                Advance::OutOfTime => {
                    spent = true;
                    break;
                }
                Advance::OverBudget => {
                    self.pacer.playing = false;
                    notice = Some(sim::budget::over_budget_text(self.timeline.sim().held()));
                    break;
                }
            }
        }
        let wall_s = wall.min(crate::live::pacer::MAX_CATCH_UP).as_secs_f64();
        if wall_s > 0.0 {
            let sample = sim::time::to_secs(self.timeline.sim().now() - from) / wall_s;
            self.achieved += ACHIEVED_WEIGHT * (sample - self.achieved);
        }
        (notice, spent)
    }

    /// Advances by what `wall` is worth with no CPU limit (tests, tools).
    pub fn advance(&mut self, wall: Duration) {
        let _ = self.advance_within(wall, Duration::MAX);
    }

    /// The smoothed speed the run keeps.
    pub fn achieved(&self) -> f64 {
        self.achieved
    }

    /// Encodes the events since the last tick (and a metrics snapshot when
    /// `with_metrics`), then clears the event buffer.
    pub fn take_tick(&mut self, with_metrics: bool) -> Vec<u8> {
        self.take_tick_pair(with_metrics, false).0
    }

    /// Like [`Session::take_tick`], and (when `history` and the tick
    /// carries metrics) also the same tick without its events: what a room
    /// keeps as chart history for late joiners.
    pub fn take_tick_pair(
        &mut self,
        with_metrics: bool,
        history: bool,
    ) -> (Vec<u8>, Option<Vec<u8>>) {
        let stride = self.sampler.pick(self.timeline.sim().events().len());
        // While sampled, at least every other tick carries metrics: the
        // page's counts come from them while it does not see every event.
        let metrics = (with_metrics || self.coalesced > 0 || (stride > 1 && !self.metrics_last))
            .then(|| self.timeline.sim_mut().snapshot());
        self.metrics_last = metrics.is_some();
        let events: &[sim::event::Event] = if stride == 1 {
            self.timeline.sim().events()
        } else {
            self.kept.clear();
            let sampler = &self.sampler;
            self.kept.extend(
                self.timeline
                    .sim()
                    .events()
                    .iter()
                    .filter(|e| sampler.keeps(e)),
            );
            &self.kept
        };
        let mut tick = Tick {
            run: self.run,
            now: self.timeline.sim().now(),
            head: self.timeline.head().now,
            speed: self.pacer.speed,
            playing: self.pacer.playing,
            events: Cow::Borrowed(events),
            coalesced: self.coalesced,
            sampled: stride,
            metrics,
            achieved: self.achieved,
        };
        let bytes = Frame::Tick(tick.clone()).encode();
        let history = (history && tick.metrics.is_some()).then(|| {
            tick.events = Cow::Borrowed(&[]);
            tick.coalesced = 0;
            Frame::Tick(tick).encode()
        });
        self.coalesced = 0;
        self.timeline.sim_mut().clear_events();
        self.told = Some(self.told_now());
        self.quiet = 0;
        (bytes, history)
    }

    /// A session that continues a watched run: `recipe`'s starting values,
    /// each live change at its virtual time, replayed to virtual time
    /// `until` — the engine is deterministic, so this is the same run.
    /// Paused, at the speed given. A change of a restart-only parameter is
    /// refused (a recipe is one run).
    pub fn replay(recipe: &sim::wire::Recipe, speed: f64) -> Result<Session, String> {
        let info = find_pattern(&recipe.pattern).map_err(|e| e.to_string())?;
        let mut params = info.defaults();
        params.set_all(&recipe.values).map_err(|e| e.to_string())?;
        let mut s = Session::new(params, recipe.seed);
        for c in &recipe.changes {
            if c.at > recipe.until {
                break;
            }
            s.run_to(c.at)?;
            for (spec, &v) in info.params.iter().zip(&c.values) {
                if s.sim().params().get(spec.id) != v {
                    if !spec.live {
                        return Err(format!("the run changed {}, which restarts it", spec.id));
                    }
                    s.timeline.set_param(spec.id, v)?;
                }
            }
        }
        s.run_to(recipe.until)?;
        s.timeline.sim_mut().clear_events();
        s.pacer.set_speed(speed);
        s.pacer.playing = false;
        s.achieved = s.pacer.speed;
        Ok(s)
    }

    /// Advances to `t` under the run's memory budget, dropping the events.
    fn run_to(&mut self, t: sim::Time) -> Result<(), String> {
        loop {
            match self.timeline.advance_budgeted(t, 1_000_000) {
                Advance::Reached | Advance::AtCap => return Ok(()),
                Advance::OutOfTime => self.timeline.sim_mut().clear_events(),
                Advance::OverBudget => {
                    return Err(sim::budget::over_budget_text(self.timeline.sim().held()))
                }
            }
        }
    }

    /// The viewer could not take this tick: count its events and drop them.
    /// The simulation and its metrics are unaffected.
    pub fn coalesce(&mut self) {
        self.coalesced += self.timeline.sim().events().len() as u64;
        self.timeline.sim_mut().clear_events();
    }

    /// Applies one control message. `Ok(Some(frame))` is a frame to send
    /// back (a new `Hello`, or the parameters after a live change). On `Err`
    /// nothing has changed.
    pub fn control(&mut self, text: &str) -> Result<Option<Vec<u8>>, String> {
        match Control::parse(text)? {
            Control::Set { param, value } => {
                self.reach_the_moment()?;
                let (_, spec) = self
                    .timeline
                    .sim()
                    .params()
                    .spec(&param)
                    .map_err(|e| e.to_string())?;
                let v = spec.parse_value(&value).map_err(|e| e.to_string())?;
                match self.timeline.set_param(&param, v)?.0 {
                    Applied::Live => Ok(Some(
                        Frame::Params {
                            run: self.run,
                            at: self.timeline.sim().now(),
                            values: self.timeline.sim().params().values().to_vec(),
                        }
                        .encode(),
                    )),
                    Applied::Restarted => Ok(Some(self.new_run())),
                }
            }
            Control::Play => {
                self.reach_the_moment()?;
                self.pacer.playing = true;
                Ok(None)
            }
            Control::Pause => {
                self.pacer.playing = false;
                Ok(None)
            }
            Control::Speed { value } => {
                self.pacer.set_speed(value);
                self.achieved = self.pacer.speed;
                Ok(None)
            }
            Control::Step => {
                self.reach_the_moment()?;
                if self.pacer.playing {
                    return Err("step works while paused: pause first".to_string());
                }
                self.timeline.step();
                Ok(None)
            }
            Control::Seek { t } => {
                let to = self.timeline.check_moment(t).map_err(|e| e.to_string())?;
                self.timeline.seek_begin(to).map_err(|e| e.to_string())?;
                self.pacer.playing = false;
                if !self.timeline.seeking() {
                    // Back at the head: nothing to run.
                    return Ok(Some(self.moment(Vec::new())));
                }
                Ok(None)
            }
            Control::StepBack => {
                if self.pacer.playing {
                    return Err("step back works while paused: pause first".to_string());
                }
                self.reach_the_moment()?;
                if !self.timeline.step_back_begin().map_err(|e| e.to_string())? {
                    return Err("this is the start of the run: there is no step before it".into());
                }
                Ok(None)
            }
            Control::Live => {
                self.said.clear();
                self.timeline.go_live().map_err(|e| e.to_string())?;
                Ok(Some(self.moment(Vec::new())))
            }
            Control::Pattern { id } => {
                let info = find_pattern(&id).map_err(|e| e.to_string())?;
                self.timeline.sim_mut().switch_pattern(info);
                self.timeline.restart();
                Ok(Some(self.new_run()))
            }
            // Only rooms share an inspector or a sweep (see `room::drive`).
            Control::Inspect { .. } | Control::Sweep { .. } => Ok(None),
            Control::Story { req, msg } => {
                self.reach_the_moment()?;
                let subject = match (req, msg) {
                    (Some(r), _) => sim::story::Subject::Request(r),
                    (None, Some(m)) => sim::story::Subject::Message(m),
                    (None, None) => {
                        return Err("a story is of a request (req) or a message (msg)".into())
                    }
                };
                let started = Instant::now();
                if let Some(wait) = self
                    .story_after
                    .and_then(|t| t.checked_duration_since(started))
                {
                    return Err(format!(
                        "one story at a time: the server is still resting from the last; ask again in {:.1} s",
                        wait.as_secs_f64().max(0.1)
                    ));
                }
                let told = self.timeline.story(subject)?;
                self.story_after = Some(started + (started.elapsed() * 4).max(STORY_GAP));
                Ok(Some(
                    Frame::Story(sim::wire::Story {
                        run: self.run,
                        req,
                        msg: if req.is_some() { None } else { msg },
                        events: told.events,
                        whole: told.whole,
                        until: told.until,
                        overflow: told.overflow,
                    })
                    .encode(),
                ))
            }
            Control::Bookmarks { list } => {
                let mut bookmarks = Vec::new();
                for text in list.iter().take(sim::link::MAX_BOOKMARKS) {
                    bookmarks.push(sim::link::Bookmark::parse(text)?);
                }
                bookmarks.sort_by_key(|b| b.at);
                Ok(Some(
                    Frame::Marks {
                        run: self.run,
                        bookmarks,
                    }
                    .encode(),
                ))
            }
            Control::Reset { seed } => {
                let seed = seed.unwrap_or(self.timeline.sim().seed());
                self.timeline.sim_mut().reset(seed);
                self.timeline.restart();
                Ok(Some(self.new_run()))
            }
        }
    }

    /// The frame that shows the run at the timeline's cursor (after a
    /// seek, a step back, a return to live); the events buffered before
    /// the jump are dropped, as the viewer starts over from this moment.
    fn moment(&mut self, undone: Vec<sim::event::Event>) -> Vec<u8> {
        self.coalesced = 0;
        self.timeline.sim_mut().clear_events();
        let head = self.timeline.head().now;
        let mut m = self.timeline.sim_mut().moment(self.run, head, undone);
        m.playing = self.pacer.playing;
        m.speed = self.pacer.speed;
        self.told = Some(self.told_now());
        Frame::Moment(m).encode()
    }

    /// Shows the run at `t` of its past, paused (a room continued on
    /// another replica goes back to where the teacher was looking): the
    /// seek runs in the next ticks and its moment is sent then.
    pub fn look_at(&mut self, t: sim::Time) -> Result<(), String> {
        self.timeline.seek_begin(t).map_err(|e| e.to_string())?;
        self.pacer.playing = false;
        Ok(())
    }

    /// The furthest the run has gone (the session may be showing its past).
    pub fn head(&self) -> sim::Time {
        self.timeline.head().now
    }

    /// Starts numbering a new run; pending events of the old one are dropped.
    fn new_run(&mut self) -> Vec<u8> {
        self.run += 1;
        self.coalesced = 0;
        self.timeline.sim_mut().clear_events();
        self.hello()
    }
}

impl Watched for Session {
    /// The frame that starts a run on the viewer.
    fn hello(&self) -> Vec<u8> {
        Frame::Hello(Hello {
            run: self.run,
            pattern: self.timeline.sim().info().id.to_string(),
            seed: self.timeline.sim().seed(),
            values: self.timeline.sim().params().values().to_vec(),
            topology: self.timeline.sim().topology().clone(),
            speed: self.pacer.speed,
            playing: self.pacer.playing,
        })
        .encode()
    }

    /// One tick of a viewer's session: applies the controls that arrived
    /// (each answered in order), advances the simulation by what `wall` is
    /// worth within `cpu` of processor time, then encodes the tick if the
    /// viewer has room for it (`send_tick`) or coalesces it. `history`: also
    /// encode the metrics-only copy a room keeps for late joiners.
    fn work(
        &mut self,
        controls: &[String],
        wall: Duration,
        cpu: Duration,
        send_tick: bool,
        with_metrics: bool,
        history: bool,
    ) -> Worked {
        if self.opening.is_some() {
            return self.open_towards(controls.len(), cpu);
        }
        let started = Instant::now();
        let answers = controls.iter().map(|text| self.control(text)).collect();
        if self.timeline.seeking() {
            // A seek (or step back) is run inside the tick's CPU budget,
            // like playing: the moment is sent when it is reached.
            let notice = self.seek_within(cpu.saturating_sub(started.elapsed()));
            if self.timeline.seeking() {
                return Worked {
                    answers,
                    notice,
                    tick: None,
                    history: None,
                    spent: true,
                    said: std::mem::take(&mut self.said),
                };
            }
            if notice.is_some() {
                return Worked {
                    answers,
                    notice,
                    said: std::mem::take(&mut self.said),
                    ..Worked::default()
                };
            }
        }
        let (notice, spent) = self.advance_within(wall, cpu);
        let (tick, history) = if self.nothing_to_tell() && controls.is_empty() {
            self.quiet += 1;
            (None, None)
        } else if send_tick {
            // Paused ticks are rare (a change, a step, the heartbeat): each
            // carries the figures, so the page never shows stale ones.
            let with_metrics = with_metrics || !self.pacer.playing;
            let (t, h) = self.take_tick_pair(with_metrics, history);
            (Some(t), h)
        } else {
            self.coalesce();
            (None, None)
        };
        Worked {
            answers,
            notice,
            tick,
            history,
            spent,
            said: std::mem::take(&mut self.said),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::What;

    fn session() -> Session {
        Session::from_query([("rate", "200")]).0
    }

    /// One 33 ms tick's work with `controls`, no CPU limit; `send` says
    /// whether the viewer has room for the tick.
    fn work_tick(s: &mut Session, controls: &[&str], send: bool) -> Worked {
        let controls: Vec<String> = controls.iter().map(|c| c.to_string()).collect();
        s.work(
            &controls,
            Duration::from_millis(33),
            Duration::MAX,
            send,
            send,
            false,
        )
    }

    fn tick(s: &mut Session) -> Tick<'static> {
        match Frame::decode(&s.take_tick(true)).unwrap() {
            Frame::Tick(t) => t,
            other => panic!("expected a tick, got {other:?}"),
        }
    }

    #[test]
    fn ticks_carry_the_events_of_the_elapsed_time() {
        let mut s = session();
        s.advance(Duration::from_millis(100));
        let t = tick(&mut s);
        assert_eq!(t.now, 100 * sim::time::MS);
        assert!(t.events.iter().any(|e| matches!(e.what, What::Sent { .. })));
        assert!(t.metrics.is_some());
        // The buffer was cleared: the next tick has only new events.
        s.advance(Duration::from_millis(1));
        assert!(tick(&mut s)
            .events
            .iter()
            .all(|e| e.at > 100 * sim::time::MS));
    }

    #[test]
    fn a_paused_run_sends_nothing_but_a_heartbeat() {
        let mut s = session();
        let work = |s: &mut Session, controls: &[&str]| {
            work_tick(s, controls, true)
                .tick
                .map(|t| match Frame::decode(&t).unwrap() {
                    Frame::Tick(t) => t,
                    other => panic!("expected a tick, got {other:?}"),
                })
        };
        let playing = (0..10).filter(|_| work(&mut s, &[]).is_some()).count();
        assert_eq!(playing, 10, "a playing run ticks every time");
        let paused = work(&mut s, &[r#"{"type":"pause"}"#]).expect("the pause is told");
        assert!(!paused.playing);
        let quiet = 3 * QUIET_HEARTBEAT as usize;
        let sent: Vec<_> = (0..quiet).filter_map(|_| work(&mut s, &[])).collect();
        assert_eq!(sent.len(), 3, "one heartbeat per {QUIET_HEARTBEAT} ticks");
        assert!(sent.iter().all(|t| !t.playing && t.now == paused.now));
        let stepped = work(&mut s, &[r#"{"type":"step"}"#]).expect("a step is told");
        assert!(stepped.now > paused.now && !stepped.events.is_empty());
        let speed = work(&mut s, &[r#"{"type":"speed","value":2}"#]).expect("a new speed is told");
        assert_eq!(speed.speed, 2.0);
        assert!(work(&mut s, &[]).is_none());
        work(&mut s, &[r#"{"type":"play"}"#]).expect("play is told");
        assert!((0..5).all(|_| work(&mut s, &[]).is_some()));
    }

    #[test]
    fn pause_stops_virtual_time_and_step_runs_one_action() {
        let mut s = session();
        s.control(r#"{"type":"pause"}"#).unwrap();
        s.advance(Duration::from_millis(100));
        assert_eq!(s.sim().now(), 0);
        s.control(r#"{"type":"step"}"#).unwrap();
        let t = tick(&mut s);
        assert!(t.now > 0 && !t.events.is_empty() && !t.playing);
        s.control(r#"{"type":"play"}"#).unwrap();
        assert!(
            s.control(r#"{"type":"step"}"#).is_err(),
            "step only while paused"
        );
    }

    #[test]
    fn speed_scales_the_advance() {
        let mut s = session();
        s.control(r#"{"type":"speed","value":4}"#).unwrap();
        s.advance(Duration::from_millis(50));
        assert_eq!(s.sim().now(), 200 * sim::time::MS);
    }

    #[test]
    fn invalid_controls_change_nothing() {
        let mut s = session();
        s.advance(Duration::from_millis(50));
        let before = (s.sim().params().clone(), s.sim().now(), *s.pacer(), s.run);
        for bad in [
            "not json",
            r#"{"type":"warp"}"#,
            r#"{"type":"set","param":"rate","value":-5}"#,
            r#"{"type":"set","param":"workers","value":0}"#,
            r#"{"type":"set","param":"loss","value":1.5}"#,
            r#"{"type":"set","param":"nope","value":1}"#,
            r#"{"type":"set","param":"rate","value":"lots"}"#,
            r#"{"type":"speed","value":0}"#,
        ] {
            let e = s.control(bad).unwrap_err();
            assert!(!e.is_empty());
        }
        assert_eq!(
            before,
            (s.sim().params().clone(), s.sim().now(), *s.pacer(), s.run)
        );
        let e = s
            .control(r#"{"type":"set","param":"rate","value":-5}"#)
            .unwrap_err();
        assert_eq!(
            e,
            "rate = -5 is out of range: expected 0 (off) or from 0.001 to 20000 req/s"
        );
    }

    #[test]
    fn live_changes_answer_with_params_and_restarts_with_hello() {
        let mut s = session();
        let reply = s
            .control(r#"{"type":"set","param":"rate","value":900}"#)
            .unwrap()
            .unwrap();
        assert!(matches!(
            Frame::decode(&reply).unwrap(),
            Frame::Params { run: 1, .. }
        ));
        assert_eq!(s.sim().params().get("rate"), 900.0);
        let reply = s
            .control(r#"{"type":"set","param":"clients","value":12}"#)
            .unwrap()
            .unwrap();
        match Frame::decode(&reply).unwrap() {
            Frame::Hello(h) => {
                assert_eq!(h.run, 2);
                assert_eq!(h.topology.nodes.len(), 13);
            }
            other => panic!("{other:?}"),
        }
        let reply = s.control(r#"{"type":"reset","seed":99}"#).unwrap().unwrap();
        assert!(matches!(
            Frame::decode(&reply).unwrap(),
            Frame::Hello(Hello {
                run: 3,
                seed: 99,
                ..
            })
        ));
    }

    #[test]
    fn switching_pattern_keeps_the_shared_settings() {
        let mut s = session();
        s.control(r#"{"type":"set","param":"timeout_ms","value":500}"#)
            .unwrap();
        let reply = s
            .control(r#"{"type":"pattern","id":"fire-and-forget"}"#)
            .unwrap()
            .unwrap();
        match Frame::decode(&reply).unwrap() {
            Frame::Hello(h) => {
                assert_eq!(h.pattern, "fire-and-forget");
                assert_eq!(h.run, 2);
                assert_eq!(h.values[0], 200.0, "the rate carried over");
            }
            other => panic!("{other:?}"),
        }
        assert!(s.sim().params().spec("timeout_ms").is_err());
        let e = s
            .control(r#"{"type":"pattern","id":"smoke-signals"}"#)
            .unwrap_err();
        assert!(e.starts_with("unknown pattern 'smoke-signals'"), "{e}");
        assert_eq!(s.sim().info().id, "fire-and-forget");
    }

    #[test]
    fn coalesced_events_are_reported_in_the_next_tick() {
        let mut s = session();
        s.advance(Duration::from_millis(100));
        let n = s.sim().events().len() as u64;
        assert!(n > 0);
        s.coalesce();
        s.advance(Duration::from_millis(10));
        let t = tick(&mut s);
        assert_eq!(t.coalesced, n);
        assert!(t.metrics.is_some());
        assert_eq!(tick(&mut s).coalesced, 0);
    }

    #[test]
    fn a_run_with_more_events_than_a_page_draws_is_sampled_by_conversation() {
        let (mut s, _) = Session::from_query([("rate", "20000"), ("workers", "64")]);
        let mut offered_seen = 0;
        let mut last = None;
        let mut without = 0;
        for _ in 0..30 {
            s.advance(Duration::from_millis(33));
            let produced = s.sim().events().len();
            let t = tick(&mut s);
            assert!(t.sampled > 1, "{produced} events in a tick are sampled");
            assert!(t.events.len() < produced / 2);
            // At least every other sampled tick carries the exact counts.
            without = if t.metrics.is_some() { 0 } else { without + 1 };
            assert!(without < 2, "two sampled ticks in a row without the counts");
            for e in t.events.iter() {
                match (e.what.msg(), e.what.req()) {
                    (Some(m), _) => assert_eq!(m % t.sampled, 0),
                    (None, Some(r)) => assert_eq!(r % t.sampled, 0),
                    _ => {}
                }
            }
            offered_seen += t
                .events
                .iter()
                .filter(|e| matches!(e.what, What::Offered { .. }))
                .count() as u64;
            if t.metrics.is_some() {
                last = Some(t);
            }
        }
        let t = last.unwrap();
        let offered = t.metrics.unwrap().totals.offered;
        assert!(
            offered > 2 * offered_seen,
            "metrics count every request ({offered}), the stream a sample ({offered_seen})"
        );
        // The default load is not sampled.
        let mut quiet = session();
        quiet.advance(Duration::from_millis(33));
        assert_eq!(tick(&mut quiet).sampled, 1);
    }

    /// A sampled run's conversation, asked for whole: the server's story
    /// is the one an unsampled run's every event tells, and a page asking
    /// again at once is told to wait.
    #[test]
    fn a_sampled_conversation_is_told_whole_on_request() {
        let query = [("rate", "20000"), ("workers", "64"), ("seed", "5")];
        let (mut s, _) = Session::from_query(query);
        let mut seen = Vec::new();
        for _ in 0..15 {
            s.advance(Duration::from_millis(33));
            let t = tick(&mut s);
            assert!(t.sampled > 1);
            seen.extend(t.events.iter().copied());
        }
        // A request the page saw a message of, but not itself.
        let req = seen
            .iter()
            .find_map(|e| match e.what {
                What::Sent { req, .. }
                    if !seen
                        .iter()
                        .any(|o| matches!(o.what, What::Offered { req: r, .. } if r == req)) =>
                {
                    Some(req)
                }
                _ => None,
            })
            .expect("a sampled message of an unsampled request");
        let frame = s
            .control(&format!(r#"{{"type":"story","req":{req}}}"#))
            .expect("a story")
            .expect("a frame");
        let Ok(Frame::Story(story)) = Frame::decode(&frame) else {
            panic!("a story frame");
        };
        assert!(story.whole);
        assert_eq!(story.req, Some(req));
        // The same run, every event kept.
        let mut all = Simulation::new(s.sim().params().clone(), 5, Options::EVENTS);
        all.advance_to(s.sim().now());
        let expected = sim::story::tell(sim::story::Subject::Request(req), all.events());
        assert_eq!(story.events, expected);
        assert!(matches!(story.events[0].what, What::Offered { .. }));
        let page_had = seen.iter().filter(|e| expected.contains(e)).count();
        assert!(
            story.events.len() > page_had,
            "{} > {page_had}",
            story.events.len()
        );
        // Asked again before the server has rested: refused in words.
        s.story_after = Some(Instant::now() + Duration::from_secs(1));
        let refused = s
            .control(&format!(r#"{{"type":"story","req":{req}}}"#))
            .unwrap_err();
        assert!(refused.starts_with("one story at a time"), "{refused}");
        s.story_after = None;
        // Neither a request nor a message; one not in the run yet.
        assert!(s.control(r#"{"type":"story"}"#).is_err());
        let later = s
            .control(r#"{"type":"story","req":999999999}"#)
            .unwrap_err();
        assert!(later.contains("not in the run yet"), "{later}");
    }

    /// A seek through a busy run is run inside the tick's CPU budget: the
    /// ticks on the way send nothing, the moment comes when it is reached,
    /// a later seek overtakes one under way, and a change made meanwhile
    /// is made at the moment, told after it.
    #[test]
    fn a_seek_is_run_within_the_ticks_cpu_budget() {
        let (mut s, _) = Session::from_query([("rate", "6000"), ("workers", "96")]);
        s.control(r#"{"type":"speed","value":20}"#).unwrap();
        for _ in 0..30 {
            work_tick(&mut s, &[], false);
        }
        let head = s.head();
        assert!(head > 10 * sim::time::SECOND);
        let tight = |s: &mut Session, controls: &[&str]| {
            let controls: Vec<String> = controls.iter().map(|c| c.to_string()).collect();
            s.work(
                &controls,
                Duration::from_millis(33),
                Duration::ZERO,
                true,
                true,
                false,
            )
        };
        // ~24,000 actions a virtual second and a keyframe every 100,000
        // actions: the second keyframe is after 8.3 s, so 8 s is more than
        // 70,000 actions from the first — several slices.
        let w = tight(&mut s, &[r#"{"type":"seek","t":8}"#]);
        assert!(
            w.said.is_empty() && w.tick.is_none() && w.spent,
            "still on the way: {} said, tick {}, spent {}, head {head}",
            w.said.len(),
            w.tick.is_some(),
            w.spent
        );
        assert_eq!(w.answers, vec![Ok(None)]);
        // Overtaken by a later moment, as a drag does.
        let w = tight(&mut s, &[r#"{"type":"seek","t":7.75}"#]);
        assert!(w.said.is_empty());
        let mut ticks = 2;
        let moment = loop {
            let w = tight(&mut s, &[]);
            ticks += 1;
            if let Some(f) = w.said.first() {
                break f.clone();
            }
            assert!(ticks < 10_000);
        };
        assert!(ticks > 3, "a slice a tick: {ticks} ticks");
        let Ok(Frame::Moment(m)) = Frame::decode(&moment) else {
            panic!("a moment")
        };
        assert_eq!((m.now, m.head), (7_750 * sim::time::MS, head));
        // The same moment as an uninterrupted run's.
        let mut straight =
            Simulation::new(s.sim().params().clone(), s.sim().seed(), Options::default());
        straight.advance_to(7_750 * sim::time::MS);
        assert_eq!(m.metrics.totals, straight.snapshot().totals);
        // A change while a seek is under way: the moment first, then the
        // change made there.
        let w = tight(
            &mut s,
            &[
                r#"{"type":"seek","t":2}"#,
                r#"{"type":"set","param":"workers","value":90}"#,
            ],
        );
        let Ok(Frame::Moment(m)) = Frame::decode(&w.said[0]) else {
            panic!("the moment first")
        };
        assert_eq!(m.now, 2 * sim::time::SECOND);
        let Ok(Some(params)) = &w.answers[1] else {
            panic!("the change's answer")
        };
        let Ok(Frame::Params { at, .. }) = Frame::decode(params) else {
            panic!("params")
        };
        assert_eq!(at, 2 * sim::time::SECOND);
    }

    /// A link's run: its changes made where it says (each told as
    /// `Params`), then shown paused at its moment — the run a simulation
    /// with the same changes reaches there.
    #[test]
    fn a_link_opens_its_run_with_its_changes_at_its_moment() {
        for (t, shown, head) in [("2", 2_000, 2_000), ("0.5", 500, 1_000)] {
            let (mut s, problems) = Session::from_query([
                ("rate", "200"),
                ("seed", "3"),
                ("ch", "1:rate:450"),
                ("t", t),
            ]);
            assert!(problems.is_empty(), "{problems:?}");
            let worked = loop {
                let w = work_tick(&mut s, &[], true);
                if w.tick.is_some() {
                    break w;
                }
            };
            assert_eq!(worked.said.len(), 1);
            let Frame::Params { at, .. } = Frame::decode(&worked.said[0]).unwrap() else {
                panic!("a change is told as Params");
            };
            assert_eq!(at, 1_000 * sim::time::MS);
            let Frame::Moment(m) = Frame::decode(worked.tick.as_ref().unwrap()).unwrap() else {
                panic!("the link's moment");
            };
            assert_eq!(
                (m.now, m.head),
                (shown * sim::time::MS, head * sim::time::MS)
            );
            assert!(!m.playing);
            let mut params = s.sim().info().defaults();
            params.set("rate", 200.0).unwrap();
            let mut straight = Simulation::new(params, 3, Options::default());
            if shown > 1_000 {
                straight.advance_to(1_000 * sim::time::MS);
                straight.set_param("rate", 450.0).unwrap();
            }
            straight.advance_to(shown * sim::time::MS);
            assert_eq!(
                m.metrics.totals.completed,
                straight.snapshot().totals.completed,
                "t = {t}"
            );
        }
        let (_, problems) = Session::from_query([("ch", "1:workers:many"), ("ch", "99999:rate:5")]);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn bad_query_values_are_reported_and_defaults_used() {
        let (s, problems) =
            Session::from_query([("pattern", "carrier-pigeon"), ("rate", "-1"), ("seed", "x")]);
        assert_eq!(problems.len(), 3);
        assert!(problems[0].starts_with("unknown pattern 'carrier-pigeon'"));
        assert_eq!(s.sim().params().get("rate"), 80.0);
        assert_eq!(s.sim().seed(), DEFAULT_SEED);
    }

    #[test]
    fn a_run_that_cannot_keep_up_falls_behind_and_says_so() {
        let (mut s, _) = Session::from_query([
            ("rate", "20000"),
            ("workers", "256"),
            ("service_ms", "0.01"),
            ("spike_at_s", "0"),
            ("spike_s", "3600"),
            ("spike_x", "20"),
        ]);
        s.control(r#"{"type":"speed","value":20}"#).unwrap();
        for _ in 0..10 {
            let (notice, spent) =
                s.advance_within(Duration::from_millis(33), Duration::from_millis(1));
            assert!(notice.is_none());
            assert!(spent, "1 ms cannot simulate 660 ms of 400,000 req/s");
        }
        assert!(s.sim().now() < 10 * 660 * sim::time::MS);
        assert!(s.achieved() < 10.0, "achieved {}", s.achieved());
        let t = tick(&mut s);
        assert_eq!(t.achieved, s.achieved());
        assert_eq!(t.speed, 20.0);
        // Given time, the same session keeps up.
        let (_, spent) = s.advance_within(Duration::from_millis(1), Duration::MAX);
        assert!(!spent);
    }

    #[test]
    fn a_run_over_its_memory_budget_is_paused_with_a_notice() {
        let (mut s, _) = Session::from_query([
            ("pattern", "websocket"),
            ("clients", "50"),
            ("rate", "5000"),
            ("workers", "256"),
            ("service_ms", "0.01"),
            ("net_ms", "5000"),
            ("spike_at_s", "0"),
            ("spike_s", "3600"),
            ("spike_x", "20"),
        ]);
        s.control(r#"{"type":"speed","value":20}"#).unwrap();
        let mut notice = None;
        for _ in 0..400 {
            let worked = work_tick(&mut s, &[], false);
            if let Some(e) = worked.notice {
                notice = Some(e);
                break;
            }
        }
        let notice = notice.expect("the run reaches its budget");
        assert!(notice.contains("over its budget"), "{notice}");
        assert!(!s.pacer().playing, "paused");
        let held = s.sim().held();
        assert!(
            held > sim::budget::MAX_HELD && held < 2 * sim::budget::MAX_HELD,
            "{held}"
        );
        // Paused, it stays where it is; playing again stops at once.
        let now = s.sim().now();
        s.control(r#"{"type":"play"}"#).unwrap();
        let worked = work_tick(&mut s, &[], false);
        assert!(worked.notice.is_some());
        assert_eq!(s.sim().now(), now);
        // Lowering the load and resetting starts afresh.
        let restarted = s.control(r#"{"type":"reset"}"#).unwrap();
        assert!(restarted.is_some());
        assert!(s.sim().held() < 1_000);
    }
}
