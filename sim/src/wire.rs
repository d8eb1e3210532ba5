//! The WebSocket protocol between the server and a viewer.
//!
//! Server → viewer: binary frames, one postcard-encoded [`Frame`] each.
//! Viewer → server: JSON text frames, one [`Control`] each. Server → viewer
//! errors: JSON text frames `{"type":"error","message":…}`.
//!
//! A [`Tick`] borrows its events from the engine's buffer when encoding
//! (`Cow::Borrowed`) and owns them when decoded, so the server serialises each
//! tick exactly once, with no per-event copy.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::metrics::Snapshot;
use crate::time::Time;
use crate::topology::Topology;

/// Slowest and fastest playback, relative to real time.
pub const MIN_SPEED: f64 = 0.05;
pub const MAX_SPEED: f64 = 20.0;

/// Sent when a run starts (connect, reset, restart): everything needed to
/// draw it from scratch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Increments with every new run in a session; ticks of an older run are
    /// ignored by the viewer.
    pub run: u32,
    pub pattern: String,
    pub seed: u64,
    /// Parameter values in the catalogue's order (booleans 0/1, choices by index).
    pub values: Vec<f64>,
    pub topology: Topology,
    pub speed: f64,
    pub playing: bool,
}

/// One tick of the session (~30 per second).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tick<'a> {
    pub run: u32,
    /// Virtual time at the end of this tick; every event is at or before it.
    pub now: Time,
    /// The furthest the run has gone: `now` unless the viewer is looking
    /// at the run's past (a seek).
    pub head: Time,
    pub speed: f64,
    pub playing: bool,
    /// Every event since the previous tick, in time order.
    pub events: Cow<'a, [Event]>,
    /// Events that were not sent (the viewer fell behind) since the last
    /// delivered tick. Metrics still include them.
    pub coalesced: u64,
    /// One message and one request in `sampled` are carried (1: every
    /// event). The run produced more events than a page can draw; the
    /// metrics, present on at least every other sampled tick, still count
    /// them all.
    pub sampled: u64,
    /// Present about ten times a second.
    pub metrics: Option<Snapshot>,
    /// The speed the run actually keeps (virtual seconds per wall second,
    /// smoothed): below `speed` when the session's CPU budget per tick
    /// cannot keep up with what was asked, so the viewer can say so.
    pub achieved: f64,
}

/// A binary frame from the server. (Built once per tick and encoded at
/// once, never stored, so the size difference of the variants is moot.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Frame<'a> {
    Hello(Hello),
    Tick(Tick<'a>),
    /// A parameter changed live at virtual time `at`; all values in
    /// catalogue order.
    Params {
        run: u32,
        at: Time,
        values: Vec<f64>,
    },
    /// The run at another moment of its timeline.
    Moment(Moment),
    /// The moments the presenter of a class marked (a class's followers
    /// and late joiners get them; `crate::link` reads and writes them).
    Marks {
        run: u32,
        bookmarks: Vec<Bookmark>,
    },
    /// A conversation's whole story, recomputed by the server (the page
    /// was sent only a sample of a busy run's events).
    Story(Story),
}

/// Every event of one request's (or one message's) conversation up to the
/// moment shown, recomputed from a keyframe (`crate::timeline`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub run: u32,
    /// Whose story: a request, or else a message.
    pub req: Option<crate::event::ReqId>,
    pub msg: Option<crate::event::MsgId>,
    pub events: Vec<Event>,
    /// Read all the way to the moment shown; if not, only up to `until`
    /// (the server recomputes a bounded number of actions for one story).
    pub whole: bool,
    pub until: Time,
    /// Events past the most one story carries
    /// ([`crate::story::MAX_STORY_EVENTS`]).
    pub overflow: u64,
}

/// A moment marked in a run, with an optional label (made and read by
/// `crate::link`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    pub at: Time,
    pub label: String,
}

