//! The `switchboard simulate` contract: the JSON and CSV it prints, and its
//! refusals (exit code 2, one line on stderr, nothing on stdout).

use std::process::{Command, Output};

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const EXAMPLE: &[&str] = &[
    "simulate",
    "--pattern",
    "request-response",
    "--set",
    "rate=900",
    "--set",
    "service_ms=1",
    "--set",
    "workers=1",
    "--set",
    "net_ms=0",
    "--duration",
    "2000",
    "--seed",
    "7",
    "--format",
    "json",
];

#[test]
fn the_documented_example_prints_one_json_report() {
    let out = switchboard(EXAMPLE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    for key in [
        "pattern",
        "seed",
        "duration_s",
        "offered",
        "completed",
        "dropped",
        "timed_out",
        "throughput_per_s",
        "wait_ms",
        "utilisation",
        "wire_messages",
        "events",
        "wall_ms",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in ["mean", "p50", "p95", "p99", "max"] {
        assert!(
            v["wait_ms"][key].as_f64().is_some(),
            "missing wait_ms.{key}"
        );
    }
    assert_eq!(v["pattern"], "request-response");
    assert_eq!(v["seed"], 7);
    assert_eq!(v["duration_s"], 2000.0);
    let throughput = v["throughput_per_s"].as_f64().unwrap();
    assert!((throughput - 900.0).abs() < 9.0, "{throughput}");
    let rho = v["utilisation"].as_f64().unwrap();
    assert!((rho - 0.9).abs() < 0.01, "{rho}");
    // M/M/1 at ρ = 0.9 with 1 ms service: 10 ms, plus two hops of mean jitter 2.5 ms.
    let mean = v["wait_ms"]["mean"].as_f64().unwrap();
    assert!((mean - 15.0).abs() / 15.0 < 0.05, "{mean}");
    assert!(v["dropped"].is_object());
}

#[test]
fn the_same_seed_prints_the_same_figures() {
    let strip = |out: Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("wall_ms");
        o.remove("events_per_s");
        v
    };
    let args = [
        "simulate",
        "--pattern",
        "request-response",
        "--duration",
        "30",
        "--seed",
        "3",
    ];
    assert_eq!(strip(switchboard(&args)), strip(switchboard(&args)));
}

#[test]
fn csv_has_one_row_per_virtual_second() {
    let out = switchboard(&[
        "simulate",
        "--pattern",
        "request-response",
        "--duration",
        "5",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "t,offered,completed,p50,p95,p99,queue_depth");
    assert_eq!(lines.len(), 6);
    assert!(lines[5].starts_with("5,"));
    assert_eq!(lines[1].split(',').count(), 7);
}

/// `--at` stops at a moment and prints what is there; a run with a change
/// differs from the same run without it only from the change on.
#[test]
fn at_prints_the_state_at_a_moment_with_the_changes_made_where_they_were() {
    let state = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["simulate", "--pattern", "request-response", "--seed", "7"];
        args.extend_from_slice(extra);
        let out = switchboard(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plain = state(&["--at", "12.5"]);
    assert_eq!(plain["at"], "12.5");
    let nodes = plain["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["node"] == "service"), "{nodes:?}");
    assert!(plain["in_flight"].as_u64().is_some());
    // `--duration 12.5` reaches the same figures.
    let out = switchboard(&[
        "simulate",
        "--pattern",
        "request-response",
        "--seed",
        "7",
        "--duration",
        "12.5",
    ]);
    let by_duration: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plain["summary"]["completed"], by_duration["completed"]);
    // A change at 10 s: the same run until then, another after.
    let early = state(&["--at", "9.9", "--change", "10:rate:400"]);
    assert_eq!(
        early["summary"]["offered"],
        state(&["--at", "9.9"])["summary"]["offered"]
    );
    let late = state(&["--at", "12.5", "--change", "10:rate:400"]);
    assert!(
        late["summary"]["offered"].as_u64() > plain["summary"]["offered"].as_u64(),
        "{} vs {}",
        late["summary"]["offered"],
        plain["summary"]["offered"]
    );
}

/// `--link` runs a dashboard link's pane A: its seed, values, live changes
/// and moment, as `--set`, `--change` and `--at` would.
#[test]
fn a_dashboard_link_runs_as_its_flags_would() {
    let run = |args: &[&str]| -> serde_json::Value {
        let out = switchboard(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let by_link = run(&[
        "simulate",
        "--link",
        "http://127.0.0.1:3000/?pattern=request-response&seed=7&rate=120&ch=4.5:rate:300&bm=2:x&t=6.25",
    ]);
    let by_flags = run(&[
        "simulate",
        "--pattern",
        "request-response",
        "--seed",
        "7",
        "--set",
        "rate=120",
        "--change",
        "4.5:rate:300",
        "--at",
        "6.25",
    ]);
    assert_eq!(by_link["at"], "6.25");
    assert_eq!(
        by_link["summary"]["offered"],
        by_flags["summary"]["offered"]
    );
    assert_eq!(
        by_link["summary"]["completed"],
        by_flags["summary"]["completed"]
    );
    // A run saved as its link, read from a file.
    let file = std::env::temp_dir().join(format!("switchboard-link-{}.txt", std::process::id()));
    std::fs::write(
        &file,
        "?pattern=request-response&seed=7&rate=120&ch=4.5:rate:300&t=6.25\n",
    )
    .unwrap();
    let from_file = run(&["simulate", "--link", &format!("@{}", file.display())]);
    let _ = std::fs::remove_file(&file);
    for figure in ["offered", "completed", "failed", "wait_ms"] {
        assert_eq!(
            from_file["summary"][figure], by_link["summary"][figure],
            "{figure}"
        );
    }
}

fn refused(args: &[&str], expect: &[&str]) {
    let out = switchboard(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout for {args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    for e in expect {
        assert!(err.contains(e), "{err:?} should mention {e:?}");
    }
}

#[test]
fn refusals_exit_2_with_one_line_naming_the_problem() {
    refused(
        &["simulate", "--pattern", "carrier-pigeon"],
        &["carrier-pigeon", "request-response"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--set",
            "warp=9",
        ],
        &["'warp'", "rate", "timeout_ms"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--set",
            "rate=-5",
        ],
        &["rate = -5", "0 (off) or from 0.001 to 20000 req/s"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--set",
            "workers=0",
        ],
        &["workers = 0", "a whole number from 1 to 256"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--set",
            "loss=1.5",
        ],
        &["loss = 1.5", "from 0 to 1"],
    );
    refused(
        &["simulate", "--pattern", "request-response", "--at", "NaN"],
        &["at = NaN", "not a moment"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--change",
            "5:clients:9",
        ],
        &["clients restarts the run"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--change",
            "soon:rate:9",
        ],
        &["not a live change"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--set",
            "service_dist=pareto",
        ],
        &["service_dist", "exp, const, lognormal"],
    );
    refused(
        &["simulate", "--pattern", "request-response", "--set", "rate"],
        &["--set 'rate'", "id=value"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--duration",
            "-1",
        ],
        &["duration", "virtual seconds"],
    );
    refused(
        &[
            "simulate",
            "--pattern",
            "request-response",
            "--format",
            "xml",
        ],
        &["xml", "json, csv"],
    );
}
