//! The embedded backend: [`Tx`] and [`Backend`] on one SQLite file.
//!
//! The store keeps one connection for reads and short administrative writes
//! (workspace management, `state rm`/`mv`, locks); a run's writer opens its
//! own ([`Backend::connect`]). WAL mode lets both coexist: readers see the
//! last committed state and never wait for a writer; writers wait for each
//! other through `busy_timeout`, and `BEGIN IMMEDIATE` serialises them
//! across processes.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::backend::{
    self, Backend, EventRecord, EventRow, Finish, IntentRecord, IntentRow, IntentState,
    RestorePointRow, RunRecord, RunRow, StoredEvent, Tx, Work, decode_intent,
};
use crate::error::StateError;
use crate::identity::{identity, process_alive};
use crate::projection::{self, EncodedResource, RawResource};
use crate::types::{
    Compaction, Event, Intent, IntentId, LockInfo, OutputRecord, ResourceRecord, RestorePoint,
};
use crate::write::parse_json_opt;

type Result<T> = std::result::Result<T, StateError>;

/// [`Tx`] on an SQLite connection inside a transaction its caller opened.
pub(crate) struct SqliteTx<'c> {
    pub conn: &'c Connection,
}

fn limit_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Tx for SqliteTx<'_> {
    fn append_event(&mut self, ev: &EventRow<'_>) -> Result<u64> {
        insert_event_row(self.conn, None, ev)?;
        last_id(self.conn)
    }

    fn set_event_payload(
        &mut self,
        seq: u64,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE events SET before = ?2, after = ?3 WHERE seq = ?1")?;
        stmt.execute(params![seq, before, after])?;
        Ok(())
    }

    fn head_seq(&mut self, ws: &str) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace = ?1")?;
        Ok(stmt.query_row([ws], |r| r.get(0))?)
    }

    fn events_page(
        &mut self,
        ws: &str,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, address, prev_address, before, after FROM events
             WHERE workspace = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![ws, after, upto, limit_of(limit)], |r| {
            Ok(StoredEvent {
                seq: r.get(0)?,
                kind: r.get(1)?,
                address: r.get(2)?,
                prev_address: r.get(3)?,
                before: r.get(4)?,
                after: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn history(&mut self, ws: &str, address: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let limit = limit_of(limit);
        let cols = "seq, workspace, time, run_id, cause, user, host, operation, kind, address, before, after";
        let mut stmt;
        let mut rows = match address {
            Some(a) => {
                stmt = self.conn.prepare_cached(&format!(
                    "SELECT {cols} FROM events WHERE workspace = ?1 AND address = ?2
                     UNION ALL
                     SELECT {cols} FROM events WHERE workspace = ?1 AND prev_address = ?2
                     ORDER BY seq DESC LIMIT ?3"
                ))?;
                stmt.query(params![ws, a, limit])?
            }
            None => {
                stmt = self.conn.prepare_cached(&format!(
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

    fn fetch_resource(&mut self, ws: &str, address: &str) -> Result<Option<RawResource>> {
        projection::fetch_raw(self.conn, ws, address)
    }

    fn resource_exists(&mut self, ws: &str, address: &str) -> Result<bool> {
        projection::resource_exists(self.conn, ws, address)
    }

    fn addresses_within(&mut self, ws: &str, prefix: &str) -> Result<Vec<String>> {
        projection::addresses_within(self.conn, ws, prefix)
    }

    fn put_resource(&mut self, ws: &str, resource: &EncodedResource) -> Result<()> {
        projection::put_resource(self.conn, ws, resource)
    }

    fn delete_resource(&mut self, ws: &str, address: &str) -> Result<bool> {
        projection::delete_resource(self.conn, ws, address)
    }

    fn rename_resource(&mut self, ws: &str, from: &str, to: &str) -> Result<bool> {
        projection::rename_resource(self.conn, ws, from, to)
    }

    fn load_resources(&mut self, ws: &str) -> Result<Vec<ResourceRecord>> {
        projection::load_resources(self.conn, ws)
    }

    fn count_resources(&mut self, ws: &str) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM resources WHERE workspace = ?1")?;
        Ok(stmt.query_row([ws], |r| r.get(0))?)
    }

    fn clear_projection(&mut self, ws: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM resources WHERE workspace = ?1", [ws])?;
        self.conn
            .execute("DELETE FROM outputs WHERE workspace = ?1", [ws])?;
        Ok(())
    }

    fn load_outputs(&mut self, ws: &str) -> Result<Vec<OutputRecord>> {
        projection::load_outputs(self.conn, ws)
    }

    fn put_output(&mut self, ws: &str, output: &OutputRecord) -> Result<()> {
        projection::put_output(self.conn, ws, output)
    }

    fn delete_output(&mut self, ws: &str, name: &str) -> Result<()> {
        projection::delete_output(self.conn, ws, name)
    }

    fn insert_intent(&mut self, i: &IntentRow<'_>) -> Result<IntentId> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO intents (workspace, run_id, address, action, resource_type, provider,
                                  detail, created_at, event_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        stmt.execute(params![
            i.workspace,
            i.run_id,
            i.address,
            i.action,
            i.resource_type,
            i.provider,
            i.detail,
            i.created_at,
            i.event_seq,
        ])?;
        Ok(IntentId(last_id(self.conn)?))
    }

    fn intent_details(&mut self, ws: &str) -> Result<Vec<(IntentId, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, detail FROM intents WHERE workspace = ?1 ORDER BY id")?;
        let rows = stmt.query_map([ws], |r| Ok((IntentId(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_intent_detail(&mut self, id: IntentId, detail: &str) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE intents SET detail = ?2 WHERE id = ?1")?;
        stmt.execute(params![id.0, detail])?;
        Ok(())
    }

    fn intent_state(&mut self, id: IntentId) -> Result<Option<IntentState>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT workspace, address, action, event_seq, closed_at IS NOT NULL FROM intents WHERE id = ?1",
        )?;
        Ok(stmt
            .query_row([id.0], |r| {
                Ok(IntentState {
                    workspace: r.get(0)?,
                    address: r.get(1)?,
                    action: r.get(2)?,
                    event_seq: r.get(3)?,
                    closed: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn close_intent(
        &mut self,
        id: IntentId,
        closed_at: &str,
        resolution: &str,
        closed_seq: u64,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "UPDATE intents SET closed_at = ?2, resolution = ?3, closed_seq = ?4 WHERE id = ?1",
        )?;
        stmt.execute(params![id.0, closed_at, resolution, closed_seq])?;
        Ok(())
    }

    fn open_intents(&mut self, ws: &str) -> Result<Vec<Intent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, run_id, address, action, resource_type, provider, detail, created_at
             FROM intents WHERE workspace = ?1 AND closed_at IS NULL ORDER BY id",
        )?;
        let mut rows = stmt.query([ws])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let action: String = r.get(3)?;
            let detail: String = r.get(6)?;
            out.push(decode_intent(
                IntentId(r.get(0)?),
                r.get(1)?,
                r.get(2)?,
                &action,
                r.get(4)?,
                r.get(5)?,
                &detail,
                r.get(7)?,
            )?);
        }
        Ok(out)
    }

    fn count_open_intents(&mut self, ws: &str) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*) FROM intents WHERE workspace = ?1 AND closed_at IS NULL",
        )?;
        Ok(stmt.query_row([ws], |r| r.get(0))?)
    }

    fn run_exists(&mut self, run_id: &str) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM runs WHERE run_id = ?1")?;
        Ok(stmt.exists([run_id])?)
    }

    fn insert_run(&mut self, run: &RunRow<'_>) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO runs (run_id, workspace, operation, cause, user, host, pid,
                                         started_at, finished_at, status, start_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let inserted = stmt.execute(params![
            run.run_id,
            run.workspace,
            run.operation,
            run.cause,
            run.user,
            run.host,
            run.pid,
            run.started_at,
            run.finished_at,
            run.status,
            run.start_seq
        ])?;
        Ok(inserted > 0)
    }

    fn finish_run(
        &mut self,
        run_id: &str,
        finished_at: &str,
        status: &str,
        end_seq: u64,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "UPDATE runs SET finished_at = ?2, status = ?3, end_seq = ?4 WHERE run_id = ?1",
        )?;
        stmt.execute(params![run_id, finished_at, status, end_seq])?;
        Ok(())
    }

    fn insert_restore_point(&mut self, p: &RestorePointRow<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO restore_points (workspace, seq, run_id, operation, created_at, backup_path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                p.workspace,
                p.seq,
                p.run_id,
                p.operation,
                p.created_at,
                p.backup_path
            ],
        )?;
        Ok(())
    }

    fn restore_points(&mut self, ws: &str) -> Result<Vec<RestorePoint>> {
        let mut stmt = self.conn.prepare_cached(
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

    fn workspace_exists(&mut self, name: &str) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM workspaces WHERE name = ?1")?;
        Ok(stmt.exists([name])?)
    }

    fn insert_workspace(&mut self, name: &str, created_at: &str) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO workspaces (name, created_at) VALUES (?1, ?2)",
            params![name, created_at],
        )?;
        Ok(n > 0)
    }

    fn list_workspaces(&mut self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT w.name, (SELECT count(*) FROM resources r WHERE r.workspace = w.name)
             FROM workspaces w ORDER BY w.name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn delete_workspace(&mut self, name: &str) -> Result<()> {
        for table in [
            "resources",
            "outputs",
            "events",
            "intents",
            "runs",
            "restore_points",
            "locks",
            "compactions",
        ] {
            self.conn
                .execute(&format!("DELETE FROM {table} WHERE workspace = ?1"), [name])?;
        }
        self.conn
            .execute("DELETE FROM workspaces WHERE name = ?1", [name])?;
        Ok(())
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
        Ok(stmt.query_row([key], |r| r.get(0)).optional()?)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn init_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            params![key, value],
        )?;
        Ok(())
    }

    fn lock(&mut self, ws: &str) -> Result<Option<LockInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, run_id, user, host, pid, operation, started_at FROM locks WHERE workspace = ?1",
        )?;
        Ok(stmt
            .query_row([ws], |r| {
                Ok(LockInfo {
                    id: r.get(0)?,
                    run_id: r.get(1)?,
                    user: r.get(2)?,
                    host: r.get(3)?,
                    pid: r.get(4)?,
                    operation: r.get(5)?,
                    started_at: r.get(6)?,
                    expires_at: None,
                })
            })
            .optional()?)
    }

    fn insert_lock(&mut self, ws: &str, info: &LockInfo) -> Result<()> {
        self.conn.execute(
            "INSERT INTO locks (workspace, id, run_id, user, host, pid, operation, started_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                ws,
                info.id,
                info.run_id,
                info.user,
                info.host,
                info.pid,
                info.operation,
                info.started_at
            ],
        )?;
        Ok(())
    }

    fn delete_lock(&mut self, ws: &str, id: &str) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM locks WHERE workspace = ?1 AND id = ?2",
            params![ws, id],
        )?;
        Ok(n > 0)
    }

    fn renew_lock(&mut self, ws: &str, id: &str, _lease: Duration) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM locks WHERE workspace = ?1 AND id = ?2")?;
        Ok(stmt.exists(params![ws, id])?)
    }

    // AUTOINCREMENT keeps its counter past every id inserted explicitly,
    // so the copies below number later rows past theirs.

    fn events_after(&mut self, ws: &str, after: u64, limit: usize) -> Result<Vec<EventRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, workspace, time, run_id, cause, user, host, operation, kind, address,
                    prev_address, before, after
             FROM events WHERE workspace = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![ws, after, limit_of(limit)], |r| {
            Ok(EventRecord {
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
                prev_address: r.get(10)?,
                before: r.get(11)?,
                after: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_event(&mut self, ev: &EventRecord) -> Result<()> {
        insert_event_row(self.conn, Some(ev.seq), &ev.row())
    }

    fn runs_of(&mut self, ws: &str) -> Result<Vec<RunRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_id, workspace, operation, cause, user, host, pid, started_at, finished_at,
                    status, start_seq, end_seq
             FROM runs WHERE workspace = ?1 ORDER BY started_at, run_id",
        )?;
        let rows = stmt.query_map([ws], |r| {
            Ok(RunRecord {
                run_id: r.get(0)?,
                workspace: r.get(1)?,
                operation: r.get(2)?,
                cause: r.get(3)?,
                user: r.get(4)?,
                host: r.get(5)?,
                pid: r.get(6)?,
                started_at: r.get(7)?,
                finished_at: r.get(8)?,
                status: r.get(9)?,
                start_seq: r.get(10)?,
                end_seq: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_run_record(&mut self, run: &RunRecord) -> Result<()> {
        self.conn.execute(
            "INSERT INTO runs (run_id, workspace, operation, cause, user, host, pid, started_at,
                               finished_at, status, start_seq, end_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                run.run_id,
                run.workspace,
                run.operation,
                run.cause,
                run.user,
                run.host,
                run.pid,
                run.started_at,
                run.finished_at,
                run.status,
                run.start_seq,
                run.end_seq,
            ],
        )?;
        Ok(())
    }

    fn intents_of(&mut self, ws: &str) -> Result<Vec<IntentRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, workspace, run_id, address, action, resource_type, provider, detail,
                    created_at, event_seq, closed_at, resolution, closed_seq
             FROM intents WHERE workspace = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([ws], |r| {
            Ok(IntentRecord {
                id: r.get(0)?,
                workspace: r.get(1)?,
                run_id: r.get(2)?,
                address: r.get(3)?,
                action: r.get(4)?,
                resource_type: r.get(5)?,
                provider: r.get(6)?,
                detail: r.get(7)?,
                created_at: r.get(8)?,
                event_seq: r.get(9)?,
                closed_at: r.get(10)?,
                resolution: r.get(11)?,
                closed_seq: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_intent_record(&mut self, i: &IntentRecord) -> Result<()> {
        self.conn.execute(
            "INSERT INTO intents (id, workspace, run_id, address, action, resource_type, provider,
                                  detail, created_at, event_seq, closed_at, resolution, closed_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                i.id,
                i.workspace,
                i.run_id,
                i.address,
                i.action,
                i.resource_type,
                i.provider,
                i.detail,
                i.created_at,
                i.event_seq,
                i.closed_at,
                i.resolution,
                i.closed_seq,
            ],
        )?;
        Ok(())
    }

    fn insert_restore_point_with_id(&mut self, id: u64, p: &RestorePointRow<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO restore_points (id, workspace, seq, run_id, operation, created_at, backup_path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                p.workspace,
                p.seq,
                p.run_id,
                p.operation,
                p.created_at,
                p.backup_path
            ],
        )?;
        Ok(())
    }

    fn workspace_created_at(&mut self, name: &str) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT created_at FROM workspaces WHERE name = ?1")?;
        Ok(stmt.query_row([name], |r| r.get(0)).optional()?)
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn delete_setting(&mut self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    // The counters are AUTOINCREMENT's, in `sqlite_sequence` (one row per
    // table, made at its first insert).

    fn counter(&mut self, name: &str) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = ?1")?;
        Ok(stmt
            .query_row([name], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn advance_counter(&mut self, name: &str, past: u64) -> Result<()> {
        let updated = self.conn.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?2) WHERE name = ?1",
            params![name, past],
        )?;
        if updated == 0 {
            self.conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)",
                params![name, past],
            )?;
        }
        Ok(())
    }

    fn compaction(&mut self, ws: &str) -> Result<Option<Compaction>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT boundary_seq, boundary_time, compacted_at, events_removed, runs_removed
             FROM compactions WHERE workspace = ?1",
        )?;
        Ok(stmt
            .query_row([ws], |r| {
                Ok(Compaction {
                    boundary: r.get(0)?,
                    boundary_time: r.get(1)?,
                    compacted_at: r.get(2)?,
                    events_removed: r.get(3)?,
                    runs_removed: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn set_compaction(&mut self, ws: &str, c: &Compaction) -> Result<()> {
        self.conn.execute(
            "INSERT INTO compactions (workspace, boundary_seq, boundary_time, compacted_at,
                                      events_removed, runs_removed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (workspace) DO UPDATE SET
                 boundary_seq = excluded.boundary_seq, boundary_time = excluded.boundary_time,
                 compacted_at = excluded.compacted_at, events_removed = excluded.events_removed,
                 runs_removed = excluded.runs_removed",
            params![
                ws,
                c.boundary,
                c.boundary_time,
                c.compacted_at,
                c.events_removed,
                c.runs_removed
            ],
        )?;
        Ok(())
    }

    fn delete_events_upto(&mut self, ws: &str, upto: u64) -> Result<u64> {
        let n = self.conn.execute(
            "DELETE FROM events WHERE workspace = ?1 AND seq <= ?2",
            params![ws, upto],
        )?;
        Ok(n as u64)
    }

    fn delete_runs_upto(&mut self, ws: &str, upto: u64) -> Result<u64> {
        let n = self.conn.execute(
            "DELETE FROM runs WHERE workspace = ?1 AND status <> 'running'
               AND start_seq < ?2 AND COALESCE(end_seq, start_seq) <= ?2",
            params![ws, upto],
        )?;
        Ok(n as u64)
    }

    fn delete_closed_intents_upto(&mut self, ws: &str, upto: u64) -> Result<u64> {
        let n = self.conn.execute(
            "DELETE FROM intents WHERE workspace = ?1 AND closed_at IS NOT NULL
               AND closed_seq <= ?2",
            params![ws, upto],
        )?;
        Ok(n as u64)
    }

    fn delete_restore_point(&mut self, id: u64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM restore_points WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn oldest_open_intent_seq(&mut self, ws: &str) -> Result<Option<u64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT min(event_seq) FROM intents WHERE workspace = ?1 AND closed_at IS NULL",
        )?;
        Ok(stmt.query_row([ws], |r| r.get(0))?)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.conn.prepare_cached("SAVEPOINT request")?.execute([])?;
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        self.conn
            .prepare_cached("ROLLBACK TO request")?
            .execute([])?;
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.conn.prepare_cached("RELEASE request")?.execute([])?;
        Ok(())
    }
}

/// Inserts an event: under `seq`, or (`None`) under the next number
/// AUTOINCREMENT gives, which is never one used before.
fn insert_event_row(conn: &Connection, seq: Option<u64>, ev: &EventRow<'_>) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (seq, workspace, time, run_id, cause, user, host, operation, kind,
                             address, prev_address, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    stmt.execute(params![
        seq,
        ev.workspace,
        ev.time,
        ev.run_id,
        ev.cause,
        ev.user,
        ev.host,
        ev.operation,
        ev.kind,
        ev.address,
        ev.prev_address,
        ev.before,
        ev.after,
    ])?;
    Ok(())
}

fn last_id(conn: &Connection) -> Result<u64> {
    u64::try_from(conn.last_insert_rowid()).map_err(|_| StateError::corrupt("negative row id"))
}

/// Runs `work` in a `BEGIN IMMEDIATE` transaction of `conn`.
fn write_on(
    conn: &mut Connection,
    work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>,
) -> Result<Finish> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let finish = work(&mut SqliteTx { conn: &tx })?;
    match finish {
        Finish::Commit => tx.commit()?,
        Finish::Rollback => tx.rollback()?,
    }
    Ok(finish)
}

/// A run writer's own connection.
pub(crate) struct SqliteConnection(pub Connection);

impl backend::Connection for SqliteConnection {
    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>) -> Result<Finish> {
        write_on(&mut self.0, work)
    }
}

/// The SQLite backend: `.nimbus/state.db`.
pub(crate) struct Sqlite {
    pub dir: PathBuf,
    pub db_path: PathBuf,
    pub conn: Mutex<Connection>,
    pub options: crate::StoreOptions,
    pub read_only: bool,
}

impl Sqlite {
    /// The store's connection. A panic while it was held cannot leave it in a
    /// bad state (transactions roll back on drop), so poisoning is ignored.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Backend for Sqlite {
    fn read(&self, work: &mut Work<'_>) -> Result<()> {
        // Reads outside a transaction: each statement sees a committed
        // snapshot (WAL), and a read-only connection cannot take a write lock.
        let conn = self.conn();
        work(&mut SqliteTx { conn: &conn })
    }

    fn write(&self, work: &mut Work<'_>) -> Result<()> {
        if self.read_only {
            return Err(StateError::ReadOnly);
        }
        let mut conn = self.conn();
        write_on(&mut conn, &mut |tx| work(tx).map(|()| Finish::Commit)).map(drop)
    }

    fn connect(&self) -> Result<Box<dyn backend::Connection>> {
        if self.read_only {
            return Err(StateError::ReadOnly);
        }
        let conn = crate::store::open_connection(&self.db_path, &self.options)?;
        Ok(Box::new(SqliteConnection(conn)))
    }

    fn location(&self) -> String {
        self.db_path.display().to_string()
    }

    fn is_stale(&self, holder: &LockInfo) -> bool {
        holder.host == identity().host && !process_alive(holder.pid)
    }
}

impl Sqlite {
    /// The database file.
    pub(crate) fn path(&self) -> &Path {
        &self.db_path
    }

    /// Bytes the database takes on disk: the file and its write-ahead log.
    pub(crate) fn size(&self) -> Result<u64> {
        let mut total = 0;
        for suffix in ["", "-wal"] {
            let mut path = self.db_path.clone().into_os_string();
            path.push(suffix);
            match std::fs::metadata(&path) {
                Ok(meta) => total += meta.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::io(PathBuf::from(path), e)),
            }
        }
        Ok(total)
    }
}
