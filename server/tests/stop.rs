//! The real binary under SIGTERM: every viewer gets a close frame 1001 with
//! the reason within 2 s, and the process exits cleanly within 5 s.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_closes_every_viewer_with_1001_and_exits() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let url = format!("ws://127.0.0.1:{port}/ws?rate=500");
    let mut viewers = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while viewers.len() < 3 {
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((mut ws, _)) => {
                let first = ws.next().await;
                assert!(matches!(first, Some(Ok(Message::Binary(_)))));
                viewers.push(ws);
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the server never listened: {e}"),
        }
    }
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for ws in &mut viewers {
        let close = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(m) = ws.next().await {
                if let Ok(Message::Close(Some(f))) = m {
                    return Some((u16::from(f.code), f.reason.to_string()));
                }
            }
            None
        })
        .await
        .expect("a close frame within 2 s")
        .expect("a close frame, not a dropped connection");
        assert_eq!(close.0, 1001);
        assert!(close.1.contains("restarting"), "{}", close.1);
    }
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    println!("stopped {:?} after SIGTERM", signalled.elapsed());
}
