//! One viewer: a WebSocket connection and the session it drives.
//!
//! The connection task ([`serve_viewer`]) owns the socket's read half and
//! the session. Every tick (~30 Hz) it hands the session, with the controls
//! that arrived since the last tick, to a simulation thread
//! ([`crate::live::simulators`]) and gets it back with the replies and the
//! encoded tick; while the session is away, controls wait unread in the
//! socket. A writer task drains two queues into the socket: replies first
//! (hello, params, errors, close), then ticks.
//!
//! Limits (see [`crate::limits::Limits`]): control messages above the size
//! limit close the connection with 1009; at most `controls_per_tick` are
//! read per tick, the rest wait in the socket (no reply is ever dropped);
//! a viewer that takes no tick for `stall` is closed with 1008 and its
//! session stopped; one silent for `idle` is closed too; on shutdown every
//! viewer gets 1001. The tick queue is short: a viewer that cannot keep up
//! makes the session coalesce (count and drop) events instead of waiting.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, MissedTickBehavior};

use crate::live::session::{METRICS_EVERY, TICK};
use crate::live::simulators::Weight;
use crate::live::watched::{Watched, Worked};
use crate::shared::Shared;

/// Ticks that may wait for the socket before the session starts coalescing.
const TICK_QUEUE: usize = 4;
/// Replies that may wait for the socket. A tick produces at most
/// `controls_per_tick` + 1 of them; a viewer that lets this many pile up is
/// not reading, and is closed rather than losing one.
const REPLY_QUEUE: usize = 256;
/// How long a closing viewer's last frames may take to leave.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

fn text(s: String) -> Message {
    Message::Text(Utf8Bytes::from(s))
}

/// An error text frame (`{"type":"error","message":…}`).
pub(crate) fn error_frame(message: &str) -> Message {
    text(sim::wire::error_text(message))
}

/// Whether a socket error is tungstenite's capacity error ("Space limit
/// exceeded: Message too long: N > M"): a message over the size limit.
pub(crate) fn too_big(e: &axum::Error) -> bool {
    let said = e.to_string();
    said.contains("Message too long") || said.contains("Space limit")
}

/// A close frame with its code and the reason the page shows.
pub(crate) fn close(code: u16, reason: &str) -> Message {
    // A close frame's reason holds at most 123 bytes; the whole text went
    // in the error frame before it.
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(&reason[..end]),
    }))
}

/// The most bytes a WebSocket close frame's reason may have (RFC 6455 §5.5).
const MAX_CLOSE_REASON: usize = 123;

/// Tells a viewer why it cannot have a session, and closes.
pub(crate) async fn refuse(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        let _ = socket.send(text(sim::wire::error_text(reason))).await;
        let _ = socket.send(close(code, reason)).await;
    })
    .await;
}

/// Why a viewer's connection ended.
enum Ending {
    /// The viewer closed it, or the socket failed: nothing more to say.
    Gone,
    /// The server closes it with this code and reason.
    Close(u16, String),
}

