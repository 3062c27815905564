//! Store behaviour within one process.

use std::time::{Duration, Instant};

use nimbus_state::{
    IntentAction, IntentResolution, LockRequest, NewIntent, Outcome, OutputRecord, ResourceRecord,
    RunInfo, RunStatus, SCHEMA_VERSION, STATE_DB_FILE, StateError, Store, StoreOptions,
};
use serde_json::json;

use crate::{Project, mode, record, run};

fn intent(address: &str, action: IntentAction) -> NewIntent {
    NewIntent {
        address: address.into(),
        action,
        resource_type: "t".into(),
        provider: "p".into(),
        detail: json!({ "planned": address }),
    }
}

#[test]
fn open_creates_private_files_and_wal() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    rec.upsert_blocking(record("a.one", 1)).expect("upsert");
    assert_eq!(mode(&p.dir()), 0o700);
    let db = p.dir().join(STATE_DB_FILE);
    assert_eq!(mode(&db), 0o600);
    for suffix in ["-wal", "-shm"] {
        let f = p.dir().join(format!("{STATE_DB_FILE}{suffix}"));
        assert!(f.exists(), "{suffix} exists in WAL mode");
        assert_eq!(mode(&f), 0o600, "{suffix}");
    }
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let conn = rusqlite::Connection::open(&db).expect("raw open");
    let jm: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(jm, "wal");
}

#[test]
fn reopen_keeps_data() {
    let p = Project::new();
    {
        let store = p.open();
        store.create_workspace("prod").expect("create");
        store.select_workspace("prod").expect("select");
        let rec = store.begin_run("prod", run("apply")).expect("run");
        rec.upsert_blocking(record("a.one", 1)).expect("upsert");
        rec.set_outputs_blocking(vec![OutputRecord {
            name: "ip".into(),
            value: json!("10.0.0.1"),
            sensitive: false,
            terraform_type: None,
        }])
        .expect("outputs");
        rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    }
    let store = p.open();
    assert_eq!(store.current_workspace().expect("current"), "prod");
    assert_eq!(
        store.resources("prod").expect("list"),
        vec![record("a.one", 1)]
    );
    assert_eq!(
        store.outputs("prod").expect("outputs")[0].value,
        json!("10.0.0.1")
    );
    assert!(store.head_sequence("prod").expect("head") > 0);
}

