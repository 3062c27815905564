//! Encryption at rest, where only the file has it: backups and the check.

use nimbus_state::conformance::{SECRET, with_key};
use nimbus_state::{
    Encryption, OutputRecord, RunStatus, StateError, Store, StoreOptions, check, check_with,
};
use serde_json::json;

use crate::{Project, record, run};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn open(p: &Project, encryption: Encryption) -> Result<Store, StateError> {
    Store::open_with(
        &p.dir(),
        StoreOptions {
            encryption,
            backup_every: 1,
            ..StoreOptions::default()
        },
    )
}

fn apply_secret(s: &Store, n: i64) {
    let rec = s.begin_run("default", run("apply")).expect("run");
    let mut r = record("t.secret", n);
    r.attributes["password"] = json!(SECRET);
    rec.upsert_blocking(r).expect("upsert");
    rec.set_outputs_blocking(vec![OutputRecord {
        name: "pw".into(),
        value: json!(SECRET),
        sensitive: true,
        terraform_type: None,
    }])
    .expect("outputs");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
}

#[test]
fn backups_of_an_encrypted_store_are_encrypted() {
    let p = Project::new();
    let s = open(&p, with_key("pw")).expect("open");
    apply_secret(&s, 1);
    // The second apply is backed up with the first one's data in it.
    apply_secret(&s, 2);
    let backups = s.backups().expect("backups");
    assert!(!backups.is_empty(), "automatic backups were taken");
    let manual = p.tmp.path().join("manual.db");
    s.backup_to(&manual).expect("backup");
    for path in backups.iter().chain([&manual]) {
        let bytes = std::fs::read(path).expect("read backup");
        assert!(
            !contains(&bytes, SECRET),
            "{} holds the secret",
            path.display()
        );
    }
    // Restored, the backup opens with the key only.
    s.restore_from(&manual).expect("restore");
    drop(s);
    assert!(matches!(
        open(&p, Encryption::default()),
        Err(StateError::PassphraseRequired)
    ));
    let s = open(&p, with_key("pw")).expect("reopen");
    let r = s
        .resource("default", "t.secret")
        .expect("read")
        .expect("t.secret");
    assert_eq!(r.attributes["password"], json!(SECRET));
}

#[test]
fn an_unencrypted_backup_holds_the_secret() {
    // The other side of the test above: it can fail.
    let p = Project::new();
    let s = open(&p, Encryption::default()).expect("open");
    apply_secret(&s, 1);
    let manual = p.tmp.path().join("manual.db");
    s.backup_to(&manual).expect("backup");
    assert!(contains(&std::fs::read(&manual).expect("read"), SECRET));
}

#[test]
fn the_check_reads_an_encrypted_store_with_its_key() {
    let p = Project::new();
    let s = open(&p, with_key("pw")).expect("open");
    apply_secret(&s, 1);
    apply_secret(&s, 2);
    drop(s);
    let report = check_with(&p.dir(), &with_key("pw")).expect("check");
    assert!(report.is_consistent(), "{report:?}");
    assert_eq!(report.workspaces[0].resources, 1);
    assert!(matches!(
        check(&p.dir()),
        Err(StateError::PassphraseRequired)
    ));
    assert!(matches!(
        check_with(&p.dir(), &with_key("nope")),
        Err(StateError::WrongPassphrase)
    ));
}
