//! PostgreSQL state backend for Nimbus.
//!
//! The state model (event log, projection, intents, runs, restore points,
//! locks) is written once in `nimbus-state` over its [`Backend`] and [`Tx`]
//! traits; this crate implements them on one schema of a PostgreSQL
//! database, so that a team shares one state. [`open`] connects, creates
//! the schema if missing, migrates it, and returns an ordinary
//! [`nimbus_state::Store`].
//!
//! The invariants the model relies on, and how they hold here:
//!
//! * **Writers are serialised** like SQLite's `BEGIN IMMEDIATE`: every write
//!   transaction first takes `pg_advisory_xact_lock` on a key derived from
//!   the schema name (released by commit or rollback), so a lock check and
//!   the lock row it inserts, or a group commit and the seqs it assigns,
//!   never interleave with another writer. Reads run in `REPEATABLE READ
//!   READ ONLY` transactions: one consistent snapshot, never waiting.
//! * **Sequence numbers are gap-free and never reused**: events, intents and
//!   restore points take their ids from a `counters` row incremented in the
//!   writing transaction, not from a `SEQUENCE` (which leaves a gap when a
//!   request rolls back to its savepoint); the row is never decremented,
//!   even when a workspace is deleted.
//! * **JSON is stored as `TEXT`**, byte for byte as the model wrote it, and
//!   provider-private data as `BYTEA`.
//! * **Locks have a lease**: a holder may be on another host, so a lock row
//!   carries `expires_at` by the database's clock, renewed by the holder's
//!   guard; it is stale once the lease ran out (or its process is gone, on
//!   this host).
//! * **Credentials never show**: every error names the backend by its URL
//!   with the password removed.

#![warn(missing_docs)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nimbus_state::backend::{
    self, Backend, EncodedResource, EventRecord, EventRow, Finish, IntentRecord, IntentRow,
    IntentState, RawResource, RestorePointRow, RunRecord, RunRow, StoredEvent, Tx, Work,
    decode_intent,
};
use nimbus_state::{
    Compaction, Event, Intent, IntentId, LockInfo, OutputRecord, ResourceRecord, RestorePoint,
    StateError, Store, StoreOptions, identity, process_alive,
};
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, NoTls, Row, Statement, Transaction};

type Result<T> = std::result::Result<T, StateError>;

/// The lease of a lock unless configured otherwise.
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(30);

/// Version 1: the tables of the SQLite store's schema version 3, plus the
/// counters that number events, intents and restore points.
const V1: &str = r#"
CREATE TABLE settings (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE workspaces (
    name       TEXT COLLATE "C" PRIMARY KEY,
    created_at TEXT NOT NULL
);
INSERT INTO workspaces (name, created_at)
    VALUES ('default', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
INSERT INTO settings (key, value) VALUES ('current_workspace', 'default');

-- Ids taken in the writing transaction: gap-free, never reused.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('events', 0), ('intents', 0), ('restore_points', 0);

CREATE TABLE events (
    seq          BIGINT PRIMARY KEY,
    workspace    TEXT COLLATE "C" NOT NULL,
    time         TEXT NOT NULL,
    run_id       TEXT NOT NULL,
    cause        TEXT,
    "user"       TEXT NOT NULL,
    host         TEXT NOT NULL,
    operation    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    address      TEXT COLLATE "C",
    prev_address TEXT COLLATE "C",
    before       TEXT,
    after        TEXT
);
CREATE INDEX events_by_workspace ON events (workspace, seq);
CREATE INDEX events_by_address ON events (workspace, address, seq);
CREATE INDEX events_by_prev_address ON events (workspace, prev_address)
    WHERE prev_address IS NOT NULL;

CREATE TABLE resources (
    workspace      TEXT COLLATE "C" NOT NULL,
    address        TEXT COLLATE "C" NOT NULL,
    resource_type  TEXT NOT NULL,
    provider       TEXT NOT NULL,
    attributes     TEXT NOT NULL,
    sensitive      TEXT NOT NULL,
    private        BYTEA NOT NULL,
    schema_version BIGINT NOT NULL,
    dependencies   TEXT NOT NULL,
    status         TEXT NOT NULL,
    last_run       TEXT,
    PRIMARY KEY (workspace, address)
);

CREATE TABLE outputs (
    workspace      TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    value          TEXT NOT NULL,
    sensitive      BOOLEAN NOT NULL,
    terraform_type TEXT,
    PRIMARY KEY (workspace, name)
);

CREATE TABLE intents (
    id            BIGINT PRIMARY KEY,
    workspace     TEXT COLLATE "C" NOT NULL,
    run_id        TEXT NOT NULL,
    address       TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    provider      TEXT NOT NULL,
    detail        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    event_seq     BIGINT NOT NULL,
    closed_at     TEXT,
    resolution    TEXT,
    closed_seq    BIGINT
);
CREATE INDEX intents_open ON intents (workspace, id) WHERE closed_at IS NULL;

CREATE TABLE locks (
    workspace  TEXT COLLATE "C" PRIMARY KEY,
    id         TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    "user"     TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    operation  TEXT NOT NULL,
    started_at TEXT NOT NULL,
    expires_at TIMESTAMPTZ
);

CREATE TABLE runs (
    run_id      TEXT PRIMARY KEY,
    workspace   TEXT COLLATE "C" NOT NULL,
    operation   TEXT NOT NULL,
    cause       TEXT,
    "user"      TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         BIGINT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,
    start_seq   BIGINT NOT NULL,
    end_seq     BIGINT
);
CREATE INDEX runs_by_workspace ON runs (workspace, started_at);

CREATE TABLE restore_points (
    id          BIGINT PRIMARY KEY,
    workspace   TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    run_id      TEXT NOT NULL,
    operation   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    backup_path TEXT
);
CREATE INDEX restore_points_by_workspace ON restore_points (workspace, id);
"#;

/// Version 2: bounded history (the SQLite store's version 4), where each
/// workspace's history was compacted. A compacted log holds `snapshot.*`
/// events an older nimbus would replay as nothing, so it must refuse the
/// schema rather than read it.
const V2: &str = r#"
CREATE TABLE compactions (
    workspace      TEXT COLLATE "C" PRIMARY KEY,
    boundary_seq   BIGINT NOT NULL,
    boundary_time  TEXT NOT NULL,
    compacted_at   TEXT NOT NULL,
    events_removed BIGINT NOT NULL,
    runs_removed   BIGINT NOT NULL
);
"#;

/// Ordered forward migrations: `MIGRATIONS[i]` upgrades version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2];

/// Schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Tuning of the PostgreSQL backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// How long a lock is held without renewal (its holder renews it every
    /// third of this).
    pub lock_lease: Duration,
    /// How long a writer waits for another writer (`lock_timeout`).
    pub busy_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            lock_lease: DEFAULT_LOCK_LEASE,
            busy_timeout: StoreOptions::default().busy_timeout,
        }
    }
}

