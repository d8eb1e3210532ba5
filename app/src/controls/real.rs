//! "Real vs model" under the timeline: pane A's recipe run for real on the
//! server's own loopback — real HTTP requests, a real queue, real timers,
//! the same arrivals from the same seed — beside its model, as a table of
//! the headline figures (model, real, their difference), a calibration
//! badge that turns "noisy" when the machine cannot keep the real run
//! honest, what the real run does differently from a real network, and
//! the run's first request and response as the bytes that crossed the
//! socket.
//!
//! One request to `POST /api/real`; the answer is read with the browser's
//! own JSON parser (no JSON crate in the bundle).

use js_sys::{Reflect, JSON};
use leptos::prelude::*;
use sim::params::ParamSet;
use wasm_bindgen::JsValue;

use crate::format::fmt_number;
use crate::page::Page;

/// One figure, model beside real.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    label: String,
    model: f64,
    real: f64,
    diff: Option<f64>,
}

/// What the server answered, as the page shows it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Answer {
    rows: Vec<Row>,
    capped: Option<String>,
    badge: String,
    noisy: bool,
    note: String,
    /// The first request and its response as they crossed the socket.
    exchange: Option<(String, String)>,
    /// Events by kind: (kind, model, real).
    kinds: Vec<(String, f64, f64)>,
    /// Where the server keeps the real run for a pane to play back.
    recording: Option<String>,
}

fn field(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn num(v: &JsValue, key: &str) -> f64 {
    field(v, key).as_f64().unwrap_or(0.0)
}

/// Reads the server's report.
fn read(text: &str) -> Option<Answer> {
    let v = JSON::parse(text).ok()?;
    let rows = js_sys::Array::from(&field(&v, "rows"))
        .iter()
        .map(|r| Row {
            label: field(&r, "label").as_string().unwrap_or_default(),
            model: num(&r, "model"),
            real: num(&r, "real"),
            diff: field(&r, "diff_pct").as_f64(),
        })
        .collect();
    let c = field(&v, "calibration");
    let noisy = field(&c, "noisy").as_bool().unwrap_or(false);
    let badge = format!(
        "{}: loopback round trip p50 {} ms, p99 {} ms; timer lag p99 {} ms; scheduler lag p99 {} ms",
        if noisy { "Noisy — this machine is too busy to trust the real figures to a millisecond" } else { "Steady" },
        fmt_number(num(&c, "floor_p50_ms")),
        fmt_number(num(&c, "floor_p99_ms")),
        fmt_number(num(&c, "timer_lag_p99_ms")),
        fmt_number(num(&c, "scheduler_lag_p99_ms")),
    );
    Some(Answer {
        rows,
        capped: field(&v, "capped").as_string(),
        recording: field(&v, "recording").as_string(),
        badge,
        noisy,
        note: field(&v, "note").as_string().unwrap_or_default(),
        kinds: js_sys::Array::from(&field(&v, "events"))
            .iter()
            .map(|k| {
                (
                    field(&k, "kind").as_string().unwrap_or_default(),
                    num(&k, "model"),
                    num(&k, "real"),
                )
            })
            .collect(),
        exchange: {
            let e = field(&v, "exchange");
            field(&e, "request")
                .as_string()
                .map(|req| (req, field(&e, "response").as_string().unwrap_or_default()))
        },
    })
}

/// A count as a whole number, anything else as the page writes numbers.
fn figure(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{}", v as i64)
    } else {
        fmt_number(v)
    }
}

/// Pane A's values as `--set` takes them.
fn sets(p: &ParamSet) -> Vec<String> {
    p.specs()
        .iter()
        .map(|s| format!("{}={}", s.id, s.format(p.get(s.id))))
        .collect()
}

