//! Installing Terraform provider plugins from a provider registry.
//!
//! A registry speaks the Terraform/OpenTofu *provider registry protocol*
//! ([`protocol`]): service discovery at
//! `https://HOST/.well-known/terraform.json` names the providers API
//! (`providers.v1`); `{base}{namespace}/{type}/versions` lists the versions
//! and their platforms; `{base}{namespace}/{type}/{version}/download/{os}/{arch}`
//! says where the zip archive, its `SHA256SUMS` document and that
//! document's detached OpenPGP signature are, and which keys sign it.
//!
//! [`Registry::install`] chooses the newest version a constraint allows
//! that is built for this platform, downloads the archive, checks its
//! SHA-256 against the download metadata *and* against its line in
//! `SHA256SUMS`, checks the signature of `SHA256SUMS` against the
//! published keys when keys are published, and only then unpacks it into
//! the [`cache`] shared between projects (Terraform's unpacked mirror
//! layout, so [`nimbus_plugin::mirror`] reads it; written through a
//! temporary directory and a rename, so concurrent installs never see a
//! half-written provider). A version already in the cache is not
//! downloaded again.
//!
//! Hosts are reached over HTTPS (rustls with ring and the webpki roots);
//! plain HTTP only to loopback hosts with a port (`127.0.0.1:8080`), which
//! is how tests serve a registry ([`http`]). Every request has a timeout
//! and a size cap; no answer, however malformed, panics.
//!
//! The signature check ([`verify`]) reads OpenPGP itself, just what a
//! detached signature of `SHA256SUMS` needs (ASCII armor, packets, version
//! 4 keys and signatures), and leaves the cryptography to ring, which the
//! TLS stack already brings. It accepts RSA (2048 to 8192 bits), ECDSA over
//! NIST P-256 and P-384 (with SHA-256 or SHA-384), and Ed25519 (OpenPGP's
//! legacy EdDSA and RFC 9580's Ed25519), with SHA-256, SHA-384 or SHA-512;
//! it refuses SHA-1 as too weak and names the algorithm of a signature it
//! cannot check (DSA, other curves, version 6). A signature verifies if it
//! verifies under a primary key or subkey of any published key.
//!
//! Build cost: a general OpenPGP library (rPGP, the `pgp` crate) did this
//! before, and brought 84 crates into the lock file (every cipher, mode and
//! curve OpenPGP names, `derive_builder`, `nom`) for a check that only
//! verifies. What this crate still adds of its own is `zip` (deflate
//! through flate2, already built) and three small crates; hyper,
//! hyper-util, hyper-rustls, rustls, ring and webpki-roots were already
//! built for the AWS provider. The command line carries it only with its
//! `registry` feature (on by default), so `--no-default-features` builds
//! skip all of it.

pub mod cache;
pub mod http;
mod openpgp;
pub mod protocol;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod verify;

use nimbus_plugin::{ProviderSource, Version, VersionConstraint};
use protocol::{Choice, Discovery, Download, Versions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The environment variable naming the provider cache directory.
pub use nimbus_plugin::lock::CACHE_ENV;

/// The most a JSON document or `SHA256SUMS` may weigh.
const DOCUMENT_LIMIT: usize = 4 << 20;
/// The most a provider archive may weigh.
const ARCHIVE_LIMIT: usize = 1 << 30;

/// What can go wrong installing from a registry. Each message names the
/// provider or the URL it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot fetch {url}: {reason}")]
    Url { url: String, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("{url} answered more than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{host} is not a provider registry: {reason}")]
    NotARegistry { host: String, reason: String },
    #[error("{url} answered HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url} answered a malformed document: {reason}")]
    Malformed { url: String, reason: String },
    #[error("provider {provider} is not in the registry at {host} (HTTP 404 from {url})")]
    NotFound {
        provider: String,
        host: String,
        url: String,
    },
    #[error(
        "no version of {provider} matches {constraint} in its registry (available: {available})"
    )]
    NoMatchingVersion {
        provider: String,
        constraint: String,
        available: String,
    },
    #[error("{provider} {version} has no build for {platform} (it is built for: {platforms})")]
    NoPlatform {
        provider: String,
        version: String,
        platform: String,
        platforms: String,
    },
    #[error("{provider}: checksum mismatch, nothing installed: {detail}")]
    Checksum { provider: String, detail: String },
    #[error("{provider}: bad signature, nothing installed: {reason}")]
    Signature { provider: String, reason: String },
    #[error("{provider}: the archive is refused, nothing installed: {reason}")]
    Archive { provider: String, reason: String },
    #[error("cannot write the provider cache at {}: {reason}", path.display())]
    Cache { path: PathBuf, reason: String },
}

