//! The backend-agnostic part of the state store's test suite.
//!
//! Every backend must record exactly the same events and projection for the
//! same changes, so the model is tested once, here, and run against each
//! backend: the SQLite store from this crate's integration tests, remote
//! backends from theirs (`conformance_suite!` makes one `#[test]` per
//! function). Each function gets a [`Harness`] on a fresh, empty location.
//!
//! Not part of the public interface: test code only.

#![allow(missing_docs, clippy::missing_panics_doc)]

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::{
    Encryption, IntentAction, IntentResolution, KeySource, LockRequest, NewIntent, Outcome,
    OutputRecord, Passphrase, ResourceRecord, Retention, RunInfo, RunStatus, StateError, Store,
};

/// A fresh location of one backend under test.
pub trait Harness: Sync {
    /// Opens a new store on the location (every call: the same state, a new
    /// connection, as another process would).
    fn open(&self) -> Store;
    /// Leaves a lock on the workspace whose holder is gone, as this backend
    /// recognises it (a dead process on this host; an expired lease).
    fn plant_stale_lock(&self, workspace: &str);
    /// Makes every later write of the resource row at `address` fail inside
    /// the backend, after its event was appended (a partial write).
    fn fail_resource_writes(&self, address: &str);
    /// Makes every later write of a workspace's compaction record fail
    /// inside the backend: the last write of a compaction.
    fn fail_compaction_records(&self);
    /// Opens a new store on the location with these encryption settings.
    fn open_encrypted(&self, encryption: Encryption) -> Result<Store, StateError>;
    /// Every byte the backend keeps of the state, as an attacker with the
    /// storage would read it (files and their write-ahead logs; every row
    /// of every table as text).
    fn raw_bytes(&self) -> Vec<u8>;
}

/// A harness whose stores are all encrypted: the whole suite again,
/// through the encryption layer.
pub struct Encrypted<H>(pub H);

/// The passphrase of [`Encrypted`] stores.
pub const SUITE_PASSPHRASE: &str = "conformance suite passphrase";

impl<H: Harness> Harness for Encrypted<H> {
    fn open(&self) -> Store {
        self.0
            .open_encrypted(with_key(SUITE_PASSPHRASE))
            .expect("open encrypted")
    }
    fn plant_stale_lock(&self, workspace: &str) {
        self.0.plant_stale_lock(workspace);
    }
    fn fail_resource_writes(&self, address: &str) {
        self.0.fail_resource_writes(address);
    }
    fn fail_compaction_records(&self) {
        self.0.fail_compaction_records();
    }
    fn open_encrypted(&self, encryption: Encryption) -> Result<Store, StateError> {
        self.0.open_encrypted(encryption)
    }
    fn raw_bytes(&self) -> Vec<u8> {
        self.0.raw_bytes()
    }
}

fn key(pass: &str) -> Option<KeySource> {
    Some(KeySource::Passphrase(
        Passphrase::new(pass).expect("passphrase"),
    ))
}

/// Encryption with the passphrase `pass`.
pub fn with_key(pass: &str) -> Encryption {
    Encryption {
        key: key(pass),
        ..Encryption::default()
    }
}

/// Defines one `#[test]` per conformance function; `$harness` is an
/// expression giving `Option<impl Harness>` (`None`: skip, the backend is
/// not available).
#[macro_export]
#[doc(hidden)]
macro_rules! conformance_suite {
    (encrypted $harness:expr) => {
        $crate::conformance_suite!(@tests $harness.map($crate::conformance::Encrypted);
            workspaces, upsert_remove_move_and_projection, outputs, intents,
            runs_and_restore_points, restore_to_event, rebuild_replays_the_log, history,
            concurrent_recorders, failed_request_is_undone_alone,
            compaction_replays_to_the_projection, history_across_the_compaction_boundary,
            retention_by_count_and_by_age, compaction_is_one_transaction);
    };
    ($harness:expr) => {
        $crate::conformance_suite!(@tests $harness;
            workspaces, upsert_remove_move_and_projection, outputs, intents,
            runs_and_restore_points, restore_to_event, rebuild_replays_the_log, history,
            locks_have_one_holder, stale_lock_needs_steal, concurrent_recorders,
            failed_request_is_undone_alone, secrets_are_never_stored_in_the_clear,
            wrong_key_fails_before_writing, rotation_with_fallback_and_rekey,
            enforced_refuses_plaintext_and_rekey_encrypts,
            compaction_replays_to_the_projection, history_across_the_compaction_boundary,
            retention_by_count_and_by_age, compaction_is_one_transaction);
    };
    (@tests $harness:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                if let Some(h) = $harness {
                    $crate::conformance::$name(&h);
                }
            }
        )*
    };
}

/// A small record.
pub fn record(address: &str, n: i64) -> ResourceRecord {
    let ty = address.split('.').next().unwrap_or("t").to_owned();
    let mut r = ResourceRecord::new(
        address,
        ty,
        "registry.nimbus.dev/test",
        json!({ "id": format!("id-{address}"), "n": n, "tags": { "k": "v" }, "u": "é\u{1F600}" }),
    );
    r.dependencies = vec!["x.dep".into()];
    r.private = vec![0, 1, 0xff, 0x80];
    r.sensitive_attributes = vec!["tags".into()];
    r
}

fn addresses(store: &Store, ws: &str) -> Vec<String> {
    store
        .resources(ws)
        .expect("resources")
        .into_iter()
        .map(|r| r.address)
        .collect()
}

