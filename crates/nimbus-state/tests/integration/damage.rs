//! Damaged, emptied and foreign databases; `check`; restoring a database
//! that cannot be opened.

use nimbus_state::{
    LockRequest, OutputRecord, RunStatus, SCHEMA_VERSION, STATE_DB_FILE, StateError, Store,
    StoreOptions, check,
};
use serde_json::json;

use crate::{Project, record, run};

/// A store with one applied run of 300 resources and an output, backed up
/// by that run (the first apply always is).
fn applied() -> Project {
    let p = Project::new();
    let store = p.open_with(StoreOptions::default());
    // As a real run: under the workspace's lock, which the backup taken as
    // the run begins records too.
    let info = run("apply");
    let lock = store
        .lock("default", LockRequest::new(info.run_id.clone(), "apply"))
        .expect("lock");
    let rec = store.begin_run("default", info).expect("run");
    for i in 0..300 {
        rec.upsert_blocking(record(&format!("t.r{i:03}"), i))
            .expect("upsert");
    }
    rec.set_outputs_blocking(vec![OutputRecord {
        name: "ip".into(),
        value: json!("10.0.0.1"),
        sensitive: false,
        terraform_type: None,
    }])
    .expect("output");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    lock.release().expect("unlock");
    drop(store);
    p
}

fn db(p: &Project) -> std::path::PathBuf {
    p.dir().join(STATE_DB_FILE)
}

/// Overwrites `len` bytes in the middle of the database file.
fn scribble(p: &Project, len: usize) {
    use std::io::{Seek, SeekFrom, Write};
    let path = db(p);
    let size = std::fs::metadata(&path).expect("size").len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    f.seek(SeekFrom::Start(size / 2)).expect("seek");
    f.write_all(&vec![0xa5; len]).expect("scribble");
}

/// Moves the write-ahead log into the database file, so that damage done
/// to the file is not hidden by newer page copies in the log.
fn checkpoint(p: &Project) {
    let conn = rusqlite::Connection::open(db(p)).expect("raw");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
}

#[test]
fn a_sound_store_checks_consistent() {
    let p = applied();
    let report = check(&p.dir()).expect("check");
    assert!(report.is_consistent(), "{report:?}");
    assert_eq!(report.workspaces.len(), 1);
    assert_eq!(report.workspaces[0].resources, 300);
    assert!(report.workspaces[0].events >= 301);
}

#[test]
fn check_reports_each_way_a_projection_differs_from_its_log() {
    let p = applied();
    let conn = rusqlite::Connection::open(db(&p)).expect("raw");
    conn.execute_batch(
        "UPDATE resources SET attributes = '{\"id\":\"forged\"}' WHERE address = 't.r001';
         UPDATE resources SET status = 'tainted' WHERE address = 't.r002';
         UPDATE resources SET attributes = '{broken' WHERE address = 't.r003';
         DELETE FROM resources WHERE address = 't.r004';
         INSERT INTO resources SELECT workspace, 't.extra', resource_type, provider, attributes,
             sensitive, private, schema_version, dependencies, status, last_run
             FROM resources WHERE address = 't.r005';
         UPDATE outputs SET value = '\"10.9.9.9\"' WHERE name = 'ip';",
    )
    .expect("tamper");
    drop(conn);
    let report = check(&p.dir()).expect("check");
    assert!(!report.is_consistent());
    assert!(report.integrity.is_empty(), "{:?}", report.integrity);
    let findings: Vec<String> = report.workspaces[0]
        .findings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        findings,
        [
            "resource t.extra is recorded, but not in the event log",
            "resource t.r001 differs from the event log in attributes",
            "resource t.r002 differs from the event log in status",
            "resource t.r003 cannot be read: state database is corrupt: t.r003: key must be a string at line 1 column 2",
            "resource t.r004 is in the event log, but not recorded",
            "output ip differs from the event log",
        ],
        "{findings:#?}"
    );
    // The check wrote nothing: the tampering is still there, and a rebuild
    // repairs it.
    let store = p.open();
    assert!(
        store
            .resource("default", "t.extra")
            .expect("read")
            .is_some()
    );
    store.rebuild("default").expect("rebuild");
    drop(store);
    assert!(check(&p.dir()).expect("check").is_consistent());
}

