//! The user guide (`docs/guide`) stays true: every chapter's `console`
//! blocks are run, in order, against the real binary in a fresh directory
//! per chapter, and every relative link resolves.
//!
//! The conventions a chapter follows (so adding a tested example is
//! writing the guide):
//! - A code block whose info string names a file (```` ```scheme
//!   file=main.nim ````) writes that file into the chapter's directory when
//!   the reader reaches it.
//! - In a ```` ```console ```` block, a line `$ COMMAND` is run with `sh -c`
//!   (with this build's `nimbus` first on `PATH`); the lines after it, up
//!   to the next `$`, must appear in its output (standard output and
//!   error together) in that order, each within one line of output, where
//!   `[..]` stands for any text. The command must exit 0 unless an
//!   expected line starts with `error:`, and then it must fail.
//! - Other blocks (```` ```sh ````, examples without a file name) are not
//!   run.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn guide_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide/src")
}

/// The chapters SUMMARY.md lists, in its order.
fn chapters() -> Vec<String> {
    let summary = std::fs::read_to_string(guide_dir().join("SUMMARY.md")).expect("SUMMARY.md");
    links(&summary)
        .into_iter()
        .filter(|target| target.ends_with(".md"))
        .collect()
}

/// The targets of the markdown links `[text](target)` in `text`.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find(')') {
            found.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    found
}

/// One step of a chapter, in reading order.
#[derive(Debug)]
enum Step {
    Write {
        file: String,
        text: String,
    },
    Run {
        line: usize,
        command: String,
        expected: Vec<String>,
    },
}

fn steps(chapter: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = chapter.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut body = Vec::new();
        for (number, line) in lines.by_ref() {
            if line.trim_start().starts_with("```") {
                break;
            }
            body.push((number + 1, line));
        }
        let file = info
            .split_whitespace()
            .find_map(|word| word.strip_prefix("file="));
        if let Some(file) = file {
            let mut text: String = body.iter().map(|(_, l)| format!("{l}\n")).collect();
            if text.is_empty() {
                text.push('\n');
            }
            steps.push(Step::Write {
                file: file.to_string(),
                text,
            });
        } else if info.trim() == "console" {
            for (number, line) in body {
                if let Some(command) = line.strip_prefix("$ ") {
                    steps.push(Step::Run {
                        line: number,
                        command: command.to_string(),
                        expected: Vec::new(),
                    });
                } else if let Some(Step::Run { expected, .. }) = steps.last_mut() {
                    if !line.trim().is_empty() {
                        expected.push(line.trim().to_string());
                    }
                } else {
                    panic!("line {number}: console output before any `$ ` command");
                }
            }
        }
    }
    steps
}

/// Whether `line` holds the pieces of `pattern` between its `[..]`s, in
/// order.
fn matches(pattern: &str, line: &str) -> bool {
    let mut rest = line;
    for piece in pattern.split("[..]") {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

fn run_chapter(name: &str) -> usize {
    let text = std::fs::read_to_string(guide_dir().join(name)).expect("chapter");
    let w = Workdir::empty();
    let bin_dir = nimbus_bin().parent().expect("bin dir").to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut commands = 0;
    for step in steps(&text) {
        match step {
            Step::Write { file, text } => w.write(&file, &text),
            Step::Run {
                line,
                command,
                expected,
            } => {
                commands += 1;
                let run = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&command)
                    .current_dir(w.path())
                    .env_clear()
                    .env("USER", USER)
                    .env("PATH", &path)
                    .env("NO_COLOR", "1")
                    .stdin(std::process::Stdio::null())
                    .output()
                    .expect("sh runs");
                let all = format!(
                    "{}{}",
                    String::from_utf8_lossy(&run.stdout),
                    String::from_utf8_lossy(&run.stderr)
                );
                let where_ = format!("{name}:{line}: `{command}`");
                assert!(!all.contains("panicked"), "{where_} panicked:\n{all}");
                let should_fail = expected.iter().any(|e| e.starts_with("error:"));
                assert_eq!(
                    !run.status.success(),
                    should_fail,
                    "{where_} exited with {:?}:\n{all}",
                    run.status
                );
                let mut output_lines = all.lines().map(str::trim);
                for pattern in &expected {
                    assert!(
                        output_lines.any(|l| matches(pattern, l)),
                        "{where_}: expected a line like\n  {pattern}\n(after the lines matched before it) in:\n{all}"
                    );
                }
            }
        }
    }
    commands
}

#[test]
fn every_console_block_of_the_guide_does_what_it_says() {
    let mut total = 0;
    for chapter in chapters() {
        total += run_chapter(&chapter);
    }
    assert!(total >= 30, "only {total} commands in the guide's examples");
}

#[test]
fn every_relative_link_of_the_guide_resolves() {
    let dir = guide_dir();
    let chapters = chapters();
    assert!(chapters.len() >= 8, "{chapters:?}");
    for chapter in &chapters {
        let path = dir.join(chapter);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("SUMMARY.md lists {chapter}: {e}"));
        // Included files are checked where they are included from; an
        // included part (`FILE:NAME`) must be marked in the file.
        for include in text.lines().filter_map(|l| {
            l.trim()
                .strip_prefix("{{#include ")
                .and_then(|r| r.strip_suffix("}}"))
        }) {
            let (file, anchor) = match include.split_once(':') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (include, None),
            };
            let included = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("{chapter} includes {file}: {e}"));
            if let Some(anchor) = anchor.filter(|a| !a.starts_with(|c: char| c.is_ascii_digit())) {
                assert!(
                    included.contains(&format!("ANCHOR: {anchor}\n"))
                        && included.contains(&format!("ANCHOR_END: {anchor}\n")),
                    "{chapter} includes the part {anchor} of {file}, which does not mark it"
                );
            }
        }
        for target in links(&text) {
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            assert!(
                chapters.iter().any(|c| c == file),
                "{chapter} links to {target}, which is no chapter of the guide"
            );
        }
    }
}

#[test]
fn the_pattern_matcher_of_the_guide_test_is_strict() {
    assert!(matches("a [..] c", "a b c"));
    assert!(matches(
        "Plan: 1 to create",
        "Plan: 1 to create, 0 to update"
    ));
    assert!(!matches("x[..]y", "y x"));
    assert!(!matches("created", "destroyed"));
    let parsed =
        steps("```scheme file=a.nim\n(x)\n```\n```console\n$ nimbus plan\nerror: no\n$ ls\n```\n");
    assert!(matches!(&parsed[0], Step::Write { file, text } if file == "a.nim" && text == "(x)\n"));
    assert!(
        matches!(&parsed[1], Step::Run { command, expected, .. } if command == "nimbus plan" && expected == &["error: no"])
    );
    assert!(
        matches!(&parsed[2], Step::Run { command, expected, .. } if command == "ls" && expected.is_empty())
    );
}
