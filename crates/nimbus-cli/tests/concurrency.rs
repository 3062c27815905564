//! Two applies on one directory at once: exactly one runs; the other fails
//! at once, naming the holder (user@host pid, operation). Readers (`plan`,
//! `state list`) are never blocked. With `--lock-timeout` the second one
//! waits instead.

mod common;

use common::*;
use std::time::Duration;

/// Five creates of 300 ms, one at a time: the lock is held for 1.5 s.
const SLOW: (&str, &str) = ("NIMBUS_BUILTIN_CREATE_DELAY_MS", "300");

#[test]
fn second_apply_fails_fast_naming_the_holder() {
    let w = Workdir::init_fixture("concurrency/main.nim");
    let mut holder = w.spawn_captured(&["apply", "--auto-approve", "--parallelism", "1"], &[SLOW]);
    let holder_pid = holder.id();

    // Once an intent is recorded the holder is inside its apply, holding
    // the lock, with at least 4 slow creates to go.
    poll(
        "the first apply to start creating",
        Duration::from_secs(30),
        Duration::from_millis(10),
        || {
            let run = w.run(&["state", "intents"]);
            run.success();
            (!run.stdout.is_empty()).then_some(())
        },
    );

    let second = w.run(&["apply", "--auto-approve"]);
    second
        .failure()
        .no_panic()
        .stderr_has("cannot lock workspace `default`: state is locked by ")
        .stderr_has(&format!("{USER}@"))
        .stderr_has(&format!(" pid {holder_pid} (apply since "));
    assert!(
        second.elapsed < Duration::from_secs(5),
        "the refusal must be fast: {:?}",
        second.elapsed
    );

    // Other writers are refused the same way (checked only while the
    // holder provably still runs: these commands are harmless either way).
    for args in [
        &["refresh"][..],
        &["state", "rm", "null-resource.nothing"][..],
    ] {
        let run = w.run(args);
        if holder.try_wait().expect("try_wait").is_none() {
            run.failure()
                .stderr_has(&format!(" pid {holder_pid} (apply since "));
        }
    }
    // Readers go on.
    w.run(&["plan", "--no-color"]).success();
    w.run(&["state", "list"]).success();
    w.run(&["state", "history"]).success();

    // A writer willing to wait gets the lock when the holder is done.
    let waiter = w.spawn_captured(&["apply", "--auto-approve", "--lock-timeout", "60"], &[]);

    let out = wait_output(holder, Duration::from_secs(60), &["apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 created"));

    let out = wait_output(
        waiter,
        Duration::from_secs(60),
        &["apply", "--lock-timeout"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("No changes"));

    // Exactly one apply created anything.
    let creates = w.history_counts("resource.create");
    assert_eq!(creates.len(), 5);
    assert!(creates.values().all(|n| *n == 1), "{creates:?}");
    // The lock is free again.
    w.run(&["destroy", "--auto-approve"]).success();
}

#[test]
fn workspaces_lock_independently() {
    let w = Workdir::init_fixture("concurrency/main.nim");
    w.run(&["workspace", "new", "other"]).success();
    w.run(&["workspace", "select", "default"]).success();
    let mut holder = w.spawn(&["apply", "--auto-approve", "--parallelism", "1"], &[SLOW]);
    poll(
        "the first apply to start creating",
        Duration::from_secs(30),
        Duration::from_millis(10),
        || {
            let run = w.run(&["state", "intents"]);
            (!run.stdout.is_empty()).then_some(())
        },
    );
    // Another workspace of the same directory is not blocked.
    w.run_env(
        &["apply", "--auto-approve"],
        &[("NIMBUS_WORKSPACE", "other")],
    )
    .success()
    .stdout_has("5 created");
    assert_eq!(wait_exit(&mut holder, Duration::from_secs(60)), 0);
    assert_eq!(w.state_list().len(), 5);
}
