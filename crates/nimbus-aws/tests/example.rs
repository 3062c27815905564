//! End to end: the real `nimbus` binary applies examples/localstack against
//! the emulator (NIMBUS_AWS_ENDPOINT points the `localstack` provider at
//! it), plans again with no changes, and destroys everything, checked
//! through the provider's own AWS client.
//!
//! The binary is target/<profile>/nimbus (built by `cargo test --workspace`,
//! or `cargo build -p nimbus-cli`), or NIMBUS_BIN. Without the emulator or
//! the binary the test prints a notice and passes, except under CI=true.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skip

use nimbus_aws::wire::{APIGATEWAY, Call, DYNAMODB, IAM, LAMBDA, Params, S3};
use nimbus_aws::{Aws, Preset};
use nimbus_provider::Provider;
use nimbus_provider::nimbus_value::Value;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip(why: &str) {
    if ci() {
        panic!("{why} (under CI this test must run)");
    }
    eprintln!("notice: skipping the end-to-end AWS example: {why}");
}

fn nimbus_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("NIMBUS_BIN") {
        return Some(PathBuf::from(path));
    }
    // target/<profile>/deps/example-HASH -> target/<profile>/nimbus
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join(format!("nimbus{}", std::env::consts::EXE_SUFFIX));
    bin.exists().then_some(bin)
}

/// The emulator's endpoint and the `nimbus` binary; without either the
/// test is skipped with a notice (a failure under CI).
fn emulator_and_binary() -> Option<(String, PathBuf)> {
    let endpoint = match std::env::var("NIMBUS_TEST_AWS_ENDPOINT") {
        Ok(e) if !e.is_empty() => e,
        _ => {
            skip(
                "NIMBUS_TEST_AWS_ENDPOINT is not set (export NIMBUS_TEST_AWS_ENDPOINT=$(scripts/moto start))",
            );
            return None;
        }
    };
    let Some(bin) = nimbus_binary() else {
        skip("the nimbus binary is not built (cargo build -p nimbus-cli, or set NIMBUS_BIN)");
        return None;
    };
    Some((endpoint, bin))
}

