//! Colours and shapes of message kinds.
//!
//! Okabe–Ito colours, which stay distinguishable for the common forms of
//! colour blindness, and a distinct shape per kind so that colour is never
//! the only cue.

use sim::MsgKind;

/// How a dot is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

pub const BLUE: &str = "#0072B2";
pub const GREEN: &str = "#009E73";
pub const VERMILLION: &str = "#D55E00";
pub const PURPLE: &str = "#CC79A7";
pub const ORANGE: &str = "#E69F00";
pub const SKY: &str = "#56B4E9";
pub const YELLOW: &str = "#F0E442";
pub const INK: &str = "#1d2433";
pub const MUTED: &str = "#6b7385";
pub const GRID: &str = "#e3e6ee";

/// Colour and shape of a message kind.
pub fn style(kind: MsgKind) -> (&'static str, Shape) {
    match kind {
        MsgKind::Request => (BLUE, Shape::Circle),
        MsgKind::Response => (GREEN, Shape::Square),
        MsgKind::Error => (VERMILLION, Shape::Triangle),
        MsgKind::Retry => (PURPLE, Shape::Diamond),
        MsgKind::Poll | MsgKind::Heartbeat => (SKY, Shape::Circle),
        MsgKind::EmptyPoll => (MUTED, Shape::Circle),
        MsgKind::Event | MsgKind::Callback => (ORANGE, Shape::Circle),
        MsgKind::Ack | MsgKind::Accepted => (GREEN, Shape::Triangle),
        MsgKind::Compensation => (VERMILLION, Shape::Diamond),
        MsgKind::Replay => (YELLOW, Shape::Diamond),
        MsgKind::Connect => (INK, Shape::Triangle),
    }
}

/// Line colours of the charts' series, in order.
pub const SERIES: [&str; 4] = [BLUE, ORANGE, VERMILLION, GREEN];
