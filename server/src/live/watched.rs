//! What a viewer's socket drives (`viewer`): a run that greets the page
//! with a `Hello`, then turns each tick's controls and wall time into
//! frames. A live simulation (`session::Session`) is one; a recorded real
//! run played back beside it (`playback::Playback`) is another.

use std::time::Duration;

use crate::live::session::{Session, Worked};

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

impl Watched for Session {
    fn hello(&self) -> Vec<u8> {
        Session::hello(self)
    }

    fn work(
        &mut self,
        controls: &[String],
        wall: Duration,
        cpu: Duration,
        send_tick: bool,
        with_metrics: bool,
        history: bool,
    ) -> Worked {
        Session::work(self, controls, wall, cpu, send_tick, with_metrics, history)
    }
}
