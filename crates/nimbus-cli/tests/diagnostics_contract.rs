//! What diagnostics promise the user, checked on the real binary: no
//! secret in any message, snippets of bounded size, a location for every
//! input problem, `validate` without values, and messages that say what
//! to do.

mod common;

use common::*;

/// Text that must never reach the output: every secret below contains it
/// (the sensitive index is 4242, checked apart).
const SECRET: &str = "Hunter2";

/// Asserts that no output of `run`, text or JSON, contains the secret.
#[track_caller]
fn assert_no_secret(run: &Run) {
    assert!(
        !run.all_output().contains(SECRET),
        "a secret reached the output of nimbus {}:\n{}",
        run.args.join(" "),
        run.all_output()
    );
}

/// One configuration run by a test, with what it must (not) print.
struct Case {
    what: &'static str,
    config: &'static str,
    /// Further files of the working directory.
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// In the error output.
    wanted: &'static str,
    /// Nowhere in the error output.
    unwanted: &'static str,
}

impl Case {
    const DEFAULT: Case = Case {
        what: "",
        config: "",
        files: &[],
        args: &[],
        env: &[],
        wanted: "",
        unwanted: "",
    };

    fn workdir(&self) -> Workdir {
        let w = Workdir::empty();
        w.write("main.nim", self.config);
        for (name, text) in self.files {
            w.write(name, text);
        }
        w
    }

    /// `nimbus COMMAND ARGS... EXTRA...` in the case's directory.
    fn run(&self, w: &Workdir, command: &str, extra: &[&str]) -> Run {
        let mut args = vec![command];
        args.extend_from_slice(self.args);
        args.extend_from_slice(extra);
        w.run_env(&args, self.env)
    }
}

