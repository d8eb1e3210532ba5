//! Colours and shapes: the themes the canvases draw with and the shape of
//! each message kind.
//!
//! Okabe–Ito hues, which stay apart for the common forms of colour
//! blindness, each darkened (light themes) or lightened (dark) until it
//! stands at least 3:1 against every background it is drawn on, and text
//! at least 4.5:1 (WCAG 1.4.3 and 1.4.11; a unit test checks every pair).
//! Every message kind also has a shape, so colour is never the only cue.
//! Under forced colours (Windows high contrast) the canvases draw with the
//! system's colours instead (`crate::stage::theme`). The page's own elements take
//! the same hues from CSS variables (`--hue-*` in `style/main.css`), which
//! a test keeps equal to these.

use sim::MsgKind;

/// How a dot is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// The hues a theme gives a colour each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hue {
    Blue,
    Green,
    Vermillion,
    Purple,
    Orange,
    Sky,
    Yellow,
}

impl Hue {
    pub const ALL: [Hue; 7] = [
        Hue::Blue,
        Hue::Green,
        Hue::Vermillion,
        Hue::Purple,
        Hue::Orange,
        Hue::Sky,
        Hue::Yellow,
    ];

    /// Its CSS variable's name (`--hue-<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Hue::Blue => "blue",
            Hue::Green => "green",
            Hue::Vermillion => "vermillion",
            Hue::Purple => "purple",
            Hue::Orange => "orange",
            Hue::Sky => "sky",
            Hue::Yellow => "yellow",
        }
    }

    /// `var(--hue-<name>)`, for the page's own elements.
    pub fn var(self) -> &'static str {
        match self {
            Hue::Blue => "var(--hue-blue)",
            Hue::Green => "var(--hue-green)",
            Hue::Vermillion => "var(--hue-vermillion)",
            Hue::Purple => "var(--hue-purple)",
            Hue::Orange => "var(--hue-orange)",
            Hue::Sky => "var(--hue-sky)",
            Hue::Yellow => "var(--hue-yellow)",
        }
    }
}

/// What the canvases draw with.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    /// The stage's background.
    pub stage: String,
    /// The charts' background (the panel).
    pub panel: String,
    /// The inside of a node (a client's disc, a server's box).
    pub surface: String,
    /// Text, outlines, the inspected conversation's rings.
    pub ink: String,
    /// Secondary text: labels, axes.
    pub muted: String,
    /// Links, gridlines and idle worker slots (outlined).
    pub track: String,
    /// One colour per [`Hue`], in [`Hue::ALL`] order.
    pub hues: [String; 7],
}

impl Theme {
    pub fn hue(&self, h: Hue) -> &str {
        &self.hues[h as usize]
    }

    fn of(
        stage: &str,
        panel: &str,
        surface: &str,
        ink: &str,
        muted: &str,
        track: &str,
        hues: [&str; 7],
    ) -> Theme {
        Theme {
            stage: stage.into(),
            panel: panel.into(),
            surface: surface.into(),
            ink: ink.into(),
            muted: muted.into(),
            track: track.into(),
            hues: hues.map(String::from),
        }
    }

    /// The default page: light.
    pub fn light() -> Theme {
        Theme::of(
            "#fbfcfe", "#ffffff", "#ffffff", "#1d2433", "#586072", "#7d8699", LIGHT_HUES,
        )
    }

    /// The page when the system asks for a dark scheme.
    pub fn dark() -> Theme {
        Theme::of(
            "#131823", "#1b2130", "#1f2636", "#e8ebf2", "#a9b1c2", "#75809a", DARK_HUES,
        )
    }

    /// Projector mode: white, black ink, darker lines (a washed-out beam).
    pub fn projector() -> Theme {
        Theme::of(
            "#ffffff", "#ffffff", "#ffffff", "#000000", "#333333", "#555555", LIGHT_HUES,
        )
    }
}

/// Okabe–Ito, darkened to 3:1 on white where needed (orange, sky, yellow
/// and purple are too light as they are).
pub const LIGHT_HUES: [&str; 7] = [
    "#0072B2", "#009E73", "#D55E00", "#B8669A", "#B57A00", "#1F8A9E", "#8F8A26",
];

/// Okabe–Ito on a dark background; blue and vermillion lightened.
pub const DARK_HUES: [&str; 7] = [
    "#4A9BDB", "#009E73", "#E06B1A", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
];

