//! The line for real runs: a page that finds every place taken is given a
//! ticket and told how many are ahead of it; it keeps its place by asking
//! again with its ticket (the page does, every second), and runs when its
//! turn comes and a place is free. A ticket not asked for in `STALE` is
//! dropped — its page went away — and the line holds at most
//! `MAX_WAITING`, past which a page is refused in words; one address holds
//! at most `PER_CLIENT` of those places, so one script cannot fill the
//! line ahead of a class. Tickets are random 53-bit numbers (exact in a
//! browser's JSON): a page cannot take another's turn by guessing its
//! ticket.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How long a ticket keeps its place without being asked for.
pub const STALE: Duration = Duration::from_secs(5);

/// The longest line.
pub const MAX_WAITING: usize = 32;

/// Most places in line one address holds: a quarter, so a script asking
/// without end leaves three quarters to everyone else, while a class
/// behind one school address still has eight pages waiting (with one run
/// of at most 30 s at a time, the eighth runs within four minutes).
pub const PER_CLIENT: usize = MAX_WAITING / 4;

/// The line, in order of arrival.
#[derive(Default)]
pub struct Line {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    waiting: VecDeque<Waiting>,
}

struct Waiting {
    ticket: u64,
    /// Whose page: an address holds at most [`PER_CLIENT`] places.
    client: IpAddr,
    /// When its page last asked.
    seen: Instant,
}

/// What a page asking for a real run is told.
#[derive(Debug)]
pub enum Turn {
    /// Its turn, with its place.
    Run(OwnedSemaphorePermit),
    /// Wait: its ticket and how many are ahead of it.
    Wait { ticket: u64, ahead: usize },
    /// The line is full.
    Full,
    /// This address already holds its [`PER_CLIENT`] places.
    Crowded,
}

impl Line {
    /// A page at `client` asks at `now`, with its ticket if it has one,
    /// for one of `places`.
    pub fn ask(
        &self,
        places: &Arc<Semaphore>,
        ticket: Option<u64>,
        client: IpAddr,
        now: Instant,
    ) -> Turn {
        let mut line = self.inner.lock().expect("never poisoned");
        line.waiting
            .retain(|w| now.saturating_duration_since(w.seen) < STALE);
        let at = ticket.and_then(|t| line.waiting.iter().position(|w| w.ticket == t));
        if at.unwrap_or(line.waiting.len()) == 0 {
            if let Ok(place) = Arc::clone(places).try_acquire_owned() {
                if at.is_some() {
                    line.waiting.pop_front();
                }
                return Turn::Run(place);
            }
        }
        if let Some(i) = at {
            line.waiting[i].seen = now;
            let ticket = line.waiting[i].ticket;
            return Turn::Wait { ticket, ahead: i };
        }
        if line.waiting.len() >= MAX_WAITING {
            return Turn::Full;
        }
        if line.waiting.iter().filter(|w| w.client == client).count() >= PER_CLIENT {
            return Turn::Crowded;
        }
        // Random, so no page can guess another's ticket to take its turn;
        // 53 bits, so a browser's JSON numbers carry it exactly.
        let ticket = rand::random::<u64>() >> 11;
        line.waiting.push_back(Waiting {
            ticket,
            client,
            seen: now,
        });
        Turn::Wait {
            ticket,
            ahead: line.waiting.len() - 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    /// Another address than `ME`, the `n`th.
    fn other(n: usize) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::new(10, 0, (n >> 8) as u8, n as u8))
    }

    fn waits(t: Turn) -> (u64, usize) {
        match t {
            Turn::Wait { ticket, ahead } => (ticket, ahead),
            other => panic!("expected to wait, got {other:?}"),
        }
    }

