//! Input variables from outside: text values, var files, sensitive values
//! in messages, and `validate`'s unknowns for variables without a value.

use nimbus_config::{Config, MemoryFiles};
use nimbus_eval::{
    InputOrigin, InputValue, Inputs, ModuleIndex, Scope, eval_variables, parse_text_value,
    parse_var_file, unknown_for_unset,
};
use nimbus_syntax::{Diagnostic, FileId};
use nimbus_value::{Type, Value};
use std::path::Path;

fn load(text: &str) -> Config {
    let files = MemoryFiles::default().with("/t/main.nim", text);
    let (config, diagnostics) = nimbus_config::load(Path::new("/t"), &files);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    config
}

fn evaluate(config: &Config, inputs: &Inputs) -> (Scope, Vec<Diagnostic>) {
    let index = ModuleIndex::new(config.root());
    let mut scope = Scope::default();
    let mut diagnostics = Vec::new();
    eval_variables(&index, &mut scope, inputs, &mut diagnostics);
    (scope, diagnostics)
}

#[test]
fn text_values_say_how_to_write_their_type() {
    let map = Type::map(Type::String);
    assert_eq!(
        parse_text_value("notamap", &map, false).unwrap_err(),
        "cannot read \"notamap\" as (map string): write a map as (map (KEY VALUE) ...) or JSON {...}"
    );
    assert_eq!(
        parse_text_value("notalist", &Type::list(Type::String), false).unwrap_err(),
        "cannot read \"notalist\" as (list string): write a list as (list ...) or JSON [...]"
    );
    assert_eq!(
        parse_text_value(r#"{"a": "b"}"#, &map, false).unwrap(),
        Value::Map([("a".to_string(), Value::string("b"))].into())
    );
}

#[test]
fn text_values_of_sensitive_variables_are_never_quoted() {
    let map = Type::map(Type::String);
    // Every way the text can fail: not a literal, a bad token inside one,
    // a name that is no value.
    for text in ["Hunter2", "(map (a 1Hunter2))", "(list Hunter2)"] {
        let shown = parse_text_value(text, &map, false).unwrap_err();
        assert!(shown.contains("Hunter2"), "{shown}");
        let hidden = parse_text_value(text, &map, true).unwrap_err();
        assert!(!hidden.contains("Hunter2"), "{hidden}");
        assert!(
            hidden.contains("not shown: the variable is sensitive"),
            "{hidden}"
        );
    }
}

#[test]
fn text_values_and_var_files_hold_literals() {
    let error = parse_text_value("(list (var x))", &Type::list(Type::Any), false).unwrap_err();
    assert_eq!(
        error,
        "a value given as text is literal: the variable `x` cannot be used here"
    );
    let errors = parse_var_file(
        FileId(0),
        "(a 1)\n(replicas (var x))\n(b (local y))",
        "values.vars",
    )
    .unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "var files hold literal values: the variable `x` cannot be used here",
            "var files hold literal values: the local `y` cannot be used here",
        ]
    );
    assert_eq!(errors[0].span.map(|s| (s.start, s.end)), Some((16, 23)));
}

#[test]
fn errors_about_sensitive_variables_never_show_the_value() {
    let config = load(
        r#"(define-variables
             (pin (type number) (sensitive #t))
             (plain (type number)))"#,
    );
    let file_entry = nimbus_syntax::Span::new(FileId(7), 0, 20);
    let input = |value: &str, origin: InputOrigin| InputValue {
        value: Value::string(value),
        origin,
    };
    let inputs: Inputs = [
        (
            "pin".to_string(),
            input(
                "Hunter2",
                InputOrigin::File("secrets.vars".into(), Some(file_entry)),
            ),
        ),
        (
            "plain".to_string(),
            input("oops", InputOrigin::File("a.vars".into(), Some(file_entry))),
        ),
    ]
    .into();
    let (_, diagnostics) = evaluate(&config, &inputs);
    let found: Vec<(&str, bool)> = diagnostics
        .iter()
        .map(|d| (d.message.as_str(), d.span == Some(file_entry)))
        .collect();
    assert_eq!(
        found,
        [
            // At the declaration: the var file's line would show the secret.
            (
                "invalid value for variable `pin` (from var file secrets.vars): expected number, found string (sensitive value)",
                false
            ),
            (
                "invalid value for variable `plain` (from var file a.vars): expected number, found string \"oops\"",
                true
            ),
        ]
    );
    assert_eq!(
        diagnostics[0].span,
        Some(config.root().variables[0].name.span)
    );
}

#[test]
fn validation_treats_variables_without_values_as_unknown() {
    let config = load(
        r#"(define-variables
             (region (type string))
             (replicas (type number) (validation (> replicas 0) "must be positive"))
             (zone (type string) (default "a")))"#,
    );
    let given: Inputs = [(
        "region".to_string(),
        InputValue {
            value: Value::string("eu-west-1"),
            origin: InputOrigin::CommandLine,
        },
    )]
    .into();

    // Plan and apply: a required variable needs a value.
    let (_, diagnostics) = evaluate(&config, &given);
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["no value for required variable `replicas`"]);

    // Validate: only the missing one becomes unknown, and its rule passes.
    let inputs = unknown_for_unset(config.root(), &given);
    let (scope, diagnostics) = evaluate(&config, &inputs);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(scope.variables["replicas"].is_unknown());
    assert_eq!(scope.variables["region"], Value::string("eu-west-1"));
    assert_eq!(scope.variables["zone"], Value::string("a"));
}

/// The seeds of the `read_var_files` fuzz target are sound var files:
/// each parses (`.nimvars` in the `.nim` syntax, `.json` objects; a JSON
/// document that is not an object is refused by name).
#[test]
fn the_fuzz_seeds_are_sound_var_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/read_var_files");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the seeds") {
        let path = entry.expect("a seed").path();
        let text = std::fs::read_to_string(&path).expect("read a seed");
        let name = path.display().to_string();
        if name.ends_with(".json") {
            let parsed = nimbus_eval::parse_var_json(&text, &name);
            if text.trim_start().starts_with('{') {
                assert!(!parsed.expect(&name).is_empty(), "{name}");
            } else {
                assert!(parsed.expect_err(&name).contains("expected a JSON object"));
            }
        } else {
            let parsed = parse_var_file(FileId(0), &text, &name);
            assert!(
                !parsed
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"))
                    .is_empty()
            );
        }
        seen += 1;
    }
    assert!(seen >= 4, "only {seen} seeds");
}