#[test]
fn newer_schema_is_refused() {
    let p = Project::new();
    drop(p.open());
    let conn = rusqlite::Connection::open(p.dir().join(STATE_DB_FILE)).expect("raw");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump");
    drop(conn);
    let err = Store::open(&p.dir()).expect_err("refused");
    assert!(matches!(err, StateError::SchemaTooNew { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "the state database was written by a newer nimbus (schema version {}; this nimbus reads versions up to {SCHEMA_VERSION}): upgrade nimbus to use it; nothing was read or changed",
            SCHEMA_VERSION + 1
        )
    );
    let err = Store::open_read_only(&p.dir()).expect_err("refused read-only too");
    assert!(matches!(err, StateError::SchemaTooNew { .. }));
}

/// A state written before bounded history (schema version 3, no
/// `compactions` table) opens, is migrated in place, and compacts.
#[test]
fn state_from_before_bounded_history_migrates() {
    let p = Project::new();
    let store = p.open();
    let rec = store
        .begin_run("default", RunInfo::new("apply"))
        .expect("run");
    rec.upsert_blocking(ResourceRecord::new("t.a", "t", "p", json!({"n": 1})))
        .expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    drop(store);
    let conn = rusqlite::Connection::open(p.dir().join(STATE_DB_FILE)).expect("raw");
    conn.execute_batch("DROP TABLE compactions; PRAGMA user_version = 3;")
        .expect("as version 3 wrote it");
    drop(conn);
    assert!(matches!(
        Store::open_read_only(&p.dir()),
        Err(StateError::NeedsMigration { found: 3, .. })
    ));
    let store = p.open();
    assert_eq!(store.resources("default").expect("resources").len(), 1);
    assert_eq!(store.compaction("default").expect("compaction"), None);
    let report = store
        .compact(
            "default",
            &nimbus_state::Retention {
                keep_runs: Some(0),
                keep_days: None,
            },
            false,
        )
        .expect("compact");
    assert!(report.removed_anything());
    let conn = rusqlite::Connection::open(p.dir().join(STATE_DB_FILE)).expect("raw");
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn foreign_files_are_refused() {
    let p = Project::new();
    std::fs::create_dir_all(p.dir()).expect("mkdir");
    let db = p.dir().join(STATE_DB_FILE);
    std::fs::write(&db, vec![b'x'; 4096]).expect("garbage");
    let err = Store::open(&p.dir()).expect_err("garbage refused");
    assert!(matches!(err, StateError::Damaged { .. }), "{err}");
    assert!(err.is_damage());
    let err = Store::open_read_only(&p.dir()).expect_err("garbage refused read-only");
    assert!(matches!(err, StateError::Damaged { .. }), "{err}");

    std::fs::remove_file(&db).expect("rm");
    let conn = rusqlite::Connection::open(&db).expect("other db");
    conn.execute_batch("CREATE TABLE something_else (x)")
        .expect("table");
    drop(conn);
    let err = Store::open(&p.dir()).expect_err("other sqlite refused");
    assert!(matches!(err, StateError::NotAStateDatabase { .. }), "{err}");
    assert!(!err.is_damage());
}

#[test]
fn workspaces_lifecycle() {
    let p = Project::new();
    let store = p.open();
    assert_eq!(store.current_workspace().expect("cur"), "default");
    assert!(matches!(
        store.create_workspace("bad name"),
        Err(StateError::InvalidWorkspaceName { .. })
    ));
    store.create_workspace("staging").expect("create");
    assert!(matches!(
        store.create_workspace("staging"),
        Err(StateError::WorkspaceExists(_))
    ));
    assert!(matches!(
        store.select_workspace("nope"),
        Err(StateError::WorkspaceNotFound(_))
    ));
    assert!(matches!(
        store.resources("nope"),
        Err(StateError::WorkspaceNotFound(_))
    ));

    let rec = store.begin_run("staging", run("apply")).expect("run");
    rec.upsert_blocking(record("a.x", 1)).expect("upsert");
    rec.upsert_blocking(record("a.y", 1)).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");

    store.select_workspace("staging").expect("select");
    let list = store.list_workspaces().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(
        (
            list[0].name.as_str(),
            list[0].resource_count,
            list[0].is_current
        ),
        ("default", 0, false)
    );
    assert_eq!(
        (
            list[1].name.as_str(),
            list[1].resource_count,
            list[1].is_current
        ),
        ("staging", 2, true)
    );

    let err = store
        .delete_workspace("default", true)
        .expect_err("default");
    assert!(err.to_string().contains("default workspace"), "{err}");
    let err = store
        .delete_workspace("staging", true)
        .expect_err("current");
    assert!(err.to_string().contains("current workspace"), "{err}");
    store.select_workspace("default").expect("select default");
    let err = store
        .delete_workspace("staging", false)
        .expect_err("non-empty");
    assert!(err.to_string().contains("2 resource(s)"), "{err}");
    {
        let _guard = store
            .lock("staging", LockRequest::new("r", "apply"))
            .expect("lock");
        let err = store.delete_workspace("staging", true).expect_err("locked");
        assert!(err.to_string().contains("locked by"), "{err}");
    }
    store
        .delete_workspace("staging", true)
        .expect("forced delete");
    assert_eq!(store.list_workspaces().expect("list").len(), 1);

    // A recreated workspace starts empty, with no history.
    store.create_workspace("staging").expect("recreate");
    assert!(store.resources("staging").expect("list").is_empty());
    assert_eq!(store.head_sequence("staging").expect("head"), 0);
    assert!(
        store
            .history("staging", None, 100)
            .expect("history")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_recorder_records_everything_with_causes() {
    let p = Project::new();
    let store = p.open();
    let rec = store
        .begin_run(
            "default",
            RunInfo {
                run_id: "run-1".into(),
                operation: "apply".into(),
                cause: Some("plan-9".into()),
            },
        )
        .expect("run");
    let mut tasks = Vec::new();
    for i in 0..32 {
        let rec = rec.clone();
        tasks.push(tokio::spawn(async move {
            let addr = format!("t.r{i:02}");
            let id = rec
                .record_intent(intent(&addr, IntentAction::Create))
                .await
                .expect("intent");
            rec.complete(id, Outcome::Upsert(record(&addr, i)))
                .await
                .expect("complete")
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("join"));
    }
    let head = rec
        .clone()
        .finish(RunStatus::Succeeded)
        .await
        .expect("finish");
    assert_eq!(head, store.head_sequence("default").expect("head"));

    let resources = store.resources("default").expect("list");
    assert_eq!(resources.len(), 32);
    assert!(resources.windows(2).all(|w| w[0].address < w[1].address));
    assert!(store.open_intents("default").expect("intents").is_empty());

    let history = store.history("default", None, usize::MAX).expect("history");
    assert_eq!(
        history.len(),
        64,
        "one intent event and one change event each"
    );
    assert!(
        history.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
    for ev in &history {
        assert_eq!(ev.run_id, "run-1");
        assert_eq!(ev.operation, "apply");
        assert!(ev.time.ends_with('Z'));
        time::OffsetDateTime::parse(&ev.time, &time::format_description::well_known::Rfc3339)
            .expect("rfc3339");
        assert!(!ev.user.is_empty() && !ev.host.is_empty());
        match ev.kind.as_str() {
            "intent.record" => assert_eq!(ev.cause.as_deref(), Some("plan-9")),
            "resource.create" => {
                assert!(seqs.contains(&ev.seq));
                let cause = ev.cause.as_deref().expect("cause");
                let intent_seq: u64 = cause
                    .strip_prefix("event:")
                    .and_then(|s| s.parse().ok())
                    .expect("event cause");
                let intent_ev = history
                    .iter()
                    .find(|e| e.seq == intent_seq)
                    .expect("intent event");
                assert_eq!(intent_ev.kind, "intent.record");
                assert_eq!(intent_ev.address, ev.address);
                assert!(ev.before.is_none());
                assert!(ev.after.is_some());
            }
            other => panic!("unexpected event kind {other}"),
        }
    }
    // Finished: every clone refuses further writes.
    let err = rec.upsert(record("t.late", 0)).await.expect_err("finished");
    assert!(matches!(err, StateError::RunFinished(_)), "{err}");
}

/// The writer gathers requests from many callers into one commit; every call
/// must still return only once its change is committed, so another
/// connection sees it at once, and a reopened store after the run still has
/// it even though the run was never finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gathered_batches_acknowledge_only_committed_changes() {
    let p = Project::new();
    let store = p.open();
    let reader = std::sync::Arc::new(Store::open_read_only(&p.dir()).expect("reader"));
    let rec = store.begin_run("default", run("apply")).expect("run");
    let mut tasks = Vec::new();
    for t in 0..64 {
        let rec = rec.clone();
        let reader = std::sync::Arc::clone(&reader);
        tasks.push(tokio::spawn(async move {
            for i in 0..8 {
                let addr = format!("t.r{t:02}_{i}");
                let id = rec
                    .record_intent(intent(&addr, IntentAction::Create))
                    .await
                    .expect("intent");
                let open = reader.open_intents("default").expect("intents");
                assert!(open.iter().any(|o| o.id == id), "intent {id} not committed");
                let seq = rec
                    .complete(id, Outcome::Upsert(record(&addr, i)))
                    .await
                    .expect("complete");
                assert!(
                    reader.resource("default", &addr).expect("get").is_some(),
                    "{addr} acknowledged before it was committed"
                );
                assert!(reader.head_sequence("default").expect("head") >= seq);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    drop(rec);
    drop(reader);
    drop(store);
    let store = p.open();
    assert_eq!(store.resources("default").expect("list").len(), 64 * 8);
    assert!(store.open_intents("default").expect("intents").is_empty());
}

#[test]
fn outcomes_update_delete_fail_and_replace() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    rec.upsert_blocking(record("a.keep", 1)).expect("seed");
    rec.upsert_blocking(record("a.gone", 1)).expect("seed");
    rec.upsert_blocking(record("a.repl", 1)).expect("seed");

    let id = rec
        .record_intent_blocking(intent("a.keep", IntentAction::Update))
        .expect("i");
    rec.complete_blocking(id, Outcome::Upsert(record("a.keep", 2)))
        .expect("update");
    assert!(matches!(
        rec.complete_blocking(id, Outcome::Upsert(record("a.keep", 3))),
        Err(StateError::IntentClosed(_))
    ));

    let id = rec
        .record_intent_blocking(intent("a.gone", IntentAction::Delete))
        .expect("i");
    let err = rec
        .complete_blocking(
            id,
            Outcome::Remove {
                address: "a.other".into(),
            },
        )
        .expect_err("address mismatch");
    assert!(matches!(err, StateError::InvalidInput(_)), "{err}");
    rec.complete_blocking(
        id,
        Outcome::Remove {
            address: "a.gone".into(),
        },
    )
    .expect("delete");

    let id = rec
        .record_intent_blocking(intent("a.repl", IntentAction::Replace))
        .expect("i");
    rec.complete_blocking(id, Outcome::Upsert(record("a.repl", 5)))
        .expect("replace");

    let id = rec
        .record_intent_blocking(intent("a.new", IntentAction::Create))
        .expect("i");
    let before = store.resources("default").expect("list");
    let seq = rec
        .complete_blocking(
            id,
            Outcome::Failed {
                message: "quota exceeded".into(),
            },
        )
        .expect("failed");
    assert_eq!(
        store.resources("default").expect("list"),
        before,
        "failure changes nothing"
    );
    let ev = &store.history("default", Some("a.new"), 1).expect("history")[0];
    assert_eq!((ev.seq, ev.kind.as_str()), (seq, "resource.failed"));
    assert_eq!(
        ev.after.as_ref().expect("after")["message"],
        "quota exceeded"
    );
    rec.finish_blocking(RunStatus::Failed).expect("finish");

    let addrs: Vec<_> = before.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addrs, ["a.keep", "a.repl"]);
    assert_eq!(before[0].attributes["n"], 2);
    let kinds: Vec<String> = store
        .history("default", Some("a.repl"), 10)
        .expect("h")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["resource.replace", "intent.record", "resource.create"]
    );
    let upd = &store.history("default", Some("a.keep"), 1).expect("h")[0];
    assert_eq!(upd.kind, "resource.update");
    assert_eq!(upd.before.as_ref().expect("before")["attributes"]["n"], 1);
    assert!(store.open_intents("default").expect("intents").is_empty());
}

#[test]
fn unchanged_upsert_records_no_event() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("refresh")).expect("run");
    let s1 = rec.upsert_blocking(record("a.x", 1)).expect("first");
    let s2 = rec.upsert_blocking(record("a.x", 1)).expect("same");
    assert_eq!(s1, s2);
    let s3 = rec.upsert_blocking(record("a.x", 2)).expect("changed");
    assert!(s3 > s2);
    assert_eq!(store.history("default", None, 100).expect("h").len(), 2);
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
}

#[test]
fn outputs_are_replaced_with_one_event_per_change() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    let out = |name: &str, v: serde_json::Value, sensitive| OutputRecord {
        name: name.into(),
        value: v,
        sensitive,
        terraform_type: None,
    };
    rec.set_outputs_blocking(vec![out("a", json!(1), false), out("b", json!("s"), true)])
        .expect("set");
    let head = store.head_sequence("default").expect("head");
    rec.set_outputs_blocking(vec![
        out("b", json!("s"), true),
        out("c", json!([1]), false),
    ])
    .expect("set again");
    let events = store.history("default", None, 10).expect("h");
    let kinds: Vec<_> = events
        .iter()
        .filter(|e| e.seq > head)
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["output.delete", "output.set"],
        "c added, a removed, b unchanged"
    );
    assert_eq!(
        store.outputs("default").expect("outputs"),
        vec![out("b", json!("s"), true), out("c", json!([1]), false)]
    );
    assert!(matches!(
        rec.set_outputs_blocking(vec![out("x", json!(1), false), out("x", json!(2), false)]),
        Err(StateError::InvalidInput(_))
    ));
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
}

#[test]
fn a_terraform_type_stays_with_the_value_it_typed() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    let typed = |v: serde_json::Value| OutputRecord {
        name: "m".into(),
        value: v,
        sensitive: false,
        terraform_type: Some(json!(["map", "string"])),
    };
    let untyped = |v: serde_json::Value| OutputRecord {
        terraform_type: None,
        ..typed(v)
    };
    rec.set_outputs_blocking(vec![typed(json!({"a": "b"}))])
        .expect("adopted");
    let head = store.head_sequence("default").expect("head");
    // Evaluated again to the same value: the type is kept, nothing recorded.
    rec.set_outputs_blocking(vec![untyped(json!({"a": "b"}))])
        .expect("same value");
    assert_eq!(store.head_sequence("default").expect("head"), head);
    assert_eq!(
        store.outputs("default").expect("outputs"),
        vec![typed(json!({"a": "b"}))]
    );
    // The log holds the type too: a rebuilt projection has it.
    store.rebuild("default").expect("rebuild");
    assert_eq!(
        store.outputs("default").expect("outputs"),
        vec![typed(json!({"a": "b"}))]
    );
    // A new value has no recorded type.
    rec.set_outputs_blocking(vec![untyped(json!({"a": "c"}))])
        .expect("new value");
    assert_eq!(
        store.outputs("default").expect("outputs"),
        vec![untyped(json!({"a": "c"}))]
    );
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
}

#[test]
fn state_rm_and_mv() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    for a in ["a.one", "a.two", "b.three"] {
        rec.upsert_blocking(record(a, 1)).expect("seed");
    }
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");

    assert!(matches!(
        store.move_resource("default", "a.one", "a.two"),
        Err(StateError::ResourceExists { .. })
    ));
    assert!(matches!(
        store.move_resource("default", "a.missing", "a.new"),
        Err(StateError::ResourceNotFound { .. })
    ));
    let seq = store
        .move_resource("default", "a.one", "a.renamed")
        .expect("mv");
    assert!(store.resource("default", "a.one").expect("get").is_none());
    let moved = store
        .resource("default", "a.renamed")
        .expect("get")
        .expect("present");
    assert_eq!(moved.attributes, record("a.one", 1).attributes);
    let ev = &store
        .history("default", Some("a.one"), 1)
        .expect("history of old address")[0];
    assert_eq!(
        (ev.seq, ev.kind.as_str(), ev.operation.as_str()),
        (seq, "resource.move", "state mv")
    );
    assert_eq!(ev.address.as_deref(), Some("a.renamed"));

    store.remove_resource("default", "a.two").expect("rm");
    assert!(matches!(
        store.remove_resource("default", "a.two"),
        Err(StateError::ResourceNotFound { .. })
    ));
    let ev = &store.history("default", Some("a.two"), 1).expect("h")[0];
    assert_eq!(
        (ev.kind.as_str(), ev.operation.as_str()),
        ("resource.delete", "state rm")
    );
    assert!(ev.before.is_some());

    let names: Vec<_> = store
        .resources_matching("default", "a.*")
        .expect("glob")
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert_eq!(names, ["a.renamed"]);
}

#[test]
fn open_intents_survive_a_crashed_run_and_are_resolved() {
    let p = Project::new();
    let (adopt, discard) = {
        let store = p.open();
        let rec = store.begin_run("default", run("apply")).expect("run");
        let a = rec
            .record_intent_blocking(intent("a.made", IntentAction::Create))
            .expect("i");
        let d = rec
            .record_intent_blocking(intent("a.notmade", IntentAction::Create))
            .expect("i");
        // The process "dies" here: no complete, no finish.
        (a, d)
    };
    let store = p.open();
    let open = store.open_intents("default").expect("open");
    assert_eq!(open.len(), 2);
    assert_eq!(open[0].id, adopt);
    assert_eq!(open[0].action, IntentAction::Create);
    assert_eq!(open[0].detail, json!({ "planned": "a.made" }));

    store
        .resolve_intent(
            adopt,
            IntentResolution::Adopted(Outcome::Upsert(record("a.made", 7))),
        )
        .expect("adopt");
    let seq = store
        .resolve_intent(discard, IntentResolution::Discarded)
        .expect("discard");
    assert!(matches!(
        store.resolve_intent(discard, IntentResolution::Discarded),
        Err(StateError::IntentClosed(_))
    ));
    assert!(matches!(
        store.resolve_intent(nimbus_state::IntentId(9999), IntentResolution::Discarded),
        Err(StateError::IntentNotFound(_))
    ));
    assert!(store.open_intents("default").expect("open").is_empty());
    assert_eq!(
        store.resources("default").expect("list"),
        vec![record("a.made", 7)]
    );
    let ev = &store.history("default", Some("a.notmade"), 1).expect("h")[0];
    assert_eq!((ev.seq, ev.kind.as_str()), (seq, "intent.resolve"));
    assert_eq!(ev.after.as_ref().expect("after")["resolution"], "discarded");
}

#[test]
fn head_sequence_is_per_workspace_and_monotonic() {
    let p = Project::new();
    let store = p.open();
    store.create_workspace("other").expect("ws");
    assert_eq!(store.head_sequence("default").expect("head"), 0);
    let rec = store.begin_run("default", run("apply")).expect("run");
    let s1 = rec.upsert_blocking(record("a.x", 1)).expect("u");
    let rec2 = store.begin_run("other", run("apply")).expect("run");
    let s2 = rec2.upsert_blocking(record("a.x", 1)).expect("u");
    assert!(s2 > s1, "global sequence");
    assert_eq!(store.head_sequence("default").expect("head"), s1);
    assert_eq!(store.head_sequence("other").expect("head"), s2);
    rec.finish_blocking(RunStatus::Succeeded).expect("f");
    rec2.finish_blocking(RunStatus::Succeeded).expect("f");
}

#[test]
fn history_limit_and_filter() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    for n in 0..5 {
        rec.upsert_blocking(record("a.x", n)).expect("u");
        rec.upsert_blocking(record("a.y", n)).expect("u");
    }
    rec.finish_blocking(RunStatus::Succeeded).expect("f");
    let h = store.history("default", Some("a.x"), 3).expect("h");
    assert_eq!(h.len(), 3);
    assert!(h.iter().all(|e| e.address.as_deref() == Some("a.x")));
    assert_eq!(h[0].after.as_ref().expect("after")["attributes"]["n"], 4);
    assert_eq!(store.history("default", None, 0).expect("h").len(), 0);
    assert_eq!(store.history("default", None, 100).expect("h").len(), 10);
}

#[test]
fn restore_to_event_appends_history_and_rebuilds_identically() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    rec.upsert_blocking(record("a.x", 1)).expect("u");
    rec.set_outputs_blocking(vec![OutputRecord {
        name: "o".into(),
        value: json!(1),
        sensitive: false,
        terraform_type: None,
    }])
    .expect("o");
    let point = store.head_sequence("default").expect("head");
    let snapshot = store.resources("default").expect("list");
    rec.upsert_blocking(record("a.x", 2)).expect("u");
    rec.upsert_blocking(record("a.y", 1)).expect("u");
    rec.move_resource_blocking("a.y", "a.z").expect("mv");
    rec.set_outputs_blocking(vec![]).expect("o");
    rec.finish_blocking(RunStatus::Succeeded).expect("f");

    let events_before = store.history("default", None, usize::MAX).expect("h").len();
    let marker = store.restore_to_event("default", point).expect("restore");
    assert_eq!(store.resources("default").expect("list"), snapshot);
    assert_eq!(store.outputs("default").expect("o").len(), 1);
    let history = store.history("default", None, usize::MAX).expect("h");
    assert!(history.len() > events_before, "append-only");
    assert_eq!(history[0].seq, marker);
    assert_eq!(history[0].kind, "state.restore");
    assert_eq!(history[0].operation, "state restore");

    store.rebuild("default").expect("rebuild");
    assert_eq!(store.resources("default").expect("list"), snapshot);
    let head = store.head_sequence("default").expect("head");
    assert!(matches!(
        store.restore_to_event("default", head + 10),
        Err(StateError::EventNotFound { .. })
    ));
    store
        .restore_to_event("default", 0)
        .expect("restore to empty");
    assert!(store.resources("default").expect("list").is_empty());
}

