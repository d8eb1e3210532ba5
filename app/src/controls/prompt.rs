//! A scenario's predict-then-observe prompt: the class commits to an
//! answer before the run starts, then is told what to watch.

use leptos::prelude::*;

use crate::controls::modal::Modal;
use crate::controls::presets::Preset;
use crate::page::Page;

/// The preset's predict-then-observe prompt.
#[component]
pub fn Prompt(page: Page, preset: RwSignal<Option<&'static Preset>>) -> impl IntoView {
    let chosen = RwSignal::new(None::<&'static str>);
    view! {
        {move || preset.get().map(|p| {
            match chosen.get() {
                None => (view! {
                    <Modal labelledby="prompt-title" testid="prompt">
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
                            }.into_any()).collect_view()}
                        </div>
                    </Modal>
                }).into_any(),
                Some(c) => (view! {
                    <div class="observe" role="status" data-testid="observe">
                        <strong>"You predicted: "</strong>{c}
                        <br />
                        <strong>"Watch: "</strong>{p.watch}
                        <button aria-label="Dismiss" on:click=move |_| preset.set(None)>"×"</button>
                    </div>
                }).into_any(),
            }
        })}
    }
}
