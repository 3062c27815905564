//! Faults a real machine or CI system produces: signals that cancel a run
//! (SIGTERM from CI runners, systemd and Kubernetes; SIGHUP from a closed
//! terminal) and a damaged or foreign state database.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

const FILES: usize = 2000;

/// The files `files.nim` made so far, as the addresses that record them.
fn files_on_disk(w: &Workdir) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(w.path().join("out")) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let index = name.strip_prefix('f')?.strip_suffix(".txt")?;
            Some(format!("local-file.f[{index}]"))
        })
        .collect()
}

fn send(child: &std::process::Child, signal: libc::c_int) {
    // SAFETY: signalling our own child, which has not been reaped yet.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill({}, {signal})", child.id());
}

/// SIGTERM or SIGHUP mid-apply of 2,000 local files behaves as the first
/// Ctrl-C: nothing new starts, what was in flight finishes and is recorded,
/// the lock is released and the command exits non-zero.
fn signal_mid_apply(signal: libc::c_int, name: &str) {
    let w = Workdir::init_fixture("signals/files.nim");
    let log = w.path().join("apply.log");
    let child = w
        .command(
            &["apply", "--auto-approve", "--parallelism", "10"],
            // 2,000 creates of 20 ms each, 10 at a time: 4 s at least.
            &[("NIMBUS_BUILTIN_CREATE_DELAY_MS", "20")],
        )
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nimbus");
    // The first file exists only once creates run (the handlers are
    // installed before the run takes its lock).
    poll(
        "the apply to create its first file",
        Duration::from_secs(120),
        Duration::from_millis(10),
        || (!files_on_disk(&w).is_empty()).then_some(()),
    );
    send(&child, signal);
    let output = wait_output(child, Duration::from_secs(120), &["apply", name]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = std::fs::read_to_string(&log).expect("read the log");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{name}: exit non-zero, not killed\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("interrupted ({name})")),
        "{stderr}"
    );

    // No open intent: everything started was finished and recorded.
    let intents = w.run(&["state", "intents", "--json"]);
    intents.success();
    assert_eq!(intents.events(), Vec::<serde_json::Value>::new());

    // Every file on disk is in state, and every recorded file exists.
    let recorded: BTreeSet<String> = w.state_list().into_iter().collect();
    let on_disk = files_on_disk(&w);
    assert_eq!(recorded, on_disk, "state and the files on disk differ");
    assert!(
        recorded.len() < FILES,
        "the apply finished before the signal; nothing was tested"
    );

    // The lock was released: a plan takes it at once (no waiting) and
    // plans exactly the files not made.
    let plan = w.run(&["plan", "--lock-timeout", "0", "--json"]);
    plan.success();
    let creates = planned_actions(&plan)
        .values()
        .filter(|a| *a == "create")
        .count();
    assert_eq!(creates, FILES - recorded.len());
}