/// Timeouts and the platform to install for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Each connection.
    pub connect_timeout: Duration,
    /// Each JSON document, `SHA256SUMS` and its signature, whole.
    pub timeout: Duration,
    /// Each archive, whole.
    pub download_timeout: Duration,
    /// Terraform's name of the platform, `linux_amd64`.
    pub platform: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            download_timeout: Duration::from_secs(600),
            platform: nimbus_plugin::current_platform(),
        }
    }
}

/// One version of a provider in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub version: Version,
    /// `CACHE/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH`.
    pub dir: PathBuf,
    /// False when the cache already held it.
    pub downloaded: bool,
}

/// A registry client (any number of hosts; discovery answers are kept).
pub struct Registry {
    http: http::Http,
    options: Options,
    discovered: Mutex<HashMap<String, String>>,
}

impl Registry {
    pub fn new(options: Options) -> Result<Registry, RegistryError> {
        Ok(Registry {
            http: http::Http::new(options.connect_timeout)?,
            options,
            discovered: Mutex::new(HashMap::new()),
        })
    }

    /// The platform this client installs for.
    pub fn platform(&self) -> &str {
        &self.options.platform
    }

    async fn document<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<(u16, Option<T>, String), RegistryError> {
        let response = self
            .http
            .get(url, DOCUMENT_LIMIT, self.options.timeout)
            .await?;
        if response.status != 200 {
            return Ok((response.status, None, response.url));
        }
        let parsed =
            serde_json::from_slice(&response.body).map_err(|e| RegistryError::Malformed {
                url: response.url.clone(),
                reason: e.to_string(),
            })?;
        Ok((200, Some(parsed), response.url))
    }

    /// The providers API base URL of `host`, by service discovery.
    pub async fn providers_base(&self, host: &str) -> Result<String, RegistryError> {
        if let Some(base) = self.lock_discovered().get(host) {
            return Ok(base.clone());
        }
        let url = format!("{}.well-known/terraform.json", http::host_base(host));
        let (status, discovery, answered) = self.document::<Discovery>(&url).await?;
        let not_registry = |reason: String| RegistryError::NotARegistry {
            host: host.to_string(),
            reason,
        };
        let Some(discovery) = discovery else {
            return Err(not_registry(format!(
                "service discovery at {url} answered HTTP status {status}"
            )));
        };
        let Some(providers) = discovery.providers_v1 else {
            return Err(not_registry(format!(
                "service discovery at {url} offers no providers.v1"
            )));
        };
        let mut base = http::join(&answered, &providers);
        if !base.ends_with('/') {
            base.push('/');
        }
        http::parse_url(&base)?;
        self.lock_discovered()
            .insert(host.to_string(), base.clone());
        Ok(base)
    }

