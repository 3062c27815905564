//! Differential test against Terraform 1.0.3 itself: every expression of
//! `nimbus-stdlib/tests/terraform-differential.expressions` is evaluated by
//! `terraform console` (the install named by `NIMBUS_TEST_TERRAFORM`, as
//! in the state migration tests) and by Nimbus (lowered by the HCL front
//! end, evaluated here), each result written by its own `jsonencode`.
//! Both must fail (the messages may differ), or both must succeed with the
//! same JSON (numbers compared as numbers) and the same sensitivity.
//!
//! The exceptions are `terraform-differential.known`, one expression a
//! line followed by ` # ` and the reason it legitimately differs. A listed
//! expression that no longer differs fails the test too, so the list
//! cannot go stale.
//!
//! Expressions file: one HCL expression a line; blank lines and lines
//! starting with `#` are skipped; a line ending in `\` continues on the
//! next line, the backslash standing for the line break (heredocs).
//!
//! Terraform's side is batched: piped `terraform console` prints only its
//! last result and stops at the first error, so one console line evaluates
//! a batch as `jsonencode([try(...), ...])`, each `try` telling a
//! sensitive result, a plain one and an error apart. An expression of
//! several lines, and every expression of a batch that fails as a whole
//! (a syntax error), is evaluated on its own as a local value of a
//! one-file configuration. Four threads run batches, each in its own
//! empty working directory.
//!
//! Without Terraform the test is skipped with a notice, except under
//! `CI=true`, where that is a failure.
#![allow(clippy::print_stderr)] // says what it skips

use nimbus_config::MemoryFiles;
use nimbus_eval::{Context, ModuleIndex, Scope};
use nimbus_stdlib::{Effects, FileAccess, Phase};
use nimbus_value::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Threads running Terraform, each with its own working directory.
const THREADS: usize = 4;
/// Expressions per `terraform console` process.
const BATCH: usize = 40;

/// What an expression gave.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// `jsonencode`'s text of the value, and whether it was sensitive.
    Value { json: String, sensitive: bool },
    /// Failed; the message is only shown.
    Error(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Value {
                json,
                sensitive: false,
            } => f.write_str(json),
            Outcome::Value {
                json,
                sensitive: true,
            } => write!(f, "sensitive {json}"),
            Outcome::Error(message) => write!(f, "error: {message}"),
        }
    }
}

/// One entry of an expressions file and the line it starts on.
struct Entry {
    line: usize,
    text: String,
}

/// The entries of a file in the format described above.
fn entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut pending: Option<Entry> = None;
    for (i, line) in text.lines().enumerate() {
        let entry = match pending.take() {
            Some(mut entry) => {
                entry.text.push('\n');
                entry.text.push_str(line);
                entry
            }
            None => {
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                Entry {
                    line: i + 1,
                    text: line.to_string(),
                }
            }
        };
        match entry.text.strip_suffix('\\') {
            Some(continued) => {
                pending = Some(Entry {
                    line: entry.line,
                    text: continued.to_string(),
                });
            }
            None => out.push(entry),
        }
    }
    out.extend(pending);
    out
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../nimbus-stdlib/tests")
}

