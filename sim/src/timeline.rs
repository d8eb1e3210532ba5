//! A run that can look back: any moment of it, recomputed exactly.
//!
//! The engine is deterministic for a seed and the sequence of live changes,
//! so a run is a recipe. [`Timeline`] keeps that recipe as [`Mark`]s — each
//! live change at the exact position it was made (how many actions had run,
//! and the clock) — and [`Keyframe`]s: copies of the whole engine state
//! (model, scheduler, random streams, metrics, ledger) taken every
//! [`Timeline::every`] actions and thinned as they age to stay inside a
//! memory budget. Seeking restores the last keyframe at or before the
//! moment and runs forward, applying the marks it passes where they were
//! made: the state is the one an uninterrupted run reaches there.
//!
//! The run being shown is the *cursor*. Its *head* is the furthest the run
//! has gone; a cursor behind the head is in the run's past, and playing on
//! from there replays the recorded changes as it passes them. A change made
//! in the past starts a new future from there (the old one is dropped, and
//! the caller is told so).

use crate::params::ParamError;
use crate::run::{Advance, Applied, Simulation};
use crate::time::{self, Time};

/// Actions between two keyframes. At the engine's ~10 M events/s (about
/// two events per action) a seek replays at most this many actions from
/// its keyframe: ~20 ms.
pub const KEYFRAME_EVERY: u64 = 100_000;

/// Most keyframes one run keeps; older ones are thinned first.
pub const MAX_KEYFRAMES: usize = 128;

/// Most bytes one run's keyframes may take (estimated, see
/// [`Simulation::footprint`]).
pub const KEYFRAME_BYTES: usize = 24 << 20;

/// Most actions recomputing one conversation's story may run (each of its
/// one or two readings): about a fifth of a second of one core. A story
/// that goes on longer is told up to where the reading stopped.
pub const MAX_STORY_ACTIONS: u64 = 1_000_000;

/// Most live changes one run records: past it, a change is refused (a
/// class's run has a few dozen).
pub const MAX_MARKS: usize = 10_000;

pub use crate::run::Position;

/// A live change, at the exact position it was made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    /// Actions that had run before the change.
    pub steps: u64,
    /// The clock when it was made (no action before `steps` is later).
    pub at: Time,
    pub param: &'static str,
    pub value: f64,
}

/// A copy of the engine state at one position.
struct Keyframe {
    sim: Simulation,
    /// Marks already applied in `sim`: a mark made at the same position
    /// as the keyframe is told apart by this, not by its time.
    applied: usize,
    /// Estimated size, counted against [`KEYFRAME_BYTES`].
    bytes: usize,
}

impl Keyframe {
    fn of(sim: &Simulation, applied: usize) -> Keyframe {
        // The copy leaves out what the run no longer needs (stale
        // timers): count the copy, not the run.
        let sim = sim.keyframe();
        let bytes = sim.footprint();
        Keyframe {
            sim,
            applied,
            bytes,
        }
    }

    fn position(&self) -> Position {
        self.sim.position()
    }
}

/// A conversation's story, recomputed from a keyframe.
#[derive(Clone, Debug, PartialEq)]
pub struct Told {
    /// Its events, in order (at most [`crate::story::MAX_STORY_EVENTS`]).
    pub events: Vec<crate::event::Event>,
    /// Whether it was read all the way to the moment shown; if not, it
    /// stops at `until` ([`MAX_STORY_ACTIONS`]).
    pub whole: bool,
    pub until: Time,
    /// Events of the story past the most one story keeps.
    pub overflow: u64,
}

/// Why a seek was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum SeekError {
    /// Not a finite, non-negative number of seconds.
    NotATime(f64),
    /// Later than the furthest the run has gone.
    Beyond { asked: f64, head: f64 },
    /// The run holds more than its memory budget on the way there.
    OverBudget(String),
}

