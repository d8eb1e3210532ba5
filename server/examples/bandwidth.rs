//! `make bench` (bandwidth): bytes per second one pane's stream costs the
//! classroom network — at the default settings, at the maximum arrival rate
//! played at 2.5×, and paused — measured as a page receives it (every
//! WebSocket message's payload), against the release binary. Prints each
//! beside the default pane's figure (the in-run baseline).
//!
//! Usage: `cargo run --release -p server --example bandwidth -- [switchboard]`

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

mod support;

/// Seconds each case is measured for, after it settles.
const SECONDS: u64 = 8;
/// The catalogue's largest arrival rate.
const MAX_RATE: &str = "20000";

/// One measured case: the link, the controls sent first, and a name.
struct Case {
    name: &'static str,
    query: String,
    controls: &'static [&'static str],
}

/// (bytes per second, messages per second) a page would receive.
async fn measure(addr: &str, case: &Case) -> (f64, f64) {
    let url = format!("ws://{addr}/ws?{}", case.query);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connects");
    for c in case.controls {
        ws.send(Message::Text((*c).into())).await.expect("sends");
    }
    // Let the run reach its steady state (and the pause take effect).
    count(&mut ws, 2).await;
    let (bytes, msgs) = count(&mut ws, SECONDS).await;
    (bytes as f64 / SECONDS as f64, msgs as f64 / SECONDS as f64)
}

/// Payload bytes and messages received over `secs` seconds.
async fn count<S>(ws: &mut S, secs: u64) -> (usize, usize)
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let until = Instant::now() + Duration::from_secs(secs);
    let (mut bytes, mut msgs) = (0, 0);
    while let Ok(Some(Ok(m))) =
        tokio::time::timeout(until.saturating_duration_since(Instant::now()), ws.next()).await
    {
        bytes += m.len();
        msgs += 1;
    }
    (bytes, msgs)
}

#[tokio::main]
async fn main() {
    let bin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/switchboard".into());
    let (mut server, addr) = support::start_server(&bin).await;

    let cases = [
        Case {
            name: "default settings, playing",
            query: "seed=1".into(),
            controls: &[],
        },
        Case {
            name: "rate 20,000/s at 2.5×",
            query: format!("rate={MAX_RATE}"),
            controls: &[r#"{"type":"speed","value":2.5}"#],
        },
        Case {
            name: "default settings, paused",
            query: "seed=1".into(),
            controls: &[r#"{"type":"pause"}"#],
        },
    ];
    let mut rows = Vec::new();
    for case in &cases {
        rows.push((case.name, measure(&addr, case).await));
    }
    let _ = server.kill();
    let _ = server.wait();

    let base = rows[0].1 .0.max(1.0);
    println!("bandwidth of one pane's stream, {SECONDS} s each (what a page receives)");
    println!(
        "{:<28} {:>12} {:>10} {:>9} {:>10}",
        "case", "bytes/s", "Mbit/s", "msgs/s", "× default"
    );
    for (name, (bytes, msgs)) in rows {
        println!(
            "{name:<28} {bytes:>12.0} {:>10.3} {msgs:>9.1} {:>10.3}",
            bytes * 8.0 / 1e6,
            bytes / base
        );
    }
}