#[test]
fn a_damaged_file_is_refused_at_open_and_checked() {
    let p = applied();
    checkpoint(&p);
    scribble(&p, 8192);
    for err in [
        Store::open(&p.dir()).expect_err("damaged"),
        Store::open_read_only(&p.dir()).expect_err("damaged read-only"),
    ] {
        assert!(err.is_damage(), "{err}");
        assert!(matches!(err, StateError::Damaged { .. }), "{err}");
    }
    match check(&p.dir()) {
        Ok(report) => {
            assert!(!report.is_consistent());
            assert!(!report.integrity.is_empty());
        }
        Err(err) => assert!(err.is_damage(), "{err}"),
    }
}

#[test]
fn truncated_garbage_and_emptied_files_are_damage() {
    let p = applied();
    checkpoint(&p);
    let size = std::fs::metadata(db(&p)).expect("size").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(db(&p))
        .expect("open")
        .set_len(size / 2)
        .expect("truncate");
    let err = Store::open(&p.dir()).expect_err("truncated");
    assert!(err.is_damage(), "{err}");

    std::fs::write(db(&p), b"this is not a database, it is a note").expect("garbage");
    let err = Store::open_read_only(&p.dir()).expect_err("garbage");
    assert!(err.is_damage(), "{err}");
    assert!(
        err.to_string().contains("it is not an SQLite database"),
        "{err}"
    );

    // Empty: SQLite would take it for a new state; backups say otherwise.
    std::fs::write(db(&p), b"").expect("empty");
    for err in [
        Store::open(&p.dir()).expect_err("emptied"),
        Store::open_read_only(&p.dir()).expect_err("emptied read-only"),
    ] {
        assert!(err.is_damage(), "{err}");
        assert!(err.to_string().contains("the file is empty"), "{err}");
    }
    let err = check(&p.dir()).expect_err("emptied, checked");
    assert!(err.is_damage(), "{err}");
    assert_eq!(std::fs::metadata(db(&p)).expect("size").len(), 0);
}

#[test]
fn a_newer_schema_is_refused_by_check() {
    let p = applied();
    let conn = rusqlite::Connection::open(db(&p)).expect("raw");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 2)
        .expect("bump");
    drop(conn);
    let err = check(&p.dir()).expect_err("newer");
    assert!(matches!(err, StateError::SchemaTooNew { found, supported }
        if found == SCHEMA_VERSION + 2 && supported == SCHEMA_VERSION));
    assert!(!err.is_damage());
}

#[test]
fn the_latest_sound_backup_restores_a_damaged_database() {
    let p = applied();
    let latest = Store::latest_backup(&p.dir())
        .expect("backups")
        .expect("the first apply was backed up");
    assert!(latest.starts_with(p.dir().join("backups")));
    // A newer automatic backup that is itself damaged is passed over.
    let broken = latest.with_file_name("state-99999999T000000.000000000Z.db");
    std::fs::write(&broken, b"not a database").expect("broken backup");
    assert_eq!(
        Store::latest_backup(&p.dir()).expect("backups"),
        Some(latest.clone())
    );

    std::fs::write(db(&p), b"garbage").expect("garbage");
    assert!(Store::open(&p.dir()).expect_err("damaged").is_damage());
    let aside = Store::restore_damaged(&p.dir(), &latest).expect("restore");
    assert_eq!(std::fs::read(&aside).expect("kept aside"), b"garbage");
    let store = p.open();
    // The backup was taken as the run began: before its changes, under
    // the run's lock, which is not restored with it.
    assert_eq!(store.resources("default").expect("list").len(), 0);
    assert_eq!(store.current_lock("default").expect("lock"), None);
    drop(store);
    assert!(check(&p.dir()).expect("check").is_consistent());
}

#[test]
fn a_restore_keeps_the_locks_held_now_not_those_of_the_copy() {
    let p = applied();
    let latest = Store::latest_backup(&p.dir())
        .expect("backups")
        .expect("a backup");
    let store = p.open();
    let mine = store
        .lock("default", LockRequest::new("restore-run", "state restore"))
        .expect("lock");
    store.restore_from(&latest).expect("restore");
    assert_eq!(store.resources("default").expect("list").len(), 0);
    let held = store.current_lock("default").expect("lock").expect("held");
    assert_eq!(&held, mine.info());
    mine.release().expect("unlock");
    assert_eq!(store.current_lock("default").expect("lock"), None);
}
