//! The variable files (`--var-file`: `.nimvars` in the `.nim` syntax, or
//! JSON) and `--var NAME=VALUE` text on arbitrary input: each ends in
//! values or located diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_eval::{parse_text_value, parse_var_file, parse_var_json};
use nimbus_syntax::FileId;
use nimbus_value::Type;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(diagnostics) = parse_var_file(FileId(0), text, "f.nimvars") {
        for d in &diagnostics {
            if let Some(span) = d.span {
                assert!(span.start <= span.end && (span.end as usize) <= text.len());
            }
        }
    }
    let _ = parse_var_json(text, "f.json");
    let types = [
        Type::Any,
        Type::String,
        Type::Number,
        Type::Bool,
        Type::list(Type::String),
        Type::map(Type::Number),
        Type::set(Type::Any),
    ];
    for ty in &types {
        let _ = parse_text_value(text, ty, false);
        let _ = parse_text_value(text, ty, true);
    }
});