    fn lock_discovered(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.discovered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The newest version of `source` that `constraint` allows and that is
    /// built for this platform.
    pub async fn choose(
        &self,
        source: &ProviderSource,
        constraint: &VersionConstraint,
    ) -> Result<Version, RegistryError> {
        let base = self.providers_base(&source.host).await?;
        let url = format!("{base}{}/{}/versions", source.namespace, source.type_name);
        let (status, versions, answered) = self.document::<Versions>(&url).await?;
        let versions = match (status, versions) {
            (_, Some(v)) => v,
            (404, None) => {
                return Err(RegistryError::NotFound {
                    provider: source.to_string(),
                    host: source.host.clone(),
                    url: answered,
                });
            }
            (status, None) => {
                return Err(RegistryError::Status {
                    url: answered,
                    status,
                });
            }
        };
        match protocol::choose(&versions, constraint, &self.options.platform) {
            Choice::Chosen(version) => Ok(version),
            Choice::NoMatch { available } => Err(RegistryError::NoMatchingVersion {
                provider: source.to_string(),
                constraint: constraint.to_string(),
                available: if available.is_empty() {
                    "none".to_string()
                } else {
                    available
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            }),
            Choice::NoPlatform { version, platforms } => Err(RegistryError::NoPlatform {
                provider: source.to_string(),
                version: version.to_string(),
                platform: self.options.platform.clone(),
                platforms: if platforms.is_empty() {
                    "nothing".to_string()
                } else {
                    platforms.join(", ")
                },
            }),
        }
    }

    /// Chooses a version (as [`Registry::choose`]) and makes sure it is in
    /// `cache`, downloading and verifying it when it is not.
    pub async fn install(
        &self,
        source: &ProviderSource,
        constraint: &VersionConstraint,
        cache: &Path,
    ) -> Result<Installed, RegistryError> {
        let version = self.choose(source, constraint).await?;
        self.install_version(source, &version, cache).await
    }

    /// Makes sure `version` of `source` is in `cache`, downloading and
    /// verifying it when it is not.
    pub async fn install_version(
        &self,
        source: &ProviderSource,
        version: &Version,
        cache: &Path,
    ) -> Result<Installed, RegistryError> {
        let platform = &self.options.platform;
        let dir = cache::version_dir(cache, source, version, platform);
        if cache::has_binary(&dir, &source.type_name) {
            return Ok(Installed {
                version: version.clone(),
                dir,
                downloaded: false,
            });
        }
        let archive = self.download(source, version).await?;
        let dir = cache::install_archive(cache, source, version, platform, &archive)?;
        Ok(Installed {
            version: version.clone(),
            dir,
            downloaded: true,
        })
    }

    /// The verified archive of `version` for this platform.
    async fn download(
        &self,
        source: &ProviderSource,
        version: &Version,
    ) -> Result<Vec<u8>, RegistryError> {
        let provider = format!("{source} {version}");
        let base = self.providers_base(&source.host).await?;
        let (os, arch) = self
            .options
            .platform
            .split_once('_')
            .unwrap_or((self.options.platform.as_str(), ""));
        let url = format!(
            "{base}{}/{}/{version}/download/{os}/{arch}",
            source.namespace, source.type_name
        );
        let (status, meta, answered) = self.document::<Download>(&url).await?;
        let meta = match (status, meta) {
            (_, Some(m)) => m,
            (404, None) => {
                return Err(RegistryError::NoPlatform {
                    provider: source.to_string(),
                    version: version.to_string(),
                    platform: self.options.platform.clone(),
                    platforms: format!("unknown; {answered} answered HTTP 404"),
                });
            }
            (status, None) => {
                return Err(RegistryError::Status {
                    url: answered,
                    status,
                });
            }
        };
        let expected = meta.shasum.trim().to_ascii_lowercase();
        if expected.len() != 64 || !expected.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(RegistryError::Malformed {
                url: answered,
                reason: format!("shasum {:?} is not a SHA-256 in hex", meta.shasum),
            });
        }
        if meta.filename.is_empty() || meta.filename.contains(['/', '\\']) {
            return Err(RegistryError::Malformed {
                url: answered,
                reason: format!("filename {:?} is not a file name", meta.filename),
            });
        }

        // SHA256SUMS and its signature first: they are small.
        let sums_url = http::join(&answered, &meta.shasums_url);
        let sums = self
            .fetch(&sums_url, DOCUMENT_LIMIT, self.options.timeout)
            .await?;
        let keys: Vec<String> = meta
            .signing_keys
            .gpg_public_keys
            .iter()
            .map(|k| k.ascii_armor.clone())
            .collect();
        if !keys.is_empty() {
            let Some(signature_url) = meta.shasums_signature_url.as_deref() else {
                return Err(RegistryError::Signature {
                    provider,
                    reason: "signing keys are published but no shasums_signature_url".to_string(),
                });
            };
            let signature_url = http::join(&answered, signature_url);
            let signature = self
                .fetch(&signature_url, DOCUMENT_LIMIT, self.options.timeout)
                .await?;
            verify::check_signature(&sums, &signature, &keys).map_err(|reason| {
                RegistryError::Signature {
                    provider: provider.clone(),
                    reason,
                }
            })?;
        }
        let listed = protocol::shasum_for(&String::from_utf8_lossy(&sums), &meta.filename)
            .ok_or_else(|| RegistryError::Checksum {
                provider: provider.clone(),
                detail: format!("SHA256SUMS ({sums_url}) has no line for {}", meta.filename),
            })?;
        if listed != expected {
            return Err(RegistryError::Checksum {
                provider,
                detail: format!(
                    "the registry says {expected} but SHA256SUMS says {listed} for {}",
                    meta.filename
                ),
            });
        }

        let archive_url = http::join(&answered, &meta.download_url);
        let archive = self
            .fetch(&archive_url, ARCHIVE_LIMIT, self.options.download_timeout)
            .await?;
        let found = verify::sha256_hex(&archive);
        if found != expected {
            return Err(RegistryError::Checksum {
                provider,
                detail: format!(
                    "{} from {archive_url} has SHA-256 {found}, expected {expected}",
                    meta.filename
                ),
            });
        }
        Ok(archive)
    }

    /// A body that must come with status 200.
    async fn fetch(
        &self,
        url: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, RegistryError> {
        let response = self.http.get(url, limit, timeout).await?;
        if response.status != 200 {
            return Err(RegistryError::Status {
                url: response.url,
                status: response.status,
            });
        }
        Ok(response.body.to_vec())
    }
}
