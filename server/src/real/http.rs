//! The HTTP plumbing the real HTTP patterns share: their client (hyper's,
//! through the loopback-only connector), a router served on a loopback
//! listener for the length of a run, and the numbers the parties pass in
//! headers (message ids, run times in nanoseconds, counts).

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::Router;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinHandle;

use super::log::Log;
use super::loopback::{self, Loopback};
use super::Limits;

/// A real run's HTTP client: bodiless requests over at most the run's
/// sockets, to loopback only; its first exchange is copied into the log's
/// capture.
pub type Http = Client<Loopback, Empty<Bytes>>;

/// The client for a run logging into `log`.
pub fn client(limits: &Limits, log: &Log) -> Http {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(limits.sockets)
        .build(Loopback::tapped(log.capture.clone()))
}

/// A client whose bytes are not shown: the inner tier of a pattern with
/// two (the page shows what its clients sent and got).
pub fn inner_client(limits: &Limits) -> Http {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(limits.sockets)
        .build(Loopback::new())
}

/// A router served on 127.0.0.1 until [`Serving::stop`].
pub struct Serving {
    pub addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

/// Serves `app` on a fresh loopback port.
pub async fn serve(app: Router) -> Result<Serving, String> {
    let (listener, addr) = loopback::listen().await?;
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Serving { addr, task })
}

impl Serving {
    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops serving and closes every connection it holds.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// A number from header `name`, if it is there and is one.
pub fn num(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.parse().ok()
}

/// Writes the number `v` as header `name`.
pub fn stamp(h: &mut HeaderMap, name: &'static str, v: u64) {
    h.insert(name, v.into());
}