#[test]
fn terraform_and_nimbus_agree() {
    let Some(install) = terraform_install() else {
        return;
    };
    let dir = tests_dir();
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let expressions = entries(&read("terraform-differential.expressions"));
    assert!(expressions.len() >= 440, "the suite shrank");
    let mut seen = HashMap::new();
    for e in &expressions {
        if let Some(first) = seen.insert(e.text.as_str(), e.line) {
            panic!("line {}: `{}` repeats line {first}", e.line, e.text);
        }
    }

    let mut known = BTreeMap::new();
    for entry in entries(&read("terraform-differential.known")) {
        let Some((expression, reason)) = entry.text.rsplit_once(" # ") else {
            panic!(
                "terraform-differential.known line {}: expected `EXPRESSION # REASON`",
                entry.line
            );
        };
        assert!(
            !reason.trim().is_empty(),
            "terraform-differential.known line {}: no reason given",
            entry.line
        );
        known.insert(expression.trim_end().to_string(), entry.line);
    }

    let texts: Vec<&str> = expressions.iter().map(|e| e.text.as_str()).collect();
    let terraform = Terraform { install };
    let started = std::time::Instant::now();
    let theirs = terraform.evaluate_all(&texts);
    eprintln!(
        "Terraform evaluated {} expressions in {:.1?}",
        texts.len(),
        started.elapsed()
    );

    let mut failures = Vec::new();
    for (entry, theirs) in expressions.iter().zip(&theirs) {
        let ours = nimbus(&entry.text);
        let differs = !agree(theirs, &ours);
        match (differs, known.remove(&entry.text)) {
            (false, None) | (true, Some(_)) => {}
            (true, None) => {
                let theirs = match theirs {
                    // The batch's `try` keeps no message: ask again.
                    Outcome::Error(_) => terraform.evaluate_alone(&entry.text),
                    other => other.clone(),
                };
                failures.push(format!(
                    "line {}: {}\n  terraform: {theirs}\n  nimbus:    {ours}",
                    entry.line, entry.text
                ));
            }
            (false, Some(line)) => failures.push(format!(
                "terraform-differential.known line {line}: `{}` no longer differs ({ours}): remove the entry",
                entry.text
            )),
        }
    }
    for (expression, line) in known {
        failures.push(format!(
            "terraform-differential.known line {line}: `{expression}` is not in terraform-differential.expressions"
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {} expressions disagree with Terraform:\n{}",
        failures.len(),
        expressions.len(),
        failures.join("\n")
    );
}

/// Terraform's install directory (`bench/install-terraform.sh`), when set.
fn terraform_install() -> Option<PathBuf> {
    let install = std::env::var_os("NIMBUS_TEST_TERRAFORM")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .filter(|d| d.join("bin/terraform").is_file());
    if install.is_none() {
        let hint = "Terraform is missing (export NIMBUS_TEST_TERRAFORM=\"$(bench/install-terraform.sh target/terraform)\")";
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{hint}");
        eprintln!("notice: skipping the Terraform differential test: {hint}");
    }
    install
}

// ---------------------------------------------------------------- Nimbus

/// The expression lowered from a local value of a `.tf` file, evaluated
/// at apply (so `uuid()` and `timestamp()` are known), then encoded by
/// `jsonencode`.
fn nimbus(expression: &str) -> Outcome {
    let files =
        MemoryFiles::default().with("/t/main.tf", format!("locals {{\n  x = {expression}\n}}\n"));
    let (config, diagnostics) = nimbus_config::load(Path::new("/t"), &files);
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Outcome::Error(d.message.clone());
    }
    let Some(local) = config.root().locals.first() else {
        return Outcome::Error("no local value was lowered".to_string());
    };
    let index = ModuleIndex::new(config.root());
    let scope = Scope::default();
    let functions = nimbus_stdlib::Context {
        phase: Phase::Apply(&TestEffects),
        plan_timestamp: Some(SystemTime::now()),
        files: Some(&NoFiles),
    };
    let value = match Context::new(&index, &scope)
        .with_functions(functions)
        .eval(&local.value)
    {
        Ok(value) => value,
        Err(d) => return Outcome::Error(d.message),
    };
    match nimbus_stdlib::call("json-encode", vec![value]) {
        Ok(Value::String(json)) => Outcome::Value {
            json,
            sensitive: false,
        },
        Ok(Value::Sensitive(inner)) => match *inner {
            Value::String(json) => Outcome::Value {
                json,
                sensitive: true,
            },
            other => Outcome::Error(format!("json-encode gave {other:?}")),
        },
        Ok(other) => Outcome::Error(format!("json-encode gave {other:?}")),
        Err(e) => Outcome::Error(e.message),
    }
}

/// The clock and a random source (a test needs no secure randomness).
struct TestEffects;

impl Effects for TestEffects {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn fill_random(&self, buffer: &mut [u8]) {
        static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
        for byte in buffer {
            // splitmix64
            let mut z = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *byte = (z ^ (z >> 31)) as u8;
        }
    }
}

/// No files: the expressions only use `abspath` and `pathexpand`, on
/// paths that need no file system.
struct NoFiles;

impl FileAccess for NoFiles {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        Err(format!("{path}: no files in this test"))
    }
    fn is_file(&self, _: &str) -> Result<bool, String> {
        Ok(false)
    }
    fn glob(&self, _: &str, _: &str) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
    fn current_dir(&self) -> Result<String, String> {
        Ok("/".to_string())
    }
    fn home_dir(&self) -> Result<String, String> {
        Ok("/home/test".to_string())
    }
}

