//! Whole-database copies through SQLite's online backup API.
//!
//! The backup API reads a consistent snapshot while writers carry on (WAL),
//! unlike a file copy, which can tear a database mid-commit. Copies are
//! written to a temporary name, switched to a single-file journal mode,
//! synced and renamed into place, so a backup file is either complete or
//! absent.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::error::StateError;
use crate::schema;

type Result<T> = std::result::Result<T, StateError>;

/// Name prefix of automatic backups (pruned); safety copies use another prefix.
pub(crate) const AUTO_PREFIX: &str = "state-";
/// Name prefix of the copy taken before `restore_from`.
pub(crate) const SAFETY_PREFIX: &str = "pre-restore-";

/// How long to keep retrying a backup step that finds the database busy.
const BUSY_RETRIES: u32 = 200;

/// Creates a directory (and parents) with mode 0700 if missing.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StateError::io(dir, e))
}

/// Creates an empty file with mode 0600 if missing.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StateError::io(path, e)),
    }
}

/// Narrows an existing file to 0600 if group or others have access (best effort:
/// a file we cannot chmod is one we do not own and could not write anyway).
pub(crate) fn tighten(path: &Path) {
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o700 | 0o600));
        }
    }
}

/// Copies all pages from `src` into `dst`, retrying while busy.
pub(crate) fn copy_pages(src: &Connection, dst: &mut Connection) -> Result<()> {
    let backup = Backup::new(src, dst)?;
    let mut busy = 0;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => {
                busy += 1;
                if busy > BUSY_RETRIES {
                    return Err(StateError::CommitFailed(
                        "database stayed busy during backup".into(),
                    ));
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            // StepResult is non-exhaustive; treat anything new as retryable.
            _ => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

/// Writes a consistent copy of `src` to `dest` atomically (temp file + rename).
pub(crate) fn backup_to(src: &Connection, dest: &Path) -> Result<()> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let file_name = dest.file_name().ok_or_else(|| {
        StateError::InvalidInput(format!("{} is not a file path", dest.display()))
    })?;
    let mut tmp_name = file_name.to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dest.with_file_name(tmp_name);
    let _ = fs::remove_file(&tmp);
    create_private_file(&tmp)?;
    let result = (|| {
        let mut dst = Connection::open(&tmp)?;
        copy_pages(src, &mut dst)?;
        // A backup is a single self-contained file, not a WAL database.
        let _: String =
            dst.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
        dst.close().map_err(|(_, e)| e)?;
        let f = fs::File::open(&tmp).map_err(|e| StateError::io(&tmp, e))?;
        f.sync_all().map_err(|e| StateError::io(&tmp, e))?;
        fs::rename(&tmp, dest).map_err(|e| StateError::io(dest, e))?;
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Make the rename itself durable.
            if let Ok(d) = fs::File::open(parent) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Opens `path` read-only and checks that it is a usable nimbus state database.
pub(crate) fn open_validated(path: &Path) -> Result<Connection> {
    let not_state = |reason: String| StateError::NotAStateDatabase {
        path: path.to_owned(),
        reason,
    };
    if !path.is_file() {
        return Err(not_state("no such file".into()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_state(e.to_string()))?;
    let app = schema::application_id(&conn).map_err(|e| not_state(e.to_string()))?;
    if app != schema::APPLICATION_ID {
        return Err(not_state(format!("unexpected application id {app:#x}")));
    }
    let version = schema::user_version(&conn)?;
    if version == 0 {
        return Err(not_state("it has no schema".into()));
    }
    schema::check_not_newer(version)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not_state(e.to_string()))?;
    if check != "ok" {
        return Err(not_state(format!("integrity check failed: {check}")));
    }
    Ok(conn)
}

/// Timestamp usable in file names that sorts chronologically.
pub(crate) fn file_stamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// Automatic backups in `dir`, oldest first.
pub(crate) fn auto_backups(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StateError::io(dir, e)),
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(AUTO_PREFIX) && n.ends_with(".db"))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Deletes the oldest automatic backups so that at most `keep` remain.
pub(crate) fn prune(dir: &Path, keep: usize) -> Result<()> {
    let all = auto_backups(dir)?;
    let excess = all.len().saturating_sub(keep);
    for old in &all[..excess] {
        fs::remove_file(old).map_err(|e| StateError::io(old, e))?;
    }
    Ok(())
}
