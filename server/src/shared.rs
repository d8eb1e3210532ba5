//! What every request handler shares: the limits, the simulation threads,
//! the places left under each cap, the shutdown signal and the throttled
//! warnings.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::cluster::Cluster;
use crate::limits::Limits;
use crate::rooms::Rooms;
use crate::shutdown::Shutdown;
use crate::simulators::Simulators;
use crate::throttle::Throttle;

pub struct Shared {
    pub limits: Limits,
    pub simulators: Simulators,
    /// Places left for viewer sessions (`limits.max_sessions`).
    pub sessions: Arc<Semaphore>,
    /// Places left for exports (`limits.max_exports`).
    pub exports: Arc<Semaphore>,
    pub shutdown: Shutdown,
    pub warnings: Warnings,
    /// Open classroom rooms.
    pub rooms: Rooms,
    /// The set of replicas this one belongs to (`serve --nats`), if any.
    pub cluster: Option<Arc<Cluster>>,
    /// What one client may do how often (rooms, unknown codes, ballots).
    pub gate: crate::gate::Gate,
}

/// The warnings a flood could repeat, each written at most once a minute.
pub struct Warnings {
    pub full: Throttle,
    pub oversized: Throttle,
    pub exports_busy: Throttle,
}

impl Shared {
    pub fn new(
        limits: Limits,
        simulators: Simulators,
        shutdown: Shutdown,
        cluster: Option<Arc<Cluster>>,
    ) -> Arc<Shared> {
        let every = Duration::from_secs(60);
        Arc::new(Shared {
            gate: crate::gate::Gate::new(&limits),
            sessions: Arc::new(Semaphore::new(limits.max_sessions)),
            exports: Arc::new(Semaphore::new(limits.max_exports)),
            limits,
            simulators,
            shutdown,
            rooms: Rooms::default(),
            cluster,
            warnings: Warnings {
                full: Throttle::new("the session cap is reached", every),
                oversized: Throttle::new("oversized control message", every),
                exports_busy: Throttle::new("the export cap is reached", every),
            },
        })
    }

    /// Sessions running now.
    pub fn sessions_open(&self) -> usize {
        self.limits.max_sessions - self.sessions.available_permits()
    }
}