/// Opens the state kept in schema `schema` of the database at `url`
/// (`postgres://user@host:port/database`), creating and migrating the
/// schema as needed.
pub fn open(url: &str, schema: &str) -> Result<Store> {
    open_with(url, schema, PgOptions::default())
}

/// [`open`] with explicit options.
pub fn open_with(url: &str, schema: &str, options: PgOptions) -> Result<Store> {
    open_store(url, schema, options, StoreOptions::default())
}

/// [`open_with`] with the store's options too (its encryption key).
pub fn open_store(
    url: &str,
    schema: &str,
    options: PgOptions,
    store: StoreOptions,
) -> Result<Store> {
    let backend = off_runtime(|| PgBackend::open(url, schema, options))?;
    Store::with_backend(Arc::new(backend), store)
}

/// The URL with any password removed, for messages.
pub fn redact(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (scheme, rest) = url.split_at(scheme_end + 3);
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rfind('@') {
            Some(at) => {
                let (userinfo, host) = authority.split_at(at);
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{user}{host}")
            }
            None => authority.to_owned(),
        };
        let tail = match tail.split_once('?') {
            Some((path, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|p| {
                        let key = p.split('=').next().unwrap_or_default();
                        !key.to_ascii_lowercase().ends_with("password")
                    })
                    .collect();
                if kept.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{}", kept.join("&"))
                }
            }
            None => tail.to_owned(),
        };
        return format!("{scheme}{authority}{tail}");
    }
    // key=value form: drop the password, quoted or not.
    let mut out = Vec::new();
    let mut words = url.split_whitespace();
    while let Some(word) = words.next() {
        let key = word
            .split('=')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if key.ends_with("password") {
            let mut value = word.split_once('=').map(|(_, v)| v).unwrap_or_default();
            if value.is_empty() && !word.contains('=') {
                // `password = value`
                let _ = words.next();
                value = words.next().unwrap_or_default();
            } else if value.is_empty() {
                value = words.next().unwrap_or_default();
            }
            if value.starts_with('\'') && !(value.len() > 1 && value.ends_with('\'')) {
                for w in words.by_ref() {
                    if w.ends_with('\'') {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(word);
    }
    out.join(" ")
}

/// A schema name that needs no quoting: `[a-z_][a-z0-9_]*`, at most 63 bytes.
fn check_schema_name(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit()
        && !schema.starts_with("pg_")
        && schema != "information_schema";
    if ok {
        Ok(())
    } else {
        Err(StateError::InvalidInput(format!(
            "invalid PostgreSQL schema name {schema:?}: use 1 to 63 lowercase letters, digits or '_', not starting with a digit, and not a system schema (pg_*, information_schema)"
        )))
    }
}

/// The advisory lock key of a schema: FNV-1a of its name.
fn advisory_key(schema: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"nimbus-state:".iter().chain(schema.as_bytes()) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// What every connection of one backend shares.
struct Shared {
    url: String,
    location: String,
    schema: String,
    key: i64,
    options: PgOptions,
    /// Ids of locks whose lease had run out, by the database's clock, when
    /// they were last read: [`Backend::is_stale`] is asked right after.
    expired: Mutex<HashSet<String>>,
}

impl Shared {
    fn error(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Backend {
            location: self.location.clone(),
            message: e.to_string(),
        }
    }

    fn pg(&self, e: &postgres::Error) -> StateError {
        let message = match e.as_db_error() {
            Some(db) => {
                let mut m = format!("{} ({})", db.message(), db.code().code());
                if let Some(detail) = db.detail() {
                    m.push_str(": ");
                    m.push_str(detail);
                }
                m
            }
            None if e.is_closed() => format!("the connection was lost ({e})"),
            None => match std::error::Error::source(e) {
                Some(source) => format!("{e}: {source}"),
                None => e.to_string(),
            },
        };
        // The driver's messages never hold the password, but a host name
        // may echo the URL: keep the password out whatever happens.
        self.error(redact_in(&message, &self.url))
    }

    fn connect(self: &Arc<Self>) -> Result<PgConn> {
        let mut config: postgres::Config = self.url.parse().map_err(|e| self.pg(&e))?;
        // The password never travels in the URL (nimbus refuses one there):
        // libpq's variable supplies it, as for psql.
        if config.get_password().is_none()
            && let Some(password) = std::env::var_os("PGPASSWORD")
        {
            config.password(password.as_encoded_bytes());
        }
        let mut client = config.connect(NoTls).map_err(|e| self.pg(&e))?;
        let timeout = self.options.busy_timeout.as_millis().max(1);
        client
            .batch_execute(&format!(
                "SET search_path TO \"{}\"; SET lock_timeout = {timeout}; SET TIME ZONE 'UTC'",
                self.schema
            ))
            .map_err(|e| self.pg(&e))?;
        Ok(PgConn {
            client: OwnedClient(Some(client)),
            statements: HashMap::new(),
            shared: Arc::clone(self),
            broken: false,
        })
    }
}

/// A message with the password of `url`, if it has one, blanked out.
fn redact_in(message: &str, url: &str) -> String {
    let password = url
        .find("://")
        .and_then(|i| {
            let rest = &url[i + 3..];
            let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
            let userinfo = &authority[..authority.rfind('@')?];
            userinfo.split_once(':').map(|(_, p)| p.to_owned())
        })
        .filter(|p| !p.is_empty());
    match password {
        Some(p) => message.replace(&p, "***"),
        None => message.to_owned(),
    }
}

/// One client with its prepared statements.
/// A client whose closing runs off any async runtime: dropping a client
/// blocks on its own runtime, which panics on a thread that drives another
/// (the CLI drops its store on one).
struct OwnedClient(Option<Client>);

impl std::ops::Deref for OwnedClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0
            .as_ref()
            .expect("a client is present until it is dropped")
    }
}

impl std::ops::DerefMut for OwnedClient {
    fn deref_mut(&mut self) -> &mut Client {
        self.0
            .as_mut()
            .expect("a client is present until it is dropped")
    }
}

impl Drop for OwnedClient {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            off_runtime(move || drop(client));
        }
    }
}