// ---------------------------------------------------------------- comparing

/// Whether Terraform's and Nimbus's outcomes are the same.
fn agree(theirs: &Outcome, ours: &Outcome) -> bool {
    match (theirs, ours) {
        (Outcome::Error(_), Outcome::Error(_)) => true,
        (
            Outcome::Value {
                json: a,
                sensitive: sa,
            },
            Outcome::Value {
                json: b,
                sensitive: sb,
            },
        ) => {
            sa == sb
                && match (Json::parse(a), Json::parse(b)) {
                    (Some(a), Some(b)) => a.same(&b),
                    _ => a == b,
                }
        }
        _ => false,
    }
}

/// A JSON value with each number's text kept: Terraform writes numbers
/// with up to 512 bits of precision, which a JSON library's reading into
/// `f64` need not round correctly.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    /// The value of a whole JSON text.
    fn parse(text: &str) -> Option<Json> {
        let mut reader = JsonReader {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let value = reader.value()?;
        reader.space();
        (reader.pos == text.len()).then_some(value)
    }

    /// Equality with numbers compared as numbers: exactly when both are
    /// integers, as their nearest binary floats otherwise (`1e30` is
    /// `1000000000000000000000000000000`, `0.30000000000000004` is not
    /// `0.3`).
    fn same(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Number(a), Json::Number(b)) => match (a.parse::<i128>(), b.parse::<i128>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => a.parse::<f64>().ok() == b.parse::<f64>().ok(),
            },
            (Json::Array(a), Json::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same(b))
            }
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
            }
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::String(a), Json::String(b)) => a == b,
            _ => false,
        }
    }
}

struct JsonReader<'t> {
    bytes: &'t [u8],
    pos: usize,
}

impl JsonReader<'_> {
    fn space(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.space();
        let found = self.bytes[self.pos..].starts_with(token.as_bytes());
        if found {
            self.pos += token.len();
        }
        found
    }

    fn value(&mut self) -> Option<Json> {
        self.space();
        match *self.bytes.get(self.pos)? {
            b'n' if self.eat("null") => Some(Json::Null),
            b't' if self.eat("true") => Some(Json::Bool(true)),
            b'f' if self.eat("false") => Some(Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.value()?);
                        if self.eat("]") {
                            break;
                        }
                        self.eat(",").then_some(())?;
                    }
                }
                Some(Json::Array(items))
            }
            b'{' => {
                self.pos += 1;
                let mut entries = BTreeMap::new();
                if !self.eat("}") {
                    loop {
                        self.space();
                        let key = self.string()?;
                        self.eat(":").then_some(())?;
                        entries.insert(key, self.value()?);
                        if self.eat("}") {
                            break;
                        }
                        self.eat(",").then_some(())?;
                    }
                }
                Some(Json::Object(entries))
            }
            _ => {
                let start = self.pos;
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok()?;
                text.parse::<f64>()
                    .is_ok()
                    .then(|| Json::Number(text.to_string()))
            }
        }
    }

    /// A string literal, at its opening quote.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = *self.bytes.get(self.pos)?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escaped = *self.bytes.get(self.pos)?;
                    self.pos += 1;
                    let c = match escaped {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let unit = |r: &mut Self| {
                                let hex = r.bytes.get(r.pos..r.pos + 4)?;
                                r.pos += 4;
                                u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
                            };
                            let first = unit(self)?;
                            if (0xd800..0xdc00).contains(&first) && self.eat("\\u") {
                                let second = unit(self)?;
                                char::from_u32(
                                    0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00),
                                )?
                            } else {
                                char::from_u32(first)?
                            }
                        }
                        other => char::from(other),
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                other => out.push(other),
            }
        }
    }
}

