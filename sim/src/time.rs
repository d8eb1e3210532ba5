//! Virtual time.
//!
//! The engine counts integer nanoseconds so that ordering is exact and runs
//! are reproducible; people read milliseconds, so conversions live here.

/// A virtual instant or duration in nanoseconds since the start of a run.
pub type Time = u64;

/// One virtual millisecond.
pub const MS: Time = 1_000_000;
/// One virtual second.
pub const SECOND: Time = 1_000_000_000;

/// Milliseconds (possibly fractional) to virtual time, rounded to the nearest
/// nanosecond and clamped at zero.
pub fn from_ms(ms: f64) -> Time {
    if ms.is_finite() && ms > 0.0 {
        (ms * MS as f64).round() as Time
    } else {
        0
    }
}

/// Seconds (possibly fractional) to virtual time.
pub fn from_secs(s: f64) -> Time {
    from_ms(s * 1000.0)
}

/// Virtual time to fractional milliseconds.
pub fn to_ms(t: Time) -> f64 {
    t as f64 / MS as f64
}

/// Virtual time to fractional seconds.
pub fn to_secs(t: Time) -> f64 {
    t as f64 / SECOND as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_milliseconds() {
        assert_eq!(from_ms(1.5), 1_500_000);
        assert_eq!(to_ms(from_ms(12.25)), 12.25);
        assert_eq!(from_ms(-3.0), 0);
        assert_eq!(from_ms(f64::NAN), 0);
        assert_eq!(from_secs(2.0), 2 * SECOND);
    }
}
