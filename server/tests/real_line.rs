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

/// One address holds at most a quarter of the line: a script asking
/// again and again is refused in words (429) once it holds its share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_fill_the_line() {
    let limits = Limits {
        max_real_runs: 0,
        ..Limits::default()
    };
    let server = common::serve_with(limits, 1).await;
    let addr = server.addr;
    let share = server::http::real_line::PER_CLIENT;
    for i in 0..share {
        let (status, b) = post(addr, 1, None).await;
        assert!(status.contains("202"), "{status} {b}");
        assert_eq!(b["ahead"].as_u64(), Some(i as u64));
    }
    let (status, b) = post(addr, 1, None).await;
    assert!(status.contains("429"), "{status} {b}");
    assert!(
        b.as_str()
            .unwrap_or("")
            .contains("pages from your address already wait"),
        "{b}"
    );
}

/// A finished real run is kept: a pane plays it back over `/ws?real=`
/// in the live frames (its hello the model's topology, its ticks the real
/// events in time order, played to its end), and its messages' bytes are
/// served by id — an unknown run or a bad list is refused in words. A
/// seek shows it as it stood at that moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_run_plays_back_in_a_pane_with_its_bytes() {
    use sim::wire::Frame;
    let addr = common::serve().await;
    let (status, report) = post(addr, 2, None).await;
    assert!(status.contains("200"), "{status} {report}");
    let id = report["recording"].as_str().expect("kept").to_string();

    let mut ws = common::connect(addr, &format!("real={id}")).await;
    let Frame::Hello(h) = common::next_frame(&mut ws).await else {
        panic!("a hello first")
    };
    assert_eq!(h.pattern, "request-response");
    assert!(!h.topology.links.is_empty());
    common::send(&mut ws, r#"{"type":"speed","value":20}"#).await;
    let mut msgs = Vec::new();
    let mut last = 0;
    let mut completed = 0;
    loop {
        let Frame::Tick(t) = common::next_frame(&mut ws).await else {
            continue;
        };
        for e in t.events.iter() {
            assert!(e.at >= last, "in time order");
            last = e.at;
            match e.what {
                sim::What::Sent { msg, .. } => msgs.push(msg),
                sim::What::Completed { .. } => completed += 1,
                _ => {}
            }
        }
        if !t.playing {
            assert_eq!(t.now, sim::time::from_secs(2.0), "played to its end");
            break;
        }
    }
    assert!(completed > 10, "{completed} requests answered");
    let row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "completed")
        .cloned()
        .expect("a completed row");
    assert_eq!(
        row["real"].as_f64(),
        Some(completed as f64),
        "the pane plays what the table counts: {row}"
    );
    // The timeline shows it at any moment of what happened: a seek
    // answers with the run as it stood then.
    common::send(&mut ws, r#"{"type":"seek","t":1}"#).await;
    let m = loop {
        if let Frame::Moment(m) = common::next_frame(&mut ws).await {
            break m;
        }
    };
    assert_eq!((m.now, m.playing), (sim::time::SECOND, false));
    assert!(
        m.metrics.totals.completed > 0 && m.metrics.totals.completed < completed,
        "the figures up to 1 s: {} of {completed}",
        m.metrics.totals.completed
    );
    // Changing what happened is refused in words.
    common::send(&mut ws, r#"{"type":"set","param":"rate","value":5}"#).await;
    let said = common::next_text(&mut ws).await;
    assert!(
        said["message"]
            .as_str()
            .unwrap_or("")
            .contains("as it happened"),
        "{said}"
    );

    let list: Vec<String> = msgs.iter().take(40).map(|m| m.to_string()).collect();
    let get =
        |q: String| format!("GET /api/real/{q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (head, body) =
        common::http(addr, &get(format!("{id}/bytes?msgs={}", list.join(",")))).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let bytes: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert!(
        !bytes.is_empty(),
        "some of the first messages crossed the tapped connection"
    );
    for (m, text) in &bytes {
        let text = text.as_str().unwrap();
        assert!(
            text.to_ascii_lowercase()
                .contains(&format!("x-msg: {m}\r\n")),
            "message {m}'s own bytes: {text}"
        );
        assert!(
            text.starts_with("POST /real") || text.starts_with("HTTP/1.1 200"),
            "{text}"
        );
    }
    let (head, body) = common::http(addr, &get("0123456789abcdef/bytes?msgs=1".into())).await;
    assert!(
        head.starts_with("HTTP/1.1 404") && body.contains("no longer kept"),
        "{head}{body}"
    );
    let (head, body) = common::http(addr, &get(format!("{id}/bytes?msgs=x"))).await;
    assert!(
        head.starts_with("HTTP/1.1 400") && body.contains("expected message numbers"),
        "{body}"
    );
}

/// Hostile asks for a real run are refused in words before anything runs:
/// a body past the limit, a run too long, an unknown pattern or setting,
/// fields the server does not know.
#[tokio::test]
async fn bad_asks_for_a_real_run_are_refused_in_words() {
    let addr = common::serve().await;
    let ask = |body: &str, length: usize| {
        format!(
            "POST /api/real HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}"
        )
    };
    let big = "x".repeat(20_000);
    let (head, _) = common::http(addr, &ask(&big, big.len())).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    for (body, words) in [
        (
            r#"{"pattern":"request-response","duration_s":1e9}"#,
            "lasts 1 to 30 s",
        ),
        (
            r#"{"pattern":"request-response","duration_s":0.5}"#,
            "lasts 1 to 30 s",
        ),
        (r#"{"pattern":"nope","duration_s":2}"#, "nope"),
        (
            r#"{"pattern":"request-response","duration_s":2,"sets":["rate=-4"]}"#,
            "rate",
        ),
        (
            r#"{"pattern":"request-response","duration_s":2,"sets":["bogus=1"]}"#,
            "bogus",
        ),
        (
            r#"{"pattern":"request-response","duration_s":2,"extra":1}"#,
            "extra",
        ),
    ] {
        let (head, said) = common::http(addr, &ask(body, body.len())).await;
        assert!(
            head.starts_with("HTTP/1.1 400") || head.starts_with("HTTP/1.1 422"),
            "{body}: {head}"
        );
        assert!(said.contains(words), "{body}: {said}");
    }
}

/// A client that announces a body and never sends it does not hold its
/// connection: the body's time runs out (virtual time: the runtime's
/// clock moves on while everyone waits) and it is answered and closed.
#[tokio::test(start_paused = true)]
async fn a_body_that_never_comes_is_given_up() {
    let addr = common::serve().await;
    let request = "POST /api/real HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{";
    let (head, body) = common::http(addr, request).await;
    assert!(head.starts_with("HTTP/1.1 4"), "{head} {body}");
}