impl std::fmt::Display for SeekError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeekError::NotATime(t) => write!(
                f,
                "t = {} is not a moment of the run: expected seconds from 0",
                crate::params::fmt_num(*t)
            ),
            SeekError::Beyond { asked, head } => write!(
                f,
                "t = {} s is beyond the run, which has reached {:.3} s",
                crate::params::fmt_num(*asked),
                head
            ),
            SeekError::OverBudget(why) => f.write_str(why),
        }
    }
}

/// One run with its recipe and keyframes; see the module documentation.
pub struct Timeline {
    /// The run as shown: at its head, or at a moment of its past.
    cursor: Simulation,
    /// Every live change, in the order made.
    marks: Vec<Mark>,
    /// Marks the cursor has applied (the next one it meets is this index).
    applied: usize,
    /// In position order; the first is the run's start and is never thinned.
    keyframes: Vec<Keyframe>,
    /// The furthest the run has gone, and the marks applied there.
    head: Position,
    head_applied: usize,
    /// A copy of the head, taken when the cursor first leaves it: going
    /// back to live is then one copy, not a replay.
    head_copy: Option<Keyframe>,
    /// Actions between keyframes (tests use small values).
    every: u64,
    /// A seek under way, run in slices ([`Timeline::seek_continue`]).
    seeking: Option<Seeking>,
}

/// Where a seek under way is going: the cursor runs towards `t` (and at
/// most to `cap` actions) without buffering events; a step back then runs
/// one action more and names the one after it.
#[derive(Clone, Copy, Debug)]
struct Seeking {
    t: Time,
    cap: u64,
    then: Then,
    /// Whether the cursor buffered events before the seek began.
    kept_events: bool,
}

/// What a seek does once there.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Then {
    /// Nothing: it was a seek.
    Show,
    /// A step back: run one action more (unless it went back to the start)
    /// and name the action after the cursor, the one stepped back over.
    Name { step_first: bool },
}

/// How far a seek under way has come.
#[derive(Debug, PartialEq)]
pub enum Progress {
    /// Still on the way: call [`Timeline::seek_continue`] again.
    Working,
    /// The cursor shows the moment. A step back carries the events of the
    /// action stepped back over.
    Done(Option<Vec<crate::event::Event>>),
}

impl Timeline {
    /// Keeps the run `sim` (not yet advanced) with keyframes every
    /// [`KEYFRAME_EVERY`] actions.
    pub fn new(sim: Simulation) -> Timeline {
        Timeline::with_interval(sim, KEYFRAME_EVERY)
    }

    /// As [`Timeline::new`], with a keyframe every `every` actions.
    pub fn with_interval(sim: Simulation, every: u64) -> Timeline {
        let first = Keyframe::of(&sim, 0);
        let head = sim.position();
        Timeline {
            cursor: sim,
            marks: Vec::new(),
            applied: 0,
            keyframes: vec![first],
            head,
            head_applied: 0,
            head_copy: None,
            every: every.max(1),
            seeking: None,
        }
    }

    /// The run as shown.
    pub fn sim(&self) -> &Simulation {
        &self.cursor
    }

    /// The run as shown, for what does not change its course (taking
    /// events and snapshots). Changes go through [`Timeline::set_param`].
    pub fn sim_mut(&mut self) -> &mut Simulation {
        &mut self.cursor
    }

    /// The furthest the run has gone.
    pub fn head(&self) -> Position {
        self.head
    }

    /// Whether the cursor is behind the head.
    pub fn in_past(&self) -> bool {
        self.cursor.position() < self.head
    }

    /// Every live change so far.
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// How many keyframes are kept, and their estimated bytes.
    pub fn keyframe_use(&self) -> (usize, usize) {
        (
            self.keyframes.len(),
            self.keyframes.iter().map(|k| k.bytes).sum::<usize>()
                + self.head_copy.as_ref().map_or(0, |k| k.bytes),
        )
    }

    /// Advances the cursor to `t` (at most `max_actions` actions), applying
    /// recorded changes where they were made, and keeps keyframes. Like
    /// [`Simulation::advance_budgeted`] otherwise.
    pub fn advance_budgeted(&mut self, t: Time, max_actions: usize) -> Advance {
        // Moving on from a moment not yet reached: reach it first.
        if self.seek_finish().is_err() {
            return Advance::OverBudget;
        }
        let r = self.run(t, max_actions, u64::MAX);
        self.after_moving();
        r
    }

