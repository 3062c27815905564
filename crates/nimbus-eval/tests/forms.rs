//! The special forms the HCL front end lowers to, and `.nim` users write
//! too (`for`, `for-map`, `get`, `try`, `can`, `apply`, `path-*`,
//! `terraform-workspace`, `lambda`, `cond`, `case`, `letrec`, optional
//! and rest parameters, `quasiquote`, `syntax-rules` macros, the
//! higher-order forms and the module's `define`s), driven by
//! `forms.cases`: one case a line,
//! `EXPRESSION => EXPECTED`, where EXPECTED is an expression giving the
//! same value, `unknown`, `sensitive EXPRESSION` (the value with an outer
//! sensitive mark), or `error: MESSAGE` (the start of the error).

use nimbus_config::MemoryFiles;
use nimbus_eval::{Context, ModuleIndex, Scope};
use nimbus_value::Value;
use std::collections::BTreeMap;
use std::path::Path;

const DECLARATIONS: &str = r#"
(define-variables (secret) (xs) (obj) (u) (marked) (n))
(define greeting "hi")
(define (double x) (* x 2))
(define (fact n) (if (<= n 1) 1 (* n (fact (- n 1)))))
(define (forever n) (forever n))
(define (adder k) (lambda (x) (+ x k)))
(define inc (adder 1))
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(define (compose f g) (lambda (x) (f (g x))))
(define (greet name (greeting "hello")) (string-append greeting " " name))
(define (sum-all . xs) (reduce + 0 xs))
(define (tagged name (n 1) . more) (list name n more))
(define-syntax swap-list (syntax-rules () ((_ a b) (list b a))))
(define-syntax my-or
  (syntax-rules ()
    ((_) #f)
    ((_ e) e)
    ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))
(define-syntax kv (syntax-rules (is) ((_ (k is v) ...) (map (k v) ...))))
(define-syntax nest (syntax-rules () ((_ (a b ...) ...) (list (list a (list b ...)) ...))))
(define-syntax flat (syntax-rules () ((_ (a ...) ...) (list a ... ...))))
(define-syntax twice (syntax-rules () ((_ e) (let ((tmp e)) (+ tmp tmp)))))
(define-syntax sum-of (syntax-rules () ((_ x ...) (reduce + 0 (list x ...)))))
(define-syntax with-items
  (syntax-rules () ((_ name body) (for ((name (var xs))) body))))
(define-syntax forever-m (syntax-rules () ((_ x) (forever-m (x)))))
(define-syntax grow (syntax-rules () ((_ x) (grow (x x)))))
(define-syntax unrepeated (syntax-rules () ((_ x ...) (list x))))
(define-syntax mismatched (syntax-rules () ((_ (a ...) (b ...)) (list (list a b) ...))))
(define-syntax add-each (syntax-rules () ((_ k e) (for ((x e)) (+ x k)))))
(define-syntax call-with (syntax-rules () ((_ v body) ((lambda (y) body) v))))
(define-syntax quoted-kv (syntax-rules () ((_ k v) `(map (k ,v)))))
"#;

/// `secret` a sensitive string, `xs` the list 1 2 3, `obj` a map with a
/// nested map and list, `u` unknown, `marked` a map with one sensitive
/// entry, `n` the number 2.
fn scope() -> Scope {
    let mut scope = Scope::default();
    let map = |pairs: Vec<(&str, Value)>| {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let vars = &mut scope.variables;
    vars.insert("secret".into(), Value::string("s3cr3t").into_sensitive());
    vars.insert(
        "xs".into(),
        Value::List(vec![Value::int(1), Value::int(2), Value::int(3)]),
    );
    vars.insert(
        "obj".into(),
        map(vec![
            ("name", Value::string("web")),
            ("inner", map(vec![("port", Value::int(80))])),
            (
                "servers",
                Value::List(vec![
                    map(vec![("name", Value::string("a")), ("size", Value::int(1))]),
                    map(vec![("name", Value::string("b")), ("size", Value::int(2))]),
                    map(vec![("name", Value::string("c")), ("size", Value::int(2))]),
                ]),
            ),
        ]),
    );
    vars.insert("u".into(), Value::Unknown);
    vars.insert(
        "marked".into(),
        map(vec![
            ("open", Value::string("o")),
            ("hidden", Value::string("h").into_sensitive()),
        ]),
    );
    vars.insert("n".into(), Value::int(2));
    scope
}

fn eval(expression: &str) -> Result<Value, String> {
    let files = MemoryFiles::default().with(
        "/t/main.nim",
        format!("{DECLARATIONS}\n(locals (under-test {expression}))"),
    );
    let (config, diagnostics) = nimbus_config::load(Path::new("/t"), &files);
    if let Some(d) = diagnostics.first() {
        return Err(format!("load: {}", d.message));
    }
    let index = ModuleIndex::new(config.root());
    let scope = scope();
    let local = &config.root().locals[0];
    Context::new(&index, &scope)
        .eval(&local.value)
        .map_err(|d| d.message)
}

#[test]
fn forms() {
    let cases = include_str!("forms.cases");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in cases.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        count += 1;
        let Some((expression, expected)) = line.split_once(" => ") else {
            failures.push(format!("malformed case: {line}"));
            continue;
        };
        let got = eval(expression);
        let ok = match (expected.strip_prefix("error: "), &got) {
            (Some(message), Err(e)) => e.starts_with(message),
            (Some(_), Ok(_)) => false,
            (None, Err(_)) => false,
            (None, Ok(v)) => match expected {
                "unknown" => *v == Value::Unknown,
                _ => match expected.strip_prefix("sensitive ") {
                    Some(inner) => eval(inner).is_ok_and(|e| e.into_sensitive() == *v),
                    None => eval(expected).is_ok_and(|e| e == *v),
                },
            },
        };
        if !ok {
            failures.push(format!(
                "{expression}\n  expected {expected}\n  got      {got:?}"
            ));
        }
    }
    assert!(count > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
