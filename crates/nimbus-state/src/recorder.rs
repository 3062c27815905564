//! The write path used during apply: a group-committing writer thread.
//!
//! A parallel apply finishes many resources at once, and every one must be
//! durable before apply reports it. One fsync per change would cap throughput
//! at the disk's sync rate, so a dedicated thread owns a connection and, each
//! time it wakes, gathers the queued requests, applies them in one
//! transaction, commits once with `synchronous=FULL`, and only then
//! acknowledges every caller. Under load the batch grows with concurrency,
//! which keeps the cost per change low without weakening durability.
//!
//! Three things keep that single thread from becoming the bottleneck:
//!
//! * **Gathering.** Callers acknowledged by one commit typically come back
//!   within microseconds with their next change (an apply task records the
//!   result right after the intent, or the next intent). Committing whatever
//!   happens to be queued the moment the writer wakes splits them over
//!   several commits, each paying a full fsync; instead the writer waits a
//!   little while those callers are still coming back (see [`GATHER_GAP`]).
//! * **Encoding on the caller's thread.** Records and intents are serialised
//!   to JSON before they are queued, so the writer only runs SQL.
//! * **No savepoints unless needed.** A batch first runs as one plain
//!   transaction; only when a request fails is it rolled back and re-run with
//!   one savepoint per request, so that a bad request does not sink the others.
//!
//! Callers talk to it through a channel, so [`Recorder`] is `Clone + Send +
//! Sync` and works from any tokio task (async methods) or plain thread
//! (`*_blocking` methods).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::backend::{Connection, Finish, Tx};
use crate::error::StateError;
use crate::projection::EncodedResource;
use crate::types::{IntentId, NewIntent, Outcome, OutputRecord, ResourceRecord, RunStatus};
use crate::write::{self, Actor, EncodedIntent, EncodedOutcome};

type Result<T> = std::result::Result<T, StateError>;

/// Upper bound on requests committed in one transaction.
const MAX_BATCH: usize = 1024;

/// While callers acknowledged by the previous commit are still expected back,
/// the writer waits at most this long for the next request before committing
/// what it has. Returning callers arrive within tens of microseconds when
/// they have nothing else to do, and a caller that went off to do real work
/// (a provider call) costs one gap, far less than the fsync it may save.
const GATHER_GAP: Duration = Duration::from_micros(100);

/// Upper bound on the time spent gathering one batch.
const GATHER_MAX: Duration = Duration::from_millis(1);

/// A queued write.
enum Op {
    Intent(EncodedIntent),
    Complete(IntentId, EncodedOutcome),
    Upsert(EncodedResource),
    Remove(String),
    Move(String, String),
    /// Several renames, all or none (a plan's `moved` blocks).
    MoveAll(Vec<(String, String)>),
    SetOutputs(Vec<OutputRecord>),
    /// An informational event: kind, address, detail (JSON).
    Note(String, Option<String>, String),
    Finish(RunStatus),
}

type Reply = Box<dyn FnOnce(Result<u64>) + Send>;

struct Request {
    op: Op,
    reply: Reply,
}