    /// First come, first served: a free place goes to the head of the
    /// line, not to a newcomer; each waiting page learns its place.
    #[test]
    fn places_go_in_order_of_arrival() {
        let places = Arc::new(Semaphore::new(1));
        let line = Line::default();
        let t0 = Instant::now();
        let running = match line.ask(&places, None, ME, t0) {
            Turn::Run(p) => p,
            other => panic!("{other:?}"),
        };
        let (a, ahead) = waits(line.ask(&places, None, ME, t0));
        assert_eq!(ahead, 0);
        let (b, ahead) = waits(line.ask(&places, None, ME, t0));
        assert_eq!(ahead, 1);
        drop(running);
        // A newcomer does not jump the line, nor does the second.
        let (_, ahead) = waits(line.ask(&places, None, ME, t0));
        assert_eq!(ahead, 2);
        assert_eq!(waits(line.ask(&places, Some(b), ME, t0)), (b, 1));
        let second = match line.ask(&places, Some(a), ME, t0) {
            Turn::Run(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(waits(line.ask(&places, Some(b), ME, t0)), (b, 0));
        drop(second);
        assert!(matches!(line.ask(&places, Some(b), ME, t0), Turn::Run(_)));
    }

    /// A page that stops asking loses its place; a stale or unknown
    /// ticket queues at the back; the line has an end.
    #[test]
    fn a_silent_page_loses_its_place_and_the_line_is_bounded() {
        let places = Arc::new(Semaphore::new(0));
        let line = Line::default();
        let t0 = Instant::now();
        let (a, _) = waits(line.ask(&places, None, ME, t0));
        let later = t0 + Duration::from_secs(3);
        let (b, ahead) = waits(line.ask(&places, None, ME, later));
        assert_eq!(ahead, 1);
        // `a` was last seen at t0: gone by t0 + 5 s; `b` moves up.
        let (b2, ahead) = waits(line.ask(&places, Some(b), ME, t0 + STALE));
        assert_eq!((b2, ahead), (b, 0));
        let (a2, ahead) = waits(line.ask(&places, Some(a), ME, t0 + STALE));
        assert_ne!(a2, a, "a stale ticket queues anew");
        assert_eq!(ahead, 1);
        for n in 2..MAX_WAITING {
            waits(line.ask(&places, None, other(n), t0 + STALE));
        }
        assert!(matches!(
            line.ask(&places, None, ME, t0 + STALE),
            Turn::Full
        ));
    }

    /// A ticket survives a browser's JSON numbers (doubles) unchanged.
    #[test]
    fn tickets_are_exact_in_a_browsers_numbers() {
        let places = Arc::new(Semaphore::new(0));
        let line = Line::default();
        for n in 0..MAX_WAITING {
            let (ticket, _) = waits(line.ask(&places, None, other(n), Instant::now()));
            assert_eq!(ticket as f64 as u64, ticket);
        }
    }

    /// One address holds at most a quarter of the line: past it that
    /// address is refused while others still get places, and it gets one
    /// again when one of its own has gone.
    #[test]
    fn one_address_holds_at_most_a_quarter_of_the_line() {
        let places = Arc::new(Semaphore::new(0));
        let line = Line::default();
        let t0 = Instant::now();
        let mine: Vec<u64> = (0..PER_CLIENT)
            .map(|_| waits(line.ask(&places, None, ME, t0)).0)
            .collect();
        assert!(matches!(line.ask(&places, None, ME, t0), Turn::Crowded));
        let (_, ahead) = waits(line.ask(&places, None, other(1), t0));
        assert_eq!(ahead, PER_CLIENT, "others still queue");
        // Its own pages keep their places by asking again.
        assert_eq!(
            waits(line.ask(&places, Some(mine[3]), ME, t0)),
            (mine[3], 3)
        );
        // The others of its pages go silent: it may queue again.
        let later = t0 + STALE;
        waits(line.ask(&places, Some(mine[0]), ME, later - Duration::from_millis(1)));
        assert!(matches!(
            line.ask(&places, None, ME, later - Duration::from_millis(1)),
            Turn::Crowded
        ));
        waits(line.ask(&places, None, ME, later));
    }
}
