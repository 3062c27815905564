//! What the engine's benchmarks share: a catalog of the built-in
//! provider alone, as `nimbus` offers it.

use nimbus_builtin::{Builtin, BuiltinOptions};
use nimbus_engine::Catalog;
use nimbus_provider::Provider;
use std::sync::Arc;

/// The built-in provider only, as `nimbus` offers it.
pub struct BuiltinOnly;

impl Catalog for BuiltinOnly {
    fn instantiate(
        &self,
        name: &str,
        _requirement: nimbus_engine::Requirement<'_>,
    ) -> Result<Arc<dyn Provider>, String> {
        match name {
            nimbus_builtin::NAME => Ok(Arc::new(Builtin::new(BuiltinOptions::new("/bench")))),
            other => Err(format!("no provider named `{other}`")),
        }
    }

    fn names(&self) -> Vec<String> {
        vec![nimbus_builtin::NAME.to_string()]
    }

    fn implicit(&self) -> Vec<String> {
        vec![nimbus_builtin::NAME.to_string()]
    }
}
