//! The server survives a class: each limit of `server::limits::Limits`
//! tried over real sockets on port 0, as a hostile or careless client
//! would.

mod common;

use std::time::Duration;

use common::{close_of, connect, http, next, next_frame, send, serve_with, Ws};
use futures_util::{SinkExt, StreamExt};
use server::limits::Limits;
use sim::wire::Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn limits() -> Limits {
    Limits::default()
}

#[tokio::test]
async fn websockets_and_posts_from_other_sites_are_refused_before_the_upgrade() {
    let r = serve_with(limits(), 1).await;
    let mut req = format!("ws://{}/ws", r.addr).into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    let e = tokio_tungstenite::connect_async(req).await.unwrap_err();
    match e {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            assert_eq!(resp.status(), 403);
            let body =
                String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).to_string();
            assert!(
                body.contains("--allow-origin http://evil.example"),
                "{body}"
            );
        }
        other => panic!("expected 403, got {other}"),
    }
    // The server's own origin and a listed one pass.
    for origin in [
        format!("http://{}", r.addr),
        "http://allowed.example".into(),
    ] {
        let mut req = format!("ws://{}/ws", r.addr).into_client_request().unwrap();
        req.headers_mut().insert("Origin", origin.parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert!(matches!(next_frame(&mut ws).await, Frame::Hello(_)));
    }
    // A cross-site form post of an export is refused, whatever its body.
    let body = "recipe=x&format=csv";
    let (head, text) = http(
        r.addr,
        &format!(
            "POST /api/export HTTP/1.1\r\nHost: {}\r\nOrigin: http://evil.example\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            r.addr,
            body.len()
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}\n{text}");
    // Same origin, but a form instead of JSON: refused as unsupported.
    let (head, _) = http(
        r.addr,
        &format!(
            "POST /api/export HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {1}\r\n\
             Connection: close\r\n\r\n{body}",
            r.addr,
            body.len()
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 415"), "{head}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let r = serve_with(limits(), 1).await;
    for path in ["/api/patterns", "/no-such-file.js"] {
        let (head, _) = http(
            r.addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                r.addr
            ),
        )
        .await;
        let head = head.to_ascii_lowercase();
        for h in [
            "x-content-type-options: nosniff",
            "x-frame-options: deny",
            "referrer-policy: no-referrer",
            "content-security-policy: ",
        ] {
            assert!(head.contains(h), "{path} lacks {h}:\n{head}");
        }
    }
    // The page's policy lets its WASM compile and nothing evaluate strings.
    let (head, page) = http(
        r.addr,
        &format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            r.addr
        ),
    )
    .await;
    let csp = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-security-policy:")
        })
        .unwrap_or_else(|| panic!("the page has no CSP:\n{head}"))
        .to_string();
    assert!(
        csp.contains("'wasm-unsafe-eval'") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // Its inline bootstrap script carries the nonce the policy names.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        page.contains(&format!("nonce=\"{nonce}\"")),
        "the script lacks the nonce"
    );
}

#[tokio::test]
async fn an_oversized_control_message_closes_with_1009_and_no_echo() {
    let r = serve_with(limits(), 1).await;
    let mut ws = connect(r.addr, "").await;
    let _ = next_frame(&mut ws).await;
    let huge = format!(
        r#"{{"type":"set","param":"rate","value":[{}1]}}"#,
        "1,".repeat(40_000)
    );
    let _ = ws.send(Message::Text(huge.into())).await;
    let (code, reason) = close_of(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("at most 16384 bytes"), "{reason}");

    // Just under the limit: an unknown parameter name of 16,000 bytes is
    // refused with its name clipped, and the session goes on.
    let mut ws = connect(r.addr, "").await;
    let _ = next_frame(&mut ws).await;
    let name = "n".repeat(16_000);
    send(
        &mut ws,
        &format!(r#"{{"type":"set","param":"{name}","value":1}}"#),
    )
    .await;
    let e = common::next_text(&mut ws).await;
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.len() < 400 && msg.contains("unknown parameter 'nnnn"),
        "{} bytes",
        msg.len()
    );
    assert!(matches!(next_frame(&mut ws).await, Frame::Tick(_)));
}

