//! Classroom rooms over real sockets on port 0: one simulation per room
//! pane, the same bytes for the presenter and every follower, late joiners
//! starting from the room's present, controls only from the presenter, and
//! forks that continue the room's run exactly.

mod common;

use common::classroom::{
    answer_to, ballot, create, create_with, describe, member, raw, ticks_until,
};
use common::{http, serve_with};
use futures_util::SinkExt;
use server::limits::Limits;
use sim::wire::Frame;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_presenter_and_thirty_followers_receive_the_same_bytes() {
    let r = serve_with(Limits::default(), 2).await;
    let (code, cookie) = create(r.addr, "pattern=request-response&rate=300&seed=4").await;
    let mut presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    let mut followers = Vec::new();
    for _ in 0..30 {
        followers.push(member(r.addr, &format!("room={code}&pane=0"), None).await);
    }
    // From a tick every one of them receives live, the same bytes.
    let mut seen: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut p = ticks_until(&mut presenter, 2 * sim::time::SECOND).await;
    let last_now = match Frame::decode(p.last().unwrap()).unwrap() {
        Frame::Tick(t) => t.now,
        _ => unreachable!(),
    };
    p.retain(|b| matches!(Frame::decode(b), Ok(Frame::Tick(ref t)) if t.now > sim::time::SECOND && t.now <= last_now));
    for f in &mut followers {
        let mut got = ticks_until(f, last_now).await;
        got.retain(|b| matches!(Frame::decode(b), Ok(Frame::Tick(ref t)) if t.now > sim::time::SECOND && t.now <= last_now));
        seen.push(got);
    }
    assert!(p.len() > 20, "{} ticks", p.len());
    for (i, got) in seen.iter().enumerate() {
        assert!(
            got == &p,
            "follower {i} got other bytes ({} vs {} frames)",
            got.len(),
            p.len()
        );
    }
    // The room says who is there.
    let (_, v) = describe(r.addr, &code).await;
    assert_eq!(v["code"], code.as_str());
    assert_eq!(v["followers"], 30);
    assert_eq!(v["playing"], true);
    assert_eq!(v["joining_open"], true);
    assert_eq!(v["panes"][0]["pattern"], "request-response");
    assert_eq!(v["panes"][0]["seed"], 4);
    assert_eq!(v["panes"][0]["params"]["rate"], 300.0);
    let (head, _) = describe(r.addr, "NOPE22").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

/// The page reads a room's panes from their links (the browser's JSON
/// numbers are not exact past 2^53): each link is the pane, seed exact.
#[tokio::test]
async fn a_rooms_description_links_each_pane_exactly() {
    let r = serve_with(Limits::default(), 2).await;
    let link = "pattern=webhooks&vs=long-polling&seed=18446744073709551615&rate=250&b.hold_ms=700";
    let (code, _) = create(r.addr, link).await;
    let (_, v) = describe(r.addr, &code).await;
    let asked = app::url::parse(link, sim::catalogue()[0]);
    let panes = v["panes"].as_array().expect("panes");
    assert_eq!(panes.len(), 2, "{v}");
    for (pane, want) in panes.iter().zip(&asked.panes) {
        let link = pane["link"].as_str().expect("each pane has its link");
        let read = app::url::parse(link, sim::catalogue()[0]);
        assert_eq!(read.seed, u64::MAX, "{link}");
        assert!(read.problems.is_empty(), "{link}: {:?}", read.problems);
        assert_eq!(read.panes.len(), 1, "{link}");
        assert_eq!(read.panes[0].info.id, want.info.id, "{link}");
        assert_eq!(read.panes[0].values, want.values, "{link}");
    }
}

#[tokio::test]
async fn a_late_joiner_starts_from_the_room_as_it_is() {
    let r = serve_with(Limits::default(), 2).await;
    let (code, cookie) = create(r.addr, "pattern=request-response&rate=200").await;
    let mut presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    let _ = ticks_until(&mut presenter, 3 * sim::time::SECOND).await;
    let mut late = member(r.addr, &format!("room={code}&pane=0"), None).await;
    let Frame::Hello(h) = Frame::decode(&raw(&mut late).await).unwrap() else {
        panic!("a joiner gets the run's hello first")
    };
    assert_eq!(h.values[0], 200.0);
    // Then chart history and recent ticks, all from the room's present run,
    // never a run from t = 0.
    let mut first_now = None;
    let mut with_events = 0;
    for _ in 0..80 {
        if let Frame::Tick(t) = Frame::decode(&raw(&mut late).await).unwrap() {
            assert_eq!(t.run, h.run);
            first_now.get_or_insert(t.now);
            with_events += usize::from(!t.events.is_empty());
        }
    }
    assert!(
        first_now.unwrap() > 0,
        "history starts where the room has been"
    );
    assert!(
        with_events > 10,
        "the recent ticks carry the messages in flight"
    );
}

#[tokio::test]
async fn only_the_presenter_changes_the_room_and_every_follower_sees_it() {
    let r = serve_with(Limits::default(), 2).await;
    let (code, cookie) = create(r.addr, "pattern=request-response").await;
    let mut presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    let mut follower = member(r.addr, &format!("room={code}&pane=0"), None).await;
    let mut other = member(r.addr, &format!("room={code}&pane=0"), None).await;
    let _ = raw(&mut follower).await;
    // A follower's control: refused, nothing changes.
    let t = answer_to(
        &mut follower,
        r#"{"type":"set","param":"rate","value":900}"#,
    )
    .await;
    assert!(t.contains("only the presenter can change this room"), "{t}");
    // A wrong cookie is a follower too.
    let mut impostor = member(
        r.addr,
        &format!("room={code}&pane=0"),
        Some(&format!(
            "sb_presenter_{code}=00000000000000000000000000000000"
        )),
    )
    .await;
    let t = answer_to(&mut impostor, r#"{"type":"pause"}"#).await;
    assert!(t.contains("only the presenter"), "{t}");
    // The presenter's change reaches everyone as the same Params frame.
    presenter
        .send(Message::Text(
            r#"{"type":"set","param":"rate","value":450}"#.into(),
        ))
        .await
        .unwrap();
    let mut params = Vec::new();
    for ws in [&mut presenter, &mut follower, &mut other] {
        loop {
            let b = raw(ws).await;
            if let Frame::Params { values, .. } = Frame::decode(&b).unwrap() {
                assert_eq!(values[0], 450.0);
                params.push(b);
                break;
            }
        }
    }
    assert!(params.windows(2).all(|w| w[0] == w[1]));
    // A presenter's bad control is answered to the presenter alone.
    let t = answer_to(
        &mut presenter,
        r#"{"type":"set","param":"rate","value":-1}"#,
    )
    .await;
    assert!(t.contains("rate = -1 is out of range"), "{t}");
}

/// A fork is the room's run at the moment of forking, event for event
/// (the engine is deterministic for the recipe), and then its own.
#[tokio::test]
async fn a_fork_continues_the_rooms_run_exactly() {
    let r = serve_with(Limits::default(), 2).await;
    let (code, cookie) = create(r.addr, "pattern=request-response&rate=150&seed=9").await;
    let mut presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    let _ = ticks_until(&mut presenter, sim::time::SECOND).await;
    presenter
        .send(Message::Text(
            r#"{"type":"set","param":"rate","value":400}"#.into(),
        ))
        .await
        .unwrap();
    let _ = ticks_until(&mut presenter, 2 * sim::time::SECOND).await;
    let standing = r.shared.rooms.get(&code).unwrap().panes[0].standing();
    let mut fork = member(r.addr, &format!("fork={code}&pane=0"), None).await;
    let Frame::Hello(h) = Frame::decode(&raw(&mut fork).await).unwrap() else {
        panic!("a fork starts with its own hello")
    };
    assert_eq!(h.values[0], 400.0, "the fork has the room's current values");
    // Its first tick starts where the room stood (at least).
    let first = loop {
        if let Frame::Tick(t) = Frame::decode(&raw(&mut fork).await).unwrap() {
            break t;
        }
    };
    assert!(
        first.now >= standing.recipe.until,
        "{} < {}",
        first.now,
        standing.recipe.until
    );
    // The same recipe replayed headless gives the same state: the fork's
    // events continue that run.
    let mut replay = sim::Simulation::new(
        {
            let mut p = sim::find_pattern("request-response").unwrap().defaults();
            p.set_all(&standing.recipe.values).unwrap();
            p
        },
        9,
        sim::run::Options::EVENTS,
    );
    for c in &standing.recipe.changes {
        replay.advance_to(c.at);
        replay.set_param("rate", c.values[0]).unwrap();
    }
    replay.advance_to(standing.recipe.until);
    replay.clear_events();
    replay.advance_to(first.now);
    assert_eq!(
        first.events.as_ref(),
        replay.events(),
        "the fork continues the room's run event for event"
    );
    // And it is the student's own: a change there leaves the room alone.
    fork.send(Message::Text(
        r#"{"type":"set","param":"rate","value":10}"#.into(),
    ))
    .await
    .unwrap();
    loop {
        if let Frame::Params { values, .. } = Frame::decode(&raw(&mut fork).await).unwrap() {
            assert_eq!(values[0], 10.0);
            break;
        }
    }
    let st = r.shared.rooms.get(&code).unwrap().panes[0].standing();
    assert_eq!(st.recipe.changes.last().unwrap().values[0], 400.0);
    let _ = presenter.close(None).await;
}

/// A follower that stops reading slows nobody: the presenter keeps getting
/// its frames, and the stalled follower is dropped with a reason.
#[tokio::test]
async fn a_stalled_follower_slows_nobody_and_is_dropped() {
    let r = serve_with(
        Limits {
            idle: std::time::Duration::from_secs(2),
            ..Limits::default()
        },
        2,
    )
    .await;
    let (code, cookie) = create(r.addr, "pattern=request-response&rate=2000").await;
    let mut presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(r.addr).await.unwrap();
    let (stalled, _) =
        tokio_tungstenite::client_async(format!("ws://{}/ws?room={code}&pane=0", r.addr), stream)
            .await
            .unwrap();
    let room = r.shared.rooms.get(&code).unwrap();
    assert_eq!(room.followers.load(std::sync::atomic::Ordering::Relaxed), 1);
    // The presenter's frames keep their pace while the follower reads nothing.
    let started = tokio::time::Instant::now();
    let mut frames = 0;
    while started.elapsed() < std::time::Duration::from_secs(4) {
        let _ = raw(&mut presenter).await;
        frames += 1;
    }
    let per_s = frames as f64 / started.elapsed().as_secs_f64();
    assert!(
        per_s > 25.0,
        "the presenter got {per_s:.1} frames/s beside a stalled follower"
    );
    // By then the stalled follower (no pong for 2 s) is gone.
    let mut gone = false;
    for _ in 0..50 {
        if room.followers.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the stalled follower is still counted");
    drop(stalled);
}

/// Answers are anonymous counts; only the presenter reveals them or locks
/// joining; a room whose presenter has gone is paused, then closes and
/// tells its followers.
#[tokio::test]
async fn predictions_are_revealed_by_the_presenter_and_a_room_without_one_closes() {
    let r = serve_with(
        Limits {
            room_grace: std::time::Duration::from_millis(800),
            ..Limits::default()
        },
        2,
    )
    .await;
    let (code, cookie) = create_with(
        r.addr,
        serde_json::json!({ "link": "pattern=request-response", "preset": "retry-storm" }),
    )
    .await;
    let post = |path: String, body: &'static str, cookie: Option<String>| {
        let addr = r.addr;
        async move {
            let cookie = cookie
                .map(|c| format!("Cookie: {c}\r\n"))
                .unwrap_or_default();
            http(
                addr,
                &format!(
                    "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
            )
            .await
            .0
        }
    };
    // Each student's page has its ballot; one answers twice, which
    // replaces its first answer.
    let mut ballots = Vec::new();
    for i in 0..3 {
        ballots.push(
            ballot(r.addr, &code, &format!("10.0.0.{i}"))
                .await
                .expect("a ballot"),
        );
    }
    for (b, choice) in ballots
        .iter()
        .zip([r#"{"choice":1}"#, r#"{"choice":2}"#, r#"{"choice":2}"#])
    {
        assert!(
            post(format!("/api/rooms/{code}/answer"), choice, Some(b.clone()))
                .await
                .starts_with("HTTP/1.1 204")
        );
    }
    assert!(post(
        format!("/api/rooms/{code}/answer"),
        r#"{"choice":0}"#,
        Some(ballots[0].clone())
    )
    .await
    .starts_with("HTTP/1.1 204"));
    assert!(post(
        format!("/api/rooms/{code}/answer"),
        r#"{"choice":9}"#,
        Some(ballots[0].clone())
    )
    .await
    .starts_with("HTTP/1.1 400"));
    // No ballot, or one this room did not sign: refused with a reason.
    let none = post(format!("/api/rooms/{code}/answer"), r#"{"choice":0}"#, None).await;
    assert!(none.starts_with("HTTP/1.1 403"), "{none}");
    let forged = format!("sb_ballot_{code}={}.{}", "a".repeat(32), "b".repeat(32));
    assert!(post(
        format!("/api/rooms/{code}/answer"),
        r#"{"choice":0}"#,
        Some(forged)
    )
    .await
    .starts_with("HTTP/1.1 403"));
    let seen_by = |cookie: Option<String>| {
        let addr = r.addr;
        let code = code.clone();
        async move {
            let cookie = cookie
                .map(|c| format!("Cookie: {c}\r\n"))
                .unwrap_or_default();
            let (_, body) = http(addr, &format!("GET /api/rooms/{code} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n")).await;
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let student = seen_by(None).await;
    assert_eq!(student["answered"], 3, "three ballots, one answer each");
    assert_eq!(
        seen_by(Some(ballots[0].clone())).await["mine"],
        0,
        "a page sees its own answer"
    );
    assert!(
        student["answers"].is_null(),
        "counts stay hidden until revealed"
    );
    assert_eq!(
        seen_by(Some(cookie.clone())).await["answers"],
        serde_json::json!([1, 0, 2])
    );
    // Only the presenter reveals or locks.
    assert!(post(
        format!("/api/rooms/{code}/steer"),
        r#"{"reveal":true}"#,
        None
    )
    .await
    .starts_with("HTTP/1.1 403"));
    assert!(post(
        format!("/api/rooms/{code}/steer"),
        r#"{"reveal":true,"joining_open":false}"#,
        Some(cookie.clone())
    )
    .await
    .starts_with("HTTP/1.1 204"));
    let now = seen_by(None).await;
    assert_eq!(now["answers"], serde_json::json!([1, 0, 2]));
    assert_eq!(now["joining_open"], false);
    let mut refused = member(r.addr, &format!("room={code}&pane=0"), None).await;
    let (c, reason) = common::close_of(&mut refused, std::time::Duration::from_secs(5)).await;
    assert_eq!(c, 1008);
    assert!(reason.contains("locked joining"), "{reason}");
    assert!(post(
        format!("/api/rooms/{code}/steer"),
        r#"{"joining_open":true}"#,
        Some(cookie.clone())
    )
    .await
    .starts_with("HTTP/1.1 204"));
    // A follower stays while the presenter is away; after the grace the
    // class closes and says so.
    let mut presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    let _ = raw(&mut presenter).await;
    let mut follower = member(r.addr, &format!("room={code}&pane=0"), None).await;
    let _ = raw(&mut follower).await;
    drop(presenter);
    let (c, reason) = common::close_of(&mut follower, std::time::Duration::from_secs(10)).await;
    assert_eq!(c, 1001);
    assert!(reason.contains("the teacher has left"), "{reason}");
    let (head, _) = describe(r.addr, &code).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

/// `POST /api/rooms` from an address a proxy names (the server trusts
/// `X-Forwarded-For` here): the head and the body.
async fn create_from(addr: std::net::SocketAddr, from: &str) -> (String, String) {
    let body = r#"{"link":"pattern=request-response"}"#;
    common::http(
        addr,
        &format!(
            "POST /api/rooms HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {from}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await
}

/// `GET /api/rooms/<code>` from an address a proxy names: the head.
async fn look_up(addr: std::net::SocketAddr, code: &str, from: &str) -> String {
    common::http(
        addr,
        &format!("GET /api/rooms/{code} HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {from}\r\nConnection: close\r\n\r\n"),
    )
    .await
    .0
}

fn code_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One script cannot keep teachers out: each address starts its burst of
/// rooms, then is told when to try again (429, Retry-After); rooms no
/// teacher opens close after the claim grace, so even a flood from many
/// addresses that fills the server keeps a teacher out for the grace at
/// most. A presenter who left a room nobody follows frees it as soon.
#[tokio::test]
async fn a_creation_flood_is_rate_limited_and_unclaimed_rooms_close_after_the_grace() {
    let grace = std::time::Duration::from_millis(1200);
    let r = serve_with(
        Limits {
            claim_grace: grace,
            client_ip_header: Some("x-forwarded-for".into()),
            ..Limits::default()
        },
        2,
    )
    .await;
    let burst = Limits::default().rooms.burst as usize;
    let mut made = 0;
    for i in 0..60 {
        let (head, _) = create_from(r.addr, "10.1.1.1").await;
        if head.starts_with("HTTP/1.1 201") {
            made += 1;
        } else {
            assert!(head.starts_with("HTTP/1.1 429"), "request {i}: {head}");
            assert!(
                head.to_ascii_lowercase().contains("retry-after: "),
                "{head}"
            );
        }
    }
    assert_eq!(made, burst, "one address starts its burst of classes");
    // Four addresses fill the server's 32 rooms…
    for a in 2..=5 {
        for _ in 0..burst {
            create_from(r.addr, &format!("10.1.1.{a}")).await;
        }
    }
    let (teacher, _) = create_from(r.addr, "10.9.9.9").await;
    assert!(teacher.starts_with("HTTP/1.1 503"), "{teacher}");
    // …for the grace only: nobody opened them.
    tokio::time::sleep(grace * 2).await;
    let (head, body) = create_from(r.addr, "10.9.9.9").await;
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
    // The teacher opens it, then leaves with nobody following: it closes
    // after the grace too.
    let code = code_of(&body);
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let presenter = member(r.addr, &format!("room={code}&pane=0"), Some(&cookie)).await;
    tokio::time::sleep(grace * 2).await;
    assert!(
        look_up(r.addr, &code, "10.9.9.9")
            .await
            .starts_with("HTTP/1.1 200"),
        "open while presented"
    );
    drop(presenter);
    tokio::time::sleep(grace * 3).await;
    assert!(
        look_up(r.addr, &code, "10.9.9.9")
            .await
            .starts_with("HTTP/1.1 404"),
        "closed once left alone"
    );
}

/// Join codes cannot be walked: an address that looked up its burst of
/// unknown codes waits for every code, a live one included (else the
/// answers would still tell them apart); other addresses are not held up.
#[tokio::test]
async fn walking_join_codes_is_throttled_for_every_code() {
    let r = serve_with(
        Limits {
            client_ip_header: Some("x-forwarded-for".into()),
            ..Limits::default()
        },
        2,
    )
    .await;
    let (code, _) = create(r.addr, "pattern=request-response").await;
    let burst = Limits::default().unknown_codes.burst;
    for i in 0..burst {
        let head = look_up(r.addr, &format!("ZZZZ{:02}", i % 90 + 2), "10.3.3.3").await;
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    }
    let head = look_up(r.addr, "ZZZZZZ", "10.3.3.3").await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: "),
        "{head}"
    );
    let live = look_up(r.addr, &code, "10.3.3.3").await;
    assert!(
        live.starts_with("HTTP/1.1 429"),
        "a live code looks the same: {live}"
    );
    assert!(look_up(r.addr, &code, "10.4.4.4")
        .await
        .starts_with("HTTP/1.1 200"));
    // The socket path is held to the same, and says why.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}/ws?room={code}&pane=0", r.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("X-Forwarded-For", "10.3.3.3".parse().unwrap());
    let mut ws = tokio_tungstenite::connect_async(req).await.unwrap().0;
    let (_, reason) = common::close_of(&mut ws, std::time::Duration::from_secs(5)).await;
    assert!(reason.contains("too many unknown class codes"), "{reason}");
}
