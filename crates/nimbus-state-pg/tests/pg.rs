//! The PostgreSQL backend against a real server (NIMBUS_TEST_PG_URL; start
//! one with `scripts/postgres start`). Every test works in a fresh schema of
//! its own, dropped at the end.

#![allow(clippy::print_stderr)]

use std::time::Duration;

use nimbus_state::conformance::{self, Harness};
use nimbus_state::{
    Encryption, LockRequest, ResourceRecord, RunInfo, RunStatus, StateError, Store, StoreOptions,
};
use nimbus_state_pg::{PgOptions, SCHEMA_VERSION};
use postgres::{Client, NoTls};

const URL_VAR: &str = "NIMBUS_TEST_PG_URL";

/// The server's URL, or `None` (with a notice) when the tests should skip.
/// Panics under CI=true when it is missing.
fn url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_owned()),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{URL_VAR} is not set: under CI the PostgreSQL server is required \
                     (scripts/test starts it; by hand: export {URL_VAR}=$(scripts/postgres start))"
                );
            }
            eprintln!(
                "notice: {URL_VAR} is not set; skipping this PostgreSQL test \
                 (run `export {URL_VAR}=$(scripts/postgres start)` to run it)"
            );
            None
        }
    }
}

/// A fresh schema, dropped when the value is.
struct Pg {
    url: String,
    schema: String,
    options: PgOptions,
}

impl Pg {
    fn new() -> Option<Pg> {
        Pg::with(PgOptions::default())
    }

    fn with(options: PgOptions) -> Option<Pg> {
        let url = url()?;
        Some(Pg {
            url,
            schema: format!("t_{}", uuid::Uuid::new_v4().simple()),
            options,
        })
    }

    fn raw(&self) -> Client {
        let mut c = Client::connect(&self.url, NoTls).expect("raw connection");
        c.batch_execute(&format!("SET search_path TO {}", self.schema))
            .expect("search path");
        c
    }

