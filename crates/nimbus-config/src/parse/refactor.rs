//! `moved`, `removed` and `import` forms (Terraform's refactoring and
//! import blocks) to the model, and the checks that need the whole
//! configuration.

use super::Parser;
use crate::address::{BlockAddr, InstanceAddr, InstanceKey, ModuleStep, Selector};
use crate::model::*;
use crate::{Config, Mode};
use nimbus_syntax::{Diagnostic, Node, NodeKind, Span};

/// How addresses are written in these forms, for messages.
const ADDRESS_FORMS: &str = "write an address as `TYPE.NAME`, `TYPE.NAME[0]`, `\"TYPE.NAME[\\\"key\\\"]\"`, `module.NAME`, `(ref TYPE \"NAME\" [KEY])` or `(module NAME [KEY] [ADDRESS])`";

impl Parser<'_> {
    /// `(moved (from ADDRESS) (to ADDRESS))`.
    pub(super) fn moved(&mut self, span: Span, args: Vec<Node>) {
        let forms = self.attribute_forms(args, "a `moved` block");
        self.settings_once(&forms, &["from", "to"], "`moved` block");
        let (mut from, mut to) = (None, None);
        let (mut from_written, mut to_written) = (false, false);
        for mut form in forms {
            match form.name.as_str() {
                "from" => {
                    from_written = true;
                    from = self.address_setting(&mut form);
                }
                "to" => {
                    to_written = true;
                    to = self.address_setting(&mut form);
                }
                other => self.unknown_setting(&form, other, "moved", &["from", "to"]),
            }
        }
        if !from_written {
            self.missing(span, "moved", "(from ADDRESS)");
        }
        if !to_written {
            self.missing(span, "moved", "(to ADDRESS)");
        }
        if let (Some(from), Some(to)) = (from, to) {
            self.module.moved.push(Moved { from, to, span });
        }
    }

    /// `(removed (from ADDRESS) [(destroy BOOL)])`; `(lifecycle (destroy
    /// BOOL))` as Terraform writes it is read too.
    pub(super) fn removed(&mut self, span: Span, args: Vec<Node>) {
        let mut forms = self.attribute_forms(args, "a `removed` block");
        // `(lifecycle (destroy #f))`: its settings count as the block's own.
        let mut flattened = Vec::with_capacity(forms.len());
        for form in forms.drain(..) {
            if form.name.as_str() == "lifecycle" {
                flattened.extend(self.attribute_forms(form.args, "`lifecycle`"));
            } else {
                flattened.push(form);
            }
        }
        self.settings_once(&flattened, &["from", "destroy"], "`removed` block");
        let mut from = None;
        let mut from_written = false;
        let mut destroy = true;
        for mut form in flattened {
            match form.name.as_str() {
                "from" => {
                    from_written = true;
                    from = self.address_setting(&mut form);
                }
                "destroy" => destroy = self.bool_arg(&mut form).unwrap_or(true),
                other => self.unknown_setting(&form, other, "removed", &["from", "destroy"]),
            }
        }
        let Some(from) = from else {
            if !from_written {
                self.missing(span, "removed", "(from ADDRESS)");
            }
            return;
        };
        if let Selector::Instance(_) = from.address {
            self.diagnostics.push(
                Diagnostic::error(
                    "a `removed` block names a whole resource or module, not one instance",
                )
                .at(from.span)
                .with_note("help: remove the instance key: every instance of the block is removed"),
            );
            return;
        }
        self.module.removed.push(Removed {
            from,
            destroy,
            span,
        });
    }

    /// `(import (to ADDRESS) (id EXPRESSION) [(provider NAME)] [(for-each
    /// EXPRESSION)])`; with `for-each`, `to` may end in a key expression:
    /// `(ref TYPE "NAME" each-key)`.
    pub(super) fn import_block(&mut self, span: Span, args: Vec<Node>) {
        let forms = self.attribute_forms(args, "an `import` block");
        const SETTINGS: &[&str] = &["to", "id", "provider", "for-each"];
        self.settings_once(&forms, SETTINGS, "`import` block");
        let repeated = forms.iter().any(|f| f.name.as_str() == "for-each");
        let (mut to, mut to_key, mut id, mut provider, mut for_each) =
            (None, None, None, None, None);
        let mut to_written = false;
        for mut form in forms {
            match form.name.as_str() {
                "to" => {
                    to_written = true;
                    if let Some(mut node) = self.single_arg(&mut form) {
                        if repeated {
                            to_key = take_key_expression(&mut node);
                        }
                        to = self.address(&node).map(|address| WrittenAddress {
                            address,
                            span: node.span,
                        });
                    }
                }
                "id" => id = self.single_arg(&mut form),
                "for-each" => for_each = self.single_arg(&mut form),
                "provider" => {
                    if let Some(n) = self.single_arg(&mut form) {
                        match n.as_name() {
                            Some(text) => {
                                provider = Some(Name {
                                    text: text.to_string(),
                                    span: n.span,
                                })
                            }
                            None => self.error(
                                n.span,
                                "expected a provider name such as `aws` or `aws.west`",
                            ),
                        }
                    }
                }
                other => self.unknown_setting(&form, other, "import", SETTINGS),
            }
        }
        let Some(id) = id else {
            self.missing(span, "import", "(id EXPRESSION)");
            return;
        };
        let Some(to) = to else {
            if !to_written {
                self.missing(span, "import", "(to ADDRESS)");
            }
            return;
        };
        if let Selector::Module(_) = to.address {
            self.error(
                to.span,
                "an `import` block imports into a resource instance, not a module",
            );
            return;
        }
        if repeated && to_key.is_none() && !matches!(to.address, Selector::Instance(_)) {
            self.diagnostics.push(
                Diagnostic::error("with `for-each`, `to` names one instance per element")
                    .at(to.span)
                    .with_note("help: give the instance key, e.g. `(ref TYPE \"NAME\" each-key)`"),
            );
            return;
        }
        self.module.import_blocks.push(ImportBlock {
            to,
            to_key,
            id,
            provider,
            for_each,
            span,
        });
    }

    fn missing(&mut self, span: Span, block: &str, what: &str) {
        self.diagnostics.push(
            Diagnostic::error(format!("{} `{block}` block needs {what}", article(block)))
                .at(span)
                .with_label(format!("incomplete `{block}`")),
        );
    }

    fn unknown_setting(&mut self, form: &AttributeForm, other: &str, block: &str, known: &[&str]) {
        let d = Diagnostic::error(format!("unknown `{block}` setting `{other}`"))
            .at(form.name.span)
            .with_suggestion(other, known.iter().copied());
        self.diagnostics.push(d);
    }

    fn address_setting(&mut self, form: &mut AttributeForm) -> Option<WrittenAddress> {
        let node = self.single_arg(form)?;
        let address = self.address(&node)?;
        Some(WrittenAddress {
            address,
            span: node.span,
        })
    }

    /// An address: Terraform's text (a symbol, or a string where a key
    /// needs quotes) or the structured forms `(ref ...)` and `(module ...)`.
    fn address(&mut self, node: &Node) -> Option<Selector> {
        match &node.kind {
            NodeKind::Symbol(_) | NodeKind::String(_) => {
                let text = node.as_name().unwrap_or_default();
                match Selector::parse(text) {
                    Ok(selector) => Some(selector),
                    Err(e) => {
                        self.diagnostics.push(
                            Diagnostic::error(e.to_string())
                                .at(node.span)
                                .with_note(format!("help: {ADDRESS_FORMS}")),
                        );
                        None
                    }
                }
            }
            NodeKind::List(items) => match items.first().and_then(Node::as_symbol) {
                Some("ref") => self.ref_address(node, &items[1..], Vec::new()),
                Some("module") => self.module_address(node, &items[1..], Vec::new()),
                _ => self.not_an_address(node),
            },
            _ => self.not_an_address(node),
        }
    }

    fn not_an_address(&mut self, node: &Node) -> Option<Selector> {
        self.diagnostics.push(
            Diagnostic::error(format!("expected an address, found {}", node.describe()))
                .at(node.span)
                .with_note(format!("help: {ADDRESS_FORMS}")),
        );
        None
    }

    /// `(module NAME [KEY] [INNER])` after its head, below `steps`.
    fn module_address(
        &mut self,
        node: &Node,
        args: &[Node],
        mut steps: Vec<ModuleStep>,
    ) -> Option<Selector> {
        let Some((name, rest)) = args.split_first() else {
            return self.not_an_address(node);
        };
        let name = self.name_of(name, "module instance name")?;
        let (key, rest) = match rest.split_first() {
            Some((key, rest)) if key.as_list().is_none() => (Some(self.key(key)?), rest),
            _ => (None, rest),
        };
        steps.push(ModuleStep {
            name: name.text,
            key,
        });
        match rest {
            [] => Some(Selector::Module(steps)),
            [inner] => match inner.as_list().and_then(|i| i.split_first()) {
                Some((head, args)) if head.as_symbol() == Some("ref") => {
                    self.ref_address(inner, args, steps)
                }
                Some((head, args)) if head.as_symbol() == Some("module") => {
                    self.module_address(inner, args, steps)
                }
                _ => self.not_an_address(inner),
            },
            [_, extra, ..] => {
                self.error(extra.span, "unexpected text after the address");
                None
            }
        }
    }

    /// `(ref [data] TYPE "NAME" [KEY])` after its head, in `module`.
    fn ref_address(
        &mut self,
        node: &Node,
        args: &[Node],
        module: Vec<ModuleStep>,
    ) -> Option<Selector> {
        let (mode, args) = match args.first().and_then(Node::as_symbol) {
            Some("data") if args.len() >= 3 => (Mode::Data, &args[1..]),
            _ => (Mode::Managed, args),
        };
        let (type_name, name, key) = match args {
            [t, n] => (t, n, None),
            [t, n, k] => (t, n, Some(k)),
            _ => {
                self.diagnostics
                    .push(Diagnostic::error("expected `(ref TYPE \"NAME\" [KEY])`").at(node.span));
                return None;
            }
        };
        let type_name = self.name_of(type_name, "resource type")?;
        let name = self.name_of(name, "resource name")?;
        let block = BlockAddr {
            module,
            mode,
            type_name: type_name.text,
            name: name.text,
        };
        Some(match key {
            None => Selector::Block(block),
            Some(k) => Selector::Instance(InstanceAddr {
                block,
                key: Some(self.key(k)?),
            }),
        })
    }

    /// A literal instance key: a whole number or a string.
    fn key(&mut self, node: &Node) -> Option<InstanceKey> {
        match &node.kind {
            NodeKind::Integer(i) if *i >= 0 && u64::try_from(*i).is_ok() => {
                Some(InstanceKey::Index(*i as u64))
            }
            NodeKind::String(s) => Some(InstanceKey::Key(s.clone())),
            _ => {
                self.error(
                    node.span,
                    format!(
                        "an instance key is a whole number or a string, found {}",
                        node.describe()
                    ),
                );
                None
            }
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Takes the key out of `(ref [data] TYPE "NAME" KEY)` when it is an
/// expression rather than a literal, and gives it.
fn take_key_expression(node: &mut Node) -> Option<Node> {
    let NodeKind::List(items) = &mut node.kind else {
        return None;
    };
    if items.first().and_then(Node::as_symbol) != Some("ref") {
        return None;
    }
    let names = if items.get(1).and_then(Node::as_symbol) == Some("data") {
        4
    } else {
        3
    };
    if items.len() != names + 1 {
        return None;
    }
    let literal = matches!(
        items.last().map(|k| &k.kind),
        Some(NodeKind::Integer(_) | NodeKind::String(_))
    );
    if literal {
        return None;
    }
    items.pop()
}

/// What a move endpoint names, for matching its two ends.
fn kind(selector: &Selector) -> &'static str {
    match selector {
        Selector::Module(_) => "module",
        Selector::Block(_) | Selector::Instance(_) => "resource",
    }
}

/// The block an endpoint names, if it names a resource.
pub fn endpoint_block(selector: &Selector) -> Option<&BlockAddr> {
    match selector {
        Selector::Module(_) => None,
        Selector::Block(b) => Some(b),
        Selector::Instance(i) => Some(&i.block),
    }
}

/// The module that module path `steps` leads to from `base` (keys
/// ignored: every instance of a call is the same module).
pub fn module_at<'c>(
    config: &'c Config,
    base: &'c Module,
    steps: &[ModuleStep],
) -> Option<&'c Module> {
    let mut module = base;
    for step in steps {
        let call = module.calls.iter().find(|c| c.name.text == step.name)?;
        module = &config.modules[config.called(module, call)?];
    }
    Some(module)
}

