//! `(template-file PATH VARS)`, Terraform's `templatefile`: a file in HCL's
//! template language, rendered with VARS as its only names.
//!
//! The evaluator handles it rather than the function library because the
//! template is an expression: it is lowered by the HCL front end (the one
//! lowering of templates, shared with `.tf` strings and heredocs) and
//! evaluated here like any other, so unknown and sensitive values flow
//! through it by the usual rules.

use crate::expr::Context;
use nimbus_syntax::{Diagnostic, FileId, Node, SourceFile, Span};
use nimbus_value::Value;

/// The file id the template's spans use. It names no file of the
/// configuration: every diagnostic carrying it is relocated to the call.
const TEMPLATE: FileId = FileId(u32::MAX);

/// Terraform's rule for a template variable's name.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

impl Context<'_> {
    pub(crate) fn template_file(
        &mut self,
        node: &Node,
        args: &[Node],
    ) -> Result<Value, Diagnostic> {
        let [path_node, vars_node] = args else {
            return Err(Diagnostic::error(
                "`template-file` takes a path and a map of variables: `(template-file PATH VARS)`",
            )
            .at(node.span));
        };
        let path = self.eval(path_node)?;
        let vars = self.eval(vars_node)?;
        let mut sensitive = false;
        let path = match outer_marks(path) {
            (Value::String(path), marked) => {
                sensitive |= marked;
                path
            }
            (Value::Unknown, _) => return Ok(Value::Unknown),
            (other, _) => {
                return Err(Diagnostic::error(format!(
                    "a template's path is a string, not {}",
                    other.kind_name()
                ))
                .at(path_node.span));
            }
        };
        let vars = match outer_marks(vars) {
            (Value::Map(vars), marked) => {
                sensitive |= marked;
                vars
            }
            (Value::Null, _) => Default::default(),
            (Value::Unknown, _) => return Ok(Value::Unknown),
            (other, _) => {
                return Err(Diagnostic::error(format!(
                    "a template's variables are a map or object, not {}",
                    other.kind_name()
                ))
                .at(vars_node.span));
            }
        };
        if let Some(bad) = vars.keys().find(|k| !is_identifier(k)) {
            return Err(Diagnostic::error(format!(
                "invalid template variable name {bad:?}: it must start with a letter or `_`, followed by letters, digits, `_` and `-`"
            ))
            .at(vars_node.span));
        }
        let Some(files) = self.functions.files else {
            return Err(Diagnostic::error(
                "templatefile is not available here: no file access was given",
            )
            .at(node.span));
        };
        let bytes = files.read(&path).map_err(|e| {
            Diagnostic::error(format!("cannot read template {path:?}: {e}")).at(path_node.span)
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Diagnostic::error(format!("template {path:?} is not valid UTF-8")).at(path_node.span)
        })?;
        let names: Vec<String> = vars.keys().cloned().collect();
        let source = SourceFile::new(&path, text);
        let template = nimbus_hcl::lower_template(TEMPLATE, &source.text, &names)
            .map_err(|mut ds| relocate(ds.swap_remove(0), &source, node.span))?;
        // The template sees its variables and nothing else: not the for
        // variables of the expression around the call.
        let outer = std::mem::take(&mut self.bindings);
        for (name, value) in vars {
            let value = value.mark_if(sensitive);
            self.bindings
                .push((name, crate::functions::Bound::Value(value)));
        }
        let rendered = self.eval(&template);
        self.bindings = outer;
        let rendered = rendered.map_err(|d| relocate(d, &source, node.span))?;
        Ok(rendered.mark_if(sensitive))
    }
}

/// The value under its outer sensitive marks, and whether it had any
/// (marks inside, on a map's entries, stay where they are).
fn outer_marks(mut value: Value) -> (Value, bool) {
    let mut marked = false;
    while let Value::Sensitive(inner) = value {
        value = *inner;
        marked = true;
    }
    (value, marked)
}

/// A diagnostic found inside a template, reported at the call with the
/// template's own `path:line:col` in its message.
fn relocate(diagnostic: Diagnostic, source: &SourceFile, call: Span) -> Diagnostic {
    let Some(span) = diagnostic.span.filter(|s| s.file == TEMPLATE) else {
        return diagnostic;
    };
    let (line, col) = source.line_col(span.start);
    let mut relocated = Diagnostic::error(format!(
        "{}:{line}:{col}: {}",
        source.path.display(),
        diagnostic.message
    ))
    .at(call);
    relocated.severity = diagnostic.severity;
    relocated.code = diagnostic.code;
    relocated.notes = diagnostic.notes;
    relocated
        .notes
        .push(format!("note: {}", source.line_text(line).trim()));
    relocated
}
