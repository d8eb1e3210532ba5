//! The timeline under the stages: the run from 0 to as far as it has gone,
//! a playhead to drag (every pane goes to the same moment, exactly), a
//! step back and forth, a second back and forth, a replay of the last ten
//! seconds, and the way back to live.

use leptos::prelude::*;
use sim::wire::Control;

use crate::clock::{REPLAY_S, REPLAY_SPEED};
use crate::describe::words;
use crate::page::Page;

/// Sends a seek to `t` virtual seconds to every pane, throttled.
pub fn seek(page: Page, t: f64) {
    let t = t.clamp(0.0, page.clock.head.get_untracked());
    page.clock.now.set((t * 10.0).floor() / 10.0);
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
}
