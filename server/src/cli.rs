//! Command line: `switchboard serve` (the default), `switchboard simulate`
//! and `switchboard sweep` (`crate::sweeps`).
//!
//! `simulate` runs a pattern headless in virtual time, as fast as the
//! machine allows, and prints one JSON report or a per-second CSV. Every
//! refusal (unknown pattern or parameter, value out of range) is one line on
//! stderr naming the problem and the valid range, with exit code 2.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Instant;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sim::run::Options;
use sim::{find_pattern, Simulation};

use crate::limits::Limits;

#[derive(Parser, Debug)]
#[command(
    name = "switchboard",
    version,
    about = "A live lab for API communication patterns."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the dashboard (the default when no command is given).
    Serve(ServeArgs),
    /// Run a pattern headless in virtual time and print a report.
    Simulate(SimulateArgs),
    /// Run a pattern at each of a range of values of one parameter, several
    /// replications each, and print every figure's mean, 95 % confidence
    /// half-width and closed form: the curve behind a slider.
    Sweep(SweepArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// value,figure,mean,ci95,n,theory: one row per point and figure.
    Csv,
    /// One JSON object: per point its value, ρ, flags and every figure.
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    /// Pattern id, e.g. request-response.
    #[arg(long)]
    pub pattern: String,
    /// The parameter varied and its points: ID=FROM..TO:POINTS, e.g.
    /// rate=10..95:20 (points evenly spaced, ends included).
    #[arg(long, value_name = "ID=FROM..TO:POINTS")]
    pub vary: String,
    /// A parameter held at a value, as id=value; repeatable.
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub sets: Vec<String>,
    /// Independent replications per point (each its own seed, the same at
    /// every point: common random numbers).
    #[arg(long, default_value_t = 10)]
    pub reps: usize,
    /// Virtual seconds each replication runs (its warm-up is cut by MSER-5).
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub duration: f64,
    /// Seed the replications' seeds are derived from.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads to run replications on (0: one per core). The output is
    /// the same whatever the number.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[arg(long, value_enum, default_value_t = SweepFormat::Csv)]
    pub format: SweepFormat,
    /// A second alternative run on the same random streams: a pattern id
    /// and/or id=value settings, comma-separated (e.g. message-queue, or
    /// workers=2); prints its rows (vs.) and the paired differences (diff.).
    #[arg(long, value_name = "PATTERN,ID=VALUE")]
    pub vs: Option<String>,
    /// Add replications to a point until the mean wait's 95 % half-width is
    /// within this share of the mean (e.g. 5%), at most 200 a point.
    #[arg(long, value_name = "PERCENT")]
    pub precision: Option<String>,
}

