//! The saved-plan contract: `apply FILE` applies exactly the saved plan or
//! refuses before any provider call.
//!
//! Data-driven: each `tests/e2e/saved_plan_edits/<case>/` holds an
//! optional `before.nim` (applied first), `planned.nim` (what `plan -out`
//! sees) and `edited.nim` (the configuration at `apply FILE` time). The
//! refused apply is snapshotted; nothing may change; the same plan then
//! applies once the configuration is back as planned.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `out/` with its content: what the providers made.
fn files_made(w: &Workdir) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let dir = w.path().join("out");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            out.insert(
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(entry.path()).unwrap_or_default(),
            );
        }
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn edits_between_plan_and_apply_are_refused() {
    insta::glob!("e2e/saved_plan_edits/*/edited.nim", |edited| {
        let case = edited.parent().unwrap();
        let w = Workdir::empty();
        w.run(&["init"]).success();
        if case.join("before.nim").exists() {
            w.write("main.nim", &read(&case.join("before.nim")));
            w.run(&["apply", "--auto-approve"]).success();
        }
        let planned = read(&case.join("planned.nim"));
        w.write("main.nim", &planned);
        w.run(&["plan", "-out", "reviewed.plan"]).success();

        let state_before = w.state_list();
        let history_before = w.history().len();
        let files_before = files_made(&w);
        w.write("main.nim", &read(edited));
        let refused = w.run(&["apply", "reviewed.plan", "--no-color"]);
        refused
            .failure()
            .no_panic()
            .stderr_has("the configuration no longer produces the saved plan");
        assert!(
            !refused.stdout.contains("Apply complete"),
            "{}",
            transcript(&refused)
        );
        assert_eq!(
            w.state_list(),
            state_before,
            "a refused plan records nothing"
        );
        assert_eq!(w.history().len(), history_before, "no event either");
        assert_eq!(
            files_made(&w),
            files_before,
            "and no provider made anything"
        );
        let settings = insta_settings(Some(&w));
        settings.bind(|| insta::assert_snapshot!(transcript(&refused)));

        // Back to what was reviewed: the same plan applies, exactly.
        w.write("main.nim", &planned);
        w.run(&["apply", "reviewed.plan"]).success();
        w.run(&["plan", "--detailed-exitcode"])
            .success()
            .stdout_has("No changes.");
    });
}

#[test]
fn unchanged_configuration_applies_the_planned_values() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["plan", "-out", "p", "--var", "message=REVIEWED"])
        .success();
    // Formatting and comments do not change what the configuration plans.
    let text = w.read("main.nim");
    w.write("main.nim", &format!(";; reviewed on Monday\n{text}\n\n"));
    w.run(&["apply", "p"]).success();
    assert_eq!(w.read("out/note.txt"), "REVIEWED");
    assert_eq!(w.attribute("terraform-data.message", "input"), "REVIEWED");
}

#[test]
fn a_variable_changed_after_the_plan_does_not_reach_the_apply() {
    // The plan keeps the values it was made with: a different `--var` or
    // environment at apply time is not what was reviewed.
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["plan", "-out", "p", "--var", "message=REVIEWED"])
        .success();
    w.run_env(
        &["apply", "p", "--var", "message=SNEAKED-IN"],
        &[("NIMBUS_VAR_message", "SNEAKED-IN")],
    )
    .success();
    assert_eq!(w.read("out/note.txt"), "REVIEWED");
}

