//! The pattern catalogue: what each pattern is, teaches and accepts.
//!
//! One [`PatternInfo`] per implemented pattern, in the brief's words and
//! order. `/api/patterns`, the dashboard's explanation panel, the CLI's
//! `--pattern` and the WebSocket all read this list.

use crate::params::{ParamError, ParamSet};
use crate::pattern::Pattern;
use crate::patterns;

pub use crate::info::{Builder, Figure, PatternInfo};

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

/// Each pattern's engine by id. Only [`build`] reads it, so a program
/// that describes patterns without running one (the browser) links none.
const ENGINES: [(&str, Builder); 12] = [
    (
        patterns::request_response::ID,
        patterns::request_response::ENGINE,
    ),
    (
        patterns::async_request_reply::ID,
        patterns::async_request_reply::ENGINE,
    ),
    (patterns::short_polling::ID, patterns::short_polling::ENGINE),
    (patterns::long_polling::ID, patterns::long_polling::ENGINE),
    (patterns::webhooks::ID, patterns::webhooks::ENGINE),
    (
        patterns::server_sent_events::ID,
        patterns::server_sent_events::ENGINE,
    ),
    (patterns::websocket::ID, patterns::websocket::ENGINE),
    (
        patterns::publish_subscribe::ID,
        patterns::publish_subscribe::ENGINE,
    ),
    (patterns::message_queue::ID, patterns::message_queue::ENGINE),
    (
        patterns::event_choreography::ID,
        patterns::event_choreography::ENGINE,
    ),
    (
        patterns::fire_and_forget::ID,
        patterns::fire_and_forget::ENGINE,
    ),
    (
        patterns::scatter_gather::ID,
        patterns::scatter_gather::ENGINE,
    ),
];

/// Builds a fresh, unstarted engine for the pattern the parameters belong to.
pub fn build(params: ParamSet, seed: u64) -> Box<dyn Pattern> {
    let (_, engine) = ENGINES
        .iter()
        .find(|(id, _)| *id == params.pattern())
        .expect("ParamSets are only made from the catalogue's patterns");
    engine(params, seed)
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

    #[test]
    fn every_pattern_has_its_own_engine_and_no_engine_lacks_a_pattern() {
        let ids: Vec<&str> = catalogue().iter().map(|i| i.id).collect();
        let engines: Vec<&str> = ENGINES.iter().map(|(id, _)| *id).collect();
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
