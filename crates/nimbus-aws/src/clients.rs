//! Provider configuration and the AWS client built from it.

use crate::error::AwsResult;
use crate::util::{opt_bool, opt_str};
use crate::wire::credentials::{
    CredentialChain, Environment, profile_setting, region_from, region_from_instance_metadata,
};
use crate::wire::sigv4::Credentials as SigningCredentials;
use crate::wire::{self, Http, Params, STS, Wire};
use nimbus_provider::ProviderError;
use nimbus_provider::nimbus_value::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Overrides the endpoint of every provider configuration (both presets),
/// so that tests can point any configuration at their emulator.
pub const ENDPOINT_ENV: &str = "NIMBUS_AWS_ENDPOINT";

/// How long one AWS call may take, its whole answer included: far longer
/// than any control-plane call needs, short enough that a hung connection
/// fails (Retryable) instead of holding the run.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(300);

/// The LocalStack preset's endpoint unless configured otherwise.
pub const LOCALSTACK_ENDPOINT: &str = "http://localhost:4566";
/// The LocalStack preset's region unless configured otherwise.
pub const LOCALSTACK_REGION: &str = "us-east-1";

/// Which flavour of the provider a `(provider NAME ...)` block asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Real AWS: the standard credential chain and endpoints.
    Aws,
    /// LocalStack (or any emulator speaking the AWS APIs): a local endpoint,
    /// the fixed credentials `test`/`test`, path-style S3 addressing.
    LocalStack,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Aws => "aws",
            Preset::LocalStack => "localstack",
        }
    }
}

/// The `(provider ...)` block, read.
#[derive(Clone, Default, PartialEq)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub s3_path_style: Option<bool>,
}

impl std::fmt::Debug for Settings {
    // The secret key and the session token are never rendered.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "(sensitive)"),
            )
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "(sensitive)"),
            )
            .field("s3_path_style", &self.s3_path_style)
            .finish()
    }
}

impl Settings {
    pub fn from_value(config: &Value) -> Result<Settings, ProviderError> {
        if config.is_null() {
            return Ok(Settings::default());
        }
        let settings = Settings {
            region: opt_str(config, "region")?.filter(|s| !s.is_empty()),
            profile: opt_str(config, "profile")?.filter(|s| !s.is_empty()),
            endpoint: opt_str(config, "endpoint")?.filter(|s| !s.is_empty()),
            access_key: opt_str(config, "access-key")?.filter(|s| !s.is_empty()),
            secret_key: opt_str(config, "secret-key")?.filter(|s| !s.is_empty()),
            session_token: opt_str(config, "token")?.filter(|s| !s.is_empty()),
            s3_path_style: opt_bool(config, "s3-use-path-style")?,
        };
        if settings.access_key.is_some() != settings.secret_key.is_some() {
            let missing = if settings.access_key.is_some() {
                "secret-key"
            } else {
                "access-key"
            };
            return Err(
                ProviderError::fatal("`access-key` and `secret-key` go together")
                    .on_attribute(missing),
            );
        }
        if let Some(endpoint) = &settings.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ProviderError::fatal(format!(
                "`endpoint` must be an http:// or https:// URL, found {endpoint:?}"
            ))
            .on_attribute("endpoint"));
        }
        if let Some(region) = &settings.region
            && !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(
                ProviderError::fatal(format!("`region` is not a region name: {region:?}"))
                    .on_attribute("region"),
            );
        }
        Ok(settings)
    }
}

/// The answer of STS GetCallerIdentity.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub account: Option<String>,
    pub arn: Option<String>,
    pub user_id: Option<String>,
}

/// Every client the provider uses, sharing one HTTP connection pool.
#[derive(Debug)]
pub struct Clients {
    /// The provider's own client: signing, credentials, the wire protocols.
    pub wire: Wire,
    pub region: String,
    /// `aws`, `aws-cn` or `aws-us-gov`, from the region.
    pub partition: String,
    /// The custom endpoint, if any.
    pub endpoint: Option<String>,
    /// Relative paths (`code-uri`, `source`) resolve against this.
    pub base_dir: PathBuf,
    /// How long Lambda creation keeps retrying while a new IAM role is not
    /// yet assumable.
    pub role_propagation_timeout: Duration,
    account_id: OnceCell<String>,
    /// What failed creates made before they failed, by [`Creation`] key.
    unfinished: Mutex<HashMap<String, String>>,
}

