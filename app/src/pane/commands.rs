//! Sending controls to the server from anywhere in the UI.
//!
//! [`Commands`] is `Copy`, so every button and slider can hold one. It wraps
//! the page's [`Feed`] (which only exists in the browser) and reports when a
//! control could not be sent.

use leptos::prelude::*;
use sim::wire::Control;

use crate::pane::feed::Feed;

#[derive(Clone, Copy)]
pub struct Commands {
    feed: StoredValue<Option<Feed>, LocalStorage>,
    /// The last problem to show the user.
    pub notice: RwSignal<Option<String>>,
}

impl Commands {
    pub fn new(notice: RwSignal<Option<String>>) -> Self {
        Commands {
            feed: StoredValue::new_local(None),
            notice,
        }
    }

    /// Attaches the live feed (browser only).
    pub fn attach(&self, feed: Feed) {
        self.feed.set_value(Some(feed));
    }

    pub fn send(&self, c: Control) {
        let sent = self
            .feed
            .with_value(|f| f.as_ref().is_some_and(|f| f.send(&c)));
        if !sent {
            self.notice.set(Some(
                "Not connected to the server: the change was not sent.".to_string(),
            ));
        }
    }

    /// Sets one parameter; `value` is the encoded value (see `sim::params`).
    pub fn set_param(&self, spec: &sim::ParamSpec, value: f64) {
        self.send(Control::Set {
            param: spec.id.to_string(),
            value: spec.to_value(value),
        });
    }
}
