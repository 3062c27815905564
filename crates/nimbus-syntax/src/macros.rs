//! Pattern macros: `define-syntax` with `syntax-rules`, expanded before
//! anything reads the forms.
//!
//! ```scheme
//! (define-syntax bucket-pair
//!   (syntax-rules ()
//!     ((_ name) (begin (resource s3-bucket name (bucket name))
//!                      (resource s3-bucket (string-append name "-logs") ...)))))
//! ```
//!
//! A use `(NAME ARGUMENT...)` anywhere in a module (but inside `quote`) is
//! replaced by the template of the first rule whose pattern matches it, and
//! the result is expanded again. Patterns: a symbol binds what stands
//! there, `_` matches anything, a literal (listed after `syntax-rules`)
//! matches itself, an atom matches an equal atom, `P ...` matches zero or
//! more of P (once per list, anywhere in it), nesting as deep as wanted.
//! Templates put each pattern variable's match, `T ...` repeating T for
//! every match of the variables under it.
//!
//! Hygiene, by renaming: a name the template binds (in `let`, `let*`,
//! `letrec`, `lambda`, `define`'s parameters or `for`/`for-map`) is
//! renamed in each expansion to a name no text can write, so it never
//! captures a name of the use's arguments. A free name of the template is
//! looked up where the use is (a user's `let` of `list` around a use would
//! be seen by the template's `(list ...)`): macros see the module's
//! definitions and the built-ins, and users should not shadow those.
//!
//! Spans: what comes from the use keeps the use's spans, what the template
//! writes keeps the template's, so an error points at the text it is
//! about. Expansion is bounded: uses nest at most [`MAX_EXPANSION_DEPTH`]
//! deep, one module expands into at most [`MAX_EXPANSION_NODES`] nodes, and
//! no expansion may nest lists deeper than the reader's [`MAX_DEPTH`].

use crate::diagnostic::Diagnostic;
use crate::reader::{MAX_DEPTH, Node, NodeKind, Symbol};
use crate::source::Span;
use std::collections::BTreeSet;

// foldhash: every list head of a module is looked up among its macros,
// where SipHash's resistance to flooding buys nothing (the keys are the
// user's own macro and variable names).
use foldhash::{HashMap, HashMapExt};
use std::rc::Rc;

/// How deep macro uses may nest (a use in an expansion is one deeper).
pub const MAX_EXPANSION_DEPTH: usize = 64;

/// How many nodes the expansions of one module may make in all.
pub const MAX_EXPANSION_NODES: usize = 1_000_000;

const ELLIPSIS: &str = "...";

/// One `define-syntax`.
#[derive(Debug, Clone)]
struct Macro {
    literals: Vec<Symbol>,
    rules: Vec<Rule>,
    /// The whole `define-syntax` form, to say where the macro is.
    span: Span,
}

/// One `(PATTERN TEMPLATE)` of a macro, with the names its template binds
/// itself (renamed in each expansion), found once at the definition.
#[derive(Debug, Clone)]
struct Rule {
    pattern: Node,
    template: Node,
    binders: BTreeSet<Symbol>,
    /// The template's free names: a binding around a use that names one
    /// would capture it, so such a use is refused.
    free: BTreeSet<Symbol>,
}

/// What a pattern variable matched: one node, or (under `...`) one match
/// per repetition.
#[derive(Debug, Clone)]
enum Binding {
    One(Node),
    Many(Vec<Binding>),
}

type Bindings = HashMap<Symbol, Binding>;

/// The bindings a template is instantiated with: the use's, and over
/// them, inside `...`, the current repetition's match of each repeated
/// variable (references, so that a repetition copies no match).
#[derive(Clone)]
struct Env<'b> {
    base: &'b Bindings,
    repetition: Vec<(&'b Symbol, &'b Binding)>,
}

impl<'b> Env<'b> {
    fn get(&self, name: &str) -> Option<&'b Binding> {
        self.repetition
            .iter()
            .rev()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, b)| *b)
            .or_else(|| self.base.get(name))
    }
}

type Result<T> = std::result::Result<T, Diagnostic>;

