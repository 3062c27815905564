//! Plugin providers of a configuration: which ones its provider blocks
//! need, where they are installed (the plugin mirror, then the provider
//! cache shared between projects, where `nimbus init` puts what it
//! installs from a registry), and the `.nimbus.lock` that pins the version
//! and checksum of each. `nimbus init` writes the lock; every other command
//! starts only what the lock names, after checking its checksum.
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
use std::path::{Path, PathBuf};

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

/// The providers with a source the configuration needs (the root
/// module's configurations and those called modules write themselves),
/// one per source (aliases of a provider share its binary, so their
/// constraints must all hold).
fn requirements(config: &Config) -> Result<Vec<PluginNeed>, Vec<Diagnostic>> {
    let mut by_source: BTreeMap<ProviderSource, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut errors = Vec::new();
    let own = config
        .modules
        .iter()
        .skip(1)
        .flat_map(|m| m.own_providers().map(|(_, block)| block));
    for block in config.root().providers.iter().chain(own) {
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
         (use --plugin-mirror DIR, NIMBUS_PLUGIN_MIRROR, or (plugin-mirror \"DIR\") in ~/.nimbusrc) \
         nor a provider cache for registry installs (NIMBUS_PLUGIN_CACHE_DIR, XDG_CACHE_HOME or HOME)"
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

/// Where plugins are installed: the mirror (first) and the provider cache.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub mirror: Option<PathBuf>,
    pub cache: Option<PathBuf>,
}

impl Places {
    /// The first of mirror and cache that holds a version of `source`
    /// that `constraint` allows, built for this platform.
    fn holding(&self, source: &ProviderSource, constraint: &VersionConstraint) -> Option<&Path> {
        let platform = nimbus_plugin::current_platform();
        [self.mirror.as_deref(), self.cache.as_deref()]
            .into_iter()
            .flatten()
            .find(|dir| {
                nimbus_plugin::installed_versions(dir, source, &platform)
                    .iter()
                    .any(|v| constraint.allows(v))
            })
    }
}

/// Starts the plugin a provider block asks for: the version and binary the
/// lock file names (from the mirror, else the cache), verified against its
/// checksum. A provider missing from the lock is refused, so that no run
/// uses a binary nobody chose.
pub fn start(
    places: &Places,
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
    let Some(locked) = lock.get(&parsed) else {
        return Err(format!(
            "{parsed} is not recorded in {}: run `nimbus init` to choose its version and record its checksum",
            nimbus_plugin::LOCK_FILE
        ));
    };
    let exact =
        VersionConstraint::parse(&format!("= {}", locked.version)).map_err(|e| e.to_string())?;
    let Some(dir) = places.holding(&parsed, &exact) else {
        return Err(format!(
            "{parsed} {} is locked but installed in neither {}: run `nimbus init` to install it",
            locked.version,
            places.describe()
        ));
    };
    let (provider, _resolved) =
        nimbus_plugin::start_from_mirror(dir, source, &constraint, &lock, Some(base_dir))
            .map_err(|e| e.to_string())?;
    Ok(provider)
}

impl Places {
    /// "the plugin mirror DIR nor the provider cache DIR", for messages.
    fn describe(&self) -> String {
        let shown = |p: &Option<PathBuf>| {
            p.as_ref()
                .map_or("(none configured)".to_string(), |p| p.display().to_string())
        };
        format!(
            "the plugin mirror {} nor the provider cache {}",
            shown(&self.mirror),
            shown(&self.cache)
        )
    }
}

/// Where an installed provider came from, for `nimbus init`'s report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Mirror,
    Cache,
    /// Downloaded (and verified) from its registry just now.
    Registry,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Mirror => "mirror",
            Origin::Cache => "cache",
            Origin::Registry => "registry",
        }
    }
}

/// What `nimbus init` did for one provider.
pub struct Locked {
    pub resolved: Resolved,
    /// The version locked before, if any.
    pub previous: Option<String>,
    pub origin: Origin,
}

