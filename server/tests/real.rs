//! Real traffic beside the model, against the real pieces: axum serving on
//! 127.0.0.1, hyper clients through the loopback-only connector, real
//! timers. Short runs (a few real seconds each): the fidelity figures are
//! `make bench`'s (`examples/realbench.rs`), not assertions on a shared
//! machine's timing.

use std::sync::{Mutex, MutexGuard};

use server::real::{compare, compare_recorded, Limits, Report};
use sim::ParamSet;

/// One real run at a time in this file: their timing is their own, and
/// the descriptor count of the process is theirs to compare.
fn serial() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

fn rr(sets: &[(&str, f64)]) -> ParamSet {
    let mut p = sim::find_pattern("request-response").unwrap().defaults();
    for (id, v) in sets {
        p.set(id, *v).unwrap();
    }
    p
}

/// A row's model and real figures; a failure or drop reason neither run
/// saw has no row and counts 0.
fn figure(r: &Report, id: &str) -> (f64, f64) {
    match r.rows.iter().find(|x| x.id == id) {
        Some(row) => (row.model, row.real),
        None if id.starts_with("failed_") || id.starts_with("dropped_") => (0.0, 0.0),
        None => panic!("no row {id}: {r:#?}"),
    }
}

/// Every request the schedule offered is counted once, as completed,
/// failed (for any reason) or still pending at the horizon; the real run
/// offered exactly the model's requests; and it speaks the model's
/// vocabulary: every kind of event either run emitted, the other emitted
/// too (`exceptions` are the kinds a short run may see on one side only).
fn conserved(r: &Report, exceptions: &[&str]) {
    let (model_offered, real_offered) = figure(r, "offered");
    assert_eq!(
        model_offered, real_offered,
        "the real run replays the model's arrivals"
    );
    let failed: f64 = r
        .rows
        .iter()
        .filter(|x| x.id.starts_with("failed_"))
        .map(|x| x.real)
        .sum();
    let ended = figure(r, "completed").1 + failed;
    let pending = figure(r, "pending").1;
    assert!(pending >= 0.0, "{r:#?}");
    assert_eq!(ended + pending, real_offered, "{r:#?}");
    for k in &r.events {
        if !exceptions.contains(&k.kind) {
            assert_eq!(
                k.model > 0,
                k.real > 0,
                "{} only on one side: {r:#?}",
                k.kind
            );
        }
    }
}

fn sse(sets: &[(&str, f64)]) -> ParamSet {
    let mut p = sim::find_pattern("server-sent-events").unwrap().defaults();
    for (id, v) in sets {
        p.set(id, *v).unwrap();
    }
    p
}

#[test]
fn a_quiet_run_completes_what_the_model_completes() {
    let _one = serial();
    let r = compare(
        rr(&[("rate", 40.0), ("timeout_ms", 5000.0)]),
        3,
        3.0,
        Limits::default(),
    )
    .unwrap();
    conserved(&r, &[]);
    let (model, real) = figure(&r, "completed");
    assert!(model > 80.0, "{model}");
    // Nobody times out at 5 s: only the last few in flight at the horizon
    // can differ.
    assert!((real - model).abs() <= 3.0, "{r:#?}");
    assert_eq!(figure(&r, "failed_timeout").1, 0.0);
    let (_, wait) = figure(&r, "mean_wait_ms");
    // A wait is at least the two hops and the service it measured.
    assert!(wait >= 2.0 * 1.0, "{wait}");
    assert!(r.calibration.floor_p50_ms > 0.0 && r.calibration.timer_lag_p99_ms >= 0.0);
    assert!(r.capped.is_none());
}

