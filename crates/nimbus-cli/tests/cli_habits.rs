//! What a Terraform user expects of the command line: a closed pipe ends
//! quietly, summaries of huge blocks stay short, usage errors exit 1,
//! Terraform's single-dash flags work, a piped `yes` approves, `fmt` takes
//! paths and recurses, `state history` names the user and lines up, and
//! `--json` speaks Terraform's machine-readable envelope.

mod common;

use common::*;
use serde_json::Value as Json;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

/// Runs the binary with `input` on stdin (a pipe, as in `echo yes | nimbus apply`).
fn run_with_stdin(w: &Workdir, args: &[&str], input: &str) -> Run {
    let started = std::time::Instant::now();
    let mut child = w
        .command(args, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nimbus");
    let mut stdin = child.stdin.take().expect("stdin");
    // The binary may exit before reading (a refusal): a failed write is fine.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let output = wait_output(child, Duration::from_secs(60), args);
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

// ---------------------------------------------------------------- 7

/// Every command that prints, with its stdout closed before it writes
/// (`nimbus plan | head -0`): no panic, no exit 101, and an apply still
/// finishes and records its results.
#[test]
fn a_closed_stdout_ends_quietly() {
    let w = Workdir::init_fixture("cli_habits/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    let cases: &[(&[&str], i32)] = &[
        (&["plan"], 0),
        (&["plan", "--json"], 0),
        (
            &["plan", "--var", "message=changed", "--detailed-exitcode"],
            2,
        ),
        (&["graph"], 0),
        (&["graph", "--format", "mermaid"], 0),
        (&["graph", "--format", "json"], 0),
        (&["validate"], 0),
        (&["providers"], 0),
        (&["version"], 0),
        (&["--help"], 0),
        (&["output"], 0),
        (&["state", "list"], 0),
        (&["state", "show", "terraform-data.first"], 0),
        (&["state", "history"], 0),
        (&["state", "history", "--json"], 0),
        (&["workspace", "list"], 0),
        (&["fmt", "--check"], 0),
        (&["drift"], 0),
        (&["refresh"], 0),
        // Last: it changes the state, which is checked below.
        (
            &["apply", "--auto-approve", "--var", "message=piped away"],
            0,
        ),
    ];
    for (args, expected) in cases {
        let mut child = w
            .command(args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nimbus");
        // The reader goes away before anything is written.
        drop(child.stdout.take());
        let output = wait_output(child, Duration::from_secs(60), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(*expected),
            "nimbus {}: {:?}\n{stderr}",
            args.join(" "),
            output.status
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "nimbus {}:\n{stderr}",
            args.join(" ")
        );
    }
    // The apply whose output was lost did its work and recorded it.
    assert_eq!(w.attribute("terraform-data.first", "output"), "piped away");
    w.run(&["plan", "--detailed-exitcode", "--var", "message=piped away"])
        .success();
}

// ---------------------------------------------------------------- 8

/// A block of 300 instances that all fail: the progress shows a bounded
/// number of failure lines, the summary names the block once with its
/// count, and the errors on stderr are bounded too.
#[test]
fn failures_of_a_large_block_are_summarized_by_block() {
    let w = Workdir::init_fixture("cli_habits/all_fail.nim");
    let apply = w.run_env(
        &["apply", "--auto-approve", "--no-color"],
        &[("NIMBUS_BUILTIN_FAULT_INPUT", "explode")],
    );
    apply
        .code(1)
        .no_panic()
        .stdout_has("300 failed, 0 skipped.")
        .stdout_has("Failed: terraform-data.bad (300 instances)")
        .stdout_has("terraform-data.bad: more instances failed; the summary counts them");
    let after_plan = apply
        .stdout
        .split_once("Plan: 300 to create")
        .expect("the plan is shown")
        .1;
    let longest = after_plan.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 300, "a line of {longest} bytes:\n{after_plan}");
    let failure_lines = after_plan
        .lines()
        .filter(|l| l.contains("creating failed"))
        .count();
    assert!(failure_lines <= 10, "{failure_lines} failure lines");
    let errors = apply.stderr.matches("injected failure").count();
    assert!(errors <= 20, "{errors} errors on stderr");
    apply.stderr_has("280 more errors are not shown");

    // The JSON summary lists the block once, with its count.
    let json = w.run_env(
        &["apply", "--auto-approve", "--json"],
        &[("NIMBUS_BUILTIN_FAULT_INPUT", "explode")],
    );
    json.code(1);
    let summary = json
        .events_of("apply_summary")
        .pop()
        .expect("an apply_summary");
    assert_eq!(summary["failed"], serde_json::json!(["terraform-data.bad"]));
    assert_eq!(
        summary["failed_blocks"],
        serde_json::json!([{ "block": "terraform-data.bad", "count": 300 }])
    );
}

/// An apply of 300 slow instances interrupted early: the instances not
/// started are skipped, with a bounded number of `skipped: interrupted`
/// lines and a summary that counts them by block.
#[test]
fn an_interrupted_large_apply_is_summarized_by_block() {
    let w = Workdir::init_fixture("cli_habits/slow.nim");
    let log = w.path().join("apply.log");
    let child = w
        .command(
            &[
                "apply",
                "--auto-approve",
                "--parallelism",
                "2",
                "--no-color",
            ],
            &[("NIMBUS_BUILTIN_CREATE_DELAY_MS", "40")],
        )
        // A file, not a pipe: the test reads it only at the end.
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nimbus");
    poll(
        "the apply to record a few instances",
        Duration::from_secs(30),
        Duration::from_millis(20),
        || (w.state_list().len() >= 4).then_some(()),
    );
    // SAFETY: signalling our own child, which has not been reaped yet.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let output = wait_output(child, Duration::from_secs(60), &["apply"]);
    let stdout = std::fs::read_to_string(&log).expect("read the log");
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let recorded = w.state_list().len();
    assert!(
        recorded < 300,
        "the interrupt came too late to test anything"
    );
    let skipped = 300 - recorded;
    let interrupted_lines = stdout
        .lines()
        .filter(|l| l.contains("skipped: interrupted"))
        .count();
    assert!(
        interrupted_lines <= 10,
        "{interrupted_lines} interrupted lines:\n{stdout}"
    );
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("Skipped"))
        .expect("a Skipped line");
    assert!(
        summary.len() < 300,
        "a summary line of {} bytes",
        summary.len()
    );
    assert!(
        summary.contains(&format!("null-resource.n ({skipped} instances")),
        "{summary}"
    );
}

// ---------------------------------------------------------------- 16

/// Usage errors exit 1 (2 means "changes present"); help and version
/// exit 0.
#[test]
fn usage_errors_exit_1() {
    let w = Workdir::init_fixture("cli_habits/main.nim");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["frobnicate"], 1, "unrecognized subcommand"),
        (&["plan", "--parallelism", "many"], 1, "invalid value"),
        (&["plan", "--no-such-flag"], 1, "--no-such-flag"),
        (&["state", "show"], 1, "required"),
        (&["graph", "--format", "svg"], 1, "invalid value 'svg'"),
        (&[], 1, "Usage"),
        (&["--help"], 0, "Usage"),
        (&["plan", "--help"], 0, "Usage"),
        (&["--version"], 0, "nimbus"),
    ];
    for (args, code, needle) in cases {
        let run = w.run(args);
        run.code(*code).no_panic();
        assert!(
            run.all_output().contains(needle),
            "nimbus {}: no {needle:?}\n{}",
            args.join(" "),
            run.all_output()
        );
    }
    // Help is an answer, on stdout.
    w.run(&["--help"]).stdout_has("Usage");
}

