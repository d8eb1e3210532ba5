//! Rooms across replicas (`switchboard serve --nats URL`).
//!
//! Every replica connects to one NATS server (JetStream enabled). The room
//! registry is a key-value bucket (`switchboard_rooms`: join code →
//! [`RoomRecord`]); each replica keeps a key in `switchboard_replicas`,
//! whose entries expire after [`ALIVE_FOR`] unless refreshed.
//!
//! - The replica that created a room *owns* it: it simulates the room's
//!   panes (as in a single process) and publishes each frame once on
//!   `switchboard.frames.<code>.<pane>` ([`owner`]).
//! - Any other replica a member lands on *mirrors* the room: one
//!   subscription per pane, shared by its local members; a catch-up
//!   requested from the owner once; presenters' controls forwarded to the
//!   owner ([`mirror`]).
//! - When an owner's key expires, a replica takes its rooms over by
//!   replaying each pane's recipe to where it stood ([`takeover`]).
//!
//! Without `--nats` none of this exists and rooms are local.

pub mod mirror;
pub mod owner;
pub mod takeover;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::class::host::Host;
use crate::class::room::{Kind, Numbered, Outlet};

pub use wire::RoomRecord;

/// How long a replica counts as alive after its last heartbeat.
pub const ALIVE_FOR: Duration = Duration::from_secs(2);
/// How often a replica says it is alive, reports its members and looks
/// for rooms whose owner is gone.
pub const BEAT: Duration = Duration::from_millis(500);
/// How long a request to another replica may take.
pub const ASK_WITHIN: Duration = Duration::from_secs(3);

const ROOMS_BUCKET: &str = "switchboard_rooms";
const REPLICAS_BUCKET: &str = "switchboard_replicas";

/// This replica's place in the set.
pub struct Cluster {
    /// This replica's name (random, per process).
    pub replica: String,
    pub client: async_nats::Client,
    pub registry: kv::Store,
    alive: kv::Store,
    /// Every room code in the registry, kept by watching the bucket (the
    /// client's key listing can wait forever when a key is written while
    /// it lists).
    codes: Mutex<HashSet<String>>,
    /// The relay tasks of the rooms mirrored here, by code.
    links: Mutex<HashMap<String, mirror::Links>>,
    /// One mirror opening at a time, so that joiners arriving together
    /// share one.
    opening: tokio::sync::Mutex<()>,
}

/// The subject a room pane's frames go out on.
pub fn frames_subject(code: &str, pane: usize) -> String {
    format!("switchboard.frames.{code}.{pane}")
}

/// The subject a room's owner answers on.
pub fn ask_subject(code: &str) -> String {
    format!("switchboard.ask.{code}")
}

/// The subject a room's owner says it closed on.
pub fn closed_subject(code: &str) -> String {
    format!("switchboard.closed.{code}")
}

/// Where a pane simulated here publishes its frames for other replicas:
/// the outlet the registry gives the room's drivers.
struct Publisher {
    client: async_nats::Client,
    subject: async_nats::Subject,
}

impl Outlet for Publisher {
    /// Publishes a frame (copied once into its envelope). A failure is
    /// logged by the client and not retried: the local followers have it.
    fn send<'a>(&'a self, kind: Kind, n: &'a Numbered) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            let _ = self
                .client
                .publish(self.subject.clone(), wire::envelope(kind, n))
                .await;
        })
    }
}

