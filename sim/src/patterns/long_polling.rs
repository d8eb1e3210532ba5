//! `long-polling`: the client asks; the server holds the request open until
//! it has news (or `hold_ms` passes) and only then answers; the client asks
//! again at once.
//!
//! Same topology and update workload as short polling (see
//! [`crate::updates`]): the waiting time is staleness. A poll carries the
//! client's cursor; a poll that finds news is answered as soon as it is
//! served, one that finds none is held. Every new update answers every held
//! poll. A client whose poll (or answer) is lost re-polls after its
//! `timeout_ms`.

use rand::Rng;

use crate::engine::{Cx, Delivery, Endpoint, Model, Offer, Tally, Visit};
use crate::event::{DropReason, MsgKind, What};
use crate::info::{ratio, Figure};
use crate::metrics::Snapshot;
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::{NodeId, Topology};
use crate::trip::Trip;
use crate::updates::Updates;

pub const ID: &str = "long-polling";

/// The figures this pattern adds to the common ones (its catalogue entry's
/// `figures`).
pub(crate) fn figures(s: &Snapshot, _: &ParamSet) -> Vec<Figure> {
    let t = &s.totals;
    vec![
        Figure::count("held_open", "polls held open", t.open_connections),
        Figure::count(
            "empty_answers",
            "empty answers",
            t.sent_of(MsgKind::EmptyPoll),
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

/// Identifies one poll of one client: (client, that client's poll number).
type PollId = (NodeId, u64);

#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// The server finished a poll.
    Served(Visit<Poll>),
    /// The server has held the poll for `hold_ms` without news.
    HoldExpires { poll: PollId },
    /// The client stops waiting for its poll's answer.
    ClientTimeout { poll: PollId },
    /// A client sends its first poll.
    Connect { client: NodeId },
}

/// A poll at the server, with the client's cursor.
#[derive(Clone, Copy, Debug)]
pub struct Poll {
    poll: PollId,
    cursor: u64,
}

/// What polls and answers carry: the poll they belong to and, on an answer,
/// its way (the poll's queue and service when news was already there, else
/// just the hop back from the moment news came).
#[derive(Clone, Copy, Debug)]
pub struct Leg {
    poll: PollId,
    trip: Trip,
}

#[derive(Clone)]
pub struct LongPolling {
    clients: u16,
    hold: Time,
    timeout: Time,
    updates: Updates,
    server: Endpoint<Poll, Timer>,
    /// Each client's current poll number; answers to older polls still
    /// deliver data but do not trigger a re-poll.
    current: Vec<u64>,
    /// Polls the server holds open, waiting for news.
    held: Vec<PollId>,
}

type Cxl<'a> = Cx<'a, LongPolling>;

impl LongPolling {
    /// The client opens a new poll (carrying its cursor) and arms its timeout.
    fn poll(&mut self, cx: &mut Cxl, client: NodeId) {
        let c = client as usize;
        self.current[c] += 1;
        let poll = (client, self.current[c]);
        let cursor = self.updates.seen(client);
        let leg = Leg {
            poll,
            trip: Trip::default(),
        };
        cx.send(client * 2, MsgKind::Poll, cursor, leg);
        cx.after(self.timeout, Timer::ClientTimeout { poll });
    }

    /// Answers `poll` with every update before `upto`.
    fn answer(&mut self, cx: &mut Cxl, poll: PollId, kind: MsgKind, upto: u64, trip: Trip) {
        cx.send(poll.0 * 2 + 1, kind, upto, Leg { poll, trip });
    }

    fn report_open(&self, cx: &mut Cxl) {
        cx.emit(What::Open {
            node: self.server.node,
            connections: self.held.len() as u32,
        });
    }

    fn on_served(&mut self, cx: &mut Cxl, v: Visit<Poll>) {
        self.server.done(cx, v.msg, false);
        let total = self.updates.total();
        let poll = v.job.poll;
        if total > v.job.cursor {
            // News was already there: the poll's own queue and service are
            // part of its staleness.
            let trip = Trip::served(0, v.arrived, v.started, cx.now);
            self.answer(cx, poll, MsgKind::Response, total, trip);
        } else {
            self.held.push(poll);
            self.report_open(cx);
            cx.after(self.hold, Timer::HoldExpires { poll });
        }
        self.server.next(cx);
    }

    fn on_hold_expires(&mut self, cx: &mut Cxl, poll: PollId) {
        if let Some(i) = self.held.iter().position(|&p| p == poll) {
            self.held.swap_remove(i);
            self.report_open(cx);
            let total = self.updates.total();
            self.answer(cx, poll, MsgKind::EmptyPoll, total, Trip::pushed(cx.now));
        }
    }

    fn on_client_timeout(&mut self, cx: &mut Cxl, poll: PollId) {
        let (client, n) = poll;
        if self.current[client as usize] == n {
            cx.emit(What::TimedOut {
                req: n,
                node: client,
                attempt: 0,
            });
            self.poll(cx, client);
        }
    }
}

impl Model for LongPolling {
    type Timer = Timer;
    type Msg = Leg;

    fn new(p: &ParamSet, topo: &mut Topology) -> Self {
        let clients = p.get("clients") as u16;
        let server = topo.clients_and_service(p, "client", "server");
        LongPolling {
            clients,
            hold: time::from_ms(p.get("hold_ms")),
            timeout: time::from_ms(p.get("timeout_ms")),
            updates: Updates::new(server, clients),
            server: Endpoint::service(server, p, Timer::Served),
            current: vec![0; clients as usize],
            held: Vec::with_capacity(clients as usize),
        }
    }

    fn start(&mut self, cx: &mut Cxl) {
        self.server.open(cx);
        self.report_open(cx);
        // Clients connect within the first 100 ms, not all at once.
        for client in 0..self.clients {
            let phase: f64 = cx.rng.client.random();
            let at = time::from_ns((phase * time::from_ms(100.0) as f64).floor());
            cx.at(at, Timer::Connect { client });
        }
    }

    /// A new update answers every held poll.
    fn arrival(&mut self, cx: &mut Cxl) {
        self.updates.produce(cx.now, cx.rec);
        let total = self.updates.total();
        if !self.held.is_empty() {
            for i in 0..self.held.len() {
                let poll = self.held[i];
                self.answer(cx, poll, MsgKind::Response, total, Trip::pushed(cx.now));
            }
            self.held.clear();
            self.report_open(cx);
        }
    }

    fn deliver(&mut self, cx: &mut Cxl, m: Delivery<Leg>) {
        let poll = m.body.poll;
        if m.to == self.server.node {
            // No answer from a server that is down: the client's timeout
            // makes it poll again.
            let job = Poll {
                poll,
                cursor: m.req,
            };
            if let Offer::Refused(_, DropReason::QueueFull) =
                self.server.offer_drawn(cx, m.msg, job)
            {
                self.answer(cx, poll, MsgKind::Error, m.req, Trip::pushed(cx.now));
            }
        } else {
            let (client, n) = poll;
            cx.emit(What::Delivered {
                msg: m.msg,
                node: client,
            });
            self.updates
                .deliver(client, m.req, cx.now, m.body.trip, cx.rec);
            if self.current[client as usize] == n {
                self.poll(cx, client);
            }
        }
    }

    fn timer(&mut self, cx: &mut Cxl, t: Timer) {
        match t {
            Timer::Served(v) => self.on_served(cx, v),
            Timer::HoldExpires { poll } => self.on_hold_expires(cx, poll),
            Timer::ClientTimeout { poll } => self.on_client_timeout(cx, poll),
            Timer::Connect { client } => self.poll(cx, client),
        }
    }

    fn set_param(&mut self, cx: &mut Cxl, id: &str, value: f64) {
        // Both take effect from the next poll held or sent.
        match id {
            "hold_ms" => self.hold = time::from_ms(value),
            "timeout_ms" => self.timeout = time::from_ms(value),
            _ => {
                self.server.set_param(cx, id, value);
            }
        }
    }

    fn tally(&self) -> Tally {
        Endpoint::tally([&self.server], self.updates.pending())
    }

    fn held(&self) -> usize {
        self.server.queued() + self.held.len() + self.updates.held()
    }
}
