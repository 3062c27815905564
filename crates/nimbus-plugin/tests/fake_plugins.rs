//! Plugins that misbehave before serving, played by tiny shell scripts:
//! each must give a clear error quickly, and leave no process behind.

#![cfg(unix)]

use nimbus_plugin::{PluginError, PluginOptions, PluginProvider};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\necho $$ > \"$0.pid\"\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn pid_of(script: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(format!("{}.pid", script.display())).ok()?;
    text.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Starts `body` as a plugin; returns the error and how long it took.
fn start(dir: &Path, name: &str, body: &str) -> (PluginError, Duration, PathBuf) {
    let path = script(dir, name, body);
    let mut options = PluginOptions::new(&path, format!("example/{name}"));
    options.handshake_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let result = PluginProvider::launch(options);
    let elapsed = started.elapsed();
    match result {
        Ok(_) => panic!("{name} should not start"),
        Err(e) => (e, elapsed, path),
    }
}

fn assert_gone(path: &Path) {
    if let Some(pid) = pid_of(path) {
        assert!(
            !alive(pid),
            "process {pid} of {} is still running",
            path.display()
        );
    }
}

#[test]
fn a_plugin_that_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (e, took, path) = start(
        dir.path(),
        "exits",
        "echo 'fatal: cannot load libfoo.so' >&2\nexit 3",
    );
    let text = e.to_string();
    assert!(matches!(e, PluginError::Start(_)), "{e:?}");
    assert!(text.contains("exited with status 3"), "{text}");
    assert!(
        text.contains("before completing the plugin handshake"),
        "{text}"
    );
    assert!(
        text.contains("cannot load libfoo.so"),
        "stderr is shown: {text}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_gone(&path);
}

#[test]
fn a_plugin_that_prints_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let (e, took, path) = start(
        dir.path(),
        "garbage",
        "echo \"cookie=$TF_PLUGIN_MAGIC_COOKIE versions=$PLUGIN_PROTOCOL_VERSIONS ports=$PLUGIN_MIN_PORT-$PLUGIN_MAX_PORT\"\nexec sleep 30",
    );
    let text = e.to_string();
    assert!(matches!(e, PluginError::Handshake(_)), "{e:?}");
    assert!(
        text.contains("did not answer with a plugin handshake"),
        "{text}"
    );
    // What it printed is quoted, which also shows the environment it got.
    assert!(
        text.contains("cookie=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"),
        "{text}"
    );
    assert!(text.contains("versions=5,6 ports=10000-25000"), "{text}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_gone(&path);
}

#[test]
fn a_plugin_that_speaks_net_rpc() {
    let dir = tempfile::tempdir().unwrap();
    let (e, took, path) = start(
        dir.path(),
        "netrpc",
        "echo '1|4|unix|/tmp/nimbus-no-such-socket|netrpc|'\nexec sleep 30",
    );
    let text = e.to_string();
    assert!(text.contains("\"netrpc\""), "{text}");
    assert!(
        text.contains("only talks gRPC plugins of protocol 5 or 6"),
        "{text}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_gone(&path);
}

#[test]
fn a_plugin_of_an_unsupported_protocol_version() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _, path) = start(
        dir.path(),
        "v7",
        "echo '1|7|unix|/tmp/nimbus-no-such-socket|grpc|'\nexec sleep 30",
    );
    assert!(
        e.to_string()
            .contains("protocol 7; Nimbus supports protocols 5 and 6"),
        "{e}"
    );
    assert_gone(&path);
}

#[test]
fn a_plugin_that_never_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (e, took, path) = start(dir.path(), "silent", "exec sleep 30");
    let text = e.to_string();
    assert!(
        text.contains("did not complete the plugin handshake within 2s"),
        "{text}"
    );
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert_gone(&path);
}

#[test]
fn a_plugin_whose_socket_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("missing.sock");
    let body = format!("echo '1|5|unix|{}|grpc|'\nexec sleep 30", socket.display());
    let (e, took, path) = start(dir.path(), "nosocket", &body);
    let text = e.to_string();
    assert!(text.contains("cannot connect to the plugin"), "{text}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert_gone(&path);
}

#[test]
fn a_missing_binary() {
    let e = match PluginProvider::launch(PluginOptions::new(
        "/nonexistent/terraform-provider-x",
        "example/x",
    )) {
        Ok(_) => panic!("should not start"),
        Err(e) => e,
    };
    assert!(
        e.to_string()
            .contains("no plugin binary at /nonexistent/terraform-provider-x"),
        "{e}"
    );
}

#[tokio::test]
async fn failures_inside_a_runtime_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "exits", "exit 1");
    let e = match PluginProvider::launch_async(PluginOptions::new(&path, "example/exits")).await {
        Ok(_) => panic!("should not start"),
        Err(e) => e,
    };
    assert!(e.to_string().contains("exited with status 1"), "{e}");
    // The synchronous launch also works from inside a runtime.
    let e = match PluginProvider::launch(PluginOptions::new(&path, "example/exits")) {
        Ok(_) => panic!("should not start"),
        Err(e) => e,
    };
    assert!(e.to_string().contains("exited with status 1"), "{e}");
}

/// Whether `pid` still runs: gone, or a zombie waiting to be reaped by
/// whoever inherited it, both count as dead.
#[cfg(target_os = "linux")]
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// A Nimbus killed with SIGKILL (or aborting) takes its plugins with it,
/// though they run in their own process group. The killed process is this
/// test binary started again in the role of the parent (`PARENT_ROLE`).
#[test]
#[cfg(target_os = "linux")]
fn a_plugin_does_not_outlive_a_killed_nimbus() {
    const PARENT_ROLE: &str = "NIMBUS_TEST_PLUGIN_PARENT_DIR";
    if let Some(dir) = std::env::var_os(PARENT_ROLE) {
        // The parent: start a plugin that never completes its handshake,
        // and wait for it until killed.
        let path = script(Path::new(&dir), "waits", "exec sleep 60");
        let mut options = PluginOptions::new(&path, "example/waits");
        options.handshake_timeout = Duration::from_secs(60);
        let _ = PluginProvider::launch(options);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut parent = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_plugin_does_not_outlive_a_killed_nimbus"])
        .env(PARENT_ROLE, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = dir.path().join("waits");
    let deadline = Instant::now() + Duration::from_secs(30);
    let plugin = loop {
        if let Some(pid) = pid_of(&pid_file) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the plugin never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(running(plugin));
    parent.kill().unwrap();
    parent.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(plugin) {
        assert!(
            Instant::now() < deadline,
            "plugin {plugin} still runs after its parent was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
