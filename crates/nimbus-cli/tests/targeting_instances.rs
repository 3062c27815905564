//! `--target` of one instance selects that instance (and what it depends
//! on); a target that names nothing is an error; a targeted plan says
//! that targeting is in effect; and a block gone from the configuration is
//! only deleted when a target names it.

mod common;

use common::*;

const COUNTED: &str = r#"(define-infrastructure t
  (resource terraform-data "base" (input "base"))
  (resource terraform-data "n" (count 3)
    (input (format "~a-~a" (ref terraform-data "base" "output") count-index)))
  (resource terraform-data "k" (for-each (list "a[0]" "b.c" "d\"e"))
    (input each-key)))
"#;

#[test]
fn an_instance_target_selects_that_instance_and_its_dependencies() {
    let w = Workdir::init_with(COUNTED);
    let plan = w.run(&["plan", "--json", "--target", "terraform-data.n[1]"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.base", "create"),
            ("terraform-data.n[1]", "create")
        ])
    );
    w.run(&["apply", "--auto-approve", "--target", "terraform-data.n[1]"])
        .success();
    assert_eq!(
        w.state_list(),
        ["terraform-data.base", "terraform-data.n[1]"]
    );

    // A for-each key with brackets, dots and quotes.
    let key = r#"terraform-data.k["a[0]"]"#;
    let plan = w.run(&["plan", "--json", "--target", key]);
    assert_eq!(planned_actions(&plan), actions(&[(key, "create")]));
    w.run(&["apply", "--auto-approve", "--target", key])
        .success();
    assert!(w.state_list().contains(&key.to_string()));

    // The rest is still planned without a target.
    let plan = w.run(&["plan", "--json"]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.n[0]", "create"),
            ("terraform-data.n[2]", "create"),
            (r#"terraform-data.k["b.c"]"#, "create"),
            (r#"terraform-data.k["d\"e"]"#, "create"),
        ])
    );
}

#[test]
fn a_target_that_names_nothing_is_an_error() {
    let w = Workdir::init_with(COUNTED);
    for target in [
        "terraform-data.nope",
        "terraform-data.n[7]",
        "null-resource.n",
    ] {
        w.run(&["plan", "--target", target])
            .failure()
            .no_panic()
            .stderr_has(&format!("--target {target} matches nothing"));
    }
    // An instance that only state has is a valid target: it is deleted.
    w.run(&["apply", "--auto-approve"]).success();
    w.write("main.nim", &COUNTED.replace("(count 3)", "(count 2)"));
    let plan = w.run(&["plan", "--json", "--target", "terraform-data.n[2]"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[("terraform-data.n[2]", "delete")])
    );
}

#[test]
fn a_targeted_plan_warns_that_targeting_is_in_effect() {
    let w = Workdir::init_with(COUNTED);
    w.run(&["plan", "--target", "terraform-data.base", "--no-color"])
        .success()
        .stderr_has("resource targeting is in effect");
    let untargeted = w.run(&["plan", "--no-color"]);
    assert!(!untargeted.stderr.contains("targeting is in effect"));
}

#[test]
fn a_removed_block_is_deleted_only_when_targeted() {
    let w = Workdir::init_with(COUNTED);
    w.run(&["apply", "--auto-approve"]).success();
    w.write(
        "main.nim",
        r#"(define-infrastructure t
  (resource terraform-data "base" (input "base2")))
"#,
    );
    let plan = w.run(&["plan", "--json", "--target", "terraform-data.base"]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[("terraform-data.base", "update")]),
        "removed blocks outside the target stay"
    );
    let plan = w.run(&["plan", "--json", "--target", "terraform-data.n"]);
    assert_eq!(
        planned_actions(&plan),
        actions(&[
            ("terraform-data.n[0]", "delete"),
            ("terraform-data.n[1]", "delete"),
            ("terraform-data.n[2]", "delete"),
        ])
    );
}
