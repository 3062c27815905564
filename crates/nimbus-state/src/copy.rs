//! Copying a whole state onto another backend (`nimbus state migrate`).
//!
//! Unlike Terraform's `init -migrate-state`, which copies a snapshot, the
//! copy keeps everything the state knows: every workspace with its whole
//! event log (same seqs, times, runs, causes, users, kinds, and the JSON
//! before and after byte for byte), its runs, intents (open ones stay
//! open, under the same ids), restore points, and the store-wide settings
//! that identify the state (the key saved plans are sealed with, the
//! current workspace, a Terraform lineage). A saved plan made before the
//! copy is then exactly as valid on the destination, and `state history`
//! reads the same there.
//!
//! The source is read in pages of [`PAGE`] events, never whole; the
//! destination is written in one transaction, so a failure (or a copy
//! that does not read back as its source) leaves it as it was. The
//! projection is not copied: it is rebuilt on the destination by
//! replaying the copied log, then compared with the source's.

use std::path::Path;

use crate::backend::{self, RestorePointRow, Tx};
use crate::error::StateError;
use crate::projection;
use crate::store::{DEFAULT_WORKSPACE, Store};
use crate::types::LockInfo;

type Result<T> = std::result::Result<T, StateError>;

/// Events read from the source at a time.
const PAGE: usize = 1000;

/// The counters ids are taken from ([`Tx::counter`]).
const COUNTERS: [&str; 3] = ["events", "intents", "restore_points"];

/// What to do when the destination holds something already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnNonEmpty {
    /// Refuse with [`StateError::DestinationNotEmpty`].
    Refuse,
    /// Clear it first (in the copy's transaction: a failed copy leaves it
    /// as it was).
    Overwrite,
}

/// What a state holds, in short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateContents {
    /// Its workspaces, by name.
    pub workspaces: Vec<String>,
    /// Resources of every workspace together.
    pub resources: u64,
    /// The newest event of any workspace (0: none).
    pub head: u64,
}

impl StateContents {
    /// Whether it is a new state: the default workspace only, never written.
    pub fn is_empty(&self) -> bool {
        self.head == 0 && self.resources == 0 && self.workspaces == [DEFAULT_WORKSPACE]
    }
}

/// What [`Store::copy_into`] copied of one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceCopy {
    /// The workspace.
    pub name: String,
    /// Events of its log.
    pub events: u64,
    /// Resources of its current state.
    pub resources: u64,
    /// Outputs of its current state.
    pub outputs: u64,
    /// Runs recorded.
    pub runs: u64,
    /// Intents, open or closed.
    pub intents: u64,
    /// Intents still open.
    pub open_intents: u64,
    /// Restore points.
    pub restore_points: u64,
}

/// What [`Store::copy_into`] copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Every workspace, by name.
    pub workspaces: Vec<WorkspaceCopy>,
    /// Store-wide settings copied.
    pub settings: u64,
    /// Whether the destination held something that was replaced.
    pub overwritten: bool,
}

impl CopyReport {
    /// Events of every workspace together.
    pub fn events(&self) -> u64 {
        self.workspaces.iter().map(|w| w.events).sum()
    }

    /// Resources of every workspace together.
    pub fn resources(&self) -> u64 {
        self.workspaces.iter().map(|w| w.resources).sum()
    }
}

fn contents_of(tx: &mut dyn Tx) -> Result<StateContents> {
    let listed = tx.list_workspaces()?;
    let mut head = 0;
    for (name, _) in &listed {
        head = head.max(tx.head_seq(name)?);
    }
    Ok(StateContents {
        resources: listed.iter().map(|(_, n)| n).sum(),
        workspaces: listed.into_iter().map(|(name, _)| name).collect(),
        head,
    })
}

/// The lock rows held on `tx`'s workspaces, to put back after clearing.
fn held_locks(tx: &mut dyn Tx, workspaces: &[String]) -> Result<Vec<(String, LockInfo)>> {
    let mut held = Vec::new();
    for ws in workspaces {
        if let Some(lock) = tx.lock(ws)? {
            held.push((ws.clone(), lock));
        }
    }
    Ok(held)
}

impl Store {
    /// What the state holds: workspaces, resources, newest event.
    pub fn contents(&self) -> Result<StateContents> {
        backend::read(self.backend.as_ref(), contents_of)
    }

