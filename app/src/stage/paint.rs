//! Draws the topology and every in-flight message on the stage canvas.
//!
//! Called once per animation frame with the [`Playback`] buffer. Dots are
//! placed by their virtual send and arrival times; when more are in flight
//! than the frame budget allows, every n-th is drawn and the caller shows
//! "1 dot = n messages".

use std::f64::consts::PI;

use sim::time;
use sim::topology::NodeKind;
use web_sys::CanvasRenderingContext2d;

use crate::stage::layout::{Layout, Point};
use crate::stage::palette::{self, Hue, Shape, Theme};
use crate::stage::playback::{Dot, MarkKind, NodeState, Playback, MARK_MS};

/// Queue slots drawn before the rest is summarised as "+n".
const QUEUE_SLOTS: u32 = 24;

/// Draws one frame with at most `budget` dots (see [`crate::stage::dots`]);
/// returns the sampling stride used (1 = every message).
pub fn draw(
    ctx: &CanvasRenderingContext2d,
    layout: &Layout,
    pb: &Playback,
    budget: usize,
    theme: &Theme,
) -> usize {
    let now_ms = pb.clock_ms;
    let (w, h) = (layout.width, layout.height);
    // The stage owns its background, so forced colours reach it too.
    ctx.set_fill_style_str(&theme.stage);
    ctx.fill_rect(0.0, 0.0, w, h);

    // Links.
    ctx.set_line_width(1.5);
    ctx.set_stroke_style_str(&theme.track);
    ctx.begin_path();
    for t in &layout.tracks {
        ctx.move_to(t.from.x, t.from.y);
        ctx.line_to(t.to.x, t.to.y);
    }
    ctx.stroke();

    // Nodes.
    let r = layout.node_radius;
    ctx.set_text_align("center");
    ctx.set_text_baseline("top");
    // A column too tight for a label under every client: each client shows
    // its number inside its disc instead, so no label runs into the next.
    let clients = pb
        .topology
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Client)
        .count() as f64;
    // (A label needs 16 px under its disc: closer clients would have
    // their labels run into the next disc.)
    let client_ys: Vec<f64> = pb
        .topology
        .nodes
        .iter()
        .zip(&layout.nodes)
        .filter(|(n, _)| n.kind == NodeKind::Client)
        .map(|(_, p)| p.y)
        .collect();
    let tight = client_ys
        .windows(2)
        .any(|w| (w[1] - w[0]).abs() < 2.0 * r + 18.0);
    let crowded = tight || clients * (2.0 * r + 16.0) > layout.height - 16.0;
    for (i, node) in pb.topology.nodes.iter().enumerate() {
        let Some(&p) = layout.nodes.get(i) else {
            continue;
        };
        let state = pb.nodes.get(i).copied().unwrap_or_default();
        match node.kind {
            NodeKind::Client => {
                ctx.set_fill_style_str(&theme.surface);
                ctx.set_stroke_style_str(&theme.ink);
                ctx.set_line_width(1.5);
                ctx.begin_path();
                let _ = ctx.arc(p.x, p.y, r, 0.0, 2.0 * PI);
                ctx.fill();
                ctx.stroke();
                if r >= 9.0 && crowded {
                    let number = node.label.rsplit(' ').next().unwrap_or("");
                    ctx.set_fill_style_str(&theme.muted);
                    ctx.set_font(&format!(
                        "{:.0}px system-ui, sans-serif",
                        (r * 1.1).min(14.0)
                    ));
                    ctx.set_text_baseline("middle");
                    let _ = ctx.fill_text(number, p.x, p.y);
                    ctx.set_text_baseline("top");
                } else if r >= 9.0 {
                    ctx.set_fill_style_str(&theme.muted);
                    ctx.set_font("11px system-ui, sans-serif");
                    let _ = ctx.fill_text(&node.label, p.x, p.y + r + 3.0);
                }
            }
            _ => draw_server(ctx, p, layout, &node.label, state, theme),
        }
    }

    // Dots: one path per style (kind, filled or hollow), so 2,000 dots
    // cost a few dozen canvas calls, not thousands.
    let stride = pb.sample_stride(budget);
    let size = (r * 0.32).clamp(3.0, 6.0);
    let style_of = |d: &Dot| d.kind as u32 * 2 + u32::from(d.lost);
    let sampled = || pb.dots.iter().step_by(stride);
    let present = sampled().fold(0u32, |bits, d| bits | 1 << style_of(d));
    for style in (0..32).filter(|b| present & (1 << b) != 0) {
        let Some(d0) = sampled().find(|d| style_of(d) == style) else {
            continue;
        };
        let (hue, shape) = palette::style(d0.kind);
        let colour = theme.hue(hue);
        ctx.begin_path();
        for d in sampled().filter(|d| style_of(d) == style) {
            if let Some(track) = layout.tracks.get(d.link as usize) {
                shape_path(ctx, shape, track.at(progress(pb, d)), size);
            }
        }
        if d0.lost {
            ctx.set_stroke_style_str(colour);
            ctx.set_line_width(1.5);
            ctx.stroke();
        } else {
            ctx.set_fill_style_str(colour);
            ctx.fill();
        }
    }

    // The inspected conversation: every one of its dots ringed, sampled
    // or not.
    if pb.highlight.is_some() || pb.highlight_msg.is_some() {
        let picked = |d: &&Dot| Some(d.req) == pb.highlight || Some(d.msg) == pb.highlight_msg;
        for d in pb.dots.iter().filter(picked) {
            if let Some(track) = layout.tracks.get(d.link as usize) {
                ring_at(ctx, track.at(progress(pb, d)), size + 4.0, &theme.ink);
            }
        }
    }

    // Marks: drops, timeouts, completions, fading out.
    for m in &pb.marks {
        let Some(&p) = layout.nodes.get(m.node as usize) else {
            continue;
        };
        let age = ((now_ms - m.born_ms) / MARK_MS).clamp(0.0, 1.0);
        ctx.set_global_alpha(1.0 - age);
        // Marks hug the node: its disc, or the box's half side.
        let r = layout.rims.get(m.node as usize).copied().unwrap_or(r);
        let ring = r + 2.0 + 6.0 * age;
        match m.kind {
            MarkKind::Dropped => cross(
                ctx,
                Point {
                    x: p.x - r - 8.0,
                    y: p.y - r,
                },
                6.0,
                theme.hue(Hue::Vermillion),
            ),
            MarkKind::Failed => cross(
                ctx,
                Point { x: p.x, y: p.y },
                r * 0.6,
                theme.hue(Hue::Vermillion),
            ),
            MarkKind::TimedOut => ring_at(ctx, p, ring, theme.hue(Hue::Orange)),
            MarkKind::Completed => {
                // Completions are frequent: a thin, quick ring that does not
                // drown the dots.
                if age < 0.5 {
                    ctx.set_global_alpha(0.6 * (1.0 - 2.0 * age));
                    ring_at(ctx, p, ring, theme.hue(Hue::Green));
                }
            }
        }
    }
    ctx.set_global_alpha(1.0);

    stride
}

