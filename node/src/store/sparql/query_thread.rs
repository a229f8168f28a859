//! Threads that parse and evaluate queries, each with a stack sized for the node's shape
//! limits ([`super::limits::QueryShapeLimits::stack_bytes`]).
//!
//! tokio's blocking pool gives every thread the same 2 MiB stack, less than a query the
//! limits admit may need (a 64-deep nesting of sub-selects takes ~350 KB to parse; a
//! 32,000-link chain in 64 KiB of text ~16 MB to scope and drop). So each query gets a
//! thread of its own, spawned for it (tens of microseconds against milliseconds for any
//! query); the node's concurrency permits bound how many run at once. The stack is reserved
//! address space: pages are only committed as deep queries touch them.

use super::error::SparqlError;

/// Runs `work` on a new thread with `stack_bytes` of stack and returns its result.
pub(crate) async fn run<T: Send + 'static>(
    stack_bytes: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SparqlError> {
    let (answer, result) = tokio::sync::oneshot::channel();
    let span = tracing::Span::current();
    std::thread::Builder::new()
        .name("hanse-query".into())
        .stack_size(stack_bytes)
        .spawn(move || {
            let _entered = span.enter();
            // The receiver may be gone (the request timed out); the work is done either way.
            let _ = answer.send(work());
        })
        .map_err(|e| SparqlError::Internal(format!("cannot start a query thread: {e}")))?;
    result
        .await
        .map_err(|_| SparqlError::Internal("the query thread stopped unexpectedly".into()))
}