// ---------------------------------------------------------------- 17

struct Spelling {
    args: &'static [&'static str],
    code: i32,
    stdout_has: &'static str,
    stdout_lacks: Option<&'static str>,
}

/// Terraform's single-dash spellings do what the `--` flags do.
#[test]
fn terraform_single_dash_flags_are_accepted() {
    let w = Workdir::init_fixture("cli_habits/main.nim");
    w.write("habits.nimvars", "(message \"from-var-file\")\n");
    w.write(
        "sub/main.nim",
        "(define-infrastructure sub\n  (resource terraform-data \"in-sub\"\n    (input \"x\")))\n",
    );
    w.write("fmt/main.nim", &fixture("lifecycle/v1.nim"));
    w.write("fmt/nested/more.nim", &fixture("lifecycle/v1.nim"));
    let before_apply = [
        Spelling {
            args: &["plan", "-var", "message=spaced", "-no-color"],
            code: 0,
            stdout_has: "\"spaced\"",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-var=message=joined"],
            code: 0,
            stdout_has: "\"joined\"",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-var-file", "habits.nimvars"],
            code: 0,
            stdout_has: "\"from-var-file\"",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-var-file=habits.nimvars"],
            code: 0,
            stdout_has: "\"from-var-file\"",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-target", "terraform-data.second"],
            code: 0,
            stdout_has: "terraform-data.second",
            stdout_lacks: Some("terraform-data.first"),
        },
        Spelling {
            args: &["-chdir=sub", "plan"],
            code: 0,
            stdout_has: "terraform-data.in-sub",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-json"],
            code: 0,
            stdout_has: "\"type\":\"plan_summary\"",
            stdout_lacks: None,
        },
        Spelling {
            args: &[
                "plan",
                "-lock-timeout=1",
                "-parallelism=2",
                "-refresh=false",
            ],
            code: 0,
            stdout_has: "Plan: 2 to create",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-detailed-exitcode"],
            code: 2,
            stdout_has: "Plan: 2 to create",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-out", "p.plan"],
            code: 0,
            stdout_has: "Saved the plan",
            stdout_lacks: None,
        },
        Spelling {
            args: &["-chdir=fmt", "fmt", "-check"],
            code: 1,
            stdout_has: "main.nim",
            stdout_lacks: Some("more.nim"),
        },
        Spelling {
            args: &["-chdir=fmt", "fmt", "-recursive"],
            code: 0,
            stdout_has: "nested/more.nim",
            stdout_lacks: None,
        },
        Spelling {
            args: &["apply", "-auto-approve"],
            code: 0,
            stdout_has: "Apply complete! Resources: 2 created",
            stdout_lacks: None,
        },
    ];
    let after_apply = [
        Spelling {
            args: &["output", "-json"],
            code: 0,
            stdout_has: "\"value\": ",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-destroy"],
            code: 0,
            stdout_has: "2 to destroy",
            stdout_lacks: None,
        },
        Spelling {
            args: &["plan", "-refresh=false", "-detailed-exitcode"],
            code: 0,
            stdout_has: "No changes",
            stdout_lacks: None,
        },
    ];
    for case in before_apply.iter().chain(after_apply.iter()) {
        let run = w.run(case.args);
        run.code(case.code).no_panic().stdout_has(case.stdout_has);
        if let Some(absent) = case.stdout_lacks {
            assert!(
                !run.stdout.contains(absent),
                "nimbus {}: {absent:?} in\n{}",
                case.args.join(" "),
                run.stdout
            );
        }
    }
}

