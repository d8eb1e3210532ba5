//! The timeline under the stages: the run from 0 to as far as it has gone,
//! a playhead to drag (every pane goes to the same moment, exactly), a
//! step back and forth, a second back and forth, a replay of the last ten
//! seconds, the way back to live, and bookmarks: moments marked (with an
//! optional label) that the link carries and a click goes back to. Live
//! changes and bookmarks are marked along the scrubber.

use leptos::prelude::*;
use sim::link::{Bookmark, MAX_BOOKMARKS};
use sim::wire::Control;

use crate::clock::{Branch, REPLAY_S, REPLAY_SPEED};
use crate::describe::words;
use crate::page::Page;
use crate::url::{history_query, page_query};

/// Sends a seek to `t` virtual seconds to every pane, throttled.
pub fn seek(page: Page, t: f64) {
    let t = t.clamp(0.0, sim::time::to_secs(page.clock.head_exact.get_value()));
    page.clock.now.set((t * 10.0).floor() / 10.0);
    // Where the run will be (the moment's frame confirms it): a bookmark
    // or a link made before it lands is of this moment.
    page.clock
        .exact
        .set_value(sim::time::from_secs(t).min(page.clock.head_exact.get_value()));
    page.clock.throttle(t, js_sys::Date::now(), move |t| {
        page.send_all(Control::Seek { t })
    });
}

/// Moves the playhead by `dt` virtual seconds from where it is.
pub fn nudge(page: Page, dt: f64) {
    seek(page, page.clock.now.get_untracked() + dt);
}

/// Every pane back to the furthest its run has gone.
pub fn live(page: Page) {
    page.clock.replay.set_value(None);
    page.send_all(Control::Live);
}

/// One action back (pauses first: stepping is for a stopped run).
pub fn step_back(page: Page) {
    if page.playing.get_untracked() {
        page.set_playing(false);
    }
    page.send_all(Control::StepBack);
}

/// Plays the last [`REPLAY_S`] seconds again slowly; the page returns to
/// the speed it had when the replay reaches where it started.
pub fn replay(page: Page) {
    let head = page.clock.head.get_untracked();
    page.clock
        .replay
        .set_value(Some((head, page.speed.get_untracked())));
    page.send_all(Control::Seek {
        t: (head - REPLAY_S).max(0.0),
    });
    page.set_speed(REPLAY_SPEED);
    page.set_playing(true);
}

/// Marks the moment shown, with the label typed beside the button (one
/// bookmark per moment: marking it again relabels it).
pub fn bookmark(page: Page) {
    let at = page.clock.exact.get_value();
    let mark = Bookmark::new(at, &page.clock.draft.get_untracked());
    let mut full = false;
    page.clock.bookmarks.update(|list| {
        if let Some(b) = list.iter_mut().find(|b| b.at == at) {
            b.label = mark.label.clone();
        } else if list.len() >= MAX_BOOKMARKS {
            full = true;
        } else {
            list.push(mark.clone());
            list.sort_by_key(|b| b.at);
        }
    });
    if full {
        page.notice.set(Some(format!(
            "A run keeps {MAX_BOOKMARKS} bookmarks; remove one to add another"
        )));
        return;
    }
    page.clock.draft.set(String::new());
    page.sync_url();
    share_marks(page);
    page.voice
        .answer(format!("Bookmarked {}.", bookmark_words(&mark)));
}

/// A class's presenter sends the bookmarks to the room: every follower
/// (and whoever joins later) gets them.
fn share_marks(page: Page) {
    if !page.presenting() {
        return;
    }
    let list = page
        .clock
        .bookmarks
        .with_untracked(|b| b.iter().map(Bookmark::text).collect());
    if let Some(a) = page.panes().first() {
        a.commands.send(Control::Bookmarks { list });
    }
}

/// Removes the bookmark at `at`.
fn unmark(page: Page, at: sim::Time) {
    page.clock
        .bookmarks
        .update(|list| list.retain(|b| b.at != at));
    page.sync_url();
    page.voice.answer("Bookmark removed.".into());
}