struct PgConn {
    client: OwnedClient,
    statements: HashMap<&'static str, Statement>,
    shared: Arc<Shared>,
    /// The connection failed; the next transaction opens a new one.
    broken: bool,
}

impl PgConn {
    /// Reconnects if the connection was lost (a server restart, a network
    /// cut): the next transaction gets a working client or a clear error.
    fn ensure_open(&mut self) -> Result<()> {
        if self.broken || self.client.is_closed() {
            let fresh = self.shared.connect()?;
            *self = fresh;
        }
        Ok(())
    }

    /// After a failed transaction: whether the client still works. A
    /// backend error may mean the server went away (it may say so only on
    /// the next statement); then the next transaction reconnects.
    fn check_after<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(StateError::Backend { .. }) = &result {
            self.broken =
                self.client.is_closed() || self.client.is_valid(Duration::from_secs(5)).is_err();
        }
        result
    }

    /// Runs `work` in a write transaction serialised by the advisory lock.
    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>) -> Result<Finish> {
        self.ensure_open()?;
        let result = self.write_once(work);
        self.check_after(result)
    }

    fn write_once(
        &mut self,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>,
    ) -> Result<Finish> {
        let shared = Arc::clone(&self.shared);
        let mut tx = self.client.transaction().map_err(|e| shared.pg(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&shared.key])
            .map_err(|e| shared.pg(&e))?;
        let finish = work(&mut PgTx {
            tx: &mut tx,
            statements: &mut self.statements,
            shared: &shared,
        })?;
        match finish {
            Finish::Commit => tx.commit().map_err(|e| shared.pg(&e))?,
            Finish::Rollback => tx.rollback().map_err(|e| shared.pg(&e))?,
        }
        Ok(finish)
    }

    /// Runs `work` in a read-only snapshot.
    fn read(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.ensure_open()?;
        let result = self.read_once(work);
        self.check_after(result)
    }

    fn read_once(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| shared.pg(&e))?;
        work(&mut PgTx {
            tx: &mut tx,
            statements: &mut self.statements,
            shared: &shared,
        })?;
        tx.commit().map_err(|e| shared.pg(&e))
    }
}

/// The PostgreSQL backend: one schema of one database.
pub struct PgBackend {
    shared: Arc<Shared>,
    /// The store's client (reads, administrative writes, locks).
    conn: Mutex<PgConn>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("location", &self.shared.location)
            .field("schema", &self.shared.schema)
            .finish_non_exhaustive()
    }
}

impl PgBackend {
    /// Connects, creates the schema if missing and migrates it.
    pub fn open(url: &str, schema: &str, options: PgOptions) -> Result<PgBackend> {
        check_schema_name(schema)?;
        let shared = Arc::new(Shared {
            url: url.to_owned(),
            location: format!("{} (schema {schema})", redact(url)),
            schema: schema.to_owned(),
            key: advisory_key(schema),
            options,
            expired: Mutex::new(HashSet::new()),
        });
        let mut conn = shared.connect()?;
        migrate(&mut conn.client, &shared)?;
        Ok(PgBackend {
            shared,
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, PgConn> {
        // A panic while it was held leaves no transaction open (dropping a
        // transaction rolls it back), so poisoning is ignored.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The version recorded in the schema, if it has the table.
fn recorded_version(tx: &mut Transaction<'_>, shared: &Shared) -> Result<Option<u32>> {
    let exists: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                             WHERE table_schema = $1 AND table_name = 'schema_version')",
            &[&shared.schema],
        )
        .map_err(|e| shared.pg(&e))?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = tx
        .query_opt("SELECT max(version) FROM schema_version", &[])
        .map_err(|e| shared.pg(&e))?;
    let version: Option<i32> = row.and_then(|r| r.get(0));
    match version {
        None => Ok(Some(0)),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| shared.error(format!("negative schema version {v}"))),
    }
}

fn check_not_newer(found: u32) -> Result<()> {
    if found > SCHEMA_VERSION {
        return Err(StateError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Creates the schema if missing and runs the migrations it has not seen,
/// under the schema's advisory lock, in one transaction.
fn migrate(client: &mut Client, shared: &Shared) -> Result<()> {
    // A look first, without locking or creating anything: a newer schema is
    // refused untouched, an up-to-date one needs nothing.
    let mut tx = client.transaction().map_err(|e| shared.pg(&e))?;
    let found = recorded_version(&mut tx, shared)?;
    tx.commit().map_err(|e| shared.pg(&e))?;
    if let Some(found) = found {
        check_not_newer(found)?;
        if found == SCHEMA_VERSION {
            return Ok(());
        }
    }
    let mut tx = client.transaction().map_err(|e| shared.pg(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&shared.key])
        .map_err(|e| shared.pg(&e))?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS \"{0}\";
         CREATE TABLE IF NOT EXISTS \"{0}\".schema_version (version INTEGER NOT NULL)",
        shared.schema
    ))
    .map_err(|e| shared.pg(&e))?;
    // Re-read under the lock: another process may have migrated meanwhile.
    let found = recorded_version(&mut tx, shared)?.unwrap_or(0);
    check_not_newer(found)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).map_err(|e| shared.pg(&e))?;
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("DELETE FROM schema_version", &[])
            .map_err(|e| shared.pg(&e))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&version],
        )
        .map_err(|e| shared.pg(&e))?;
    }
    tx.commit().map_err(|e| shared.pg(&e))
}

