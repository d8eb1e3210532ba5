//! Live sessions: a viewer's socket and what it drives (`viewer`,
//! `watched`), the transport-free session that turns controls into frames
//! within its budgets (`session`), a recorded real run played back in the
//! same frames (`playback`), which events a heavy tick carries
//! (`sampling`), wall time to virtual time (`pacer`) and the simulation
//! threads (`simulators`).
//!
//! May use: `sim`, `limits`, `shutdown`, `throttle`, `shared` (the viewer
//! task's caps), `real::recording` (what a playback plays). Knows nothing
//! of rooms: the classroom builds on it.

pub mod pacer;
pub mod playback;
pub mod sampling;
pub mod session;
pub mod simulators;
pub mod viewer;
pub mod watched;
