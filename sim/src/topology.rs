//! Nodes and links: the picture a pattern is drawn on.
//!
//! A [`Topology`] is data, sent once to each viewer when a run starts. The
//! browser lays it out by node kind; the engine uses the links to decide how
//! long each message takes on the wire and whether it is lost.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::time::Time;

/// Index of a node in [`Topology::nodes`].
pub type NodeId = u16;
/// Index of a link in [`Topology::links`].
pub type LinkId = u16;

/// What part a node plays; decides where the browser draws it and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Client,
    Gateway,
    Service,
    Broker,
    Worker,
    Subscriber,
    JobStore,
}

/// A party that sends, receives, queues or serves messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// Shown under the node on the canvas.
    pub label: String,
    /// Parallel workers; 0 for nodes that do no work (clients).
    pub workers: u32,
    /// Waiting room in front of the workers; 0 for nodes without a queue.
    pub queue_cap: u32,
}

/// A directed network hop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub id: LinkId,
    pub from: NodeId,
    pub to: NodeId,
    /// Base one-way latency.
    pub net: Time,
    /// Extra latency drawn uniformly from `[0, jitter]` per message, so
    /// messages can overtake each other as on a real network.
    pub jitter: Time,
    /// Probability that a message on this hop is lost.
    pub loss: f64,
    /// A hop that never loses a message (a TCP stream, the pattern's own
    /// backbone): the loss slider leaves it at 0. The engine's business,
    /// not the picture's.
    #[serde(skip)]
    pub reliable: bool,
}

impl Link {
    /// Draws this message's transit time and whether it is lost.
    ///
    /// Always makes exactly two draws so that the network stream stays
    /// aligned whatever the parameters.
    pub fn transit<R: Rng + ?Sized>(&self, rng: &mut R) -> (Time, bool) {
        let u: f64 = rng.random();
        let l: f64 = rng.random();
        let extra = crate::time::from_ns(u * self.jitter as f64);
        (self.net + extra, l < self.loss)
    }
}

/// All the nodes and links of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
}

impl Topology {
    /// Adds a node and returns its id.
    pub fn add_node(
        &mut self,
        kind: NodeKind,
        label: String,
        workers: u32,
        queue_cap: u32,
    ) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            id,
            kind,
            label,
            workers,
            queue_cap,
        });
        id
    }

    /// Adds a link and returns its id.
    pub fn add_link(
        &mut self,
        from: NodeId,
        to: NodeId,
        net: Time,
        jitter: Time,
        loss: f64,
    ) -> LinkId {
        let id = self.links.len() as LinkId;
        self.links.push(Link {
            id,
            from,
            to,
            net,
            jitter,
            loss,
            reliable: false,
        });
        id
    }

    /// Adds a link from `from` to `to` with the run's network parameters
    /// (`net_ms`, `jitter_ms`, and `loss` where the pattern has it).
    pub fn connect(&mut self, from: NodeId, to: NodeId, p: &crate::params::ParamSet) -> LinkId {
        let id = self.links.len() as LinkId;
        self.links.push(Link {
            id,
            from,
            to,
            net: 0,
            jitter: 0,
            loss: 0.0,
            reliable: false,
        });
        self.set_link_from(id, p);
        id
    }

    /// Adds `n` parties of `kind` that do no work, labelled "`name` 1" to
    /// "`name` n"; returns their ids.
    pub fn add_parties(&mut self, kind: NodeKind, name: &str, n: u16) -> std::ops::Range<NodeId> {
        let first = self.nodes.len() as NodeId;
        for i in 0..n {
            self.add_node(kind, format!("{name} {}", i + 1), 0, 0);
        }
        first..first + n
    }

    /// The common picture of a direct pattern: `clients` parties called
    /// `name` and one service node called `service` with the run's
    /// `workers` and `queue_cap`, each party linked to it and back (links
    /// 2i up, 2i + 1 down). Returns the service node.
    pub fn clients_and_service(
        &mut self,
        p: &crate::params::ParamSet,
        name: &str,
        service: &str,
    ) -> NodeId {
        let parties = self.add_parties(NodeKind::Client, name, p.get("clients") as u16);
        let (workers, queue_cap) = (p.get("workers") as u32, p.get("queue_cap") as u32);
        let node = self.add_node(NodeKind::Service, service.into(), workers, queue_cap);
        self.connect_all(parties, node, p);
        node
    }

    /// Links each of `parties` to `hub` and back (links 2i and 2i + 1 for
    /// the i-th party when they are the first links).
    pub fn connect_all(
        &mut self,
        parties: std::ops::Range<NodeId>,
        hub: NodeId,
        p: &crate::params::ParamSet,
    ) {
        for i in parties {
            self.connect(i, hub, p);
            self.connect(hub, i, p);
        }
    }

    /// Like [`Topology::connect_all`], over hops that never lose a message.
    pub fn connect_all_reliable(
        &mut self,
        parties: std::ops::Range<NodeId>,
        hub: NodeId,
        p: &crate::params::ParamSet,
    ) {
        let first = self.links.len();
        self.connect_all(parties, hub, p);
        self.make_reliable(first..self.links.len());
    }

    /// Like [`Topology::connect`], for a hop that never loses a message.
    pub fn connect_reliable(
        &mut self,
        from: NodeId,
        to: NodeId,
        p: &crate::params::ParamSet,
    ) -> LinkId {
        let id = self.connect(from, to, p);
        self.make_reliable(id as usize..id as usize + 1);
        id
    }

    /// Links `ids` never lose a message, whatever `loss` says.
    fn make_reliable(&mut self, ids: std::ops::Range<usize>) {
        for l in &mut self.links[ids] {
            l.reliable = true;
            l.loss = 0.0;
        }
    }

    /// Sets one link from the run's network parameters.
    fn set_link_from(&mut self, id: LinkId, p: &crate::params::ParamSet) {
        let loss = if p.spec("loss").is_ok() {
            p.get("loss")
        } else {
            0.0
        };
        let l = &mut self.links[id as usize];
        l.net = crate::time::from_ms(p.get("net_ms"));
        l.jitter = crate::time::from_ms(p.get("jitter_ms"));
        l.loss = if l.reliable { 0.0 } else { loss };
    }

    /// Sets every link from the run's `net_ms`, `jitter_ms` and (where the
    /// pattern has it) `loss` parameters; reliable links keep a loss of 0.
    pub fn set_network_from(&mut self, p: &crate::params::ParamSet) {
        for id in 0..self.links.len() {
            self.set_link_from(id as LinkId, p);
        }
    }
}
