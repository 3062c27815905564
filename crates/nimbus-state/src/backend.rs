//! The storage interface under the state model: what a backend must do.
//!
//! The model itself (which events a change appends, how the projection
//! follows the log, intents, runs, restore points, locks and their holder
//! details) is written once, in [`crate::write`], [`crate::Store`] and
//! [`crate::Recorder`], against two small traits:
//!
//! * [`Tx`]: the primitive reads and writes of one transaction (append an
//!   event, put a resource row, insert an intent, ...). Every method is a
//!   single statement's worth of work; none decides anything about the model.
//! * [`Backend`]: opens transactions (read, write) and the dedicated
//!   connection a run's group-committing writer owns.
//!
//! The embedded SQLite store implements them in this crate; a remote store
//! (PostgreSQL) implements them in its own crate, so that every backend
//! records exactly the same events for the same change.

use std::time::Duration;

use crate::error::StateError;
use crate::types::{
    Compaction, Event, Intent, IntentAction, IntentId, LockInfo, OutputRecord, ResourceRecord,
    RestorePoint,
};

pub use crate::projection::{EncodedResource, RawResource};

type Result<T> = std::result::Result<T, StateError>;

/// An event about to be appended, with its actor's columns.
#[derive(Debug, Clone, Copy)]
pub struct EventRow<'a> {
    /// Workspace.
    pub workspace: &'a str,
    /// RFC 3339 UTC time.
    pub time: &'a str,
    /// Run (correlation id).
    pub run_id: &'a str,
    /// Cause (causation: another event or a run).
    pub cause: Option<&'a str>,
    /// User that recorded it.
    pub user: &'a str,
    /// Host it was recorded on.
    pub host: &'a str,
    /// The run's operation.
    pub operation: &'a str,
    /// Event kind, e.g. `resource.create`.
    pub kind: &'a str,
    /// Resource address, for resource events.
    pub address: Option<&'a str>,
    /// Source address of a move.
    pub prev_address: Option<&'a str>,
    /// JSON before the change.
    pub before: Option<&'a str>,
    /// JSON after the change.
    pub after: Option<&'a str>,
}

/// A stored event as replay reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Sequence number.
    pub seq: u64,
    /// Event kind.
    pub kind: String,
    /// Resource address.
    pub address: Option<String>,
    /// Source address of a move.
    pub prev_address: Option<String>,
    /// JSON before.
    pub before: Option<String>,
    /// JSON after.
    pub after: Option<String>,
}

/// A write-ahead intent about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct IntentRow<'a> {
    /// Workspace.
    pub workspace: &'a str,
    /// Run that records it.
    pub run_id: &'a str,
    /// Resource address.
    pub address: &'a str,
    /// Action (`create`, `update`, ...).
    pub action: &'a str,
    /// Resource type.
    pub resource_type: &'a str,
    /// Provider.
    pub provider: &'a str,
    /// Detail, JSON.
    pub detail: &'a str,
    /// RFC 3339 UTC time.
    pub created_at: &'a str,
    /// Seq of its `intent.record` event.
    pub event_seq: u64,
}

/// What the model needs to know of a stored intent to close it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentState {
    /// Workspace.
    pub workspace: String,
    /// Resource address.
    pub address: String,
    /// Action, as stored.
    pub action: String,
    /// Seq of its `intent.record` event.
    pub event_seq: u64,
    /// Whether it was completed or resolved already.
    pub closed: bool,
}

/// A run about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct RunRow<'a> {
    /// Run id.
    pub run_id: &'a str,
    /// Workspace.
    pub workspace: &'a str,
    /// Operation.
    pub operation: &'a str,
    /// Cause.
    pub cause: Option<&'a str>,
    /// User.
    pub user: &'a str,
    /// Host.
    pub host: &'a str,
    /// Process id.
    pub pid: u32,
    /// RFC 3339 UTC start time.
    pub started_at: &'a str,
    /// Finish time, for runs stored already finished.
    pub finished_at: Option<&'a str>,
    /// `running`, `succeeded` or `failed`.
    pub status: &'a str,
    /// Head seq of the workspace when it started.
    pub start_seq: u64,
}

