//! The simulation threads: where every session's engine runs, so that no
//! simulation work ever runs on an async worker.
//!
//! A fixed set of threads, one per core, takes jobs from two FIFO queues.
//! A session has at most one job queued or running at a time, and each job
//! is bounded by the session's CPU budget per tick. Jobs of sessions that
//! used their whole budget last time (heavy ones) wait in the second queue,
//! taken only when the first is empty: an ordinary session's short job is
//! never stuck behind a row of heavy ones, and heavy sessions share what is
//! left in turn. The async workers stay free for sockets and pages.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The two queues, light first.
#[derive(Default)]
struct Queues {
    light: VecDeque<Job>,
    heavy: VecDeque<Job>,
}

struct Inner {
    queues: Mutex<Queues>,
    ready: Condvar,
}

/// Handle to the simulation threads; cheap to clone.
#[derive(Clone)]
pub struct Simulators {
    inner: Arc<Inner>,
    /// How many threads serve the queues (for logs and benchmarks).
    pub threads: usize,
}

/// How a job is queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    /// An ordinary tick: served first.
    Light,
    /// A session that spent its whole CPU budget last tick.
    Heavy,
}

impl Simulators {
    /// Starts `threads` simulation threads (at least one).
    pub fn start(threads: usize) -> Simulators {
        let threads = threads.max(1);
        let inner = Arc::new(Inner {
            queues: Mutex::new(Queues::default()),
            ready: Condvar::new(),
        });
        for i in 0..threads {
            let inner = Arc::clone(&inner);
            let spawned = thread::Builder::new()
                .name(format!("simulation-{i}"))
                .spawn(move || serve(&inner));
            if let Err(e) = spawned {
                tracing::error!("cannot start simulation thread {i}: {e}");
            }
        }
        Simulators { inner, threads }
    }

    /// One thread per core the process may use.
    pub fn per_core() -> Simulators {
        Simulators::start(thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on a simulation thread; its result arrives on the
    /// receiver.
    pub fn run<T, F>(&self, weight: Weight, work: F) -> oneshot::Receiver<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        if let Ok(mut q) = self.inner.queues.lock() {
            match weight {
                Weight::Light => q.light.push_back(job),
                Weight::Heavy => q.heavy.push_back(job),
            }
            self.inner.ready.notify_one();
        }
        rx
    }
}

/// A simulation thread: light jobs first, then heavy ones, forever.
fn serve(inner: &Inner) {
    loop {
        let job = {
            let Ok(mut q) = inner.queues.lock() else {
                return;
            };
            loop {
                if let Some(job) = q.light.pop_front().or_else(|| q.heavy.pop_front()) {
                    break job;
                }
                q = match inner.ready.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        job();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_async_workers_and_come_back() {
        let sims = Simulators::start(2);
        let here = thread::current().id();
        let (n, id, name) = sims
            .run(Weight::Light, || {
                let t = thread::current();
                (
                    (1..=10u64).sum::<u64>(),
                    t.id(),
                    t.name().map(str::to_owned),
                )
            })
            .await
            .unwrap();
        assert_eq!(n, 55);
        assert_ne!(id, here);
        assert!(name.unwrap().starts_with("simulation-"));
    }

    #[tokio::test]
    async fn jobs_are_served_in_turn() {
        let sims = Simulators::start(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        let waits: Vec<_> = (0..5)
            .map(|i| {
                let order = Arc::clone(&order);
                sims.run(Weight::Light, move || order.lock().unwrap().push(i))
            })
            .collect();
        for w in waits {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn light_jobs_go_before_waiting_heavy_ones() {
        let sims = Simulators::start(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        // Hold the only thread so that the others queue up.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = sims.run(Weight::Heavy, move || {
            let _ = hold.recv();
        });
        let mut waits = Vec::new();
        for (i, w) in [
            (1, Weight::Heavy),
            (2, Weight::Light),
            (3, Weight::Heavy),
            (4, Weight::Light),
        ] {
            let order = Arc::clone(&order);
            waits.push(sims.run(w, move || order.lock().unwrap().push(i)));
        }
        release.send(()).unwrap();
        busy.await.unwrap();
        for w in waits {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![2, 4, 1, 3]);
    }
}
