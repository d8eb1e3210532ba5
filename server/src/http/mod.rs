//! The HTTP surface: the router (`routes`) and what every request passes
//! through — the page's assets (`assets`), the security headers
//! (`headers`), the origin check (`origin`), the capped listener
//! (`listener`), who a request comes from (`client`) and how often a
//! client may do what (`gate`); the rooms' HTTP surface (`rooms`: create,
//! describe, answer, steer, QR, join); the `/ws` upgrade that sends a
//! socket to a private session or a room (`socket`).
//!
//! May use: `live`, `class`, `export`, `shared`, `limits`, `shutdown`.
//! Nothing below it uses it (but `gate`, which `shared` holds).

pub mod assets;
pub mod client;
pub mod gate;
pub mod headers;
pub mod listener;
pub mod origin;
pub mod real;
pub mod real_line;
pub mod rooms;
pub mod routes;
pub mod socket;
pub mod sweep;
