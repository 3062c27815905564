//! Reader + configuration model + evaluator on arbitrary input: whatever
//! the text, loading and evaluating it must end in values or located
//! diagnostics, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_config::parse_module;
use nimbus_eval::{Context, ModuleIndex, Scope, expand, read_typed};
use nimbus_syntax::SourceMap;
use nimbus_value::Type;
use std::path::{Path, PathBuf};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let files = vec![(PathBuf::from("/f/main.nim"), text.to_string())];
    let module = parse_module(Path::new("/f"), &files, &mut sources, &mut diagnostics);
    for d in &diagnostics {
        if let Some(span) = d.span {
            // Every located diagnostic must point inside the file.
            assert!(span.start <= span.end && (span.end as usize) <= text.len());
        }
    }
    let index = ModuleIndex::new(&module);
    let mut scope = Scope::default();
    let mut var_diagnostics = Vec::new();
    nimbus_eval::eval_variables(&index, &mut scope, &Default::default(), &mut var_diagnostics);
    let mut ctx = Context::new(&index, &scope);
    for local in &module.locals {
        let _ = ctx.eval(&local.value);
    }
    for output in &module.outputs {
        let _ = ctx.eval(&output.value);
    }
    for resource in &module.resources {
        let _ = expand(&mut ctx, resource);
        for form in &resource.attributes {
            let _ = read_typed(&mut ctx, &form.args, &Type::Any, form.span, &form.name.text);
            let _ = read_typed(&mut ctx, &form.args, &Type::map(Type::String), form.span, &form.name.text);
        }
    }
});
