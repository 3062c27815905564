//! The dependency lock file `.nimbus.lock` (which provider versions a
//! configuration uses, with the SHA-256 of each binary), and where the
//! plugin mirror and the provider cache are.
//!
//! The lock file is JSON, sorted by source, so that it diffs well:
//!
//! ```json
//! {
//!   "version": 1,
//!   "providers": [
//!     {
//!       "source": "registry.terraform.io/hashicorp/null",
//!       "version": "2.1.2",
//!       "sha256": "c56285e7..."
//!     }
//!   ]
//! }
//! ```

use crate::PluginError;
use crate::mirror::{self, InstalledProvider, ProviderSource, Version, VersionConstraint};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The lock file's name, next to the configuration.
pub const LOCK_FILE: &str = ".nimbus.lock";
/// The lock file format version this code writes and reads.
pub const LOCK_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedProvider {
    /// Full source address, `HOST/NAMESPACE/TYPE`.
    pub source: String,
    pub version: String,
    /// SHA-256 of the provider binary for this platform, lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockFile {
    pub version: u32,
    pub providers: Vec<LockedProvider>,
}

impl Default for LockFile {
    fn default() -> LockFile {
        LockFile {
            version: LOCK_FORMAT,
            providers: Vec::new(),
        }
    }
}

