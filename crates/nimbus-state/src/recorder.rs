//! The write path used during apply: a group-committing writer thread.
//!
//! A parallel apply finishes many resources at once, and every one must be
//! durable before apply reports it. One fsync per change would cap throughput
//! at the disk's sync rate, so a dedicated thread owns a connection and, each
//! time it wakes, drains *all* queued requests, applies them in one
//! transaction (each in its own savepoint so one bad request does not sink
//! the others), commits once with `synchronous=FULL`, and only then
//! acknowledges every caller. Under load the batch grows with concurrency,
//! which keeps the cost per change low without weakening durability.
//!
//! Callers talk to it through a channel, so [`Recorder`] is `Clone + Send +
//! Sync` and works from any tokio task (async methods) or plain thread
//! (`*_blocking` methods).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use crate::error::StateError;
use crate::types::{IntentId, NewIntent, Outcome, OutputRecord, ResourceRecord, RunStatus};
use crate::write::{self, Actor};

type Result<T> = std::result::Result<T, StateError>;

/// Upper bound on requests committed in one transaction.
const MAX_BATCH: usize = 1024;

/// A queued write.
enum Op {
    Intent(NewIntent),
    Complete(IntentId, Outcome),
    Upsert(ResourceRecord),
    Remove(String),
    Move(String, String),
    SetOutputs(Vec<OutputRecord>),
    Finish(RunStatus),
}

type Reply = Box<dyn FnOnce(Result<u64>) + Send>;

struct Request {
    op: Op,
    reply: Reply,
}

struct Inner {
    sender: mpsc::Sender<Request>,
    thread: Mutex<Option<JoinHandle<()>>>,
    finished: Arc<AtomicBool>,
    workspace: String,
    run_id: String,
}

/// Records the changes of one run (apply, destroy, refresh, import, ...).
///
/// Obtained from [`crate::Store::begin_run`]. Clones share one writer thread;
/// every method returns only after its change is committed to disk. Dropping
/// a future after the request was queued does not cancel the write.
///
/// If every clone is dropped without [`Recorder::finish`], the writer thread
/// still commits what was queued and exits; the run stays recorded as
/// `running`, which is what an interrupted run looks like.
///
/// The `*_blocking` variants must not be called from inside an async task
/// (they would block the runtime's worker thread); use the async ones there.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("workspace", &self.inner.workspace)
            .field("run_id", &self.inner.run_id)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts the writer thread on its own connection.
    pub(crate) fn spawn(conn: Connection, actor: Actor) -> Result<Recorder> {
        let (sender, receiver) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let workspace = actor.workspace.clone();
        let run_id = actor.run_id.clone();
        let flag = Arc::clone(&finished);
        let thread = std::thread::Builder::new()
            .name("nimbus-state-writer".to_owned())
            .spawn(move || writer_loop(conn, actor, receiver, flag))
            .map_err(|e| StateError::io("writer thread", e))?;
        Ok(Recorder {
            inner: Arc::new(Inner {
                sender,
                thread: Mutex::new(Some(thread)),
                finished,
                workspace,
                run_id,
            }),
        })
    }

    /// The workspace this run writes to.
    pub fn workspace(&self) -> &str {
        &self.inner.workspace
    }

    /// The run id stamped on every event.
    pub fn run_id(&self) -> &str {
        &self.inner.run_id
    }

    fn closed_error(&self) -> StateError {
        if self.inner.finished.load(Ordering::Acquire) {
            StateError::RunFinished(self.inner.run_id.clone())
        } else {
            StateError::WriterGone
        }
    }

    fn submit(&self, op: Op, reply: Reply) -> Result<()> {
        self.inner
            .sender
            .send(Request { op, reply })
            .map_err(|_| self.closed_error())
    }

    async fn call(&self, op: Op) -> Result<u64> {
        let (tx, rx) = oneshot::channel();
        self.submit(
            op,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        rx.await.map_err(|_| self.closed_error())?
    }

    fn call_blocking(&self, op: Op) -> Result<u64> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(
            op,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        rx.recv().map_err(|_| self.closed_error())?
    }

    /// Durably records the intent to change `intent.address` at its provider.
    /// Call the provider only after this returns.
    pub async fn record_intent(&self, intent: NewIntent) -> Result<IntentId> {
        self.call(Op::Intent(intent)).await.map(IntentId)
    }

    /// Blocking [`Recorder::record_intent`].
    pub fn record_intent_blocking(&self, intent: NewIntent) -> Result<IntentId> {
        self.call_blocking(Op::Intent(intent)).map(IntentId)
    }

    /// Closes an intent with the provider's outcome, updating the state and
    /// appending the event in the same transaction. Returns the event's seq.
    pub async fn complete(&self, intent: IntentId, outcome: Outcome) -> Result<u64> {
        self.call(Op::Complete(intent, outcome)).await
    }

    /// Blocking [`Recorder::complete`].
    pub fn complete_blocking(&self, intent: IntentId, outcome: Outcome) -> Result<u64> {
        self.call_blocking(Op::Complete(intent, outcome))
    }

    /// Stores a record without an intent (refresh, import results).
    /// Returns the event's seq; if the stored record is already identical no
    /// event is recorded and the workspace's head seq is returned.
    pub async fn upsert(&self, record: ResourceRecord) -> Result<u64> {
        self.call(Op::Upsert(record)).await
    }

    /// Blocking [`Recorder::upsert`].
    pub fn upsert_blocking(&self, record: ResourceRecord) -> Result<u64> {
        self.call_blocking(Op::Upsert(record))
    }

    /// Removes a resource without an intent (refresh found it gone, `state rm`).
    /// Fails with [`StateError::ResourceNotFound`] if it is not in state.
    pub async fn remove(&self, address: impl Into<String>) -> Result<u64> {
        self.call(Op::Remove(address.into())).await
    }

    /// Blocking [`Recorder::remove`].
    pub fn remove_blocking(&self, address: impl Into<String>) -> Result<u64> {
        self.call_blocking(Op::Remove(address.into()))
    }

    /// Renames a resource. Fails if `from` is missing or `to` exists.
    pub async fn move_resource(
        &self,
        from: impl Into<String>,
        to: impl Into<String>,
    ) -> Result<u64> {
        self.call(Op::Move(from.into(), to.into())).await
    }

    /// Blocking [`Recorder::move_resource`].
    pub fn move_resource_blocking(
        &self,
        from: impl Into<String>,
        to: impl Into<String>,
    ) -> Result<u64> {
        self.call_blocking(Op::Move(from.into(), to.into()))
    }

    /// Replaces the workspace's outputs, recording one event per output that
    /// changed, appeared or disappeared. Returns the workspace's head seq.
    pub async fn set_outputs(&self, outputs: Vec<OutputRecord>) -> Result<u64> {
        self.call(Op::SetOutputs(outputs)).await
    }

    /// Blocking [`Recorder::set_outputs`].
    pub fn set_outputs_blocking(&self, outputs: Vec<OutputRecord>) -> Result<u64> {
        self.call_blocking(Op::SetOutputs(outputs))
    }

    /// Closes the run: records its end time and status after every change
    /// queued before it, then stops the writer thread. Later calls on other
    /// clones fail with [`StateError::RunFinished`]. Returns the head seq.
    pub async fn finish(self, status: RunStatus) -> Result<u64> {
        let head = self.call(Op::Finish(status)).await?;
        self.join();
        Ok(head)
    }

    /// Blocking [`Recorder::finish`].
    pub fn finish_blocking(self, status: RunStatus) -> Result<u64> {
        let head = self.call_blocking(Op::Finish(status))?;
        self.join();
        Ok(head)
    }

    /// Joins the writer thread, which exits right after acknowledging `Finish`.
    fn join(&self) {
        let handle = self
            .inner
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(handle) = handle {
            // A panic in the writer was already reported to callers as WriterGone.
            let _ = handle.join();
        }
    }
}