/// A restore point about to be stored.
#[derive(Debug, Clone, Copy)]
pub struct RestorePointRow<'a> {
    /// Workspace.
    pub workspace: &'a str,
    /// Head seq it restores to.
    pub seq: u64,
    /// Run that took it.
    pub run_id: &'a str,
    /// That run's operation.
    pub operation: &'a str,
    /// RFC 3339 UTC time.
    pub created_at: &'a str,
    /// Full backup taken with it, if any.
    pub backup_path: Option<&'a str>,
}

/// A stored event with every column, as a copy of the state reads and
/// writes it: the JSON before and after kept as the text stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Sequence number.
    pub seq: u64,
    /// Workspace.
    pub workspace: String,
    /// RFC 3339 UTC time.
    pub time: String,
    /// Run (correlation id).
    pub run_id: String,
    /// Cause.
    pub cause: Option<String>,
    /// User.
    pub user: String,
    /// Host.
    pub host: String,
    /// The run's operation.
    pub operation: String,
    /// Event kind.
    pub kind: String,
    /// Resource address.
    pub address: Option<String>,
    /// Source address of a move.
    pub prev_address: Option<String>,
    /// JSON before, as stored.
    pub before: Option<String>,
    /// JSON after, as stored.
    pub after: Option<String>,
}

impl EventRecord {
    /// The event's columns as [`Tx::append_event`] takes them.
    pub fn row(&self) -> EventRow<'_> {
        EventRow {
            workspace: &self.workspace,
            time: &self.time,
            run_id: &self.run_id,
            cause: self.cause.as_deref(),
            user: &self.user,
            host: &self.host,
            operation: &self.operation,
            kind: &self.kind,
            address: self.address.as_deref(),
            prev_address: self.prev_address.as_deref(),
            before: self.before.as_deref(),
            after: self.after.as_deref(),
        }
    }
}

/// A stored run with every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Run id.
    pub run_id: String,
    /// Workspace.
    pub workspace: String,
    /// Operation.
    pub operation: String,
    /// Cause.
    pub cause: Option<String>,
    /// User.
    pub user: String,
    /// Host.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// Start time.
    pub started_at: String,
    /// Finish time.
    pub finished_at: Option<String>,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Head seq when it started.
    pub start_seq: u64,
    /// Head seq when it finished.
    pub end_seq: Option<u64>,
}

/// A stored intent with every column, open or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRecord {
    /// Id.
    pub id: u64,
    /// Workspace.
    pub workspace: String,
    /// Run that recorded it.
    pub run_id: String,
    /// Resource address.
    pub address: String,
    /// Action, as stored.
    pub action: String,
    /// Resource type.
    pub resource_type: String,
    /// Provider.
    pub provider: String,
    /// Detail, JSON as stored.
    pub detail: String,
    /// Time it was recorded.
    pub created_at: String,
    /// Seq of its `intent.record` event.
    pub event_seq: u64,
    /// Time it was closed, if it was.
    pub closed_at: Option<String>,
    /// How it was closed.
    pub resolution: Option<String>,
    /// Seq of the event that closed it.
    pub closed_seq: Option<u64>,
}

/// The primitive operations of one transaction on a backend.
///
/// Implementations run each method as one statement (or a few) inside the
/// transaction the [`Backend`] opened; they check nothing about the model.
/// Results are ordered as documented, bytewise for strings.
pub trait Tx {
    // ----- events ------------------------------------------------------------

