//! Whose events make one conversation's story, read from a stream of
//! events in order.
//!
//! The inspector tells one request (or one message) from start to end. The
//! page reads it from the events it was sent; when the server samples a
//! busy run, it was sent only some of them, and the server recomputes the
//! rest from a keyframe (`crate::timeline::Timeline::story`). Both read the
//! events through a [`Story`], so the page's story and the server's are
//! told by the same rules:
//!
//! - a request's story is every event naming it (offered, its messages
//!   sent, timed out, completed, failed, …) and every event of the
//!   messages sent for it (queued, served, delivered, dropped);
//! - an update that reaches a client inside an answer naming no single
//!   update (a poll's answer, a stream's event) is told through the
//!   message delivered to that client at the instant it completed — that
//!   message's events are a second reading ([`Story::second_reading`]);
//! - a message's story is its own events, and what it completed or failed
//!   where and when it arrived.

use crate::event::{Event, MsgId, ReqId, What};
use crate::time::Time;
use crate::topology::NodeId;

/// Most events one story keeps: an inspector shows no more rows (a request
/// retried ten times over a lossy link has a few hundred).
pub const MAX_STORY_EVENTS: usize = 5_000;

/// What a story is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Request(ReqId),
    Message(MsgId),
}

/// Reads one conversation's events out of a stream; see the module
/// documentation.
#[derive(Clone, Debug)]
pub struct Story {
    subject: Subject,
    /// Messages whose events belong to the story (sent for the request, or
    /// the subject message itself).
    msgs: Vec<MsgId>,
    /// The story so far, in order.
    events: Vec<Event>,
    /// Messages delivered at the current instant, and where: the answer
    /// that completed an update is one of them.
    delivered_now: Vec<(MsgId, NodeId)>,
    now: Time,
    /// Where and when the subject message arrived (a message's story).
    arrival: Option<(Time, NodeId)>,
    /// Messages that carried the update to its client (a request's story
    /// with no message of its own): read again for their events.
    carriers: Vec<MsgId>,
    /// Whether the request ended (completed or failed) or the message
    /// arrived or was dropped.
    ended: bool,
    /// Events past [`MAX_STORY_EVENTS`] that were not kept.
    pub overflow: u64,
}

impl Story {
    pub fn new(subject: Subject) -> Story {
        let msgs = match subject {
            Subject::Message(m) => vec![m],
            Subject::Request(_) => Vec::new(),
        };
        Story {
            subject,
            msgs,
            events: Vec::new(),
            delivered_now: Vec::new(),
            now: 0,
            arrival: None,
            carriers: Vec::new(),
            ended: false,
            overflow: 0,
        }
    }

    pub fn subject(&self) -> Subject {
        self.subject
    }

    /// Reads the next events of the stream, in order.
    pub fn read<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        for e in events {
            self.read_one(e);
        }
    }

    fn read_one(&mut self, e: &Event) {
        if e.at != self.now {
            self.now = e.at;
            self.delivered_now.clear();
        }
        if let What::Delivered { msg, node } = e.what {
            self.delivered_now.push((msg, node));
        }
        let keep = match self.subject {
            Subject::Request(req) => {
                let ours = e.what.req() == Some(req);
                if let (true, What::Sent { msg, .. }) = (ours, e.what) {
                    self.msgs.push(msg);
                }
                match e.what {
                    What::Completed { req: r, node, .. } if r == req => {
                        self.ended = true;
                        if self.msgs.is_empty() {
                            self.carriers.extend(
                                self.delivered_now
                                    .iter()
                                    .filter(|&&(_, n)| n == node)
                                    .map(|&(m, _)| m),
                            );
                        }
                    }
                    What::Failed { req: r, .. } if r == req => self.ended = true,
                    _ => {}
                }
                ours || e.what.msg().is_some_and(|m| self.msgs.contains(&m))
            }
            Subject::Message(msg) => match e.what {
                What::Delivered { msg: m, node } if m == msg => {
                    self.arrival = Some((e.at, node));
                    self.ended = true;
                    true
                }
                What::Dropped { msg: m, .. } if m == msg => {
                    self.ended = true;
                    true
                }
                What::Completed { node, .. } | What::Failed { node, .. } => {
                    self.arrival == Some((e.at, node))
                }
                ref w => w.msg() == Some(msg),
            },
        };
        if keep {
            if self.events.len() < MAX_STORY_EVENTS {
                self.events.push(*e);
            } else {
                self.overflow += 1;
            }
        }
    }

    /// Whether the subject has ended: nothing later can add to its story
    /// but late arrivals of its messages.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The messages that carried an update with no message of its own: the
    /// same stream read again by this story tells their part.
    pub fn second_reading(&self) -> Option<Story> {
        if self.carriers.is_empty() || !self.msgs.is_empty() {
            return None;
        }
        let mut s = Story::new(self.subject);
        s.msgs = self.carriers.clone();
        Some(s)
    }

    /// The story's events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn into_events(self) -> Vec<Event> {
        self.events
    }
}

