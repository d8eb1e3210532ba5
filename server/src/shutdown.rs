//! Stopping with the class in mind: on SIGTERM or Ctrl-C every viewer gets
//! a close frame (1001, "going away") with a reason the page shows, running
//! exports are cancelled, and the process exits within a few seconds.
//!
//! axum's graceful shutdown waits for HTTP requests but does not know about
//! upgraded WebSocket connections, so sessions are told through a
//! [`Shutdown`] signal they all watch.

use tokio::sync::watch;

/// The close reason viewers see.
pub const REASON: &str = "the server is restarting: reconnecting shortly";

/// A one-way signal: "the server is stopping". Cheap to clone.
#[derive(Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            tx: watch::Sender::new(false),
        }
    }
}

impl Shutdown {
    /// Tells every watcher to stop.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves when the server is stopping (at once if it already is).
    pub fn triggered(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: stopping"),
        _ = term => tracing::info!("SIGTERM: stopping"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn watchers_hear_the_trigger_even_if_they_start_late() {
        let s = Shutdown::default();
        let early = tokio::spawn(s.triggered());
        assert!(!s.is_triggered());
        s.trigger();
        early.await.unwrap();
        // A watcher that starts after the trigger resolves at once.
        s.triggered().await;
    }
}
