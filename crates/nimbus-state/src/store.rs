//! [`Store`]: opening the database, workspaces, reads, and one-off writes.
//!
//! The store keeps one connection for reads and short administrative writes
//! (workspace management, `state rm`/`mv`, locks). Writes during a run go
//! through a [`Recorder`], which has its own connection and thread. WAL mode
//! lets both coexist: readers see the last committed state and never wait for
//! a writer; writers wait for each other through `busy_timeout`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::backup;
use crate::error::StateError;
use crate::identity::identity;
use crate::lock::{self, LockGuard};
use crate::matcher::glob_match;
use crate::projection;
use crate::recorder::Recorder;
use crate::schema::{self, SCHEMA_VERSION};
use crate::types::{
    Event, Intent, IntentAction, IntentId, IntentResolution, LockInfo, LockRequest, OutputRecord,
    ResourceRecord, ResourceStatus, RestorePoint, RunInfo, WorkspaceInfo,
};
use crate::write::{self, Actor, EncodedOutcome, now_rfc3339, parse_json_opt};

type Result<T> = std::result::Result<T, StateError>;

/// File name of the state database inside the `.nimbus/` directory.
pub const STATE_DB_FILE: &str = "state.db";

/// Name of the workspace that always exists.
const DEFAULT_WORKSPACE: &str = "default";

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
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: Duration::from_secs(10),
            backup_every: 10,
            backup_keep: 5,
        }
    }
}

/// State shared by a store, its lock guards and nothing else.
pub(crate) struct Shared {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Mutex<Connection>,
    options: StoreOptions,
    read_only: bool,
}

impl Shared {
    /// The store's connection. A panic while it was held cannot leave it in a
    /// bad state (transactions roll back on drop), so poisoning is ignored.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The state database of one project (`.nimbus/state.db`).
///
/// `Store` is `Send + Sync`; share it behind an `Arc` if several threads read.
pub struct Store {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.shared.db_path)
            .field("read_only", &self.shared.read_only)
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
fn open_connection(path: &Path, options: &StoreOptions) -> Result<Connection> {
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

fn workspace_exists(conn: &Connection, ws: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM workspaces WHERE name = ?1")?;
    Ok(stmt.exists([ws])?)
}

fn ensure_workspace(conn: &Connection, ws: &str) -> Result<()> {
    validate_workspace_name(ws)?;
    if workspace_exists(conn, ws)? {
        Ok(())
    } else {
        Err(StateError::WorkspaceNotFound(ws.to_owned()))
    }
}

fn current_workspace_of(conn: &Connection) -> Result<String> {
    Ok(conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'current_workspace'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_owned()))
}

fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn count(conn: &Connection, sql: &str, ws: &str) -> Result<u64> {
    Ok(conn.query_row(sql, [ws], |r| r.get(0))?)
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
        Ok(Store {
            shared: Arc::new(Shared {
                dir: dir.to_owned(),
                db_path,
                conn: Mutex::new(conn),
                options,
                read_only: false,
            }),
        })
    }

