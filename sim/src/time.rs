//! Virtual time.
//!
//! The engine counts integer nanoseconds so that ordering is exact and runs
//! are reproducible; people read milliseconds, so conversions live here.
//!
//! Overflow cannot happen by construction: every duration the engine makes
//! from a number (a parameter, a random draw, a scaled service time) comes
//! through [`from_ns`] and so is at most [`FOREVER`] (about 146 years), and
//! no run reaches [`FOREVER`] either, so `instant + duration` always fits in
//! a `u64`. A rate so small that its gap is longer than any run simply never
//! fires: the action waits at its far-future time instead of wrapping round
//! into the past.

/// A virtual instant or duration in nanoseconds since the start of a run.
pub type Time = u64;

/// One virtual millisecond.
pub const MS: Time = 1_000_000;
/// One virtual second.
pub const SECOND: Time = 1_000_000_000;

/// The longest duration and the latest instant the engine represents
/// (2^62 ns, about 146 years). Far beyond any run, and small enough that an
/// instant plus a duration never overflows.
pub const FOREVER: Time = 1 << 62;

/// Nanoseconds as a float (a draw, a product) to virtual time: rounded,
/// clamped to `0..=FOREVER`; NaN is 0.
pub fn from_ns(ns: f64) -> Time {
    if ns >= FOREVER as f64 {
        FOREVER
    } else if ns > 0.0 {
        ns.round() as Time
    } else {
        0
    }
}

/// `at + d`, never past [`FOREVER`]: how the scheduler places actions.
pub fn after(at: Time, d: Time) -> Time {
    at.saturating_add(d).min(FOREVER)
}

/// Milliseconds (possibly fractional) to virtual time, rounded to the nearest
/// nanosecond and clamped to `0..=FOREVER`.
pub fn from_ms(ms: f64) -> Time {
    from_ns(ms * MS as f64)
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

/// Virtual time as a link writes it: seconds, exact to the nanosecond,
/// without trailing zeros (`12.5`, `3`, `0.000000001`).
pub fn exact_secs(t: Time) -> String {
    let (s, ns) = (t / SECOND, t % SECOND);
    if ns == 0 {
        return s.to_string();
    }
    let frac = format!("{ns:09}");
    format!("{s}.{}", frac.trim_end_matches('0'))
}

/// Reads [`exact_secs`] back: plain decimal seconds with at most nine
/// places, at most [`FOREVER`]. Anything else (signs, exponents, `NaN`)
/// is `None`.
pub fn parse_exact_secs(text: &str) -> Option<Time> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || frac.len() > 9 || !digits(whole) || !digits(frac) {
        return None;
    }
    let s: Time = whole.parse().ok()?;
    let ns: Time = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    let t = s.checked_mul(SECOND)?.checked_add(ns)?;
    (t <= FOREVER).then_some(t)
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

    #[test]
    fn huge_durations_saturate_instead_of_wrapping() {
        assert_eq!(from_ns(1e300), FOREVER);
        assert_eq!(from_ns(f64::INFINITY), FOREVER);
        assert_eq!(from_ms(f64::MAX), FOREVER);
        assert_eq!(from_ns(-1e300), 0);
        assert_eq!(after(FOREVER, FOREVER), FOREVER);
        assert_eq!(after(u64::MAX, 1), FOREVER);
        // An instant plus the longest duration still fits.
        assert!(FOREVER.checked_add(FOREVER).is_some());
    }

    #[test]
    fn links_write_seconds_exactly() {
        for t in [0, 1, SECOND, 12_500 * MS, 20 * SECOND + 7, FOREVER] {
            assert_eq!(parse_exact_secs(&exact_secs(t)), Some(t), "{t}");
        }
        assert_eq!(exact_secs(12_500 * MS), "12.5");
        assert_eq!(exact_secs(1), "0.000000001");
        for bad in [
            "",
            ".5",
            "-1",
            "1e3",
            "NaN",
            "1.0000000001",
            "99999999999999",
            "1.2.3",
            "+1",
        ] {
            assert_eq!(parse_exact_secs(bad), None, "{bad}");
        }
    }
}
