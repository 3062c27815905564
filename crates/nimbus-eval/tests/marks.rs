//! How the two marks, unknown (known only after apply) and sensitive,
//! travel through every form of the language and through schema-directed
//! block reading. The rule: a mark is never lost; it stays on the part of
//! a value it belongs to (an element of a map or list keeps its own mark)
//! and spreads to whatever is computed from it.

use nimbus_config::{Config, MemoryFiles};
use nimbus_eval::{Context, Inputs, Instances, ModuleIndex, Scope, eval_block, eval_variables};
use nimbus_syntax::{Diagnostic, Span};
use nimbus_value::{AttributeSchema, Schema, Type, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn load(text: &str) -> Config {
    let files = MemoryFiles::default().with("/t/main.nim", text);
    let (config, diagnostics) = nimbus_config::load(Path::new("/t"), &files);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    config
}

/// A scope where `secret` is a sensitive string, `flag` a sensitive bool,
/// `n` a plain number; `random-password.p` has a sensitive `result` and an
/// unknown `id`; `null-resource.c` has two counted instances, the second
/// with a sensitive `id`; `null-resource.k` is keyed by "a" and "b";
/// `null-resource.u` has instances not yet known.
fn scope() -> Scope {
    let mut scope = Scope::default();
    scope
        .variables
        .insert("secret".into(), Value::string("s3cr3t").into_sensitive());
    scope
        .variables
        .insert("flag".into(), Value::Bool(true).into_sensitive());
    scope.variables.insert("n".into(), Value::int(1));
    let object = |pairs: Vec<(&str, Value)>| {
        Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
    };
    scope.set_resource(
        0, // random-password "p": its position among the resource blocks
        Instances::Single(object(vec![
            ("result", Value::string("pw").into_sensitive()),
            ("id", Value::Unknown),
            ("length", Value::int(8)),
        ])),
    );
    scope.set_resource(
        1, // null-resource "c": its position among the resource blocks
        Instances::Counted(vec![
            object(vec![("id", Value::string("c0"))]),
            object(vec![("id", Value::string("c1").into_sensitive())]),
        ]),
    );
    scope.set_resource(
        2, // null-resource "k": its position among the resource blocks
        Instances::Keyed(
            [
                ("a".to_string(), object(vec![("id", Value::Unknown)])),
                ("b".to_string(), object(vec![("id", Value::string("kb"))])),
            ]
            .into(),
        ),
    );
    scope.set_resource(
        3, // null-resource "u": its position among the resource blocks
        Instances::Unknown,
    );
    scope
}

const DECLARATIONS: &str = r#"
(define-variables (secret (type string)) (flag (type bool)) (n (type number)))
(resource random-password "p" (length 8))
(resource null-resource "c" (count 2))
(resource null-resource "k" (for-each (list "a" "b")))
(resource null-resource "u" (count (var n)))
"#;

/// Evaluates `expression` in the scope above.
fn eval(expression: &str) -> Result<Value, Diagnostic> {
    let config = load(&format!(
        "{DECLARATIONS}\n(locals (under-test {expression}))"
    ));
    let index = ModuleIndex::new(config.root());
    let scope = scope();
    let local = config
        .root()
        .locals
        .iter()
        .find(|l| l.name.text == "under-test")
        .expect("the local");
    Context::new(&index, &scope).eval(&local.value)
}

fn ok(expression: &str) -> Value {
    eval(expression).unwrap_or_else(|d| panic!("{expression}: {}", d.message))
}

fn sensitive(v: &Value) -> bool {
    v.is_sensitive()
}

#[test]
fn ref_keeps_attribute_marks() {
    assert!(sensitive(&ok(r#"(ref random-password "p" "result")"#)));
    assert!(ok(r#"(ref random-password "p" "id")"#).is_unknown());
    assert_eq!(ok(r#"(ref random-password "p" "length")"#), Value::int(8));
    // The whole object keeps each attribute's own mark, not one on top.
    let whole = ok(r#"(ref random-password "p")"#);
    assert!(!whole.is_sensitive() && whole.contains_sensitive() && !whole.is_wholly_known());
    // Counted and keyed instances.
    assert_eq!(ok(r#"(ref null-resource "c" 0 "id")"#), Value::string("c0"));
    assert!(sensitive(&ok(r#"(ref null-resource "c" 1 "id")"#)));
    assert!(ok(r#"(ref null-resource "k" "a" "id")"#).is_unknown());
    // Instances not known yet: anything read from them is unknown.
    assert!(ok(r#"(ref null-resource "u" 0 "id")"#).is_unknown());
    assert!(ok(r#"(ref null-resource "u")"#).is_unknown());
}

#[test]
fn ref_with_a_secret_index_is_secret() {
    let v = ok(r#"(ref null-resource "c" (- (length (var secret)) 6) "id")"#);
    assert!(v.is_sensitive(), "{v:?}");
    assert_eq!(v.peel(), &Value::string("c0"));
}

#[test]
fn splat_keeps_each_instance_mark() {
    let list = ok(r#"(ref null-resource "c" * "id")"#);
    let items = list.as_list().expect("a list");
    assert_eq!(items[0], Value::string("c0"));
    assert!(items[1].is_sensitive());
    assert!(!list.is_sensitive());
    let map = ok(r#"(ref null-resource "k" * "id")"#);
    let map = map.as_map().expect("a map");
    assert!(map["a"].is_unknown());
    assert_eq!(map["b"], Value::string("kb"));
    assert!(ok(r#"(ref null-resource "u" * "id")"#).is_unknown());
    // Without an attribute path: the instances themselves.
    assert_eq!(ok(r#"(length (ref null-resource "c" *))"#), Value::int(2));
}

#[test]
fn splat_errors_are_located() {
    let config = load(&format!(
        "{DECLARATIONS}\n(locals (x (ref random-password \"p\" * \"id\")))"
    ));
    let index = ModuleIndex::new(config.root());
    let scope = scope();
    let node = &config.root().locals[0].value;
    let err = Context::new(&index, &scope).eval(node).unwrap_err();
    assert!(
        err.message.contains("no `count` or `for-each`"),
        "{}",
        err.message
    );
    let star = &node.as_list().unwrap()[3];
    assert_eq!(err.span, Some(star.span));
}

#[test]
fn if_marks() {
    // A secret condition makes the choice secret.
    let v = ok(r#"(if (var flag) "yes" "no")"#);
    assert!(v.is_sensitive());
    assert_eq!(v.peel(), &Value::string("yes"));
    // An unknown condition: unknown result.
    assert!(ok(r#"(if (= (ref random-password "p" "id") "x") 1 2)"#).is_unknown());
    // The chosen branch keeps its own marks; the other is not evaluated.
    assert!(ok(r#"(if #t (var secret) "plain")"#).is_sensitive());
    assert_eq!(
        ok(r#"(if #f (var secret) "plain")"#),
        Value::string("plain")
    );
    assert!(ok(r#"(if #t (ref random-password "p" "id") "plain")"#).is_unknown());
}

#[test]
fn let_marks() {
    assert!(ok(r#"(let ((s (var secret))) (upper s))"#).is_sensitive());
    assert!(ok(r#"(let ((u (ref random-password "p" "id"))) (format "~a!" u))"#).is_unknown());
    // A binding that is not used marks nothing.
    assert_eq!(
        ok(r#"(let ((s (var secret))) "plain")"#),
        Value::string("plain")
    );
    // Shadowing: the inner binding wins, with its marks.
    assert_eq!(
        ok(r#"(let ((x (var secret))) (let ((x "plain")) x))"#),
        Value::string("plain")
    );
}

#[test]
fn and_or_marks() {
    // A secret operand that was looked at makes the result secret.
    let v = ok(r#"(and (var flag) #f)"#);
    assert!(v.is_sensitive());
    assert_eq!(v.peel(), &Value::Bool(false));
    assert!(ok(r#"(or #f (var flag))"#).is_sensitive());
    // Short circuit: operands after the deciding one are not evaluated.
    assert_eq!(ok(r#"(and #f (var flag))"#), Value::Bool(false));
    assert_eq!(ok(r#"(or #t (var flag))"#), Value::Bool(true));
    // Unknown operands: unknown, unless a known operand decides.
    let unknown = r#"(= (ref random-password "p" "id") "x")"#;
    assert!(ok(&format!("(and {unknown} #t)")).is_unknown());
    assert_eq!(ok(&format!("(and {unknown} #f)")), Value::Bool(false));
    assert_eq!(ok(&format!("(or {unknown} #t)")), Value::Bool(true));
    assert!(ok(&format!("(or {unknown} #f)")).is_unknown());
}

#[test]
fn map_and_list_keep_marks_on_elements() {
    let m = ok(r#"(map (plain "a") (secret (var secret)) (later (ref random-password "p" "id")))"#);
    assert!(!m.is_sensitive());
    let entries = m.as_map().expect("a map");
    assert_eq!(entries["plain"], Value::string("a"));
    assert!(entries["secret"].is_sensitive());
    assert!(entries["later"].is_unknown());
    assert!(m.contains_sensitive() && !m.is_wholly_known());
    let l = ok(r#"(list "a" (var secret) (ref random-password "p" "id"))"#);
    let items = l.as_list().expect("a list");
    assert!(!l.is_sensitive() && items[1].is_sensitive() && items[2].is_unknown());
    // A function over the whole map is secret (and unknown) as a whole.
    assert!(ok(r#"(json-encode (map (s (var secret))))"#).is_sensitive());
    assert!(ok(r#"(keys (map (u (ref random-password "p" "id"))))"#).is_unknown());
    // Its length is known: only the shape counts.
    assert_eq!(
        ok(r#"(length (list (ref random-password "p" "id")))"#),
        Value::int(1)
    );
    // Reading one entry back gives that entry's marks only.
    assert_eq!(ok(r#"(lookup (map (a "x")) "a")"#), Value::string("x"));
}

#[test]
fn quote_has_no_marks() {
    assert_eq!(
        ok("'(var secret)"),
        Value::List(vec![Value::string("var"), Value::string("secret")])
    );
}

#[test]
fn attribute_paths_keep_marks() {
    // Stepping into a sensitive value gives a sensitive part.
    let mut scope = scope();
    scope.set_resource(
        4, // null-resource "s": its position among the resource blocks
        Instances::Single(Value::Map(
            [(
                "triggers".to_string(),
                Value::Map([("a".to_string(), Value::string("x"))].into()).into_sensitive(),
            )]
            .into(),
        )),
    );
    let config = load(&format!(
        "{DECLARATIONS}\n(resource null-resource \"s\")\n(locals (x (ref null-resource \"s\" \"triggers\" \"a\")))"
    ));
    let index = ModuleIndex::new(config.root());
    let v = Context::new(&index, &scope)
        .eval(&config.root().locals[0].value)
        .unwrap();
    assert!(v.is_sensitive());
    assert_eq!(v.peel(), &Value::string("x"));
}

fn schema() -> Schema {
    Schema::new("test")
        .attr("name", AttributeSchema::required(Type::String))
        .attr(
            "password",
            AttributeSchema::optional(Type::String).sensitive(),
        )
        .attr("tags", AttributeSchema::optional(Type::map(Type::String)))
        .attr("items", AttributeSchema::optional(Type::list(Type::String)))
        .attr("id", AttributeSchema::computed(Type::String))
}

fn block(body: &str) -> Result<Value, Vec<Diagnostic>> {
    let config = load(&format!(
        "{DECLARATIONS}\n(resource test-thing \"t\" {body})"
    ));
    let module = config.root();
    let resource = module
        .resources
        .iter()
        .find(|r| r.name.text == "t")
        .unwrap();
    let index = ModuleIndex::new(module);
    let scope = scope();
    let mut ctx = Context::new(&index, &scope);
    eval_block(
        &mut ctx,
        &resource.attributes,
        &schema(),
        resource.span,
        &"resource `test-thing.t`",
    )
}

#[test]
fn blocks_mark_sensitive_attributes_and_keep_value_marks() {
    let v = block(
        r#"(name "n") (password "plain") (tags (a (var secret)) (b "x")) (items "a" (ref random-password "p" "id"))"#,
    )
    .unwrap();
    let object = v.as_map().unwrap();
    // Sensitive by schema, whatever the value.
    assert!(object["password"].is_sensitive());
    // Marks from the values stay where they were.
    let tags = object["tags"].as_map().unwrap();
    assert!(tags["a"].is_sensitive() && !tags["b"].is_sensitive());
    let items = object["items"].as_list().unwrap();
    assert!(items[1].is_unknown());
    assert!(!object["name"].is_sensitive());
    // Unset attributes are null; computed ones too (the provider fills them).
    assert_eq!(object["id"], Value::Null);
    // A whole attribute from a secret stays secret after conversion.
    let v = block(r#"(name (var secret))"#).unwrap();
    assert!(v.as_map().unwrap()["name"].is_sensitive());
    // An unknown value passes conversion as unknown.
    let v = block(r#"(name (ref random-password "p" "id")) (tags (ref random-password "p" "id"))"#)
        .unwrap();
    assert!(v.as_map().unwrap()["name"].is_unknown());
    assert!(v.as_map().unwrap()["tags"].is_unknown());
}

#[test]
fn blocks_report_every_problem_located() {
    let errors =
        block(r#"(nam "x") (id "y") (tags (a (list 1)) (b (var nope))) (items 1 (list 2))"#)
            .unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "resource `test-thing.t` has no attribute `nam`",
            "`id` is computed by the provider and cannot be set",
            "invalid value for `tags.a`: expected string, found list",
            "unknown variable `nope`",
            "invalid value for `items[1]`: expected string, found list",
        ]
    );
    // `nam` is a typo of the required `name`: not also reported missing.
    assert!(
        errors
            .iter()
            .all(|d| d.span.is_some_and(|s| s != Span::default()))
    );
    let errors = block("").unwrap_err();
    assert_eq!(
        errors[0].message,
        "resource `test-thing.t` is missing the required attribute `name`"
    );
}

#[test]
fn sensitive_variables_are_marked_and_validated() {
    let config = load(
        r#"(define-variables
             (token (type string) (default "abcdef") (sensitive #t)
               (validation (>= (length token) (var min)) "too short"))
             (min (type number) (default 8)))"#,
    );
    let index = ModuleIndex::new(config.root());
    let mut scope = Scope::default();
    let mut diagnostics = Vec::new();
    eval_variables(&index, &mut scope, &Inputs::new(), &mut diagnostics);
    assert!(scope.variables["token"].is_sensitive());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0].message,
        "invalid value for variable `token`: too short"
    );
    // The secret is not shown.
    assert_eq!(diagnostics[0].notes, ["note: the value was (sensitive)"]);
}

#[test]
fn defaults_must_be_literals() {
    let config = load(
        r#"(define-variables (a (type string) (default "x")) (b (type string) (default (var a))))"#,
    );
    let index = ModuleIndex::new(config.root());
    let mut diagnostics = Vec::new();
    eval_variables(
        &index,
        &mut Scope::default(),
        &Inputs::new(),
        &mut diagnostics,
    );
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0].message.contains("must be a literal"),
        "{diagnostics:?}"
    );
}
