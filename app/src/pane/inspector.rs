//! The message inspector: one conversation as a sequence diagram.
//!
//! Clicking a dot (or a request in the recent list) collects every event of
//! its request from the pane's log — the request, queueing, service, the
//! answer, timeouts, retries, duplicates, drops — and draws them as rows
//! with virtual timestamps between lanes, one lane per node involved. The
//! stage rings that conversation's dots while the inspector is open.

use leptos::prelude::*;
use sim::event::{Event, What};
use sim::time::Time;
use sim::topology::{NodeId, Topology};

use crate::format::fmt_time;
use crate::stage::palette::Hue;

/// What one row of the diagram shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A message from one lane to another (`lost`: it never arrives).
    Arrow {
        from: usize,
        to: usize,
        label: String,
        lost: bool,
        arrive: Time,
    },
    /// Something that happened at one lane.
    Note {
        lane: usize,
        text: String,
        bad: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub at: Time,
    pub step: Step,
}

/// Where a conversation's events came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// The events this page was sent and still holds (`sampled`: one
    /// conversation in so many is sent whole).
    Page { sampled: u64 },
    /// As `Page`, while the server recomputes the whole story.
    Fetching { sampled: u64 },
    /// Recomputed by the server: every event up to the moment shown.
    Whole,
    /// Recomputed by the server up to this moment only (its budget for one
    /// story ran out).
    Until(Time),
}

impl Source {
    /// The line under the inspector's title, if there is anything to say.
    pub fn text(self) -> Option<String> {
        match self {
            Source::Page { sampled: 1 } => None,
            Source::Page { sampled } => Some(format!(
                "From the events this page was sent: one conversation in {sampled} is sent whole, so steps of this one may be missing."
            )),
            Source::Fetching { .. } => {
                Some("Asking the server for the whole story…".to_string())
            }
            Source::Whole => Some(
                "The whole story, recomputed by the server: every step up to the moment shown."
                    .to_string(),
            ),
            Source::Until(t) => Some(format!(
                "Told up to {}: the server recomputes at most a million steps of the run for one story.",
                crate::describe::words::clock(sim::time::to_secs(t))
            )),
        }
    }
}

/// One request's story.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    /// Which pane it came from.
    pub pane: usize,
    /// Whose story it is (the server's answer finds its conversation by it).
    pub subject: Option<sim::story::Subject>,
    pub source: Source,
    /// What it is the story of ("Request #12", "Message #40").
    pub title: String,
    pub lanes: Vec<String>,
    pub rows: Vec<Row>,
    /// The messages it sent, in order (what a real pane asks the bytes of).
    pub msgs: Vec<sim::event::MsgId>,
    /// A real run's conversation: what crossed the socket, message by
    /// message (`None`: a model's, or not asked yet).
    pub bytes: Option<Wire>,
}

/// Most messages whose bytes one conversation asks for (the server's
/// limit for one request).
pub const MAX_ASKED: usize = 64;

/// What a real conversation's messages were on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    /// Asked of the server.
    Asking,
    /// Each message the tapped connections carried, with its bytes.
    Bytes(Vec<(sim::event::MsgId, String)>),
    /// Why there are none, in words.
    None(String),
}

