//! A what-if sweep's curve: the server's points (read from its CSV), the
//! range a sweep starts with, the closed form along the range, the class's
//! sketched prediction, and the drawing — means as dots with 95 %
//! whiskers, the closed form as a line, the prediction dashed.

use sim::params::{Kind, ParamSet, ParamSpec};
use web_sys::CanvasRenderingContext2d;

use crate::format::fmt_number;
use crate::stage::palette::{Hue, Theme};

/// The figures a sweep can plot, with their words.
pub const FIGURES: [(&str, &str); 5] = [
    ("wait_ms.mean", "Mean wait (ms)"),
    ("wait_ms.p95", "p95 wait (ms)"),
    ("throughput_per_s", "Throughput (per s)"),
    ("wire_per_delivery", "Wire messages per delivery"),
    ("utilisation", "Utilisation"),
];

/// One figure at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub figure: String,
    pub mean: f64,
    pub ci95: f64,
    pub n: usize,
    pub theory: Option<f64>,
}

/// Everything the server measured at one value of the swept parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    pub value: f64,
    pub figures: Vec<Measured>,
}

impl SweepPoint {
    pub fn get(&self, figure: &str) -> Option<&Measured> {
        self.figures.iter().find(|m| m.figure == figure)
    }
}

/// The median of some values (`None` for none).
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// A sweep a class's teacher runs, as every follower's page shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassSweep {
    pub param: String,
    pub from: f64,
    pub to: f64,
    pub points: usize,
    pub reps: usize,
    pub secs: f64,
    pub figure: String,
    pub results: Vec<SweepPoint>,
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

/// The points of a `value,figure,mean,ci95,n,theory` CSV, in order.
pub fn parse_csv(text: &str) -> Vec<SweepPoint> {
    let mut points: Vec<SweepPoint> = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let [value, figure, mean, ci95, n, theory] = cols[..] else {
            continue;
        };
        let value = num(value);
        let m = Measured {
            figure: figure.to_string(),
            mean: num(mean),
            ci95: num(ci95),
            n: n.parse().unwrap_or(0),
            theory: Some(num(theory)).filter(|t| t.is_finite()),
        };
        match points.last_mut() {
            Some(p) if p.value == value => p.figures.push(m),
            _ => points.push(SweepPoint {
                value,
                figures: vec![m],
            }),
        }
    }
    points
}

/// The same CSV the command line prints, from the points received.
pub fn to_csv(points: &[SweepPoint]) -> String {
    let f = sim::sweep::num;
    let mut out = String::from("value,figure,mean,ci95,n,theory\n");
    for p in points {
        for m in &p.figures {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                f(p.value),
                m.figure,
                f(m.mean),
                f(m.ci95),
                m.n,
                m.theory.map(f).unwrap_or_default()
            ));
        }
    }
    out
}

/// The numbers a sweep can vary (not choices or switches).
pub fn numeric(params: &ParamSet) -> Vec<&'static ParamSpec> {
    params
        .specs()
        .iter()
        .filter(|s| matches!(s.kind, Kind::Number { .. }))
        .collect()
}

/// `v` to three significant digits (a range a person would type).
fn round3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let p = 10f64.powf(v.abs().log10().floor() - 2.0);
    (v / p).round() * p
}

/// A range that shows the parameter's lesson: for the load, 10 % to 95 %
/// of what the service can sustain (where the closed form knows it);
/// otherwise from a quarter of the present value to twice it, inside the
/// parameter's range.
pub fn default_range(params: &ParamSet, spec: &ParamSpec) -> (f64, f64) {
    let Kind::Number { min, max, .. } = spec.kind else {
        return (0.0, 1.0);
    };
    let now = params.get(spec.id);
    if spec.id == "rate" {
        if let Some(t) = sim::run::Theory::for_params(params) {
            if t.stable_below_per_s.is_finite() && t.stable_below_per_s > 0.0 {
                let cap = t.stable_below_per_s;
                return (
                    round3(cap * 0.10).clamp(min, max),
                    round3(cap * 0.95).clamp(min, max),
                );
            }
        }
    }
    let base = if now > 0.0 { now } else { (min + max) / 2.0 };
    let (lo, hi) = (
        round3(base / 4.0).clamp(min, max),
        round3(base * 2.0).clamp(min, max),
    );
    if lo < hi {
        (lo, hi)
    } else {
        (min, max)
    }
}

