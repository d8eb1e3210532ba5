//! One chart of the dashboard (waiting time: three lines, 300 points, axes,
//! title, legend) drawn again and again on a canvas by the library a
//! feature picks, for `end2end/bench/charts.mjs` to time and weigh. Without
//! a feature it only makes the data: the baseline the bytes are measured
//! against.

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

// The dashboard's own chart code, in the module tree it has in the app
// (a path on an inline module names the folder its modules are in).
#[cfg(feature = "ours")]
#[path = "../../../app/src/charts"]
mod charts {
    pub mod canvas;
    #[allow(dead_code)]
    pub mod pane_charts;
    #[allow(dead_code)]
    pub mod series;
}
#[cfg(feature = "ours")]
#[path = "../../../app/src/stage"]
mod stage {
    #[allow(dead_code)]
    pub mod palette;
}
#[cfg(feature = "ours")]
#[path = "../../../app/src/format.rs"]
#[allow(dead_code)]
mod format;

/// Points a chart keeps (the dashboard keeps 300).
const POINTS: usize = 300;

/// The `i`-th row of the data: a p50, p95 and p99 that wander like a
/// waiting time does (deterministic, so every library draws the same).
fn row(i: usize) -> (f64, [f64; 3]) {
    let t = i as f64 / 15.0;
    let base = 40.0 + 25.0 * (t / 7.0).sin() + 8.0 * (t * 1.3).sin();
    (
        t,
        [
            base,
            base * 1.8 + 5.0 * (t * 2.1).cos(),
            base * 2.6 + 9.0 * (t * 0.7).sin(),
        ],
    )
}

/// The rows the chart holds after `step` new ones arrived.
pub fn window(step: usize) -> impl Iterator<Item = (f64, [f64; 3])> {
    (step..step + POINTS).map(row)
}

/// Draws the chart `times` times, one new row each time, as a chart is
/// redrawn when a metrics snapshot arrives; returns a checksum of the data
/// so no work is optimised away.
#[wasm_bindgen]
pub fn redraw(canvas: HtmlCanvasElement, times: u32, start: u32) -> f64 {
    let mut sum = 0.0;
    let mut chart = Chart::new(&canvas);
    for k in 0..times as usize {
        sum += chart.draw(&canvas, start as usize + k);
    }
    sum
}

#[cfg(feature = "ours")]
struct Chart {
    ctx: web_sys::CanvasRenderingContext2d,
    series: charts::series::Series,
    theme: stage::palette::Theme,
}

#[cfg(feature = "ours")]
impl Chart {
    fn new(canvas: &HtmlCanvasElement) -> Self {
        use wasm_bindgen::JsCast;
        let ctx = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into().ok())
            .expect("a 2d canvas");
        Chart {
            ctx,
            series: charts::series::Series::new(3, POINTS),
            theme: stage::palette::Theme::light(),
        }
    }

    fn draw(&mut self, canvas: &HtmlCanvasElement, step: usize) -> f64 {
        // The dashboard's own waiting-time chart.
        let spec = &charts::pane_charts::CHARTS[0];
        if self.series.is_empty() {
            for (t, v) in window(step) {
                self.series.push(t, &v);
            }
        } else {
            let (t, v) = row(step + POINTS - 1);
            self.series.push(t, &v);
        }
        let (w, h) = (canvas.width() as f64, canvas.height() as f64);
        let view = charts::canvas::ChartView {
            ymax: charts::canvas::top(spec, &self.series),
            zoom: 1.0,
            ..Default::default()
        };
        charts::canvas::draw(&self.ctx, w, h, spec, &self.series, &view, &self.theme);
        view.ymax
    }
}

#[cfg(feature = "plotters")]
struct Chart;

#[cfg(feature = "plotters")]
impl Chart {
    fn new(_: &HtmlCanvasElement) -> Self {
        Chart
    }

    fn draw(&mut self, canvas: &HtmlCanvasElement, step: usize) -> f64 {
        use plotters::prelude::*;
        let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(canvas.clone())
        else {
            return 0.0;
        };
        let rows: Vec<(f64, [f64; 3])> = window(step).collect();
        let (t0, t1) = (rows[0].0, rows[POINTS - 1].0);
        let top = rows.iter().map(|r| r.1[2]).fold(0.0, f64::max) * 1.1;
        let root = backend.into_drawing_area();
        let _ = root.fill(&WHITE);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption("Waiting time (ms)", ("sans-serif", 13))
            .margin(6)
            .x_label_area_size(20)
            .y_label_area_size(36)
            .build_cartesian_2d(t0..t1, 0.0..top)
        else {
            return 0.0;
        };
        let _ = chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(5)
            .label_style(("sans-serif", 11))
            .draw();
        let colours = [
            RGBColor(0, 114, 178),
            RGBColor(230, 159, 0),
            RGBColor(213, 94, 0),
        ];
        for (i, name) in ["p50", "p95", "p99"].into_iter().enumerate() {
            if let Ok(s) = chart.draw_series(LineSeries::new(
                rows.iter().map(|r| (r.0, r.1[i])),
                colours[i].stroke_width(2),
            )) {
                s.label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], colours[i]));
            }
        }
        let _ = chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 11))
            .draw();
        let _ = root.present();
        top
    }
}

/// No library: the data only (the byte baseline).
#[cfg(not(any(feature = "ours", feature = "plotters")))]
struct Chart;

#[cfg(not(any(feature = "ours", feature = "plotters")))]
impl Chart {
    fn new(_: &HtmlCanvasElement) -> Self {
        Chart
    }

    fn draw(&mut self, _: &HtmlCanvasElement, step: usize) -> f64 {
        window(step).map(|r| r.1[2]).sum()
    }
}