/// The macros of one module and the expansions made so far.
pub struct Expander<'a> {
    macros: HashMap<Symbol, Rc<Macro>>,
    /// Names a macro cannot take (the forms the language has).
    reserved: &'a dyn Fn(&str) -> bool,
    /// A span as `FILE:LINE:COL`, for notes.
    locate: &'a dyn Fn(Span) -> String,
    nodes: usize,
    renames: usize,
    /// Where each macro was used, by name (for notes on later errors).
    uses: HashMap<Symbol, Vec<Span>>,
    /// What uses passed, by macro: each argument's span and where the
    /// template put it (for notes on errors found in the argument).
    passed: HashMap<Symbol, Vec<(Span, Span)>>,
    /// The macro whose use is being instantiated.
    current: Option<Symbol>,
    /// The names the user's forms around the node being expanded bind.
    scope: Vec<Symbol>,
}

impl<'a> Expander<'a> {
    pub fn new(
        reserved: &'a dyn Fn(&str) -> bool,
        locate: &'a dyn Fn(Span) -> String,
    ) -> Expander<'a> {
        Expander {
            macros: HashMap::new(),
            reserved,
            locate,
            nodes: 0,
            renames: 0,
            uses: HashMap::new(),
            passed: HashMap::new(),
            current: None,
            scope: Vec::new(),
        }
    }

    /// Whether `name` is a macro, and where it is defined.
    pub fn macro_span(&self, name: &str) -> Option<Span> {
        self.macros.get(name).map(|m| m.span)
    }

    /// Whether no macro is defined (then nothing needs expanding).
    pub fn is_empty(&self) -> bool {
        self.macros.is_empty()
    }

    /// Takes the `define-syntax` forms out of `forms` (one file's top
    /// level), defining their macros.
    pub fn collect(&mut self, forms: &mut Vec<Node>, diagnostics: &mut Vec<Diagnostic>) {
        forms.retain(|form| {
            if form.head() != Some("define-syntax") {
                return true;
            }
            if let Err(d) = self.define(form) {
                diagnostics.push(d);
            }
            false
        });
    }

    fn define(&mut self, form: &Node) -> Result<()> {
        let usage =
            "expected `(define-syntax NAME (syntax-rules (LITERAL...) (PATTERN TEMPLATE)...))`";
        let Some([_, name, rules]) = form.as_list() else {
            return Err(Diagnostic::error(usage).at(form.span));
        };
        let Some(name_text) = name.as_symbol() else {
            return Err(Diagnostic::error(format!(
                "expected a macro name, found {}",
                name.describe()
            ))
            .at(name.span));
        };
        if (self.reserved)(name_text) || name_text == ELLIPSIS {
            return Err(Diagnostic::error(format!(
                "`{name_text}` is a form or function of the language: a macro cannot take its name"
            ))
            .at(name.span));
        }
        if self.macros.contains_key(name_text) {
            return Err(Diagnostic::error(format!("duplicate macro `{name_text}`")).at(name.span));
        }
        let Some([head, literals, clauses @ ..]) = rules.as_list() else {
            return Err(Diagnostic::error(usage).at(rules.span));
        };
        if head.as_symbol() != Some("syntax-rules") {
            return Err(Diagnostic::error(usage)
                .at(rules.span)
                .with_note("note: `syntax-rules` is the only kind of macro"));
        }
        let Some(literals) = literals.as_list() else {
            return Err(
                Diagnostic::error("expected the list of literals, `(LITERAL...)`")
                    .at(literals.span)
                    .with_note("help: a macro without literals writes `()`"),
            );
        };
        let mut names = Vec::with_capacity(literals.len());
        for literal in literals {
            match literal.as_symbol() {
                Some(s) if s != ELLIPSIS => names.push(Symbol::new(s)),
                _ => {
                    return Err(Diagnostic::error(format!(
                        "expected a literal name, found {}",
                        literal.describe()
                    ))
                    .at(literal.span));
                }
            }
        }
        let mut out = Vec::with_capacity(clauses.len());
        for clause in clauses {
            let Some([pattern, template]) = clause.as_list() else {
                return Err(
                    Diagnostic::error("expected a rule `(PATTERN TEMPLATE)`").at(clause.span)
                );
            };
            if !matches!(pattern.as_list(), Some([_, ..])) {
                return Err(Diagnostic::error(
                    "a pattern is a list starting with the macro's place: `(_ ARGUMENT...)`",
                )
                .at(pattern.span));
            }
            let mut seen = Vec::new();
            check_pattern(pattern, &names, true, &mut seen)?;
            let mut bound = BTreeSet::new();
            binders(template, &|name| seen.iter().any(|v| v == name), &mut bound);
            let mut free = BTreeSet::new();
            free_names(
                template,
                &|name| seen.iter().any(|v| v == name) || bound.contains(name),
                &mut free,
            );
            out.push(Rule {
                pattern: pattern.clone(),
                template: template.clone(),
                binders: bound,
                free,
            });
        }
        self.macros.insert(
            Symbol::new(name_text),
            Rc::new(Macro {
                literals: names,
                rules: out,
                span: form.span,
            }),
        );
        Ok(())
    }

    /// Expands every macro use in one top-level form.
    pub fn expand(&mut self, mut form: Node) -> Result<Node> {
        self.expand_node(&mut form, 0, 0)?;
        Ok(form)
    }

    /// Expands the uses in `node` where they stand: lists without a use
    /// are walked, not rebuilt. `depth`: how many expansions `node` is
    /// inside; `level`: how deep in its top-level form it stands.
    fn expand_node(&mut self, node: &mut Node, depth: usize, level: usize) -> Result<()> {
        let NodeKind::List(items) = &mut node.kind else {
            return Ok(());
        };
        let name = match items.first().map(|head| &head.kind) {
            Some(NodeKind::Symbol(head)) if head == "quote" => return Ok(()),
            Some(NodeKind::Symbol(head)) if self.macros.contains_key(head.as_str()) => head.clone(),
            _ => {
                let names: Vec<Symbol> = bound_here(node)
                    .into_iter()
                    .filter_map(|n| n.as_symbol().map(Symbol::new))
                    .collect();
                let outer = self.scope.len();
                self.scope.extend(names);
                let NodeKind::List(items) = &mut node.kind else {
                    return Ok(());
                };
                let result = items
                    .iter_mut()
                    .try_for_each(|item| self.expand_node(item, depth, level + 1));
                self.scope.truncate(outer);
                return result;
            }
        };
        let use_span = node.span;
        if depth >= MAX_EXPANSION_DEPTH {
            return Err(Diagnostic::error(format!(
                "macro uses nested deeper than {MAX_EXPANSION_DEPTH} levels, in `{name}`"
            ))
            .at(use_span)
            .with_note("note: does the macro expand into a use of itself without end?"));
        }
        self.uses.entry(name.clone()).or_default().push(use_span);
        let mut expanded = self.apply(&name, node, level)?;
        self.expand_node(&mut expanded, depth + 1, level)
            .map_err(|d| {
                let note = format!(
                    "note: in expansion of macro `{name}` at {}",
                    (self.locate)(use_span)
                );
                expansion_note(d, note)
            })?;
        *node = expanded;
        Ok(())
    }

    /// The expansion of one use by the first matching rule.
    fn apply(&mut self, name: &Symbol, node: &Node, level: usize) -> Result<Node> {
        let Some(m) = self.macros.get(name).map(Rc::clone) else {
            return Ok(node.clone());
        };
        let in_expansion = |d: Diagnostic, locate: &dyn Fn(Span) -> String| {
            d.with_note(format!(
                "note: in expansion of macro `{name}` at {}",
                locate(node.span)
            ))
        };
        for rule in &m.rules {
            let Rule {
                pattern,
                template,
                binders: renamed,
                ..
            } = rule;
            let mut bindings = Bindings::new();
            let (Some([_, pattern_args @ ..]), Some([_, args @ ..])) =
                (pattern.as_list(), node.as_list())
            else {
                continue;
            };
            if !match_list(pattern_args, args, &m.literals, &mut bindings) {
                continue;
            }
            // Hygiene the other way: a name the template uses freely must
            // keep the meaning it has where the macro is defined, so a
            // binding around the use that names it is refused rather than
            // let capture it.
            if let Some(captured) = rule.free.iter().find(|f| self.scope.contains(f)) {
                return Err(Diagnostic::error(format!(
                    "macro `{name}` uses `{captured}`, which a binding around this use names: the expansion would see that binding, not what `{captured}` means where the macro is defined"
                ))
                .at(node.span)
                .with_note(format!("help: rename the binding of `{captured}`"))
                .with_note(format!(
                    "note: macro `{name}` is defined at {}",
                    (self.locate)(m.span)
                )));
            }
            self.renames += 1;
            let suffix = self.renames;
            self.current = Some(name.clone());
            let expanded = self
                .instantiate(
                    template,
                    &Env {
                        base: &bindings,
                        repetition: Vec::new(),
                    },
                    renamed,
                    suffix,
                )
                .map_err(|d| in_expansion(d, self.locate));
            self.current = None;
            let expanded = expanded?;
            if level + tree_depth(&expanded) > MAX_DEPTH {
                return Err(in_expansion(
                    Diagnostic::error(format!(
                        "the expansion of macro `{name}` nests lists deeper than {MAX_DEPTH} levels"
                    ))
                    .at(node.span),
                    self.locate,
                ));
            }
            return Ok(expanded);
        }
        Err(
            Diagnostic::error(format!("no rule of macro `{name}` matches this use"))
                .at(node.span)
                .with_note(format!(
                    "note: macro `{name}` is defined at {}",
                    (self.locate)(m.span)
                )),
        )
    }

    fn count(&mut self, span: Span) -> Result<()> {
        self.nodes += 1;
        if self.nodes > MAX_EXPANSION_NODES {
            return Err(Diagnostic::error(format!(
                "macro expansions made more than {MAX_EXPANSION_NODES} nodes"
            ))
            .at(span)
            .with_note("note: a module's expansions must stay within the limit: does a macro repeat more than intended?"));
        }
        Ok(())
    }

    fn instantiate(
        &mut self,
        template: &Node,
        bindings: &Env<'_>,
        renamed: &BTreeSet<Symbol>,
        suffix: usize,
    ) -> Result<Node> {
        self.count(template.span)?;
        match &template.kind {
            NodeKind::Symbol(s) => match bindings.get(s) {
                Some(Binding::One(node)) => {
                    self.nodes += count_nodes(node);
                    self.count(template.span)?;
                    if let Some(name) = &self.current {
                        self.passed
                            .entry(name.clone())
                            .or_default()
                            .push((node.span, template.span));
                    }
                    Ok(node.clone())
                }
                Some(Binding::Many(_)) => Err(Diagnostic::error(format!(
                    "pattern variable `{s}` matched a repetition: follow it with `...` here"
                ))
                .at(template.span)),
                None if renamed.contains(s) => Ok(Node {
                    kind: NodeKind::Symbol(Symbol::new(format!("{s}'{suffix}"))),
                    span: template.span,
                }),
                None => Ok(template.clone()),
            },
            NodeKind::List(items) => {
                if template.head() == Some("quote") {
                    self.nodes += count_nodes(template);
                    self.count(template.span)?;
                    return Ok(template.clone());
                }
                let mut out = Vec::with_capacity(items.len());
                let mut i = 0;
                while i < items.len() {
                    let item = &items[i];
                    let mut ellipses = 0;
                    while items
                        .get(i + 1 + ellipses)
                        .is_some_and(|n| n.as_symbol() == Some(ELLIPSIS))
                    {
                        ellipses += 1;
                    }
                    if ellipses == 0 {
                        out.push(self.instantiate(item, bindings, renamed, suffix)?);
                    } else {
                        self.repeat(item, bindings, renamed, suffix, ellipses, &mut out)?;
                    }
                    i += 1 + ellipses;
                }
                Ok(Node {
                    kind: NodeKind::List(out),
                    span: template.span,
                })
            }
            _ => Ok(template.clone()),
        }
    }

    /// `ITEM ...` (`levels` ellipses): ITEM once per match of the
    /// repeated variables under it.
    fn repeat(
        &mut self,
        item: &Node,
        bindings: &Env<'_>,
        renamed: &BTreeSet<Symbol>,
        suffix: usize,
        levels: usize,
        out: &mut Vec<Node>,
    ) -> Result<()> {
        if levels == 0 {
            out.push(self.instantiate(item, bindings, renamed, suffix)?);
            return Ok(());
        }
        let mut vars = BTreeSet::new();
        symbols(item, &mut vars);
        let repeated: Vec<(&Symbol, &Vec<Binding>)> = vars
            .iter()
            .filter_map(|v| match bindings.get(v) {
                Some(Binding::Many(matches)) => Some((v, matches)),
                _ => None,
            })
            .collect();
        let Some(times) = repeated.first().map(|(_, m)| m.len()) else {
            return Err(Diagnostic::error(
                "`...` follows a template with no pattern variable repeated here",
            )
            .at(item.span));
        };
        if let Some((v, m)) = repeated.iter().find(|(_, m)| m.len() != times) {
            return Err(Diagnostic::error(format!(
                "the pattern variables under this `...` matched different numbers of times (`{}` {times}, `{v}` {})",
                repeated[0].0,
                m.len()
            ))
            .at(item.span));
        }
        for i in 0..times {
            let mut inner = bindings.clone();
            for (v, matches) in &repeated {
                inner.repetition.push((*v, &matches[i]));
            }
            self.repeat(item, &inner, renamed, suffix, levels - 1, out)?;
        }
        Ok(())
    }

    /// Every macro that was used, with its uses, for the source map.
    pub fn uses(&self) -> Vec<crate::source::MacroUses> {
        let mut out: Vec<crate::source::MacroUses> = self
            .uses
            .iter()
            .filter_map(|(name, uses)| {
                self.macros.get(name).map(|m| crate::source::MacroUses {
                    name: name.to_string(),
                    definition: m.span,
                    uses: uses.clone(),
                    passed: self.passed.get(name).cloned().unwrap_or_default(),
                })
            })
            .collect();
        out.sort_by_key(|m| (m.definition.file, m.definition.start));
        out
    }

    /// Notes for a diagnostic of a later pass located inside a macro's
    /// definition: the uses whose expansions hold the text.
    pub fn notes_for(&self, span: Span) -> Vec<String> {
        let mut notes = Vec::new();
        for (name, m) in &self.macros {
            if m.span.file == span.file && m.span.start <= span.start && span.end <= m.span.end {
                let uses: Vec<String> = self
                    .uses
                    .get(name)
                    .into_iter()
                    .flatten()
                    .take(5)
                    .map(|s| (self.locate)(*s))
                    .collect();
                if !uses.is_empty() {
                    notes.push(format!(
                        "note: in expansion of macro `{name}` at {}",
                        uses.join(", ")
                    ));
                }
            }
        }
        for (name, passed) in &self.passed {
            if let Some(at) = crate::source::placed(passed, span) {
                notes.push(crate::source::passed_note(name, &(self.locate)(at)));
            }
        }
        notes
    }
}