// ---------------------------------------------------------------- 18

/// `echo yes | nimbus apply`: the answer is read from a piped stdin;
/// anything else, or nothing, cancels; `--json` still refuses to prompt.
#[test]
fn piped_approval() {
    struct Case {
        args: &'static [&'static str],
        input: &'static str,
        code: i32,
        says: &'static str,
        resources_after: usize,
    }
    let cases = [
        Case {
            args: &["apply"],
            input: "yes\n",
            code: 0,
            says: "Apply complete! Resources: 2 created",
            resources_after: 2,
        },
        Case {
            args: &["apply"],
            input: "  yes  \n",
            code: 0,
            says: "Apply complete!",
            resources_after: 2,
        },
        Case {
            args: &["apply"],
            input: "no\n",
            code: 1,
            says: "Apply cancelled.",
            resources_after: 0,
        },
        Case {
            args: &["apply"],
            input: "y\n",
            code: 1,
            says: "Apply cancelled.",
            resources_after: 0,
        },
        Case {
            args: &["apply"],
            input: "",
            code: 1,
            says: "Apply cancelled.",
            resources_after: 0,
        },
        Case {
            args: &["apply", "--json"],
            input: "yes\n",
            code: 1,
            says: "--json cannot prompt",
            resources_after: 0,
        },
    ];
    for case in &cases {
        let w = Workdir::init_fixture("cli_habits/main.nim");
        let run = run_with_stdin(&w, case.args, case.input);
        run.code(case.code).no_panic();
        assert!(
            run.all_output().contains(case.says),
            "input {:?}: no {:?}\n{}",
            case.input,
            case.says,
            run.all_output()
        );
        assert_eq!(
            w.state_list().len(),
            case.resources_after,
            "input {:?}",
            case.input
        );
    }
    // Destroy asks the same way.
    let w = Workdir::init_fixture("cli_habits/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    run_with_stdin(&w, &["destroy"], "no\n")
        .failure()
        .stdout_has("Destroy cancelled.");
    assert_eq!(w.state_list().len(), 2);
    run_with_stdin(&w, &["destroy"], "yes\n")
        .success()
        .stdout_has("Destroy complete!");
    assert!(w.state_list().is_empty());
}

