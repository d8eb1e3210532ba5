//! The page: one pane per pattern being compared, the shared transport and
//! parameter controls, presets, export, keyboard shortcuts and overlays.
//!
//! The server renders a skeleton; the browser reads the link (patterns,
//! parameters, seed, preset), then creates the panes, each with its own
//! session. Compare mode is a link with `vs=`: adding or removing a pane
//! loads that link, so what is on screen is always what a link reproduces.

use leptos::either::Either;
use leptos::prelude::*;
use sim::wire::{Control, MAX_SPEED, MIN_SPEED};
use sim::{catalogue, run::Theory, ParamSpec};
use wasm_bindgen::JsCast;

use crate::controls::ParamControl;
use crate::explain::Explanation;
use crate::inspector::Inspector;
use crate::page::{Class, Page, Role};
use crate::pane::{Pane, PaneState};
use crate::presets::{self, Preset, PRESETS};
use crate::url::{page_query, parse, with_companion, MAX_PANES};

/// Speeds offered in the speed menu (and stepped through with ←/→).
const SPEEDS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0];

/// A natural second pattern to compare with `id`.
fn navigate(query: &str) {
    let _ = window().location().set_search(query);
}

fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// Downloads a pane's run as replayed by the server from its recipe: the
/// recipe is posted as JSON (the server takes no form posts, so no other
/// site can post one), and the answer is saved through a blob link, so the
/// page stays where it is. A refusal (too long a run, too many exports at
/// once) is shown as the page's notice.
fn post_export(page: Page, pane: &PaneState, format: &'static str) {
    let body = serde_json::json!({
        "recipe": pane.recipe(page.seed.get_untracked()),
        "format": format,
    })
    .to_string();
    page.notice.set(Some(
        "Preparing the export: the server replays the run…".into(),
    ));
    leptos::task::spawn_local(async move {
        match fetch_export(&body).await {
            Ok(()) => page.notice.set(None),
            Err(e) => page.notice.set(Some(format!("The export failed: {e}"))),
        }
    });
}

/// POSTs `body` to `/api/export` and saves the answer under the file name
/// the server gives.
async fn fetch_export(body: &str) -> Result<(), String> {
    use crate::class::js_text as js;
    use wasm_bindgen_futures::JsFuture;
    let response = crate::class::fetch("POST", "/api/export", Some(body)).await?;
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(js)?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        return Err(if text.is_empty() {
            format!("the server answered {}", response.status())
        } else {
            text
        });
    }
    let name = response
        .headers()
        .get("content-disposition")
        .ok()
        .flatten()
        .and_then(|d| {
            d.split("filename=\"")
                .nth(1)
                .map(|n| n.trim_end_matches('"').to_string())
        })
        .unwrap_or_else(|| "switchboard-export".into());
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(js)?)
        .await
        .map_err(js)?
        .unchecked_into();
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    let doc = document();
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").map_err(js)?.unchecked_into();
    a.set_href(&url);
    a.set_download(&name);
    a.click();
    // The download has started reading the blob by then.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(30),
    );
    Ok(())
}

