//! How many dots the stage may draw: a budget that follows what this
//! machine can keep up with. Past it the stage draws every n-th message and
//! says "1 dot = n messages". It is judged by the interval between the
//! animation frames that drew the stage — the whole frame, rasterising
//! included, which timing the drawing calls alone would miss: on a slow
//! laptop that falls behind, the budget halves; when full frames come at
//! the display's rate again, it doubles back.
//!
//! Past the fewest dots, the stage's pixels are what is left to save: where
//! the browser rasterises and hands over canvases in software (no GPU), that
//! costs in proportion to the canvas's area whatever is drawn on it. So a
//! machine still too slow draws the stage at half its backing resolution (a
//! quarter of the pixels, softer dots), and tries full resolution again
//! after a calm spell that doubles with every try, so a borderline machine
//! does not flicker between the two. A try is a probe: the first frames
//! that come slow end it, so a machine that cannot keep full resolution
//! pays a few slow frames for it, not a slow spell of seconds. What a
//! machine was found to need ([`Verdict`]) is remembered by the browser
//! (`machine.rs`), so the next page on it — adding a pane loads one —
//! starts at the low resolution instead of learning it again over seconds
//! of slow frames, and probes full resolution like any other.

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
/// A new budget or resolution is judged afresh, from the middle.
const AFRESH_MS: f64 = (SLOW_MS + CHEAP_MS) / 2.0;
/// A longer interval is a hidden tab or a paused page, not drawing cost.
const IGNORED_MS: f64 = 250.0;
/// The stage's backing resolution on a machine too slow even for the
/// fewest dots (a fraction of the device's pixel ratio).
pub const LOW_SCALE: f64 = 0.5;
/// Cheap frames at the low resolution before full resolution is tried
/// again the first time (about two seconds); doubled with every try, up to
/// `MOST_PATIENCE` (about a minute), so a machine that keeps falling back
/// tries ever less often.
const PATIENCE: u32 = 120;
const MOST_PATIENCE: u32 = PATIENCE << 5;
/// Slow frames in a row, the fewest dots notwithstanding, before the
/// resolution is lowered: a page loading or a tab coming back is a slow
/// moment, not a slow machine.
const SLOW_SPELL: u32 = 60;

/// What a frame's judgement found out about this machine, when it is new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The fewest dots were still too slow: the stage went to the low
    /// resolution (first lowered, or a try of full resolution failed).
    NeedsLow,
    /// A try of full resolution held for a whole probe.
    FullHolds,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DotBudget {
    /// Dots the next frame may draw.
    pub dots: usize,
    /// The stage's backing resolution, times the device's pixel ratio: 1,
    /// or `LOW_SCALE` while the fewest dots are still too slow.
    pub scale: f64,
    /// Frame interval at the current budget (ms, smoothed), so one slow
    /// frame (a garbage collection) changes nothing.
    cost_ms: f64,
    /// Cheap frames in a row at the low resolution.
    calm: u32,
    /// Frames in a row judged slow.
    slow: u32,
    /// Cheap frames needed before full resolution is tried again.
    patience: u32,
    /// Frames left in a try of full resolution: while it lasts, frames
    /// judged slow bring the low resolution back at once (this machine has
    /// needed it before), instead of halving the dots or waiting for a
    /// slow spell.
    probe: u32,
}

impl Default for DotBudget {
    fn default() -> Self {
        DotBudget {
            dots: MOST,
            scale: 1.0,
            cost_ms: 16.7,
            calm: 0,
            slow: 0,
            patience: PATIENCE,
            probe: 0,
        }
    }
}

impl DotBudget {
    /// The budget of a machine that needed the low resolution on an
    /// earlier page: it starts there and tries full resolution after the
    /// first calm spell.
    pub fn remembered_low() -> Self {
        DotBudget {
            scale: LOW_SCALE,
            ..DotBudget::default()
        }
    }