/// The endpoint the configuration will use, before any client exists.
pub fn effective_endpoint(preset: Preset, configured: Option<&str>) -> Option<String> {
    match std::env::var(ENDPOINT_ENV) {
        Ok(e) if !e.trim().is_empty() => Some(e.trim().to_string()),
        _ => match (configured, preset) {
            (Some(e), _) => Some(e.to_string()),
            (None, Preset::LocalStack) => Some(LOCALSTACK_ENDPOINT.to_string()),
            (None, Preset::Aws) => None,
        },
    }
}

pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

impl Clients {
    pub async fn new(
        preset: Preset,
        settings: &Settings,
        base_dir: PathBuf,
        role_propagation_timeout: Duration,
    ) -> Result<Clients, ProviderError> {
        let endpoint = effective_endpoint(preset, settings.endpoint.as_deref());
        let environment = Environment::from_process();
        let http = Http::new(Duration::from_secs(10))
            .map_err(|e| ProviderError::fatal(format!("setting up TLS for AWS calls: {e}")))?;
        let named = settings
            .region
            .clone()
            .or_else(|| (preset == Preset::LocalStack).then(|| LOCALSTACK_REGION.to_string()))
            .or_else(|| region_from(&environment, settings.profile.as_deref()));
        // On EC2 with nothing else naming one, the instance's own region,
        // as the SDKs take it.
        let region = match named {
            Some(region) => region,
            None => region_from_instance_metadata(&http, &environment)
                .await
                .map_err(|e| {
                    ProviderError::fatal(format!(
                        "no AWS region: set `(region ...)` in the provider block, AWS_REGION, \
                         or a region in your AWS profile (the instance metadata service gave none: {e})"
                    ))
                    .on_attribute("region")
                })?,
        };
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ProviderError::fatal(format!(
                "the AWS region from the environment or the profile is not a region name: {region:?}"
            ))
            .on_attribute("region"));
        }
        // Where the SDKs also look for endpoints (an emulator, a VPC
        // endpoint): `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the
        // profile's `endpoint_url`. The block's `endpoint` and
        // NIMBUS_AWS_ENDPOINT come first.
        let mut service_endpoints = BTreeMap::new();
        let ignore_configured = environment
            .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let endpoint = match endpoint {
            Some(endpoint) => Some(endpoint),
            None if ignore_configured => None,
            None => {
                for service in wire::SERVICES {
                    if let Some(url) =
                        environment.get(&format!("AWS_ENDPOINT_URL_{}", service.env_id))
                    {
                        service_endpoints.insert(service.env_id, url.to_string());
                    }
                }
                environment
                    .get("AWS_ENDPOINT_URL")
                    .map(str::to_string)
                    .or_else(|| {
                        profile_setting(&environment, settings.profile.as_deref(), "endpoint_url")
                    })
            }
        };
        for url in endpoint.iter().chain(service_endpoints.values()) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ProviderError::fatal(format!(
                    "an AWS endpoint from the environment or the profile is not an http:// or https:// URL: {url:?}"
                )));
            }
        }
        let partition = partition_of(&region);
        if endpoint.is_none() && !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return Err(ProviderError::fatal(format!(
                "region {region} is in the {partition} partition, whose endpoints this provider does not know: set `endpoint`"
            ))
            .on_attribute("region"));
        }
        let credentials = match (&settings.access_key, &settings.secret_key, preset) {
            (Some(key), Some(secret), _) => CredentialChain::fixed(SigningCredentials {
                access_key_id: key.clone(),
                secret_access_key: secret.clone(),
                session_token: settings.session_token.clone(),
            }),
            (_, _, Preset::LocalStack) => CredentialChain::fixed(SigningCredentials {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
                session_token: None,
            }),
            _ => CredentialChain::chain(settings.profile.clone(), environment),
        };
        let path_style = settings
            .s3_path_style
            .unwrap_or(preset == Preset::LocalStack || endpoint.is_some());
        let wire = Wire {
            http,
            region: region.clone(),
            endpoint: endpoint.clone(),
            service_endpoints,
            s3_path_style: path_style,
            credentials: Arc::new(credentials),
            call_timeout: CALL_TIMEOUT,
        };
        Ok(Clients {
            wire,
            partition: partition.to_string(),
            region,
            endpoint,
            base_dir,
            role_propagation_timeout,
            account_id: OnceCell::new(),
            unfinished: Mutex::default(),
        })
    }

    /// The account the credentials belong to (asked once, from STS).
    pub async fn account_id(&self) -> Result<String, ProviderError> {
        self.account_id
            .get_or_try_init(|| async {
                self.caller_identity()
                    .await?
                    .account
                    .ok_or_else(|| crate::error::missing("account id from STS GetCallerIdentity"))
            })
            .await
            .cloned()
    }

    /// Who the credentials are (STS GetCallerIdentity).
    pub async fn caller_identity(&self) -> Result<CallerIdentity, ProviderError> {
        let answer = self
            .wire
            .query(&STS, "GetCallerIdentity", Params::new())
            .await
            .aws("asking STS who we are")?;
        let field = |name: &str| answer.text_at(&["GetCallerIdentityResult", name]);
        Ok(CallerIdentity {
            account: field("Account"),
            arn: field("Arn"),
            user_id: field("UserId"),
        })
    }

    /// Starts one attempt to create the object `planned` of `type_name`;
    /// see [`Creation`].
    pub(crate) fn creation(&self, type_name: &str, planned: &Value) -> Creation<'_> {
        let key = format!("{type_name} {}", planned.to_json());
        let made = self
            .unfinished
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        Creation {
            unfinished: &self.unfinished,
            key,
            made,
        }
    }

    /// A path from the configuration, resolved against the configuration's
    /// directory.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = std::path::Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

