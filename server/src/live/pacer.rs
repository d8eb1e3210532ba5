//! Real-time pacing: how much virtual time a slice of wall time is worth.
//!
//! A session advances its simulation by `wall × speed` each tick, unless
//! paused. Long stalls (a suspended laptop, a busy machine) are clamped so the
//! simulation never leaps ahead in one go.

use std::time::Duration;

use sim::time::{Time, SECOND};
use sim::wire::{MAX_SPEED, MIN_SPEED};

/// The most wall time one tick may account for.
pub const MAX_CATCH_UP: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pacer {
    pub speed: f64,
    pub playing: bool,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            speed: 1.0,
            playing: true,
        }
    }
}

impl Pacer {
    /// Virtual time to advance for `wall` elapsed.
    pub fn advance(&self, wall: Duration) -> Time {
        if !self.playing {
            return 0;
        }
        let wall = wall.min(MAX_CATCH_UP).as_secs_f64();
        (wall * self.speed * SECOND as f64).round() as Time
    }

    /// Sets the speed, clamped to the supported range.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::MS;

    #[test]
    fn scales_wall_time_by_speed() {
        let mut p = Pacer::default();
        assert_eq!(p.advance(Duration::from_millis(33)), 33 * MS);
        p.set_speed(20.0);
        assert_eq!(p.advance(Duration::from_millis(33)), 660 * MS);
        p.set_speed(0.05);
        assert_eq!(p.advance(Duration::from_millis(40)), 2 * MS);
    }

    #[test]
    fn paused_stands_still_and_stalls_are_clamped() {
        let mut p = Pacer::default();
        assert_eq!(p.advance(Duration::from_secs(5)), 100 * MS);
        p.playing = false;
        assert_eq!(p.advance(Duration::from_millis(33)), 0);
        p.set_speed(1000.0);
        assert_eq!(p.speed, MAX_SPEED);
    }
}
