//! The bytes of real exchanges, as they crossed the socket: a wrapper
//! around the first few connections a real run's clients open that copies
//! the first bytes each writes and reads, for the page to show a student
//! what HTTP, an event stream, a WebSocket or NATS actually sent — the
//! run's first request and its response, and each message's own bytes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::{Connected, Connection};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Most bytes kept each way of an HTTP, event-stream or WebSocket
/// connection: a request head is a few hundred, so this holds the first
/// fifty or so messages each way, each readable in the inspector
/// ([`super::bytes`]).
const KEEP: usize = 32 * 1024;

/// Most connections of one run whose bytes are kept. A client's pool opens
/// one connection per request in flight, so a run with requests
/// overlapping spreads them over several: with this many, most messages
/// of a lesson's loads crossed a tapped one. At most 512 KiB a run.
const MAX_CONNS: usize = 8;

/// One request and its response, as text (HTTP/1.1 heads are ASCII).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Exchange {
    pub request: String,
    pub response: String,
}

/// Most bytes kept each way of a broker's connection: its greeting and
/// API calls come before the frames shown.
const KEEP_NATS: usize = 64 * 1024;

/// Most names ([`Capture::name`]) one run keeps.
const MAX_NAMES: usize = 8192;

/// One tapped connection's bytes, each way from its start.
#[derive(Default)]
struct Conn {
    sent: Vec<u8>,
    received: Vec<u8>,
}

/// Where the tapped bytes go.
#[derive(Default)]
pub struct Capture {
    /// The connections tapped, in the order they opened (the first one's
    /// first exchange is the one the report shows).
    conns: Vec<Conn>,
    /// A broker's connection: the frames to show, not an HTTP exchange.
    nats: Option<Frames>,
    /// What in a broker's frame tells whose message it is (a delivery's
    /// reply subject, a payload), by message id: NATS frames carry no
    /// `x-msg` of ours, so the real parties say what to look for.
    names: std::collections::HashMap<String, u64>,
}

/// Which NATS protocol frames a broker's connection shows: the first the
/// client sent starting with `sent`, the first the broker sent starting
/// with `received`.
#[derive(Clone, Copy, Debug)]
pub struct Frames {
    pub sent: &'static str,
    pub received: &'static str,
}

impl Capture {
    /// A capture of a broker connection's `frames`.
    pub fn nats(frames: Frames) -> Capture {
        Capture {
            nats: Some(frames),
            ..Capture::default()
        }
    }

    fn keep(&self) -> usize {
        if self.nats.is_some() {
            KEEP_NATS
        } else {
            KEEP
        }
    }

    /// A place for the next connection's bytes, while there is one (a
    /// broker's capture has a single relay in front of it).
    pub fn claim(capture: &Arc<Mutex<Capture>>) -> Option<Claim> {
        let mut c = capture.lock().expect("never poisoned");
        let most = if c.nats.is_some() { 1 } else { MAX_CONNS };
        if c.conns.len() >= most {
            return None;
        }
        c.conns.push(Conn::default());
        Some(Claim {
            capture: Arc::clone(capture),
            conn: c.conns.len() - 1,
        })
    }

    /// A broker's frame holding `token` (a subject, a payload) is message
    /// `msg`'s. Kept for a broker's capture only, at most [`MAX_NAMES`].
    pub fn name(capture: &Mutex<Capture>, token: &str, msg: u64) {
        let mut c = capture.lock().expect("never poisoned");
        if c.nats.is_some() && c.names.len() < MAX_NAMES {
            c.names.insert(token.to_string(), msg);
        }
    }

    /// Every whole message the tapped connections carried, by message id
    /// (a message that crossed two is shown as each carried it, in the
    /// order they opened).
    pub fn by_message(capture: &Mutex<Capture>) -> std::collections::BTreeMap<u64, String> {
        let c = capture.lock().expect("never poisoned");
        let mut out = std::collections::BTreeMap::<u64, String>::new();
        for conn in &c.conns {
            let found = match c.nats {
                Some(_) => super::bytes::by_nats(&conn.sent, &conn.received, &c.names),
                None => super::bytes::by_message(&conn.sent, &conn.received),
            };
            for (msg, text) in found {
                if out.len() >= super::bytes::MAX_MESSAGES && !out.contains_key(&msg) {
                    continue;
                }
                out.entry(msg).or_default().push_str(&text);
            }
        }
        out
    }