#[test]
fn sigterm_mid_apply_finishes_in_flight_work_and_releases_the_lock() {
    signal_mid_apply(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sighup_mid_apply_finishes_in_flight_work_and_releases_the_lock() {
    signal_mid_apply(libc::SIGHUP, "SIGHUP");
}

/// A second signal, of any of the three kinds, stops at once as a second
/// Ctrl-C does (exit 128 + its number), leaving the creates in flight as
/// open intents for the next run to report.
#[test]
fn a_second_signal_stops_at_once() {
    let w = Workdir::init_fixture("signals/in_flight.nim");
    let log = w.path().join("stderr.log");
    let child = w
        .command(
            &["apply", "--auto-approve", "--parallelism", "4"],
            // Long enough that the in-flight creates are still sleeping
            // when the second signal arrives, however loaded the machine.
            &[("NIMBUS_BUILTIN_CREATE_DELAY_MS", "60000")],
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start nimbus");
    poll(
        "the four creates to be in flight",
        Duration::from_secs(120),
        Duration::from_millis(20),
        || {
            let run = w.run(&["state", "intents", "--json"]);
            run.success();
            (run.events().len() == 4).then_some(())
        },
    );
    send(&child, libc::SIGTERM);
    poll(
        "the first signal to be taken",
        Duration::from_secs(30),
        Duration::from_millis(10),
        || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("interrupted (SIGTERM)"))
        },
    );
    send(&child, libc::SIGHUP);
    let output = wait_output(child, Duration::from_secs(30), &["apply"]);
    let stderr = std::fs::read_to_string(&log).expect("read the log");
    assert_eq!(output.status.code(), Some(128 + libc::SIGHUP), "{stderr}");
    assert!(stderr.contains("stopped at once (SIGHUP)"), "{stderr}");
    let intents = w.run(&["state", "intents", "--json"]);
    intents.success();
    assert_eq!(intents.events().len(), 4, "{}", intents.stdout);
}

/// A signal while `args` (a plan, refresh or import of `reads.nim`, whose
/// reads are slowed down) still has reads to make: the command stops
/// reading, exits 1 instead of dying, and leaves the lock free.
fn signal_mid_read(args: &[&str], signal: libc::c_int, name: &str) -> (Workdir, String) {
    let w = Workdir::init_fixture("signals/reads.nim");
    w.run(&["apply", "--auto-approve"]).success();
    let log = w.path().join("read.log");
    let mut command_line = args.to_vec();
    command_line.extend(["--json", "--parallelism", "2"]);
    let child = w
        .command(
            &command_line,
            // 40 reads of 300 ms each, 2 at a time: 6 s at least.
            &[("NIMBUS_BUILTIN_READ_DELAY_MS", "300")],
        )
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nimbus");
    poll(
        "the first read to start",
        Duration::from_secs(120),
        Duration::from_millis(10),
        || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("\"refresh_started\""))
        },
    );
    send(&child, signal);
    let output = wait_output(child, Duration::from_secs(60), args);
    let stdout = std::fs::read_to_string(&log).expect("read the log");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?} {name}: exit 1, not killed\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("interrupted ({name})")),
        "{stdout}"
    );
    let read = stdout.matches("\"refresh_finished\"").count();
    assert!(read < 40, "every read finished before the signal: {stdout}");

    // No open intent, and the lock is free: a command that takes it
    // succeeds at once.
    let intents = w.run(&["state", "intents", "--json"]);
    intents.success();
    assert_eq!(intents.events(), Vec::<serde_json::Value>::new());
    w.run(&["refresh", "--lock-timeout", "0"]).success();
    (w, stdout)
}

#[test]
fn sigterm_mid_refresh_stops_reading_and_releases_the_lock() {
    let (w, stdout) = signal_mid_read(&["refresh"], libc::SIGTERM, "SIGTERM");
    assert!(stdout.contains("nothing was recorded"), "{stdout}");
    // The refresh recorded no run: the history holds the apply and the
    // refresh that followed the signal.
    let history = w.run(&["state", "history", "--json"]);
    history.success();
    assert!(
        !history.stdout.contains("interrupted"),
        "{}",
        history.stdout
    );
}

#[test]
fn sighup_mid_plan_shows_and_saves_nothing() {
    let (w, stdout) = signal_mid_read(&["plan", "--out", "saved.plan"], libc::SIGHUP, "SIGHUP");
    assert!(stdout.contains("nothing is shown or saved"), "{stdout}");
    assert!(!stdout.contains("\"plan_summary\""), "{stdout}");
    assert!(!w.path().join("saved.plan").exists());
}

#[test]
fn sigint_mid_drift_reports_nothing() {
    let (_w, stdout) = signal_mid_read(&["drift"], libc::SIGINT, "SIGINT");
    assert!(stdout.contains("nothing is shown or saved"), "{stdout}");
    assert!(!stdout.contains("\"drifted\""), "{stdout}");
}