/// "12.3 s, first timeout" or "12.3 s".
fn bookmark_words(b: &Bookmark) -> String {
    let t = words::clock(sim::time::to_secs(b.at));
    if b.label.is_empty() {
        t
    } else {
        format!("{t}, {}", b.label)
    }
}

/// The link of the run a branch left: its start, its changes, opened at
/// the branch's moment. With `beside`, the branch first and the original
/// as pane B, both at that moment: the difference is the change alone.
fn original_link(page: Page, b: &Branch, beside: bool) -> Option<String> {
    let pane = page.panes().into_iter().next()?;
    let info = pane.pattern.get_untracked();
    let (start, branch) = pane.link_run();
    let seed = page.seed.get_untracked();
    let marks = page.clock.bookmarks.get_untracked();
    let t = format!("&t={}", sim::time::exact_secs(b.at));
    Some(if beside {
        page_query(&[(info, start.clone()), (info, start)], seed)
            + &history_query(&[branch, b.original.clone()], &marks)
            + &t
    } else {
        page_query(&[(info, start)], seed)
            + &history_query(std::slice::from_ref(&b.original), &marks)
            + &t
    })
}

/// Where on the scrubber a moment is, as a CSS `left`.
fn left(t: f64, head: f64) -> String {
    format!("{:.2}%", (t / head.max(0.1)).clamp(0.0, 1.0) * 100.0)
}

/// The playhead's words: "12.3 s of 45.0 s, in the past" or "45.0 s, live".
fn where_words(now: f64, head: f64) -> String {
    if now + 0.05 < head {
        format!(
            "{} of {}, in the past",
            words::clock(now),
            words::clock(head)
        )
    } else {
        format!("{}, live", words::clock(head))
    }
}

