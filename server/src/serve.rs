//! `switchboard serve`: binds, serves, and stops gracefully.
//!
//! On SIGTERM or Ctrl-C the shutdown signal tells every viewer (close 1001)
//! and every export (cancelled); axum stops accepting and finishes the HTTP
//! requests in flight; the process returns within [`STOP_WITHIN`] whatever
//! a client does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::class::cluster::Cluster;
use crate::http::listener::CappedListener;
use crate::http::origin::Origins;
use crate::limits::Limits;
use crate::live::simulators::Simulators;
use crate::shared::Shared;
use crate::shutdown::Shutdown;

/// The longest a stop may take once signalled.
pub const STOP_WITHIN: Duration = Duration::from_secs(4);
/// How long viewers get to receive their close frames.
const VIEWERS_WITHIN: Duration = Duration::from_secs(2);

/// Everything `serve` needs.
pub struct Config {
    pub site_root: String,
    pub limits: Limits,
    pub allow_origins: Vec<String>,
    /// Simulation threads (0: one per core).
    pub threads: usize,
    /// The set of replicas to join (`--nats`); `None`: rooms are local.
    pub cluster: Option<Arc<Cluster>>,
}

/// A bound server, ready to run.
pub struct Server {
    listener: CappedListener,
    app: axum::Router,
    pub shared: Arc<Shared>,
    pub addr: SocketAddr,
}

impl Server {
    /// Binds `listener` and assembles the application.
    pub fn new(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let simulators = if config.threads == 0 {
            Simulators::per_core()
        } else {
            Simulators::start(config.threads)
        };
        let max_connections = config.limits.max_connections;
        let shared = Shared::new(
            config.limits,
            simulators,
            Shutdown::default(),
            config.cluster,
        );
        let app = crate::http::routes::router(
            crate::http::routes::leptos_options(&config.site_root, addr),
            Arc::clone(&shared),
            Origins::new(&config.allow_origins),
        );
        Ok(Server {
            listener: CappedListener::new(listener, max_connections),
            app,
            shared,
            addr,
        })
    }

    /// Serves until `stop` resolves, then shuts down gracefully.
    pub async fn run(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let shared = self.shared;
        let shutdown = shared.shutdown.clone();
        let told = shutdown.clone();
        // The peer's address reaches the handlers (per-client limits).
        let app = self
            .app
            .into_make_service_with_connect_info::<crate::http::client::Peer>();
        let serving = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            stop.await;
            told.trigger();
        });
        let serving = tokio::spawn(async move { serving.await });
        // Rooms whose presenter has gone too long are closed.
        let sweeper = {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let limits = &shared.limits;
                let shortest = limits.room_grace.min(limits.claim_grace);
                let mut every = tokio::time::interval(
                    shortest.clamp(Duration::from_millis(100), Duration::from_secs(30)) / 2,
                );
                loop {
                    every.tick().await;
                    shared.rooms.sweep(limits.room_grace, limits.claim_grace);
                    shared.gate.forget();
                }
            })
        };
        // In a set of replicas: the heartbeat, members' reports, takeovers.
        let replica = shared
            .cluster
            .clone()
            .map(|c| tokio::spawn(c.run(Arc::clone(&shared) as Arc<dyn crate::class::host::Host>)));
        shutdown.triggered().await;
        sweeper.abort();
        if let Some(r) = replica {
            // Leaves the set first (each room's final record written), so
            // that another replica takes the rooms over.
            let _ = tokio::time::timeout(Duration::from_secs(1), r).await;
        }
        shared.rooms.close_all(crate::shutdown::REASON);
        // Viewers close themselves on the signal; wait for them to be gone.
        let all = shared.limits.max_sessions as u32;
        let _ = tokio::time::timeout(VIEWERS_WITHIN, shared.sessions.acquire_many(all)).await;
        match tokio::time::timeout(STOP_WITHIN - VIEWERS_WITHIN, serving).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(std::io::Error::other(e)),
            Err(_) => {
                tracing::warn!("some requests were still open at shutdown; leaving them");
                Ok(())
            }
        }
    }
}