impl Conversation {
    /// Builds the diagram from a request's events (see
    /// [`crate::stage::playback::Playback::conversation`]).
    pub fn build(pane: usize, title: String, events: &[Event], topo: &Topology) -> Conversation {
        let mut nodes: Vec<NodeId> = Vec::new();
        let lane = |n: NodeId, nodes: &mut Vec<NodeId>| {
            nodes.iter().position(|&x| x == n).unwrap_or_else(|| {
                nodes.push(n);
                nodes.len() - 1
            })
        };
        let mut rows = Vec::new();
        let mut msgs = Vec::new();
        for e in events {
            if let What::Sent { msg, .. } = e.what {
                if !msgs.contains(&msg) {
                    msgs.push(msg);
                }
            }
            let step = match e.what {
                What::Sent {
                    kind,
                    link,
                    arrive_at,
                    lost,
                    ..
                } => {
                    let Some(l) = topo.links.get(link as usize) else {
                        continue;
                    };
                    let (from, to) = (lane(l.from, &mut nodes), lane(l.to, &mut nodes));
                    Step::Arrow {
                        from,
                        to,
                        label: kind.label().to_string(),
                        lost,
                        arrive: arrive_at,
                    }
                }
                What::Offered { node, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: "wants it".into(),
                    bad: false,
                },
                What::Queued { node, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: "queued".into(),
                    bad: false,
                },
                What::Started { node, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: "work starts".into(),
                    bad: false,
                },
                What::Served { node, wasted, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: if wasted {
                        "work done — wasted (nobody waits / duplicate)".into()
                    } else {
                        "work done".into()
                    },
                    bad: wasted,
                },
                What::Delivered { node, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: "arrives".into(),
                    bad: false,
                },
                What::Dropped { node, reason, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: format!("dropped: {}", reason.story()),
                    bad: true,
                },
                What::TimedOut { node, attempt, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: format!("timed out (attempt {})", attempt + 1),
                    bad: true,
                },
                What::Completed { node, wait, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: format!("done — waited {}", fmt_time(wait)),
                    bad: false,
                },
                What::Failed { node, reason, .. } => Step::Note {
                    lane: lane(node, &mut nodes),
                    text: reason.story().into(),
                    bad: true,
                },
                What::Breakdown {
                    network,
                    queue,
                    service,
                    ..
                } => Step::Note {
                    lane: 0,
                    text: format!(
                        "network {} · queue {} · service {}",
                        fmt_time(network),
                        fmt_time(queue),
                        fmt_time(service)
                    ),
                    bad: false,
                },
                _ => continue,
            };
            rows.push(Row { at: e.at, step });
        }
        Conversation {
            pane,
            subject: None,
            source: Source::Page { sampled: 1 },
            title,
            lanes: nodes
                .iter()
                .map(|&n| {
                    topo.nodes
                        .get(n as usize)
                        .map_or_else(|| format!("node {n}"), |x| x.label.clone())
                })
                .collect(),
            rows,
            msgs,
            bytes: None,
        }
    }
}

const ROW_H: f64 = 26.0;
const TIME_W: f64 = 92.0;
const LANE_W: f64 = 150.0;
const HEAD_H: f64 = 34.0;

/// One row of the story in words: "+12.0 ms: client 1 → service: request,
/// arrives after 10.0 ms", "+22.0 ms at service: work starts".
pub fn row_text(c: &Conversation, r: &Row, t0: Time) -> String {
    let lane = |i: usize| c.lanes.get(i).cloned().unwrap_or_default();
    let stamp = format!("+{}", fmt_time(r.at - t0));
    match &r.step {
        Step::Arrow {
            from,
            to,
            label,
            lost,
            arrive,
        } => {
            let fate = if *lost {
                "lost on the way".to_string()
            } else {
                format!("arrives after {}", fmt_time(arrive - r.at))
            };
            format!("{stamp}: {} → {}: {label}, {fate}", lane(*from), lane(*to))
        }
        Step::Note { lane: l, text, .. } => format!("{stamp} at {}: {text}", lane(*l)),
    }
}

/// The inspector panel: the diagram, and the same story in words. Opened
/// by the reader, it takes the focus (its heading) and gives it back when
/// it closes; opened by the teacher on a follower's page, it leaves the
/// focus where the student has it.
#[component]
pub fn Inspector(
    conversation: RwSignal<Option<Conversation>>,
    #[prop(into)] pane_names: Signal<Vec<String>>,
    /// Following a class: the teacher opens it, not the reader.
    #[prop(into)]
    following: Signal<bool>,
) -> impl IntoView {
    let open = Memo::new(move |_| conversation.with(Option::is_some));
    let close = move |_| conversation.set(None);
    let heading = NodeRef::<leptos::html::H2>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |was: Option<bool>| {
        let now = open.get();
        if now && was != Some(true) && !following.get_untracked() {
            use wasm_bindgen::JsCast;
            opener.set_value(
                document()
                    .active_element()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
            );
            // The heading exists once this effect's render has run.
            request_animation_frame(move || {
                if let Some(h) = heading.get_untracked() {
                    let _ = h.focus();
                }
            });
        } else if !now && was == Some(true) {
            if let Some(o) = opener.get_value().filter(|o| o.is_connected()) {
                let _ = o.focus();
            }
            opener.set_value(None);
        }
        now
    });
    // The heading and the body stay put when the story is replaced (the
    // server's whole story arriving): the focus stays where it is.
    let title = move || {
        conversation.with(|c| {
            c.as_ref().map(|c| {
                format!(
                    "{} · pane {} · {} events",
                    c.title,
                    pane_names.get().get(c.pane).cloned().unwrap_or_default(),
                    c.rows.len()
                )
            })
        })
    };
    let source = move || {
        conversation
            .with(|c| c.as_ref().and_then(|c| c.source.text()))
            .map(|t| view! { <p class="inspector-source" data-testid="inspector-source">{t}</p> })
    };
    let body = move || {
        conversation.get().map(|c| {
            let t0 = c.rows.first().map_or(0, |r| r.at);
            let story: Vec<String> = c.rows.iter().map(|r| row_text(&c, r, t0)).collect();
            view! {
                {diagram(&c)}
                <h3 class="story-title">"In words"</h3>
                <ol class="story" data-testid="inspector-story">
                    {story.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                </ol>
                {c.bytes.clone().map(wire)}
            }
        })
    };
    view! {
        {move || open.get().then(|| view! {
            <aside class="inspector" role="dialog" aria-labelledby="inspector-title" data-testid="inspector">
                <header class="inspector-head">
                    <h2 id="inspector-title" tabindex="-1" node_ref=heading>{title}</h2>
                    <button aria-label="Close the inspector" data-testid="inspector-close" on:click=close>"×"</button>
                </header>
                <div role="status" class="inspector-status">{source}</div>
                <div class="inspector-body" tabindex="0" role="region" aria-label="The conversation">
                    {body}
                </div>
            </aside>
        }.into_any())}
    }
}

