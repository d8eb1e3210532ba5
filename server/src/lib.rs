//! `server` — Switchboard's process: the axum web server, the per-viewer
//! simulation sessions and the headless CLI.
//!
//! - [`routes`] assembles the router: the server-rendered page and its
//!   assets, `GET /api/patterns`, `GET /api/export`, `GET /ws`.
//! - [`export`] re-simulates a shared run for its NDJSON events or CSV
//!   metrics.
//! - [`viewer`] is one WebSocket connection: it owns a [`session::Session`]
//!   and paces it in real time.
//! - [`session`] is the transport-free part of a session: controls in,
//!   frames out. Tested without sockets or clocks.
//! - [`pacer`] turns elapsed wall time into virtual time.
//! - [`cli`] is `switchboard simulate` and `switchboard serve`.

pub mod cli;
pub mod export;
pub mod pacer;
pub mod routes;
pub mod session;
pub mod viewer;