/// Whether the configuration declares `block` (from the root).
pub fn declares_block(config: &Config, block: &BlockAddr) -> bool {
    declares_block_in(config, config.root(), block)
}

/// Whether `block`, relative to `base`, is declared.
fn declares_block_in(config: &Config, base: &Module, block: &BlockAddr) -> bool {
    module_at(config, base, &block.module).is_some_and(|m| {
        m.resource(block.mode, &block.type_name, &block.name)
            .is_some()
    })
}

/// Whether the module call at the end of `steps` (relative to `base`,
/// whatever its key) is declared.
fn declares_call(config: &Config, base: &Module, steps: &[ModuleStep]) -> bool {
    match steps.split_last() {
        Some((last, parents)) => module_at(config, base, parents)
            .is_some_and(|m| m.calls.iter().any(|c| c.name.text == last.name)),
        None => true,
    }
}

/// Checks of `moved`, `removed` and `import` blocks that need the whole
/// configuration: what each names and whether it is still declared. What
/// depends on instances (`count`/`for-each` keys) and on state is the
/// engine's to check. `moved` and `removed` blocks may be written in any
/// module, their addresses relative to it; `import` blocks only in the
/// root module, as in Terraform.
pub(crate) fn check(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    for (index, module) in config.modules.iter().enumerate() {
        if index != 0 {
            for import in &module.import_blocks {
                diagnostics.push(
                    Diagnostic::error("`import` blocks are only allowed in the root module")
                        .at(import.span)
                        .with_note(
                            "help: move it to the root module and prefix its `to` with `module.NAME.`",
                        ),
                );
            }
        }
        for moved in &module.moved {
            check_moved(config, module, moved, diagnostics);
        }
        for removed in &module.removed {
            let still = match &removed.from.address {
                Selector::Module(steps) => declares_call(config, module, steps),
                other => {
                    endpoint_block(other).is_some_and(|b| declares_block_in(config, module, b))
                }
            };
            if still {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`removed` names {}, which is still declared in the configuration",
                        removed.from.address_text()
                    ))
                    .at(removed.from.span)
                    .with_note("help: delete its block from the configuration, or delete this `removed` block"),
                );
            }
            if endpoint_block(&removed.from.address).is_some_and(|b| b.mode == Mode::Data) {
                diagnostics.push(
                    Diagnostic::error("data sources are not recorded objects: a `removed` block names a resource or a module")
                        .at(removed.from.span),
                );
            }
        }
        for import in module.import_blocks.iter().filter(|_| index == 0) {
            let Some(block) = endpoint_block(&import.to.address) else {
                continue;
            };
            if block.mode == Mode::Data {
                diagnostics
                    .push(Diagnostic::error("data sources cannot be imported").at(import.to.span));
            } else if !declares_block(config, block) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`import` into {block}, which the configuration does not declare"
                    ))
                    .at(import.to.span)
                    .with_note("help: add its `resource` block, then import"),
                );
            }
        }
    }
}

