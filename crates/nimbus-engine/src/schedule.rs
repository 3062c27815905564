//! The one scheduler: every command that does work in dependency order
//! (validate, plan, apply, destroy, refresh, drift) runs its nodes here.
//!
//! A node starts when every node it depends on has finished well. Starting
//! is synchronous (evaluation happens on the scheduler's task, so no
//! evaluation state is shared between threads) and yields zero or more jobs:
//! futures, polled concurrently, at most `parallelism` at once. A node
//! finishes when all its jobs have; if it failed, everything that depends
//! on it, directly or not, is skipped and told which node failed;
//! independent nodes carry on ("continue on error").
//!
//! The interruption rule, the same for every command: once the run is
//! interrupted (Ctrl-C), no interruptible node starts (it and what depends
//! on it are skipped as interrupted), and a job that has not begun its
//! work does not begin it ([`may_start`]); what is in flight finishes and
//! is recorded. Every node is visited once: the pass is linear in nodes
//! plus edges. Ready nodes start only while few jobs wait to run, so the
//! jobs held at once are bounded by the parallelism, not by the size of
//! the configuration.

use crate::events::{Event, EventSink};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};

/// One unit of concurrent work of a node.
pub(crate) type Job<'f, O> = Pin<Box<dyn Future<Output = O> + Send + 'f>>;

/// What starting a node gave.
pub(crate) enum Start<'f, O> {
    /// Finished on the spot (nothing to wait for).
    Done,
    /// Failed on the spot; the work has recorded why.
    Failed,
    /// Jobs to run; the node finishes when all have (none: at once).
    Jobs(Vec<Job<'f, O>>),
}

/// Why a node does not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// The run was interrupted before the node (or one it depends on)
    /// could start.
    Interrupted,
    /// `failed`, which the node depends on, directly or not, failed.
    DependencyFailed { failed: usize },
}

/// The order to schedule: nodes `0..len()`, each with the nodes that wait
/// for it.
pub(crate) trait Dag {
    fn len(&self) -> usize;
    /// How many nodes `node` waits for.
    fn dependency_count(&self, node: usize) -> usize;
    /// The nodes waiting for `node`.
    fn dependents(&self, node: usize) -> impl Iterator<Item = usize> + '_;
    /// The order in which nodes that are ready at the same time start
    /// (a topological order keeps evaluation order stable).
    fn start_order(&self) -> impl Iterator<Item = usize> + '_;
}

/// What the scheduler runs: the command-specific part.
pub(crate) trait Work<'f> {
    type Output: Send + 'f;
    fn start(&mut self, node: usize) -> Start<'f, Self::Output>;
    /// All of a node's jobs are done; `outputs` in the order the jobs were
    /// given. Returns whether the node succeeded.
    fn finish(&mut self, node: usize, outputs: Vec<Self::Output>) -> bool;
    /// `node` will not run.
    fn skip(&mut self, node: usize, reason: Skip);
    /// Whether an interrupted run stops `node` from starting. Evaluation
    /// of configuration is not interruptible; changes to the world are.
    fn interruptible(&self, node: usize) -> bool;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

/// A node whose jobs are in flight.
struct Running<O> {
    outputs: Vec<Option<O>>,
    remaining: usize,
}

/// Jobs waiting to run below which the scheduler starts more ready nodes.
const MIN_QUEUED_JOBS: usize = 256;

