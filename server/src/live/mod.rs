//! Live sessions: a viewer's socket and its session (`viewer`), the
//! transport-free session that turns controls into frames within its
//! budgets (`session`), which events a heavy tick carries (`sampling`),
//! wall time to virtual time (`pacer`) and the simulation threads
//! (`simulators`).
//!
//! May use: `sim`, `limits`, `shutdown`, `throttle`, `shared` (the viewer
//! task's caps). Knows nothing of rooms: the classroom builds on it.

pub mod pacer;
pub mod sampling;
pub mod session;
pub mod simulators;
pub mod viewer;
