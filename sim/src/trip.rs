//! Where a wait went: the points one message passed on its way to the party
//! waiting for it, turned into the network / queue / service split.
//!
//! Every pattern that completes something calls [`Trip::complete`], which
//! emits the [`What::Breakdown`] and the [`What::Completed`] together, so the
//! breakdown covers every completion (the metrics refuse a partial one).
//! Whatever the three parts do not cover is the rest of the wait: polling
//! gaps, held polls, back-off, retries, redeliveries.

use crate::event::{ReqId, What};
use crate::recorder::Recorder;
use crate::time::Time;
use crate::topology::NodeId;

/// The last leg of a delivery: a hop in, a queue, a service, a hop out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trip {
    /// Network time spent before `arrived` that belongs to this wait (the
    /// request's own hop). Zero for a poll, whose trip to the server started
    /// before the data it brings back existed.
    pub hop_in: Time,
    /// When the message reached the station that served it.
    pub arrived: Time,
    /// When a worker took it up (equal to `arrived` with no queue).
    pub started: Time,
    /// When the answer left (equal to `started` with no service).
    pub left: Time,
    /// Network time in earlier legs (a choreography's earlier stages).
    pub earlier: [Time; 3],
}

impl Trip {
    /// A message that was only carried: sent at `sent`, nothing served it.
    pub fn pushed(sent: Time) -> Trip {
        Trip {
            arrived: sent,
            started: sent,
            left: sent,
            ..Trip::default()
        }
    }

    /// Served at a station: arrived after a hop of `hop_in`, waited until
    /// `started`, left at `left`.
    pub fn served(hop_in: Time, arrived: Time, started: Time, left: Time) -> Trip {
        Trip {
            hop_in,
            arrived,
            started,
            left,
            earlier: [0; 3],
        }
    }

    /// Network, queue and service time of a wait that began at `from` and
    /// ends at `now`. Segments before `from` do not count: data produced
    /// while a poll was already queued waited only for the rest of it.
    pub fn split(&self, from: Time, now: Time) -> [Time; 3] {
        let after = |a: Time, b: Time| b.saturating_sub(a.max(from));
        [
            self.earlier[0] + self.hop_in + now.saturating_sub(self.left.max(from)),
            self.earlier[1] + after(self.arrived, self.started),
            self.earlier[2] + after(self.started, self.left),
        ]
    }

    /// Emits where the wait of `req` (begun at `from`) went, then its
    /// completion at `node`.
    pub fn complete(&self, rec: &mut Recorder, now: Time, req: ReqId, node: NodeId, from: Time) {
        complete_with(rec, now, req, node, from, self.split(from, now));
    }
}

/// Emits the breakdown `[network, queue, service]` of the wait of `req`
/// (begun at `from`), then its completion at `node`.
pub fn complete_with(
    rec: &mut Recorder,
    now: Time,
    req: ReqId,
    node: NodeId,
    from: Time,
    [network, queue, service]: [Time; 3],
) {
    {
        rec.emit(
            now,
            What::Breakdown {
                req,
                network,
                queue,
                service,
            },
        );
        rec.emit(
            now,
            What::Completed {
                req,
                node,
                wait: now - from,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_served_trip_splits_into_its_segments() {
        // Sent at 0, hop 10, queued 5, served 20, back in 10.
        let t = Trip::served(10, 10, 15, 35);
        assert_eq!(t.split(0, 45), [20, 5, 20]);
    }

    #[test]
    fn segments_before_the_wait_began_do_not_count() {
        // A poll queued at 10, started 15, answered 35; data made at 20.
        let t = Trip::served(0, 10, 15, 35);
        assert_eq!(t.split(20, 45), [10, 0, 15]);
        // Data made after the answer left is never in it; nothing negative.
        assert_eq!(t.split(40, 45), [5, 0, 0]);
    }

    #[test]
    fn stages_add_up() {
        let first = Trip::served(10, 10, 10, 30);
        let both = Trip {
            earlier: first.split(0, 40),
            ..Trip::served(10, 50, 55, 60)
        };
        // First: 10 in + 10 out network, 20 service; second: 10 + 5 net, 5 queue, 5 service.
        assert_eq!(both.split(0, 65), [35, 5, 25]);
    }
}
