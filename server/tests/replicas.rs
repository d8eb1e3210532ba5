//! Rooms across replicas, against a real `nats-server` with JetStream:
//! followers on another replica receive the presenter's bytes, controls
//! reach the owner through any replica, and a room whose replica is killed
//! continues on another as the same run, event for event.

mod common;

use std::time::Duration;

use common::classroom::{answer_to, create, member, raw};
use common::nats::{replica, Nats, Process};
use common::{http, Ws};
use futures_util::SinkExt;
use server::limits::Limits;
use sim::event::Event;
use sim::wire::Frame;
use tokio_tungstenite::tungstenite::Message;

/// Frames (raw) until a tick at or after virtual time `t`.
async fn frames_until(ws: &mut Ws, t: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let b = raw(ws).await;
        let done = matches!(Frame::decode(&b), Ok(Frame::Tick(ref k)) if k.now >= t);
        out.push(b);
        if done {
            return out;
        }
    }
}

/// The values of the next live change.
async fn params_frame(ws: &mut Ws) -> Vec<f64> {
    loop {
        if let Ok(Frame::Params { values, .. }) = Frame::decode(&raw(ws).await) {
            return values;
        }
    }
}

fn tick_now(b: &[u8]) -> Option<u64> {
    match Frame::decode(b) {
        Ok(Frame::Tick(t)) => Some(t.now),
        _ => None,
    }
}

