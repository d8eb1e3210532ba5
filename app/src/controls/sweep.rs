//! "Sweep" under the timeline: the curve behind a slider. Pick one of pane
//! A's numbers and a range (a default that shows the lesson), optionally
//! sketch a prediction first, then the server fills the curve in point by
//! point — means with 95 % whiskers, the closed form beside them — with
//! progress and Cancel; the points are also a table (the chart in words),
//! each can be opened as pane B beside the run, and the curve exports as
//! CSV (what `switchboard sweep` prints) and PNG.
//!
//! Each point is one request to `POST /api/sweep` with the page's seed, so
//! every point's replication `r` has the same random streams: the curve is
//! the command line's.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::params::{Kind, ParamSet};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;

use crate::charts::sweep::{
    default_range, draw, numeric, parse_csv, theory_curve, to_csv, Frame, SweepPoint, FIGURES,
};
use crate::format::fmt_number;
use crate::page::Page;

/// Most points and replications the page asks for (the server's limits).
const MAX_POINTS: usize = 40;
const MAX_REPS: usize = 50;
const MAX_SECS: f64 = 600.0;

/// A value of the swept parameter as the page writes it: at most three
/// decimals ("31.25", "19.444", "10").
fn short(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The height a chart starts with before anything is measured or
/// sketched, for `figure` (a sweep of the load up to `range.1`).
fn sketch_scale(figure: &str, range: (f64, f64)) -> f64 {
    match figure {
        "wait_ms.mean" => 100.0,
        "wait_ms.p95" => 200.0,
        "throughput_per_s" => range.1.max(1.0),
        "wire_per_delivery" => 5.0,
        _ => 1.0,
    }
}

/// A value as `--set` takes it (as a link writes it).
fn value_text(params: &ParamSet, id: &str) -> Option<String> {
    let (_, spec) = params.spec(id).ok()?;
    Some(spec.format(params.get(id)))
}

/// The values a sweep of `n` points from `from` to `to` visits (as the
/// server spaces them).
fn planned(params: &ParamSet, id: &str, from: f64, to: f64, n: usize) -> Vec<f64> {
    let integer = params
        .spec(id)
        .is_ok_and(|(_, s)| matches!(s.kind, Kind::Number { integer: true, .. }));
    sim::sweep::spaced(from, to, n, integer)
}

/// Saves `href` (a data URL) as `name`.
fn save(href: &str, name: &str) {
    if let Ok(a) = document().create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(href);
        a.set_download(name);
        a.click();
    }
}

#[derive(Clone, Copy)]
struct Form {
    param: RwSignal<String>,
    from: RwSignal<f64>,
    to: RwSignal<f64>,
    points: RwSignal<usize>,
    reps: RwSignal<usize>,
    secs: RwSignal<f64>,
}

