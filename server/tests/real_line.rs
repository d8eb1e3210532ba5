//! The line for real runs over HTTP, against the real server: a page past
//! the server's places gets a ticket and its place (`202`), keeps it by
//! asking again, and runs in its turn — a newcomer never jumps it.

mod common;

use std::net::SocketAddr;

use server::limits::Limits;

/// Posts a real run of request-response for `secs`, with `ticket`; the
/// status line and the body.
async fn post(addr: SocketAddr, secs: u32, ticket: Option<u64>) -> (String, serde_json::Value) {
    let ticket = ticket.map_or(String::new(), |t| format!(r#","ticket":{t}"#));
    let body = format!(
        r#"{{"pattern":"request-response","sets":["rate=20"],"seed":1,"duration_s":{secs}{ticket}}}"#
    );
    let request = format!(
        "POST /api/real HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (head, body) = common::http(addr, &request).await;
    let status = head.lines().next().unwrap_or("").to_string();
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_past_the_places_waits_its_turn() {
    let limits = Limits {
        max_real_runs: 1,
        ..Limits::default()
    };
    let server = common::serve_with(limits, 1).await;
    let addr = server.addr;
    let first = tokio::spawn(post(addr, 2, None));
    // Until the first run holds the only place.
    while server.shared.real_runs.available_permits() > 0 {
        tokio::task::yield_now().await;
    }
    let (status, b) = post(addr, 1, None).await;
    assert!(status.contains("202"), "{status} {b}");
    assert_eq!(
        (b["ahead"].as_u64(), b["places"].as_u64()),
        (Some(0), Some(1))
    );
    let b_ticket = b["ticket"].as_u64().expect("a ticket");
    let (status, c) = post(addr, 1, None).await;
    assert!(status.contains("202"), "{status} {c}");
    assert_eq!(c["ahead"].as_u64(), Some(1), "{c}");
    let c_ticket = c["ticket"].as_u64().expect("a ticket");

    let (status, report) = first.await.unwrap();
    assert!(status.contains("200"), "{status} {report}");
    assert_eq!(report["pattern"], "request-response");
    // The place is free, but the page behind may not take it first.
    let (status, c) = post(addr, 1, Some(c_ticket)).await;
    assert!(status.contains("202"), "{status} {c}");
    assert_eq!(
        (c["ticket"].as_u64(), c["ahead"].as_u64()),
        (Some(c_ticket), Some(1))
    );
    let (status, report) = post(addr, 1, Some(b_ticket)).await;
    assert!(
        status.contains("200"),
        "the head of the line runs: {status} {report}"
    );
    let (status, report) = post(addr, 1, Some(c_ticket)).await;
    assert!(status.contains("200"), "then the next: {status} {report}");
}
