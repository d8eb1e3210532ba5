//! Runs for the describer's tests: a dashboard link simulated natively,
//! read once a virtual second as the page reads its panes.

use sim::run::Options;
use sim::time::SECOND;
use sim::topology::Topology;
use sim::{ParamSet, PatternInfo, Simulation};

use super::transcript::Transcriber;
use super::{Context, Reading};

/// A simulated run and its readings, one a virtual second (index = second).
pub struct Fixture {
    pub info: &'static PatternInfo,
    pub params: ParamSet,
    pub topology: Topology,
    pub readings: Vec<Reading>,
}

impl Fixture {
    pub fn context(&self) -> Context<'_> {
        Context::alone(self.info, &self.topology, &self.params)
    }
}

/// Simulates the run `link` describes for `secs` virtual seconds.
pub fn run(link: &str, secs: u64) -> Fixture {
    let settings = crate::url::parse(link, sim::catalogue()[0]);
    assert!(
        settings.problems.is_empty(),
        "{link}: {:?}",
        settings.problems
    );
    let pane = &settings.panes[0];
    let mut params = pane.info.defaults();
    params.set_all(&pane.values).unwrap();
    let mut sim = Simulation::new(params.clone(), settings.seed, Options::EVENTS);
    let topology = sim.topology().clone();
    let mut t = Transcriber::new(params.clone(), &topology, settings.seed, link);
    let mut readings = Vec::new();
    for s in 0..=secs {
        sim.advance_to(s * SECOND);
        let m = sim.snapshot();
        t.reached(s * SECOND, sim.events(), &m);
        sim.clear_events();
        readings.push(t.recent().back().unwrap().clone());
    }
    Fixture {
        info: pane.info,
        params,
        topology,
        readings,
    }
}

/// A request-response run near capacity that a load spike (×4 from 15 s
/// for 20 s) pushes past it: its queue fills, requests are turned away
/// and time out, then it recovers.
pub fn heavy_run(secs: u64) -> Fixture {
    run(
        "pattern=request-response&seed=7&rate=80&workers=2&service_ms=20&queue_cap=50&timeout_ms=1000&spike_at_s=15&spike_s=20&spike_x=4",
        secs,
    )
}