/// Chooses a version of every needed plugin and writes `.nimbus.lock`
/// (only when something changed; atomically). Versions already locked are
/// kept (and their checksums verified) unless `upgrade`; entries no
/// longer needed are dropped. On any error the lock file is left as it was.
///
/// Each plugin comes from the mirror when it holds an allowed version, else
/// from the provider cache when that does (unless `upgrade`, which asks the
/// registry for the newest), else from its registry into the cache (with
/// the `registry` feature).
pub async fn lock(
    places: &Places,
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
    let mut installer = Installer::default();
    for need in needs {
        let against = if upgrade { &none } else { &old };
        match resolve_one(places, need, against, upgrade, &mut installer).await {
            Ok((resolved, origin)) => {
                new.upsert(resolved.lock_entry());
                done.push(Locked {
                    previous: old.get(&need.source).map(|l| l.version.clone()),
                    resolved,
                    origin,
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

/// One needed plugin, found or installed, checked against the lock.
async fn resolve_one(
    places: &Places,
    need: &PluginNeed,
    lock: &LockFile,
    upgrade: bool,
    installer: &mut Installer,
) -> Result<(Resolved, Origin), String> {
    let source = need.source.to_string();
    let locked = lock.get(&need.source).map(|l| l.version.clone());
    let wanted = match &locked {
        Some(v) => VersionConstraint::parse(&format!("= {v}")).map_err(|e| e.to_string())?,
        None => need.constraint.clone(),
    };
    // Wherever it would come from, a lock the constraint has left is stale.
    if let Some(v) = locked.as_deref().and_then(Version::parse)
        && !need.constraint.allows(&v)
    {
        return Err(format!(
            "{source} is locked to version {v} which does not satisfy {}; update the lock with `nimbus init --upgrade`",
            need.constraint
        ));
    }
    let resolve_in = |dir: &Path| {
        nimbus_plugin::resolve(dir, &source, &need.constraint, lock).map_err(|e| e.to_string())
    };
    if let Some(mirror) = &places.mirror
        && places.holding(&need.source, &wanted) == Some(mirror.as_path())
    {
        return resolve_in(mirror).map(|r| (r, Origin::Mirror));
    }
    let cache = places.cache.as_deref();
    if let Some(cache) = cache
        && !(upgrade && Installer::AVAILABLE)
        && places.holding(&need.source, &wanted) == Some(cache)
    {
        return resolve_in(cache).map(|r| (r, Origin::Cache));
    }
    let where_not = match &places.mirror {
        Some(m) => {
            let installed: Vec<String> = nimbus_plugin::installed_versions(
                m,
                &need.source,
                &nimbus_plugin::current_platform(),
            )
            .iter()
            .map(ToString::to_string)
            .collect();
            format!(
                "no version matching {wanted} is in the plugin mirror {} (installed versions: {})",
                m.display(),
                if installed.is_empty() {
                    "none".to_string()
                } else {
                    installed.join(", ")
                }
            )
        }
        None => "no plugin mirror is configured".to_string(),
    };
    let Some(cache) = cache else {
        return Err(format!(
            "{source} is a plugin: {where_not}, and it cannot be installed from its registry \
             without a provider cache directory (set NIMBUS_PLUGIN_CACHE_DIR, XDG_CACHE_HOME or HOME)"
        ));
    };
    let (version, downloaded) = installer
        .install(&need.source, &wanted, cache)
        .await
        .map_err(|e| format!("{where_not}, and installing from its registry failed: {e}"))?;
    let exact = VersionConstraint::parse(&format!("= {version}")).map_err(|e| e.to_string())?;
    let origin = if downloaded {
        Origin::Registry
    } else {
        Origin::Cache
    };
    nimbus_plugin::resolve(cache, &source, &exact, lock)
        .map(|r| (r, origin))
        .map_err(|e| e.to_string())
}

/// Registry installs, when this build has them (the `registry` feature).
#[derive(Default)]
struct Installer {
    #[cfg(feature = "registry")]
    registry: Option<nimbus_registry::Registry>,
}

impl Installer {
    const AVAILABLE: bool = cfg!(feature = "registry");

    /// Puts the newest version `constraint` allows into `cache`; which
    /// version, and whether it was downloaded (not already there).
    #[cfg(feature = "registry")]
    async fn install(
        &mut self,
        source: &ProviderSource,
        constraint: &VersionConstraint,
        cache: &Path,
    ) -> Result<(Version, bool), String> {
        if self.registry.is_none() {
            let registry = nimbus_registry::Registry::new(nimbus_registry::Options::default())
                .map_err(|e| e.to_string())?;
            self.registry = Some(registry);
        }
        let Some(registry) = &self.registry else {
            return Err("no registry client".to_string());
        };
        registry
            .install(source, constraint, cache)
            .await
            .map(|installed| (installed.version, installed.downloaded))
            .map_err(|e| e.to_string())
    }

    #[cfg(not(feature = "registry"))]
    async fn install(
        &mut self,
        source: &ProviderSource,
        _constraint: &VersionConstraint,
        _cache: &Path,
    ) -> Result<(Version, bool), String> {
        Err(format!(
            "registry installs are not built into this nimbus (the `registry` feature, on by default), \
             so {source} must be in a plugin mirror or the provider cache"
        ))
    }
}

/// What the mirror, the cache and the lock say of one needed plugin, for
/// `nimbus providers`.
pub struct Status {
    pub locked: Option<String>,
    pub installed: Vec<Version>,
}

/// The versions installed in the mirror or the cache, newest first.
pub fn status(places: &Places, base_dir: &Path, need: &PluginNeed) -> Status {
    let lock = LockFile::load(&base_dir.join(nimbus_plugin::LOCK_FILE)).unwrap_or_default();
    let platform = nimbus_plugin::current_platform();
    let mut installed: Vec<Version> = [places.mirror.as_deref(), places.cache.as_deref()]
        .into_iter()
        .flatten()
        .flat_map(|dir| nimbus_plugin::installed_versions(dir, &need.source, &platform))
        .collect();
    installed.sort_by(|a, b| b.cmp(a));
    installed.dedup();
    Status {
        locked: lock.get(&need.source).map(|l| l.version.clone()),
        installed,
    }
}