fn check_moved(config: &Config, module: &Module, moved: &Moved, diagnostics: &mut Vec<Diagnostic>) {
    let (from, to) = (&moved.from.address, &moved.to.address);
    if kind(from) != kind(to) {
        diagnostics.push(
            Diagnostic::error(format!(
                "cannot move {} to {}: a {} moves only to a {}",
                moved.from.address_text(),
                moved.to.address_text(),
                kind(from),
                kind(from)
            ))
            .at(moved.to.span),
        );
        return;
    }
    if from == to {
        diagnostics.push(
            Diagnostic::error(format!(
                "`moved` from {} to itself",
                moved.from.address_text()
            ))
            .at(moved.span),
        );
        return;
    }
    if let (Some(f), Some(t)) = (endpoint_block(from), endpoint_block(to)) {
        if f.mode == Mode::Data || t.mode == Mode::Data {
            diagnostics.push(
                Diagnostic::error("data sources are read, not recorded: they cannot be moved")
                    .at(moved.span),
            );
            return;
        }
        if f.type_name != t.type_name {
            diagnostics.push(
                Diagnostic::error(format!(
                    "cannot move {} to {}: the resource type differs (`{}` to `{}`)",
                    moved.from.address_text(),
                    moved.to.address_text(),
                    f.type_name,
                    t.type_name
                ))
                .at(moved.to.span)
                .with_note("note: a move keeps the object; an object of one type cannot become one of another"),
            );
            return;
        }
    }
    // A whole block or call that is still declared cannot also be the
    // origin of a move. Instances are the engine's to check, once
    // `count` and `for-each` are expanded.
    let whole_still_declared = match (from, to) {
        (Selector::Block(f), Selector::Block(_)) => declares_block_in(config, module, f),
        (Selector::Module(f), Selector::Module(t)) => {
            f.last().is_some_and(|s| s.key.is_none())
                && t.last().is_some_and(|s| s.key.is_none())
                && declares_call(config, module, f)
        }
        _ => false,
    };
    if whole_still_declared {
        diagnostics.push(
            Diagnostic::error(format!(
                "`moved` from {}, which is still declared in the configuration",
                moved.from.address_text()
            ))
            .at(moved.from.span)
            .with_note(format!(
                "help: rename it in the configuration so that it is declared as {} instead",
                moved.to.address_text()
            )),
        );
    }
}