async fn get(addr: std::net::SocketAddr, path: &str, cookie: Option<&str>) -> (String, String) {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_on_another_replica_get_the_presenters_bytes_and_controls_reach_the_owner() {
    let nats = Nats::start();
    let a = replica(&nats, Limits::default()).await;
    let b = replica(&nats, Limits::default()).await;
    let (code, cookie) = create(a.addr, "pattern=request-response&rate=300&seed=4").await;
    let query = format!("room={code}&pane=0");
    let mut presenter = member(a.addr, &query, Some(&cookie)).await;
    let mut followers = Vec::new();
    for _ in 0..5 {
        followers.push(member(b.addr, &query, None).await);
    }
    // From a tick every one of them receives live, the same bytes.
    let mut p = frames_until(&mut presenter, 2 * sim::time::SECOND).await;
    let last = tick_now(p.last().unwrap()).unwrap();
    let window = |b: &Vec<u8>| tick_now(b).is_some_and(|n| n > sim::time::SECOND && n <= last);
    p.retain(window);
    assert!(p.len() > 20, "{} ticks", p.len());
    for (i, f) in followers.iter_mut().enumerate() {
        let mut got = frames_until(f, last).await;
        got.retain(window);
        assert!(
            got == p,
            "follower {i} on replica B got other bytes ({} vs {} frames)",
            got.len(),
            p.len()
        );
    }

    // B answers for the room: its followers are counted by the owner, and
    // the presenter's cookie is recognised there.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (head, body) = get(b.addr, &format!("/api/rooms/{code}"), Some(&cookie)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["followers"], 5, "{v}");
    assert_eq!(v["presenter"], true);
    assert_eq!(v["panes"][0]["params"]["rate"], 300.0);
    let (_, body) = get(b.addr, &format!("/api/rooms/{code}"), None).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["presenter"], false);

    // A student on B cannot steer; the presenter through B can.
    let f = &mut followers[0];
    let t = answer_to(f, r#"{"type":"set","param":"rate","value":5}"#).await;
    assert!(t.contains("only the presenter"), "{t}");
    let mut remote = member(b.addr, &query, Some(&cookie)).await;
    remote
        .send(Message::Text(
            r#"{"type":"set","param":"rate","value":42}"#.into(),
        ))
        .await
        .unwrap();
    let seen_by_presenter = params_frame(&mut presenter).await;
    let seen_on_b = params_frame(&mut followers[1]).await;
    assert_eq!(seen_by_presenter, seen_on_b);
    let info = sim::find_pattern("request-response").unwrap();
    let at = info.params.iter().position(|p| p.id == "rate").unwrap();
    assert_eq!(seen_on_b[at], 42.0);
    // A refusal comes back to the presenter through B, as locally.
    let t = answer_to(&mut remote, r#"{"type":"set","param":"rate","value":-1}"#).await;
    assert!(t.contains("\"error\"") && t.contains("rate"), "{t}");
    // A student on B explores on their own: a private run continuing the
    // room's, replayed from what B relayed (the live change included).
    let mut fork = member(b.addr, &format!("fork={code}&pane=0"), None).await;
    match Frame::decode(&raw(&mut fork).await) {
        Ok(Frame::Hello(h)) => {
            assert_eq!((h.pattern.as_str(), h.seed), ("request-response", 4));
            assert_eq!(h.values[at], 42.0);
        }
        other => panic!("a fork starts with its hello: {other:?}"),
    }
    let resumed = frames_until(&mut fork, 0).await;
    assert!(
        tick_now(resumed.last().unwrap()).unwrap() >= last,
        "the fork continues from where the room stood"
    );
    // A student's sketch of the teacher's sweep, sent to B, reaches the
    // owner: the presenter sees it through either replica (no names), a
    // student through neither.
    let sketch = r#"{"points":[[0,12.5],[1,30]]}"#;
    let (head, text) = http(
        b.addr,
        &format!(
            "POST /api/rooms/{code}/sketch HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{sketch}",
            b.addr,
            sketch.len()
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 204"), "{head}\n{text}");
    assert!(
        head.to_ascii_lowercase().contains("set-cookie: sb_ballot_"),
        "a ballot is given with it: {head}"
    );
    for addr in [a.addr, b.addr] {
        let (head, text) = get(addr, &format!("/api/rooms/{code}/sketches"), Some(&cookie)).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["sketches"], serde_json::json!([[[0, 12.5], [1, 30.0]]]));
    }
    let (head, _) = get(b.addr, &format!("/api/rooms/{code}/sketches"), None).await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");

    // An unknown code is unknown on every replica.
    let (head, _) = get(b.addr, "/api/rooms/NOPE22", None).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

/// The events of one uninterrupted message-queue run at `rate`, seed
/// `seed`, with the live rate changes `changes` (virtual time, new rate),
/// to `end`.
fn uninterrupted(seed: u64, rate: f64, changes: &[(u64, f64)], end: u64) -> Vec<Event> {
    let info = sim::find_pattern("message-queue").unwrap();
    let mut params = info.defaults();
    params.set_str("rate", &rate.to_string()).unwrap();
    let options = sim::run::Options::EVENTS;
    let mut run = sim::Simulation::new(params, seed, options);
    for (at, rate) in changes {
        run.advance_to(*at);
        run.set_param("rate", *rate).unwrap();
    }
    run.advance_to(end);
    run.events().to_vec()
}

/// Every event of every tick, each tick taken once (a tick at or before
/// the newest seen is a repeat: the catch-up after a takeover).
fn events_of(frames: &[Vec<u8>], after: u64) -> (Vec<Event>, u64) {
    let mut newest = after;
    let mut out = Vec::new();
    for b in frames {
        if let Ok(Frame::Tick(t)) = Frame::decode(b) {
            if t.now > newest {
                out.extend(t.events.iter().copied().filter(|e| e.at > after));
                newest = t.now;
            }
        }
    }
    (out, newest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_whose_replica_is_killed_continues_on_another_as_the_same_run() {
    let nats = Nats::start();
    let mut a = Process::start(&nats);
    let b = replica(&nats, Limits::default()).await;
    let link = "pattern=message-queue&rate=40&seed=9";
    let (code, _cookie) = create(a.addr, link).await;
    let mut follower = member(b.addr, &format!("room={code}&pane=0"), None).await;
    // Before: the room runs on A; the follower on B sees it.
    let before = frames_until(&mut follower, sim::time::SECOND + sim::time::SECOND / 2).await;
    let first = before.iter().find_map(|b| tick_now(b)).unwrap();
    a.kill();
    // After: a notice, then the room goes on from where it stood.
    let mut after = Vec::new();
    let mut told = false;
    let end = loop {
        match tokio::time::timeout(
            Duration::from_secs(15),
            futures_util::StreamExt::next(&mut follower),
        )
        .await
        {
            Ok(Some(Ok(Message::Text(t)))) => {
                assert!(t.contains("continues on another"), "{t}");
                told = true;
            }
            Ok(Some(Ok(Message::Binary(b)))) => {
                let now = tick_now(&b);
                after.push(b.to_vec());
                if told && now.is_some_and(|n| n > 4 * sim::time::SECOND) {
                    break now.unwrap();
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the room did not continue on B: {other:?}"),
        }
    };
    assert!(told, "the followers were told");
    let mut seen = before.clone();
    seen.extend(after);
    let (events, newest) = events_of(&seen, first);
    assert_eq!(newest, end);

    // The same recipe run without interruption gives the same events.
    let expected: Vec<Event> = uninterrupted(9, 40.0, &[], end)
        .into_iter()
        .filter(|e| e.at > first)
        .collect();
    assert!(events.len() > 100, "{} events", events.len());
    assert_eq!(
        events.len(),
        expected.len(),
        "as many events as one uninterrupted run"
    );
    assert!(events == expected, "event for event the uninterrupted run");

    // The room answers on B, which now runs it.
    let (head, body) = get(b.addr, &format!("/api/rooms/{code}"), None).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["panes"][0]["seed"], 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_stops_hands_its_rooms_over_where_they_stood() {
    let nats = Nats::start();
    let mut a = Process::start(&nats);
    let b = replica(&nats, Limits::default()).await;
    let (code, cookie) = create(a.addr, "pattern=message-queue&rate=40&seed=3").await;
    let query = format!("room={code}&pane=0");
    // The presenter, on A, changes the rate live; nobody on B watches.
    let mut presenter = member(a.addr, &query, Some(&cookie)).await;
    frames_until(&mut presenter, sim::time::SECOND).await;
    presenter
        .send(Message::Text(
            r#"{"type":"set","param":"rate","value":80}"#.into(),
        ))
        .await
        .unwrap();
    // … and bookmarks a moment for the class.
    presenter
        .send(Message::Text(
            r#"{"type":"bookmarks","list":["0.5:the start"]}"#.into(),
        ))
        .await
        .unwrap();
    let mut changed_at = None;
    let seen = frames_until(&mut presenter, 2 * sim::time::SECOND).await;
    for f in &seen {
        if let Ok(Frame::Params { at, .. }) = Frame::decode(f) {
            changed_at = Some(at);
        }
    }
    let changed_at = changed_at.expect("the live change was applied");
    let status = a.terminate();
    assert!(status.success(), "A stops cleanly: {status:?}");
    let stood = seen.iter().filter_map(|b| tick_now(b)).max().unwrap();

    // The presenter comes back on B, still the presenter, and finds the
    // room where it stood, the live change included.
    let mut back = None;
    for _ in 0..50 {
        let (head, _) = get(b.addr, &format!("/api/rooms/{code}"), None).await;
        if head.starts_with("HTTP/1.1 200") {
            back = Some(member(b.addr, &query, Some(&cookie)).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut back = back.expect("B took the room over within 5 s");
    let (_, body) = get(b.addr, &format!("/api/rooms/{code}"), Some(&cookie)).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["presenter"], true, "{v}");
    assert_eq!(v["panes"][0]["params"]["rate"], 80.0, "{v}");
    let frames = frames_until(&mut back, stood + 2 * sim::time::SECOND).await;
    // The bookmark came over with the room.
    let marks = frames.iter().find_map(|f| match Frame::decode(f) {
        Ok(Frame::Marks { bookmarks, .. }) => Some(bookmarks),
        _ => None,
    });
    assert_eq!(
        marks.expect("the bookmarks are sent again"),
        vec![sim::wire::Bookmark {
            at: sim::time::SECOND / 2,
            label: "the start".into()
        }]
    );
    let first = frames.iter().find_map(|b| tick_now(b)).unwrap();
    assert!(
        first >= stood,
        "continued from {} s, not from the start",
        first as f64 / 1e9
    );
    let (events, end) = events_of(&frames, 0);
    assert!(events.len() > 50, "{} events", events.len());

    // Event for event a stretch of the uninterrupted run with that change.
    let expected = uninterrupted(3, 40.0, &[(changed_at, 80.0)], end);
    let from = expected
        .iter()
        .position(|e| *e == events[0])
        .expect("B's first event is one of the uninterrupted run's");
    assert!(
        expected[from..] == events[..],
        "B's events are the uninterrupted run's, in order, to the end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_continued_elsewhere_shows_the_moment_the_teacher_was_looking_at() {
    let nats = Nats::start();
    let mut a = Process::start(&nats);
    let b = replica(&nats, Limits::default()).await;
    let (code, cookie) = create(a.addr, "pattern=request-response&rate=40&seed=4").await;
    let query = format!("room={code}&pane=0");
    let mut presenter = member(a.addr, &query, Some(&cookie)).await;
    frames_until(&mut presenter, 2 * sim::time::SECOND).await;
    // The teacher looks back at 0.75 s (paused there) …
    presenter
        .send(Message::Text(r#"{"type":"seek","t":0.75}"#.into()))
        .await
        .unwrap();
    let moment = |b: &[u8]| match Frame::decode(b) {
        Ok(Frame::Moment(m)) => Some((m.now, m.head)),
        _ => None,
    };
    let (now, head) = loop {
        if let Some(m) = moment(&raw(&mut presenter).await) {
            break m;
        }
    };
    assert_eq!(now, 750 * sim::time::MS);
    // … long enough for the room's record (written each second) to say so.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let status = a.terminate();
    assert!(status.success(), "A stops cleanly: {status:?}");

    let mut back = None;
    for _ in 0..50 {
        let (h, _) = get(b.addr, &format!("/api/rooms/{code}"), None).await;
        if h.starts_with("HTTP/1.1 200") {
            back = Some(member(b.addr, &query, Some(&cookie)).await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut back = back.expect("B took the room over within 5 s");
    // B shows the class the same moment, of the same run, paused.
    let shown = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let f = raw(&mut back).await;
            if let Ok(Frame::Moment(m)) = Frame::decode(&f) {
                break m;
            }
        }
    })
    .await
    .expect("the moment is shown again");
    assert_eq!((shown.now, shown.head), (now, head));
    assert!(!shown.playing);
    let mut params = sim::find_pattern("request-response").unwrap().defaults();
    params.set("rate", 40.0).unwrap();
    let mut straight = sim::Simulation::new(params, 4, sim::run::Options::default());
    straight.advance_to(now);
    assert_eq!(shown.metrics.totals, straight.snapshot().totals);
}