/// The closed form of `figure` along `from..to` (`steps` + 1 values), where
/// the pattern has one: mean wait (M/M/c or M/G/1) or utilisation.
pub fn theory_curve(
    params: &ParamSet,
    id: &str,
    (from, to): (f64, f64),
    figure: &str,
    steps: usize,
) -> Vec<(f64, f64)> {
    let mut p = params.clone();
    (0..=steps)
        .filter_map(|i| {
            let x = from + (to - from) * i as f64 / steps.max(1) as f64;
            p.set(id, x).ok()?;
            let t = sim::run::Theory::for_params(&p)?;
            let y = match figure {
                "wait_ms.mean" => t.mean_wait_ms?,
                "utilisation" if t.utilisation < 1.0 => t.utilisation,
                _ => return None,
            };
            y.is_finite().then_some((x, y))
        })
        .collect()
}

/// Where a chart's plot area is and what it spans.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub x: (f64, f64),
    pub y_max: f64,
}

impl Frame {
    /// The plot of `x` from `from` to `to` and `y` from 0 to the largest of
    /// `ys` (rounded up), in a `w` × `h` canvas.
    pub fn new(w: f64, h: f64, (from, to): (f64, f64), ys: impl Iterator<Item = f64>) -> Frame {
        let top = ys.filter(|y| y.is_finite()).fold(0.0_f64, f64::max);
        let y_max = nice_ceiling(top.max(1e-9));
        let (lo, hi) = if to > from {
            (from, to)
        } else {
            (from - 1.0, from + 1.0)
        };
        Frame {
            left: 58.0,
            top: 14.0,
            width: (w - 58.0 - 14.0).max(10.0),
            height: (h - 14.0 - 40.0).max(10.0),
            x: (lo, hi),
            y_max,
        }
    }

    pub fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * self.width
    }

    pub fn py(&self, y: f64) -> f64 {
        self.top + self.height - (y / self.y_max).clamp(0.0, 1.2) * self.height
    }

    /// The data value at canvas height `py` (a sketched prediction).
    pub fn value_at(&self, py: f64) -> f64 {
        ((self.top + self.height - py) / self.height * self.y_max).max(0.0)
    }
}

/// 1, 2 or 5 times a power of ten, at least `v`.
pub fn nice_ceiling(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&c| c >= v * 0.999_999)
        .unwrap_or(10.0 * p)
}