/// A message on its link at a moment the viewer did not watch arrive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flight {
    pub msg: crate::event::MsgId,
    pub req: crate::event::ReqId,
    pub kind: crate::event::MsgKind,
    pub link: crate::topology::LinkId,
    pub sent: Time,
    pub arrive: Time,
    pub lost: bool,
}

impl Flight {
    /// The message event `e` put on its link, if `e` is a send.
    pub fn of(e: &crate::event::Event) -> Option<Flight> {
        match e.what {
            crate::event::What::Sent {
                msg,
                req,
                kind,
                link,
                arrive_at,
                lost,
            } => Some(Flight {
                msg,
                req,
                kind,
                link,
                sent: e.at,
                arrive: arrive_at,
                lost,
            }),
            _ => None,
        }
    }
}

/// One node's counts at a moment (kept beside the counts it reads).
pub use crate::metrics::NodeCounts;

/// The run shown at a moment of its past (or back at its head): what the
/// stage and the figures are there, since the viewer did not watch the
/// events that led to it. Sent after a seek, a step back, a return to live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    pub run: u32,
    pub now: Time,
    /// The furthest the run has gone.
    pub head: Time,
    pub playing: bool,
    pub speed: f64,
    /// Messages on their links (at most [`MAX_FLIGHTS`]; `flights_total`
    /// says how many there were).
    pub flights: Vec<Flight>,
    pub flights_total: u64,
    pub nodes: Vec<NodeCounts>,
    pub metrics: Snapshot,
    /// A step back: the events of the action stepped back over.
    pub undone: Vec<Event>,
}

/// Most dots a moment carries (a page draws no more).
pub const MAX_FLIGHTS: usize = 2_000;

/// Everything needed to run a viewed run again exactly: its pattern, seed
/// and starting values, and every live change at the virtual time it was
/// applied (the engine is deterministic for that sequence). The page sends
/// it to `POST /api/export`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub pattern: String,
    pub seed: u64,
    /// Values at the start of the run, in catalogue order.
    pub values: Vec<f64>,
    pub changes: Vec<Change>,
    /// How far to run, in virtual nanoseconds.
    pub until: Time,
}

/// All values after a live change at virtual time `at`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: Time,
    pub values: Vec<f64>,
}

impl Frame<'_> {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("frames always serialise")
    }

    pub fn decode(bytes: &[u8]) -> Result<Frame<'static>, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// A control message from the viewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Control {
    /// Change one parameter. `value` is a number, boolean or option id.
    Set {
        param: String,
        value: crate::params::Value,
    },
    Play,
    Pause,
    /// Playback speed relative to real time.
    Speed {
        value: f64,
    },
    /// While paused: run exactly the next scheduled action.
    Step,
    /// Show the run at virtual second `t` of what it has run (paused
    /// there); exact, however far back.
    Seek {
        t: f64,
    },
    /// Show the run one action earlier (paused there).
    StepBack,
    /// Back to the furthest the run has gone.
    Live,
    /// The presenter's bookmarks, each as a link writes it
    /// (`<seconds>:<label>`): every follower gets them.
    Bookmarks {
        list: Vec<String>,
    },
    /// Switch to another pattern (same seed, shared settings kept).
    Pattern {
        id: String,
    },
    /// Restart the run, optionally with another seed.
    Reset {
        #[serde(default)]
        seed: Option<u64>,
    },
    /// The presenter of a room opened the inspector on a request (`req`)
    /// or a message (`msg`), or closed it (neither): every follower's page
    /// shows the same conversation. A private session ignores it.
    Inspect {
        #[serde(default)]
        req: Option<u64>,
        #[serde(default)]
        msg: Option<u64>,
    },
    /// The presenter of a room is sweeping a parameter (`csv` empty: the
    /// sweep starts; otherwise one point's rows as `switchboard sweep`
    /// prints them, header left out): every follower's page shows the same
    /// curve. A private session ignores it.
    Sweep {
        param: String,
        from: f64,
        to: f64,
        points: u32,
        reps: u32,
        secs: f64,
        figure: String,
        #[serde(default)]
        csv: String,
    },
    /// Send the whole story of request `req` (or else message `msg`) up to
    /// the moment shown, recomputed: the page holds only a sample of a busy
    /// run's events. Answered with a `Frame::Story` (in a room, to all).
    Story {
        #[serde(default)]
        req: Option<u64>,
        #[serde(default)]
        msg: Option<u64>,
    },
}