/// Pane A's sweep (`following`: the teacher's, as a class's follower sees
/// it — the same curve filling in, the form read-only, the sketch the
/// student's own).
#[component]
pub fn SweepView(page: Page, #[prop(optional)] following: bool) -> impl IntoView {
    let open = RwSignal::new(false);
    let params = move || {
        page.panes()
            .first()
            .map(|p| p.param_set_untracked())
            .unwrap_or_else(|| sim::catalogue()[0].defaults())
    };
    let form = Form {
        param: RwSignal::new(String::new()),
        from: RwSignal::new(0.0),
        to: RwSignal::new(1.0),
        points: RwSignal::new(10),
        reps: RwSignal::new(10),
        secs: RwSignal::new(60.0),
    };
    let figure = RwSignal::new(FIGURES[0].0.to_string());
    let sketching = RwSignal::new(false);
    // The class's sketch: a value per point, by the point's index.
    let prediction: RwSignal<Vec<(usize, f64)>> = RwSignal::new(Vec::new());
    // The class's sketches, once the teacher shows them.
    let class_sketches: RwSignal<Vec<Vec<(usize, f64)>>> = RwSignal::new(Vec::new());
    let chosen = RwSignal::new(0usize);
    let results: RwSignal<Vec<SweepPoint>> = RwSignal::new(Vec::new());
    let status = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let cancel = StoredValue::new(false);
    let frame: StoredValue<Option<Frame>> = StoredValue::new(None);
    let canvas_ref = NodeRef::<Canvas>::new();

    // A parameter (or a pattern) chosen: its lesson's range.
    let pick = move |id: String| {
        let p = params();
        if let Ok((_, spec)) = p.spec(&id) {
            let (lo, hi) = default_range(&p, spec);
            form.from.set(lo);
            form.to.set(hi);
        }
        form.param.set(id);
        prediction.set(Vec::new());
        results.set(Vec::new());
        status.set(String::new());
    };
    let values = move || {
        planned(
            &params(),
            &form.param.get(),
            form.from.get(),
            form.to.get(),
            form.points.get(),
        )
    };
    let x_label = move || {
        let p = params();
        p.spec(&form.param.get())
            .map(|(_, s)| {
                if s.unit.is_empty() {
                    s.name.to_string()
                } else {
                    format!("{} ({})", s.name, s.unit)
                }
            })
            .unwrap_or_default()
    };

    // Following a class: the teacher's sweep is shown as it fills in.
    if following {
        Effect::new(move |_| {
            let Some(c) = page.class_sweep.get() else {
                return;
            };
            if form.param.get_untracked() != c.param
                || form.from.get_untracked() != c.from
                || form.to.get_untracked() != c.to
                || form.points.get_untracked() != c.points
            {
                prediction.set(Vec::new());
            }
            form.param.set(c.param.clone());
            form.from.set(c.from);
            form.to.set(c.to);
            form.points.set(c.points);
            form.reps.set(c.reps);
            form.secs.set(c.secs);
            if FIGURES.iter().any(|f| f.0 == c.figure) && figure.get_untracked() != c.figure {
                figure.set(c.figure.clone());
            }
            open.set(true);
            let done = c.results.len();
            status.set(if done < c.points {
                format!("The teacher's sweep: {done} of {} points so far.", c.points)
            } else {
                format!(
                    "The teacher's sweep: all {done} points, {} replications each.",
                    c.reps
                )
            });
            results.set(c.results);
        });
    }

    // The canvas's size: the chart is drawn again when it changes (the
    // table appearing beside it, a window resized, the zoom).
    let size = RwSignal::new((0, 0));
    type Watcher = (web_sys::ResizeObserver, Closure<dyn FnMut(js_sys::Array)>);
    let watcher: StoredValue<Option<Watcher>, LocalStorage> = StoredValue::new_local(None);
    Effect::new(move |_| {
        if let Some((old, _)) = watcher.try_update_value(Option::take).flatten() {
            old.disconnect();
        }
        let Some(el) = canvas_ref.get() else {
            return;
        };
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_| {
            if let Some(el) = canvas_ref.get_untracked() {
                size.set((el.client_width(), el.client_height()));
            }
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            observer.observe(&el);
            watcher.set_value(Some((observer, on_resize)));
        }
    });
    on_cleanup(move || {
        if let Some((old, _)) = watcher.try_update_value(Option::take).flatten() {
            old.disconnect();
        }
    });

    // Redraw whenever what is shown changes.
    Effect::new(move |_| {
        let _ = size.get();
        let (pts, fig) = (results.get(), figure.get());
        let xs = values();
        let pred: Vec<(f64, f64)> = prediction
            .get()
            .into_iter()
            .filter_map(|(i, y)| Some((*xs.get(i)?, y)))
            .collect();
        let class: Vec<Vec<(f64, f64)>> = class_sketches
            .get()
            .into_iter()
            .map(|s| {
                s.into_iter()
                    .filter_map(|(i, y)| Some((*xs.get(i)?, y)))
                    .collect()
            })
            .collect();
        let range = (form.from.get(), form.to.get());
        let id = form.param.get();
        let Some((ctx, w, h)) = canvas_ref
            .get()
            .and_then(|el| crate::charts::canvas::fit(&el))
        else {
            return;
        };
        // The closed form is shown with the measurement, not before: a
        // class sketching its prediction is not handed the answer.
        let theory = if pts.is_empty() {
            Vec::new()
        } else {
            theory_curve(&params(), &id, range, &fig, 100)
        };
        let theme = crate::stage::theme::theme(page.look.get_value());
        let floor = if pts.is_empty() {
            sketch_scale(&fig, range)
        } else {
            0.0
        };
        let f = draw(
            &ctx,
            (w, h),
            range,
            (&x_label(), floor),
            &fig,
            &pts,
            &theory,
            &pred,
            &class,
            &theme,
        );
        frame.set_value(Some(f));
    });

    let run = move |_| {
        if running.get_untracked() {
            return;
        }
        let Some(pane) = page.panes().into_iter().next() else {
            return;
        };
        let p = pane.param_set_untracked();
        let id = form.param.get_untracked();
        let sets: Vec<String> = p
            .specs()
            .iter()
            .filter(|s| s.id != id)
            .filter_map(|s| value_text(&p, s.id).map(|v| format!("{}={v}", s.id)))
            .collect();
        let pattern = pane.pattern.get_untracked().id;
        let xs = values();
        let (reps, secs, seed) = (
            form.reps.get_untracked(),
            form.secs.get_untracked(),
            page.seed.get_untracked(),
        );
        cancel.set_value(false);
        running.set(true);
        results.set(Vec::new());
        // Teaching a class: every follower's page shows this sweep too.
        let presenting = page.presenting();
        let relay = move |csv: String| {
            if presenting {
                pane.commands.send(sim::wire::Control::Sweep {
                    param: form.param.get_untracked(),
                    from: form.from.get_untracked(),
                    to: form.to.get_untracked(),
                    points: form.points.get_untracked() as u32,
                    reps: form.reps.get_untracked() as u32,
                    secs: form.secs.get_untracked(),
                    figure: figure.get_untracked(),
                    csv,
                });
            }
        };
        relay(String::new());
        leptos::task::spawn_local(async move {
            let total = xs.len();
            'points: for (i, v) in xs.into_iter().enumerate() {
                status.set(format!(
                    "Point {} of {total} ({id} = {}): the server runs {reps} replications…",
                    i + 1,
                    short(v)
                ));
                let body = crate::json::Object::new()
                    .str("pattern", pattern)
                    .str("vary", &format!("{id}={v}..{v}:1"))
                    .raw(
                        "sets",
                        &crate::json::array(sets.iter().map(|s| crate::json::quote(s))),
                    )
                    .int("reps", reps as u64)
                    .num("duration_s", secs)
                    .int("seed", seed)
                    .str("format", "csv")
                    .done();
                loop {
                    if cancel.get_value() {
                        break 'points;
                    }
                    match crate::class::fetch_text("POST", "/api/sweep", Some(&body)).await {
                        Ok((200, text)) => {
                            results.update(|r| r.extend(parse_csv(&text)));
                            relay(
                                text.split_once('\n')
                                    .map_or("", |(_, rows)| rows)
                                    .to_string(),
                            );
                            break;
                        }
                        Ok((503, text)) => {
                            status.set(format!("Waiting for the server: {text}"));
                            crate::class::sleep_ms(1_000).await;
                        }
                        Ok((_, text)) | Err(text) => {
                            status.set(format!("The sweep stopped: {text}"));
                            running.set(false);
                            return;
                        }
                    }
                }
            }
            let done = results.with_untracked(Vec::len);
            status.set(if cancel.get_value() {
                format!("Cancelled after {done} of {total} points.")
            } else {
                format!("Done: {done} points, {reps} replications each, 95 % intervals.")
            });
            running.set(false);
        });
    };

    let open_point = move |v: f64| {
        let Some(pane) = page.panes().into_iter().next() else {
            return;
        };
        let info = pane.pattern.get_untracked();
        let p = pane.param_set_untracked();
        let mut q = p.clone();
        let _ = q.set(&form.param.get_untracked(), v);
        let query = crate::url::page_query(
            &[(info, p.values().to_vec()), (info, q.values().to_vec())],
            page.seed.get_untracked(),
        );
        let _ = window().open_with_url_and_target(&format!("/?{query}"), "_blank");
    };

    // Sketching: a click puts the prediction of the nearest point; with the
    // keyboard ←/→ pick a point and ↑/↓ move its prediction.
    let set_prediction = move |i: usize, y: f64| {
        let xs = values();
        let Some(&x) = xs.get(i) else {
            return;
        };
        prediction.update(|p| {
            p.retain(|q| q.0 != i);
            p.push((i, y));
            p.sort_by_key(|q| q.0);
        });
        status.set(format!(
            "Your prediction at {} = {}: {}",
            form.param.get_untracked(),
            short(x),
            fmt_number(y)
        ));
    };
    let on_click = move |ev: web_sys::MouseEvent| {
        let Some(f) = frame.get_value() else {
            return;
        };
        if !sketching.get_untracked() {
            // A measured point clicked: open that run beside this one.
            let cx = f64::from(ev.offset_x());
            let hit = results.with_untracked(|r| {
                r.iter()
                    .map(|p| p.value)
                    .min_by(|a, b| (f.px(*a) - cx).abs().total_cmp(&(f.px(*b) - cx).abs()))
                    .filter(|v| (f.px(*v) - cx).abs() <= 12.0)
            });
            if let Some(v) = hit {
                open_point(v);
            }
            return;
        }
        let xs = values();
        let (cx, cy) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let nearest = xs
            .iter()
            .enumerate()
            .min_by(|a, b| (f.px(*a.1) - cx).abs().total_cmp(&(f.px(*b.1) - cx).abs()))
            .map(|(i, _)| i);
        if let Some(i) = nearest {
            chosen.set(i);
            set_prediction(i, f.value_at(cy));
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if !sketching.get_untracked() {
            return;
        }
        let n = values().len();
        let Some(f) = frame.get_value() else {
            return;
        };
        let i = chosen.get_untracked().min(n.saturating_sub(1));
        let now = prediction
            .with_untracked(|p| p.iter().find(|q| q.0 == i).map(|q| q.1))
            .unwrap_or(f.y_max / 2.0);
        let step = f.y_max / 20.0;
        match ev.key().as_str() {
            "ArrowLeft" => chosen.set(i.saturating_sub(1)),
            "ArrowRight" => chosen.set((i + 1).min(n.saturating_sub(1))),
            "ArrowUp" => set_prediction(i, now + step),
            "ArrowDown" => set_prediction(i, (now - step).max(0.0)),
            _ => return,
        }
        ev.prevent_default();
    };

    let room = move || page.class.get_untracked().map(|c| c.code);
    // A student sends their sketch; the teacher shows the class's.
    let send_sketch = move |_| {
        let Some(code) = room() else {
            return;
        };
        let points = prediction.get_untracked();
        let body = format!(
            "{{\"points\":{}}}",
            crate::json::array(
                points
                    .iter()
                    .map(|&(i, y)| format!("[{i},{}]", if y.is_finite() { y } else { 0.0 }))
            )
        );
        leptos::task::spawn_local(async move {
            let url = format!("/api/rooms/{code}/sketch");
            status.set(
                match crate::class::fetch_text("POST", &url, Some(&body)).await {
                    Ok((204, _)) => {
                        "Sent: the teacher can show your sketch with the class's.".into()
                    }
                    Ok((_, why)) | Err(why) => format!("Your sketch was not sent: {why}"),
                },
            );
        });
    };
    let show_class = move |_| {
        let Some(code) = room() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let url = format!("/api/rooms/{code}/sketches");
            match crate::class::fetch_text("GET", &url, None).await {
                Ok((200, text)) => {
                    let sketches: Vec<Vec<(usize, f64)>> = crate::json::Json::parse(&text)
                        .and_then(|j| j.get("sketches").items())
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| {
                            s.items()
                                .unwrap_or_default()
                                .into_iter()
                                .filter_map(|p| {
                                    let p = p.items()?;
                                    Some((p.first()?.u64()? as usize, p.get(1)?.f64()?))
                                })
                                .collect()
                        })
                        .collect();
                    status.set(match sketches.len() {
                        0 => "No sketches from the class yet.".into(),
                        1 => "1 sketch from the class, drawn in grey; the table has its value.".into(),
                        n => format!("{n} sketches from the class, drawn in grey; the table has their median."),
                    });
                    class_sketches.set(sketches);
                }
                Ok((_, why)) | Err(why) => status.set(format!("The class's sketches: {why}")),
            }
        });
    };

    let export_csv = move |_| {
        let csv = results.with_untracked(|r| to_csv(r));
        let href = format!(
            "data:text/csv;charset=utf-8,{}",
            js_sys::encode_uri_component(&csv)
        );
        save(&href, "switchboard-sweep.csv");
    };
    let export_png = move |_| {
        if let Some(url) = canvas_ref
            .get_untracked()
            .and_then(|c| c.to_data_url().ok())
        {
            save(&url, "switchboard-sweep.png");
        }
    };

    let number_input = move |label: &'static str,
                             testid: &'static str,
                             sig: RwSignal<f64>,
                             max: f64| {
        view! {
            <label class="sweep-field">{label}
                <input type="number" step="any" data-testid=testid prop:value=move || sig.get().to_string()
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            sig.set(if v.is_finite() { v.min(max) } else { sig.get_untracked() });
                            prediction.set(Vec::new());
                        }
                    } />
            </label>
        }
    };
    let count_input = move |label: &'static str,
                            testid: &'static str,
                            sig: RwSignal<usize>,
                            max: usize| {
        view! {
            <label class="sweep-field">{label}
                <input type="number" min="2" max=max.to_string() step="1" data-testid=testid prop:value=move || sig.get().to_string()
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<usize>() {
                            sig.set(v.clamp(2, max));
                            prediction.set(Vec::new());
                        }
                    } />
            </label>
        }
    };

    view! {
        <div class="sweep">
            <button data-testid="sweep" aria-expanded=move || open.get().to_string()
                title="The curve behind a slider: one parameter over a range, with confidence intervals and the theory"
                on:click=move |_| {
                    let now = !open.get_untracked();
                    open.set(now);
                    if now && form.param.get_untracked().is_empty() {
                        let p = params();
                        let first = numeric(&p).first().map(|s| s.id.to_string()).unwrap_or_default();
                        let id = if p.spec("rate").is_ok() { "rate".to_string() } else { first };
                        pick(id);
                    }
                }>
                {if following { "The teacher's sweep" } else { "Sweep" }}
            </button>
            <Show when=move || open.get()>
                <fieldset class="sweep-form" disabled=move || following || running.get()>
                    <legend>{if following { "The teacher's sweep" } else { "Sweep a parameter of pane A" }}</legend>
                    <label class="sweep-field">"Parameter"
                        <select data-testid="sweep-param" on:change=move |ev| pick(event_target_value(&ev))>
                            {move || numeric(&params()).into_iter().map(|s| {
                                let id = s.id.to_string();
                                let sel = id.clone();
                                view! { <option value=id selected=move || form.param.get() == sel>{s.name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    {number_input("From", "sweep-from", form.from, f64::MAX)}
                    {number_input("To", "sweep-to", form.to, f64::MAX)}
                    {count_input("Points", "sweep-points", form.points, MAX_POINTS)}
                    {count_input("Replications", "sweep-reps", form.reps, MAX_REPS)}
                    {number_input("Virtual s each", "sweep-secs", form.secs, MAX_SECS)}
                </fieldset>
                <div class="sweep-form sweep-view-form">
                    <label class="sweep-field">"Plot"
                        <select data-testid="sweep-figure" on:change=move |ev| figure.set(event_target_value(&ev))>
                            {FIGURES.iter().map(|&(id, name)| view! {
                                <option value=id selected=move || figure.get() == id>{name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="sweep-field sweep-check">
                        <input type="checkbox" data-testid="sweep-sketch" prop:checked=move || sketching.get()
                            on:change=move |ev| sketching.set(event_target_checked(&ev)) />
                        "Sketch my prediction first"
                    </label>
                </div>
                <div class="sweep-actions">
                    {(!following).then(|| view! {
                        <button data-testid="sweep-run" disabled=move || running.get() on:click=run>"Run sweep"</button>
                        <button data-testid="sweep-cancel" disabled=move || !running.get()
                            on:click=move |_| cancel.set_value(true)>"Cancel"</button>
                    })}
                    {following.then(|| view! {
                        <button data-testid="sweep-send" disabled=move || prediction.with(Vec::is_empty)
                            on:click=send_sketch>"Send my sketch to the teacher"</button>
                    })}
                    {move || (!following && page.presenting()).then(|| view! {
                        <button data-testid="sweep-class" on:click=show_class>"Show the class's sketches"</button>
                    })}
                    <button data-testid="sweep-csv" disabled=move || results.with(Vec::is_empty) on:click=export_csv>"CSV"</button>
                    <button data-testid="sweep-png" disabled=move || results.with(Vec::is_empty) on:click=export_png>"PNG"</button>
                    <progress data-testid="sweep-progress" max=move || form.points.get().to_string()
                        value=move || results.with(Vec::len).to_string()
                        aria-label="Points of the sweep done"></progress>
                </div>
                <p class="sweep-status" data-testid="sweep-status" role="status">{move || status.get()}</p>
                <canvas class="sweep-chart" node_ref=canvas_ref data-testid="sweep-chart" tabindex="0" role="img"
                    aria-label=move || if sketching.get() {
                        "The sweep's chart. Sketching: click where you predict each point, or use left and right to pick a point and up and down to move your prediction".to_string()
                    } else {
                        "The sweep's chart: measured means with 95 % whiskers, the closed form as a line, your prediction dashed; click a point to open its run as pane B; the table below has every number".to_string()
                    }
                    on:click=on_click on:keydown=on_key></canvas>
                <div class="sweep-table-wrap" tabindex="0" role="region" aria-label="The sweep's numbers, scrollable">
                <table class="sweep-table" data-testid="sweep-table">
                    <caption>{move || format!("{} against {}", FIGURES.iter().find(|f| f.0 == figure.get()).map_or("", |f| f.1), x_label())}</caption>
                    <thead><tr><th scope="col">{x_label}</th><th scope="col">"Mean"</th><th scope="col">"95 % ±"</th><th scope="col">"n"</th><th scope="col">"Theory"</th><th scope="col">"You said"</th><th scope="col">"Class (median)"</th><th scope="col"><span class="visually-hidden">"Open"</span></th></tr></thead>
                    <tbody>
                        {move || {
                            let fig = figure.get();
                            let pred = prediction.get();
                            let base = params();
                            let id = form.param.get();
                            results.get().into_iter().enumerate().map(|(i, p)| {
                                let m = p.get(&fig).cloned();
                                let said = pred.iter().find(|q| q.0 == i).map(|q| fmt_number(q.1)).unwrap_or_default();
                                let class = crate::charts::sweep::median(
                                    class_sketches.with(|c| c.iter().filter_map(|s| s.iter().find(|q| q.0 == i).map(|q| q.1)).collect()),
                                ).map(fmt_number).unwrap_or_default();
                                let v = p.value;
                                let mut at = base.clone();
                                let _ = at.set(&id, v);
                                let slow = sim::run::Theory::for_params(&at)
                                    .filter(|t| t.utilisation >= 0.95)
                                    .map(|t| format!(" · ρ = {:.2}: slow to converge", t.utilisation))
                                    .unwrap_or_default();
                                view! {
                                    <tr data-testid="sweep-row">
                                        <th scope="row">{short(v)}</th>
                                        <td>{m.as_ref().map(|m| fmt_number(m.mean)).unwrap_or_default()}</td>
                                        <td>{m.as_ref().filter(|m| m.ci95.is_finite()).map(|m| fmt_number(m.ci95)).unwrap_or_default()}</td>
                                        <td>{m.as_ref().map(|m| m.n.to_string()).unwrap_or_default()}</td>
                                        <td>{m.as_ref().and_then(|m| m.theory).map(fmt_number).unwrap_or_default()}{slow}</td>
                                        <td>{said}</td>
                                        <td>{class}</td>
                                        <td><button class="link" on:click=move |_| open_point(v)>{format!("Open {} as pane B", short(v))}</button></td>
                                    </tr>
                                }
                            }).collect_view()
                        }}
                    </tbody>
                </table>
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_plans_the_points_the_server_runs() {
        let p = sim::find_pattern("request-response").unwrap().defaults();
        assert_eq!(
            planned(&p, "rate", 10.0, 100.0, 4),
            vec![10.0, 40.0, 70.0, 100.0]
        );
        assert_eq!(planned(&p, "workers", 1.0, 4.0, 3), vec![1.0, 3.0, 4.0]);
        assert_eq!(value_text(&p, "service_dist").as_deref(), Some("exp"));
        assert_eq!(value_text(&p, "rate").as_deref(), Some("80"));
    }
}
