//! The forms of "Scheme power" (quasiquote, `case`, `letrec`, optional and
//! rest parameters, `begin`, `syntax-rules` macros) never make loading or
//! evaluation panic or hang: random nestings of them, and random macro
//! definitions, run through what the `read_and_evaluate` fuzz target runs,
//! end in values or diagnostics located inside the text. The target's
//! seeds for these forms are sound: they load without a diagnostic and
//! every local evaluates.

use nimbus_config::parse_module;
use nimbus_eval::{Context, ModuleIndex, Scope, expand, read_typed};
use nimbus_syntax::SourceMap;
use nimbus_value::Type;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::{Path, PathBuf};

/// Macros every generated module has: recursive, with literals, nested
/// ellipses, and one that binds a name (renamed by hygiene).
const MACROS: &str = r#"
(define-variables (xs (default (list 1 2 3))) (secret (sensitive #t) (default "s")) (u))
(define-syntax my-or (syntax-rules () ((_) #f) ((_ e) e) ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))
(define-syntax kv (syntax-rules (is) ((_ (k is v) ...) (map (k v) ...))))
(define-syntax nest (syntax-rules () ((_ (a b ...) ...) (list (list a (list b ...)) ...))))
(define-syntax twice (syntax-rules () ((_ e) (let ((tmp e)) (list tmp tmp)))))
(define-syntax deeper (syntax-rules () ((_ x) (deeper (list x)))))
(define (f a (b 2) . rest) (list a b rest))
"#;

/// What the fuzz target does with one file; the diagnostics' spans must
/// lie inside the text.
fn run(text: &str) -> Result<(), TestCaseError> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let files = vec![(PathBuf::from("/f/main.nim"), text.to_string())];
    let module = parse_module(Path::new("/f"), &files, &mut sources, &mut diagnostics);
    for d in &diagnostics {
        if let Some(span) = d.span {
            prop_assert!(span.start <= span.end && (span.end as usize) <= text.len());
        }
    }
    let index = ModuleIndex::new(&module);
    let mut scope = Scope::default();
    let mut var_diagnostics = Vec::new();
    nimbus_eval::eval_variables(
        &index,
        &mut scope,
        &Default::default(),
        &mut var_diagnostics,
    );
    let mut ctx = Context::new(&index, &scope);
    for local in &module.locals {
        if let Err(d) = ctx.eval(&local.value)
            && let Some(span) = d.span
        {
            prop_assert!((span.end as usize) <= text.len(), "{d:?}");
        }
    }
    for resource in &module.resources {
        let _ = expand(&mut ctx, resource);
        for form in &resource.attributes {
            let _ = read_typed(&mut ctx, &form.args, &Type::Any, form.span, &form.name.text);
        }
    }
    Ok(())
}

fn leaf() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "1",
        "0",
        "-2",
        "\"s\"",
        "#t",
        "#f",
        "null",
        "x",
        "t",
        "tmp",
        "(var xs)",
        "(var secret)",
        "(var u)",
        "(list)",
        "'(a b)",
        "a",
        "...",
        ".",
        "_",
    ])
    .prop_map(str::to_string)
}

/// An expression over the new forms, possibly malformed.
fn expression() -> impl Strategy<Value = String> {
    leaf().prop_recursive(6, 64, 4, |inner| {
        let e = || inner.clone();
        prop_oneof![
            (e(), e()).prop_map(|(a, b)| format!("`(a ,{a} ,@{b})")),
            (e(), e()).prop_map(|(a, b)| format!("`(map (k ,{a}) (,{b} 1) ,@{a})")),
            e().prop_map(|a| format!("`(x `(y ,(z ,{a})))")),
            (e(), e()).prop_map(|(a, b)| format!(",{a} ,@{b}")),
            (e(), e(), e()).prop_map(|(k, a, b)| format!("(case {k} ((1 a \"s\") {a}) (else {b}))")),
            (e(), e()).prop_map(|(a, b)| format!("(case {a} ({b}))")),
            (e(), e()).prop_map(|(a, b)| format!(
                "(letrec ((g (lambda (n (m {a}) . r) (if (<= n 0) (list m r) (h (- n 1))))) (h (lambda (n) (g n)))) (g {b}))"
            )),
            (e(), e()).prop_map(|(a, b)| format!("(letrec ((v {a}) (w (lambda () v))) {b})")),
            (e(), e(), e()).prop_map(|(a, b, c)| format!("((lambda (p (q {a}) . r) (list p q r)) {b} {c})")),
            (e(), e()).prop_map(|(a, b)| format!("(f {a} {b} {a})")),
            (e(), e()).prop_map(|(a, b)| format!("(my-or {a} {b})")),
            (e(), e()).prop_map(|(a, b)| format!("(kv (a is {a}) (b is {b}))")),
            (e(), e()).prop_map(|(a, b)| format!("(nest ({a} {b} {a}) ({b}))")),
            e().prop_map(|a| format!("(twice {a})")),
            e().prop_map(|a| format!("(deeper {a})")),
            (e(), e()).prop_map(|(a, b)| format!("(let ((x {a}) (t {b})) (list x t))")),
            (e(), e()).prop_map(|(a, b)| format!("(list {a} {b})")),
            (e(), e()).prop_map(|(a, b)| format!("(gm {a} {b})")),
        ]
    })
}

/// A random `syntax-rules` macro `gm`, which may use itself.
fn random_macro() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a",
        "b",
        "c",
        "_",
        "...",
        "lit",
        "1",
        "\"s\"",
        "(a ...)",
        "(b c ...)",
        "((a b ...) ...)",
    ]);
    let template = prop::sample::select(vec![
        "a",
        "b",
        "c",
        "(list a ...)",
        "(list (list a b ...) ...)",
        "(gm a)",
        "(gm (a a))",
        "(let ((t a)) t)",
        "`(,a ,@b)",
        "(begin a)",
        "(list b ... ...)",
        "lit",
        "(quote a)",
        "(gm a ...)",
        "(case a ((1) b) (else c))",
    ]);
    (
        prop::collection::vec(token, 0..5),
        template,
        prop::sample::select(vec!["()", "(lit)", "x", "(1)"]),
    )
        .prop_map(|(tokens, template, literals)| {
            format!(
                "(define-syntax gm (syntax-rules {literals} ((_ {}) {template})))",
                tokens.join(" ")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn new_forms_never_panic(
        gm in random_macro(),
        locals in prop::collection::vec(expression(), 1..4),
        in_begin in any::<bool>(),
    ) {
        let mut text = format!("{MACROS}{gm}\n");
        let locals: String = locals
            .iter()
            .enumerate()
            .map(|(i, e)| format!("(l{i} {e})"))
            .collect::<Vec<_>>()
            .join(" ");
        if in_begin {
            text.push_str(&format!("(begin (locals {locals}) (resource null-resource \"r\" (triggers (map (a (gm 1 2))))))"));
        } else {
            text.push_str(&format!("(locals {locals})"));
        }
        run(&text)?;
    }
}

#[test]
fn the_fuzz_seeds_are_sound_programs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/read_and_evaluate");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the seeds") {
        let path = entry.expect("a seed").path();
        let text = std::fs::read_to_string(&path).expect("read a seed");
        let name = path.display().to_string();
        let mut sources = SourceMap::new();
        let mut diagnostics = Vec::new();
        let files = vec![(PathBuf::from("/f/main.nim"), text.clone())];
        let module = parse_module(Path::new("/f"), &files, &mut sources, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        let index = ModuleIndex::new(&module);
        let mut scope = Scope::default();
        nimbus_eval::eval_variables(&index, &mut scope, &Default::default(), &mut diagnostics);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        let mut ctx = Context::new(&index, &scope);
        assert!(!module.locals.is_empty(), "{name}");
        for local in &module.locals {
            if let Err(d) = ctx.eval(&local.value) {
                panic!("{name}: {}: {d:?}", local.name.text);
            }
        }
        run(&text).expect(&name);
        seen += 1;
    }
    assert!(seen >= 2, "only {seen} seeds");
}