    /// Appends an event; returns its sequence number, greater than every
    /// earlier one of any workspace and never reused.
    fn append_event(&mut self, event: &EventRow<'_>) -> Result<u64>;
    /// Seq of the workspace's last event, 0 if none.
    fn head_seq(&mut self, workspace: &str) -> Result<u64>;
    /// At most `limit` events of the workspace with `after < seq <= upto`,
    /// in seq order (replay reads the log in such pages).
    fn events_page(
        &mut self,
        workspace: &str,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>>;
    /// At most `limit` events, newest first; with an address, only events
    /// about it, including moves from it.
    fn history(
        &mut self,
        workspace: &str,
        address: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Event>>;

    /// Replaces an event's `before` and `after` (only re-encryption does
    /// this: the change they describe stays the same).
    fn set_event_payload(
        &mut self,
        seq: u64,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()>;

    // ----- the projection: resources -------------------------------------------

    /// One stored resource row, undecoded.
    fn fetch_resource(&mut self, workspace: &str, address: &str) -> Result<Option<RawResource>>;
    /// Whether the address is stored.
    fn resource_exists(&mut self, workspace: &str, address: &str) -> Result<bool>;
    /// Addresses of `prefix[...]` instances and of everything in module
    /// `prefix.`, in address order.
    fn addresses_within(&mut self, workspace: &str, prefix: &str) -> Result<Vec<String>>;
    /// Inserts or replaces a resource row.
    fn put_resource(&mut self, workspace: &str, resource: &EncodedResource) -> Result<()>;
    /// Deletes a resource row; whether it existed.
    fn delete_resource(&mut self, workspace: &str, address: &str) -> Result<bool>;
    /// Renames a resource row; whether it existed.
    fn rename_resource(&mut self, workspace: &str, from: &str, to: &str) -> Result<bool>;
    /// Every resource of the workspace, decoded, in address order.
    fn load_resources(&mut self, workspace: &str) -> Result<Vec<ResourceRecord>>;
    /// Number of resources of the workspace.
    fn count_resources(&mut self, workspace: &str) -> Result<u64>;
    /// Deletes the workspace's resources and outputs (before a replay).
    fn clear_projection(&mut self, workspace: &str) -> Result<()>;

    // ----- the projection: outputs ---------------------------------------------

    /// Every output of the workspace, in name order.
    fn load_outputs(&mut self, workspace: &str) -> Result<Vec<OutputRecord>>;
    /// Inserts or replaces an output.
    fn put_output(&mut self, workspace: &str, output: &OutputRecord) -> Result<()>;
    /// Deletes an output.
    fn delete_output(&mut self, workspace: &str, name: &str) -> Result<()>;

    // ----- intents ----------------------------------------------------------------

    /// Stores an open intent; returns its id.
    fn insert_intent(&mut self, intent: &IntentRow<'_>) -> Result<IntentId>;
    /// An intent's state, if it exists.
    fn intent_state(&mut self, id: IntentId) -> Result<Option<IntentState>>;
    /// Closes an intent.
    fn close_intent(
        &mut self,
        id: IntentId,
        closed_at: &str,
        resolution: &str,
        closed_seq: u64,
    ) -> Result<()>;
    /// Open intents of the workspace, oldest first.
    fn open_intents(&mut self, workspace: &str) -> Result<Vec<Intent>>;
    /// Number of open intents of the workspace.
    fn count_open_intents(&mut self, workspace: &str) -> Result<u64>;
    /// The detail of every intent of the workspace, open or closed, by id.
    fn intent_details(&mut self, workspace: &str) -> Result<Vec<(IntentId, String)>>;
    /// Replaces an intent's detail (only re-encryption does this).
    fn set_intent_detail(&mut self, id: IntentId, detail: &str) -> Result<()>;

    // ----- runs and restore points -----------------------------------------------

    /// Whether a run with this id exists.
    fn run_exists(&mut self, run_id: &str) -> Result<bool>;
    /// Stores a run; `false` when its id is taken (nothing stored).
    fn insert_run(&mut self, run: &RunRow<'_>) -> Result<bool>;
    /// Marks a run finished.
    fn finish_run(
        &mut self,
        run_id: &str,
        finished_at: &str,
        status: &str,
        end_seq: u64,
    ) -> Result<()>;
    /// Stores a restore point.
    fn insert_restore_point(&mut self, point: &RestorePointRow<'_>) -> Result<()>;
    /// Restore points of the workspace, newest first.
    fn restore_points(&mut self, workspace: &str) -> Result<Vec<RestorePoint>>;

    // ----- workspaces and settings ---------------------------------------------------

    /// Whether the workspace exists.
    fn workspace_exists(&mut self, name: &str) -> Result<bool>;
    /// Creates a workspace; `false` when it exists already.
    fn insert_workspace(&mut self, name: &str, created_at: &str) -> Result<bool>;
    /// Every workspace with its resource count, in name order.
    fn list_workspaces(&mut self) -> Result<Vec<(String, u64)>>;
    /// Deletes a workspace and everything recorded about it.
    fn delete_workspace(&mut self, name: &str) -> Result<()>;
    /// A store-wide setting.
    fn setting(&mut self, key: &str) -> Result<Option<String>>;
    /// Sets a store-wide setting.
    fn set_setting(&mut self, key: &str, value: &str) -> Result<()>;
    /// Sets a store-wide setting unless it has a value already.
    fn init_setting(&mut self, key: &str, value: &str) -> Result<()>;

    // ----- locks ---------------------------------------------------------------------

    /// The workspace's lock row, if any.
    fn lock(&mut self, workspace: &str) -> Result<Option<LockInfo>>;
    /// Stores a lock row (the workspace has none).
    fn insert_lock(&mut self, workspace: &str, lock: &LockInfo) -> Result<()>;
    /// Deletes the workspace's lock row if its id is `id`; whether it did.
    fn delete_lock(&mut self, workspace: &str, id: &str) -> Result<bool>;
    /// Extends the lease of the workspace's lock `id` to `lease` from now
    /// (by the backend's clock); whether the lock is still held with that
    /// id. Backends without leases only report whether the row exists.
    fn renew_lock(&mut self, workspace: &str, id: &str, lease: Duration) -> Result<bool>;

    // ----- copying a whole state (`Store::copy_into`) ---------------------------------

    /// At most `limit` events of the workspace with `seq > after`, in seq
    /// order, with every column.
    fn events_after(
        &mut self,
        workspace: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventRecord>>;
    /// Stores an event under its own seq (not a new one) and makes
    /// [`Tx::append_event`] number later events past it.
    fn insert_event(&mut self, event: &EventRecord) -> Result<()>;
    /// Every run of the workspace, by start time then id.
    fn runs_of(&mut self, workspace: &str) -> Result<Vec<RunRecord>>;
    /// Stores a run with every column.
    fn insert_run_record(&mut self, run: &RunRecord) -> Result<()>;
    /// Every intent of the workspace, open or closed, oldest first.
    fn intents_of(&mut self, workspace: &str) -> Result<Vec<IntentRecord>>;
    /// Stores an intent under its own id, making later ids greater.
    fn insert_intent_record(&mut self, intent: &IntentRecord) -> Result<()>;
    /// Stores a restore point under its own id, making later ids greater.
    fn insert_restore_point_with_id(&mut self, id: u64, point: &RestorePointRow<'_>) -> Result<()>;
    /// When the workspace was created, if it exists.
    fn workspace_created_at(&mut self, name: &str) -> Result<Option<String>>;
    /// Every store-wide setting, by key.
    fn settings(&mut self) -> Result<Vec<(String, String)>>;
    /// Deletes a store-wide setting.
    fn delete_setting(&mut self, key: &str) -> Result<()>;
    /// The last id handed out by a counter (`events`, `intents` or
    /// `restore_points`), 0 if none: it may exceed every stored id, when
    /// the rows that had the highest ones were deleted.
    fn counter(&mut self, name: &str) -> Result<u64>;
    /// Makes a counter hand out ids greater than `past` from now on.
    fn advance_counter(&mut self, name: &str, past: u64) -> Result<()>;

    // ----- compaction (`Store::compact`) ----------------------------------------------

    /// Where the workspace's history was last compacted, if it was.
    fn compaction(&mut self, workspace: &str) -> Result<Option<Compaction>>;
    /// Records where the workspace's history was compacted.
    fn set_compaction(&mut self, workspace: &str, compaction: &Compaction) -> Result<()>;
    /// Deletes the workspace's events with `seq <= upto`; how many.
    fn delete_events_upto(&mut self, workspace: &str, upto: u64) -> Result<u64>;
    /// Deletes the workspace's runs that are not running, started before
    /// event `upto` and recorded nothing after it; how many.
    fn delete_runs_upto(&mut self, workspace: &str, upto: u64) -> Result<u64>;
    /// Deletes the workspace's closed intents closed by an event
    /// `<= upto`; how many.
    fn delete_closed_intents_upto(&mut self, workspace: &str, upto: u64) -> Result<u64>;
    /// Deletes a restore point.
    fn delete_restore_point(&mut self, id: u64) -> Result<()>;
    /// The seq of the `intent.record` event of the workspace's oldest open
    /// intent, if it has one.
    fn oldest_open_intent_seq(&mut self, workspace: &str) -> Result<Option<u64>>;

    // ----- partial rollback ---------------------------------------------------------

    /// Marks a point [`Tx::rollback_to_savepoint`] returns to.
    fn savepoint(&mut self) -> Result<()>;
    /// Undoes everything since [`Tx::savepoint`].
    fn rollback_to_savepoint(&mut self) -> Result<()>;
    /// Forgets the savepoint, keeping what was done since.
    fn release_savepoint(&mut self) -> Result<()>;
}

/// The work of one store-level transaction.
pub type Work<'a> = dyn FnMut(&mut dyn Tx) -> Result<()> + Send + 'a;

/// Whether a transaction's work is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Commit.
    Commit,
    /// Roll back.
    Rollback,
}

/// A connection that runs transactions: the one a run's writer owns.
pub trait Connection: Send {
    /// Runs `work` in one write transaction (serialised with every other
    /// writer of the store) and commits or rolls back as it says. An error
    /// from `work` rolls back.
    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>) -> Result<Finish>;
}

/// A state backend: where the state of every workspace lives.
pub trait Backend: Send + Sync {
    /// Runs `work` in a read transaction (a consistent snapshot). `work`
    /// is `Send` so that a backend whose client cannot run on the caller's
    /// thread (one inside an async runtime) may run it on another.
    fn read(&self, work: &mut Work<'_>) -> Result<()>;
    /// Runs `work` in a write transaction, committed when it returns `Ok`.
    fn write(&self, work: &mut Work<'_>) -> Result<()>;
    /// A new connection for a run's writer thread.
    fn connect(&self) -> Result<Box<dyn Connection>>;
    /// Where the state lives, for messages (a path or a URL without secrets).
    fn location(&self) -> String;
    /// Whether the holder of a lock is known to be gone (its process died,
    /// or its lease ran out), so that the lock may be taken over.
    fn is_stale(&self, holder: &LockInfo) -> bool;
    /// How long a lock is held without renewal, for backends whose lock
    /// holders may be on other hosts: the holder renews it every third of
    /// it. `None` (the default): locks have no lease.
    fn lock_lease(&self) -> Option<Duration> {
        None
    }
}

/// An intent row decoded; shared by every backend's [`Tx::open_intents`].
#[allow(clippy::too_many_arguments)]
pub fn decode_intent(
    id: IntentId,
    run_id: String,
    address: String,
    action: &str,
    resource_type: String,
    provider: String,
    detail: &str,
    created_at: String,
) -> Result<Intent> {
    Ok(Intent {
        id,
        run_id,
        address,
        action: IntentAction::parse(action).ok_or_else(|| {
            StateError::corrupt(format!("intent {id}: unknown action {action:?}"))
        })?,
        resource_type,
        provider,
        detail: serde_json::from_str(detail).map_err(StateError::corrupt)?,
        created_at,
    })
}

/// Runs `f` in a read transaction of `backend` and returns its value.
pub(crate) fn read<T: Send>(
    backend: &dyn Backend,
    f: impl FnOnce(&mut dyn Tx) -> Result<T> + Send,
) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    backend.read(&mut |tx| {
        let f = f
            .take()
            .ok_or_else(|| StateError::corrupt("a read transaction ran twice"))?;
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StateError::corrupt("a read transaction did not run"))
}

/// Runs `f` in a write transaction of `backend` and returns its value.
pub(crate) fn write<T: Send>(
    backend: &dyn Backend,
    f: impl FnOnce(&mut dyn Tx) -> Result<T> + Send,
) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    backend.write(&mut |tx| {
        let f = f
            .take()
            .ok_or_else(|| StateError::corrupt("a write transaction ran twice"))?;
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StateError::corrupt("a write transaction did not run"))
}
