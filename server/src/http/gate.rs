//! What one client may do how often, so that one script cannot take a
//! class over: start rooms, walk the join codes, or mint ballots. Keyed by
//! the client's address (the peer, or the `--client-ip-header` a trusted
//! proxy sets), each a GCRA token bucket (governor): a burst a school
//! behind one address can live with, then a steady rate.
//!
//! Unknown codes are counted as they fail; once a client has spent its
//! burst, *every* code it looks up is refused until it may try again —
//! otherwise a walker would tell a live code from a dead one by the answer
//! it still got. Per replica: with N replicas behind a balancer a client
//! gets up to N times the rates (README, "Hosting for a class").

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock, Reference};
use governor::{Quota, RateLimiter};

use crate::limits::{Limits, Rate};

/// The quota of a rate.
fn quota(rate: Rate) -> Quota {
    let per_minute = NonZeroU32::new(rate.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

type Keyed<C> = RateLimiter<
    IpAddr,
    governor::state::keyed::HashMapStateStore<IpAddr>,
    C,
    governor::middleware::NoOpMiddleware<<C as Clock>::Instant>,
>;

/// The per-client limits of one replica.
pub struct Gate<C: Clock = MonotonicClock> {
    clock: C,
    rooms: Keyed<C>,
    unknown: Keyed<C>,
    ballots: Keyed<C>,
    /// Clients that spent their unknown-code burst, until when.
    blocked: Mutex<HashMap<IpAddr, C::Instant>>,
}

/// How long until the client may try again.
pub type RetryAfter = Duration;

impl Gate<MonotonicClock> {
    pub fn new(limits: &Limits) -> Self {
        Gate::with_clock(limits, MonotonicClock)
    }
}

impl<C: Clock + Clone> Gate<C> {
    /// The gate on `clock` (the tests' own, moved by hand).
    pub fn with_clock(limits: &Limits, clock: C) -> Self {
        Gate {
            rooms: RateLimiter::hashmap_with_clock(quota(limits.rooms), clock.clone()),
            unknown: RateLimiter::hashmap_with_clock(quota(limits.unknown_codes), clock.clone()),
            ballots: RateLimiter::hashmap_with_clock(quota(limits.ballots), clock.clone()),
            blocked: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn check(&self, limiter: &Keyed<C>, ip: IpAddr) -> Result<(), RetryAfter> {
        limiter.check_key(&ip).map_err(|not_until| {
            not_until
                .wait_time_from(self.clock.now())
                .max(Duration::from_secs(1))
        })
    }

    /// A client starts a room.
    pub fn start_room(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        self.check(&self.rooms, ip)
    }

    /// A client's page is given a ballot.
    pub fn ballot(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        self.check(&self.ballots, ip)
    }

    /// Whether a client may look a code up now (it has not spent its
    /// unknown-code burst, or has waited it out).
    pub fn may_look_up(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        let Ok(mut blocked) = self.blocked.lock() else {
            return Ok(());
        };
        let now = self.clock.now();
        match blocked.get(&ip) {
            Some(&until) if until > now => Err(until.duration_since(now).into()),
            Some(_) => {
                blocked.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// A client looked up a code nobody has: counted; past its burst, it is
    /// refused every lookup until it may try again.
    pub fn unknown_code(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        let Err(wait) = self.check(&self.unknown, ip) else {
            return Ok(());
        };
        if let Ok(mut blocked) = self.blocked.lock() {
            let until = self.clock.now() + wait.into();
            blocked.insert(ip, until);
        }
        Err(wait)
    }

    /// Forgets clients whose buckets are full again (memory stays bounded
    /// by the clients of the last minutes).
    pub fn forget(&self) {
        for l in [&self.rooms, &self.unknown, &self.ballots] {
            l.retain_recent();
            l.shrink_to_fit();
        }
        let now = self.clock.now();
        if let Ok(mut blocked) = self.blocked.lock() {
            blocked.retain(|_, until| *until > now);
        }
    }

    /// Clients remembered now (for the tests and the soak).
    pub fn remembered(&self) -> usize {
        self.rooms.len() + self.unknown.len() + self.ballots.len()
    }
}

/// "try again in 12 s": the wait as a person reads it.
pub fn wait_text(wait: RetryAfter) -> String {
    let s = wait.as_secs_f64().ceil().max(1.0) as u64;
    if s >= 120 {
        format!("{} min", s.div_ceil(60))
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::net::Ipv4Addr;

    fn gate() -> (Gate<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (Gate::with_clock(&Limits::default(), clock.clone()), clock)
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_flood_of_rooms_gets_its_burst_then_waits() {
        let (g, clock) = gate();
        let burst = Limits::default().rooms.burst;
        let made = (0..60).filter(|_| g.start_room(A).is_ok()).count();
        assert_eq!(made as u32, burst);
        let wait = g.start_room(A).unwrap_err();
        assert!(wait >= Duration::from_secs(1), "{wait:?}");
        assert!(g.start_room(B).is_ok(), "another client is not held up");
        clock.advance(wait);
        assert!(g.start_room(A).is_ok(), "after the wait, one more");
    }

    #[test]
    fn walking_codes_is_refused_for_every_code_once_the_burst_is_spent() {
        let (g, clock) = gate();
        let burst = Limits::default().unknown_codes.burst;
        for _ in 0..burst {
            assert!(g.may_look_up(A).is_ok());
            assert!(g.unknown_code(A).is_ok());
        }
        let wait = g.unknown_code(A).unwrap_err();
        // Now even a live code is refused: a 404 and a 200 look the same.
        assert!(g.may_look_up(A).is_err());
        assert!(g.may_look_up(B).is_ok());
        clock.advance(wait);
        assert!(g.may_look_up(A).is_ok());
        g.forget();
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(wait_text(Duration::from_millis(200)), "1 s");
        assert_eq!(wait_text(Duration::from_secs(19)), "19 s");
        assert_eq!(wait_text(Duration::from_secs(300)), "5 min");
    }
}