    /// Takes the interval that ended with a frame which drew `drawn` dots;
    /// says what it found out about the machine, if that is new.
    pub fn took(&mut self, ms: f64, drawn: usize) -> Option<Verdict> {
        if ms > IGNORED_MS {
            return None;
        }
        self.cost_ms = 0.8 * self.cost_ms + 0.2 * ms;
        let low = self.scale < 1.0;
        self.calm = if low && ms < CHEAP_MS {
            self.calm + 1
        } else {
            0
        };
        self.slow = if self.cost_ms > SLOW_MS {
            self.slow + 1
        } else {
            0
        };
        if self.probe > 0 {
            self.probe -= 1;
            if self.cost_ms > SLOW_MS {
                return self.lower();
            }
            if self.probe == 0 {
                return Some(Verdict::FullHolds);
            }
        }
        if self.cost_ms > SLOW_MS {
            // Only a full budget's drawing says whether the budget is too
            // big; fewer dots than that, or the fewest, leave the pixels.
            if drawn * 2 > self.dots && self.dots > FEWEST {
                self.dots = (self.dots / 2).max(FEWEST);
                self.cost_ms = AFRESH_MS;
            } else if !low && self.slow >= SLOW_SPELL {
                return self.lower();
            }
        } else if self.cost_ms < CHEAP_MS && drawn >= self.dots && self.dots < MOST {
            self.dots = (self.dots * 2).min(MOST);
            self.cost_ms = AFRESH_MS;
        } else if low && self.calm >= self.patience && (self.dots == MOST || drawn < self.dots) {
            // Every dot fits at the low resolution and has for a while: try
            // full resolution; should it fall back, the next try waits twice
            // as long.
            self.scale = 1.0;
            self.calm = 0;
            self.patience = (self.patience * 2).min(MOST_PATIENCE);
            self.probe = SLOW_SPELL;
            self.cost_ms = AFRESH_MS;
        }
        None
    }

    /// The low resolution: after a slow spell, or a try of full resolution
    /// that came slow.
    fn lower(&mut self) -> Option<Verdict> {
        self.scale = LOW_SCALE;
        self.probe = 0;
        self.slow = 0;
        self.cost_ms = AFRESH_MS;
        Some(Verdict::NeedsLow)
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

    /// A machine where a frame costs `fixed` ms for its pixels at full
    /// resolution (a quarter of it at the low one) and `per_dot` ms a dot.
    fn pixel_bound(fixed: f64, per_dot: f64, b: &DotBudget, drawn: usize) -> f64 {
        (fixed * b.scale * b.scale + per_dot * drawn as f64).max(16.7)
    }

    #[test]
    fn a_machine_slow_for_its_pixels_halves_the_resolution_after_the_dots() {
        let mut b = DotBudget::default();
        let mut scales = Vec::new();
        for _ in 0..600 {
            let drawn = 2000.min(b.dots);
            b.took(pixel_bound(40.0, 0.01, &b, drawn), drawn);
            scales.push((b.scale, b.dots));
        }
        // The dots went first, to the fewest, then the resolution.
        let first_low = scales.iter().position(|&(s, _)| s < 1.0).unwrap();
        assert_eq!(scales[first_low].1, FEWEST);
        assert_eq!(b.scale, LOW_SCALE);
        // At the low resolution the dots come back as frames allow.
        assert!(b.dots > FEWEST, "{b:?}");
    }

    #[test]
    fn a_slow_page_with_few_dots_lowers_the_resolution() {
        let mut b = DotBudget::default();
        let mut lowered = None;
        for f in 0..150 {
            b.took(pixel_bound(45.0, 0.0, &b, 20), 20);
            if b.scale < 1.0 {
                lowered = lowered.or(Some(f));
            }
        }
        // After a sustained slow spell, not at the first slow frame.
        let at = lowered.expect("the resolution was lowered");
        assert!(
            (SLOW_SPELL as usize..SLOW_SPELL as usize + 10).contains(&at),
            "{at}"
        );
        assert_eq!((b.dots, b.scale), (MOST, LOW_SCALE));
    }

    #[test]
    fn a_slow_moment_leaves_the_resolution_alone() {
        let mut b = DotBudget::default();
        // A page loading: a second and a half of slow frames, then the
        // display's rate.
        for _ in 0..25 {
            b.took(60.0, 20);
        }
        for _ in 0..100 {
            b.took(16.7, 20);
        }
        assert_eq!((b.dots, b.scale), (MOST, 1.0));
    }

    #[test]
    fn full_resolution_is_tried_again_after_a_calm_spell_that_doubles_when_it_fails() {
        let mut b = DotBudget::default();
        // Too slow at full resolution, cheap at the low one: it keeps
        // trying, each time after twice as long.
        let mut tries = Vec::new();
        for f in 0..6000 {
            let was_low = b.scale < 1.0;
            b.took(pixel_bound(45.0, 0.0, &b, 20), 20);
            if was_low && b.scale == 1.0 {
                tries.push(f);
            }
        }
        assert!(tries.len() >= 3, "{tries:?}");
        let gaps: Vec<usize> = tries.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.windows(2).all(|g| g[1] > g[0] * 3 / 2), "{gaps:?}");
        // Once the page is cheap at full resolution, it stays there.
        for _ in 0..MOST_PATIENCE as usize + 200 {
            b.took(pixel_bound(10.0, 0.0, &b, 20), 20);
        }
        assert_eq!(b.scale, 1.0);
    }

