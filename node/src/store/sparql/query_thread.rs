//! Threads that parse and evaluate queries, each with a stack sized for the node's shape
//! limits ([`super::limits::QueryShapeLimits::stack_bytes`]).
//!
//! tokio's blocking pool gives every thread the same 2 MiB stack, less than a query the
//! limits admit may need (a 64-deep nesting of sub-selects takes ~350 KB to parse; a
//! 32,000-link chain in 64 KiB of text ~16 MB to scope and drop). So queries run on threads
//! of their own. Spawning one costs ~130 µs here (2026-12-07, 2 cores), twice a query (parse,
//! evaluate): a tenth of the whole endpoint overhead on a 6 ms query. So finished threads wait
//! [`IDLE_FOR`] for the next job before they exit. The node's concurrency permits bound how
//! many evaluate at once; idle threads are bounded by the busiest moment and leave when it is
//! over. The stack is reserved address space: pages are only committed as deep queries touch
//! them.

use super::error::SparqlError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a finished query thread waits for the next job before it exits.
const IDLE_FOR: Duration = Duration::from_secs(30);

type Job = Box<dyn FnOnce() + Send>;

/// The waiting threads of one stack size.
struct Pool {
    stack_bytes: usize,
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    /// Threads waiting for a job and not yet promised one.
    idle: Arc<AtomicUsize>,
}

impl Pool {
    fn new(stack_bytes: usize) -> Self {
        let (jobs, queue) = channel();
        Self {
            stack_bytes,
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            idle: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Hands `job` to a waiting thread, or to a new one when none waits.
    fn execute(&self, job: Job) -> std::io::Result<()> {
        if claim(&self.idle) {
            // A waiting thread was promised this job: it takes it before it may exit.
            return match self.jobs.send(job) {
                Ok(()) => Ok(()),
                Err(returned) => self.spawn(returned.0),
            };
        }
        self.spawn(job)
    }

    fn spawn(&self, first: Job) -> std::io::Result<()> {
        let (queue, idle) = (Arc::clone(&self.queue), Arc::clone(&self.idle));
        std::thread::Builder::new()
            .name("hanse-query".into())
            .stack_size(self.stack_bytes)
            .spawn(move || {
                first();
                wait_for_jobs(&queue, &idle);
            })
            .map(drop)
    }
}

/// Takes one waiting thread out of `idle`; false when none waits.
fn claim(idle: &AtomicUsize) -> bool {
    idle.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

/// A finished thread's life: take jobs until none came for [`IDLE_FOR`] and none is promised.
fn wait_for_jobs(queue: &Mutex<Receiver<Job>>, idle: &AtomicUsize) {
    loop {
        idle.fetch_add(1, Ordering::AcqRel);
        loop {
            let next = match queue.lock() {
                Ok(receiver) => receiver.recv_timeout(IDLE_FOR),
                // A thread that panicked while holding the lock: leave, others spawn anew.
                Err(_) => return,
            };
            match next {
                Ok(job) => {
                    job();
                    break;
                }
                // Leave only if no job was promised to this thread meanwhile.
                Err(RecvTimeoutError::Timeout) if claim(idle) => return,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// One pool per stack size (a node has one; tests start nodes with other limits).
fn pool(stack_bytes: usize) -> Result<Arc<Pool>, SparqlError> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<Pool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| SparqlError::Internal("the query thread pools are poisoned".into()))?;
    Ok(Arc::clone(
        pools
            .entry(stack_bytes)
            .or_insert_with(|| Arc::new(Pool::new(stack_bytes))),
    ))
}

/// Runs `work` on a query thread with `stack_bytes` of stack and returns its result.
pub(crate) async fn run<T: Send + 'static>(
    stack_bytes: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SparqlError> {
    let (answer, result) = tokio::sync::oneshot::channel();
    let span = tracing::Span::current();
    pool(stack_bytes)?
        .execute(Box::new(move || {
            let _entered = span.enter();
            // The receiver may be gone (the request timed out); the work is done either way.
            let _ = answer.send(work());
        }))
        .map_err(|e| SparqlError::Internal(format!("cannot start a query thread: {e}")))?;
    result
        .await
        .map_err(|_| SparqlError::Internal("the query thread stopped unexpectedly".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finished_threads_take_the_next_jobs_and_answers_come_back() {
        // A stack size of its own, so no other test's threads are in this pool.
        let stack = 3 * 1024 * 1024 + 4096;
        let first = run(stack, || std::thread::current().id()).await.unwrap();
        // The thread counts itself idle just after it answered.
        let pool = pool(stack).unwrap();
        for _ in 0..500 {
            if pool.idle.load(Ordering::Acquire) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let second = run(stack, || std::thread::current().id()).await.unwrap();
        assert_eq!(first, second, "the waiting thread took the job");
        let mut jobs = tokio::task::JoinSet::new();
        for i in 0..8usize {
            jobs.spawn(run(stack, move || i * 2));
        }
        let mut answers: Vec<usize> = jobs
            .join_all()
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        answers.sort_unstable();
        assert_eq!(answers, (0..8).map(|i| i * 2).collect::<Vec<_>>());
    }
}
