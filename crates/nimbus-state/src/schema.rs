//! Database schema and forward migrations.
//!
//! The schema version lives in `PRAGMA user_version`; `PRAGMA application_id`
//! marks the file as a nimbus state database so `restore_from` can refuse
//! foreign files. Migrations are an ordered list: entry `i` upgrades version
//! `i` to `i + 1`, so any older database is upgraded in place, in one
//! transaction, by running the entries it has not seen. A database with a
//! version above [`SCHEMA_VERSION`] was written by a newer nimbus and is refused
//! rather than guessed at.
//!
//! Design notes for the 100k-resource targets: JSON is stored as text (cheap to
//! write, parsed only when read), every hot lookup is an index on
//! `(workspace, ...)`, and the event log is indexed by `(workspace, seq)` for
//! replay and by `(workspace, address, seq)` for per-resource history.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StateError;

/// `PRAGMA application_id` of nimbus state databases ("NMBS").
pub(crate) const APPLICATION_ID: i32 = 0x4e4d_4253;

/// Version 1: workspaces, settings, the event log, its projection, intents and locks.
const V1: &str = r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE workspaces (
    name       TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO workspaces (name, created_at)
    VALUES ('default', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO settings (key, value) VALUES ('current_workspace', 'default');

-- Append-only. AUTOINCREMENT guarantees a sequence number is never reused,
-- even after a workspace and its events are deleted.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace    TEXT NOT NULL,
    time         TEXT NOT NULL,
    run_id       TEXT NOT NULL,
    cause        TEXT,
    user         TEXT NOT NULL,
    host         TEXT NOT NULL,
    operation    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    address      TEXT,
    prev_address TEXT,          -- source address of a move
    before       TEXT,          -- JSON
    after        TEXT           -- JSON
);
CREATE INDEX events_by_workspace ON events (workspace, seq);
CREATE INDEX events_by_address ON events (workspace, address, seq);
CREATE INDEX events_by_prev_address ON events (workspace, prev_address)
    WHERE prev_address IS NOT NULL;

-- Projection of the event log.
CREATE TABLE resources (
    workspace      TEXT NOT NULL,
    address        TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    provider       TEXT NOT NULL,
    attributes     TEXT NOT NULL,   -- JSON
    sensitive      TEXT NOT NULL,   -- JSON array of attribute names
    private        BLOB NOT NULL,
    schema_version INTEGER NOT NULL,
    dependencies   TEXT NOT NULL,   -- JSON array of addresses
    status         TEXT NOT NULL,
    last_run       TEXT,
    PRIMARY KEY (workspace, address)
);

CREATE TABLE outputs (
    workspace TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,        -- JSON
    sensitive INTEGER NOT NULL,
    PRIMARY KEY (workspace, name)
) WITHOUT ROWID;

CREATE TABLE intents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace     TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    address       TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    provider      TEXT NOT NULL,
    detail        TEXT NOT NULL,    -- JSON
    created_at    TEXT NOT NULL,
    event_seq     INTEGER NOT NULL, -- the intent.record event
    closed_at     TEXT,
    resolution    TEXT,
    closed_seq    INTEGER
);
CREATE INDEX intents_open ON intents (workspace, id) WHERE closed_at IS NULL;

CREATE TABLE locks (
    workspace  TEXT PRIMARY KEY,
    id         TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    user       TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    operation  TEXT NOT NULL,
    started_at TEXT NOT NULL
) WITHOUT ROWID;
"#;

/// Version 2: run bookkeeping and restore points.
const V2: &str = r#"
CREATE TABLE runs (
    run_id      TEXT PRIMARY KEY,
    workspace   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    cause       TEXT,
    user        TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,      -- running | succeeded | failed
    start_seq   INTEGER NOT NULL,
    end_seq     INTEGER
) WITHOUT ROWID;
CREATE INDEX runs_by_workspace ON runs (workspace, started_at);

CREATE TABLE restore_points (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    run_id      TEXT NOT NULL,
    operation   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    backup_path TEXT
);
CREATE INDEX restore_points_by_workspace ON restore_points (workspace, id);
"#;

