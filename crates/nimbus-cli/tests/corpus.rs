//! Data-driven corpus of configurations: adding a case is adding a file.
//!
//! - `tests/corpus/valid/NAME.nim` (or a directory `NAME/` with `main.nim`
//!   and, for module cases, a `modules/` subdirectory): `nimbus validate`
//!   must succeed.
//! - `tests/corpus/invalid/NAME.nim` (or `NAME/`): `nimbus validate` must
//!   fail with exit code 1, and every error must be located: a
//!   `--> file:line:col` line, the source line and a caret underline.
//!
//! Each case is copied to a fresh temporary directory (a single file
//! becomes `main.nim`) and the real binary runs there with
//! `validate --no-color` and an empty environment. Lines of `main.nim`
//! starting with `;; args:` add command-line arguments (e.g. `--var x=1`),
//! lines starting with `;; env:` add `NAME=VALUE` environment variables.
//!
//! The exit code, stdout and stderr of every case are snapshotted in
//! `tests/snapshots/corpus__{valid,invalid}_cases@NAME.snap`. After adding
//! a case run `INSTA_UPDATE=always cargo test -p nimbus-cli --test corpus`
//! and review the new snapshot before committing it.

mod common;

use assert_cmd::Command;
use common::copy_dir;
use std::fmt::Write;
use std::path::{Path, PathBuf};

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `;; args:` and `;; env:` directives of the case's main file.
fn directives(main: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let text = std::fs::read_to_string(main).unwrap_or_default();
    let mut args = Vec::new();
    let mut env = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(";; args:") {
            args.extend(rest.split_whitespace().map(str::to_string));
        } else if let Some(rest) = line.strip_prefix(";; env:")
            && let Some((k, v)) = rest.trim().split_once('=')
        {
            env.push((k.to_string(), v.to_string()));
        }
    }
    (args, env)
}

fn run_case(case: &Path) -> Outcome {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("case");
    if case.is_dir() {
        copy_dir(case, &dir);
    } else {
        std::fs::create_dir_all(&dir).expect("create case directory");
        std::fs::copy(case, dir.join("main.nim")).expect("copy case file");
    }
    let (args, env) = directives(&dir.join("main.nim"));
    let output = Command::cargo_bin("nimbus")
        .expect("the nimbus binary")
        .current_dir(&dir)
        .env_clear()
        .envs(env)
        .arg("validate")
        .arg("--no-color")
        .args(args)
        .output()
        .expect("nimbus runs");
    // Paths are printed relative to the working directory, but a stray
    // absolute one must not make the snapshot depend on the temp dir.
    let redact = |text: &[u8]| {
        let mut text = String::from_utf8_lossy(text).into_owned();
        let mut roots: Vec<PathBuf> = vec![dir.clone()];
        if let Ok(canonical) = dir.canonicalize() {
            roots.push(canonical);
        }
        for root in roots {
            text = text.replace(&format!("{}/", root.display()), "[CASE]/");
        }
        text
    };
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: redact(&output.stdout),
        stderr: redact(&output.stderr),
    }
}

fn report(outcome: &Outcome) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "exit code: {}", outcome.code);
    let _ = writeln!(text, "--- stdout");
    text.push_str(&outcome.stdout);
    let _ = writeln!(text, "--- stderr");
    text.push_str(&outcome.stderr);
    text
}

fn case_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every `error:` must be followed by a location, the source line and a
/// caret: `--> main.nim:3:5`, `3 | ...`, `  |   ^^^`.
fn unlocated_errors(stderr: &str) -> Vec<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut problems = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let location = lines.get(i + 1).map(|l| l.trim_start());
        let located = location
            .and_then(|l| l.strip_prefix("--> "))
            .is_some_and(|l| {
                let mut parts = l.rsplitn(3, ':');
                let col = parts.next().and_then(|c| c.parse::<usize>().ok());
                let line = parts.next().and_then(|c| c.parse::<usize>().ok());
                let file = parts
                    .next()
                    .filter(|f| !f.is_empty() && !f.starts_with('/'));
                col.is_some() && line.is_some() && file.is_some()
            });
        let source = lines.get(i + 3).is_some_and(|l| l.contains(" | "));
        let caret = lines
            .get(i + 4)
            .is_some_and(|l| l.trim_start().starts_with('|') && l.contains('^'));
        if !(located && source && caret) {
            problems.push(message.to_string());
        }
    }
    problems
}

#[test]
fn valid_cases() {
    let mut failures = Vec::new();
    insta::glob!("corpus/valid/*", |path| {
        let outcome = run_case(path);
        insta::assert_snapshot!(report(&outcome));
        if outcome.code != 0 {
            failures.push(format!("{}: exit code {}", case_name(path), outcome.code));
        }
    });
    assert!(
        failures.is_empty(),
        "valid cases failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn invalid_cases() {
    let mut failures = Vec::new();
    insta::glob!("corpus/invalid/*", |path| {
        let outcome = run_case(path);
        insta::assert_snapshot!(report(&outcome));
        let name = case_name(path);
        if outcome.code != 1 {
            failures.push(format!("{name}: exit code {}, expected 1", outcome.code));
        }
        if !outcome.stderr.contains("error: ") {
            failures.push(format!("{name}: no error reported"));
        }
        for message in unlocated_errors(&outcome.stderr) {
            failures.push(format!("{name}: error without a location: {message}"));
        }
    });
    assert!(
        failures.is_empty(),
        "invalid cases failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn corpus_is_large_enough() {
    let count = |dir: &str| {
        std::fs::read_dir(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/corpus")
                .join(dir),
        )
        .map(|d| d.count())
        .unwrap_or(0)
    };
    assert!(count("valid") >= 40, "at least 40 valid cases");
    assert!(count("invalid") >= 40, "at least 40 invalid cases");
}
