//! `sim` — the deterministic heart of Switchboard.
//!
//! Everything that decides *what happens* in a run lives here: the
//! discrete-event [`scheduler`], seeded random [`rng`] streams, service-time
//! [`dist`]ributions, the [`topology`] of nodes and links, one module per
//! communication pattern under [`patterns`], the [`metrics`] computed from the
//! event stream, and the [`wire`] types the server streams to the browser.
//!
//! Invariants (see `ARCHITECTURE.md`):
//! - `sim` never does I/O, never reads a wall clock and never spawns threads.
//! - For a pattern, parameters and seed, the event stream is identical, byte
//!   for byte, on every run.
//! - Metrics are computed from every event the engine emits; nothing that
//!   reaches the metrics is sampled.
//! - A run never holds more than [`budget::MAX_HELD`] items, and virtual
//!   time never overflows ([`time::FOREVER`]).

pub mod budget;
pub mod catalogue;
pub mod dist;
pub mod engine;
pub mod event;
pub mod faults;
pub mod info;
pub mod ledger;
pub mod lessons;
pub mod link;
pub mod metrics;
pub mod net;
pub mod params;
pub mod pattern;
pub mod patterns;
pub mod recorder;
pub mod rng;
pub mod run;
pub mod scheduler;
pub mod station;
pub mod story;
pub mod sweep;
pub mod theory;
pub mod time;
pub mod timeline;
pub mod topology;
pub mod trip;
pub mod updates;
pub mod wire;

pub use catalogue::{build, catalogue, find_pattern, PatternInfo};
pub use event::{DropReason, Event, FailReason, MsgKind, What};
pub use params::{ParamError, ParamSet, ParamSpec};
pub use pattern::Pattern;
pub use recorder::Recorder;
pub use run::{Simulation, Summary};
pub use time::Time;