/// Loss on the links, a 503-ing full queue and retries: the real run still
/// ends every request, and counts what the link layer dropped.
#[test]
fn faults_are_injected_and_every_request_still_ends() {
    let _one = serial();
    let p = rr(&[
        ("rate", 150.0),
        ("workers", 1.0),
        ("queue_cap", 2.0),
        ("service_ms", 10.0),
        ("loss", 0.2),
        ("timeout_ms", 200.0),
        ("retries", 1.0),
        ("backoff_ms", 20.0),
    ]);
    let r = compare(p, 5, 2.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    assert!(
        figure(&r, "failed_rejected").1 + figure(&r, "failed_timeout").1 > 0.0,
        "{r:#?}"
    );
    assert!(figure(&r, "retries").1 > 0.0, "{r:#?}");
    assert!(figure(&r, "timed_out").1 > 0.0, "{r:#?}");
}

/// Past 200 requests a second the run is capped, model and real alike,
/// and the report says so.
#[test]
fn a_fast_recipe_is_capped_and_said() {
    let _one = serial();
    let r = compare(rr(&[("rate", 20_000.0)]), 1, 1.0, Limits::default()).unwrap();
    let why = r.capped.as_deref().expect("capped");
    assert!(why.contains("200"), "{why}");
    let (model, real) = figure(&r, "offered");
    assert!(model <= 260.0 && real == model, "{model} {real}");
    conserved(&r, &[]);
}

/// Runs leave nothing open behind them: the process's descriptors after
/// a few runs are what they were before.
#[test]
fn runs_leave_no_sockets_behind() {
    let _one = serial();
    let count = || {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let _ = compare(rr(&[("rate", 20.0)]), 1, 1.0, Limits::default()).unwrap();
    let before = count();
    for seed in 0..4 {
        let r = compare(
            rr(&[("rate", 60.0), ("timeout_ms", 50.0)]),
            seed,
            1.0,
            Limits::default(),
        )
        .unwrap();
        conserved(&r, &[]);
    }
    assert_eq!(count(), before);
}

#[test]
fn refusals_are_in_words() {
    let _one = serial();
    let err = compare(rr(&[]), 1, 0.5, Limits::default()).unwrap_err();
    assert!(err.contains("expected from 1 to 120 seconds"), "{err}");
}

/// The report carries the run's first exchange as it crossed the socket.
#[test]
fn the_first_exchange_is_shown_byte_for_byte() {
    let _one = serial();
    let r = compare(
        rr(&[("rate", 30.0), ("loss", 0.0)]),
        2,
        1.0,
        Limits::default(),
    )
    .unwrap();
    let e = r.exchange.expect("an exchange");
    assert!(
        e.request
            .starts_with("POST /real/request-response HTTP/1.1\r\n"),
        "{e:?}"
    );
    assert!(e.request.contains("x-service-ns: "), "{e:?}");
    assert!(e.request.ends_with("\r\n\r\n"), "{e:?}");
    assert!(
        e.response.starts_with("HTTP/1.1 200 OK\r\n") || e.response.starts_with("HTTP/1.1 503"),
        "{e:?}"
    );
}

/// Server-sent events with streams that drop and resume: every update
/// reaches every client exactly once (none lost, none twice), each
/// reconnect happens when the model's did, and the replays on resume are
/// the model's to within the few updates produced right at a drop's edge.
#[test]
fn a_stream_resumes_with_every_id_once() {
    let _one = serial();
    let p = sse(&[
        ("update_rate", 30.0),
        ("clients", 3.0),
        ("drops_per_min", 20.0),
        ("reconnect_ms", 300.0),
        ("net_ms", 5.0),
    ]);
    let r = compare(p, 8, 6.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    assert_eq!(figure(&r, "lost").1, 0.0, "resume loses nothing: {r:#?}");
    assert_eq!(figure(&r, "dropped_late").1, 0.0, "no id twice: {r:#?}");
    let (model, real) = figure(&r, "reconnects");
    assert!(model >= 3.0, "drops happened: {r:#?}");
    assert_eq!(model, real, "{r:#?}");
    let (model, real) = figure(&r, "resumed");
    assert!(model > 10.0, "{r:#?}");
    assert!((real - model).abs() <= (model * 0.05).max(3.0), "{r:#?}");
    let e = r.exchange.expect("the first stream's bytes");
    assert!(
        e.request.starts_with("GET /real/events HTTP/1.1\r\n"),
        "{e:?}"
    );
    assert!(e.request.contains("last-event-id: 0\r\n"), "{e:?}");
    assert!(
        e.response.contains("content-type: text/event-stream"),
        "{e:?}"
    );
    assert!(e.response.contains("\nid: 1\n"), "{e:?}");
}

/// Without resume a reconnecting client finds a gap in the ids: what was
/// produced while it was away is lost, about as many as the model loses.
#[test]
fn without_resume_the_gap_is_lost() {
    let _one = serial();
    let p = sse(&[
        ("update_rate", 30.0),
        ("clients", 3.0),
        ("drops_per_min", 20.0),
        ("reconnect_ms", 300.0),
        ("resume", 0.0),
    ]);
    let r = compare(p, 9, 6.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    let (model, real) = figure(&r, "lost");
    assert!(model > 10.0, "{r:#?}");
    assert!((real - model).abs() <= (model * 0.1).max(3.0), "{r:#?}");
    assert_eq!(figure(&r, "resumed"), (0.0, 0.0));
}

/// Every update to every stream counts against the cap: 3 clients at 100
/// updates/s is 300 events/s, run at 66 updates/s (198 events/s).
#[test]
fn a_stream_cap_counts_every_client() {
    let _one = serial();
    let r = compare(
        sse(&[("update_rate", 100.0), ("clients", 3.0)]),
        1,
        1.0,
        Limits::default(),
    )
    .unwrap();
    let why = r.capped.as_deref().expect("capped");
    assert!(why.contains("× 3 clients") && why.contains("66/s"), "{why}");
    conserved(&r, &["Completed", "Breakdown", "Delivered"]);
}

/// Fire-and-forget for real: what the link loses or a full queue refuses
/// is lost without a word to the sender, about as often as in the model;
/// the rest is worked on at the receiver.
#[test]
fn fire_and_forget_loses_silently() {
    let _one = serial();
    let mut p = sim::find_pattern("fire-and-forget").unwrap().defaults();
    for (id, v) in [
        ("rate", 120.0),
        ("loss", 0.1),
        ("workers", 1.0),
        ("service_ms", 8.0),
        ("queue_cap", 3.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 4, 3.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    let (model, real) = figure(&r, "silent_losses");
    assert!(model > 20.0, "{r:#?}");
    assert!((real - model).abs() <= (model * 0.25).max(5.0), "{r:#?}");
    assert!(figure(&r, "dropped_queue_full").1 > 0.0, "{r:#?}");
    let e = r.exchange.expect("bytes");
    assert!(e.response.starts_with("HTTP/1.1 202 Accepted\r\n"), "{e:?}");
}

/// A WebSocket room for real: every chat message, ping and reconnect the
/// model's clients made, made over real frames; each copy relayed to a
/// member who is connected arrives, what was sent to one away is lost.
#[test]
fn a_websocket_room_relays_every_message() {
    let _one = serial();
    let mut p = sim::find_pattern("websocket").unwrap().defaults();
    for (id, v) in [
        ("rate", 20.0),
        ("drops_per_min", 20.0),
        ("reconnect_ms", 400.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 6, 5.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    // The same frames, but for those at a drop's edge.
    for id in ["heartbeats", "wire", "offered"] {
        let (model, real) = figure(&r, id);
        assert!(
            model > 0.0 && (real - model).abs() <= (model * 0.02).max(2.0),
            "{id}: {r:#?}"
        );
    }
    let (model, real) = figure(&r, "missed");
    assert!((real - model).abs() <= (model * 0.2).max(4.0), "{r:#?}");
    let e = r.exchange.expect("bytes");
    assert!(e.request.contains("Upgrade: websocket\r\n"), "{e:?}");
    assert!(
        e.response
            .starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{e:?}"
    );
}

/// Short polling for real: every poll the model's clients sent, sent over
/// HTTP; each answer brings home what the server had, so every update
/// produced reaches every client or is still pending at the horizon.
#[test]
fn short_polls_bring_every_update_home() {
    let _one = serial();
    let mut p = sim::find_pattern("short-polling").unwrap().defaults();
    for (id, v) in [("update_rate", 10.0), ("poll_ms", 200.0), ("loss", 0.0)] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 3, 4.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    // Every poll the model sent, sent — but one due in the last moment
    // before the horizon, whose task the machine ran just after it.
    let (model, real) = figure(&r, "polls");
    assert!(model > 50.0 && (model - real).abs() <= 1.0, "{r:#?}");
    let (model, real) = figure(&r, "completed");
    assert!((real - model).abs() <= (model * 0.05).max(5.0), "{r:#?}");
    let e = r.exchange.expect("bytes");
    assert!(
        e.request.starts_with("GET /real/poll HTTP/1.1\r\n"),
        "{e:?}"
    );
    assert!(e.response.contains("x-upto: "), "{e:?}");
}

/// A hundred runs started and stopped part-way (a page closed, a server
/// stopping), over every pattern that runs for real: each says it was
/// stopped, and the process's descriptors are back where they were.
#[test]
fn a_hundred_cancelled_runs_leave_nothing_open() {
    let _one = serial();
    let count = || {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let patterns = [
        "request-response",
        "fire-and-forget",
        "short-polling",
        "server-sent-events",
        "websocket",
        "webhooks",
        "scatter-gather",
        "async-request-reply",
        "publish-subscribe",
        "message-queue",
        "event-choreography",
    ];
    // Warm up whatever the runtime keeps for the process's lifetime.
    let _ = compare(rr(&[("rate", 20.0)]), 1, 1.0, Limits::default()).unwrap();
    let before = count();
    for cycle in 0..100u64 {
        let pattern = patterns[cycle as usize % patterns.len()];
        let p = sim::find_pattern(pattern).unwrap().defaults();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        // Past the model and the calibration: into the real run's traffic.
        let after = std::time::Duration::from_millis(250 + cycle % 5 * 60);
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(after);
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let r = server::real::compare_until(p, cycle, 5.0, Limits::default(), &stop);
        stopper.join().unwrap();
        let err = r.expect_err("stopped part-way");
        assert!(err.contains("stopped"), "{pattern}: {err}");
    }
    assert_eq!(count(), before, "descriptors after 100 cancelled runs");
}

/// Long polling for real: held polls answered by the next update, the
/// clients polling again in a closed loop; every update reaches every
/// client or is pending at the horizon, with about the model's polls.
#[test]
fn long_polls_are_held_until_news() {
    let _one = serial();
    let mut p = sim::find_pattern("long-polling").unwrap().defaults();
    for (id, v) in [("update_rate", 8.0), ("hold_ms", 300.0), ("loss", 0.0)] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 4, 4.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    let (model, real) = figure(&r, "polls");
    assert!(
        model > 20.0 && (real - model).abs() <= (model * 0.1).max(4.0),
        "{r:#?}"
    );
    let (model, real) = figure(&r, "empty_answers");
    assert!(
        model > 0.0 && real > 0.0,
        "holds ran out on both sides: {r:#?}"
    );
    let (model, real) = figure(&r, "completed");
    assert!((real - model).abs() <= (model * 0.05).max(5.0), "{r:#?}");
    let e = r.exchange.expect("bytes");
    assert!(
        e.request.starts_with("GET /real/long-poll HTTP/1.1\r\n"),
        "{e:?}"
    );
}

/// Webhooks for real: lost callbacks and acks make the provider deliver
/// again — duplicates at the receivers, late acks at the provider — and an
/// outage longer than the retries dead-letters events; every event ends
/// once, about as often each way as in the model.
#[test]
fn webhooks_redeliver_until_acked_or_dead_lettered() {
    let _one = serial();
    let mut p = sim::find_pattern("webhooks").unwrap().defaults();
    for (id, v) in [
        ("rate", 40.0),
        ("clients", 2.0),
        ("loss", 0.25),
        ("outage_at_s", 1.0),
        ("outage_s", 1.5),
        ("timeout_ms", 300.0),
        ("retries", 1.0),
        ("backoff_ms", 200.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 6, 4.0, Limits::default()).unwrap();
    conserved(&r, &["Queued"]);
    for id in [
        "retries",
        "duplicate_side_effects",
        "dead_lettered",
        "dropped_service_down",
    ] {
        let (model, real) = figure(&r, id);
        // Losses are drawn apart from the model's: they agree in
        // distribution, so each side sees some, in about the same number.
        assert!(model > 3.0 && real > 0.0, "{id}: {r:#?}");
        assert!(
            (real - model).abs() <= (model * 0.5).max(8.0),
            "{id}: {r:#?}"
        );
    }
    let e = r.exchange.expect("bytes");
    assert!(e.request.starts_with("POST /real/webhooks/"), "{e:?}");
}

/// Scatter-gather for real: every request fans out to each backend over
/// real sockets and is answered once, whole or — while backend 1 is down
/// or a branch is lost — partial at the branch timeout, about as often as
/// in the model; each branch back is a `Leg`.
#[test]
fn scatter_gather_answers_whole_or_partial() {
    let _one = serial();
    let mut p = sim::find_pattern("scatter-gather").unwrap().defaults();
    for (id, v) in [
        ("rate", 30.0),
        ("fanout", 4.0),
        ("loss", 0.05),
        ("outage_at_s", 1.0),
        ("outage_s", 1.0),
        ("timeout_ms", 300.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 5, 3.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    for id in ["partial", "dropped_service_down", "dropped_loss"] {
        let (model, real) = figure(&r, id);
        assert!(model > 5.0 && real > 0.0, "{id}: {r:#?}");
        assert!(
            (real - model).abs() <= (model * 0.5).max(10.0),
            "{id}: {r:#?}"
        );
    }
    let legs = r.events.iter().find(|k| k.kind == "Leg").expect("legs");
    assert!(legs.real > 100, "{r:#?}");
    let e = r.exchange.expect("bytes");
    assert!(e.request.starts_with("POST /real/scatter-gather"), "{e:?}");
    assert!(e.response.contains("x-scattered-ns"), "{e:?}");
}

/// Async request-reply for real: each job's `202` comes back before the
/// work (one round trip, whatever the queue), the clients poll until the
/// result; a full store refuses with a `503` and a service that is down
/// answers nothing, so those submits time out — as often as in the model.
#[test]
fn jobs_are_accepted_at_once_and_polled_for() {
    let _one = serial();
    let mut p = sim::find_pattern("async-request-reply").unwrap().defaults();
    for (id, v) in [
        ("rate", 30.0),
        ("workers", 1.0),
        ("service_ms", 30.0),
        ("queue_cap", 3.0),
        ("loss", 0.05),
        ("outage_at_s", 1.0),
        ("outage_s", 0.5),
        ("timeout_ms", 300.0),
        ("poll_ms", 100.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 4, 3.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    for id in ["failed_timeout", "dropped_service_down", "completed"] {
        let (model, real) = figure(&r, id);
        assert!(model > 5.0 && real > 0.0, "{id}: {r:#?}");
        assert!(
            (real - model).abs() <= (model * 0.5).max(10.0),
            "{id}: {r:#?}"
        );
    }
    assert!(figure(&r, "dropped_queue_full").1 > 0.0, "{r:#?}");
    // The 202 is one round trip (2 × 20 ± 5 ms), queue or no queue.
    let (model, real) = figure(&r, "accept_ms");
    assert!((real - model).abs() < model * 0.25, "{r:#?}");
    let e = r.exchange.expect("bytes");
    assert!(e.response.starts_with("HTTP/1.1 202 Accepted"), "{e:?}");
}

/// Publish-subscribe for real on a real `nats-server`: each publish acked
/// by the broker (JetStream) in one round trip, every subscriber its own
/// copy through the broker's fan-out, the slow subscriber's full buffer
/// dropping its oldest copies — exactly as many as the model's, since each
/// copy works for the model's own draw; a publish during the broker's
/// outage is never published. Nothing of the broker is left behind.
#[test]
fn a_real_broker_fans_out_every_event() {
    let _one = serial();
    let mut p = sim::find_pattern("publish-subscribe").unwrap().defaults();
    for (id, v) in [
        ("rate", 40.0),
        ("buffer", 10.0),
        ("outage_at_s", 1.0),
        ("outage_s", 0.5),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 2, 3.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    for id in ["dropped_overflow", "dropped_service_down", "completed"] {
        let (model, real) = figure(&r, id);
        assert!(model > 3.0 && real > 0.0, "{id}: {r:#?}");
        assert!(
            (real - model).abs() <= (model * 0.2).max(5.0),
            "{id}: {r:#?}"
        );
    }
    let (model, real) = figure(&r, "publisher_wait_ms");
    assert!((real - model).abs() < model * 0.25, "{r:#?}");
    // A publish and the broker's ack, as they crossed the socket.
    let e = r.exchange.clone().expect("frames");
    assert!(e.request.starts_with("PUB switchboard.real."), "{e:?}");
    assert!(e.response.starts_with("MSG _INBOX."), "{e:?}");
    assert!(e.response.contains("\"seq\":1"), "{e:?}");
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("switchboard-nats-{}-", std::process::id()))
        })
        .count();
    assert_eq!(leftovers, 0, "the broker's directory is removed");
    assert_eq!(children("nats-server"), 0, "the broker is gone");
}

/// This process's child processes named `name`, zombies included.
fn children(name: &str) -> usize {
    family(name).len() - 1
}

/// The message queue for real on a real `nats-server` with JetStream: a
/// work-queue stream, one durable pull consumer shared by competing
/// consumers, each holding at most `prefetch` copies. Consumers crash on
/// the model's schedule (their connections closed): the copies they held
/// unacked come back from JetStream after the visibility timeout, as
/// redeliveries, some processed twice; a message past its deliveries is
/// dead-lettered from JetStream's own advisory.
#[test]
fn a_killed_consumers_copies_come_back() {
    let _one = serial();
    let mut p = sim::find_pattern("message-queue").unwrap().defaults();
    for (id, v) in [
        ("rate", 40.0),
        ("prefetch", 4.0),
        ("queue_cap", 40.0),
        ("crashes_per_min", 30.0),
        ("restart_ms", 300.0),
        ("visibility_ms", 400.0),
        ("retries", 1.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 7, 4.0, Limits::default()).unwrap();
    // A dead letter before its message was processed is rare here (about
    // one a run): a `Failed` may be on one side only.
    conserved(&r, &["Failed"]);
    let crashes = r.events.iter().find(|k| k.kind == "Capacity").unwrap();
    assert_eq!(crashes.model, crashes.real, "the model's crashes, replayed");
    for id in ["redeliveries", "dropped_crashed", "completed"] {
        let (model, real) = figure(&r, id);
        assert!(model > 2.0 && real > 0.0, "{id}: {r:#?}");
        assert!(
            (real - model).abs() <= (model * 0.5).max(8.0),
            "{id}: {r:#?}"
        );
    }
    let (model, real) = figure(&r, "producer_wait_ms");
    assert!((real - model).abs() < model * 0.25, "{r:#?}");
    // The bytes of a consumer's connection: its pull request, and a copy
    // whose reply subject carries JetStream's delivery count.
    let e = r.exchange.clone().expect("frames");
    assert!(
        e.request.starts_with("PUB $JS.API.CONSUMER.MSG.NEXT."),
        "{e:?}"
    );
    assert!(e.request.contains("\"batch\":1"), "{e:?}");
    assert!(
        e.response.starts_with("MSG switchboard.real.queue "),
        "{e:?}"
    );
    assert!(
        e.response.contains(" $JS.ACK.SWITCHBOARD_QUEUE.workers."),
        "{e:?}"
    );
    assert_eq!(children("nats-server"), 0, "the broker is gone");
}

/// One contract over the whole catalogue: every pattern runs for real at
/// its defaults, replays the model's offers and accounts for each one;
/// its recording holds its events in time order and the bytes of messages
/// it really sent, each under the id of a message the run reported.
#[test]
fn every_pattern_runs_for_real_at_its_defaults() {
    let _one = serial();
    for info in sim::catalogue() {
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (r, rec) = compare_recorded(info.defaults(), 11, 2.0, Limits::default(), &stop)
            .unwrap_or_else(|e| panic!("{}: {e}", info.id));
        // Two seconds are too short for every rare kind on both sides.
        conserved(&r, &["Queued", "Dropped", "Failed", "TimedOut"]);
        assert!(figure(&r, "offered").1 > 0.0, "{}: {r:#?}", info.id);
        assert!(rec.events.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(rec.events.last().is_some_and(|e| e.at <= rec.horizon));
        let sent: std::collections::HashSet<u64> = rec
            .events
            .iter()
            .filter_map(|e| match e.what {
                sim::What::Sent { msg, .. } => Some(msg),
                _ => None,
            })
            .collect();
        assert!(!rec.bytes.is_empty(), "{}: no message's bytes", info.id);
        for (msg, text) in &rec.bytes {
            assert!(
                sent.contains(msg),
                "{}: #{msg} was never sent: {text}",
                info.id
            );
            assert!(!text.is_empty());
        }
    }
}

/// Event choreography for real on a real `nats-server`: each stage its
/// own connection reacting to the previous stage's events; the steps the
/// model failed fail here too and their compensations walk back; a
/// stalled stage's full queue fails more.
#[test]
fn a_saga_compensates_back_up_the_chain() {
    let _one = serial();
    let mut p = sim::find_pattern("event-choreography").unwrap().defaults();
    for (id, v) in [
        ("rate", 40.0),
        ("fail_rate", 0.1),
        ("slow_stage", 2.0),
        ("slowdown", 3.0),
        ("queue_cap", 2.0),
    ] {
        p.set(id, v).unwrap();
    }
    let r = compare(p, 8, 3.0, Limits::default()).unwrap();
    conserved(&r, &[]);
    for id in ["failures", "compensations", "completed"] {
        let (model, real) = figure(&r, id);
        assert!(model > 3.0 && real > 0.0, "{id}: {r:#?}");
        assert!(
            (real - model).abs() <= (model * 0.3).max(6.0),
            "{id}: {r:#?}"
        );
    }
    let e = r.exchange.clone().expect("frames");
    assert!(e.request.starts_with("SUB switchboard.real."), "{e:?}");
    assert!(e.response.starts_with("MSG switchboard.real."), "{e:?}");
    assert_eq!(children("nats-server"), 0, "the broker is gone");
}

/// The pids of this process and of its children named `name`.
fn family(name: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut pids = vec![me.clone()];
    for e in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        if let Some((head, rest)) = stat.rsplit_once(") ") {
            if head.ends_with(&format!("({name}")) && rest.split(' ').nth(1) == Some(&me) {
                pids.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    pids
}

/// Whether a `/proc/net/tcp{,6}` address (hex, the kernel's byte order)
/// is on loopback; `remote` allows the unspecified address of a listener.
fn on_loopback(hex: &str, remote: bool) -> bool {
    let ip = hex.split(':').next().unwrap_or("");
    let unspecified = ip.chars().all(|c| c == '0');
    match ip.len() {
        8 => ip.ends_with("7F") || (remote && unspecified),
        32 => {
            ip == "00000000000000000000000001000000"
                || (ip.starts_with("0000000000000000FFFF0000") && ip.ends_with("7F"))
                || (remote && unspecified)
        }
        _ => false,
    }
}

/// How many TCP sockets `pids` hold on loopback, and those not on
/// loopback at both ends, as the kernel lists them.
fn sockets(pids: &[String]) -> (usize, Vec<String>) {
    let mut inodes = std::collections::HashSet::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.filter_map(Result::ok) {
            if let Ok(link) = std::fs::read_link(fd.path()) {
                let link = link.to_string_lossy().into_owned();
                if let Some(inode) = link
                    .strip_prefix("socket:[")
                    .and_then(|l| l.strip_suffix(']'))
                {
                    inodes.insert(inode.to_string());
                }
            }
        }
    }
    let (mut on, mut bad) = (0, Vec::new());
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() <= 9 || !inodes.contains(cols[9]) {
                continue;
            }
            if on_loopback(cols[1], false) && on_loopback(cols[2], true) {
                on += 1;
            } else {
                bad.push(line.to_string());
            }
        }
    }
    (on, bad)
}

#[test]
fn the_kernels_socket_table_reads_loopback_right() {
    assert!(on_loopback("0100007F:1F90", false));
    assert!(on_loopback("00000000:0000", true));
    assert!(
        !on_loopback("00000000:1F90", false),
        "bound to every address"
    );
    assert!(!on_loopback("0A00000A:0050", true), "10.0.0.10");
    assert!(on_loopback("00000000000000000000000001000000:1F90", false));
    assert!(on_loopback("0000000000000000FFFF00000100007F:1F90", false));
    assert!(!on_loopback("000080FE00000000FF005450B6AD1DFE:1F90", false));
}

/// While every pattern runs for real, no socket of this process or of the
/// `nats-server`s it starts is anywhere but on loopback (sampled every
/// 10 ms from the kernel's own socket table).
#[test]
fn no_socket_leaves_loopback() {
    let _one = serial();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watching = {
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut seen, mut on) = (Vec::new(), 0);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let (fine, off) = sockets(&family("nats-server"));
                on = on.max(fine);
                seen.extend(off);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            (seen, on)
        })
    };
    for info in sim::catalogue() {
        compare(info.defaults(), 3, 1.0, Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", info.id));
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (seen, on) = watching.join().unwrap();
    // The sampler sees the runs' own sockets: the check can fail.
    assert!(on > 10, "the runs' loopback sockets were seen ({on})");
    assert!(seen.is_empty(), "sockets off loopback: {seen:#?}");
}