#[test]
fn sensitive_values_never_appear_in_diagnostics() {
    let cases = [
        Case {
            what: "a sensitive string used where a number is expected",
            config: r#"(define-variables (pw (type string) (default "Hunter2Secret") (sensitive #t)))
(resource random-string "r" (length (var pw)))"#,
            wanted: "expected number, found string (sensitive value)",
            ..Case::DEFAULT
        },
        Case {
            what: "a bad --var for a sensitive number",
            config: r#"(define-variables (pin (type number) (sensitive #t)))
(resource null-resource "a" (triggers (pin (var pin))))"#,
            args: &["--var", "pin=Hunter2Pin"],
            wanted: "expected number, found string (sensitive value)",
            ..Case::DEFAULT
        },
        Case {
            what: "a bad environment value for a sensitive map",
            config: r#"(define-variables (keys (type (map string)) (sensitive #t)))
(resource terraform-data "a" (input (var keys)))"#,
            env: &[("NIMBUS_VAR_keys", "Hunter2Key")],
            wanted: "not shown: the variable is sensitive",
            ..Case::DEFAULT
        },
        Case {
            what: "a bad var-file value for a sensitive number",
            config: r#"(define-variables (pin (type number) (sensitive #t)))
(resource null-resource "a" (triggers (pin (var pin))))"#,
            files: &[("secrets.vars", r#"(pin "Hunter2Pin")"#)],
            args: &["--var-file", "secrets.vars"],
            wanted: "expected number, found string (sensitive value)",
            ..Case::DEFAULT
        },
        Case {
            what: "a sensitive index into a counted resource",
            config: r#"(define-variables (i (type number) (default 4242) (sensitive #t)))
(resource terraform-data "n" (count 1) (input "x"))
(resource terraform-data "m" (input (ref terraform-data "n" (var i) "input")))"#,
            wanted: "index (sensitive value) is out of range",
            ..Case::DEFAULT
        },
    ];
    for case in &cases {
        let w = case.workdir();
        for command in ["validate", "plan"] {
            let run = case.run(&w, command, &[]);
            run.failure().no_panic().stderr_has(case.wanted);
            assert_no_secret(&run);
            assert!(
                !run.stderr.contains("4242"),
                "{}: {}",
                case.what,
                run.stderr
            );

            let run = case.run(&w, command, &["--json"]);
            run.failure().no_panic();
            let messages: Vec<String> = run
                .events_of("diagnostic")
                .iter()
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect();
            assert!(
                messages.iter().any(|m| m.contains(case.wanted)),
                "{}: {messages:?}",
                case.what
            );
            assert_no_secret(&run);
            // The index is looked for in the events without their `@`
            // fields: a timestamp's nanoseconds may contain any digits.
            let events = serde_json::to_string(&run.events()).expect("events serialize");
            assert!(!events.contains("4242"), "{}: {}", case.what, events);
        }
    }
}

/// A provider sees its configuration without marks, and may quote it in
/// an error (the AWS provider names a region or a bucket name it cannot
/// use): the secret is withheld from the report, in text and in events.
#[test]
fn a_secret_quoted_by_a_provider_configuration_error_is_withheld() {
    let case = Case {
        what: "a sensitive string as a region",
        config: r#"(define-variables (pw (type string) (default "Hunter2Secret") (sensitive #t)))
(provider localstack (region (var pw)))
(resource sqs-queue "q" (name "q"))"#,
        wanted: "`region` is not a region name: \"(sensitive)\"",
        ..Case::DEFAULT
    };
    let quoted_by_a_check = Case {
        what: "a sensitive string as a bucket name the provider's check refuses",
        config: r#"(define-variables (pw (type string) (default "Hunter2Secret") (sensitive #t)))
(provider localstack)
(resource s3-bucket "b" (bucket-name (var pw)))"#,
        wanted: "a bucket name has only lowercase letters, digits, dots and hyphens: \"(sensitive)\"",
        ..Case::DEFAULT
    };
    for case in [case, quoted_by_a_check] {
        let w = case.workdir();
        let run = case.run(&w, "plan", &[]);
        run.failure().no_panic().stderr_has(case.wanted);
        assert_no_secret(&run);
        let run = case.run(&w, "plan", &["--json"]);
        run.failure().no_panic();
        assert_no_secret(&run);
    }
}

#[test]
fn snippets_of_huge_lines_stay_small() {
    // One line of about 4 MB: a long string, then lists nested too deep.
    let w = Workdir::empty();
    let padding = "a".repeat(4_000_000);
    let depth = 300;
    let line = format!(
        "(locals (pad \"{padding}\") (deep {}1{}))",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    w.write("main.nim", &line);
    let run = w.run(&["validate"]);
    run.failure().no_panic().stderr_has("nested deeper than");
    assert!(
        run.stderr.len() < 2_000,
        "stderr is {} bytes:\n{}",
        run.stderr.len(),
        &run.stderr[..run.stderr.len().min(2_000)]
    );
    // The first `(` past the limit: `locals` and `deep` are two levels,
    // so it follows 198 `(` of the nesting.
    let column = "(locals (pad \"".len() + padding.len() + "\") (deep ".len() + 198 + 1;
    run.stderr_has(&format!("--> main.nim:1:{column}"));
    // The caret still points at a `(` of the cut line.
    let lines: Vec<&str> = run.stderr.lines().collect();
    let source = lines
        .iter()
        .find_map(|l| l.strip_prefix("1 | "))
        .expect("the source line");
    let caret = lines
        .iter()
        .find(|l| l.contains('^'))
        .expect("the caret line");
    let at = caret.find('^').unwrap() - caret.find('|').unwrap() - 2;
    assert!(
        source.starts_with("...") && source.ends_with("..."),
        "{source}"
    );
    assert_eq!(source.as_bytes()[at], b'(', "{source}\n{caret}");
}

#[test]
fn reader_problems_are_located() {
    let w = Workdir::empty();

    // Invalid UTF-8: its line and column, and the rest is still checked.
    let mut bytes = b"(resource null-resource \"a\")\n(locals (x \"caf".to_vec();
    bytes.extend_from_slice(b"\xe9\"))\n(resorce null-resource \"b\")\n");
    std::fs::write(w.path().join("main.nim"), bytes).unwrap();
    w.run(&["validate"])
        .failure()
        .no_panic()
        .stderr_has("error: the file is not valid UTF-8")
        .stderr_has("--> main.nim:2:16")
        .stderr_has("invalid byte 0xE9")
        .stderr_has("unknown form `resorce`");

    // One missing `)`: the opening, and where indentation says it belongs.
    w.write(
        "main.nim",
        "(resource null-resource \"a\"\n  (triggers (x \"1\"))\n\n(resource null-resource \"b\")\n(output \"o\" (value 1))\n",
    );
    w.run(&["validate"])
        .failure()
        .no_panic()
        .stderr_has("--> main.nim:1:1")
        .stderr_has("the `)` is missing before line 4");

    // Inside a wrapper the `(` that lacks its `)` is not the one left open.
    w.write(
        "main.nim",
        "(define-infrastructure prod\n  (resource null-resource \"a\"\n    (triggers (x 1))\n  (resource null-resource \"b\"))\n",
    );
    w.run(&["validate"])
        .failure()
        .no_panic()
        .stderr_has("--> main.nim:1:1")
        .stderr_has("the `(` at line 2, column 3 is the one missing its `)`: line 4");
}

#[test]
fn validate_needs_no_values_but_plan_does() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(define-variables
  (region (type string))
  (replicas (type number) (validation (> replicas 0) "must be positive"))
  (token (type string) (sensitive #t)))
(resource null-resource "a"
  (count (var replicas))
  (triggers (r (var region)) (t (var token))))
"#,
    );
    w.run(&["validate"]).success().no_panic();
    w.run(&["plan"])
        .failure()
        .no_panic()
        .stderr_has("no value for required variable `region`")
        .stderr_has("no value for required variable `replicas`");
    w.run(&["apply", "--auto-approve"])
        .failure()
        .no_panic()
        .stderr_has("no value for required variable `token`");
    // Given values, the rules still apply in validate.
    w.run(&["validate", "--var", "replicas=0"])
        .failure()
        .stderr_has("must be positive");
    // Whatever does not depend on the values is still checked.
    w.write(
        "main.nim",
        r#"(define-variables (region (type string)))
(resource null-resource "a" (triggers (r (var regoin))))
"#,
    );
    w.run(&["validate"])
        .failure()
        .stderr_has("unknown variable `regoin`")
        .stderr_has("did you mean `region`?");
}

#[test]
fn policies_are_enforced_and_their_conditions_checked() {
    let w = Workdir::empty();
    w.write("main.nim", "(resource null-resource \"a\")\n");
    w.run(&["apply", "--auto-approve"]).success();
    w.write(
        "main.nim",
        r#"(define-policy guard (deny "builtin:Delete" (when (= resource-type "null-resource"))))
"#,
    );
    let refusal = "policy guard.deny (mandatory) fails: null-resource.a (delete, builtin:Delete)";
    w.run(&["plan"]).code(3).no_panic().stderr_has(refusal);
    w.run(&["apply", "--auto-approve"])
        .code(3)
        .no_panic()
        .stderr_has(refusal);
    let run = w.run(&["plan", "--json"]);
    run.code(3);
    assert!(
        run.events_of("diagnostic")
            .iter()
            .any(|e| e["severity"] == "error"
                && e["code"] == "policy-violation"
                && e["message"].as_str().unwrap_or_default().contains(refusal)),
        "{}",
        run.stdout
    );
    assert_eq!(w.state_list(), ["null-resource.a"]);

    // An undefined function in a condition fails validation.
    w.write(
        "main.nim",
        r#"(define-policy guard (deny "builtin:Delete" (when (is-prod resource-type))))
(resource null-resource "a")
"#,
    );
    w.run(&["validate"])
        .failure()
        .no_panic()
        .stderr_has("unknown function `is-prod`")
        .stderr_has("--> main.nim:1:52");
}

#[test]
fn messages_say_what_to_do() {
    let cases = [
        Case {
            what: "a map given as plain text",
            config: r#"(define-variables (tags (type (map string))))
(resource terraform-data "a" (input (var tags)))"#,
            args: &["--var", "tags=notamap"],
            wanted: "write a map as (map (KEY VALUE) ...) or JSON {...}",
            unwanted: "write a list",
            ..Case::DEFAULT
        },
        Case {
            what: "a reference in a var file",
            config: r#"(define-variables (replicas (type number)) (x (type number) (default 1)))
(resource null-resource "a" (count (var replicas)))"#,
            files: &[("values.vars", "(replicas (var x))")],
            args: &["--var-file", "values.vars"],
            wanted: "var files hold literal values",
            unwanted: "unknown variable",
            ..Case::DEFAULT
        },
        Case {
            what: "for-each over a list holding a secret",
            config: r#"(define-variables (s (type string) (default "Hunter2") (sensitive #t)))
(resource null-resource "a" (for-each (list (var s))))"#,
            wanted: "sensitive values cannot be used as `for-each` keys",
            unwanted: "needs strings",
            ..Case::DEFAULT
        },
        Case {
            what: "a misspelt meta-argument",
            config: r#"(resource null-resource "a" (coutn 2))"#,
            wanted: "help: did you mean `count`?",
            unwanted: "note: its attributes are",
            ..Case::DEFAULT
        },
        Case {
            what: "an AWS type without a provider block",
            config: r#"(resource s3-bucket "logs" (bucket "logs"))"#,
            wanted: "add `(provider aws ...)`",
            unwanted: "did you mean",
            ..Case::DEFAULT
        },
    ];
    for case in &cases {
        let run = case.run(&case.workdir(), "validate", &[]);
        run.failure().no_panic().stderr_has(case.wanted);
        assert!(
            !run.stderr.contains(case.unwanted),
            "{}: says {:?}:\n{}",
            case.what,
            case.unwanted,
            run.stderr
        );
        assert_no_secret(&run);
    }
}

/// `validate` shows every problem a provider finds, not only the first;
/// a provider's warnings reach the user in text (stderr) and in `--json`,
/// and never fail the command.
#[test]
fn every_provider_error_and_warning_reaches_the_user() {
    let w = Workdir::init_with(
        "(resource random-string \"bad\"\n  (length 0)\n  (min-upper -1))\n\n(resource random-id \"also-bad\"\n  (byte-length 0))\n",
    );
    w.run(&["validate", "--no-color"])
        .code(1)
        .no_panic()
        .stderr_has("random-string.bad: `length` must be at least 1")
        .stderr_has("random-string.bad: `min-upper` must not be negative")
        .stderr_has("random-id.also-bad: `byte-length` must be between 1 and 4096");

    let warn = [("NIMBUS_BUILTIN_WARN_INPUT", "warn-me")];
    w.write(
        "main.nim",
        "(resource terraform-data \"warned\"\n  (input \"warn-me\"))\n",
    );
    w.run_env(&["validate", "--no-color"], &warn)
        .success()
        .stderr_has("warning: terraform-data.warned: test warning")
        .stderr_has("main.nim:2:3");
    let plan = w.run_env(&["plan", "--json"], &warn);
    plan.success();
    let warnings: Vec<_> = plan
        .events_of("diagnostic")
        .into_iter()
        .filter(|e| e["severity"] == "warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{}", plan.all_output());
    assert_eq!(warnings[0]["code"], "provider-warning");
    assert!(
        plan.stdout.contains("\"@level\":\"warn\""),
        "{}",
        plan.stdout
    );
    w.run_env(&["apply", "--auto-approve", "--no-color"], &warn)
        .success()
        .stderr_has("warning: terraform-data.warned: test warning");
}

/// A wrong attribute written by a macro's template is reported in the
/// template, with a note naming each use that expanded it; an argument
/// the use passes is reported at the use.
#[test]
fn errors_in_a_macro_expansion_name_the_uses() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        r#"(define-syntax data-pair
  (syntax-rules ()
    ((_ name copy v)
     (begin
       (resource terraform-data name (input v))
       (resource terraform-data copy (inptu v))))))

(data-pair "a" "a-copy" 1)
(data-pair "b" "b-copy" 2)
"#,
    );
    w.run(&["validate"])
        .failure()
        .no_panic()
        .stderr_has("main.nim:6:")
        .stderr_has("in expansion of macro `data-pair` at main.nim:8:1, main.nim:9:1");
    let run = w.run(&["validate", "--json"]);
    let notes: Vec<String> = run
        .events_of("diagnostic")
        .iter()
        .flat_map(|e| e["notes"].as_array().cloned().unwrap_or_default())
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    assert!(
        notes.contains(
            &"note: in expansion of macro `data-pair` at main.nim:8:1, main.nim:9:1".to_string()
        ),
        "{notes:?}"
    );
    w.write(
        "main.nim",
        r#"(define-syntax single (syntax-rules () ((_ name v) (resource terraform-data name (input v)))))
(single "a" (nope 1))
"#,
    );
    w.run(&["validate"])
        .failure()
        .no_panic()
        .stderr_has("unknown function `nope`")
        .stderr_has("main.nim:2:14");
}
