//! Bounded history with the real binary: applies that replace every
//! resource grow the event log; `state compact` folds it into a snapshot,
//! the state directory shrinks, and the state, its check and the next plan
//! are as before.

mod common;

use common::*;

/// Resources replaced by each apply.
const RESOURCES: usize = 200;

fn config() -> String {
    format!(
        r#"(define-variables (generation (type string)))
(resource terraform-data "r"
  (count {RESOURCES})
  (input (string-append "payload-" (var generation) "-" (to-string count-index)))
  (triggers-replace (var generation)))
(output "generation" (value (var generation)))
"#
    )
}

/// Bytes under `.nimbus/`, backups excluded (they are whole copies taken
/// at the first apply, and bounded in number).
fn state_dir_bytes(w: &Workdir) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(w.path().join(".nimbus")).expect(".nimbus") {
        let entry = entry.expect("entry");
        let meta = entry.metadata().expect("metadata");
        if meta.is_file() {
            total += meta.len();
        }
    }
    total
}

fn apply(w: &Workdir, generation: usize) {
    let var = format!("generation={generation}");
    w.run(&["apply", "--auto-approve", "--var", &var]).success();
}

#[test]
fn compaction_shrinks_the_state_and_keeps_it_whole() {
    let w = Workdir::init_with(&config());
    for generation in 0..4 {
        apply(&w, generation);
    }
    let listed = w.state_list();
    assert_eq!(listed.len(), RESOURCES);
    let before = state_dir_bytes(&w);

    // A dry run reports and writes nothing.
    let dry = w.run(&[
        "state",
        "compact",
        "--keep-runs",
        "1",
        "--dry-run",
        "--json",
    ]);
    dry.success();
    let report = dry.events_of("result");
    assert_eq!(report.len(), 1, "{}", dry.all_output());
    assert_eq!(report[0]["dry_run"], true);
    assert_eq!(report[0]["runs_removed"], 3);
    let history = w.run(&["state", "history", "--limit", "100000", "--json"]);
    history.success();
    let events_before = history.events_of("history").len();

    let run = w.run(&["state", "compact", "--keep-runs", "1", "--json"]);
    run.success();
    let report = run.events_of("result");
    let report = &report[0];
    assert_eq!(report["runs_removed"], 3);
    assert_eq!(report["runs_kept"], 1);
    // One snapshot event per resource and the output.
    assert_eq!(report["snapshot_events"], RESOURCES as u64 + 1);
    let removed = report["events_removed"].as_u64().expect("events removed");
    assert!(removed > 2 * RESOURCES as u64, "{report}");
    assert!(
        report["bytes_after"].as_u64() < report["bytes_before"].as_u64(),
        "{report}"
    );

    let after = state_dir_bytes(&w);
    assert!(
        after * 2 < before,
        ".nimbus/ shrank by less than half: {before} -> {after} bytes"
    );
    let history = w.run(&["state", "history", "--limit", "100000", "--json"]);
    history.success();
    assert_eq!(
        history.events_of("history").len() as u64,
        events_before as u64 - removed
    );
    w.run(&["state", "history", "--limit", "100000"])
        .success()
        .stdout_has("snapshot.resource")
        .stdout_has("was compacted on");

    // The state is what it was, agrees with its (compacted) log, and the
    // configuration plans no change.
    assert_eq!(w.state_list(), listed);
    w.run(&["state", "check"])
        .success()
        .stdout_has("The state is consistent.");
    w.run(&["plan", "--var", "generation=3", "--detailed-exitcode"])
        .code(0);
    w.run(&["state", "rebuild"]).success();
    assert_eq!(w.state_list(), listed);
    w.run(&["plan", "--var", "generation=3", "--detailed-exitcode"])
        .code(0);

    // Restoring before the boundary is refused; at the head it works.
    w.run(&["state", "restore", "--to-event", "1"])
        .failure()
        .stderr_has("was compacted");
}

#[test]
fn a_configured_retention_compacts_after_each_apply() {
    let w = Workdir::init_with(&config());
    w.run(&["state", "retention"])
        .success()
        .stdout_has("No history retention is set");
    w.run(&["state", "retention", "--keep-runs", "2"])
        .success()
        .stdout_has("keep the last 2 run(s)");
    for generation in 0..5 {
        apply(&w, generation);
    }
    let history = w.run(&["state", "history", "--limit", "100000", "--json"]);
    history.success();
    let events = history.events_of("history");
    // The two runs kept (a replacement records an intent and a result for
    // the delete and for the create of each object, and the output) plus
    // the snapshot (each object and the output).
    assert_eq!(events.len(), 2 * (4 * RESOURCES + 1) + RESOURCES + 1);
    assert!(
        events
            .iter()
            .any(|e| e["kind"].as_str() == Some("snapshot.resource"))
    );
    w.run(&["state", "check"]).success();
    w.run(&["plan", "--var", "generation=4", "--detailed-exitcode"])
        .code(0);
    w.run(&["state", "retention", "--off"])
        .success()
        .stdout_has("No history retention is set");
}

/// `state compact` killed (SIGKILL) at points spread over its run: each
/// time the state is whole (its check passes, it lists what it did, the
/// configuration plans no change), and the history either is compacted
/// or is as it was: a compaction is one transaction.
#[test]
fn a_compaction_killed_at_any_point_leaves_the_state_whole() {
    let w = Workdir::init_with(&config());
    for generation in 0..4 {
        apply(&w, generation);
    }
    let listed = w.state_list();
    let history_len = |w: &Workdir| {
        let run = w.run(&["state", "history", "--limit", "1000000", "--json"]);
        run.success();
        run.events_of("history").len()
    };
    let events_before = history_len(&w);
    let pristine = tempfile::tempdir().expect("a directory for the state's copy");
    copy_dir(&w.path().join(".nimbus"), pristine.path());

    // How long an uninterrupted compaction takes, to spread the kills.
    let started = std::time::Instant::now();
    w.run(&["state", "compact", "--keep-runs", "1"]).success();
    let whole = started.elapsed();
    let events_compacted = history_len(&w);
    assert!(events_compacted < events_before);

    let mut outcomes = std::collections::BTreeSet::new();
    for step in 0..8u32 {
        std::fs::remove_dir_all(w.path().join(".nimbus")).expect("remove the state");
        copy_dir(pristine.path(), &w.path().join(".nimbus"));
        let mut child = w.spawn(&["state", "compact", "--keep-runs", "1"], &[]);
        std::thread::sleep(whole * step / 8);
        let _ = child.kill();
        let status = child.wait().expect("reap the compaction");

        w.run(&["state", "check"])
            .success()
            .stdout_has("The state is consistent.");
        assert_eq!(w.state_list(), listed, "after a kill at step {step}");
        // A kill while it held the workspace's lock leaves the lock, whose
        // holder is gone: the next run takes it over when told to.
        w.run(&[
            "plan",
            "--var",
            "generation=3",
            "--detailed-exitcode",
            "--steal-stale-lock",
        ])
        .code(0);
        let events = history_len(&w);
        assert!(
            events == events_before || events == events_compacted,
            "step {step} ({status:?}): {events} events, neither {events_before} nor {events_compacted}"
        );
        outcomes.insert(events == events_compacted);
        // A compaction after the kill finishes the work.
        w.run(&["state", "compact", "--keep-runs", "1", "--steal-stale-lock"])
            .success();
        assert_eq!(history_len(&w), events_compacted);
    }
    // The early kills land before the transaction commits.
    assert!(
        outcomes.contains(&false),
        "no kill landed before the commit"
    );
}