impl Cluster {
    /// Connects to NATS at `url` and opens (or creates) the two buckets.
    pub async fn join(url: &str) -> Result<Arc<Cluster>, String> {
        let client = async_nats::ConnectOptions::new()
            .name("switchboard")
            .request_timeout(Some(ASK_WITHIN))
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| format!("cannot reach NATS at {url}: {e}"))?;
        let js = jetstream::new(client.clone());
        let registry = bucket(
            &js,
            kv::Config {
                bucket: ROOMS_BUCKET.into(),
                description: "Switchboard rooms: join code → owner, secret hash, recipes".into(),
                history: 1,
                ..Default::default()
            },
        )
        .await?;
        let alive = bucket(
            &js,
            kv::Config {
                bucket: REPLICAS_BUCKET.into(),
                description: "Switchboard replicas alive now".into(),
                // File storage, as the registry: a NATS server restarted on
                // its store loses neither.
                history: 1,
                max_age: ALIVE_FOR,
                ..Default::default()
            },
        )
        .await?;
        let replica = crate::class::codes::random_hex::<8>()?;
        let cluster = Arc::new(Cluster {
            replica,
            client,
            registry,
            alive,
            codes: Mutex::new(HashSet::new()),
            links: Mutex::new(HashMap::new()),
            opening: tokio::sync::Mutex::new(()),
        });
        cluster.beat().await?;
        Ok(cluster)
    }

    /// Where pane `pane` of room `code`, simulated here, publishes.
    pub fn outlet(&self, code: &str, pane: usize) -> Arc<dyn Outlet> {
        Arc::new(Publisher {
            client: self.client.clone(),
            subject: frames_subject(code, pane).into(),
        })
    }

    /// The NATS server's largest message.
    pub fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    /// Says this replica is alive.
    async fn beat(&self) -> Result<(), String> {
        self.alive
            .put(&self.replica, Bytes::new())
            .await
            .map(|_| ())
            .map_err(|e| format!("cannot write to the NATS key-value store: {e}"))
    }

    /// Whether `replica` said it was alive within [`ALIVE_FOR`]. `None`:
    /// the store did not answer (nobody is declared dead for that).
    pub async fn is_alive(&self, replica: &str) -> Option<bool> {
        match self.alive.entry(replica).await {
            Ok(e) => Some(e.is_some_and(|e| e.operation == kv::Operation::Put)),
            Err(_) => None,
        }
    }

    /// The room codes in the registry now.
    pub fn codes(&self) -> Vec<String> {
        self.codes
            .lock()
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Keeps [`Cluster::codes`] as the registry changes.
    async fn watch_registry(self: Arc<Self>) {
        loop {
            if let Ok(mut changes) = self.registry.watch_all().await {
                while let Some(Ok(e)) = changes.next().await {
                    if let Ok(mut codes) = self.codes.lock() {
                        if e.operation == kv::Operation::Put {
                            codes.insert(e.key);
                        } else {
                            codes.remove(&e.key);
                        }
                    }
                }
            }
            tokio::time::sleep(BEAT).await;
        }
    }

    /// A room's record and its revision (`None`: no such room, or deleted).
    pub async fn record(&self, code: &str) -> Option<(RoomRecord, u64)> {
        let e = self.registry.entry(code).await.ok()??;
        if e.operation != kv::Operation::Put {
            return None;
        }
        Some((RoomRecord::decode(&e.value)?, e.revision))
    }

    /// This replica's heartbeat, members' reports and takeovers, until the
    /// server stops; then it leaves the set at once, so that another
    /// replica takes its rooms over without waiting for its key to expire.
    pub async fn run(self: Arc<Self>, host: Arc<dyn Host>) {
        let watcher = tokio::spawn(Arc::clone(&self).watch_registry());
        let mut every = tokio::time::interval(BEAT);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stopping = host.shutdown().triggered();
        tokio::pin!(stopping);
        loop {
            tokio::select! {
                _ = &mut stopping => break,
                _ = every.tick() => {}
            }
            if let Err(e) = self.beat().await {
                tracing::warn!("{e}");
                continue;
            }
            mirror::report(&self, host.as_ref()).await;
            takeover::look(&self, &host).await;
        }
        watcher.abort();
        owner::leave(&self, host.as_ref()).await;
        let _ = self.alive.purge(&self.replica).await;
        let _ = self.client.flush().await;
    }
}

/// Opens a key-value bucket, creating it if it does not exist. Replicas
/// starting together race to create it: a creation refused because another
/// replica's won ("subjects overlap") opens the bucket that replica made.
async fn bucket(js: &jetstream::Context, config: kv::Config) -> Result<kv::Store, String> {
    if let Ok(store) = js.get_key_value(&config.bucket).await {
        return Ok(store);
    }
    let name = config.bucket.clone();
    match js.create_key_value(config).await {
        Ok(store) => Ok(store),
        Err(e) => js.get_key_value(&name).await.map_err(|_| {
            format!("cannot open the NATS key-value bucket {name} (is JetStream on? `nats-server -js`): {e}")
        }),
    }
}
