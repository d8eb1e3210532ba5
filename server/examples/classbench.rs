//! `make bench` (classroom): one room, 200 followers at ~10,000 events/s,
//! measured from the followers' side — frames per follower per second, the
//! p99 delay from a frame's first delivery to each follower receiving it
//! (stamped here, in the client), the server's CPU and RSS — beside a bare
//! `tokio::sync::broadcast` harness that fans the very same frames out over
//! WebSockets to the same 200 clients, in the same run. Prints the ratios.
//!
//! Usage: `cargo run --release -p server --example classbench -- [switchboard]`
//! (`classbench harness <port> <frames-file>` is the harness, run by itself).

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const FOLLOWERS: usize = 200;
const SECONDS: u64 = 15;
/// ~1,250 requests a second × ~8 events each ≈ 10,000 events a second.
const LINK: &str = "pattern=request-response&rate=1250&workers=4&service_ms=2";

mod support;
use support::{create_room, figures, free_port, start_server, usage, wait_listening, watch};

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

    let code = create_room(&addr, LINK).await;

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