    /// Runs the next action (a single step) and moves the clock to it.
    pub fn step(&mut self) -> Option<Time> {
        self.seek_finish().ok()?;
        // Changes made here before the next action come first.
        self.apply_due_marks(self.cursor.next_time()?);
        let t = self.cursor.step()?;
        self.apply_due_marks(t);
        self.after_moving();
        Some(t)
    }

    /// Makes a live change at the cursor. In the past, the run's future
    /// after the cursor is dropped first (`Ok((applied, true))`). A change
    /// that restarts the run starts a new timeline.
    pub fn set_param(&mut self, id: &str, value: f64) -> Result<(Applied, bool), String> {
        // A change is made at the moment shown: reach it first.
        self.seek_finish().map_err(|e| e.to_string())?;
        let text = |e: ParamError| e.to_string();
        let (_, spec) = self.cursor.params().spec(id).map_err(text)?;
        let value = spec.check(value).map_err(text)?;
        if !spec.live {
            let applied = self.cursor.set_param(id, value).map_err(text)?;
            self.restart();
            return Ok((applied, false));
        }
        if self.marks.len() >= MAX_MARKS {
            return Err(format!(
                "this run has had {MAX_MARKS} changes, as many as one run keeps: reset it to change more"
            ));
        }
        let forked = self.in_past();
        if forked {
            self.forget_future();
        }
        let at = self.cursor.now();
        self.cursor.set_param(id, value).map_err(text)?;
        self.marks.push(Mark {
            steps: self.cursor.steps(),
            at,
            param: spec.id,
            value,
        });
        self.applied = self.marks.len();
        self.after_moving();
        Ok((Applied::Live, forked))
    }

    /// The run has started again (a reset, another pattern, a restarting
    /// change made through [`Timeline::sim_mut`]): forget its past.
    pub fn restart(&mut self) {
        self.cancel_seek();
        self.marks.clear();
        self.applied = 0;
        self.keyframes = vec![Keyframe::of(&self.cursor, 0)];
        self.head = self.cursor.position();
        self.head_applied = 0;
        self.head_copy = None;
    }

    /// Shows the run at virtual time `t` (seconds), exactly as an
    /// uninterrupted run has it there.
    pub fn seek_secs(&mut self, t: f64) -> Result<(), SeekError> {
        let t = self.check_moment(t)?;
        self.seek(t)
    }

    /// The moment `t` seconds names, if it is one of the run so far.
    pub fn check_moment(&self, t: f64) -> Result<Time, SeekError> {
        if !t.is_finite() || t < 0.0 {
            return Err(SeekError::NotATime(t));
        }
        let head_s = time::to_secs(self.head.now);
        if t > head_s + 1e-9 {
            return Err(SeekError::Beyond {
                asked: t,
                head: head_s,
            });
        }
        Ok(time::from_secs(t).min(self.head.now))
    }

    /// Shows the run at virtual time `t` (at most the head's).
    pub fn seek(&mut self, t: Time) -> Result<(), SeekError> {
        self.seek_begin(t)?;
        self.seek_finish().map(|_| ())
    }

    /// Starts showing the run at virtual time `t` (at most the head's):
    /// the way there is run by [`Timeline::seek_continue`], in slices. A
    /// seek already under way is replaced (a drag's latest moment wins).
    pub fn seek_begin(&mut self, t: Time) -> Result<(), SeekError> {
        let t = t.min(self.head.now);
        if t == self.head.now {
            self.cancel_seek();
            return self.go_live();
        }
        self.keep_head();
        let k = self
            .keyframes
            .iter()
            .rposition(|k| k.sim.now() <= t)
            .unwrap_or(0);
        // Forward from the cursor when it is nearer than the keyframe (a
        // drag to the right, +1 s, a replay, a seek further on than the
        // one under way): no copy, a shorter run.
        let from_cursor = self.cursor.now() <= t
            && self.cursor.position() >= self.keyframes[k].position()
            && self.applied >= self.keyframes[k].applied;
        if !from_cursor {
            self.restore(k);
        }
        self.start_seeking(t, u64::MAX, Then::Show);
        Ok(())
    }

