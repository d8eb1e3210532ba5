//! The classroom: one room and its panes' drivers (`room`), the rooms
//! this replica holds (`rooms`), what a driver and the replicas need from
//! the server (`host`), join codes and secrets (`codes`), ballots
//! (`ballot`), the registry every handler goes through — local rooms, and
//! the replicas behind them (`registry`) — a member's socket (`member`),
//! and the rooms across replicas (`cluster`, only with `serve --nats`).
//! Its HTTP handlers are `http::rooms`.
//!
//! May use: `live` (sessions, the simulation threads), `sim`, `app` (room
//! links), `limits`, `shutdown`. `cluster` never calls the registry or a
//! handler: it works on rooms through `host`; the registry calls it.

pub mod ballot;
pub mod cluster;
pub mod codes;
pub mod host;
pub mod member;
pub mod registry;
pub mod room;
pub mod rooms;
