//! `server` — Switchboard's process: the axum web server, the per-viewer
//! simulation sessions, the classroom and the headless CLI. Its folders,
//! from the bottom up (each may use those before it, never after):
//!
//! - `limits`, `shutdown`, `throttle`: every limit, the stop signal, the
//!   log's flood guard.
//! - [`live`]: a viewer's socket and its session, paced in real time on
//!   the simulation threads, within its budgets.
//! - [`class`]: rooms (each pane simulated once, its frames fanned out),
//!   their registry, ballots, member sockets, and the rooms across
//!   replicas through NATS (`serve --nats`).
//! - [`export`]: a run simulated again as events, metrics or words.
//! - [`shared`]: what every handler receives — the one place that names
//!   the registry and the replicas together.
//! - [`http`]: the router, assets, headers, origin checks, the listener,
//!   clients and their rates, the `/ws` upgrade.
//! - [`serve`] runs it all; [`cli`] is `switchboard serve` and
//!   `switchboard simulate`.

pub mod class;
pub mod cli;
pub mod export;
pub mod http;
pub mod limits;
pub mod live;
pub mod real;
pub mod sequence;
pub mod serve;
pub mod shared;
pub mod shutdown;
pub mod sweeps;
pub mod throttle;
pub mod trace;
