//! The builtin provider in a temporary directory, driven the way the engine
//! does it (the provider toolkit's test driver).
#![allow(dead_code, unused_imports)]

use nimbus_builtin::{Builtin, BuiltinOptions};
use nimbus_provider::testing::Driver;
use std::ops::Deref;
use tempfile::TempDir;

pub use nimbus_provider::testing::{Stored as Object, obj, string_map};

pub struct Harness {
    driver: Driver<Builtin>,
    pub dir: TempDir,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut BuiltinOptions)) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut options = BuiltinOptions::new(dir.path());
        adjust(&mut options);
        Harness {
            driver: Driver::new(Builtin::new(options)),
            dir,
        }
    }
}

impl Deref for Harness {
    type Target = Driver<Builtin>;

    fn deref(&self) -> &Driver<Builtin> {
        &self.driver
    }
}