#[test]
fn restore_points_and_automatic_backups() {
    let p = Project::new();
    let store = p.open_with(StoreOptions {
        backup_every: 2,
        backup_keep: 2,
        ..StoreOptions::default()
    });
    for n in 0..5 {
        let rec = store.begin_run("default", run("apply")).expect("run");
        rec.upsert_blocking(record("a.x", n)).expect("u");
        rec.finish_blocking(RunStatus::Succeeded).expect("f");
        // Runs of other operations take no restore point.
        let rec = store.begin_run("default", run("refresh")).expect("run");
        rec.finish_blocking(RunStatus::Succeeded).expect("f");
    }
    let points = store.restore_points("default").expect("points");
    assert_eq!(points.len(), 5);
    assert!(points.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(points.last().expect("first").seq, 0);
    // Backups at runs 1, 3, 5; only the newest two are kept.
    let backups = store.backups().expect("backups");
    assert_eq!(backups.len(), 2);
    for b in &backups {
        assert_eq!(mode(b), 0o600);
    }
    let with_backup: Vec<_> = points.iter().filter_map(|p| p.backup.clone()).collect();
    assert_eq!(with_backup.len(), 2);
    assert_eq!(with_backup[0], backups[1]);

    // The backup taken at run 5 holds the state before run 5.
    let copy = tempfile::tempdir().expect("tmp");
    std::fs::copy(&backups[1], copy.path().join(STATE_DB_FILE)).expect("copy");
    let old = Store::open_read_only(copy.path()).expect("open backup");
    let r = old
        .resource("default", "a.x")
        .expect("get")
        .expect("present");
    assert_eq!(r.attributes["n"], 3);
}

#[test]
fn backup_and_restore_from() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("import")).expect("run");
    rec.upsert_blocking(record("a.x", 1)).expect("u");
    let backup = p.tmp.path().join("snap.db");
    store.backup_to(&backup).expect("backup");
    assert_eq!(mode(&backup), 0o600);
    rec.upsert_blocking(record("a.y", 1)).expect("u");
    rec.finish_blocking(RunStatus::Succeeded).expect("f");

    let garbage = p.tmp.path().join("garbage.db");
    std::fs::write(&garbage, b"not a database at all").expect("write");
    assert!(matches!(
        store.restore_from(&garbage),
        Err(StateError::NotAStateDatabase { .. })
    ));
    assert!(matches!(
        store.restore_from(&p.tmp.path().join("missing.db")),
        Err(StateError::NotAStateDatabase { .. })
    ));

    let safety = store.restore_from(&backup).expect("restore");
    let addrs: Vec<_> = store
        .resources("default")
        .expect("list")
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert_eq!(addrs, ["a.x"]);
    // New writes work after a restore, and the safety copy holds the replaced state.
    let rec = store.begin_run("default", run("apply")).expect("run");
    rec.upsert_blocking(record("a.z", 1)).expect("u");
    rec.finish_blocking(RunStatus::Succeeded).expect("f");
    let copy = tempfile::tempdir().expect("tmp");
    std::fs::copy(&safety, copy.path().join(STATE_DB_FILE)).expect("copy");
    let old = Store::open_read_only(copy.path()).expect("open safety");
    assert_eq!(old.resources("default").expect("list").len(), 2);

    // A copy from a newer nimbus is refused.
    let newer = p.tmp.path().join("newer.db");
    store.backup_to(&newer).expect("backup");
    let conn = rusqlite::Connection::open(&newer).expect("raw");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 3)
        .expect("bump");
    drop(conn);
    assert!(matches!(
        store.restore_from(&newer),
        Err(StateError::SchemaTooNew { .. })
    ));
}

