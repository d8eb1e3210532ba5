//! A real `nats-server` (JetStream on, a free port, its own store) and
//! Switchboard replicas joined to it: in this process, or as the
//! `switchboard` binary (so that a test can kill one outright).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use server::class::cluster::Cluster;
use server::limits::Limits;
use server::serve::Config;

use super::Running;

/// A `nats-server` process, killed when dropped.
pub struct Nats {
    child: Child,
    pub url: String,
    _store: TempDir,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "switchboard-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads `child`'s stderr (or stdout) lines until one contains `marker`;
/// returns the rest of that line after it. Later lines are drained in the
/// background so the child never blocks on a full pipe.
fn wait_for_line(stream: impl std::io::Read + Send + 'static, marker: &str) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = marker.to_string();
    std::thread::spawn(move || {
        let marker = wanted;
        let mut tx = Some(tx);
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(at) = line.find(&marker) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(line[at + marker.len()..].trim().to_string());
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(15))
        .unwrap_or_else(|_| panic!("no line with {marker:?} within 15 s"))
}

impl Nats {
    /// Starts `nats-server -js` on a free loopback port.
    pub fn start() -> Nats {
        let store = TempDir::new("nats");
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", "-1", "-sd"])
            .arg(&store.0)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => panic!(
                "cannot start nats-server ({e}): `make test` installs it (Debian package nats-server)"
            ),
        };
        let rest = wait_for_line(
            child.stderr.take().unwrap(),
            "Listening for client connections on ",
        );
        Nats {
            child,
            url: format!("nats://{rest}"),
            _store: store,
        }
    }
}

/// A replica in this process, on port 0, joined to `nats`.
pub async fn replica(nats: &Nats, limits: Limits) -> Running {
    let cluster = Cluster::join(&nats.url).await.expect("the replica joins");
    super::serve_config(Config {
        site_root: "target/site".into(),
        limits,
        allow_origins: Vec::new(),
        threads: 1,
        cluster: Some(cluster),
    })
    .await
}

/// A replica as its own process (the `switchboard` binary), killed when
/// dropped.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    pub fn start(nats: &Nats) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["serve", "--addr", "127.0.0.1:0", "--threads", "1", "--nats"])
            .arg(&nats.url)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the switchboard binary starts");
        let rest = wait_for_line(
            child.stdout.take().unwrap(),
            "Switchboard serving on http://",
        );
        let addr = rest
            .split_whitespace()
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {rest:?}"));
        Process { child, addr }
    }

    /// SIGTERM, as an orchestrator stops a replica; waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // The shell's own `kill`: no procps needed.
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", self.child.id())])
            .status();
        self.child.wait().expect("the replica exits")
    }

    /// SIGKILL: no goodbye, no final record; its heartbeat just stops.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
