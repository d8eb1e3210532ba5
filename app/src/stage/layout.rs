//! Where nodes and links sit on the stage.
//!
//! Pure geometry, in stage units (the canvas's CSS pixels), so it is tested
//! natively and recomputed only when the topology or the canvas size
//! changes. Clients stand in a column on the left, services on the right,
//! intermediaries in between; the two directions of a link are drawn side
//! by side so requests and responses never share a track.

use sim::topology::{NodeKind, Topology};

/// A point on the stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A link's track: the segment its dots travel along.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Track {
    pub from: Point,
    pub to: Point,
}

impl Track {
    /// The point a fraction `f` (0..=1) of the way along.
    pub fn at(&self, f: f64) -> Point {
        let f = f.clamp(0.0, 1.0);
        Point {
            x: self.from.x + (self.to.x - self.from.x) * f,
            y: self.from.y + (self.to.y - self.from.y) * f,
        }
    }
}

/// Node positions and link tracks for one topology at one stage size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Point>,
    pub tracks: Vec<Track>,
    /// Radius of a client's disc, smaller when many clients share a column.
    pub node_radius: f64,
    /// Side of a working node's box (services, gateways…).
    pub box_side: f64,
    /// Working nodes are packed tight: labels go beside the boxes.
    pub compact: bool,
    /// Distance from each node's centre to its rim, where links start.
    pub rims: Vec<f64>,
}

/// Horizontal position of each kind of node, as a fraction of the width.
fn column(kind: NodeKind) -> f64 {
    match kind {
        NodeKind::Client => 0.10,
        NodeKind::Gateway | NodeKind::Broker | NodeKind::JobStore => 0.45,
        NodeKind::Service | NodeKind::Worker | NodeKind::Subscriber => 0.80,
    }
}

/// Distance between the two directions of a link.
const TRACK_GAP: f64 = 7.0;

pub fn layout(topo: &Topology, width: f64, height: f64) -> Layout {
    let mut nodes = vec![Point { x: 0.0, y: 0.0 }; topo.nodes.len()];
    let margin = 0.08 * height;
    let span = height - 2.0 * margin;
    let (mut most_circles, mut most_boxes) = (1usize, 1usize);
    for col in [0.10, 0.45, 0.80] {
        let members: Vec<usize> = topo
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| column(n.kind) == col)
            .map(|(i, _)| i)
            .collect();
        if col == 0.10 {
            most_circles = most_circles.max(members.len());
        } else {
            most_boxes = most_boxes.max(members.len());
        }
        let n = members.len() as f64;
        for (k, &i) in members.iter().enumerate() {
            nodes[i] = Point {
                x: col * width,
                y: margin + span * (k as f64 + 0.5) / n,
            };
        }
    }
    let node_radius = (0.8 * span / (2.0 * most_circles as f64)).clamp(5.0, 26.0);
    // A box wants its side plus a line of label below it; when its column
    // is too crowded for that the label moves beside it.
    let box_spacing = span / most_boxes as f64;
    let roomy = (box_spacing - 18.0).min(78.0);
    let compact = roomy < 30.0;
    let box_side = if compact {
        (0.8 * box_spacing).clamp(8.0, 40.0)
    } else {
        roomy
    };
    let rims: Vec<f64> = topo
        .nodes
        .iter()
        .map(|n| {
            if column(n.kind) == 0.10 {
                node_radius
            } else {
                box_side / 2.0
            }
        })
        .collect();
    let tracks = topo
        .links
        .iter()
        .map(|l| {
            let (a, b) = (nodes[l.from as usize], nodes[l.to as usize]);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len = (dx * dx + dy * dy).sqrt().max(1e-9);
            // Offset to the right of the direction of travel.
            let (ox, oy) = (-dy / len * TRACK_GAP / 2.0, dx / len * TRACK_GAP / 2.0);
            // Start and end at the rims of the nodes, not their centres.
            let (ra, rb) = (rims[l.from as usize], rims[l.to as usize]);
            Track {
                from: Point {
                    x: a.x + ox + dx / len * ra,
                    y: a.y + oy + dy / len * ra,
                },
                to: Point {
                    x: b.x + ox - dx / len * rb,
                    y: b.y + oy - dy / len * rb,
                },
            }
        })
        .collect();
    Layout {
        width,
        height,
        nodes,
        tracks,
        node_radius,
        box_side,
        compact,
        rims,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::topology::NodeKind;

    fn topo(clients: u16) -> Topology {
        let mut t = Topology::default();
        for i in 0..clients {
            t.add_node(NodeKind::Client, format!("c{i}"), 0, 0);
        }
        let s = t.add_node(NodeKind::Service, "s".into(), 1, 10);
        for i in 0..clients {
            t.add_link(i, s, 0, 0, 0.0);
            t.add_link(s, i, 0, 0, 0.0);
        }
        t
    }

    #[test]
    fn clients_left_service_right_inside_the_stage() {
        let l = layout(&topo(4), 800.0, 400.0);
        for p in &l.nodes[..4] {
            assert!(p.x < 100.0 && p.y > 0.0 && p.y < 400.0);
        }
        assert!(l.nodes[4].x > 600.0);
        assert!((l.nodes[4].y - 200.0).abs() < 1e-9);
    }

    #[test]
    fn the_two_directions_of_a_link_do_not_overlap() {
        let l = layout(&topo(1), 800.0, 400.0);
        let (up, down) = (l.tracks[0], l.tracks[1]);
        let gap = (up.at(0.5).y - down.at(0.5).y).abs();
        assert!(gap > 5.0, "{gap}");
    }

    #[test]
    fn many_backends_pack_into_non_overlapping_boxes() {
        let mut t = Topology::default();
        t.add_node(NodeKind::Client, "c".into(), 0, 0);
        let g = t.add_node(NodeKind::Gateway, "g".into(), 0, 0);
        for b in 0..16 {
            let s = t.add_node(NodeKind::Service, format!("b{b}"), 1, 10);
            t.add_link(g, s, 0, 0, 0.0);
        }
        let l = layout(&t, 1000.0, 400.0);
        assert!(l.compact);
        let ys: Vec<f64> = l.nodes[2..].iter().map(|p| p.y).collect();
        assert!(
            ys.windows(2).all(|w| w[1] - w[0] > l.box_side),
            "boxes overlap"
        );
        let roomy = layout(&topo(4), 1000.0, 400.0);
        assert!(!roomy.compact && roomy.box_side >= 30.0);
    }

    #[test]
    fn fifty_clients_still_fit_and_stay_apart() {
        let l = layout(&topo(50), 1200.0, 600.0);
        let ys: Vec<f64> = l.nodes[..50].iter().map(|p| p.y).collect();
        assert!(ys
            .windows(2)
            .all(|w| w[1] - w[0] >= 2.0 * l.node_radius * 0.9));
    }
}
