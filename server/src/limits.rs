//! The limits that let one process host a whole class: what one viewer, one
//! export or one stranger may take. Defaults are embedded; `switchboard
//! serve` flags override the ones a host may want to change.

use std::time::Duration;

/// A client's rate: `burst` at once, then `per_minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

/// Every limit the server enforces, in one place so the README's table and
/// the tests read the same numbers.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Concurrent viewer sessions (WebSocket connections). Past it a new
    /// viewer is told the server is full (close 1013), so one class cannot
    /// be crowded out by a flood of tabs.
    pub max_sessions: usize,
    /// Concurrent TCP connections of any kind. Past it new connections wait
    /// in the kernel's backlog instead of costing memory.
    pub max_connections: usize,
    /// Largest control message. Controls are a few dozen bytes; anything
    /// bigger is closed with 1009 before it is parsed.
    pub max_message: usize,
    /// Control messages applied per tick (~30 ticks a second). Past it the
    /// server stops reading the socket until the next tick: a flood is
    /// slowed down, and no reply is ever dropped.
    pub controls_per_tick: usize,
    /// Wall CPU time one session's simulation may take per tick. A run that
    /// needs more falls behind real time and says so.
    pub tick_cpu: Duration,
    /// A viewer that has not taken a tick for this long is closed (1008)
    /// and its session stopped.
    pub stall: Duration,
    /// Silence after which a viewer is taken for gone. Pings go out every
    /// sixth of it; a live page answers them without any code of ours (the
    /// browser does, even in a background tab), so a client that stopped
    /// reading is found here even while the kernel still buffers its frames.
    pub idle: Duration,
    /// Exports running at once; more are refused with 503.
    pub max_exports: usize,
    /// Events an export may simulate (a few CPU-seconds); past it the
    /// export stops with a clear refusal.
    pub export_events: u64,
    /// Live changes one export recipe may carry.
    pub recipe_changes: usize,
    /// Sweep requests (a point of a page's sweep each) running at once
    /// (default: one per core but one); more are refused with 503 and the
    /// page asks again shortly.
    pub max_sweeps: usize,
    /// Events one sweep request may simulate (estimated before it runs).
    pub sweep_events: u64,
    /// Threads one sweep request runs its replications on, at a lower
    /// priority than the live sessions.
    pub sweep_threads: usize,
    /// Real runs (`POST /api/real`: a pattern over real loopback sockets)
    /// at once (default: one per core but one); more are refused in words.
    pub max_real_runs: usize,
    /// How long a room whose presenter has gone stays (paused) before it
    /// closes and tells its followers.
    pub room_grace: Duration,
    /// A room no presenter has opened within this closes by itself; so
    /// does one whose presenter left this long ago when nobody follows it.
    pub claim_grace: Duration,
    /// Rooms one client may start: a burst (a school's teachers behind one
    /// address), then a steady rate; past it 429 with `Retry-After`.
    pub rooms: Rate,
    /// Unknown class codes one client may look up (a class of 30 mistyping
    /// codes); past it every lookup from it waits.
    pub unknown_codes: Rate,
    /// Ballots (one prediction each) one client's pages may be given.
    pub ballots: Rate,
    /// The header a trusted proxy puts the client's address in (e.g.
    /// X-Forwarded-For, X-Real-IP); `None`: the peer's address.
    pub client_ip_header: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 256,
            max_connections: 1024,
            max_message: 16 * 1024,
            controls_per_tick: 16,
            tick_cpu: Duration::from_millis(10),
            stall: Duration::from_secs(10),
            idle: Duration::from_secs(30),
            max_exports: 2,
            export_events: 10_000_000,
            recipe_changes: 5_000,
            // One core always left to the live sessions: a sweep thread on
            // each of the others, one thread a sweep.
            max_sweeps: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1),
            sweep_events: 200_000_000,
            sweep_threads: 1,
            max_real_runs: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1),
            room_grace: Duration::from_secs(600),
            claim_grace: Duration::from_secs(30),
            rooms: Rate {
                per_minute: 2,
                burst: 10,
            },
            unknown_codes: Rate {
                per_minute: 60,
                burst: 30,
            },
            ballots: Rate {
                per_minute: 6,
                burst: 40,
            },
            client_ip_header: None,
        }
    }
}
