//! Embedded state store for Nimbus.
//!
//! The state of every workspace lives in one SQLite database, `.nimbus/state.db`,
//! opened in WAL mode with `synchronous=FULL`:
//!
//! * **The event log is the source of truth.** Every recorded change appends one
//!   row to an append-only `events` table (global, monotonic `seq`). The
//!   `resources` and `outputs` tables are a *projection* of that log, updated in
//!   the same transaction, so reads are cheap and [`Store::rebuild`] can always
//!   recreate them by replaying the log.
//! * **Writes are incremental.** A change touches a handful of rows; the file is
//!   never rewritten as a whole, which keeps 100,000-resource workspaces fast.
//! * **Durability before acknowledgement.** The [`Recorder`] used during apply
//!   funnels all writes through one writer thread that group-commits: it
//!   gathers the queued requests (waiting briefly for callers it just
//!   released), applies them in one transaction, commits (fsync), and only
//!   then acknowledges each caller. Write-ahead [`Intent`]s make a provider
//!   call that was started but never recorded visible at the next run.
//! * **Cross-process safety.** Workspace locks are rows taken in `BEGIN
//!   IMMEDIATE` transactions, so they hold between processes; readers never
//!   need them because WAL readers do not block on writers.
//!
//! The crate deliberately depends on no other Nimbus crate: attribute values are
//! plain [`serde_json::Value`]s. It never prints; all failures are [`StateError`].

#![warn(missing_docs)]

pub mod backend;
mod backup;
mod check;
mod compact;
#[doc(hidden)]
pub mod conformance;
mod copy;
mod crypt;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod identity;
mod lock;
mod matcher;
mod projection;
mod recorder;
mod schema;
mod sqlite;
mod store;
mod types;
mod write;

pub use check::{CheckReport, Finding, WorkspaceCheck, check, check_with};
pub use copy::{CopyReport, OnNonEmpty, StateContents, WorkspaceCopy};
pub use crypt::{
    ENFORCED_VAR, Encryption, FALLBACK_VAR, KeySource, PASSPHRASE_VAR, Passphrase, RekeyReport,
};
pub use error::StateError;
pub use identity::{Identity, identity, process_alive};
pub use lock::LockGuard;
pub use matcher::glob_match;
pub use recorder::Recorder;
pub use schema::SCHEMA_VERSION;
pub use store::{STATE_DB_FILE, Store, StoreOptions};
pub use types::{
    Compaction, CompactionReport, Event, Intent, IntentAction, IntentId, IntentResolution,
    LockInfo, LockRequest, NewIntent, Outcome, OutputRecord, ResourceRecord, ResourceStatus,
    RestorePoint, Retention, RunInfo, RunStatus, StopWaiting, WorkspaceInfo,
};

/// Convenience alias for results of this crate.
pub type Result<T, E = StateError> = std::result::Result<T, E>;
