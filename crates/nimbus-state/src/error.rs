//! The single error type of the crate.
//!
//! Every message is meant to be shown to a user as is (the CLI adds no
//! context), so variants carry the workspace, address or lock holder involved.

use std::path::PathBuf;

use crate::types::{IntentId, LockInfo};

/// Everything that can go wrong in the state store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The database was written by a newer nimbus with a schema this build
    /// does not know. Nothing of it is read or changed.
    #[error(
        "the state database was written by a newer nimbus (schema version {found}; this nimbus reads versions up to {supported}): upgrade nimbus to use it; nothing was read or changed"
    )]
    SchemaTooNew {
        /// Version recorded in the database.
        found: u32,
        /// Newest version this build understands.
        supported: u32,
    },

    /// The database file is damaged: SQLite finds it malformed or not an
    /// SQLite file at all, or it is empty although backups of it exist.
    #[error("the state database {} is damaged ({detail})", path.display())]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it, as SQLite or the check says.
        detail: String,
    },

    /// A read-only open found a database that still needs a migration.
    #[error(
        "state database schema version {found} is older than {supported}; open it once read-write to upgrade it"
    )]
    NeedsMigration {
        /// Version recorded in the database.
        found: u32,
        /// Version this build expects.
        supported: u32,
    },

    /// The file is not a nimbus state database (or is damaged).
    #[error("{} is not a nimbus state database: {reason}", path.display())]
    NotAStateDatabase {
        /// The offending file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },

    /// The state is encrypted and no passphrase was given.
    #[error(
        "the state is encrypted: set NIMBUS_STATE_PASSPHRASE to its passphrase; nothing was read or changed"
    )]
    PassphraseRequired,

    /// Neither passphrase given opens the state (its check value).
    #[error(
        "the passphrase in NIMBUS_STATE_PASSPHRASE (or NIMBUS_STATE_PASSPHRASE_FALLBACK) does not decrypt this state; nothing was read or changed"
    )]
    WrongPassphrase,

    /// A passphrase was given for a state that is not encrypted yet and
    /// holds data.
    #[error(
        "the state is not encrypted, but NIMBUS_STATE_PASSPHRASE is set: run `nimbus state rekey` to encrypt it (or unset the variable)"
    )]
    NotEncrypted,

    /// Encryption is enforced and the state would be written unencrypted.
    #[error(
        "encryption is enforced (NIMBUS_STATE_ENCRYPTION=enforced) but the state would be written unencrypted: set NIMBUS_STATE_PASSPHRASE; nothing was written"
    )]
    EncryptionEnforced,

    /// A sealed value or the encryption setting cannot be used.
    #[error("state encryption: {0}")]
    Encryption(String),

    /// A write was attempted through a store opened with [`crate::Store::open_read_only`].
    #[error("the state store was opened read-only")]
    ReadOnly,

    /// A workspace name outside `[A-Za-z0-9_-]+`.
    #[error("invalid workspace name {name:?}: use 1 to 128 letters, digits, '_' or '-'")]
    InvalidWorkspaceName {
        /// The rejected name.
        name: String,
    },

    /// The named workspace does not exist.
    #[error("workspace {0:?} does not exist")]
    WorkspaceNotFound(String),

    /// `create_workspace` for a name that is taken.
    #[error("workspace {0:?} already exists")]
    WorkspaceExists(String),

    /// `delete_workspace` refused.
    #[error("cannot delete workspace {name:?}: {reason}")]
    WorkspaceNotDeletable {
        /// The workspace.
        name: String,
        /// Why it cannot be deleted.
        reason: String,
    },

    /// The resource address is not in the workspace.
    #[error("no resource {address:?} in workspace {workspace:?}")]
    ResourceNotFound {
        /// Workspace searched.
        workspace: String,
        /// Missing address.
        address: String,
    },

    /// A move targets an address that is already taken.
    #[error("resource {address:?} already exists in workspace {workspace:?}")]
    ResourceExists {
        /// Workspace.
        workspace: String,
        /// Address already in use.
        address: String,
    },

    /// The intent id is unknown.
    #[error("intent {0} does not exist")]
    IntentNotFound(IntentId),

    /// The intent has already been completed or resolved.
    #[error("intent {0} is already closed")]
    IntentClosed(IntentId),

    /// The workspace is locked by someone else and the timeout elapsed.
    #[error("state is locked by {holder}")]
    Locked {
        /// Who holds the lock.
        holder: Box<LockInfo>,
    },

    /// The lock's holder process no longer exists on this host.
    #[error(
        "state lock is stale: it was taken by {holder}, which is no longer running; take it over or force-unlock {}",
        holder.id
    )]
    StaleLock {
        /// The dead holder.
        holder: Box<LockInfo>,
    },

    /// A run's leased lock was taken over (its holder stopped renewing it,
    /// e.g. the process was suspended): the run records nothing more.
    #[error(
        "this run no longer holds the lock of workspace {workspace:?}{}; nothing more was recorded",
        holder.as_ref().map(|h| format!(" (now held by {h})")).unwrap_or_default()
    )]
    LockLost {
        /// Workspace.
        workspace: String,
        /// Who holds it now, if anyone.
        holder: Option<Box<LockInfo>>,
    },

    /// `force_unlock` with an id that does not hold the lock.
    #[error("workspace {workspace:?} is not locked with lock id {id:?}")]
    LockNotFound {
        /// Workspace.
        workspace: String,
        /// The lock id given.
        id: String,
    },

    /// A run id was reused.
    #[error("run {0:?} already exists")]
    RunExists(String),

    /// The recorder was used after [`crate::Recorder::finish`].
    #[error("run {0:?} is already finished")]
    RunFinished(String),

    /// The recorder's writer thread is gone (it panicked or the process is shutting down).
    #[error("the state writer stopped unexpectedly; the change may not have been recorded")]
    WriterGone,

    /// A group commit failed; none of the changes in the group were recorded.
    #[error("committing state changes failed: {0}")]
    CommitFailed(String),

    /// An event sequence number that is not part of the workspace's history.
    #[error("event {seq} is not in the history of workspace {workspace:?} (head is {head})")]
    EventNotFound {
        /// Workspace.
        workspace: String,
        /// Requested sequence number.
        seq: u64,
        /// The workspace's head sequence number.
        head: u64,
    },

    /// An event before the workspace's compaction boundary: its history
    /// was folded into a snapshot, so the state right after it cannot be
    /// replayed any more.
    #[error(
        "event {seq} of workspace {workspace:?} was compacted: its history up to event {boundary} is kept as a snapshot of the state after that event"
    )]
    HistoryCompacted {
        /// Workspace.
        workspace: String,
        /// Requested sequence number.
        seq: u64,
        /// The workspace's compaction boundary.
        boundary: u64,
    },

    /// Invalid argument (empty address, mismatched intent, ...).
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// Stored data could not be decoded.
    #[error("state database is corrupt: {0}")]
    Corrupt(String),

    /// An operation that only the embedded SQLite backend has (backup files,
    /// restoring a damaged file) was asked of another backend.
    #[error("{operation} is not available for the state at {location}")]
    Unsupported {
        /// What was asked.
        operation: String,
        /// The backend's location.
        location: String,
    },

    /// A copy of the state ([`crate::Store::copy_into`]) was asked onto a
    /// state that holds something already, without overwriting it.
    #[error(
        "the destination state at {location} is not empty ({workspaces} workspace(s), {resources} resource(s), history up to event {head}): copy onto it only to overwrite it"
    )]
    DestinationNotEmpty {
        /// The destination's location.
        location: String,
        /// Its workspaces.
        workspaces: usize,
        /// Its resources, all workspaces together.
        resources: u64,
        /// Its newest event, all workspaces together.
        head: u64,
    },

    /// The source and the destination of a copy are the same state.
    #[error("the source and the destination are the same state ({location})")]
    SameState {
        /// The state's location.
        location: String,
    },

    /// A copied workspace does not read back as its source does (nothing
    /// was written: the copy is undone).
    #[error(
        "the copy of workspace {workspace} differs from its source in its {what}; nothing was copied (`nimbus state check` compares the source's state with its event log)"
    )]
    CopyDiffers {
        /// The workspace.
        workspace: String,
        /// What differs (`resources`, `outputs`, ...).
        what: &'static str,
    },

    /// A remote backend failed (connection, query, schema).
    #[error("state backend {location}: {message}")]
    Backend {
        /// The backend's location, without credentials.
        location: String,
        /// What went wrong.
        message: String,
    },

    /// An SQLite error.
    #[error("state database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A filesystem error.
    #[error("state file error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl StateError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StateError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StateError::Corrupt(what.to_string())
    }

    /// Whether the error means the database itself is damaged (as opposed
    /// to a refused request, a lock, a newer schema or the file system):
    /// what a restore from a backup repairs.
    pub fn is_damage(&self) -> bool {
        match self {
            StateError::Damaged { .. } | StateError::Corrupt(_) => true,
            StateError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
            ),
            _ => false,
        }
    }
}
