//! Rego policies (the language of Open Policy Agent) run in process, with
//! the regorus interpreter: no OPA server or binary.
//!
//! A policy file is compiled once ([`RegoPolicies::compile`]) and evaluated
//! over a plan's JSON document ([`RegoPolicies::evaluate`]), the document
//! `nimbus show -json` prints in Terraform's shape, so policies written for
//! `opa eval` or conftest over `terraform show -json` run unchanged. Of each
//! package, the rules conftest reads are evaluated: `deny` and `violation`
//! (failures) and `warn` (warnings). Each member of such a rule's set is one
//! finding: a string is its message; an object gives `msg` (or `message`)
//! and may name the resource it is about (`address` or `resource`).
//!
//! Both dialects are read: Rego v1 (OPA 1.0: `deny contains msg if`) and,
//! when a file does not parse as v1, v0 (`deny[msg] { ... }`), the style of
//! most policies written before 2025. An evaluation runs under a time limit,
//! so a policy that never ends is an error, not a hung plan.
//!
//! The document carries no secret: sensitive values are null in it, so no
//! message a policy writes can quote one.

use regorus::Engine;
use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Duration;

/// The document policies read as `input`, converted once into the
/// interpreter's values (reference-counted: evaluating several policy sets
/// over it copies nothing).
#[derive(Debug, Clone)]
pub struct Document(regorus::Value);

impl From<serde_json::Value> for Document {
    fn from(json: serde_json::Value) -> Document {
        Document(interpreter_value(json))
    }
}

/// A JSON value as the interpreter's, built directly: objects from their
/// keys in order (serde_json keeps them sorted, so each map is built in
/// one pass), strings moved, not copied.
fn interpreter_value(json: serde_json::Value) -> regorus::Value {
    use serde_json::Value as Json;
    match json {
        Json::Null => regorus::Value::Null,
        Json::Bool(b) => regorus::Value::from(b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => regorus::Value::from(i),
            (None, Some(u)) => regorus::Value::from(u),
            (None, None) => regorus::Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(text) => regorus::Value::from(text),
        Json::Array(items) => {
            regorus::Value::from(items.into_iter().map(interpreter_value).collect::<Vec<_>>())
        }
        Json::Object(map) => regorus::Value::from(
            map.into_iter()
                .map(|(k, v)| (regorus::Value::from(k), interpreter_value(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
    }
}

/// One policy file: the name it is shown by, and its text.
#[derive(Debug, Clone)]
pub struct RegoFile {
    pub name: String,
    pub text: String,
}

/// Why policies could not be compiled or evaluated. The message carries
/// regorus's own location (`--> file:line:col` with the line) where it
/// has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegoError {
    #[error("{file} is not valid Rego:\n{message}")]
    Compile { file: String, message: String },
    #[error("evaluating {rule} failed:\n{message}")]
    Evaluate { rule: String, message: String },
}

/// A failure (`deny`, `violation`) or a warning (`warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Deny,
    Warn,
}

/// One member of a `deny`, `violation` or `warn` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegoFinding {
    /// The rule, by package and name: `terraform.s3.deny`.
    pub rule: String,
    pub kind: Kind,
    pub message: String,
    /// The resource the finding names, when it names one.
    pub address: Option<String>,
    /// The file (its index in what was compiled) of the rule's package.
    pub file: usize,
}

/// The rules read of each package, and what a member of each means.
const RULES: [(&str, Kind); 3] = [
    ("deny", Kind::Deny),
    ("violation", Kind::Deny),
    ("warn", Kind::Warn),
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Package {
    name: String,
    engine: usize,
    file: usize,
}

/// How long one evaluation of every package may take.
const TIME_LIMIT: Duration = Duration::from_secs(30);

/// Compiled policies, ready to evaluate any number of documents.
#[derive(Debug, Clone)]
pub struct RegoPolicies {
    /// The files that parse as Rego v1, then those read as v0: regorus
    /// takes one dialect per engine.
    engines: Vec<Engine>,
    /// Each package (`data.terraform.s3`), with the engine that has it
    /// and the first file that declares it.
    packages: Vec<Package>,
    /// The document's top-level parts the files read (`input.NAME`);
    /// `None`: the whole document, as some file reads `input` otherwise.
    sections: Option<BTreeSet<String>>,
}

fn engine(v0: bool) -> Engine {
    let mut engine = Engine::new();
    engine.set_rego_v0(v0);
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: TIME_LIMIT,
        check_interval: NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN),
    });
    engine
}

