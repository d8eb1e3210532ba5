//! How many dots the stage may draw: a budget that follows what this
//! machine can keep up with. Past it the stage draws every n-th message and
//! says "1 dot = n messages". It is judged by the interval between the
//! animation frames that drew the stage — the whole frame, rasterising
//! included, which timing the drawing calls alone would miss: on a slow
//! laptop that falls behind, the budget halves; when full frames come at
//! the display's rate again, it doubles back.

/// Most dots drawn in one frame (a fast machine draws them all in a few
/// milliseconds).
pub const MOST: usize = 2000;
/// Fewest: below this the picture stops showing the traffic's shape.
pub const FEWEST: usize = 250;
/// Frames this far apart (ms, smoothed) are too slow: under ~36 a second.
const SLOW_MS: f64 = 28.0;
/// Frames this close (smoothed) leave room: the display's 60 a second.
/// Between the two the budget stays, so it does not flap.
const CHEAP_MS: f64 = 18.0;
/// A longer interval is a hidden tab or a paused page, not drawing cost.
const IGNORED_MS: f64 = 250.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DotBudget {
    /// Dots the next frame may draw.
    pub dots: usize,
    /// Frame interval at the current budget (ms, smoothed), so one slow
    /// frame (a garbage collection) changes nothing.
    cost_ms: f64,
}

impl Default for DotBudget {
    fn default() -> Self {
        DotBudget {
            dots: MOST,
            cost_ms: 16.7,
        }
    }
}

impl DotBudget {
    /// Takes the interval that ended with a frame which drew `drawn` dots.
    pub fn took(&mut self, ms: f64, drawn: usize) {
        if ms > IGNORED_MS {
            return;
        }
        self.cost_ms = 0.8 * self.cost_ms + 0.2 * ms;
        // Only a full budget's drawing says whether the budget is too big.
        if self.cost_ms > SLOW_MS && drawn * 2 > self.dots && self.dots > FEWEST {
            self.dots = (self.dots / 2).max(FEWEST);
            // Judge the new budget afresh, from the middle.
            self.cost_ms = (SLOW_MS + CHEAP_MS) / 2.0;
        } else if self.cost_ms < CHEAP_MS && drawn >= self.dots && self.dots < MOST {
            self.dots = (self.dots * 2).min(MOST);
            self.cost_ms = (SLOW_MS + CHEAP_MS) / 2.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame interval on a machine where a frame costs 10 ms besides
    /// its dots and `per_dot` ms a dot, at 60 Hz.
    fn frame(per_dot: f64, drawn: usize) -> f64 {
        (10.0 + per_dot * drawn as f64).max(16.7)
    }

    /// The budget after `frames` frames with `dots` in flight.
    fn settle(per_dot: f64, dots: usize, frames: usize) -> usize {
        let mut b = DotBudget::default();
        for _ in 0..frames {
            let drawn = dots.min(b.dots);
            b.took(frame(per_dot, drawn), drawn);
        }
        b.dots
    }

    #[test]
    fn a_fast_machine_keeps_every_dot() {
        assert_eq!(settle(0.002, 2000, 600), MOST);
    }

    #[test]
    fn a_slow_machine_halves_until_frames_keep_up() {
        // 0.03 ms a dot: 2,000 make 70 ms frames, 1,000 40 ms, 500 25 ms
        // (kept: under SLOW_MS).
        assert_eq!(settle(0.03, 5000, 600), 500);
        // Very slow: never below the floor.
        assert_eq!(settle(0.1, 5000, 600), FEWEST);
    }

    #[test]
    fn the_budget_settles_and_grows_only_when_a_full_budget_is_cheap() {
        let mut b = DotBudget::default();
        let mut seen = std::collections::HashSet::new();
        for f in 0..2000 {
            let dots = if f < 1000 { 5000 } else { 100 };
            let drawn = dots.min(b.dots);
            b.took(frame(0.03, drawn), drawn);
            if (300..1000).contains(&f) {
                seen.insert(b.dots);
            }
        }
        assert_eq!(seen.len(), 1, "settled on one budget: {seen:?}");
        // A hundred dots drawn quickly say nothing about 1,000: it stays.
        assert_eq!(b.dots, 500);
        // Full budgets drawn at the display's rate grow it back.
        for _ in 0..400 {
            b.took(16.7, b.dots);
        }
        assert_eq!(b.dots, MOST);
    }

    #[test]
    fn one_slow_frame_or_a_hidden_tab_changes_nothing() {
        let mut b = DotBudget::default();
        for _ in 0..100 {
            b.took(16.7, 2000);
        }
        b.took(60.0, 2000);
        b.took(5000.0, 2000);
        assert_eq!(b.dots, MOST);
    }
}