    #[test]
    fn a_failed_try_of_full_resolution_costs_a_few_frames_and_no_dots() {
        let mut b = DotBudget::default();
        // Slow at full resolution (45 ms frames), cheap at the low one.
        let mut slow_while_trying = Vec::new();
        let mut trying = 0;
        let mut low_dots = None;
        for _ in 0..3000 {
            let frame = pixel_bound(45.0, 0.0, &b, 20);
            if b.scale == 1.0 && low_dots.is_some() {
                trying += usize::from(frame > SLOW_MS);
            } else if trying > 0 {
                slow_while_trying.push(trying);
                trying = 0;
            }
            if b.scale < 1.0 {
                low_dots = Some(b.dots);
            }
            b.took(frame, 20);
            if let Some(d) = low_dots {
                assert_eq!(b.dots, d, "a try never halves the dots");
            }
        }
        assert!(slow_while_trying.len() >= 2, "{slow_while_trying:?}");
        // Each try: a handful of slow frames, not a slow spell.
        assert!(
            slow_while_trying.iter().all(|&n| n <= 4),
            "{slow_while_trying:?}"
        );
    }

    #[test]
    fn verdicts_say_when_the_low_resolution_is_needed_and_when_full_holds() {
        let mut b = DotBudget::default();
        let mut verdicts = Vec::new();
        // Slow for its pixels, then (a charger plugged in) fast.
        for f in 0..3000 {
            let fixed = if f < 1500 { 45.0 } else { 10.0 };
            if let Some(v) = b.took(pixel_bound(fixed, 0.0, &b, 20), 20) {
                verdicts.push(v);
            }
        }
        assert_eq!(verdicts.first(), Some(&Verdict::NeedsLow));
        assert_eq!(verdicts.last(), Some(&Verdict::FullHolds), "{verdicts:?}");
        assert_eq!(
            verdicts
                .iter()
                .filter(|&&v| v == Verdict::FullHolds)
                .count(),
            1
        );
        assert_eq!(b.scale, 1.0);
    }

    #[test]
    fn a_remembered_machine_starts_low_and_probes_like_any_other() {
        // Still slow: low from the first frame; each try a few frames.
        let mut b = DotBudget::remembered_low();
        let mut slow = 0;
        for _ in 0..2000 {
            let frame = pixel_bound(45.0, 0.0, &b, 20);
            slow += usize::from(frame > SLOW_MS);
            b.took(frame, 20);
        }
        assert!(slow <= 4 * 4, "{slow} slow frames in 2,000");
        // Fast now: full resolution after the first calm spell and a probe.
        let mut b = DotBudget::remembered_low();
        let mut held = None;
        for f in 0..400 {
            if b.took(pixel_bound(10.0, 0.0, &b, 20), 20) == Some(Verdict::FullHolds) {
                held = Some(f);
            }
        }
        // Frame 0 is the first: the try begins with the 120th calm frame.
        assert_eq!(held, Some((PATIENCE + SLOW_SPELL - 1) as usize));
        assert_eq!(b.scale, 1.0);
    }

    #[test]
    fn one_slow_frame_or_a_hidden_tab_changes_nothing() {
        let mut b = DotBudget::default();
        for _ in 0..100 {
            b.took(16.7, 2000);
        }
        b.took(60.0, 2000);
        b.took(5000.0, 2000);
        assert_eq!((b.dots, b.scale), (MOST, 1.0));
    }
}
