//! [`Store`]: opening the state, workspaces, reads, and one-off writes.
//!
//! The model is written here once, over [`Backend`]: the embedded SQLite
//! file ([`Store::open`]) or a remote backend ([`Store::with_backend`]).
//! Writes during a run go through a [`Recorder`], which has its own
//! connection and thread. What only a file has (backups, restoring a
//! damaged file) is refused on other backends.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::backend::{self, Backend, Finish, RestorePointRow, Tx};
use crate::backup;
use crate::compact;
use crate::crypt::{self, Encryption, RekeyReport, Sealed};
use crate::error::StateError;
use crate::identity::identity;
use crate::lock::{self, LockGuard};
use crate::matcher::glob_match;
use crate::projection;
use crate::recorder::Recorder;
use crate::schema::{self, SCHEMA_VERSION};
use crate::sqlite::Sqlite;
use crate::types::{
    Compaction, CompactionReport, Event, Intent, IntentId, IntentResolution, LockInfo, LockRequest,
    OutputRecord, ResourceRecord, ResourceStatus, RestorePoint, Retention, RunInfo, WorkspaceInfo,
};
use crate::write::{self, Actor, EncodedOutcome, now_rfc3339};

type Result<T> = std::result::Result<T, StateError>;

/// File name of the state database inside the `.nimbus/` directory.
pub const STATE_DB_FILE: &str = "state.db";

/// Name of the workspace that always exists.
pub(crate) const DEFAULT_WORKSPACE: &str = "default";

/// Longest accepted workspace name.
const MAX_WORKSPACE_NAME: usize = 128;

/// Directory of backups inside the `.nimbus/` directory.
const BACKUP_DIR: &str = "backups";

/// Operations that take a restore point (and periodically a full backup).
const RESTORE_POINT_OPERATIONS: &[&str] = &["apply", "destroy"];

/// Tuning knobs; [`StoreOptions::default`] fits normal use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long a writer waits for another writer before failing.
    pub busy_timeout: Duration,
    /// Take a full backup every this many apply/destroy runs (0: never).
    /// The first run is always backed up, then every `backup_every`-th one.
    pub backup_every: u32,
    /// Number of automatic backups kept in `.nimbus/backups/`.
    pub backup_keep: usize,
    /// Encryption at rest: the key(s), and whether it is enforced.
    pub encryption: Encryption,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: Duration::from_secs(10),
            backup_every: 10,
            backup_keep: 5,
            encryption: Encryption::default(),
        }
    }
}

/// When a compaction rewrites the embedded file to give its free pages back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vacuum {
    /// Whenever anything was removed (`nimbus state compact`).
    WhenShrunk,
    /// Once a quarter of the file is free pages (after every run).
    WhenMostlyFree,
}

impl Vacuum {
    fn due(self, conn: &Connection) -> Result<bool> {
        Ok(match self {
            Vacuum::WhenShrunk => true,
            Vacuum::WhenMostlyFree => {
                let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
                let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
                free * 4 >= pages
            }
        })
    }
}

/// The state of one project: every workspace, on one backend.
///
/// `Store` is `Send + Sync`; share it behind an `Arc` if several threads read.
pub struct Store {
    /// `sealed`, as the model uses it.
    pub(crate) backend: Arc<dyn Backend>,
    /// The encryption layer over the backend.
    sealed: Arc<Sealed>,
    /// The SQLite backend, when that is the one (backups, restores).
    pub(crate) local: Option<Arc<Sqlite>>,
    options: StoreOptions,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .finish_non_exhaustive()
    }
}

fn map_open_error(path: &Path, e: rusqlite::Error) -> StateError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StateError::Damaged {
            path: path.to_owned(),
            detail: "it is not an SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => StateError::Damaged {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => StateError::Sqlite(e),
    }
}

/// An SQLite error that means the file is damaged, as [`StateError::Damaged`]
/// naming it; any other error as it is.
pub(crate) fn located(path: &Path, e: StateError) -> StateError {
    match e {
        StateError::Sqlite(e) => map_open_error(path, e),
        e => e,
    }
}

/// Columns of a lock row, in the order [`held_locks`] reads them.
const LOCK_COLUMNS: &str = "workspace, id, run_id, user, host, pid, operation, started_at";

