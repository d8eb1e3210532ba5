//! The simulation threads: where every session's engine runs, so that no
//! simulation work ever runs on an async worker.
//!
//! A fixed set of threads, one per core, takes jobs from one FIFO queue. A
//! session has at most one job queued or running at a time, and each job is
//! bounded by the session's CPU budget per tick, so sessions take turns:
//! a heavy session waits its turn like everybody else and cannot starve
//! the ordinary ones, and the async workers stay free for sockets and pages.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Handle to the simulation threads; cheap to clone.
#[derive(Clone)]
pub struct Simulators {
    queue: mpsc::Sender<Job>,
    /// How many threads serve the queue (for logs and benchmarks).
    pub threads: usize,
}

impl Simulators {
    /// Starts `threads` simulation threads (at least one).
    pub fn start(threads: usize) -> Simulators {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = thread::Builder::new()
                .name(format!("simulation-{i}"))
                .spawn(move || loop {
                    // The lock is held only while taking the next job.
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start simulation thread {i}: {e}");
            }
        }
        Simulators { queue: tx, threads }
    }

    /// One thread per core the process may use.
    pub fn per_core() -> Simulators {
        Simulators::start(thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on a simulation thread; its result arrives on the
    /// receiver. If the threads are gone the receiver reports an error.
    pub fn run<T, F>(&self, work: F) -> oneshot::Receiver<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let _ = self.queue.send(Box::new(move || {
            let _ = tx.send(work());
        }));
        rx
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
            .run(|| {
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
                sims.run(move || order.lock().unwrap().push(i))
            })
            .collect();
        for w in waits {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
