//! State on PostgreSQL through the real binary (NIMBUS_TEST_PG_URL; start a
//! server with `scripts/postgres start`): `nimbus init` takes the
//! configuration's backend, every command then uses it, two directories
//! share one state, and two applies never both hold its lock. Each test
//! uses a schema of its own, dropped at the end.

#![allow(clippy::print_stderr)]

mod common;

use common::*;
use postgres::{Client, NoTls};

const URL_VAR: &str = "NIMBUS_TEST_PG_URL";

/// The server's URL, or `None` (with a notice) when the tests should skip;
/// under CI=true a missing server fails the test.
fn server() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_owned()),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "{URL_VAR} is not set: under CI the PostgreSQL server is required (scripts/test starts it)"
            );
            eprintln!("notice: {URL_VAR} is not set; skipping this PostgreSQL test");
            None
        }
    }
}

/// A schema of the test's own, dropped when it ends.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new() -> Option<Schema> {
        Some(Schema {
            url: server()?,
            name: format!("cli_{}", uuid::Uuid::new_v4().simple()),
        })
    }

    /// A project whose configuration keeps state in this schema, with the
    /// URL in the environment as users give it.
    fn project(&self, body: &str) -> Workdir {
        let mut w = Workdir::empty();
        w.set_env("NIMBUS_PG_URL", &self.url);
        w.write(
            "main.nim",
            &format!("(backend postgres (schema \"{}\"))\n{body}", self.name),
        );
        w
    }

    /// Lock rows in the schema.
    fn locks_held(&self) -> i64 {
        let mut c = Client::connect(&self.url, NoTls).expect("connect");
        c.query_one(
            &format!("SELECT count(*) FROM \"{}\".locks", self.name),
            &[],
        )
        .expect("count locks")
        .get(0)
    }

    /// Every text column of every table of the schema, for secrets.
    fn all_text(&self) -> String {
        let mut c = Client::connect(&self.url, NoTls).expect("connect");
        let mut text = String::new();
        for table in ["events", "resources", "outputs", "intents", "runs"] {
            let rows = c
                .query(
                    &format!("SELECT t::text FROM \"{}\".{table} t", self.name),
                    &[],
                )
                .expect("read");
            for row in rows {
                text.push_str(row.get::<_, &str>(0));
                text.push('\n');
            }
        }
        text
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(&self.url, NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

const STACK: &str = r#"
(define-variables
  (n (type number) (default 3))
  (token (type string) (sensitive #t) (default "hunter2-never-stored")))
(resource random-id "x" (count (var n)) (byte-length 4))
(resource terraform-data "t" (input (var token)))
(output "first" (value (ref random-id "x" 0 "hex")))
"#;

#[test]
fn init_takes_the_backend_and_two_directories_share_one_state() {
    let Some(schema) = Schema::new() else { return };
    let alice = schema.project(STACK);
    alice
        .run(&["init"])
        .success()
        .stdout_has("State backend: postgres");
    alice.run(&["apply", "--auto-approve"]).success();
    assert_eq!(
        alice.state_list(),
        [
            "random-id.x[0]",
            "random-id.x[1]",
            "random-id.x[2]",
            "terraform-data.t"
        ]
    );
    // Nothing of the state is kept locally: only the backend's record.
    assert!(!alice.exists(".nimbus/state.db"));
    assert!(alice.exists(".nimbus/backend.json"));

    // A teammate's checkout of the same configuration sees the same state.
    let bob = schema.project(STACK);
    bob.run(&["init"]).success();
    bob.run(&["plan"]).success().stdout_has("No changes");
    assert_eq!(bob.state_list(), alice.state_list());
    let first = alice.run(&["output", "first"]).success().stdout.clone();
    assert_eq!(bob.run(&["output", "first"]).success().stdout, first);

    // The sensitive input is recorded in state, as Terraform records it
    // (encryption at rest protects it there, see the next test), but
    // nothing printed shows it.
    let history = bob.run(&["state", "history"]).success().all_output();
    assert!(!history.contains("hunter2"), "{history}");
    assert!(schema.all_text().contains("random-id.x[2]"));
    assert!(schema.all_text().contains("hunter2-never-stored"));

    // Workspaces live in the backend too.
    bob.run(&["workspace", "new", "dev"]).success();
    alice
        .run(&["workspace", "list"])
        .success()
        .stdout_has("dev (0 resources)");
}

#[test]
fn with_a_passphrase_the_shared_state_holds_no_secret() {
    let Some(schema) = Schema::new() else { return };
    let mut alice = schema.project(STACK);
    alice.set_env("NIMBUS_STATE_PASSPHRASE", "team passphrase");
    alice.run(&["init"]).success();
    alice.run(&["apply", "--auto-approve"]).success();
    let text = schema.all_text();
    assert!(text.contains("random-id.x[2]"), "addresses stay readable");
    assert!(!text.contains("hunter2-never-stored"), "{text}");
    assert_eq!(alice.state_list().len(), 4);

    // A teammate without the passphrase, or with another one, is refused
    // before anything is written.
    let mut bob = schema.project(STACK);
    bob.run(&["init"])
        .failure()
        .stderr_has("NIMBUS_STATE_PASSPHRASE");
    bob.set_env("NIMBUS_STATE_PASSPHRASE", "guess");
    bob.run(&["init"]).failure().stderr_has("does not decrypt");
    assert_eq!(schema.all_text(), text, "nothing was written");
    bob.set_env("NIMBUS_STATE_PASSPHRASE", "team passphrase");
    bob.run(&["init"]).success();
    bob.run(&["plan"]).success().stdout_has("No changes");
}

#[test]
fn a_second_apply_on_the_shared_state_is_refused_naming_the_holder() {
    let Some(schema) = Schema::new() else { return };
    let first = schema.project(STACK);
    first.run(&["init"]).success();
    let second = schema.project(STACK);
    second.run(&["init"]).success();
    let mut holder = first.spawn_captured(
        &["apply", "--auto-approve", "--parallelism", "1"],
        &[("NIMBUS_BUILTIN_CREATE_DELAY_MS", "400")],
    );
    // Wait until the holder has taken the lock (its first intent is recorded).
    let started = std::time::Instant::now();
    while !schema.all_text().contains("intent.record") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the first apply never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let refused = second.run(&["apply", "--auto-approve", "--lock-timeout", "0"]);
    refused
        .failure()
        .stderr_has("state is locked by")
        .stderr_has(&format!("pid {}", holder.id()))
        .stderr_has("apply since")
        .stderr_has("lock id");
    let status = holder.wait().expect("holder");
    assert!(status.success());
    // The refused apply wrote nothing: one apply's events only.
    second.run(&["plan"]).success().stdout_has("No changes");
}

#[test]
fn a_changed_backend_is_refused_until_init_and_passwords_are_never_shown_or_recorded() {
    let Some(schema) = Schema::new() else { return };
    // Applied locally first: the configuration then moves to PostgreSQL.
    let w = Workdir::init_with(STACK);
    w.run(&["apply", "--auto-approve"]).success();
    let mut w = w;
    w.set_env("NIMBUS_PG_URL", &schema.url);
    w.write(
        "main.nim",
        &format!("(backend postgres (schema \"{}\"))\n{STACK}", schema.name),
    );
    w.run(&["plan"])
        .failure()
        .stderr_has("this directory was initialised with local (.nimbus): run `nimbus init`");
    // A URL with a password in the environment is used, never shown nor
    // recorded (the test server trusts loopback and ignores it).
    let with_password = schema.url.replacen("@", ":s3cr3t-pw@", 1);
    assert!(with_password.contains(":s3cr3t-pw@"), "{with_password}");
    let switched = w.run_env(&["init"], &[("NIMBUS_PG_URL", &with_password)]);
    switched.success();
    assert!(!switched.all_output().contains("s3cr3t-pw"));
    assert!(!w.read(".nimbus/backend.json").contains("s3cr3t-pw"));
    // A server that is not there: the error names it, without the password.
    let unreachable = "postgres://nimbus:s3cr3t-pw@127.0.0.1:1/nimbus_test";
    let failed = w.run_env(&["state", "list"], &[("NIMBUS_PG_URL", unreachable)]);
    failed.failure().stderr_has("127.0.0.1:1");
    assert!(!failed.all_output().contains("s3cr3t-pw"));
    // Without a URL anywhere: what to set.
    w.remove_env("NIMBUS_PG_URL");
    w.run_env(&["init"], &[("PG_CONN_STR", "")])
        .failure()
        .stderr_has("NIMBUS_PG_URL");
    // The local state stayed where it was; the new backend starts empty.
    w.set_env("NIMBUS_PG_URL", &schema.url);
    w.run(&["init"]).success();
    assert!(w.exists(".nimbus/state.db"));
    w.run(&["plan"]).success().stdout_has("4 to create");
}

/// Files written by the built-in provider into `dir`: a real side effect
/// per create, so that an object made but not recorded would show. One
/// directory for every checkout sharing the state, as a real object is
/// one for the whole team.
fn files(dir: &std::path::Path) -> String {
    format!(
        r#"
(resource local-file "f" (count 24)
  (filename (format "{}/f-~a.txt" count-index))
  (content "x"))
"#,
        dir.display()
    )
}

/// Files the applies have written into `dir`, by address.
fn files_on_disk(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Default::default();
    };
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let index = name.strip_prefix("f-")?.strip_suffix(".txt")?.to_owned();
            Some(format!("local-file.f[{index}]"))
        })
        .collect()
}

#[test]
fn applies_killed_at_random_points_lose_nothing() {
    let Some(schema) = Schema::new() else { return };
    let out = tempfile::tempdir().expect("objects");
    let w = schema.project(&files(out.path()));
    w.run(&["init"]).success();
    // Twenty applies, each SIGKILLed after a different delay (a fixed
    // pseudo-random sequence, so a failure replays), each followed by the
    // check that nothing made is unaccounted for.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..20 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = std::time::Duration::from_millis(20 + (seed >> 33) % 400);
        if round > 0 {
            // Start over: the files go, the state forgets them. The run
            // reports the killed run's open intents; the objects they name
            // (made, never recorded) are removed as its report asks.
            w.run(&["destroy", "--auto-approve", "--steal-stale-lock"])
                .success();
            for entry in std::fs::read_dir(out.path()).expect("objects") {
                std::fs::remove_file(entry.expect("entry").path()).expect("remove");
            }
        }
        let mut child = w.spawn(
            &[
                "apply",
                "--auto-approve",
                "--parallelism",
                "4",
                "--steal-stale-lock",
            ],
            &[("NIMBUS_BUILTIN_CREATE_DELAY_MS", "15")],
        );
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("reap");
        let on_disk = files_on_disk(out.path());
        let recorded: std::collections::BTreeSet<String> = w.state_list().into_iter().collect();
        let intents = w.run(&["state", "intents", "--json"]);
        intents.success();
        let open: std::collections::BTreeSet<String> = intents
            .events()
            .iter()
            .map(|i| i["address"].as_str().expect("address").to_owned())
            .collect();
        // Every object made is either recorded or announced by an open
        // write-ahead intent; nothing recorded is missing on disk.
        for file in &on_disk {
            assert!(
                recorded.contains(file) || open.contains(file),
                "round {round} ({delay:?}, {status:?}): {file} exists but is neither in state nor an open intent"
            );
        }
        for address in &recorded {
            assert!(
                on_disk.contains(address),
                "round {round}: {address} recorded but not made"
            );
        }
        // A lock the killed holder left is seen as stale (same host, dead
        // pid); a holder killed before it took the lock left none.
        if schema.locks_held() > 0 {
            w.run(&["apply", "--auto-approve", "--lock-timeout", "0"])
                .failure()
                .stderr_has("stale");
        }
    }
    // The last round is finished by a normal apply: everything exists once.
    w.run(&["apply", "--auto-approve", "--steal-stale-lock"])
        .success();
    assert_eq!(w.state_list().len(), 24);
    assert_eq!(files_on_disk(out.path()).len(), 24);
    w.run(&["plan"]).success().stdout_has("No changes");
}

#[test]
fn a_hundred_rounds_of_two_applies_never_have_two_holders() {
    let Some(schema) = Schema::new() else { return };
    let out = tempfile::tempdir().expect("objects");
    let stack = files(out.path());
    let a = schema.project(&stack);
    a.run(&["init"]).success();
    let b = schema.project(&stack);
    b.run(&["init"]).success();
    for round in 0..100 {
        // Both start at once on the shared state; the content changes each
        // round so that both have work to do.
        let body = stack.replace("(content \"x\")", &format!("(content \"round {round}\")"));
        a.write(
            "main.nim",
            &format!("(backend postgres (schema \"{}\"))\n{body}", schema.name),
        );
        b.write(
            "main.nim",
            &format!("(backend postgres (schema \"{}\"))\n{body}", schema.name),
        );
        let args = ["apply", "--auto-approve", "--lock-timeout", "0", "--json"];
        let first = a.spawn_captured(&args, &[]);
        let second = b.spawn_captured(&args, &[]);
        let first = first.wait_with_output().expect("first");
        let second = second.wait_with_output().expect("second");
        // What each changed: the work of a round is done exactly once, by
        // whoever held the lock (two holders would both change the files).
        let mut changed = 0;
        for outcome in [&first, &second] {
            if outcome.status.success() {
                let summary = String::from_utf8_lossy(&outcome.stdout)
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .find(|e| e["type"] == "apply_summary")
                    .expect("apply_summary");
                changed += summary["created"].as_u64().expect("created")
                    + summary["updated"].as_u64().expect("updated")
                    + summary["replaced"].as_u64().expect("replaced");
            } else {
                // With --json the error is an event on stdout.
                let err = format!(
                    "{}{}",
                    String::from_utf8_lossy(&outcome.stdout),
                    String::from_utf8_lossy(&outcome.stderr)
                );
                assert!(
                    err.contains("state is locked by") && err.contains("lock id"),
                    "round {round}: the loser must name the holder: {err}"
                );
            }
        }
        assert_eq!(changed, 24, "round {round}: the round's work was done once");
    }
    // Nothing lost or corrupt: the state matches the last round exactly.
    a.run(&["plan"]).success().stdout_has("No changes");
    assert_eq!(a.state_list().len(), 24);
    let history = a.run(&["state", "history", "--json"]);
    history.success();
}

/// Per workspace: its whole history and its outputs, as the CLI shows them.
fn everything(w: &Workdir, workspaces: &[&str]) -> Vec<(Vec<serde_json::Value>, String)> {
    workspaces
        .iter()
        .map(|ws| {
            let history = w.run_env(
                &["state", "history", "--json", "--limit", "1000000"],
                &[("NIMBUS_WORKSPACE", ws)],
            );
            history.success();
            let outputs = w.run_env(&["output", "--json"], &[("NIMBUS_WORKSPACE", ws)]);
            outputs.success();
            (history.events(), outputs.stdout.clone())
        })
        .collect()
}

/// A project with state in two workspaces, with moves and a removal in
/// their history (and nothing left to change).
fn two_workspaces() -> Workdir {
    let w = Workdir::init_with(STACK);
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["state", "mv", "terraform-data.t", "terraform-data.moved"])
        .success();
    w.run(&["state", "mv", "terraform-data.moved", "terraform-data.t"])
        .success();
    w.run(&["workspace", "new", "dev"]).success();
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["state", "rm", "random-id.x[2]"]).success();
    w.run(&["apply", "--auto-approve"]).success();
    w.run(&["workspace", "select", "default"]).success();
    w
}

