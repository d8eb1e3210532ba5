//! Closed-form queueing results the measurements are checked against.
//!
//! M/M/c via Erlang C, and M/G/1 via Pollaczek–Khinchine. These are what the
//! dashboard overlays and what the engine tests compare with.

/// Probability that an arrival has to wait in an M/M/c queue (Erlang C), for
/// `c` servers and offered load `a = λ/μ` in Erlangs. `None` when unstable
/// (`a ≥ c`).
pub fn erlang_c(c: u32, a: f64) -> Option<f64> {
    if c == 0 || a.is_nan() || a < 0.0 || a >= c as f64 {
        return None;
    }
    // Erlang B by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    Some(b / (1.0 - rho * (1.0 - b)))
}

/// Mean time in an M/M/c system (queueing + service), in the unit of
/// `1/mu`. `lambda` and `mu` are rates per the same unit.
pub fn mmc_mean_sojourn(lambda: f64, mu: f64, c: u32) -> Option<f64> {
    if mu.is_nan() || mu <= 0.0 {
        return None;
    }
    let a = lambda / mu;
    let pw = erlang_c(c, a)?;
    Some(pw / (c as f64 * mu - lambda) + 1.0 / mu)
}

/// Mean time in an M/G/1 system with service mean `s` and squared
/// coefficient of variation `scv` (Pollaczek–Khinchine).
pub fn mg1_mean_sojourn(lambda: f64, s: f64, scv: f64) -> Option<f64> {
    let rho = lambda * s;
    if rho.is_nan() || !(0.0..1.0).contains(&rho) {
        return None;
    }
    Some(rho * s * (1.0 + scv) / (2.0 * (1.0 - rho)) + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mm1_is_one_over_mu_minus_lambda() {
        let w = mmc_mean_sojourn(800.0, 1000.0, 1).unwrap();
        assert!((w - 1.0 / 200.0).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_matches_a_textbook_value() {
        // c = 2, a = 1 Erlang: P(wait) = 1/3.
        assert!((erlang_c(2, 1.0).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(erlang_c(2, 2.0), None);
    }

    #[test]
    fn pk_reduces_to_mm1_for_exponential_service() {
        let a = mg1_mean_sojourn(500.0, 0.001, 1.0).unwrap();
        let b = mmc_mean_sojourn(500.0, 1000.0, 1).unwrap();
        assert!((a - b).abs() < 1e-12);
    }
}
