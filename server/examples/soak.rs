//! `make soak`: the release server tried as a class and as strangers would,
//! against the binary on loopback. Not part of `make test` (it takes ten
//! minutes); prints what it measured.
//!
//! First the hostile table of the hardening issue, row by row (each prints
//! what happened), then the soak: heavy panes (maximum rate, 20×) beside
//! ordinary viewers for `SOAK_SECS` (default 600), printing the server's
//! RSS and CPU and the viewers' frame rates every 10 s.
//!
//! Usage: `cargo run --release -p server --example soak -- [path/to/switchboard]`.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

struct Server {
    child: Child,
    addr: String,
    log: std::path::PathBuf,
}

impl Server {
    fn start(bin: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::env::temp_dir().join(format!("switchboard-soak-{port}.log"));
        let child = Command::new(bin)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the server binary starts");
        Server {
            child,
            addr: format!("127.0.0.1:{port}"),
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident and peak resident memory, MB.
    fn rss_mb(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
    }

    /// CPU seconds used so far (user + system).
    fn cpu_s(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        // Fields 14 and 15 (utime, stime, in clock ticks of 10 ms) are the
        // 12th and 13th after the command's closing parenthesis.
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }

    fn log_lines(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    async fn wait_listening(&self) {
        for _ in 0..200 {
            if TcpStream::connect(&self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never listened on {}", self.addr);
    }
}

async fn ws(addr: &str, query: &str) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}/ws?{query}"))
        .await
        .expect("connects")
        .0
}

async fn send(ws: &mut Ws, text: &str) {
    let _ = ws.send(Message::Text(text.into())).await;
}

/// A raw HTTP request; the status line, the body and how long it took.
async fn http(addr: &str, request: &str) -> (String, String, Duration) {
    let started = Instant::now();
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return ("no connection".into(), String::new(), started.elapsed());
    };
    let _ = s.write_all(request.as_bytes()).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
        started.elapsed(),
    )
}

async fn get(addr: &str, path: &str) -> (String, String, Duration) {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// A viewer that reads everything and counts frames.
fn reader(mut w: Ws, frames: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(m)) = w.next().await {
            if matches!(m, Message::Binary(_)) {
                frames.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
}

/// The close frame a viewer gets within `within`, if any.
async fn close_of(w: &mut Ws, within: Duration) -> Option<(u16, String)> {
    tokio::time::timeout(within, async {
        while let Some(m) = w.next().await {
            match m {
                Ok(Message::Close(Some(f))) => {
                    return Some((u16::from(f.code), f.reason.to_string()))
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

const HEAVY: &str =
    "rate=20000&workers=256&service_ms=0.01&timeout_ms=200&spike_at_s=0&spike_s=3600&spike_x=20";

#[tokio::main]
async fn main() {
    let bin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/switchboard".into());
    let soak_secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let server = Server::start(&bin);
    server.wait_listening().await;
    let a = server.addr.clone();
    println!("# the hostile table, against {bin} on {a}\n");
    println!("| what was sent | what happened now |\n|---|---|");

    // 1. A live rate of 1e-300.
    let mut w = ws(&a, "").await;
    send(&mut w, r#"{"type":"set","param":"rate","value":1e-300}"#).await;
    let mut said = String::new();
    while let Some(Ok(m)) = w.next().await {
        if let Message::Text(t) = m {
            said = t.to_string();
            break;
        }
    }
    let (_, _, took) = get(&a, "/api/patterns").await;
    println!(
        "| live `rate` 1e-300 | refused: {said}; `/api/patterns` answers in {:.1} ms; RSS {:.0} MB |",
        took.as_secs_f64() * 1e3,
        server.rss_mb().0
    );
    drop(w);

    // 2, 3. Pub-sub block and the 50-client WebSocket spike at 20×.
    for (name, q) in [
        ("publish-subscribe `slow_policy=block`, max rate, 20×", "pattern=publish-subscribe&slow_policy=block&rate=20000&slow_factor=100"),
        ("websocket, 50 clients, a spike, 20×", "pattern=websocket&clients=50&rate=5000&spike_at_s=0&spike_s=3600&spike_x=20&workers=256&service_ms=0.01"),
    ] {
        let mut w = ws(&a, q).await;
        send(&mut w, r#"{"type":"speed","value":20}"#).await;
        let frames = Arc::new(AtomicU64::new(0));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
        let f = Arc::clone(&frames);
        let t = tokio::spawn(async move {
            while let Some(Ok(m)) = w.next().await {
                match m {
                    Message::Binary(_) => {
                        f.fetch_add(1, Ordering::Relaxed);
                    }
                    Message::Text(t) => {
                        let _ = tx.try_send(t.to_string());
                    }
                    _ => {}
                }
            }
        });
        let before = server.rss_mb().0;
        tokio::time::sleep(Duration::from_secs(30)).await;
        let (rss, _) = server.rss_mb();
        let notice = rx.try_recv().unwrap_or_else(|_| "no notice".into());
        t.abort();
        println!(
            "| {name} | after 30 s RSS {rss:.0} MB (from {before:.0}); {} frames/s; {notice} |",
            frames.load(Ordering::Relaxed) / 30
        );
    }

    // 4. Four heavy panes beside five ordinary viewers.
    let ordinary = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..5 {
        tasks.push(reader(ws(&a, "").await, Arc::clone(&ordinary)));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    ordinary.store(0, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let alone = ordinary.load(Ordering::Relaxed) as f64 / 5.0 / 5.0;
    let heavy_frames = Arc::new(AtomicU64::new(0));
    for _ in 0..4 {
        let mut w = ws(&a, HEAVY).await;
        send(&mut w, r#"{"type":"speed","value":20}"#).await;
        tasks.push(reader(w, Arc::clone(&heavy_frames)));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    ordinary.store(0, Ordering::Relaxed);
    let cpu0 = server.cpu_s();
    let mut worst_api = Duration::ZERO;
    for _ in 0..10 {
        let (_, _, t) = get(&a, "/api/patterns").await;
        worst_api = worst_api.max(t);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let beside = ordinary.load(Ordering::Relaxed) as f64 / 5.0 / 5.0;
    let cpu = (server.cpu_s() - cpu0) / 5.0;
    println!(
        "| four heavy panes beside five ordinary viewers | ordinary {beside:.1} frames/s (alone {alone:.1}); `/api/patterns` ≤ {:.1} ms; server CPU {:.0}% of a core |",
        worst_api.as_secs_f64() * 1e3,
        cpu * 100.0
    );
    for t in tasks.drain(..) {
        t.abort();
    }

    // 5. A 64 MiB control message.
    let mut w = ws(&a, "").await;
    let huge = format!(
        r#"{{"type":"set","param":"rate","value":[{}1]}}"#,
        "1,".repeat(32 << 20)
    );
    let _ = w.send(Message::Text(huge.into())).await;
    let close = close_of(&mut w, Duration::from_secs(10)).await;
    println!(
        "| one 64 MiB JSON control message | closed {close:?}; peak RSS {:.0} MB |",
        server.rss_mb().1
    );

    // 6. Exports.
    let (status, body, took) = get(&a, "/api/export?pattern=request-response&rate=20000&spike_at_s=0&spike_s=3600&spike_x=20&until_s=3600&format=csv").await;
    println!(
        "| `GET /api/export` spike ×20, `until_s=3600` | {status} after {:.1} s: {} |",
        took.as_secs_f64(),
        body.trim()
    );
    let form = "recipe=%7B%7D&format=csv";
    let (status, _, _) = http(&a, &format!("POST /api/export HTTP/1.1\r\nHost: {a}\r\nOrigin: http://evil.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}", form.len())).await;
    println!("| a cross-site form POST | {status} |");

    // 7. Another site's WebSocket; 2,000 handshakes.
    let mut req = format!("ws://{a}/ws").into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    let evil = match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => format!("{}", r.status()),
        Err(e) => format!("{e}"),
        Ok(_) => "accepted".into(),
    };
    let mut opened = Vec::new();
    let (mut full, mut failed) = (0, 0);
    for _ in 0..2000 {
        match tokio_tungstenite::connect_async(format!("ws://{a}/ws")).await {
            Ok((mut w, _)) => match w.next().await {
                Some(Ok(Message::Binary(_))) => opened.push(w),
                _ => full += 1,
            },
            Err(_) => failed += 1,
        }
    }
    println!(
        "| a WebSocket from `Origin: http://evil.example`; 2,000 handshakes | {evil}; {} sessions opened, {full} told the server is full, {failed} failed; RSS {:.0} MB |",
        opened.len(),
        server.rss_mb().0
    );
    drop(opened);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 9. A viewer that never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(a.parse().unwrap()).await.unwrap();
    let (mut silent, _) = tokio_tungstenite::client_async(format!("ws://{a}/ws?{HEAVY}"), stream)
        .await
        .unwrap();
    let _ = silent
        .send(Message::Text(r#"{"type":"speed","value":20}"#.into()))
        .await;
    let cpu0 = server.cpu_s();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let first = (server.cpu_s() - cpu0) / 20.0;
    // Past the 30 s silence limit (it answers no ping), then 5 s more.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let c = server.cpu_s();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let late = (server.cpu_s() - c) / 5.0;
    println!(
        "| a viewer that never reads, 20× | {:.0}% of a core over its first 20 s (its CPU budget), {:.0}% 35 s in (closed: it answered no ping for 30 s) |",
        first * 100.0,
        late * 100.0
    );
    drop(silent);

    // 10. 10,000 control messages a second.
    let mut w = ws(&a, "").await;
    let _ = w.next().await;
    let (mut tx, mut rx) = w.split();
    let lines_before = server.log_lines();
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        for i in 0..10_000 {
            let c = format!(
                r#"{{"type":"set","param":"rate","value":{}}}"#,
                100 + i % 500
            );
            if tx.send(Message::Text(c.into())).await.is_err() {
                break;
            }
            if i % 100 == 99 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        tx
    });
    let mut params = 0;
    while params < 10_000 {
        match tokio::time::timeout(Duration::from_secs(30), rx.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => {
                if let Ok(sim::wire::Frame::Params { .. }) = sim::wire::Frame::decode(&b) {
                    params += 1;
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    let _ = sender.await;
    println!(
        "| 10,000 control messages | {params} of 10,000 Params replies arrived in {:.1} s; {} new log lines |",
        started.elapsed().as_secs_f64(),
        server.log_lines() - lines_before
    );

    // 11. Ballot stuffing: a class with a question, 1,000 answers.
    let post = |path: String, body: String, cookie: Option<String>| {
        let a = a.clone();
        async move {
            let cookie = cookie
                .map(|c| format!("Cookie: {c}\r\n"))
                .unwrap_or_default();
            http(
                &a,
                &format!(
                    "POST {path} HTTP/1.1\r\nHost: {a}\r\n{cookie}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
            )
            .await
        }
    };
    let (_, made, _) = post(
        "/api/rooms".into(),
        r#"{"link":"pattern=request-response","preset":"retry-storm"}"#.into(),
        None,
    )
    .await;
    let code = serde_json::from_str::<serde_json::Value>(&made)
        .ok()
        .and_then(|v| v["code"].as_str().map(String::from))
        .unwrap_or_default();
    let mut bare = 0;
    for _ in 0..1_000 {
        let (s, _, _) = post(
            format!("/api/rooms/{code}/answer"),
            r#"{"choice":1}"#.into(),
            None,
        )
        .await;
        bare += usize::from(s.contains(" 403 "));
    }
    // One page's ballot, answered 1,000 times.
    let (ballot, _) = {
        let mut s = TcpStream::connect(&a).await.unwrap();
        let _ = s
            .write_all(
                format!("GET /api/rooms/{code} HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await;
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf).await;
        let text = String::from_utf8_lossy(&buf).to_string();
        let cookie = text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.trim().split(';').next().unwrap_or("").to_string())
            .find(|c| c.starts_with("sb_ballot_"));
        (cookie, ())
    };
    for i in 0..1_000 {
        post(
            format!("/api/rooms/{code}/answer"),
            format!(r#"{{"choice":{}}}"#, i % 3),
            ballot.clone(),
        )
        .await;
    }
    let (_, described, _) = get(&a, &format!("/api/rooms/{code}")).await;
    let answered = serde_json::from_str::<serde_json::Value>(&described)
        .ok()
        .map(|v| v["answered"].clone())
        .unwrap_or_default();
    println!(
        "| 1,000 answers without a ballot, then 1,000 with one page's ballot | {bare} of 1,000 refused (403, no ballot); the class counts {answered} answer (each a replacement of the last) |"
    );

    // 12. Walking the join codes as fast as one client can.
    let started = Instant::now();
    let (mut unknown, mut throttled, mut retry) = (0, 0, String::new());
    for i in 0..10_000u32 {
        let (s, _, _) = get(&a, &format!("/api/rooms/QQ{:04}", i % 9_000)).await;
        if s.contains(" 404 ") {
            unknown += 1;
        } else if s.contains(" 429 ") {
            throttled += 1;
            if retry.is_empty() {
                retry = s.clone();
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    // 31^6 codes, 32 live classes at most: the expected number of guesses
    // to hit one, at the rate the throttle lets through (60 a minute).
    let guesses = 31f64.powi(6) / 32.0;
    println!(
        "| 10,000 lookups of made-up codes in {secs:.1} s | {unknown} answered 404, {throttled} refused 429 (\"try again\"); at the 60 unknown codes a minute the gate lets one address try, finding one of 32 live classes takes {:.0} days on average |",
        guesses / 86_400.0
    );

    // 13. A creation flood: 60 classes in a second from one address.
    let started = Instant::now();
    let (mut created, mut refused) = (Vec::new(), 0);
    for _ in 0..60 {
        let (s, body, _) = post(
            "/api/rooms".into(),
            r#"{"link":"pattern=request-response"}"#.into(),
            None,
        )
        .await;
        if s.contains(" 201 ") {
            if let Some(c) = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["code"].as_str().map(String::from))
            {
                created.push(c);
            }
        } else if s.contains(" 429 ") {
            refused += 1;
        }
    }
    let took = started.elapsed().as_secs_f64();
    // Nobody opens them: how long until they are gone.
    let flood = Instant::now();
    let mut gone_after = None;
    while flood.elapsed() < Duration::from_secs(120) {
        let mut open = 0;
        for c in &created {
            // Anything but 404 (a 429 from the lookup gate too) is not
            // yet known to be gone.
            if !get(&a, &format!("/api/rooms/{c}"))
                .await
                .0
                .contains(" 404 ")
            {
                open += 1;
            }
        }
        if open == 0 {
            gone_after = Some(flood.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!(
        "| 60 `POST /api/rooms` in {took:.1} s from one address, nobody opening them | {} created, {refused} refused 429 with Retry-After; the unclaimed classes closed {} after the flood (the claim grace, 30 s) |",
        created.len(),
        gone_after.map_or("not within 120 s".to_string(), |s| format!("{s:.0} s"))
    );

    // The soak.
    println!("\n# soak: 4 heavy panes (max rate, 20×) and 20 ordinary viewers for {soak_secs} s\n");
    println!("| t (s) | RSS (MB) | CPU (% of a core) | ordinary frames/s | heavy frames/s |\n|---|---|---|---|---|");
    let ordinary = Arc::new(AtomicU64::new(0));
    let heavy = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        tasks.push(reader(ws(&a, "").await, Arc::clone(&ordinary)));
    }
    for q in [
        HEAVY,
        "pattern=publish-subscribe&slow_policy=block&rate=20000&subscribers=4",
        "pattern=message-queue&rate=2000&consumers=32&crashes_per_min=60",
        "pattern=webhooks&rate=2000&loss=0.2&timeout_ms=500",
    ] {
        let mut w = ws(&a, q).await;
        send(&mut w, r#"{"type":"speed","value":20}"#).await;
        tasks.push(reader(w, Arc::clone(&heavy)));
    }
    let started = Instant::now();
    let (mut peak, mut min_fps) = (0.0f64, f64::MAX);
    let mut last_cpu = server.cpu_s();
    while started.elapsed() < Duration::from_secs(soak_secs) {
        ordinary.store(0, Ordering::Relaxed);
        heavy.store(0, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (rss, hwm) = server.rss_mb();
        peak = peak.max(hwm);
        let cpu = server.cpu_s();
        let fps = ordinary.load(Ordering::Relaxed) as f64 / 20.0 / 10.0;
        min_fps = min_fps.min(fps);
        println!(
            "| {:.0} | {rss:.0} | {:.0} | {fps:.1} | {:.1} |",
            started.elapsed().as_secs_f64(),
            (cpu - last_cpu) / 10.0 * 100.0,
            heavy.load(Ordering::Relaxed) as f64 / 4.0 / 10.0
        );
        last_cpu = cpu;
    }
    println!("\npeak RSS {peak:.0} MB; slowest 10 s of ordinary viewers {min_fps:.1} frames/s");

    // 8. SIGTERM with viewers connected.
    let mut viewers = Vec::new();
    for _ in 0..10 {
        viewers.push(ws(&a, "").await);
    }
    let signalled = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status();
    let mut codes = Vec::new();
    for w in &mut viewers {
        codes.push(close_of(w, Duration::from_secs(3)).await.map(|c| c.0));
    }
    let closed = signalled.elapsed();
    let mut child = server.child;
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!(
        "\n| SIGTERM with 10 viewers and 24 soak sessions | close codes {:?} within {:.0} ms; exit {:?} after {:.0} ms |",
        codes.iter().flatten().collect::<std::collections::BTreeSet<_>>(),
        closed.as_secs_f64() * 1e3,
        status.map(|s| s.code()),
        signalled.elapsed().as_secs_f64() * 1e3
    );
    for t in tasks {
        t.abort();
    }
}