// ---------------------------------------------------------------- 21

/// `fmt` takes files and directories, and recurses with `-recursive`,
/// leaving hidden directories alone.
#[test]
fn fmt_takes_paths_and_recurses() {
    const FILES: [&str; 5] = [
        "main.nim",
        "sub/a.nim",
        "sub/deeper/b.nim",
        ".nimbus/c.nim",
        ".hidden/d.nim",
    ];
    struct Case {
        args: &'static [&'static str],
        code: i32,
        rewritten: &'static [&'static str],
        listed: &'static [&'static str],
    }
    let cases = [
        Case {
            args: &["fmt"],
            code: 0,
            rewritten: &["main.nim"],
            listed: &["main.nim"],
        },
        Case {
            args: &["fmt", "-recursive"],
            code: 0,
            rewritten: &["main.nim", "sub/a.nim", "sub/deeper/b.nim"],
            listed: &["main.nim", "sub/a.nim", "sub/deeper/b.nim"],
        },
        Case {
            args: &["fmt", "--recursive", "sub"],
            code: 0,
            rewritten: &["sub/a.nim", "sub/deeper/b.nim"],
            listed: &["sub/a.nim", "sub/deeper/b.nim"],
        },
        Case {
            args: &["fmt", "sub"],
            code: 0,
            rewritten: &["sub/a.nim"],
            listed: &["sub/a.nim"],
        },
        Case {
            args: &["fmt", "sub/deeper/b.nim", "main.nim"],
            code: 0,
            rewritten: &["sub/deeper/b.nim", "main.nim"],
            listed: &["sub/deeper/b.nim", "main.nim"],
        },
        Case {
            args: &["fmt", "-check", "-recursive"],
            code: 1,
            rewritten: &[],
            listed: &["main.nim", "sub/a.nim", "sub/deeper/b.nim"],
        },
        Case {
            args: &["fmt", "missing"],
            code: 1,
            rewritten: &[],
            listed: &[],
        },
    ];
    let unformatted = fixture("lifecycle/v1.nim");
    for case in &cases {
        let w = Workdir::empty();
        for file in FILES {
            w.write(file, &unformatted);
        }
        let run = w.run(case.args);
        run.code(case.code).no_panic();
        let listed: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(listed, case.listed, "nimbus {}", case.args.join(" "));
        for file in FILES {
            assert_eq!(
                w.read(file) != unformatted,
                case.rewritten.contains(&file),
                "nimbus {}: {file}",
                case.args.join(" ")
            );
        }
        if case.args.contains(&"missing") {
            run.stderr_has("missing");
        }
    }
}

