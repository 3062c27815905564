//! The HCL syntax tree the lowerer reads.
//!
//! It has the shape of `hcl_edit`'s tree (same node kinds, same field and
//! method names, same spans) without its decor, so that two readers can
//! fill it: the fast reader ([`crate::parse`]), which builds it directly,
//! and hcl-edit, whose tree [`from_edit`] converts for what the fast
//! reader declines. Spans are byte ranges into the text parsed; equality
//! compares them too, which is what the differential tests rely on.

use std::ops::{Deref, Range};

pub(crate) use hcl_edit::expr::{BinaryOperator, UnaryOperator};
pub(crate) use hcl_edit::template::Strip;
pub(crate) use hcl_edit::{Ident, Number};

/// A node's byte range in the text it was read from.
pub(crate) trait Span {
    fn span(&self) -> Option<Range<usize>>;
}

/// A value with its span (hcl-edit's `Decorated`, `Spanned` and
/// `Formatted` alike).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decorated<T> {
    pub value: T,
    pub span: Option<Range<usize>>,
}

impl<T> Decorated<T> {
    pub(crate) fn new(value: T, span: Range<usize>) -> Self {
        Decorated {
            value,
            span: Some(span),
        }
    }

    pub(crate) fn value(&self) -> &T {
        &self.value
    }
}

impl<T> Deref for Decorated<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Span for Decorated<T> {
    fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }
}

impl<T: Span> Span for Box<T> {
    fn span(&self) -> Option<Range<usize>> {
        (**self).span()
    }
}

/// Implements [`Span`] for structs with a `span` field.
macro_rules! spanned {
    ($($ty:ty),+) => {
        $(impl Span for $ty {
            fn span(&self) -> Option<Range<usize>> {
                self.span.clone()
            }
        })+
    };
}

spanned!(
    Attribute,
    Block,
    Parenthesis,
    Conditional,
    FuncCall,
    Traversal,
    UnaryOp,
    BinaryOp,
    ForExpr,
    ForIntro,
    ForCond,
    HeredocTemplate,
    Interpolation,
    IfDirective,
    ForDirective
);

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Body {
    pub structures: Vec<Structure>,
}

