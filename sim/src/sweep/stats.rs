//! The statistics of a sweep: a mean with its 95 % confidence half-width
//! (Student's t), a paired difference, and what two independent samples
//! would have given instead.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A figure at one point: the mean over `n` replications and the half-width
/// of its 95 % confidence interval (`NaN` with fewer than two).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
    pub n: usize,
}

/// Student's t quantile for a two-sided 95 % interval with `df` degrees of
/// freedom.
pub fn t975(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// Mean and sample variance of the finite values, in order (the same sum
/// whatever thread computed each value: results are byte-identical).
fn moments(xs: &[f64]) -> (f64, f64, usize) {
    let finite = || xs.iter().copied().filter(|x| x.is_finite());
    let n = finite().count();
    if n == 0 {
        return (f64::NAN, f64::NAN, 0);
    }
    let mean = finite().sum::<f64>() / n as f64;
    let var = if n > 1 {
        finite().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
    } else {
        f64::NAN
    };
    (mean, var, n)
}

/// The estimate from one value per replication (values that are not
/// finite — a replication where nothing completed — are left out).
pub fn estimate(xs: &[f64]) -> Estimate {
    let (mean, var, n) = moments(xs);
    let ci95 = if n > 1 {
        t975((n - 1) as f64) * (var / n as f64).sqrt()
    } else {
        f64::NAN
    };
    Estimate { mean, ci95, n }
}

/// The paired difference `a − b` of two alternatives run on the same
/// random streams, replication by replication; and the half-width two
/// independent samples of the same sizes and spreads would give (Welch),
/// to say how much pairing narrowed the interval.
pub fn paired(a: &[f64], b: &[f64]) -> (Estimate, f64) {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| x - y)
        .collect();
    let diff = estimate(&d);
    let (_, va, na) = moments(a);
    let (_, vb, nb) = moments(b);
    let independent = if na > 1 && nb > 1 {
        let (sa, sb) = (va / na as f64, vb / nb as f64);
        let df = (sa + sb).powi(2)
            / (sa * sa / (na - 1) as f64 + sb * sb / (nb - 1) as f64).max(f64::MIN_POSITIVE);
        t975(df.max(1.0)) * (sa + sb).sqrt()
    } else {
        f64::NAN
    };
    (diff, independent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mean_and_its_interval() {
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((e.mean, e.n), (3.0, 5));
        // t(0.975, 4) = 2.776; s = 1.5811; s/√5 = 0.7071.
        assert!(
            (e.ci95 - 2.776_445 * (0.5f64).sqrt()).abs() < 1e-4,
            "{}",
            e.ci95
        );
        let one = estimate(&[7.0, f64::NAN]);
        assert_eq!((one.mean, one.n), (7.0, 1));
        assert!(one.ci95.is_nan());
        assert_eq!(estimate(&[]).n, 0);
    }

    #[test]
    fn pairing_cancels_what_the_alternatives_share() {
        // Two alternatives that differ by 1 ± a little, on a shared noise
        // far larger than the difference.
        let shared = [10.0, 30.0, 5.0, 50.0, 20.0, 40.0];
        let a: Vec<f64> = shared.to_vec();
        let b: Vec<f64> = shared
            .iter()
            .enumerate()
            .map(|(i, x)| x - 1.0 - 0.1 * i as f64)
            .collect();
        let (d, independent) = paired(&a, &b);
        assert!((d.mean - 1.25).abs() < 1e-9, "{}", d.mean);
        assert!(d.ci95 * 20.0 < independent, "{} vs {independent}", d.ci95);
    }
}