// ---------------------------------------------------------------- 22

/// The effective user's name, as `id -un` says (`unknown` without one).
fn effective_user() -> String {
    std::process::Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Without `$USER` the history names the effective user, and its columns
/// line up whatever the lengths of kinds, operations and addresses.
#[test]
fn state_history_names_the_user_and_lines_up() {
    let w = Workdir::init_fixture("cli_habits/main.nim");
    let mut apply = w.command(&["apply", "--auto-approve"], &[]);
    apply.env_remove("USER");
    let status = apply
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run nimbus");
    assert!(status.success());
    w.run(&[
        "state",
        "mv",
        "terraform-data.second",
        "terraform-data.renamed-second",
    ])
    .success();
    w.run(&["state", "rm", "terraform-data.first"]).success();

    let history = w.history();
    let users: Vec<&str> = history
        .iter()
        .filter(|e| e["operation"] == "apply")
        .map(|e| e["user"].as_str().unwrap())
        .collect();
    assert!(!users.is_empty());
    let expected = effective_user();
    assert!(
        users.iter().all(|u| *u == expected),
        "{users:?}, expected {expected}"
    );

    // Newest first in text and JSON alike: row i is event i.
    let text = w.run(&["state", "history"]);
    text.success();
    let rows: Vec<&str> = text.stdout.lines().collect();
    let events: Vec<&Json> = history.iter().rev().collect();
    assert_eq!(rows.len(), events.len(), "{}", text.stdout);
    let column_starts = |row: &str, event: &Json| -> [usize; 4] {
        let kind = event["kind"].as_str().unwrap();
        let operation = event["operation"].as_str().unwrap();
        let address = event["address"].as_str().unwrap_or("-");
        let kind_at = row.find(kind).expect("kind");
        let operation_at = kind_at + row[kind_at..].find(operation).expect("operation");
        let address_at = operation_at
            + operation.len()
            + row[operation_at + operation.len()..]
                .find(address)
                .expect("address");
        let by_at = row.find(" by ").expect("by");
        [kind_at, operation_at, address_at, by_at]
    };
    let first = column_starts(rows[0], events[0]);
    for (row, event) in rows.iter().zip(&events) {
        assert_eq!(
            column_starts(row, event),
            first,
            "misaligned:\n{}",
            text.stdout
        );
    }
}

// ---------------------------------------------------------------- 24

/// Every line of a `--json` stream carries Terraform's `@level`,
/// `@message` and `@timestamp`; the first is the version message; errors
/// (argument errors included) are `diagnostic` events at level `error`.
#[test]
fn json_streams_carry_terraform_envelope() {
    let w = Workdir::init_fixture("cli_habits/main.nim");
    struct Case {
        args: &'static [&'static str],
        code: i32,
        /// The event after the version message.
        first_type: &'static str,
        first_level: &'static str,
        first_message: &'static str,
    }
    let cases = [
        Case {
            args: &["plan", "--json"],
            code: 0,
            first_type: "planned_change",
            first_level: "info",
            first_message: "terraform-data.first: plan to create",
        },
        Case {
            args: &["workspace", "show", "--json"],
            code: 0,
            first_type: "result",
            first_level: "info",
            first_message: "default",
        },
        Case {
            args: &["state", "show", "nothing.here", "--json"],
            code: 1,
            first_type: "diagnostic",
            first_level: "error",
            first_message: "Error: no resource `nothing.here` in state",
        },
        Case {
            args: &["plan", "--no-such-flag", "--json"],
            code: 1,
            first_type: "diagnostic",
            first_level: "error",
            first_message: "Error: unexpected argument '--no-such-flag' found",
        },
        Case {
            args: &["--json", "frobnicate"],
            code: 1,
            first_type: "diagnostic",
            first_level: "error",
            first_message: "Error: unrecognized subcommand 'frobnicate'",
        },
        Case {
            args: &["apply", "--auto-approve", "-json"],
            code: 0,
            first_type: "planned_change",
            first_level: "info",
            first_message: "terraform-data.first: plan to create",
        },
    ];
    for case in &cases {
        let run = w.run(case.args);
        run.code(case.code).no_panic();
        assert!(run.stderr.is_empty(), "{}", run.stderr);
        let lines: Vec<Json> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        let version = &lines[0];
        assert_eq!(version["type"], "version", "{}", run.stdout);
        assert_eq!(version["@level"], "info");
        assert_eq!(version["nimbus"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            version["@message"],
            format!("Nimbus {}", env!("CARGO_PKG_VERSION"))
        );
        for line in &lines {
            for field in ["@level", "@message", "@timestamp"] {
                assert!(line[field].is_string(), "no {field} in {line}");
            }
            let timestamp = line["@timestamp"].as_str().unwrap();
            time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("{timestamp:?} is not RFC 3339: {e}"));
            assert_eq!(line["v"], 1, "{line}");
        }
        let first = &lines[1];
        assert_eq!(first["type"], case.first_type, "{}", run.stdout);
        assert_eq!(first["@level"], case.first_level, "{first}");
        assert_eq!(first["@message"], case.first_message, "{first}");
    }
    // The fields the stream always had are still there.
    let apply = w.run(&["plan", "--json", "--var", "message=x"]);
    let summary = apply.events_of("plan_summary").pop().expect("plan_summary");
    assert_eq!(summary["update"], 1);
}

