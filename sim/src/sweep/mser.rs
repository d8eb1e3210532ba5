//! MSER-5: how much of a replication's start to cut as warm-up.
//!
//! A run starts empty, so its first customers wait less (or, after a
//! spike, more) than the steady state they are meant to measure. MSER-5
//! (White 1997; Franklin & White 2008) groups the observations into batch
//! means of five and cuts the first `d` batches, choosing the `d` that
//! minimises the standard error of what is left, Σ_{i>d}(Z_i − Z̄_d)² /
//! (m − d)², looking only in the first half (a cut past it means the run
//! is too short to have a steady state).

/// Observations per batch.
pub const BATCH: usize = 5;

/// How many leading observations of `xs` to cut (a multiple of five).
pub fn mser5(xs: &[f64]) -> usize {
    let m = xs.len() / BATCH;
    if m < 4 {
        return 0;
    }
    let z: Vec<f64> = xs
        .chunks_exact(BATCH)
        .map(|c| c.iter().sum::<f64>() / BATCH as f64)
        .collect();
    // Suffix sums, from the last batch back: the statistic of every cut in
    // one pass. Ties go to the smaller cut.
    let (mut sum, mut squares) = (0.0, 0.0);
    let mut best = (f64::INFINITY, 0);
    for d in (0..m).rev() {
        sum += z[d];
        squares += z[d] * z[d];
        if d > m / 2 {
            continue;
        }
        let n = (m - d) as f64;
        let stat = (squares - sum * sum / n).max(0.0) / (n * n);
        if stat <= best.0 {
            best = (stat, d);
        }
    }
    best.1 * BATCH
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic noise in [−1, 1].
    fn noise(i: usize) -> f64 {
        let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        (x as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    #[test]
    fn a_known_transient_is_cut_and_a_steady_series_is_not() {
        // 200 observations climbing from 0 to the steady level 10, then
        // 2,000 around it.
        let series: Vec<f64> = (0..2_200)
            .map(|i| {
                let level = if i < 200 {
                    10.0 * i as f64 / 200.0
                } else {
                    10.0
                };
                level + noise(i)
            })
            .collect();
        let cut = mser5(&series);
        assert!((150..=300).contains(&cut), "cut {cut}");
        assert_eq!(cut % BATCH, 0);
        let steady: Vec<f64> = (0..2_000).map(|i| 10.0 + noise(i)).collect();
        assert!(mser5(&steady) < 200, "{}", mser5(&steady));
        assert_eq!(mser5(&[1.0; 12]), 0, "too short to cut");
    }
}
