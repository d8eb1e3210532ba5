//! `make bench` (classroom): one room, 200 followers at ~10,000 events/s,
//! measured from the followers' side — frames per follower per second, the
//! p99 delay from a frame's first delivery to each follower receiving it
//! (stamped here, in the client), the server's CPU and RSS — beside a bare
//! `tokio::sync::broadcast` harness that fans the very same frames out over
//! WebSockets to the same 200 clients, in the same run. Prints the ratios.
//!
//! Usage: `cargo run --release -p server --example classbench -- [switchboard]`
//! (`classbench harness <port> <frames-file>` is the harness, run by itself).

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const FOLLOWERS: usize = 200;
const SECONDS: u64 = 15;
/// ~1,250 requests a second × ~8 events each ≈ 10,000 events a second.
const LINK: &str = "pattern=request-response&rate=1250&workers=4&service_ms=2";

mod support;
use support::{free_port, start_server, usage, wait_listening};

/// What the clients saw: per frame (by its bytes' hash), each arrival.
#[derive(Default)]
struct Seen {
    arrivals: HashMap<u64, Vec<Instant>>,
    frames: usize,
}

fn key(b: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// Connects `n` clients to `url` (with `cookie` for the first one when
/// given) and records arrivals until `until`; the first client's frames
/// (with their times) are returned for the harness to replay.
async fn watch(
    url: &str,
    n: usize,
    until: Instant,
    record: bool,
) -> (Arc<Mutex<Seen>>, Vec<(Duration, Vec<u8>)>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let start = Instant::now();
    for i in 0..n {
        let req = url.into_client_request().unwrap();
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("connects");
        let seen = Arc::clone(&seen);
        let recorded = Arc::clone(&recorded);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                match tokio::time::timeout(
                    until.saturating_duration_since(Instant::now()),
                    ws.next(),
                )
                .await
                {
                    Ok(Some(Ok(Message::Binary(b)))) => {
                        let at = Instant::now();
                        let mut s = seen.lock().unwrap();
                        s.frames += 1;
                        s.arrivals.entry(key(&b)).or_default().push(at);
                        if record && i == 0 {
                            recorded.lock().unwrap().push((at - start, b.to_vec()));
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => break,
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let rec = std::mem::take(&mut *recorded.lock().unwrap());
    (seen, rec)
}

/// Frames per client per second, and the p99 of (arrival − first arrival)
/// over frames every client received.
fn figures(seen: &Seen, n: usize, secs: f64) -> (f64, f64) {
    let mut delays: Vec<f64> = Vec::new();
    for arrivals in seen.arrivals.values().filter(|a| a.len() >= n) {
        let first = *arrivals.iter().min().unwrap();
        delays.extend(arrivals.iter().map(|a| (*a - first).as_secs_f64() * 1e3));
    }
    delays.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p99 = delays
        .get(delays.len() * 99 / 100)
        .copied()
        .unwrap_or(f64::NAN);
    (seen.frames as f64 / n as f64 / secs, p99)
}

/// The bare harness: a broadcast channel and tokio-tungstenite, nothing
/// else, replaying recorded frames at their recorded times.
async fn harness(port: u16, file: &str) {
    let data = std::fs::read(file).expect("frames file");
    let mut frames = Vec::new();
    let mut i = 0;
    while i + 12 <= data.len() {
        let at = u64::from_le_bytes(data[i..i + 8].try_into().unwrap());
        let len = u32::from_le_bytes(data[i + 8..i + 12].try_into().unwrap()) as usize;
        frames.push((
            Duration::from_nanos(at),
            bytes::Bytes::copy_from_slice(&data[i + 12..i + 12 + len]),
        ));
        i += 12 + len;
    }
    let (tx, _) = tokio::sync::broadcast::channel::<bytes::Bytes>(128);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let clients = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let tx = tx.clone();
        let clients = Arc::clone(&clients);
        tokio::spawn(async move {
            loop {
                let Ok((s, _)) = listener.accept().await else {
                    continue;
                };
                let mut rx = tx.subscribe();
                clients.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                        return;
                    };
                    while let Ok(b) = rx.recv().await {
                        if ws.send(Message::Binary(b)).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    }
    while clients.load(std::sync::atomic::Ordering::Relaxed) < FOLLOWERS {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = Instant::now();
    for (at, b) in &frames {
        tokio::time::sleep_until((start + *at).into()).await;
        let _ = tx.send(b.clone());
    }
    // Keep serving until the clients are done.
    tokio::time::sleep(Duration::from_secs(5)).await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("harness") {
        return harness(args[2].parse().unwrap(), &args[3]).await;
    }
    let bin = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "target/release/switchboard".into());
    let (mut server, addr) = start_server(&bin).await;

    // A room.
    let body = serde_json::json!({ "link": LINK }).to_string();
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(format!("POST /api/rooms HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await.unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let json = buf.split_once("\r\n\r\n").unwrap().1;
    let code = serde_json::from_str::<serde_json::Value>(json).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();

    let url = format!("ws://{addr}/ws?room={code}&pane=0");
    let (_, cpu0) = usage(server.id());
    let until = Instant::now() + Duration::from_secs(SECONDS) + Duration::from_secs(3);
    let (seen, recorded) = watch(&url, FOLLOWERS, until, true).await;
    let (rss, cpu1) = usage(server.id());
    let (fps, p99) = figures(&seen.lock().unwrap(), FOLLOWERS, SECONDS as f64 + 3.0);
    let cpu = (cpu1 - cpu0) / (SECONDS as f64 + 3.0) * 100.0;
    let _ = server.kill();
    let _ = server.wait();

    // The same frames through a bare broadcast harness.
    let file = std::env::temp_dir().join(format!("classbench-{}.frames", std::process::id()));
    let mut out = Vec::new();
    for (at, b) in &recorded {
        out.extend_from_slice(&(at.as_nanos() as u64).to_le_bytes());
        out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        out.extend_from_slice(b);
    }
    std::fs::write(&file, out).unwrap();
    let hport = free_port();
    let mut h = Command::new(std::env::current_exe().unwrap())
        .args(["harness", &hport.to_string(), file.to_str().unwrap()])
        .spawn()
        .expect("the harness starts");
    let haddr = format!("127.0.0.1:{hport}");
    wait_listening(&haddr).await;
    let (_, hcpu0) = usage(h.id());
    let until = Instant::now() + Duration::from_secs(SECONDS) + Duration::from_secs(3);
    let (hseen, _) = watch(&format!("ws://{haddr}/"), FOLLOWERS, until, false).await;
    let (hrss, hcpu1) = usage(h.id());
    let (hfps, hp99) = figures(&hseen.lock().unwrap(), FOLLOWERS, SECONDS as f64 + 3.0);
    let hcpu = (hcpu1 - hcpu0) / (SECONDS as f64 + 3.0) * 100.0;
    let _ = h.kill();
    let _ = h.wait();
    let _ = std::fs::remove_file(&file);

    let frames_kb: f64 = recorded.iter().map(|(_, b)| b.len()).sum::<usize>() as f64
        / 1024.0
        / (SECONDS as f64 + 3.0);
    println!("\n# one room, {FOLLOWERS} followers, {LINK} (~10,000 events/s, {frames_kb:.0} KB/s per follower)\n");
    println!("| | Switchboard room | bare broadcast harness | ratio |\n|---|---|---|---|");
    println!(
        "| frames per follower per s | {fps:.1} | {hfps:.1} | {:.2} |",
        fps / hfps
    );
    println!(
        "| p99 delay, first delivery → each follower | {p99:.1} ms | {hp99:.1} ms | {:.2} |",
        p99 / hp99
    );
    println!(
        "| server CPU (% of a core) | {cpu:.0} | {hcpu:.0} | {:.2} |",
        cpu / hcpu.max(0.1)
    );
    println!(
        "| server RSS | {rss:.0} MB | {hrss:.0} MB | {:.2} |",
        rss / hrss.max(0.1)
    );
}