/// A real conversation's messages as they crossed the socket.
fn wire(w: Wire) -> impl IntoView {
    let body = match w {
        Wire::Asking => view! { <p>"Asking the server for the bytes…"</p> }.into_any(),
        Wire::None(why) => view! { <p data-testid="inspector-no-bytes">{why}</p> }.into_any(),
        Wire::Bytes(list) => list
            .into_iter()
            .map(|(m, text)| {
                view! {
                    <h4>{format!("Message #{m}")}</h4>
                    <pre tabindex="0" aria-label=format!("Message {m} as it crossed the socket")>{text}</pre>
                }
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <section class="inspector-wire" data-testid="inspector-bytes" aria-label="On the wire">
            <h3 class="story-title">"On the wire"</h3>
            <p class="inspector-source">"The real bytes, as the connections the run taps (its first eight, 32 KiB each way; a broker's one) carried them: HTTP lines end in CR LF; a WebSocket frame's header is in hex, its payload unmasked; a NATS frame shows its subject, reply subject and payload, and a JetStream delivery which delivery it is."</p>
            {body}
        </section>
    }
}

fn diagram(c: &Conversation) -> impl IntoView {
    let n = c.lanes.len().max(1);
    // Room on the right for the last lane's notes.
    let width = TIME_W + LANE_W * n as f64 + 300.0;
    let height = HEAD_H + ROW_H * (c.rows.len() as f64 + 1.0);
    let x = |lane: usize| TIME_W + LANE_W * (lane as f64 + 0.5);
    let t0 = c.rows.first().map_or(0, |r| r.at);
    let lanes = c
        .lanes
        .iter()
        .enumerate()
        .map(|(i, name)| {
            view! {
                <g>
                    <text x=x(i) y="16" text-anchor="middle" class="lane-name">{name.clone()}</text>
                    <line x1=x(i) x2=x(i) y1="24" y2=height class="lifeline" stroke-width="2" />
                </g>
            }
        })
        .collect_view();
    let rows = c
        .rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let y = HEAD_H + ROW_H * (k as f64 + 0.5);
            let stamp = format!("+{}", fmt_time(r.at - t0));
            let body = match &r.step {
                Step::Arrow {
                    from,
                    to,
                    label,
                    lost,
                    arrive,
                } => {
                    let (x1, x2) = (x(*from), x(*to));
                    let dir = if x2 >= x1 { 1.0 } else { -1.0 };
                    let tip = x2 - dir * 6.0;
                    let head = format!(
                        "{tip},{} {x2},{y} {tip},{}",
                        y - 4.0,
                        y + 4.0
                    );
                    let colour = if *lost { Hue::Vermillion } else { Hue::Blue };
                    let (stroke, fill) = (format!("stroke: {}", colour.var()), format!("fill: {}", colour.var()));
                    let text = format!(
                        "{label}{} · {}",
                        if *lost { " (lost)" } else { "" },
                        fmt_time(arrive - r.at)
                    );
                    (view! {
                        <g class="arrow">
                            <line x1=x1 x2=tip y1=y y2=y style=stroke stroke-width="2" stroke-dasharray=if *lost { "5 4" } else { "" } />
                            <polygon points=head style=fill />
                            <text x=(x1 + x2) / 2.0 y=y - 5.0 text-anchor="middle" class="arrow-label">{text}</text>
                        </g>
                    }
                    ).into_any()
                }
                Step::Note { lane, text, bad } => {
                    let fill = if *bad { format!("fill: {}", Hue::Vermillion.var()) } else { "fill: var(--ink)".to_string() };
                    (view! {
                        <g class="note">
                            <circle cx=x(*lane) cy=y r="4" style=fill.clone() />
                            <text x=x(*lane) + 8.0 y=y + 4.0 style=fill class="note-text">{text.clone()}</text>
                        </g>
                    }
                    ).into_any()
                }
            };
            view! {
                <g data-testid="inspector-row">
                    <text x="4" y=y + 4.0 class="stamp">{stamp}</text>
                    {body}
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="sequence" width=width height=height viewBox=format!("0 0 {width} {height}") role="img" aria-label="Sequence diagram of the conversation; its steps are listed in words below it">
            {lanes}
            {rows}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::playback::tests::{run_ticks, run_ticks_of};

    #[test]
    fn a_request_response_conversation_reads_in_order() {
        let (pb, sim) = run_ticks(60);
        let done = pb
            .recent
            .iter()
            .find(|r| r.wait.is_some())
            .expect("some request completed in two seconds");
        let events = pb.conversation(done.req);
        let c = Conversation::build(0, format!("Request #{}", done.req), &events, sim.topology());
        let texts: Vec<String> = c
            .rows
            .iter()
            .map(|r| match &r.step {
                Step::Arrow { label, .. } => format!("→{label}"),
                Step::Note { text, .. } => text.clone(),
            })
            .collect();
        assert_eq!(
            texts.first().map(String::as_str),
            Some("wants it"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "work starts"), "{texts:?}");
        assert!(
            texts.iter().filter(|t| t.starts_with('→')).count() >= 2,
            "{texts:?}"
        );
        assert!(
            texts.last().unwrap().starts_with("done — waited"),
            "{texts:?}"
        );
        assert!(c.lanes.len() >= 2, "client and service: {:?}", c.lanes);
        assert!(c.rows.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn a_polled_update_shows_the_answer_that_brought_it() {
        let (pb, sim) = run_ticks_of("short-polling", 150);
        let done = pb
            .recent
            .iter()
            .find(|r| r.wait.is_some())
            .expect("some update reached a client in five seconds");
        let c = Conversation::build(
            0,
            format!("Request #{}", done.req),
            &pb.conversation(done.req),
            sim.topology(),
        );
        let arrow = c.rows.iter().find_map(|r| match &r.step {
            Step::Arrow {
                from, to, label, ..
            } => Some((c.lanes[*from].clone(), c.lanes[*to].clone(), label.clone())),
            _ => None,
        });
        let (from, to, _) = arrow.expect("the answer is drawn");
        assert_eq!(from, "server");
        assert!(to.starts_with("client"), "{to}");
        assert!(c
            .rows
            .iter()
            .any(|r| matches!(&r.step, Step::Note { text, .. } if text == "arrives")));
    }

    #[test]
    fn a_poll_answer_shows_what_it_delivered() {
        let (pb, sim) = run_ticks_of("short-polling", 150);
        // An answer with news that has already arrived.
        let msg = pb
            .recent
            .iter()
            .find(|r| r.wait.is_some())
            .and_then(|r| {
                pb.conversation(r.req).iter().find_map(|e| match e.what {
                    What::Sent {
                        msg,
                        kind: sim::MsgKind::Response,
                        ..
                    } => Some(msg),
                    _ => None,
                })
            })
            .expect("an answer brought an update");
        let c = Conversation::build(
            0,
            format!("Message #{msg}"),
            &pb.message_story(msg),
            sim.topology(),
        );
        assert!(matches!(c.rows[0].step, Step::Arrow { .. }), "{:?}", c.rows);
        assert!(
            c.rows.iter().any(
                |r| matches!(&r.step, Step::Note { text, .. } if text.starts_with("done — waited"))
            ),
            "{:?}",
            c.rows
        );
    }
}