pub fn workspaces(h: &dyn Harness) {
    let s = h.open();
    assert_eq!(s.current_workspace().expect("current"), "default");
    s.create_workspace("staging").expect("create");
    assert!(matches!(
        s.create_workspace("staging"),
        Err(StateError::WorkspaceExists(_))
    ));
    assert!(matches!(
        s.create_workspace("bad name"),
        Err(StateError::InvalidWorkspaceName { .. })
    ));
    s.select_workspace("staging").expect("select");
    // Another store sees the same state.
    let other = h.open();
    assert_eq!(other.current_workspace().expect("current"), "staging");
    let names: Vec<_> = other
        .list_workspaces()
        .expect("list")
        .into_iter()
        .map(|w| (w.name, w.is_current))
        .collect();
    assert_eq!(
        names,
        [("default".to_owned(), false), ("staging".to_owned(), true)]
    );
    assert!(matches!(
        s.select_workspace("nope"),
        Err(StateError::WorkspaceNotFound(_))
    ));
    s.select_workspace("default").expect("select");
    let rec = s.begin_run("staging", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.a", 1)).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    assert!(s.delete_workspace("staging", false).is_err());
    s.delete_workspace("staging", true).expect("force delete");
    assert_eq!(s.list_workspaces().expect("list").len(), 1);
    assert_eq!(s.setting_or_init("k", || "v1".into()).expect("init"), "v1");
    assert_eq!(s.setting_or_init("k", || "v2".into()).expect("kept"), "v1");
}

pub fn upsert_remove_move_and_projection(h: &dyn Harness) {
    let s = h.open();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    let a = rec.upsert_blocking(record("t.a", 1)).expect("a");
    let b = rec.upsert_blocking(record("t.b", 2)).expect("b");
    assert!(b > a);
    let a2 = rec.upsert_blocking(record("t.a", 3)).expect("a again");
    assert!(a2 > b);
    rec.move_resource_blocking("t.b", "t.c").expect("move");
    assert!(matches!(
        rec.remove_blocking("t.none"),
        Err(StateError::ResourceNotFound { .. })
    ));
    rec.upsert_blocking(record("module.m.t.x[0]", 4))
        .expect("in module");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");

    assert_eq!(addresses(&s, "default"), ["module.m.t.x[0]", "t.a", "t.c"]);
    let a = s.resource("default", "t.a").expect("read").expect("t.a");
    assert_eq!(a, record("t.a", 3));
    let mut c = record("t.b", 2);
    c.address = "t.c".into();
    assert_eq!(s.resource("default", "t.c").expect("read"), Some(c));
    assert!(s.resource("default", "t.b").expect("read").is_none());

    s.remove_resource("default", "t.a").expect("rm");
    let moved = s
        .move_resources("default", "module.m", "module.n")
        .expect("mv");
    assert_eq!(
        moved,
        [("module.m.t.x[0]".to_owned(), "module.n.t.x[0]".to_owned())]
    );
    assert!(matches!(
        s.move_resource("default", "t.zz", "t.c"),
        Err(StateError::ResourceNotFound { .. })
    ));
    let other = h.open();
    assert_eq!(addresses(&other, "default"), ["module.n.t.x[0]", "t.c"]);
    assert_eq!(
        other
            .resources_matching("default", "module.*")
            .expect("match")
            .len(),
        1
    );
}

pub fn outputs(h: &dyn Harness) {
    let s = h.open();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    let outs = vec![
        OutputRecord {
            name: "a".into(),
            value: json!({"x": [1, 2, "three"]}),
            sensitive: false,
            terraform_type: None,
        },
        OutputRecord {
            name: "b".into(),
            value: json!("secret"),
            sensitive: true,
            terraform_type: Some(json!("string")),
        },
    ];
    rec.set_outputs_blocking(outs.clone()).expect("set");
    rec.set_outputs_blocking(vec![outs[1].clone()])
        .expect("set again");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    assert_eq!(
        h.open().outputs("default").expect("outputs"),
        [outs[1].clone()]
    );
    s.rebuild("default").expect("rebuild");
    assert_eq!(s.outputs("default").expect("outputs"), [outs[1].clone()]);
}

fn intent(address: &str, action: IntentAction) -> NewIntent {
    NewIntent {
        address: address.into(),
        action,
        resource_type: "t".into(),
        provider: "registry.nimbus.dev/test".into(),
        detail: json!({"why": "test"}),
    }
}

pub fn intents(h: &dyn Harness) {
    let s = h.open();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    let i1 = rec
        .record_intent_blocking(intent("t.a", IntentAction::Create))
        .expect("i1");
    let i2 = rec
        .record_intent_blocking(intent("t.b", IntentAction::Create))
        .expect("i2");
    let i3 = rec
        .record_intent_blocking(intent("t.c", IntentAction::Create))
        .expect("i3");
    assert!(i1 < i2 && i2 < i3);
    rec.complete_blocking(i1, Outcome::Upsert(record("t.a", 1)))
        .expect("complete");
    assert!(matches!(
        rec.complete_blocking(i1, Outcome::Upsert(record("t.a", 1))),
        Err(StateError::IntentClosed(_))
    ));
    // The run dies with i2 and i3 open.
    drop(rec);
    let open = h.open().open_intents("default").expect("open intents");
    assert_eq!(
        open.iter().map(|i| i.id).collect::<Vec<_>>(),
        [i2, i3],
        "oldest first"
    );
    assert_eq!(open[0].action, IntentAction::Create);
    assert_eq!(open[0].detail, json!({"why": "test"}));
    s.resolve_intent(
        i2,
        IntentResolution::Adopted(Outcome::Upsert(record("t.b", 2))),
    )
    .expect("adopt");
    s.resolve_intent(i3, IntentResolution::Discarded)
        .expect("discard");
    assert!(s.open_intents("default").expect("open").is_empty());
    assert_eq!(addresses(&s, "default"), ["t.a", "t.b"]);
    assert!(matches!(
        s.resolve_intent(crate::IntentId(i3.0 + 1000), IntentResolution::Discarded),
        Err(StateError::IntentNotFound(_))
    ));
}

pub fn runs_and_restore_points(h: &dyn Harness) {
    let s = h.open();
    let mut info = RunInfo::new("apply");
    info.run_id = "run-1".into();
    let rec = s.begin_run("default", info.clone()).expect("run");
    assert!(matches!(
        s.begin_run("default", info),
        Err(StateError::RunExists(_))
    ));
    rec.upsert_blocking(record("t.a", 1)).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let rec = s
        .begin_run("default", RunInfo::new("destroy"))
        .expect("run");
    rec.remove_blocking("t.a").expect("remove");
    rec.finish_blocking(RunStatus::Failed).expect("finish");
    s.begin_run("default", RunInfo::new("plan"))
        .expect("run")
        .finish_blocking(RunStatus::Succeeded)
        .expect("finish");
    let points = h.open().restore_points("default").expect("points");
    assert_eq!(points.len(), 2, "apply and destroy take restore points");
    assert_eq!(points[0].operation, "destroy");
    assert_eq!(points[1].run_id, "run-1");
    assert_eq!(points[1].seq, 0);
    assert!(points[0].id > points[1].id);
    assert!(points[0].seq > 0);
    assert!(
        points.iter().all(|p| p.backup.is_none()) || s.path().is_some(),
        "only the embedded store has backup files"
    );
}

pub fn restore_to_event(h: &dyn Harness) {
    let s = h.open();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.a", 1)).expect("a");
    rec.set_outputs_blocking(vec![OutputRecord {
        name: "o".into(),
        value: json!(1),
        sensitive: false,
        terraform_type: None,
    }])
    .expect("outputs");
    let mark = rec.upsert_blocking(record("t.b", 2)).expect("b");
    rec.upsert_blocking(record("t.a", 5)).expect("a changed");
    rec.remove_blocking("t.b").expect("b removed");
    rec.upsert_blocking(record("t.c", 3)).expect("c");
    rec.set_outputs_blocking(Vec::new()).expect("no outputs");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let head = s.head_sequence("default").expect("head");
    let marker = s.restore_to_event("default", mark).expect("restore");
    assert!(marker > head);
    assert_eq!(addresses(&s, "default"), ["t.a", "t.b"]);
    assert_eq!(
        s.resource("default", "t.a").expect("a").expect("a"),
        record("t.a", 1)
    );
    assert_eq!(s.outputs("default").expect("outputs").len(), 1);
    assert!(matches!(
        s.restore_to_event("default", marker + 100),
        Err(StateError::EventNotFound { .. })
    ));
    // History is kept: restoring to the state before the restore works too.
    s.restore_to_event("default", head).expect("restore again");
    assert_eq!(addresses(&h.open(), "default"), ["t.a", "t.c"]);
}

pub fn rebuild_replays_the_log(h: &dyn Harness) {
    let s = h.open();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    for i in 0..30 {
        rec.upsert_blocking(record(&format!("t.r{i:02}"), i))
            .expect("upsert");
    }
    for i in (0..30).step_by(3) {
        rec.remove_blocking(format!("t.r{i:02}")).expect("remove");
    }
    rec.move_resource_blocking("t.r01", "t.moved")
        .expect("move");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let before = s.resources("default").expect("resources");
    let replayed = s.rebuild("default").expect("rebuild");
    assert_eq!(replayed, s.head_sequence("default").expect("head"));
    assert_eq!(h.open().resources("default").expect("resources"), before);
    assert_eq!(before.len(), 20);
}

pub fn history(h: &dyn Harness) {
    let s = h.open();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.a", 1)).expect("a");
    rec.upsert_blocking(record("t.b", 1)).expect("b");
    rec.upsert_blocking(record("t.a", 2)).expect("a");
    rec.move_resource_blocking("t.a", "t.z").expect("move");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let all = s.history("default", None, 100).expect("history");
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let kinds: Vec<_> = all.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "resource.move",
            "resource.update",
            "resource.create",
            "resource.create"
        ]
    );
    let me = crate::identity();
    assert!(all.iter().all(|e| e.user == me.user && e.host == me.host));
    let a = s.history("default", Some("t.a"), 100).expect("of t.a");
    assert_eq!(a.len(), 3, "its create, update and the move away from it");
    assert_eq!(a[0].address.as_deref(), Some("t.z"));
    assert_eq!(
        a[1].after.as_ref(),
        Some(&serde_json::to_value(record("t.a", 2)).expect("json"))
    );
    assert_eq!(s.history("default", None, 2).expect("limit").len(), 2);
}

