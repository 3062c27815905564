//! Integration tests of the state store, in one binary to keep link time low.
//!
//! `process` re-executes this binary as child processes (lock race, crash
//! safety); see `process::child_entry`.

mod conformance;
mod damage;
mod encryption;
mod lock;
mod process;
mod rebuild_prop;
mod store;

use std::path::{Path, PathBuf};

use nimbus_state::{ResourceRecord, RunInfo, Store, StoreOptions};
use serde_json::json;

/// A fresh project directory with `.nimbus/` not yet created.
pub struct Project {
    pub tmp: tempfile::TempDir,
}

impl Default for Project {
    fn default() -> Self {
        Project::new()
    }
}

impl Project {
    pub fn new() -> Project {
        Project {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join(".nimbus")
    }

    pub fn open(&self) -> Store {
        Store::open(&self.dir()).expect("open store")
    }

    pub fn open_with(&self, options: StoreOptions) -> Store {
        Store::open_with(&self.dir(), options).expect("open store")
    }
}

/// A small record with a couple of attributes.
pub fn record(address: &str, n: i64) -> ResourceRecord {
    let ty = address.split('.').next().unwrap_or("t").to_owned();
    let mut r = ResourceRecord::new(
        address,
        ty,
        "registry.nimbus.dev/test",
        json!({ "id": format!("id-{address}"), "n": n, "tags": { "k": "v" } }),
    );
    r.dependencies = vec!["x.dep".into()];
    r
}

pub fn run(op: &str) -> RunInfo {
    RunInfo::new(op)
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}