impl Control {
    /// Parses a text frame, with an error that names the problem.
    pub fn parse(text: &str) -> Result<Control, String> {
        let c: Control = serde_json::from_str(text).map_err(|e| {
            // serde names what it did not expect (a variant, a field):
            // clipped, so a long name is not echoed back whole.
            let said = e.to_string();
            format!("malformed control message: {}", clip_message(&said))
        })?;
        if let Control::Speed { value } = c {
            if !(MIN_SPEED..=MAX_SPEED).contains(&value) {
                return Err(format!(
                    "speed = {} is out of range: expected from {MIN_SPEED} to {MAX_SPEED}",
                    crate::params::fmt_num(value)
                ));
            }
        }
        Ok(c)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("controls always serialise")
    }
}

/// An error text at most [`MAX_ERROR_CHARS`] long, its echoes of the input
/// clipped (serde quotes names in backticks).
fn clip_message(said: &str) -> String {
    let mut out = String::new();
    for (i, part) in said.split('`').enumerate() {
        if i % 2 == 1 {
            out.push('`');
            out.push_str(&crate::params::clip(part));
            out.push('`');
        } else {
            out.push_str(&crate::params::clip_to(part, 160));
        }
    }
    crate::params::clip_to(&out, MAX_ERROR_CHARS).into_owned()
}

/// The longest refusal of a control message, in characters.
pub const MAX_ERROR_CHARS: usize = 240;

/// The close code of a socket that asked for something that no longer
/// exists (a real run the server no longer keeps): trying again cannot
/// help, so the page stops reconnecting and says why (4000–4999 are the
/// application's own codes; 4404 reads as "not found").
pub const CLOSE_GONE: u16 = 4404;

/// The JSON of an error text frame.
pub fn error_text(message: &str) -> String {
    serde_json::json!({ "type": "error", "message": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::What;

    #[test]
    fn a_tick_round_trips() {
        let events = [Event {
            at: 5,
            what: What::Offered { req: 1, node: 0 },
        }];
        let f = Frame::Tick(Tick {
            run: 2,
            now: 9,
            head: 9,
            speed: 1.0,
            playing: true,
            events: Cow::Borrowed(&events),
            coalesced: 0,
            sampled: 4,
            metrics: Some(Snapshot::default()),
            achieved: 1.0,
        });
        assert_eq!(Frame::decode(&f.encode()).unwrap(), f);
    }

    #[test]
    fn controls_parse_and_refuse() {
        assert_eq!(
            Control::parse(r#"{"type":"set","param":"rate","value":120}"#),
            Ok(Control::Set {
                param: "rate".into(),
                value: crate::params::Value::Number(120.0)
            })
        );
        assert_eq!(
            Control::parse(r#"{"type":"reset"}"#),
            Ok(Control::Reset { seed: None })
        );
        assert!(Control::parse("{")
            .unwrap_err()
            .starts_with("malformed control message"));
        assert!(Control::parse(r#"{"type":"warp"}"#)
            .unwrap_err()
            .contains("unknown variant `warp`"));
        assert!(Control::parse(r#"{"type":"speed","value":99}"#)
            .unwrap_err()
            .contains("out of range"));
        // Values of any other shape are refused while parsing.
        for bad in [
            r#"{"type":"set","param":"rate","value":[1,2,3]}"#,
            r#"{"type":"set","param":"rate","value":{"a":1}}"#,
            r#"{"type":"set","param":"rate","value":null}"#,
            r#"{"type":"set","param":"rate","value":1e999}"#,
        ] {
            assert!(Control::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Control::parse(r#"{"type":"set","param":"resume","value":true}"#),
            Ok(Control::Set {
                param: "resume".into(),
                value: crate::params::Value::Bool(true)
            })
        );
    }
}