/// The stage's clock, written beside the canvas (not on it, so a stage where
/// nothing moves is not redrawn for the clock): tenths of a second while
/// playing (the digits below flicker unread), milliseconds when paused or
/// stepping.
pub fn clock_text(pb: &Playback) -> String {
    let s = time::to_secs(pb.display);
    if pb.playing {
        format!("t = {:.1} s", (s * 10.0).floor() / 10.0)
    } else {
        format!("t = {s:.3} s")
    }
}

/// What the clock shows, to tell when its text changes: (playing, tenths
/// of a second or nanoseconds).
pub fn clock_key(pb: &Playback) -> (bool, time::Time) {
    if pb.playing {
        (true, pb.display / (100 * time::MS))
    } else {
        (false, pb.display)
    }
}

/// The part of the display time the stage's picture depends on: where the
/// dots are, and nothing when none is in flight.
pub fn shown_time(pb: &Playback) -> time::Time {
    if pb.dots.is_empty() {
        0
    } else {
        pb.display
    }
}

/// Where along its link a dot is drawn: gliding, or in quarter steps when
/// the user asked for reduced motion.
fn progress(pb: &Playback, d: &Dot) -> f64 {
    let f = d.progress(pb.display);
    if pb.reduced_motion {
        (f * 4.0).floor() / 4.0
    } else {
        f
    }
}

/// The dot nearest to (`x`, `y`) within `within` pixels, sampled or not.
pub fn hit(layout: &Layout, pb: &Playback, x: f64, y: f64, within: f64) -> Option<Dot> {
    let mut best: Option<(f64, Dot)> = None;
    for d in &pb.dots {
        let Some(track) = layout.tracks.get(d.link as usize) else {
            continue;
        };
        let p = track.at(progress(pb, d));
        let dist = (p.x - x).hypot(p.y - y);
        if dist <= within && best.as_ref().is_none_or(|(b, _)| dist < *b) {
            best = Some((dist, *d));
        }
    }
    best.map(|(_, d)| d)
}

