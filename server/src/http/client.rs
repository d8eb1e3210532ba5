//! Who a request comes from, for the per-client limits (`gate`): the
//! peer's address as the listener accepted it, or — behind a proxy that
//! says so (`serve --client-ip-header`) — the address in that header.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The peer's address, as the capped listener accepted it (what
/// `serve` hands the handlers as connection info).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<
        axum::serve::IncomingStream<'_, crate::http::listener::CappedListener>,
    > for Peer
{
    fn connect_info(
        stream: axum::serve::IncomingStream<'_, crate::http::listener::CappedListener>,
    ) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// The client's address: the peer's, or the first address in the header a
/// trusted proxy sets (`serve --client-ip-header`); unspecified when
/// neither is known (an in-process test without connection info).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Client
where
    std::sync::Arc<crate::shared::Shared>: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRef;
        let shared = std::sync::Arc::<crate::shared::Shared>::from_ref(state);
        if let Some(name) = &shared.limits.client_ip_header {
            let forwarded = parts
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = forwarded {
                return Ok(Client(ip));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map(|c| c.0 .0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Client(peer))
    }
}
