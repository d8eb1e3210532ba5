//! Events: every step in the life of every message and request.
//!
//! The engine emits one [`Event`] per lifecycle step. The same stream feeds
//! the metrics (all of it), the browser's animation (possibly sampled) and the
//! determinism tests (byte for byte).
//!
//! Message lifecycle: `Sent` → (`Queued` →) `Started` → `Served`, or
//! `Sent` → `Delivered`, or `Sent` → … → `Dropped`. Requests: `Offered` →
//! `Completed` or `Failed`, with `TimedOut` marking each attempt that gave up.

use serde::{Deserialize, Serialize};

use crate::time::Time;
use crate::topology::{LinkId, NodeId};

/// Identifies one message on the wire. Unique within a run.
pub type MsgId = u64;
/// Correlation id: ties a request to its responses, retries and polls.
pub type ReqId = u64;

/// What a message is, for colour, shape and counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgKind {
    Request,
    Response,
    /// An error reply, e.g. `503` when the server's queue is full.
    Error,
    /// A request sent again after a timeout or an error.
    Retry,
    Poll,
    EmptyPoll,
    Event,
    Ack,
    Callback,
    Heartbeat,
    Compensation,
    Accepted,
    /// An event sent again after a reconnect (Last-Event-ID resume).
    Replay,
    /// A client (re)opening a stream or connection.
    Connect,
}

impl MsgKind {
    pub const ALL: [MsgKind; 14] = [
        MsgKind::Request,
        MsgKind::Response,
        MsgKind::Error,
        MsgKind::Retry,
        MsgKind::Poll,
        MsgKind::EmptyPoll,
        MsgKind::Event,
        MsgKind::Ack,
        MsgKind::Callback,
        MsgKind::Heartbeat,
        MsgKind::Compensation,
        MsgKind::Accepted,
        MsgKind::Replay,
        MsgKind::Connect,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MsgKind::Request => "request",
            MsgKind::Response => "response",
            MsgKind::Error => "error",
            MsgKind::Retry => "retry",
            MsgKind::Poll => "poll",
            MsgKind::EmptyPoll => "empty poll",
            MsgKind::Event => "event",
            MsgKind::Ack => "ack",
            MsgKind::Callback => "callback",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Compensation => "compensation",
            MsgKind::Accepted => "202 accepted",
            MsgKind::Replay => "replayed event",
            MsgKind::Connect => "connect",
        }
    }
}

/// Why a message never reached the party that wanted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Lost on the network link.
    Loss,
    /// Arrived at a node whose waiting room was full.
    QueueFull,
    /// A response that arrived after its client had given up or already had
    /// an answer.
    Late,
    /// In flight on a connection that dropped.
    Disconnected,
    /// Waiting in the buffer of a consumer that crashed.
    Crashed,
    /// Arrived at a service (or receiver) that is down.
    ServiceDown,
    /// Pushed out of a full subscriber buffer by a newer message.
    Overflow,
    /// Stored at a broker and given up on after too many deliveries.
    DeadLetter,
}

impl DropReason {
    pub const ALL: [DropReason; 8] = [
        DropReason::Loss,
        DropReason::QueueFull,
        DropReason::Late,
        DropReason::Disconnected,
        DropReason::Crashed,
        DropReason::DeadLetter,
        DropReason::ServiceDown,
        DropReason::Overflow,
    ];

    /// Whether a message dropped for this reason was waiting in a queue (as
    /// opposed to travelling or just arriving).
    pub fn from_queue(self) -> bool {
        matches!(
            self,
            DropReason::Crashed | DropReason::DeadLetter | DropReason::Overflow
        )
    }

    pub fn id(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::QueueFull => "queue_full",
            DropReason::Late => "late",
            DropReason::Disconnected => "disconnected",
            DropReason::Crashed => "crashed",
            DropReason::ServiceDown => "service_down",
            DropReason::Overflow => "overflow",
            DropReason::DeadLetter => "dead_letter",
        }
    }

    /// A few words for a count of drops ("crashed consumer 3").
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Loss => "lost on a link",
            DropReason::QueueFull => "queue full",
            DropReason::Late => "late",
            DropReason::Disconnected => "disconnected",
            DropReason::Crashed => "crashed consumer",
            DropReason::ServiceDown => "service down",
            DropReason::Overflow => "buffer overflow",
            DropReason::DeadLetter => "dead-lettered",
        }
    }

    /// What happened to one message, for its story in the inspector.
    pub fn story(self) -> &'static str {
        match self {
            DropReason::Loss => "lost on the link",
            DropReason::QueueFull => "queue full (503)",
            DropReason::Late => "arrived after its requester gave up",
            DropReason::Disconnected => "connection gone",
            DropReason::Crashed => "consumer crashed",
            DropReason::ServiceDown => "service down",
            DropReason::Overflow => "dropped from a full buffer",
            DropReason::DeadLetter => "dead-lettered",
        }
    }
}

/// Why a request ended without the answer its client wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The client's last attempt timed out.
    Timeout,
    /// The server refused the last attempt (queue full → `503`).
    Rejected,
    /// The message never reached anyone who wanted it, and nobody told the
    /// sender: a silent loss.
    Lost,
    /// Delivered too many times without an acknowledgement: moved to the
    /// dead-letter list.
    DeadLetter,
    /// A step of the saga failed and the earlier steps were undone.
    Compensated,
}

impl FailReason {
    pub const ALL: [FailReason; 5] = [
        FailReason::Timeout,
        FailReason::Rejected,
        FailReason::Lost,
        FailReason::DeadLetter,
        FailReason::Compensated,
    ];

