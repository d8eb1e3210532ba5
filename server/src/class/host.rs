//! What a room's drivers, a member's socket and the replicas need from the
//! server, and nothing more: its limits, its simulation threads, its stop
//! signal and the rooms it holds. `shared::Shared` is the server's; the
//! classroom sees it through this trait, so it never depends on what the
//! HTTP handlers share.

use crate::class::room::Runtime;
use crate::class::rooms::Rooms;
use crate::shutdown::Shutdown;

/// The server as the classroom sees it: a driver's [`Runtime`], the stop
/// signal and the rooms held here.
pub trait Host: Runtime {
    fn shutdown(&self) -> &Shutdown;
    /// The rooms this replica holds (simulated here or relayed).
    fn rooms(&self) -> &Rooms;
}
