//! Where the page's run is on its timeline: the moment shown and the
//! furthest the run has gone, as the first pane reports them, and the
//! requests the timeline sends (seeks, throttled while a slider is
//! dragged; a replay of the last seconds).

use leptos::prelude::*;

/// Fewest milliseconds between two seeks sent while the playhead is
/// dragged: about twenty moments a second reach the page, the last one
/// always (it is sent when the gap has passed).
pub const SEEK_GAP_MS: f64 = 50.0;

/// How far "Replay" goes back, in virtual seconds, and how slowly it plays.
pub const REPLAY_S: f64 = 10.0;
pub const REPLAY_SPEED: f64 = 0.25;

/// A run changed in its past: a branch from `at`. The original — the same
/// start values and seed with `original`'s changes — is a link away.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub at: sim::Time,
    pub original: Vec<sim::link::LinkChange>,
}

#[derive(Clone, Copy)]
pub struct Clock {
    /// The moment shown, in virtual seconds (to a tenth: the slider and its
    /// words change only when this does).
    pub now: RwSignal<f64>,
    /// The furthest the run has gone, in virtual seconds (to a tenth).
    pub head: RwSignal<f64>,
    /// The moment shown, to the nanosecond: what a link to it carries.
    pub exact: StoredValue<sim::Time>,
    /// `t=` in the page's link: the moment its run opens at (sent once).
    pub open_at: StoredValue<Option<f64>>,
    /// A replay under way: the head it returns to, and the speed before.
    pub replay: StoredValue<Option<(f64, f64)>>,
    /// Moments marked, in time order: what the link carries and the
    /// timeline shows.
    pub bookmarks: RwSignal<Vec<sim::link::Bookmark>>,
    /// When the first pane's run was changed live (virtual seconds): marked
    /// on the timeline.
    pub changes: RwSignal<Vec<f64>>,
    /// The furthest the run has gone, to the nanosecond.
    pub head_exact: StoredValue<sim::Time>,
    /// The run was changed at a moment of its past: where, and the
    /// original run's changes (it can still be opened and compared).
    pub branch: RwSignal<Option<Branch>>,
    /// The label typed for the next bookmark.
    pub draft: RwSignal<String>,
    /// When the last seek was sent (ms), and one waiting for the gap.
    last_sent: StoredValue<f64>,
    waiting: StoredValue<Option<f64>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            now: RwSignal::new(0.0),
            head: RwSignal::new(0.0),
            exact: StoredValue::new(0),
            open_at: StoredValue::new(None),
            replay: StoredValue::new(None),
            bookmarks: RwSignal::new(Vec::new()),
            changes: RwSignal::new(Vec::new()),
            draft: RwSignal::new(String::new()),
            head_exact: StoredValue::new(0),
            branch: RwSignal::new(None),
            last_sent: StoredValue::new(f64::NEG_INFINITY),
            waiting: StoredValue::new(None),
        }
    }
}

/// A virtual time rounded to the tenth of a second the page shows.
fn tenth(t: sim::Time) -> f64 {
    (sim::time::to_secs(t) * 10.0).floor() / 10.0
}

impl Clock {
    /// The first pane reached `now`, its run having gone as far as `head`.
    pub fn reached(&self, now: sim::Time, head: sim::Time) {
        self.exact.set_value(now);
        self.head_exact.set_value(head);
        let (n, h) = (tenth(now), tenth(head));
        if self.now.get_untracked() != n {
            self.now.set(n);
        }
        if self.head.get_untracked() != h {
            self.head.set(h);
        }
    }

    /// Whether the moment shown is behind the furthest the run has gone.
    pub fn in_past(&self) -> bool {
        self.now.get() + 0.05 < self.head.get()
    }

    /// Sends `send(t)` now, or as soon as [`SEEK_GAP_MS`] has passed since
    /// the last one (the latest `t` asked for then).
    pub fn throttle(&self, t: f64, now_ms: f64, send: impl Fn(f64) + 'static) {
        let gap = now_ms - self.last_sent.get_value();
        if gap >= SEEK_GAP_MS {
            self.last_sent.set_value(now_ms);
            send(t);
            return;
        }
        let first = self.waiting.get_value().is_none();
        self.waiting.set_value(Some(t));
        if first {
            let me = *self;
            set_timeout(
                move || {
                    if let Some(t) = me.waiting.get_value() {
                        me.waiting.set_value(None);
                        me.last_sent.set_value(js_sys::Date::now());
                        send(t);
                    }
                },
                std::time::Duration::from_millis((SEEK_GAP_MS - gap).max(0.0) as u64),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_to_the_tenth_below() {
        assert_eq!(tenth(12_349 * sim::time::MS), 12.3);
        assert_eq!(tenth(0), 0.0);
    }
}
