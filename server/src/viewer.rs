//! One viewer: a WebSocket connection and the session it drives.
//!
//! Three tasks per connection:
//! - the session loop (this module's [`serve_viewer`]): ticks ~30 times a
//!   second, advances the simulation by the wall time elapsed, encodes one
//!   frame, and applies control messages as they arrive;
//! - a writer that drains two queues into the socket: replies (hello, params,
//!   errors) first, then ticks;
//! - the socket's read half is polled by the session loop itself.
//!
//! The tick queue is short and filled with `try_reserve`: a viewer that
//! cannot keep up makes the session coalesce (count and drop) events instead
//! of waiting, so the simulation never blocks on a socket.

use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::Query;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::{Instant, MissedTickBehavior};

use crate::session::Session;

/// Wall time between ticks (~30 Hz).
pub const TICK: Duration = Duration::from_millis(33);
/// A metrics snapshot rides on every n-th tick (~15 Hz).
pub const METRICS_EVERY: u64 = 2;
/// Ticks that may wait for the socket before the session starts coalescing.
const TICK_QUEUE: usize = 4;
/// Replies that may wait; past this a viewer that sends without reading
/// loses replies.
const REPLY_QUEUE: usize = 64;

/// `GET /ws?pattern=…&seed=…&<param>=<value>…`
pub async fn upgrade(ws: WebSocketUpgrade, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    ws.on_upgrade(move |socket| serve_viewer(socket, pairs))
}

fn text(s: String) -> Message {
    Message::Text(Utf8Bytes::from(s))
}

/// Runs a session for one connected viewer until it disconnects.
pub async fn serve_viewer(socket: WebSocket, query: Vec<(String, String)>) {
    let (mut session, problems) =
        Session::from_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (mut sink, mut stream) = socket.split();
    let (tick_tx, mut tick_rx) = mpsc::channel::<Message>(TICK_QUEUE);
    let (reply_tx, mut reply_rx) = mpsc::channel::<Message>(REPLY_QUEUE);

    let writer = tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                biased;
                Some(m) = reply_rx.recv() => m,
                Some(m) = tick_rx.recv() => m,
                else => break,
            };
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });

    let reply = |msg: Message| {
        if let Err(TrySendError::Full(_)) = reply_tx.try_send(msg) {
            tracing::warn!("viewer is not reading its replies; one was dropped");
        }
    };
    reply(Message::Binary(Bytes::from(session.hello())));
    for p in problems {
        reply(text(sim::wire::error_text(&p)));
    }

    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let now = Instant::now();
                session.advance(now - last);
                last = now;
                ticks += 1;
                match tick_tx.try_reserve() {
                    Ok(permit) => {
                        let frame = session.take_tick(ticks.is_multiple_of(METRICS_EVERY));
                        permit.send(Message::Binary(Bytes::from(frame)));
                    }
                    Err(TrySendError::Full(())) => session.coalesce(),
                    Err(TrySendError::Closed(())) => break,
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(t))) => match session.control(t.as_str()) {
                    Ok(Some(frame)) => reply(Message::Binary(Bytes::from(frame))),
                    Ok(None) => {}
                    Err(e) => reply(text(sim::wire::error_text(&e))),
                },
                Some(Ok(Message::Binary(_))) => reply(text(sim::wire::error_text(
                    "control messages are JSON text frames, not binary",
                ))),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    writer.abort();
}
