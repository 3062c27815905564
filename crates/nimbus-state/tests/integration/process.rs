//! Tests with real processes: this test binary re-executes itself, running
//! only `child_entry` with `NIMBUS_STATE_TEST_CHILD` set to the child's role.
//! Children talk to the parent through tagged lines on stdout.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use nimbus_state::{
    IntentAction, LockRequest, NewIntent, Outcome, RunStatus, STATE_DB_FILE, StateError, Store,
};

use crate::{Project, record, run};

const ROLE_ENV: &str = "NIMBUS_STATE_TEST_CHILD";
const DIR_ENV: &str = "NIMBUS_STATE_TEST_DIR";

/// Entry point of child processes; a no-op in the normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(ROLE_ENV) else {
        return;
    };
    let dir = std::env::var(DIR_ENV).expect("child needs a state dir");
    match role.as_str() {
        "lock" => child_lock(Path::new(&dir)),
        "stream" => child_stream(Path::new(&dir)),
        other => panic!("unknown child role {other}"),
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ {line}").expect("stdout");
    out.flush().expect("flush");
}

/// Waits for "go" on stdin, tries the lock once, reports, and (if it won)
/// holds the lock until stdin is closed.
fn child_lock(dir: &Path) {
    let store = Store::open(dir).expect("open");
    say("READY");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).expect("go");
    match store.lock(
        "default",
        LockRequest::new(format!("run-{}", std::process::id()), "apply"),
    ) {
        Ok(guard) => {
            say(&format!("WON {}", std::process::id()));
            let mut rest = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut rest);
            drop(guard);
        }
        Err(e @ StateError::Locked { .. }) => say(&format!("LOST {e}")),
        Err(e) => say(&format!("ERROR {e}")),
    }
}

/// Records intent + complete pairs from several threads forever, printing
/// each acknowledged seq, until the parent kills it.
fn child_stream(dir: &Path) {
    let store = Store::open(dir).expect("open");
    let rec = store.begin_run("default", run("apply")).expect("run");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let rec = rec.clone();
            std::thread::spawn(move || {
                for i in 0..1_000_000u32 {
                    let address = format!("t.r{t}_{i}");
                    let id = rec
                        .record_intent_blocking(NewIntent {
                            address: address.clone(),
                            action: IntentAction::Create,
                            resource_type: "t".into(),
                            provider: "p".into(),
                            detail: serde_json::Value::Null,
                        })
                        .expect("intent");
                    let seq = rec
                        .complete_blocking(id, Outcome::Upsert(record(&address, i.into())))
                        .expect("complete");
                    say(&format!("ACK {seq} {address}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("join");
    }
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
}

fn spawn_child(role: &str, dir: &Path) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    Command::new(exe)
        .args([
            "--exact",
            "process::child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE_ENV, role)
        .env(DIR_ENV, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child")
}

/// Next tagged line from a child, without the tag; `None` at end of output.
fn next_tagged(out: &mut BufReader<ChildStdout>) -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        // The harness may print "test ... " on the same line before our tag.
        if let Some(pos) = line.find("@@ ") {
            return Some(line[pos + 3..].trim_end().to_owned());
        }
    }
}

#[test]
fn two_processes_race_for_the_lock() {
    let p = Project::new();
    drop(p.open()); // create the database before the race
    let mut children: Vec<Child> = (0..2).map(|_| spawn_child("lock", &p.dir())).collect();
    let mut outs: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().expect("stdout")))
        .collect();
    for out in &mut outs {
        assert_eq!(next_tagged(out).as_deref(), Some("READY"));
    }
    for c in &mut children {
        c.stdin
            .as_mut()
            .expect("stdin")
            .write_all(b"go\n")
            .expect("go");
    }
    let results: Vec<String> = outs
        .iter_mut()
        .map(|o| next_tagged(o).expect("result"))
        .collect();
    let winners: Vec<&String> = results.iter().filter(|r| r.starts_with("WON ")).collect();
    let losers: Vec<&String> = results.iter().filter(|r| r.starts_with("LOST ")).collect();
    assert_eq!((winners.len(), losers.len()), (1, 1), "{results:?}");
    let winner_pid = winners[0].trim_start_matches("WON ");
    let me = nimbus_state::identity();
    assert!(
        losers[0].contains(&format!(
            "{}@{} pid {winner_pid} (apply since",
            me.user, me.host
        )),
        "loser's error names the holder: {}",
        losers[0]
    );
    for c in &mut children {
        drop(c.stdin.take()); // lets the winner release and exit
    }
    for mut c in children {
        assert!(c.wait().expect("wait").success());
    }
    assert!(p.open().current_lock("default").expect("lock").is_none());
}

#[test]
fn killed_writer_loses_no_acknowledged_change() {
    let p = Project::new();
    drop(p.open());
    let mut child = spawn_child("stream", &p.dir());
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut acked: Vec<(u64, String)> = Vec::new();
    let parse = |line: String| -> (u64, String) {
        let mut parts = line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("ACK"), "{line}");
        let seq = parts.next().and_then(|s| s.parse().ok()).expect("seq");
        (seq, parts.next().expect("address").to_owned())
    };
    while acked.len() < 400 {
        let line = next_tagged(&mut out).expect("child stopped early");
        acked.push(parse(line));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    // Acknowledgements already in the pipe were made before the kill.
    while let Some(line) = next_tagged(&mut out) {
        acked.push(parse(line));
    }

    let conn = rusqlite::Connection::open(p.dir().join(STATE_DB_FILE)).expect("raw");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(check, "ok");
    drop(conn);

    let store = p.open();
    let present: std::collections::HashSet<u64> = store
        .history("default", None, usize::MAX)
        .expect("history")
        .into_iter()
        .map(|e| e.seq)
        .collect();
    for (seq, address) in &acked {
        assert!(present.contains(seq), "acknowledged event {seq} lost");
        assert!(
            store.resource("default", address).expect("get").is_some(),
            "acknowledged resource {address} lost"
        );
    }
    // The interrupted run's in-flight intents are visible, never dropped.
    let open = store.open_intents("default").expect("intents");
    assert!(
        open.len() <= 4,
        "at most one in flight per thread: {}",
        open.len()
    );
    // The projection still equals a replay of the log.
    let before = store.resources("default").expect("list");
    store.rebuild("default").expect("rebuild");
    assert_eq!(store.resources("default").expect("list"), before);
}
