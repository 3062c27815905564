//! Static analysis: which declarations an expression refers to. The engine
//! builds its dependency graph from this, without evaluating anything.

use nimbus_config::{AttributeForm, Mode};
use nimbus_syntax::{Node, Span};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    Variable(String),
    Local(String),
    Resource(Mode, String, String),
    ModuleOutput(String, String),
}

/// Every reference in `node`, with the span of the referring form.
pub fn references(node: &Node, out: &mut Vec<(Reference, Span)>) {
    let Some(items) = node.as_list() else {
        return;
    };
    let head = items.first().and_then(Node::as_symbol);
    let arg = |i: usize| items.get(i).and_then(Node::as_name).map(str::to_string);
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
            if let (Some(module), Some(name)) = (arg(1), arg(2)) {
                out.push((Reference::ModuleOutput(module, name), node.span));
            }
        }
        Some("ref") => {
            let (mode, first) = match arg(1).as_deref() {
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
pub fn form_references(forms: &[AttributeForm], out: &mut Vec<(Reference, Span)>) {
    for form in forms {
        for arg in &form.args {
            references(arg, out);
        }
    }
}