/// Runs `work` over `dag` to the end.
pub(crate) async fn run<'f, W: Work<'f>>(
    dag: &impl Dag,
    work: &mut W,
    parallelism: usize,
    cancel: &AtomicBool,
) {
    let n = dag.len();
    let mut state = vec![State::Waiting; n];
    let mut waiting_on: Vec<usize> = (0..n).map(|v| dag.dependency_count(v)).collect();
    let mut ready: VecDeque<usize> = dag.start_order().filter(|&v| waiting_on[v] == 0).collect();
    let mut running: foldhash::HashMap<usize, Running<W::Output>> = Default::default();
    let mut queued: VecDeque<(usize, usize, Job<'f, W::Output>)> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    let parallelism = parallelism.max(1);
    // Nodes start only while few jobs wait: a job is a future holding its
    // whole operation, so starting 100,000 ready nodes at once would hold
    // 100,000 of them in memory before the first ran.
    let queue_limit = parallelism.max(MIN_QUEUED_JOBS);
    loop {
        while queued.len() < queue_limit
            && let Some(v) = ready.pop_front()
        {
            if state[v] != State::Waiting {
                continue;
            }
            if cancel.load(Ordering::SeqCst) && work.interruptible(v) {
                state[v] = State::Skipped;
                work.skip(v, Skip::Interrupted);
                skip_dependents(dag, work, &mut state, v, Skip::Interrupted);
                continue;
            }
            match work.start(v) {
                Start::Done => {
                    finished(dag, work, &mut state, &mut waiting_on, &mut ready, v, true)
                }
                Start::Failed => {
                    finished(dag, work, &mut state, &mut waiting_on, &mut ready, v, false)
                }
                Start::Jobs(jobs) if jobs.is_empty() => {
                    let ok = work.finish(v, Vec::new());
                    finished(dag, work, &mut state, &mut waiting_on, &mut ready, v, ok)
                }
                Start::Jobs(jobs) => {
                    state[v] = State::Running;
                    running.insert(
                        v,
                        Running {
                            outputs: (0..jobs.len()).map(|_| None).collect(),
                            remaining: jobs.len(),
                        },
                    );
                    queued.extend(
                        jobs.into_iter()
                            .enumerate()
                            .map(|(slot, job)| (v, slot, job)),
                    );
                }
            }
        }
        while in_flight.len() < parallelism
            && let Some((v, slot, job)) = queued.pop_front()
        {
            in_flight.push(async move { (v, slot, job.await) });
        }
        let Some((v, slot, output)) = in_flight.next().await else {
            if ready.is_empty() && queued.is_empty() {
                break;
            }
            continue;
        };
        let Some(node) = running.get_mut(&v) else {
            continue;
        };
        node.outputs[slot] = Some(output);
        node.remaining -= 1;
        if node.remaining == 0
            && let Some(node) = running.remove(&v)
        {
            let outputs = node.outputs.into_iter().flatten().collect();
            let ok = work.finish(v, outputs);
            finished(dag, work, &mut state, &mut waiting_on, &mut ready, v, ok);
        }
    }
}

/// Marks `v` finished: its dependents come closer to ready, or, when it
/// failed, are skipped.
fn finished<'f, W: Work<'f>>(
    dag: &impl Dag,
    work: &mut W,
    state: &mut [State],
    waiting_on: &mut [usize],
    ready: &mut VecDeque<usize>,
    v: usize,
    ok: bool,
) {
    if !ok {
        state[v] = State::Failed;
        skip_dependents(dag, work, state, v, Skip::DependencyFailed { failed: v });
        return;
    }
    state[v] = State::Done;
    for d in dag.dependents(v) {
        waiting_on[d] -= 1;
        if waiting_on[d] == 0 {
            ready.push_back(d);
        }
    }
}

/// Skips everything still waiting that depends on `v`, each node once.
fn skip_dependents<'f, W: Work<'f>>(
    dag: &impl Dag,
    work: &mut W,
    state: &mut [State],
    v: usize,
    reason: Skip,
) {
    let mut stack: Vec<usize> = dag.dependents(v).collect();
    while let Some(d) = stack.pop() {
        if state[d] != State::Waiting {
            continue;
        }
        state[d] = State::Skipped;
        work.skip(d, reason);
        stack.extend(dag.dependents(d));
    }
}

/// The job-level half of the interruption rule: a job about to begin its
/// work (a provider call that changes or reads the world) checks this
/// first. Once the run is interrupted it does not begin, and it is
/// reported as skipped.
pub(crate) fn may_start(cancel: &AtomicBool, events: &dyn EventSink, address: &str) -> bool {
    if !cancel.load(Ordering::SeqCst) {
        return true;
    }
    events.emit(Event::Skipped {
        address: address.to_string(),
        reason: "interrupted".to_string(),
    });
    false
}

/// Dependencies given as edges between numbered nodes (what destroy and
/// drift schedule), stored compactly: one offset array and one target array.
pub(crate) struct Edges {
    /// `dependents[offsets[v]..offsets[v + 1]]` wait for `v`.
    offsets: Vec<usize>,
    dependents: Vec<usize>,
    dependency_count: Vec<usize>,
}

impl Edges {
    /// `edges`: `(first, then)` pairs, `then` waiting for `first`.
    /// Duplicate pairs are allowed and counted once.
    pub(crate) fn new(len: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> Edges {
        let mut pairs: Vec<(usize, usize)> = edges.into_iter().collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0usize; len + 1];
        let mut dependency_count = vec![0usize; len];
        for &(first, then) in &pairs {
            offsets[first + 1] += 1;
            dependency_count[then] += 1;
        }
        for v in 0..len {
            offsets[v + 1] += offsets[v];
        }
        Edges {
            offsets,
            dependents: pairs.into_iter().map(|(_, then)| then).collect(),
            dependency_count,
        }
    }
}

impl Dag for Edges {
    fn len(&self) -> usize {
        self.dependency_count.len()
    }
    fn dependency_count(&self, node: usize) -> usize {
        self.dependency_count[node]
    }
    fn dependents(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        self.dependents[self.offsets[node]..self.offsets[node + 1]]
            .iter()
            .copied()
    }
    fn start_order(&self) -> impl Iterator<Item = usize> + '_ {
        0..self.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what the scheduler did; node `fail` fails, and the run is
    /// interrupted when `interrupt_after` has finished.
    struct Trace<'c> {
        log: Vec<String>,
        fail: Option<usize>,
        interrupt_after: Option<usize>,
        cancel: &'c AtomicBool,
    }

    impl<'f> Work<'f> for Trace<'_> {
        type Output = usize;
        fn start(&mut self, node: usize) -> Start<'f, usize> {
            self.log.push(format!("start {node}"));
            Start::Jobs(vec![
                Box::pin(async move { node }),
                Box::pin(async move { node + 100 }),
            ])
        }
        fn finish(&mut self, node: usize, outputs: Vec<usize>) -> bool {
            self.log.push(format!("finish {node} {outputs:?}"));
            if self.interrupt_after == Some(node) {
                self.cancel.store(true, Ordering::SeqCst);
            }
            self.fail != Some(node)
        }
        fn skip(&mut self, node: usize, reason: Skip) {
            self.log.push(format!("skip {node} {reason:?}"));
        }
        fn interruptible(&self, _: usize) -> bool {
            true
        }
    }

    fn trace(
        edges: &[(usize, usize)],
        len: usize,
        fail: Option<usize>,
        interrupt_after: Option<usize>,
    ) -> Vec<String> {
        let cancel = AtomicBool::new(false);
        let mut work = Trace {
            log: Vec::new(),
            fail,
            interrupt_after,
            cancel: &cancel,
        };
        let dag = Edges::new(len, edges.iter().copied());
        futures_executor_block_on(run(&dag, &mut work, 1, &cancel));
        work.log
    }

    fn futures_executor_block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    #[test]
    fn runs_in_dependency_order_with_outputs_in_job_order() {
        // 0 -> 1 -> 2, 0 -> 2
        let log = trace(&[(0, 1), (1, 2), (0, 2), (0, 2)], 3, None, None);
        assert_eq!(
            log,
            [
                "start 0",
                "finish 0 [0, 100]",
                "start 1",
                "finish 1 [1, 101]",
                "start 2",
                "finish 2 [2, 102]"
            ]
        );
    }

    #[test]
    fn a_failure_skips_what_depends_on_it_once_and_nothing_else() {
        // 0 -> 1 -> 2, 0 -> 2, 3 independent
        let log = trace(&[(0, 1), (1, 2), (0, 2)], 4, Some(0), None);
        assert_eq!(
            log,
            [
                "start 0",
                "start 3",
                "finish 0 [0, 100]",
                "skip 2 DependencyFailed { failed: 0 }",
                "skip 1 DependencyFailed { failed: 0 }",
                "finish 3 [3, 103]"
            ]
        );
    }

    #[test]
    fn an_interrupted_run_starts_nothing_new() {
        let log = trace(&[(0, 1), (1, 2)], 3, None, Some(0));
        assert_eq!(
            log,
            [
                "start 0",
                "finish 0 [0, 100]",
                "skip 1 Interrupted",
                "skip 2 Interrupted"
            ]
        );
    }

    #[test]
    fn at_most_parallelism_jobs_run_at_once() {
        struct Counting<'m> {
            now: &'m Mutex<(usize, usize)>,
        }
        impl<'f, 'm: 'f> Work<'f> for Counting<'m> {
            type Output = ();
            fn start(&mut self, _: usize) -> Start<'f, ()> {
                let now = self.now;
                Start::Jobs(
                    (0..5)
                        .map(|_| -> Job<'f, ()> {
                            Box::pin(async move {
                                {
                                    let mut n = now.lock().unwrap();
                                    n.0 += 1;
                                    n.1 = n.1.max(n.0);
                                }
                                tokio::task::yield_now().await;
                                now.lock().unwrap().0 -= 1;
                            })
                        })
                        .collect(),
                )
            }
            fn finish(&mut self, _: usize, _: Vec<()>) -> bool {
                true
            }
            fn skip(&mut self, _: usize, _: Skip) {}
            fn interruptible(&self, _: usize) -> bool {
                false
            }
        }
        let now = Mutex::new((0, 0));
        let dag = Edges::new(4, []);
        futures_executor_block_on(run(
            &dag,
            &mut Counting { now: &now },
            3,
            &AtomicBool::new(false),
        ));
        assert_eq!(*now.lock().unwrap(), (0, 3));
    }
}
