//! `server` — Switchboard's process: the axum web server, the per-viewer
//! simulation sessions and the headless CLI.
//!
//! - [`routes`] assembles the router: the server-rendered page and its
//!   assets, `GET /api/patterns`, `GET|POST /api/export`, `GET /ws`, behind
//!   the [`origin`] check and the security [`headers`].
//! - [`serve`] runs it: the capped [`listener`], the [`simulators`], the
//!   [`shutdown`] signal.
//! - [`export`] re-simulates a shared run for its NDJSON events or CSV
//!   metrics, bounded and cancellable.
//! - [`viewer`] is one WebSocket connection: it owns a [`session::Session`],
//!   paces it in real time and runs it on the [`simulators`].
//! - [`session`] is the transport-free part of a session: controls in,
//!   frames out, budgets kept. Tested without sockets.
//! - [`room`] is one classroom room: its panes simulated once, frames
//!   fanned out to every follower; [`rooms`] the registry and its HTTP
//!   surface (create, describe, QR, join, member sockets); [`cluster`]
//!   spreads rooms over replicas through NATS (`serve --nats`).
//! - [`pacer`] turns elapsed wall time into virtual time.
//! - [`gate`] holds what one client may do how often (rooms, unknown
//!   codes, ballots).
//! - [`limits`] holds every limit; [`shared`] what handlers share;
//!   [`throttle`] keeps floods out of the log.
//! - [`cli`] is `switchboard simulate` and `switchboard serve`.

pub mod assets;
pub mod ballot;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod export;
pub mod gate;
pub mod headers;
pub mod limits;
pub mod listener;
pub mod origin;
pub mod pacer;
pub mod room;
pub mod rooms;
pub mod routes;
pub mod sampling;
pub mod serve;
pub mod session;
pub mod shared;
pub mod shutdown;
pub mod simulators;
pub mod throttle;
pub mod viewer;
