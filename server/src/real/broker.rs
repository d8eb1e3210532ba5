//! A real `nats-server` for one real run: started on 127.0.0.1 on a port
//! of the system's choosing, with caps on what it holds (payload, pending
//! bytes per connection, connections, JetStream memory and no file store),
//! and killed — its directory removed — when the run drops it.
//!
//! The project starts it itself so a class's server needs nothing but the
//! `nats-server` program (`make test` installs the Debian package); a
//! machine without it refuses the run in words.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

use super::tap::{Capture, Tap};

/// The server's configuration: loopback only, and small.
const CONFIG: &str = "\
host: 127.0.0.1
port: -1
max_payload: 65536
max_pending: 8MB
max_connections: 128
jetstream {
  max_memory_store: 64MB
  max_file_store: 0
  store_dir: \"STORE\"
}
";

/// A running `nats-server`.
pub struct Broker {
    /// Where clients connect: `nats://127.0.0.1:port`.
    pub url: String,
    child: Child,
    dir: PathBuf,
}

impl Broker {
    /// Starts one; says why not when it cannot.
    pub async fn start() -> Result<Broker, String> {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("switchboard-nats-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot make the broker's directory: {e}"))?;
        let config = dir.join("nats.conf");
        let store = dir.join("store");
        let text = CONFIG.replace("STORE", &store.to_string_lossy());
        std::fs::write(&config, text)
            .map_err(|e| format!("cannot write the broker's configuration: {e}"))?;
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!(
                    "this pattern runs for real on a nats-server, which this machine cannot start ({e}); install the nats-server package"
                ));
            }
        };
        let Some(stderr) = child.stderr.take() else {
            return Err("the broker's log is not readable".into());
        };
        let mut broker = Broker {
            url: String::new(),
            child,
            dir,
        };
        let mut lines = BufReader::new(stderr).lines();
        const MARK: &str = "Listening for client connections on ";
        let listening = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find(MARK) {
                    return Some(line[at + MARK.len()..].trim().to_string());
                }
            }
            None
        };
        match tokio::time::timeout(Duration::from_secs(10), listening).await {
            Ok(Some(addr)) => broker.url = format!("nats://{addr}"),
            _ => return Err("the nats-server did not start listening within 10 s".into()),
        }
        // Its log is read (and dropped) for as long as it runs, so it never
        // blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(broker)
    }
}

/// Why a run's broker would not serve it, in words.
pub fn refused(e: impl std::fmt::Display) -> String {
    format!("the nats-server would not serve the run: {e}")
}

/// A NATS client of the run's broker at `url` (the broker's, or a
/// relay's in front of it).
pub async fn connect(url: &str) -> Result<async_nats::Client, String> {
    async_nats::connect(url).await.map_err(refused)
}

impl Broker {
    /// A relay in front of the broker for one client connection, whose
    /// frames `capture` keeps (the page's bytes): the client dials the
    /// returned URL and its bytes pass through unchanged both ways.
    pub async fn tapped(&self, capture: Arc<Mutex<Capture>>) -> Result<String, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on loopback: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let upstream = self.url.trim_start_matches("nats://").to_string();
        tokio::spawn(async move {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let Ok(broker) = TcpStream::connect(&upstream).await else {
                return;
            };
            let mut broker = Tap::new(broker, Capture::claim(&capture));
            let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
        });
        Ok(format!("nats://{addr}"))
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        // Reaped here (it dies within milliseconds of SIGKILL), so no
        // process of it outlives the run, not even as a zombie.
        for _ in 0..200 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