/// Version 3: the type Terraform recorded for an adopted output (JSON, or
/// NULL for outputs Nimbus evaluated).
const V3: &str = r#"
ALTER TABLE outputs ADD COLUMN terraform_type TEXT;
"#;

/// Version 4: bounded history. A compacted workspace's events up to its
/// boundary are `snapshot.*` events that an older nimbus would replay as
/// nothing (it ignores kinds it does not know), so the version is bumped
/// for it to refuse such a state rather than rebuild it empty.
const V4: &str = r#"
CREATE TABLE compactions (
    workspace      TEXT PRIMARY KEY,
    boundary_seq   INTEGER NOT NULL,  -- last event folded into the snapshot
    boundary_time  TEXT NOT NULL,
    compacted_at   TEXT NOT NULL,
    events_removed INTEGER NOT NULL,  -- by every compaction so far
    runs_removed   INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Ordered forward migrations: `MIGRATIONS[i]` upgrades version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// Schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StateError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    u32::try_from(v).map_err(|_| StateError::corrupt(format!("negative schema version {v}")))
}

/// Reads `PRAGMA application_id`.
pub(crate) fn application_id(conn: &Connection) -> Result<i32, StateError> {
    Ok(conn.pragma_query_value(None, "application_id", |r| r.get(0))?)
}

/// Refuses versions newer than this build.
pub(crate) fn check_not_newer(found: u32) -> Result<(), StateError> {
    if found > SCHEMA_VERSION {
        return Err(StateError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Upgrades the database to [`SCHEMA_VERSION`], creating it if empty.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StateError> {
    migrate_with(conn, MIGRATIONS)
}

/// Upgrades the database with an explicit migration list (tests use prefixes).
pub(crate) fn migrate_with(conn: &mut Connection, migrations: &[&str]) -> Result<(), StateError> {
    let target = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    let found = user_version(conn)?;
    check_not_newer(found)?;
    if found >= target {
        return Ok(());
    }
    // Re-read under the write lock: another process may have migrated meanwhile.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = user_version(&tx)?;
    check_not_newer(found)?;
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_one_database_upgrades_in_place() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate_with(&mut conn, &MIGRATIONS[..1]).expect("v1");
        assert_eq!(user_version(&conn).expect("version"), 1);
        conn.execute_batch(
            "INSERT INTO resources VALUES ('default','a.b','a','p','{}','[]',x'',0,'[]','ready',NULL);
             INSERT INTO events (workspace,time,run_id,user,host,operation,kind,address)
                 VALUES ('default','t','r','u','h','apply','resource.create','a.b');",
        )
        .expect("seed v1 data");
        assert!(conn.prepare("SELECT * FROM runs").is_err());

        migrate(&mut conn).expect("upgrade");
        assert_eq!(user_version(&conn).expect("version"), SCHEMA_VERSION);
        assert_eq!(application_id(&conn).expect("app id"), APPLICATION_ID);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM resources", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1);
        conn.prepare("SELECT * FROM runs")
            .expect("runs table exists");
        conn.prepare("SELECT * FROM restore_points")
            .expect("restore_points table exists");
        conn.prepare("SELECT * FROM compactions")
            .expect("compactions table exists");
        // Idempotent.
        migrate(&mut conn).expect("again");
    }

    #[test]
    fn version_three_database_gains_bounded_history() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate_with(&mut conn, &MIGRATIONS[..3]).expect("v3");
        assert!(conn.prepare("SELECT * FROM compactions").is_err());
        migrate(&mut conn).expect("upgrade");
        assert_eq!(user_version(&conn).expect("version"), 4);
        conn.prepare("SELECT * FROM compactions")
            .expect("compactions table exists");
    }

    #[test]
    fn newer_version_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 7)
            .expect("set version");
        let err = migrate(&mut conn).expect_err("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "the state database was written by a newer nimbus (schema version {}; this nimbus reads versions up to {}): upgrade nimbus to use it; nothing was read or changed",
                SCHEMA_VERSION + 7,
                SCHEMA_VERSION
            )
        );
    }
}
