//! Which messages and conversations a pane's stream carries when its run
//! produces more events than a page can draw.
//!
//! A page draws at most a couple of thousand dots, and thirty students each
//! receiving every event of a run at 20,000 requests a second would fill a
//! classroom's access point. Past [`EVENTS_PER_TICK`], a tick carries one
//! message in `stride` (all of its events: sent, queued, served, delivered)
//! and one request in `stride` (offered, completed, …); node-level events
//! always. Metrics are computed from every event and ride on every sampled
//! tick, so the page's figures and counts stay exact and it labels its dots
//! "1 dot = n messages". The stride is a power of two that grows at once
//! and shrinks by halves with slack, so a sampled conversation stays
//! sampled while the load holds. Sampling happens once per tick in the
//! session: every follower of a room gets the same bytes.

use sim::event::Event;

/// Events a tick may carry before it is sampled (~18,000 events a second
/// at 30 ticks a second: ample for 2,000 dots in flight).
pub const EVENTS_PER_TICK: usize = 600;

/// The sampling state of one pane's stream.
#[derive(Debug)]
pub struct Sampler {
    /// One message and one request in `stride` are sent; 1 = everything.
    stride: u64,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler { stride: 1 }
    }
}

impl Sampler {
    /// Chooses the stride for a tick of `events` events and returns it.
    /// Grows to the smallest power of two that fits the budget as soon as
    /// the tick overflows it; halves once half the stride would still carry
    /// at most half the budget.
    pub fn pick(&mut self, events: usize) -> u64 {
        let (n, budget) = (events as u64, EVENTS_PER_TICK as u64);
        if n > budget * self.stride {
            self.stride = n.div_ceil(budget).next_power_of_two();
        } else if self.stride > 1 && n * 4 <= budget * self.stride {
            self.stride /= 2;
        }
        self.stride
    }

    /// Whether the stream carries `e` at the current stride.
    pub fn keeps(&self, e: &Event) -> bool {
        let s = self.stride;
        if s == 1 {
            return true;
        }
        match (e.what.msg(), e.what.req()) {
            (Some(m), _) => m % s == 0,
            (None, Some(r)) => r % s == 0,
            (None, None) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stride_grows_at_once_and_shrinks_with_slack() {
        let mut s = Sampler::default();
        assert_eq!(s.pick(EVENTS_PER_TICK), 1);
        assert_eq!(s.pick(EVENTS_PER_TICK + 1), 2);
        assert_eq!(s.pick(10 * EVENTS_PER_TICK), 16);
        // A little less load keeps the stride (conversations stay sampled).
        assert_eq!(s.pick(5 * EVENTS_PER_TICK), 16);
        // Far less halves it, tick by tick.
        assert_eq!(s.pick(0), 8);
        assert_eq!(s.pick(0), 4);
        assert_eq!(s.pick(0), 2);
        assert_eq!(s.pick(0), 1);
        assert_eq!(s.pick(0), 1);
    }
}