impl LockFile {
    /// Reads a lock file; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<LockFile, PluginError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LockFile::default()),
            Err(e) => {
                return Err(PluginError::Install(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        LockFile::parse(&text).map_err(|e| PluginError::Install(format!("{}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<LockFile, String> {
        let lock: LockFile =
            serde_json::from_str(text).map_err(|e| format!("not a valid lock file: {e}"))?;
        if lock.version != LOCK_FORMAT {
            return Err(format!(
                "lock file format {} is not supported (this Nimbus reads format {LOCK_FORMAT})",
                lock.version
            ));
        }
        Ok(lock)
    }

    /// The JSON text, providers sorted by source, ending in a newline.
    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.providers.sort_by(|a, b| a.source.cmp(&b.source));
        let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), PluginError> {
        let fail = |e: std::io::Error| {
            PluginError::Install(format!("cannot write {}: {e}", path.display()))
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let temporary = dir.join(format!(".{name}.tmp{}", std::process::id()));
        std::fs::write(&temporary, self.to_text()).map_err(fail)?;
        std::fs::rename(&temporary, path).map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            fail(e)
        })
    }

    pub fn get(&self, source: &ProviderSource) -> Option<&LockedProvider> {
        let key = source.to_string();
        self.providers.iter().find(|p| p.source == key)
    }

    /// Records (or replaces) the entry of a provider.
    pub fn upsert(&mut self, entry: LockedProvider) {
        match self.providers.iter_mut().find(|p| p.source == entry.source) {
            Some(existing) => *existing = entry,
            None => self.providers.push(entry),
        }
        self.providers.sort_by(|a, b| a.source.cmp(&b.source));
    }

    pub fn remove(&mut self, source: &ProviderSource) -> bool {
        let key = source.to_string();
        let before = self.providers.len();
        self.providers.retain(|p| p.source != key);
        self.providers.len() != before
    }

    /// Checks an installed binary against the lock: same version, same hash.
    pub fn verify(&self, installed: &InstalledProvider, sha256: &str) -> Result<(), PluginError> {
        let Some(locked) = self.get(&installed.source) else {
            return Ok(());
        };
        if Version::parse(&locked.version).as_ref() != Some(&installed.version) {
            return Err(PluginError::Install(format!(
                "{} is locked to version {} but version {} was found; update the lock with `nimbus init --upgrade`",
                installed.source, locked.version, installed.version
            )));
        }
        if !locked.sha256.eq_ignore_ascii_case(sha256) {
            return Err(PluginError::Install(format!(
                "the binary of {} {} at {} does not match the checksum in {LOCK_FILE} (locked {}, found {sha256})",
                installed.source,
                installed.version,
                installed.binary.display(),
                locked.sha256
            )));
        }
        Ok(())
    }
}

/// A provider ready to start: found, hashed and checked against the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub installed: InstalledProvider,
    pub sha256: String,
}

impl Resolved {
    pub fn lock_entry(&self) -> LockedProvider {
        LockedProvider {
            source: self.installed.source.to_string(),
            version: self.installed.version.to_string(),
            sha256: self.sha256.clone(),
        }
    }
}

/// Finds `source` in `mirror`: the locked version when the lock names it
/// (and the binary must match its checksum), otherwise the newest version
/// allowed by `constraint`.
pub fn resolve(
    mirror_dir: &Path,
    source: &str,
    constraint: &VersionConstraint,
    lock: &LockFile,
) -> Result<Resolved, PluginError> {
    let parsed = ProviderSource::parse(source)?;
    let locked_constraint = match lock.get(&parsed) {
        Some(locked) => VersionConstraint::parse(&format!("= {}", locked.version))?,
        None => constraint.clone(),
    };
    let installed = mirror::find_in_mirror_for(
        mirror_dir,
        &parsed,
        &locked_constraint,
        &mirror::current_platform(),
    )?;
    if !constraint.allows(&installed.version) {
        return Err(PluginError::Install(format!(
            "{parsed} is locked to version {} which does not satisfy {constraint}; update the lock with `nimbus init --upgrade`",
            installed.version
        )));
    }
    let sha256 = mirror::sha256_file(&installed.binary)?;
    lock.verify(&installed, &sha256)?;
    Ok(Resolved { installed, sha256 })
}

/// The environment variable naming the CLI configuration file.
pub const CLI_CONFIG_ENV: &str = "NIMBUS_CLI_CONFIG_FILE";
/// The CLI configuration file in the home directory when
/// `NIMBUS_CLI_CONFIG_FILE` is not set.
pub const CLI_CONFIG_FILE: &str = ".nimbusrc";

/// The plugin mirror directory, from (in order) the `--plugin-mirror` flag,
/// `NIMBUS_PLUGIN_MIRROR`, or `(plugin-mirror "DIR")` in the CLI
/// configuration file (`NIMBUS_CLI_CONFIG_FILE`, else `~/.nimbusrc`; a
/// relative DIR is relative to the file). `None` when none is configured.
pub fn plugin_mirror(
    flag: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, PluginError> {
    if let Some(dir) = flag {
        return Ok(Some(dir.to_path_buf()));
    }
    if let Some(dir) = env(mirror::MIRROR_ENV).filter(|s| !s.is_empty()) {
        return Ok(Some(PathBuf::from(dir)));
    }
    let file = match env(CLI_CONFIG_ENV).filter(|s| !s.is_empty()) {
        Some(f) => PathBuf::from(f),
        None => match env("HOME").filter(|s| !s.is_empty()) {
            Some(home) => Path::new(&home).join(CLI_CONFIG_FILE),
            None => return Ok(None),
        },
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PluginError::Install(format!(
                "cannot read {}: {e}",
                file.display()
            )));
        }
    };
    match mirror_from_cli_config(&text) {
        Ok(Some(dir)) => {
            let dir = PathBuf::from(dir);
            Ok(Some(if dir.is_relative() {
                file.parent().unwrap_or(Path::new(".")).join(dir)
            } else {
                dir
            }))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(PluginError::Install(format!("{}: {e}", file.display()))),
    }
}

/// The environment variable naming the provider cache directory.
pub const CACHE_ENV: &str = "NIMBUS_PLUGIN_CACHE_DIR";

/// The provider cache shared between projects (where providers installed
/// from a registry are unpacked, in the mirror layout): `NIMBUS_PLUGIN_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/nimbus/providers`, else
/// `~/.cache/nimbus/providers`. `None` without any of these variables.
pub fn plugin_cache_dir(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|s| !s.is_empty());
    if let Some(dir) = var(CACHE_ENV) {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(Path::new(&dir).join("nimbus/providers"));
    }
    var("HOME").map(|home| Path::new(&home).join(".cache/nimbus/providers"))
}

/// Reads `(plugin-mirror "DIR")` from CLI configuration text; `;` starts a
/// comment. Other forms are ignored (they belong to other settings).
pub fn mirror_from_cli_config(text: &str) -> Result<Option<String>, String> {
    for (n, line) in text.lines().enumerate() {
        let line = line.split(';').next().unwrap_or_default().trim();
        let Some(rest) = line.strip_prefix("(plugin-mirror") else {
            continue;
        };
        let rest = rest.trim();
        let inner = rest
            .strip_suffix(')')
            .map(str::trim)
            .and_then(|s| s.strip_prefix('"'))
            .and_then(|s| s.strip_suffix('"'))
            .filter(|s| !s.is_empty() && !s.contains('"'));
        return match inner {
            Some(dir) => Ok(Some(dir.replace("\\\\", "\\"))),
            None => Err(format!("line {}: expected (plugin-mirror \"DIR\")", n + 1)),
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirror::find_in_mirror;

    fn install(mirror: &Path, version: &str, content: &[u8]) -> PathBuf {
        let dir = mirror
            .join("registry.terraform.io/hashicorp/null")
            .join(version)
            .join(mirror::current_platform());
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("terraform-provider-null_v{version}_x4"));
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn lock_files_round_trip_and_pin_versions() {
        let dir = tempfile::tempdir().unwrap();
        let mirror_dir = dir.path().join("mirror");
        install(&mirror_dir, "2.1.2", b"old");
        install(&mirror_dir, "3.0.0", b"new");
        let path = dir.path().join(LOCK_FILE);

        let lock = LockFile::load(&path).unwrap();
        assert!(lock.providers.is_empty());
        let resolved = resolve(
            &mirror_dir,
            "hashicorp/null",
            &VersionConstraint::any(),
            &lock,
        )
        .unwrap();
        assert_eq!(resolved.installed.version.to_string(), "3.0.0");

        let mut lock = LockFile::default();
        let old = resolve(
            &mirror_dir,
            "hashicorp/null",
            &VersionConstraint::parse("~> 2.1").unwrap(),
            &lock,
        )
        .unwrap();
        lock.upsert(old.lock_entry());
        lock.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"source\": \"registry.terraform.io/hashicorp/null\""),
            "{text}"
        );
        let lock = LockFile::load(&path).unwrap();
        assert_eq!(lock.providers, vec![old.lock_entry()]);

        // The lock wins over "newest".
        let again = resolve(
            &mirror_dir,
            "hashicorp/null",
            &VersionConstraint::any(),
            &lock,
        )
        .unwrap();
        assert_eq!(again, old);
        // A binary changed behind the lock's back is refused.
        install(&mirror_dir, "2.1.2", b"tampered");
        let e = resolve(
            &mirror_dir,
            "hashicorp/null",
            &VersionConstraint::any(),
            &lock,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("does not match the checksum"), "{e}");
        // A lock that contradicts the constraint is reported.
        let e = resolve(
            &mirror_dir,
            "hashicorp/null",
            &VersionConstraint::parse(">= 3").unwrap(),
            &lock,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("locked to version 2.1.2"), "{e}");
        assert!(find_in_mirror(&mirror_dir, "hashicorp/null", &VersionConstraint::any()).is_ok());
        assert!(LockFile::parse("{\"version\": 9, \"providers\": []}").is_err());
    }

    #[test]
    fn the_cache_comes_from_its_variable_xdg_or_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        const ALL: [(&str, &str); 3] =
            [(CACHE_ENV, "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")];
        let all: &'static [(&str, &str)] = &ALL;
        assert_eq!(plugin_cache_dir(env(all)), Some(PathBuf::from("/c")));
        assert_eq!(
            plugin_cache_dir(env(&all[1..])),
            Some(PathBuf::from("/x/nimbus/providers"))
        );
        // A relative XDG_CACHE_HOME is ignored, as the spec says.
        assert_eq!(
            plugin_cache_dir(env(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/nimbus/providers"))
        );
        assert_eq!(plugin_cache_dir(env(&[(CACHE_ENV, "")])), None);
    }

    #[test]
    fn the_mirror_comes_from_flag_env_or_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("cli.conf");
        std::fs::write(&config, "; settings\n(plugin-mirror \"mirror\")\n").unwrap();
        let config_s = config.display().to_string();
        let env = |name: &str| match name {
            CLI_CONFIG_ENV => Some(config_s.clone()),
            _ => None,
        };
        assert_eq!(
            plugin_mirror(None, env).unwrap(),
            Some(dir.path().join("mirror"))
        );
        let env_mirror = |name: &str| (name == mirror::MIRROR_ENV).then(|| "/m".to_string());
        assert_eq!(
            plugin_mirror(None, env_mirror).unwrap(),
            Some(PathBuf::from("/m"))
        );
        assert_eq!(
            plugin_mirror(Some(Path::new("/flag")), env_mirror).unwrap(),
            Some(PathBuf::from("/flag"))
        );
        assert_eq!(plugin_mirror(None, |_| None).unwrap(), None);
        assert!(mirror_from_cli_config("(plugin-mirror mirror)").is_err());
        assert_eq!(mirror_from_cli_config("(other 1)").unwrap(), None);
    }
}
