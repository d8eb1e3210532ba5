//! What the benchmark examples share: the release server on a free port of
//! its own, and what `/proc` says a process costs.

#![allow(dead_code)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `switchboard serve` (`bin`) on a free port, quiet, and waits
/// until it listens. Returns the child and its address.
pub async fn start_server(bin: &str) -> (Child, String) {
    start_server_with(bin, &[]).await
}

/// As [`start_server`], with more flags.
pub async fn start_server_with(bin: &str, flags: &[&str]) -> (Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(bin)
        .args(["serve", "--addr", &addr])
        .args(flags)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    wait_listening(&addr).await;
    (child, addr)
}

/// Returns once something accepts connections on `addr` (10 s at most).
pub async fn wait_listening(addr: &str) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {addr}");
}

/// (RSS MB, CPU seconds) of a process.
pub fn usage(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0;
    let f = stat_fields(&pid.to_string());
    let t = |i: usize| f.get(i).copied().unwrap_or(0.0);
    (rss, (t(11) + t(12)) / 100.0)
}

/// The numbers of `/proc/<pid>/stat` after the process's name (0 for a
/// word): 1 is the parent's pid, 11 and 12 the CPU ticks in user and
/// kernel mode, 13 and 14 those of its children it has reaped.
fn stat_fields(pid: &str) -> Vec<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')')
        .map(|(_, r)| r)
        .unwrap_or("")
        .split_whitespace()
        .map(|v| v.parse::<f64>().unwrap_or(0.0))
        .collect()
}

/// CPU seconds of `pid` and every process it started: its own, its
/// children's that ended (the kernel adds them to it when it reaps them)
/// and those still running (a real run's `nats-server`), from `/proc`.
pub fn usage_with_children(pid: u32) -> f64 {
    let cpu = |f: &[f64]| f.get(11..15).map_or(0.0, |t| t.iter().sum::<f64>()) / 100.0;
    let mut total = cpu(&stat_fields(&pid.to_string()));
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(p) = name
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let f = stat_fields(p);
        if f.get(1) == Some(&(pid as f64)) {
            total += cpu(&f);
        }
    }
    total
}

/// What the clients saw: per frame (by its bytes' hash), each arrival.
#[derive(Default)]
pub struct Seen {
    pub arrivals: HashMap<u64, Vec<Instant>>,
    pub frames: usize,
}

pub fn key(b: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// Connects `n` clients to `url` (with `cookie` for the first one when
/// given) and records arrivals until `until`; the first client's frames
/// (with their times) are returned for the harness to replay.
pub async fn watch(
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
pub fn figures(seen: &Seen, n: usize, secs: f64) -> (f64, f64) {
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

/// Creates a room on the server at `addr` from a dashboard link; its code.
pub async fn create_room(addr: &str, link: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::json!({ "link": link }).to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("POST /api/rooms HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await.unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    let json = buf.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str::<serde_json::Value>(json).unwrap()["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no room: {buf}"))
        .to_string()
}
