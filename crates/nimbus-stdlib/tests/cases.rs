//! Data-driven tests: every `tests/cases/*.txt` line of the form
//!
//! ```text
//! (upper "abc") => "ABC"
//! (join "," (list 1)) => error@2: join: argument 2 must be a list of strings, found number at index 0
//! ```
//!
//! calls the function with the literal arguments and compares the result,
//! rendered as plans show values except that sensitive values show their
//! content as `(sensitive ...)`, or the error: `error: MESSAGE` checks the
//! message, `error@N: MESSAGE` also checks that argument N (1-based) is
//! blamed. Lines starting with `;` and blank lines are ignored.
//!
//! Argument literals: strings `"..."` (escapes `\n \t \r \\ \" \0`),
//! integers, decimals, `#t`, `#f`, `null`, `unknown`, `(list ...)`,
//! `(map (KEY VALUE) ...)`, `(sensitive X)`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skip

use nimbus_value::{Number, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected `{token}` at `{}`", self.rest()))
        }
    }

    fn symbol(&mut self) -> Result<&'a str, String> {
        self.skip_space();
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"')
            .unwrap_or(rest.len());
        if end == 0 {
            return Err(format!("expected a symbol at `{rest}`"));
        }
        self.pos += end;
        Ok(&rest[..end])
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect("\"")?;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('0') => out.push('\0'),
                    Some('\\') => out.push('\\'),
                    Some('"') => out.push('"'),
                    other => return Err(format!("bad escape {other:?}")),
                },
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_space();
        if self.rest().starts_with('"') {
            return self.string().map(Value::String);
        }
        if self.eat("(") {
            let head = self.symbol()?;
            let value = match head {
                "list" => {
                    let mut items = Vec::new();
                    while !self.eat(")") {
                        items.push(self.value()?);
                    }
                    return Ok(Value::List(items));
                }
                "map" => {
                    let mut map = BTreeMap::new();
                    while !self.eat(")") {
                        self.expect("(")?;
                        self.skip_space();
                        let key = if self.rest().starts_with('"') {
                            self.string()?
                        } else {
                            self.symbol()?.to_string()
                        };
                        let value = self.value()?;
                        self.expect(")")?;
                        map.insert(key, value);
                    }
                    return Ok(Value::Map(map));
                }
                "sensitive" => Value::Sensitive(Box::new(self.value()?)),
                other => return Err(format!("unknown literal form `({other}`")),
            };
            self.expect(")")?;
            return Ok(value);
        }
        let word = self.symbol()?;
        Ok(match word {
            "#t" => Value::Bool(true),
            "#f" => Value::Bool(false),
            "null" => Value::Null,
            "unknown" => Value::Unknown,
            w => {
                if let Ok(i) = w.parse::<i128>() {
                    Value::Number(Number::Int(i))
                } else if let Ok(f) = w.parse::<f64>() {
                    Value::Number(Number::Float(f))
                } else {
                    return Err(format!("unknown literal `{w}`"));
                }
            }
        })
    }

    /// `(NAME ARG...)`
    fn call(&mut self) -> Result<(&'a str, Vec<Value>), String> {
        self.expect("(")?;
        let name = self.symbol()?;
        let mut args = Vec::new();
        while !self.eat(")") {
            if self.rest().is_empty() {
                return Err("unterminated call".into());
            }
            args.push(self.value()?);
        }
        Ok((name, args))
    }
}

/// Like `Value`'s `Display`, but showing what is under sensitive marks.
fn render(v: &Value, out: &mut String) {
    match v {
        Value::Sensitive(inner) => {
            out.push_str("(sensitive ");
            render(inner, out);
            out.push(')');
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Map(map) if !map.is_empty() => {
            out.push_str("{ ");
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k} = ");
                render(v, out);
            }
            out.push_str(" }");
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn outcome(result: &Result<Value, nimbus_stdlib::FunctionError>, with_argument: bool) -> String {
    match result {
        Ok(v) => {
            let mut out = String::new();
            render(v, &mut out);
            out
        }
        Err(e) => match e.argument {
            Some(i) if with_argument => format!("error@{}: {}", i + 1, e.message),
            _ => format!("error: {}", e.message),
        },
    }
}

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut called = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read case file");
        let short = file.file_name().unwrap_or_default().to_string_lossy();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') {
                continue;
            }
            let at = format!("{short}:{}", n + 1);
            let mut parser = Parser { text: line, pos: 0 };
            let parsed = parser.call().and_then(|call| {
                parser.expect("=>")?;
                Ok((call, parser.rest().trim().to_string()))
            });
            let ((name, args), expected) = match parsed {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("{at}: cannot parse case: {e}\n    {line}"));
                    continue;
                }
            };
            count += 1;
            called.insert(name.to_string());
            let result = nimbus_stdlib::call(name, args);
            let actual = outcome(&result, expected.starts_with("error@"));
            if actual != expected {
                failures.push(format!(
                    "{at}: {}\n    expected: {expected}\n    actual:   {actual}",
                    line.split(" =>").next().unwrap_or(line)
                ));
            }
        }
    }
    let uncovered: Vec<_> = nimbus_stdlib::names()
        .filter(|n| !called.contains(*n))
        .collect();
    assert!(
        uncovered.is_empty(),
        "functions without a case: {uncovered:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 150, "only {count} cases");
    eprintln!("{count} cases passed");
}
