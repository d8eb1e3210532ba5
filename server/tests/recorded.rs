//! Recorded runs: `switchboard simulate --format json` for every pattern
//! of the catalogue at its defaults with seeds 1 and 2 (60 virtual s), and
//! two runs with faults, must equal what is recorded in
//! `tests/recorded/` apart from the wall-clock fields. Any change to an
//! engine that alters a run (an event, a tie order, a figure) shows here;
//! a change meant to alter runs re-records them with `RECORD=1 cargo test
//! -p server --test recorded` and says why in its commit.

use server::cli::{simulate, Format, SimulateArgs};

/// (file name, pattern, seed, settings).
fn runs() -> Vec<(String, String, u64, Vec<String>)> {
    let mut out = Vec::new();
    for info in sim::catalogue() {
        for seed in [1, 2] {
            out.push((
                format!("{}-seed{seed}", info.id),
                info.id.to_string(),
                seed,
                Vec::new(),
            ));
        }
    }
    let faults = [
        (
            "webhooks-outage-loss",
            "webhooks",
            &["outage_at_s=10", "outage_s=20", "loss=0.05"][..],
        ),
        (
            "message-queue-crashes-loss",
            "message-queue",
            &["crashes_per_min=6", "loss=0.02"][..],
        ),
    ];
    for (name, pattern, sets) in faults {
        out.push((
            name.into(),
            pattern.into(),
            1,
            sets.iter().map(|s| s.to_string()).collect(),
        ));
    }
    out
}

/// The run's JSON text with what the wall clock decides set to 0 (compared
/// as text: a float read back from JSON need not be the float written).
fn figures(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if t.starts_with("\"wall_ms\":") || t.starts_with("\"events_per_s\":") {
                let (key, rest) = l.split_once(':').unwrap_or((l, ""));
                let comma = if rest.trim_end().ends_with(',') {
                    ","
                } else {
                    ""
                };
                format!("{key}: 0{comma}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

#[test]
fn every_recorded_run_is_the_same_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded");
    let record = std::env::var_os("RECORD").is_some();
    let mut differ = Vec::new();
    for (name, pattern, seed, sets) in runs() {
        let args = SimulateArgs {
            pattern: Some(pattern),
            sets,
            duration: 60.0,
            seed,
            format: Format::Json,
            changes: Vec::new(),
            at: None,
            link: None,
            real: false,
        };
        let got = figures(&simulate(&args).expect("the run simulates"));
        let path = dir.join(format!("{name}.json"));
        if record {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is not recorded: RECORD=1 records it", path.display()));
        if got != want {
            differ.push(name);
        }
    }
    assert!(
        differ.is_empty(),
        "runs differ from their records: {differ:?}"
    );
}
