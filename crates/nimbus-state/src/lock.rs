//! Workspace locks: one writer per workspace, across processes.
//!
//! A lock is a row in the `locks` table. Checking and taking it happen in one
//! `BEGIN IMMEDIATE` transaction, which SQLite serialises across every
//! process using the file, so two processes can never both see the workspace
//! free. The row records who holds it (user, host, pid, operation), which is
//! what the error shows to whoever is refused, and lets a lock whose process
//! died on this host be recognised as stale instead of blocking forever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::StateError;
use crate::identity::{identity, process_alive};
use crate::store::Shared;
use crate::types::{LockInfo, LockRequest};
use crate::write::now_rfc3339;

type Result<T> = std::result::Result<T, StateError>;

/// Pause between attempts while waiting for a held lock.
const RETRY_INTERVAL: Duration = Duration::from_millis(50);

/// A held workspace lock; released when dropped (or by [`LockGuard::release`]).
///
/// If the process dies while holding it, the row stays behind and the next
/// process on the same host sees it as stale.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard {
    shared: Arc<Shared>,
    workspace: String,
    info: LockInfo,
    released: bool,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("workspace", &self.workspace)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl LockGuard {
    /// Who holds the lock (us).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The locked workspace.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// Releases the lock now, reporting failures that `Drop` would have to ignore.
    pub fn release(mut self) -> Result<()> {
        self.released = true;
        self.delete_row()
    }

    fn delete_row(&self) -> Result<()> {
        let conn = self.shared.conn();
        conn.execute(
            "DELETE FROM locks WHERE workspace = ?1 AND id = ?2",
            params![self.workspace, self.info.id],
        )?;
        Ok(())
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.released {
            // Nothing useful can be done with an error here; a row left behind
            // is detected as stale (same host) or removed with force-unlock.
            let _ = self.delete_row();
        }
    }
}

/// Reads the current lock of a workspace.
pub(crate) fn current(conn: &Connection, ws: &str) -> Result<Option<LockInfo>> {
    let mut stmt = conn.prepare_cached(
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
            })
        })
        .optional()?)
}

fn insert(conn: &Connection, ws: &str, info: &LockInfo) -> Result<()> {
    conn.execute(
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

/// Whether the holder is a process on this host that no longer exists.
fn is_stale(holder: &LockInfo, host: &str) -> bool {
    holder.host == host && !process_alive(holder.pid)
}

/// One attempt, in one `BEGIN IMMEDIATE` transaction.
fn try_acquire(conn: &mut Connection, ws: &str, req: &LockRequest) -> Result<LockInfo> {
    let me = identity();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(holder) = current(&tx, ws)? {
        if !is_stale(&holder, &me.host) {
            return Err(StateError::Locked {
                holder: Box::new(holder),
            });
        }
        if !req.steal_stale {
            return Err(StateError::StaleLock {
                holder: Box::new(holder),
            });
        }
        tx.execute(
            "DELETE FROM locks WHERE workspace = ?1 AND id = ?2",
            params![ws, holder.id],
        )?;
    }
    let info = LockInfo {
        id: uuid::Uuid::now_v7().to_string(),
        run_id: req.run_id.clone(),
        user: me.user,
        host: me.host,
        pid: me.pid,
        operation: req.operation.clone(),
        started_at: now_rfc3339(),
    };
    insert(&tx, ws, &info)?;
    tx.commit()?;
    Ok(info)
}

/// Takes the workspace lock, retrying until `req.timeout` while it is held.
pub(crate) fn acquire(shared: &Arc<Shared>, ws: &str, req: &LockRequest) -> Result<LockGuard> {
    // `None`: a timeout so long it does not fit in an Instant, i.e. wait forever.
    let deadline = Instant::now().checked_add(req.timeout);
    loop {
        let attempt = {
            let mut conn = shared.conn();
            try_acquire(&mut conn, ws, req)
        };
        match attempt {
            Ok(info) => {
                return Ok(LockGuard {
                    shared: Arc::clone(shared),
                    workspace: ws.to_owned(),
                    info,
                    released: false,
                });
            }
            Err(StateError::Locked { holder }) => {
                let pause = match deadline {
                    Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                    None => RETRY_INTERVAL,
                };
                let stopped = req.stop_waiting.as_ref().is_some_and(|s| s.is_set());
                if pause.is_zero() || stopped {
                    return Err(StateError::Locked { holder });
                }
                std::thread::sleep(RETRY_INTERVAL.min(pause));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes a lock regardless of its holder, if its id matches.
pub(crate) fn force_unlock(conn: &Connection, ws: &str, id: &str) -> Result<()> {
    let n = conn.execute(
        "DELETE FROM locks WHERE workspace = ?1 AND id = ?2",
        params![ws, id],
    )?;
    if n == 0 {
        return Err(StateError::LockNotFound {
            workspace: ws.to_owned(),
            id: id.to_owned(),
        });
    }
    Ok(())
}
