//! What the page says aloud while a run plays, within a budget: at most
//! one announcement every [`GAP_MS`] of wall time, never two identical in
//! a row, nothing while paused, and nothing while the page restores state
//! (a late joiner's catch-up, a fork, a reset, a reconnect — every new
//! hello). Each announcement tells what changed since the last one (see
//! [`super::changes`]) and the notable events not said yet; a steady run
//! says nothing. Answers to the user (a slider's context, "Describe now")
//! are said at once, and the next summary waits its gap after them.
//!
//! Pure and driven by the caller's clock, so the budget is tested here in
//! virtual time; the page calls [`Announcer::offer`] about once a second
//! and puts what it returns into its polite live region.

use super::changes::{changes, notables, Rates, Said};
use super::words::{capitalised, listed};
use super::{Context, Reading};

/// Fewest wall milliseconds between two announcements.
pub const GAP_MS: f64 = 5000.0;

/// Quiet after a pane restores its state (a hello: join, fork, reset,
/// reconnect): its catch-up lands, then its reading becomes the baseline.
pub const RESTORE_MS: f64 = 3000.0;

/// How much is said without being asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Only what the user asks for ("Describe now", a control's answer).
    Off,
    /// Summaries of what changed.
    Summaries,
    /// Summaries and the run's notable events.
    #[default]
    Notable,
}

impl Verbosity {
    pub const ALL: [Verbosity; 3] = [Verbosity::Off, Verbosity::Summaries, Verbosity::Notable];

