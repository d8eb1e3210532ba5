//! The parameters panel: each parameter once, linked across panes or for
//! one pane only.

use leptos::prelude::*;
use sim::run::Theory;
use sim::ParamSpec;

use crate::controls::param::ParamControl;
use crate::page::Page;
use crate::pane::state::PaneState;

/// The parameters panel: each parameter once, applied to every pane that
/// has it (linked) or to one pane only.
#[component]
pub fn Parameters(
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
                // Once the user lets go: what the change does, said.
                let settled = Callback::new(move |v: f64| {
                    let params = owner.param_set_untracked();
                    page.voice
                        .answer(crate::describe::respond::context(spec, v, &params));
                });
                view! {
                    <div class="param-row">
                        {only.map(|o| view! { <span class="param-scope">{o}</span> }.into_any())}
                        <ParamControl spec index values=owner.values on_set limit settled />
                    </div>
                }
            })
            .collect_view()
    };
    let names: Vec<(&'static str, &'static str)> =
        panes.iter().map(|p| (p.name(), p.id())).collect();
    view! {
        <section class="panel controls" id="parameters" data-testid="parameters" aria-label="Parameters">
            <h2>"Parameters"</h2>
            {many.then(|| view! {
                <div class="scope" role="radiogroup" aria-label="Which panes the parameters change">
                    <label>
                        <input type="radio" name="scope" data-testid="scope-all" prop:checked=move || editing.get().is_none() on:change=move |_| editing.set(None) />
                        "all panes"
                    </label>
                    {names.iter().enumerate().map(|(i, &(n, id))| view! {
                        <label>
                            <input type="radio" name="scope" data-testid=format!("scope-{id}") prop:checked=move || editing.get() == Some(i) on:change=move |_| editing.set(Some(i)) />
                            {format!("only {n}")}
                        </label>
                    }).collect_view()}
                </div>
            }.into_any())}
            {list}
        </section>
    }
}

/// The parameters as a follower reads them: the teacher's values as text,
/// each pane's own, updated as the teacher changes them.
#[component]
pub fn ParametersRead(panes: Vec<PaneState>) -> impl IntoView {
    let many = panes.len() > 1;
    view! {
        // Focusable: it scrolls, and a keyboard must reach what it hides.
        <section class="panel controls" id="parameters" data-testid="parameters" aria-label="Parameters" tabindex="0">
            <h2>"Parameters (the teacher's)"</h2>
            {panes.into_iter().map(|p| view! {
                {many.then(|| view! { <h3 class="param-pane">{format!("Pane {}", p.name())}</h3> }.into_any())}
                <dl class="param-read">
                    {move || p.pattern.get().params.iter().enumerate().map(|(i, spec)| view! {
                        <dt>{spec.name}</dt>
                        <dd data-testid=format!("value-{}", spec.id)>
                            {move || p.values.with(|v| v.get(i).map(|&x| crate::controls::param::shown(spec, x)).unwrap_or_default())}
                        </dd>
                    }).collect_view()}
                </dl>
            }).collect_view()}
        </section>
    }
}