#[component]
pub fn Timeline(page: Page) -> impl IntoView {
    let clock = page.clock;
    let past = Memo::new(move |_| clock.in_past());
    view! {
        <section class="timeline" role="group" aria-label="Timeline" data-testid="timeline">
            <label class="scrub">
                <span class="visually-hidden">"Moment of the run"</span>
                <span class="marks" aria-hidden="true">
                    {move || {
                        let head = clock.head.get();
                        clock
                            .changes
                            .get()
                            .into_iter()
                            .map(|t| view! { <i class="mark change" style:left=left(t, head)></i> })
                            .collect_view()
                    }}
                    {move || {
                        let head = clock.head.get();
                        clock
                            .bookmarks
                            .get()
                            .into_iter()
                            .map(|b| {
                                let t = sim::time::to_secs(b.at);
                                view! { <i class="mark bookmark" style:left=left(t, head)></i> }
                            })
                            .collect_view()
                    }}
                </span>
                <input
                    type="range"
                    data-testid="scrubber"
                    min="0"
                    step="0.1"
                    max=move || format!("{:.1}", clock.head.get().max(0.1))
                    prop:value=move || format!("{:.1}", clock.now.get())
                    aria-valuetext=move || where_words(clock.now.get(), clock.head.get())
                    on:input=move |ev| {
                        if let Ok(t) = event_target_value(&ev).parse::<f64>() {
                            if page.playing.get_untracked() {
                                page.set_playing(false);
                            }
                            seek(page, t);
                        }
                    }
                />
            </label>
            <span class="when" data-testid="when" aria-hidden="true">
                {move || where_words(clock.now.get(), clock.head.get())}
            </span>
            <span class="moves">
                <button data-testid="back-1s" title="One virtual second back (key [)" on:click=move |_| {
                    if page.playing.get_untracked() { page.set_playing(false); }
                    nudge(page, -1.0)
                }>"−1 s"</button>
                <button data-testid="step-back" title="Undo exactly the last action (key ,)" on:click=move |_| step_back(page)>"◀ Step back"</button>
                <button data-testid="forward-1s" title="One virtual second on (key ])" disabled=move || !past.get()
                    on:click=move |_| nudge(page, 1.0)>"+1 s"</button>
                <button data-testid="replay" title="Play the last 10 s again at ¼ speed, then carry on (key R)"
                    on:click=move |_| replay(page)>"Replay 10 s"</button>
                <button data-testid="live" title="Back to the furthest the run has gone (key L)" disabled=move || !past.get()
                    aria-pressed=move || (!past.get()).to_string()
                    on:click=move |_| live(page)>"Live"</button>
            </span>
            <span class="marking">
                <label>
                    <span class="visually-hidden">"Bookmark label (optional)"</span>
                    <input
                        type="text"
                        data-testid="bookmark-label"
                        placeholder="Label (optional)"
                        maxlength=sim::link::MAX_LABEL.to_string()
                        prop:value=move || clock.draft.get()
                        on:input=move |ev| clock.draft.set(event_target_value(&ev))
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" {
                                bookmark(page);
                            }
                        }
                    />
                </label>
                <button data-testid="bookmark" title="Mark the moment shown (key B)" on:click=move |_| bookmark(page)>
                    "☆ Bookmark"
                </button>
            </span>
            {move || clock.branch.get().map(|b| {
                let at = words::clock(sim::time::to_secs(b.at));
                let single = page.panes().len() == 1;
                let (b1, b2) = (b.clone(), b.clone());
                view! {
                    <p class="branch" data-testid="branch" role="status">
                        {format!("A branch from {at}: the run before the change is kept. ")}
                        {single.then(|| view! {
                            <button data-testid="compare-original"
                                title="The branch and the original side by side from the moment they part (same seed)"
                                on:click=move |_| if let Some(q) = original_link(page, &b1, true) { crate::page::navigate(&q) }>
                                "Compare with the original"
                            </button>
                        })}
                        <button data-testid="open-original"
                            on:click=move |_| if let Some(q) = original_link(page, &b2, false) { crate::page::navigate(&q) }>
                            "Open the original"
                        </button>
                    </p>
                }
            })}
            <crate::controls::whole_run::WholeRun page />
            <crate::controls::sequence::SequenceDiagram page />
            <crate::controls::sweep::SweepView page />
            <crate::controls::real::RealView page />
            <Show when=move || clock.bookmarks.with(|b| !b.is_empty())>
                <ul class="bookmarks" aria-label="Bookmarks" data-testid="bookmarks">
                    <For
                        each=move || clock.bookmarks.get()
                        key=|b| (b.at, b.label.clone())
                        children=move |b| {
                            let at = b.at;
                            let said = bookmark_words(&b);
                            let go = format!("Go to {said}");
                            let drop = format!("Remove the bookmark at {said}");
                            view! {
                                <li>
                                    <button class="go" data-testid="bookmark-go" aria-label=go
                                        on:click=move |_| {
                                            if page.playing.get_untracked() { page.set_playing(false); }
                                            seek(page, sim::time::to_secs(at));
                                        }>
                                        {format!("★ {said}")}
                                    </button>
                                    <button class="remove" aria-label=drop title="Remove" on:click=move |_| unmark(page, at)>"×"</button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_playhead_says_where_it_is() {
        assert_eq!(where_words(12.3, 45.0), "12.3 s of 45.0 s, in the past");
        assert_eq!(where_words(45.0, 45.0), "45.0 s, live");
    }

    #[test]
    fn bookmarks_are_named_by_their_moment_and_label() {
        assert_eq!(
            bookmark_words(&Bookmark::new(12_300_000_000, "first timeout")),
            "12.3 s, first timeout"
        );
        assert_eq!(bookmark_words(&Bookmark::new(12_300_000_000, "")), "12.3 s");
        assert_eq!(left(5.0, 20.0), "25.00%");
        assert_eq!(left(30.0, 20.0), "100.00%");
    }
}