    /// Stored on the device and offered in the settings.
    pub fn id(self) -> &'static str {
        match self {
            Verbosity::Off => "off",
            Verbosity::Summaries => "summaries",
            Verbosity::Notable => "notable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verbosity::Off => "off (only when asked)",
            Verbosity::Summaries => "summaries of what changed",
            Verbosity::Notable => "summaries and notable events",
        }
    }

    pub fn from_id(id: &str) -> Option<Verbosity> {
        Verbosity::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// One pane's voice: what it last said things against.
#[derive(Clone, Debug, Default)]
struct Voice {
    /// The reading the next summary compares with (set when the pane last
    /// spoke, or when it finished restoring).
    baseline: Option<Reading>,
    /// Loss rates of the interval that ended at the baseline.
    rates: Rates,
    /// Notable events already said in this run.
    said: Said,
    /// Wall time until which this pane restores state and stays quiet.
    quiet_until: f64,
}

/// The page's announcer: every pane's voice, one budget.
#[derive(Clone, Debug, Default)]
pub struct Announcer {
    pub verbosity: Verbosity,
    voices: Vec<Voice>,
    /// Wall time of the last announcement (summary or answer).
    last_at: Option<f64>,
    /// The last summary said, never said twice in a row.
    last_text: String,
}

impl Announcer {
    pub fn new(verbosity: Verbosity) -> Self {
        Announcer {
            verbosity,
            ..Default::default()
        }
    }

    fn voice(&mut self, pane: usize) -> &mut Voice {
        if self.voices.len() <= pane {
            self.voices.resize(pane + 1, Voice::default());
        }
        &mut self.voices[pane]
    }

    /// Pane `pane` starts restoring state at `now_ms` (a hello): its
    /// baseline and notable events start over once it has settled.
    pub fn restoring(&mut self, pane: usize, now_ms: f64) {
        *self.voice(pane) = Voice {
            quiet_until: now_ms + RESTORE_MS,
            ..Voice::default()
        };
    }

    /// Whether any pane is still restoring at `now_ms`.
    pub fn is_restoring(&self, now_ms: f64) -> bool {
        self.voices.iter().any(|v| now_ms < v.quiet_until)
    }

    /// The newest reading of every pane at `now_ms`: what to announce, if
    /// anything is due. `playing` is the page's transport.
    pub fn offer(
        &mut self,
        now_ms: f64,
        playing: bool,
        panes: &[(Context, Reading)],
    ) -> Option<String> {
        let mut due = self.verbosity != Verbosity::Off
            && playing
            && self.last_at.is_none_or(|t| now_ms - t >= GAP_MS);
        let mut parts = Vec::new();
        let mut settled = Vec::new();
        for (i, (cx, reading)) in panes.iter().enumerate() {
            let notable = self.verbosity == Verbosity::Notable;
            let v = self.voice(i);
            if now_ms < v.quiet_until || v.baseline.is_none() {
                // Restoring, or just restored: this is where it stands,
                // and the rates it had are not news.
                if let Some(b) = v.baseline.as_ref().filter(|b| reading.at > b.at) {
                    v.rates = Rates::between(b, reading);
                }
                v.baseline = Some(reading.clone());
                due &= now_ms >= v.quiet_until;
                continue;
            }
            let Some(base) = v.baseline.as_ref() else {
                continue;
            };
            if reading.at <= base.at {
                continue;
            }
            let mut said = v.said;
            let mut news: Vec<String> = if notable {
                notables(cx, base, reading, &mut said)
            } else {
                Vec::new()
            };
            let clauses = changes(cx, base, reading, v.rates);
            if !clauses.is_empty() {
                news.push(listed(&clauses));
            }
            if !news.is_empty() {
                let body: Vec<String> = news.iter().map(|s| capitalised(s)).collect();
                let text = body.join(". ");
                parts.push(if cx.panes > 1 {
                    format!("{}: {text}.", cx.title())
                } else {
                    format!("{text}.")
                });
                settled.push((i, reading.clone(), said, Rates::between(base, reading)));
            }
        }
        if !due || parts.is_empty() {
            return None;
        }
        let text = parts.join(" ");
        if text == self.last_text {
            return None;
        }
        for (i, reading, said, rates) in settled {
            let v = self.voice(i);
            v.baseline = Some(reading);
            v.said = said;
            v.rates = rates;
        }
        self.last_at = Some(now_ms);
        self.last_text.clone_from(&text);
        Some(text)
    }

    /// An answer to the user (a control's context, "Describe now"), said
    /// at once; the next summary waits its gap after it.
    pub fn answer(&mut self, now_ms: f64, text: String) -> String {
        self.last_at = Some(now_ms);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::fixtures::{heavy_run, Fixture};

    /// Feeds a run's readings a second apart through the announcer.
    fn announce(
        f: &Fixture,
        verbosity: Verbosity,
        playing: impl Fn(usize) -> bool,
    ) -> Vec<(f64, String)> {
        let mut a = Announcer::new(verbosity);
        a.restoring(0, 0.0);
        let mut out = Vec::new();
        for (k, r) in f.readings.iter().enumerate() {
            let now = k as f64 * 1000.0;
            if let Some(t) = a.offer(now, playing(k), &[(f.context(), r.clone())]) {
                out.push((now, t));
            }
        }
        out
    }

    #[test]
    fn a_heavy_minute_keeps_the_budget() {
        let f = heavy_run(61);
        let said = announce(&f, Verbosity::Notable, |_| true);
        assert!(!said.is_empty(), "a run that overloads says something");
        assert!(said.len() <= 12, "{said:#?}");
        for w in said.windows(2) {
            assert!(w[1].0 - w[0].0 >= GAP_MS, "{w:?}");
            assert_ne!(w[1].1, w[0].1);
        }
        assert!(said[0].0 >= RESTORE_MS, "nothing while restoring: {said:?}");
    }

    #[test]
    fn paused_or_off_says_nothing() {
        let f = heavy_run(30);
        assert!(announce(&f, Verbosity::Notable, |_| false).is_empty());
        assert!(announce(&f, Verbosity::Off, |_| true).is_empty());
    }

    #[test]
    fn notable_events_are_said_once() {
        let f = heavy_run(61);
        let said = announce(&f, Verbosity::Notable, |_| true);
        let full = said
            .iter()
            .filter(|(_, t)| t.contains("A queue is full"))
            .count();
        assert_eq!(full, 1, "{said:#?}");
        let quiet = announce(&f, Verbosity::Summaries, |_| true);
        assert!(
            quiet.iter().all(|(_, t)| !t.contains("A queue is full")),
            "{quiet:#?}"
        );
    }

    #[test]
    fn a_restore_starts_over_quietly() {
        let f = heavy_run(30);
        let mut a = Announcer::new(Verbosity::Notable);
        let cx = f.context();
        for (k, r) in f.readings.iter().enumerate() {
            let now = k as f64 * 1000.0;
            if k == 12 {
                a.restoring(0, now);
            }
            let t = a.offer(now, true, &[(cx, r.clone())]);
            if (12..15).contains(&k) {
                assert_eq!(t, None, "quiet while restoring at {k} s");
            }
        }
    }
}