#[tokio::test]
async fn past_the_session_cap_a_viewer_is_told_the_server_is_full() {
    let r = serve_with(
        Limits {
            max_sessions: 3,
            ..limits()
        },
        1,
    )
    .await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut ws = connect(r.addr, "").await;
        assert!(matches!(next_frame(&mut ws).await, Frame::Hello(_)));
        open.push(ws);
    }
    let mut fourth = connect(r.addr, "").await;
    let said = common::next_text(&mut fourth).await;
    assert!(said["message"]
        .as_str()
        .unwrap()
        .contains("the server is full (3 sessions)"));
    let (code, reason) = close_of(&mut fourth, Duration::from_secs(5)).await;
    assert_eq!(code, 1013, "{reason}");
    // One leaves: its place is free again.
    drop(open.pop());
    let mut again = None;
    for _ in 0..50 {
        let mut ws = connect(r.addr, "").await;
        if let Message::Binary(_) = next(&mut ws).await {
            again = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "a freed place is taken again");
    assert_eq!(r.shared.sessions_open(), 3);
}

/// A client that stops reading is closed after the stall limit, and its
/// session is stopped (its place under the cap is freed).
#[tokio::test]
async fn a_viewer_that_stops_reading_is_closed_and_its_session_stopped() {
    let r = serve_with(
        Limits {
            stall: Duration::from_secs(1),
            ..limits()
        },
        1,
    )
    .await;
    // A small receive buffer so the server's writes back up quickly.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(r.addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(
        format!("ws://{}/ws?rate=2000&jitter_ms=0", r.addr),
        stream,
    )
    .await
    .unwrap();
    let _ = ws.next().await;
    ws.send(Message::Text(r#"{"type":"speed","value":5}"#.into()))
        .await
        .unwrap();
    assert_eq!(r.shared.sessions_open(), 1);
    // Read nothing for a while; the session must be gone by then.
    let mut stopped = false;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if r.shared.sessions_open() == 0 {
            stopped = true;
            break;
        }
    }
    assert!(stopped, "the stalled viewer's session is still running");
}

/// A client that reads nothing answers no ping: it is closed after the
/// silence limit even while the kernel still takes its frames.
#[tokio::test]
async fn a_silent_client_is_closed_after_the_idle_limit() {
    let r = serve_with(
        Limits {
            idle: Duration::from_secs(2),
            stall: Duration::from_secs(600),
            ..limits()
        },
        1,
    )
    .await;
    let ws = connect(r.addr, "").await;
    let started = tokio::time::Instant::now();
    assert_eq!(r.shared.sessions_open(), 1);
    while r.shared.sessions_open() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the silent client is still served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started.elapsed() >= Duration::from_secs(2));
    drop(ws);
}

