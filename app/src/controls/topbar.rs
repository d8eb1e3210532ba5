//! The page's top bar: scenarios, "+ Compare", projector mode, joining or
//! starting a class, the parameters drawer and the help.

use leptos::prelude::*;

use crate::controls::presets::{self, PRESETS};
use crate::page::{navigate, Page};
use crate::pane::state::PaneState;
use crate::url::{page_query, with_companion, MAX_PANES};

#[component]
pub fn TopBar(
    page: Page,
    panes: RwSignal<Vec<PaneState>>,
    projector: RwSignal<bool>,
    drawer: RwSignal<bool>,
    help: RwSignal<bool>,
) -> impl IntoView {
    // A class code typed into the header to join a class.
    let join_code = RwSignal::new(String::new());
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
        let extra = sim::find_pattern(first.lesson.companion).unwrap_or(first);
        let panes = with_companion(&panes, extra);
        navigate(&page_query(&panes, page.seed.get_untracked()));
    };
    let no_class = Memo::new(move |_| page.class.with(Option::is_none));
    // On a narrow screen the controls fold into a menu under this button.
    let menu = RwSignal::new(false);
    // The scenario picked, opened with "Open".
    let scenario = RwSignal::new(None::<&'static str>);
    view! {
            <header class="topbar" class:menu-open=move || menu.get()>
                <h1>"Switchboard"</h1>
                <span class="subtitle">"a live lab for API communication patterns"</span>
                <button class="menu-button" data-testid="menu-button" aria-expanded=move || menu.get().to_string()
                    aria-controls="topbar-menu" on:click=move |_| menu.update(|m| *m = !*m)>"Menu"</button>
                <div class="topbar-menu" id="topbar-menu">
                // A class's panes are fixed: what would change them is
                // absent, not greyed out.
                {move || no_class.get().then(|| view! {
                // Choosing a scenario only picks it; "Open" loads it (a
                // select that navigated on change would leave the page under
                // a keyboard user arrowing through it: WCAG 3.2.2).
                <form class="presets-form" on:submit=move |ev| {
                    ev.prevent_default();
                    if let Some(p) = scenario.get_untracked().and_then(presets::find) {
                        navigate(&format!("preset={}&{}", p.id, p.query));
                    }
                }>
                    <label class="presets">
                        <span class="visually-hidden">"Scenario"</span>
                        <select
                            data-testid="presets"
                            aria-label="Classroom scenario"
                            on:change=move |ev| {
                                let id = event_target_value(&ev);
                                scenario.set(presets::find(&id).map(|p| p.id));
                            }
                        >
                            <option value="" selected>"Scenarios…"</option>
                            {PRESETS.iter().map(|p| view! { <option value=p.id>{p.title}</option> }.into_any()).collect_view()}
                        </select>
                    </label>
                    <button type="submit" data-testid="open-preset" disabled=move || scenario.with(Option::is_none)>"Open"</button>
                </form>
                <button data-testid="compare" title="Add a pane: the same workload through another pattern"
                    disabled=move || panes.with(|p| p.len() >= MAX_PANES) on:click=compare>"+ Compare"</button>
                }.into_any())}
                <button data-testid="projector" aria-pressed=move || projector.get().to_string() title="Projector mode: large type, high contrast (P)"
                    on:click=move |_| projector.update(|p| *p = !*p)>"Projector"</button>
                {move || no_class.get().then(|| view! {
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
                }.into_any())}
                <button data-testid="drawer-button" class="drawer-button" aria-expanded=move || drawer.get().to_string()
                    aria-controls="parameters" title="Parameters (S); Esc closes"
                    on:click=move |_| drawer.update(|d| *d = !*d)>"Parameters"</button>
                <button data-testid="help-button" title="Keyboard shortcuts and accessibility settings (?)" aria-label="Keyboard and accessibility" on:click=move |_| help.set(true)>"?"</button>
                </div>
            </header>
    }
}