    /// The first message each way, cut at the end of its head and body
    /// (a request without a body; a response of `content-length: 0`).
    pub fn exchange(capture: &Mutex<Capture>) -> Option<Exchange> {
        let c = capture.lock().expect("never poisoned");
        let first = c.conns.first().filter(|f| !f.sent.is_empty())?;
        if let Some(f) = c.nats {
            return Some(Exchange {
                request: nats_frame(&first.sent, f.sent)?,
                response: nats_frame(&first.received, f.received)?,
            });
        }
        Some(Exchange {
            request: first_message(&first.sent),
            response: first_message(&first.received),
        })
    }
}

/// The first NATS protocol frame starting with `prefix` (its control
/// line, and a message's payload after it).
fn nats_frame(bytes: &[u8], prefix: &str) -> Option<String> {
    super::bytes::nats_frames(bytes)
        .into_iter()
        .find(|(line, _)| line.starts_with(prefix))
        .map(|(_, text)| text)
}

/// Events of a stream shown after its head.
const STREAM_EVENTS: usize = 3;

/// The first message: its head, and for an event stream (which never
/// ends) its first few events with their chunk framing.
fn first_message(bytes: &[u8]) -> String {
    let head = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |i| i + 4);
    let streaming = String::from_utf8_lossy(&bytes[..head])
        .to_ascii_lowercase()
        .contains("content-type: text/event-stream");
    if String::from_utf8_lossy(&bytes[..head]).contains(" 101 Switching Protocols")
        || String::from_utf8_lossy(&bytes[..head])
            .to_ascii_lowercase()
            .contains("upgrade: websocket")
    {
        let mut text = String::from_utf8_lossy(&bytes[..head]).into_owned();
        if let Some(frame) = super::bytes::WsFrame::read(&bytes[head..]) {
            text.push_str(&frame.told("first frame"));
        }
        return text;
    }
    let mut end = head;
    if streaming {
        // Each event ends in a blank line, then its chunk's CRLF.
        for _ in 0..STREAM_EVENTS {
            match bytes[end..].windows(4).position(|w| w == b"\n\n\r\n") {
                Some(i) => end += i + 4,
                None => break,
            }
        }
    }
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// One connection's place in a [`Capture`] ([`Capture::claim`]).
pub struct Claim {
    capture: Arc<Mutex<Capture>>,
    conn: usize,
}

/// A stream that copies what it carries into its [`Claim`], if it has one.
pub struct Tap<T> {
    inner: T,
    claim: Option<Claim>,
    /// Each way (received, sent) whose share is full: the rest of the
    /// connection passes without taking the capture's lock.
    full: [bool; 2],
}

impl<T> Tap<T> {
    pub fn new(inner: T, claim: Option<Claim>) -> Tap<T> {
        Tap {
            inner,
            claim,
            full: [false; 2],
        }
    }