pub fn locks_have_one_holder(h: &dyn Harness) {
    let a = h.open();
    let b = h.open();
    let guard = a
        .lock("default", LockRequest::new("run-a", "apply"))
        .expect("lock");
    assert_eq!(
        b.current_lock("default")
            .expect("current")
            .as_ref()
            .map(|l| &l.id),
        Some(&guard.info().id)
    );
    let err = b
        .lock("default", LockRequest::new("run-b", "destroy"))
        .expect_err("held");
    let StateError::Locked { holder } = &err else {
        panic!("expected Locked, got {err}");
    };
    assert_eq!(holder.run_id, "run-a");
    let msg = err.to_string();
    assert!(
        msg.contains("apply since") && msg.contains(&guard.info().id),
        "{msg}"
    );
    assert!(matches!(
        b.force_unlock("default", "not-the-id"),
        Err(StateError::LockNotFound { .. })
    ));
    guard.release().expect("release");
    assert!(b.current_lock("default").expect("current").is_none());

    // Racing stores: never two holders at once.
    let stores: Vec<Store> = (0..4).map(|_| h.open()).collect();
    let holders = Mutex::new(BTreeSet::new());
    let max_seen = Mutex::new(0usize);
    let barrier = Barrier::new(stores.len());
    let wins = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for (i, store) in stores.iter().enumerate() {
            let (holders, max_seen, barrier, wins) = (&holders, &max_seen, &barrier, &wins);
            scope.spawn(move || {
                barrier.wait();
                for round in 0..5 {
                    let mut req = LockRequest::new(format!("r{i}-{round}"), "apply");
                    req.timeout = Duration::from_secs(20);
                    let guard = store.lock("default", req).expect("lock in time");
                    {
                        let mut hs = holders.lock().expect("holders");
                        hs.insert(i);
                        let mut m = max_seen.lock().expect("max");
                        *m = (*m).max(hs.len());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    holders.lock().expect("holders").remove(&i);
                    *wins.lock().expect("wins") += 1;
                    guard.release().expect("release");
                }
            });
        }
    });
    assert_eq!(*max_seen.lock().expect("max"), 1);
    assert_eq!(*wins.lock().expect("wins"), 20);
}