/// A long operation says it is still going (Terraform's heartbeat), on a
/// pipe too, so a CI log never looks hung.
#[test]
fn long_operations_say_they_are_still_going() {
    let w = Workdir::init_with(
        r#"(define-infrastructure t (resource terraform-data "slow" (input "x")))"#,
    );
    let apply = w.run_env(
        &["apply", "--auto-approve", "--no-color"],
        &[
            ("NIMBUS_BUILTIN_CREATE_DELAY_MS", "3500"),
            ("NIMBUS_HEARTBEAT_SECS", "1"),
        ],
    );
    apply
        .success()
        .stdout_has("terraform-data.slow: Still creating... [1s elapsed]");
    // Each heartbeat counts on from the start of the operation.
    let elapsed: Vec<u64> = apply
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("terraform-data.slow: Still creating... ["))
        .filter_map(|rest| rest.strip_suffix("s elapsed]")?.parse().ok())
        .collect();
    assert!(elapsed.len() >= 2, "{}", apply.stdout);
    assert!(elapsed.windows(2).all(|w| w[0] < w[1]), "{elapsed:?}");
    // Once done, it stops.
    let after_done = apply
        .stdout
        .split("terraform-data.slow: created")
        .nth(1)
        .unwrap_or_default();
    assert!(!after_done.contains("Still creating"), "{}", apply.stdout);
}

/// `fmt` of a file that is not UTF-8 says where, and leaves it alone.
#[test]
fn fmt_locates_invalid_utf8_and_rewrites_nothing() {
    let w = Workdir::empty();
    let bytes: &[u8] =
        b"(define-infrastructure t\n  (resource terraform-data \"a\" (input \"caf\xe9\")))\n";
    std::fs::write(w.path().join("main.nim"), bytes).unwrap();
    w.run(&["fmt", "--no-color"])
        .code(1)
        .no_panic()
        .stderr_has("the file is not valid UTF-8")
        .stderr_has("main.nim:2:");
    assert_eq!(std::fs::read(w.path().join("main.nim")).unwrap(), bytes);
}
