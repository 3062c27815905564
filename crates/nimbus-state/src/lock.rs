//! Workspace locks: one writer per workspace, across processes.
//!
//! A lock is a row in the `locks` table. Checking and taking it happen in one
//! write transaction, which the backend serialises across every process
//! using the state (`BEGIN IMMEDIATE` in SQLite), so two processes can never
//! both see the workspace free. The row records who holds it (user, host, pid, operation), which is
//! what the error shows to whoever is refused, and lets a lock whose process
//! died on this host be recognised as stale instead of blocking forever.
//!
//! On a backend shared between hosts (PostgreSQL) a process id says nothing
//! about a holder elsewhere, so such backends give locks a lease
//! ([`Backend::lock_lease`]): the row carries an expiry time by the
//! database's clock, and the guard renews it from a thread of its own every
//! third of the lease until it is released. A holder that stops renewing
//! (it crashed, or lost its connection) leaves a lock that turns stale when
//! the lease ends.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::backend::{self, Backend, Tx};
use crate::error::StateError;
use crate::identity::identity;
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
    backend: Arc<dyn Backend>,
    workspace: String,
    info: LockInfo,
    released: bool,
    renewal: Option<Renewal>,
}

/// The thread renewing a lease, and what it found.
struct Renewal {
    /// Dropping it stops the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Why the lease could not be renewed, once it could not.
    failure: Arc<Mutex<Option<String>>>,
}

impl Renewal {
    fn start(backend: Arc<dyn Backend>, ws: String, id: String, lease: Duration) -> Renewal {
        let (stop, stopped) = mpsc::channel::<()>();
        let failure = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&failure);
        let every = (lease / 3).max(Duration::from_millis(10));
        let thread = std::thread::Builder::new()
            .name("nimbus-lock-lease".into())
            .spawn(move || {
                loop {
                    match stopped.recv_timeout(every) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let renewed = backend::write(backend.as_ref(), |tx| {
                        tx.renew_lock(&ws, &id, lease)
                    });
                    let (problem, lost) = match renewed {
                        Ok(true) => continue,
                        Ok(false) => (
                            format!(
                                "the lock {id} of workspace {ws:?} was taken away (its lease ran out or it was force-unlocked)"
                            ),
                            true,
                        ),
                        // A failed renewal may be a passing network error:
                        // remember it and try again while the row is ours.
                        Err(e) => (
                            format!("renewing the lock {id} of workspace {ws:?} failed: {e}"),
                            false,
                        ),
                    };
                    *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(problem);
                    if lost {
                        return;
                    }
                }
            })
            .ok();
        Renewal {
            stop: Some(stop),
            thread,
            failure,
        }
    }

    fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
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

    /// Why the lock's lease could not be renewed, if that ever happened
    /// (only backends with leases renew). A lock whose lease ran out may be
    /// held by someone else now.
    pub fn renewal_failure(&self) -> Option<String> {
        self.renewal
            .as_ref()
            .and_then(|r| r.failure.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Releases the lock now, reporting failures that `Drop` would have to ignore.
    pub fn release(mut self) -> Result<()> {
        self.released = true;
        if let Some(renewal) = &mut self.renewal {
            renewal.stop();
        }
        self.delete_row()
    }

    fn delete_row(&self) -> Result<()> {
        backend::write(self.backend.as_ref(), |tx| {
            tx.delete_lock(&self.workspace, &self.info.id).map(drop)
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(renewal) = &mut self.renewal {
            renewal.stop();
        }
        if !self.released {
            // Nothing useful can be done with an error here; a row left behind
            // is detected as stale (same host) or removed with force-unlock.
            let _ = self.delete_row();
        }
    }
}

/// One attempt, in one write transaction.
fn try_acquire(
    tx: &mut dyn Tx,
    backend: &dyn Backend,
    ws: &str,
    req: &LockRequest,
) -> Result<LockInfo> {
    let me = identity();
    if let Some(holder) = tx.lock(ws)? {
        if !backend.is_stale(&holder) {
            return Err(StateError::Locked {
                holder: Box::new(holder),
            });
        }
        if !req.steal_stale {
            return Err(StateError::StaleLock {
                holder: Box::new(holder),
            });
        }
        tx.delete_lock(ws, &holder.id)?;
    }
    let info = LockInfo {
        id: uuid::Uuid::now_v7().to_string(),
        run_id: req.run_id.clone(),
        user: me.user,
        host: me.host,
        pid: me.pid,
        operation: req.operation.clone(),
        started_at: now_rfc3339(),
        expires_at: None,
    };
    tx.insert_lock(ws, &info)?;
    // Read back: a backend with leases filled in the expiry time.
    Ok(tx.lock(ws)?.unwrap_or(info))
}

/// Takes the workspace lock, retrying until `req.timeout` while it is held.
pub(crate) fn acquire(
    backend: &Arc<dyn Backend>,
    ws: &str,
    req: &LockRequest,
) -> Result<LockGuard> {
    // `None`: a timeout so long it does not fit in an Instant, i.e. wait forever.
    let deadline = Instant::now().checked_add(req.timeout);
    loop {
        let attempt = backend::write(backend.as_ref(), |tx| {
            try_acquire(tx, backend.as_ref(), ws, req)
        });
        match attempt {
            Ok(info) => {
                let renewal = backend.lock_lease().map(|lease| {
                    Renewal::start(Arc::clone(backend), ws.to_owned(), info.id.clone(), lease)
                });
                return Ok(LockGuard {
                    backend: Arc::clone(backend),
                    workspace: ws.to_owned(),
                    info,
                    released: false,
                    renewal,
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