pub fn stale_lock_needs_steal(h: &dyn Harness) {
    let s = h.open();
    h.plant_stale_lock("default");
    let stale = s
        .current_lock("default")
        .expect("current")
        .expect("planted");
    let err = s
        .lock("default", LockRequest::new("run", "apply"))
        .expect_err("stale is not taken silently");
    assert!(matches!(err, StateError::StaleLock { .. }), "{err}");
    assert!(err.to_string().contains(&stale.id), "{err}");
    let mut req = LockRequest::new("run", "apply");
    req.steal_stale = true;
    let guard = h.open().lock("default", req).expect("steal");
    assert_ne!(guard.info().id, stale.id);
    assert!(guard.renewal_failure().is_none());
    guard.release().expect("release");
}

pub fn concurrent_recorders(h: &dyn Harness) {
    let s = Arc::new(h.open());
    s.create_workspace("w2").expect("workspace");
    let runs = [("default", h.open()), ("w2", h.open())];
    std::thread::scope(|scope| {
        for (ws, store) in &runs {
            scope.spawn(move || {
                let rec = Arc::new(store.begin_run(ws, RunInfo::new("apply")).expect("run"));
                // Many callers at once: the writer groups them.
                std::thread::scope(|inner| {
                    for t in 0..4 {
                        let rec = Arc::clone(&rec);
                        inner.spawn(move || {
                            for i in 0..15 {
                                rec.upsert_blocking(record(&format!("t.w{t}_{i:02}"), i))
                                    .expect("upsert");
                            }
                        });
                    }
                });
                Arc::into_inner(rec)
                    .expect("only owner")
                    .finish_blocking(RunStatus::Succeeded)
                    .expect("finish");
            });
        }
    });
    for ws in ["default", "w2"] {
        assert_eq!(s.resources(ws).expect("resources").len(), 60);
        let seqs: Vec<u64> = s
            .history(ws, None, 1000)
            .expect("history")
            .into_iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs.len(), 60, "one create each");
        assert!(seqs.windows(2).all(|w| w[0] > w[1]));
    }
    let mut all: Vec<u64> = ["default", "w2"]
        .iter()
        .flat_map(|ws| s.history(ws, None, 1000).expect("history"))
        .map(|e| e.seq)
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 120, "sequence numbers are never shared");
}

pub fn failed_request_is_undone_alone(h: &dyn Harness) {
    let s = h.open();
    h.fail_resource_writes("t.bad");
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    let a = rec.upsert_blocking(record("t.a", 1)).expect("a");
    let err = rec
        .upsert_blocking(record("t.bad", 1))
        .expect_err("refused by the backend");
    assert!(!matches!(err, StateError::WriterGone), "{err}");
    let b = rec.upsert_blocking(record("t.b", 1)).expect("b");
    assert_eq!(b, a + 1, "no sequence number left behind");
    let i = rec
        .record_intent_blocking(intent("t.bad", IntentAction::Create))
        .expect("intent");
    assert!(
        rec.complete_blocking(i, Outcome::Upsert(record("t.bad", 2)))
            .is_err()
    );
    let i2 = rec
        .record_intent_blocking(intent("t.c", IntentAction::Create))
        .expect("intent after a failure");
    assert_eq!(i2.0, i.0 + 1, "no intent id left behind");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let other = h.open();
    assert_eq!(addresses(&other, "default"), ["t.a", "t.b"]);
    let bad: Vec<String> = other
        .history("default", None, 100)
        .expect("history")
        .into_iter()
        .filter(|e| e.address.as_deref() == Some("t.bad"))
        .map(|e| e.kind)
        .collect();
    assert_eq!(bad, ["intent.record"], "the failed writes left no event");
}

// ----- bounded history (`Store::compact`) ---------------------------------------------

/// Keeps the newest `n` runs, whatever their age.
pub fn keep_runs(n: u64) -> Retention {
    Retention {
        keep_runs: Some(n),
        keep_days: None,
    }
}

fn output(name: &str, value: serde_json::Value) -> OutputRecord {
    OutputRecord {
        name: name.into(),
        value,
        sensitive: false,
        terraform_type: None,
    }
}

/// Four applies that create, update, replace, move and delete resources
/// and set outputs; the last one touches only `t.r0`. Returns the head
/// event after each run.
fn four_runs(s: &Store) -> Vec<u64> {
    let mut heads = Vec::new();
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    for i in 0..10 {
        rec.upsert_blocking(record(&format!("t.r{i}"), i))
            .expect("create");
    }
    rec.set_outputs_blocking(vec![output("a", json!(1)), output("b", json!("x"))])
        .expect("outputs");
    heads.push(rec.finish_blocking(RunStatus::Succeeded).expect("finish"));
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    for i in 0..5 {
        rec.upsert_blocking(record(&format!("t.r{i}"), 10 + i))
            .expect("update");
    }
    rec.move_resource_blocking("t.r5", "t.moved").expect("move");
    rec.remove_blocking("t.r6").expect("remove");
    rec.set_outputs_blocking(vec![output("a", json!(2))])
        .expect("outputs");
    heads.push(rec.finish_blocking(RunStatus::Succeeded).expect("finish"));
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    rec.remove_blocking("t.r7").expect("remove");
    rec.upsert_blocking(record("t.r7", 70))
        .expect("create again");
    rec.move_resource_blocking("t.moved", "t.moved2")
        .expect("move again");
    heads.push(rec.finish_blocking(RunStatus::Succeeded).expect("finish"));
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.r0", 100)).expect("update");
    heads.push(rec.finish_blocking(RunStatus::Succeeded).expect("finish"));
    heads
}

