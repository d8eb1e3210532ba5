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

use crate::page::{Class, Page, Role};
use crate::url::{PageSettings, PaneSettings};

/// `fetch(url)` with an optional JSON body: the status and the text.
pub async fn fetch_text(
    method: &str,
    url: &str,
    json: Option<&str>,
) -> Result<(u16, String), String> {
    use wasm_bindgen_futures::JsFuture;
    let js = |e: wasm_bindgen::JsValue| e.as_string().unwrap_or_else(|| format!("{e:?}"));
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = json {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
        let headers = web_sys::Headers::new().map_err(js)?;
        headers
            .set("Content-Type", "application/json")
            .map_err(js)?;
        init.set_headers(&headers);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(js)?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
        .await
        .map_err(js)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(js)?)
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
    let body = serde_json::json!({
        "link": page.query(),
        "recipes": panes.iter().map(|p| p.recipe(seed)).collect::<Vec<_>>(),
        "playing": page.playing.get_untracked(),
    })
    .to_string();
    page.notice.set(Some("Starting the class…".into()));
    leptos::task::spawn_local(async move {
        match fetch_text("POST", "/api/rooms", Some(&body)).await {
            Ok((201, text)) => {
                let code = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_owned));
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

fn navigate(query: &str) {
    let _ = window().location().set_search(query);
}

/// A room's description as the page needs it: its panes (as link
/// settings) and whether this browser is its presenter.
pub async fn load_room(code: &str) -> Result<(PageSettings, bool), String> {
    let (status, text) = fetch_text("GET", &format!("/api/rooms/{code}"), None).await?;
    if status == 404 {
        return Err(format!(
            "There is no class with the code {code}: it has ended, or the code is mistyped."
        ));
    }
    if status != 200 {
        return Err(text);
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut panes = Vec::new();
    let mut seed = 1;
    for p in v["panes"].as_array().cloned().unwrap_or_default() {
        let info = sim::find_pattern(p["pattern"].as_str().unwrap_or("")).unwrap_or(catalogue()[0]);
        let mut set = info.defaults();
        if let Some(params) = p["params"].as_object() {
            for (k, val) in params {
                let text = match val {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let _ = set.set_str(k, &text);
            }
        }
        seed = p["seed"].as_u64().unwrap_or(seed);
        panes.push(PaneSettings {
            info,
            values: set.values().to_vec(),
        });
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
        },
        v["presenter"].as_bool().unwrap_or(false),
    ))
}

/// The class bar under the header: for the presenter the join code, the
/// join address, its QR code and the number of students following; for a
/// student "following the teacher" and "Explore on my own"; for an
/// explorer "Back to the class".
#[component]
pub fn ClassBar(page: Page) -> impl IntoView {
    let followers = RwSignal::new(0u64);
    // The presenter sees the class fill up (every 3 s).
    Effect::new(move |_| {
        let Some(Class {
            code,
            role: Role::Presenter,
        }) = page.class.get()
        else {
            return;
        };
        let poll = move || {
            let code = code.clone();
            leptos::task::spawn_local(async move {
                if let Ok((200, text)) =
                    fetch_text("GET", &format!("/api/rooms/{code}"), None).await
                {
                    if let Some(n) = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["followers"].as_u64())
                    {
                        followers.set(n);
                    }
                }
            });
        };
        poll();
        let _ = set_interval_with_handle(poll, std::time::Duration::from_secs(3));
    });
    move || {
        page.class.get().map(|c| {
            let host = window().location().host().unwrap_or_default();
            match c.role {
                Role::Presenter => {
                    let join = format!("{host}/join/{}", c.code);
                    view! {
                        <div class="class-bar presenter" data-testid="class-bar">
                            <span class="class-label">"Class"</span>
                            <strong class="class-code" data-testid="class-code">{c.code.clone()}</strong>
                            <span class="class-join">"Join at "<strong data-testid="join-url">{join}</strong></span>
                            <img class="class-qr" data-testid="class-qr" alt="QR code of the join address"
                                src=format!("/api/rooms/{}/qr.svg", c.code) />
                            <span class="class-followers" data-testid="followers" role="status">
                                {move || format!("{} following", followers.get())}
                            </span>
                        </div>
                    }
                    .into_any()
                }
                Role::Follower => {
                    let code = c.code.clone();
                    view! {
                        <div class="class-bar follower" data-testid="class-bar" role="status">
                            <span data-testid="following">{format!("Following the teacher · class {}", c.code)}</span>
                            <button data-testid="explore" title="A private copy of the class as it is now, yours to change"
                                on:click=move |_| navigate(&format!("fork={code}"))>"Explore on my own"</button>
                        </div>
                    }
                    .into_any()
                }
                Role::Explorer => {
                    let code = c.code.clone();
                    view! {
                        <div class="class-bar explorer" data-testid="class-bar" role="status">
                            <span data-testid="exploring">{format!("Exploring on my own · class {}", c.code)}</span>
                            <button data-testid="back-to-class" on:click=move |_| navigate(&format!("room={code}"))>"Back to the class"</button>
                        </div>
                    }
                    .into_any()
                }
            }
        })
    }
}
