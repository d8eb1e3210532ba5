//! A member's socket to a room pane: the presenter's (controls forwarded
//! to the pane's driver, refusals answered to them alone) or a follower's
//! (read-only); both receive the pane's frames, byte for byte the same. A
//! lagging follower skips to a fresh catch-up; one that stops reading is
//! dropped; the room's counts stay right however a socket ends.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{close_code, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::class::host::Host;
use crate::class::room::{Order, Room, MAX_FOLLOWERS};
use crate::live::viewer::{close, error_frame, too_big};

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// Sends one message, giving up (false) if the page takes none for `stall`.
async fn send(sink: &mut Sink, stall: Duration, m: Message) -> bool {
    matches!(tokio::time::timeout(stall, sink.send(m)).await, Ok(Ok(())))
}

/// Keeps a room's count of followers or presenters right however a
/// connection ends; a room whose last presenter leaves is paused.
struct Membership {
    room: Arc<Room>,
    presenter: bool,
    /// A follower counted among the room's students (pane 0).
    counted: bool,
}

impl Drop for Membership {
    fn drop(&mut self) {
        if self.presenter {
            if self.room.presenters.fetch_sub(1, Ordering::Relaxed) == 1 {
                self.room.pause_all();
                if let Ok(mut t) = self.room.presenter_seen.lock() {
                    *t = Instant::now();
                }
            }
        } else if self.counted {
            self.room.followers.fetch_sub(1, Ordering::Relaxed);
            if self.room.is_mirrored() {
                // A relayed room is forgotten a while after its last
                // member here leaves.
                if let Ok(mut t) = self.room.presenter_seen.lock() {
                    *t = Instant::now();
                }
            }
        }
    }
}

/// One connection to a room pane: the presenter's (controls forwarded to
/// the pane's driver, refusals answered to them alone) or a follower's
/// (read-only). Both receive the pane's frames, byte for byte the same.
pub async fn serve(
    mut socket: WebSocket,
    room: Arc<Room>,
    pane: usize,
    presenter: bool,
    host: Arc<dyn Host>,
) {
    let Some(rp) = room.panes.get(pane).cloned() else {
        let _ = socket
            .send(close(close_code::POLICY, "this class has no such pane"))
            .await;
        return;
    };
    // A student's page opens one socket per pane; pane 0's count the
    // students.
    let counted = !presenter && pane == 0;
    if !presenter {
        if !room.joining_open.load(Ordering::Relaxed) {
            let _ = socket
                .send(close(close_code::POLICY, "the teacher has locked joining"))
                .await;
            return;
        }
        if counted && room.followers.fetch_add(1, Ordering::Relaxed) >= MAX_FOLLOWERS {
            room.followers.fetch_sub(1, Ordering::Relaxed);
            let reason = format!("this class is full ({MAX_FOLLOWERS} students)");
            let _ = socket.send(close(close_code::AGAIN, &reason)).await;
            return;
        }
    } else {
        room.presenters.fetch_add(1, Ordering::Relaxed);
        room.claimed.store(true, Ordering::Relaxed);
    }
    let _membership = Membership {
        room: Arc::clone(&room),
        presenter,
        counted,
    };
    let limits = host.limits().clone();
    let (mut sink, mut stream) = socket.split();
    let (mut rx, frames, mut last) = rp.join();
    for m in frames.into_iter().filter_map(message) {
        if !send(&mut sink, limits.stall, m).await {
            return;
        }
    }
    let closed = room.closed();
    tokio::pin!(closed);
    let stopping = host.shutdown().triggered();
    tokio::pin!(stopping);
    let mut ping = tokio::time::interval(limits.idle / 6);
    let mut last_heard = Instant::now();
    let ending: (u16, String) = loop {
        tokio::select! {
            biased;
            _ = &mut stopping => break (close_code::AWAY, crate::shutdown::REASON.into()),
            why = &mut closed => break (close_code::AWAY, why),
            got = rx.recv() => match got {
                Ok(n) => {
                    if n.seq > last {
                        last = n.seq;
                        let Some(m) = message(n) else {
                            continue;
                        };
                        if !send(&mut sink, limits.stall, m).await {
                            break (close_code::POLICY, format!("the page took no frame for {} s", limits.stall.as_secs()));
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Behind the room: skip to where it is now.
                    let (r, frames, l) = rp.join();
                    rx = r;
                    last = l;
                    for m in frames.into_iter().filter_map(message) {
                        if !send(&mut sink, limits.stall, m).await {
                            return;
                        }
                    }
                }
                Err(RecvError::Closed) => break (close_code::AWAY, "the class has ended".into()),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > limits.idle {
                    break (close_code::AWAY, format!("no answer from the page for {} s", limits.idle.as_secs()));
                }
                if !send(&mut sink, limits.stall, Message::Ping(bytes::Bytes::new())).await {
                    return;
                }
            }
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(t))) => {
                        if !presenter {
                            if !send(&mut sink, limits.stall, error_frame("only the presenter can change this room")).await {
                                return;
                            }
                            continue;
                        }
                        let (answer, refused) = oneshot::channel();
                        if rp.orders.send(Order { text: t.as_str().to_owned(), answer }).await.is_err() {
                            break (close_code::AWAY, "the class has ended".into());
                        }
                        if let Ok(Ok(Some(e))) = tokio::time::timeout(Duration::from_secs(5), refused).await {
                            if !send(&mut sink, limits.stall, error_frame(&e)).await {
                                return;
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        if too_big(&e) {
                            break (close_code::SIZE, format!("control messages are at most {} bytes", limits.max_message));
                        }
                        return;
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        sink.send(close(ending.0, &ending.1)),
    )
    .await;
}

/// A room frame as the WebSocket message it is sent as: text (a notice, the
/// presenter's inspector or sweep) or binary.
fn message(n: super::room::Numbered) -> Option<Message> {
    if n.text {
        Utf8Bytes::try_from(n.bytes).ok().map(Message::Text)
    } else {
        Some(Message::Binary(n.bytes))
    }
}
