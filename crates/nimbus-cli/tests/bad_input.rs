//! Bad input: clear errors with locations and exit code 1, never a panic.

mod common;

use common::*;

#[test]
fn syntax_error_reports_file_line_column() {
    let w = Workdir::empty();
    w.write(
        "main.nim",
        "(define-infrastructure t\n  (resource terraform-data \"a\" (input \"x\"))\n",
    );
    for command in [
        &["init"][..],
        &["plan"],
        &["apply", "--auto-approve"],
        &["validate"],
        &["destroy", "--auto-approve"],
        &["graph"],
    ] {
        let run = w.run(command);
        run.failure()
            .no_panic()
            .stderr_has("unclosed `(`")
            .stderr_has("--> main.nim:1:1");
        assert_eq!(run.stdout, "", "nimbus {command:?}");
    }

    w.write(
        "main.nim",
        "(define-infrastructure t\n  (resource terraform-data \"a\"\n    (input \"x\")))\n  )\n",
    );
    w.run(&["plan"])
        .failure()
        .no_panic()
        .stderr_has("main.nim:4:3");

    // A reference to something that does not exist, in a second file.
    w.write(
        "main.nim",
        "(define-infrastructure t\n  (resource terraform-data \"a\" (input \"x\")))\n",
    );
    w.write("more.nim", "(define-infrastructure u\n  (resource terraform-data \"b\"\n    (input (ref terraform-data \"nope\" \"id\"))))\n");
    w.run(&["plan"])
        .failure()
        .no_panic()
        .stderr_has("--> more.nim:3:");
    assert!(w.state_list().is_empty());
}

#[test]
fn nonexistent_directory_is_a_clear_error() {
    let base = Workdir::empty();
    let missing = base.path().join("does/not/exist");
    let missing_arg = missing.display().to_string();
    for command in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["destroy", "--auto-approve"],
        &["validate"],
        &["state", "list"],
        &["state", "history"],
        &["state", "rm", "x.y"],
        &["output"],
        &["workspace", "list"],
        &["workspace", "new", "x"],
        &["import", "local-file.a", "f"],
        &["graph"],
        &["drift"],
        &["refresh"],
        &["fmt"],
    ] {
        let mut args = vec!["-C", missing_arg.as_str()];
        args.extend_from_slice(command);
        let run = base.run(&args);
        run.failure()
            .no_panic()
            .stderr_has(&format!("-C {missing_arg}: no such directory"));
        let mut json_args = args.clone();
        json_args.push("--json");
        let json = base.run(&json_args);
        json.failure();
        assert_eq!(json.events()[0]["type"], "diagnostic");
        assert!(
            !missing.exists(),
            "nimbus {command:?} created {missing_arg}"
        );
    }
    // A file is not a directory either.
    base.write("file.txt", "x");
    base.run(&["-C", "file.txt", "plan"])
        .failure()
        .stderr_has("no such directory");
    // `init` creates it.
    base.run(&["-C", &missing_arg, "init"]).success();
    assert!(missing.join("main.nim").exists());
    base.run(&["-C", &missing_arg, "validate"]).success();
}

#[test]
fn bad_variables_and_arguments() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["plan", "--var", "message"])
        .failure()
        .no_panic()
        .stderr_has("expected NAME=VALUE");
    w.run(&["plan", "--var-file", "missing.nimvars"])
        .failure()
        .no_panic()
        .stderr_has("cannot read var file");
    // Usage errors exit 1: 2 means "changes present".
    w.run(&["plan", "--parallelism", "many"]).code(1).no_panic();
    w.run(&["frobnicate"]).code(1).no_panic();
    w.run(&["state", "show"]).code(1).no_panic();
    w.run(&["force-unlock", "nope"])
        .failure()
        .no_panic()
        .stderr_has("not locked");
    // Variables from the environment are parsed like --var.
    w.run_env(
        &["plan", "--no-color"],
        &[("NIMBUS_VAR_message", "from-env")],
    )
    .success()
    .stdout_has("\"from-env\"");
}

#[test]
fn empty_directory_without_configuration() {
    let w = Workdir::empty();
    w.run(&["state", "list"]).success();
    w.run(&["output"]).success();
    // Planning nothing would plan to destroy whatever state holds.
    w.run(&["plan", "--detailed-exitcode"])
        .code(1)
        .no_panic()
        .stderr_has("no configuration files");
    assert!(!w.exists(".nimbus"), "read-only commands create no state");
}