    /// Opens an existing state database for reading only. Every write method
    /// fails with [`StateError::ReadOnly`]. The schema must be current.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        let db_path = dir.join(STATE_DB_FILE);
        if !db_path.is_file() {
            return Err(StateError::NotAStateDatabase {
                path: db_path,
                reason: "no such file".into(),
            });
        }
        check_not_emptied(dir, &db_path)?;
        let options = StoreOptions::default();
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
        Ok(Store {
            shared: Arc::new(Shared {
                dir: dir.to_owned(),
                db_path,
                conn: Mutex::new(conn),
                options,
                read_only: true,
            }),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.shared.db_path
    }

    /// The `.nimbus/` directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Directory of automatic and safety backups (`.nimbus/backups/`).
    pub fn backup_dir(&self) -> PathBuf {
        self.shared.dir.join(BACKUP_DIR)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.shared.conn()
    }

    fn writable(&self) -> Result<()> {
        if self.shared.read_only {
            Err(StateError::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits if it succeeds.
    fn write_tx<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.writable()?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    // ----- workspaces -----------------------------------------------------

    /// Creates an empty workspace.
    pub fn create_workspace(&self, name: &str) -> Result<()> {
        validate_workspace_name(name)?;
        self.write_tx(|c| {
            let n = c.execute(
                "INSERT OR IGNORE INTO workspaces (name, created_at) VALUES (?1, ?2)",
                params![name, now_rfc3339()],
            )?;
            if n == 0 {
                return Err(StateError::WorkspaceExists(name.to_owned()));
            }
            Ok(())
        })
    }

    /// Makes `name` the current workspace (persisted in the database).
    pub fn select_workspace(&self, name: &str) -> Result<()> {
        self.write_tx(|c| {
            ensure_workspace(c, name)?;
            set_setting(c, "current_workspace", name)
        })
    }

    /// The store-wide setting `key`; when it has none yet, `init()`'s
    /// value is stored and returned. Two processes racing to set it agree
    /// on the first one written.
    pub fn setting_or_init(&self, key: &str, init: impl FnOnce() -> String) -> Result<String> {
        if let Some(value) = setting(&self.conn(), key)? {
            return Ok(value);
        }
        let value = init();
        self.write_tx(|c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, value],
            )?;
            Ok(())
        })?;
        setting(&self.conn(), key)?
            .ok_or_else(|| StateError::Corrupt(format!("setting {key} vanished")))
    }

    /// The selected workspace (`default` unless another was selected).
    pub fn current_workspace(&self) -> Result<String> {
        current_workspace_of(&self.conn())
    }

    /// All workspaces with their resource counts, ordered by name.
    pub fn list_workspaces(&self) -> Result<Vec<WorkspaceInfo>> {
        let conn = self.conn();
        let current = current_workspace_of(&conn)?;
        let mut stmt = conn.prepare_cached(
            "SELECT w.name, (SELECT count(*) FROM resources r WHERE r.workspace = w.name)
             FROM workspaces w ORDER BY w.name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, resource_count) = row?;
            out.push(WorkspaceInfo {
                is_current: name == current,
                name,
                resource_count,
            });
        }
        Ok(out)
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
        self.write_tx(|c| {
            ensure_workspace(c, name)?;
            if current_workspace_of(c)? == name {
                return Err(refuse(
                    "it is the current workspace; select another one first".into(),
                ));
            }
            if let Some(holder) = lock::current(c, name)? {
                return Err(refuse(format!("it is locked by {holder}")));
            }
            if !force {
                let resources = count(c, "SELECT count(*) FROM resources WHERE workspace = ?1", name)?;
                if resources > 0 {
                    return Err(refuse(format!(
                        "it still has {resources} resource(s); destroy them first or force the deletion"
                    )));
                }
                let intents = count(
                    c,
                    "SELECT count(*) FROM intents WHERE workspace = ?1 AND closed_at IS NULL",
                    name,
                )?;
                if intents > 0 {
                    return Err(refuse(format!(
                        "it has {intents} unresolved intent(s); resolve them first or force the deletion"
                    )));
                }
            }
            for table in [
                "resources",
                "outputs",
                "events",
                "intents",
                "runs",
                "restore_points",
                "locks",
            ] {
                c.execute(&format!("DELETE FROM {table} WHERE workspace = ?1"), [name])?;
            }
            c.execute("DELETE FROM workspaces WHERE name = ?1", [name])?;
            Ok(())
        })
    }

    // ----- reads ----------------------------------------------------------

