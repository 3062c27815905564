//! Names the language reserves for expression forms. They live here, at
//! the bottom of the crate graph, because more than one front end needs
//! them: the configuration crate and the evaluator read them, and the HCL
//! front end must not emit an entry key that would read as one of them.

/// The bare name that stands for the object a postcondition checks
/// (Terraform's `self`): every front end lowers to it, and only a
/// postcondition binds it.
pub const SELF: &str = "self";

/// Functions only a policy condition can call: they read the resource
/// change the rule is checked against (both front ends lower to them).
pub const POLICY_PREDICATES: &[&str] = &[
    "action-is",
    "attribute",
    "cost-exceeds",
    "has-tag",
    "resource-type",
    "tag-equals",
];

/// Names a policy condition can read: the resource change it is checked
/// against.
pub const POLICY_NAMES: &[&str] = &[
    "action",
    "address",
    "after",
    "before",
    "provider-action",
    "resource-type",
    "tags",
];

/// Expression forms the evaluator handles itself (they do not evaluate all
/// their arguments first, or they read names rather than values). Every
/// other list form of an expression calls a function of `nimbus-stdlib`.
pub const SPECIAL_FORMS: &[&str] = &[
    "and",
    "any",
    "apply",
    "can",
    "case",
    "cond",
    "count-index",
    "each-key",
    "each-value",
    "every",
    "filter",
    "find",
    "for",
    "for-map",
    "get",
    "group-by",
    "if",
    "lambda",
    "let",
    "let*",
    "letrec",
    "local",
    "map",
    "module-output",
    "module-outputs",
    "object",
    "or",
    "path-cwd",
    "path-module",
    "path-root",
    "quasiquote",
    "quote",
    "reduce",
    "ref",
    "sort-by",
    "template-file",
    "terraform-workspace",
    "try",
    "unless",
    "unquote",
    "unquote-splicing",
    "var",
    "when",
];
