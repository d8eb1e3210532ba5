//! One pane: a pattern's own simulation session, drawn.
//!
//! Each pane holds a WebSocket session of its own (its pattern, its
//! parameters, the page's seed; see [`crate::pane::stream`]) and draws its stage
//! and four charts from a plain [`Scene`] once per animation frame. Panes
//! compared side by side share the seed — the same arrivals and service
//! draws — and the y axes of their charts, so equal heights mean equal
//! values.

use leptos::html;
use leptos::prelude::*;
use sim::catalogue;
use sim::run::Theory;
use sim::wire::Control;
use web_sys::HtmlCanvasElement;

use crate::charts::figures::{Figures, Legend};
use crate::charts::laws::{little_text, theory_text};
use crate::charts::pane_charts::{CHART_IDS, CHART_LABELS};
use crate::page::Page;
use crate::pane::inspector::{Conversation, Source, Wire};
use crate::pane::state::PaneState;
use crate::stage::paint;
use sim::story::Subject;

/// Shows pane `index`'s stage and headline figures full screen (the
/// Fullscreen API; the browser's Esc returns), or leaves full screen if
/// something already is.
pub fn show_full_screen(index: usize) {
    let doc = document();
    if doc.fullscreen_element().is_some() {
        doc.exit_fullscreen();
        return;
    }
    let name = crate::url::PANE_IDS.get(index).copied().unwrap_or("a");
    if let Ok(Some(el)) = doc.query_selector(&format!("[data-testid=\"show-{name}\"]")) {
        let _ = el.request_fullscreen();
    }
}

impl PaneState {
    /// Opens the inspector on `req`'s conversation and rings its dots.
    pub fn inspect(&self, page: &Page, req: sim::event::ReqId) {
        let conv = self.scene.with_value(|s| {
            s.as_ref().map(|s| {
                let mut s = s.borrow_mut();
                s.playback.highlight = Some(req);
                s.playback.highlight_msg = None;
                let events = s.playback.conversation(req);
                let title = format!("Request #{req}");
                let mut c = Conversation::build(self.index, title, &events, &s.playback.topology);
                c.subject = Some(Subject::Request(req));
                c.source = Source::Page {
                    sampled: s.playback.sampled.max(1),
                };
                c
            })
        });
        self.share(page, Some(req), None);
        self.show(page, conv.map(|c| self.ask_whole_story(page, c)));
    }

    /// The page holds only some of a conversation's events (a sampled run,
    /// events that aged out of its log): asks the server for the whole
    /// story, which replaces these when it comes. A follower's page asks
    /// nothing (the teacher's page asks for the class).
    fn ask_whole_story(&self, page: &Page, mut c: Conversation) -> Conversation {
        if page.following() || self.conn.get_untracked() != crate::pane::feed::ConnState::Live {
            return c;
        }
        let (req, msg) = match c.subject {
            Some(Subject::Request(r)) => (Some(r), None),
            Some(Subject::Message(m)) => (None, Some(m)),
            None => return c,
        };
        if let Source::Page { sampled } = c.source {
            c.source = Source::Fetching { sampled };
        }
        self.commands.send(Control::Story { req, msg });
        c
    }

    /// The server's whole story of a conversation: shown if the inspector
    /// still shows that conversation of this pane.
    pub fn whole_story(&self, page: &Page, story: &sim::wire::Story) {
        let subject = match (story.req, story.msg) {
            (Some(r), _) => Subject::Request(r),
            (None, Some(m)) => Subject::Message(m),
            (None, None) => return,
        };
        let open = page.inspect.with_untracked(|c| {
            c.as_ref()
                .is_some_and(|c| c.pane == self.index && c.subject == Some(subject))
        });
        if !open {
            return;
        }
        let conv = self.scene.with_value(|s| {
            s.as_ref().map(|s| {
                let s = s.borrow();
                let title = match subject {
                    Subject::Request(r) => format!("Request #{r}"),
                    Subject::Message(m) => format!("Message #{m}"),
                };
                let mut c =
                    Conversation::build(self.index, title, &story.events, &s.playback.topology);
                c.subject = Some(subject);
                c.source = if story.whole {
                    Source::Whole
                } else {
                    Source::Until(story.until)
                };
                c
            })
        });
        // A real conversation keeps the bytes it has, or asks again when
        // the whole story has messages the page's did not.
        let before = page
            .inspect
            .with_untracked(|c| c.as_ref().map(|c| (c.msgs.clone(), c.bytes.clone())));
        let conv = conv.map(|mut c| match before {
            Some((msgs, bytes)) if msgs == c.msgs => {
                c.bytes = bytes;
                c
            }
            _ => self.ask_bytes(page, c),
        });
        if conv.is_some() {
            page.inspect.set(conv);
        }
    }