    fn keep(&mut self, bytes: &[u8], sent: bool) {
        let Some(claim) = self
            .claim
            .as_ref()
            .filter(|_| !self.full[usize::from(sent)])
        else {
            return;
        };
        let mut c = claim.capture.lock().expect("never poisoned");
        let keep = c.keep();
        let conn = &mut c.conns[claim.conn];
        let into = if sent {
            &mut conn.sent
        } else {
            &mut conn.received
        };
        let room = keep.saturating_sub(into.len());
        into.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.full[usize::from(sent)] = into.len() >= keep;
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tap<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let before = buf.filled().len();
        let done = Pin::new(&mut me.inner).poll_read(cx, buf);
        if matches!(done, Poll::Ready(Ok(()))) {
            me.keep(&buf.filled()[before..], false);
        }
        done
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tap<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let done = Pin::new(&mut me.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = done {
            me.keep(&buf[..n], true);
        }
        done
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<T: Connection> Connection for Tap<T> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame is found past others, payloads (even one holding CR LF)
    /// are skipped whole and kept with their frame.
    #[test]
    fn nats_frames_are_read_one_by_one() {
        let wire = b"INFO {}\r\nPUB a 4\r\nMSG \r\nPING\r\nMSG work.q 1 $JS.ACK.S.C.2.5.5.1.0 2\r\n17\r\nPONG\r\n";
        assert_eq!(
            nats_frame(wire, "MSG work").as_deref(),
            Some("MSG work.q 1 $JS.ACK.S.C.2.5.5.1.0 2\r\n17\r\n")
        );
        assert_eq!(nats_frame(wire, "PING").as_deref(), Some("PING\r\n"));
        assert_eq!(nats_frame(wire, "SUB"), None);
    }

    #[test]
    fn cuts_each_way_at_the_first_message() {
        let c = Arc::new(Mutex::new(Capture::default()));
        assert_eq!(Capture::exchange(&c), None);
        let _tap = Capture::claim(&c).unwrap();
        assert_eq!(Capture::exchange(&c), None, "nothing sent yet");
        {
            let mut g = c.lock().unwrap();
            g.conns[0]
                .sent
                .extend_from_slice(b"POST /x HTTP/1.1\r\nhost: a\r\n\r\nPOST /x HTTP/1.1\r\n");
            g.conns[0]
                .received
                .extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200");
        }
        let e = Capture::exchange(&c).unwrap();
        assert_eq!(e.request, "POST /x HTTP/1.1\r\nhost: a\r\n\r\n");
        assert_eq!(e.response, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    }

    #[test]
    fn a_websocket_shows_its_first_frame() {
        let c = Arc::new(Mutex::new(Capture::default()));
        let _tap = Capture::claim(&c).unwrap();
        {
            let mut g = c.lock().unwrap();
            g.conns[0]
                .sent
                .extend_from_slice(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
            // "hi", masked with key 01 02 03 04.
            g.conns[0]
                .sent
                .extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]);
            g.conns[0].received.extend_from_slice(
                b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
            );
            g.conns[0]
                .received
                .extend_from_slice(&[0x81, 0x02, b'o', b'k']);
        }
        let e = Capture::exchange(&c).unwrap();
        assert!(
            e.request.ends_with("[first frame: 81 82 01 02 03 04 — FIN, text, 2 bytes, masked by the client, shown unmasked]\nhi\n"),
            "{}",
            e.request
        );
        assert!(
            e.response
                .ends_with("[first frame: 81 02 — FIN, text, 2 bytes, unmasked]\nok\n"),
            "{}",
            e.response
        );
    }

    #[test]
    fn an_event_stream_shows_its_first_events() {
        let c = Arc::new(Mutex::new(Capture::default()));
        let _tap = Capture::claim(&c).unwrap();
        let event = |id: u32| format!("2a\r\nid: {id}\nevent: update\ndata: {{}}\n\n\r\n");
        {
            let mut g = c.lock().unwrap();
            g.conns[0]
                .sent
                .extend_from_slice(b"GET /e HTTP/1.1\r\n\r\n");
            g.conns[0]
                .received
                .extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n");
            for id in 1..=5 {
                g.conns[0].received.extend_from_slice(event(id).as_bytes());
            }
        }
        let e = Capture::exchange(&c).unwrap();
        assert!(e.response.ends_with(&event(3)), "{}", e.response);
        assert!(!e.response.contains("id: 4"), "{}", e.response);
    }

    /// Several connections are tapped, each from its start, up to
    /// [`MAX_CONNS`]; their messages are filed together, and the report's
    /// exchange is the first connection's. A broker's capture has one.
    #[tokio::test]
    async fn several_connections_are_tapped_each_from_its_start() {
        use tokio::io::AsyncWriteExt;
        let c = Arc::new(Mutex::new(Capture::default()));
        let request =
            |m: u64| format!("POST /x HTTP/1.1\r\nx-msg: {m}\r\ncontent-length: 0\r\n\r\n");
        let mut taps = Vec::new();
        for _ in 0..MAX_CONNS {
            taps.push(Tap::new(Vec::<u8>::new(), Capture::claim(&c)));
        }
        assert!(Capture::claim(&c).is_none(), "at most {MAX_CONNS}");
        for (i, tap) in taps.iter_mut().enumerate().rev() {
            tap.write_all(request(i as u64 + 10).as_bytes())
                .await
                .unwrap();
        }
        let filed = Capture::by_message(&c);
        assert_eq!(
            filed.keys().copied().collect::<Vec<_>>(),
            (10..10 + MAX_CONNS as u64).collect::<Vec<_>>()
        );
        assert_eq!(filed[&13], request(13));
        let e = Capture::exchange(&c).unwrap();
        assert_eq!(e.request, request(10), "the first connection's");
        assert_eq!(
            taps[0].inner,
            request(10).into_bytes(),
            "bytes pass through"
        );

        let broker = Arc::new(Mutex::new(Capture::nats(Frames {
            sent: "PUB",
            received: "MSG",
        })));
        assert!(Capture::claim(&broker).is_some());
        assert!(Capture::claim(&broker).is_none(), "one relay");
    }
}
