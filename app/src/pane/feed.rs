//! The browser end of the WebSocket: frames in, controls out, reconnects.
//!
//! Binary frames are decoded into [`Frame`]s and handed to a callback; text
//! frames are the server's error messages. When the socket closes (the server
//! restarted, the network blinked, the server was full) the feed says why
//! and reconnects with jittered exponential back-off (unless the server
//! said what it asked for is gone for good: then it stops), so a class whose
//! server restarts does not come back in one burst; it asks the URL callback
//! afresh so the new session starts with the settings the page shows.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use sim::wire::{Control, Frame};
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// Connection state as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Live,
    /// Lost; the next attempt is in `in_ms` milliseconds. `reason` is what
    /// the server said when it closed the connection, if it said anything.
    Reconnecting {
        attempt: u32,
        in_ms: u32,
        reason: Option<String>,
    },
    /// The server said what this pane asked for no longer exists (a real
    /// run no longer kept): no more attempts; the reason is in the notice.
    Ended,
}

/// What the feed calls back into.
pub struct Callbacks {
    /// The WebSocket URL to (re)connect to.
    pub url: Box<dyn Fn() -> String>,
    pub on_frame: Box<dyn Fn(Frame<'static>)>,
    /// An error message from the server (a refused control, a bad setting).
    pub on_error: Box<dyn Fn(String)>,
    /// A room's presenter opened (or closed) the inspector.
    pub on_inspect: Box<dyn Fn(Option<u64>, Option<u64>)>,
    /// A room's presenter started a sweep or got one of its points.
    pub on_sweep: Box<dyn Fn(crate::json::Json)>,
    pub on_state: Box<dyn Fn(ConnState)>,
}

struct Handlers {
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

struct Inner {
    cb: Callbacks,
    ws: RefCell<Option<WebSocket>>,
    /// Kept alive as long as their socket is.
    handlers: RefCell<Option<Handlers>>,
    /// Failed attempts since the last successful open.
    attempt: Cell<u32>,
}

/// A self-reconnecting WebSocket feed.
#[derive(Clone)]
pub struct Feed {
    inner: Rc<Inner>,
}

thread_local! {
    /// Bytes every feed of the page received: what it costs the classroom
    /// network (shown in the help overlay).
    static RECEIVED: Cell<u64> = const { Cell::new(0) };
}

/// Bytes received by every feed of the page so far.
pub fn received_bytes() -> u64 {
    RECEIVED.with(Cell::get)
}

/// Longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 8000;
/// The server's close codes that change how soon to come back.
const GOING_AWAY: u16 = 1001;
const TRY_AGAIN_LATER: u16 = 1013;

/// How long to wait before attempt `attempt` after a close with `code`:
/// exponential, with full jitter so that thirty pages whose server
/// restarted do not all reconnect in the same instant; longer when the
/// server said it was full.
fn backoff_ms(attempt: u32, code: u16, unit: f64) -> u32 {
    let base = match code {
        TRY_AGAIN_LATER => 5_000,
        GOING_AWAY => 1_000,
        _ => 250,
    };
    let cap = (base << attempt.saturating_sub(1).min(5)).min(MAX_BACKOFF_MS.max(base));
    // Between half the step and the whole of it.
    (f64::from(cap) * (0.5 + 0.5 * unit.clamp(0.0, 1.0))) as u32
}

impl Feed {
    pub fn connect(cb: Callbacks) -> Feed {
        let feed = Feed {
            inner: Rc::new(Inner {
                cb,
                ws: RefCell::new(None),
                handlers: RefCell::new(None),
                attempt: Cell::new(0),
            }),
        };
        open(&feed.inner);
        feed
    }

    /// Sends a control message; `false` if not connected right now.
    pub fn send(&self, c: &Control) -> bool {
        match self.inner.ws.borrow().as_ref() {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => {
                ws.send_with_str(&crate::json::control(c)).is_ok()
            }
            _ => false,
        }
    }
}

fn open(inner: &Rc<Inner>) {
    (inner.cb.on_state)(ConnState::Connecting);
    let url = (inner.cb.url)();
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => {
            schedule_reconnect(inner, 0, None);
            return;
        }
    };
    ws.set_binary_type(BinaryType::Arraybuffer);
    let weak = Rc::downgrade(inner);