    /// A room's presenter shows everyone the conversation it opens.
    fn share(&self, page: &Page, req: Option<u64>, msg: Option<u64>) {
        if page.class.with_untracked(|c| {
            matches!(
                c,
                Some(crate::page::Class {
                    role: crate::page::Role::Presenter,
                    ..
                })
            )
        }) {
            self.commands.send(Control::Inspect { req, msg });
        }
    }

    /// Opens the inspector on one message's story (polls, answers, stream
    /// events: messages that carry no single request).
    pub fn inspect_message(&self, page: &Page, msg: sim::event::MsgId) {
        let conv = self.scene.with_value(|s| {
            s.as_ref().map(|s| {
                let mut s = s.borrow_mut();
                s.playback.highlight = None;
                s.playback.highlight_msg = Some(msg);
                let events = s.playback.message_story(msg);
                let title = format!("Message #{msg}");
                let mut c = Conversation::build(self.index, title, &events, &s.playback.topology);
                c.subject = Some(Subject::Message(msg));
                c.source = Source::Page {
                    sampled: s.playback.sampled.max(1),
                };
                c
            })
        });
        self.share(page, None, Some(msg));
        self.show(page, conv.map(|c| self.ask_whole_story(page, c)));
    }

    fn show(&self, page: &Page, conv: Option<Conversation>) {
        for other in page.panes() {
            if other.index != self.index {
                other.highlight(None);
            }
        }
        let conv = conv.map(|c| self.ask_bytes(page, c));
        page.inspect.set(conv);
    }