    /// Shows the run one action earlier. Returns the events of the action
    /// stepped back over (so it can be named), or `None` at the start.
    pub fn step_back(&mut self) -> Result<Option<Vec<crate::event::Event>>, SeekError> {
        if !self.step_back_begin()? {
            return Ok(None);
        }
        match self.seek_finish()? {
            Progress::Done(undone) => Ok(undone),
            Progress::Working => unreachable!("a finished seek is done"),
        }
    }

    /// Starts showing the run one action earlier (`false`: this is the
    /// start, there is none); [`Timeline::seek_continue`] gets there.
    pub fn step_back_begin(&mut self) -> Result<bool, SeekError> {
        self.seek_finish()?;
        let steps = self.cursor.steps();
        if steps == 0 {
            return Ok(false);
        }
        // The run after `steps - 1` actions, its clock at the last of
        // them, as a single step there leaves it.
        let target = steps - 1;
        self.keep_head();
        let before = target.saturating_sub(1);
        let k = self
            .keyframes
            .iter()
            .rposition(|k| k.sim.steps() <= before)
            .unwrap_or(0);
        self.restore(k);
        self.start_seeking(
            self.head.now,
            before,
            Then::Name {
                step_first: target > 0,
            },
        );
        Ok(true)
    }

    /// Whether a seek is under way.
    pub fn seeking(&self) -> bool {
        self.seeking.is_some()
    }

    /// Runs a seek under way at most `max_actions` further.
    pub fn seek_continue(&mut self, max_actions: usize) -> Result<Progress, SeekError> {
        let Some(s) = self.seeking else {
            return Ok(Progress::Done(None));
        };
        match self.run(s.t, max_actions, s.cap) {
            Advance::Reached | Advance::AtCap => {}
            Advance::OutOfTime => return Ok(Progress::Working),
            Advance::OverBudget => {
                self.end_seeking();
                return Err(SeekError::OverBudget(crate::budget::over_budget_text(
                    self.cursor.held(),
                )));
            }
        }
        self.end_seeking();
        let Then::Name { step_first } = s.then else {
            return Ok(Progress::Done(None));
        };
        if step_first {
            self.step();
            self.cursor.clear_events();
        }
        let mut probe = self.cursor.keyframe();
        probe.set_keep_events(true);
        probe.step();
        Ok(Progress::Done(Some(probe.events().to_vec())))
    }

    /// Runs a seek under way to its end, however long it takes.
    pub fn seek_finish(&mut self) -> Result<Progress, SeekError> {
        self.seek_continue(usize::MAX)
    }

    /// Leaves a seek under way where it is (the cursor stays a moment of
    /// the run on the way there).
    pub fn cancel_seek(&mut self) {
        if self.seeking.is_some() {
            self.end_seeking();
        }
    }

    fn start_seeking(&mut self, t: Time, cap: u64, then: Then) {
        let kept_events = match self.seeking {
            Some(s) => s.kept_events,
            None => self.cursor.keeps_events(),
        };
        self.cursor.set_keep_events(false);
        self.seeking = Some(Seeking {
            t,
            cap,
            then,
            kept_events,
        });
    }

    fn end_seeking(&mut self) {
        if let Some(s) = self.seeking.take() {
            self.cursor.set_keep_events(s.kept_events);
            self.cursor.clear_events();
        }
    }

    /// Back to the head: the run as far as it has gone.
    pub fn go_live(&mut self) -> Result<(), SeekError> {
        self.cancel_seek();
        if !self.in_past() {
            return Ok(());
        }
        match &self.head_copy {
            Some(k) => {
                self.cursor = k.sim.keyframe();
                self.applied = k.applied;
                Ok(())
            }
            None => {
                let k = self
                    .keyframes
                    .iter()
                    .rposition(|k| k.position() <= self.head)
                    .unwrap_or(0);
                self.restore(k);
                let head = self.head;
                self.start_seeking(head.now, head.steps, Then::Show);
                self.seek_finish().map(|_| ())
            }
        }
    }

