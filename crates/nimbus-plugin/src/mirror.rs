//! Finding installed providers: source addresses (`hashicorp/null`),
//! versions and version constraints (`~> 2.1`, `>= 1.0, < 3`), and
//! filesystem mirrors in Terraform's unpacked layout:
//!
//! ```text
//! MIRROR/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION[_SUFFIX]
//! MIRROR/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4
//! ```

use crate::PluginError;
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The registry host assumed when a source names none.
pub const DEFAULT_HOST: &str = "registry.terraform.io";
/// The namespace assumed for a bare type name (`null` → `hashicorp/null`).
pub const DEFAULT_NAMESPACE: &str = "hashicorp";
/// The environment variable naming a mirror directory.
pub const MIRROR_ENV: &str = "NIMBUS_PLUGIN_MIRROR";

/// A provider's source address: `HOST/NAMESPACE/TYPE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderSource {
    pub host: String,
    pub namespace: String,
    pub type_name: String,
}

impl ProviderSource {
    /// Parses `TYPE`, `NAMESPACE/TYPE` or `HOST/NAMESPACE/TYPE`
    /// (case-insensitive; stored lower-case).
    pub fn parse(text: &str) -> Result<ProviderSource, PluginError> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let valid = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        };
        let (host, namespace, type_name) = match parts.as_slice() {
            [t] => (DEFAULT_HOST, DEFAULT_NAMESPACE, *t),
            [n, t] => (DEFAULT_HOST, *n, *t),
            [h, n, t] => (*h, *n, *t),
            _ => ("", "", ""),
        };
        if !(valid(host) && valid(namespace) && valid(type_name))
            || type_name.contains(':')
            || namespace.contains(':')
        {
            return Err(PluginError::Install(format!(
                "invalid provider source {text:?}: expected NAMESPACE/TYPE or HOST/NAMESPACE/TYPE, e.g. \"hashicorp/null\""
            )));
        }
        Ok(ProviderSource {
            host: host.to_ascii_lowercase(),
            namespace: namespace.to_ascii_lowercase(),
            type_name: type_name.to_ascii_lowercase(),
        })
    }

    /// The directory of this provider inside a mirror.
    pub fn mirror_dir(&self, mirror: &Path) -> PathBuf {
        mirror
            .join(&self.host)
            .join(&self.namespace)
            .join(&self.type_name)
    }
}

impl fmt::Display for ProviderSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.host, self.namespace, self.type_name)
    }
}

