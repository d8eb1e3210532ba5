//! What every request handler shares: the limits, the simulation threads,
//! the places left under each cap, the shutdown signal, the throttled
//! warnings, the rooms and the replicas — the one place that names the
//! registry's two sides together ([`Shared::registry`]); the classroom
//! sees it only as a `class::host::Host`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::class::cluster::Cluster;
use crate::class::rooms::Rooms;
use crate::limits::Limits;
use crate::live::simulators::Simulators;
use crate::shutdown::Shutdown;
use crate::throttle::Throttle;

pub struct Shared {
    pub limits: Limits,
    pub simulators: Simulators,
    /// Places left for viewer sessions (`limits.max_sessions`).
    pub sessions: Arc<Semaphore>,
    /// Places left for exports (`limits.max_exports`).
    pub exports: Arc<Semaphore>,
    /// Places left for sweep requests (`limits.max_sweeps`).
    pub sweeps: Arc<Semaphore>,
    /// Places left for real runs (`limits.max_real_runs`).
    pub real_runs: Arc<Semaphore>,
    /// Pages waiting for a place for a real run, in order.
    pub real_line: crate::http::real_line::Line,
    /// Finished real runs a page may play back beside the model.
    pub recordings: crate::real::recording::Recordings,
    pub shutdown: Shutdown,
    pub warnings: Warnings,
    /// Open classroom rooms.
    pub rooms: Rooms,
    /// The set of replicas this one belongs to (`serve --nats`), if any.
    pub cluster: Option<Arc<Cluster>>,
    /// What one client may do how often (rooms, unknown codes, ballots).
    pub gate: crate::http::gate::Gate,
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
            gate: crate::http::gate::Gate::new(&limits),
            sessions: Arc::new(Semaphore::new(limits.max_sessions)),
            exports: Arc::new(Semaphore::new(limits.max_exports)),
            sweeps: Arc::new(Semaphore::new(limits.max_sweeps)),
            real_runs: Arc::new(Semaphore::new(limits.max_real_runs)),
            real_line: Default::default(),
            recordings: Default::default(),
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

impl crate::class::room::Runtime for Shared {
    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn simulators(&self) -> &Simulators {
        &self.simulators
    }
}

impl crate::class::host::Host for Shared {
    fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    fn rooms(&self) -> &Rooms {
        &self.rooms
    }
}

impl Shared {
    /// The rooms, here and on the other replicas: what every handler and
    /// the socket path go through (`class::registry`).
    pub fn registry(self: &Arc<Self>) -> crate::class::registry::Registry {
        crate::class::registry::Registry {
            host: Arc::clone(self) as Arc<dyn crate::class::host::Host>,
            cluster: self.cluster.clone(),
        }
    }
}
