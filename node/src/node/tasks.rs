//! The node's long-running tasks, owned in one place: each is spawned with a name into one
//! `JoinSet`, and shutdown drains the set within a bound, then aborts what is left and names it.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::task::{Id, JoinSet};

/// What a task ended with: nothing, or what went wrong.
pub type TaskResult = Result<(), String>;

/// The supervised tasks of a running node.
#[derive(Default)]
pub struct NodeTasks {
    set: JoinSet<TaskResult>,
    names: HashMap<Id, &'static str>,
}

/// A task that ended with an error or did not end in time.
#[derive(Debug)]
pub struct TaskFailure {
    /// The task's name.
    pub name: &'static str,
    /// What happened.
    pub error: String,
}

impl NodeTasks {
    /// Runs `task` as the node's task `name` until it ends or shutdown drains it.
    pub fn spawn(
        &mut self,
        name: &'static str,
        task: impl Future<Output = TaskResult> + Send + 'static,
    ) {
        let handle = self.set.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// The number of tasks still running.
    pub fn running(&self) -> usize {
        self.set.len()
    }

    /// Waits for every task (they were told to stop) for at most `bound`, then aborts the
    /// rest; returns the tasks that failed, panicked or had to be aborted.
    pub async fn drain(mut self, bound: Duration) -> Vec<TaskFailure> {
        let mut failures = Vec::new();
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let next = tokio::time::timeout_at(deadline, self.set.join_next_with_id()).await;
            match next {
                Ok(None) => break,
                Ok(Some(Ok((id, result)))) => {
                    let name = self.names.remove(&id).unwrap_or("unnamed");
                    if let Err(error) = result {
                        failures.push(TaskFailure { name, error });
                    }
                }
                Ok(Some(Err(e))) => {
                    let name = self.names.remove(&e.id()).unwrap_or("unnamed");
                    failures.push(TaskFailure {
                        name,
                        error: format!("the task failed: {e}"),
                    });
                }
                Err(_) => {
                    for name in self.names.values() {
                        tracing::warn!(task = name, "did not stop within {bound:?}: aborted");
                        failures.push(TaskFailure {
                            name,
                            error: format!("did not stop within {bound:?}"),
                        });
                    }
                    self.set.shutdown().await;
                    break;
                }
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_reports_failures_and_aborts_what_does_not_stop() {
        let mut tasks = NodeTasks::default();
        tasks.spawn("fine", async { Ok(()) });
        tasks.spawn("failing", async { Err("broken".to_owned()) });
        tasks.spawn("stuck", std::future::pending());
        assert_eq!(tasks.running(), 3);
        let mut failures = tasks.drain(Duration::from_millis(200)).await;
        failures.sort_by_key(|f| f.name);
        let names: Vec<_> = failures.iter().map(|f| f.name).collect();
        assert_eq!(names, ["failing", "stuck"]);
        assert_eq!(failures[0].error, "broken");
        assert!(
            failures[1].error.contains("did not stop"),
            "{}",
            failures[1].error
        );
    }
}
