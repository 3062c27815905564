//! The bottom layer of Nimbus: source text to located S-expressions.
//!
//! Everything above (configuration, evaluation, the CLI) reports problems as
//! [`Diagnostic`]s that point into a [`SourceMap`]; this crate owns both so
//! every layer speaks the same location language.

pub mod diagnostic;
pub mod format;
pub mod forms;
pub mod macros;
pub mod reader;
pub mod source;
pub mod suggest;

pub use diagnostic::{Code, Diagnostic, Severity, render, render_all};
pub use format::{format_source, format_with_comments, print_forms};
pub use forms::{POLICY_NAMES, POLICY_PREDICATES, SELF, SPECIAL_FORMS};
pub use reader::{Comment, Node, NodeKind, ParsedFile, Symbol, read};
pub use source::{FileId, InvalidUtf8, MacroUses, SourceFile, SourceMap, Span, decode_lossy};
