//! A conversation's story recomputed from a keyframe is the story the
//! whole event stream tells: for every pattern of the catalogue, with a
//! live change on the way, requests and messages from early, middle and
//! late in the run, at the head and after a seek into the past.

use sim::event::{Event, What};
use sim::run::Options;
use sim::story::{tell, Subject};
use sim::time::MS;
use sim::timeline::Timeline;
use sim::{catalogue, Simulation};

/// Plays `info` for 6 virtual seconds with keyframes every 10 actions (a
/// change of the rate, where it has one, at 2 s); returns the timeline
/// and every event it emitted.
fn play(info: &'static sim::PatternInfo) -> (Timeline, Vec<Event>) {
    let mut params = info.defaults();
    if params.spec("rate").is_ok() {
        let r = params.get("rate");
        params.set("rate", r * 2.0).expect("twice the default rate");
    }
    let mut tl = Timeline::with_interval(Simulation::new(params, 11, Options::EVENTS), 10);
    let mut log = Vec::new();
    let mut t = 0;
    while t < 6_000 * MS {
        t += 50 * MS;
        tl.advance_budgeted(t, usize::MAX);
        log.extend_from_slice(tl.sim().events());
        tl.sim_mut().clear_events();
        if t == 2_000 * MS && tl.sim().params().spec("rate").is_ok() {
            let r = tl.sim().params().get("rate");
            tl.set_param("rate", r * 0.5).expect("a live change");
            log.extend_from_slice(tl.sim().events());
            tl.sim_mut().clear_events();
        }
    }
    (tl, log)
}

/// Up to five ids spread over the run.
fn spread(ids: Vec<u64>) -> Vec<u64> {
    let n = ids.len();
    if n == 0 {
        return ids;
    }
    (0..5).map(|i| ids[(n - 1) * i / 4]).collect()
}

fn subjects(log: &[Event]) -> Vec<Subject> {
    let reqs = log
        .iter()
        .filter_map(|e| match e.what {
            What::Offered { req, .. } => Some(req),
            _ => None,
        })
        .collect();
    let msgs = log
        .iter()
        .filter_map(|e| match e.what {
            What::Sent { msg, .. } => Some(msg),
            _ => None,
        })
        .collect();
    let mut all: Vec<Subject> = spread(reqs).into_iter().map(Subject::Request).collect();
    all.extend(spread(msgs).into_iter().map(Subject::Message));
    all
}

#[test]
fn a_recomputed_story_is_the_one_the_whole_stream_tells() {
    for info in catalogue() {
        let (mut tl, log) = play(info);
        let (keyframes, _) = tl.keyframe_use();
        assert!(keyframes > 3, "{}: {keyframes} keyframes", info.id);
        let all = subjects(&log);
        assert!(!all.is_empty(), "{}: nothing to tell", info.id);
        for &s in &all {
            let told = tl.story(s).expect("a subject of the run");
            assert!(told.whole, "{} {s:?}", info.id);
            let expected = tell(s, &log);
            assert!(!expected.is_empty(), "{} {s:?}", info.id);
            assert_eq!(told.events, expected, "{} {s:?}", info.id);
        }
        // In the past: the story up to the moment shown.
        let back = 3_500 * MS;
        tl.seek(back).expect("a moment of the run");
        let before: Vec<Event> = log.iter().filter(|e| e.at <= back).copied().collect();
        for s in subjects(&before) {
            let told = tl.story(s).expect("a subject of the run so far");
            assert_eq!(told.events, tell(s, &before), "{} {s:?} at 3.5 s", info.id);
        }
        // Not yet in the run there.
        let later = log.iter().rev().find_map(|e| match e.what {
            What::Offered { req, .. } if e.at > back => Some(req),
            _ => None,
        });
        if let Some(req) = later {
            let refused = tl.story(Subject::Request(req)).unwrap_err();
            assert!(refused.contains("not in the run yet"), "{refused}");
        }
    }
}
