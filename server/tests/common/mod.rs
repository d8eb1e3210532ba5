//! What the server's integration tests share: a server on port 0 with the
//! limits a test asks for, and WebSocket helpers (tokio-tungstenite).

#![allow(dead_code)]

pub mod classroom;
pub mod nats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use server::limits::Limits;
use server::serve::{Config, Server};
use server::shared::Shared;
use sim::wire::Frame;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A running test server.
pub struct Running {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    /// Send to stop it as SIGTERM would.
    pub stop: Option<oneshot::Sender<()>>,
    /// Resolves when `Server::run` returned.
    pub done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves on port 0 with `limits`.
pub async fn serve_with(limits: Limits, threads: usize) -> Running {
    serve_config(Config {
        site_root: "target/site".into(),
        limits,
        allow_origins: vec!["http://allowed.example".into()],
        threads,
        cluster: None,
    })
    .await
}

/// Serves `config` on port 0.
pub async fn serve_config(config: Config) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::new(listener, config).unwrap();
    let (addr, shared) = (server.addr, Arc::clone(&server.shared));
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        shared,
        stop: Some(tx),
        done,
    }
}

/// Serves on port 0 with the default limits.
pub async fn serve() -> SocketAddr {
    let r = serve_with(Limits::default(), 2).await;
    // Never stopped: the test's runtime ends it.
    std::mem::forget(r.stop);
    r.addr
}

pub async fn connect(addr: SocketAddr, query: &str) -> Ws {
    let (ws, _) = connect_async(format!("ws://{addr}/ws?{query}"))
        .await
        .unwrap();
    ws
}

/// The next message, or a panic after a generous deadline.
pub async fn next(ws: &mut Ws) -> Message {
    tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("a message within 10 s")
        .expect("the stream is open")
        .expect("no protocol error")
}

pub async fn next_frame(ws: &mut Ws) -> Frame<'static> {
    loop {
        match next(ws).await {
            Message::Binary(b) => return Frame::decode(&b).expect("frames decode"),
            Message::Text(t) => panic!("unexpected text frame: {t}"),
            _ => {}
        }
    }
}

pub async fn next_text(ws: &mut Ws) -> serde_json::Value {
    loop {
        if let Message::Text(t) = next(ws).await {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.unwrap();
}

/// Reads until the server's close frame; its code and reason. Panics if
/// none comes within `within`.
pub async fn close_of(ws: &mut Ws, within: Duration) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(f))))) => return (f.code.into(), f.reason.to_string()),
            Ok(Some(Ok(Message::Close(None)))) => return (1005, String::new()),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("protocol error instead of a close frame: {e}"),
            Ok(None) => panic!("the connection ended without a close frame"),
            Err(_) => panic!("no close frame within {within:?}"),
        }
    }
}

/// A raw HTTP/1.1 request; the status line and the body.
pub async fn http(addr: SocketAddr, request: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}