impl Body {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Structure> {
        self.structures.iter()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Structure {
    Attribute(Attribute),
    Block(Block),
}

impl Span for Structure {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Structure::Attribute(a) => a.span(),
            Structure::Block(b) => b.span(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attribute {
    pub key: Decorated<Ident>,
    pub value: Expression,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub ident: Decorated<Ident>,
    pub labels: Vec<BlockLabel>,
    pub body: Body,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BlockLabel {
    Ident(Decorated<Ident>),
    /// A quoted label; its span includes the quotes.
    String(Decorated<String>),
}

impl BlockLabel {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            BlockLabel::Ident(i) => i.as_str(),
            BlockLabel::String(s) => s.as_str(),
        }
    }
}

impl Span for BlockLabel {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            BlockLabel::Ident(i) => i.span(),
            BlockLabel::String(s) => s.span(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expression {
    Null(Decorated<()>),
    Bool(Decorated<bool>),
    Number(Decorated<Number>),
    /// A quoted string without interpolations or directives.
    String(Decorated<String>),
    Array(Decorated<Vec<Expression>>),
    Object(Decorated<Object>),
    StringTemplate(Decorated<Template>),
    HeredocTemplate(Box<HeredocTemplate>),
    Parenthesis(Box<Parenthesis>),
    Variable(Decorated<Ident>),
    Conditional(Box<Conditional>),
    FuncCall(Box<FuncCall>),
    Traversal(Box<Traversal>),
    UnaryOp(Box<UnaryOp>),
    BinaryOp(Box<BinaryOp>),
    ForExpr(Box<ForExpr>),
}

impl Expression {
    /// Relocates the expression (the reader learns an expression's extent
    /// after building it).
    pub(crate) fn set_span(&mut self, span: Range<usize>) {
        let slot = match self {
            Expression::Null(d) => &mut d.span,
            Expression::Bool(d) => &mut d.span,
            Expression::Number(d) => &mut d.span,
            Expression::String(d) => &mut d.span,
            Expression::Array(d) => &mut d.span,
            Expression::Object(d) => &mut d.span,
            Expression::StringTemplate(d) => &mut d.span,
            Expression::HeredocTemplate(h) => &mut h.span,
            Expression::Parenthesis(p) => &mut p.span,
            Expression::Variable(d) => &mut d.span,
            Expression::Conditional(c) => &mut c.span,
            Expression::FuncCall(f) => &mut f.span,
            Expression::Traversal(t) => &mut t.span,
            Expression::UnaryOp(u) => &mut u.span,
            Expression::BinaryOp(b) => &mut b.span,
            Expression::ForExpr(f) => &mut f.span,
        };
        *slot = Some(span);
    }
}

impl Span for Expression {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Expression::Null(d) => d.span(),
            Expression::Bool(d) => d.span(),
            Expression::Number(d) => d.span(),
            Expression::String(d) => d.span(),
            Expression::Array(d) => d.span(),
            Expression::Object(d) => d.span(),
            Expression::StringTemplate(d) => d.span(),
            Expression::HeredocTemplate(h) => h.span(),
            Expression::Parenthesis(p) => p.span(),
            Expression::Variable(d) => d.span(),
            Expression::Conditional(c) => c.span(),
            Expression::FuncCall(f) => f.span(),
            Expression::Traversal(t) => t.span(),
            Expression::UnaryOp(u) => u.span(),
            Expression::BinaryOp(b) => b.span(),
            Expression::ForExpr(f) => f.span(),
        }
    }
}

/// An object's items in source order (keys are unique).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object {
    pub items: Vec<(ObjectKey, ObjectValue)>,
}

impl Object {
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&ObjectKey, &ObjectValue)> {
        self.items.iter().map(|(k, v)| (k, v))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ObjectKey {
    /// A bare name, which is the key itself.
    Ident(Decorated<Ident>),
    Expression(Expression),
}

impl Span for ObjectKey {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            ObjectKey::Ident(i) => i.span(),
            ObjectKey::Expression(e) => e.span(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectValue {
    pub expr: Expression,
}

impl ObjectValue {
    pub(crate) fn expr(&self) -> &Expression {
        &self.expr
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parenthesis {
    pub inner: Expression,
    pub span: Option<Range<usize>>,
}

impl Parenthesis {
    pub(crate) fn inner(&self) -> &Expression {
        &self.inner
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conditional {
    pub cond_expr: Expression,
    pub true_expr: Expression,
    pub false_expr: Expression,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FuncCall {
    pub name: FuncName,
    pub args: FuncArgs,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FuncName {
    /// `provider::NAME::` parts of a provider-defined function.
    pub namespace: Vec<Decorated<Ident>>,
    pub name: Decorated<Ident>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct FuncArgs {
    pub args: Vec<Expression>,
    /// `f(a, list...)`: the last argument's elements are the arguments.
    pub expand_final: bool,
}

impl FuncArgs {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Expression> {
        self.args.iter()
    }

    pub(crate) fn expand_final(&self) -> bool {
        self.expand_final
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Traversal {
    pub expr: Expression,
    /// Each step with its span, from its `.` or `[` to its end.
    pub operators: Vec<Decorated<TraversalOperator>>,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TraversalOperator {
    /// `.*`
    AttrSplat(Decorated<()>),
    /// `[*]`
    FullSplat(Decorated<()>),
    GetAttr(Decorated<Ident>),
    Index(Expression),
    /// `.0`
    LegacyIndex(Decorated<u64>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnaryOp {
    pub operator: Decorated<UnaryOperator>,
    pub expr: Expression,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BinaryOp {
    pub lhs_expr: Expression,
    pub operator: Decorated<BinaryOperator>,
    pub rhs_expr: Expression,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForExpr {
    pub intro: ForIntro,
    /// The key of a map `for`, absent for a list `for`.
    pub key_expr: Option<Expression>,
    pub value_expr: Expression,
    pub cond: Option<ForCond>,
    /// `...` after the value: values grouped by key.
    pub grouping: bool,
    pub span: Option<Range<usize>>,
}

/// `for K, V in COLLECTION :`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForIntro {
    pub key_var: Option<Decorated<Ident>>,
    pub value_var: Decorated<Ident>,
    pub collection_expr: Expression,
    pub span: Option<Range<usize>>,
}

/// `if CONDITION`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForCond {
    pub expr: Expression,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Template {
    pub elements: Vec<Element>,
}

impl Template {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Element> {
        self.elements.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.elements.len()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeredocTemplate {
    pub template: Template,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Element {
    Literal(Decorated<String>),
    Interpolation(Interpolation),
    Directive(Box<Directive>),
}

impl Element {
    pub(crate) fn as_literal(&self) -> Option<&Decorated<String>> {
        match self {
            Element::Literal(text) => Some(text),
            _ => None,
        }
    }
}

impl Span for Element {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Element::Literal(l) => l.span(),
            Element::Interpolation(i) => i.span(),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => d.span(),
                Directive::For(d) => d.span(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interpolation {
    pub expr: Expression,
    pub strip: Strip,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Directive {
    If(IfDirective),
    For(ForDirective),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IfDirective {
    pub if_expr: IfTemplateExpr,
    pub else_expr: Option<ElseTemplateExpr>,
    pub endif_expr: EndTemplateExpr,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IfTemplateExpr {
    pub cond_expr: Expression,
    pub template: Template,
    pub strip: Strip,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ElseTemplateExpr {
    pub template: Template,
    pub strip: Strip,
}

/// `%{ endif }` or `%{ endfor }`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EndTemplateExpr {
    pub strip: Strip,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForDirective {
    pub for_expr: ForTemplateExpr,
    pub endfor_expr: EndTemplateExpr,
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForTemplateExpr {
    pub key_var: Option<Decorated<Ident>>,
    pub value_var: Decorated<Ident>,
    pub collection_expr: Expression,
    pub template: Template,
    pub strip: Strip,
}

/// hcl-edit's tree as this one: for the texts the fast reader declines,
/// and for templates.
pub(crate) mod from_edit {
    use super::*;
    use hcl_edit::Span as _;
    use hcl_edit::expr as e;
    use hcl_edit::structure as s;
    use hcl_edit::template as t;

    fn ident(i: &hcl_edit::Decorated<Ident>) -> Decorated<Ident> {
        Decorated {
            value: i.value().clone(),
            span: i.span(),
        }
    }

    pub(crate) fn body(body: &s::Body) -> Body {
        Body {
            structures: body.iter().map(structure).collect(),
        }
    }

    fn structure(structure: &s::Structure) -> Structure {
        match structure {
            s::Structure::Attribute(a) => Structure::Attribute(Attribute {
                key: ident(&a.key),
                value: expression(&a.value),
                span: a.span(),
            }),
            s::Structure::Block(b) => Structure::Block(Block {
                ident: ident(&b.ident),
                labels: b
                    .labels
                    .iter()
                    .map(|label| match label {
                        s::BlockLabel::Ident(i) => BlockLabel::Ident(ident(i)),
                        s::BlockLabel::String(text) => BlockLabel::String(Decorated {
                            value: text.value().clone(),
                            span: text.span(),
                        }),
                    })
                    .collect(),
                body: body(&b.body),
                span: b.span(),
            }),
        }
    }

    pub(crate) fn expression(expr: &e::Expression) -> Expression {
        let span = expr.span();
        match expr {
            e::Expression::Null(_) => Expression::Null(Decorated { value: (), span }),
            e::Expression::Bool(b) => Expression::Bool(Decorated {
                value: *b.value(),
                span,
            }),
            e::Expression::Number(n) => Expression::Number(Decorated {
                value: *n.value(),
                span,
            }),
            e::Expression::String(text) => Expression::String(Decorated {
                value: text.value().clone(),
                span,
            }),
            e::Expression::Array(items) => Expression::Array(Decorated {
                value: items.iter().map(expression).collect(),
                span,
            }),
            e::Expression::Object(object) => Expression::Object(Decorated {
                value: Object {
                    items: object
                        .iter()
                        .map(|(key, value)| {
                            let key = match key {
                                e::ObjectKey::Ident(i) => ObjectKey::Ident(ident(i)),
                                e::ObjectKey::Expression(x) => ObjectKey::Expression(expression(x)),
                            };
                            let value = ObjectValue {
                                expr: expression(value.expr()),
                            };
                            (key, value)
                        })
                        .collect(),
                },
                span,
            }),
            e::Expression::StringTemplate(template_) => Expression::StringTemplate(Decorated {
                value: template(template_),
                span,
            }),
            e::Expression::HeredocTemplate(heredoc) => {
                Expression::HeredocTemplate(Box::new(HeredocTemplate {
                    template: template(&heredoc.template),
                    span,
                }))
            }
            e::Expression::Parenthesis(p) => Expression::Parenthesis(Box::new(Parenthesis {
                inner: expression(p.inner()),
                span,
            })),
            e::Expression::Variable(v) => Expression::Variable(Decorated {
                value: v.value().clone(),
                span,
            }),
            e::Expression::Conditional(c) => Expression::Conditional(Box::new(Conditional {
                cond_expr: expression(&c.cond_expr),
                true_expr: expression(&c.true_expr),
                false_expr: expression(&c.false_expr),
                span,
            })),
            e::Expression::FuncCall(call) => Expression::FuncCall(Box::new(FuncCall {
                name: FuncName {
                    namespace: call.name.namespace.iter().map(ident).collect(),
                    name: ident(&call.name.name),
                },
                args: FuncArgs {
                    args: call.args.iter().map(expression).collect(),
                    expand_final: call.args.expand_final(),
                },
                span,
            })),
            e::Expression::Traversal(traversal) => Expression::Traversal(Box::new(Traversal {
                expr: expression(&traversal.expr),
                operators: traversal
                    .operators
                    .iter()
                    .map(|op| Decorated {
                        value: operator(op.value()),
                        span: op.span(),
                    })
                    .collect(),
                span,
            })),
            e::Expression::UnaryOp(op) => Expression::UnaryOp(Box::new(UnaryOp {
                operator: Decorated {
                    value: *op.operator.value(),
                    span: op.operator.span(),
                },
                expr: expression(&op.expr),
                span,
            })),
            e::Expression::BinaryOp(op) => Expression::BinaryOp(Box::new(BinaryOp {
                lhs_expr: expression(&op.lhs_expr),
                operator: Decorated {
                    value: *op.operator.value(),
                    span: op.operator.span(),
                },
                rhs_expr: expression(&op.rhs_expr),
                span,
            })),
            e::Expression::ForExpr(f) => Expression::ForExpr(Box::new(ForExpr {
                intro: ForIntro {
                    key_var: f.intro.key_var.as_ref().map(ident),
                    value_var: ident(&f.intro.value_var),
                    collection_expr: expression(&f.intro.collection_expr),
                    span: f.intro.span(),
                },
                key_expr: f.key_expr.as_ref().map(expression),
                value_expr: expression(&f.value_expr),
                cond: f.cond.as_ref().map(|cond| ForCond {
                    expr: expression(&cond.expr),
                    span: cond.span(),
                }),
                grouping: f.grouping,
                span,
            })),
        }
    }

    fn operator(op: &e::TraversalOperator) -> TraversalOperator {
        match op {
            e::TraversalOperator::AttrSplat(s) => TraversalOperator::AttrSplat(Decorated {
                value: (),
                span: s.span(),
            }),
            e::TraversalOperator::FullSplat(s) => TraversalOperator::FullSplat(Decorated {
                value: (),
                span: s.span(),
            }),
            e::TraversalOperator::GetAttr(name) => TraversalOperator::GetAttr(ident(name)),
            e::TraversalOperator::Index(x) => TraversalOperator::Index(expression(x)),
            e::TraversalOperator::LegacyIndex(i) => TraversalOperator::LegacyIndex(Decorated {
                value: *i.value(),
                span: i.span(),
            }),
        }
    }

    pub(crate) fn template(template_: &t::Template) -> Template {
        Template {
            elements: template_.iter().map(element).collect(),
        }
    }

    fn element(element: &t::Element) -> Element {
        match element {
            t::Element::Literal(text) => Element::Literal(Decorated {
                value: text.value().clone(),
                span: text.span(),
            }),
            t::Element::Interpolation(i) => Element::Interpolation(Interpolation {
                expr: expression(&i.expr),
                strip: i.strip,
                span: i.span(),
            }),
            t::Element::Directive(d) => Element::Directive(Box::new(match d.as_ref() {
                t::Directive::If(d) => Directive::If(IfDirective {
                    if_expr: IfTemplateExpr {
                        cond_expr: expression(&d.if_expr.cond_expr),
                        template: template(&d.if_expr.template),
                        strip: d.if_expr.strip,
                    },
                    else_expr: d.else_expr.as_ref().map(|e| ElseTemplateExpr {
                        template: template(&e.template),
                        strip: e.strip,
                    }),
                    endif_expr: EndTemplateExpr {
                        strip: d.endif_expr.strip,
                    },
                    span: d.span(),
                }),
                t::Directive::For(d) => Directive::For(ForDirective {
                    for_expr: ForTemplateExpr {
                        key_var: d.for_expr.key_var.as_ref().map(ident),
                        value_var: ident(&d.for_expr.value_var),
                        collection_expr: expression(&d.for_expr.collection_expr),
                        template: template(&d.for_expr.template),
                        strip: d.for_expr.strip,
                    },
                    endfor_expr: EndTemplateExpr {
                        strip: d.endfor_expr.strip,
                    },
                    span: d.span(),
                }),
            })),
        }
    }
}
