//! `short-polling`: every client asks "anything new?" every `poll_ms`; the
//! server answers at once, with the news or empty-handed.
//!
//! Topology: `clients` clients, one server with `workers` and a queue; an up
//! and a down link per client. Updates are produced on the server side as a
//! Poisson stream at `update_rate`. Each (update, client) pair is one thing
//! a client wants: it is offered when the update is produced and completed
//! when that client's poll brings it home, so the waiting time is the
//! update's *staleness* and throughput counts updates delivered.
//!
//! A poll carries the client's cursor (how many updates it has); the server
//! answers with everything after it, as of the moment it finishes serving the
//! poll. Each client polls on a fixed schedule with a random phase, whether
//! or not its last poll came back; lost polls and lost answers are healed by
//! the next poll.

use rand::Rng;

use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{DropReason, MsgKind, What};
use crate::info::{percent, ratio, Figure};
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{NodeId, Topology};
use crate::trip::Trip;
use crate::updates::Updates;

pub const ID: &str = "short-polling";

/// Staleness is the waiting time; these say what the polling cost.
/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    let full = t.sent_of(MsgKind::Response);
    let empty = t.sent_of(MsgKind::EmptyPoll);
    vec![
        Figure::new(
            "empty_poll_share",
            "empty answers",
            percent(empty as f64, (full + empty) as f64),
            "%",
        ),
        Figure::count("polls", "polls sent", t.sent_of(MsgKind::Poll)),
        Figure::new(
            "wire_per_update",
            "messages per update delivered",
            ratio(t.sent as f64, t.completed as f64),
            "",
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// A client's poll timer fires.
    PollTick { client: NodeId },
    /// The server finished a poll.
    Served(Visit<Poll>),
}

/// A poll at the server: whose, and the client's cursor (how many updates
/// it has).
#[derive(Clone, Copy, Debug)]
pub struct Poll {
    client: NodeId,
    cursor: u64,
}

#[derive(Clone)]
pub struct ShortPolling {
    clients: u16,
    poll: Time,
    /// The updates and what each client has of them.
    updates: Updates,
    server: Endpoint<Poll, Timer>,
}

type Cxs<'a> = Cx<'a, ShortPolling>;

impl ShortPolling {
    /// Answers `client` with everything up to `upto`; an answer carries the
    /// server's update count as its correlation id, and its way (the poll's
    /// queue and service, the hop back: the poll's own hop predates the
    /// data it brings).
    fn answer(&mut self, cx: &mut Cxs, client: NodeId, kind: MsgKind, upto: u64, trip: Trip) {
        cx.send(client * 2 + 1, kind, upto, trip);
    }
}

impl Model for ShortPolling {
    type Timer = Timer;
    /// An answer's way; nothing on a poll.
    type Msg = Trip;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let server = topo.clients_and_service(p, "client", "server");
        ShortPolling {
            clients,
            poll: time::from_ms(p.get("poll_ms")),
            updates: Updates::new(server, clients),
            server: Endpoint::service(server, p, Timer::Served),
        }
    }

    fn start(&mut self, cx: &mut Cxs) {
        self.server.open(cx);
        for client in 0..self.clients {
            let phase: f64 = cx.rng.client.random();
            let at = time::from_ns((phase * self.poll as f64).floor());
            cx.at(at, Timer::PollTick { client });
        }
    }

    fn arrival(&mut self, cx: &mut Cxs) {
        self.updates.produce(cx.now, cx.rec);
    }

    fn deliver(&mut self, cx: &mut Cxs, m: Delivery<Trip>) {
        if m.to == self.server.node {
            // A poll, carrying the client's cursor. No answer from a server
            // that is down: the next poll tries again.
            let (client, cursor) = (m.from, m.req);
            let poll = Poll { client, cursor };
            if let Offer::Refused(_, DropReason::QueueFull) =
                self.server.offer_drawn(cx, m.msg, poll)
            {
                let trip = Trip::served(0, cx.now, cx.now, cx.now);
                self.answer(cx, client, MsgKind::Error, cursor, trip);
            }
        } else {
            cx.emit(What::Delivered {
                msg: m.msg,
                node: m.to,
            });
            self.updates.deliver(m.to, m.req, cx.now, m.body, cx.rec);
        }
    }

    fn timer(&mut self, cx: &mut Cxs, t: Timer) {
        match t {
            Timer::PollTick { client } => {
                let cursor = self.updates.seen(client);
                cx.send(client * 2, MsgKind::Poll, cursor, Trip::default());
                cx.after(self.poll, Timer::PollTick { client });
            }
            Timer::Served(v) => {
                self.server.done(cx, v.msg, false);
                let upto = self.updates.total();
                let kind = if upto > v.job.cursor {
                    MsgKind::Response
                } else {
                    MsgKind::EmptyPoll
                };
                let trip = Trip::served(0, v.arrived, v.started, cx.now);
                self.answer(cx, v.job.client, kind, upto, trip);
                self.server.next(cx);
            }
        }
    }

    fn set_param(&mut self, cx: &mut Cxs, id: &str, value: f64) {
        if id == "poll_ms" {
            // Takes effect from each client's next tick.
            self.poll = time::from_ms(value);
        }
        self.server.set_param(cx, id, value);
    }

    fn tally(&self) -> Tally {
        Endpoint::tally([&self.server], self.updates.pending())
    }

    fn held(&self) -> usize {
        self.server.queued() + self.updates.held()
    }
}