/// A command waiting for the lock (`--lock-timeout`) stops waiting at the
/// first signal: it exits 1 naming the holder, having changed nothing.
#[test]
fn a_signal_ends_a_wait_for_the_lock() {
    let w = Workdir::init_fixture("signals/reads.nim");
    w.run(&["apply", "--auto-approve"]).success();
    let log = w.path().join("holder.log");
    let holder = w
        .command(
            &["refresh", "--json", "--parallelism", "1"],
            // 40 reads of 300 ms, one at a time: 12 s holding the lock.
            &[("NIMBUS_BUILTIN_READ_DELAY_MS", "300")],
        )
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start the refresh");
    poll(
        "the refresh to hold the lock",
        Duration::from_secs(120),
        Duration::from_millis(10),
        || {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|s| s.contains("\"refresh_started\""))
        },
    );
    let waiter = w
        .command(&["taint", "local-file.f[0]", "--lock-timeout", "600"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start taint");
    // Long enough for taint to be waiting (its first attempt failed), far
    // shorter than the refresh.
    std::thread::sleep(Duration::from_millis(1000));
    send(&waiter, libc::SIGTERM);
    let started = std::time::Instant::now();
    let taint = wait_output(waiter, Duration::from_secs(60), &["taint"]);
    let stderr = String::from_utf8_lossy(&taint.stderr);
    assert_eq!(taint.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted (SIGTERM)"), "{stderr}");
    assert!(stderr.contains("cannot lock workspace"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    send(&holder, libc::SIGTERM);
    let refresh = wait_output(holder, Duration::from_secs(60), &["refresh"]);
    assert_eq!(refresh.status.code(), Some(1));
    // Nothing was tainted: untaint finds it as it was, taking the lock at once.
    let untaint = w.run(&["untaint", "local-file.f[0]", "--lock-timeout", "0"]);
    untaint.success();
    assert!(
        untaint.stdout.contains("was not tainted"),
        "{}",
        untaint.stdout
    );
}

// ------------------------------------------------------------ damaged state

const DB: &str = ".nimbus/state.db";

/// A directory whose state records 300 files, and the state file's bytes.
/// (The process that wrote it has exited: its log is checkpointed into the
/// file and removed.)
fn applied_state() -> (Workdir, Vec<u8>) {
    let w = Workdir::init_fixture("state_damage/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    assert!(
        !w.exists(".nimbus/state.db-wal"),
        "the log was checkpointed into the file"
    );
    let bytes = std::fs::read(w.path().join(DB)).expect("read the state");
    (w, bytes)
}

/// The only automatic backup, as the CLI names it.
fn the_backup(w: &Workdir) -> String {
    let names: Vec<String> = std::fs::read_dir(w.path().join(".nimbus/backups"))
        .expect("backups")
        .map(|e| e.expect("entry").file_name().into_string().expect("name"))
        .filter(|n| n.starts_with("state-"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    format!(".nimbus/backups/{}", names[0])
}

/// The ways a state file gets damaged: bytes overwritten in the middle
/// (a bad sector, a stray write), another file written over it, a copy
/// cut short, a file emptied.
fn damaged_shapes(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut scribbled = good.to_vec();
    let middle = good.len() / 2;
    scribbled[middle - 32 * 1024..middle + 32 * 1024].fill(0xa5);
    vec![
        ("overwritten in the middle", scribbled),
        (
            "not SQLite",
            b"#!/bin/sh\necho this is not a state database\n".to_vec(),
        ),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("emptied", Vec::new()),
    ]
}

/// Commands that read or change the state, and one with `--json`.
const COMMANDS: &[&[&str]] = &[
    &["state", "list"],
    &["state", "show", "local-file.f[0]"],
    &["state", "history"],
    &["state", "intents"],
    &["state", "check"],
    &["output"],
    &["workspace", "list"],
    &["plan"],
    &["apply", "--auto-approve"],
    &["destroy", "--auto-approve"],
    &["state", "rebuild"],
];

/// On each damaged shape every command fails in one sentence that says
/// the database is damaged and names the command and the backup that
/// restore it; nothing panics. Then `state restore --latest` restores it,
/// keeping the damaged file aside.
#[test]
fn a_damaged_state_is_named_with_the_backup_that_restores_it() {
    let (w, good) = applied_state();
    let backup = the_backup(&w);
    for (shape, bytes) in damaged_shapes(&good) {
        std::fs::write(w.path().join(DB), &bytes).expect("damage the state");
        for args in COMMANDS {
            let run = w.run(args);
            run.code(1).no_panic();
            let errors: Vec<&str> = run
                .stderr
                .lines()
                .filter(|l| l.starts_with("error:"))
                .collect();
            assert_eq!(errors.len(), 1, "{shape}: {args:?}\n{}", run.stderr);
            let error = errors[0];
            assert!(
                error.starts_with("error: the state database .nimbus/state.db is damaged ("),
                "{shape}: {args:?}: {error}"
            );
            assert!(
                error.ends_with(&format!(
                    "); restore the latest backup with `nimbus state restore --latest` ({backup})"
                )),
                "{shape}: {args:?}: {error}"
            );
        }
        let json = w.run(&["state", "list", "--json"]);
        json.code(1);
        let diagnostics = json.events_of("diagnostic");
        assert_eq!(diagnostics.len(), 1, "{shape}: {}", json.stdout);
        assert!(
            diagnostics[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("nimbus state restore --latest")),
            "{shape}: {}",
            json.stdout
        );
        // Nothing wrote over the damaged file meanwhile.
        assert_eq!(
            std::fs::read(w.path().join(DB)).expect("read"),
            bytes,
            "{shape}"
        );

        let restored = w.run(&["state", "restore", "--latest"]);
        restored
            .success()
            .stdout_has(&format!("Restored the state from {backup}; the damaged database was moved to .nimbus/backups/damaged-"));
        let aside = restored
            .stdout
            .split("moved to ")
            .nth(1)
            .and_then(|s| s.trim().strip_suffix('.'))
            .expect("the damaged copy's path");
        assert_eq!(w.read_bytes(aside), bytes, "{shape}: kept aside as it was");
        w.run(&["state", "check"]).success();
        // The backup was taken as the first apply began: a plan works, and
        // plans every file again.
        let plan = w.run(&["plan", "--json"]);
        plan.success();
        assert_eq!(planned_actions(&plan).len(), 300, "{shape}");
    }
}

/// With no backup to restore from, the sentence says so.
#[test]
fn a_damaged_state_without_a_backup_says_there_is_none() {
    let (w, good) = applied_state();
    std::fs::remove_dir_all(w.path().join(".nimbus/backups")).expect("remove backups");
    std::fs::write(w.path().join(DB), &good[..good.len() / 2]).expect("truncate");
    w.run(&["state", "list"])
        .code(1)
        .stderr_has("error: the state database .nimbus/state.db is damaged (")
        .stderr_has("there is no sound backup in .nimbus/backups to restore it from");
    w.run(&["state", "restore", "--latest"])
        .code(1)
        .stderr_has("there is no sound backup in .nimbus/backups to restore from");
}

/// A state written by a newer Nimbus is refused by every command, both
/// versions named, and left exactly as it was.
#[test]
fn a_newer_state_is_refused_naming_both_versions() {
    let (w, _) = applied_state();
    let newer = nimbus_state::SCHEMA_VERSION + 1;
    let conn = rusqlite::Connection::open(w.path().join(DB)).expect("open");
    conn.pragma_update(None, "user_version", newer)
        .expect("set the version");
    drop(conn);
    let before = std::fs::read(w.path().join(DB)).expect("read");
    let mut commands = COMMANDS.to_vec();
    commands.push(&["state", "restore", "--latest"]);
    for args in commands {
        w.run(args).code(1).no_panic().stderr_has(&format!(
            "the state database was written by a newer nimbus (schema version {newer}; this nimbus reads versions up to {}): upgrade nimbus to use it; nothing was read or changed",
            nimbus_state::SCHEMA_VERSION
        ));
    }
    assert_eq!(
        std::fs::read(w.path().join(DB)).expect("read"),
        before,
        "the newer state was changed"
    );
}

/// `state check` on a sound state exits 0; on a state whose current
/// records were edited behind the event log's back it names each
/// difference and exits 1, and `state rebuild` repairs it.
#[test]
fn state_check_compares_the_state_with_its_event_log() {
    let (w, _) = applied_state();
    w.run(&["state", "check"])
        .success()
        .stdout_has("Integrity: ok")
        .stdout_has("300 resources: the state matches its event log.")
        .stdout_has("The state is consistent.");

    let conn = rusqlite::Connection::open(w.path().join(DB)).expect("open");
    conn.execute_batch(
        // No JSON functions: the shipped SQLite is built without them.
        "UPDATE resources SET attributes = replace(attributes, '\"content\":', '\"content\":\"forged\",\"was\":')
             WHERE address = 'local-file.f[7]';
         DELETE FROM resources WHERE address = 'local-file.f[8]';
         UPDATE outputs SET value = '\"elsewhere\"' WHERE name = 'first';",
    )
    .expect("tamper with the state");
    drop(conn);
    let run = w.run(&["state", "check"]);
    run.code(1)
        .stdout_has("Workspace `default`: ")
        .stdout_has("3 differences from its event log:")
        .stdout_has("  resource local-file.f[7] differs from the event log in attributes")
        .stdout_has("  resource local-file.f[8] is in the event log, but not recorded")
        .stdout_has("  output first differs from the event log")
        .stderr_has("`nimbus state rebuild`");
    let json = w.run(&["state", "check", "--json"]);
    json.code(1);
    let result = &json.events_of("result")[0];
    assert_eq!(result["consistent"], false);
    assert_eq!(
        result["workspaces"][0]["findings"].as_array().map(Vec::len),
        Some(3)
    );

    w.run(&["state", "rebuild"]).success();
    w.run(&["state", "check"]).success();
    let json = w.run(&["state", "check", "--json"]);
    json.success();
    assert_eq!(json.events_of("result")[0]["consistent"], true);
}
