//! Recorded event streams: for every pattern, two seeds at its defaults and
//! one run where every live parameter changes in turn, each reduced to its
//! count of events and a digest of every event in order, must equal
//! `tests/recorded/events.txt`. Stricter than the server's recorded
//! summaries: an event moved within an instant, a tie broken the other way
//! or a live change applied differently shows here. A change meant to alter
//! runs re-records with `RECORD=1 cargo test -p sim --test recorded_events`
//! and says why in its commit.

use sim::params::Kind;
use sim::run::Options;
use sim::time::{self, SECOND};
use sim::{catalogue, ParamSpec, PatternInfo, Simulation};

/// How long each recorded run lasts.
const SECONDS: u64 = 30;

/// A value for `spec` other than its default, a tenth of the way to its
/// top (the next option of a choice, the other side of a switch).
fn other_value(spec: &ParamSpec) -> f64 {
    let d = spec.default_value();
    match spec.kind {
        Kind::Number {
            max, integer, log, ..
        } => {
            let v = if log && d > 0.0 {
                d * (max / d).powf(0.1)
            } else {
                d + (max - d) * 0.1
            };
            let v = v.max(spec.off_below);
            if integer {
                v.round().max(d + 1.0).min(max)
            } else {
                v
            }
        }
        Kind::Choice { options, .. } => ((d as usize + 1) % options.len()) as f64,
        Kind::Bool { .. } => 1.0 - d,
    }
}

/// FNV-1a over the event's debug text: stable across runs and builds.
fn digest(mut h: u64, e: &sim::Event) -> u64 {
    for b in format!("{e:?}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// `(events, digest)` of a run of `info`; with `changes`, live parameter
/// number `i` changes at `2 + 2i` seconds.
fn record(info: &'static PatternInfo, seed: u64, changes: bool) -> (u64, u64) {
    let options = Options::EVENTS;
    let mut sim = Simulation::new(info.defaults(), seed, options);
    let live: Vec<&ParamSpec> = info.params.iter().filter(|s| s.live).collect();
    let (mut count, mut h) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    for s in 1..=SECONDS {
        sim.advance_to(s * SECOND);
        for e in sim.events() {
            count += 1;
            h = digest(h, e);
        }
        sim.clear_events();
        if changes && s % 2 == 0 {
            if let Some(spec) = live.get((s / 2 - 1) as usize) {
                sim.set_param(spec.id, other_value(spec))
                    .unwrap_or_else(|e| panic!("{} {}: {e}", info.id, spec.id));
            }
        }
    }
    assert!(sim.now() == time::from_secs(SECONDS as f64));
    (count, h)
}

#[test]
fn every_recorded_event_stream_is_the_same() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded/events.txt");
    let mut got = String::new();
    for info in catalogue() {
        for (name, seed, changes) in [("seed1", 1, false), ("seed2", 2, false), ("live", 3, true)] {
            let (count, h) = record(info, seed, changes);
            got.push_str(&format!("{}-{name} {count} {h:016x}\n", info.id));
        }
    }
    if std::env::var_os("RECORD").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is not recorded: RECORD=1 records it", path.display()));
    let differ: Vec<&str> = got
        .lines()
        .zip(want.lines())
        .filter(|(g, w)| g != w)
        .map(|(g, _)| g.split(' ').next().unwrap_or(g))
        .collect();
    assert!(
        differ.is_empty() && got.lines().count() == want.lines().count(),
        "event streams differ from their records: {differ:?}"
    );
}