pub fn compaction_replays_to_the_projection(h: &dyn Harness) {
    let s = h.open();
    let heads = four_runs(&s);
    let resources = s.resources("default").expect("resources");
    let outputs = s.outputs("default").expect("outputs");
    let head = s.head_sequence("default").expect("head");
    let events_before = s
        .history("default", None, usize::MAX)
        .expect("history")
        .len();

    let report = s.compact("default", &keep_runs(1), false).expect("compact");
    // The newest run started at the third one's head: everything up to
    // there is folded.
    assert_eq!(report.boundary, heads[2]);
    assert_eq!(report.previous_boundary, 0);
    assert_eq!(report.runs_removed, 3);
    assert_eq!(report.runs_kept, 1);
    // 9 resources and 1 output; the boundary event is t.moved2's move.
    assert_eq!(report.snapshot_events, 10);
    let after = s.history("default", None, usize::MAX).expect("history");
    assert_eq!(report.events_removed, (events_before - after.len()) as u64);
    assert!(report.events_removed > 0);
    assert_eq!(
        s.compaction("default")
            .expect("compaction")
            .map(|c| c.boundary),
        Some(heads[2])
    );

    // Nothing that is read changed, the head included.
    assert_eq!(s.resources("default").expect("resources"), resources);
    assert_eq!(s.outputs("default").expect("outputs"), outputs);
    assert_eq!(s.head_sequence("default").expect("head"), head);
    // Replay: snapshot plus later events is the projection.
    s.rebuild("default").expect("rebuild");
    let again = h.open();
    assert_eq!(again.resources("default").expect("resources"), resources);
    assert_eq!(again.outputs("default").expect("outputs"), outputs);

    // The boundary is a state replay reaches; before it, none.
    assert!(matches!(
        s.restore_to_event("default", heads[1]),
        Err(StateError::HistoryCompacted { boundary, .. }) if boundary == heads[2]
    ));
    s.restore_to_event("default", heads[2])
        .expect("restore to the boundary");
    assert_eq!(
        s.resource("default", "t.r0").expect("r0").expect("r0"),
        record("t.r0", 10)
    );
    s.restore_to_event("default", head)
        .expect("restore to head");
    assert_eq!(s.resources("default").expect("resources"), resources);

    // Compacting again with the same retention folds the restore's runs
    // too; with a wider one, nothing.
    let wider = s
        .compact("default", &keep_runs(100), false)
        .expect("compact");
    assert!(!wider.removed_anything());
    assert_eq!(wider.boundary, heads[2]);
    s.compact("default", &keep_runs(0), false)
        .expect("compact everything");
    assert_eq!(s.resources("default").expect("resources"), resources);
    s.rebuild("default").expect("rebuild");
    assert_eq!(s.resources("default").expect("resources"), resources);
    assert_eq!(s.outputs("default").expect("outputs"), outputs);
    // A run after a compaction records and replays as any other.
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    rec.remove_blocking("t.r1").expect("remove");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let now = s.resources("default").expect("resources");
    assert_eq!(now.len(), resources.len() - 1);
    s.rebuild("default").expect("rebuild");
    assert_eq!(s.resources("default").expect("resources"), now);
}

pub fn history_across_the_compaction_boundary(h: &dyn Harness) {
    let s = h.open();
    let heads = four_runs(&s);
    s.compact("default", &keep_runs(1), false).expect("compact");
    let all = s.history("default", None, usize::MAX).expect("history");
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    // The kept run's events, then only snapshot events.
    let (kept, folded): (Vec<_>, Vec<_>) = all.iter().partition(|e| e.seq > heads[2]);
    assert_eq!(
        kept.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["resource.update"]
    );
    assert!(
        folded.iter().all(|e| e.kind.starts_with("snapshot.")),
        "{folded:?}"
    );
    // A resource's history: its snapshot (as it was at the boundary, under
    // the seq and time of its last change), then what came later.
    let r0 = s.history("default", Some("t.r0"), 100).expect("of t.r0");
    assert_eq!(
        r0.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["resource.update", "snapshot.resource"]
    );
    assert_eq!(
        r0[1].after.as_ref(),
        Some(&serde_json::to_value(record("t.r0", 10)).expect("json"))
    );
    // A moved resource's snapshot is under its new address, with it.
    let moved = s.history("default", Some("t.moved2"), 100).expect("moved");
    assert_eq!(moved.len(), 1);
    let mut expected = record("t.r5", 5);
    expected.address = "t.moved2".into();
    assert_eq!(
        moved[0].after.as_ref(),
        Some(&serde_json::to_value(&expected).expect("json"))
    );
    assert!(
        s.history("default", Some("t.r6"), 100)
            .expect("deleted")
            .is_empty(),
        "a resource deleted before the boundary has no history left"
    );
}

pub fn retention_by_count_and_by_age(h: &dyn Harness) {
    let s = h.open();
    let heads = four_runs(&s);
    let everything = s.history("default", None, usize::MAX).expect("history");
    // By default every run of the last 90 days is kept: nothing recent goes.
    let report = s
        .compact("default", &Retention::default(), false)
        .expect("compact");
    assert!(!report.removed_anything());
    assert_eq!(report.runs_kept, 4);
    assert_eq!(
        s.history("default", None, usize::MAX).expect("history"),
        everything
    );
    // A dry run says what would go and changes nothing.
    let dry = s.compact("default", &keep_runs(2), true).expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(dry.boundary, heads[1]);
    assert_eq!(dry.runs_removed, 2);
    assert_eq!(
        s.history("default", None, usize::MAX).expect("history"),
        everything
    );
    assert_eq!(s.compaction("default").expect("compaction"), None);
    // By count.
    let report = s.compact("default", &keep_runs(2), false).expect("compact");
    assert_eq!(report.boundary, heads[1]);
    assert_eq!(report.runs_kept, 2);
    // Either rule keeps a run: the 90 days keep both that are left.
    let both = Retention {
        keep_runs: Some(1),
        keep_days: Some(90),
    };
    assert!(
        !s.compact("default", &both, false)
            .expect("compact")
            .removed_anything()
    );
    // By age: no day kept folds every run that started before now.
    let report = s
        .compact(
            "default",
            &Retention {
                keep_runs: None,
                keep_days: Some(0),
            },
            false,
        )
        .expect("compact");
    assert_eq!(report.boundary, heads[3]);
    assert_eq!(report.runs_kept, 0);
    // An empty retention says nothing about what to keep: refused.
    assert!(matches!(
        s.compact(
            "default",
            &Retention {
                keep_runs: None,
                keep_days: None
            },
            false
        ),
        Err(StateError::InvalidInput(_))
    ));
    // The configured retention: none at first, then the one set.
    assert_eq!(s.retention().expect("retention"), None);
    assert_eq!(s.compact_by_setting("default").expect("nothing"), None);
    s.set_retention(Some(&keep_runs(3))).expect("set");
    assert_eq!(h.open().retention().expect("retention"), Some(keep_runs(3)));
    assert!(s.compact_by_setting("default").expect("compact").is_some());
    s.set_retention(None).expect("unset");
    assert_eq!(s.retention().expect("retention"), None);
}