    /// The whole story of a request or a message up to the moment shown,
    /// recomputed from the last keyframe before it began: every event, at
    /// any sampling of what was sent to the page.
    pub fn story(&self, subject: crate::story::Subject) -> Result<Told, String> {
        use crate::story::Subject;
        let at = self.cursor.position();
        let made = self.cursor.made();
        let (id, made_so_far, name) = match subject {
            Subject::Request(r) => (r, made.requests, "request"),
            Subject::Message(m) => (m, made.messages, "message"),
        };
        if id >= made_so_far {
            return Err(format!(
                "{name} #{id} is not in the run yet at {:.3} s",
                time::to_secs(at.now)
            ));
        }
        let made_by = |k: &Keyframe| match subject {
            Subject::Request(_) => k.sim.made().requests,
            Subject::Message(_) => k.sim.made().messages,
        };
        let k = self
            .keyframes
            .iter()
            .rposition(|k| k.position() <= at && k.applied <= self.applied && made_by(k) <= id)
            .unwrap_or(0);
        let first = self.read_story(k, crate::story::Story::new(subject));
        match first.0.second_reading() {
            Some(again) => {
                let (story, until, whole) = self.read_story(k, again);
                Ok(Told {
                    overflow: story.overflow,
                    events: story.into_events(),
                    whole: whole && first.2,
                    until: until.min(first.1),
                })
            }
            None => {
                let (story, until, whole) = first;
                Ok(Told {
                    overflow: story.overflow,
                    events: story.into_events(),
                    whole,
                    until,
                })
            }
        }
    }

    /// Reads the run from keyframe `k` to the cursor into `story` (at most
    /// [`MAX_STORY_ACTIONS`]; a message's story ends where the message
    /// does). Returns how far it read and whether that is the cursor.
    fn read_story(
        &self,
        k: usize,
        mut story: crate::story::Story,
    ) -> (crate::story::Story, Time, bool) {
        let at = self.cursor.position();
        let kf = &self.keyframes[k];
        let mut sim = kf.sim.keyframe();
        let mut applied = kf.applied;
        sim.set_keep_events(true);
        let start = sim.steps();
        let message = matches!(story.subject(), crate::story::Subject::Message(_));
        loop {
            let r = replay(
                &self.marks,
                &mut sim,
                &mut applied,
                at.now,
                crate::budget::CHUNK,
                at.steps,
            );
            story.read(sim.events());
            sim.clear_events();
            match r {
                Advance::Reached | Advance::AtCap => return (story, sim.now(), true),
                Advance::OverBudget => return (story, sim.now(), false),
                Advance::OutOfTime => {}
            }
            if message && story.ended() {
                return (story, sim.now(), true);
            }
            if sim.steps() - start >= MAX_STORY_ACTIONS {
                return (story, sim.now(), false);
            }
        }
    }

    /// Copies keyframe `k` into the cursor.
    fn restore(&mut self, k: usize) {
        let kf = &self.keyframes[k];
        self.cursor = kf.sim.keyframe();
        self.applied = kf.applied;
    }

    /// The one loop that moves the cursor: see [`replay`].
    fn run(&mut self, t: Time, max_actions: usize, cap: u64) -> Advance {
        replay(
            &self.marks,
            &mut self.cursor,
            &mut self.applied,
            t,
            max_actions,
            cap,
        )
    }

    /// Applies the recorded changes made at the cursor's position and
    /// clock at or before `t` (after a single step).
    fn apply_due_marks(&mut self, t: Time) {
        while let Some(m) = self.marks.get(self.applied).copied() {
            if m.steps != self.cursor.steps() || m.at > t {
                break;
            }
            self.cursor.move_clock(m.at);
            self.apply(m);
        }
    }

    fn apply(&mut self, m: Mark) {
        let applied = self.cursor.set_param(m.param, m.value);
        debug_assert!(matches!(applied, Ok(Applied::Live)), "{applied:?}");
        self.applied += 1;
    }