/// Composes every pane's charts into one PNG and downloads it.
fn download_png(page: &Page) {
    let panes = page.panes();
    for p in &panes {
        p.draw_all_charts(page);
    }
    let doc = document();
    let Ok(out) = doc
        .create_element("canvas")
        .map(|e| e.unchecked_into::<web_sys::HtmlCanvasElement>())
    else {
        return;
    };
    let grids: Vec<_> = panes
        .iter()
        .filter_map(|p| p.canvases.get_value())
        .collect();
    let (cw, ch) = grids
        .iter()
        .flat_map(|g| g.charts.iter())
        .fold((1u32, 1u32), |(w, h), c| {
            (w.max(c.el.width()), h.max(c.el.height()))
        });
    // One column per pane, its four charts stacked.
    out.set_width(cw * grids.len().max(1) as u32);
    out.set_height(ch * 4 + 40);
    let Some(ctx) = out
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, out.width() as f64, out.height() as f64);
    ctx.set_fill_style_str("#1d2433");
    ctx.set_font("600 22px system-ui, sans-serif");
    for (i, (g, p)) in grids.iter().zip(&panes).enumerate() {
        let x = (i as u32 * cw) as f64;
        let _ = ctx.fill_text(
            &format!("{} — {}", p.name(), p.pattern.get_untracked().name),
            x + 12.0,
            28.0,
        );
        for (k, c) in g.charts.iter().enumerate() {
            let _ =
                ctx.draw_image_with_html_canvas_element(&c.el, x, 40.0 + (k as u32 * ch) as f64);
        }
    }
    if let Ok(url) = out.to_data_url_with_type("image/png") {
        if let Ok(a) = doc.create_element("a") {
            let _ = a.set_attribute("href", &url);
            let _ = a.set_attribute(
                "download",
                &format!("switchboard-charts-seed{}.png", page.seed.get_untracked()),
            );
            if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
                a.click();
            }
        }
    }
}