pub fn compaction_is_one_transaction(h: &dyn Harness) {
    let s = h.open();
    four_runs(&s);
    // An open intent (a run that died) bounds the compaction: its event
    // stays for the next run to resolve it against.
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    let open = rec
        .record_intent_blocking(intent("t.open", IntentAction::Create))
        .expect("intent");
    drop(rec);
    let before = snapshot(&s);
    // The compaction's last write fails: everything before it (deleting
    // the folded events, writing the snapshot, removing runs) is undone.
    h.fail_compaction_records();
    assert!(s.compact("default", &keep_runs(0), false).is_err());
    assert_eq!(snapshot(&h.open()), before);
    assert_eq!(h.open().compaction("default").expect("compaction"), None);
    let open_intents = s.open_intents("default").expect("intents");
    assert_eq!(open_intents.len(), 1);
    assert_eq!(open_intents[0].id, open);
}

// ----- copying a state onto another backend (`Store::copy_into`) -------------------
//
// These take two stores, each on a fresh location of a backend, so that
// every pair of backends can be tested as source and destination.

/// A restore point's id, seq, run, operation and time.
type PointSummary = (u64, u64, String, String, String);

/// Everything a copy must keep, as the public interface reads it.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    workspaces: Vec<(String, u64, bool)>,
    current: String,
    history: Vec<Vec<crate::Event>>,
    resources: Vec<Vec<ResourceRecord>>,
    outputs: Vec<Vec<OutputRecord>>,
    open_intents: Vec<Vec<crate::Intent>>,
    /// Restore points without their backup files (which stay where they are).
    restore_points: Vec<Vec<PointSummary>>,
    heads: Vec<u64>,
    compactions: Vec<Option<crate::Compaction>>,
    plan_key: String,
}

pub fn snapshot(s: &Store) -> Snapshot {
    let listed = s.list_workspaces().expect("workspaces");
    let names: Vec<String> = listed.iter().map(|w| w.name.clone()).collect();
    Snapshot {
        workspaces: listed
            .iter()
            .map(|w| (w.name.clone(), w.resource_count, w.is_current))
            .collect(),
        current: s.current_workspace().expect("current"),
        history: names
            .iter()
            .map(|n| s.history(n, None, usize::MAX).expect("history"))
            .collect(),
        resources: names
            .iter()
            .map(|n| s.resources(n).expect("resources"))
            .collect(),
        outputs: names
            .iter()
            .map(|n| s.outputs(n).expect("outputs"))
            .collect(),
        open_intents: names
            .iter()
            .map(|n| s.open_intents(n).expect("intents"))
            .collect(),
        restore_points: names
            .iter()
            .map(|n| {
                s.restore_points(n)
                    .expect("points")
                    .into_iter()
                    .map(|p| (p.id, p.seq, p.run_id, p.operation, p.created_at))
                    .collect()
            })
            .collect(),
        heads: names
            .iter()
            .map(|n| s.head_sequence(n).expect("head"))
            .collect(),
        compactions: names
            .iter()
            .map(|n| s.compaction(n).expect("compaction"))
            .collect(),
        plan_key: s
            .setting_or_init("plan_key", || "not set".into())
            .expect("setting"),
    }
}

/// A state with two workspaces, moves, deletes, a taint, outputs, closed
/// and open intents, restore points and a settings key, and a deleted
/// workspace that had the newest events. Returns the last seq used.
fn populate_for_copy(s: &Store) -> u64 {
    assert_eq!(
        s.setting_or_init("plan_key", || "0123abcd".into())
            .expect("key"),
        "0123abcd"
    );
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    for i in 0..5 {
        rec.upsert_blocking(record(&format!("t.r{i}"), i))
            .expect("upsert");
    }
    rec.move_resource_blocking("t.r1", "t.moved").expect("move");
    rec.remove_blocking("t.r2").expect("remove");
    let done = rec
        .record_intent_blocking(intent("t.r5", IntentAction::Create))
        .expect("intent");
    rec.complete_blocking(done, Outcome::Upsert(record("t.r5", 5)))
        .expect("complete");
    rec.set_outputs_blocking(vec![OutputRecord {
        name: "o".into(),
        value: json!({"list": [1, "two", null], "é": 0.5}),
        sensitive: true,
        terraform_type: Some(json!(["object", {"list": ["tuple", []]}])),
    }])
    .expect("outputs");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    s.set_status("default", "t.r3", crate::ResourceStatus::Tainted)
        .expect("taint");
    s.move_resources("default", "t.r4", "t.four")
        .expect("state mv");
    // A compacted log is copied with its snapshot and boundary.
    assert!(
        s.compact("default", &keep_runs(1), false)
            .expect("compact")
            .removed_anything()
    );

    s.create_workspace("staging").expect("create");
    let rec = s.begin_run("staging", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.s", 1)).expect("upsert");
    rec.record_intent_blocking(intent("t.open", IntentAction::Create))
        .expect("open intent");
    // The run dies with its intent open.
    drop(rec);
    s.select_workspace("staging").expect("select");
    s.create_workspace("scratch").expect("create");
    let rec = s.begin_run("scratch", RunInfo::new("apply")).expect("run");
    let last = rec.upsert_blocking(record("t.gone", 1)).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    s.delete_workspace("scratch", true).expect("delete");
    last
}

pub fn copy_keeps_every_workspace_and_its_history(src: &Store, dst: &Store) {
    let last_seq = populate_for_copy(src);
    let before = snapshot(src);
    assert_eq!(before.open_intents[1].len(), 1, "{before:?}");
    assert!(dst.contents().expect("contents").is_empty());

    let report = src.copy_into(dst, crate::OnNonEmpty::Refuse).expect("copy");
    assert_eq!(snapshot(src), before, "the source is unchanged");
    assert_eq!(snapshot(dst), before, "the copy reads as the source");
    let names: Vec<_> = report.workspaces.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["default", "staging"]);
    assert_eq!(
        report.events(),
        before.history.iter().map(|h| h.len() as u64).sum::<u64>()
    );
    assert_eq!(report.resources(), 6);
    assert_eq!(report.workspaces[1].open_intents, 1);
    assert!(!report.overwritten);
    if dst.path().is_none() {
        assert!(
            dst.restore_points("default")
                .expect("points")
                .iter()
                .all(|p| p.backup.is_none()),
            "no backup file paths on a remote destination"
        );
    }

    // The copy goes on as the source would have: new events and intents
    // are numbered past the copied ones, the open intent resolves by its id.
    let open = dst.open_intents("staging").expect("open").remove(0);
    let rec = dst
        .begin_run("staging", RunInfo::new("apply"))
        .expect("run");
    let seq = rec.upsert_blocking(record("t.new", 9)).expect("upsert");
    let next = rec
        .record_intent_blocking(intent("t.next", IntentAction::Create))
        .expect("intent");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    dst.resolve_intent(open.id, IntentResolution::Discarded)
        .expect("resolve by the same id");
    assert!(
        seq > last_seq && last_seq > *before.heads.iter().max().expect("heads"),
        "seqs are never reused, not even those of a deleted workspace"
    );
    assert!(next.0 > open.id.0);
    assert_eq!(snapshot(src), before, "the source is still unchanged");
}

