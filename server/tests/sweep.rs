//! `switchboard sweep`, run as a user runs it: the same bytes whatever the
//! threads, the closed form inside the intervals of an M/M/1 curve, a
//! paired comparison narrower than independent runs, and bad input refused
//! in one line with exit code 2.

use std::process::{Command, Output};

fn sweep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("sweep")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// M/M/1: one worker, exponential service of 10 ms, no network, no
/// timeouts or full queue in the way.
const MM1: [&str; 12] = [
    "--pattern",
    "request-response",
    "--set",
    "workers=1",
    "--set",
    "net_ms=0",
    "--set",
    "jitter_ms=0",
    "--set",
    "timeout_ms=120000",
    "--set",
    "queue_cap=100000",
];

#[test]
fn the_output_is_the_same_whatever_the_threads_and_from_run_to_run() {
    let args = |threads: &'static str| {
        let mut a = MM1.to_vec();
        a.extend([
            "--vary",
            "rate=10..80:4",
            "--reps",
            "4",
            "--duration",
            "20",
            "--threads",
            threads,
        ]);
        a
    };
    let one = stdout(&sweep(&args("1")));
    let two = stdout(&sweep(&args("2")));
    let again = stdout(&sweep(&args("2")));
    assert_eq!(one, two);
    assert_eq!(two, again);
    let mut lines = one.lines();
    assert_eq!(lines.next(), Some("value,figure,mean,ci95,n,theory"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 6));
    let figures: Vec<&str> = rows.iter().filter(|r| r[0] == "10").map(|r| r[1]).collect();
    for f in [
        "wait_ms.mean",
        "wait_ms.p95",
        "throughput_per_s",
        "wire_per_delivery",
        "figures.timed_out",
    ] {
        assert!(figures.contains(&f), "{f} in {figures:?}");
    }
    // The mean wait has its closed form; p95 none here.
    let mean = rows
        .iter()
        .find(|r| r[0] == "80" && r[1] == "wait_ms.mean")
        .unwrap();
    assert!(!mean[5].is_empty() && mean[4] == "4", "{mean:?}");
    let p95 = rows
        .iter()
        .find(|r| r[0] == "80" && r[1] == "wait_ms.p95")
        .unwrap();
    assert!(p95[5].is_empty());
}

#[test]
fn an_mm1_curve_holds_its_closed_form_inside_the_intervals() {
    let mut a = MM1.to_vec();
    a.extend([
        "--vary",
        "rate=10..80:8",
        "--reps",
        "12",
        "--duration",
        "120",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&sweep(&a))).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 8);
    let mut inside = 0;
    for p in points {
        let w = &p["figures"]["wait_ms.mean"];
        let (mean, ci, theory) = (
            w["mean"].as_f64().unwrap(),
            w["ci95"].as_f64().unwrap(),
            w["theory"].as_f64().unwrap(),
        );
        if (mean - theory).abs() <= ci {
            inside += 1;
        }
        // Waiting grows with the load, as 1/(μ − λ) says.
        assert!(mean > 9.0 && ci > 0.0, "{p}");
        assert!(!p["slow_to_converge"].as_bool().unwrap());
    }
    assert!(
        inside >= 6,
        "the closed form inside {inside} of 8 intervals"
    );
    let first = points[0]["figures"]["wait_ms.mean"]["mean"]
        .as_f64()
        .unwrap();
    let last = points[7]["figures"]["wait_ms.mean"]["mean"]
        .as_f64()
        .unwrap();
    assert!(last > 3.0 * first, "{first} → {last}");
}

#[test]
fn a_paired_comparison_is_narrower_than_independent_runs() {
    let mut a = MM1.to_vec();
    a.extend([
        "--vary",
        "rate=30..70:3",
        "--reps",
        "10",
        "--duration",
        "60",
        "--vs",
        "service_ms=11",
    ]);
    let o = sweep(&a);
    let out = stdout(&o);
    assert!(out.contains(",vs.wait_ms.mean,") && out.contains(",diff.wait_ms.mean,"));
    let notes = String::from_utf8_lossy(&o.stderr);
    let gain: f64 = notes
        .split("interval is ")
        .nth(1)
        .and_then(|s| s.split('×').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a note says how much narrower: {notes}"));
    assert!(gain > 2.0, "{gain}");
}

#[test]
fn a_point_near_saturation_is_flagged_slow() {
    let mut a = MM1.to_vec();
    a.extend(["--vary", "rate=96..96:1", "--reps", "3", "--duration", "10"]);
    let o = sweep(&a);
    let notes = String::from_utf8_lossy(&o.stderr);
    assert!(notes.contains("slow to converge"), "{notes}");
}

#[test]
fn bad_input_is_refused_in_one_line_with_exit_code_2() {
    for (args, says) in [
        (vec!["--pattern", "nope", "--vary", "rate=1..2:3"], "nope"),
        (
            vec!["--pattern", "request-response", "--vary", "nope=1..2:3"],
            "nope",
        ),
        (
            vec!["--pattern", "request-response", "--vary", "rate=1..2:0"],
            "points",
        ),
        (
            vec!["--pattern", "request-response", "--vary", "rate=1..1e12:3"],
            "rate",
        ),
        (
            vec![
                "--pattern",
                "request-response",
                "--vary",
                "rate=1..2:3",
                "--reps",
                "100000",
            ],
            "reps",
        ),
        (
            vec![
                "--pattern",
                "request-response",
                "--vary",
                "rate=1..2:3",
                "--reps",
                "1",
            ],
            "reps",
        ),
    ] {
        let o = sweep(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
}