/// The parameters panel: each parameter once, applied to every pane that
/// has it (linked) or to one pane only.
#[component]
fn Parameters(
    page: Page,
    panes: Vec<PaneState>,
    editing: RwSignal<Option<usize>>,
) -> impl IntoView {
    let many = panes.len() > 1;
    let panes_for_list = panes.clone();
    let list = move || {
        let panes = panes_for_list.clone();
        let shown: Vec<(&'static ParamSpec, PaneState)> = match editing.get() {
            Some(i) => {
                let p = panes[i.min(panes.len() - 1)];
                p.pattern.get().params.iter().map(|s| (s, p)).collect()
            }
            None => {
                let mut out: Vec<(&'static ParamSpec, PaneState)> = Vec::new();
                for p in &panes {
                    for s in p.pattern.get().params {
                        if !out.iter().any(|(o, _)| o.id == s.id) {
                            out.push((s, *p));
                        }
                    }
                }
                out
            }
        };
        shown
            .into_iter()
            .map(|(spec, owner)| {
                let index = owner
                    .pattern
                    .get_untracked()
                    .params
                    .iter()
                    .position(|s| s.id == spec.id)
                    .unwrap_or(0);
                let targets: Vec<PaneState> = match editing.get_untracked() {
                    Some(_) => vec![owner],
                    None => panes
                        .iter()
                        .copied()
                        .filter(|p| {
                            p.pattern
                                .get_untracked()
                                .params
                                .iter()
                                .any(|s| s.id == spec.id)
                        })
                        .collect(),
                };
                let only = if many && targets.len() < panes.len() {
                    let names: Vec<&str> = targets.iter().map(|p| p.name()).collect();
                    Some(format!("only {}", names.join(", ")))
                } else {
                    None
                };
                let on_set = Callback::new(move |v: f64| {
                    for p in &targets {
                        let at = p
                            .pattern
                            .get_untracked()
                            .params
                            .iter()
                            .position(|s| s.id == spec.id);
                        if let Some(at) = at {
                            p.values.update(|vs| {
                                if let Some(slot) = vs.get_mut(at) {
                                    *slot = v;
                                }
                            });
                            p.commands.set_param(spec, v);
                        }
                    }
                    page.sync_url();
                });
                let limit = Signal::derive(move || {
                    (spec.id == "rate")
                        .then(|| Theory::for_params(&owner.param_set()))
                        .flatten()
                        .map(|t| t.stable_below_per_s)
                });
                view! {
                    <div class="param-row">
                        {only.map(|o| view! { <span class="param-scope">{o}</span> })}
                        <ParamControl spec index values=owner.values on_set limit />
                    </div>
                }
            })
            .collect_view()
    };
    let names: Vec<&'static str> = panes.iter().map(|p| p.name()).collect();
    view! {
        <section class="panel controls" id="parameters" data-testid="parameters" aria-label="Parameters">
            <h2>"Parameters"</h2>
            {many.then(|| view! {
                <div class="scope" role="radiogroup" aria-label="Which panes the parameters change">
                    <label>
                        <input type="radio" name="scope" data-testid="scope-all" prop:checked=move || editing.get().is_none() on:change=move |_| editing.set(None) />
                        "all panes"
                    </label>
                    {names.iter().enumerate().map(|(i, n)| view! {
                        <label>
                            <input type="radio" name="scope" data-testid=format!("scope-{}", n.to_lowercase()) prop:checked=move || editing.get() == Some(i) on:change=move |_| editing.set(Some(i)) />
                            {format!("only {n}")}
                        </label>
                    }).collect_view()}
                </div>
            })}
            {list}
        </section>
    }
}

#[component]
fn HelpOverlay(open: RwSignal<bool>) -> impl IntoView {
    // The page's own download rate, measured once a second while the help
    // is open.
    let rate = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        rate.set(None);
        let last = StoredValue::new((crate::feed::received_bytes(), now_ms()));
        let timer = set_interval_with_handle(
            move || {
                let (bytes, at) = (crate::feed::received_bytes(), now_ms());
                let (b0, t0) = last.get_value();
                last.set_value((bytes, at));
                if at > t0 {
                    rate.set(Some((bytes - b0) as f64 * 1000.0 / (at - t0)));
                }
            },
            std::time::Duration::from_secs(1),
        )
        .ok();
        on_cleanup(move || {
            if let Some(t) = timer {
                t.clear();
            }
        });
    });
    view! {
        <Show when=move || open.get()>
            <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help" on:click=move |_| open.set(false)>
                <div class="dialog" on:click=|e| e.stop_propagation()>
                    <h2 id="help-title">"Keyboard shortcuts"</h2>
                    <dl class="keys">
                        <dt><kbd>"Space"</kbd></dt><dd>"play / pause every pane"</dd>
                        <dt><kbd>"←"</kbd>" "<kbd>"→"</kbd></dt><dd>"slower / faster"</dd>
                        <dt><kbd>"1"</kbd>"–"<kbd>"9"</kbd></dt><dd>"switch pane A to the n-th pattern"</dd>
                        <dt><kbd>"P"</kbd></dt><dd>"projector mode (large type, high contrast, everything on one screen)"</dd>
                        <dt><kbd>"S"</kbd></dt><dd>"open or close the parameters drawer (projector mode)"</dd>
                        <dt><kbd>"F"</kbd></dt><dd>"pane A's stage and headline figures full screen"</dd>
                        <dt><kbd>"?"</kbd></dt><dd>"this help"</dd>
                        <dt><kbd>"Esc"</kbd></dt><dd>"close the help, the inspector, the drawer or full screen"</dd>
                    </dl>
                    <p>"Click any dot to see its whole conversation as a sequence diagram."</p>
                    <p class="download-rate" data-testid="download-rate">
                        {move || match rate.get() {
                            None => "This page's download rate: measuring…".to_string(),
                            Some(r) => format!("This page receives {} (all panes; a paused pane sends almost nothing).", fmt_rate(r)),
                        }}
                    </p>
                    <button class="primary" on:click=move |_| open.set(false)>"Close"</button>
                </div>
            </div>
        </Show>
    }
}

/// Milliseconds on the page's clock.
fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// A download rate in words: bytes, kilobytes or megabits a second.
fn fmt_rate(bytes_per_s: f64) -> String {
    if bytes_per_s < 1000.0 {
        format!("{bytes_per_s:.0} B/s")
    } else if bytes_per_s < 1e6 {
        format!("{:.1} kB/s", bytes_per_s / 1e3)
    } else {
        format!(
            "{:.1} MB/s ({:.0} Mbit/s)",
            bytes_per_s / 1e6,
            bytes_per_s * 8.0 / 1e6
        )
    }
}

