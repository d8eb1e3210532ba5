//! The link layer of a real run: a message crosses the link between two
//! parties by the engine's own `Link` law. Its `Sent` is reported with the
//! delay drawn for it, the sender's side waits out that delay (so what
//! crosses the socket next is the message arriving), and a message the law
//! loses is dropped at its destination, as the model drops it — never
//! handed to the socket.

use std::time::Duration;

use sim::event::{DropReason, MsgId, MsgKind, ReqId};
use sim::time::Time;
use sim::topology::{LinkId, NodeId};
use sim::What;
use tokio::time::Instant;

use super::clock;
use super::log::Log;

/// One message on one link.
#[derive(Clone, Copy, Debug)]
pub struct Leg {
    pub msg: MsgId,
    pub req: ReqId,
    pub kind: MsgKind,
    pub link: LinkId,
    /// Where it is going: where a lost message is dropped.
    pub to: NodeId,
}

/// Sends `leg` as it left at `left`, with its draw `(delay, lost)` from the
/// link's law; waits until it arrives, and says whether it did.
pub async fn cross(log: &Log, leg: Leg, left: Instant, (delay, lost): (Time, bool)) -> bool {
    log.emit_at(
        left,
        What::Sent {
            msg: leg.msg,
            req: leg.req,
            kind: leg.kind,
            link: leg.link,
            arrive_at: log.time(left) + delay,
            lost,
        },
    );
    clock::until(left + Duration::from_nanos(delay)).await;
    if lost {
        log.emit(What::Dropped {
            msg: leg.msg,
            node: leg.to,
            reason: DropReason::Loss,
        });
    }
    !lost
}