/// Runs `f` on a thread of its own. The client blocks on a runtime of its
/// own, which cannot start on a thread that drives an async runtime (the
/// CLI's commands run on one); a plain thread has none.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl Backend for PgBackend {
    fn read(&self, work: &mut Work<'_>) -> Result<()> {
        off_runtime(|| self.conn().read(work))
    }

    fn write(&self, work: &mut Work<'_>) -> Result<()> {
        off_runtime(|| {
            self.conn()
                .write(&mut |tx| work(tx).map(|()| Finish::Commit))
                .map(drop)
        })
    }

    fn connect(&self) -> Result<Box<dyn backend::Connection>> {
        Ok(Box::new(PgConnection(off_runtime(|| {
            self.shared.connect()
        })?)))
    }

    fn location(&self) -> String {
        self.shared.location.clone()
    }

    fn is_stale(&self, holder: &LockInfo) -> bool {
        let expired = self
            .shared
            .expired
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&holder.id);
        expired || (holder.host == identity().host && !process_alive(holder.pid))
    }

    fn lock_lease(&self) -> Option<Duration> {
        Some(self.shared.options.lock_lease)
    }
}

/// A run writer's own connection.
struct PgConnection(PgConn);

impl backend::Connection for PgConnection {
    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>) -> Result<Finish> {
        self.0.write(work)
    }
}

/// [`Tx`] inside a transaction of a [`PgConn`].
struct PgTx<'a, 'c> {
    tx: &'a mut Transaction<'c>,
    statements: &'a mut HashMap<&'static str, Statement>,
    shared: &'a Shared,
}

fn to_u64(v: i64, shared: &Shared) -> Result<u64> {
    u64::try_from(v).map_err(|_| shared.error(format!("negative number {v} in the state")))
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql).map_err(|e| self.shared.pg(&e))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        self.tx.query(&s, params).map_err(|e| self.shared.pg(&e))
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        self.tx
            .query_opt(&s, params)
            .map_err(|e| self.shared.pg(&e))
    }

    fn query_one(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let s = self.statement(sql)?;
        self.tx
            .query_one(&s, params)
            .map_err(|e| self.shared.pg(&e))
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let s = self.statement(sql)?;
        self.tx.execute(&s, params).map_err(|e| self.shared.pg(&e))
    }

    /// The next value of a counter, in this transaction.
    fn next_id(&mut self, counter: &str) -> Result<u64> {
        let row = self.query_one(
            "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value",
            &[&counter],
        )?;
        to_u64(row.get(0), self.shared)
    }

    /// Makes a counter's next value greater than `id` (a row stored under
    /// its own id).
    fn advance_past(&mut self, counter: &str, id: u64) -> Result<()> {
        self.execute(
            "UPDATE counters SET value = GREATEST(value, $2) WHERE name = $1",
            &[&counter, &to_i64(id)],
        )?;
        Ok(())
    }

    fn opt_u64(&self, v: Option<i64>) -> Result<Option<u64>> {
        v.map(|v| to_u64(v, self.shared)).transpose()
    }

    fn count(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let row = self.query_one(sql, params)?;
        to_u64(row.get(0), self.shared)
    }

    fn savepoint_sql(&mut self, sql: &str) -> Result<()> {
        self.tx.batch_execute(sql).map_err(|e| self.shared.pg(&e))
    }
}

fn raw_resource(r: &Row, shared: &Shared) -> Result<RawResource> {
    Ok(RawResource {
        address: r.get(0),
        resource_type: r.get(1),
        provider: r.get(2),
        attributes: r.get(3),
        sensitive: r.get(4),
        private: r.get(5),
        schema_version: to_u64(r.get(6), shared)?,
        dependencies: r.get(7),
        status: r.get(8),
        last_run: r.get(9),
    })
}

fn json_opt(s: Option<String>) -> Result<Option<serde_json::Value>> {
    s.map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| StateError::Corrupt(format!("an event's JSON: {e}")))
}

fn event(r: &Row, shared: &Shared) -> Result<Event> {
    Ok(Event {
        seq: to_u64(r.get(0), shared)?,
        workspace: r.get(1),
        time: r.get(2),
        run_id: r.get(3),
        cause: r.get(4),
        user: r.get(5),
        host: r.get(6),
        operation: r.get(7),
        kind: r.get(8),
        address: r.get(9),
        before: json_opt(r.get(10))?,
        after: json_opt(r.get(11))?,
    })
}

fn lock_info(r: &Row) -> LockInfo {
    LockInfo {
        id: r.get(0),
        run_id: r.get(1),
        user: r.get(2),
        host: r.get(3),
        pid: u32::try_from(r.get::<_, i64>(4)).unwrap_or(0),
        operation: r.get(5),
        started_at: r.get(6),
        expires_at: r.get(7),
    }
}

impl PgTx<'_, '_> {
    /// Inserts an event under `seq` (the counter is the caller's concern).
    fn insert_event_at(&mut self, seq: u64, ev: &EventRow<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO events (seq, workspace, time, run_id, cause, \"user\", host, operation,
                                 kind, address, prev_address, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &[
                &to_i64(seq),
                &ev.workspace,
                &ev.time,
                &ev.run_id,
                &ev.cause,
                &ev.user,
                &ev.host,
                &ev.operation,
                &ev.kind,
                &ev.address,
                &ev.prev_address,
                &ev.before,
                &ev.after,
            ],
        )?;
        Ok(())
    }
}

impl Tx for PgTx<'_, '_> {
    fn append_event(&mut self, ev: &EventRow<'_>) -> Result<u64> {
        let seq = self.next_id("events")?;
        self.insert_event_at(seq, ev)?;
        Ok(seq)
    }

    fn set_event_payload(
        &mut self,
        seq: u64,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        self.execute(
            "UPDATE events SET before = $2, after = $3 WHERE seq = $1",
            &[&to_i64(seq), &before, &after],
        )?;
        Ok(())
    }

    fn head_seq(&mut self, ws: &str) -> Result<u64> {
        self.count(
            "SELECT COALESCE(MAX(seq), 0)::BIGINT FROM events WHERE workspace = $1",
            &[&ws],
        )
    }

