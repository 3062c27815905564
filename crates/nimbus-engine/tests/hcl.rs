//! A project written in the Terraform language (`.tf` files only) loads
//! through `nimbus_config::load`, validates, plans and applies with the
//! same engine as `.nim`. The tests' provider catalog serves the built-in
//! provider under its Nimbus names (`terraform-data`); Terraform's names
//! (`terraform_data`) are the CLI's catalog's, tested there.

mod support;

use nimbus_engine::{Action, RunOptions};
use support::Project;

const VARIABLES: &str = r#"
variable "environment" {
  type    = string
  default = "dev"
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "must be dev or prod"
  }
}

variable "services" {
  type    = map(number)
  default = { api = 2, web = 1 }
}
"#;

const MAIN: &str = r#"
terraform {
  required_version = ">= 1.0"
}

locals {
  prefix = "app-${var.environment}"
  ports  = { for name, replicas in var.services : name => 8000 + replicas }
}

resource "terraform-data" "service" {
  for_each = var.services
  input    = "${local.prefix}-${each.key}:${local.ports[each.key]}"
}

resource "terraform-data" "replica" {
  count = 2
  input = "replica-${count.index} of ${terraform-data.service["api"].input}"
}

output "names" {
  value = [for s in terraform-data.service : upper(s.input) if s.input != ""]
}

output "replicas" {
  value = terraform-data.replica[*].input
}
"#;

