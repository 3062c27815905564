//! Shared helpers of the end-to-end tests: a temporary working directory,
//! the real `nimbus` binary run in it with a clean environment, JSON
//! parsing, polling with timeouts, and insta settings that redact what
//! changes from run to run (ids, timestamps, durations, paths).
//!
//! Fixtures live in `tests/e2e/<scenario>/`.

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The user name the binary sees (lock holders are `USER@host`).
pub const USER: &str = "nimbus-test";

/// The `nimbus` binary built for these tests.
pub fn nimbus_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nimbus"))
}

/// `tests/e2e/<rel>`.
pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e")
        .join(rel)
}

pub fn fixture(rel: &str) -> String {
    let path = fixture_path(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "nimbus {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    /// Asserts the exit code; on failure shows the whole run.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Run {
        self.code(0)
    }

    #[track_caller]
    pub fn failure(&self) -> &Run {
        self.code(1)
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn no_panic(&self) -> &Run {
        for text in [&self.stdout, &self.stderr] {
            assert!(
                !text.contains("panicked"),
                "the binary panicked\n{}",
                self.describe()
            );
            assert!(
                !text.contains("RUST_BACKTRACE"),
                "the binary panicked\n{}",
                self.describe()
            );
        }
        self
    }

    /// Every stdout line as a JSON event: each must parse, be an object,
    /// carry `"v": 1`, a string `type`, and Terraform's `@level`,
    /// `@message` and `@timestamp`; the first is the `version` event that
    /// opens every stream. With `--json` nothing goes to stderr either.
    /// Returns the events after the `version` one, without the `@` fields
    /// (a timestamp differs in every run), so tests compare what the
    /// events say.
    #[track_caller]
    pub fn events(&self) -> Vec<Json> {
        assert!(
            self.stderr.is_empty(),
            "--json run wrote to stderr\n{}",
            self.describe()
        );
        let mut events: Vec<Json> = self
            .stdout
            .lines()
            .map(|line| {
                let event: Json = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\n{}", self.describe()));
                assert_eq!(
                    event["v"],
                    1,
                    "event without \"v\":1: {line}\n{}",
                    self.describe()
                );
                assert!(
                    event["type"].is_string(),
                    "event without a type: {line}\n{}",
                    self.describe()
                );
                for field in ["@level", "@message", "@timestamp"] {
                    assert!(
                        event[field].is_string(),
                        "event without {field}: {line}\n{}",
                        self.describe()
                    );
                }
                event
            })
            .collect();
        assert!(
            events.first().is_some_and(|e| e["type"] == "version"),
            "the stream does not start with a version event\n{}",
            self.describe()
        );
        events.remove(0);
        for event in &mut events {
            if let Some(map) = event.as_object_mut() {
                map.retain(|k, _| !k.starts_with('@'));
            }
        }
        events
    }

    /// Events of one type.
    #[track_caller]
    pub fn events_of(&self, kind: &str) -> Vec<Json> {
        self.events()
            .into_iter()
            .filter(|e| e["type"] == kind)
            .collect()
    }

    /// stdout and stderr together, for "appears nowhere" checks.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A temporary working directory with a configuration in it.
pub struct Workdir {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workdir {
    /// An empty directory.
    pub fn empty() -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix("nimbus-e2e-")
            .tempdir()
            .expect("temporary directory");
        Workdir {
            dir,
            env: Vec::new(),
        }
    }

    /// A directory whose `main.nim` is the fixture `tests/e2e/<rel>`.
    pub fn with_fixture(rel: &str) -> Workdir {
        let w = Workdir::empty();
        w.use_fixture(rel);
        w
    }

    /// A directory with `main.nim` = `text`, initialized (`nimbus init`).
    pub fn init_with(text: &str) -> Workdir {
        let w = Workdir::empty();
        w.write("main.nim", text);
        w.run(&["init"]).success();
        w
    }

    /// `Workdir::with_fixture` then `nimbus init`.
    pub fn init_fixture(rel: &str) -> Workdir {
        Workdir::init_with(&fixture(rel))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Sets an environment variable for every later run.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    pub fn remove_env(&mut self, name: &str) {
        self.env.retain(|(k, _)| k != name);
    }

    /// Replaces `main.nim` with the fixture `tests/e2e/<rel>`.
    pub fn use_fixture(&self, rel: &str) {
        self.write("main.nim", &fixture(rel));
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.path().join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        let path = self.path().join(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path().join(rel).exists()
    }

    /// The binary, in this directory, with an environment of only what
    /// the tests set (no `NIMBUS_*` or `NO_COLOR` from the developer's
    /// shell, no terminal).
    pub fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(nimbus_bin());
        cmd.current_dir(self.path())
            .env_clear()
            .env("USER", USER)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(args)
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to completion (through `assert_cmd`, killed after 60 s) and
    /// captures the output.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_fed(args, env, "")
    }

    /// [`Workdir::run`] with `input` on standard input.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        self.run_fed(args, &[], input)
    }

    fn run_fed(&self, args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
        let started = Instant::now();
        let output = assert_cmd::Command::from_std(self.command(args, env))
            .write_stdin(input.to_string())
            .timeout(Duration::from_secs(60))
            .output()
            .expect("run nimbus");
        let code = output.status.code().unwrap_or_else(|| {
            panic!(
                "nimbus {} was killed or timed out ({:?})",
                args.join(" "),
                output.status
            )
        });
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Starts the binary in the background, output discarded (a plan of
    /// hundreds of resources would fill an unread pipe and stall it).
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        self.command(args, env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nimbus")
    }

    /// Starts the binary in the background with output captured, for
    /// [`wait_output`].
    pub fn spawn_captured(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        self.command(args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nimbus")
    }

    /// `nimbus state list`: the addresses in state.
    pub fn state_list(&self) -> Vec<String> {
        let run = self.run(&["state", "list"]);
        run.success();
        run.stdout.lines().map(str::to_string).collect()
    }

    /// `nimbus state history --json` (whole history, oldest first).
    pub fn history(&self) -> Vec<Json> {
        let run = self.run(&["state", "history", "--json", "--limit", "1000000"]);
        run.success();
        let mut events = run.events();
        events.reverse();
        events
    }

    /// How many events of `kind` each address has in the history.
    pub fn history_counts(&self, kind: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for e in self.history().iter().filter(|e| e["kind"] == kind) {
            let address = e["address"].as_str().unwrap_or("-").to_string();
            *counts.entry(address).or_insert(0) += 1;
        }
        counts
    }

    /// One attribute of a resource in state (`state show --json`).
    pub fn attribute(&self, address: &str, name: &str) -> Json {
        let run = self.run(&["state", "show", address, "--json", "--show-sensitive"]);
        run.success();
        run.events()[0]["attributes"][name].clone()
    }
}

/// Waits for a child started with piped output, killing it after `limit`.
pub fn wait_output(child: Child, limit: Duration, what: &[&str]) -> std::process::Output {
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => {
            let _ = waiter.join();
            output.expect("wait for nimbus")
        }
        Err(_) => {
            // SAFETY: signalling our own child by its pid; it has not been
            // reaped (the waiter thread is still blocked on it).
            unsafe {
                libc::kill(id as libc::pid_t, libc::SIGKILL);
            }
            panic!("nimbus {} did not finish within {limit:?}", what.join(" "));
        }
    }
}

/// Calls `check` every `every` until it returns `Some`, or panics after
/// `limit` saying what was awaited.
#[track_caller]
pub fn poll<T>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(every);
    }
}

/// Waits for a child process to exit, at most `limit`.
#[track_caller]
pub fn wait_exit(child: &mut Child, limit: Duration) -> i32 {
    let status = poll(
        "the process to exit",
        limit,
        Duration::from_millis(20),
        || child.try_wait().expect("try_wait"),
    );
    status.code().unwrap_or(-1)
}

/// Insta settings for rendered output: redacts what differs between runs
/// and keeps snapshots next to the tests.
pub fn insta_settings(workdir: Option<&Workdir>) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    if let Some(w) = workdir {
        let path = w.path().display().to_string();
        settings.add_filter(&regex_escape(&path), "[dir]");
    }
    // UUIDs (terraform-data ids, run ids, lock ids).
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[uuid]",
    );
    // RFC 3339 timestamps.
    settings.add_filter(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
        "[time]",
    );
    // Random decimal ids (null-resource) and random-id encodings.
    settings.add_filter(r#"(id\s+= )"\d+""#, r#"$1"[random]""#);
    settings.add_filter(
        r#"((?:hex|dec|b64-url|b64-std)\s+= )"[^"]*""#,
        r#"$1"[random]""#,
    );
    // Durations of operations.
    settings.add_filter(r"\(\d+\.\ds\)", "([elapsed])");
    settings.add_filter(r#""elapsed_ms":\d+"#, r#""elapsed_ms":"[elapsed]""#);
    // Process ids and host names in lock messages.
    settings.add_filter(r"@[^ ]+ pid \d+", "@[host] pid [pid]");
    settings
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Transcript of a run for a snapshot: exit code, stdout, stderr.
pub fn transcript(run: &Run) -> String {
    format!(
        "$ nimbus {}\nexit code: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        run.args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    )
}

/// `planned_change` events of a `plan --json` run: address to action.
#[track_caller]
pub fn planned_actions(run: &Run) -> BTreeMap<String, String> {
    run.events_of("planned_change")
        .into_iter()
        .map(|e| {
            (
                e["address"].as_str().expect("address").to_string(),
                e["action"].as_str().expect("action").to_string(),
            )
        })
        .collect()
}

/// `BTreeMap` from pairs, for comparing with [`planned_actions`].
pub fn actions(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Terraform 1.0.3's install directory (`bench/install-terraform.sh`, named
/// by `NIMBUS_TEST_TERRAFORM`) (with `bin/terraform` and `terraformrc`)
/// and the plugin mirror (`NIMBUS_TEST_PLUGIN_MIRROR`), when both are
/// there. Without them a test is skipped with a notice, except under
/// `CI=true`, where that is a failure.
#[allow(clippy::print_stderr)] // says what it skips
pub fn peers() -> Option<(PathBuf, PathBuf)> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let dir = |name: &str| {
        std::env::var_os(name)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    };
    let terraform = dir("NIMBUS_TEST_TERRAFORM").filter(|d| d.join("bin/terraform").is_file());
    let mirror = dir("NIMBUS_TEST_PLUGIN_MIRROR");
    match (terraform, mirror) {
        (Some(terraform), Some(mirror)) => Some((terraform, mirror)),
        _ => {
            let hint = "Terraform or the plugin mirror is missing (export NIMBUS_TEST_TERRAFORM=\"$(bench/install-terraform.sh target/terraform)\" and NIMBUS_TEST_PLUGIN_MIRROR=\"$(scripts/install-null-provider)\")";
            assert!(!ci, "{hint}");
            eprintln!("notice: skipping: {hint}");
            None
        }
    }
}

/// Runs Terraform in `project`; returns its standard output.
pub fn terraform(install: &Path, project: &Path, args: &[&str], expected_code: i32) -> String {
    let output = Command::new(install.join("bin/terraform"))
        .args(args)
        .current_dir(project)
        .env("TF_CLI_CONFIG_FILE", install.join("terraformrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .expect("run terraform");
    assert_eq!(
        output.status.code(),
        Some(expected_code),
        "terraform {}:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `terraform init` and `apply` of the project in `project`, then its
/// `output -json` document.
pub fn terraform_apply(install: &Path, project: &Path) -> Json {
    terraform(install, project, &["init", "-input=false", "-no-color"], 0);
    terraform(
        install,
        project,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        0,
    );
    serde_json::from_str(&terraform(install, project, &["output", "-json"], 0))
        .expect("terraform output -json")
}

/// The AWS emulator's endpoint (`NIMBUS_TEST_AWS_ENDPOINT`, which
/// `scripts/test` exports after `scripts/moto start`). Without it a test
/// is skipped with a notice naming `what` it skips, except under
/// `CI=true`, where that is a failure.
#[allow(clippy::print_stderr)] // says what it skips
pub fn aws_emulator(what: &str) -> Option<String> {
    const VAR: &str = "NIMBUS_TEST_AWS_ENDPOINT";
    match std::env::var(VAR) {
        Ok(e) if !e.trim().is_empty() => Some(e.trim().trim_end_matches('/').to_string()),
        _ => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "{VAR} is not set: under CI the AWS emulator is required \
                 (scripts/test starts it; by hand: export {VAR}=$(scripts/moto start))"
            );
            eprintln!(
                "notice: {VAR} is not set; skipping {what} \
                 (export {VAR}=$(scripts/moto start) to run it)"
            );
            None
        }
    }
}

/// Copies the directory `from` (files and subdirectories) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the directory");
    for entry in std::fs::read_dir(from).expect("a readable directory") {
        let entry = entry.expect("a readable entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}
