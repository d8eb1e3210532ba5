//! A space-time (sequence) diagram of a stretch of a run, as SVG: one lane
//! per node, time running down, one arrow per message from its sender's
//! lane when it left to its receiver's when it arrived (a lost message
//! stops halfway with a cross), coloured and dashed by kind, each with a
//! tooltip. What a whiteboard drawing of the pattern would be, drawn from
//! the exact run.

use std::fmt::Write as _;

use sim::event::{Event, MsgKind, What};
use sim::topology::{NodeId, Topology};
use sim::Time;

/// How much of the run a diagram shows unless asked otherwise: the last
/// virtual seconds before the moment asked for.
pub const WINDOW: Time = 2 * sim::time::SECOND;

/// The shortest and longest stretch one may ask for, in virtual seconds
/// (a longer one is mostly refused by [`MAX_ARROWS`] anyway).
pub const MIN_WINDOW_S: f64 = 0.05;
pub const MAX_WINDOW_S: f64 = 60.0;

/// The stretch `window_s` asks for, or the refusal in words.
pub fn window(window_s: Option<f64>) -> Result<Time, String> {
    match window_s {
        None => Ok(WINDOW),
        Some(w) if (MIN_WINDOW_S..=MAX_WINDOW_S).contains(&w) => Ok(sim::time::from_secs(w)),
        Some(w) => Err(format!(
            "window_s = {} is out of range: expected from {MIN_WINDOW_S} to {MAX_WINDOW_S} seconds",
            sim::params::fmt_num(w)
        )),
    }
}

/// Most arrows one diagram draws; a busier stretch is refused in words.
pub const MAX_ARROWS: usize = 10_000;

/// Pixels: between lanes, the time axis's height, margins.
const LANE: f64 = 150.0;
const HEIGHT: f64 = 640.0;
const LEFT: f64 = 90.0;
const TOP: f64 = 70.0;

struct Arrow {
    from: NodeId,
    to: NodeId,
    sent: Time,
    arrive: Time,
    kind: MsgKind,
    lost: bool,
    msg: u64,
    req: u64,
}

/// Collects the messages of `[from, to]` as the run is simulated.
pub struct Sequence {
    from: Time,
    to: Time,
    links: Vec<(NodeId, NodeId)>,
    labels: Vec<String>,
    arrows: Vec<Arrow>,
    /// A request whose conversation is drawn bold, the rest faded.
    highlight: Option<u64>,
}

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A kind's colour (the palette's colour-blind-safe hues) and dash, so
/// kinds differ in more than colour.
fn look(kind: MsgKind) -> (&'static str, &'static str) {
    match kind {
        MsgKind::Request => ("#0072B2", ""),
        MsgKind::Response => ("#009E73", ""),
        MsgKind::Error => ("#D55E00", "6 3"),
        MsgKind::Retry => ("#B57A00", "6 3"),
        MsgKind::Poll | MsgKind::EmptyPoll => ("#1F8A9E", "2 3"),
        _ => ("#B8669A", "8 3 2 3"),
    }
}

impl Sequence {
    /// The stretch ending at `until` (at most `window` long), with
    /// `highlight`'s conversation drawn over the rest.
    pub fn new(topology: &Topology, until: Time, window: Time, highlight: Option<u64>) -> Sequence {
        Sequence {
            from: until.saturating_sub(window),
            to: until,
            links: topology.links.iter().map(|l| (l.from, l.to)).collect(),
            labels: topology.nodes.iter().map(|n| n.label.clone()).collect(),
            arrows: Vec::new(),
            highlight,
        }
    }

    /// Adds the messages among `events` that are on the wire during the
    /// stretch; refuses past [`MAX_ARROWS`].
    pub fn events(&mut self, events: &[Event]) -> Result<(), String> {
        for e in events {
            let What::Sent {
                msg,
                req,
                kind,
                link,
                arrive_at,
                lost,
            } = e.what
            else {
                continue;
            };
            if e.at > self.to || arrive_at < self.from {
                continue;
            }
            let Some(&(from, to)) = self.links.get(usize::from(link)) else {
                continue;
            };
            if self.arrows.len() == MAX_ARROWS {
                return Err(format!(
                    "the last {} s before {:.1} s carry more than {MAX_ARROWS} messages, more than one diagram draws: pick a shorter window, lower the load or pick a quieter moment",
                    sim::params::fmt_num(sim::time::to_secs(self.to - self.from)),
                    sim::time::to_secs(self.to)
                ));
            }
            self.arrows.push(Arrow {
                from,
                to,
                sent: e.at,
                arrive: arrive_at,
                kind,
                lost,
                msg,
                req,
            });
        }
        Ok(())
    }

