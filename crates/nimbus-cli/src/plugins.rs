//! Plugin providers of a configuration: which ones its provider blocks
//! need, what the plugin mirror holds, and the `.nimbus.lock` that pins the
//! version and checksum of each. `nimbus init` writes the lock; every other
//! command starts only what the lock names, after checking its checksum.
//!
//! A requirement of hashicorp/null, random, local or time is served by the
//! built-in provider instead when the version the built-in implements
//! meets its constraint and the lock pins no plugin for it ([`server`]).

use nimbus_builtin::TerraformProvider;
use nimbus_config::Config;
use nimbus_engine::Requirement;
use nimbus_plugin::{
    LockFile, PluginProvider, ProviderSource, Resolved, Version, VersionConstraint,
};
use nimbus_syntax::Diagnostic;
use std::collections::BTreeMap;
use std::path::Path;

/// One plugin provider a configuration needs, with the versions every
/// provider block of that source allows.
pub struct PluginNeed {
    pub source: ProviderSource,
    pub constraint: VersionConstraint,
    /// Addresses of the provider blocks that use it (`null`, `null.other`).
    pub blocks: Vec<String>,
}

/// Who serves a provider requirement that names a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The built-in provider, standing in for this Terraform provider.
    Builtin(&'static TerraformProvider),
    /// A plugin from the mirror, as the lock pins it.
    Plugin,
}

/// Who serves `source` under `constraint`: a plugin when the lock pins one
/// for it (or `nimbus init --plugin` asks for one: `forced`); otherwise the
/// built-in when it implements the provider at a version the constraint
/// allows; otherwise a plugin.
pub fn server(
    source: &ProviderSource,
    constraint: &VersionConstraint,
    lock: &LockFile,
    forced: &[ProviderSource],
) -> Server {
    if lock.get(source).is_some() || forced.contains(source) {
        return Server::Plugin;
    }
    match TerraformProvider::for_source(&source.to_string()) {
        Some(provider)
            if Version::parse(provider.version).is_some_and(|v| constraint.allows(&v)) =>
        {
            Server::Builtin(provider)
        }
        _ => Server::Plugin,
    }
}

