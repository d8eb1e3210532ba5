//! The pattern catalogue: what each pattern is, teaches and accepts.
//!
//! One [`PatternInfo`] per implemented pattern, in the brief's words and
//! order. `/api/patterns`, the dashboard's explanation panel, the CLI's
//! `--pattern` and the WebSocket all read this list.

use crate::params::{ParamError, ParamSet};
use crate::pattern::Pattern;
use crate::patterns;

pub use crate::info::{Figure, PatternInfo};

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

/// Builds a fresh, unstarted engine for the pattern the parameters belong to.
pub fn build(params: ParamSet, seed: u64) -> Box<dyn Pattern> {
    let info = find_pattern(params.pattern())
        .expect("ParamSets are only made from the catalogue's patterns");
    (info.build)(params, seed)
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