/// A service (or any node with workers): a box of worker slots, its queue to
/// the left.
fn draw_server(
    ctx: &CanvasRenderingContext2d,
    p: Point,
    layout: &Layout,
    label: &str,
    state: NodeState,
    theme: &Theme,
) {
    let NodeState {
        queued,
        busy,
        workers,
        open,
    } = state;
    let side = layout.box_side;
    let (bw, bh) = (side, side);
    let pad = (side * 0.12).clamp(1.5, 5.0);
    let (x0, y0) = (p.x - bw / 2.0, p.y - bh / 2.0);
    ctx.set_fill_style_str(&theme.surface);
    ctx.set_stroke_style_str(&theme.ink);
    ctx.set_line_width(1.5);
    ctx.begin_path();
    let _ = ctx.round_rect_with_f64(x0, y0, bw, bh, 6.0);
    ctx.fill();
    ctx.stroke();

    // Worker slots in a grid (or a fill bar when there are too many).
    if workers <= 36 && workers > 0 {
        let cols = (workers as f64).sqrt().ceil() as u32;
        let rows = workers.div_ceil(cols);
        let cell = ((bw - 2.0 * pad) / cols as f64).min((bh - 2.0 * pad) / rows as f64);
        for k in 0..workers {
            let (cx, cy) = ((k % cols) as f64, (k / cols) as f64);
            let x = p.x - cell * cols as f64 / 2.0 + cx * cell;
            let y = p.y - cell * rows as f64 / 2.0 + cy * cell;
            // Busy slots filled, idle ones outlined: told apart by more
            // than colour.
            let gap = (cell * 0.12).clamp(1.0, 1.5);
            if k < busy {
                ctx.set_fill_style_str(theme.hue(Hue::Blue));
                ctx.fill_rect(x + gap, y + gap, cell - 2.0 * gap, cell - 2.0 * gap);
            } else {
                ctx.set_stroke_style_str(&theme.track);
                ctx.set_line_width(1.0);
                ctx.stroke_rect(
                    x + gap + 0.5,
                    y + gap + 0.5,
                    cell - 2.0 * gap - 1.0,
                    cell - 2.0 * gap - 1.0,
                );
            }
        }
    } else if workers > 0 {
        let f = (busy as f64 / workers as f64).min(1.0);
        ctx.set_stroke_style_str(&theme.track);
        ctx.set_line_width(1.0);
        ctx.stroke_rect(x0 + pad, y0 + pad, bw - 2.0 * pad, bh - 2.0 * pad);
        ctx.set_fill_style_str(theme.hue(Hue::Blue));
        ctx.fill_rect(
            x0 + pad,
            y0 + pad + (bh - 2.0 * pad) * (1.0 - f),
            bw - 2.0 * pad,
            (bh - 2.0 * pad) * f,
        );
    }

    // Queue: slots extending left of the box.
    let slot = (side * 0.2).clamp(3.0, 10.0);
    // The queue stops short of whatever stands to the left of the box.
    let left = layout
        .nodes
        .iter()
        .zip(&layout.rims)
        .filter(|(q, _)| q.x < p.x - 1.0 && (q.y - p.y).abs() < side)
        .map(|(q, rim)| q.x + rim + 6.0)
        .fold(EDGE, f64::max);
    let room = ((x0 - 6.0 - left) / (slot + 2.0)).floor().max(0.0) as u32;
    let slots = QUEUE_SLOTS.min(room);
    let shown = queued.min(slots);
    for k in 0..shown {
        let x = x0 - 6.0 - (k + 1) as f64 * (slot + 2.0);
        ctx.set_fill_style_str(theme.hue(Hue::Sky));
        ctx.fill_rect(x, p.y - slot / 2.0, slot, slot);
    }
    ctx.set_fill_style_str(&theme.ink);
    let held = if open > 0 {
        format!(" · {open} held open")
    } else {
        String::new()
    };
    let work = if workers > 0 {
        format!(" · {busy}/{workers} busy")
    } else {
        String::new()
    };
    let text = format!("{label}{work}{held}");
    if layout.compact {
        // Crowded column: one small line beside the box, the queue as a count.
        ctx.set_font("11px system-ui, sans-serif");
        ctx.set_text_align("left");
        ctx.set_text_baseline("middle");
        let queue = if queued > 0 {
            format!(" · {queued} queued")
        } else {
            String::new()
        };
        let line = format!("{text}{queue}");
        let fit = fit_label(ctx, &line, 11.0, "", (x0 + bw + 6.0, layout.width - EDGE));
        // Not enough room on the right of the box: the label goes left of
        // it (the column is packed, so there is room there).
        if fit.overflows {
            ctx.set_text_align("right");
            let _ = ctx.fill_text(&line, x0 - 6.0, p.y);
        } else {
            let _ = ctx.fill_text(&line, x0 + bw + 6.0, p.y);
        }
        return;
    }
    ctx.set_text_align("left");
    ctx.set_text_baseline("top");
    let w = fit_label(ctx, &text, 12.0, "600 ", (EDGE, layout.width - EDGE)).width;
    // Centred under the box, but kept whole inside the stage.
    let x = (p.x - w / 2.0).clamp(EDGE, (layout.width - EDGE - w).max(EDGE));
    let _ = ctx.fill_text(&text, x, y0 + bh + 4.0);
    if workers == 0 && queued == 0 {
        // No workers, no queue: nothing more to label.
        return;
    }
    ctx.set_text_baseline("bottom");
    ctx.set_text_align("right");
    ctx.set_fill_style_str(&theme.muted);
    let text = if queued > slots {
        format!("queue {queued} (+{} not shown)", queued - slots)
    } else {
        format!("queue {queued}")
    };
    // Smaller type where the room left of the box is short.
    fit_label(ctx, &text, 12.0, "", (left, x0 - 6.0));
    let _ = ctx.fill_text(&text, x0 - 6.0, p.y - slot / 2.0 - 4.0);
}