    fn events_page(
        &mut self,
        ws: &str,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "SELECT seq, kind, address, prev_address, before, after FROM events
             WHERE workspace = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
            &[&ws, &to_i64(after), &to_i64(upto), &limit],
        )?;
        rows.iter()
            .map(|r| {
                Ok(StoredEvent {
                    seq: to_u64(r.get(0), self.shared)?,
                    kind: r.get(1),
                    address: r.get(2),
                    prev_address: r.get(3),
                    before: r.get(4),
                    after: r.get(5),
                })
            })
            .collect()
    }

    fn history(&mut self, ws: &str, address: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match address {
            Some(a) => self.query(
                "SELECT seq, workspace, time, run_id, cause, \"user\", host, operation, kind, address, before, after
                 FROM events WHERE workspace = $1 AND address = $2
                 UNION ALL
                 SELECT seq, workspace, time, run_id, cause, \"user\", host, operation, kind, address, before, after
                 FROM events WHERE workspace = $1 AND prev_address = $2
                 ORDER BY seq DESC LIMIT $3",
                &[&ws, &a, &limit],
            )?,
            None => self.query(
                "SELECT seq, workspace, time, run_id, cause, \"user\", host, operation, kind, address, before, after
                 FROM events WHERE workspace = $1 ORDER BY seq DESC LIMIT $2",
                &[&ws, &limit],
            )?,
        };
        rows.iter().map(|r| event(r, self.shared)).collect()
    }

    fn fetch_resource(&mut self, ws: &str, address: &str) -> Result<Option<RawResource>> {
        const SQL: &str = "SELECT address, resource_type, provider, attributes, sensitive, private, schema_version, dependencies, status, last_run
             FROM resources WHERE workspace = $1 AND address = $2";
        let row = self.query_opt(SQL, &[&ws, &address])?;
        row.map(|r| raw_resource(&r, self.shared)).transpose()
    }

    fn resource_exists(&mut self, ws: &str, address: &str) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM resources WHERE workspace = $1 AND address = $2",
                &[&ws, &address],
            )?
            .is_some())
    }

    fn addresses_within(&mut self, ws: &str, prefix: &str) -> Result<Vec<String>> {
        // A range scan of the primary key (bytewise collation): `[` and `.`
        // are followed by `\` and `/`.
        let bounds = [
            format!("{prefix}["),
            format!("{prefix}\\"),
            format!("{prefix}."),
            format!("{prefix}/"),
        ];
        let rows = self.query(
            "SELECT address FROM resources WHERE workspace = $1
               AND ((address >= $2 AND address < $3) OR (address >= $4 AND address < $5))
             ORDER BY address",
            &[&ws, &bounds[0], &bounds[1], &bounds[2], &bounds[3]],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn put_resource(&mut self, ws: &str, resource: &EncodedResource) -> Result<()> {
        let row = resource.row();
        self.execute(
            "INSERT INTO resources (workspace, address, resource_type, provider, attributes, sensitive,
                                    private, schema_version, dependencies, status, last_run)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (workspace, address) DO UPDATE SET
                 resource_type = excluded.resource_type, provider = excluded.provider,
                 attributes = excluded.attributes, sensitive = excluded.sensitive,
                 private = excluded.private, schema_version = excluded.schema_version,
                 dependencies = excluded.dependencies, status = excluded.status,
                 last_run = excluded.last_run",
            &[
                &ws,
                &row.address,
                &row.resource_type,
                &row.provider,
                &row.attributes,
                &row.sensitive,
                &row.private,
                &to_i64(row.schema_version),
                &row.dependencies,
                &row.status,
                &row.last_run,
            ],
        )?;
        Ok(())
    }

    fn delete_resource(&mut self, ws: &str, address: &str) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM resources WHERE workspace = $1 AND address = $2",
            &[&ws, &address],
        )? > 0)
    }

    fn rename_resource(&mut self, ws: &str, from: &str, to: &str) -> Result<bool> {
        Ok(self.execute(
            "UPDATE resources SET address = $3 WHERE workspace = $1 AND address = $2",
            &[&ws, &from, &to],
        )? > 0)
    }

    fn load_resources(&mut self, ws: &str) -> Result<Vec<ResourceRecord>> {
        let rows = self.query(
            "SELECT address, resource_type, provider, attributes, sensitive, private, schema_version, dependencies, status, last_run
             FROM resources WHERE workspace = $1 ORDER BY address",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| raw_resource(r, self.shared)?.decode())
            .collect()
    }

    fn count_resources(&mut self, ws: &str) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM resources WHERE workspace = $1",
            &[&ws],
        )
    }

    fn clear_projection(&mut self, ws: &str) -> Result<()> {
        self.execute("DELETE FROM resources WHERE workspace = $1", &[&ws])?;
        self.execute("DELETE FROM outputs WHERE workspace = $1", &[&ws])?;
        Ok(())
    }

    fn load_outputs(&mut self, ws: &str) -> Result<Vec<OutputRecord>> {
        let rows = self.query(
            "SELECT name, value, sensitive, terraform_type FROM outputs WHERE workspace = $1 ORDER BY name",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| {
                let name: String = r.get(0);
                let json = |s: &str| {
                    serde_json::from_str(s)
                        .map_err(|e| StateError::Corrupt(format!("output {name}: {e}")))
                };
                let value = json(r.get::<_, &str>(1))?;
                let terraform_type = r.get::<_, Option<&str>>(3).map(json).transpose()?;
                Ok(OutputRecord {
                    value,
                    sensitive: r.get(2),
                    terraform_type,
                    name,
                })
            })
            .collect()
    }

    fn put_output(&mut self, ws: &str, output: &OutputRecord) -> Result<()> {
        let invalid =
            |e: serde_json::Error| StateError::InvalidInput(format!("output {}: {e}", output.name));
        let value = serde_json::to_string(&output.value).map_err(invalid)?;
        let terraform_type = output
            .terraform_type
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(invalid)?;
        self.execute(
            "INSERT INTO outputs (workspace, name, value, sensitive, terraform_type) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (workspace, name) DO UPDATE SET value = excluded.value,
                 sensitive = excluded.sensitive, terraform_type = excluded.terraform_type",
            &[&ws, &output.name, &value, &output.sensitive, &terraform_type],
        )?;
        Ok(())
    }

    fn delete_output(&mut self, ws: &str, name: &str) -> Result<()> {
        self.execute(
            "DELETE FROM outputs WHERE workspace = $1 AND name = $2",
            &[&ws, &name],
        )?;
        Ok(())
    }

    fn insert_intent(&mut self, i: &IntentRow<'_>) -> Result<IntentId> {
        let id = self.next_id("intents")?;
        self.execute(
            "INSERT INTO intents (id, workspace, run_id, address, action, resource_type, provider,
                                  detail, created_at, event_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &to_i64(id),
                &i.workspace,
                &i.run_id,
                &i.address,
                &i.action,
                &i.resource_type,
                &i.provider,
                &i.detail,
                &i.created_at,
                &to_i64(i.event_seq),
            ],
        )?;
        Ok(IntentId(id))
    }

    fn intent_state(&mut self, id: IntentId) -> Result<Option<IntentState>> {
        let row = self.query_opt(
            "SELECT workspace, address, action, event_seq, closed_at IS NOT NULL FROM intents WHERE id = $1",
            &[&to_i64(id.0)],
        )?;
        row.map(|r| {
            Ok(IntentState {
                workspace: r.get(0),
                address: r.get(1),
                action: r.get(2),
                event_seq: to_u64(r.get(3), self.shared)?,
                closed: r.get(4),
            })
        })
        .transpose()
    }

    fn close_intent(
        &mut self,
        id: IntentId,
        closed_at: &str,
        resolution: &str,
        closed_seq: u64,
    ) -> Result<()> {
        self.execute(
            "UPDATE intents SET closed_at = $2, resolution = $3, closed_seq = $4 WHERE id = $1",
            &[&to_i64(id.0), &closed_at, &resolution, &to_i64(closed_seq)],
        )?;
        Ok(())
    }

    fn open_intents(&mut self, ws: &str) -> Result<Vec<Intent>> {
        let rows = self.query(
            "SELECT id, run_id, address, action, resource_type, provider, detail, created_at
             FROM intents WHERE workspace = $1 AND closed_at IS NULL ORDER BY id",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| {
                decode_intent(
                    IntentId(to_u64(r.get(0), self.shared)?),
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                    r.get(7),
                )
            })
            .collect()
    }

    fn intent_details(&mut self, ws: &str) -> Result<Vec<(IntentId, String)>> {
        let rows = self.query(
            "SELECT id, detail FROM intents WHERE workspace = $1 ORDER BY id",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| Ok((IntentId(to_u64(r.get(0), self.shared)?), r.get(1))))
            .collect()
    }

    fn set_intent_detail(&mut self, id: IntentId, detail: &str) -> Result<()> {
        self.execute(
            "UPDATE intents SET detail = $2 WHERE id = $1",
            &[&to_i64(id.0), &detail],
        )?;
        Ok(())
    }

    fn count_open_intents(&mut self, ws: &str) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM intents WHERE workspace = $1 AND closed_at IS NULL",
            &[&ws],
        )
    }

    fn run_exists(&mut self, run_id: &str) -> Result<bool> {
        Ok(self
            .query_opt("SELECT 1 FROM runs WHERE run_id = $1", &[&run_id])?
            .is_some())
    }

    fn insert_run(&mut self, run: &RunRow<'_>) -> Result<bool> {
        let inserted = self.execute(
            "INSERT INTO runs (run_id, workspace, operation, cause, \"user\", host, pid,
                               started_at, finished_at, status, start_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (run_id) DO NOTHING",
            &[
                &run.run_id,
                &run.workspace,
                &run.operation,
                &run.cause,
                &run.user,
                &run.host,
                &i64::from(run.pid),
                &run.started_at,
                &run.finished_at,
                &run.status,
                &to_i64(run.start_seq),
            ],
        )?;
        Ok(inserted > 0)
    }

    fn finish_run(
        &mut self,
        run_id: &str,
        finished_at: &str,
        status: &str,
        end_seq: u64,
    ) -> Result<()> {
        self.execute(
            "UPDATE runs SET finished_at = $2, status = $3, end_seq = $4 WHERE run_id = $1",
            &[&run_id, &finished_at, &status, &to_i64(end_seq)],
        )?;
        Ok(())
    }

    fn insert_restore_point(&mut self, p: &RestorePointRow<'_>) -> Result<()> {
        let id = self.next_id("restore_points")?;
        self.execute(
            "INSERT INTO restore_points (id, workspace, seq, run_id, operation, created_at, backup_path)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &to_i64(id),
                &p.workspace,
                &to_i64(p.seq),
                &p.run_id,
                &p.operation,
                &p.created_at,
                &p.backup_path,
            ],
        )?;
        Ok(())
    }

    fn restore_points(&mut self, ws: &str) -> Result<Vec<RestorePoint>> {
        let rows = self.query(
            "SELECT id, workspace, seq, run_id, operation, created_at, backup_path
             FROM restore_points WHERE workspace = $1 ORDER BY id DESC",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| {
                Ok(RestorePoint {
                    id: to_u64(r.get(0), self.shared)?,
                    workspace: r.get(1),
                    seq: to_u64(r.get(2), self.shared)?,
                    run_id: r.get(3),
                    operation: r.get(4),
                    created_at: r.get(5),
                    backup: r
                        .get::<_, Option<String>>(6)
                        .map(PathBuf::from)
                        .filter(|p| p.is_file()),
                })
            })
            .collect()
    }

    fn workspace_exists(&mut self, name: &str) -> Result<bool> {
        Ok(self
            .query_opt("SELECT 1 FROM workspaces WHERE name = $1", &[&name])?
            .is_some())
    }

    fn insert_workspace(&mut self, name: &str, created_at: &str) -> Result<bool> {
        Ok(self.execute(
            "INSERT INTO workspaces (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &created_at],
        )? > 0)
    }

    fn list_workspaces(&mut self) -> Result<Vec<(String, u64)>> {
        let rows = self.query(
            "SELECT w.name, (SELECT count(*) FROM resources r WHERE r.workspace = w.name)
             FROM workspaces w ORDER BY w.name",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((r.get(0), to_u64(r.get(1), self.shared)?)))
            .collect()
    }

    fn delete_workspace(&mut self, name: &str) -> Result<()> {
        self.execute("DELETE FROM resources WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM outputs WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM events WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM intents WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM runs WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM restore_points WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM locks WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM compactions WHERE workspace = $1", &[&name])?;
        self.execute("DELETE FROM workspaces WHERE name = $1", &[&name])?;
        Ok(())
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>> {
        Ok(self
            .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn init_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn lock(&mut self, ws: &str) -> Result<Option<LockInfo>> {
        let row = self.query_opt(
            "SELECT id, run_id, \"user\", host, pid, operation, started_at,
                    to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    expires_at IS NOT NULL AND expires_at <= now()
             FROM locks WHERE workspace = $1",
            &[&ws],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let info = lock_info(&row);
        let expired: bool = row.get(8);
        let mut set = self
            .shared
            .expired
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if expired {
            set.insert(info.id.clone());
        } else {
            set.remove(&info.id);
        }
        Ok(Some(info))
    }

    fn insert_lock(&mut self, ws: &str, lock: &LockInfo) -> Result<()> {
        let lease_ms =
            i64::try_from(self.shared.options.lock_lease.as_millis()).unwrap_or(i64::MAX);
        self.execute(
            "INSERT INTO locks (workspace, id, run_id, \"user\", host, pid, operation, started_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::BIGINT * interval '1 millisecond')",
            &[
                &ws,
                &lock.id,
                &lock.run_id,
                &lock.user,
                &lock.host,
                &i64::from(lock.pid),
                &lock.operation,
                &lock.started_at,
                &lease_ms,
            ],
        )?;
        Ok(())
    }

    fn delete_lock(&mut self, ws: &str, id: &str) -> Result<bool> {
        let deleted = self.execute(
            "DELETE FROM locks WHERE workspace = $1 AND id = $2",
            &[&ws, &id],
        )? > 0;
        if deleted {
            self.shared
                .expired
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(id);
        }
        Ok(deleted)
    }

    fn renew_lock(&mut self, ws: &str, id: &str, lease: Duration) -> Result<bool> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        Ok(self.execute(
            "UPDATE locks SET expires_at = now() + $3::BIGINT * interval '1 millisecond'
             WHERE workspace = $1 AND id = $2",
            &[&ws, &id, &lease_ms],
        )? > 0)
    }

    fn events_after(&mut self, ws: &str, after: u64, limit: usize) -> Result<Vec<EventRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "SELECT seq, workspace, time, run_id, cause, \"user\", host, operation, kind, address,
                    prev_address, before, after
             FROM events WHERE workspace = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&ws, &to_i64(after), &limit],
        )?;
        rows.iter()
            .map(|r| {
                Ok(EventRecord {
                    seq: to_u64(r.get(0), self.shared)?,
                    workspace: r.get(1),
                    time: r.get(2),
                    run_id: r.get(3),
                    cause: r.get(4),
                    user: r.get(5),
                    host: r.get(6),
                    operation: r.get(7),
                    kind: r.get(8),
                    address: r.get(9),
                    prev_address: r.get(10),
                    before: r.get(11),
                    after: r.get(12),
                })
            })
            .collect()
    }

    fn insert_event(&mut self, ev: &EventRecord) -> Result<()> {
        self.insert_event_at(ev.seq, &ev.row())?;
        self.advance_past("events", ev.seq)
    }

    fn runs_of(&mut self, ws: &str) -> Result<Vec<RunRecord>> {
        let rows = self.query(
            "SELECT run_id, workspace, operation, cause, \"user\", host, pid, started_at,
                    finished_at, status, start_seq, end_seq
             FROM runs WHERE workspace = $1 ORDER BY started_at, run_id",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| {
                Ok(RunRecord {
                    run_id: r.get(0),
                    workspace: r.get(1),
                    operation: r.get(2),
                    cause: r.get(3),
                    user: r.get(4),
                    host: r.get(5),
                    pid: u32::try_from(r.get::<_, i64>(6)).unwrap_or(0),
                    started_at: r.get(7),
                    finished_at: r.get(8),
                    status: r.get(9),
                    start_seq: to_u64(r.get(10), self.shared)?,
                    end_seq: self.opt_u64(r.get(11))?,
                })
            })
            .collect()
    }

    fn insert_run_record(&mut self, run: &RunRecord) -> Result<()> {
        self.execute(
            "INSERT INTO runs (run_id, workspace, operation, cause, \"user\", host, pid,
                               started_at, finished_at, status, start_seq, end_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &run.run_id,
                &run.workspace,
                &run.operation,
                &run.cause,
                &run.user,
                &run.host,
                &i64::from(run.pid),
                &run.started_at,
                &run.finished_at,
                &run.status,
                &to_i64(run.start_seq),
                &run.end_seq.map(to_i64),
            ],
        )?;
        Ok(())
    }

    fn intents_of(&mut self, ws: &str) -> Result<Vec<IntentRecord>> {
        let rows = self.query(
            "SELECT id, workspace, run_id, address, action, resource_type, provider, detail,
                    created_at, event_seq, closed_at, resolution, closed_seq
             FROM intents WHERE workspace = $1 ORDER BY id",
            &[&ws],
        )?;
        rows.iter()
            .map(|r| {
                Ok(IntentRecord {
                    id: to_u64(r.get(0), self.shared)?,
                    workspace: r.get(1),
                    run_id: r.get(2),
                    address: r.get(3),
                    action: r.get(4),
                    resource_type: r.get(5),
                    provider: r.get(6),
                    detail: r.get(7),
                    created_at: r.get(8),
                    event_seq: to_u64(r.get(9), self.shared)?,
                    closed_at: r.get(10),
                    resolution: r.get(11),
                    closed_seq: self.opt_u64(r.get(12))?,
                })
            })
            .collect()
    }

    fn insert_intent_record(&mut self, i: &IntentRecord) -> Result<()> {
        self.execute(
            "INSERT INTO intents (id, workspace, run_id, address, action, resource_type, provider,
                                  detail, created_at, event_seq, closed_at, resolution, closed_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &[
                &to_i64(i.id),
                &i.workspace,
                &i.run_id,
                &i.address,
                &i.action,
                &i.resource_type,
                &i.provider,
                &i.detail,
                &i.created_at,
                &to_i64(i.event_seq),
                &i.closed_at,
                &i.resolution,
                &i.closed_seq.map(to_i64),
            ],
        )?;
        self.advance_past("intents", i.id)
    }

    fn insert_restore_point_with_id(&mut self, id: u64, p: &RestorePointRow<'_>) -> Result<()> {
        self.execute(
            "INSERT INTO restore_points (id, workspace, seq, run_id, operation, created_at, backup_path)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &to_i64(id),
                &p.workspace,
                &to_i64(p.seq),
                &p.run_id,
                &p.operation,
                &p.created_at,
                &p.backup_path,
            ],
        )?;
        self.advance_past("restore_points", id)
    }

    fn workspace_created_at(&mut self, name: &str) -> Result<Option<String>> {
        Ok(self
            .query_opt(
                "SELECT created_at FROM workspaces WHERE name = $1",
                &[&name],
            )?
            .map(|r| r.get(0)))
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        let rows = self.query("SELECT key, value FROM settings ORDER BY key", &[])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn delete_setting(&mut self, key: &str) -> Result<()> {
        self.execute("DELETE FROM settings WHERE key = $1", &[&key])?;
        Ok(())
    }

    fn counter(&mut self, name: &str) -> Result<u64> {
        let row = self.query_opt("SELECT value FROM counters WHERE name = $1", &[&name])?;
        row.map_or(Ok(0), |r| to_u64(r.get(0), self.shared))
    }

    fn advance_counter(&mut self, name: &str, past: u64) -> Result<()> {
        self.advance_past(name, past)
    }

    fn compaction(&mut self, ws: &str) -> Result<Option<Compaction>> {
        let row = self.query_opt(
            "SELECT boundary_seq, boundary_time, compacted_at, events_removed, runs_removed
             FROM compactions WHERE workspace = $1",
            &[&ws],
        )?;
        row.map(|r| {
            Ok(Compaction {
                boundary: to_u64(r.get(0), self.shared)?,
                boundary_time: r.get(1),
                compacted_at: r.get(2),
                events_removed: to_u64(r.get(3), self.shared)?,
                runs_removed: to_u64(r.get(4), self.shared)?,
            })
        })
        .transpose()
    }

    fn set_compaction(&mut self, ws: &str, c: &Compaction) -> Result<()> {
        self.execute(
            "INSERT INTO compactions (workspace, boundary_seq, boundary_time, compacted_at,
                                      events_removed, runs_removed)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace) DO UPDATE SET
                 boundary_seq = excluded.boundary_seq, boundary_time = excluded.boundary_time,
                 compacted_at = excluded.compacted_at, events_removed = excluded.events_removed,
                 runs_removed = excluded.runs_removed",
            &[
                &ws,
                &to_i64(c.boundary),
                &c.boundary_time,
                &c.compacted_at,
                &to_i64(c.events_removed),
                &to_i64(c.runs_removed),
            ],
        )?;
        Ok(())
    }

    fn delete_events_upto(&mut self, ws: &str, upto: u64) -> Result<u64> {
        self.execute(
            "DELETE FROM events WHERE workspace = $1 AND seq <= $2",
            &[&ws, &to_i64(upto)],
        )
    }

    fn delete_runs_upto(&mut self, ws: &str, upto: u64) -> Result<u64> {
        self.execute(
            "DELETE FROM runs WHERE workspace = $1 AND status <> 'running'
               AND start_seq < $2 AND COALESCE(end_seq, start_seq) <= $2",
            &[&ws, &to_i64(upto)],
        )
    }

    fn delete_closed_intents_upto(&mut self, ws: &str, upto: u64) -> Result<u64> {
        self.execute(
            "DELETE FROM intents WHERE workspace = $1 AND closed_at IS NOT NULL
               AND closed_seq <= $2",
            &[&ws, &to_i64(upto)],
        )
    }

    fn delete_restore_point(&mut self, id: u64) -> Result<()> {
        self.execute("DELETE FROM restore_points WHERE id = $1", &[&to_i64(id)])?;
        Ok(())
    }

    fn oldest_open_intent_seq(&mut self, ws: &str) -> Result<Option<u64>> {
        let row = self.query_opt(
            "SELECT min(event_seq) FROM intents WHERE workspace = $1 AND closed_at IS NULL",
            &[&ws],
        )?;
        row.and_then(|r| r.get::<_, Option<i64>>(0))
            .map(|v| to_u64(v, self.shared))
            .transpose()
    }

    fn savepoint(&mut self) -> Result<()> {
        self.savepoint_sql("SAVEPOINT request")
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        self.savepoint_sql("ROLLBACK TO SAVEPOINT request")
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.savepoint_sql("RELEASE SAVEPOINT request")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_removed() {
        assert_eq!(
            redact("postgres://ann:s3cret@db.example:5432/state?sslmode=disable&password=x"),
            "postgres://ann@db.example:5432/state?sslmode=disable"
        );
        assert_eq!(
            redact("postgresql://ann@db/state"),
            "postgresql://ann@db/state"
        );
        assert_eq!(
            redact("postgres://:pw@db/state?password=pw"),
            "postgres://@db/state"
        );
        assert_eq!(
            redact("host=db user=ann password=s3cret dbname=state"),
            "host=db user=ann dbname=state"
        );
        assert_eq!(
            redact("host=db password='two words' dbname=state"),
            "host=db dbname=state"
        );
        assert_eq!(
            redact_in("failed for ann:s3cret@x", "postgres://ann:s3cret@x/db"),
            "failed for ann:***@x"
        );
    }

    #[test]
    fn schema_names_are_checked() {
        for good in ["nimbus", "t_0123abcd", "_x"] {
            check_schema_name(good).expect(good);
        }
        for bad in [
            "",
            "Upper",
            "1abc",
            "a-b",
            "pg_catalog",
            "a\"b",
            &"x".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn advisory_keys_differ_by_schema_and_are_stable() {
        assert_eq!(advisory_key("nimbus"), advisory_key("nimbus"));
        assert_ne!(advisory_key("nimbus"), advisory_key("nimbus2"));
    }
}