#[test]
fn read_only_store_reads_while_a_writer_holds_the_database() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    rec.upsert_blocking(record("a.x", 1)).expect("u");
    rec.finish_blocking(RunStatus::Succeeded).expect("f");

    // Another connection holds the write lock with uncommitted changes.
    let mut writer = rusqlite::Connection::open(store.path().expect("a file")).expect("raw");
    let tx = writer
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("begin");
    tx.execute("DELETE FROM resources", [])
        .expect("uncommitted delete");

    let ro = Store::open_read_only(&p.dir()).expect("ro");
    let start = Instant::now();
    assert_eq!(ro.resources("default").expect("read").len(), 1);
    assert_eq!(store.resources("default").expect("read").len(), 1);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "reads do not wait"
    );
    assert!(matches!(
        ro.create_workspace("x"),
        Err(StateError::ReadOnly)
    ));
    assert!(matches!(
        ro.begin_run("default", run("apply")),
        Err(StateError::ReadOnly)
    ));
    drop(tx);
}

#[test]
fn invalid_requests_are_errors_not_panics() {
    let p = Project::new();
    let store = p.open();
    assert!(matches!(
        store.begin_run(
            "default",
            RunInfo {
                run_id: String::new(),
                operation: "apply".into(),
                cause: None
            }
        ),
        Err(StateError::InvalidInput(_))
    ));
    let info = run("apply");
    let rec = store.begin_run("default", info.clone()).expect("run");
    assert!(matches!(
        store.begin_run("default", info),
        Err(StateError::RunExists(_))
    ));
    assert!(matches!(
        rec.upsert_blocking(record("", 1)),
        Err(StateError::InvalidInput(_))
    ));
    assert!(matches!(
        rec.move_resource_blocking("a.x", "a.x"),
        Err(StateError::InvalidInput(_))
    ));
    assert!(matches!(
        rec.remove_blocking("a.none"),
        Err(StateError::ResourceNotFound { .. })
    ));
    // Failed requests in a batch do not affect the others.
    assert!(rec.upsert_blocking(record("a.ok", 1)).is_ok());
    rec.finish_blocking(RunStatus::Succeeded).expect("f");
}

