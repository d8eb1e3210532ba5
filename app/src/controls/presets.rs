//! Scenario presets: the brief's classroom questions, ready to run.
//!
//! A preset is a link (`?preset=<id>&…` with its patterns and settings) that
//! opens paused on a prediction prompt: the class commits to an answer,
//! then the run starts and the prompt says what to watch.

/// One classroom scenario.
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// The settings, as a page query without the preset itself.
    pub query: &'static str,
    /// The question asked before the run starts.
    pub question: &'static str,
    /// Predictions to choose from.
    pub choices: &'static [&'static str],
    /// What to look at once it runs (shown after the prediction).
    pub watch: &'static str,
    /// The figures that answer the question, shown large beside each
    /// pane's stage (see `figures::Headline` for the ids).
    pub headline: &'static [&'static str],
}

pub const PRESETS: &[Preset] = &[
    Preset {
        id: "poll-vs-long-poll-vs-sse",
        title: "Poll every second vs long-poll vs SSE",
        query: "pattern=short-polling&vs=long-polling,server-sent-events&update_rate=2&poll_ms=1000&clients=8",
        question: "Two updates a second reach eight clients. Which client sees news first, and which pattern sends the most messages for each update delivered?",
        choices: &[
            "Polling every second is fresh enough and cheapest",
            "Long polling is as fresh as SSE but costs a request per update",
            "SSE is freshest and cheapest; polling is stale and mostly empty",
        ],
        watch: "Compare the staleness (waiting time) charts on one axis: polling waits about half the interval, long polling and SSE about one hop. Then the wire rate: most polls come back empty.",
        headline: &["p50", "wire-per-delivery"],
    },
    Preset {
        id: "black-friday",
        title: "Black Friday: request-response vs a message queue under a spike",
        query: "pattern=request-response&vs=message-queue&rate=60&spike_at_s=10&spike_s=20&spike_x=2.5&service_ms=20&workers=2&consumers=2&timeout_ms=1000&queue_cap=100",
        question: "Both sides serve 100 jobs a second and 60 a second arrive. From t = 10 s to 30 s a spike brings 150 a second. What happens to each side, during and after the spike?",
        choices: &[
            "Both slow down the same way and recover together",
            "Request-response turns customers away during the spike; the queue accepts everything, falls behind, and catches up afterwards",
            "The message queue loses jobs; request-response keeps up",
        ],
        watch: "During the spike, left: 503s and timeouts once its queue of 100 is full, waits capped near the timeout — it recovers the moment the spike ends. Right: nothing is lost; the backlog chart climbs by about 50 a second, then drains at 40 a second after the spike, so the wait stays high well after it. The queue turns a spike into delay; request-response turns it into errors.",
        headline: &["p99", "queue", "failed"],
    },
    Preset {
        id: "webhook-down-60s",
        title: "Webhook endpoint down for 60 s",
        query: "pattern=webhooks&outage_at_s=10&outage_s=60&retries=8&backoff_ms=1000&timeout_ms=2000",
        question: "The receiver goes down at t = 10 s for a minute. What happens to the events sent meanwhile?",
        choices: &[
            "They are lost",
            "They are retried with back-off and arrive late, some twice",
            "The provider stops producing events",
        ],
        watch: "During the outage: retries (another colour) spaced further and further apart. After it: a burst of late deliveries, duplicates when an ack was lost, and dead letters for those that ran out of retries.",
        headline: &["p99", "figure:retries", "figure:dead_lettered"],
    },
    Preset {
        id: "retry-storm",
        title: "Retries near saturation: help or harm?",
        query: "pattern=request-response&vs=request-response&rate=90&timeout_ms=150&retries=3&backoff_ms=20&b.retries=0",
        question: "The service runs at 90 % load with a tight timeout. Pane A retries three times, pane B never retries. Which delivers more useful responses?",
        choices: &[
            "A: retries rescue requests that timed out",
            "B: retries add load and make everything slower",
            "No difference",
        ],
        watch: "Offered vs useful throughput and the 'on the wire' rate: A's retries pile onto a busy service, its utilisation hits 100 % and wasted work (served after the client gave up) grows.",
        headline: &["p99", "throughput", "figure:retries"],
    },
    Preset {
        id: "slow-subscriber",
        title: "One slow subscriber: drop the oldest or block?",
        query: "pattern=publish-subscribe&vs=publish-subscribe&slow_factor=5&buffer=20&slow_policy=drop-oldest&b.slow_policy=block",
        question: "One subscriber handles events five times slower than the rest. With drop-oldest (A) or block (B), what happens to it and to the others?",
        choices: &[
            "Both lose events",
            "A loses the slow subscriber's oldest events; B delivers all of them, ever later",
            "The slow subscriber slows every other subscriber down",
        ],
        watch: "The longest subscriber backlog figure and the waiting-time p99: A stays bounded and counts overflow drops, B's backlog and lag grow while the fast subscribers are unaffected in both.",
        headline: &["p99", "figure:dropped_overflow", "figure:max_backlog"],
    },
    Preset {
        id: "consumer-crash",
        title: "Consumers crash: at-least-once in action",
        query: "pattern=message-queue&crashes_per_min=6&visibility_ms=2000&restart_ms=2000",
        question: "Consumers crash about every ten seconds while holding messages. Are jobs lost, done twice, or neither?",
        choices: &[
            "Lost with the consumer",
            "Redelivered after the visibility timeout, some processed twice",
            "Nothing changes",
        ],
        watch: "Redeliveries and duplicates counting up after each crash; the waiting-time p99 jumps by about the visibility timeout.",
        headline: &["p99", "figure:redeliveries", "figure:depth"],
    },
];

pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::parse;

    /// Every preset's link is accepted in full: a typo would silently run
    /// the wrong scenario.
    #[test]
    fn every_preset_opens_cleanly() {
        for p in PRESETS {
            let s = parse(p.query, sim::catalogue()[0]);
            assert!(s.problems.is_empty(), "{}: {:?}", p.id, s.problems);
            assert!(p.choices.len() >= 2, "{}", p.id);
            assert_eq!(find(p.id).map(|x| x.id), Some(p.id));
        }
    }

    /// Every headline figure a preset names is one the headline knows, and
    /// a pattern figure is one that at least one of its panes has.
    #[test]
    fn every_headline_figure_exists() {
        for p in PRESETS {
            assert!(!p.headline.is_empty() && p.headline.len() <= 4, "{}", p.id);
            let s = parse(p.query, sim::catalogue()[0]);
            for id in p.headline {
                match id.strip_prefix("figure:") {
                    Some(f) => assert!(
                        s.panes.iter().any(|pane| {
                            let mut params = pane.info.defaults();
                            params.set_all(&pane.values).unwrap();
                            (pane.info.figures)(&Default::default(), &params)
                                .iter()
                                .any(|x| x.id == f)
                        }),
                        "{}: no pane has figure {f}",
                        p.id
                    ),
                    None => assert!(
                        crate::charts::figures::common_headline(id).is_some(),
                        "{}: unknown headline {id}",
                        p.id
                    ),
                }
            }
        }
    }
}