#[component]
pub fn RealView(page: Page) -> impl IntoView {
    let open = RwSignal::new(false);
    let secs = RwSignal::new(10.0f64);
    let status = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let answer: RwSignal<Option<Answer>> = RwSignal::new(None);
    // The recipe that ran: the pane beside the real one runs it again.
    let drawn = StoredValue::new(None::<(&'static sim::PatternInfo, Vec<f64>)>);
    // Two panes from the start: the model on pane A's recipe (same seed)
    // and the real run played back, side by side.
    let draw = move |id: String| {
        if let Some((info, values)) = drawn.get_value() {
            let both = [(info, values.clone()), (info, values)];
            crate::page::navigate(&format!(
                "{}&real={id}",
                crate::url::page_query(&both, page.seed.get_untracked())
            ));
        }
    };

    let run = move |_| {
        if running.get_untracked() {
            return;
        }
        let Some(pane) = page.panes().into_iter().next() else {
            return;
        };
        let p = pane.param_set_untracked();
        let info = pane.pattern.get_untracked();
        let pattern = info.id;
        drawn.set_value(Some((info, p.values().to_vec())));
        let s = secs.get_untracked().clamp(1.0, 30.0);
        let sets = crate::json::array(sets(&p).iter().map(|s| crate::json::quote(s)));
        let seed = page.seed.get_untracked();
        let body = move |ticket: Option<u64>| {
            crate::json::Object::new()
                .str("pattern", pattern)
                .raw("sets", &sets)
                .int("seed", seed)
                .num("duration_s", s)
                .opt_int("ticket", ticket)
                .done()
        };
        running.set(true);
        answer.set(None);
        status.set(format!(
            "Running {pattern} for real for {s} s on the server's loopback, beside its model…"
        ));
        leptos::task::spawn_local(async move {
            let mut ticket = None;
            loop {
                let asked =
                    crate::class::fetch_text("POST", "/api/real", Some(&body(ticket))).await;
                match asked {
                    // Every place is taken: in line, asking again each
                    // second to keep the place, until it runs.
                    Ok((202, text)) => {
                        let line = crate::json::Json::parse(&text);
                        let get = |k| line.as_ref().and_then(|l| l.get(k).u64());
                        ticket = get("ticket");
                        let (ahead, places) =
                            (get("ahead").unwrap_or(0), get("places").unwrap_or(1));
                        let runs = if places == 1 { "run" } else { "runs" };
                        let pages = match ahead {
                            0 => "yours is next".to_string(),
                            1 => "1 page is ahead of yours".to_string(),
                            n => format!("{n} pages are ahead of yours"),
                        };
                        status.set(format!(
                            "This server runs {places} real {runs} at a time and all are under way; {pages}. Your run starts by itself when its turn comes."
                        ));
                        crate::class::sleep_ms(1_000).await;
                        if !open.get_untracked() {
                            status.set("Left the line for a real run.".into());
                            break;
                        }
                    }
                    Ok((200, text)) => {
                        match read(&text) {
                            Some(a) => {
                                status.set(format!("Done: {s} s for real beside the model."));
                                answer.set(Some(a));
                            }
                            None => status.set("The server's answer could not be read.".into()),
                        }
                        break;
                    }
                    Ok((_, text)) | Err(text) => {
                        status.set(format!("No real run: {text}"));
                        break;
                    }
                }
            }
            running.set(false);
        });
    };

    view! {
        <div class="real">
            <button data-testid="real-open" aria-expanded=move || open.get().to_string()
                title="Run pane A's pattern over real sockets on the server, beside its model"
                on:click=move |_| open.update(|o| *o = !*o)>
                "Real vs model"
            </button>
            <Show when=move || open.get()>
                <div class="real-panel" role="region" aria-label="Real traffic beside the model">
                    <p>"Pane A's recipe, run twice on the same seed: once by the model, once for real on the server's own loopback — real HTTP requests and responses, real event streams, real WebSocket frames, real webhook POSTs and their retries, a real gateway fanning out to real backends, a real NATS broker with JetStream, real queues, real timers. Every pattern runs for real; publish-subscribe, the message queue and the choreography on a nats-server the run starts for itself."</p>
                    <label>"Seconds "
                        <input type="number" min="1" max="30" step="1" data-testid="real-secs"
                            prop:value=move || secs.get().to_string()
                            on:change=move |ev| {
                                if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                    secs.set(v.clamp(1.0, 30.0));
                                }
                            } />
                    </label>
                    " "
                    <button data-testid="real-run" disabled=move || running.get() on:click=run>
                        "Run it for real"
                    </button>
                    <p role="status" aria-live="polite" data-testid="real-status">{move || status.get()}</p>
                    {move || answer.get().map(|a| view! {
                        {a.capped.clone().map(|c| view! { <p class="real-capped" data-testid="real-capped">{c}</p> })}
                        {a.recording.clone().map(|id| view! {
                            <p>
                                <button data-testid="real-draw" on:click=move |_| draw(id.clone())
                                    title="Pane A's model and this real run, each drawn in a pane from the start, side by side">
                                    "Draw the real run beside the model"
                                </button>
                                " The real run plays back in pane B as it happened, message by message; open a message to read its bytes."
                            </p>
                        })}
                        <div class="real-table-wrap" tabindex="0" role="region" aria-label="Model and real figures">
                            <table class="real-table" data-testid="real-table">
                                <caption>"The model beside the real run"</caption>
                                <thead><tr><th scope="col">"Figure"</th><th scope="col">"Model"</th><th scope="col">"Real"</th><th scope="col">"Difference"</th></tr></thead>
                                <tbody>
                                    {a.rows.iter().map(|r| view! {
                                        <tr>
                                            <th scope="row">{r.label.clone()}</th>
                                            <td>{figure(r.model)}</td>
                                            <td>{figure(r.real)}</td>
                                            <td>{r.diff.map_or_else(|| "—".to_string(), |d| format!("{}{} %", if d >= 0.0 { "+" } else { "" }, fmt_number(d)))}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <p class=if a.noisy { "real-badge noisy" } else { "real-badge" } data-testid="real-badge">{a.badge.clone()}</p>
                        <p class="real-note">{a.note.clone()}</p>
                        <details class="real-kinds" data-testid="real-kinds">
                            <summary>"Events by kind: one vocabulary for both runs"</summary>
                            <div class="real-table-wrap" tabindex="0" role="region" aria-label="Events by kind">
                                <table class="real-table">
                                    <caption>"How many events of each kind the model and the real run reported"</caption>
                                    <thead><tr><th scope="col">"Event"</th><th scope="col">"Model"</th><th scope="col">"Real"</th></tr></thead>
                                    <tbody>
                                        {a.kinds.iter().map(|(k, m, r)| view! {
                                            <tr><th scope="row">{k.clone()}</th><td>{figure(*m)}</td><td>{figure(*r)}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </details>
                        {a.exchange.clone().map(|(req, resp)| view! {
                            <figure class="real-bytes" data-testid="real-bytes">
                                <figcaption>"The run's first request and what came back, byte for byte as they crossed the socket (HTTP lines end in CR LF; a stream shows its first events; on a broker, the first frame of each kind a client sent and the broker delivered — a JetStream copy's reply subject carries its delivery count)"</figcaption>
                                <pre tabindex="0" aria-label="The request as sent">{req}</pre>
                                <pre tabindex="0" aria-label="The answer as received">{resp}</pre>
                            </figure>
                        })}
                    })}
                </div>
            </Show>
        </div>
    }
}
