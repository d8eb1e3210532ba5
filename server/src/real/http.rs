//! The HTTP plumbing the real HTTP patterns share: their client (hyper's,
//! through the loopback-only connector), a router served on a loopback
//! listener for the length of a run, a service's answer worked on a task
//! of its own, and the numbers the parties pass in headers (message ids,
//! run times in nanoseconds, counts).

use std::future::Future;
use std::net::SocketAddr;

use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sim::event::MsgId;
use sim::time::Time;
use tokio::task::JoinHandle;
use tokio::time::Instant;

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

/// Runs a service's handling of a message on a task of its own, so a
/// client that gives up (drops its request) does not stop the work — the
/// model's wasted work; a task that failed answers `500`.
pub async fn detached<F>(job: F) -> (StatusCode, HeaderMap)
where
    F: Future<Output = (StatusCode, HeaderMap)> + Send + 'static,
{
    tokio::spawn(job)
        .await
        .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new()))
}

/// The headers of a service's answer to a message it took in: the
/// answer's own message id and when (run time) the message arrived, was
/// taken up and answered.
pub fn answer(log: &Log, [arrived, started, left]: [Instant; 3]) -> HeaderMap {
    let mut out = HeaderMap::new();
    stamp(&mut out, "x-msg", log.msg());
    stamp(&mut out, "x-arrived-ns", log.time(arrived));
    stamp(&mut out, "x-started-ns", log.time(started));
    stamp(&mut out, "x-left-ns", log.time(left));
    out
}

/// A service's answer as its client read it.
pub struct Answered {
    pub status: StatusCode,
    /// The answer's message id.
    pub msg: MsgId,
    /// When (run time) the message arrived, was taken up and answered
    /// (the first two are the third when the answer does not say).
    pub trip: [Time; 3],
}

/// Sends `request` and reads the whole answer; none when the exchange
/// failed or the service answered nothing the pattern counts (no `x-msg`
/// and `x-left-ns`: a service that is down).
pub async fn exchange(http: &Http, request: hyper::Request<Empty<Bytes>>) -> Option<Answered> {
    let response = http.request(request).await.ok()?;
    let status = response.status();
    let h = response.headers();
    let (msg, left) = (num(h, "x-msg")?, num(h, "x-left-ns")?);
    let arrived = num(h, "x-arrived-ns").unwrap_or(left);
    let started = num(h, "x-started-ns").unwrap_or(left);
    response.into_body().collect().await.ok()?;
    Some(Answered {
        status,
        msg,
        trip: [arrived, started, left],
    })
}

/// A number from header `name`, if it is there and is one.
pub fn num(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.parse().ok()
}

/// Writes the number `v` as header `name`.
pub fn stamp(h: &mut HeaderMap, name: &'static str, v: u64) {
    h.insert(name, v.into());
}