/// The preset's predict-then-observe prompt.
#[component]
fn Prompt(page: Page, preset: RwSignal<Option<&'static Preset>>) -> impl IntoView {
    let chosen = RwSignal::new(None::<&'static str>);
    view! {
        {move || preset.get().map(|p| {
            match chosen.get() {
                None => Either::Left(view! {
                    <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="prompt-title" data-testid="prompt">
                        <div class="dialog">
                            <p class="eyebrow">"Predict, then observe"</p>
                            <h2 id="prompt-title">{p.title}</h2>
                            <p class="question">{p.question}</p>
                            <div class="choices">
                                {p.choices.iter().map(|&c| view! {
                                    <button class="choice" on:click=move |_| {
                                        chosen.set(Some(c));
                                        page.hold.set(false);
                                        page.set_playing(true);
                                    }>{c}</button>
                                }).collect_view()}
                            </div>
                        </div>
                    </div>
                }),
                Some(c) => Either::Right(view! {
                    <div class="observe" role="status" data-testid="observe">
                        <strong>"You predicted: "</strong>{c}
                        <br />
                        <strong>"Watch: "</strong>{p.watch}
                        <button aria-label="Dismiss" on:click=move |_| preset.set(None)>"×"</button>
                    </div>
                }),
            }
        })}
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let page = Page::new();
    let ready = RwSignal::new(false);
    let panes = RwSignal::new(Vec::<PaneState>::new());
    let editing = RwSignal::new(None::<usize>);
    let help = RwSignal::new(false);
    let projector = RwSignal::new(false);
    // The parameters drawer of the presentation layout (projector mode).
    let drawer = RwSignal::new(false);
    // A class code typed into the header to join a class.
    let join_code = RwSignal::new(String::new());
    let preset = RwSignal::new(None::<&'static Preset>);
    let notice = page.notice;

    // Browser only: read the link, then create the panes (a room's or a
    // fork's come from the server's description of the room).
    let open = move |settings: crate::url::PageSettings, chosen: Option<&'static Preset>| {
        page.reduced_motion.set_value(prefers_reduced_motion());
        page.seed.set(settings.seed);
        let states: Vec<PaneState> = settings
            .panes
            .iter()
            .enumerate()
            .map(|(i, s)| PaneState::new(i, s.info, s.values.clone(), &page))
            .collect();
        page.set_panes(states.clone());
        if let Some(p) = chosen {
            page.hold.set(true);
            page.headline.set(p.headline);
            page.scenario.set(Some(p.id));
            preset.set(chosen);
        }
        if !settings.problems.is_empty() {
            notice.set(Some(settings.problems.join("; ")));
        }
        panes.set(states);
        ready.set(true);
    };
    Effect::new(move |_| {
        if ready.get_untracked() {
            return;
        }
        let search = window().location().search().unwrap_or_default();
        let mut settings = parse(&search, catalogue()[0]);
        if let Some((code, fork)) = settings
            .fork
            .clone()
            .map(|c| (c, true))
            .or_else(|| settings.room.clone().map(|c| (c, false)))
        {
            leptos::task::spawn_local(async move {
                match crate::class::load_room(&code).await {
                    Ok((room, presenter, scenario)) => {
                        if let Some(p) = scenario {
                            page.headline.set(p.headline);
                            page.scenario.set(Some(p.id));
                        }
                        let role = match (fork, presenter) {
                            (true, _) => Role::Explorer,
                            (false, true) => Role::Presenter,
                            (false, false) => Role::Follower,
                        };
                        page.class.set(Some(Class { code, role }));
                        open(room, None);
                    }
                    Err(e) => {
                        notice.set(Some(e));
                        open(parse("", catalogue()[0]), None);
                    }
                }
            });
            return;
        }
        let mut chosen = None;
        if let Some(id) = settings.preset.clone() {
            match presets::find(&id) {
                Some(p) => {
                    // The preset's own settings, then whatever the link adds.
                    let mut merged = parse(p.query, catalogue()[0]);
                    let extra = parse(&search, merged.panes[0].info);
                    if search.contains("seed=") {
                        merged.seed = extra.seed;
                    }
                    settings = merged;
                    chosen = Some(p);
                }
                None => settings.problems.push(format!(
                    "preset '{id}' is unknown: expected one of {}",
                    PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        open(settings, chosen);
    });

    // The inspector closed: no conversation stays highlighted.
    // A presenter closing it closes it for the class too.
    Effect::new(move |was_open: Option<bool>| {
        let open = page.inspect.with(Option::is_some);
        if !open {
            for p in page.panes() {
                p.highlight(None);
            }
            let presenter = page.class.with_untracked(|c| {
                matches!(
                    c,
                    Some(Class {
                        role: Role::Presenter,
                        ..
                    })
                )
            });
            if was_open == Some(true) && presenter {
                if let Some(a) = page.panes().first() {
                    a.commands.send(Control::Inspect {
                        req: None,
                        msg: None,
                    });
                }
            }
        }
        open
    });

    // A notice disappears after a while.
    Effect::new(move |_| {
        if notice.with(Option::is_some) {
            set_timeout(move || notice.set(None), std::time::Duration::from_secs(8));
        }
    });

    Effect::new(move |_| {
        // Chart labels of 11 px × 2.2 ≥ 24 px: readable from the back row.
        page.zoom.set(if projector.get() { 2.2 } else { 1.0 });
    });

    let set_speed = move |v: f64| {
        let v = v.clamp(MIN_SPEED, MAX_SPEED);
        page.speed.set(v);
        page.send_all(Control::Speed { value: v });
    };

    // Keyboard shortcuts, unless typing in a field.
    let _keys = window_event_listener(leptos::ev::keydown, move |e| {
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    || (el.tag_name() == "BUTTON" && e.key() == " ")
            });
        if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let key = e.key();
        // Following the teacher: only the view's own keys.
        if page.following() && !matches!(key.as_str(), "?" | "Escape" | "p" | "P" | "f" | "F") {
            return;
        }
        match key.as_str() {
            " " => {
                e.prevent_default();
                if !page.hold.get_untracked() {
                    page.toggle();
                }
            }
            "ArrowLeft" | "ArrowRight" => {
                e.prevent_default();
                let now = page.speed.get_untracked();
                let i = SPEEDS.iter().position(|&s| s >= now).unwrap_or(4);
                let next = if key == "ArrowLeft" {
                    SPEEDS[i.saturating_sub(1)]
                } else {
                    SPEEDS[(i + 1).min(SPEEDS.len() - 1)]
                };
                set_speed(next);
            }
            "?" => help.update(|h| *h = !*h),
            "Escape" => {
                help.set(false);
                drawer.set(false);
                page.inspect.set(None);
                if document().fullscreen_element().is_some() {
                    document().exit_fullscreen();
                }
            }
            "p" | "P" => projector.update(|p| *p = !*p),
            "s" | "S" => drawer.update(|d| *d = !*d),
            "f" | "F" => crate::pane::show_full_screen(0),
            d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() && d != "0" => {
                let n = (d.as_bytes()[0] - b'1') as usize;
                if let (Some(info), Some(a)) = (catalogue().get(n), page.panes().first()) {
                    a.commands.send(Control::Pattern {
                        id: info.id.to_string(),
                    });
                }
            }
            _ => {}
        }
    });

    let compare = move |_| {
        let ps = page.panes();
        if ps.len() >= MAX_PANES {
            return;
        }
        let panes: Vec<_> = ps
            .iter()
            .map(|p| (p.pattern.get_untracked(), p.values.get_untracked()))
            .collect();
        let first = panes[0].0;
        let extra = sim::find_pattern(first.companion).unwrap_or(first);
        let panes = with_companion(&panes, extra);
        navigate(&page_query(&panes, page.seed.get_untracked()));
    };
    let remove = move |index: usize| {
        let ps = page.panes();
        let kept: Vec<_> = ps
            .iter()
            .filter(|p| p.index != index)
            .map(|p| (p.pattern.get_untracked(), p.values.get_untracked()))
            .collect();
        navigate(&crate::url::page_query(&kept, page.seed.get_untracked()));
    };
    let share = move |_| {
        let href = window().location().href().unwrap_or_default();
        let clipboard = window().navigator().clipboard();
        let _ = clipboard.write_text(&href);
        notice.set(Some(format!("Link copied: {href}")));
    };

    view! {
        <div class="page" class:projector=move || projector.get() class:drawer-open=move || drawer.get()
            class:compare=move || panes.with(|p| p.len() > 1) data-panes=move || panes.with(|p| p.len()).to_string()>
            <header class="topbar">
                <h1>"Switchboard"</h1>
                <span class="subtitle">"a live lab for API communication patterns"</span>
                <label class="presets">
                    <span class="visually-hidden">"Scenario"</span>
                    <select
                        data-testid="presets"
                        disabled=move || page.class.with(Option::is_some)
                        aria-label="Classroom scenario"
                        on:change=move |ev| {
                            let id = event_target_value(&ev);
                            if let Some(p) = presets::find(&id) {
                                navigate(&format!("preset={}&{}", p.id, p.query));
                            }
                        }
                    >
                        <option value="" selected>"Scenarios…"</option>
                        {PRESETS.iter().map(|p| view! { <option value=p.id>{p.title}</option> }).collect_view()}
                    </select>
                </label>
                <button data-testid="compare" title="Add a pane: the same workload through another pattern"
                    disabled=move || panes.with(|p| p.len() >= MAX_PANES) || page.class.with(Option::is_some) on:click=compare>"+ Compare"</button>
                <button data-testid="projector" aria-pressed=move || projector.get().to_string() title="Projector mode: large type, high contrast (P)"
                    on:click=move |_| projector.update(|p| *p = !*p)>"Projector"</button>
                <Show when=move || page.class.with(Option::is_none)>
                    <form class="join-form" data-testid="join-form" on:submit=move |ev| {
                        ev.prevent_default();
                        let code: String = join_code
                            .get_untracked()
                            .chars()
                            .filter(char::is_ascii_alphanumeric)
                            .collect::<String>()
                            .to_ascii_uppercase();
                        if !code.is_empty() {
                            let _ = window().location().set_href(&format!("/join/{code}"));
                        }
                    }>
                        <label class="visually-hidden" for="join-code">"Class code"</label>
                        <input id="join-code" data-testid="join-code" class="join-code" placeholder="Class code" maxlength="8"
                            autocomplete="off" spellcheck="false" prop:value=move || join_code.get()
                            on:input=move |ev| join_code.set(event_target_value(&ev)) />
                        <button type="submit" data-testid="join">"Join"</button>
                    </form>
                    <button data-testid="start-class" title="Turn these panes, as they run now, into a class the students follow on their own screens"
                        on:click=move |_| crate::class::start_class(page)>"Start a class"</button>
                </Show>
                <button data-testid="drawer-button" class="drawer-button" aria-expanded=move || drawer.get().to_string()
                    aria-controls="parameters" title="Parameters (S); Esc closes"
                    on:click=move |_| drawer.update(|d| *d = !*d)>"Parameters"</button>
                <button data-testid="help-button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts" on:click=move |_| help.set(true)>"?"</button>
            </header>
            <crate::class::ClassBar page />

            <fieldset class="transport" role="toolbar" aria-label="Playback" disabled=move || page.following()>
                <button
                    class="primary"
                    data-testid="play"
                    aria-pressed=move || (!page.playing.get()).to_string()
                    on:click=move |_| page.toggle()
                >
                    {move || if page.playing.get() { "❚❚ Pause" } else { "▶ Play" }}
                </button>
                <button
                    data-testid="step"
                    disabled=move || page.playing.get()
                    title="Run exactly the next scheduled action"
                    on:click=move |_| page.send_all(Control::Step)
                >
                    "Step"
                </button>
                <label class="speed">
                    "Speed "
                    <select
                        data-testid="speed"
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                set_speed(v);
                            }
                        }
                    >
                        {SPEEDS
                            .iter()
                            .map(|&s| {
                                view! {
                                    <option value=s.to_string() selected=move || page.speed.get() == s>
                                        {format!("{s}×")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button
                    title="Start the same run again from t = 0"
                    on:click=move |_| page.send_all(Control::Reset { seed: None })
                >
                    "↺ Reset"
                </button>
                <button
                    title="Start a new run with a fresh random seed"
                    on:click=move |_| {
                        let s = (js_sys::Math::random() * 1e9) as u64;
                        page.send_all(Control::Reset { seed: Some(s) });
                    }
                >
                    "New seed"
                </button>
                <span class="seed" data-testid="seed">{move || format!("seed {}", page.seed.get())}</span>
                <span class="exports">
                    <button data-testid="share" title="Copy a link that opens this run" on:click=share>"Share link"</button>
                    <button data-testid="png" title="Download the charts as a PNG" on:click=move |_| download_png(&page)>"PNG"</button>
                    {move || panes.get().into_iter().map(|p| {
                        let suffix = if panes.with_untracked(|v| v.len() > 1) { format!(" {}", p.name()) } else { String::new() };
                        view! {
                            <button data-testid=format!("export-ndjson-{}", p.name().to_lowercase())
                                title="The run's events, one JSON object per line — replayed exactly, live changes included"
                                on:click=move |_| post_export(page, &p, "ndjson")>{format!("Events{suffix}")}</button>
                            <button data-testid=format!("export-csv-{}", p.name().to_lowercase())
                                title="Per-second metrics, the columns of switchboard simulate --format csv"
                                on:click=move |_| post_export(page, &p, "csv")>{format!("CSV{suffix}")}</button>
                        }
                    }).collect_view()}
                </span>
            </fieldset>

            <main class="workspace">
                <div class="panes">
                    {move || {
                        if !ready.get() {
                            return Either::Left(view! { <p class="loading" data-testid="loading">"Starting the simulation…"</p> });
                        }
                        let list = panes.get();
                        let n = list.len();
                        Either::Right(list.into_iter().map(|p| {
                            view! {
                                <div class="pane-slot">
                                    {(n > 1 && page.class.with_untracked(Option::is_none)).then(|| view! {
                                        <button class="remove-pane" data-testid=format!("remove-{}", p.name().to_lowercase())
                                            aria-label=format!("Remove pane {}", p.name()) title="Remove this pane"
                                            on:click=move |_| remove(p.index)>"×"</button>
                                    })}
                                    <Pane page pane=p />
                                </div>
                            }
                        }).collect_view())
                    }}
                </div>
                // A student following the teacher sees the teacher's values,
                // read-only.
                <fieldset class="parameters-wrap" disabled=move || page.following()>
                    {move || ready.get().then(|| view! { <Parameters page panes=panes.get() editing /> })}
                </fieldset>
            </main>

            <section class="explanations">
                {move || panes.get().into_iter().map(|p| view! {
                    {move || view! { <Explanation info=p.pattern.get() /> }}
                }).collect_view()}
            </section>

            <Inspector conversation=page.inspect pane_names=Signal::derive(move || panes.get().iter().map(|p| p.name().to_string()).collect()) />
            <HelpOverlay open=help />
            <Prompt page preset />
            <Show when=move || notice.with(Option::is_some)>
                <div class="notice" role="alert" data-testid="notice">
                    {move || notice.get().unwrap_or_default()}
                    <button aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
                </div>
            </Show>
        </div>
    }
}
