//! `check`: is the state database sound, and does its projection say what
//! its event log says?
//!
//! SQLite's `PRAGMA integrity_check` looks at the file (pages, b-trees,
//! indexes). Then each workspace's projection (the `resources` and
//! `outputs` tables) is compared with what replaying its event log gives,
//! through the one replay [`crate::Store::rebuild`] uses. The replay runs in
//! an in-memory copy of the database (SQLite's backup API, a consistent
//! snapshot while writers carry on), so the check writes nothing and takes
//! no lock; it holds a copy of the database in memory meanwhile.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::backup;
use crate::crypt::{self, Encryption, Keyring};
use crate::error::StateError;
use crate::projection;
use crate::schema;
use crate::sqlite::SqliteTx;
use crate::store::{STATE_DB_FILE, check_not_emptied, located};
use crate::types::{OutputRecord, ResourceRecord};

type Result<T> = std::result::Result<T, StateError>;

/// Most integrity problems SQLite is asked to list.
const INTEGRITY_LINES: u32 = 100;

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// What SQLite's integrity check reports (empty: the file is sound).
    /// When it reports anything, the projections are not compared.
    pub integrity: Vec<String>,
    /// Each workspace's projection compared with its event log, by name.
    pub workspaces: Vec<WorkspaceCheck>,
}

impl CheckReport {
    /// The file is sound and every projection equals its log's replay.
    pub fn is_consistent(&self) -> bool {
        self.integrity.is_empty() && self.workspaces.iter().all(|w| w.findings.is_empty())
    }
}

/// One workspace's comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceCheck {
    /// The workspace.
    pub workspace: String,
    /// Events replayed.
    pub events: u64,
    /// Resources in its projection.
    pub resources: usize,
    /// Where the projection and the log's replay differ (empty: nowhere).
    pub findings: Vec<Finding>,
}

/// One difference between a projection and its event log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Finding {
    /// The projection records a resource the log does not.
    #[error("resource {address} is recorded, but not in the event log")]
    ResourceNotInLog {
        /// The resource.
        address: String,
    },
    /// The log records a resource the projection does not.
    #[error("resource {address} is in the event log, but not recorded")]
    ResourceMissing {
        /// The resource.
        address: String,
    },
    /// Both record the resource, differently.
    #[error("resource {address} differs from the event log in {}", fields.join(", "))]
    ResourceDiffers {
        /// The resource.
        address: String,
        /// The record's fields that differ (`attributes`, `status`, ...).
        fields: Vec<String>,
    },
    /// The projection's row of the resource cannot be decoded.
    #[error("resource {address} cannot be read: {reason}")]
    ResourceUnreadable {
        /// The resource.
        address: String,
        /// Why.
        reason: String,
    },
    /// The projection records an output the log does not.
    #[error("output {name} is recorded, but not in the event log")]
    OutputNotInLog {
        /// The output.
        name: String,
    },
    /// The log records an output the projection does not.
    #[error("output {name} is in the event log, but not recorded")]
    OutputMissing {
        /// The output.
        name: String,
    },
    /// Both record the output, differently.
    #[error("output {name} differs from the event log")]
    OutputDiffers {
        /// The output.
        name: String,
    },
    /// The projection's outputs cannot be decoded.
    #[error("the outputs cannot be read: {reason}")]
    OutputsUnreadable {
        /// Why.
        reason: String,
    },
    /// The event log cannot be replayed.
    #[error("the event log cannot be replayed: {reason}")]
    LogUnreadable {
        /// Why.
        reason: String,
    },
}

/// Checks the state database in `dir` (the project's `.nimbus/`), read-only.
///
/// Fails only when the file cannot be examined at all: missing, not an
/// SQLite database or another program's, or written by a newer nimbus
/// ([`StateError::SchemaTooNew`]: never half-read). An older schema is
/// migrated in the in-memory copy, never in the file.
pub fn check(dir: &Path) -> Result<CheckReport> {
    check_with(dir, &Encryption::default())
}

