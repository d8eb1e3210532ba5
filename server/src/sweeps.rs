//! Sweeps on this machine's cores: runs the replications `sim::sweep` asks
//! for on a scoped set of threads (each result in the slot of its job, so
//! the output does not depend on which thread finished first), and the
//! `switchboard sweep` command around it.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use sim::sweep::{Job, Plan, Replication};

/// Runs `jobs` of `plan` on `threads` threads; the results in the jobs'
/// order. Once `cancel` is set no job starts, and the results stop at the
/// first job not run.
pub fn run_jobs(
    plan: &Plan,
    jobs: &[Job],
    threads: usize,
    cancel: &AtomicBool,
    low_priority: bool,
) -> Vec<Replication> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Replication>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            s.spawn(|| loop {
                if low_priority {
                    lower_priority();
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs.len() || cancel.load(Ordering::Relaxed) {
                    break;
                }
                let r = plan.run(jobs[i]);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map_while(|m| m.into_inner().ok().flatten())
        .collect()
}

/// Makes the calling thread yield to the live sessions: nice 10 (Linux
/// keeps a nice value per thread). A sweep from the page is background
/// work; a class's frames come first.
pub fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `gettid` and `setpriority` only read their arguments; a
    // failure leaves the priority as it was, which is harmless.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Threads to use: `asked`, or one per core when 0.
pub fn threads(asked: usize) -> usize {
    if asked > 0 {
        asked
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// `switchboard sweep`: the curve as CSV or JSON for stdout, notes (slow
/// points, runs over budget, how much pairing narrowed the intervals) for
/// stderr; or the one-line refusal.
pub fn command(
    ask: &sim::sweep::Ask,
    threads_asked: usize,
    json: bool,
) -> Result<(String, Vec<String>), String> {
    let plan = Plan::new(ask)?;
    let threads = threads(threads_asked);
    let cancel = AtomicBool::new(false);
    let progress = std::io::stderr().is_terminal();
    let total = plan.values.len();
    let curve = sim::sweep::sweep(
        &plan,
        |jobs| run_jobs(&plan, jobs, threads, &cancel, false),
        |i, p| {
            if progress {
                eprint!(
                    "\rpoint {}/{total} ({} = {}): {} replications   ",
                    i + 1,
                    plan.vary.id,
                    sim::sweep::num(p.value),
                    p.reps
                );
            }
        },
    );
    if progress {
        eprintln!();
    }
    let mut notes = Vec::new();
    for p in &curve.points {
        let at = format!("{} = {}", plan.vary.id, sim::sweep::num(p.value));
        if p.slow {
            notes.push(format!(
                "{at}: ρ = {:.2}, slow to converge — its interval may be too tight to trust",
                p.rho.unwrap_or(f64::NAN)
            ));
        }
        if p.over_budget > 0 {
            notes.push(format!(
                "{at}: {} of its runs went over a run's memory budget and are left out",
                p.over_budget
            ));
        }
    }
    if let Some(gain) = curve.pairing_gain("wait_ms.mean") {
        notes.push(format!(
            "paired differences (same random streams): the mean wait's 95 % interval is {gain:.1}× narrower than two independent runs of each point give (median over points)"
        ));
    }
    let out = if json {
        let mut s = serde_json::to_string_pretty(&curve.json(&plan)).map_err(|e| e.to_string())?;
        s.push('\n');
        s
    } else {
        curve.csv()
    };
    Ok((out, notes))
}
