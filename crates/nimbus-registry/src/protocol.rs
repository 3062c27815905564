//! The documents of the provider registry protocol, as serde types, and
//! the choice of a version.
//!
//! - service discovery, `GET https://HOST/.well-known/terraform.json`:
//!   `{"providers.v1": "/v1/providers/"}` (a path or an absolute URL);
//! - versions, `GET {base}{namespace}/{type}/versions`:
//!   `{"versions": [{"version": "2.1.2", "protocols": ["5.0"],
//!   "platforms": [{"os": "linux", "arch": "amd64"}]}]}`;
//! - download, `GET {base}{namespace}/{type}/{version}/download/{os}/{arch}`:
//!   `{"filename", "download_url", "shasums_url", "shasums_signature_url",
//!   "shasum", "signing_keys": {"gpg_public_keys": [{"key_id",
//!   "ascii_armor"}]}}`.
//!
//! Unknown fields are ignored; missing required ones are errors, never
//! panics.

use nimbus_plugin::{Version, VersionConstraint};
use serde::Deserialize;

/// The service discovery document; only `providers.v1` matters here.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    #[serde(rename = "providers.v1")]
    pub providers_v1: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Versions {
    #[serde(default)]
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VersionEntry {
    pub version: String,
    #[serde(default)]
    pub protocols: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<Platform>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

impl Platform {
    /// Terraform's name for it, `linux_amd64`.
    pub fn name(&self) -> String {
        format!("{}_{}", self.os, self.arch)
    }
}

/// The download metadata of one version for one platform.
#[derive(Debug, Clone, Deserialize)]
pub struct Download {
    pub filename: String,
    pub download_url: String,
    pub shasums_url: String,
    #[serde(default)]
    pub shasums_signature_url: Option<String>,
    pub shasum: String,
    #[serde(default)]
    pub signing_keys: SigningKeys,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SigningKeys {
    #[serde(default)]
    pub gpg_public_keys: Vec<GpgPublicKey>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GpgPublicKey {
    #[serde(default)]
    pub key_id: Option<String>,
    pub ascii_armor: String,
}

/// Why no version was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The newest version the constraint allows, with a build for the
    /// platform.
    Chosen(Version),
    /// No listed version meets the constraint; all listed versions,
    /// newest first.
    NoMatch { available: Vec<Version> },
    /// Versions meet the constraint, but none is built for the platform:
    /// the newest of them and the platforms it has.
    NoPlatform {
        version: Version,
        platforms: Vec<String>,
    },
}

/// Chooses the newest version that `constraint` allows and that is built
/// for `platform` (`linux_amd64`). Entries whose version does not parse
/// are ignored.
pub fn choose(versions: &Versions, constraint: &VersionConstraint, platform: &str) -> Choice {
    let mut parsed: Vec<(Version, &VersionEntry)> = versions
        .versions
        .iter()
        .filter_map(|e| Version::parse(&e.version).map(|v| (v, e)))
        .collect();
    parsed.sort_by(|a, b| b.0.cmp(&a.0));
    let allowed: Vec<&(Version, &VersionEntry)> = parsed
        .iter()
        .filter(|(v, _)| constraint.allows(v))
        .collect();
    if let Some((version, _)) = allowed
        .iter()
        .find(|(_, e)| e.platforms.iter().any(|p| p.name() == platform))
    {
        return Choice::Chosen(version.clone());
    }
    match allowed.first() {
        Some((version, entry)) => Choice::NoPlatform {
            version: version.clone(),
            platforms: entry.platforms.iter().map(Platform::name).collect(),
        },
        None => {
            let mut available: Vec<Version> = parsed.into_iter().map(|(v, _)| v).collect();
            available.dedup();
            Choice::NoMatch { available }
        }
    }
}

/// The checksum `SHA256SUMS` gives `filename` (lines `HEX  NAME`, or
/// `HEX *NAME` for binary mode), lower-case.
pub fn shasum_for(document: &str, filename: &str) -> Option<String> {
    document.lines().find_map(|line| {
        let (hash, name) = line.trim_end().split_once(char::is_whitespace)?;
        let name = name.trim_start();
        let name = name.strip_prefix('*').unwrap_or(name);
        (name == filename && hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| hash.to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(json: &str) -> Versions {
        serde_json::from_str(json).unwrap()
    }

    const LISTING: &str = r#"{"id": "hashicorp/null", "versions": [
        {"version": "2.1.2", "protocols": ["4.0", "5.0"],
         "platforms": [{"os": "linux", "arch": "amd64"}, {"os": "darwin", "arch": "amd64"}]},
        {"version": "3.0.0", "protocols": ["5.0"], "platforms": [{"os": "darwin", "arch": "arm64"}]},
        {"version": "3.1.0-beta1", "platforms": [{"os": "linux", "arch": "amd64"}]},
        {"version": "not-a-version", "platforms": [{"os": "linux", "arch": "amd64"}]},
        {"version": "1.0.0", "platforms": [{"os": "linux", "arch": "amd64"}]}
    ], "warnings": null}"#;

    #[test]
    fn the_newest_allowed_version_built_for_the_platform_is_chosen() {
        let listing = versions(LISTING);
        let c = |text: &str| VersionConstraint::parse(text).unwrap();
        // 3.0.0 is newer but has no linux_amd64 build; the pre-release is
        // not chosen without asking for it exactly.
        assert_eq!(
            choose(&listing, &c(""), "linux_amd64"),
            Choice::Chosen(Version::parse("2.1.2").unwrap())
        );
        assert_eq!(
            choose(&listing, &c("~> 1.0"), "linux_amd64"),
            Choice::Chosen(Version::parse("1.0.0").unwrap())
        );
        assert_eq!(
            choose(&listing, &c("= 3.1.0-beta1"), "linux_amd64"),
            Choice::Chosen(Version::parse("3.1.0-beta1").unwrap())
        );
        assert_eq!(
            choose(&listing, &c(">= 3"), "linux_amd64"),
            Choice::NoPlatform {
                version: Version::parse("3.0.0").unwrap(),
                platforms: vec!["darwin_arm64".to_string()],
            }
        );
        match choose(&listing, &c(">= 4"), "linux_amd64") {
            Choice::NoMatch { available } => assert_eq!(
                available
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
                ["3.1.0-beta1", "3.0.0", "2.1.2", "1.0.0"]
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            choose(&versions("{}"), &c(""), "linux_amd64"),
            Choice::NoMatch { available: vec![] }
        );
    }

    #[test]
    fn documents_parse_and_malformed_ones_are_errors() {
        let d: Discovery =
            serde_json::from_str(r#"{"providers.v1": "/v1/providers/", "modules.v1": "/m/"}"#)
                .unwrap();
        assert_eq!(d.providers_v1.as_deref(), Some("/v1/providers/"));
        let d: Discovery = serde_json::from_str(r#"{"modules.v1": "/m/"}"#).unwrap();
        assert_eq!(d.providers_v1, None);
        let download: Download = serde_json::from_str(
            r#"{"protocols": ["5.0"], "os": "linux", "arch": "amd64",
                "filename": "terraform-provider-null_2.1.2_linux_amd64.zip",
                "download_url": "https://example.com/null.zip",
                "shasums_url": "https://example.com/SHA256SUMS",
                "shasums_signature_url": "https://example.com/SHA256SUMS.sig",
                "shasum": "abc",
                "signing_keys": {"gpg_public_keys": [{"key_id": "34365D9472D7468F",
                   "ascii_armor": "-----BEGIN PGP PUBLIC KEY BLOCK-----"}]}}"#,
        )
        .unwrap();
        assert_eq!(download.signing_keys.gpg_public_keys.len(), 1);
        assert_eq!(
            download.signing_keys.gpg_public_keys[0].key_id.as_deref(),
            Some("34365D9472D7468F")
        );
        for bad in [
            "",
            "[]",
            "{\"filename\": 1}",
            "{\"filename\": \"x\", \"download_url\": \"u\"}",
            "{\"versions\": 3",
            "\u{0}",
        ] {
            assert!(serde_json::from_str::<Download>(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Versions>(r#"{"versions": [{"platforms": []}]}"#).is_err());
    }

    #[test]
    fn sha256sums_lines_are_found_by_file_name() {
        let a = "a".repeat(64);
        let b = "B".repeat(64);
        let doc = format!(
            "{a}  terraform-provider-null_2.1.2_linux_amd64.zip\n{b} *terraform-provider-null_2.1.2_darwin_amd64.zip\nshort  x.zip\n"
        );
        assert_eq!(
            shasum_for(&doc, "terraform-provider-null_2.1.2_linux_amd64.zip"),
            Some(a)
        );
        assert_eq!(
            shasum_for(&doc, "terraform-provider-null_2.1.2_darwin_amd64.zip"),
            Some("b".repeat(64))
        );
        assert_eq!(shasum_for(&doc, "x.zip"), None);
        assert_eq!(shasum_for(&doc, "terraform-provider-null"), None);
        assert_eq!(shasum_for("", "x"), None);
    }
}