    /// All resource instances of the workspace, ordered by address.
    pub fn resources(&self, ws: &str) -> Result<Vec<ResourceRecord>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        projection::load_resources(&conn, ws)
    }

    /// Resources whose address matches a `*`/`?` pattern (see [`glob_match`]).
    pub fn resources_matching(&self, ws: &str, pattern: &str) -> Result<Vec<ResourceRecord>> {
        let mut all = self.resources(ws)?;
        all.retain(|r| glob_match(pattern, &r.address));
        Ok(all)
    }

    /// One resource instance, if present.
    pub fn resource(&self, ws: &str, address: &str) -> Result<Option<ResourceRecord>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        projection::load_resource(&conn, ws, address)
    }

    /// The workspace's outputs, ordered by name.
    pub fn outputs(&self, ws: &str) -> Result<Vec<OutputRecord>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        projection::load_outputs(&conn, ws)
    }

    /// Sequence number of the workspace's last event (0 if it has none).
    /// Plans store it so that applying a stale plan can be refused.
    pub fn head_sequence(&self, ws: &str) -> Result<u64> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        write::head_seq(&conn, ws)
    }

    /// At most `limit` events of the workspace, newest first; with an address,
    /// only events about it (including moves to or from it).
    pub fn history(&self, ws: &str, address: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let cols = "seq, workspace, time, run_id, cause, user, host, operation, kind, address, before, after";
        let mut stmt;
        let mut rows = match address {
            Some(a) => {
                stmt = conn.prepare_cached(&format!(
                    "SELECT {cols} FROM events WHERE workspace = ?1 AND address = ?2
                     UNION ALL
                     SELECT {cols} FROM events WHERE workspace = ?1 AND prev_address = ?2
                     ORDER BY seq DESC LIMIT ?3"
                ))?;
                stmt.query(params![ws, a, limit])?
            }
            None => {
                stmt = conn.prepare_cached(&format!(
                    "SELECT {cols} FROM events WHERE workspace = ?1 ORDER BY seq DESC LIMIT ?2"
                ))?;
                stmt.query(params![ws, limit])?
            }
        };
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Event {
                seq: r.get(0)?,
                workspace: r.get(1)?,
                time: r.get(2)?,
                run_id: r.get(3)?,
                cause: r.get(4)?,
                user: r.get(5)?,
                host: r.get(6)?,
                operation: r.get(7)?,
                kind: r.get(8)?,
                address: r.get(9)?,
                before: parse_json_opt(r.get(10)?)?,
                after: parse_json_opt(r.get(11)?)?,
            });
        }
        Ok(out)
    }

    /// Replays the workspace's whole event log into a fresh projection.
    /// Returns the number of events replayed.
    pub fn rebuild(&self, ws: &str) -> Result<u64> {
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            projection::replay(c, ws, i64::MAX as u64)
        })
    }

    // ----- runs and intents -----------------------------------------------

    /// Starts a run and returns its [`Recorder`].
    ///
    /// For `apply` and `destroy` a restore point (the workspace's head seq) is
    /// recorded first, and on the first and then every
    /// [`StoreOptions::backup_every`]-th such run a full backup is written to
    /// `.nimbus/backups/`, keeping the newest [`StoreOptions::backup_keep`].
    /// The caller is expected to hold the workspace lock.
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
        let backup_due = {
            let conn = self.conn();
            ensure_workspace(&conn, ws)?;
            let exists = conn
                .prepare_cached("SELECT 1 FROM runs WHERE run_id = ?1")?
                .exists([&actor.run_id])?;
            if exists {
                return Err(StateError::RunExists(actor.run_id));
            }
            let runs: u64 = setting(&conn, "restore_point_runs")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let every = u64::from(self.shared.options.backup_every);
            takes_restore_point && every > 0 && runs.is_multiple_of(every)
        };
        let backup_path = if backup_due {
            let path = self.backup_dir().join(format!(
                "{}{}.db",
                backup::AUTO_PREFIX,
                backup::file_stamp()
            ));
            backup::backup_to(&self.conn(), &path)?;
            Some(path)
        } else {
            None
        };
        self.write_tx(|c| {
            write::insert_run(c, &actor, "running")?;
            if takes_restore_point {
                let head = write::head_seq(c, ws)?;
                c.execute(
                    "INSERT INTO restore_points (workspace, seq, run_id, operation, created_at, backup_path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        ws,
                        head,
                        actor.run_id,
                        actor.operation,
                        now_rfc3339(),
                        backup_path.as_ref().map(|p| p.to_string_lossy().into_owned())
                    ],
                )?;
                let runs: u64 = setting(c, "restore_point_runs")?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                set_setting(c, "restore_point_runs", &(runs + 1).to_string())?;
            }
            Ok(())
        })?;
        if backup_path.is_some() {
            backup::prune(&self.backup_dir(), self.shared.options.backup_keep)?;
        }
        let conn = open_connection(&self.shared.db_path, &self.shared.options)?;
        Recorder::spawn(conn, actor)
    }

    /// Intents of the workspace that were never completed or resolved, oldest
    /// first. Each one is a provider call whose result may be missing from state.
    pub fn open_intents(&self, ws: &str) -> Result<Vec<Intent>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, run_id, address, action, resource_type, provider, detail, created_at
             FROM intents WHERE workspace = ?1 AND closed_at IS NULL ORDER BY id",
        )?;
        let mut rows = stmt.query([ws])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id = IntentId(r.get(0)?);
            let action: String = r.get(3)?;
            let detail: String = r.get(6)?;
            out.push(Intent {
                id,
                run_id: r.get(1)?,
                address: r.get(2)?,
                action: IntentAction::parse(&action).ok_or_else(|| {
                    StateError::corrupt(format!("intent {id}: unknown action {action:?}"))
                })?,
                resource_type: r.get(4)?,
                provider: r.get(5)?,
                detail: serde_json::from_str(&detail).map_err(StateError::corrupt)?,
                created_at: r.get(7)?,
            });
        }
        Ok(out)
    }

    /// Closes an open intent left by an interrupted run, recording an
    /// `intent.resolve` event (and, when adopted, the outcome's event).
    /// Returns the seq of the `intent.resolve` event.
    pub fn resolve_intent(&self, id: IntentId, resolution: IntentResolution) -> Result<u64> {
        self.writable()?;
        let adopted = match resolution {
            IntentResolution::Adopted(outcome) => Some(EncodedOutcome::new(outcome)?),
            IntentResolution::Discarded => None,
        };
        self.write_tx(|c| {
            let intent = write::open_intent(c, id)?;
            let actor = ad_hoc_actor(&intent.workspace, "resolve intent", None);
            write::insert_run(c, &actor, "succeeded")?;
            write::resolve(c, &actor, id, adopted.as_ref())
        })
    }

    // ----- locking --------------------------------------------------------

    /// Takes the workspace's writer lock. See [`LockRequest`] for waiting and
    /// stale-lock takeover; fails with [`StateError::Locked`] or
    /// [`StateError::StaleLock`], both naming the holder.
    pub fn lock(&self, ws: &str, request: LockRequest) -> Result<LockGuard> {
        self.writable()?;
        {
            let conn = self.conn();
            ensure_workspace(&conn, ws)?;
        }
        lock::acquire(&self.shared, ws, &request)
    }

    /// Who holds the workspace's lock, if anyone.
    pub fn current_lock(&self, ws: &str) -> Result<Option<LockInfo>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        lock::current(&conn, ws)
    }

    /// Removes the workspace's lock if its id is `lock_id`, whoever holds it.
    pub fn force_unlock(&self, ws: &str, lock_id: &str) -> Result<()> {
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            lock::force_unlock(c, ws, lock_id)
        })
    }

    // ----- state commands -------------------------------------------------

    /// `state rm`: forgets a resource without touching the real object.
    /// Returns the event's seq.
    pub fn remove_resource(&self, ws: &str, address: &str) -> Result<u64> {
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            let actor = ad_hoc_actor(ws, "state rm", None);
            write::insert_run(c, &actor, "succeeded")?;
            write::remove(c, &actor, address, None)
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
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            let Some(mut record) = projection::load_resource(c, ws, address)? else {
                return Err(StateError::ResourceNotFound {
                    workspace: ws.to_owned(),
                    address: address.to_owned(),
                });
            };
            if record.status == status {
                return Ok(None);
            }
            record.status = status;
            let operation = match status {
                ResourceStatus::Tainted => "taint",
                _ => "untaint",
            };
            let actor = ad_hoc_actor(ws, operation, None);
            write::insert_run(c, &actor, "succeeded")?;
            let encoded = projection::EncodedResource::new(record)?;
            write::upsert(c, &actor, &encoded, None, None, false)
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
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            let actor = ad_hoc_actor(ws, operation, None);
            write::insert_run(c, &actor, "succeeded")?;
            for record in records {
                if projection::resource_exists(c, ws, &record.address)? {
                    return Err(StateError::ResourceExists {
                        workspace: ws.to_owned(),
                        address: record.address.clone(),
                    });
                }
                let encoded = projection::EncodedResource::new(record.clone())?;
                write::upsert(c, &actor, &encoded, Some("resource.import"), None, false)?;
            }
            if !outputs.is_empty() {
                let mut all: Vec<OutputRecord> = projection::output_map(c, ws)?
                    .into_values()
                    .filter(|o| !outputs.iter().any(|n| n.name == o.name))
                    .collect();
                all.extend(outputs.iter().cloned());
                write::set_outputs(c, &actor, &all)?;
            }
            write::head_seq(c, ws)
        })
    }

    /// `state mv`: renames a resource. Fails if `from` is missing or `to` exists.
    /// Returns the event's seq.
    pub fn move_resource(&self, ws: &str, from: &str, to: &str) -> Result<u64> {
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            let actor = ad_hoc_actor(ws, "state mv", None);
            write::insert_run(c, &actor, "succeeded")?;
            write::move_resource(c, &actor, from, to)
        })
    }

    /// `state mv` of a whole block or module: `from` names a resource
    /// instance, a block (all its `count`/`for-each` instances move, keys
    /// kept) or a module (everything in it moves). All or nothing, in one
    /// transaction. Returns the moves made, in address order.
    pub fn move_resources(&self, ws: &str, from: &str, to: &str) -> Result<Vec<(String, String)>> {
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            let actor = ad_hoc_actor(ws, "state mv", None);
            write::insert_run(c, &actor, "succeeded")?;
            if projection::resource_exists(c, ws, from)? {
                write::move_resource(c, &actor, from, to)?;
                return Ok(vec![(from.to_owned(), to.to_owned())]);
            }
            let inside = projection::addresses_within(c, ws, from)?;
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
                write::move_resource(c, &actor, &address, &moved)?;
                moves.push((address, moved));
            }
            Ok(moves)
        })
    }

    // ----- backups and restore ----------------------------------------------

    /// Writes a consistent copy of the whole database to `path` (online
    /// backup API; writers may continue meanwhile). The copy is a single
    /// self-contained file with mode 0600.
    pub fn backup_to(&self, path: &Path) -> Result<()> {
        backup::backup_to(&self.conn(), path)
    }

    /// Replaces the whole database with the copy at `path`, after checking
    /// that it is a nimbus state database this build understands. The
    /// current database is first saved to `.nimbus/backups/pre-restore-*.db`,
    /// whose path is returned. An older copy is migrated after the restore.
    ///
    /// No run should be in progress: open recorders would continue writing
    /// on top of the restored content.
    pub fn restore_from(&self, path: &Path) -> Result<PathBuf> {
        self.writable()?;
        let src = backup::open_validated(path)?;
        let safety = self.backup_dir().join(format!(
            "{}{}.db",
            backup::SAFETY_PREFIX,
            backup::file_stamp()
        ));
        let mut conn = self.conn();
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
        let store = Store::open(dir)?;
        replace_locks(&store.conn(), &[])?;
        Ok(aside)
    }

    /// Restores the workspace's resources and outputs to how they were right
    /// after event `seq` (0: empty), by appending the events that undo
    /// everything since then plus a `state.restore` marker. History is never
    /// rewritten. Returns the marker's seq.
    pub fn restore_to_event(&self, ws: &str, seq: u64) -> Result<u64> {
        self.write_tx(|c| {
            ensure_workspace(c, ws)?;
            let head = write::head_seq(c, ws)?;
            if seq > head {
                return Err(StateError::EventNotFound {
                    workspace: ws.to_owned(),
                    seq,
                    head,
                });
            }
            let current = projection::load_resources(c, ws)?;
            let current_outputs = projection::load_outputs(c, ws)?;
            projection::replay(c, ws, seq)?;
            let target = projection::load_resources(c, ws)?;
            let target_outputs = projection::load_outputs(c, ws)?;
            let actor = ad_hoc_actor(ws, "state restore", Some(format!("event:{seq}")));
            write::insert_run(c, &actor, "succeeded")?;
            write::record_difference(
                c,
                &actor,
                current,
                &target,
                current_outputs,
                &target_outputs,
            )?;
            write::restore_marker(c, &actor, seq)
        })
    }

    /// Restore points of the workspace, newest first.
    pub fn restore_points(&self, ws: &str) -> Result<Vec<RestorePoint>> {
        let conn = self.conn();
        ensure_workspace(&conn, ws)?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, workspace, seq, run_id, operation, created_at, backup_path
             FROM restore_points WHERE workspace = ?1 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([ws], |r| {
            Ok(RestorePoint {
                id: r.get(0)?,
                workspace: r.get(1)?,
                seq: r.get(2)?,
                run_id: r.get(3)?,
                operation: r.get(4)?,
                created_at: r.get(5)?,
                backup: r
                    .get::<_, Option<String>>(6)?
                    .map(PathBuf::from)
                    .filter(|p| p.is_file()),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Automatic backups currently kept in `.nimbus/backups/`, oldest first.
    pub fn backups(&self) -> Result<Vec<PathBuf>> {
        backup::auto_backups(&self.backup_dir())
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
