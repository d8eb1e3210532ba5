//! The smallest hydrated Leptos page: one button counting its clicks. Its
//! bundle is the floor that Switchboard's is measured against (README,
//! "The bundle's largest parts").

use leptos::prelude::*;

#[component]
fn Counter() -> impl IntoView {
    let clicks = RwSignal::new(0u32);
    view! {
        <button on:click=move |_| clicks.update(|n| *n += 1)>
            "Clicked " {move || clicks.get()} " times"
        </button>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(Counter);
}
