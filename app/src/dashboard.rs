//! The page: one pane per pattern being compared, the shared transport and
//! parameter controls, presets, export, keyboard shortcuts and overlays.
//!
//! The server renders a skeleton; the browser reads the link (patterns,
//! parameters, seed, preset), then creates the panes, each with its own
//! session. Compare mode is a link with `vs=`: adding or removing a pane
//! loads that link, so what is on screen is always what a link reproduces.

use leptos::prelude::*;
use sim::wire::Control;

use crate::controls::help::HelpOverlay;
use crate::controls::parameters::Parameters;
use crate::controls::presets::Preset;
use crate::controls::prompt::Prompt;
use crate::page::{navigate, Class, Page, Role};
use crate::pane::explain::Explanation;
use crate::pane::inspector::Inspector;
use crate::pane::state::PaneState;
use crate::pane::view::Pane;
use crate::url::page_query;

#[component]
pub fn Dashboard() -> impl IntoView {
    let page = Page::new();
    let ready = RwSignal::new(false);
    // Re-rendered only when a teacher's sweep starts, not at each point.
    let class_sweeping = Memo::new(move |_| page.class_sweep.with(Option::is_some));
    let panes = RwSignal::new(Vec::<PaneState>::new());
    let editing = RwSignal::new(None::<usize>);
    let help = RwSignal::new(false);
    let projector = RwSignal::new(false);
    // The parameters drawer of the presentation layout (projector mode).
    let drawer = RwSignal::new(false);
    let preset = RwSignal::new(None::<&'static Preset>);
    let notice = page.notice;

    let started = crate::startup::Started {
        ready,
        panes,
        preset,
    };
    Effect::new(move |_| {
        if !ready.get_untracked() {
            crate::startup::start(page, started);
        }
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
        page.look
            .set_value(crate::stage::theme::look(projector.get()));
    });

    // In the browser only (effects do not run on the server): what this
    // device remembers, and the page's once-a-second voice.
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            page.prefs.load();
            crate::access::speech::listen(page);
        }
    });
    crate::controls::keys::listen(
        page,
        crate::controls::keys::Toggles {
            help,
            drawer,
            projector,
        },
    );

    let remove = move |index: usize| {
        let ps = page.panes();
        let kept: Vec<_> = ps
            .iter()
            .filter(|p| p.index != index)
            .map(|p| (p.pattern.get_untracked(), p.values.get_untracked()))
            .collect();
        navigate(&page_query(&kept, page.seed.get_untracked()));
    };
    // Shown while there is a notice (what `<Show>` did, without a
    // generic component per call site: a smaller bundle).
    let noticed = Memo::new(move |_| notice.with(Option::is_some));
    view! {
        <div class="page" class:projector=move || projector.get() class:drawer-open=move || drawer.get()
            class:compare=move || panes.with(|p| p.len() > 1) data-panes=move || panes.with(|p| p.len()).to_string()>
            // The first stop for a keyboard: past the header to the run.
            <a class="skip-link" href="#panes">"Skip to the run"</a>
            <crate::controls::topbar::TopBar page panes projector drawer help />
            <crate::class::ClassBar page />

            // A follower's transport is the teacher's: absent, not greyed.
            // The run's past under it, for whoever drives the run (one row
            // with it when projected).
            <div class="drive">
                {move || (!page.following()).then(|| view! { <crate::controls::transport::Transport page panes /> }.into_any())}
                {move || (ready.get() && !page.following()).then(|| view! { <crate::controls::timeline::Timeline page /> }.into_any())}
                // A class's teacher sweeping: the curve fills in here too.
                {move || (ready.get() && page.following() && class_sweeping.get())
                    .then(|| view! { <div class="timeline"><crate::controls::sweep::SweepView page following=true /></div> }.into_any())}
            </div>

            <main class="workspace">
                <div class="panes" id="panes" tabindex="-1">
                    {move || {
                        if !ready.get() {
                            return (view! { <p class="loading" data-testid="loading">"Starting the simulation…"</p> }).into_any();
                        }
                        let list = panes.get();
                        let n = list.len();
                        (list.into_iter().map(|p| {
                            view! {
                                <div class="pane-slot">
                                    {(n > 1 && page.class.with_untracked(Option::is_none)).then(|| view! {
                                        <button class="remove-pane" data-testid=format!("remove-{}", p.id())
                                            aria-label=format!("Remove pane {}", p.name()) title="Remove this pane"
                                            on:click=move |_| remove(p.index)>"×"</button>
                                    }.into_any())}
                                    <Pane page pane=p />
                                </div>
                            }
                        }).collect_view()).into_any()
                    }}
                </div>
                // A student following the teacher reads the teacher's
                // values: text, not controls they cannot use.
                {move || ready.get().then(|| if page.following() {
                    view! { <crate::controls::parameters::ParametersRead panes=panes.get() /> }.into_any()
                } else {
                    view! { <Parameters page panes=panes.get() editing /> }.into_any()
                })}
            </main>

            <section class="explanations">
                {move || panes.get().into_iter().map(|p| view! {
                    {move || view! { <Explanation info=p.pattern.get() pane=p.id() /> }}
                }.into_any()).collect_view()}
            </section>

            <Inspector conversation=page.inspect pane_names=Signal::derive(move || panes.get().iter().map(|p| p.name().to_string()).collect())
                following=Signal::derive(move || page.following()) />
            <HelpOverlay open=help page />
            // The page's voice: polite live regions, empty until it speaks
            // (a region filled before it exists is never read).
            <div class="visually-hidden" data-testid="announcer">
                <p id=crate::access::voice::REGIONS[0] aria-live="polite"></p>
                <p id=crate::access::voice::REGIONS[1] aria-live="polite"></p>
            </div>
            <Prompt page preset />
            {move || noticed.get().then(|| view! {
                <div class="notice" role="alert" data-testid="notice">
                    {move || notice.get().unwrap_or_default()}
                    <button aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
                </div>
            }.into_any())}
        </div>
    }
}
