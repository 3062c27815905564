//! Values, types and schemas: the vocabulary shared by the evaluator, the
//! providers, the state store's callers and the engine.

pub mod order;
pub mod path;
pub mod schema;
pub mod types;
pub mod value;

pub use path::{AttrPath, Step};
pub use schema::{AttributeSchema, Presence, ProviderSchema, Schema};
pub use types::{SENSITIVE_VALUE, Type, TypeError, parse_number};
pub use value::{Number, Value};