struct Inner {
    sender: mpsc::Sender<Request>,
    /// Requests ever queued; the writer compares it with what it has seen to
    /// tell whether callers it acknowledged have come back.
    submitted: Arc<AtomicU64>,
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
    /// With `fenced`, every commit first checks that the workspace's lock
    /// is still this run's (a leased lock can be taken over when its
    /// holder stops renewing it): a run that lost it records nothing more.
    pub(crate) fn spawn(conn: Box<dyn Connection>, actor: Actor, fenced: bool) -> Result<Recorder> {
        let (sender, receiver) = mpsc::channel();
        let finished = Arc::new(AtomicBool::new(false));
        let submitted = Arc::new(AtomicU64::new(0));
        let workspace = actor.workspace.clone();
        let run_id = actor.run_id.clone();
        let writer = Writer {
            conn,
            actor,
            fenced,
            receiver,
            finished: Arc::clone(&finished),
            submitted: Arc::clone(&submitted),
        };
        let thread = std::thread::Builder::new()
            .name("nimbus-state-writer".to_owned())
            .spawn(move || writer.run())
            .map_err(|e| StateError::io("writer thread", e))?;
        Ok(Recorder {
            inner: Arc::new(Inner {
                sender,
                submitted,
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
        self.inner.submitted.fetch_add(1, Ordering::AcqRel);
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
        let op = Op::Intent(EncodedIntent::new(intent)?);
        self.call(op).await.map(IntentId)
    }

    /// Blocking [`Recorder::record_intent`].
    pub fn record_intent_blocking(&self, intent: NewIntent) -> Result<IntentId> {
        let op = Op::Intent(EncodedIntent::new(intent)?);
        self.call_blocking(op).map(IntentId)
    }

    /// Closes an intent with the provider's outcome, updating the state and
    /// appending the event in the same transaction. Returns the event's seq.
    pub async fn complete(&self, intent: IntentId, outcome: Outcome) -> Result<u64> {
        let op = Op::Complete(intent, EncodedOutcome::new(outcome)?);
        self.call(op).await
    }

    /// Blocking [`Recorder::complete`].
    pub fn complete_blocking(&self, intent: IntentId, outcome: Outcome) -> Result<u64> {
        let op = Op::Complete(intent, EncodedOutcome::new(outcome)?);
        self.call_blocking(op)
    }

    /// Stores a record without an intent (refresh, import results).
    /// Returns the event's seq; if the stored record is already identical no
    /// event is recorded and the workspace's head seq is returned.
    pub async fn upsert(&self, record: ResourceRecord) -> Result<u64> {
        let op = Op::Upsert(EncodedResource::new(record)?);
        self.call(op).await
    }

    /// Blocking [`Recorder::upsert`].
    pub fn upsert_blocking(&self, record: ResourceRecord) -> Result<u64> {
        let op = Op::Upsert(EncodedResource::new(record)?);
        self.call_blocking(op)
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

    /// Renames resources in order, all in one transaction or none (the
    /// moves of a plan's `moved` blocks: each `to` must be free when its
    /// turn comes). One `resource.move` event each. Returns the last
    /// event's seq (the head seq when `moves` is empty).
    pub async fn move_resources(&self, moves: Vec<(String, String)>) -> Result<u64> {
        self.call(Op::MoveAll(moves)).await
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

    /// Records an informational event of `kind` (e.g. `policy.override`)
    /// with `detail` as its `after`; replay ignores it. Returns its seq.
    pub async fn record_note(
        &self,
        kind: &str,
        address: Option<String>,
        detail: serde_json::Value,
    ) -> Result<u64> {
        let detail =
            serde_json::to_string(&detail).map_err(|e| StateError::InvalidInput(e.to_string()))?;
        self.call(Op::Note(kind.to_string(), address, detail)).await
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

/// The writer thread's state.
struct Writer {
    conn: Box<dyn Connection>,
    actor: Actor,
    fenced: bool,
    receiver: mpsc::Receiver<Request>,
    finished: Arc<AtomicBool>,
    submitted: Arc<AtomicU64>,
}

impl Writer {
    fn run(mut self) {
        let mut batch: Vec<Request> = Vec::with_capacity(64);
        // Requests taken off the queue so far.
        let mut received: u64 = 0;
        // `submitted` just before the last acknowledgements went out, and how
        // many callers they released.
        let mut acked_mark: u64 = 0;
        let mut acked: u64 = 0;
        while let Ok(first) = self.receiver.recv() {
            batch.push(first);
            received += 1;
            self.gather(&mut batch, &mut received, acked_mark + acked);
            let (ops, replies): (Vec<Op>, Vec<Reply>) =
                batch.drain(..).map(|r| (r.op, r.reply)).unzip();
            let n = ops.len();
            let (results, done) =
                match commit_batch(self.conn.as_mut(), &self.actor, self.fenced, &ops) {
                    Ok(v) => v,
                    Err(e) => {
                        let msg = e.to_string();
                        let errs = (0..n).map(|_| Err(StateError::CommitFailed(msg.clone())));
                        (errs.collect(), false)
                    }
                };
            if done {
                self.finished.store(true, Ordering::Release);
            }
            acked_mark = self.submitted.load(Ordering::Acquire);
            acked = n as u64;
            for (reply, result) in replies.into_iter().zip(results) {
                reply(result);
            }
            // Freed here rather than before the replies: the callers wait on them.
            drop(ops);
            if done {
                break;
            }
        }
        // Anything queued after Finish is refused, not silently dropped.
        while let Ok(req) = self.receiver.try_recv() {
            (req.reply)(Err(StateError::RunFinished(self.actor.run_id.clone())));
        }
    }

    /// Adds queued requests to `batch`, then keeps waiting, a short gap at a
    /// time, while fewer than `expected` requests have been submitted in all,
    /// i.e. while callers released by the last commit have not come back yet.
    fn gather(&self, batch: &mut Vec<Request>, received: &mut u64, expected: u64) {
        let start = Instant::now();
        loop {
            while batch.len() < MAX_BATCH {
                match self.receiver.try_recv() {
                    Ok(r) => {
                        batch.push(r);
                        *received += 1;
                    }
                    Err(_) => break,
                }
            }
            let submitted = self.submitted.load(Ordering::Acquire);
            if batch.len() >= MAX_BATCH || submitted >= expected && submitted <= *received {
                return;
            }
            let Some(left) = GATHER_MAX.checked_sub(start.elapsed()) else {
                return;
            };
            match self.receiver.recv_timeout(GATHER_GAP.min(left)) {
                Ok(r) => {
                    batch.push(r);
                    *received += 1;
                }
                Err(_) => return,
            }
        }
    }
}

/// Applies `ops` in one transaction. Returns the per-request results and
/// whether a `Finish` was committed.
///
/// Requests almost never fail, so the batch first runs without savepoints;
/// if one does fail, everything is rolled back and the batch re-run with a
/// savepoint per request, which undoes the failed one alone. Nothing was
/// acknowledged in between, and re-running yields the same results because
/// the first attempt left no trace.
fn commit_batch(
    conn: &mut dyn Connection,
    actor: &Actor,
    fenced: bool,
    ops: &[Op],
) -> Result<(Vec<Result<u64>>, bool)> {
    let mut results = Vec::with_capacity(ops.len());
    let mut finished = false;
    let kept = conn.write(&mut |tx| {
        if fenced {
            check_fence(tx, actor)?;
        }
        results.clear();
        finished = false;
        for op in ops {
            if finished {
                results.push(Err(StateError::RunFinished(actor.run_id.clone())));
                continue;
            }
            match apply(tx, actor, op) {
                Ok(v) => {
                    finished = matches!(op, Op::Finish(_));
                    results.push(Ok(v));
                }
                Err(_) => return Ok(Finish::Rollback),
            }
        }
        Ok(Finish::Commit)
    })?;
    if kept == Finish::Commit {
        return Ok((results, finished));
    }
    commit_with_savepoints(conn, actor, fenced, ops)
}

/// Refuses to write unless the workspace's lock is held by this run.
fn check_fence(tx: &mut dyn Tx, actor: &Actor) -> Result<()> {
    match tx.lock(&actor.workspace)? {
        Some(lock) if lock.run_id == actor.run_id => Ok(()),
        holder => Err(StateError::LockLost {
            workspace: actor.workspace.clone(),
            holder: holder.map(Box::new),
        }),
    }
}

/// [`commit_batch`]'s slow path.
fn commit_with_savepoints(
    conn: &mut dyn Connection,
    actor: &Actor,
    fenced: bool,
    ops: &[Op],
) -> Result<(Vec<Result<u64>>, bool)> {
    let mut results = Vec::with_capacity(ops.len());
    let mut finished = false;
    conn.write(&mut |tx| {
        if fenced {
            check_fence(tx, actor)?;
        }
        results.clear();
        finished = false;
        for op in ops {
            if finished {
                results.push(Err(StateError::RunFinished(actor.run_id.clone())));
                continue;
            }
            tx.savepoint()?;
            let result = apply(tx, actor, op);
            if result.is_ok() {
                finished = matches!(op, Op::Finish(_));
            } else {
                tx.rollback_to_savepoint()?;
            }
            tx.release_savepoint()?;
            results.push(result);
        }
        Ok(Finish::Commit)
    })?;
    Ok((results, finished))
}

fn apply(tx: &mut dyn Tx, actor: &Actor, op: &Op) -> Result<u64> {
    match op {
        Op::Intent(intent) => write::record_intent(tx, actor, intent).map(|id| id.0),
        Op::Complete(id, outcome) => write::complete(tx, actor, *id, outcome),
        Op::Upsert(record) => match write::upsert(tx, actor, record, None, None, true)? {
            Some(seq) => Ok(seq),
            None => write::head_seq(tx, &actor.workspace),
        },
        Op::Remove(address) => write::remove(tx, actor, address, None),
        Op::Move(from, to) => write::move_resource(tx, actor, from, to),
        Op::MoveAll(moves) => {
            let mut seq = write::head_seq(tx, &actor.workspace)?;
            for (from, to) in moves {
                seq = write::move_resource(tx, actor, from, to)?;
            }
            Ok(seq)
        }
        Op::SetOutputs(outputs) => write::set_outputs(tx, actor, outputs),
        Op::Note(kind, address, detail) => write::note(tx, actor, kind, address.as_deref(), detail),
        Op::Finish(status) => write::finish_run(tx, actor, *status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteConnection;
    use rusqlite::Connection as Db;

    fn actor() -> Actor {
        Actor {
            workspace: "default".into(),
            run_id: "run".into(),
            operation: "apply".into(),
            cause: None,
            user: "u".into(),
            host: "h".into(),
            pid: 1,
        }
    }

    fn upsert(address: &str) -> Op {
        let r = ResourceRecord::new(address, "t", "p", serde_json::json!({ "a": address }));
        Op::Upsert(EncodedResource::new(r).expect("encode"))
    }

    #[test]
    fn a_request_failing_midway_is_undone_alone() {
        let mut db = Db::open_in_memory().expect("open");
        crate::schema::migrate(&mut db).expect("schema");
        // Fails `t.bad` after its event was appended, i.e. after a partial write.
        db.execute_batch(
            "CREATE TRIGGER fail_bad BEFORE INSERT ON resources WHEN NEW.address = 't.bad'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .expect("trigger");
        let mut conn = SqliteConnection(db);
        let ops = vec![
            upsert("t.a"),
            upsert("t.bad"),
            Op::Remove("t.none".into()),
            upsert("t.b"),
            Op::Finish(RunStatus::Succeeded),
            upsert("t.late"),
        ];
        let (results, finished) = commit_batch(&mut conn, &actor(), false, &ops).expect("commit");
        assert!(finished);
        assert_eq!(results.len(), ops.len());
        let a = *results[0].as_ref().expect("t.a");
        assert!(
            matches!(results[1], Err(StateError::Sqlite(_))),
            "{:?}",
            results[1]
        );
        assert!(matches!(
            results[2],
            Err(StateError::ResourceNotFound { .. })
        ));
        assert_eq!(
            *results[3].as_ref().expect("t.b"),
            a + 1,
            "no seq left behind"
        );
        assert_eq!(*results[4].as_ref().expect("finish"), a + 1);
        assert!(matches!(results[5], Err(StateError::RunFinished(_))));
        let events: Vec<String> = conn
            .0
            .prepare("SELECT address FROM events ORDER BY seq")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(events, ["t.a", "t.b"]);
        let resources: i64 = conn
            .0
            .query_row("SELECT count(*) FROM resources", [], |r| r.get(0))
            .expect("count");
        assert_eq!(resources, 2);
    }

    #[test]
    fn moves_are_made_all_or_none() {
        let mut db = Db::open_in_memory().expect("open");
        crate::schema::migrate(&mut db).expect("schema");
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        let mut conn = SqliteConnection(db);
        let ops = vec![
            upsert("t.a"),
            upsert("t.b"),
            upsert("t.taken"),
            // The second move's destination is taken: the first is undone.
            Op::MoveAll(vec![pair("t.a", "t.a2"), pair("t.b", "t.taken")]),
            Op::MoveAll(vec![pair("t.a", "t.b2"), pair("t.b2", "t.c")]),
        ];
        let (results, _) = commit_batch(&mut conn, &actor(), false, &ops).expect("commit");
        assert!(matches!(results[3], Err(StateError::ResourceExists { .. })));
        assert!(results[4].is_ok());
        let mut addresses: Vec<String> = conn
            .0
            .prepare("SELECT address FROM resources ORDER BY address")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        addresses.sort();
        assert_eq!(addresses, ["t.b", "t.c", "t.taken"]);
        let moves: i64 = conn
            .0
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'resource.move'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(moves, 2);
    }

    #[test]
    fn a_batch_without_failures_commits_in_one_go() {
        let mut db = Db::open_in_memory().expect("open");
        crate::schema::migrate(&mut db).expect("schema");
        let mut conn = SqliteConnection(db);
        let ops: Vec<Op> = (0..5).map(|i| upsert(&format!("t.r{i}"))).collect();
        let (results, finished) = commit_batch(&mut conn, &actor(), false, &ops).expect("commit");
        assert!(!finished);
        let seqs: Vec<u64> = results.into_iter().map(|r| r.expect("ok")).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    }
}