/// A provider version: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` (missing
/// minor and patch read as 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches('v');
        let text = text.split('+').next().unwrap_or_default();
        let (core, pre) = match text.split_once('-') {
            Some((c, p)) => (c, p.to_string()),
            None => (text, String::new()),
        };
        let mut numbers = core.split('.');
        let mut next = |required: bool| -> Option<u64> {
            match numbers.next() {
                Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => n.parse().ok(),
                None if !required => Some(0),
                _ => None,
            }
        };
        let version = Version {
            major: next(true)?,
            minor: next(false)?,
            patch: next(false)?,
            pre,
        };
        if numbers.next().is_some() {
            return None;
        }
        Some(version)
    }

    /// How many numeric parts the text spelled out (for `~>`).
    fn parts_in(text: &str) -> usize {
        text.trim()
            .trim_start_matches('v')
            .split(['-', '+'])
            .next()
            .unwrap_or_default()
            .split('.')
            .count()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~>`: this version or newer, up to the next change of the
    /// second-to-last part given (`~> 2.1` allows 2.x ≥ 2.1, `~> 2.1.3`
    /// allows 2.1.x ≥ 2.1.3).
    Pessimistic(usize),
}

/// A Terraform version constraint: comma-separated conditions that must
/// all hold. An empty constraint allows every release (not pre-releases).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionConstraint {
    parts: Vec<(Op, Version)>,
    text: String,
}

impl VersionConstraint {
    pub fn any() -> VersionConstraint {
        VersionConstraint::default()
    }

    pub fn parse(text: &str) -> Result<VersionConstraint, PluginError> {
        let mut parts = Vec::new();
        for piece in text.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic(0)),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("=", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
            ]
            .iter()
            .find_map(|(prefix, op)| piece.strip_prefix(prefix).map(|rest| (*op, rest.trim())))
            .unwrap_or((Op::Eq, piece));
            let version = Version::parse(rest).ok_or_else(|| {
                PluginError::Install(format!(
                    "invalid version constraint {text:?}: {rest:?} is not a version"
                ))
            })?;
            let op = match op {
                Op::Pessimistic(_) => Op::Pessimistic(Version::parts_in(rest)),
                other => other,
            };
            parts.push((op, version));
        }
        Ok(VersionConstraint {
            parts,
            text: text.trim().to_string(),
        })
    }

    pub fn allows(&self, v: &Version) -> bool {
        // Pre-releases only when asked for exactly.
        if !v.pre.is_empty() && !self.parts.iter().any(|(op, c)| *op == Op::Eq && c == v) {
            return false;
        }
        self.parts.iter().all(|(op, c)| match op {
            Op::Eq => v == c,
            Op::Ne => v != c,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic(n) => {
                v >= c
                    && match n {
                        0 | 1 => true,
                        2 => v.major == c.major,
                        _ => v.major == c.major && v.minor == c.minor,
                    }
            }
        })
    }
}

impl fmt::Display for VersionConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            f.write_str("any version")
        } else {
            f.write_str(&self.text)
        }
    }
}

/// Terraform's name for the platform Nimbus runs on, e.g. `linux_amd64`.
pub fn current_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// A provider binary found in a mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledProvider {
    pub source: ProviderSource,
    pub version: Version,
    pub binary: PathBuf,
}

/// The newest version of `source` in `mirror` that satisfies `constraint`
/// and is built for this platform.
pub fn find_in_mirror(
    mirror: &Path,
    source: &str,
    constraint: &VersionConstraint,
) -> Result<InstalledProvider, PluginError> {
    find_in_mirror_for(
        mirror,
        &ProviderSource::parse(source)?,
        constraint,
        &current_platform(),
    )
}

/// [`find_in_mirror`] for a given platform (`linux_amd64`).
pub fn find_in_mirror_for(
    mirror: &Path,
    source: &ProviderSource,
    constraint: &VersionConstraint,
    platform: &str,
) -> Result<InstalledProvider, PluginError> {
    let dir = source.mirror_dir(mirror);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        PluginError::Install(format!(
            "provider {source} is not installed in the plugin mirror {} (no directory {}: {e})",
            mirror.display(),
            dir.display()
        ))
    })?;
    let versions = version_dirs(entries);
    let found: Vec<String> = versions.iter().map(|(v, _)| v.to_string()).collect();
    let mut wrong_platform = Vec::new();
    for (version, path) in versions.iter().filter(|(v, _)| constraint.allows(v)) {
        let platform_dir = path.join(platform);
        match find_binary(&platform_dir, &source.type_name) {
            Some(binary) => {
                return Ok(InstalledProvider {
                    source: source.clone(),
                    version: version.clone(),
                    binary,
                });
            }
            None => wrong_platform.push(version.to_string()),
        }
    }
    let detail = if found.is_empty() {
        "no versions are installed".to_string()
    } else if wrong_platform.is_empty() {
        format!("installed versions: {}", found.join(", "))
    } else {
        format!(
            "installed versions: {}; without a {platform} build: {}",
            found.join(", "),
            wrong_platform.join(", ")
        )
    };
    Err(PluginError::Install(format!(
        "no version of {source} matching {constraint} for {platform} in the plugin mirror {} ({detail})",
        mirror.display()
    )))
}

/// The versions of `source` in the mirror that have a build for
/// `platform`, newest first; none when the provider is not there at all.
pub fn installed_versions(mirror: &Path, source: &ProviderSource, platform: &str) -> Vec<Version> {
    let Ok(entries) = std::fs::read_dir(source.mirror_dir(mirror)) else {
        return Vec::new();
    };
    version_dirs(entries)
        .into_iter()
        .filter(|(_, dir)| find_binary(&dir.join(platform), &source.type_name).is_some())
        .map(|(version, _)| version)
        .collect()
}

/// The directories of a provider named like versions, newest first.
fn version_dirs(entries: std::fs::ReadDir) -> Vec<(Version, PathBuf)> {
    let mut versions: Vec<(Version, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            Version::parse(&name).map(|v| (v, e.path()))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions
}

/// `terraform-provider-TYPE` or `terraform-provider-TYPE_v...` (also with
/// `.exe`) in `dir`.
fn find_binary(dir: &Path, type_name: &str) -> Option<PathBuf> {
    let prefix = format!("terraform-provider-{type_name}");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let rest = name.strip_prefix(&prefix);
            rest.is_some_and(|r| r.is_empty() || r.starts_with("_v") || r == ".exe")
                && e.path().is_file()
        })
        .map(|e| e.path())
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

/// The SHA-256 of a file, lower-case hex (what the lock file records).
pub fn sha256_file(path: &Path) -> Result<String, PluginError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| PluginError::Install(format!("cannot read {}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| PluginError::Install(format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn allows(constraint: &str, version: &str) -> bool {
        VersionConstraint::parse(constraint)
            .unwrap()
            .allows(&v(version))
    }

    #[test]
    fn sources_parse_with_defaults() {
        let s = ProviderSource::parse("hashicorp/null").unwrap();
        assert_eq!(s.to_string(), "registry.terraform.io/hashicorp/null");
        assert_eq!(ProviderSource::parse("null").unwrap(), s);
        assert_eq!(
            ProviderSource::parse("Registry.Terraform.io/HashiCorp/Null").unwrap(),
            s
        );
        let custom = ProviderSource::parse("example.com:8443/acme/thing").unwrap();
        assert_eq!(custom.host, "example.com:8443");
        assert!(ProviderSource::parse("a/b/c/d").is_err());
        assert!(ProviderSource::parse("a//c").is_err());
        assert!(ProviderSource::parse("../x").is_err());
    }

    #[test]
    fn versions_order_and_constraints_hold() {
        assert!(v("2.1.2") > v("2.1.1"));
        assert!(v("2.1.2") > v("2.1.2-beta1"));
        assert_eq!(v("v2"), v("2.0.0"));
        assert!(Version::parse("2.x").is_none());
        assert!(allows("", "1.0.0"));
        assert!(!allows("", "1.0.0-rc1"));
        assert!(allows("= 1.0.0-rc1", "1.0.0-rc1"));
        assert!(allows("2.1.2", "2.1.2"));
        assert!(allows(">= 2.0, < 3", "2.9.9"));
        assert!(!allows(">= 2.0, < 3", "3.0.0"));
        assert!(allows("~> 2.1", "2.9.0"));
        assert!(!allows("~> 2.1", "3.0.0"));
        assert!(!allows("~> 2.1", "2.0.9"));
        assert!(allows("~> 2.1.0", "2.1.7"));
        assert!(!allows("~> 2.1.0", "2.2.0"));
        assert!(allows("!= 2.1.1", "2.1.2"));
        assert!(VersionConstraint::parse(">= banana").is_err());
    }

    #[test]
    fn mirrors_are_searched_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let source = ProviderSource::parse("hashicorp/null").unwrap();
        let base = source.mirror_dir(dir.path());
        for (version, platform, file) in [
            ("2.1.2", "linux_amd64", "terraform-provider-null_v2.1.2_x4"),
            ("3.2.0", "linux_amd64", "terraform-provider-null_v3.2.0_x5"),
            ("3.3.0", "darwin_arm64", "terraform-provider-null_v3.3.0_x5"),
            (
                "4.0.0-beta",
                "linux_amd64",
                "terraform-provider-null_v4.0.0-beta",
            ),
        ] {
            let d = base.join(version).join(platform);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(file), b"binary").unwrap();
        }
        let any = VersionConstraint::any();
        let found = find_in_mirror_for(dir.path(), &source, &any, "linux_amd64").unwrap();
        assert_eq!(found.version, v("3.2.0"));
        assert!(found.binary.ends_with("terraform-provider-null_v3.2.0_x5"));
        let pinned = VersionConstraint::parse("~> 2.1").unwrap();
        let found = find_in_mirror_for(dir.path(), &source, &pinned, "linux_amd64").unwrap();
        assert_eq!(found.version, v("2.1.2"));
        let e = find_in_mirror_for(
            dir.path(),
            &source,
            &VersionConstraint::parse(">= 3.3").unwrap(),
            "linux_amd64",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("without a linux_amd64 build: 3.3.0"), "{e}");
        let e = find_in_mirror(dir.path(), "hashicorp/aws", &any)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("registry.terraform.io/hashicorp/aws is not installed"),
            "{e}"
        );
        assert_eq!(
            sha256_file(&found.binary).unwrap(),
            "9a3a45d01531a20e89ac6ae10b0b0beb0492acd7216a368aa062d1a5fecaf9cd"
        );
    }
}