fn writer_loop(
    mut conn: Connection,
    actor: Actor,
    receiver: mpsc::Receiver<Request>,
    finished: Arc<AtomicBool>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(64);
    while let Ok(first) = receiver.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let (ops, replies): (Vec<Op>, Vec<Reply>) =
            batch.drain(..).map(|r| (r.op, r.reply)).unzip();
        let n = ops.len();
        let (results, done) = match commit_batch(&mut conn, &actor, ops) {
            Ok(v) => v,
            Err(e) => {
                let msg = e.to_string();
                let errs = (0..n).map(|_| Err(StateError::CommitFailed(msg.clone())));
                (errs.collect(), false)
            }
        };
        if done {
            finished.store(true, Ordering::Release);
        }
        for (reply, result) in replies.into_iter().zip(results) {
            reply(result);
        }
        if done {
            break;
        }
    }
    // Anything queued after Finish is refused, not silently dropped.
    while let Ok(req) = receiver.try_recv() {
        (req.reply)(Err(StateError::RunFinished(actor.run_id.clone())));
    }
}

/// Applies `ops` in one transaction. Returns the per-request results and
/// whether a `Finish` was committed.
///
/// Each request runs inside its own savepoint so a failing request is undone
/// alone. The savepoint statements are cached, which matters because they
/// run twice per request on the hot path.
fn commit_batch(
    conn: &mut Connection,
    actor: &Actor,
    ops: Vec<Op>,
) -> Result<(Vec<Result<u64>>, bool)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(ops.len());
    let mut finished = false;
    for op in ops {
        if finished {
            results.push(Err(StateError::RunFinished(actor.run_id.clone())));
            continue;
        }
        let is_finish = matches!(op, Op::Finish(_));
        tx.prepare_cached("SAVEPOINT request")?.execute([])?;
        let result = apply(&tx, actor, op);
        if result.is_ok() {
            finished = is_finish;
        } else {
            tx.prepare_cached("ROLLBACK TO request")?.execute([])?;
        }
        tx.prepare_cached("RELEASE request")?.execute([])?;
        results.push(result);
    }
    tx.commit()?;
    Ok((results, finished))
}

fn apply(conn: &Connection, actor: &Actor, op: Op) -> Result<u64> {
    match op {
        Op::Intent(intent) => write::record_intent(conn, actor, &intent).map(|id| id.0),
        Op::Complete(id, outcome) => write::complete(conn, actor, id, &outcome),
        Op::Upsert(record) => match write::upsert(conn, actor, &record, None, None, true)? {
            Some(seq) => Ok(seq),
            None => write::head_seq(conn, &actor.workspace),
        },
        Op::Remove(address) => write::remove(conn, actor, &address, None),
        Op::Move(from, to) => write::move_resource(conn, actor, &from, &to),
        Op::SetOutputs(outputs) => write::set_outputs(conn, actor, &outputs),
        Op::Finish(status) => write::finish_run(conn, actor, status),
    }
}
