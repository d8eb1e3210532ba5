//! How numbers read on screen: figures, waits, speeds, durations, rates.
//! A leaf: every view formats through it and it depends on nothing of the
//! app.

use sim::time::{Time, MS};

/// A number with precision for its size: three significant digits at most.
pub fn fmt_number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A wait in milliseconds, or seconds past one.
pub fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// A speed multiplier as people read it: `20`, `3.2`, `0.05`.
pub fn fmt_speed(x: f64) -> String {
    if x >= 10.0 || x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x >= 0.1 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A virtual duration to the tenth of a millisecond (the inspector's
/// timestamps).
pub fn fmt_time(t: Time) -> String {
    let ms = t as f64 / MS as f64;
    if ms >= 1000.0 {
        format!("{:.3} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// A download rate in words: bytes, kilobytes or megabits a second.
pub fn fmt_rate(bytes_per_s: f64) -> String {
    if bytes_per_s < 1000.0 {
        format!("{bytes_per_s:.0} B/s")
    } else if bytes_per_s < 1e6 {
        format!("{:.1} kB/s", bytes_per_s / 1e3)
    } else {
        format!(
            "{:.1} MB/s ({:.0} Mbit/s)",
            bytes_per_s / 1e6,
            bytes_per_s * 8.0 / 1e6
        )
    }
}