#[test]
fn state_mv_of_a_block_moves_every_instance_or_none() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    for a in [
        "t.n[0]",
        "t.n[1]",
        "t.n[\"a[0]\"]",
        "t.nn[0]",
        "t.n2",
        "module.m.t.x",
        "module.m.t.y[1]",
        "module.mm.t.x",
        "t.taken[0]",
    ] {
        rec.upsert_blocking(record(a, 1)).expect("seed");
    }
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let addresses = |store: &nimbus_state::Store| -> Vec<String> {
        let mut a: Vec<String> = store
            .resources("default")
            .expect("list")
            .into_iter()
            .map(|r| r.address)
            .collect();
        a.sort();
        a
    };

    // Every instance of `t.n`, keys kept; not `t.nn` nor `t.n2`.
    let moves = store.move_resources("default", "t.n", "t.m").expect("mv");
    assert_eq!(
        moves,
        [
            ("t.n[\"a[0]\"]".to_string(), "t.m[\"a[0]\"]".to_string()),
            ("t.n[0]".to_string(), "t.m[0]".to_string()),
            ("t.n[1]".to_string(), "t.m[1]".to_string()),
        ]
    );
    // A module's contents, not a module whose name starts the same.
    let moves = store
        .move_resources("default", "module.m", "module.k")
        .expect("mv module");
    assert_eq!(moves.len(), 2);
    assert!(addresses(&store).contains(&"module.mm.t.x".to_string()));
    assert!(addresses(&store).contains(&"module.k.t.y[1]".to_string()));

    // One instance alone still moves as before.
    store
        .move_resources("default", "t.m[1]", "t.single")
        .expect("mv one");

    // A clash moves nothing at all.
    let before = addresses(&store);
    let head = store.head_sequence("default").expect("head");
    assert!(matches!(
        store.move_resources("default", "t.m", "t.taken"),
        Err(StateError::ResourceExists { .. })
    ));
    assert_eq!(addresses(&store), before);
    assert_eq!(store.head_sequence("default").expect("head"), head);
    assert!(matches!(
        store.move_resources("default", "t.m", "t.other[0]"),
        Err(StateError::InvalidInput(_))
    ));
    assert!(matches!(
        store.move_resources("default", "t.missing", "t.x"),
        Err(StateError::ResourceNotFound { .. })
    ));
}

