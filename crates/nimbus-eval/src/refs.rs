//! Static analysis: which declarations an expression refers to. The engine
//! builds its dependency graph from this, without evaluating anything.

use nimbus_config::{AttributeForm, Mode};
use nimbus_syntax::{Node, Span};

/// A reference, borrowing its names from the configuration: the graph
/// builder collects one per `ref`/`var`/`local` of every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reference<'a> {
    Variable(&'a str),
    Local(&'a str),
    Resource(Mode, &'a str, &'a str),
    ModuleOutput(&'a str, &'a str),
    /// `(module-outputs CALL [INSTANCE])`: every output of the call.
    Module(&'a str),
}

/// Every reference in `node`, with the span of the referring form.
pub fn references<'a>(node: &'a Node, out: &mut Vec<(Reference<'a>, Span)>) {
    let Some(items) = node.as_list() else {
        return;
    };
    let head = items.first().and_then(Node::as_symbol);
    let arg = |i: usize| items.get(i).and_then(Node::as_name);
    match head {
        Some("quote") => return,
        Some("var") => {
            if let Some(name) = arg(1) {
                out.push((Reference::Variable(name), node.span));
            }
        }
        Some("local") => {
            if let Some(name) = arg(1) {
                out.push((Reference::Local(name), node.span));
            }
        }
        Some("module-output") => {
            // `(module-output CALL NAME)` or `(module-output CALL INSTANCE NAME)`;
            // the instance expression's own references are found below.
            let name = if items.len() == 4 { arg(3) } else { arg(2) };
            if let (Some(module), Some(name)) = (arg(1), name) {
                out.push((Reference::ModuleOutput(module, name), node.span));
            }
        }
        Some("module-outputs") => {
            if let Some(module) = arg(1) {
                out.push((Reference::Module(module), node.span));
            }
        }
        Some("ref") => {
            let (mode, first) = match arg(1) {
                Some("data") if items.len() >= 4 => (Mode::Data, 2),
                _ => (Mode::Managed, 1),
            };
            if let (Some(t), Some(n)) = (arg(first), arg(first + 1)) {
                out.push((Reference::Resource(mode, t, n), node.span));
            }
        }
        _ => {}
    }
    for item in items {
        references(item, out);
    }
}

/// References of every argument of every form.
pub fn form_references<'a>(forms: &'a [AttributeForm], out: &mut Vec<(Reference<'a>, Span)>) {
    for form in forms {
        for arg in &form.args {
            references(arg, out);
        }
    }
}