    let w = weak.clone();
    let on_open = Closure::<dyn FnMut(Event)>::new(move |_| {
        if let Some(inner) = w.upgrade() {
            inner.attempt.set(0);
            (inner.cb.on_state)(ConnState::Live);
        }
    });
    let w = weak.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(inner) = w.upgrade() else { return };
        let data = e.data();
        if let Some(text) = data.as_string() {
            RECEIVED.with(|r| r.set(r.get() + text.len() as u64));
            // A text frame is an error (`{"type":"error","message":…}`)
            // or a presenter's inspector or sweep relayed
            // (`{"type":"inspect",…}`, `{"type":"sweep",…}`).
            let json = crate::json::Json::parse(&text);
            match json.as_ref().and_then(|j| j.get("type").str()).as_deref() {
                Some("inspect") => {
                    if let Some(j) = &json {
                        (inner.cb.on_inspect)(j.get("req").u64(), j.get("msg").u64());
                    }
                    return;
                }
                Some("sweep") => {
                    if let Some(j) = json {
                        (inner.cb.on_sweep)(j);
                    }
                    return;
                }
                _ => {}
            }
            let message = json.and_then(|j| j.get("message").str()).unwrap_or(text);
            (inner.cb.on_error)(message);
        } else {
            let bytes = js_sys::Uint8Array::new(&data).to_vec();
            RECEIVED.with(|r| r.set(r.get() + bytes.len() as u64));
            match Frame::decode(&bytes) {
                Ok(frame) => (inner.cb.on_frame)(frame),
                Err(e) => (inner.cb.on_error)(format!("undecodable frame from the server: {e}")),
            }
        }
    });
    let w = weak;
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        if let Some(inner) = w.upgrade() {
            inner.ws.borrow_mut().take();
            let reason = e.reason();
            if e.code() == sim::wire::CLOSE_GONE {
                (inner.cb.on_state)(ConnState::Ended);
                return;
            }
            let reason = (!reason.is_empty()).then_some(reason);
            schedule_reconnect(&inner, e.code(), reason);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    *inner.ws.borrow_mut() = Some(ws);
    *inner.handlers.borrow_mut() = Some(Handlers {
        _open: on_open,
        _message: on_message,
        _close: on_close,
    });
}

fn schedule_reconnect(inner: &Rc<Inner>, code: u16, reason: Option<String>) {
    let attempt = inner.attempt.get() + 1;
    inner.attempt.set(attempt);
    let in_ms = backoff_ms(attempt, code, js_sys::Math::random());
    (inner.cb.on_state)(ConnState::Reconnecting {
        attempt,
        in_ms,
        reason,
    });
    let weak: Weak<Inner> = Rc::downgrade(inner);
    leptos::prelude::set_timeout(
        move || {
            if let Some(inner) = weak.upgrade() {
                open(&inner);
            }
        },
        Duration::from_millis(in_ms as u64),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_is_jittered_and_waits_longer_when_the_server_is_full() {
        // Full jitter: the same attempt spreads over half to all of a step.
        assert_eq!(backoff_ms(1, 1006, 0.0), 125);
        assert_eq!(backoff_ms(1, 1006, 1.0), 250);
        assert!(backoff_ms(4, 1006, 1.0) > backoff_ms(2, 1006, 1.0));
        assert!(backoff_ms(30, 1006, 1.0) <= MAX_BACKOFF_MS);
        // A restarting server: not all at once, within a second or two.
        let spread: Vec<u32> = [0.0, 0.5, 1.0]
            .iter()
            .map(|&u| backoff_ms(1, GOING_AWAY, u))
            .collect();
        assert_eq!(spread, vec![500, 750, 1000]);
        assert!(backoff_ms(1, TRY_AGAIN_LATER, 0.0) >= 2_500);
    }
}