    /// Copies the whole state into `dest` (another backend), keeping its
    /// history: see the module documentation. `dest` must be a new state
    /// ([`StateContents::is_empty`]) unless `on_non_empty` says to
    /// overwrite it. Locks are not copied; those held on the destination
    /// (by the caller, so that nothing else writes there meanwhile) stay
    /// held on the workspaces that exist after the copy.
    ///
    /// The caller holds the source's workspace locks, so that no run
    /// writes to it during the copy; the source is only read. Backup
    /// files of restore points are kept only when `dest` is an embedded
    /// store where they exist.
    pub fn copy_into(&self, dest: &Store, on_non_empty: OnNonEmpty) -> Result<CopyReport> {
        if self.location() == dest.location() {
            return Err(StateError::SameState {
                location: self.location(),
            });
        }
        dest.writable()?;
        let (workspaces, settings, counters) = backend::read(self.backend.as_ref(), |tx| {
            let mut workspaces = Vec::new();
            for (name, _) in tx.list_workspaces()? {
                let created = tx
                    .workspace_created_at(&name)?
                    .ok_or_else(|| StateError::WorkspaceNotFound(name.clone()))?;
                workspaces.push((name, created));
            }
            let mut counters = Vec::new();
            for name in COUNTERS {
                counters.push((name, tx.counter(name)?));
            }
            Ok((workspaces, tx.settings()?, counters))
        })?;
        let keep_backups = dest.local.is_some();
        let location = dest.location();
        backend::write(dest.backend.as_ref(), |tx| {
            let existing = contents_of(tx)?;
            let overwritten = !existing.is_empty();
            if overwritten && on_non_empty == OnNonEmpty::Refuse {
                return Err(StateError::DestinationNotEmpty {
                    location,
                    workspaces: existing.workspaces.len(),
                    resources: existing.resources,
                    head: existing.head,
                });
            }
            // Cleared whole, even when new: its default workspace and
            // settings become the source's.
            let locks = held_locks(tx, &existing.workspaces)?;
            for ws in &existing.workspaces {
                tx.delete_workspace(ws)?;
            }
            for (key, _) in tx.settings()? {
                tx.delete_setting(&key)?;
            }
            let mut copied = Vec::with_capacity(workspaces.len());
            for (name, created) in &workspaces {
                copied.push(self.copy_workspace(tx, name, created, keep_backups)?);
            }
            for (key, value) in &settings {
                tx.set_setting(key, value)?;
            }
            // Ids of rows deleted on the source (a deleted workspace's
            // events) are not handed out again on the copy either.
            for (name, last) in &counters {
                tx.advance_counter(name, *last)?;
            }
            for (ws, lock) in &locks {
                if tx.workspace_exists(ws)? && tx.lock(ws)?.is_none() {
                    tx.insert_lock(ws, lock)?;
                }
            }
            Ok(CopyReport {
                workspaces: copied,
                settings: settings.len() as u64,
                overwritten,
            })
        })
    }

    /// Copies one workspace into `tx` (the destination's transaction).
    fn copy_workspace(
        &self,
        tx: &mut dyn Tx,
        ws: &str,
        created: &str,
        keep_backups: bool,
    ) -> Result<WorkspaceCopy> {
        let source = self.backend.as_ref();
        tx.insert_workspace(ws, created)?;
        // A compacted log is copied as it is: its snapshot events, and
        // where they end.
        if let Some(compaction) = backend::read(source, |s| s.compaction(ws))? {
            tx.set_compaction(ws, &compaction)?;
        }
        let mut events = 0;
        let mut after = 0;
        loop {
            let page = backend::read(source, |s| s.events_after(ws, after, PAGE))?;
            for event in &page {
                tx.insert_event(event)?;
                after = event.seq;
                events += 1;
            }
            if page.len() < PAGE {
                break;
            }
        }
        let runs = backend::read(source, |s| s.runs_of(ws))?;
        for run in &runs {
            tx.insert_run_record(run)?;
        }
        let intents = backend::read(source, |s| s.intents_of(ws))?;
        for intent in &intents {
            tx.insert_intent_record(intent)?;
        }
        let mut points = backend::read(source, |s| s.restore_points(ws))?;
        points.reverse(); // oldest first, as they were taken
        for point in &points {
            let backup = point
                .backup
                .as_deref()
                .filter(|p| keep_backups && Path::is_file(p))
                .map(|p| p.to_string_lossy().into_owned());
            tx.insert_restore_point_with_id(
                point.id,
                &RestorePointRow {
                    workspace: ws,
                    seq: point.seq,
                    run_id: &point.run_id,
                    operation: &point.operation,
                    created_at: &point.created_at,
                    backup_path: backup.as_deref(),
                },
            )?;
        }
        // The projection: rebuilt from the copied log, then compared with
        // the source's (which must itself agree with its log).
        projection::replay(tx, ws, i64::MAX as u64)?;
        let differs = |what| StateError::CopyDiffers {
            workspace: ws.to_owned(),
            what,
        };
        let (head, resources, outputs, open) = backend::read(source, |s| {
            Ok((
                s.head_seq(ws)?,
                s.load_resources(ws)?,
                s.load_outputs(ws)?,
                s.open_intents(ws)?,
            ))
        })?;
        if tx.head_seq(ws)? != head {
            return Err(differs("event log"));
        }
        if tx.load_resources(ws)? != resources {
            return Err(differs("resources"));
        }
        if tx.load_outputs(ws)? != outputs {
            return Err(differs("outputs"));
        }
        if tx.open_intents(ws)? != open {
            return Err(differs("open intents"));
        }
        Ok(WorkspaceCopy {
            name: ws.to_owned(),
            events,
            resources: resources.len() as u64,
            outputs: outputs.len() as u64,
            runs: runs.len() as u64,
            intents: intents.len() as u64,
            open_intents: open.len() as u64,
            restore_points: points.len() as u64,
        })
    }
}
