//! The pattern's explanation along the lecture's three axes.

use leptos::prelude::*;
use sim::PatternInfo;

#[component]
pub fn Explanation(info: &'static PatternInfo, pane: &'static str) -> impl IntoView {
    let title = format!("explain-title-{pane}");
    let labelled = title.clone();
    view! {
        <section class="panel explain" aria-labelledby=labelled>
            <h2 id=title data-testid="pattern">{info.lesson.name}</h2>
            <p class="question">{format!("“{}”", info.lesson.question)}</p>
            <dl class="axes">
                <dt>"Response timing"</dt>
                <dd>{info.lesson.timing}</dd>
                <dt>"Interaction flow"</dt>
                <dd>{info.lesson.flow}</dd>
                <dt>"Delivery"</dt>
                <dd>{info.lesson.delivery}</dd>
                <dt>"What to watch"</dt>
                <dd>{info.lesson.sees}</dd>
                <dt>"The law"</dt>
                <dd>{info.lesson.law}</dd>
            </dl>
        </section>
    }
}
