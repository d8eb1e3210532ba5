//! Rolling series behind the live charts.
//!
//! One point per metrics snapshot (about 15 a second), the newest
//! [`Series::cap`] kept. Plain data, drawn by [`crate::charts::canvas`].

use std::collections::VecDeque;

/// Several lines sharing one time axis.
#[derive(Clone, Debug)]
pub struct Series {
    cap: usize,
    /// Virtual seconds of each point.
    pub t: VecDeque<f64>,
    pub lines: Vec<VecDeque<f64>>,
}

impl Series {
    pub fn new(lines: usize, cap: usize) -> Self {
        Series {
            cap,
            t: VecDeque::with_capacity(cap),
            lines: (0..lines).map(|_| VecDeque::with_capacity(cap)).collect(),
        }
    }

    pub fn clear(&mut self) {
        self.t.clear();
        self.lines.iter_mut().for_each(VecDeque::clear);
    }

    /// Appends one point; `values` has one entry per line.
    pub fn push(&mut self, t: f64, values: &[f64]) {
        if self.t.back().is_some_and(|&last| t < last) {
            // Time went backwards: a new run. Start over.
            self.clear();
        }
        if self.t.back() == Some(&t) {
            // The same instant again (paused, stepping): replace it, so a
            // paused chart stays exactly as it was.
            self.t.pop_back();
            self.lines.iter_mut().for_each(|l| {
                l.pop_back();
            });
        }
        if self.t.len() == self.cap {
            self.t.pop_front();
            self.lines.iter_mut().for_each(|l| {
                l.pop_front();
            });
        }
        self.t.push_back(t);
        for (l, &v) in self.lines.iter_mut().zip(values) {
            l.push_back(if v.is_finite() { v } else { 0.0 });
        }
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Largest sum of the lines at one point (stacked areas).
    pub fn max_sum(&self) -> f64 {
        (0..self.len())
            .map(|k| self.lines.iter().map(|l| l[k]).sum::<f64>())
            .fold(0.0, f64::max)
    }

    /// Largest value of any line.
    pub fn max(&self) -> f64 {
        self.lines.iter().flatten().copied().fold(0.0, f64::max)
    }
}

/// A "nice" axis: a step of 1, 2 or 5 × 10ⁿ and the top tick covering `max`.
pub fn nice_axis(max: f64, ticks: usize) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / ticks.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let top = (max / step).ceil() * step;
    (step, top)
}

/// Tick label: no decimals for whole steps, otherwise as many as the step needs.
pub fn tick_label(v: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{v:.0}")
    } else {
        let decimals = (-step.log10().floor()) as usize;
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_points() {
        let mut s = Series::new(2, 3);
        for i in 0..5 {
            s.push(i as f64, &[i as f64, 10.0 * i as f64]);
        }
        assert_eq!(s.t.iter().copied().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        assert_eq!(s.max(), 40.0);
    }

    #[test]
    fn a_new_run_clears_the_series() {
        let mut s = Series::new(1, 10);
        s.push(5.0, &[1.0]);
        s.push(0.1, &[2.0]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn nice_axes() {
        assert_eq!(nice_axis(87.0, 4), (50.0, 100.0));
        assert_eq!(nice_axis(0.0, 4), (0.5, 1.0));
        assert_eq!(nice_axis(1234.0, 5), (500.0, 1500.0));
        assert_eq!(tick_label(0.25, 0.05), "0.25");
        assert_eq!(tick_label(200.0, 50.0), "200");
    }
}
