//! What the benchmark examples share: the release server on a free port of
//! its own, and what `/proc` says a process costs.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(bin)
        .args(["serve", "--addr", &addr])
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
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (rss, (t(11) + t(12)) / 100.0)
}