    fn store(&self) -> Store {
        nimbus_state_pg::open_with(&self.url, &self.schema, self.options.clone()).expect("open")
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(&self.url, NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

impl Harness for Pg {
    fn open(&self) -> Store {
        self.store()
    }

    fn plant_stale_lock(&self, workspace: &str) {
        self.raw()
            .execute(
                "INSERT INTO locks (workspace, id, run_id, \"user\", host, pid, operation, started_at, expires_at)
                 VALUES ($1, 'dead-lock', 'old-run', 'ghost', 'another-host', 4242, 'apply',
                         '2020-01-01T00:00:00Z', now() - interval '1 second')",
                &[&workspace],
            )
            .expect("plant");
    }

    fn fail_resource_writes(&self, address: &str) {
        self.raw()
            .batch_execute(&format!(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'refused'; END $$;
                 CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON resources
                 FOR EACH ROW WHEN (NEW.address = '{address}') EXECUTE FUNCTION refuse();"
            ))
            .expect("trigger");
    }

    fn fail_compaction_records(&self) {
        self.raw()
            .batch_execute(
                "CREATE FUNCTION refuse_compaction() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'refused'; END $$;
                 CREATE TRIGGER refuse_compaction BEFORE INSERT OR UPDATE ON compactions
                 FOR EACH ROW EXECUTE FUNCTION refuse_compaction();",
            )
            .expect("trigger");
    }

    fn open_encrypted(&self, encryption: Encryption) -> Result<Store, StateError> {
        nimbus_state_pg::open_store(
            &self.url,
            &self.schema,
            self.options.clone(),
            StoreOptions {
                encryption,
                ..StoreOptions::default()
            },
        )
    }

    fn raw_bytes(&self) -> Vec<u8> {
        let mut c = self.raw();
        let tables = c
            .query(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = $1 ORDER BY table_name",
                &[&self.schema],
            )
            .expect("tables");
        let mut bytes = Vec::new();
        for t in tables {
            let table: String = t.get(0);
            for row in c
                .query(
                    &format!("SELECT t::text FROM {table} t ORDER BY t::text"),
                    &[],
                )
                .expect("rows")
            {
                let text: String = row.get(0);
                bytes.extend(text.into_bytes());
                bytes.push(b'\n');
            }
        }
        bytes
    }
}

mod suite {
    nimbus_state::conformance_suite!(super::Pg::new());
}

mod encrypted_suite {
    nimbus_state::conformance_suite!(encrypted super::Pg::new());
}

#[test]
fn event_json_is_stored_byte_for_byte() {
    let Some(pg) = Pg::new() else { return };
    let store = pg.store();
    let record = conformance::record("t.a", 1);
    let rec = store
        .begin_run("default", RunInfo::new("apply"))
        .expect("run");
    rec.upsert_blocking(record.clone()).expect("upsert");
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    let after: String = pg
        .raw()
        .query_one("SELECT after FROM events WHERE address = 't.a'", &[])
        .expect("event")
        .get(0);
    assert_eq!(after, serde_json::to_string(&record).expect("json"));
    let private: Vec<u8> = pg
        .raw()
        .query_one("SELECT private FROM resources WHERE address = 't.a'", &[])
        .expect("row")
        .get(0);
    assert_eq!(private, record.private);
}

#[test]
fn schema_is_versioned_and_a_newer_one_is_refused_untouched() {
    let Some(pg) = Pg::new() else { return };
    drop(pg.store());
    drop(pg.store()); // idempotent
    let mut raw = pg.raw();
    let version: i32 = raw
        .query_one("SELECT version FROM schema_version", &[])
        .expect("version")
        .get(0);
    assert_eq!(version, i32::try_from(SCHEMA_VERSION).expect("small"));
    raw.execute("UPDATE schema_version SET version = version + 5", &[])
        .expect("bump");
    let err = nimbus_state_pg::open(&pg.url, &pg.schema).expect_err("too new");
    assert!(
        matches!(err, StateError::SchemaTooNew { found, supported }
            if found == SCHEMA_VERSION + 5 && supported == SCHEMA_VERSION),
        "{err}"
    );
    let version: i32 = raw
        .query_one("SELECT version FROM schema_version", &[])
        .expect("version")
        .get(0);
    assert_eq!(version, i32::try_from(SCHEMA_VERSION + 5).expect("small"));
}

#[test]
fn concurrent_opens_migrate_once() {
    let Some(pg) = Pg::new() else { return };
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| drop(pg.store()));
        }
    });
    let rows: i64 = pg
        .raw()
        .query_one("SELECT count(*) FROM workspaces", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 1, "the default workspace, once");
}

#[test]
fn errors_name_the_server_without_its_password() {
    let Some(pg) = Pg::new() else { return };
    // A closed port: the connection fails.
    let err = nimbus_state_pg::open("postgres://ann:hunter2@127.0.0.1:1/nimbus", &pg.schema)
        .expect_err("no server");
    let msg = err.to_string();
    assert!(matches!(err, StateError::Backend { .. }), "{msg}");
    assert!(msg.contains("postgres://ann@127.0.0.1:1/nimbus"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    let store = pg.store();
    assert!(!store.location().contains("hunter2"));
    assert!(store.location().contains(&pg.schema));
    assert!(matches!(
        nimbus_state_pg::open(&pg.url, "Bad-Name"),
        Err(StateError::InvalidInput(_))
    ));
}

#[test]
fn a_lost_connection_is_an_error_then_recovers() {
    let Some(pg) = Pg::new() else { return };
    // The store's sessions carry the schema's name, so that only they are cut.
    let sep = if pg.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}application_name={}", pg.url, pg.schema);
    let store = nimbus_state_pg::open(&url, &pg.schema).expect("open");
    store.resources("default").expect("read");
    let cut: i64 = pg
        .raw()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            &[&pg.schema],
        )
        .expect("terminate")
        .get(0);
    assert_eq!(cut, 1);
    // The first use after may fail (the client learns of it), but never
    // panics; the next reconnects.
    let first = store.resources("default");
    if let Err(e) = &first {
        assert!(matches!(e, StateError::Backend { .. }), "{e}");
    }
    store.resources("default").expect("reconnected");
    store
        .create_workspace("after")
        .expect("write after reconnect");
}

