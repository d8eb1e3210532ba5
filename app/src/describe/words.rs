//! Numbers and units as a screen reader should say them: "12 requests",
//! "about 20 a second", "340 ms", "requests a second" for "req/s".
//! A leaf of the describer: text only, no state.

/// "1 request", "12 requests".
pub fn count(n: u64, [one, many]: [&str; 2]) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A rate a person can say: two significant figures, no decimals past 10
/// ("about" is the caller's to add).
pub fn rate(v: f64) -> String {
    let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
    if v >= 100.0 {
        let mag = 10f64.powf(v.log10().floor() - 1.0);
        format!("{:.0}", (v / mag).round() * mag)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        let r = (v * 10.0).round() / 10.0;
        if r.fract() == 0.0 {
            format!("{r:.0}")
        } else {
            format!("{r:.1}")
        }
    } else if v > 0.0 {
        format!("{:.2}", v)
    } else {
        "0".into()
    }
}

/// A wait in milliseconds, as said: "0.4 ms", "12 ms", "340 ms", "1.2 s".
pub fn wait(ms: f64) -> String {
    let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
    // (at least, divide by, decimals, unit): fewer decimals as it grows.
    const STEPS: [(f64, f64, usize, &str); 5] = [
        (10_000.0, 1000.0, 0, "s"),
        (1000.0, 1000.0, 1, "s"),
        (10.0, 1.0, 0, "ms"),
        (1.0, 1.0, 1, "ms"),
        (0.0, 1.0, 2, "ms"),
    ];
    let (_, by, decimals, unit) = STEPS.into_iter().find(|s| ms >= s.0).unwrap_or(STEPS[4]);
    format!("{:.*} {unit}", decimals, ms / by)
}

/// Virtual seconds on the run's clock: "12.3 s".
pub fn clock(secs: f64) -> String {
    if secs >= 100.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// A parameter's unit in words ("req/s" is read "requests a second").
pub fn unit(unit: &str) -> &str {
    match unit {
        "req/s" => "requests a second",
        "updates/s" => "updates a second",
        "events/s" => "events a second",
        "jobs/s" => "jobs a second",
        "msgs/s" => "messages a second",
        "orders/s" => "orders a second",
        "msgs" => "messages",
        "ms" => "milliseconds",
        "s" => "seconds",
        "per min" => "a minute",
        "×" => "times",
        "× service time" => "times the service time",
        other => other,
    }
}

/// The first letter in upper case.
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Clauses joined as a sentence: "a, b and c".
pub fn listed(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_said() {
        assert_eq!(count(1, ["request", "requests"]), "1 request");
        assert_eq!(count(0, ["request", "requests"]), "0 requests");
        assert_eq!(rate(123.4), "120");
        assert_eq!(rate(1234.0), "1200");
        assert_eq!(rate(19.6), "20");
        assert_eq!(rate(2.0), "2");
        assert_eq!(rate(2.44), "2.4");
        assert_eq!(rate(f64::NAN), "0");
        assert_eq!(wait(0.42), "0.42 ms");
        assert_eq!(wait(12.4), "12 ms");
        assert_eq!(wait(1234.0), "1.2 s");
        assert_eq!(unit("req/s"), "requests a second");
        assert_eq!(listed(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(capitalised("queue"), "Queue");
    }
}
