//! Each real message's own bytes: the tapped connection's bytes ([`tap`])
//! cut into what crossed it — HTTP requests and responses, an event
//! stream's events, WebSocket frames, NATS protocol frames — and filed
//! under the message id each carries (an `x-msg` header, a `"msg":`
//! field, a ping's payload) or, on a broker's connection, the id a real
//! party named for something in the frame (a delivery's reply subject, a
//! payload; a reply to a filed frame goes with it), so the inspector can
//! show a student the very bytes of the message they clicked in the real
//! pane.
//!
//! Only whole messages are filed: the tap keeps the first bytes each way
//! of each connection it taps (32 KiB; a broker relay 64 KiB),
//! and a message cut by that limit is left out rather than shown in part.
//!
//! [`tap`]: super::tap

use std::collections::{BTreeMap, HashMap};

use sim::event::MsgId;

/// Most messages filed for one run (a tapped connection holds ~100 each
/// way; this bounds a run whose messages are tiny).
pub const MAX_MESSAGES: usize = 512;

/// The messages in `sent` and `received` (a connection's two directions),
/// by message id. A message id seen twice (a request resent on the same
/// connection) keeps both, one after the other.
pub fn by_message(sent: &[u8], received: &[u8]) -> BTreeMap<MsgId, String> {
    let mut out = BTreeMap::new();
    walk(sent, &mut out);
    walk(received, &mut out);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Files `text` under `msg`.
fn file(out: &mut BTreeMap<MsgId, String>, msg: Option<MsgId>, text: &str) {
    let Some(msg) = msg else { return };
    if out.len() >= MAX_MESSAGES && !out.contains_key(&msg) {
        return;
    }
    let kept = out.entry(msg).or_default();
    kept.push_str(text);
}

/// A header's value in a message head (names are case-insensitive).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The number after `"msg":` in a JSON payload.
fn msg_field(text: &str) -> Option<MsgId> {
    let at = text.find("\"msg\":")? + 6;
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// One direction of a connection: HTTP messages one after another, until
/// a WebSocket upgrade or an event stream takes the rest.
fn walk(bytes: &[u8], out: &mut BTreeMap<MsgId, String>) {
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let Some(h) = find(rest, b"\r\n\r\n") else {
            return;
        };
        let head_end = h + 4;
        let head = String::from_utf8_lossy(&rest[..head_end]);
        let msg = header(&head, "x-msg").and_then(|v| v.parse().ok());
        let chunked =
            header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let upgraded = head.starts_with("HTTP/1.1 101")
            || header(&head, "upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        if upgraded {
            file(out, msg, &head);
            frames(&rest[head_end..], out);
            return;
        }
        let streaming = header(&head, "content-type")
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"));
        if streaming {
            file(out, msg, &head);
            events(&rest[head_end..], out);
            return;
        }
        let body = if chunked {
            match chunks(&rest[head_end..]).last() {
                // Through the last chunk (of length 0) and its blank line.
                Some(&(_, end, 0)) => end,
                _ => return,
            }
        } else {
            header(&head, "content-length")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
        };
        let end = head_end + body;
        if end > rest.len() {
            return;
        }
        file(out, msg, &String::from_utf8_lossy(&rest[..end]));
        at += end;
    }
}

/// The chunks of a chunked body, each as (start, end, data length), up to
/// the last (of length 0) or as far as they are all there.
fn chunks(body: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(line) = find(&body[at..], b"\r\n") {
        let size = std::str::from_utf8(&body[at..at + line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok());
        let Some(size) = size else { break };
        let end = at + line + 2 + size + 2;
        if end > body.len() {
            break;
        }
        found.push((at, end, size));
        at = end;
        if size == 0 {
            break;
        }
    }
    found
}

/// An event stream's chunks: each event, with its chunk's framing, under
/// the message id in its data.
fn events(body: &[u8], out: &mut BTreeMap<MsgId, String>) {
    for (start, end, _) in chunks(body) {
        let text = String::from_utf8_lossy(&body[start..end]);
        file(out, msg_field(&text), &text);
    }
}

/// WebSocket frames, each under the message id its payload carries: a
/// text frame's `"msg":` field, a ping's first id, a pong's second (a
/// ping carries its own id and its pong's).
fn frames(bytes: &[u8], out: &mut BTreeMap<MsgId, String>) {
    let mut at = 0;
    while let Some(f) = WsFrame::read(&bytes[at..]) {
        let id = |half: usize| {
            let b = f.payload.get(half..half + 8)?;
            Some(u64::from_be_bytes(b.try_into().ok()?))
        };
        let msg = match f.opcode() {
            0x1 => msg_field(&String::from_utf8_lossy(&f.payload)),
            0x9 => id(0),
            0xa => id(8),
            _ => None,
        };
        file(out, msg, &f.told("frame"));
        at += f.taken;
    }
}

/// NATS protocol frames one by one: each control line, and the frame as
/// text (a message's payload, whose length its line ends in, included:
/// a payload is never mistaken for a line). Stops at a frame not all
/// there.
pub fn nats_frames(bytes: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let Some(line_end) = find(rest, b"\r\n") else {
            break;
        };
        let Ok(line) = std::str::from_utf8(&rest[..line_end]) else {
            break;
        };
        let op = line.split(' ').next().unwrap_or("");
        let payload = if matches!(op, "PUB" | "HPUB" | "MSG" | "HMSG") {
            match line
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => n + 2,
                None => break,
            }
        } else {
            0
        };
        let end = line_end + 2 + payload;
        if end > rest.len() {
            break;
        }
        out.push((
            line.to_string(),
            String::from_utf8_lossy(&rest[..end]).into_owned(),
        ));
        at += end;
    }
    out
}