pub fn copy_refuses_a_non_empty_destination_unless_overwriting(src: &Store, dst: &Store) {
    populate_for_copy(src);
    let before = snapshot(src);
    assert!(matches!(
        src.copy_into(src, crate::OnNonEmpty::Overwrite),
        Err(StateError::SameState { .. })
    ));
    dst.create_workspace("other").expect("create");
    let rec = dst.begin_run("other", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.theirs", 1)).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let theirs = snapshot(dst);
    assert!(!dst.contents().expect("contents").is_empty());
    let err = src
        .copy_into(dst, crate::OnNonEmpty::Refuse)
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StateError::DestinationNotEmpty {
                workspaces: 2,
                resources: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(snapshot(dst), theirs, "the destination is untouched");

    // A lock held on the destination (by the migrating command) stays held.
    let lock = dst
        .lock("default", LockRequest::new("mig", "state migrate"))
        .expect("lock");
    let report = src
        .copy_into(dst, crate::OnNonEmpty::Overwrite)
        .expect("overwrite");
    assert!(report.overwritten);
    assert_eq!(snapshot(dst), before);
    assert!(dst.current_lock("default").expect("lock").is_some());
    lock.release().expect("release");
    assert_eq!(snapshot(src), before, "the source is unchanged");
}

pub fn copy_that_fails_leaves_the_destination_as_it_was(src: &Store, dst: &dyn Harness) {
    populate_for_copy(src);
    let before = snapshot(src);
    let d = dst.open();
    let rec = d.begin_run("default", RunInfo::new("apply")).expect("run");
    rec.upsert_blocking(record("t.theirs", 1)).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let theirs = snapshot(&d);
    // Replaying the copied log onto the destination fails half-way.
    dst.fail_resource_writes("t.r3");
    let d = dst.open();
    let err = src
        .copy_into(&d, crate::OnNonEmpty::Overwrite)
        .expect_err("the copy fails");
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(
        snapshot(&dst.open()),
        theirs,
        "the destination is untouched"
    );
    assert_eq!(snapshot(src), before, "the source is unchanged");
}

pub fn copy_reads_a_long_log_in_pages(src: &Store, dst: &Store) {
    // Exactly two full pages of the copy's reads; then one event more.
    let records: Vec<ResourceRecord> = (0..2000)
        .map(|i| record(&format!("t.r{i:04}"), i))
        .collect();
    src.adopt("default", "import", &records, &[])
        .expect("adopt");
    assert_eq!(
        src.history("default", None, usize::MAX).expect("h").len(),
        2000
    );
    let before = snapshot(src);
    let report = src.copy_into(dst, crate::OnNonEmpty::Refuse).expect("copy");
    assert_eq!(report.events(), 2000);
    assert_eq!(snapshot(dst), before);
    src.remove_resource("default", "t.r0000").expect("rm");
    let before = snapshot(src);
    let report = src
        .copy_into(dst, crate::OnNonEmpty::Overwrite)
        .expect("copy again");
    assert_eq!(report.events(), 2001);
    assert_eq!(snapshot(dst), before);
}

// ----- encryption at rest --------------------------------------------------------

/// What the encryption tests hide.
pub const SECRET: &str = "hunter2-4f9c1e7a-top-secret";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Records the secret everywhere a value can hold one: a resource's
/// attributes and private bytes (so also events' before/after), an
/// output, an open intent's detail.
fn record_secrets(s: &Store) {
    let rec = s.begin_run("default", RunInfo::new("apply")).expect("run");
    let mut r = record("t.secret", 1);
    r.attributes = json!({ "password": SECRET, "nested": { "k": [SECRET] } });
    r.private = SECRET.as_bytes().to_vec();
    rec.upsert_blocking(r.clone()).expect("upsert");
    r.attributes["n"] = json!(2);
    rec.upsert_blocking(r)
        .expect("update (an event with a before)");
    rec.set_outputs_blocking(vec![OutputRecord {
        name: "pw".into(),
        value: json!(SECRET),
        sensitive: true,
        terraform_type: None,
    }])
    .expect("outputs");
    let mut i = intent("t.pending", IntentAction::Create);
    i.detail = json!({ "planned": { "password": SECRET } });
    rec.record_intent_blocking(i).expect("intent");
    // The run fails with the intent open (and its writer is joined).
    rec.finish_blocking(RunStatus::Failed).expect("finish");
}

/// Everything [`record_secrets`] stored reads back.
fn assert_secrets_read(s: &Store) {
    let r = s
        .resource("default", "t.secret")
        .expect("read")
        .expect("t.secret");
    assert_eq!(r.attributes["password"], json!(SECRET));
    assert_eq!(r.private, SECRET.as_bytes());
    assert_eq!(
        s.resources("default").expect("list")[0].private,
        SECRET.as_bytes()
    );
    assert_eq!(
        s.outputs("default").expect("outputs")[0].value,
        json!(SECRET)
    );
    let intents = s.open_intents("default").expect("intents");
    assert_eq!(intents[0].detail["planned"]["password"], json!(SECRET));
    let history = s.history("default", None, 100).expect("history");
    assert!(history.iter().any(|e| {
        e.before
            .as_ref()
            .is_some_and(|b| b["attributes"]["password"] == json!(SECRET))
    }));
    // Replaying decrypts every event.
    s.rebuild("default").expect("rebuild");
    assert_eq!(s.resource("default", "t.secret").expect("read"), Some(r));
}

pub fn secrets_are_never_stored_in_the_clear(h: &dyn Harness) {
    let s = h.open_encrypted(with_key("pass one")).expect("open");
    assert!(s.is_encrypted());
    record_secrets(&s);
    assert_secrets_read(&s);
    // While the store is open (write-ahead logs) and after.
    assert!(!contains(&h.raw_bytes(), SECRET));
    drop(s);
    assert!(!contains(&h.raw_bytes(), SECRET));
    assert!(!contains(&h.raw_bytes(), "pass one"), "nor the passphrase");
    let again = h.open_encrypted(with_key("pass one")).expect("reopen");
    assert_secrets_read(&again);
}

pub fn wrong_key_fails_before_writing(h: &dyn Harness) {
    let s = h.open_encrypted(with_key("right")).expect("open");
    record_secrets(&s);
    drop(s);
    let before = h.raw_bytes();
    assert!(matches!(
        h.open_encrypted(with_key("wrong")),
        Err(StateError::WrongPassphrase)
    ));
    assert!(matches!(
        h.open_encrypted(Encryption::default()),
        Err(StateError::PassphraseRequired)
    ));
    let mut enforced = with_key("wrong");
    enforced.enforced = true;
    enforced.fallback = key("also wrong");
    assert!(matches!(
        h.open_encrypted(enforced),
        Err(StateError::WrongPassphrase)
    ));
    assert!(h.raw_bytes() == before, "the state is byte-identical");
}

pub fn rotation_with_fallback_and_rekey(h: &dyn Harness) {
    let s = h.open_encrypted(with_key("old")).expect("open");
    record_secrets(&s);
    drop(s);
    // The new key first, the old one as the fallback: reads work.
    let rotating = Encryption {
        key: key("new"),
        fallback: key("old"),
        ..Encryption::default()
    };
    let s = h.open_encrypted(rotating).expect("open with the fallback");
    assert_secrets_read(&s);
    let report = s.rekey().expect("rekey");
    assert_eq!(report.resources, 1);
    assert_eq!(report.outputs, 1);
    assert_eq!(report.intents, 1);
    let events = s.history("default", None, 1000).expect("history").len() as u64;
    assert_eq!(report.events, events, "every event is re-encrypted");
    assert_secrets_read(&s);
    drop(s);
    // The old key removed: every read works with the new one alone ...
    let s = h
        .open_encrypted(with_key("new"))
        .expect("the new key alone");
    assert_secrets_read(&s);
    // ... and the old one opens nothing.
    drop(s);
    assert!(matches!(
        h.open_encrypted(with_key("old")),
        Err(StateError::WrongPassphrase)
    ));
    assert!(!contains(&h.raw_bytes(), SECRET));
}

pub fn enforced_refuses_plaintext_and_rekey_encrypts(h: &dyn Harness) {
    let enforced = Encryption {
        enforced: true,
        ..Encryption::default()
    };
    // An empty, unencrypted store.
    drop(h.open());
    let before = h.raw_bytes();
    assert!(matches!(
        h.open_encrypted(enforced.clone()),
        Err(StateError::EncryptionEnforced)
    ));
    assert!(h.raw_bytes() == before, "nothing written");
    // An unencrypted store with data.
    let s = h.open();
    assert!(!s.is_encrypted());
    record_secrets(&s);
    drop(s);
    assert!(contains(&h.raw_bytes(), SECRET), "stored in the clear");
    assert!(matches!(
        h.open_encrypted(enforced),
        Err(StateError::EncryptionEnforced)
    ));
    let mut keyed = with_key("k");
    keyed.enforced = true;
    assert!(matches!(
        h.open_encrypted(keyed.clone()),
        Err(StateError::NotEncrypted)
    ));
    // `state rekey` opens it for migration and encrypts everything.
    keyed.migrating = true;
    let s = h.open_encrypted(keyed).expect("open for rekey");
    assert!(!s.is_encrypted());
    let report = s.rekey().expect("rekey");
    assert!(s.is_encrypted());
    assert_eq!(
        (report.resources, report.outputs, report.intents),
        (1, 1, 1)
    );
    assert_secrets_read(&s);
    drop(s);
    assert!(!contains(&h.raw_bytes(), SECRET), "no plaintext is left");
    assert_secrets_read(&h.open_encrypted(with_key("k")).expect("open"));
    assert!(matches!(
        h.open_encrypted(Encryption::default()),
        Err(StateError::PassphraseRequired)
    ));
}

/// `state migrate` of an encrypted state: the copy reads through the
/// source's key and writes through the destination's, so the destination
/// holds no secret in the clear, reads the same as the source, and its
/// own key (not the source's) opens it; a state in the clear is copied
/// into an encrypted one the same way.
pub fn copy_moves_a_state_between_keys(src: &dyn Harness, dst: &dyn Harness) {
    let source = src.open_encrypted(with_key("source pass")).expect("source");
    record_secrets(&source);
    let before = snapshot(&source);
    let dest = dst
        .open_encrypted(with_key("destination pass"))
        .expect("dest");
    source
        .copy_into(&dest, crate::OnNonEmpty::Refuse)
        .expect("copy");
    assert_eq!(snapshot(&dest), before, "the copy reads the same");
    drop(dest);
    assert!(!contains(&dst.raw_bytes(), SECRET), "sealed on arrival");
    let reopened = dst
        .open_encrypted(with_key("destination pass"))
        .expect("the destination's key opens it");
    assert_secrets_read(&reopened);
    drop(reopened);
    assert!(
        dst.open_encrypted(with_key("source pass")).is_err(),
        "the source's key does not"
    );
}
