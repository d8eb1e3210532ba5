//! Rate-limited warnings: a flood of bad input must not become a flood of
//! log lines. Each kind of warning is written at most once per interval,
//! with the number of occurrences it stands for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One kind of warning, written at most once per `every`.
pub struct Throttle {
    what: &'static str,
    every: Duration,
    epoch: Instant,
    /// Milliseconds since `epoch` of the last written line (u64::MAX: never).
    last_ms: AtomicU64,
    /// Occurrences since the last written line.
    pending: AtomicU64,
}

impl Throttle {
    pub fn new(what: &'static str, every: Duration) -> Throttle {
        Throttle {
            what,
            every,
            epoch: Instant::now(),
            last_ms: AtomicU64::new(u64::MAX),
            pending: AtomicU64::new(0),
        }
    }

    /// Records one occurrence; returns the count to write now, if a line is
    /// due (the caller writes it, so the message keeps its call site).
    pub fn hit(&self) -> Option<u64> {
        self.pending.fetch_add(1, Ordering::Relaxed);
        let now = self.epoch.elapsed().as_millis() as u64;
        let last = self.last_ms.load(Ordering::Relaxed);
        let due = last == u64::MAX || now.saturating_sub(last) >= self.every.as_millis() as u64;
        if due
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            Some(self.pending.swap(0, Ordering::Relaxed))
        } else {
            None
        }
    }

    /// Records one occurrence and writes the warning if one is due.
    pub fn warn(&self, detail: &str) {
        if let Some(n) = self.hit() {
            if n > 1 {
                tracing::warn!(
                    "{} ({n} times in the last {:?}): {detail}",
                    self.what,
                    self.every
                );
            } else {
                tracing::warn!("{}: {detail}", self.what);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_writes_one_line_per_interval_counting_the_rest() {
        let t = Throttle::new("test", Duration::from_secs(3600));
        assert_eq!(t.hit(), Some(1), "the first occurrence is written");
        for _ in 0..10_000 {
            assert_eq!(t.hit(), None);
        }
        assert_eq!(t.pending.load(Ordering::Relaxed), 10_000);
        let t = Throttle::new("test", Duration::ZERO);
        assert_eq!(t.hit(), Some(1));
        assert_eq!(t.hit(), Some(1));
    }
}
