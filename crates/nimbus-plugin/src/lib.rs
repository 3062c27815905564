//! Terraform provider plugins under Nimbus.
//!
//! Existing Terraform providers are separate programs that serve the
//! Terraform plugin protocol over gRPC (go-plugin). This crate starts such a
//! program, speaks protocol 5 (the 5.2 RPC set) or 6 (the 6.0 RPC set) to
//! it, and presents it as a Nimbus [`Provider`](nimbus_provider::Provider):
//!
//! - [`PluginProvider`]: one provider process; launch it with
//!   [`PluginProvider::launch`] (synchronous) or
//!   [`PluginProvider::launch_async`]; it owns the process, and
//!   `shutdown()` (or drop) ends it;
//! - [`cty`]: values on the wire (msgpack and JSON against cty types);
//! - [`schema`]: plugin schemas and their Nimbus form;
//! - [`mirror`]: provider sources, versions, constraints, and lookup in a
//!   filesystem mirror with Terraform's layout;
//! - [`lock`]: the `.nimbus.lock` file, where the mirror is configured and
//!   where the provider cache is;
//! - [`start_from_mirror`]: all of the above in one call, for the CLI.
//!
//! Resource type and attribute names stay as the plugin spells them
//! (`null_resource`, `triggers`).

pub mod client;
pub mod cty;
#[doc(hidden)]
pub mod fuzzing;
pub mod handshake;
pub mod lock;
pub mod mirror;
pub mod process;
pub mod provider;
pub mod schema;

/// Code generated from `proto/` (clients only).
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin5 {
        tonic::include_proto!("tfplugin5");
    }
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

pub use lock::{
    LOCK_FILE, LockFile, LockedProvider, Resolved, plugin_cache_dir, plugin_mirror, resolve,
};
pub use mirror::{
    InstalledProvider, ProviderSource, Version, VersionConstraint, current_platform,
    find_in_mirror, installed_versions, sha256_file,
};
pub use process::{DEFAULT_TERRAFORM_VERSION, PluginOptions};
pub use provider::PluginProvider;

use std::path::Path;

/// What can go wrong before a plugin serves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// The process could not be started, or died or hung before serving.
    #[error("{0}")]
    Start(String),
    /// It printed something other than a usable handshake.
    #[error("{0}")]
    Handshake(String),
    /// It served, but its answers were unusable (schema errors).
    #[error("{0}")]
    Protocol(String),
    /// Finding or verifying the binary failed (mirror, lock file).
    #[error("{0}")]
    Install(String),
}

/// Finds `source` (e.g. `hashicorp/null`) in the mirror, honouring the lock
/// file and the version constraint, and starts it. The plugin runs in
/// `work_dir` (the configuration's directory) when given.
pub fn start_from_mirror(
    mirror: &Path,
    source: &str,
    constraint: &VersionConstraint,
    lock: &LockFile,
    work_dir: Option<&Path>,
) -> Result<(PluginProvider, Resolved), PluginError> {
    let resolved = resolve(mirror, source, constraint, lock)?;
    let mut options = PluginOptions::new(
        &resolved.installed.binary,
        resolved.installed.source.to_string(),
    );
    options.work_dir = work_dir.map(Path::to_path_buf);
    let provider = PluginProvider::launch(options)?;
    Ok((provider, resolved))
}