#[test]
fn migrate_copies_local_state_to_another_local_directory_and_refuses_a_non_empty_one() {
    let w = two_workspaces();
    let before = everything(&w, &["default", "dev"]);
    assert!(before.iter().all(|(h, _)| !h.is_empty()));
    // Nothing to do while the configuration's backend is the one in use.
    w.run(&["state", "migrate"])
        .failure()
        .stderr_has("nothing to migrate");
    w.write(
        "main.nim",
        &format!("(backend local (path \"elsewhere\"))\n{STACK}"),
    );
    w.run(&["state", "migrate", "--to", "postgres"])
        .failure()
        .stderr_has("--to postgres does not match the configuration's backend, local (elsewhere)");
    let migrated = w.run(&["state", "migrate", "--to", "local"]);
    migrated
        .success()
        .stdout_has("Copied the state from local (.nimbus) to local (elsewhere): 2 workspace(s)")
        .stdout_has("was left as it was");
    assert!(w.exists("elsewhere/state.db"));
    // The next plan works: the destination is the backend in use now.
    w.run(&["plan"]).success().stdout_has("No changes");
    assert_eq!(everything(&w, &["default", "dev"]), before);

    // Back to .nimbus, which still holds the old state: not without asking.
    w.write("main.nim", STACK);
    w.run(&["state", "migrate"])
        .code(1)
        .stderr_has("holds a state already")
        .stderr_has("--auto-approve");
    w.run(&["state", "migrate", "--auto-approve"])
        .success()
        .stdout_has("overwritten");
    assert_eq!(everything(&w, &["default", "dev"]), before);

    // A plan saved before a migration applies after it: same key, same
    // history. A stale one stays stale.
    w.run(&["plan", "--var", "n=4", "--out", "grow.plan"])
        .success()
        .stdout_has("1 to create");
    w.run(&["plan", "--var", "n=5", "--out", "stale.plan"])
        .success();
    w.write(
        "main.nim",
        &format!("(backend local (path \"elsewhere\"))\n{STACK}"),
    );
    w.run(&["state", "migrate", "--auto-approve"]).success();
    w.run(&["apply", "grow.plan"]).success();
    assert!(w.state_list().contains(&"random-id.x[3]".to_string()));
    w.run(&["apply", "stale.plan"])
        .failure()
        .stderr_has("the saved plan is stale");
}