// ---------------------------------------------------------------- Terraform

struct Terraform {
    install: PathBuf,
}

impl Terraform {
    /// Every expression's outcome, in order.
    fn evaluate_all(&self, expressions: &[&str]) -> Vec<Outcome> {
        let chunk = expressions.len().div_ceil(THREADS).max(1);
        std::thread::scope(|s| {
            let workers: Vec<_> = expressions
                .chunks(chunk)
                .map(|chunk| s.spawn(move || self.evaluate_chunk(chunk)))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a Terraform thread"))
                .collect()
        })
    }

    /// One thread's share, in its own working directory.
    fn evaluate_chunk(&self, expressions: &[&str]) -> Vec<Outcome> {
        let work = tempfile::tempdir().expect("a working directory");
        let mut out = Vec::with_capacity(expressions.len());
        for batch in expressions.chunks(BATCH) {
            let one_line: Vec<&str> = batch
                .iter()
                .copied()
                .filter(|e| !e.contains('\n'))
                .collect();
            let mut batched = self
                .evaluate_batch(&one_line, work.path())
                .map(Vec::into_iter);
            for expression in batch {
                let outcome = match &mut batched {
                    Some(results) if !expression.contains('\n') => results.next(),
                    _ => None,
                };
                out.push(outcome.unwrap_or_else(|| self.evaluate_alone(expression)));
            }
        }
        out
    }

    fn console(&self, dir: &Path, line: &str) -> std::process::Output {
        use std::io::Write;
        let mut child = Command::new(self.install.join("bin/terraform"))
            .args(["console", "-no-color"])
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", self.install.join("terraformrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run terraform console");
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to terraform console");
        drop(stdin);
        child.wait_with_output().expect("terraform console")
    }

    /// The outcomes of one-line expressions evaluated by one console
    /// process in the empty directory `dir`; `None` when the batch fails
    /// as a whole.
    fn evaluate_batch(&self, expressions: &[&str], dir: &Path) -> Option<Vec<Outcome>> {
        if expressions.is_empty() {
            return Some(Vec::new());
        }
        let items: Vec<String> = expressions
            .iter()
            .map(|e| {
                format!(
                    r#"try("S${{nonsensitive(jsonencode({e}))}}", "V${{jsonencode({e})}}", "E")"#
                )
            })
            .collect();
        let output = self.console(dir, &format!("jsonencode([{}])", items.join(", ")));
        if !output.status.success() {
            return None;
        }
        let text = String::from_utf8(output.stdout).ok()?;
        let json = unquote_go(text.trim())?;
        let results: Vec<String> = serde_json::from_str(&json).ok()?;
        if results.len() != expressions.len() {
            return None;
        }
        results
            .into_iter()
            .map(|r| {
                if r == "E" {
                    Some(Outcome::Error(String::new()))
                } else {
                    tagged(&r)
                }
            })
            .collect()
    }

