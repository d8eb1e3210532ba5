//! The conservation ledger: where every message and request is, from events.
//!
//! The brief's conservation law says every message ever sent is exactly one of
//! delivered, dropped-with-a-reason, or in flight/queued, and every request is
//! exactly one of completed, failed or pending. The ledger keeps those counts
//! by replaying each event's state transition. Tests compare it against the
//! engine's own structures ([`crate::pattern::Audit`]) after every step.

use serde::{Deserialize, Serialize};

use crate::event::What;

/// Counts of messages and requests by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Messages ever put on the wire.
    pub sent: u64,
    /// Messages consumed by the party that wanted them (served or delivered).
    pub delivered: u64,
    /// Messages discarded, each with a reason.
    pub dropped: u64,
    /// Messages on a link right now.
    pub in_flight: u64,
    /// Messages waiting in a node's queue right now.
    pub queued: u64,
    /// Messages being worked on right now.
    pub in_service: u64,
    /// Requests the workload ever offered.
    pub offered: u64,
    pub completed: u64,
    pub failed: u64,
    /// Requests neither completed nor failed yet.
    pub pending: u64,
    /// Transitions that would have made a count negative. Always 0 for a
    /// correct engine; tests assert it.
    pub violations: u64,
}

impl Ledger {
    /// Applies one event's transition.
    pub fn apply(&mut self, what: &What) {
        match *what {
            What::Offered { .. } => {
                self.offered += 1;
                self.pending += 1;
            }
            What::Sent { .. } => {
                self.sent += 1;
                self.in_flight += 1;
            }
            What::Queued { .. } => {
                self.take_in_flight();
                self.queued += 1;
            }
            What::Started { queued, .. } => {
                if queued {
                    self.queued = self.dec(self.queued);
                } else {
                    self.take_in_flight();
                }
                self.in_service += 1;
            }
            What::Served { .. } => {
                self.in_service = self.dec(self.in_service);
                self.delivered += 1;
            }
            What::Delivered { .. } => {
                self.take_in_flight();
                self.delivered += 1;
            }
            What::Dropped { reason, .. } => {
                if reason.from_queue() {
                    self.queued = self.dec(self.queued);
                } else {
                    self.take_in_flight();
                }
                self.dropped += 1;
            }
            What::Completed { .. } => {
                self.pending = self.dec(self.pending);
                self.completed += 1;
            }
            What::Failed { .. } => {
                self.pending = self.dec(self.pending);
                self.failed += 1;
            }
            What::TimedOut { .. }
            | What::Capacity { .. }
            | What::Open { .. }
            | What::Leg { .. }
            | What::Breakdown { .. } => {}
        }
    }

    fn take_in_flight(&mut self) {
        self.in_flight = self.dec(self.in_flight);
    }

    fn dec(&mut self, n: u64) -> u64 {
        if n == 0 {
            self.violations += 1;
            0
        } else {
            n - 1
        }
    }

    /// The brief's conservation law, for messages and for requests.
    pub fn conserved(&self) -> bool {
        self.violations == 0
            && self.sent
                == self.delivered + self.dropped + self.in_flight + self.queued + self.in_service
            && self.offered == self.completed + self.failed + self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{DropReason, MsgKind};

    #[test]
    fn follows_a_message_through_a_queue() {
        let mut l = Ledger::default();
        let sent = What::Sent {
            msg: 1,
            req: 1,
            kind: MsgKind::Request,
            link: 0,
            arrive_at: 5,
            lost: false,
        };
        l.apply(&What::Offered { req: 1, node: 0 });
        l.apply(&sent);
        assert_eq!((l.in_flight, l.pending), (1, 1));
        l.apply(&What::Queued { msg: 1, node: 1 });
        l.apply(&What::Started {
            msg: 1,
            node: 1,
            queued: true,
        });
        assert_eq!((l.in_flight, l.queued, l.in_service), (0, 0, 1));
        l.apply(&What::Served {
            msg: 1,
            node: 1,
            wasted: false,
        });
        l.apply(&What::Completed {
            req: 1,
            node: 0,
            wait: 9,
        });
        assert!(l.conserved());
        assert_eq!((l.delivered, l.completed, l.pending), (1, 1, 0));
    }

    #[test]
    fn an_impossible_transition_is_a_violation() {
        let mut l = Ledger::default();
        l.apply(&What::Dropped {
            msg: 9,
            node: 0,
            reason: DropReason::Loss,
        });
        assert_eq!(l.violations, 1);
        assert!(!l.conserved());
    }
}
