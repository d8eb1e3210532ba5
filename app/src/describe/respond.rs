//! What a control says: its value in words while it moves (the slider's
//! `aria-valuetext`: "120 requests a second") and, once the interaction
//! ends, what the change does to the run ("Offered load 120 requests a
//! second: above capacity of 100 a second, the queue will grow").

use sim::params::{fmt_num, Kind, ParamSpec};
use sim::run::Theory;
use sim::ParamSet;

use super::words::{rate, unit, wait};

/// A parameter's value as said.
pub fn value_text(spec: &ParamSpec, v: f64) -> String {
    match spec.kind {
        Kind::Number { .. } if spec.id == "loss" => {
            format!("{} percent", fmt_num((v * 1000.0).round() / 10.0))
        }
        Kind::Number { .. } if spec.unit.is_empty() => fmt_num(v),
        Kind::Number { .. } => format!("{} {}", fmt_num(v), unit(spec.unit)),
        Kind::Bool { .. } => if v != 0.0 { "on" } else { "off" }.to_string(),
        Kind::Choice { .. } => spec.format(v),
    }
}

/// Parameters whose change moves a pattern's load against its capacity.
const LOAD: [&str; 12] = [
    "rate",
    "workers",
    "consumers",
    "service_ms",
    "service_dist",
    "clients",
    "poll_ms",
    "update_rate",
    "hold_ms",
    "slowdown",
    "net_ms",
    "jitter_ms",
];

/// What setting `spec` to `v` does, given every parameter after the
/// change: said once the user lets go of the control.
pub fn context(spec: &ParamSpec, v: f64, params: &ParamSet) -> String {
    let head = format!("{} {}", spec.name, value_text(spec, v));
    let effect = LOAD
        .contains(&spec.id)
        .then(|| capacity(params))
        .flatten()
        .unwrap_or_else(|| lower_first(spec.help.trim_end_matches('.')));
    format!("{head}: {effect}.")
}

/// The load against the capacity, in words, where the pattern has a
/// closed form (or, for the message queue, its consumers' capacity).
fn capacity(p: &ParamSet) -> Option<String> {
    let (busy, limit, predicted) = match Theory::for_params(p) {
        Some(t) if t.stable_below_per_s.is_finite() && t.utilisation > 0.0 => {
            (t.utilisation, t.stable_below_per_s, t.mean_wait_ms)
        }
        _ if p.spec("consumers").is_ok() && p.spec("rate").is_ok() => {
            let limit = p.get("consumers") * 1000.0 / p.get("service_ms").max(1e-9);
            (p.get("rate") / limit, limit, None)
        }
        _ => return None,
    };
    let limit = rate(limit);
    Some(if busy >= 1.0 {
        format!("above capacity ({limit} a second), the queue will grow without bound")
    } else if busy >= 0.8 {
        format!(
            "near capacity ({limit} a second): {:.0} percent busy, waits grow long",
            busy * 100.0
        )
    } else {
        let w = predicted
            .map(|w| format!(", predicted mean wait {}", wait(w)))
            .unwrap_or_default();
        format!(
            "below capacity ({limit} a second): {:.0} percent busy{w}",
            busy * 100.0
        )
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::params::{LOSS, RATE};

    fn rr() -> ParamSet {
        sim::find_pattern("request-response").unwrap().defaults()
    }

    #[test]
    fn values_are_said_with_their_units() {
        assert_eq!(value_text(&RATE, 120.0), "120 requests a second");
        assert_eq!(value_text(&LOSS, 0.05), "5 percent");
    }

    #[test]
    fn a_load_change_says_where_it_leaves_the_capacity() {
        let mut p = rr();
        let workers = p.get("workers");
        let limit = workers * 1000.0 / p.get("service_ms");
        p.set("rate", limit * 1.2).unwrap();
        let said = context(&RATE, limit * 1.2, &p);
        assert!(said.contains("above capacity"), "{said}");
        assert!(
            said.starts_with("Offered load") || said.contains("requests a second"),
            "{said}"
        );
        p.set("rate", limit * 0.5).unwrap();
        let said = context(&RATE, limit * 0.5, &p);
        assert!(
            said.contains("below capacity") && said.contains("50 percent busy"),
            "{said}"
        );
        assert!(said.contains("predicted mean wait"), "{said}");
    }

    #[test]
    fn other_changes_say_what_the_parameter_is_for() {
        let said = context(&LOSS, 0.1, &rr());
        assert!(said.starts_with("Loss 10 percent: "), "{said}");
        assert!(said.ends_with('.'));
    }
}
