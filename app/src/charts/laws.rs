//! The live check of the laws under a pane's figures: the closed-form
//! prediction beside what was measured, and Little's law.

use sim::metrics::Snapshot;
use sim::run::Theory;

use crate::format::{fmt_ms, fmt_number};

/// The closed-form prediction next to what was measured.
pub fn theory_text(theory: Option<Theory>, m: &Snapshot) -> String {
    let Some(t) = theory else {
        return "Theory: no closed form is shown for this pattern with these settings.".to_string();
    };
    let capacity = if t.stable_below_per_s.is_finite() {
        format!(
            " Stable below {} {}.",
            fmt_number(t.stable_below_per_s),
            t.rate_unit
        )
    } else {
        String::new()
    };
    let rho = if t.stable_below_per_s.is_finite() {
        format!("ρ = {:.2} (measured {:.2}), ", t.utilisation, m.utilisation)
    } else {
        String::new()
    };
    match t.mean_wait_ms {
        Some(w) => format!(
            "Theory ({}): {rho}mean wait ≈ {} (measured {}, last second).{capacity}",
            t.model,
            fmt_ms(w),
            fmt_ms(m.wait.mean)
        ),
        None => format!(
            "Theory ({}): {rho}≥ 1 — the service cannot keep up; without a queue limit the wait would grow without bound.{capacity}",
            t.model
        ),
    }
}

/// Little's law, live: requests in the system against arrival rate × wait.
pub fn little_text(l: f64, m: &Snapshot) -> String {
    let lw = m.throughput_per_s * m.wait.mean / 1000.0;
    format!(
        "Little's law: L = {l:.1} in the system now; λ·W = {} /s × {} = {lw:.1}.",
        fmt_number(m.throughput_per_s),
        fmt_ms(m.wait.mean)
    )
}