#[test]
fn a_plan_belongs_to_its_directory() {
    let w = Workdir::empty();
    std::fs::create_dir_all(w.path().join("proj")).unwrap();
    w.write("proj/main.nim", &fixture("saved_plan/main.nim"));
    let plan = w.run(&["-C", "proj", "plan", "-out", "my.plan", "--no-color"]);
    // The hint is a command that works from where the user is.
    plan.success()
        .stdout_has("Apply it with: nimbus -C proj apply my.plan");
    assert!(w.exists("proj/my.plan"));

    // Applying it from the parent directory is refused and creates nothing.
    let elsewhere = w.run(&["apply", "proj/my.plan"]);
    elsewhere
        .failure()
        .no_panic()
        .stderr_has("the plan was made in")
        .stderr_has("apply it there: nimbus -C");
    assert!(
        !w.exists(".nimbus"),
        "no state appears where the plan does not belong"
    );
    assert!(
        !w.exists("proj/.nimbus/state.db")
            || w.run(&["-C", "proj", "state", "list"])
                .stdout
                .trim()
                .is_empty()
    );

    // The printed command works.
    w.run(&["-C", "proj", "apply", "my.plan", "--no-color"])
        .success()
        .stdout_has("Apply complete! Resources: 2 created");
}

#[test]
fn a_plan_file_of_an_older_format_is_named_as_such() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.write(
        "old.plan",
        r#"{"format":1,"nimbus_version":"0.1.0","plan":{},"inputs":[]}"#,
    );
    w.run(&["apply", "old.plan"])
        .failure()
        .no_panic()
        .stderr_has("plan format 1 is not supported");
}

#[test]
fn a_targeted_plan_applies_its_own_selection() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&[
        "plan",
        "-out",
        "t.plan",
        "--target",
        "terraform-data.message",
    ])
    .success();
    w.run(&["apply", "t.plan"])
        .success()
        .stdout_has("1 created");
    assert_eq!(w.state_list(), ["terraform-data.message"]);
    w.run(&["plan", "-out", "u.plan", "--target", "local-file.note"])
        .success();
    w.run(&["apply", "u.plan", "--target", "terraform-data.message"])
        .failure()
        .stderr_has("with the --target/--exclude/--replace selection it was made with");
}

