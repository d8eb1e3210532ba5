//! The server over real sockets: serve on port 0, talk WebSocket with
//! tokio-tungstenite, fetch the catalogue and the page.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{connect, next_frame, next_text, send, serve};
use futures_util::SinkExt;
use sim::wire::Frame;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn frames_arrive_hello_then_ticks_with_events_and_metrics() {
    let addr = serve().await;
    let mut ws = connect(addr, "rate=300&seed=5").await;
    let Frame::Hello(h) = next_frame(&mut ws).await else {
        panic!("hello first")
    };
    assert_eq!(h.pattern, "request-response");
    assert_eq!(h.seed, 5);
    assert_eq!(h.values[0], 300.0);
    assert_eq!(h.topology.nodes.len(), 5);
    let (mut events, mut metrics, mut last_now) = (0, 0, 0);
    while metrics < 5 || events == 0 {
        if let Frame::Tick(t) = next_frame(&mut ws).await {
            assert_eq!(t.run, h.run);
            assert!(t.now >= last_now, "virtual time never goes back");
            assert!(t.events.iter().all(|e| e.at <= t.now));
            last_now = t.now;
            events += t.events.len();
            metrics += usize::from(t.metrics.is_some());
        }
    }
}

#[tokio::test]
async fn controls_change_the_stream() {
    let addr = serve().await;
    let mut ws = connect(addr, "").await;
    let Frame::Hello(h) = next_frame(&mut ws).await else {
        panic!()
    };

    // A live change comes back as the new parameter values.
    send(&mut ws, r#"{"type":"set","param":"rate","value":450}"#).await;
    loop {
        if let Frame::Params { run, values, .. } = next_frame(&mut ws).await {
            assert_eq!(run, h.run);
            assert_eq!(values[0], 450.0);
            break;
        }
    }

    // Pause: virtual time stops.
    send(&mut ws, r#"{"type":"pause"}"#).await;
    let mut paused = Vec::new();
    while paused.len() < 5 {
        if let Frame::Tick(t) = next_frame(&mut ws).await {
            if !t.playing {
                paused.push(t.now);
            }
        }
    }
    assert!(paused.windows(2).all(|w| w[0] == w[1]), "{paused:?}");

    // A topology change restarts the run with a new hello.
    send(&mut ws, r#"{"type":"set","param":"clients","value":7}"#).await;
    loop {
        if let Frame::Hello(h2) = next_frame(&mut ws).await {
            assert_eq!(h2.run, h.run + 1);
            assert_eq!(h2.topology.nodes.len(), 8);
            assert_eq!(h2.values[0], 450.0, "other settings are kept");
            break;
        }
    }
}

#[tokio::test]
async fn bad_controls_get_error_frames_and_the_session_survives() {
    let addr = serve().await;
    let mut ws = connect(addr, "").await;
    let Frame::Hello(h) = next_frame(&mut ws).await else {
        panic!()
    };
    for (bad, says) in [
        ("{oops", "malformed control message"),
        (r#"{"type":"teleport"}"#, "unknown variant"),
        (
            r#"{"type":"set","param":"rate","value":-1}"#,
            "rate = -1 is out of range",
        ),
        (
            r#"{"type":"set","param":"bogus","value":1}"#,
            "unknown parameter 'bogus'",
        ),
        (
            r#"{"type":"speed","value":1000}"#,
            "speed = 1000 is out of range",
        ),
    ] {
        send(&mut ws, bad).await;
        let e = next_text(&mut ws).await;
        assert_eq!(e["type"], "error");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(says), "{msg:?} should say {says:?}");
    }
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert!(next_text(&mut ws).await["message"]
        .as_str()
        .unwrap()
        .contains("JSON text"));
    // Still the same run, still ticking, and a valid control still works.
    send(&mut ws, r#"{"type":"set","param":"workers","value":3}"#).await;
    loop {
        match next_frame(&mut ws).await {
            Frame::Params { run, values, .. } => {
                assert_eq!(run, h.run);
                assert_eq!(
                    values[at("rate")],
                    80.0,
                    "the refused rate left the rate alone"
                );
                assert_eq!(values[at("workers")], 3.0);
                break;
            }
            Frame::Hello(_) => panic!("the run must not restart"),
            Frame::Moment(_) => panic!("nobody asked for a moment"),
            Frame::Marks { .. } => panic!("nobody sent bookmarks"),
            Frame::Story(_) => panic!("nobody asked for a story"),
            Frame::Tick(_) => {}
        }
    }
}

/// Where request-response keeps parameter `id` in its value list.
fn at(id: &str) -> usize {
    sim::find_pattern("request-response")
        .unwrap()
        .params
        .iter()
        .position(|s| s.id == id)
        .unwrap()
}

#[tokio::test]
async fn bad_settings_in_the_url_are_reported_and_defaults_used() {
    let addr = serve().await;
    let mut ws = connect(addr, "rate=-4&workers=2").await;
    let Frame::Hello(h) = next_frame(&mut ws).await else {
        panic!()
    };
    assert_eq!(h.values[at("rate")], 80.0);
    assert_eq!(h.values[at("workers")], 2.0);
    let e = next_text(&mut ws).await;
    assert!(e["message"].as_str().unwrap().contains("rate = -4"));
}

/// A viewer that stops reading does not stop the simulation: virtual time
/// keeps pace with the wall clock, and a run this heavy reaches the viewer
/// sampled (a bounded stream: 5 s of it now fit in the socket buffers, so
/// coalescing a full queue is covered by the session's unit test and the
/// rooms' stalled follower).
#[tokio::test]
async fn a_viewer_that_cannot_keep_up_never_blocks_the_simulation() {
    let addr = serve().await;
    let mut ws = connect(addr, "rate=5000&jitter_ms=0").await;
    let _ = next_frame(&mut ws).await;
    send(&mut ws, r#"{"type":"speed","value":10}"#).await;
    let started = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (mut thinned, mut now) = (0, 0);
    // Drain what queued up, then follow live ticks for a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < deadline {
        if let Frame::Tick(t) = next_frame(&mut ws).await {
            if t.coalesced > 0 || t.sampled > 1 {
                thinned += 1;
            }
            now = t.now;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let virtual_s = sim::time::to_secs(now);
    assert!(
        thinned > 0,
        "the stream was sampled or coalesced, not sent whole"
    );
    // Speed 10 over `wall` seconds; allow for the speed arriving a tick late
    // and the pacer's catch-up clamp under load.
    assert!(
        virtual_s > 0.5 * 10.0 * wall,
        "virtual {virtual_s} s after {wall} s of wall time"
    );
}

#[tokio::test]
async fn the_catalogue_and_the_page_are_served() {
    let addr = serve().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = http_get(&mut stream, addr, "/api/patterns").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let rr = &v[0];
    assert_eq!(rr["id"], "request-response");
    let rate = rr["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "rate")
        .unwrap();
    assert_eq!(rate["min"], 0.0);
    assert_eq!(rate["max"], 20000.0);
    assert_eq!(rate["default"], 80.0);
    assert_eq!(rate["unit"], "req/s");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let page = http_get(&mut stream, addr, "/").await;
    // The server renders the shell (scenarios, transport); the browser
    // reads the link and builds the panes.
    assert!(page.contains("Starting the simulation") && page.contains("Black Friday"));
    assert!(
        page.contains("/pkg/switchboard"),
        "the page loads the WASM bundle"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let csv = http_get(
        &mut stream,
        addr,
        "/api/export?format=csv&pattern=request-response&until_s=3",
    )
    .await;
    assert!(
        csv.contains("t,offered,completed,p50,p95,p99,queue_depth"),
        "{csv}"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let trace = http_get(
        &mut stream,
        addr,
        "/api/export?format=perfetto&pattern=message-queue&until_s=2",
    )
    .await;
    let trace: serde_json::Value = serde_json::from_str(&trace).expect("a trace is JSON");
    let events = trace["traceEvents"].as_array().unwrap();
    assert!(events.iter().any(|e| e["ph"] == "s") && events.iter().any(|e| e["ph"] == "C"));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let svg = http_get(
        &mut stream,
        addr,
        "/api/export?format=svg&pattern=request-response&until_s=3",
    )
    .await;
    assert!(svg.contains("<svg ") && svg.contains("marker-end"), "{svg}");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (status, refused) = http_get_any(&mut stream, addr, "/api/export?pattern=nope").await;
    assert!(
        status.starts_with("HTTP/1.1 400") && refused.contains("nope"),
        "{status}: {refused}"
    );
}

/// A minimal HTTP/1.1 GET, so the tests need no HTTP client crate.
async fn http_get(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> String {
    let (status, body) = http_get_any(stream, addr, path).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}: {body}");
    body
}

/// GET returning the status line and the body, whatever the status.
async fn http_get_any(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.lines().next().unwrap_or("").to_string();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}