/// [`check`] of a state that may be encrypted: `encryption` holds its key
/// (a wrong or missing one fails as opening the store would).
pub fn check_with(dir: &Path, encryption: &Encryption) -> Result<CheckReport> {
    let path = dir.join(STATE_DB_FILE);
    if !path.is_file() {
        return Err(StateError::NotAStateDatabase {
            path,
            reason: "no such file".into(),
        });
    }
    check_not_emptied(dir, &path)?;
    let examine = || -> Result<CheckReport> {
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let app = schema::application_id(&conn)?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if app != schema::APPLICATION_ID && !(app == 0 && tables == 0) {
            return Err(StateError::NotAStateDatabase {
                path: path.clone(),
                reason: format!("unexpected application id {app:#x}"),
            });
        }
        schema::check_not_newer(schema::user_version(&conn)?)?;
        let integrity = integrity_check(&conn)?;
        if !integrity.is_empty() {
            return Ok(CheckReport {
                integrity,
                workspaces: Vec::new(),
            });
        }
        let mut copy = Connection::open_in_memory()?;
        backup::copy_pages(&conn, &mut copy)?;
        drop(conn);
        schema::migrate(&mut copy)?;
        let names: Vec<String> = copy
            .prepare("SELECT name FROM workspaces ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let keys = crypt::keys_in(&mut SqliteTx { conn: &copy }, encryption)?;
        let mut workspaces = Vec::new();
        for name in names {
            workspaces.push(compare(&copy, &name, keys.as_ref())?);
        }
        Ok(CheckReport {
            integrity,
            workspaces,
        })
    };
    examine().map_err(|e| located(&path, e))
}

/// `PRAGMA integrity_check`'s findings; empty when it says `ok`.
fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let lines: Vec<String> = conn
        .prepare(&format!("PRAGMA integrity_check({INTEGRITY_LINES})"))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if lines.len() == 1 && lines[0] == "ok" {
        return Ok(Vec::new());
    }
    Ok(lines
        .iter()
        .flat_map(|l| l.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .map(str::to_owned)
        .collect())
}

/// The workspace's projection as recorded: each resource, or why its row
/// cannot be read; the outputs, or why they cannot be read.
type Recorded = (
    BTreeMap<String, std::result::Result<ResourceRecord, String>>,
    std::result::Result<BTreeMap<String, OutputRecord>, String>,
);

fn recorded(conn: &Connection, ws: &str, keys: Option<&Keyring>) -> Result<Recorded> {
    let addresses: Vec<String> = conn
        .prepare("SELECT address FROM resources WHERE workspace = ?1 ORDER BY address")?
        .query_map([ws], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut resources = BTreeMap::new();
    for address in addresses {
        let loaded = crypt::through(&mut SqliteTx { conn }, keys, |tx| {
            tx.fetch_resource(ws, &address)?
                .map(|raw| raw.decode())
                .transpose()
        });
        let record = match loaded {
            Ok(Some(record)) => Ok(record),
            Ok(None) => continue,
            Err(e @ (StateError::Corrupt(_) | StateError::Encryption(_))) => Err(e.to_string()),
            Err(e) => return Err(e),
        };
        resources.insert(address, record);
    }
    let outputs = crypt::through(&mut SqliteTx { conn }, keys, |tx| tx.load_outputs(ws))
        .map(|all| all.into_iter().map(|o| (o.name.clone(), o)).collect());
    let outputs = match outputs {
        Ok(outputs) => Ok(outputs),
        Err(e @ (StateError::Corrupt(_) | StateError::Encryption(_))) => Err(e.to_string()),
        Err(e) => return Err(e),
    };
    Ok((resources, outputs))
}

/// The fields of two records that differ, by their serialized names.
fn differing_fields(a: &ResourceRecord, b: &ResourceRecord) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return vec!["record".into()];
    };
    let mut fields: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .chain(b.keys().filter(|k| !a.contains_key(*k)).cloned())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// Compares the workspace's projection with a replay of its log, in the
/// in-memory copy (the replay replaces the copy's projection).
fn compare(copy: &Connection, ws: &str, keys: Option<&Keyring>) -> Result<WorkspaceCheck> {
    let (resources, outputs) = recorded(copy, ws, keys)?;
    let count = resources.len();
    let tx = copy.unchecked_transaction()?;
    let replayed = match crypt::through(&mut SqliteTx { conn: &tx }, keys, |t| {
        projection::replay(t, ws, i64::MAX as u64)
    }) {
        Ok(n) => n,
        Err(e @ (StateError::Corrupt(_) | StateError::Encryption(_))) => {
            return Ok(WorkspaceCheck {
                workspace: ws.to_owned(),
                events: 0,
                resources: count,
                findings: vec![Finding::LogUnreadable {
                    reason: e.to_string(),
                }],
            });
        }
        Err(e) => return Err(e),
    };
    let (from_log, outputs_from_log) = crypt::through(&mut SqliteTx { conn: &tx }, keys, |t| {
        let resources: BTreeMap<String, ResourceRecord> = t
            .load_resources(ws)?
            .into_iter()
            .map(|r| (r.address.clone(), r))
            .collect();
        let outputs: BTreeMap<String, OutputRecord> = t
            .load_outputs(ws)?
            .into_iter()
            .map(|o| (o.name.clone(), o))
            .collect();
        Ok((resources, outputs))
    })?;
    drop(tx);

    let mut findings = Vec::new();
    for (address, record) in &resources {
        match (record, from_log.get(address)) {
            (Err(reason), _) => findings.push(Finding::ResourceUnreadable {
                address: address.clone(),
                reason: reason.clone(),
            }),
            (Ok(_), None) => findings.push(Finding::ResourceNotInLog {
                address: address.clone(),
            }),
            (Ok(ours), Some(theirs)) if ours != theirs => {
                findings.push(Finding::ResourceDiffers {
                    address: address.clone(),
                    fields: differing_fields(ours, theirs),
                });
            }
            _ => {}
        }
    }
    for address in from_log.keys().filter(|a| !resources.contains_key(*a)) {
        findings.push(Finding::ResourceMissing {
            address: address.clone(),
        });
    }
    match outputs {
        Err(reason) => findings.push(Finding::OutputsUnreadable { reason }),
        Ok(outputs) => {
            for (name, output) in &outputs {
                match outputs_from_log.get(name) {
                    None => findings.push(Finding::OutputNotInLog { name: name.clone() }),
                    Some(theirs) if theirs != output => {
                        findings.push(Finding::OutputDiffers { name: name.clone() })
                    }
                    _ => {}
                }
            }
            for name in outputs_from_log
                .keys()
                .filter(|n| !outputs.contains_key(*n))
            {
                findings.push(Finding::OutputMissing { name: name.clone() });
            }
        }
    }
    Ok(WorkspaceCheck {
        workspace: ws.to_owned(),
        events: replayed,
        resources: count,
        findings,
    })
}