#[test]
fn prevent_destroy_protects_instances_that_leave_the_configuration() {
    let w = Workdir::empty();
    w.run(&["init"]).success();
    w.write(
        "main.nim",
        r#"(define-infrastructure t
  (resource terraform-data "counted" (count 2) (input count-index)
    (lifecycle (prevent-destroy #t)))
  (resource terraform-data "keyed" (for-each (list "a" "b")) (input each-key)
    (lifecycle (prevent-destroy #t))))"#,
    );
    w.run(&["apply", "--auto-approve"]).success();
    assert_eq!(w.state_list().len(), 4);

    w.write(
        "main.nim",
        r#"(define-infrastructure t
  (resource terraform-data "counted" (count 1) (input count-index)
    (lifecycle (prevent-destroy #t)))
  (resource terraform-data "keyed" (for-each (list "a")) (input each-key)
    (lifecycle (prevent-destroy #t))))"#,
    );
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"][..],
        &["plan", "-out", "p"][..],
    ] {
        w.run(args)
            .failure()
            .no_panic()
            .stderr_has("terraform-data.counted[1] has `prevent-destroy` set, but this plan would destroy it")
            .stderr_has(r#"terraform-data.keyed["b"] has `prevent-destroy` set"#);
    }
    assert_eq!(w.state_list().len(), 4, "nothing was destroyed");
    assert!(!w.exists("p"), "no plan was saved");

    // A block removed altogether takes its protection with it, as in
    // Terraform.
    w.write("main.nim", "(define-infrastructure t)");
    w.run(&["apply", "--auto-approve"]).success();
    assert!(w.state_list().is_empty());
}

#[test]
fn a_directory_without_configuration_is_refused() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["apply", "--auto-approve"]).success();
    std::fs::rename(w.path().join("main.nim"), w.path().join("main.nim.bak")).unwrap();
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"][..],
        &["validate"][..],
    ] {
        w.run(args)
            .failure()
            .no_panic()
            .stderr_has("no configuration files");
    }
    assert_eq!(w.state_list().len(), 2, "nothing planned for destruction");

    let empty = Workdir::empty();
    empty
        .run(&["plan"])
        .failure()
        .stderr_has("no configuration files");
    assert!(!empty.exists(".nimbus"), "a refused plan creates no state");
}

/// A plan file edited by hand is refused before anything is done, however
/// consistent the edit: its planned values, or its variable values and
/// planned values together (which the configuration would then produce
/// again). The file is sealed with a key kept in the state store.
#[test]
fn a_tampered_plan_file_is_refused() {
    let w = Workdir::init_with(
        r#"(define-variables (word (type string)))
(define-infrastructure t
  (resource terraform-data "a" (input (var word)))
  (resource local-file "f" (filename "out/f.txt") (content "x")))"#,
    );
    w.run(&["plan", "-out", "p", "--var", "word=REVIEWED"])
        .success();
    let sealed = w.read("p");
    for edited in [
        sealed.replacen("REVIEWED", "TAMPERED", 1),
        sealed.replace("REVIEWED", "TAMPERED"),
        sealed.replace("\"seal\":", "\"unsealed\":"),
    ] {
        w.write("p", &edited);
        w.run(&["apply", "p"])
            .failure()
            .no_panic()
            .stderr_has("the plan file was changed after it was written");
        assert!(w.state_list().is_empty());
        assert!(!w.exists("out/f.txt"));
    }
    // A plan made for another state (here: the state it was made for is
    // gone, and a new one has its own key) is refused too.
    w.write("p", &sealed);
    std::fs::remove_dir_all(w.path().join(".nimbus")).expect("remove the state");
    w.run(&["apply", "p"]).failure().stderr_has(
        "the plan file was changed after it was written, or was written for another state",
    );
    // The file as written applies.
    w.run(&["plan", "-out", "p", "--var", "word=REVIEWED"])
        .success();
    w.run(&["apply", "p"]).success();
    assert_eq!(w.attribute("terraform-data.a", "output"), "REVIEWED");
}

/// Two applies of one saved plan at once: one applies it, the other is
/// refused (lock or stale), and nothing is made twice.
#[test]
fn one_saved_plan_applied_twice_at_once_is_applied_once() {
    let w = Workdir::init_fixture("saved_plan/main.nim");
    w.run(&["plan", "-out", "p"]).success();
    let first = w.spawn_captured(&["apply", "p"], &[]);
    let second = w.spawn_captured(&["apply", "p"], &[]);
    let codes: Vec<i32> = [first, second]
        .into_iter()
        .map(|child| {
            child
                .wait_with_output()
                .expect("wait")
                .status
                .code()
                .unwrap_or(-1)
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 1], "{codes:?}");
    assert_eq!(w.state_list().len(), 2);
    let creates = w
        .history()
        .iter()
        .filter(|e| e["kind"] == "resource.create")
        .count();
    assert_eq!(creates, 2, "nothing created twice");
}

#[test]
fn path_cwd_is_the_projects_absolute_directory_wherever_the_plan_is_applied_from() {
    // Terraform's `path.cwd` is absolute. It is the root module's
    // directory, where relative paths start from, so a plan saved there
    // and applied with `-C` from another directory applies as planned.
    let w = Workdir::empty();
    std::fs::create_dir_all(w.path().join("proj")).unwrap();
    w.write(
        "proj/main.tf",
        r#"
resource "terraform_data" "where" {
  input = path.cwd
}

output "cwd" {
  value = path.cwd
}

output "root" {
  value = path.root
}
"#,
    );
    let project = w.path().join("proj").canonicalize().unwrap();
    let project = project.to_str().unwrap();
    let plan = w.run(&["-C", "proj", "plan", "-out", "my.plan", "--no-color"]);
    plan.success()
        .stdout_has(&format!("input  = \"{project}\""));
    w.run(&["-C", "proj", "apply", "my.plan", "--no-color"])
        .success()
        .stdout_has("Apply complete! Resources: 1 created");
    let outputs: serde_json::Value =
        serde_json::from_str(&w.run(&["-C", "proj", "output", "--json"]).success().stdout).unwrap();
    assert_eq!(outputs["cwd"]["value"], project);
    assert_eq!(outputs["root"]["value"], ".");
    // Planned again from the parent directory: nothing changes.
    w.run(&["-C", "proj", "plan", "--no-color", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
}
