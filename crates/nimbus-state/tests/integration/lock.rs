//! Workspace locking within one process (the cross-process race is in `process`).

use std::time::{Duration, Instant};

use nimbus_state::{LockRequest, STATE_DB_FILE, StateError, identity};

use crate::Project;

#[test]
fn second_locker_is_refused_with_the_holder_named() {
    let p = Project::new();
    let a = p.open();
    let b = p.open();
    let guard = a
        .lock("default", LockRequest::new("run-a", "apply"))
        .expect("lock");
    assert_eq!(
        a.current_lock("default").expect("current").as_ref(),
        Some(guard.info())
    );
    let err = b
        .lock("default", LockRequest::new("run-b", "destroy"))
        .expect_err("held");
    let StateError::Locked { holder } = &err else {
        panic!("expected Locked, got {err}");
    };
    assert_eq!(holder.run_id, "run-a");
    let me = identity();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}@{} pid {}", me.user, me.host, me.pid)),
        "{msg}"
    );
    assert!(msg.contains("apply since"), "{msg}");
    drop(guard);
    assert!(a.current_lock("default").expect("current").is_none());
    let g = b
        .lock("default", LockRequest::new("run-b", "destroy"))
        .expect("free now");
    g.release().expect("release");
}

#[test]
fn waiting_with_a_timeout() {
    let p = Project::new();
    let a = p.open();
    let b = p.open();
    let guard = a
        .lock("default", LockRequest::new("a", "apply"))
        .expect("lock");
    let start = Instant::now();
    let mut req = LockRequest::new("b", "apply");
    req.timeout = Duration::from_millis(150);
    assert!(matches!(
        b.lock("default", req.clone()),
        Err(StateError::Locked { .. })
    ));
    assert!(start.elapsed() >= Duration::from_millis(150));

    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(guard);
    });
    req.timeout = Duration::from_secs(5);
    let g = b.lock("default", req).expect("acquired after release");
    assert_eq!(g.info().run_id, "b");
    releaser.join().expect("join");
}

#[test]
fn locks_are_per_workspace() {
    let p = Project::new();
    let s = p.open();
    s.create_workspace("other").expect("ws");
    let _a = s
        .lock("default", LockRequest::new("a", "apply"))
        .expect("lock default");
    let _b = s
        .lock("other", LockRequest::new("b", "apply"))
        .expect("lock other");
    assert!(matches!(
        s.lock("nope", LockRequest::new("c", "apply")),
        Err(StateError::WorkspaceNotFound(_))
    ));
}

/// A pid that is certainly not running: a child that has exited and been reaped.
pub fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

fn plant_lock(p: &Project, host: &str, pid: u32) {
    let conn = rusqlite::Connection::open(p.dir().join(STATE_DB_FILE)).expect("raw");
    conn.execute(
        "INSERT INTO locks (workspace, id, run_id, user, host, pid, operation, started_at)
         VALUES ('default', 'dead-lock', 'old-run', 'ghost', ?1, ?2, 'apply', '2020-01-01T00:00:00Z')",
        rusqlite::params![host, pid],
    )
    .expect("plant");
}

#[test]
fn stale_lock_is_detected_and_stolen_on_request() {
    let p = Project::new();
    let store = p.open();
    plant_lock(&p, &identity().host, dead_pid());

    let err = store
        .lock("default", LockRequest::new("new-run", "apply"))
        .expect_err("stale");
    let StateError::StaleLock { holder } = &err else {
        panic!("expected StaleLock, got {err}");
    };
    assert_eq!(holder.id, "dead-lock");
    assert!(err.to_string().contains("no longer running"), "{err}");

    let mut req = LockRequest::new("new-run", "apply");
    req.steal_stale = true;
    let guard = store.lock("default", req).expect("stolen");
    assert_eq!(guard.info().pid, std::process::id());
    assert_eq!(
        store
            .current_lock("default")
            .expect("current")
            .expect("held")
            .run_id,
        "new-run"
    );
}

#[test]
fn lock_of_another_host_is_never_considered_stale() {
    let p = Project::new();
    let store = p.open();
    plant_lock(&p, "some-other-host.invalid", dead_pid());
    let mut req = LockRequest::new("r", "apply");
    req.steal_stale = true;
    assert!(matches!(
        store.lock("default", req),
        Err(StateError::Locked { .. })
    ));
}

#[test]
fn force_unlock_needs_the_right_id() {
    let p = Project::new();
    let store = p.open();
    let guard = store
        .lock("default", LockRequest::new("r", "apply"))
        .expect("lock");
    let id = guard.info().id.clone();
    std::mem::forget(guard); // simulate a holder that never releases
    assert!(matches!(
        store.force_unlock("default", "wrong"),
        Err(StateError::LockNotFound { .. })
    ));
    store.force_unlock("default", &id).expect("unlock");
    assert!(store.current_lock("default").expect("current").is_none());
}
