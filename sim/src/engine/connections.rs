//! Long-lived connections from each client to one server (server-sent
//! events, websocket): a connection delivers in order, drops now and then
//! (`drops_per_min`, memoryless) and is opened again by its client after
//! `reconnect_ms`. What was written to a connection that has dropped since
//! is gone: each opening is a new generation, and a message carries the
//! generation it was written to.
//!
//! Links follow [`Topology::connect_all`](crate::topology::Topology): link
//! 2i is client i → server, link 2i + 1 is server → client i.

use crate::dist::exp_gap;
use crate::event::{MsgKind, ReqId, What};
use crate::params::ParamSet;
use crate::time::{self, Time};
use crate::topology::NodeId;

use super::{Cx, Model};

/// One client's connection.
#[derive(Clone)]
struct Connection {
    open: bool,
    /// Counts the openings: what was written to an older one is gone.
    generation: u64,
    /// When the last message written to this connection arrives: the next
    /// one may not overtake it.
    last_arrival: Time,
    /// The drop timer's generation, so a rate change can re-arm it (an
    /// older timer that fires is stale).
    drop_timer: u64,
}

#[derive(Clone)]
pub struct Connections<T> {
    /// Where the number of open connections is reported.
    server: NodeId,
    drops_per_min: f64,
    reconnect: Time,
    clients: Vec<Connection>,
    /// The model's timer for a drop: (client, drop-timer generation).
    drop: fn(NodeId, u64) -> T,
    /// The model's timer for a client opening its connection again.
    reopen: fn(NodeId) -> T,
}

impl<T> Connections<T> {
    /// `n` clients' connections to `server`, open from the start or not
    /// (then each client opens its own), dropping at `drops_per_min` and
    /// reopened after `reconnect_ms`.
    pub fn new(
        server: NodeId,
        n: u16,
        open: bool,
        p: &ParamSet,
        drop: fn(NodeId, u64) -> T,
        reopen: fn(NodeId) -> T,
    ) -> Self {
        let connection = || Connection {
            open,
            generation: 0,
            last_arrival: 0,
            drop_timer: 0,
        };
        Connections {
            server,
            drops_per_min: p.get("drops_per_min"),
            reconnect: time::from_ms(p.get("reconnect_ms")),
            clients: (0..n).map(|_| connection()).collect(),
            drop,
            reopen,
        }
    }

    /// How many clients there are: they are `0..clients()`.
    pub fn clients(&self) -> u16 {
        self.clients.len() as u16
    }

    pub fn is_open(&self, client: NodeId) -> bool {
        self.clients[client as usize].open
    }

    /// The generation of `client`'s connection: what a message written to
    /// it now carries.
    pub fn generation(&self, client: NodeId) -> u64 {
        self.clients[client as usize].generation
    }

    /// Whether a message written to generation `generation` still reaches
    /// `client` (its connection has not dropped since).
    pub fn carries(&self, client: NodeId, generation: u64) -> bool {
        let c = &self.clients[client as usize];
        c.open && c.generation == generation
    }

    /// Reports how many connections are open.
    pub fn report_open<M: Model<Timer = T>>(&self, cx: &mut Cx<'_, M>) {
        let open = self.clients.iter().filter(|c| c.open).count() as u32;
        cx.emit(What::Open {
            node: self.server,
            connections: open,
        });
    }

    /// Draws when `client`'s connection drops next (none at rate 0); an
    /// earlier drop timer becomes stale.
    pub fn arm_drop<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>, client: NodeId) {
        let c = &mut self.clients[client as usize];
        c.drop_timer += 1;
        let timer = c.drop_timer;
        if let Some(gap) = exp_gap(self.drops_per_min / 60.0, &mut cx.rng.client) {
            cx.after(gap, (self.drop)(client, timer));
        }
    }

    /// Writes a message down `client`'s connection, behind what was written
    /// to it before.
    pub fn write<M: Model<Timer = T>>(
        &mut self,
        cx: &mut Cx<'_, M>,
        client: NodeId,
        kind: MsgKind,
        req: ReqId,
        body: M::Msg,
    ) {
        let not_before = self.clients[client as usize].last_arrival;
        let t = cx.send_not_before(client * 2 + 1, kind, req, body, not_before);
        self.clients[client as usize].last_arrival = t.arrive_at;
    }

    /// `client`'s (re)connect request reached the server: the connection is
    /// open and counted.
    pub fn opened<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>, client: NodeId) {
        self.clients[client as usize].open = true;
        self.report_open(cx);
    }

    /// The drop timer `timer` of `client` fired: unless it is stale, the
    /// connection closes, is counted, and the client will reopen it.
    pub fn dropped<M: Model<Timer = T>>(&mut self, cx: &mut Cx<'_, M>, client: NodeId, timer: u64) {
        let c = &mut self.clients[client as usize];
        if !c.open || c.drop_timer != timer {
            return;
        }
        c.open = false;
        c.generation += 1;
        c.last_arrival = 0;
        self.report_open(cx);
        cx.after(self.reconnect, (self.reopen)(client));
    }

    /// Applies `drops_per_min` or `reconnect_ms`; false for any other
    /// parameter.
    pub fn set_param<M: Model<Timer = T>>(
        &mut self,
        cx: &mut Cx<'_, M>,
        id: &str,
        value: f64,
    ) -> bool {
        match id {
            "drops_per_min" => {
                self.drops_per_min = value;
                // Re-arm every open connection's drop clock at the new rate
                // (memoryless, so drawing afresh is exact).
                for client in 0..self.clients() {
                    if self.is_open(client) {
                        self.arm_drop(cx, client);
                    }
                }
            }
            "reconnect_ms" => self.reconnect = time::from_ms(value),
            _ => return false,
        }
        true
    }
}
