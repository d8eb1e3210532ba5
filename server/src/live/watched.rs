//! What a viewer's socket drives (`viewer`): a run that greets the page
//! with a `Hello`, then turns each tick's controls and wall time into
//! frames. A live simulation (`session::Session`) is one; a recorded real
//! run played back beside it (`playback::Playback`) is another.

use std::time::Duration;

pub trait Watched: Send + 'static {
    /// The frame that starts the run on the viewer.
    fn hello(&self) -> Vec<u8>;

    /// One tick: the controls that arrived (each answered in order), the
    /// wall time since the last tick, the CPU it may use, whether the
    /// viewer has room for a tick frame, whether it carries metrics, and
    /// whether to encode a room's chart history too.
    fn work(
        &mut self,
        controls: &[String],
        wall: Duration,
        cpu: Duration,
        send_tick: bool,
        with_metrics: bool,
        history: bool,
    ) -> Worked;
}

/// What one tick's work produced.
#[derive(Debug, Default)]
pub struct Worked {
    /// One answer per control, in order: a frame for everyone watching (a
    /// new `Hello`, the `Params` after a live change), nothing, or the
    /// refusal for whoever sent it.
    pub answers: Vec<Result<Option<Vec<u8>>, String>>,
    /// The run reached its memory budget and was paused.
    pub notice: Option<String>,
    /// The tick frame, when the viewer had room for one.
    pub tick: Option<Vec<u8>>,
    /// The same tick without its events, when it carries metrics: chart
    /// history for a room's late joiners.
    pub history: Option<Vec<u8>>,
    /// The tick's simulation used its whole CPU budget (the run is heavy).
    pub spent: bool,
    /// Frames for the viewer that no control asked for: the `Params` of
    /// each change a link's run was opened with (the page's history).
    pub said: Vec<Vec<u8>>,
}
