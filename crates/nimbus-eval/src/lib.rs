//! Evaluation of the Nimbus language: expressions, references, variables,
//! `count`/`for-each`, and schema-directed reading of block bodies.
//!
//! The evaluator is pure and knows nothing of providers beyond the schemas
//! it is handed; the engine decides the order of evaluation (its dependency
//! graph comes from [`refs`]) and fills the [`Scope`] as values become known.

pub mod block;
pub mod conditions;
pub mod expand;
pub mod expr;
pub mod functions;
pub mod policy;
mod quasi;
pub mod refs;
pub mod scope;
pub mod static_type;
mod template_file;
pub mod vars;

pub use block::{eval_block, eval_resource_block, read_typed};
pub use expand::{Expansion, expand, expand_call, expand_for_each};
pub use expr::{Context, SPECIAL_FORMS, is_expression_form};
pub use refs::{Reference, form_references, references};
pub use scope::{Instances, ModuleIndex, Scope};
pub use static_type::static_type;
pub use vars::{
    InputOrigin, InputValue, Inputs, eval_variables, parse_text_value, parse_var_file,
    parse_var_json, unknown_for_unset,
};
