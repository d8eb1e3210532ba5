//! The pattern catalogue: what each pattern is, teaches and accepts.
//!
//! One [`PatternInfo`] per implemented pattern, in the brief's words and
//! order. `/api/patterns`, the dashboard's explanation panel, the CLI's
//! `--pattern` and the WebSocket all read this list.

use crate::engine::Engine;
use crate::lessons;
use crate::params::{ParamError, ParamSet};
use crate::pattern::Pattern;
use crate::patterns;
use crate::patterns::async_request_reply::AsyncRequestReply;
use crate::patterns::event_choreography::EventChoreography;
use crate::patterns::fire_and_forget::FireAndForget;
use crate::patterns::long_polling::LongPolling;
use crate::patterns::message_queue::MessageQueue;
use crate::patterns::publish_subscribe::PublishSubscribe;
use crate::patterns::request_response::RequestResponse;
use crate::patterns::scatter_gather::ScatterGather;
use crate::patterns::server_sent_events::ServerSentEvents;
use crate::patterns::short_polling::ShortPolling;
use crate::patterns::webhooks::Webhooks;
use crate::patterns::websocket::WebSocket;

pub use crate::info::{Figure, PatternInfo};
pub use crate::pattern::Builder;

// One entry per pattern (`REQUEST_RESPONSE`, `WEBSOCKET`…), assembled by
// `build.rs` from the pattern's lesson file and its `figures`.
include!(concat!(env!("OUT_DIR"), "/entries.rs"));

/// Every implemented pattern, in the brief's order (one static list, so
/// the entries exist once in every binary).
pub fn catalogue() -> &'static [&'static PatternInfo] {
    static CATALOGUE: [&PatternInfo; 12] = [
        &REQUEST_RESPONSE,
        &ASYNC_REQUEST_REPLY,
        &SHORT_POLLING,
        &LONG_POLLING,
        &WEBHOOKS,
        &SERVER_SENT_EVENTS,
        &WEBSOCKET,
        &PUBLISH_SUBSCRIBE,
        &MESSAGE_QUEUE,
        &EVENT_CHOREOGRAPHY,
        &FIRE_AND_FORGET,
        &SCATTER_GATHER,
    ];
    &CATALOGUE
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

/// Each pattern's model on the engine. Only [`build`] reads it, so a
/// program that describes patterns without running one (the browser) links
/// none.
const ENGINES: [(&PatternInfo, Builder); 12] = [
    (&REQUEST_RESPONSE, Engine::<RequestResponse>::boxed),
    (&ASYNC_REQUEST_REPLY, Engine::<AsyncRequestReply>::boxed),
    (&SHORT_POLLING, Engine::<ShortPolling>::boxed),
    (&LONG_POLLING, Engine::<LongPolling>::boxed),
    (&WEBHOOKS, Engine::<Webhooks>::boxed),
    (&SERVER_SENT_EVENTS, Engine::<ServerSentEvents>::boxed),
    (&WEBSOCKET, Engine::<WebSocket>::boxed),
    (&PUBLISH_SUBSCRIBE, Engine::<PublishSubscribe>::boxed),
    (&MESSAGE_QUEUE, Engine::<MessageQueue>::boxed),
    (&EVENT_CHOREOGRAPHY, Engine::<EventChoreography>::boxed),
    (&FIRE_AND_FORGET, Engine::<FireAndForget>::boxed),
    (&SCATTER_GATHER, Engine::<ScatterGather>::boxed),
];

/// Builds a fresh, unstarted engine for the pattern the parameters belong to.
pub fn build(params: ParamSet, seed: u64) -> Box<dyn Pattern> {
    let (info, engine) = ENGINES
        .iter()
        .find(|(info, _)| info.id == params.pattern())
        .expect("ParamSets are only made from the catalogue's patterns");
    engine(info, params, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_companion_is_another_pattern_of_the_catalogue() {
        for info in catalogue() {
            let other = find_pattern(info.lesson.companion).unwrap_or_else(|_| {
                panic!(
                    "{}'s companion {:?} is unknown",
                    info.id, info.lesson.companion
                )
            });
            assert_ne!(other.id, info.id, "{} is compared with itself", info.id);
        }
        let keyed: Vec<&str> = catalogue()
            .iter()
            .filter(|i| i.lesson.keyed_by_message)
            .map(|i| i.id)
            .collect();
        assert_eq!(
            keyed,
            ["short-polling", "long-polling", "server-sent-events"]
        );
    }

    #[test]
    fn every_pattern_has_its_own_engine_and_no_engine_lacks_a_pattern() {
        let ids: Vec<&str> = catalogue().iter().map(|i| i.id).collect();
        let engines: Vec<&str> = ENGINES.iter().map(|(info, _)| info.id).collect();
        assert_eq!(engines, ids);
        for info in catalogue() {
            let run = build(info.defaults(), 1);
            assert_eq!(
                run.info().id,
                info.id,
                "{}'s engine runs another pattern",
                info.id
            );
        }
    }
}
