//! How often a pane's text figures follow its metrics. Snapshots come with
//! up to thirty ticks a second, and each one shown re-lays out and repaints
//! every figure tile: with three panes on a slow laptop that was half of
//! every frame. A reader needs far fewer, so snapshots are shown from an
//! animation frame, at most one every [`FIGURES_MS`] (the newest; each one
//! that arrives replaces the one kept back), and the page lets one pane a
//! frame show its figures. Right after a hello (a new run, a reconnect, a
//! failover) every snapshot is shown as it arrives for [`SETTLE_MS`]: a
//! catch-up burst then lands at once instead of leaving an early snapshot
//! of it on screen. A page that draws no frames (a tab in the background)
//! still shows a snapshot every [`FRAMELESS_MS`], as it arrives.

/// Fewest milliseconds between two shown snapshots (five a second).
pub const FIGURES_MS: f64 = 200.0;

/// How long after a hello every snapshot is shown.
pub const SETTLE_MS: f64 = 1000.0;

/// How long a snapshot may wait for a frame: past it the next one is shown
/// as it arrives (a background tab runs no animation frames).
pub const FRAMELESS_MS: f64 = 1000.0;

/// One pane's pacing state; `T` is the snapshot (generic for the tests).
pub struct FigurePace<T> {
    /// When (page clock, ms) a snapshot was last shown.
    shown_at: f64,
    /// Until when every snapshot is shown (a hello's settling time).
    settle_until: f64,
    /// The newest snapshot not shown yet.
    pending: Option<T>,
}

impl<T> Default for FigurePace<T> {
    fn default() -> Self {
        FigurePace {
            shown_at: f64::NEG_INFINITY,
            settle_until: f64::NEG_INFINITY,
            pending: None,
        }
    }
}

impl<T> FigurePace<T> {
    /// A hello at `now`: what was kept back belongs to the old stream.
    pub fn hello(&mut self, now: f64) {
        self.pending = None;
        self.settle_until = now + SETTLE_MS;
    }

    /// Snapshot `m` arrived at `now`: returned while a hello settles or
    /// when no frame has shown one for [`FRAMELESS_MS`] (show it now), else
    /// kept for [`FigurePace::frame`] (replacing an older one kept back).
    pub fn arrived(&mut self, m: T, now: f64) -> Option<T> {
        if now < self.settle_until || now - self.shown_at >= FRAMELESS_MS {
            self.shown_at = now;
            self.pending = None;
            Some(m)
        } else {
            self.pending = Some(m);
            None
        }
    }

    /// Whether a snapshot kept back is due at `now`.
    pub fn is_due(&self, now: f64) -> bool {
        self.pending.is_some() && now - self.shown_at >= FIGURES_MS
    }

    /// An animation frame at `now`: the snapshot kept back, once it is due.
    pub fn frame(&mut self, now: f64) -> Option<T> {
        if self.is_due(now) {
            self.shown_at = now;
            self.pending.take()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_one_snapshot_per_interval_and_the_newest_follows() {
        let mut p = FigurePace::default();
        assert_eq!(p.arrived(0, 0.0), Some(0), "nothing shown yet: at once");
        assert_eq!(p.arrived(1, 1.0), None, "shown from a frame");
        assert_eq!(p.frame(16.0), None, "not due yet");
        assert_eq!(p.frame(FIGURES_MS), Some(1));
        assert_eq!(p.arrived(2, 30.0), None);
        assert_eq!(p.arrived(3, 60.0), None);
        assert_eq!(p.frame(300.0), None, "not due yet");
        assert_eq!(p.frame(2.0 * FIGURES_MS), Some(3), "the newest");
        assert_eq!(p.frame(3.0 * FIGURES_MS), None, "nothing left");
    }

    #[test]
    fn without_frames_a_snapshot_a_second_is_shown_as_it_arrives() {
        let mut p = FigurePace::default();
        assert_eq!(p.arrived(0, 0.0), Some(0));
        assert_eq!(p.arrived(1, 500.0), None);
        assert_eq!(p.arrived(2, FRAMELESS_MS), Some(2));
        assert_eq!(p.frame(FRAMELESS_MS + 300.0), None, "nothing kept back");
    }

    #[test]
    fn a_hello_shows_every_snapshot_for_a_while_and_drops_the_old_one() {
        let mut p = FigurePace::default();
        assert_eq!(p.arrived(1, 0.0), Some(1));
        assert_eq!(p.arrived(2, 10.0), None);
        p.hello(20.0);
        assert_eq!(p.frame(1000.0), None, "the old stream's snapshot is gone");
        for (i, t) in [30.0, 31.0, 32.0, 500.0].into_iter().enumerate() {
            assert_eq!(p.arrived(i, t), Some(i), "a catch-up lands at once");
        }
        assert_eq!(p.arrived(9, 20.0 + SETTLE_MS + 10.0), None, "paced again");
        assert_eq!(p.frame(20.0 + SETTLE_MS + FIGURES_MS), Some(9));
    }
}
