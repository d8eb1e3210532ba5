//! What the class reads about each pattern and the controls it gets, from
//! its lesson file (`src/patterns/<pattern>.toml`), which `build.rs` turns
//! into the statics below: `<PATTERN>` (a [`Lesson`]) and
//! `<PATTERN>_PARAMS`. Prose lives in text files so it can be written and
//! reviewed as prose; a missing or misspelt field fails the build.

use serde::Serialize;

use crate::event::MsgKind;
use crate::params::{self, ParamSpec};

/// A pattern as the brief teaches it.
#[derive(Debug, Serialize)]
pub struct Lesson {
    pub name: &'static str,
    /// The classroom question this pattern answers.
    pub question: &'static str,
    /// Response timing: does the caller wait?
    pub timing: &'static str,
    /// Interaction flow: direct, via an intermediary, or as events.
    pub flow: &'static str,
    /// Delivery behaviour: how reliably and how timely.
    pub delivery: &'static str,
    /// What the class must see in the animation.
    pub sees: &'static str,
    /// The law the measurements obey (and the tests check).
    pub law: &'static str,
    /// The message kinds this pattern puts on the wire, for its legend.
    pub kinds: &'static [MsgKind],
    /// The pattern "+ Compare" puts beside this one: the contrast a class
    /// learns most from.
    pub companion: &'static str,
    /// A click on a dot tells that message's own story rather than a
    /// request's conversation: the pattern's messages carry no single
    /// request (a poll asks for "anything after n"; an answer or a stream
    /// event brings several updates).
    pub keyed_by_message: bool,
    /// One thing a party wants — what `Offered` counts and a wait is
    /// measured for — singular and plural ("request", "requests";
    /// "update", "updates"): the words the run is described in.
    pub wants: [&'static str; 2],
}

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));