#[test]
fn migrate_goes_to_postgres_and_back_keeping_every_workspace_and_event() {
    let Some(schema) = Schema::new() else { return };
    let mut w = two_workspaces();
    let before = everything(&w, &["default", "dev"]);
    w.set_env("NIMBUS_PG_URL", &schema.url);
    w.write(
        "main.nim",
        &format!("(backend postgres (schema \"{}\"))\n{STACK}", schema.name),
    );
    w.run(&["state", "migrate", "--to", "postgres"])
        .success()
        .stdout_has("to postgres (URL from the environment")
        .stdout_has("2 workspace(s)");
    assert_eq!(everything(&w, &["default", "dev"]), before);
    for ws in ["default", "dev"] {
        w.run_env(&["plan"], &[("NIMBUS_WORKSPACE", ws)])
            .success()
            .stdout_has("No changes");
    }
    assert!(schema.all_text().contains("terraform-data.moved"));

    // Back to local, whose old state is still there: refused without the flag.
    w.write("main.nim", STACK);
    w.run(&["state", "migrate", "--to", "local"])
        .code(1)
        .stderr_has("holds a state already");
    w.run(&["state", "migrate", "--to", "local", "--auto-approve"])
        .success()
        .stdout_has("from postgres");
    assert_eq!(everything(&w, &["default", "dev"]), before);
    for ws in ["default", "dev"] {
        w.run_env(&["plan"], &[("NIMBUS_WORKSPACE", ws)])
            .success()
            .stdout_has("No changes");
    }
}

#[test]
fn enforced_encryption_without_a_key_creates_nothing_on_the_server() {
    let Some(schema) = Schema::new() else { return };
    let w = schema.project(STACK);
    w.run_env(&["init"], &[("NIMBUS_STATE_ENCRYPTION", "enforced")])
        .failure()
        .stderr_has("NIMBUS_STATE_PASSPHRASE")
        .stderr_has("nothing was written");
    let mut c = Client::connect(&schema.url, NoTls).expect("connect");
    let found: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
            &[&schema.name],
        )
        .expect("schemata")
        .get(0);
    assert_eq!(found, 0, "no schema was created");
}