impl SweepArgs {
    pub fn ask(&self) -> sim::sweep::Ask {
        sim::sweep::Ask {
            pattern: self.pattern.clone(),
            vary: self.vary.clone(),
            sets: self.sets.clone(),
            reps: self.reps,
            duration_s: self.duration,
            seed: self.seed,
            vs: self.vs.clone(),
            precision: self.precision.clone(),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Folder with the built site (pkg/switchboard.{js,wasm,css}, favicon).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Another origin whose pages may open sessions and post exports (e.g.
    /// https://class.example.org when a proxy serves the page under that
    /// name); repeatable. The server's own host is always allowed.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Most viewer sessions at once; more are told the server is full.
    #[arg(long, default_value_t = Limits::default().max_sessions, value_parser = clap::value_parser!(u32).range(1..=100_000).map(|v| v as usize))]
    pub max_sessions: usize,
    /// Most open TCP connections; more wait to be accepted.
    #[arg(long, default_value_t = Limits::default().max_connections, value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|v| v as usize))]
    pub max_connections: usize,
    /// Most exports running at once; more are refused with 503.
    #[arg(long, default_value_t = Limits::default().max_exports, value_parser = clap::value_parser!(u32).range(1..=64).map(|v| v as usize))]
    pub max_exports: usize,
    /// Most real runs ("Real vs model") at once; more wait in line.
    #[arg(long, default_value_t = Limits::default().max_real_runs, value_parser = clap::value_parser!(u32).range(1..=64).map(|v| v as usize))]
    pub max_real_runs: usize,
    /// Processor time one session may take per tick, in milliseconds.
    #[arg(long, default_value_t = Limits::default().tick_cpu.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub tick_cpu_ms: u64,
    /// Simulation threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Join a set of replicas through this NATS server (JetStream on, e.g.
    /// nats://127.0.0.1:4222): a class started on any replica can be
    /// followed from every replica, and survives the loss of its own.
    #[arg(long, env = "SWITCHBOARD_NATS", value_name = "URL")]
    pub nats: Option<String>,
    /// Seconds a new class waits for its teacher's page before it closes
    /// (and a class whose teacher left, when nobody follows it).
    #[arg(long, default_value_t = Limits::default().claim_grace.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub claim_grace_s: u64,
    /// Classes one client address may start in a burst…
    #[arg(long, default_value_t = Limits::default().rooms.burst, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub room_burst: u32,
    /// …and then per minute.
    #[arg(long, default_value_t = Limits::default().rooms.per_minute, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rooms_per_minute: u32,
    /// Unknown class codes one client address may try in a burst…
    #[arg(long, default_value_t = Limits::default().unknown_codes.burst, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub unknown_code_burst: u32,
    /// …and then per minute.
    #[arg(long, default_value_t = Limits::default().unknown_codes.per_minute, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub unknown_codes_per_minute: u32,
    /// Ballots (one prediction each) one client address's pages may get in a burst…
    #[arg(long, default_value_t = Limits::default().ballots.burst, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub ballot_burst: u32,
    /// …and then per minute.
    #[arg(long, default_value_t = Limits::default().ballots.per_minute, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub ballots_per_minute: u32,
    /// Behind a proxy: the header it puts the client's address in
    /// (X-Forwarded-For, X-Real-IP). Only when the proxy sets it: a client
    /// could send it too.
    #[arg(long, value_name = "HEADER")]
    pub client_ip_header: Option<String>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        let limits = Limits::default();
        ServeArgs {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()),
            allow_origins: Vec::new(),
            max_sessions: limits.max_sessions,
            max_connections: limits.max_connections,
            max_exports: limits.max_exports,
            max_real_runs: limits.max_real_runs,
            tick_cpu_ms: limits.tick_cpu.as_millis() as u64,
            threads: 0,
            nats: std::env::var("SWITCHBOARD_NATS").ok(),
            claim_grace_s: limits.claim_grace.as_secs(),
            room_burst: limits.rooms.burst,
            rooms_per_minute: limits.rooms.per_minute,
            unknown_code_burst: limits.unknown_codes.burst,
            unknown_codes_per_minute: limits.unknown_codes.per_minute,
            ballot_burst: limits.ballots.burst,
            ballots_per_minute: limits.ballots.per_minute,
            client_ip_header: None,
        }
    }
}

impl ServeArgs {
    /// The limits these flags ask for; the rest at their defaults.
    pub fn limits(&self) -> Limits {
        Limits {
            max_sessions: self.max_sessions,
            max_connections: self.max_connections,
            max_exports: self.max_exports,
            max_real_runs: self.max_real_runs,
            tick_cpu: std::time::Duration::from_millis(self.tick_cpu_ms),
            claim_grace: std::time::Duration::from_secs(self.claim_grace_s),
            rooms: crate::limits::Rate {
                per_minute: self.rooms_per_minute,
                burst: self.room_burst,
            },
            unknown_codes: crate::limits::Rate {
                per_minute: self.unknown_codes_per_minute,
                burst: self.unknown_code_burst,
            },
            ballots: crate::limits::Rate {
                per_minute: self.ballots_per_minute,
                burst: self.ballot_burst,
            },
            client_ip_header: self.client_ip_header.clone(),
            ..Limits::default()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object with the run's figures.
    Json,
    /// One row per virtual second: t,offered,completed,p50,p95,p99,queue_depth.
    Csv,
}

#[derive(Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Pattern id, e.g. request-response (or give --link).
    #[arg(long)]
    pub pattern: Option<String>,
    /// A parameter, as id=value; repeatable.
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub sets: Vec<String>,
    /// Virtual seconds to simulate.
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub duration: f64,
    /// Seed of the random streams; the same seed gives the same run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// A live change, as a link writes it: SECONDS:ID:VALUE (made at that
    /// virtual time, exactly); repeatable.
    #[arg(long = "change", value_name = "SECONDS:ID:VALUE")]
    pub changes: Vec<String>,
    /// Stop at this virtual second instead of --duration and print the
    /// state there: the figures so far, what each node holds and how many
    /// messages are on their links (what a link with `t=` opens).
    #[arg(long, allow_negative_numbers = true)]
    pub at: Option<f64>,
    /// A dashboard link (or its query) to run instead of --pattern, --set,
    /// --seed and --change: pane A's pattern, seed, start values and live
    /// changes, and its `t=` as --at unless --at is given. `@FILE` reads
    /// the link from a file (a run saved as its link).
    #[arg(long, value_name = "LINK", conflicts_with_all = ["pattern", "sets", "changes"])]
    pub link: Option<String>,
    /// Run the recipe for real as well, over real sockets on this machine's
    /// loopback (--duration real seconds, at most 120), and print the model
    /// and the real run side by side as JSON.
    #[arg(long, conflicts_with_all = ["changes", "at", "link"])]
    pub real: bool,
}

/// Longest headless run, in virtual seconds.
pub const MAX_DURATION_S: f64 = 1_000_000.0;

/// Runs `simulate`: the text for stdout, or the one-line error for stderr.
pub fn simulate(args: &SimulateArgs) -> Result<String, String> {
    if let Some(link) = &args.link {
        return simulate_link(args, link);
    }
    let id = args
        .pattern
        .as_deref()
        .ok_or("--pattern is needed (or --link with a dashboard link)")?;
    let info = find_pattern(id).map_err(|e| e.to_string())?;
    let mut params = info.defaults();
    for set in &args.sets {
        let (id, value) = set
            .split_once('=')
            .ok_or_else(|| format!("--set '{set}' is not of the form id=value"))?;
        params
            .set_str(id.trim(), value)
            .map_err(|e| e.to_string())?;
    }
    if args.real {
        if args.format == Format::Csv {
            return Err(
                "--real prints model and real side by side as JSON; leave out --format csv".into(),
            );
        }
        let report = crate::real::compare(
            params,
            args.seed,
            args.duration,
            crate::real::Limits::default(),
        )?;
        return serde_json::to_string_pretty(&report).map_err(|e| e.to_string());
    }
    let mut changes = Vec::new();
    for text in &args.changes {
        changes.push(sim::link::parse_change(info, text)?);
    }
    run(args, params, args.seed, changes, args.at)
}

/// `simulate --link`: pane A of a dashboard link, as the page opens it.
fn simulate_link(args: &SimulateArgs, link: &str) -> Result<String, String> {
    let read;
    let link = match link.strip_prefix('@') {
        Some(path) => {
            read = std::fs::read_to_string(path).map_err(|e| format!("--link @{path}: {e}"))?;
            read.trim()
        }
        None => link,
    };
    let query = link.split_once('?').map_or(link, |(_, q)| q);
    let settings = app::url::parse(query, sim::catalogue()[0]);
    if let Some(problem) = settings.problems.first() {
        return Err(format!("the link: {problem}"));
    }
    let pane = settings.panes.first().ok_or("the link has no pane")?;
    let mut params = pane.info.defaults();
    params.set_all(&pane.values).map_err(|e| e.to_string())?;
    run(
        args,
        params,
        settings.seed,
        pane.changes.clone(),
        args.at.or(settings.at),
    )
}

/// Runs `params` from `seed` with `changes`, to `at` (printing the state
/// there) or for the duration asked.
fn run(
    args: &SimulateArgs,
    params: sim::ParamSet,
    seed: u64,
    mut changes: Vec<sim::link::LinkChange>,
    at: Option<f64>,
) -> Result<String, String> {
    if !(args.duration.is_finite() && args.duration >= 0.001 && args.duration <= MAX_DURATION_S) {
        return Err(format!(
            "duration = {} is out of range: expected from 0.001 to {MAX_DURATION_S} virtual seconds",
            args.duration
        ));
    }
    if let Some(at) = at {
        if !(at.is_finite() && (0.0..=MAX_DURATION_S).contains(&at)) {
            return Err(format!(
                "at = {at} is not a moment of the run: expected from 0 to {MAX_DURATION_S} virtual seconds"
            ));
        }
        if args.format == Format::Csv {
            return Err("--at prints one moment as JSON; leave out --format csv".into());
        }
    }
    if changes.len() > sim::link::MAX_LINK_CHANGES {
        return Err(format!(
            "{} changes: a run takes at most {}",
            changes.len(),
            sim::link::MAX_LINK_CHANGES
        ));
    }
    changes.sort_by_key(|c| c.at);
    let until = match at {
        Some(at) => {
            sim::time::parse_exact_secs(&at.to_string()).unwrap_or_else(|| sim::time::from_secs(at))
        }
        None => sim::time::from_secs(args.duration),
    };
    let series = args.format == Format::Csv;
    let started = Instant::now();
    let mut sim = Simulation::new(
        params,
        seed,
        Options {
            keep_events: false,
            series,
        },
    );
    // Each change where the link (or the page's recipe) makes it: the run
    // advanced to its moment, then changed.
    for c in changes.iter().filter(|c| c.at <= until) {
        sim.advance_to(c.at);
        sim.set_param(c.spec.id, c.value)
            .map_err(|e| e.to_string())?;
    }
    sim.advance_to(until);
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    if at.is_some() {
        return state_at(&mut sim, wall_ms);
    }
    Ok(match args.format {
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&sim.summary(wall_ms)).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        Format::Csv => csv(&sim),
    })
}

/// The state of a run where it stopped, as JSON: its figures so far, each
/// node's queue and workers, the messages on their links.
fn state_at(sim: &mut Simulation, wall_ms: f64) -> Result<String, String> {
    let now = sim.now();
    let m = sim.moment(0, now, Vec::new());
    let nodes: Vec<serde_json::Value> = sim
        .topology()
        .nodes
        .iter()
        .zip(&m.nodes)
        .map(|(node, c)| {
            serde_json::json!({
                "node": node.label,
                "queued": c.queued,
                "busy": c.busy,
                "workers": c.workers.unwrap_or(node.workers),
                "open": c.open,
            })
        })
        .collect();
    let out = serde_json::json!({
        "at": sim::time::exact_secs(now),
        "summary": sim.summary(wall_ms),
        "nodes": nodes,
        "in_flight": m.flights_total,
    });
    let mut s = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

/// The per-second rows of a run made with `series: true`, as CSV (the
/// dashboard's export gives the same columns).
pub fn csv(sim: &Simulation) -> String {
    let mut s = String::from("t,offered,completed,p50,p95,p99,queue_depth\n");
    for r in sim.series() {
        let _ = writeln!(
            s,
            "{},{},{},{:.3},{:.3},{:.3},{:.3}",
            r.t, r.offered, r.completed, r.p50, r.p95, r.p99, r.queue_depth
        );
    }
    s
}

/// Flattens a clap error to one line: the message and its hints, without
/// the usage block.
pub fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}
