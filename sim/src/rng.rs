//! Seeded random streams.
//!
//! Each source of randomness has its own independent ChaCha stream derived
//! from the run's seed. Keeping them apart is what lets compare mode drive two
//! patterns with the *same* arrival times and service-time draws: a pattern
//! that makes extra network draws does not shift the arrival sequence.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The independent random streams of one run.
#[derive(Clone)]
pub struct Streams {
    /// Inter-arrival gaps of the offered load and the choice of client.
    pub arrivals: ChaCha8Rng,
    /// Service-time draws, one per request, in request order.
    pub service: ChaCha8Rng,
    /// Per-message latency jitter and loss.
    pub network: ChaCha8Rng,
    /// Retry back-off jitter and other client-side choices.
    pub client: ChaCha8Rng,
}

impl Streams {
    pub fn new(seed: u64) -> Self {
        let stream = |n: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(n);
            rng
        };
        Streams {
            arrivals: stream(1),
            service: stream(2),
            network: stream(3),
            client: stream(4),
        }
    }
}