fn short_lease() -> PgOptions {
    PgOptions {
        lock_lease: Duration::from_millis(600),
        ..PgOptions::default()
    }
}

#[test]
fn a_renewed_lease_holds_and_an_expired_one_is_taken_over_only_on_request() {
    let Some(pg) = Pg::with(short_lease()) else {
        return;
    };
    let a = pg.store();
    let b = pg.store();
    let guard = a
        .lock("default", LockRequest::new("run-a", "apply"))
        .expect("lock");
    assert!(guard.info().expires_at.is_some());
    // Three leases later, the holder's renewals kept it.
    std::thread::sleep(Duration::from_millis(1800));
    let err = b
        .lock("default", LockRequest::new("run-b", "apply"))
        .expect_err("still held");
    assert!(matches!(err, StateError::Locked { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("apply since") && msg.contains("lease until"),
        "{msg}"
    );
    assert!(guard.renewal_failure().is_none());

    // The lock passes to a holder on another host that died: its lease
    // ended, and the first holder's renewals no longer find their row.
    pg.raw()
        .execute(
            "UPDATE locks SET id = 'ghost', expires_at = now() - interval '1 second', host = 'elsewhere'",
            &[],
        )
        .expect("expire");
    let err = b
        .lock("default", LockRequest::new("run-b", "apply"))
        .expect_err("stale needs steal");
    assert!(matches!(err, StateError::StaleLock { .. }), "{err}");
    let mut steal = LockRequest::new("run-b", "apply");
    steal.steal_stale = true;
    let taken = b.lock("default", steal).expect("taken over");
    // The first holder found out at its next renewal.
    std::thread::sleep(Duration::from_millis(400));
    let failure = guard.renewal_failure().expect("renewal failed");
    assert!(failure.contains("taken away"), "{failure}");
    drop(guard);
    assert_eq!(
        b.current_lock("default").expect("current").map(|l| l.id),
        Some(taken.info().id.clone()),
        "releasing a lost lock does not remove the new holder's"
    );
    taken.release().expect("release");
}

#[test]
fn writers_of_two_stores_do_not_interleave_sequence_numbers() {
    let Some(pg) = Pg::new() else { return };
    let stores = [pg.store(), pg.store()];
    stores[0].create_workspace("other").expect("workspace");
    let mut seqs = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(n, store)| {
                s.spawn(move || {
                    // Each holds its workspace's lock, as every run does.
                    let ws = ["default", "other"][n];
                    let info = RunInfo::new("apply");
                    let _lock = store
                        .lock(ws, LockRequest::new(&info.run_id, "apply"))
                        .expect("lock");
                    let rec = store.begin_run(ws, info).expect("run");
                    let seqs: Vec<u64> = (0..40)
                        .map(|i| {
                            rec.upsert_blocking(ResourceRecord::new(
                                format!("t.s{n}_{i}"),
                                "t",
                                "p",
                                serde_json::json!({}),
                            ))
                            .expect("upsert")
                        })
                        .collect();
                    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
                    seqs
                })
            })
            .collect();
        for h in handles {
            seqs.extend(h.join().expect("writer"));
        }
    });
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=80).collect::<Vec<u64>>(), "gap-free, unique");
}