#[test]
fn a_terraform_project_plans_and_applies() {
    let project = Project::new();
    project.write("variables.tf", VARIABLES);
    project.write("main.tf", MAIN);
    let (config, diagnostics) = project.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");

    let found = runtime.block_on(project.validate(&config));
    assert!(found.is_empty(), "{found:#?}");

    let plan = runtime
        .block_on(project.plan(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let mut planned: Vec<(String, Action)> = plan
        .changes
        .iter()
        .map(|c| (c.address.clone(), c.action))
        .collect();
    planned.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        planned,
        [
            ("terraform-data.replica[0]".to_string(), Action::Create),
            ("terraform-data.replica[1]".to_string(), Action::Create),
            (
                "terraform-data.service[\"api\"]".to_string(),
                Action::Create
            ),
            (
                "terraform-data.service[\"web\"]".to_string(),
                Action::Create
            ),
        ]
    );

    let applied = runtime
        .block_on(project.apply(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(applied.report.is_some());
    let outputs: Vec<(String, serde_json::Value)> = project
        .outputs()
        .into_iter()
        .map(|o| (o.name.clone(), o.value.clone()))
        .collect();
    assert_eq!(
        outputs,
        [
            (
                "names".to_string(),
                serde_json::json!(["APP-DEV-API:8002", "APP-DEV-WEB:8001"])
            ),
            (
                "replicas".to_string(),
                serde_json::json!([
                    "replica-0 of app-dev-api:8002",
                    "replica-1 of app-dev-api:8002"
                ])
            ),
        ]
    );
}

/// A module called with `count` from `.tf`: one instance per index, with
/// Terraform's addresses, and its outputs read per instance and as a list.
#[test]
fn a_terraform_module_with_count_makes_one_instance_per_index() {
    let project = Project::new();
    project.write(
        "main.tf",
        r#"
module "node" {
  source = "./node"
  count  = 2
  name   = "node-${count.index}"
}

output "first" {
  value = module.node[0].name
}

output "all" {
  value = module.node[*].name
}
"#,
    );
    project.write(
        "node/main.tf",
        r#"
variable "name" {
  type = string
}

resource "terraform-data" "this" {
  input = var.name
}

output "name" {
  value = terraform-data.this.output
}
"#,
    );
    let (config, diagnostics) = project.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let applied = runtime
        .block_on(project.apply(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let mut created: Vec<String> = applied
        .plan
        .changes
        .iter()
        .map(|c| c.address.clone())
        .collect();
    created.sort();
    assert_eq!(
        created,
        [
            "module.node[0].terraform-data.this",
            "module.node[1].terraform-data.this"
        ]
    );
    let outputs: Vec<(String, serde_json::Value)> = project
        .outputs()
        .into_iter()
        .map(|o| (o.name.clone(), o.value.clone()))
        .collect();
    assert_eq!(
        outputs,
        [
            ("all".to_string(), serde_json::json!(["node-0", "node-1"])),
            ("first".to_string(), serde_json::json!("node-0")),
        ]
    );
}

/// Terraform's custom conditions, checks and `replace_triggered_by`,
/// written in `.tf`, run through the engine: a check's finding is a
/// warning of the plan and of the apply, a changed trigger replaces, a
/// false precondition fails the plan at its `.tf` location.
#[test]
fn terraform_conditions_checks_and_triggers() {
    use nimbus_syntax::Code;
    let main = |version: &str, replicas: u32| {
        format!(
            r#"
resource "terraform_data" "config" {{
  input = "{version}"
}}

resource "terraform_data" "web" {{
  input = {replicas}
  lifecycle {{
    replace_triggered_by = [terraform_data.config.input]
    precondition {{
      condition     = {replicas} >= 3
      error_message = "At least 3 replicas, not ${{{replicas}}}."
    }}
    postcondition {{
      condition     = self.input == {replicas}
      error_message = "The input is kept."
    }}
  }}
}}

output "web" {{
  value = terraform_data.web.output
  precondition {{
    condition     = terraform_data.web.input >= 3
    error_message = "Too few."
  }}
}}

check "versioned" {{
  assert {{
    condition     = terraform_data.config.output == "v2"
    error_message = "The config is ${{terraform_data.config.output}}, not v2."
  }}
}}
"#
        )
    };
    let project = Project::new();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let codes = |ds: &[nimbus_syntax::Diagnostic]| -> Vec<Option<Code>> {
        ds.iter().map(|d| d.code.clone()).collect()
    };

    project.write("main.tf", &main("v1", 3));
    let (config, diagnostics) = project.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let plan = runtime
        .block_on(project.plan(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(codes(&plan.warnings), [Some(Code::CheckUnknown)]);
    let applied = runtime
        .block_on(project.apply(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let report = applied.report.expect("applied");
    assert!(report.succeeded(), "{:#?}", report.diagnostics);
    assert_eq!(codes(&report.diagnostics), [Some(Code::CheckFailed)]);
    assert!(
        report.diagnostics[0]
            .message
            .contains("The config is v1, not v2."),
        "{:#?}",
        report.diagnostics
    );

    project.write("main.tf", &main("v2", 3));
    let (config, _) = project.load();
    let plan = runtime
        .block_on(project.plan(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let web = plan
        .changes
        .iter()
        .find(|c| c.address == "terraform_data.web")
        .expect("planned");
    assert_eq!(web.action, Action::Replace);
    assert_eq!(
        web.replace_triggered_by.as_deref(),
        Some("terraform_data.config.input")
    );
    let report = runtime
        .block_on(project.apply(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"))
        .report
        .expect("applied");
    assert!(report.succeeded(), "{:#?}", report.diagnostics);
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);

    project.write("main.tf", &main("v2", 2));
    let (config, _) = project.load();
    let errors = runtime
        .block_on(project.plan(&config, &RunOptions::default(), false))
        .expect_err("the precondition is false");
    assert_eq!(codes(&errors), [Some(Code::ConditionFailed)], "{errors:#?}");
    assert_eq!(
        errors[0].message,
        "terraform_data.web: precondition failed: At least 3 replicas, not 2."
    );
    let span = errors[0].span.expect("located");
    let (line, column) = config
        .sources
        .get(span.file)
        .expect("the file")
        .line_col(span.start);
    assert_eq!((line, column), (10, 5));
}

/// `templatefile`, `file` and `fileset` from `.tf`, in a module reached
/// through `path.module`: paths are relative to the root module's
/// directory, and a template sees only the variables it is given
/// (its `%{for}` and strip markers rendered as Terraform renders them).
#[test]
fn terraform_file_functions_read_relative_to_the_root_module() {
    let project = Project::new();
    project.write(
        "main.tf",
        r#"
module "site" {
  source = "./site"
  title  = "Docs"
}

output "pages" {
  value = module.site.pages
}

output "index" {
  value = module.site.index
}
"#,
    );
    project.write(
        "site/main.tf",
        r#"
variable "title" {
  type = string
}

resource "terraform-data" "page" {
  for_each = fileset("${path.module}/pages", "**/*.md")
  input    = trimspace(file("${path.module}/pages/${each.value}"))
}

resource "terraform-data" "index" {
  input = templatefile("${path.module}/index.tpl", {
    title = var.title
    pages = sort(keys(terraform-data.page))
  })
}

output "pages" {
  value = { for k, p in terraform-data.page : k => p.output }
}

output "index" {
  value = terraform-data.index.output
}
"#,
    );
    project.write("site/pages/intro.md", "Intro\n");
    project.write("site/pages/guide/setup.md", "Setup\n");
    project.write("site/pages/notes.txt", "not a page\n");
    project.write(
        "site/index.tpl",
        "# ${title}\n%{ for p in pages ~}\n* ${p}\n%{ endfor ~}\n",
    );
    let (config, diagnostics) = project.load();
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let found = runtime.block_on(project.validate(&config));
    assert!(found.is_empty(), "{found:#?}");
    runtime
        .block_on(project.apply(&config, &RunOptions::default(), false))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let outputs: Vec<(String, serde_json::Value)> = project
        .outputs()
        .into_iter()
        .map(|o| (o.name.clone(), o.value.clone()))
        .collect();
    assert_eq!(
        outputs,
        [
            (
                "index".to_string(),
                serde_json::json!("# Docs\n* guide/setup.md\n* intro.md\n")
            ),
            (
                "pages".to_string(),
                serde_json::json!({"guide/setup.md": "Setup", "intro.md": "Intro"})
            ),
        ]
    );
}