impl WrittenAddress {
    /// The address in Terraform's text form.
    pub fn address_text(&self) -> String {
        self.address.to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::{MemoryFiles, Selector, load};
    use std::path::Path;

    fn loaded(text: &str) -> (crate::Config, Vec<String>) {
        let files = MemoryFiles::default()
            .with("/p/main.nim", text)
            .with("/p/m/main.nim", "(resource terraform-data \"t\")");
        let (config, diags) = load(Path::new("/p"), &files);
        (config, diags.into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn reads_every_address_form() {
        let (config, errors) = loaded(
            r#"(use-module m "./m")
               (include m "new" (count 1))
               (resource terraform-data "b" (count 1))
               (moved (from terraform-data.a) (to (ref terraform-data "b" 0)))
               (moved (from "terraform-data.c[\"k\"]") (to (module new 0 (ref terraform-data "t"))))
               (moved (from module.old) (to (module new)))
               (removed (from (ref null-resource "gone")) (destroy #f))
               (removed (from null-resource.other) (lifecycle (destroy #t)))
               (import (to terraform-data.b[0]) (id "x") (provider terraform))"#,
        );
        assert_eq!(errors, Vec::<String>::new());
        let root = config.root();
        let shown: Vec<String> = root
            .moved
            .iter()
            .map(|m| format!("{} -> {}", m.from.address, m.to.address))
            .collect();
        assert_eq!(
            shown,
            [
                "terraform-data.a -> terraform-data.b[0]",
                "terraform-data.c[\"k\"] -> module.new[0].terraform-data.t",
                "module.old -> module.new",
            ]
        );
        assert!(!root.removed[0].destroy);
        assert!(root.removed[1].destroy);
        assert!(matches!(
            root.import_blocks[0].to.address,
            Selector::Instance(_)
        ));
        assert_eq!(
            root.import_blocks[0].provider.as_ref().unwrap().text,
            "terraform"
        );
    }

    #[test]
    fn reports_what_cannot_be_moved_removed_or_imported() {
        let (_, errors) = loaded(
            r#"(resource terraform-data "b")
               (resource terraform-data "still")
               (moved (from terraform-data.b) (to random-id.b))
               (moved (from terraform-data.still) (to terraform-data.elsewhere))
               (moved (from module.x) (to terraform-data.y))
               (moved (from "t.n[") (to terraform-data.y))
               (moved (from terraform-data.q))
               (moved (from (ref terraform-data "q" -1)) (to terraform-data.z))
               (removed (from terraform-data.b))
               (removed (from terraform-data.gone[0]))
               (import (to terraform-data.missing) (id "x"))
               (import (to module.m) (id "x"))
               (import (to terraform-data.b))"#,
        );
        assert_eq!(
            errors,
            [
                "cannot move terraform-data.b to random-id.b: the resource type differs (`terraform-data` to `random-id`)",
                "`moved` from terraform-data.still, which is still declared in the configuration",
                "cannot move module.x to terraform-data.y: a module moves only to a module",
                "`t.n[` is not a resource address: an index is a whole number or a quoted key",
                "a `moved` block needs (to ADDRESS)",
                "an instance key is a whole number or a string, found a number",
                "`removed` names terraform-data.b, which is still declared in the configuration",
                "a `removed` block names a whole resource or module, not one instance",
                "`import` into terraform-data.missing, which the configuration does not declare",
                "an `import` block imports into a resource instance, not a module",
                "an `import` block needs (id EXPRESSION)",
            ]
        );
    }

    #[test]
    fn child_modules_move_within_themselves_and_import_only_from_the_root() {
        let files = MemoryFiles::default()
            .with("/p/main.nim", "(use-module m \"./m\") (include m)")
            .with(
                "/p/m/main.nim",
                "(moved (from terraform-data.a) (to terraform-data.b)) (resource terraform-data \"b\")
                 (moved (from terraform-data.b) (to terraform-data.c))
                 (import (to terraform-data.b) (id \"x\"))",
            );
        let (_, diags) = load(Path::new("/p"), &files);
        let messages: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`moved` from terraform-data.b, which is still declared in the configuration",
                "`import` blocks are only allowed in the root module",
            ]
        );
    }
}