/// One attempt to create one planned object. The engine retries a failed
/// create as a whole (each call is sent once), so an attempt can fail
/// after its create call made the object: a throttled call setting tags, a
/// read-back that timed out. The next attempt of the same create (same type,
/// same planned object) then resumes with what the failed one made, rather
/// than failing with "already exists" or making a second object.
///
/// An attempt that made its object [`Creation::record`]s it (a name, id,
/// ARN); dropped without [`Creation::finish`] (failed, or cancelled by the
/// engine's timeout), the record is kept for the next attempt.
pub(crate) struct Creation<'c> {
    unfinished: &'c Mutex<HashMap<String, String>>,
    key: String,
    made: Option<String>,
}

impl Creation<'_> {
    /// What an earlier, failed attempt of this create made, if anything:
    /// then the create call must not be sent again.
    pub fn made(&self) -> Option<&str> {
        self.made.as_deref()
    }

    /// The object exists now: `made` identifies it.
    pub fn record(&mut self, made: impl Into<String>) {
        self.made = Some(made.into());
    }

    /// The create succeeded: there is nothing to resume. Returns `state`.
    pub fn finish<T>(mut self, state: T) -> T {
        self.made = None;
        state
    }
}

impl Drop for Creation<'_> {
    fn drop(&mut self) {
        if let Some(made) = self.made.take() {
            self.unfinished
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(std::mem::take(&mut self.key), made);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_create_is_resumed_by_its_next_attempt_only() {
        let settings = Settings {
            endpoint: Some("http://127.0.0.1:9".into()),
            ..Settings::default()
        };
        let c = Clients::new(Preset::LocalStack, &settings, ".".into(), Duration::ZERO)
            .await
            .unwrap();
        let planned = Value::Map([("name".to_string(), Value::string("t"))].into());
        let other = Value::Map([("name".to_string(), Value::string("u"))].into());

        // Failed before making anything: nothing to resume.
        drop(c.creation("dynamodb-table", &planned));
        assert_eq!(c.creation("dynamodb-table", &planned).made(), None);

        // Made the table, then failed.
        let mut first = c.creation("dynamodb-table", &planned);
        first.record("t");
        drop(first);
        assert_eq!(c.creation("dynamodb-table", &other).made(), None);
        assert_eq!(c.creation("iam-role", &planned).made(), None);
        let second = c.creation("dynamodb-table", &planned);
        assert_eq!(second.made(), Some("t"));
        // An attempt running takes the record: a concurrent create of the
        // same object does not resume it too.
        assert_eq!(c.creation("dynamodb-table", &planned).made(), None);
        assert_eq!(second.finish(7), 7);
        assert_eq!(c.creation("dynamodb-table", &planned).made(), None);
    }
}
