//! The classroom: starting a class from the dashboard, the bar that shows
//! its join code, address, QR code and the students following, and the
//! follower's "following the teacher" / "Explore on my own" / "Back to the
//! class".
//!
//! A room is the server's (see `server::rooms`): this module only asks for
//! one, reads its description, and points the panes' sockets at it.

use leptos::prelude::*;
use sim::catalogue;
use wasm_bindgen::JsCast;

use crate::controls::modal::Modal;
use crate::json::{self, Json};
use crate::page::{navigate, Class, Page, Role};
use crate::url::PageSettings;

/// A JavaScript error as text.
pub fn js_text(e: wasm_bindgen::JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// `fetch(url)` with an optional JSON body; the response.
pub async fn fetch(
    method: &str,
    url: &str,
    json: Option<&str>,
) -> Result<web_sys::Response, String> {
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = json {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
        let headers = web_sys::Headers::new().map_err(js_text)?;
        headers
            .set("Content-Type", "application/json")
            .map_err(js_text)?;
        init.set_headers(&headers);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(js_text)?;
    Ok(JsFuture::from(window().fetch_with_request(&request))
        .await
        .map_err(js_text)?
        .unchecked_into())
}

/// Waits `ms` milliseconds on the browser's timer.
pub async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// `fetch(url)` with an optional JSON body: the status and the text.
pub async fn fetch_text(
    method: &str,
    url: &str,
    json: Option<&str>,
) -> Result<(u16, String), String> {
    let response = fetch(method, url, json).await?;
    let text = wasm_bindgen_futures::JsFuture::from(response.text().map_err(js_text)?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// Turns the page's panes, as they run now, into a room and opens it as
/// its presenter (the server sets the presenter cookie).
pub fn start_class(page: Page) {
    let panes = page.panes();
    let seed = page.seed.get_untracked();
    let body = json::Object::new()
        .str("link", &page.query())
        .raw(
            "recipes",
            &json::array(panes.iter().map(|p| json::recipe(&p.recipe(seed)))),
        )
        .bool("playing", page.playing.get_untracked())
        .opt_str("preset", page.scenario.get_untracked())
        .done();
    page.notice.set(Some("Starting the class…".into()));
    leptos::task::spawn_local(async move {
        match fetch_text("POST", "/api/rooms", Some(&body)).await {
            Ok((201, text)) => {
                let code = Json::parse(&text).and_then(|v| v.get("code").str());
                match code {
                    Some(code) => navigate(&format!("room={code}")),
                    None => page
                        .notice
                        .set(Some("The server did not say the class's code.".into())),
                }
            }
            Ok((_, text)) => page
                .notice
                .set(Some(format!("The class could not start: {text}"))),
            Err(e) => page
                .notice
                .set(Some(format!("The class could not start: {e}"))),
        }
    });
}

/// A room's description as the page needs it: its panes (as link
/// settings), whether this browser is its presenter, and its scenario.
pub async fn load_room(
    code: &str,
) -> Result<
    (
        PageSettings,
        bool,
        Option<&'static crate::controls::presets::Preset>,
    ),
    String,
> {
    let (status, text) = fetch_text("GET", &format!("/api/rooms/{code}"), None).await?;
    if status == 404 {
        return Err(format!(
            "There is no class with the code {code}: it has ended, or the code is mistyped."
        ));
    }
    if status != 200 {
        return Err(text);
    }
    let v = Json::parse(&text).ok_or("the server's description of the class is not JSON")?;
    // Each pane as its dashboard link (pattern, seed, values), read by the
    // parser that reads the page's own link: exact seeds, checked values.
    let mut panes = Vec::new();
    let mut seed = 1;
    for p in v.get("panes").items().unwrap_or_default() {
        let link = p.get("link").str().unwrap_or_default();
        let mut settings = crate::url::parse(&link, catalogue()[0]);
        seed = settings.seed;
        panes.append(&mut settings.panes);
    }
    if panes.is_empty() {
        return Err("the class has no panes".into());
    }
    Ok((
        PageSettings {
            panes,
            seed,
            preset: None,
            problems: Vec::new(),
            room: Some(code.to_string()),
            fork: None,
            at: None,
            bookmarks: Vec::new(),
            real: None,
        },
        v.get("presenter").bool().unwrap_or(false),
        v.get("preset")
            .str()
            .as_deref()
            .and_then(crate::controls::presets::find),
    ))
}

/// What the class bar shows of the room, refreshed every few seconds.
#[derive(Clone, Debug, Default, PartialEq)]
struct RoomState {
    followers: u64,
    answered: u64,
    /// Counts per choice: the presenter's always, everyone's once revealed.
    answers: Option<Vec<u64>>,
    revealed: bool,
    joining_open: bool,
    /// What this page's ballot chose, if it has answered (a reload keeps
    /// the student's answer instead of asking again).
    mine: Option<usize>,
}

fn read_state(text: &str) -> Option<RoomState> {
    let v = Json::parse(text)?;
    Some(RoomState {
        followers: v.get("followers").u64().unwrap_or(0),
        answered: v.get("answered").u64().unwrap_or(0),
        answers: v
            .get("answers")
            .items()
            .map(|a| a.iter().map(|n| n.u64().unwrap_or(0)).collect()),
        revealed: v.get("revealed").bool().unwrap_or(false),
        joining_open: v.get("joining_open").bool().unwrap_or(true),
        mine: v.get("mine").u64().map(|n| n as usize),
    })
}

/// Posts a presenter's or a student's change to the room.
fn post(page: Page, url: String, body: String) {
    leptos::task::spawn_local(async move {
        match fetch_text("POST", &url, Some(&body)).await {
            Ok((s, _)) if s < 300 => {}
            Ok((_, text)) => page.notice.set(Some(text)),
            Err(e) => page.notice.set(Some(e)),
        }
    });
}

/// The class's answers as bars, next to the question's choices.
#[component]
fn Reveal(choices: &'static [&'static str], counts: Vec<u64>) -> impl IntoView {
    let total = counts.iter().sum::<u64>().max(1);
    view! {
        <div class="reveal" data-testid="reveal-chart" aria-label="The class's predictions">
            {choices
                .iter()
                .zip(counts)
                .map(|(c, n)| {
                    let width = format!("width: {:.0}%", n as f64 * 100.0 / total as f64);
                    view! {
                        <div class="reveal-row">
                            <span class="reveal-choice">{*c}</span>
                            <span class="reveal-bar"><span class="reveal-fill" style=width></span></span>
                            <span class="reveal-count" data-testid="reveal-count">{n}</span>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// The class bar under the header: for the presenter the join code, the
/// join address, its QR code, the number of students following and
/// answering, "Reveal answers" and "Lock joining"; for a student
/// "following the teacher", the scenario's question to answer, the class's
/// answers once revealed, and "Explore on my own"; for an explorer "Back
/// to the class".
#[component]
pub fn ClassBar(page: Page) -> impl IntoView {
    let state = RwSignal::new(RoomState::default());
    let mine = RwSignal::new(None::<usize>);
    Effect::new(move |_| {
        let Some(Class { code, role }) = page.class.get() else {
            return;
        };
        if role == Role::Explorer {
            return;
        }
        let poll = move || {
            let code = code.clone();
            leptos::task::spawn_local(async move {
                if let Ok((200, text)) =
                    fetch_text("GET", &format!("/api/rooms/{code}"), None).await
                {
                    if let Some(st) = read_state(&text) {
                        if let (None, Some(m)) = (mine.get_untracked(), st.mine) {
                            mine.set(Some(m));
                        }
                        if state.get_untracked() != st {
                            state.set(st);
                        }
                    }
                }
            });
        };
        poll();
        let _ = set_interval_with_handle(poll, std::time::Duration::from_secs(2));
    });
    let scenario = move || page.scenario.get().and_then(crate::controls::presets::find);
    move || {
        page.class.get().map(|c| {
            let host = window().location().host().unwrap_or_default();
            let code = c.code.clone();
            match c.role {
                Role::Presenter => {
                    let join = format!("{host}/join/{}", c.code);
                    // Revealing and locking both steer the room.
                    let lock_url = format!("/api/rooms/{code}/steer");
                    let reveal_url = lock_url.clone();
                    let asks = Memo::new(move |_| scenario().is_some());
                    (view! {
                        <div class="class-bar presenter" data-testid="class-bar">
                            <span class="class-label">"Class"</span>
                            <strong class="class-code" data-testid="class-code">{c.code.clone()}</strong>
                            <span class="class-join">"Join at "<strong data-testid="join-url">{join}</strong></span>
                            <img class="class-qr" data-testid="class-qr" alt="QR code of the join address"
                                src=format!("/api/rooms/{}/qr.svg", c.code) />
                            <span class="class-followers" data-testid="followers">
                                {move || format!("{} following", state.get().followers)}
                            </span>
                            {move || asks.get().then(|| view! {
                                <span data-testid="answered">{move || format!("{} answered", state.get().answered)}</span>
                                <button data-testid="reveal" disabled=move || state.get().revealed
                                    on:click={let u = reveal_url.clone(); move |_| post(page, u.clone(), r#"{"reveal":true}"#.into())}>"Reveal answers"</button>
                            }.into_any())}
                            <button data-testid="lock" aria-pressed=move || (!state.get().joining_open).to_string()
                                on:click={let u = lock_url.clone(); move |_| {
                                    let open = !state.get_untracked().joining_open;
                                    post(page, u.clone(), format!(r#"{{"joining_open":{open}}}"#));
                                }}>
                                {move || if state.get().joining_open { "Lock joining" } else { "Open joining" }}
                            </button>
                            {move || scenario().zip(state.get().answers.filter(|_| state.get().revealed)).map(|(p, counts)| view! { <Reveal choices=p.choices counts /> }.into_any())}
                        </div>
                    }
                    ).into_any()
                }
                Role::Follower => {
                    let answer_url = format!("/api/rooms/{code}/answer");
                    // Rebuilt only when it flips: the room's state comes
                    // every two seconds, and a rebuilt dialog would throw
                    // the student's focus away mid-answer.
                    let asking = Memo::new(move |_| mine.get().is_none() && !state.with(|s| s.revealed));
                    (view! {
                        <div class="class-bar follower" data-testid="class-bar">
                            <span data-testid="following">{format!("Following the teacher · class {}", c.code)}</span>
                            <button data-testid="explore" title="A private copy of the class as it is now, yours to change"
                                on:click=move |_| navigate(&format!(
                                    "fork={code}{}",
                                    crate::url::history_query(&[], &page.clock.bookmarks.get_untracked())
                                ))>"Explore on my own"</button>
                            <button data-testid="hold" aria-pressed=move || page.held.get().to_string()
                                title="Hold your own view still while the class goes on (Space); the class is not paused"
                                on:click=move |_| page.held.update(|h| *h = !*h)>
                                {move || if page.held.get() { "▶ Back to live" } else { "❚❚ Pause my view" }}
                            </button>
                            <DescribeNow page />
                            {move || mine.get().zip(scenario()).map(|(i, p)| view! {
                                <span data-testid="my-prediction">{format!("You predicted: {}", p.choices.get(i).copied().unwrap_or(""))}</span>
                            }.into_any())}
                            {move || scenario().zip(state.get().answers.filter(|_| state.get().revealed)).map(|(p, counts)| view! { <Reveal choices=p.choices counts /> }.into_any())}
                        </div>
                        {move || asking.get().then(&scenario).flatten().map(|p| {
                            let url = answer_url.clone();
                            view! {
                                <Modal labelledby="class-predict-title" testid="class-predict">
                                    <p class="eyebrow">"Predict, then observe"</p>
                                    <h2 id="class-predict-title">{p.title}</h2>
                                    <p class="question">{p.question}</p>
                                    <div class="choices">
                                        {p.choices.iter().enumerate().map(|(i, c)| {
                                            let url = url.clone();
                                            view! {
                                                <button class="choice" on:click=move |_| {
                                                    mine.set(Some(i));
                                                    post(page, url.clone(), format!(r#"{{"choice":{i}}}"#));
                                                }>{*c}</button>
                                            }
                                        }).collect_view()}
                                    </div>
                                </Modal>
                            }
                        })}
                    }
                    ).into_any()
                }
                Role::Explorer => (view! {
                    <div class="class-bar explorer" data-testid="class-bar">
                        <span data-testid="exploring">{format!("Exploring on my own · class {}", c.code)}</span>
                        <button data-testid="back-to-class" on:click=move |_| navigate(&format!("room={code}"))>"Back to the class"</button>
                    </div>
                }
                ).into_any(),
            }
        })
    }
}

/// "Describe now": every pane as it stands, said at once (also the D key).
#[component]
pub fn DescribeNow(page: Page) -> impl IntoView {
    view! {
        <button data-testid="describe-now" title="Say how the run stands now, in words (D)"
            on:click=move |_| page.voice.answer(crate::access::speech::describe_now(&page))>"Describe now"</button>
    }
}