#[test]
fn taint_and_untaint_record_an_event_each() {
    let p = Project::new();
    let store = p.open();
    let rec = store.begin_run("default", run("apply")).expect("run");
    rec.upsert_blocking(record("t.a", 1)).expect("seed");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let head = store.head_sequence("default").expect("head");
    assert!(
        store
            .set_status("default", "t.a", nimbus_state::ResourceStatus::Tainted)
            .expect("taint")
            .is_some()
    );
    let status = |store: &nimbus_state::Store| {
        store
            .resource("default", "t.a")
            .expect("get")
            .expect("present")
            .status
    };
    assert_eq!(status(&store), nimbus_state::ResourceStatus::Tainted);
    assert!(store.head_sequence("default").expect("head") > head);
    // Tainting twice changes nothing.
    assert!(
        store
            .set_status("default", "t.a", nimbus_state::ResourceStatus::Tainted)
            .expect("taint again")
            .is_none()
    );
    store
        .set_status("default", "t.a", nimbus_state::ResourceStatus::Ready)
        .expect("untaint");
    assert_eq!(status(&store), nimbus_state::ResourceStatus::Ready);
    assert!(matches!(
        store.set_status("default", "t.none", nimbus_state::ResourceStatus::Tainted),
        Err(StateError::ResourceNotFound { .. })
    ));
}
