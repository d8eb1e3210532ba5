//! The pattern catalogue: what each pattern is, teaches and accepts.
//!
//! One [`PatternInfo`] per implemented pattern, in the brief's words and
//! order. `/api/patterns`, the dashboard's explanation panel, the CLI's
//! `--pattern` and the WebSocket all read this list.

use serde::Serialize;

use crate::engine::Engine;
use crate::event::MsgKind;
use crate::metrics::Snapshot;
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::pattern::Pattern;
use crate::patterns;

/// A pattern as the class meets it.
#[derive(Debug, Serialize)]
pub struct PatternInfo {
    /// Stable id used by the UI, the CLI and the wire protocol.
    pub id: &'static str,
    pub name: &'static str,
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
    /// The classroom question this pattern answers.
    pub question: &'static str,
    pub params: &'static [ParamSpec],
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
    /// The pattern's own figures, computed from a metrics snapshot and the
    /// run's parameters.
    #[serde(skip)]
    pub figures: fn(&Snapshot, &ParamSet) -> Vec<Figure>,
}

/// One pattern-specific figure (empty-poll share, silent losses…).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// Key in the CLI's JSON `figures` object.
    pub id: &'static str,
    pub label: &'static str,
    pub value: f64,
    /// Unit shown after the value ("%" values are already × 100).
    pub unit: &'static str,
}

impl Figure {
    pub const fn new(
        id: &'static str,
        label: &'static str,
        value: f64,
        unit: &'static str,
    ) -> Self {
        Figure {
            id,
            label,
            value,
            unit,
        }
    }
}

/// `part` as a percentage of `whole` (0 when there is no whole yet).
pub fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// `part / whole` (0 when there is no whole yet).
pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

/// Every implemented pattern.
pub fn catalogue() -> &'static [&'static PatternInfo] {
    &[
        &patterns::request_response::INFO,
        &patterns::async_request_reply::INFO,
        &patterns::short_polling::INFO,
        &patterns::long_polling::INFO,
        &patterns::webhooks::INFO,
        &patterns::server_sent_events::INFO,
        &patterns::websocket::INFO,
        &patterns::publish_subscribe::INFO,
        &patterns::message_queue::INFO,
        &patterns::event_choreography::INFO,
        &patterns::fire_and_forget::INFO,
        &patterns::scatter_gather::INFO,
    ]
}

/// Looks a pattern up by id, with the error a person should see.
pub fn find_pattern(id: &str) -> Result<&'static PatternInfo, ParamError> {
    catalogue()
        .iter()
        .copied()
        .find(|p| p.id == id)
        .ok_or_else(|| ParamError::UnknownPattern {
            pattern: id.to_string(),
            valid: catalogue().iter().map(|p| p.id).collect(),
        })
}

impl PatternInfo {
    /// This pattern's parameters at their defaults.
    pub fn defaults(&'static self) -> ParamSet {
        ParamSet::defaults(self.id, self.params)
    }
}

/// Builds a fresh, unstarted engine for the pattern the parameters belong to.
pub fn build(params: ParamSet, seed: u64) -> Box<dyn Pattern> {
    match params.pattern() {
        patterns::request_response::ID => {
            Engine::<patterns::request_response::RequestResponse>::boxed(params, seed)
        }
        patterns::fire_and_forget::ID => {
            Engine::<patterns::fire_and_forget::FireAndForget>::boxed(params, seed)
        }
        patterns::short_polling::ID => {
            Engine::<patterns::short_polling::ShortPolling>::boxed(params, seed)
        }
        patterns::long_polling::ID => {
            Engine::<patterns::long_polling::LongPolling>::boxed(params, seed)
        }
        patterns::server_sent_events::ID => {
            Engine::<patterns::server_sent_events::ServerSentEvents>::boxed(params, seed)
        }
        patterns::scatter_gather::ID => {
            Engine::<patterns::scatter_gather::ScatterGather>::boxed(params, seed)
        }
        patterns::message_queue::ID => {
            Engine::<patterns::message_queue::MessageQueue>::boxed(params, seed)
        }
        patterns::webhooks::ID => Engine::<patterns::webhooks::Webhooks>::boxed(params, seed),
        patterns::publish_subscribe::ID => {
            Engine::<patterns::publish_subscribe::PublishSubscribe>::boxed(params, seed)
        }
        patterns::async_request_reply::ID => {
            Engine::<patterns::async_request_reply::AsyncRequestReply>::boxed(params, seed)
        }
        patterns::websocket::ID => Engine::<patterns::websocket::WebSocket>::boxed(params, seed),
        patterns::event_choreography::ID => {
            Engine::<patterns::event_choreography::EventChoreography>::boxed(params, seed)
        }
        other => unreachable!(
            "ParamSet for unknown pattern {other}: ParamSets are only made from the catalogue"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_companion_is_another_pattern_of_the_catalogue() {
        for info in catalogue() {
            let other = find_pattern(info.companion).unwrap_or_else(|_| {
                panic!("{}'s companion {:?} is unknown", info.id, info.companion)
            });
            assert_ne!(other.id, info.id, "{} is compared with itself", info.id);
        }
        let keyed: Vec<&str> = catalogue()
            .iter()
            .filter(|i| i.keyed_by_message)
            .map(|i| i.id)
            .collect();
        assert_eq!(
            keyed,
            ["short-polling", "long-polling", "server-sent-events"]
        );
    }
}
