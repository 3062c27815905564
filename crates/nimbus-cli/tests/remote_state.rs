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