/// What the root module's provider requirements need: plugins, and those
/// the built-in serves.
pub struct Needs {
    pub plugins: Vec<PluginNeed>,
    pub builtin: Vec<(PluginNeed, &'static TerraformProvider)>,
}

/// The providers with a source the root module needs, one per source,
/// each with who serves it (see [`server`]).
pub fn needs(
    config: &Config,
    base_dir: &Path,
    forced: &[ProviderSource],
) -> Result<Needs, Vec<Diagnostic>> {
    let lock_path = base_dir.join(nimbus_plugin::LOCK_FILE);
    let lock = LockFile::load(&lock_path).map_err(|e| vec![Diagnostic::error(e.to_string())])?;
    let mut out = Needs {
        plugins: Vec::new(),
        builtin: Vec::new(),
    };
    for need in requirements(config)? {
        match server(&need.source, &need.constraint, &lock, forced) {
            Server::Builtin(provider) => out.builtin.push((need, provider)),
            Server::Plugin => out.plugins.push(need),
        }
    }
    Ok(out)
}

/// The providers with a source the root module needs, one per source
/// (aliases of a provider share its binary, so their constraints must all
/// hold).
fn requirements(config: &Config) -> Result<Vec<PluginNeed>, Vec<Diagnostic>> {
    let mut by_source: BTreeMap<ProviderSource, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut errors = Vec::new();
    for block in &config.root().providers {
        let requirement = Requirement::of(block);
        let Some(source_text) = requirement.source else {
            continue;
        };
        let at = |attribute: &str| {
            block
                .attributes
                .iter()
                .find(|a| a.name.text == attribute)
                .map_or(block.span, |a| a.span)
        };
        let source = match ProviderSource::parse(source_text) {
            Ok(s) => s,
            Err(e) => {
                errors.push(Diagnostic::error(e.to_string()).at(at("source")));
                continue;
            }
        };
        if let Some(version) = requirement.version
            && let Err(e) = VersionConstraint::parse(version)
        {
            errors.push(Diagnostic::error(e.to_string()).at(at("version")));
            continue;
        }
        let (blocks, constraints) = by_source.entry(source).or_default();
        blocks.push(block.address());
        constraints.extend(requirement.version.map(str::to_string));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(by_source
        .into_iter()
        .map(|(source, (blocks, constraints))| PluginNeed {
            source,
            // Each part parsed on its own above, so the conjunction does too.
            constraint: VersionConstraint::parse(&constraints.join(", "))
                .unwrap_or_else(|_| VersionConstraint::any()),
            blocks,
        })
        .collect())
}

/// Why a plugin cannot be started.
pub fn no_mirror_message(source: &str) -> String {
    format!(
        "provider {source} is a plugin, and no plugin mirror is configured \
         (use --plugin-mirror DIR, NIMBUS_PLUGIN_MIRROR, or (plugin-mirror \"DIR\") in ~/.nimbusrc)"
    )
}

/// Who serves a provider block's requirement, from the lock next to the
/// configuration.
pub fn server_of(base_dir: &Path, source: &str, version: Option<&str>) -> Result<Server, String> {
    let parsed = ProviderSource::parse(source).map_err(|e| e.to_string())?;
    let constraint = match version {
        Some(v) => VersionConstraint::parse(v).map_err(|e| e.to_string())?,
        None => VersionConstraint::any(),
    };
    let lock =
        LockFile::load(&base_dir.join(nimbus_plugin::LOCK_FILE)).map_err(|e| e.to_string())?;
    Ok(server(&parsed, &constraint, &lock, &[]))
}

/// Starts the plugin a provider block asks for: the version and binary the
/// lock file names, verified against its checksum. A provider missing from
/// the lock is refused, so that no run uses a binary nobody chose.
pub fn start(
    mirror: &Path,
    base_dir: &Path,
    source: &str,
    version: Option<&str>,
) -> Result<PluginProvider, String> {
    let parsed = ProviderSource::parse(source).map_err(|e| e.to_string())?;
    let constraint = match version {
        Some(v) => VersionConstraint::parse(v).map_err(|e| e.to_string())?,
        None => VersionConstraint::any(),
    };
    let lock_path = base_dir.join(nimbus_plugin::LOCK_FILE);
    let lock = LockFile::load(&lock_path).map_err(|e| e.to_string())?;
    if lock.get(&parsed).is_none() {
        return Err(format!(
            "{parsed} is not recorded in {}: run `nimbus init` to choose its version and record its checksum",
            nimbus_plugin::LOCK_FILE
        ));
    }
    let (provider, _resolved) =
        nimbus_plugin::start_from_mirror(mirror, source, &constraint, &lock, Some(base_dir))
            .map_err(|e| e.to_string())?;
    Ok(provider)
}

/// What `nimbus init` did for one provider.
pub struct Locked {
    pub resolved: Resolved,
    /// The version locked before, if any.
    pub previous: Option<String>,
}

/// Chooses a version of every needed plugin and writes `.nimbus.lock`
/// (only when something changed; atomically). Versions already locked are
/// kept (and their checksums verified) unless `upgrade`; entries no
/// longer needed are dropped. On any error the lock file is left as it was.
pub fn lock(
    mirror: &Path,
    base_dir: &Path,
    needs: &[PluginNeed],
    upgrade: bool,
) -> Result<Vec<Locked>, Vec<String>> {
    let lock_path = base_dir.join(nimbus_plugin::LOCK_FILE);
    let old = LockFile::load(&lock_path).map_err(|e| vec![e.to_string()])?;
    let mut new = LockFile::default();
    let mut done = Vec::new();
    let mut errors = Vec::new();
    let none = LockFile::default();
    for need in needs {
        let against = if upgrade { &none } else { &old };
        match nimbus_plugin::resolve(mirror, &need.source.to_string(), &need.constraint, against) {
            Ok(resolved) => {
                new.upsert(resolved.lock_entry());
                done.push(Locked {
                    previous: old.get(&need.source).map(|l| l.version.clone()),
                    resolved,
                });
            }
            Err(e) => errors.push(format!("provider {}: {e}", need.blocks.join(", "))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let unchanged = new == old || (new.providers.is_empty() && !lock_path.exists());
    if !unchanged {
        new.save(&lock_path).map_err(|e| vec![e.to_string()])?;
    }
    Ok(done)
}

/// What the mirror and the lock say of one needed plugin, for
/// `nimbus providers`.
pub struct Status {
    pub locked: Option<String>,
    pub installed: Vec<Version>,
}

pub fn status(mirror: Option<&Path>, base_dir: &Path, need: &PluginNeed) -> Status {
    let lock = LockFile::load(&base_dir.join(nimbus_plugin::LOCK_FILE)).unwrap_or_default();
    Status {
        locked: lock.get(&need.source).map(|l| l.version.clone()),
        installed: mirror
            .map(|m| {
                nimbus_plugin::installed_versions(
                    m,
                    &need.source,
                    &nimbus_plugin::current_platform(),
                )
            })
            .unwrap_or_default(),
    }
}