    fn y(&self, t: Time) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        TOP + (t.clamp(self.from, self.to) - self.from) as f64 / span * HEIGHT
    }

    fn x(&self, node: NodeId) -> f64 {
        LEFT + LANE * (f64::from(node) + 0.5)
    }

    /// The diagram, titled `title`.
    pub fn finish(self, title: &str) -> String {
        let width = LEFT + LANE * self.labels.len() as f64 + 20.0;
        let height = TOP + HEIGHT + 40.0;
        let summary = format!(
            "{title}: {} messages between {:.3} s and {:.3} s, one lane per node, time running down",
            self.arrows.len(),
            sim::time::to_secs(self.from),
            sim::time::to_secs(self.to)
        );
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"13\">\n<title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
            esc(&summary),
            esc(&summary)
        );
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"600\" fill=\"#1d2433\">{}</text>",
            esc(title)
        );
        // The time axis: a tick every 10 ms to 10 s, at most a dozen.
        let every = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]
            .map(|ms| ms * sim::time::MS)
            .into_iter()
            .find(|&e| (self.to - self.from) / e <= 12)
            .unwrap_or(10 * sim::time::SECOND);
        let mut t = self.from.div_ceil(every) * every;
        while t <= self.to {
            let y = self.y(t);
            let _ = writeln!(
                s,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e6ee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#586072\">{:.2} s</text>",
                LEFT - 6.0,
                width - 20.0,
                LEFT - 10.0,
                y + 4.0,
                sim::time::to_secs(t)
            );
            t += every;
        }
        for (i, label) in self.labels.iter().enumerate() {
            let x = self.x(i as NodeId);
            let _ = writeln!(
                s,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"600\" fill=\"#1d2433\">{}</text><line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP:.1}\" y2=\"{:.1}\" stroke=\"#7d8699\" stroke-width=\"2\"/>",
                TOP - 14.0,
                esc(label),
                TOP + HEIGHT
            );
        }
        s.push_str("<defs><marker id=\"head\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"context-stroke\"/></marker></defs>\n");
        for a in &self.arrows {
            let (colour, dash) = look(a.kind);
            let (x1, y1) = (self.x(a.from), self.y(a.sent));
            let (mut x2, mut y2) = (self.x(a.to), self.y(a.arrive));
            if a.lost {
                x2 = (x1 + x2) / 2.0;
                y2 = (y1 + y2) / 2.0;
            }
            let name = format!(
                "{} #{} (request {}) {} → {}, sent {:.3} s, {}",
                a.kind.label(),
                a.msg,
                a.req,
                self.labels
                    .get(usize::from(a.from))
                    .map_or("?", String::as_str),
                self.labels
                    .get(usize::from(a.to))
                    .map_or("?", String::as_str),
                sim::time::to_secs(a.sent),
                if a.lost {
                    "lost on the way".to_string()
                } else {
                    format!("arrived {:.3} s", sim::time::to_secs(a.arrive))
                }
            );
            let weight = match self.highlight {
                Some(r) if r == a.req => " stroke-width=\"4\" class=\"chosen\"",
                Some(_) => " stroke-width=\"1.2\" stroke-opacity=\"0.3\"",
                None => " stroke-width=\"1.6\"",
            };
            let _ = write!(
                s,
                "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{colour}\"{weight}{}{}><title>{}</title></line>",
                if dash.is_empty() {
                    String::new()
                } else {
                    format!(" stroke-dasharray=\"{dash}\"")
                },
                if a.lost {
                    ""
                } else {
                    " marker-end=\"url(#head)\""
                },
                esc(&name)
            );
            if a.lost {
                let _ = write!(
                    s,
                    "<text x=\"{x2:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#D55E00\" font-weight=\"700\">×</text>",
                    y2 + 5.0
                );
            }
            s.push('\n');
        }
        // The legend: each kind drawn, with its dash.
        let mut kinds: Vec<MsgKind> = Vec::new();
        for a in &self.arrows {
            if !kinds.contains(&a.kind) {
                kinds.push(a.kind);
            }
        }
        let mut x = 10.0;
        for k in kinds {
            let (colour, dash) = look(k);
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"44\" y2=\"44\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"{:.1}\" y=\"48\" fill=\"#1d2433\">{}</text>",
                x + 22.0,
                x + 26.0,
                esc(k.label())
            );
            x += 40.0 + 8.0 * k.label().len() as f64;
        }
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::run::Options;
    use sim::{find_pattern, Simulation};

    #[test]
    fn a_window_is_chosen_within_bounds_and_draws_only_its_stretch() {
        assert_eq!(window(None), Ok(WINDOW));
        assert_eq!(window(Some(0.5)), Ok(500 * sim::time::MS));
        for bad in [0.0, 0.01, 61.0, f64::NAN, f64::INFINITY, -1.0] {
            assert!(
                window(Some(bad)).unwrap_err().contains("out of range"),
                "{bad}"
            );
        }
        let info = find_pattern("request-response").unwrap();
        let mut sim = Simulation::new(info.defaults(), 5, Options::EVENTS);
        let until = 6 * sim::time::SECOND;
        sim.advance_to(until);
        let count = |w: Time| {
            let mut seq = Sequence::new(sim.topology(), until, w, None);
            seq.events(sim.events()).unwrap();
            assert!(seq.arrows.iter().all(|a| a.arrive >= until - w));
            seq.arrows.len()
        };
        let (short, long) = (count(500 * sim::time::MS), count(5 * sim::time::SECOND));
        assert!(short * 4 < long, "{short} arrows in 0.5 s, {long} in 5 s");
    }

    #[test]
    fn a_stretch_of_a_run_is_an_svg_with_a_lane_per_node_and_an_arrow_per_message() {
        let info = find_pattern("request-response").unwrap();
        let mut sim = Simulation::new(info.defaults(), 5, Options::EVENTS);
        let until = 3 * sim::time::SECOND;
        let mut seq = Sequence::new(sim.topology(), until, WINDOW, None);
        sim.advance_to(until);
        seq.events(sim.events()).unwrap();
        let arrows = seq.arrows.len();
        assert!(arrows > 100, "{arrows}");
        assert!(seq
            .arrows
            .iter()
            .all(|a| a.sent <= until && a.arrive >= until - WINDOW));
        let svg = seq.finish("Request / response, seed 5");
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            svg.matches("<line x1=").count() - svg.matches("stroke=\"#e3e6ee\"").count(),
            arrows + info_lanes(&sim) + svg.matches("y1=\"44\"").count()
        );
        assert!(svg.contains(">service</text>") && svg.contains("request #"));
        assert!(!svg.contains("class=\"chosen\""));
    }

    #[test]
    fn a_chosen_conversation_is_drawn_over_the_rest() {
        let info = find_pattern("request-response").unwrap();
        let mut sim = Simulation::new(info.defaults(), 5, Options::EVENTS);
        let until = 3 * sim::time::SECOND;
        sim.advance_to(until);
        let req = sim
            .events()
            .iter()
            .rev()
            .find_map(|e| match e.what {
                What::Completed { req, .. } => Some(req),
                _ => None,
            })
            .unwrap();
        let mut seq = Sequence::new(sim.topology(), until, WINDOW, Some(req));
        seq.events(sim.events()).unwrap();
        let svg = seq.finish("chosen");
        // Its request and its response, bold; the others faded.
        assert_eq!(svg.matches("class=\"chosen\"").count(), 2, "request {req}");
        assert!(svg.contains("stroke-opacity=\"0.3\""));
    }

    fn info_lanes(sim: &Simulation) -> usize {
        sim.topology().nodes.len()
    }

    #[test]
    fn too_busy_a_stretch_is_refused_in_words() {
        let info = find_pattern("request-response").unwrap();
        let mut p = info.defaults();
        p.set_str("rate", "20000").unwrap();
        let mut sim = Simulation::new(p, 5, Options::EVENTS);
        let until = 2 * sim::time::SECOND;
        let mut seq = Sequence::new(sim.topology(), until, WINDOW, None);
        sim.advance_to(until);
        let e = seq.events(sim.events()).unwrap_err();
        assert!(e.contains("more than 10000 messages"), "{e}");
    }
}
