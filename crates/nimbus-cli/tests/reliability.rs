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