/// A broker connection's message frames (sent, then received), each filed
/// under the message whose name (`names`) its subject, reply subject or
/// payload is; a frame on a filed frame's reply subject (a `PubAck`, an
/// ack) goes with it. A JetStream delivery says which delivery it is.
pub fn by_nats(
    sent: &[u8],
    received: &[u8],
    names: &HashMap<String, MsgId>,
) -> BTreeMap<MsgId, String> {
    let mut found: BTreeMap<MsgId, Vec<(u8, String)>> = BTreeMap::new();
    let mut replies: HashMap<String, MsgId> = HashMap::new();
    for bytes in [sent, received] {
        for (line, text) in nats_frames(bytes) {
            let words: Vec<&str> = line.split(' ').collect();
            // The reply subject's place: PUB subject reply len, HPUB
            // subject reply hlen len, MSG subject sid reply len, HMSG
            // subject sid reply hlen len.
            let reply = match (words[0], words.len()) {
                ("PUB", 4) | ("HPUB", 5) => Some(words[2]),
                ("MSG", 5) | ("HMSG", 6) => Some(words[3]),
                _ => None,
            };
            if words.len() < 2 {
                continue;
            }
            let payload = text[line.len() + 2..].trim_end_matches("\r\n");
            let payload = payload.rsplit("\r\n\r\n").next().unwrap_or(payload);
            // Whose it is: by its payload or its reply subject first (the
            // frame that asks), then by its subject (the frame answering).
            let asking = names
                .get(payload)
                .or_else(|| reply.and_then(|r| names.get(r)));
            let answering = || names.get(words[1]).or_else(|| replies.get(words[1]));
            let (msg, rank) = match asking {
                Some(&m) => (m, 0),
                None => match answering() {
                    Some(&m) => (m, 1),
                    None => continue,
                },
            };
            let mut told = text.clone();
            if let Some(d) = reply.and_then(delivery) {
                told.push_str(&d);
            }
            if let Some(r) = reply {
                replies.insert(r.to_string(), msg);
            }
            found.entry(msg).or_default().push((rank, told));
        }
    }
    let mut out = BTreeMap::new();
    for (msg, mut parts) in found {
        parts.sort_by_key(|(rank, _)| *rank);
        for (_, text) in parts {
            file(&mut out, Some(msg), &text);
        }
    }
    out
}

/// What a JetStream delivery's reply subject says
/// (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer
/// seq>.<time>.<pending>`), in words.
fn delivery(reply: &str) -> Option<String> {
    let t: Vec<&str> = reply.strip_prefix("$JS.ACK.")?.split('.').collect();
    if t.len() < 7 {
        return None;
    }
    Some(format!(
        "[JetStream: delivery {} of stream message {} from stream {}, consumer {}; {} more pending]\n",
        t[2],
        t[3],
        t[0],
        t[1],
        t.get(6).unwrap_or(&"?")
    ))
}

/// Most payload bytes shown of one WebSocket frame.
const SHOWN_PAYLOAD: usize = 2048;

/// One WebSocket frame read off the wire.
pub struct WsFrame {
    /// Its header's first byte: FIN and the opcode.
    b0: u8,
    /// Its header bytes (length and mask key included).
    head: Vec<u8>,
    masked: bool,
    /// The payload's length, as the header says.
    len: usize,
    /// The payload (unmasked), at most [`SHOWN_PAYLOAD`] bytes of it.
    pub payload: Vec<u8>,
    /// How many bytes the frame took.
    pub taken: usize,
}

impl WsFrame {
    /// The first WebSocket frame in `bytes` (`None`: it is not all there).
    pub fn read(bytes: &[u8]) -> Option<WsFrame> {
        let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
        let masked = b1 & 0x80 != 0;
        let (len, mut at) = match b1 & 0x7f {
            126 => (
                u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?) as usize,
                4,
            ),
            127 => (
                u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let key: Option<[u8; 4]> = if masked {
            let k = bytes.get(at..at + 4)?.try_into().ok()?;
            at += 4;
            Some(k)
        } else {
            None
        };
        let payload = bytes.get(at..at.checked_add(len)?)?;
        let payload = &payload[..len.min(SHOWN_PAYLOAD)];
        let payload = match key {
            Some(k) => payload
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ k[i % 4])
                .collect(),
            None => payload.to_vec(),
        };
        Some(WsFrame {
            b0,
            head: bytes[..at].to_vec(),
            masked,
            len,
            payload,
            taken: at + len,
        })
    }

