//! `make bench` (replicas): one room, 200 followers, served by one
//! replica alone vs spread over two replicas joined through a real
//! `nats-server` (100 on the owner, 100 on the other, which relays the
//! owner's frames from one NATS subscription). Measured from the
//! followers' side as `classbench` does — frames per follower per second,
//! the p99 delay from a frame's first delivery to each follower receiving
//! it — and each process's CPU, in the same run. Prints the ratios.
//!
//! Usage: `cargo run --release -p server --example replicabench -- [switchboard]`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{create_room, figures, free_port, start_server_with, usage, wait_listening, watch};

const FOLLOWERS: usize = 200;
const SECONDS: u64 = 15;
/// As `classbench`: ~10,000 events a second.
const LINK: &str = "pattern=request-response&rate=1250&workers=4&service_ms=2";

/// Followers on each of `addrs` (split evenly) for SECONDS; the figures
/// over all of them and the CPU (% of a core) of each of `pids`.
async fn measure(addrs: &[String], code: &str, pids: &[u32]) -> (f64, f64, Vec<f64>) {
    let before: Vec<f64> = pids.iter().map(|p| usage(*p).1).collect();
    let until = Instant::now() + Duration::from_secs(SECONDS);
    let per = FOLLOWERS / addrs.len();
    let watchers: Vec<_> = addrs
        .iter()
        .map(|a| {
            let url = format!("ws://{a}/ws?room={code}&pane=0");
            tokio::spawn(async move { watch(&url, per, until, false).await.0 })
        })
        .collect();
    let mut all = support::Seen::default();
    for w in watchers {
        let seen = w.await.unwrap();
        let mut s = seen.lock().unwrap();
        all.frames += s.frames;
        for (k, v) in s.arrivals.drain() {
            all.arrivals.entry(k).or_default().extend(v);
        }
    }
    let cpu = pids
        .iter()
        .zip(&before)
        .map(|(p, b)| (usage(*p).1 - b) / SECONDS as f64 * 100.0)
        .collect();
    let (fps, p99) = figures(&all, FOLLOWERS, SECONDS as f64);
    (fps, p99, cpu)
}

#[tokio::main]
async fn main() {
    let bin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/switchboard".into());

    // One replica, no NATS: today's default.
    let (mut one, addr) = start_server_with(&bin, &[]).await;
    let code = create_room(&addr, LINK).await;
    let (fps1, p991, cpu1) = measure(std::slice::from_ref(&addr), &code, &[one.id()]).await;
    let _ = one.kill();
    let _ = one.wait();

    // Two replicas and a NATS server.
    let store = std::env::temp_dir().join(format!("replicabench-{}", std::process::id()));
    let nport = free_port();
    let mut nats = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &nport.to_string(), "-sd"])
        .arg(&store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts (`make test` installs it)");
    let naddr = format!("127.0.0.1:{nport}");
    wait_listening(&naddr).await;
    let url = format!("nats://{naddr}");
    let (mut a, aaddr) = start_server_with(&bin, &["--nats", &url]).await;
    let (mut b, baddr) = start_server_with(&bin, &["--nats", &url]).await;
    let code = create_room(&aaddr, LINK).await;
    let (fps2, p992, cpu2) = measure(&[aaddr, baddr], &code, &[a.id(), b.id(), nats.id()]).await;
    for c in [&mut a, &mut b, &mut nats] {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_dir_all(&store);

    println!("\n# one room, {FOLLOWERS} followers, {LINK}: one replica vs two through NATS\n");
    println!("| | one replica | two replicas + NATS | ratio |\n|---|---|---|---|");
    println!(
        "| frames per follower per s | {fps1:.1} | {fps2:.1} | {:.2} |",
        fps2 / fps1
    );
    println!(
        "| p99 delay, first delivery → each follower | {p991:.1} ms | {p992:.1} ms | {:.2} |",
        p992 / p991
    );
    println!(
        "| CPU, owner (% of a core) | {:.0} | {:.0} | {:.2} |",
        cpu1[0],
        cpu2[0],
        cpu2[0] / cpu1[0].max(0.1)
    );
    println!("| CPU, relaying replica | — | {:.0} | |", cpu2[1]);
    println!("| CPU, nats-server | — | {:.0} | |", cpu2[2]);
}