#[test]
fn a_run_whose_lease_was_taken_over_records_nothing_more() {
    let Some(pg) = Pg::with(PgOptions {
        lock_lease: Duration::from_millis(600),
        ..PgOptions::default()
    }) else {
        return;
    };
    let holder = pg.store();
    let info = RunInfo::new("apply");
    let guard = holder
        .lock("default", LockRequest::new(&info.run_id, "apply"))
        .expect("lock");
    let recorder = holder.begin_run("default", info).expect("run");
    recorder
        .upsert_blocking(ResourceRecord::new(
            "t.before",
            "t",
            "p",
            serde_json::json!({}),
        ))
        .expect("recorded while the lock is held");
    // The lease runs out (as when a holder is suspended past it; here the
    // row is aged, and renamed so that the holder's renewals stop finding
    // it) and another process takes the lock over.
    pg.raw()
        .execute(
            "UPDATE locks SET id = 'ghost', expires_at = now() - interval '1 second', host = 'elsewhere'",
            &[],
        )
        .expect("expire");
    let thief = pg.store();
    let stolen = RunInfo::new("apply");
    let mut request = LockRequest::new(&stolen.run_id, "apply");
    request.steal_stale = true;
    request.timeout = Duration::from_secs(10);
    let _stolen = thief
        .lock("default", request)
        .expect("taken over once stale");
    let err = recorder
        .upsert_blocking(ResourceRecord::new(
            "t.after",
            "t",
            "p",
            serde_json::json!({}),
        ))
        .expect_err("the old run is fenced off");
    assert!(
        err.to_string().contains("no longer holds the lock"),
        "{err}"
    );
    let addresses: Vec<String> = thief
        .resources("default")
        .expect("resources")
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert_eq!(addresses, ["t.before"]);
    drop(guard);
}

/// A copy between every pair of backends with PostgreSQL on one side.
mod copy {
    use nimbus_state::Store;
    use nimbus_state::conformance::{
        copy_keeps_every_workspace_and_its_history, copy_reads_a_long_log_in_pages,
        copy_refuses_a_non_empty_destination_unless_overwriting,
        copy_that_fails_leaves_the_destination_as_it_was,
    };

    fn local(dir: &tempfile::TempDir) -> Store {
        Store::open(&dir.path().join(".nimbus")).expect("open")
    }

    #[test]
    fn from_postgres_to_postgres() {
        let (Some(a), Some(b)) = (super::Pg::new(), super::Pg::new()) else {
            return;
        };
        copy_keeps_every_workspace_and_its_history(&a.store(), &b.store());
        let (Some(a), Some(b)) = (super::Pg::new(), super::Pg::new()) else {
            return;
        };
        copy_refuses_a_non_empty_destination_unless_overwriting(&a.store(), &b.store());
        let (Some(a), Some(b)) = (super::Pg::new(), super::Pg::new()) else {
            return;
        };
        copy_reads_a_long_log_in_pages(&a.store(), &b.store());
        let (Some(a), Some(b)) = (super::Pg::new(), super::Pg::new()) else {
            return;
        };
        nimbus_state::conformance::copy_moves_a_state_between_keys(&a, &b);
    }

    #[test]
    fn from_local_to_postgres() {
        let Some(pg) = super::Pg::new() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        copy_keeps_every_workspace_and_its_history(&local(&dir), &pg.store());
        let Some(pg) = super::Pg::new() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        copy_refuses_a_non_empty_destination_unless_overwriting(&local(&dir), &pg.store());
        let Some(pg) = super::Pg::new() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        copy_that_fails_leaves_the_destination_as_it_was(&local(&dir), &pg);
    }

    #[test]
    fn from_postgres_to_local() {
        let Some(pg) = super::Pg::new() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        copy_keeps_every_workspace_and_its_history(&pg.store(), &local(&dir));
        let Some(pg) = super::Pg::new() else { return };
        let dir = tempfile::tempdir().expect("tempdir");
        copy_refuses_a_non_empty_destination_unless_overwriting(&pg.store(), &local(&dir));
    }
}