/// 2,000 control messages as fast as a client can send them: every Params
/// reply arrives, none is dropped, and the run's last values are the last
/// sent.
#[tokio::test]
async fn a_flood_of_controls_is_slowed_and_every_reply_arrives() {
    let r = serve_with(limits(), 1).await;
    let mut ws = connect(r.addr, "").await;
    let _ = next_frame(&mut ws).await;
    let n = 2_000;
    let (mut tx, mut rx) = ws.split();
    let sender = tokio::spawn(async move {
        for i in 0..n {
            let c = format!(r#"{{"type":"set","param":"rate","value":{}}}"#, 100 + i);
            tx.send(Message::Text(c.into())).await.unwrap();
        }
        tx
    });
    let mut params = 0;
    let mut last = 0.0;
    while params < n {
        let m = tokio::time::timeout(Duration::from_secs(30), rx.next())
            .await
            .expect("replies keep coming")
            .unwrap()
            .unwrap();
        match m {
            Message::Binary(b) => {
                if let Frame::Params { values, .. } = Frame::decode(&b).unwrap() {
                    params += 1;
                    last = values[0];
                }
            }
            Message::Text(t) => panic!("unexpected error: {t}"),
            _ => {}
        }
    }
    assert_eq!(last, f64::from(100 + n - 1));
    let _tx = sender.await.unwrap();
}

/// Sessions a class would run beside four heavy panes (maximum rate, 20×)
/// still get their frames: the frame rate of ordinary viewers beside the
/// heavy ones, as a ratio of their rate alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_sessions_do_not_starve_ordinary_viewers() {
    let r = serve_with(limits(), 2).await;
    async fn frames_per_s(addr: std::net::SocketAddr, viewers: usize, secs: f64) -> f64 {
        let mut tasks = Vec::new();
        for _ in 0..viewers {
            tasks.push(tokio::spawn(async move {
                let mut ws = connect(addr, "").await;
                let _ = next_frame(&mut ws).await;
                let until = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
                let mut n = 0u32;
                while tokio::time::Instant::now() < until {
                    if let Ok(Some(Ok(Message::Binary(_)))) =
                        tokio::time::timeout(Duration::from_millis(200), ws.next()).await
                    {
                        n += 1;
                    }
                }
                f64::from(n) / secs
            }));
        }
        let mut sum = 0.0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum / viewers as f64
    }
    let alone = frames_per_s(r.addr, 5, 3.0).await;
    let mut heavy: Vec<Ws> = Vec::new();
    for _ in 0..4 {
        let mut ws = connect(
            r.addr,
            "rate=20000&workers=256&service_ms=0.01&timeout_ms=200&spike_at_s=0&spike_s=3600&spike_x=20",
        )
        .await;
        let _ = next_frame(&mut ws).await;
        send(&mut ws, r#"{"type":"speed","value":20}"#).await;
        heavy.push(ws);
    }
    // The heavy viewers read their frames as a browser would.
    let readers: Vec<_> = heavy
        .into_iter()
        .map(|mut ws| tokio::spawn(async move { while ws.next().await.is_some() {} }))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let beside = frames_per_s(r.addr, 5, 3.0).await;
    for t in readers {
        t.abort();
    }
    let ratio = beside / alone;
    println!("ordinary viewers: {alone:.1} frames/s alone, {beside:.1} beside four heavy panes ({ratio:.2}×)");
    assert!(
        ratio > 0.8,
        "ordinary viewers dropped to {ratio:.2}× of their frame rate"
    );
}

/// An export whose client goes away is cancelled: its place under the
/// export cap comes back at once instead of after minutes of simulation.
#[tokio::test]
async fn an_export_is_cancelled_when_its_client_goes_away() {
    let r = serve_with(
        Limits {
            max_exports: 1,
            export_events: u64::MAX,
            ..limits()
        },
        1,
    )
    .await;
    let addr = r.addr;
    let heavy = "/api/export?pattern=request-response&rate=20000&spike_at_s=0&spike_s=3600&spike_x=20&until_s=3600&format=csv";
    let client = tokio::spawn(async move {
        http(
            addr,
            &format!("GET {heavy} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(r.shared.exports.available_permits(), 0, "the export runs");
    // A second export meanwhile is refused with 503.
    let (head, body) = http(
        addr,
        &format!("GET {heavy} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.1 503") && body.contains("exports are running"),
        "{head} {body}"
    );
    client.abort();
    let _ = client.await;
    let mut freed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if r.shared.exports.available_permits() == 1 {
            freed = true;
            break;
        }
    }
    assert!(freed, "the abandoned export is still running");
}

/// Stopping (SIGTERM, Ctrl-C) closes every viewer with 1001 and a reason
/// within 2 s, and `run` returns within 5 s.
#[tokio::test]
async fn stopping_closes_every_viewer_with_1001() {
    let mut r = serve_with(limits(), 1).await;
    let mut viewers = Vec::new();
    for _ in 0..5 {
        let mut ws = connect(r.addr, "").await;
        let _ = next_frame(&mut ws).await;
        viewers.push(ws);
    }
    let started = tokio::time::Instant::now();
    r.stop.take().unwrap().send(()).unwrap();
    for ws in &mut viewers {
        let (code, reason) = close_of(ws, Duration::from_secs(2)).await;
        assert_eq!(code, 1001);
        assert!(reason.contains("restarting"), "{reason}");
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    tokio::time::timeout(Duration::from_secs(5), r.done)
        .await
        .expect("the server stops within 5 s")
        .unwrap()
        .unwrap();
}