    /// Keeps a copy of the head before the cursor leaves it.
    fn keep_head(&mut self) {
        if !self.in_past() && self.head_copy.is_none() {
            self.head_copy = Some(Keyframe::of(&self.cursor, self.applied));
        }
    }

    /// The cursor moved forward: it may be the new head, and due a keyframe.
    fn after_moving(&mut self) {
        let at = self.cursor.position();
        if at > self.head || (at == self.head && self.applied > self.head_applied) {
            self.head = at;
            self.head_applied = self.applied;
            self.head_copy = None;
        }
        let last = self.keyframes.last().map_or(0, |k| k.sim.steps());
        if at.steps >= last + self.every && !self.in_past() {
            self.keyframes
                .push(Keyframe::of(&self.cursor, self.applied));
            self.thin();
        }
    }

    /// A change in the past: the run from the cursor on is forgotten.
    fn forget_future(&mut self) {
        let at = self.cursor.position();
        self.marks.truncate(self.applied);
        self.keyframes.retain(|k| k.position() <= at);
        if self.keyframes.is_empty() {
            self.keyframes
                .push(Keyframe::of(&self.cursor, self.applied));
        }
        self.head = at;
        self.head_applied = self.applied;
        self.head_copy = None;
    }

    /// Drops keyframes until the count and bytes fit: each time the one
    /// whose loss leaves the smallest gap, where gaps among recent
    /// keyframes weigh up to five times more (older moments are sought
    /// less often and may cost a longer replay).
    fn thin(&mut self) {
        loop {
            let bytes: usize = self.keyframes.iter().map(|k| k.bytes).sum();
            if self.keyframes.len() <= MAX_KEYFRAMES && bytes <= KEYFRAME_BYTES {
                return;
            }
            if self.keyframes.len() <= 2 {
                return;
            }
            let head = self.head.steps;
            let every = self.every as f64;
            let mut best = (f64::INFINITY, 1);
            for i in 1..self.keyframes.len() - 1 {
                let gap =
                    (self.keyframes[i + 1].sim.steps() - self.keyframes[i - 1].sim.steps()) as f64;
                let age = head.saturating_sub(self.keyframes[i].sim.steps()) as f64;
                let score = gap * (1.0 + 4.0 * every / (age + every));
                if score < best.0 {
                    best = (score, i);
                }
            }
            self.keyframes.remove(best.1);
        }
    }
}

/// Moves `sim` up to `t`, at most `max_actions` actions and at most to
/// `cap` actions in all, stopping at each recorded change on the way to
/// make it where it was made (`applied`: the marks `sim` has applied).
fn replay(
    marks: &[Mark],
    sim: &mut Simulation,
    applied: &mut usize,
    t: Time,
    max_actions: usize,
    cap: u64,
) -> Advance {
    let mut left = max_actions;
    loop {
        let next = marks.get(*applied).filter(|m| m.at <= t).copied();
        let (to, stop) = match next {
            Some(m) if m.steps < cap => (m.at, m.steps),
            _ => (t, cap),
        };
        let before = sim.steps();
        let r = sim.advance_capped(to, left, stop);
        left = left.saturating_sub((sim.steps() - before) as usize);
        match (r, next) {
            (Advance::Reached | Advance::AtCap, Some(m))
                if m.steps < cap && sim.steps() == m.steps =>
            {
                sim.move_clock(m.at);
                let made = sim.set_param(m.param, m.value);
                debug_assert!(matches!(made, Ok(Applied::Live)), "{made:?}");
                *applied += 1;
            }
            (Advance::AtCap, _) if stop == cap => return Advance::AtCap,
            (Advance::Reached, _) if to == t => return Advance::Reached,
            (Advance::Reached | Advance::AtCap, _) => {
                // The replay did not reach the change where it was made:
                // the run is not the recorded one. Never expected (the
                // engine is deterministic); stop rather than loop.
                debug_assert!(false, "a replay diverged from its recipe");
                return Advance::Reached;
            }
            (other, _) => return other,
        }
        if left == 0 {
            return Advance::OutOfTime;
        }
    }
}