/// Runs a session (a live run, or a real run played back) for one
/// connected viewer until it disconnects, stalls, or the server stops.
/// `_permit` holds its place under the session cap.
pub async fn serve_viewer<S: Watched>(
    socket: WebSocket,
    session: S,
    problems: Vec<String>,
    shared: Arc<Shared>,
    _permit: OwnedSemaphorePermit,
) {
    let limits = shared.limits.clone();
    let (mut sink, mut stream) = socket.split();
    let (tick_tx, mut tick_rx) = mpsc::channel::<Message>(TICK_QUEUE);
    let (reply_tx, mut reply_rx) = mpsc::channel::<Message>(REPLY_QUEUE);

    let mut writer = tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                biased;
                Some(m) = reply_rx.recv() => m,
                Some(m) = tick_rx.recv() => m,
                else => break,
            };
            let closing = matches!(msg, Message::Close(_));
            if sink.send(msg).await.is_err() || closing {
                break;
            }
        }
    });

    // Replies are never dropped: a viewer that lets them pile up is closed.
    let reply = |msg: Message| -> Result<(), Ending> {
        match reply_tx.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(Ending::Close(
                close_code::POLICY,
                "the page stopped reading its replies".into(),
            )),
            Err(TrySendError::Closed(_)) => Err(Ending::Gone),
        }
    };

    let ending = 'conn: {
        if let Err(e) = reply(Message::Binary(Bytes::from(session.hello()))) {
            break 'conn e;
        }
        for p in problems {
            if let Err(e) = reply(text(sim::wire::error_text(&p))) {
                break 'conn e;
            }
        }

        let mut session = Some(session);
        let mut job: Option<tokio::sync::oneshot::Receiver<(S, Worked)>> = None;
        let mut controls: Vec<String> = Vec::with_capacity(limits.controls_per_tick);
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        let mut last_heard = Instant::now();
        let mut last_ping = Instant::now();
        let mut stalled_since: Option<Instant> = None;
        let mut ticks: u64 = 0;
        let mut weight = Weight::Light;
        let stopping = shared.shutdown.triggered();
        tokio::pin!(stopping);

        loop {
            tokio::select! {
                biased;
                _ = &mut stopping => {
                    break 'conn Ending::Close(close_code::AWAY, crate::shutdown::REASON.into());
                }
                done = async { job.as_mut().expect("guarded by is_some").await }, if job.is_some() => {
                    job = None;
                    let Ok((s, worked)) = done else {
                        break 'conn Ending::Close(close_code::ERROR, "the simulation stopped".into());
                    };
                    session = Some(s);
                    weight = if worked.spent { Weight::Heavy } else { Weight::Light };
                    let answers = worked.answers.into_iter().filter_map(|a| match a {
                        Ok(Some(f)) => Some(Message::Binary(Bytes::from(f))),
                        Ok(None) => None,
                        Err(e) => Some(text(sim::wire::error_text(&e))),
                    });
                    let notice = worked.notice.map(|n| text(sim::wire::error_text(&n)));
                    let said = worked.said.into_iter().map(|f| Message::Binary(Bytes::from(f)));
                    // A seek's moment reached this tick comes before the
                    // answers (a change made at that moment follows it).
                    for msg in said.chain(answers).chain(notice) {
                        if let Err(e) = reply(msg) {
                            break 'conn e;
                        }
                    }
                    if let Some(frame) = worked.tick {
                        // Room was checked before the work started, and only
                        // this task sends ticks.
                        let _ = tick_tx.try_send(Message::Binary(Bytes::from(frame)));
                    }
                }
                _ = interval.tick() => {
                    let now = Instant::now();
                    if now - last_heard > limits.idle {
                        break 'conn Ending::Close(
                            close_code::AWAY,
                            format!("no answer from the page for {} s", limits.idle.as_secs()),
                        );
                    }
                    if now - last_ping > limits.idle / 6 {
                        last_ping = now;
                        if let Err(e) = reply(Message::Ping(Bytes::new())) {
                            break 'conn e;
                        }
                    }
                    // Still working on the last tick: this one is skipped and
                    // the run falls behind real time.
                    let Some(mut s) = session.take() else { continue };
                    if tick_tx.is_closed() {
                        break 'conn Ending::Gone;
                    }
                    let room = tick_tx.capacity() > 0;
                    if room {
                        stalled_since = None;
                    } else if now - *stalled_since.get_or_insert(now) > limits.stall {
                        break 'conn Ending::Close(
                            close_code::POLICY,
                            format!(
                                "the page took no frame for {} s; its session was stopped",
                                limits.stall.as_secs()
                            ),
                        );
                    }
                    let wall = now - last;
                    last = now;
                    ticks += 1;
                    let with_metrics = ticks.is_multiple_of(METRICS_EVERY);
                    let batch = std::mem::take(&mut controls);
                    let cpu = limits.tick_cpu;
                    job = Some(shared.simulators.run(weight, move || {
                        let worked = s.work(&batch, wall, cpu, room, with_metrics, false);
                        (s, worked)
                    }));
                }
                incoming = stream.next(), if controls.len() < limits.controls_per_tick => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(t))) => controls.push(t.as_str().to_owned()),
                        Some(Ok(Message::Binary(_))) => {
                            if let Err(e) = reply(text(sim::wire::error_text(
                                "control messages are JSON text frames, not binary",
                            ))) {
                                break 'conn e;
                            }
                        }
                        Some(Ok(Message::Close(_))) | None => break 'conn Ending::Gone,
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            if too_big(&e) {
                                shared.warnings.oversized.warn("a control message over the size limit");
                                break 'conn Ending::Close(
                                    close_code::SIZE,
                                    format!("control messages are at most {} bytes", limits.max_message),
                                );
                            }
                            break 'conn Ending::Gone;
                        }
                    }
                }
            }
        }
    };

    if let Ending::Close(code, reason) = ending {
        // The close frame goes out after any replies still queued.
        if reply_tx.try_send(close(code, &reason)).is_ok() {
            let _ = tokio::time::timeout(CLOSE_GRACE, &mut writer).await;
        }
    }
    writer.abort();
}