/// Hue and shape of a message kind.
pub fn style(kind: MsgKind) -> (Hue, Shape) {
    match kind {
        MsgKind::Request => (Hue::Blue, Shape::Circle),
        MsgKind::Response => (Hue::Green, Shape::Square),
        MsgKind::Error => (Hue::Vermillion, Shape::Triangle),
        MsgKind::Retry => (Hue::Purple, Shape::Diamond),
        MsgKind::Poll | MsgKind::Heartbeat => (Hue::Sky, Shape::Circle),
        MsgKind::EmptyPoll => (Hue::Sky, Shape::Square),
        MsgKind::Event | MsgKind::Callback => (Hue::Orange, Shape::Circle),
        MsgKind::Ack | MsgKind::Accepted => (Hue::Green, Shape::Triangle),
        MsgKind::Compensation => (Hue::Vermillion, Shape::Diamond),
        MsgKind::Replay => (Hue::Yellow, Shape::Diamond),
        MsgKind::Connect => (Hue::Purple, Shape::Triangle),
    }
}

/// Line colours of the charts' series, in order.
pub const SERIES: [Hue; 4] = [Hue::Blue, Hue::Orange, Hue::Vermillion, Hue::Green];

/// WCAG relative luminance of `#rrggbb` (or `rgb(r, g, b)`).
pub fn luminance(colour: &str) -> Option<f64> {
    let rgb: Vec<f64> = if let Some(hex) = colour.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        (0..3)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map(f64::from))
            .collect::<Result<_, _>>()
            .ok()?
    } else {
        let inner = colour.strip_prefix("rgb(")?.strip_suffix(')')?;
        inner
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?
    };
    if rgb.len() != 3 {
        return None;
    }
    let lin = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]))
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(a)?, luminance(b)?);
    Some((la.max(lb) + 0.05) / (la.min(lb) + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every colour a canvas draws against every background it is drawn
    /// on: graphics at least 3:1, text at least 4.5:1.
    #[test]
    fn every_drawn_colour_stands_out_in_every_theme() {
        for (name, t) in [
            ("light", Theme::light()),
            ("dark", Theme::dark()),
            ("projector", Theme::projector()),
        ] {
            let backgrounds = [&t.stage, &t.panel, &t.surface];
            for bg in backgrounds {
                for (what, fg, least) in [
                    ("ink", &t.ink, 4.5),
                    ("muted", &t.muted, 4.5),
                    ("track", &t.track, 3.0),
                ] {
                    let c = contrast(fg, bg).unwrap();
                    assert!(c >= least, "{name}: {what} {fg} on {bg} is {c:.2}:1");
                }
                for h in Hue::ALL {
                    let c = contrast(t.hue(h), bg).unwrap();
                    assert!(c >= 3.0, "{name}: {h:?} {} on {bg} is {c:.2}:1", t.hue(h));
                }
            }
        }
    }

    /// Kinds that share a hue never share a shape.
    #[test]
    fn kinds_are_told_apart_without_colour() {
        for a in MsgKind::ALL {
            for b in MsgKind::ALL {
                let (same_kind_of_message, (ha, sa), (hb, sb)) = (
                    matches!(
                        (a, b),
                        (MsgKind::Poll, MsgKind::Heartbeat)
                            | (MsgKind::Heartbeat, MsgKind::Poll)
                            | (MsgKind::Event, MsgKind::Callback)
                            | (MsgKind::Callback, MsgKind::Event)
                            | (MsgKind::Ack, MsgKind::Accepted)
                            | (MsgKind::Accepted, MsgKind::Ack)
                    ),
                    style(a),
                    style(b),
                );
                if a != b && !same_kind_of_message && ha == hb {
                    assert_ne!(sa, sb, "{a:?} and {b:?}");
                }
            }
        }
    }

    /// The page's CSS variables carry the same hues as the canvases.
    #[test]
    fn the_stylesheet_has_the_same_hues() {
        let css = include_str!("../../../style/main.css");
        let value = |block: &str, var: &str| -> String {
            let at = css
                .find(block)
                .unwrap_or_else(|| panic!("{block} in main.css"));
            let rest = &css[at..];
            let end = rest.find('}').unwrap();
            let decl = format!("--hue-{var}:");
            let i = rest[..end]
                .find(&decl)
                .unwrap_or_else(|| panic!("{decl} in {block}"));
            rest[i + decl.len()..end]
                .split(';')
                .next()
                .unwrap()
                .trim()
                .to_string()
        };
        for (block, hues) in [
            (":root {", LIGHT_HUES),
            ("@media (prefers-color-scheme: dark) {", DARK_HUES),
        ] {
            for h in Hue::ALL {
                assert_eq!(
                    value(block, h.name()).to_ascii_uppercase(),
                    hues[h as usize].to_ascii_uppercase(),
                    "{block} --hue-{}",
                    h.name()
                );
            }
        }
    }

    #[test]
    fn contrast_is_wcag_s() {
        assert!((contrast("#000000", "#ffffff").unwrap() - 21.0).abs() < 1e-9);
        assert!((contrast("rgb(255, 255, 255)", "#ffffff").unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(contrast("red", "#fff"), None);
    }
}
