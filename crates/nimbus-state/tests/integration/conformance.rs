//! The backend-agnostic suite (`nimbus_state::conformance`) on SQLite.

use nimbus_state::conformance::Harness;
use nimbus_state::{Encryption, STATE_DB_FILE, StateError, Store, StoreOptions, identity};

use crate::Project;
use crate::lock::dead_pid;

struct Sqlite {
    project: Project,
}

impl Sqlite {
    fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.project.dir().join(STATE_DB_FILE)).expect("raw")
    }
}

impl Harness for Sqlite {
    fn open(&self) -> Store {
        self.project.open()
    }

    fn plant_stale_lock(&self, workspace: &str) {
        self.raw()
            .execute(
                "INSERT INTO locks (workspace, id, run_id, user, host, pid, operation, started_at)
                 VALUES (?1, 'dead-lock', 'old-run', 'ghost', ?2, ?3, 'apply', '2020-01-01T00:00:00Z')",
                rusqlite::params![workspace, identity().host, dead_pid()],
            )
            .expect("plant");
    }

    fn fail_resource_writes(&self, address: &str) {
        self.raw()
            .execute_batch(&format!(
                "CREATE TRIGGER fail_insert BEFORE INSERT ON resources WHEN NEW.address = '{address}'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;
                 CREATE TRIGGER fail_update BEFORE UPDATE ON resources WHEN NEW.address = '{address}'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;"
            ))
            .expect("trigger");
    }

    fn fail_compaction_records(&self) {
        self.raw()
            .execute_batch(
                "CREATE TRIGGER fail_compaction BEFORE INSERT ON compactions
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .expect("trigger");
    }

    fn open_encrypted(&self, encryption: Encryption) -> Result<Store, StateError> {
        Store::open_with(
            &self.project.dir(),
            StoreOptions {
                encryption,
                ..StoreOptions::default()
            },
        )
    }

    fn raw_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            let path = self.project.dir().join(format!("{STATE_DB_FILE}{suffix}"));
            if let Ok(b) = std::fs::read(path) {
                bytes.extend(b);
            }
        }
        bytes
    }
}

fn harness() -> Option<Sqlite> {
    let project = Project::new();
    // Create the database now, so that the raw connections find it.
    drop(project.open());
    Some(Sqlite { project })
}

nimbus_state::conformance_suite!(harness());

#[test]
fn copy_keeps_every_workspace_and_its_history() {
    let (src, dst) = (Project::new(), Project::new());
    nimbus_state::conformance::copy_keeps_every_workspace_and_its_history(&src.open(), &dst.open());
}

#[test]
fn copy_refuses_a_non_empty_destination_unless_overwriting() {
    let (src, dst) = (Project::new(), Project::new());
    nimbus_state::conformance::copy_refuses_a_non_empty_destination_unless_overwriting(
        &src.open(),
        &dst.open(),
    );
}

#[test]
fn copy_that_fails_leaves_the_destination_as_it_was() {
    let src = Project::new();
    let dst = harness().expect("sqlite");
    nimbus_state::conformance::copy_that_fails_leaves_the_destination_as_it_was(&src.open(), &dst);
}

#[test]
fn copy_reads_a_long_log_in_pages() {
    let (src, dst) = (Project::new(), Project::new());
    nimbus_state::conformance::copy_reads_a_long_log_in_pages(&src.open(), &dst.open());
}

#[test]
fn copy_moves_a_state_between_keys() {
    let (Some(src), Some(dst)) = (harness(), harness()) else {
        return;
    };
    nimbus_state::conformance::copy_moves_a_state_between_keys(&src, &dst);
}

mod encrypted {
    nimbus_state::conformance_suite!(encrypted super::harness());
}
