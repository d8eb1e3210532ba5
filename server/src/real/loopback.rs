//! The only way a real run's clients reach anything: a connector that
//! dials loopback IP addresses and refuses every other address and every
//! host name (no DNS lookup, no proxy: hyper-util's client reads no proxy
//! variables, and nothing here sets one up).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tower_service::Service;

use super::tap::{Capture, Tap};

/// Dials `127.0.0.0/8` and `::1` only.
#[derive(Clone)]
pub struct Loopback {
    inner: HttpConnector,
    /// The first connection's bytes, when the run wants them shown.
    capture: Option<Arc<Mutex<Capture>>>,
}

impl Loopback {
    pub fn new() -> Loopback {
        let mut inner = HttpConnector::new();
        inner.set_nodelay(true);
        // An IP literal never goes through the resolver; a name is refused
        // before it could.
        inner.enforce_http(true);
        Loopback {
            inner,
            capture: None,
        }
    }

    /// Copies the first connection's first exchange into `capture`.
    pub fn tapped(capture: Arc<Mutex<Capture>>) -> Loopback {
        Loopback {
            capture: Some(capture),
            ..Loopback::new()
        }
    }
}

impl Default for Loopback {
    fn default() -> Self {
        Loopback::new()
    }
}

/// A listener for a real run's service: 127.0.0.1 on a port of the
/// system's choosing, every accepted socket with Nagle off (a stream's
/// small writes would otherwise wait for the previous one's ACK), and the
/// address to reach it at.
pub async fn listen() -> Result<(Listener, std::net::SocketAddr), String> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok((listener.tap_io(no_delay as fn(&mut _)), addr))
}

/// What [`listen`] gives.
pub type Listener = axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>;

fn no_delay(socket: &mut tokio::net::TcpStream) {
    let _ = socket.set_nodelay(true);
}

/// Why a destination is refused, or `None` when it is loopback.
pub fn refusal(uri: &Uri) -> Option<String> {
    let host = uri.host().unwrap_or("");
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => None,
        Ok(ip) => Some(format!("a real run stays on this machine: {ip} is not a loopback address")),
        Err(_) => Some(format!(
            "a real run stays on this machine: '{host}' is a name, and only loopback addresses are dialled"
        )),
    }
}

impl Service<Uri> for Loopback {
    type Response = TokioIo<Tap<tokio::net::TcpStream>>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        if let Some(why) = refusal(&uri) {
            return Box::pin(async move { Err(why.into()) });
        }
        let connecting = self.inner.call(uri);
        let capture = self.capture.as_ref().and_then(Capture::claim);
        Box::pin(async move {
            let stream = connecting.await?.into_inner();
            Ok(TokioIo::new(Tap::new(stream, capture)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_literals_pass() {
        for ok in [
            "http://127.0.0.1:9/x",
            "http://127.3.2.1/",
            "http://[::1]:80/",
        ] {
            assert_eq!(refusal(&ok.parse().unwrap()), None, "{ok}");
        }
        for bad in [
            "http://10.0.0.1/",
            "http://192.168.1.2:80/",
            "http://example.com/",
            "http://localhost:3000/",
        ] {
            let why = refusal(&bad.parse().unwrap()).expect(bad);
            assert!(why.contains("stays on this machine"), "{why}");
        }
    }

    /// The connector itself refuses, before any socket is opened.
    #[tokio::test]
    async fn the_connector_refuses_other_hosts() {
        let mut c = Loopback::new();
        for bad in ["http://10.0.0.1:80/", "http://example.com/"] {
            let Err(err) = c.call(bad.parse().unwrap()).await else {
                panic!("{bad} was dialled");
            };
            assert!(err.to_string().contains("stays on this machine"), "{err}");
        }
    }
}
