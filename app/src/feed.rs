//! The browser end of the WebSocket: frames in, controls out, reconnects.
//!
//! Binary frames are decoded into [`Frame`]s and handed to a callback; text
//! frames are the server's error messages. When the socket closes (the server
//! restarted, the network blinked) the feed reconnects with exponential
//! back-off, asking the URL callback afresh so the new session starts with
//! the settings the page shows.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use sim::wire::{Control, Frame};
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// Connection state as the page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Live,
    /// Lost; the next attempt is in `in_ms` milliseconds.
    Reconnecting {
        attempt: u32,
        in_ms: u32,
    },
}

/// What the feed calls back into.
pub struct Callbacks {
    /// The WebSocket URL to (re)connect to.
    pub url: Box<dyn Fn() -> String>,
    pub on_frame: Box<dyn Fn(Frame<'static>)>,
    /// An error message from the server (a refused control, a bad setting).
    pub on_error: Box<dyn Fn(String)>,
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

/// Longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 4000;

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
                ws.send_with_str(&c.to_json()).is_ok()
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
            schedule_reconnect(inner);
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
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .unwrap_or(text);
            (inner.cb.on_error)(message);
        } else {
            let bytes = js_sys::Uint8Array::new(&data).to_vec();
            match Frame::decode(&bytes) {
                Ok(frame) => (inner.cb.on_frame)(frame),
                Err(e) => (inner.cb.on_error)(format!("undecodable frame from the server: {e}")),
            }
        }
    });
    let w = weak;
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| {
        if let Some(inner) = w.upgrade() {
            inner.ws.borrow_mut().take();
            schedule_reconnect(&inner);
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

fn schedule_reconnect(inner: &Rc<Inner>) {
    let attempt = inner.attempt.get() + 1;
    inner.attempt.set(attempt);
    let in_ms = (250u32 << attempt.min(5)).min(MAX_BACKOFF_MS);
    (inner.cb.on_state)(ConnState::Reconnecting { attempt, in_ms });
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