/// A conversation's story read from the whole of `events` (twice when its
/// update travelled inside an answer naming no single update).
pub fn tell<'a, I>(subject: Subject, events: I) -> Vec<Event>
where
    I: IntoIterator<Item = &'a Event> + Clone,
{
    let mut s = Story::new(subject);
    s.read(events.clone());
    match s.second_reading() {
        Some(mut again) => {
            again.read(events);
            again.into_events()
        }
        None => s.into_events(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{DropReason, MsgKind};

    fn ev(at: Time, what: What) -> Event {
        Event { at, what }
    }

    fn sent(at: Time, msg: MsgId, req: ReqId) -> Event {
        ev(
            at,
            What::Sent {
                msg,
                req,
                kind: MsgKind::Request,
                link: 0,
                arrive_at: at + 5,
                lost: false,
            },
        )
    }

    #[test]
    fn a_request_is_told_by_its_own_events_and_its_messages() {
        let log = [
            ev(0, What::Offered { req: 1, node: 0 }),
            ev(0, What::Offered { req: 2, node: 0 }),
            sent(0, 10, 1),
            sent(0, 11, 2),
            ev(5, What::Queued { msg: 10, node: 4 }),
            ev(5, What::Queued { msg: 11, node: 4 }),
            ev(
                9,
                What::Served {
                    msg: 10,
                    node: 4,
                    wasted: false,
                },
            ),
            ev(
                9,
                What::Completed {
                    req: 1,
                    node: 0,
                    wait: 9,
                },
            ),
        ];
        let story = tell(Subject::Request(1), &log);
        assert_eq!(story.len(), 5);
        assert!(story.iter().all(|e| e.what.req() != Some(2)));
        assert!(!story.iter().any(|e| e.what.msg() == Some(11)));
    }

    #[test]
    fn an_update_inside_an_answer_is_told_through_the_answer() {
        // An update completes at a client when a poll's answer (message 7,
        // sent for no request of its own) arrives there.
        let log = [
            ev(0, What::Offered { req: 3, node: 2 }),
            sent(1, 7, 999),
            ev(6, What::Delivered { msg: 7, node: 0 }),
            ev(6, What::Delivered { msg: 8, node: 1 }),
            ev(
                6,
                What::Completed {
                    req: 3,
                    node: 0,
                    wait: 6,
                },
            ),
        ];
        let story = tell(Subject::Request(3), &log);
        // The answer's events (sent, delivered) and the update's.
        assert_eq!(story.len(), 4, "{story:?}");
        assert!(!story.iter().any(|e| e.what.msg() == Some(8)));
    }

    #[test]
    fn a_message_is_told_with_what_it_completed_where_it_arrived() {
        let log = [
            sent(0, 4, 1),
            ev(
                3,
                What::Dropped {
                    msg: 5,
                    node: 1,
                    reason: DropReason::Loss,
                },
            ),
            ev(5, What::Delivered { msg: 4, node: 1 }),
            ev(
                5,
                What::Completed {
                    req: 1,
                    node: 1,
                    wait: 5,
                },
            ),
            ev(
                5,
                What::Completed {
                    req: 9,
                    node: 2,
                    wait: 5,
                },
            ),
        ];
        let story = tell(Subject::Message(4), &log);
        assert_eq!(story.len(), 3);
    }
}