/// A name prefix no earlier run used, for the objects a test makes.
fn unique_prefix(stem: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{stem}-{:x}", (nanos / 1000) % 0xffff_ffff)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".nimbus" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

struct Run {
    bin: PathBuf,
    dir: PathBuf,
    endpoint: String,
    prefix: String,
}

impl Run {
    fn nimbus(&self, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .args(["-C", self.dir.to_str().unwrap(), "--no-color"])
            .args(args)
            .env("NIMBUS_AWS_ENDPOINT", &self.endpoint)
            .env("NIMBUS_VAR_prefix", &self.prefix)
            .env_remove("NIMBUS_WORKSPACE")
            .output()
            .expect("running nimbus")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.nimbus(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "nimbus {} failed ({}):\n{text}",
            args.join(" "),
            out.status
        );
        text
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn localstack_example_applies_replans_clean_and_destroys() {
    let Some((endpoint, bin)) = emulator_and_binary() else {
        return;
    };
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/localstack");
    let work = tempfile::tempdir().unwrap();
    copy_dir(&example, work.path());
    let run = Run {
        bin,
        dir: work.path().to_path_buf(),
        endpoint: endpoint.clone(),
        prefix: unique_prefix("nimbus-e2e"),
    };

    let validate = run.nimbus(&["validate"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    if text.contains("no provider named `localstack`") {
        return skip(&format!(
            "{} was built without the AWS provider; rebuild it (cargo build -p nimbus-cli)",
            run.bin.display()
        ));
    }
    assert!(validate.status.success(), "nimbus validate failed:\n{text}");

    run.ok(&["init"]);
    run.ok(&["apply", "--auto-approve"]);
    let arn = run.ok(&["output", "bucket-arn"]);
    let bucket = format!("{}-data", run.prefix);
    assert!(
        arn.contains(&format!("arn:aws:s3:::{bucket}")),
        "output bucket-arn: {arn}"
    );

    // Nothing to do on a second plan (exit code 0 with --detailed-exitcode).
    let plan = run.nimbus(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "the plan after apply is not empty:\n{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );

    // What exists, seen through the provider's own client.
    let aws = Aws::new(Preset::LocalStack, work.path());
    aws.configure(&Value::Map(
        [("endpoint".to_string(), Value::string(&endpoint))].into(),
    ))
    .await
    .unwrap();
    let c = aws.clients().unwrap();
    let function = c
        .wire
        .rest_json(
            &LAMBDA,
            Call::new(
                "GET",
                &["2015-03-31", "functions", &format!("{}-api", run.prefix)],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        function["Configuration"]["Environment"]["Variables"]["BUCKET"].as_str(),
        Some(bucket.as_str()),
        "the function knows the bucket"
    );
    let versioning = aws
        .read(nimbus_provider::ReadRequest {
            type_name: "s3-bucket",
            current_state: &Value::Map(
                [("bucket-name".to_string(), Value::string(&bucket))].into(),
            ),
            private: &[],
        })
        .await
        .unwrap()
        .expect("the bucket exists")
        .new_state;
    assert_eq!(versioning.get("versioning"), Some(&Value::Bool(true)));
    assert!(
        c.wire
            .json(
                &DYNAMODB,
                "DescribeTable",
                json!({ "TableName": format!("{}-items", run.prefix) }),
            )
            .await
            .is_ok()
    );

    run.ok(&["destroy", "--auto-approve"]);
    assert_eq!(
        run.ok(&["state", "list"]).trim(),
        "",
        "state is empty after destroy"
    );

    // Nothing left behind.
    let buckets = c.wire.rest_xml(&S3, Call::new("GET", &[])).await.unwrap();
    let buckets = nimbus_aws::wire::xml_answer(&buckets).unwrap();
    assert!(
        !buckets
            .at(&["Buckets"])
            .into_iter()
            .flat_map(|list| list.children_named("Bucket"))
            .any(|b| b.text_at(&["Name"]).as_deref() == Some(bucket.as_str())),
        "bucket left behind"
    );
    assert!(
        c.wire
            .rest_json(
                &LAMBDA,
                Call::new(
                    "GET",
                    &["2015-03-31", "functions", &format!("{}-api", run.prefix)],
                ),
            )
            .await
            .is_err(),
        "function left behind"
    );
    let tables = c
        .wire
        .json(&DYNAMODB, "ListTables", json!({}))
        .await
        .unwrap();
    assert!(
        !tables["TableNames"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().starts_with(&run.prefix)),
        "table left behind"
    );
    let roles = c
        .wire
        .query(&IAM, "ListRoles", Params::new())
        .await
        .unwrap();
    assert!(
        !roles
            .members(&["ListRolesResult", "Roles"])
            .iter()
            .any(|r| r
                .text_at(&["RoleName"])
                .is_some_and(|n| n.starts_with(&run.prefix))),
        "role left behind"
    );
    let apis = c
        .wire
        .rest_json(
            &APIGATEWAY,
            Call::new("GET", &["restapis"])
                .query("limit", "500")
                .header("accept", "application/json"),
        )
        .await
        .unwrap();
    assert!(
        !apis["item"]
            .as_array()
            .into_iter()
            .chain(apis["items"].as_array())
            .flatten()
            .any(|a| a["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(&run.prefix))),
        "API left behind"
    );
}

/// The `resource_changes` of a saved plan of the project in `run.dir`:
/// each change's address and planned object.
fn planned_changes(run: &Run) -> Vec<(String, serde_json::Value)> {
    run.ok(&["plan", "--refresh=false", "-out", "p.plan"]);
    let shown = run.nimbus(&["show", "-json", "p.plan"]);
    assert!(shown.status.success(), "show -json failed");
    let document: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let mut changes: Vec<(String, serde_json::Value)> = document["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap_or_default().to_string(),
                c["change"]["after"].clone(),
            )
        })
        .collect();
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    changes
}

/// examples/web-services: three uses of a `web-service` macro (with the
/// module's functions) plan exactly what the same nine resources written
/// out by hand plan; the example applies on the emulator, plans again with
/// no changes and destroys; a wrong value passed to a use is reported at
/// the use and at the template line it lands on.
#[tokio::test(flavor = "multi_thread")]
async fn web_services_macro_example_plans_as_written_out_and_applies() {
    let Some((endpoint, bin)) = emulator_and_binary() else {
        return;
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = manifest.join("../../examples/web-services");
    let prefix = unique_prefix("nimbus-ws");
    let with_macro = tempfile::tempdir().unwrap();
    copy_dir(&example, with_macro.path());
    let written_out = tempfile::tempdir().unwrap();
    copy_dir(&example.join("src"), &written_out.path().join("src"));
    std::fs::copy(
        manifest.join("tests/examples/web-services-written-out.nim"),
        written_out.path().join("main.nim"),
    )
    .unwrap();
    let run = |dir: &Path| Run {
        bin: bin.clone(),
        dir: dir.to_path_buf(),
        endpoint: endpoint.clone(),
        prefix: prefix.clone(),
    };
    let (macro_run, written_run) = (run(with_macro.path()), run(written_out.path()));
    let validate = macro_run.nimbus(&["validate"]);
    if String::from_utf8_lossy(&validate.stderr).contains("no provider named `localstack`") {
        return skip("the nimbus binary was built without the AWS provider");
    }

    let planned = planned_changes(&macro_run);
    assert_eq!(planned.len(), 9, "{planned:#?}");
    assert_eq!(
        planned,
        planned_changes(&written_run),
        "the macro's plan differs from the written-out one"
    );

    macro_run.ok(&["init"]);
    macro_run.ok(&["apply", "--auto-approve"]);
    let functions = macro_run.ok(&["output", "-json", "functions"]);
    assert!(
        functions.contains(&format!("{prefix}-billing-fn")),
        "{functions}"
    );
    let plan = macro_run.nimbus(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "the plan after apply is not empty:\n{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );
    macro_run.ok(&["destroy", "--auto-approve"]);

    // A wrong value in a use: located at the use, and at the template.
    let main = std::fs::read_to_string(with_macro.path().join("main.nim")).unwrap();
    std::fs::write(
        with_macro.path().join("main.nim"),
        main.replace("(memory 512)", "(memory \"lots\")"),
    )
    .unwrap();
    let wrong = macro_run.nimbus(&["validate"]);
    let text = String::from_utf8_lossy(&wrong.stderr).to_string();
    assert!(!wrong.status.success(), "{text}");
    let use_line = main
        .lines()
        .position(|l| l.contains("(memory 512)"))
        .unwrap()
        + 1;
    assert!(text.contains(&format!("main.nim:{use_line}:")), "{text}");
    assert!(text.contains("memory-size"), "{text}");
    assert!(
        text.contains("passed to macro `web-service`, whose template puts it at macros.nim:"),
        "{text}"
    );
}