/// regorus's message without the blank line it starts with.
fn tidy(error: impl std::fmt::Display) -> String {
    error.to_string().trim_matches('\n').to_string()
}

impl RegoPolicies {
    /// Compiles `files`; every file that is not valid Rego is an error.
    pub fn compile(files: &[RegoFile]) -> Result<RegoPolicies, Vec<RegoError>> {
        let (mut v1, mut v0) = (engine(false), engine(true));
        let mut packages = Vec::new();
        let mut errors = Vec::new();
        for (index, file) in files.iter().enumerate() {
            // v1 first: read as v0, a v1 file would parse with warnings
            // printed to stderr (its `if` taken for a name).
            let mut trial = engine(false);
            if trial
                .add_policy(file.name.clone(), file.text.clone())
                .is_ok()
            {
                match v1.add_policy(file.name.clone(), file.text.clone()) {
                    Ok(name) => packages.push(Package {
                        name,
                        engine: 0,
                        file: index,
                    }),
                    Err(e) => errors.push(RegoError::Compile {
                        file: file.name.clone(),
                        message: tidy(e),
                    }),
                }
                continue;
            }
            match v0.add_policy(file.name.clone(), file.text.clone()) {
                Ok(name) => packages.push(Package {
                    name,
                    engine: 1,
                    file: index,
                }),
                // The v1 reading's error names what v1 needs (`if`,
                // `contains`) only when the file is meant as v1; the v0
                // error is about the text as most files are written.
                Err(e) => errors.push(RegoError::Compile {
                    file: file.name.clone(),
                    message: tidy(e),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // A package written in several files is evaluated once, as the
        // first file's.
        packages.sort();
        packages.dedup_by(|later, first| later.name == first.name && later.engine == first.engine);
        let mut sections = Some(BTreeSet::new());
        for file in files {
            match (input_sections(&file.text), &mut sections) {
                (Some(read), Some(all)) => all.extend(read),
                _ => sections = None,
            }
        }
        Ok(RegoPolicies {
            engines: vec![v1, v0],
            packages,
            sections,
        })
    }

    /// The top-level parts of the document the policies can read
    /// (`resource_changes`, ...), so that a caller builds no other;
    /// `None`: the whole document.
    pub fn sections(&self) -> Option<&BTreeSet<String>> {
        self.sections.as_ref()
    }

    /// The rules a finding can come from, as findings name them
    /// (`terraform.s3.deny`), with the kind of finding each makes.
    pub fn rule_ids(&self) -> Vec<(String, Kind)> {
        let mut ids = Vec::new();
        for package in &self.packages {
            let name = package.name.strip_prefix("data.").unwrap_or(&package.name);
            for (rule, kind) in RULES {
                ids.push((format!("{name}.{rule}"), kind));
            }
        }
        ids
    }

    /// Whether no package was compiled.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// Every finding of every package over `document` (the policies'
    /// `input`), in a stable order: by rule, then as the rule's set orders
    /// them.
    pub fn evaluate(&self, document: &Document) -> Result<Vec<RegoFinding>, RegoError> {
        let mut engines = self.engines.clone();
        for (index, engine) in engines.iter_mut().enumerate() {
            if self.packages.iter().any(|p| p.engine == index) {
                engine.set_input(document.0.clone());
            }
        }
        let mut findings = Vec::new();
        for package in &self.packages {
            let engine = &mut engines[package.engine];
            for (name, kind) in RULES {
                let query = format!("{}.{name}", package.name);
                let rule = query.strip_prefix("data.").unwrap_or(&query).to_string();
                let results =
                    engine
                        .eval_query(query.clone(), false)
                        .map_err(|e| RegoError::Evaluate {
                            rule: rule.clone(),
                            message: tidy(e),
                        })?;
                for result in results.result {
                    for expression in result.expressions {
                        let value = serde_json::to_value(&expression.value).map_err(|e| {
                            RegoError::Evaluate {
                                rule: rule.clone(),
                                message: e.to_string(),
                            }
                        })?;
                        findings.extend(members(&value).into_iter().map(|(message, address)| {
                            RegoFinding {
                                rule: rule.clone(),
                                kind,
                                message,
                                address,
                                file: package.file,
                            }
                        }));
                    }
                }
            }
        }
        Ok(findings)
    }
}

/// The top-level parts of `input` a policy text reads: every `input`
/// followed by `.NAME` or `["NAME"]`. Any other use of `input` (alone, as
/// in `x := input` or `with input as`, or indexed by a variable) may read
/// any part: `None`. Comments and string literals are skipped; a text the
/// scan misreads can only widen what is kept, never narrow it, since
/// anything unrecognised reads as the whole document.
fn input_sections(text: &str) -> Option<BTreeSet<String>> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut sections = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                i += 1;
            }
            b if is_word(b) => {
                let start = i;
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                }
                // A name after a dot is a field (`x.input`), not `input`.
                let after_dot = start > 0 && bytes[start - 1] == b'.';
                if &text[start..i] != "input" || after_dot {
                    continue;
                }
                let rest = &text[i..];
                let name_of = |s: &str| -> Option<String> {
                    let end = s.bytes().position(|b| !is_word(b)).unwrap_or(s.len());
                    (end > 0).then(|| s[..end].to_string())
                };
                let section = if let Some(field) = rest.strip_prefix('.') {
                    name_of(field)
                } else if let Some(key) = rest.strip_prefix("[\"") {
                    let end = key.find('"')?;
                    let name = &key[..end];
                    (key[end..].starts_with("\"]") && !name.contains('\\'))
                        .then(|| name.to_string())
                } else {
                    None
                };
                sections.insert(section?);
            }
            _ => i += 1,
        }
    }
    Some(sections)
}

