//! Time for a real run: one monotonic clock (`tokio::time::Instant`),
//! sleeps that end on time, and the calibration that says how honest the
//! machine can be right now.
//!
//! tokio's timer wheel ticks each millisecond, so a plain sleep ends up to
//! a millisecond late; at 80 % load a service 0.75 ms slower on average
//! than drawn is a 4 % busier server and a 20 % longer queue. [`until`]
//! sleeps to a millisecond and a half before the deadline and yields the
//! rest: on time to tens of microseconds for a few percent of one core.

use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

/// How far before a deadline the coarse sleep stops.
const SPIN: Duration = Duration::from_micros(1500);

/// Waits until `deadline`.
pub async fn until(deadline: Instant) {
    if let Some(coarse) = deadline.checked_sub(SPIN) {
        if coarse > Instant::now() {
            tokio::time::sleep_until(coarse).await;
        }
    }
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}

/// Microsecond histogram (1 µs to 10 min, 3 significant figures).
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

/// Records `d` in microseconds.
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let _ = h.record((d.as_micros() as u64).max(1));
}

/// How honest a real run can be on this machine now.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Calibration {
    /// A loopback HTTP round trip with nothing to do, p50 and p99, ms.
    pub floor_p50_ms: f64,
    pub floor_p99_ms: f64,
    /// How late a 1 ms [`until`] ends, p50 and p99, ms.
    pub timer_lag_p50_ms: f64,
    pub timer_lag_p99_ms: f64,
    /// How late the run's arrivals left against their schedule, p50/p99, ms.
    pub scheduler_lag_p50_ms: f64,
    pub scheduler_lag_p99_ms: f64,
    /// The figures cannot be trusted to a millisecond: the machine is busy.
    pub noisy: bool,
}

/// Lag p99 past which the badge says "noisy".
pub const NOISY_MS: f64 = 2.0;

impl Calibration {
    pub fn judge(&mut self) {
        self.noisy = self.timer_lag_p99_ms > NOISY_MS
            || self.scheduler_lag_p99_ms > NOISY_MS
            || self.floor_p99_ms > 5.0 * NOISY_MS;
    }
}

/// p50 and p99 of a microsecond histogram, in ms.
pub fn p50_p99(h: &Histogram<u64>) -> (f64, f64) {
    if h.is_empty() {
        return (0.0, 0.0);
    }
    (
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
    )
}

/// Lateness of `n` one-millisecond waits.
pub async fn timer_lag(n: usize) -> Histogram<u64> {
    let mut h = histogram();
    for _ in 0..n {
        let deadline = Instant::now() + Duration::from_millis(1);
        until(deadline).await;
        record(&mut h, Instant::now() - deadline);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `until` never ends early (its lateness is measured, not asserted).
    #[tokio::test]
    async fn until_never_ends_early() {
        for ms in [0u64, 1, 2, 5] {
            let deadline = Instant::now() + Duration::from_millis(ms);
            until(deadline).await;
            assert!(Instant::now() >= deadline);
        }
        let past = Instant::now();
        until(past).await;
    }

    #[test]
    fn noisy_when_lag_is_past_the_line() {
        let mut c = Calibration::default();
        c.judge();
        assert!(!c.noisy);
        c.scheduler_lag_p99_ms = 3.0;
        c.judge();
        assert!(c.noisy);
    }
}
