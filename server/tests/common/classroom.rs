//! Classroom helpers over real sockets: create a room, join it, read its
//! frames.

use super::{http, next, Ws};
use sim::wire::Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Creates a room from `link`; its code and the presenter's cookie.
pub async fn create(addr: std::net::SocketAddr, link: &str) -> (String, String) {
    create_with(addr, serde_json::json!({ "link": link })).await
}

/// `GET /api/rooms/<code>`: the response's head and its JSON (`Null` when
/// the body is not JSON, as for a 404).
pub async fn describe(addr: std::net::SocketAddr, code: &str) -> (String, serde_json::Value) {
    let (head, body) = http(
        addr,
        &format!("GET /api/rooms/{code} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    (head, serde_json::from_str(&body).unwrap_or_default())
}

/// A student's ballot for room `code`, as `GET /api/rooms/<code>` gives it
/// (from the address `from`, as a proxy would say it): the cookie to send.
pub async fn ballot(addr: std::net::SocketAddr, code: &str, from: &str) -> Option<String> {
    let (head, _) = http(
        addr,
        &format!("GET /api/rooms/{code} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {from}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim().split(';').next().unwrap_or("").to_string())
        .find(|c| c.starts_with("sb_ballot_"))
}

/// Creates a room from a `POST /api/rooms` body; its code and the
/// presenter's cookie.
pub async fn create_with(addr: std::net::SocketAddr, body: serde_json::Value) -> (String, String) {
    let body = body.to_string();
    let (head, text) = http(
        addr,
        &format!(
            "POST /api/rooms HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 201"), "{head}\n{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let code = v["code"].as_str().unwrap().to_string();
    assert_eq!(v["join_url"], format!("/join/{code}"));
    assert!(
        code.len() >= 4
            && code.len() <= 8
            && code
                .chars()
                .all(|c| "ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(c))
    );
    let cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .expect("a presenter cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (code, pair)
}

pub async fn member(addr: std::net::SocketAddr, query: &str, cookie: Option<&str>) -> Ws {
    let mut req = format!("ws://{addr}/ws?{query}")
        .into_client_request()
        .unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("Cookie", c.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next binary frame, raw.
pub async fn raw(ws: &mut Ws) -> Vec<u8> {
    loop {
        match next(ws).await {
            Message::Binary(b) => return b.to_vec(),
            Message::Text(t) => panic!("unexpected text: {t}"),
            _ => {}
        }
    }
}

/// Raw frames until a tick with `now` ≥ `t` has been seen.
pub async fn ticks_until(ws: &mut Ws, t: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let b = raw(ws).await;
        let done = matches!(Frame::decode(&b).unwrap(), Frame::Tick(ref k) if k.now >= t);
        out.push(b);
        if done {
            return out;
        }
    }
}

/// Sends `control` and returns the next text frame (a refusal or an error).
pub async fn answer_to(ws: &mut Ws, control: &str) -> String {
    use futures_util::SinkExt;
    ws.send(Message::Text(control.into())).await.unwrap();
    loop {
        if let Message::Text(t) = next(ws).await {
            return t.to_string();
        }
    }
}