/// The findings a rule's value holds: a set (an array in JSON) of strings
/// or objects; a lone string or object is one finding; `true` (a boolean
/// rule, `deny if ...`) is one finding without a message of its own.
fn members(value: &serde_json::Value) -> Vec<(String, Option<String>)> {
    use serde_json::Value as Json;
    let one = |member: &Json| -> Option<(String, Option<String>)> {
        match member {
            Json::String(text) => Some((text.clone(), None)),
            Json::Object(object) => {
                let text = |key: &str| object.get(key).and_then(Json::as_str).map(str::to_string);
                let message = text("msg")
                    .or_else(|| text("message"))
                    .unwrap_or_else(|| member.to_string());
                Some((message, text("address").or_else(|| text("resource"))))
            }
            Json::Bool(true) => Some(("the rule holds".to_string(), None)),
            Json::Bool(false) | Json::Null => None,
            other => Some((other.to_string(), None)),
        }
    };
    match value {
        Json::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Document {
        Document::from(serde_json::from_str::<serde_json::Value>(text).unwrap())
    }

    fn file(name: &str, text: &str) -> RegoFile {
        RegoFile {
            name: name.to_string(),
            text: text.to_string(),
        }
    }

    const PLAN: &str = r#"{"resource_changes": [
        {"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket",
         "change": {"actions": ["create"], "after": {"bucket": "logs"}}},
        {"address": "aws_s3_bucket.data", "type": "aws_s3_bucket",
         "change": {"actions": ["delete"], "after": null}}
    ]}"#;

    #[test]
    fn both_dialects_and_every_rule_kind() {
        let v0 = file(
            "policies/s3.rego",
            r#"package terraform.s3
deny[msg] {
  rc := input.resource_changes[_]
  rc.type == "aws_s3_bucket"
  rc.change.actions[_] == "delete"
  msg := sprintf("%s: buckets are not deleted here", [rc.address])
}
warn[{"msg": "no versioning", "address": rc.address}] {
  rc := input.resource_changes[_]
  rc.change.actions[_] == "create"
  not rc.change.after.versioning
}
"#,
        );
        let v1 = file(
            "policies/count.rego",
            r#"package terraform.count
violation contains msg if {
  count(input.resource_changes) > 1
  msg := "more than one change"
}
"#,
        );
        let policies = RegoPolicies::compile(&[v0, v1]).unwrap();
        let findings = policies.evaluate(&json(PLAN)).unwrap();
        assert_eq!(
            findings,
            vec![
                RegoFinding {
                    rule: "terraform.count.violation".into(),
                    kind: Kind::Deny,
                    message: "more than one change".into(),
                    address: None,
                    file: 1,
                },
                RegoFinding {
                    rule: "terraform.s3.deny".into(),
                    kind: Kind::Deny,
                    message: "aws_s3_bucket.data: buckets are not deleted here".into(),
                    address: None,
                    file: 0,
                },
                RegoFinding {
                    rule: "terraform.s3.warn".into(),
                    kind: Kind::Warn,
                    message: "no versioning".into(),
                    address: Some("aws_s3_bucket.logs".into()),
                    file: 0,
                },
            ]
        );
        // Nothing to find: no finding.
        assert_eq!(
            policies
                .evaluate(&json(r#"{"resource_changes": []}"#))
                .unwrap(),
            vec![]
        );
    }

    #[test]
    fn the_sections_a_policy_reads() {
        let read = |text: &str| input_sections(text).map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(
            read("deny contains m if { some rc in input.resource_changes; m := rc.address }"),
            Some(vec!["resource_changes".to_string()])
        );
        assert_eq!(
            read(
                r#"x := input["planned_values"].root_module
# input is the plan; input.variables too
y := "input" 
z := input.configuration.provider_config"#
            ),
            Some(vec![
                "configuration".to_string(),
                "planned_values".to_string()
            ])
        );
        assert_eq!(read("rc.input.x == input_like"), Some(vec![]));
        // Whole-document uses.
        assert_eq!(read("doc := input\nx := doc.variables"), None);
        assert_eq!(read("k := \"variables\"\nx := input[k]"), None);
        assert_eq!(read("test_x if { deny with input as {} }"), None);
        assert_eq!(read("import input\n"), None);
        assert_eq!(read("x := input"), None);
    }

    #[test]
    fn errors_are_located_and_never_panic() {
        let errors =
            RegoPolicies::compile(&[file("bad.rego", "package x\ndeny[msg] { msg := }\n")])
                .unwrap_err();
        let text = errors[0].to_string();
        assert!(text.starts_with("bad.rego is not valid Rego"), "{text}");
        assert!(text.contains("bad.rego:2:"), "{text}");
        let failing = RegoPolicies::compile(&[file(
            "div.rego",
            "package d\ndeny contains msg if { x := 1 / 0; msg := sprintf(\"%v\", [x]) }\n",
        )])
        .unwrap();
        let error = failing.evaluate(&json("{}")).unwrap_err().to_string();
        assert!(
            error.contains("d.deny") && error.contains("div.rego:2:"),
            "{error}"
        );
        for cut in 0..40 {
            let text = "package z\ndeny contains msg if { msg := \"x\" }\n";
            let _ = RegoPolicies::compile(&[file("cut.rego", &text[..cut.min(text.len())])]);
        }
    }
}