    /// A real pane's conversation: asks the server what its messages were
    /// on the wire, shown when they come if it is still open.
    fn ask_bytes(&self, page: &Page, mut c: Conversation) -> Conversation {
        let Some(id) = self.real.get_value() else {
            return c;
        };
        let msgs: Vec<String> = c
            .msgs
            .iter()
            .take(crate::pane::inspector::MAX_ASKED)
            .map(|m| m.to_string())
            .collect();
        if msgs.is_empty() {
            c.bytes = Some(Wire::None(
                "No message of this conversation was sent.".into(),
            ));
            return c;
        }
        c.bytes = Some(Wire::Asking);
        let (subject, pane) = (c.subject, self.index);
        let url = format!("/api/real/{id}/bytes?msgs={}", msgs.join(","));
        let page = *page;
        leptos::task::spawn_local(async move {
            let wire = match crate::class::fetch_text("GET", &url, None).await {
                Ok((200, text)) => {
                    let found: Vec<(u64, String)> = crate::json::Json::parse(&text)
                        .map(|j| {
                            msgs.iter()
                                .filter_map(|m| {
                                    let text = j.get(m).str()?;
                                    Some((m.parse().ok()?, text))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if found.is_empty() {
                        Wire::None("None of these messages crossed the connections whose bytes the run keeps (the first eight clients opened, 32 KiB each way of each; or one client's connection to the broker, 64 KiB): try an earlier message. The \"Real vs model\" panel shows the first connection's first exchange.".into())
                    } else {
                        Wire::Bytes(found)
                    }
                }
                Ok((_, text)) | Err(text) => Wire::None(format!("No bytes: {text}")),
            };
            page.inspect.update(|open| {
                if let Some(c) = open
                    .as_mut()
                    .filter(|c| c.pane == pane && c.subject == subject)
                {
                    c.bytes = Some(wire);
                }
            });
        });
        c
    }

    /// Brings every chart's picture up to date, on screen or not (the PNG
    /// export copies them).
    pub fn draw_all_charts(&self, page: &Page) {
        let (Some(scene), Some(canvases)) = (self.scene.get_value(), self.canvases.get_value())
        else {
            return;
        };
        let mut scene = scene.borrow_mut();
        let shared = page.shared_tops(self.index, scene.tops);
        let dpr = window().device_pixel_ratio().max(1.0);
        let zoom = page.zoom.get_untracked();
        let predicted = self.predicted_wait.get_value();
        scene.draw_charts(&canvases, dpr, shared, zoom, predicted, None);
    }
}

#[component]
pub fn Pane(page: Page, pane: PaneState) -> impl IntoView {
    let stage_ref = NodeRef::<html::Canvas>::new();
    let clock_ref = NodeRef::<html::Span>::new();
    let chart_refs: [NodeRef<html::Canvas>; 4] = std::array::from_fn(|_| NodeRef::new());
    let started = StoredValue::new(false);

    Effect::new(move |_| {
        let (Some(stage_el), Some(clock)) = (stage_ref.get(), clock_ref.get()) else {
            return;
        };
        let charts: Option<Vec<HtmlCanvasElement>> = chart_refs.iter().map(|r| r.get()).collect();
        let Some(charts) = charts else {
            return;
        };
        if started.get_value() {
            return;
        }
        started.set_value(true);
        crate::pane::stream::start(page, pane, stage_el, charts, clock.into());
    });

    let m = move || pane.metrics.get().unwrap_or_default();
    let metrics = Signal::derive(m);
    let own: Signal<Vec<sim::catalogue::Figure>> = Memo::new(move |_| {
        let info = pane.pattern.get();
        (info.figures)(&m(), &pane.param_set())
    })
    .into();
    let theory = Memo::new(move |_| Theory::for_params(&pane.param_set()));
    Effect::new(move |_| {
        pane.predicted_wait
            .set_value(theory.get().and_then(|t| t.mean_wait_ms));
    });
    // L smoothed over snapshots: the instantaneous count jumps by one with
    // every arrival and departure.
    let little = StoredValue::new(0.0f64);
    let in_system = move || {
        let t = m().totals;
        let now = t.offered.saturating_sub(t.completed + t.failed) as f64;
        let l = little.get_value() * 0.9 + now * 0.1;
        little.set_value(l);
        l
    };

    let on_stage_click = move |ev: leptos::ev::MouseEvent| {
        let (x, y) = (ev.offset_x() as f64, ev.offset_y() as f64);
        let dot = pane.scene.with_value(|s| {
            s.as_ref().and_then(|s| {
                let s = s.borrow();
                paint::hit(&s.layout, &s.playback, x, y, 14.0)
            })
        });
        if let Some(d) = dot {
            if pane.pattern.get_untracked().lesson.keyed_by_message {
                pane.inspect_message(&page, d.msg);
            } else {
                pane.inspect(&page, d.req);
            }
        }
    };
    let hover = move |i: usize, x: Option<f64>| {
        pane.scene.with_value(|s| {
            if let Some(s) = s {
                s.borrow_mut().hover = x.map(|x| (i, x));
            }
        });
    };
    let testid = format!("pane-{}", pane.id());
    let real = pane.real.with_value(Option::is_some);

    // Each note is built when it appears, not for every new value.
    let behind = Memo::new(move |_| pane.behind.with(Option::is_some));
    let sampled = Memo::new(move |_| pane.stride.get() > 1);
    let coalesced = Memo::new(move |_| pane.coalesced.get() > 0);
    view! {
        <article class="pane" class:real-pane=real data-testid=testid aria-label=move || format!("Pane {}: {}{}", pane.name(), pane.pattern.get().lesson.name, if real { ", the real run played back" } else { "" })>
            <header class="pane-head">
                <span class="pane-name" aria-hidden="true">{pane.name()}</span>
                {move || if real {
                    // A recording: its pattern is what ran, not a choice.
                    view! { <span class="pattern-name" data-testid="pattern-name"
                        title="What really crossed this server's loopback, played back as it happened: it plays, pauses, seeks and steps with the timeline and starts again, but its settings cannot change">
                        {move || format!("{} — real run on loopback, played back", pane.pattern.get().lesson.name)}
                    </span> }.into_any()
                } else if page.following() {
                    // A follower's pattern is the teacher's: its name, not
                    // a control it cannot use.
                    view! { <span class="pattern-name" data-testid="pattern-name">{move || pane.pattern.get().lesson.name}</span> }.into_any()
                } else {
                    view! {
                        <label class="pattern-picker">
                            <span class="visually-hidden">"Pattern"</span>
                            <select
                                data-testid="pattern-picker"
                                aria-label=format!("Communication pattern of pane {}", pane.name())
                                on:change=move |ev| {
                                    pane.commands.send(Control::Pattern { id: event_target_value(&ev) });
                                }
                            >
                                {catalogue()
                                    .iter()
                                    .map(|p| {
                                        view! {
                                            <option value=p.id selected=move || pane.pattern.get().id == p.id>
                                                {p.lesson.name}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                    }.into_any()
                }}
                <button class="fullscreen" data-testid=format!("fullscreen-{}", pane.id())
                    title="This pane's stage and headline figures full screen (F for pane A; Esc returns)"
                    aria-label=format!("Show pane {} full screen", pane.name())
                    on:click=move |_| show_full_screen(pane.index)>
                    <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" stroke="currentColor" fill="none" stroke-width="2" /></svg>
                </button>
                <crate::charts::figures::ConnBadge conn=pane.conn />
                {move || behind.get().then(|| view! {
                    <span class="behind" data-testid="behind"
                        title="The server gives each run a share of its processor per frame; this run needs more than its share at this speed, so it runs slower than asked.">
                        {move || pane.behind.get().map(|(a, s)| format!("running at {}× of the {}× asked", crate::format::fmt_speed(a), crate::format::fmt_speed(s))).unwrap_or_default()}
                    </span>
                }.into_any())}
            </header>
            <div class="pane-body">
                <section class="stage-panel" data-testid=format!("show-{}", pane.id()) aria-label=format!("Pane {}: the stage", pane.name())>
                    <div class="stage-wrap">
                        <canvas
                            node_ref=stage_ref
                            class="stage"
                            data-testid="stage"
                            role="img"
                            aria-label="Messages moving between the nodes (described in words below); click a dot to inspect its conversation"
                            on:click=on_stage_click
                        ></canvas>
                        <span class="stage-clock" node_ref=clock_ref data-testid="stage-clock"></span>
                        <div class="stage-notes">
                            {move || sampled.get().then(|| view! {
                                <span class="sampling" data-testid="sampling">
                                    {move || format!("1 dot = {} messages", pane.stride.get())}
                                </span>
                            }.into_any())}
                            {move || coalesced.get().then(|| view! {
                                <span class="coalesced" title="The viewer fell behind; these events were not drawn. Metrics include them.">
                                    {move || format!("{} events not drawn", pane.coalesced.get())}
                                </span>
                            }.into_any())}
                        </div>
                    </div>
                    <Described page pane />
                    <crate::charts::figures::Headline metrics own ids=page.headline.into() />
                    <Legend pattern=pane.pattern />
                    <details class="recent"
                        on:focusin=move |_| pane.recent_frozen.set_value(true)
                        on:focusout=move |_| pane.recent_frozen.set_value(false)>
                        <summary>"Inspect a recent request"</summary>
                        <ul data-testid="recent">
                            {move || {
                                pane.recent
                                    .get()
                                    .into_iter()
                                    .map(|r| {
                                        let text = match r.wait {
                                            Some(w) => format!("#{} done, waited {}", r.req, crate::format::fmt_time(w)),
                                            None => format!("#{} failed", r.req),
                                        };
                                        view! {
                                            <li>
                                                <button class="link" on:click=move |_| pane.inspect(&page, r.req)>{text}</button>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    </details>
                </section>

                <section
                    class="charts"
                    aria-label="Live charts"
                    data-theory-wait-ms=move || {
                        theory.get().and_then(|t| t.mean_wait_ms).map(|w| format!("{w:.1}"))
                    }
                >
                    {(0..4).map(|i| view! { <ChartBox page pane i chart=chart_refs[i] hover /> }).collect_view()}
                </section>

                <section class="figures" aria-label="Figures">
                    <Figures metrics own />
                    <p class="theory" data-testid="theory">
                        {move || theory_text(theory.get(), &m())}
                    </p>
                    <p class="theory little" data-testid="little">
                        {move || little_text(in_system(), &m())}
                    </p>
                </section>
            </div>
        </article>
    }
    .into_any()
}

/// The run in words beside the stage: one sentence for the whole run and
/// one line per actor, refreshed at most once a second. Read by screen
/// readers always; shown on screen when the device's preference says so.
#[component]
fn Described(page: Page, pane: PaneState) -> impl IntoView {
    // The lines are rebuilt only when their number changes; each line's
    // text changes in place, so a reader's place in the list holds.
    let lines = Memo::new(move |_| pane.words.with(|w| w.actors.len()));
    let class = move || {
        if page.prefs.words_shown.get() {
            "words"
        } else {
            "words visually-hidden"
        }
    };
    view! {
        <section class=class aria-label=format!("Pane {} in words", pane.name()) data-testid="words">
            <p data-testid="words-overview">{move || pane.words.with(|w| w.overview.clone())}</p>
            <ul>
                {move || (0..lines.get()).map(|i| view! {
                    <li data-testid="words-actor">
                        {move || pane.words.with(|w| w.actors.get(i).map(|a| format!("{}: {}.", a.name, a.state)).unwrap_or_default())}
                    </li>
                }.into_any()).collect_view()}
            </ul>
        </section>
    }
}

/// One chart: its canvas, its takeaway line (which the canvas names as its
/// description) and its data as a table on demand, refreshed at most once
/// a second and left as it is while it has focus.
#[component]
fn ChartBox(
    page: Page,
    pane: PaneState,
    i: usize,
    chart: NodeRef<html::Canvas>,
    hover: impl Fn(usize, Option<f64>) + Copy + 'static,
) -> impl IntoView {
    let takeaway_id = format!("takeaway-{}-{i}", pane.id());
    let shown = Memo::new(move |_| pane.tables_shown.with(|t| t[i]));
    let toggle = move |_| {
        pane.tables_shown.update(|t| t[i] = !t[i]);
        crate::access::speech::refresh_charts(&pane);
    };
    let frozen = move |on: bool| pane.tables_frozen.update_value(|f| f[i] = on);
    view! {
        <figure class="chart-box">
            <canvas
                node_ref=chart
                class="chart"
                data-testid=CHART_IDS[i]
                role="img"
                data-label-px=move || format!("{:.1}", 11.0 * page.zoom.get())
                aria-label=CHART_LABELS[i]
                aria-describedby=takeaway_id.clone()
                on:mousemove=move |ev: leptos::ev::MouseEvent| hover(i, Some(ev.offset_x() as f64))
                on:mouseleave=move |_| hover(i, None)
            ></canvas>
            <figcaption class="takeaway" id=takeaway_id data-testid=format!("takeaway-{}", CHART_IDS[i])>
                {move || pane.charts.with(|c| c.takeaways[i].clone())}
            </figcaption>
            <button class="link table-toggle" data-testid=format!("table-toggle-{}", CHART_IDS[i])
                aria-expanded=move || shown.get().to_string() on:click=toggle>
                {move || if shown.get() { "Hide the table" } else { "Show as table" }}
            </button>
            {move || shown.get().then(|| view! {
                <div class="chart-table" tabindex="0" role="region"
                    aria-label=format!("{} table", crate::charts::pane_charts::CHARTS[i].title)
                    on:focusin=move |_| frozen(true) on:focusout=move |_| frozen(false)>
                    {move || pane.charts.with(|c| c.tables[i].clone()).map(|t| view! {
                        <table data-testid=format!("table-{}", CHART_IDS[i])>
                            <caption>{t.caption}</caption>
                            <thead><tr>{t.head.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {t.rows.into_iter().map(|r| {
                                    let mut cells = r.into_iter();
                                    let first = cells.next().unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row">{first}</th>
                                            {cells.map(|c| view! { <td>{c}</td> }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any())}
                </div>
            }.into_any())}
        </figure>
    }
}
