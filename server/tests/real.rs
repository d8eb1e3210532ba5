//! Real traffic beside the model, against the real pieces: axum serving on
//! 127.0.0.1, hyper clients through the loopback-only connector, real
//! timers. Short runs (a few real seconds each): the fidelity figures are
//! `make bench`'s (`examples/realbench.rs`), not assertions on a shared
//! machine's timing.

use std::sync::{Mutex, MutexGuard};

use server::real::{compare, Limits, Report};
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

fn figure(r: &Report, id: &str) -> (f64, f64) {
    let row = r
        .rows
        .iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("no row {id}"));
    (row.model, row.real)
}

/// Every request the schedule offered is counted once, as completed,
/// failed or still pending at the horizon; the real run offered exactly
/// the model's requests.
fn conserved(r: &Report) {
    let (model_offered, real_offered) = figure(r, "offered");
    assert_eq!(
        model_offered, real_offered,
        "the real run replays the model's arrivals"
    );
    let ended =
        figure(r, "completed").1 + figure(r, "failed_timeout").1 + figure(r, "failed_rejected").1;
    let pending = figure(r, "pending").1;
    assert!(pending >= 0.0, "{r:#?}");
    assert_eq!(ended + pending, real_offered, "{r:#?}");
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
    conserved(&r);
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
    conserved(&r);
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
    conserved(&r);
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
        conserved(&r);
    }
    assert_eq!(count(), before);
}

#[test]
fn refusals_are_in_words() {
    let _one = serial();
    let err = compare(
        sim::find_pattern("message-queue").unwrap().defaults(),
        1,
        2.0,
        Limits::default(),
    )
    .unwrap_err();
    assert!(err.contains("runs only as a model so far"), "{err}");
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