/// Stage labels keep this far from the canvas's edges.
const EDGE: f64 = 4.0;

/// How a label fits its room.
struct Fit {
    width: f64,
    overflows: bool,
}

/// Sets the font for `text` at `px` (smaller, down to 9 px, if the text
/// would not fit between `room.0` and `room.1`), and says how wide it is.
/// Labels are never cut at the canvas edge.
fn fit_label(
    ctx: &CanvasRenderingContext2d,
    text: &str,
    px: f64,
    weight: &str,
    room: (f64, f64),
) -> Fit {
    let avail = (room.1 - room.0).max(0.0);
    let mut size = px;
    loop {
        ctx.set_font(&format!("{weight}{size}px system-ui, sans-serif"));
        let width = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
        if width <= avail || size <= 9.0 {
            return Fit {
                width,
                overflows: width > avail,
            };
        }
        size -= 1.0;
    }
}

/// Adds the outline of `shape` centred on `p` to the current path as a
/// closed subpath of its own (the caller begins and fills the path).
fn shape_path(ctx: &CanvasRenderingContext2d, shape: Shape, p: Point, s: f64) {
    match shape {
        Shape::Circle => {
            ctx.move_to(p.x + s, p.y);
            let _ = ctx.arc(p.x, p.y, s, 0.0, 2.0 * PI);
        }
        Shape::Square => ctx.rect(p.x - s * 0.9, p.y - s * 0.9, s * 1.8, s * 1.8),
        Shape::Triangle => {
            ctx.move_to(p.x, p.y - s * 1.15);
            ctx.line_to(p.x + s * 1.1, p.y + s * 0.8);
            ctx.line_to(p.x - s * 1.1, p.y + s * 0.8);
            ctx.close_path();
        }
        Shape::Diamond => {
            ctx.move_to(p.x, p.y - s * 1.2);
            ctx.line_to(p.x + s * 1.1, p.y);
            ctx.line_to(p.x, p.y + s * 1.2);
            ctx.line_to(p.x - s * 1.1, p.y);
            ctx.close_path();
        }
    }
}

fn cross(ctx: &CanvasRenderingContext2d, p: Point, s: f64, colour: &str) {
    ctx.set_stroke_style_str(colour);
    ctx.set_line_width(2.5);
    ctx.begin_path();
    ctx.move_to(p.x - s, p.y - s);
    ctx.line_to(p.x + s, p.y + s);
    ctx.move_to(p.x + s, p.y - s);
    ctx.line_to(p.x - s, p.y + s);
    ctx.stroke();
}

fn ring_at(ctx: &CanvasRenderingContext2d, p: Point, r: f64, colour: &str) {
    ctx.set_stroke_style_str(colour);
    ctx.set_line_width(2.0);
    ctx.begin_path();
    let _ = ctx.arc(p.x, p.y, r, 0.0, 2.0 * PI);
    ctx.stroke();
}