/// Draws the curve of `figure`: axes (up to at least `floor`), the class's
/// sketches (thin), the closed form, the prediction (dashed, with its
/// points), the measured means with their whiskers.
#[allow(clippy::too_many_arguments)]
pub fn draw(
    ctx: &CanvasRenderingContext2d,
    (w, h): (f64, f64),
    range: (f64, f64),
    (x_label, floor): (&str, f64),
    figure: &str,
    points: &[SweepPoint],
    theory: &[(f64, f64)],
    prediction: &[(f64, f64)],
    class: &[Vec<(f64, f64)>],
    theme: &Theme,
) -> Frame {
    ctx.set_fill_style_str(&theme.panel);
    ctx.fill_rect(0.0, 0.0, w, h);
    let ys = points
        .iter()
        .filter_map(|p| p.get(figure))
        .map(|m| m.mean + if m.ci95.is_finite() { m.ci95 } else { 0.0 })
        .chain(theory.iter().map(|t| t.1))
        .chain(prediction.iter().map(|p| p.1))
        .chain(class.iter().flatten().map(|p| p.1))
        .chain(std::iter::once(floor));
    let f = Frame::new(w, h, range, ys);
    // Axes and their ticks.
    ctx.set_stroke_style_str(&theme.track);
    ctx.set_fill_style_str(&theme.muted);
    ctx.set_line_width(1.0);
    ctx.set_font("12px system-ui, sans-serif");
    for i in 0..=4 {
        let y = f.y_max * i as f64 / 4.0;
        let py = f.py(y);
        ctx.begin_path();
        ctx.move_to(f.left, py);
        ctx.line_to(f.left + f.width, py);
        ctx.stroke();
        ctx.set_text_align("right");
        let _ = ctx.fill_text(&fmt_number(y), f.left - 6.0, py + 4.0);
    }
    ctx.set_text_align("center");
    for i in 0..=4 {
        let x = f.x.0 + (f.x.1 - f.x.0) * i as f64 / 4.0;
        let _ = ctx.fill_text(&fmt_number(x), f.px(x), f.top + f.height + 16.0);
    }
    let _ = ctx.fill_text(x_label, f.left + f.width / 2.0, f.top + f.height + 34.0);
    // The closed form.
    if theory.len() > 1 {
        ctx.set_stroke_style_str(theme.hue(Hue::Green));
        ctx.set_line_width(2.0);
        ctx.begin_path();
        for (i, &(x, y)) in theory.iter().enumerate() {
            if i == 0 {
                ctx.move_to(f.px(x), f.py(y));
            } else {
                ctx.line_to(f.px(x), f.py(y));
            }
        }
        ctx.stroke();
    }
    // The class's sketches, thin and grey, under the rest.
    ctx.set_stroke_style_str(&theme.muted);
    ctx.set_line_width(1.0);
    for sketch in class {
        ctx.begin_path();
        for (i, &(x, y)) in sketch.iter().enumerate() {
            if i == 0 {
                ctx.move_to(f.px(x), f.py(y));
            } else {
                ctx.line_to(f.px(x), f.py(y));
            }
        }
        ctx.stroke();
    }
    // The prediction, dashed.
    if !prediction.is_empty() {
        ctx.set_stroke_style_str(theme.hue(Hue::Purple));
        ctx.set_fill_style_str(theme.hue(Hue::Purple));
        ctx.set_line_width(2.0);
        let dash = js_sys::Array::of2(&6.0.into(), &4.0.into());
        let _ = ctx.set_line_dash(&dash);
        ctx.begin_path();
        for (i, &(x, y)) in prediction.iter().enumerate() {
            if i == 0 {
                ctx.move_to(f.px(x), f.py(y));
            } else {
                ctx.line_to(f.px(x), f.py(y));
            }
        }
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_sys::Array::new());
        for &(x, y) in prediction {
            ctx.fill_rect(f.px(x) - 3.5, f.py(y) - 3.5, 7.0, 7.0);
        }
    }
    // The measurement: a dot per point, its 95 % interval as a whisker.
    ctx.set_stroke_style_str(theme.hue(Hue::Blue));
    ctx.set_fill_style_str(theme.hue(Hue::Blue));
    ctx.set_line_width(2.0);
    for p in points {
        let Some(m) = p.get(figure).filter(|m| m.mean.is_finite()) else {
            continue;
        };
        let x = f.px(p.value);
        if m.ci95.is_finite() {
            let (a, b) = (f.py(m.mean - m.ci95), f.py(m.mean + m.ci95));
            ctx.begin_path();
            ctx.move_to(x, a);
            ctx.line_to(x, b);
            ctx.move_to(x - 5.0, a);
            ctx.line_to(x + 5.0, a);
            ctx.move_to(x - 5.0, b);
            ctx.line_to(x + 5.0, b);
            ctx.stroke();
        }
        ctx.begin_path();
        let _ = ctx.arc(x, f.py(m.mean), 4.5, 0.0, std::f64::consts::TAU);
        ctx.fill();
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "value,figure,mean,ci95,n,theory\n\
        10,wait_ms.mean,11.5,0.2,10,11.1\n\
        10,wait_ms.p95,30,1,10,\n\
        20,wait_ms.mean,12.5,0.3,10,12.5\n";

    #[test]
    fn the_servers_csv_reads_into_points_and_writes_back_the_same() {
        let points = parse_csv(CSV);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].figures.len(), 2);
        let m = points[0].get("wait_ms.mean").unwrap();
        assert_eq!((m.mean, m.ci95, m.n, m.theory), (11.5, 0.2, 10, Some(11.1)));
        assert_eq!(points[0].get("wait_ms.p95").unwrap().theory, None);
        assert_eq!(to_csv(&points), CSV);
    }

    #[test]
    fn the_load_starts_from_a_tenth_to_nineteen_twentieths_of_capacity() {
        let mut p = sim::find_pattern("request-response").unwrap().defaults();
        p.set("workers", 2.0).unwrap();
        p.set("service_ms", 10.0).unwrap();
        let (_, rate) = p.spec("rate").unwrap();
        let (lo, hi) = default_range(&p, rate);
        assert!(
            (lo - 20.0).abs() < 1e-9 && (hi - 190.0).abs() < 1e-9,
            "{lo}..{hi}"
        );
        let (_, poll) = sim::find_pattern("short-polling")
            .unwrap()
            .defaults()
            .spec("poll_ms")
            .unwrap();
        let sp = sim::find_pattern("short-polling").unwrap().defaults();
        assert_eq!(default_range(&sp, poll), (250.0, 2000.0));
        let curve = theory_curve(&p, "rate", (lo, hi), "wait_ms.mean", 10);
        assert_eq!(curve.len(), 11);
        assert!(
            curve.windows(2).all(|w| w[1].1 > w[0].1),
            "waits grow with load"
        );
        assert!(theory_curve(&p, "rate", (lo, hi), "wait_ms.p95", 10).is_empty());
    }

    #[test]
    fn the_class_median() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![f64::NAN]), None);
    }

    #[test]
    fn scales_round_up_and_map_both_ways() {
        assert_eq!(nice_ceiling(7.3), 10.0);
        assert_eq!(nice_ceiling(0.42), 0.5);
        assert_eq!(nice_ceiling(160.0), 200.0);
        let f = Frame::new(400.0, 300.0, (0.0, 100.0), [73.0].into_iter());
        assert_eq!(f.y_max, 100.0);
        assert!((f.value_at(f.py(40.0)) - 40.0).abs() < 1e-9);
        assert_eq!(f.px(0.0), f.left);
    }
}