    /// One expression, as the local value of a configuration in a
    /// directory of its own.
    fn evaluate_alone(&self, expression: &str) -> Outcome {
        let project = tempfile::tempdir().expect("a project directory");
        std::fs::write(
            project.path().join("main.tf"),
            format!("locals {{\n  x = {expression}\n}}\n"),
        )
        .expect("write main.tf");
        let output = self.console(
            project.path(),
            r#"try("S${nonsensitive(jsonencode(local.x))}", "V${jsonencode(local.x)}")"#,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() || stderr.contains("Error: ") {
            return Outcome::Error(error_message(&stderr));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        unquote_go(stdout.trim())
            .and_then(|r| tagged(&r))
            .unwrap_or_else(|| Outcome::Error(format!("unexpected output: {}", stdout.trim())))
    }
}

/// `S` + JSON (sensitive) or `V` + JSON.
fn tagged(result: &str) -> Option<Outcome> {
    let (sensitive, json) = match result.split_at_checked(1)? {
        ("S", json) => (true, json),
        ("V", json) => (false, json),
        _ => return None,
    };
    Some(Outcome::Value {
        json: json.to_string(),
        sensitive,
    })
}

/// A diagnostic's summary and detail on one line.
fn error_message(stderr: &str) -> String {
    let mut parts = Vec::new();
    for line in stderr.lines() {
        let line = line.trim();
        if line.starts_with("Warning:") || line.contains("goroutine ") {
            break;
        }
        let excerpt = line.starts_with("on ")
            || line.starts_with("(source code")
            || line
                .split_once(':')
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
        if !line.is_empty() && !excerpt {
            parts.push(line.strip_prefix("Error: ").unwrap_or(line));
        }
    }
    parts.join(" ")
}

/// The text of a string as Go's `strconv.Quote` writes it (how the console
/// prints a string).
fn unquote_go(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::str::Chars, n: usize| {
            let digits: String = chars.by_ref().take(n).collect();
            u32::from_str_radix(&digits, 16).ok()
        };
        match chars.next()? {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?)?),
            _ => return None,
        }
    }
    Some(out)
}

#[test]
fn the_files_read_as_documented() {
    let parsed = entries("# comment\n\nabs(1)\n<<EOT\\\nx\\\nEOT\n  \nmax(1)\n");
    let texts: Vec<(usize, &str)> = parsed.iter().map(|e| (e.line, e.text.as_str())).collect();
    assert_eq!(texts, [(3, "abs(1)"), (4, "<<EOT\nx\nEOT"), (8, "max(1)")]);
    assert_eq!(
        unquote_go(r#""[\"a\\\"\\u003c\",\"é\u200d\"]""#).as_deref(),
        Some("[\"a\\\"\\u003c\",\"é\u{200d}\"]")
    );
    assert!(agree(
        &Outcome::Value {
            json: "[1e30, 2.50]".into(),
            sensitive: false
        },
        &Outcome::Value {
            json: "[1000000000000000000000000000000, 2.5]".into(),
            sensitive: false
        }
    ));
    let value = |json: &str| Outcome::Value {
        json: json.into(),
        sensitive: false,
    };
    assert!(agree(
        &value(&format!("[0.{}7]", "6".repeat(150))),
        &value("[0.6666666666666666]")
    ));
    assert!(agree(
        &value(r#"{"\u00e9\ud83d\ude00":"a\nb"}"#),
        &value("{\"é😀\":\"a\\nb\"}")
    ));
    assert!(!agree(&value("[1, 2]"), &value("[1, 2, 3]")));
    assert!(!agree(&value("{\"a\":1}"), &value("{\"b\":1}")));
    assert!(!agree(
        &value("9007199254740993"),
        &value("9007199254740992")
    ));
    assert!(!agree(
        &Outcome::Value {
            json: "0.30000000000000004".into(),
            sensitive: false
        },
        &Outcome::Value {
            json: "0.3".into(),
            sensitive: false
        }
    ));
    assert!(!agree(
        &Outcome::Value {
            json: "1".into(),
            sensitive: true
        },
        &Outcome::Value {
            json: "1".into(),
            sensitive: false
        }
    ));
    assert!(!agree(
        &Outcome::Error(String::new()),
        &Outcome::Value {
            json: "null".into(),
            sensitive: false
        }
    ));
}
