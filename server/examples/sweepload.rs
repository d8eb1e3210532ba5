//! `make bench` (sweeps beside a class): one room with 200 followers at
//! ~10,000 events/s, their frames per second measured from the followers'
//! side without a sweep and then while the page's sweeps keep the server's
//! sweep places busy (each request a heavy point run at nice 10 on the
//! sweep threads), in the same run. Prints both, the ratio, and how much
//! sweeping got done meanwhile.
//!
//! With `LOAD=real` the pages run real traffic instead (`POST /api/real`,
//! a request-response recipe at the real run's cap of 200 requests/s, 30
//! real seconds each): the issue's "200 viewers keep ≥ 28 frames/s while a
//! real run at its cap runs". With `LOAD=real-queue` the real runs are the
//! message queue at its cap on the run's own `nats-server` (JetStream,
//! 200 messages/s, eight consumers): a broker process beside the class.
//!
//! Usage: `[LOAD=real|real-queue] cargo run --release -p server --example sweepload -- [switchboard]`

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;
use support::{create_room, start_server_with, usage_with_children, watch};

const FOLLOWERS: usize = 200;
const SECONDS: u64 = 12;
const LINK: &str = "pattern=request-response&rate=1250&workers=4&service_ms=2";

/// One point of a heavy sweep (~120 M events estimated, under the
/// server's budget of 200 M).
const POINT: &str = r#"{"pattern":"request-response","vary":"rate=2000..2000:1","sets":["workers=32"],"reps":20,"duration_s":300,"seed":1,"format":"csv"}"#;

/// A real run at its cap: 200 requests/s for 30 s over loopback.
const REAL: &str = r#"{"pattern":"request-response","sets":["rate=200","workers=8","service_ms=20","net_ms=5"],"seed":1,"duration_s":30}"#;

/// A real run on a broker at its cap: the message queue, 200 messages/s.
const REAL_QUEUE: &str = r#"{"pattern":"message-queue","sets":["rate=200","consumers=8","prefetch=4","service_ms=20","net_ms=5"],"seed":1,"duration_s":30}"#;

/// Whether the pages run real traffic (`LOAD=real`, `LOAD=real-queue`)
/// instead of sweeps.
fn real() -> bool {
    std::env::var("LOAD").is_ok_and(|l| l.starts_with("real"))
}

async fn post_point(addr: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return 0;
    };
    let (path, body) = if real() {
        let queue = std::env::var("LOAD").is_ok_and(|l| l == "real-queue");
        ("/api/real", if queue { REAL_QUEUE } else { REAL })
    } else {
        ("/api/sweep", POINT)
    };
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).await.is_err() {
        return 0;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf).await;
    buf.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Frames per follower per second and the p99 delay (first delivery →
/// each follower) over the frames first delivered in `[from, to)`.
fn window(seen: &support::Seen, from: Instant, to: Instant) -> (f64, f64) {
    let mut frames = 0usize;
    let mut delays: Vec<f64> = Vec::new();
    for arrivals in seen.arrivals.values() {
        let first = *arrivals.iter().min().unwrap();
        if first < from || first >= to {
            continue;
        }
        frames += arrivals.len();
        if arrivals.len() >= FOLLOWERS {
            delays.extend(arrivals.iter().map(|a| (*a - first).as_secs_f64() * 1e3));
        }
    }
    delays.sort_by(f64::total_cmp);
    let p99 = delays
        .get(delays.len() * 99 / 100)
        .copied()
        .unwrap_or(f64::NAN);
    (
        frames as f64 / FOLLOWERS as f64 / (to - from).as_secs_f64(),
        p99,
    )
}

#[tokio::main]
async fn main() {
    let bin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/switchboard".into());
    let (mut server, addr) = start_server_with(&bin, &["--claim-grace-s", "600"]).await;
    let code = create_room(&addr, LINK).await;
    let url = format!("ws://{addr}/ws?room={code}&pane=0");

    // The same 200 followers throughout: a settling second, a window
    // without sweeps, then one with them.
    let pid = server.id();
    let started = Instant::now();
    let settle = Duration::from_secs(2);
    let span = Duration::from_secs(SECONDS);
    let until = started + settle + 2 * span + Duration::from_millis(500);
    let watching = tokio::spawn({
        let url = url.clone();
        async move { watch(&url, FOLLOWERS, until, false).await.0 }
    });
    tokio::time::sleep_until((started + settle).into()).await;
    let cpu0 = usage_with_children(pid);
    tokio::time::sleep(span).await;
    let cpu1 = usage_with_children(pid);
    let b_from = Instant::now();

    // Pages sweeping without pause (more than the server's places).
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let mut pages = Vec::new();
    let sweepers: usize = std::env::var("SWEEPERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    for _ in 0..sweepers {
        let (stop, done, busy, addr) = (
            Arc::clone(&stop),
            Arc::clone(&done),
            Arc::clone(&busy),
            addr.clone(),
        );
        pages.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match post_point(&addr).await {
                    200 => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    400 => panic!("the bench's point is refused"),
                    _ => {
                        busy.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(span).await;
    let cpu2 = usage_with_children(pid);
    let b_to = Instant::now();
    let seen = watching.await.expect("the followers");
    let seen = seen.lock().unwrap();
    let (fps_a, p99_a) = window(&seen, started + settle, b_from);
    let (fps_b, p99_b) = window(&seen, b_from, b_to);
    let secs = SECONDS as f64;
    let (cpu_a, cpu_b) = ((cpu1 - cpu0) / secs * 100.0, (cpu2 - cpu1) / secs * 100.0);
    let finished_in_window = done.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let _ = server.kill();
    let _ = server.wait();
    for p in pages {
        p.abort();
    }

    let what = if real() {
        "real runs at their cap"
    } else {
        "sweeps"
    };
    println!("\n# one room, {FOLLOWERS} followers ({LINK}), with and without {what} running\n");
    println!("| | none | {what} running | ratio |\n|---|---|---|---|");
    println!(
        "| frames per follower per s | {fps_a:.1} | {fps_b:.1} | {:.2} |",
        fps_b / fps_a
    );
    println!(
        "| p99 delay, first delivery → each follower | {p99_a:.1} ms | {p99_b:.1} ms | {:.2} |",
        p99_b / p99_a
    );
    println!(
        "| server CPU with the processes it started, a real run's nats-server too (% of a core) | {cpu_a:.0} | {cpu_b:.0} | {:.2} |",
        cpu_b / cpu_a.max(0.1)
    );
    if real() {
        println!(
            "\nreal runs finished while measuring: {finished_in_window} (30 s at 200 requests/s each); asked again while every place was taken: {}",
            busy.load(Ordering::Relaxed)
        );
    } else {
        println!(
            "\nsweep points finished while measuring: {finished_in_window} (20 replications × 300 virtual s at 2,000 req/s each: ~110 M events); asked again while both places were taken: {}",
            busy.load(Ordering::Relaxed)
        );
    }
}