    pub fn id(self) -> &'static str {
        match self {
            FailReason::Timeout => "timeout",
            FailReason::Rejected => "rejected",
            FailReason::Lost => "lost",
            FailReason::DeadLetter => "dead_letter",
            FailReason::Compensated => "compensated",
        }
    }

    /// A few words for a count of failures ("503 12").
    pub fn label(self) -> &'static str {
        match self {
            FailReason::Timeout => "timeout",
            FailReason::Rejected => "503",
            FailReason::Lost => "lost",
            FailReason::DeadLetter => "dead-lettered",
            FailReason::Compensated => "compensated",
        }
    }

    /// How one request ended, for its story in the inspector.
    pub fn story(self) -> &'static str {
        match self {
            FailReason::Timeout => "gave up: timed out",
            FailReason::Rejected => "rejected",
            FailReason::Lost => "never arrived",
            FailReason::DeadLetter => "dead-lettered",
            FailReason::Compensated => "compensated",
        }
    }
}

/// One step, at one virtual instant.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Time,
    pub what: What,
}

/// The step itself.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum What {
    /// The workload offers a new request at a client node.
    Offered { req: ReqId, node: NodeId },
    /// A message leaves `link.from`. It reaches `link.to` at `arrive_at`,
    /// unless `lost`, in which case a `Dropped { reason: Loss }` follows then.
    /// Carrying both ends lets the browser draw the dot without waiting.
    Sent {
        msg: MsgId,
        req: ReqId,
        kind: MsgKind,
        link: LinkId,
        arrive_at: Time,
        lost: bool,
    },
    /// The message arrived and waits in `node`'s queue.
    Queued { msg: MsgId, node: NodeId },
    /// A worker of `node` started on the message; `queued` says whether it
    /// came from the queue (or straight off the link).
    Started {
        msg: MsgId,
        node: NodeId,
        queued: bool,
    },
    /// The worker finished; the message is consumed. `wasted` marks work for
    /// a request its client had already given up on or had answered.
    Served {
        msg: MsgId,
        node: NodeId,
        wasted: bool,
    },
    /// The message reached the party that wanted it and was consumed.
    Delivered { msg: MsgId, node: NodeId },
    /// The message was discarded at `node` (or on the link into it).
    Dropped {
        msg: MsgId,
        node: NodeId,
        reason: DropReason,
    },
    /// Attempt `attempt` (0-based) of a request gave up waiting.
    TimedOut {
        req: ReqId,
        node: NodeId,
        attempt: u32,
    },
    /// The request got what it wanted; `wait` is its waiting time.
    Completed {
        req: ReqId,
        node: NodeId,
        wait: Time,
    },
    /// The request ended without an answer.
    Failed {
        req: ReqId,
        node: NodeId,
        reason: FailReason,
    },
    /// `node` now has `workers` parallel workers (at start and on change).
    Capacity { node: NodeId, workers: u32 },
    /// `node` now holds `connections` open connections or held requests
    /// (long polls waiting for data, event streams).
    Open { node: NodeId, connections: u32 },
    /// One leg of a request came back to `node` after `latency` (a
    /// scatter-gather branch, a hop of a choreography).
    Leg {
        req: ReqId,
        node: NodeId,
        latency: Time,
    },
    /// Where the wait of a request about to complete went: on the wire, in
    /// a queue, being served. Whatever is left of its wait was spent on
    /// timeouts, back-off or polling gaps.
    Breakdown {
        req: ReqId,
        network: Time,
        queue: Time,
        service: Time,
    },
}

impl What {
    /// The step's name, as the enum spells it (`"Sent"`, `"Completed"`…):
    /// how a real run's events are tallied against the model's.
    pub fn name(&self) -> &'static str {
        match self {
            What::Offered { .. } => "Offered",
            What::Sent { .. } => "Sent",
            What::Queued { .. } => "Queued",
            What::Started { .. } => "Started",
            What::Served { .. } => "Served",
            What::Delivered { .. } => "Delivered",
            What::Dropped { .. } => "Dropped",
            What::TimedOut { .. } => "TimedOut",
            What::Completed { .. } => "Completed",
            What::Failed { .. } => "Failed",
            What::Capacity { .. } => "Capacity",
            What::Open { .. } => "Open",
            What::Leg { .. } => "Leg",
            What::Breakdown { .. } => "Breakdown",
        }
    }

    /// The message this event is about, if it is about one.
    pub fn msg(&self) -> Option<MsgId> {
        match *self {
            What::Sent { msg, .. }
            | What::Queued { msg, .. }
            | What::Started { msg, .. }
            | What::Served { msg, .. }
            | What::Delivered { msg, .. }
            | What::Dropped { msg, .. } => Some(msg),
            _ => None,
        }
    }

    /// The request this event names, if it names one (a `Sent` names the
    /// request its message was sent for).
    pub fn req(&self) -> Option<ReqId> {
        match *self {
            What::Sent { req, .. }
            | What::Offered { req, .. }
            | What::TimedOut { req, .. }
            | What::Completed { req, .. }
            | What::Failed { req, .. }
            | What::Leg { req, .. }
            | What::Breakdown { req, .. } => Some(req),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_small_on_the_wire() {
        let e = Event {
            at: 12 * crate::time::SECOND,
            what: What::Sent {
                msg: 40_000,
                req: 20_000,
                kind: MsgKind::Request,
                link: 3,
                arrive_at: 12 * crate::time::SECOND + 20 * crate::time::MS,
                lost: false,
            },
        };
        let bytes = postcard::to_allocvec(&e).unwrap();
        assert!(bytes.len() <= 24, "{} bytes", bytes.len());
        assert_eq!(postcard::from_bytes::<Event>(&bytes).unwrap(), e);
    }
}
