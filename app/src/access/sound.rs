//! Sound, opt-in (off by default: a class shares one loudspeaker): a short
//! earcon for each completed, dropped or timed-out request the stage shows,
//! at most [`EARCONS_PER_S`] a second (the worst news first), and a quiet
//! tone whose pitch follows the depth of pane A's queues. Silent while the
//! page is hidden, paused or restoring state. Web Audio oscillators: no
//! sound files to ship.

use std::cell::RefCell;

use crate::stage::playback::Heard;

/// Most earcons a second, whatever the run does.
pub const EARCONS_PER_S: f64 = 8.0;

/// One short sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Earcon {
    Completed,
    Dropped,
    TimedOut,
}

impl Earcon {
    /// Frequency (Hz), length (s) and wave of the earcon.
    fn voice(self) -> (f32, f64, web_sys::OscillatorType) {
        use web_sys::OscillatorType as W;
        match self {
            Earcon::Completed => (880.0, 0.05, W::Sine),
            Earcon::Dropped => (196.0, 0.12, W::Square),
            Earcon::TimedOut => (330.0, 0.10, W::Triangle),
        }
    }
}

/// The earcon to play at `now_ms` for what was `heard` since the last one,
/// if the rate allows (`last_ms`: when the last one played): the worst
/// news heard wins.
pub fn pick(heard: Heard, now_ms: f64, last_ms: f64) -> Option<Earcon> {
    if now_ms - last_ms < 1000.0 / EARCONS_PER_S {
        return None;
    }
    if heard.dropped > 0 {
        Some(Earcon::Dropped)
    } else if heard.timed_out > 0 {
        Some(Earcon::TimedOut)
    } else if heard.completed > 0 {
        Some(Earcon::Completed)
    } else {
        None
    }
}

/// The queue tone's pitch for a depth: 220 Hz empty, an octave for each
/// tenfold deeper, at most 880 Hz.
pub fn queue_pitch(depth: u64) -> f32 {
    (220.0 * 2f64.powf((1.0 + depth as f64).log10())).min(880.0) as f32
}

/// The page's audio: its context (made on the first sound, after the user
/// turned sound on), the queue's tone and when the last earcon played.
#[derive(Default)]
struct Audio {
    ctx: Option<web_sys::AudioContext>,
    tone: Option<(web_sys::OscillatorNode, web_sys::GainNode)>,
    last_ms: f64,
}

thread_local! {
    static AUDIO: RefCell<Audio> = RefCell::new(Audio::default());
}

/// Whether sound may play now.
pub struct Gate {
    pub on: bool,
    pub playing: bool,
    pub restoring: bool,
}

impl Gate {
    fn open(&self) -> bool {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_none_or(|d| d.hidden());
        self.on && self.playing && !self.restoring && !hidden
    }
}

fn context(a: &mut Audio) -> Option<web_sys::AudioContext> {
    if a.ctx.is_none() {
        a.ctx = web_sys::AudioContext::new().ok();
    }
    a.ctx.clone()
}

fn play(ctx: &web_sys::AudioContext, e: Earcon) -> Option<()> {
    let (hz, len, wave) = e.voice();
    let osc = ctx.create_oscillator().ok()?;
    let gain = ctx.create_gain().ok()?;
    osc.set_type(wave);
    osc.frequency().set_value(hz);
    let now = ctx.current_time();
    let level = gain.gain();
    level.set_value_at_time(0.0, now).ok()?;
    level.linear_ramp_to_value_at_time(0.15, now + 0.005).ok()?;
    level.linear_ramp_to_value_at_time(0.0, now + len).ok()?;
    osc.connect_with_audio_node(&gain).ok()?;
    gain.connect_with_audio_node(&ctx.destination()).ok()?;
    osc.start().ok()?;
    osc.stop_with_when(now + len + 0.02).ok()
}

/// One animation frame of a pane: plays what its stage showed, if the gate
/// is open; `queue` is pane A's queue depth (the tone), `None` for others.
pub fn frame(gate: &Gate, now_ms: f64, heard: &mut Heard, queue: Option<u64>) {
    let open = gate.open();
    AUDIO.with(|a| {
        let mut a = a.borrow_mut();
        if !open {
            *heard = Heard::default();
            if let Some((osc, _)) = a.tone.take() {
                let _ = osc.stop();
            }
            return;
        }
        let Some(ctx) = context(&mut a) else { return };
        if let Some(e) = pick(*heard, now_ms, a.last_ms) {
            if play(&ctx, e).is_some() {
                a.last_ms = now_ms;
            }
            *heard = Heard::default();
        }
        if let Some(depth) = queue {
            if a.tone.is_none() {
                a.tone = tone(&ctx);
            }
            if let Some((osc, _)) = &a.tone {
                let _ =
                    osc.frequency()
                        .set_target_at_time(queue_pitch(depth), ctx.current_time(), 0.2);
            }
        }
    });
}

/// The queue's tone: a quiet sine, started once.
fn tone(ctx: &web_sys::AudioContext) -> Option<(web_sys::OscillatorNode, web_sys::GainNode)> {
    let osc = ctx.create_oscillator().ok()?;
    let gain = ctx.create_gain().ok()?;
    osc.frequency().set_value(queue_pitch(0));
    gain.gain().set_value(0.03);
    osc.connect_with_audio_node(&gain).ok()?;
    gain.connect_with_audio_node(&ctx.destination()).ok()?;
    osc.start().ok()?;
    Some((osc, gain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earcons_keep_their_rate_and_the_worst_news_wins() {
        let all = Heard {
            completed: 500,
            dropped: 3,
            timed_out: 9,
        };
        assert_eq!(pick(all, 1000.0, 0.0), Some(Earcon::Dropped));
        assert_eq!(pick(all, 1050.0, 1000.0), None, "within 1/8 s of the last");
        let done = Heard {
            completed: 1,
            ..Heard::default()
        };
        assert_eq!(pick(done, 2000.0, 1000.0), Some(Earcon::Completed));
        assert_eq!(pick(Heard::default(), 2000.0, 0.0), None);
        // A second of frames at 60 Hz with news in every one.
        let mut last = f64::NEG_INFINITY;
        let mut played = 0;
        for k in 0..60 {
            let now = k as f64 * 1000.0 / 60.0;
            if pick(all, now, last).is_some() {
                last = now;
                played += 1;
            }
        }
        assert!(played as f64 <= EARCONS_PER_S, "{played}");
    }

    #[test]
    fn the_queue_rises_an_octave_for_each_tenfold() {
        assert_eq!(queue_pitch(0), 220.0);
        assert!((queue_pitch(9) - 440.0).abs() < 1.0);
        assert_eq!(queue_pitch(1_000_000), 880.0);
    }
}