/// Every lock row, as stored.
fn held_locks(conn: &Connection) -> Result<Vec<Vec<rusqlite::types::Value>>> {
    let mut stmt = conn.prepare(&format!("SELECT {LOCK_COLUMNS} FROM locks"))?;
    let rows = stmt.query_map([], |r| {
        (0..8)
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces every lock row with `rows` (from [`held_locks`]).
fn replace_locks(conn: &Connection, rows: &[Vec<rusqlite::types::Value>]) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM locks", [])?;
    for row in rows {
        tx.execute(
            &format!("INSERT INTO locks ({LOCK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
            rusqlite::params_from_iter(row.iter()),
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Refuses an empty database file when backups of it exist: SQLite would
/// take it for a new, empty state, and the next apply would create again
/// everything the lost state recorded.
pub(crate) fn check_not_emptied(dir: &Path, path: &Path) -> Result<()> {
    let empty = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
    if empty && !backup::auto_backups(&dir.join(BACKUP_DIR))?.is_empty() {
        return Err(StateError::Damaged {
            path: path.to_owned(),
            detail: "the file is empty, but backups of it exist".into(),
        });
    }
    Ok(())
}

/// Databases up to this size (a few thousand resources with their history)
/// get SQLite's quick check at every open: it reads every page, about
/// 0.75 ms per MB, so it costs at most ~6 ms here. A larger state is not
/// read whole at each open, which would cost every command of a large
/// stack several percent (a plan of 10,000 resources takes ~300 ms and
/// its database is ~20 MB): damage there is found when SQLite reads a damaged page (the
/// same one-sentence report, as `StateError::is_damage`) and by
/// `nimbus state check`.
const QUICK_CHECK_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// SQLite's quick check (page structure, not index contents): a damaged
/// file is refused when opened, before any command reads half of it (for
/// files up to [`QUICK_CHECK_MAX_BYTES`]).
fn check_intact(conn: &Connection, path: &Path) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > QUICK_CHECK_MAX_BYTES) {
        return Ok(());
    }
    let verdict: Vec<String> = conn
        .prepare("PRAGMA quick_check(1)")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|e| map_open_error(path, e))?;
    if verdict.len() == 1 && verdict[0] == "ok" {
        return Ok(());
    }
    Err(StateError::Damaged {
        path: path.to_owned(),
        detail: format!("SQLite's check finds: {}", integrity_summary(&verdict)),
    })
}

/// SQLite's integrity-check lines as one line of text.
pub(crate) fn integrity_summary(lines: &[String]) -> String {
    lines
        .iter()
        .flat_map(|l| l.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// SQLite takes the busy timeout in milliseconds as an `i32`.
fn clamp_busy_timeout(t: Duration) -> Duration {
    t.min(Duration::from_millis(i32::MAX as u64))
}

/// Opens a read-write connection with the durability settings every writer needs.
pub(crate) fn open_connection(path: &Path, options: &StoreOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| map_open_error(path, e))?;
    conn.busy_timeout(clamp_busy_timeout(options.busy_timeout))?;
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .map_err(|e| map_open_error(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        let _: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    }
    // FULL: every commit is fsynced, so an acknowledged change survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Refuses SQLite files that belong to something else.
fn check_ours(conn: &Connection, path: &Path) -> Result<()> {
    let app = schema::application_id(conn).map_err(|e| match e {
        StateError::Sqlite(e) => map_open_error(path, e),
        e => e,
    })?;
    if app == schema::APPLICATION_ID {
        return Ok(());
    }
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app == 0 && tables == 0 {
        return Ok(()); // brand new
    }
    Err(StateError::NotAStateDatabase {
        path: path.to_owned(),
        reason: format!("unexpected application id {app:#x}"),
    })
}

fn validate_workspace_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_WORKSPACE_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StateError::InvalidWorkspaceName {
            name: name.to_owned(),
        })
    }
}

fn ensure_workspace(tx: &mut dyn Tx, ws: &str) -> Result<()> {
    validate_workspace_name(ws)?;
    if tx.workspace_exists(ws)? {
        Ok(())
    } else {
        Err(StateError::WorkspaceNotFound(ws.to_owned()))
    }
}

fn current_workspace_of(tx: &mut dyn Tx) -> Result<String> {
    Ok(tx
        .setting("current_workspace")?
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned()))
}

/// An actor for a one-off store-level write (state rm/mv, intent resolution, restore).
fn ad_hoc_actor(ws: &str, operation: &str, cause: Option<String>) -> Actor {
    let me = identity();
    Actor {
        workspace: ws.to_owned(),
        run_id: uuid::Uuid::now_v7().to_string(),
        operation: operation.to_owned(),
        cause,
        user: me.user,
        host: me.host,
        pid: me.pid,
    }
}

impl Store {
    /// Opens or creates `dir/state.db` with default options.
    ///
    /// `dir` is the project's `.nimbus/` directory; it is created with mode
    /// 0700 if missing and the database with mode 0600. An older schema is
    /// upgraded in place; a newer one is refused with
    /// [`StateError::SchemaTooNew`].
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, StoreOptions::default())
    }

    /// [`Store::open`] with explicit options.
    pub fn open_with(dir: &Path, options: StoreOptions) -> Result<Store> {
        Store::local(Store::open_sqlite(dir, options)?)
    }

    /// Opens (creating and upgrading) the database file, without looking at
    /// its encryption.
    fn open_sqlite(dir: &Path, options: StoreOptions) -> Result<Sqlite> {
        backup::create_private_dir(dir)?;
        let db_path = dir.join(STATE_DB_FILE);
        check_not_emptied(dir, &db_path)?;
        // Created before SQLite opens it: SQLite gives -wal and -shm the same mode.
        backup::create_private_file(&db_path)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db_path.clone().into_os_string();
            p.push(suffix);
            backup::tighten(Path::new(&p));
        }
        let conn = (|| {
            let mut conn = open_connection(&db_path, &options)?;
            check_ours(&conn, &db_path)?;
            // A newer schema is refused before anything else is read.
            schema::check_not_newer(schema::user_version(&conn)?)?;
            check_intact(&conn, &db_path)?;
            schema::migrate(&mut conn)?;
            Ok(conn)
        })()
        .map_err(|e| located(&db_path, e))?;
        Ok(Sqlite {
            dir: dir.to_owned(),
            db_path,
            conn: Mutex::new(conn),
            options: options.clone(),
            read_only: false,
        })
    }

    /// Opens an existing state database for reading only. Every write method
    /// fails with [`StateError::ReadOnly`]. The schema must be current.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        Store::open_read_only_with(dir, StoreOptions::default())
    }

    /// [`Store::open_read_only`] with explicit options (the encryption key).
    pub fn open_read_only_with(dir: &Path, options: StoreOptions) -> Result<Store> {
        let db_path = dir.join(STATE_DB_FILE);
        if !db_path.is_file() {
            return Err(StateError::NotAStateDatabase {
                path: db_path,
                reason: "no such file".into(),
            });
        }
        check_not_emptied(dir, &db_path)?;
        let conn = (|| {
            let conn = Connection::open_with_flags(
                &db_path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(clamp_busy_timeout(options.busy_timeout))?;
            check_ours(&conn, &db_path)?;
            let found = schema::user_version(&conn)?;
            // A newer schema is refused before anything else is read.
            schema::check_not_newer(found)?;
            check_intact(&conn, &db_path)?;
            if found < SCHEMA_VERSION {
                return Err(StateError::NeedsMigration {
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Ok(conn)
        })()
        .map_err(|e| located(&db_path, e))?;
        Store::local(Sqlite {
            dir: dir.to_owned(),
            db_path,
            conn: Mutex::new(conn),
            options: options.clone(),
            read_only: true,
        })
    }

    fn local(sqlite: Sqlite) -> Result<Store> {
        let options = sqlite.options.clone();
        let writable = !sqlite.read_only;
        let sqlite = Arc::new(sqlite);
        Store::assemble(sqlite.clone(), Some(sqlite), options, writable)
    }

    /// A store on another backend (a remote database). The backend has
    /// created or upgraded its schema already. Fails when the encryption
    /// options do not open it (see [`Encryption`]), before anything is
    /// written.
    pub fn with_backend(backend: Arc<dyn Backend>, options: StoreOptions) -> Result<Store> {
        Store::assemble(backend, None, options, true)
    }

    /// The store over `backend` with its encryption established: a wrong
    /// or missing key fails here, before anything is written.
    fn assemble(
        backend: Arc<dyn Backend>,
        local: Option<Arc<Sqlite>>,
        options: StoreOptions,
        writable: bool,
    ) -> Result<Store> {
        let keys = crypt::establish(backend.as_ref(), &options.encryption, writable)?;
        let sealed = Arc::new(Sealed {
            inner: backend,
            keys: std::sync::RwLock::new(None),
        });
        sealed.set_keys(keys);
        Ok(Store {
            backend: sealed.clone(),
            sealed,
            local,
            options,
        })
    }

    /// Whether the state's values are encrypted at rest.
    pub fn is_encrypted(&self) -> bool {
        self.sealed.keys().is_some()
    }

    /// Re-encrypts every sealed value (resources, outputs, events,
    /// intents of every workspace) with the configured key and a fresh
    /// salt, in one transaction: from plaintext (an unencrypted store
    /// opened with [`Encryption::migrating`]) or from the key the store
    /// was opened with (the fallback, while rotating). Afterwards only the
    /// new key opens anything. Returns what was re-encrypted.
    pub fn rekey(&self) -> Result<RekeyReport> {
        self.writable()?;
        let setting = crypt::prepare_rekey(&self.options.encryption)?;
        let old = self.sealed.keys();
        let (keys, report) = backend::write(self.sealed.inner.as_ref(), |tx| {
            crypt::rekey(tx, old.as_deref(), setting)
        })?;
        self.sealed.set_keys(Some(keys));
        if let Some(local) = &self.local {
            // SQLite leaves what it overwrote in free pages and the
            // write-ahead log: rewritten whole, the file keeps no plaintext
            // (or values under the old key).
            let conn = local.conn();
            conn.execute_batch("VACUUM")?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(report)
    }

    /// Seals `bytes` (a saved plan) with the state's key, binding `aad`:
    /// `None` when the state is not encrypted.
    pub fn seal(&self, aad: &[u8], bytes: &[u8]) -> Result<Option<String>> {
        self.sealed
            .keys()
            .map(|keys| crypt::seal_blob(&keys, aad, bytes))
            .transpose()
    }

    /// Opens what [`Store::seal`] sealed, with the same `aad`.
    pub fn open_sealed(&self, aad: &[u8], sealed: &str) -> Result<Vec<u8>> {
        let keys = self.sealed.keys().ok_or_else(|| {
            StateError::Encryption(
                "this was encrypted with a state key, but the state is not encrypted".into(),
            )
        })?;
        crypt::open_blob(&keys, aad, sealed)
    }

    /// Where the state lives: the database file, or the remote backend's
    /// address (without credentials).
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// Path of the database file, for the embedded backend.
    pub fn path(&self) -> Option<&Path> {
        self.local.as_deref().map(Sqlite::path)
    }

    /// The `.nimbus/` directory, for the embedded backend.
    pub fn dir(&self) -> Option<&Path> {
        self.local.as_deref().map(|l| l.dir.as_path())
    }

    /// Directory of automatic and safety backups (`.nimbus/backups/`), for
    /// the embedded backend.
    pub fn backup_dir(&self) -> Option<PathBuf> {
        self.dir().map(|d| d.join(BACKUP_DIR))
    }

    /// The embedded backend, or the error saying an operation needs it.
    fn sqlite(&self, what: &str) -> Result<&Sqlite> {
        self.local
            .as_deref()
            .ok_or_else(|| StateError::Unsupported {
                operation: what.to_owned(),
                location: self.backend.location(),
            })
    }

    /// Refuses writes through a store opened read-only, before any work.
    pub(crate) fn writable(&self) -> Result<()> {
        match &self.local {
            Some(local) if local.read_only => Err(StateError::ReadOnly),
            _ => Ok(()),
        }
    }

    fn read<T: Send>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T> + Send) -> Result<T> {
        backend::read(self.backend.as_ref(), f)
    }

    /// Runs `f` in a write transaction and commits if it succeeds.
    fn write_tx<T: Send>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T> + Send) -> Result<T> {
        backend::write(self.backend.as_ref(), f)
    }

    // ----- workspaces -----------------------------------------------------

    /// Creates an empty workspace.
    pub fn create_workspace(&self, name: &str) -> Result<()> {
        validate_workspace_name(name)?;
        self.write_tx(|tx| {
            if !tx.insert_workspace(name, &now_rfc3339())? {
                return Err(StateError::WorkspaceExists(name.to_owned()));
            }
            Ok(())
        })
    }

    /// Makes `name` the current workspace (persisted in the state).
    pub fn select_workspace(&self, name: &str) -> Result<()> {
        self.write_tx(|tx| {
            ensure_workspace(tx, name)?;
            tx.set_setting("current_workspace", name)
        })
    }

    /// The store-wide setting `key`, if it has one.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|tx| tx.setting(key))
    }

    /// The store-wide setting `key`; when it has none yet, `init()`'s
    /// value is stored and returned. Two processes racing to set it agree
    /// on the first one written.
    pub fn setting_or_init(&self, key: &str, init: impl FnOnce() -> String) -> Result<String> {
        if let Some(value) = self.read(|tx| tx.setting(key))? {
            return Ok(value);
        }
        let value = init();
        self.write_tx(|tx| tx.init_setting(key, &value))?;
        self.read(|tx| tx.setting(key))?
            .ok_or_else(|| StateError::Corrupt(format!("setting {key} vanished")))
    }

    /// The selected workspace (`default` unless another was selected).
    pub fn current_workspace(&self) -> Result<String> {
        self.read(current_workspace_of)
    }

    /// All workspaces with their resource counts, ordered by name.
    pub fn list_workspaces(&self) -> Result<Vec<WorkspaceInfo>> {
        self.read(|tx| {
            let current = current_workspace_of(tx)?;
            Ok(tx
                .list_workspaces()?
                .into_iter()
                .map(|(name, resource_count)| WorkspaceInfo {
                    is_current: name == current,
                    name,
                    resource_count,
                })
                .collect())
        })
    }

    /// Deletes a workspace with its resources, outputs, history and intents.
    ///
    /// `default` and the current workspace cannot be deleted, nor a locked
    /// one. A workspace that still has resources or open intents needs `force`.
    pub fn delete_workspace(&self, name: &str, force: bool) -> Result<()> {
        validate_workspace_name(name)?;
        let refuse = |reason: String| StateError::WorkspaceNotDeletable {
            name: name.to_owned(),
            reason,
        };
        if name == DEFAULT_WORKSPACE {
            return Err(refuse("the default workspace always exists".into()));
        }
        self.write_tx(|tx| {
            ensure_workspace(tx, name)?;
            if current_workspace_of(tx)? == name {
                return Err(refuse(
                    "it is the current workspace; select another one first".into(),
                ));
            }
            if let Some(holder) = tx.lock(name)? {
                return Err(refuse(format!("it is locked by {holder}")));
            }
            if !force {
                let resources = tx.count_resources(name)?;
                if resources > 0 {
                    return Err(refuse(format!(
                        "it still has {resources} resource(s); destroy them first or force the deletion"
                    )));
                }
                let intents = tx.count_open_intents(name)?;
                if intents > 0 {
                    return Err(refuse(format!(
                        "it has {intents} unresolved intent(s); resolve them first or force the deletion"
                    )));
                }
            }
            tx.delete_workspace(name)
        })
    }

    // ----- reads ----------------------------------------------------------

    /// All resource instances of the workspace, ordered by address.
    pub fn resources(&self, ws: &str) -> Result<Vec<ResourceRecord>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.load_resources(ws)
        })
    }

    /// Resources whose address matches a `*`/`?` pattern (see [`glob_match`]).
    pub fn resources_matching(&self, ws: &str, pattern: &str) -> Result<Vec<ResourceRecord>> {
        let mut all = self.resources(ws)?;
        all.retain(|r| glob_match(pattern, &r.address));
        Ok(all)
    }

    /// One resource instance, if present.
    pub fn resource(&self, ws: &str, address: &str) -> Result<Option<ResourceRecord>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.fetch_resource(ws, address)?
                .map(|raw| raw.decode())
                .transpose()
        })
    }

    /// The workspace's outputs, ordered by name.
    pub fn outputs(&self, ws: &str) -> Result<Vec<OutputRecord>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.load_outputs(ws)
        })
    }

    /// Sequence number of the workspace's last event (0 if it has none).
    /// Plans store it so that applying a stale plan can be refused.
    pub fn head_sequence(&self, ws: &str) -> Result<u64> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.head_seq(ws)
        })
    }

    /// At most `limit` events of the workspace, newest first; with an address,
    /// only events about it (including moves to or from it).
    pub fn history(&self, ws: &str, address: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.history(ws, address, limit)
        })
    }

    /// Replays the workspace's whole event log into a fresh projection.
    /// Returns the number of events replayed.
    pub fn rebuild(&self, ws: &str) -> Result<u64> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            projection::replay(tx, ws, i64::MAX as u64)
        })
    }

    // ----- bounded history ------------------------------------------------

    /// Where the workspace's history was last compacted, if it was: the
    /// history ([`Store::history`]) starts there, with a snapshot of the
    /// state right after that event.
    pub fn compaction(&self, ws: &str) -> Result<Option<Compaction>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.compaction(ws)
        })
    }

    /// The retention configured for automatic compaction, if any.
    pub fn retention(&self) -> Result<Option<Retention>> {
        self.read(|tx| tx.setting(compact::RETENTION_SETTING))?
            .map(|text| compact::parse_retention(&text))
            .transpose()
    }

    /// Configures the retention every apply and destroy then compacts by
    /// ([`Store::compact_by_setting`]), or with `None` stops that.
    pub fn set_retention(&self, retention: Option<&Retention>) -> Result<()> {
        let text = match retention {
            Some(r) if r.is_empty() => {
                return Err(StateError::InvalidInput(
                    "a retention keeps runs by count, by age or both".into(),
                ));
            }
            Some(r) => Some(compact::retention_text(r)?),
            None => None,
        };
        self.write_tx(|tx| match &text {
            Some(text) => tx.set_setting(compact::RETENTION_SETTING, text),
            None => tx.delete_setting(compact::RETENTION_SETTING),
        })
    }

    /// Compacts the workspace's history: the runs `retention` keeps stay
    /// with their events, everything before the oldest of them is folded
    /// into a snapshot of the state at that point (see the `compact`
    /// module), in one transaction. Runs, closed intents and restore
    /// points without a backup file from before the new boundary go with
    /// it. With `dry_run` nothing is written: the report says what a
    /// compaction would do now. The embedded file is then rewritten
    /// (`VACUUM`) so that it shrinks, and the report has its sizes.
    ///
    /// The caller is expected to hold the workspace lock.
    pub fn compact(
        &self,
        ws: &str,
        retention: &Retention,
        dry_run: bool,
    ) -> Result<CompactionReport> {
        self.compact_with(ws, retention, dry_run, Vacuum::WhenShrunk)
    }

    /// Compacts the workspace by the configured retention, if one is
    /// configured ([`Store::set_retention`]); what a run calls after it
    /// finished, under its lock. The embedded file is rewritten only once
    /// a quarter of it is free space, so that not every run pays for
    /// rewriting it while the file still stops growing (SQLite reuses
    /// free pages).
    pub fn compact_by_setting(&self, ws: &str) -> Result<Option<CompactionReport>> {
        let Some(retention) = self.retention()? else {
            return Ok(None);
        };
        self.compact_with(ws, &retention, false, Vacuum::WhenMostlyFree)
            .map(Some)
    }

    fn compact_with(
        &self,
        ws: &str,
        retention: &Retention,
        dry_run: bool,
        vacuum: Vacuum,
    ) -> Result<CompactionReport> {
        self.writable()?;
        self.read(|tx| ensure_workspace(tx, ws))?;
        let size_before = self.local.as_deref().map(Sqlite::size).transpose()?;
        let now = time::OffsetDateTime::now_utc();
        let mut report = None;
        self.backend.connect()?.write(&mut |tx| {
            report = Some(compact::compact(tx, ws, retention, now)?);
            Ok(if dry_run {
                Finish::Rollback
            } else {
                Finish::Commit
            })
        })?;
        let mut report = report.ok_or_else(|| StateError::corrupt("the compaction did not run"))?;
        report.dry_run = dry_run;
        if let (Some(local), Some(before), false) = (&self.local, size_before, dry_run) {
            if report.removed_anything() && vacuum.due(&local.conn())? {
                let conn = local.conn();
                conn.execute_batch("VACUUM")?;
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            }
            report.bytes = Some((before, local.size()?));
        }
        Ok(report)
    }

    // ----- runs and intents -----------------------------------------------

    /// Starts a run and returns its [`Recorder`].
    ///
    /// For `apply` and `destroy` a restore point (the workspace's head seq) is
    /// recorded first, and with the embedded backend, on the first and then
    /// every [`StoreOptions::backup_every`]-th such run a full backup is
    /// written to `.nimbus/backups/`, keeping the newest
    /// [`StoreOptions::backup_keep`]. The caller is expected to hold the
    /// workspace lock.
    pub fn begin_run(&self, ws: &str, info: RunInfo) -> Result<Recorder> {
        self.writable()?;
        if info.run_id.is_empty() || info.operation.is_empty() {
            return Err(StateError::InvalidInput(
                "a run needs a run id and an operation".into(),
            ));
        }
        let me = identity();
        let actor = Actor {
            workspace: ws.to_owned(),
            run_id: info.run_id,
            operation: info.operation,
            cause: info.cause,
            user: me.user,
            host: me.host,
            pid: me.pid,
        };
        let takes_restore_point = RESTORE_POINT_OPERATIONS.contains(&actor.operation.as_str());
        let runs_so_far = self.read(|tx| {
            ensure_workspace(tx, ws)?;
            if tx.run_exists(&actor.run_id)? {
                return Err(StateError::RunExists(actor.run_id.clone()));
            }
            Ok(tx
                .setting("restore_point_runs")?
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0))
        })?;
        let every = u64::from(self.options.backup_every);
        let backup_due = takes_restore_point && every > 0 && runs_so_far.is_multiple_of(every);
        let backup_path = match (&self.local, backup_due) {
            (Some(local), true) => {
                let path = local.dir.join(BACKUP_DIR).join(format!(
                    "{}{}.db",
                    backup::AUTO_PREFIX,
                    backup::file_stamp()
                ));
                backup::backup_to(&local.conn(), &path)?;
                Some(path)
            }
            _ => None,
        };
        self.write_tx(|tx| {
            write::insert_run(tx, &actor, "running")?;
            if takes_restore_point {
                let head = tx.head_seq(ws)?;
                let backup_path = backup_path
                    .as_ref()
                    .map(|p| p.to_string_lossy().into_owned());
                tx.insert_restore_point(&RestorePointRow {
                    workspace: ws,
                    seq: head,
                    run_id: &actor.run_id,
                    operation: &actor.operation,
                    created_at: &now_rfc3339(),
                    backup_path: backup_path.as_deref(),
                })?;
                let runs: u64 = tx
                    .setting("restore_point_runs")?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                tx.set_setting("restore_point_runs", &(runs + 1).to_string())?;
            }
            Ok(())
        })?;
        if let (Some(local), Some(_)) = (&self.local, &backup_path) {
            backup::prune(&local.dir.join(BACKUP_DIR), self.options.backup_keep)?;
        }
        // A run that holds a leased lock is fenced: should the lease run
        // out and the lock be taken over, it records nothing more.
        let fenced = self.backend.lock_lease().is_some()
            && self
                .read(|tx| tx.lock(ws))?
                .is_some_and(|lock| lock.run_id == actor.run_id);
        Recorder::spawn(self.backend.connect()?, actor, fenced)
    }

    /// Intents of the workspace that were never completed or resolved, oldest
    /// first. Each one is a provider call whose result may be missing from state.
    pub fn open_intents(&self, ws: &str) -> Result<Vec<Intent>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.open_intents(ws)
        })
    }

    /// Closes an open intent left by an interrupted run, recording an
    /// `intent.resolve` event (and, when adopted, the outcome's event).
    /// Returns the seq of the `intent.resolve` event.
    pub fn resolve_intent(&self, id: IntentId, resolution: IntentResolution) -> Result<u64> {
        let adopted = match resolution {
            IntentResolution::Adopted(outcome) => Some(EncodedOutcome::new(outcome)?),
            IntentResolution::Discarded => None,
        };
        self.write_tx(|tx| {
            let intent = write::open_intent(tx, id)?;
            let actor = ad_hoc_actor(&intent.workspace, "resolve intent", None);
            write::insert_run(tx, &actor, "succeeded")?;
            write::resolve(tx, &actor, id, adopted.as_ref())
        })
    }

    // ----- locking --------------------------------------------------------

    /// Takes the workspace's writer lock. See [`LockRequest`] for waiting and
    /// stale-lock takeover; fails with [`StateError::Locked`] or
    /// [`StateError::StaleLock`], both naming the holder.
    pub fn lock(&self, ws: &str, request: LockRequest) -> Result<LockGuard> {
        self.writable()?;
        self.read(|tx| ensure_workspace(tx, ws))?;
        lock::acquire(&self.backend, ws, &request)
    }

    /// Who holds the workspace's lock, if anyone.
    pub fn current_lock(&self, ws: &str) -> Result<Option<LockInfo>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.lock(ws)
        })
    }

    /// Removes the workspace's lock if its id is `lock_id`, whoever holds it.
    pub fn force_unlock(&self, ws: &str, lock_id: &str) -> Result<()> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            if !tx.delete_lock(ws, lock_id)? {
                return Err(StateError::LockNotFound {
                    workspace: ws.to_owned(),
                    id: lock_id.to_owned(),
                });
            }
            Ok(())
        })
    }

    // ----- state commands -------------------------------------------------

    /// `state rm`: forgets a resource without touching the real object.
    /// Returns the event's seq.
    pub fn remove_resource(&self, ws: &str, address: &str) -> Result<u64> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            let actor = ad_hoc_actor(ws, "state rm", None);
            write::insert_run(tx, &actor, "succeeded")?;
            write::remove(tx, &actor, address, None)
        })
    }

    /// `taint` / `untaint`: marks a resource to be replaced by the next
    /// apply, or clears the mark. Returns the event's seq, or `None` when
    /// the resource already had that status.
    pub fn set_status(
        &self,
        ws: &str,
        address: &str,
        status: ResourceStatus,
    ) -> Result<Option<u64>> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            let Some(raw) = tx.fetch_resource(ws, address)? else {
                return Err(StateError::ResourceNotFound {
                    workspace: ws.to_owned(),
                    address: address.to_owned(),
                });
            };
            let mut record = raw.decode()?;
            if record.status == status {
                return Ok(None);
            }
            record.status = status;
            let operation = match status {
                ResourceStatus::Tainted => "taint",
                _ => "untaint",
            };
            let actor = ad_hoc_actor(ws, operation, None);
            write::insert_run(tx, &actor, "succeeded")?;
            let encoded = projection::EncodedResource::new(record)?;
            write::upsert(tx, &actor, &encoded, None, None, false)
        })
    }

    /// Adopts objects made elsewhere (a Terraform state): every record and
    /// output in one transaction, as one run named `operation`. All or
    /// nothing: an address already in the workspace refuses the whole
    /// adoption. Outputs are added to those the workspace has. Returns the
    /// head event afterwards.
    pub fn adopt(
        &self,
        ws: &str,
        operation: &str,
        records: &[ResourceRecord],
        outputs: &[OutputRecord],
    ) -> Result<u64> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            let actor = ad_hoc_actor(ws, operation, None);
            write::insert_run(tx, &actor, "succeeded")?;
            for record in records {
                if tx.resource_exists(ws, &record.address)? {
                    return Err(StateError::ResourceExists {
                        workspace: ws.to_owned(),
                        address: record.address.clone(),
                    });
                }
                let encoded = projection::EncodedResource::new(record.clone())?;
                write::upsert(tx, &actor, &encoded, Some("resource.import"), None, false)?;
            }
            if !outputs.is_empty() {
                let mut all: Vec<OutputRecord> = tx
                    .load_outputs(ws)?
                    .into_iter()
                    .filter(|o| !outputs.iter().any(|n| n.name == o.name))
                    .collect();
                all.extend(outputs.iter().cloned());
                write::set_outputs(tx, &actor, &all)?;
            }
            tx.head_seq(ws)
        })
    }

    /// `state mv`: renames a resource. Fails if `from` is missing or `to` exists.
    /// Returns the event's seq.
    pub fn move_resource(&self, ws: &str, from: &str, to: &str) -> Result<u64> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            let actor = ad_hoc_actor(ws, "state mv", None);
            write::insert_run(tx, &actor, "succeeded")?;
            write::move_resource(tx, &actor, from, to)
        })
    }

    /// `state mv` of a whole block or module: `from` names a resource
    /// instance, a block (all its `count`/`for-each` instances move, keys
    /// kept) or a module (everything in it moves). All or nothing, in one
    /// transaction. Returns the moves made, in address order.
    pub fn move_resources(&self, ws: &str, from: &str, to: &str) -> Result<Vec<(String, String)>> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            let actor = ad_hoc_actor(ws, "state mv", None);
            write::insert_run(tx, &actor, "succeeded")?;
            if tx.resource_exists(ws, from)? {
                write::move_resource(tx, &actor, from, to)?;
                return Ok(vec![(from.to_owned(), to.to_owned())]);
            }
            let inside = tx.addresses_within(ws, from)?;
            if inside.is_empty() {
                return Err(StateError::ResourceNotFound {
                    workspace: ws.to_owned(),
                    address: from.to_owned(),
                });
            }
            if to.ends_with(']') {
                return Err(StateError::InvalidInput(format!(
                    "{from} has several instances; move them to a block address without an index (not {to})"
                )));
            }
            let mut moves = Vec::with_capacity(inside.len());
            for address in inside {
                let moved = format!("{to}{}", &address[from.len()..]);
                write::move_resource(tx, &actor, &address, &moved)?;
                moves.push((address, moved));
            }
            Ok(moves)
        })
    }

    // ----- backups and restore ----------------------------------------------

    /// Writes a consistent copy of the whole database to `path` (online
    /// backup API; writers may continue meanwhile). The copy is a single
    /// self-contained file with mode 0600. Embedded backend only.
    pub fn backup_to(&self, path: &Path) -> Result<()> {
        let local = self.sqlite("a backup file")?;
        backup::backup_to(&local.conn(), path)
    }

    /// Replaces the whole database with the copy at `path`, after checking
    /// that it is a nimbus state database this build understands. The
    /// current database is first saved to `.nimbus/backups/pre-restore-*.db`,
    /// whose path is returned. An older copy is migrated after the restore.
    /// Embedded backend only.
    ///
    /// No run should be in progress: open recorders would continue writing
    /// on top of the restored content.
    pub fn restore_from(&self, path: &Path) -> Result<PathBuf> {
        let local = self.sqlite("restoring a backup file")?;
        if local.read_only {
            return Err(StateError::ReadOnly);
        }
        let src = backup::open_validated(path)?;
        let safety = local.dir.join(BACKUP_DIR).join(format!(
            "{}{}.db",
            backup::SAFETY_PREFIX,
            backup::file_stamp()
        ));
        let mut conn = local.conn();
        backup::backup_to(&conn, &safety)?;
        // Locks are about the processes running now, not about the state:
        // the copy's (the run that was beginning when it was taken) would
        // be stale, and the lock this restore runs under would be lost.
        let held = held_locks(&conn)?;
        backup::copy_pages(&src, &mut conn)?;
        drop(src);
        schema::migrate(&mut conn)?;
        replace_locks(&conn, &held)?;
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            let _: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        }
        Ok(safety)
    }

    /// The newest automatic backup in `dir/backups/` (`dir` being the
    /// project's `.nimbus/` directory) that is a sound nimbus state database
    /// this build reads, or `None`. Works without opening the state itself,
    /// so it also serves when that is damaged.
    pub fn latest_backup(dir: &Path) -> Result<Option<PathBuf>> {
        for candidate in backup::auto_backups(&dir.join(BACKUP_DIR))?
            .into_iter()
            .rev()
        {
            if backup::open_validated(&candidate).is_ok() {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    /// Replaces a state database that cannot be opened because it is
    /// damaged ([`StateError::is_damage`]) with the copy at `path`, checked
    /// as [`Store::restore_from`] checks it. The damaged file (with its
    /// write-ahead log) is moved to `.nimbus/backups/damaged-*.db`, whose
    /// path is returned. No lock is taken: locks live in the database.
    pub fn restore_damaged(dir: &Path, path: &Path) -> Result<PathBuf> {
        let src = backup::open_validated(path)?;
        let db_path = dir.join(STATE_DB_FILE);
        let backups = dir.join(BACKUP_DIR);
        backup::create_private_dir(&backups)?;
        let aside = backups.join(format!("damaged-{}.db", backup::file_stamp()));
        let with_suffix = |p: &Path, suffix: &str| {
            let mut p = p.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        };
        // The log belongs to the damaged file: left in place, SQLite would
        // replay it into the restored one.
        for suffix in ["", "-wal"] {
            let from = with_suffix(&db_path, suffix);
            match std::fs::rename(&from, with_suffix(&aside, suffix)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::io(from, e)),
            }
        }
        let shm = with_suffix(&db_path, "-shm");
        match std::fs::remove_file(&shm) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::io(shm, e)),
        }
        backup::backup_to(&src, &db_path)?;
        drop(src);
        // Opening migrates an older copy and returns it to WAL mode. The
        // copy's locks (the run beginning when it was taken) are stale.
        // The state's encryption is not needed for that: the file is opened
        // as a database only.
        let local = Store::open_sqlite(dir, StoreOptions::default())?;
        replace_locks(&local.conn(), &[])?;
        Ok(aside)
    }

    /// Restores the workspace's resources and outputs to how they were right
    /// after event `seq` (0: empty), by appending the events that undo
    /// everything since then plus a `state.restore` marker. History is never
    /// rewritten. Returns the marker's seq.
    pub fn restore_to_event(&self, ws: &str, seq: u64) -> Result<u64> {
        self.write_tx(|tx| {
            ensure_workspace(tx, ws)?;
            let head = tx.head_seq(ws)?;
            if seq > head {
                return Err(StateError::EventNotFound {
                    workspace: ws.to_owned(),
                    seq,
                    head,
                });
            }
            let current = tx.load_resources(ws)?;
            let current_outputs = tx.load_outputs(ws)?;
            projection::replay(tx, ws, seq)?;
            let target = tx.load_resources(ws)?;
            let target_outputs = tx.load_outputs(ws)?;
            let actor = ad_hoc_actor(ws, "state restore", Some(format!("event:{seq}")));
            write::insert_run(tx, &actor, "succeeded")?;
            write::record_difference(
                tx,
                &actor,
                current,
                &target,
                current_outputs,
                &target_outputs,
            )?;
            write::restore_marker(tx, &actor, seq)
        })
    }

    /// Restore points of the workspace, newest first.
    pub fn restore_points(&self, ws: &str) -> Result<Vec<RestorePoint>> {
        self.read(|tx| {
            ensure_workspace(tx, ws)?;
            tx.restore_points(ws)
        })
    }

    /// Automatic backups currently kept in `.nimbus/backups/`, oldest first
    /// (none on a remote backend).
    pub fn backups(&self) -> Result<Vec<PathBuf>> {
        match self.backup_dir() {
            Some(dir) => backup::auto_backups(&dir),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_names() {
        for ok in ["default", "a", "prod-eu_1", "X"] {
            assert!(validate_workspace_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "ü", "..", &"x".repeat(129)] {
            assert!(validate_workspace_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Store>();
        assert_send_sync::<Recorder>();
        assert_send_sync::<LockGuard>();
        assert_send_sync::<StateError>();
    }
}