/// Adds the note of one more enclosing expansion to an error, innermost
/// first: a note equal to the one before is left out (a recursive macro
/// repeats its own), and past five only the outermost is kept, replacing
/// the last intermediate one.
fn expansion_note(mut d: Diagnostic, note: String) -> Diagnostic {
    if d.notes.last() == Some(&note) {
        return d;
    }
    let chain = d
        .notes
        .iter()
        .filter(|n| n.starts_with("note: in expansion of macro"))
        .count();
    if chain >= 5
        && d.notes
            .last()
            .is_some_and(|n| n.starts_with("note: in expansion of macro"))
    {
        d.notes.pop();
    }
    d.notes.push(note);
    d
}

/// Checks a pattern: at most one `...` per list, after an element; no
/// variable twice.
fn check_pattern(
    pattern: &Node,
    literals: &[Symbol],
    top: bool,
    seen: &mut Vec<Symbol>,
) -> Result<()> {
    match &pattern.kind {
        NodeKind::Symbol(s) if s == "_" || literals.contains(s) => Ok(()),
        NodeKind::Symbol(s) if s == ELLIPSIS => {
            Err(Diagnostic::error("`...` must follow a pattern").at(pattern.span))
        }
        NodeKind::Symbol(s) => {
            if seen.contains(s) {
                return Err(
                    Diagnostic::error(format!("pattern variable `{s}` appears twice"))
                        .at(pattern.span),
                );
            }
            seen.push(s.clone());
            Ok(())
        }
        NodeKind::List(items) => {
            let items = if top {
                &items[1.min(items.len())..]
            } else {
                items
            };
            let mut ellipses = 0;
            for (i, item) in items.iter().enumerate() {
                if item.as_symbol() == Some(ELLIPSIS) {
                    ellipses += 1;
                    if i == 0 || ellipses > 1 {
                        return Err(Diagnostic::error(
                            "`...` must follow a pattern, once per list",
                        )
                        .at(item.span));
                    }
                    continue;
                }
                check_pattern(item, literals, false, seen)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn match_node(pattern: &Node, input: &Node, literals: &[Symbol], out: &mut Bindings) -> bool {
    match (&pattern.kind, &input.kind) {
        (NodeKind::Symbol(s), _) if s == "_" => true,
        (NodeKind::Symbol(s), _) if literals.contains(s) => input.as_symbol() == Some(s),
        (NodeKind::Symbol(s), _) => {
            out.insert(s.clone(), Binding::One(input.clone()));
            true
        }
        (NodeKind::List(ps), NodeKind::List(xs)) => match_list(ps, xs, literals, out),
        (NodeKind::List(_), _) => false,
        _ => pattern.eq_ignoring_spans(input),
    }
}

fn match_list(patterns: &[Node], inputs: &[Node], literals: &[Symbol], out: &mut Bindings) -> bool {
    let Some(at) = patterns
        .iter()
        .position(|p| p.as_symbol() == Some(ELLIPSIS))
    else {
        return patterns.len() == inputs.len()
            && patterns
                .iter()
                .zip(inputs)
                .all(|(p, x)| match_node(p, x, literals, out));
    };
    let Some(repeated) = at.checked_sub(1).map(|i| &patterns[i]) else {
        return false;
    };
    let before = &patterns[..at - 1];
    let after = &patterns[at + 1..];
    if inputs.len() < before.len() + after.len() {
        return false;
    }
    let middle_end = inputs.len() - after.len();
    if !before
        .iter()
        .zip(inputs)
        .all(|(p, x)| match_node(p, x, literals, out))
    {
        return false;
    }
    let mut vars = BTreeSet::new();
    pattern_vars(repeated, literals, &mut vars);
    let mut matches: Vec<Bindings> = Vec::new();
    for x in &inputs[before.len()..middle_end] {
        let mut one = Bindings::new();
        if !match_node(repeated, x, literals, &mut one) {
            return false;
        }
        matches.push(one);
    }
    for v in vars {
        let each = matches
            .iter_mut()
            .filter_map(|m| m.remove(&v))
            .collect::<Vec<_>>();
        out.insert(v, Binding::Many(each));
    }
    after
        .iter()
        .zip(&inputs[middle_end..])
        .all(|(p, x)| match_node(p, x, literals, out))
}

/// The variables of a pattern.
fn pattern_vars(pattern: &Node, literals: &[Symbol], out: &mut BTreeSet<Symbol>) {
    match &pattern.kind {
        NodeKind::Symbol(s) if s != "_" && s != ELLIPSIS && !literals.contains(s) => {
            out.insert(s.clone());
        }
        NodeKind::List(items) => {
            for item in items {
                pattern_vars(item, literals, out);
            }
        }
        _ => {}
    }
}

/// Every symbol in a template.
fn symbols(node: &Node, out: &mut BTreeSet<Symbol>) {
    match &node.kind {
        NodeKind::Symbol(s) => {
            out.insert(s.clone());
        }
        NodeKind::List(items) => {
            for item in items {
                symbols(item, out);
            }
        }
        _ => {}
    }
}

/// The names a template binds itself (not pattern variables), which each
/// expansion renames.
/// The name nodes `form` itself binds for its body: a `let`'s, `let*`'s
/// or `letrec`'s names, a `lambda`'s or `define`d function's parameters,
/// a `for`'s or `for-map`'s variables.
fn bound_here(form: &Node) -> Vec<&Node> {
    let Some(items) = form.as_list() else {
        return Vec::new();
    };
    fn name_of(p: &Node) -> Option<&Node> {
        match p.as_list() {
            Some([name, _]) => Some(name),
            Some(_) => None,
            None => Some(p),
        }
    }
    let mut out = Vec::new();
    match form.head() {
        Some("let" | "let*" | "letrec") => {
            for pair in items.get(1).and_then(Node::as_list).unwrap_or_default() {
                if let Some([name, _]) = pair.as_list() {
                    out.push(name);
                }
            }
        }
        Some("lambda") => {
            let parameters = items.get(1).and_then(Node::as_list).unwrap_or_default();
            out.extend(parameters.iter().filter_map(name_of));
        }
        Some("define") => {
            if let Some([_, rest @ ..]) = items.get(1).and_then(Node::as_list) {
                out.extend(rest.iter().filter_map(name_of));
            }
        }
        Some("for" | "for-map") => {
            for binding in items.get(1).and_then(Node::as_list).unwrap_or_default() {
                if let Some([names @ .., _]) = binding.as_list() {
                    out.extend(names);
                }
            }
        }
        _ => {}
    }
    out
}

/// The names a template binds itself (not pattern variables), which each
/// expansion renames.
fn binders(
    template: &Node,
    is_pattern_variable: &dyn Fn(&str) -> bool,
    out: &mut BTreeSet<Symbol>,
) {
    let Some(items) = template.as_list() else {
        return;
    };
    if template.head() == Some("quote") {
        return;
    }
    for name in bound_here(template) {
        if let Some(s) = name.as_symbol()
            && s != ELLIPSIS
            && s != "."
            && !is_pattern_variable(s)
        {
            out.insert(Symbol::new(s));
        }
    }
    for item in items {
        binders(item, is_pattern_variable, out);
    }
}

/// The names a template uses that neither a pattern variable nor the
/// template itself binds (`list`, a definition): what they mean is decided
/// where the macro is defined. Quoted data and map keys are not names.
fn free_names(template: &Node, is_bound: &dyn Fn(&str) -> bool, out: &mut BTreeSet<Symbol>) {
    match &template.kind {
        NodeKind::Symbol(s) if s != ELLIPSIS && s != "." && s != "_" && !is_bound(s) => {
            out.insert(s.clone());
        }
        NodeKind::List(items) => match template.head() {
            Some("quote") => {}
            Some("map") => {
                for entry in &items[1..] {
                    match entry.as_list() {
                        Some([_key, values @ ..]) => {
                            for value in values {
                                free_names(value, is_bound, out);
                            }
                        }
                        _ => free_names(entry, is_bound, out),
                    }
                }
            }
            _ => {
                for item in items {
                    free_names(item, is_bound, out);
                }
            }
        },
        _ => {}
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::List(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

fn tree_depth(node: &Node) -> usize {
    match &node.kind {
        NodeKind::List(items) => 1 + items.iter().map(tree_depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_notes_stay_short() {
        let mut d = Diagnostic::error("e").with_note("help: first");
        for i in 0..10 {
            for _ in 0..3 {
                d = expansion_note(d, format!("note: in expansion of macro `m{i}` at f:{i}:1"));
            }
        }
        let expected: Vec<String> = std::iter::once("help: first".to_string())
            .chain((0..4).map(|i| format!("note: in expansion of macro `m{i}` at f:{i}:1")))
            .chain(std::iter::once(
                "note: in expansion of macro `m9` at f:9:1".to_string(),
            ))
            .collect();
        assert_eq!(d.notes, expected);
    }
}