    pub fn opcode(&self) -> u8 {
        self.b0 & 0x0f
    }

    /// The frame told under `label`: its header bytes in hex with what
    /// they say, then its payload as text (a text frame) or hex.
    pub fn told(&self, label: &str) -> String {
        let kind = match self.opcode() {
            0x1 => "text",
            0x2 => "binary",
            0x8 => "close",
            0x9 => "ping",
            0xa => "pong",
            _ => "continuation",
        };
        let hex = |b: &[u8]| {
            b.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let shown = if kind == "text" {
            String::from_utf8_lossy(&self.payload).into_owned()
        } else {
            hex(&self.payload)
        };
        format!(
            "[{label}: {} — {}{kind}, {} bytes, {}]\n{shown}\n",
            hex(&self.head),
            if self.b0 & 0x80 != 0 { "FIN, " } else { "" },
            self.len,
            if self.masked {
                "masked by the client, shown unmasked"
            } else {
                "unmasked"
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_messages_are_filed_by_their_x_msg() {
        let sent = b"POST /real HTTP/1.1\r\nx-msg: 3\r\ncontent-length: 2\r\n\r\nhiPOST /real HTTP/1.1\r\nx-msg: 7\r\n\r\nPOST /real HTTP/1.1\r\nx-msg: 9\r\ncontent-length: 50\r\n\r\ncut";
        let received = b"HTTP/1.1 200 OK\r\nX-Msg: 4\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nx-msg: 8\r\ncontent-length: 0\r\n\r\n";
        let m = by_message(sent, received);
        assert_eq!(
            m[&3],
            "POST /real HTTP/1.1\r\nx-msg: 3\r\ncontent-length: 2\r\n\r\nhi"
        );
        assert_eq!(m[&7], "POST /real HTTP/1.1\r\nx-msg: 7\r\n\r\n");
        assert!(m[&4].ends_with("2\r\nok\r\n0\r\n\r\n"), "{}", m[&4]);
        assert!(m[&8].starts_with("HTTP/1.1 200 OK\r\nx-msg: 8"));
        assert!(
            !m.contains_key(&9),
            "a message cut by the tap's limit is left out"
        );
    }

    #[test]
    fn stream_events_and_websocket_frames_are_filed_by_their_ids() {
        let event = "id: 1\nevent: update\ndata: {\"update\":0,\"msg\":12}\n\n";
        let received = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{event}\r\n",
            event.len()
        );
        let m = by_message(b"", received.as_bytes());
        assert!(m[&12].contains("id: 1\nevent: update"), "{:?}", m);

        let mut sent = b"GET /ws HTTP/1.1\r\nupgrade: websocket\r\n\r\n".to_vec();
        let text = br#"{"msg":21,"sent_ns":5}"#;
        sent.extend_from_slice(&[0x81, text.len() as u8]);
        sent.extend_from_slice(text);
        let mut ping = vec![0x89, 16];
        ping.extend_from_slice(&30u64.to_be_bytes());
        ping.extend_from_slice(&31u64.to_be_bytes());
        sent.extend_from_slice(&ping);
        let m = by_message(&sent, b"");
        assert!(m[&21].starts_with("[frame: 81 16"), "{}", m[&21]);
        assert!(m[&30].contains("ping, 16 bytes"), "{}", m[&30]);
        assert!(!m.contains_key(&31), "a ping is filed under its own id");
    }

    /// A broker's frames go under the names the parties gave: a publish by
    /// its payload, its `PubAck` (on the publish's reply inbox) with it; a
    /// JetStream delivery by its reply subject, told, and its ack with it.
    #[test]
    fn broker_frames_are_filed_by_their_names() {
        let sent = b"CONNECT {}\r\nPUB jobs _INBOX.a.1 4\r\n7 55\r\nPUB $JS.ACK.Q.workers.2.9.4.17.3 4\r\n+ACK\r\nPUB jobs _INBOX.a.2 4\r\n8 60\r\n";
        let received = b"INFO {}\r\nMSG _INBOX.a.1 1 22\r\n{\"stream\":\"Q\",\"seq\":9}\r\nMSG jobs.q 2 $JS.ACK.Q.workers.2.9.4.17.3 1\r\n7\r\n";
        let names: HashMap<String, MsgId> = [
            ("7 55".to_string(), 40),
            ("$JS.ACK.Q.workers.2.9.4.17.3".to_string(), 41),
        ]
        .into();
        let m = by_nats(sent, received, &names);
        assert!(
            m[&40].starts_with("PUB jobs _INBOX.a.1 4\r\n7 55\r\n"),
            "{}",
            m[&40]
        );
        assert!(
            m[&40].contains("\"seq\":9"),
            "the PubAck goes with its publish: {}",
            m[&40]
        );
        assert!(
            m[&41].contains("+ACK") && m[&41].contains("MSG jobs.q 2"),
            "{}",
            m[&41]
        );
        assert!(
            m[&41].contains("delivery 2 of stream message 9 from stream Q, consumer workers"),
            "{}",
            m[&41]
        );
        assert_eq!(m.len(), 2, "an unnamed publish is left out: {m:?}");
    }
}
