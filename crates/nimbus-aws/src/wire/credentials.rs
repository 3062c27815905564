//! Where the signing credentials come from, in the order the AWS CLI and
//! SDKs look (the provider block's `profile` first when it names one):
//!
//! 1. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
//! 2. `AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN` (EKS, CI OIDC);
//! 3. the profile (`AWS_PROFILE` or `default`) in `~/.aws/config` and
//!    `~/.aws/credentials`: keys, `credential_process`, `role_arn` with
//!    `source_profile`, `credential_source` or `web_identity_token_file`,
//!    or IAM Identity Center (SSO) with the token `aws sso login` cached;
//! 4. the container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
//!    `_FULL_URI`, ECS and EKS Pod Identity);
//! 5. the instance metadata service (IMDSv2), unless
//!    `AWS_EC2_METADATA_DISABLED=true`.
//!
//! Temporary credentials are cached until five minutes before they expire.

use super::sigv4::Credentials;
use super::{CallError, Http, STS, Wire, query_call, xml_answer};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);
/// How long a failure is answered from the cache: calls waiting on the
/// same resolution get its answer instead of each probing the endpoints
/// again, one after another; a later call looks again (a metadata endpoint
/// that timed out may answer, `aws sso login` may have been run).
const FAILURE_KEPT: Duration = Duration::from_secs(1);
/// How long the metadata services get to answer: off EC2 and ECS they
/// are not there, and waiting longer would only slow a failure down.
const METADATA_TIMEOUT: Duration = Duration::from_secs(2);
/// The SSO portal is a service across the internet, not a local endpoint.
const SSO_TIMEOUT: Duration = Duration::from_secs(10);
const IMDS_ENDPOINT: &str = "http://169.254.169.254";
const CONTAINER_HOST: &str = "http://169.254.170.2";

/// Why no credentials could be had; `retryable` when asking again may
/// succeed (STS or a metadata endpoint throttled, failing or slow).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CredentialError {
    pub message: String,
    pub retryable: bool,
}

fn err(text: impl Into<String>) -> CredentialError {
    CredentialError {
        message: text.into(),
        retryable: false,
    }
}

/// The process environment as the chain reads it (a snapshot, so that
/// tests give their own).
#[derive(Clone, Default)]
pub struct Environment {
    pub vars: HashMap<String, String>,
    pub home: Option<PathBuf>,
}

impl std::fmt::Debug for Environment {
    // Names only: the values hold secret keys and tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("Environment")
            .field("vars", &names)
            .field("home", &self.home)
            .finish()
    }
}

impl Environment {
    pub fn from_process() -> Environment {
        let vars: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("AWS_") || k == "HOME" || k == "USERPROFILE")
            .collect();
        let home = vars
            .get("HOME")
            .or_else(|| vars.get("USERPROFILE"))
            .map(PathBuf::from);
        Environment { vars, home }
    }

    /// A variable, trimmed; unset when empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn file(&self, variable: &str, default: &str) -> Option<PathBuf> {
        match self.get(variable) {
            Some(path) => Some(expand_home(path, self.home.as_deref())),
            None => self.home.as_ref().map(|h| h.join(".aws").join(default)),
        }
    }
}

fn expand_home(path: &str, home: Option<&std::path::Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// A profile's settings, the config file's overlaid by the credentials
/// file's.
type Profile = BTreeMap<String, String>;

/// Reads an AWS config or credentials file: `[name]` or `[profile name]`
/// sections of `key = value` lines. Indented lines (a nested section such
/// as `s3 =`) and comments are skipped.
pub fn parse_profiles(text: &str, config_file: bool) -> HashMap<String, Profile> {
    parse_sections(text, |section| {
        if !config_file {
            return Some(section.to_string());
        }
        match section.strip_prefix("profile") {
            Some(name) if name.starts_with([' ', '\t']) => Some(name.trim().to_string()),
            _ if section == "default" => Some("default".into()),
            // `[sso-session x]`, `[services x]`: not profiles.
            _ => None,
        }
    })
}

/// The `[sso-session name]` sections of an AWS config file.
fn parse_sso_sessions(text: &str) -> HashMap<String, Profile> {
    parse_sections(text, |section| match section.strip_prefix("sso-session") {
        Some(name) if name.starts_with([' ', '\t']) => Some(name.trim().to_string()),
        _ => None,
    })
}

/// The sections of an INI-style AWS file that `name_of` names (it maps a
/// section's header to its name, or to `None` to skip it).
fn parse_sections(
    text: &str,
    name_of: impl Fn(&str) -> Option<String>,
) -> HashMap<String, Profile> {
    let mut sections: HashMap<String, Profile> = HashMap::new();
    let mut current: Option<String> = None;
    for raw in text.lines() {
        if raw.starts_with([' ', '\t']) {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            current = name_of(section.split(']').next().unwrap_or_default().trim());
            if let Some(name) = &current {
                sections.entry(name.clone()).or_default();
            }
            continue;
        }
        let (Some(name), Some((key, value))) = (&current, line.split_once('=')) else {
            continue;
        };
        // `value # comment` and `value ; comment`: the comment goes.
        let value = value.trim();
        let value = match value.find([' ', '\t']).and_then(|at| {
            let rest = value[at..].trim_start();
            (rest.starts_with('#') || rest.starts_with(';')).then_some(at)
        }) {
            Some(at) => &value[..at],
            None => value,
        };
        sections
            .entry(name.clone())
            .or_default()
            .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    sections
}

/// Both files read: profile name to settings.
fn load_profiles(env: &Environment) -> HashMap<String, Profile> {
    let mut profiles = HashMap::new();
    let read = |path: Option<PathBuf>| path.and_then(|p| std::fs::read_to_string(p).ok());
    if let Some(text) = read(env.file("AWS_CONFIG_FILE", "config")) {
        profiles = parse_profiles(&text, true);
    }
    if let Some(text) = read(env.file("AWS_SHARED_CREDENTIALS_FILE", "credentials")) {
        for (name, settings) in parse_profiles(&text, false) {
            profiles.entry(name).or_default().extend(settings);
        }
    }
    profiles
}

/// The region the environment or the profile names, for a provider block
/// that does not.
pub fn region_from(env: &Environment, profile: Option<&str>) -> Option<String> {
    if let Some(region) = env
        .get("AWS_REGION")
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
    {
        return Some(region.to_string());
    }
    profile_setting(env, profile, "region")
}

/// A setting of the profile in use (`profile`, else `AWS_PROFILE`, else
/// `default`).
pub fn profile_setting(env: &Environment, profile: Option<&str>, key: &str) -> Option<String> {
    let name = profile
        .or_else(|| env.get("AWS_PROFILE"))
        .unwrap_or("default");
    load_profiles(env)
        .get(name)
        .and_then(|p| p.get(key))
        .cloned()
}

#[derive(Debug, Clone)]
struct Fetched {
    credentials: Credentials,
    expires: Option<SystemTime>,
}

#[derive(Debug)]
enum Source {
    Fixed(Credentials),
    Chain {
        profile: Option<String>,
        env: Environment,
    },
}

/// The provider's credentials: fixed ones, or the chain above, cached.
#[derive(Debug)]
pub struct CredentialChain {
    source: Source,
    cache: tokio::sync::Mutex<Cached>,
}

/// What the chain last found. A failure is kept too, briefly: without it,
/// every call queued behind a resolution that found nothing would resolve
/// again (up to seconds each while the metadata endpoints time out).
#[derive(Debug, Default)]
struct Cached {
    fetched: Option<Fetched>,
    failure: Option<(std::time::Instant, CredentialError)>,
}

impl CredentialChain {
    pub fn fixed(credentials: Credentials) -> CredentialChain {
        CredentialChain {
            source: Source::Fixed(credentials),
            cache: tokio::sync::Mutex::default(),
        }
    }

    pub fn chain(profile: Option<String>, env: Environment) -> CredentialChain {
        CredentialChain {
            source: Source::Chain { profile, env },
            cache: tokio::sync::Mutex::default(),
        }
    }

    /// Credentials good for at least a few more minutes.
    pub async fn get(&self, wire: &Wire) -> Result<Credentials, CredentialError> {
        let (profile, env) = match &self.source {
            Source::Fixed(credentials) => return Ok(credentials.clone()),
            Source::Chain { profile, env } => (profile, env),
        };
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(fetched) = cache.fetched.as_ref()
            && fetched.expires.is_none_or(|at| at > now + REFRESH_BEFORE)
        {
            return Ok(fetched.credentials.clone());
        }
        if let Some((at, failure)) = &cache.failure
            && at.elapsed() < FAILURE_KEPT
        {
            return Err(failure.clone());
        }
        match resolve(wire, profile.as_deref(), env).await {
            Ok(fetched) => {
                cache.fetched = Some(fetched.clone());
                cache.failure = None;
                Ok(fetched.credentials)
            }
            // A refresh ahead of time that failed: what is cached is
            // still good for a few minutes.
            Err(e) => match cache.fetched.as_ref() {
                Some(fetched) if fetched.expires.is_some_and(|at| at > now) => {
                    Ok(fetched.credentials.clone())
                }
                _ => {
                    cache.failure = Some((std::time::Instant::now(), e.clone()));
                    Err(e)
                }
            },
        }
    }

    /// Drops cached credentials that AWS refused as expired.
    pub async fn forget(&self) {
        self.cache.lock().await.fetched = None;
    }
}

fn from_environment(env: &Environment) -> Option<Fetched> {
    let key = env.get("AWS_ACCESS_KEY_ID")?;
    let secret = env.get("AWS_SECRET_ACCESS_KEY")?;
    Some(Fetched {
        credentials: Credentials {
            access_key_id: key.to_string(),
            secret_access_key: secret.to_string(),
            session_token: env.get("AWS_SESSION_TOKEN").map(str::to_string),
        },
        expires: None,
    })
}

async fn resolve(
    wire: &Wire,
    profile: Option<&str>,
    env: &Environment,
) -> Result<Fetched, CredentialError> {
    if let Some(name) = profile {
        let profiles = load_profiles(env);
        if !profiles.contains_key(name) {
            return Err(err(format!(
                "profile {name:?} is not in the AWS config or credentials file"
            )));
        }
        if let Some(fetched) = from_profile(wire, env, &profiles, name, &mut Vec::new()).await? {
            return Ok(fetched);
        }
        // A profile with settings but no credentials of its own (a region
        // on a CI runner): the machine's credentials, as the AWS CLI does.
        return from_machine(wire, env).await;
    }
    if let Some(fetched) = from_environment(env) {
        return Ok(fetched);
    }
    if let (Some(token_file), Some(role)) = (
        env.get("AWS_WEB_IDENTITY_TOKEN_FILE"),
        env.get("AWS_ROLE_ARN"),
    ) {
        return assume_role_with_web_identity(
            wire,
            role,
            &expand_home(token_file, env.home.as_deref()),
            env.get("AWS_ROLE_SESSION_NAME"),
        )
        .await;
    }
    let name = env.get("AWS_PROFILE").unwrap_or("default");
    let profiles = load_profiles(env);
    if let Some(fetched) = from_profile(wire, env, &profiles, name, &mut Vec::new()).await? {
        return Ok(fetched);
    }
    if env.get("AWS_PROFILE").is_some() && !profiles.contains_key(name) {
        return Err(err(format!(
            "AWS_PROFILE names {name:?}, which is not in the AWS config or credentials file"
        )));
    }
    from_machine(wire, env).await
}

/// The credentials of the machine the run is on: its container's, else
/// its EC2 instance's.
async fn from_machine(wire: &Wire, env: &Environment) -> Result<Fetched, CredentialError> {
    if let Some(fetched) = from_container(wire, env).await? {
        return Ok(fetched);
    }
    let instance = if instance_metadata_disabled(env) {
        "the instance metadata service is off (AWS_EC2_METADATA_DISABLED)".to_string()
    } else {
        match from_instance_metadata(wire, env).await {
            Ok(fetched) => return Ok(fetched),
            Err(e) => format!("not on EC2 with a role ({e})"),
        }
    };
    Err(err(format!(
        "none found: set `access-key` and `secret-key` in the provider block, \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials; {instance}"
    )))
}

/// The credentials of profile `name`, or `None` when it has none of its
/// own kind. `visiting` holds the profiles above it in a `source_profile`
/// chain, to refuse a cycle.
async fn from_profile(
    wire: &Wire,
    env: &Environment,
    profiles: &HashMap<String, Profile>,
    name: &str,
    visiting: &mut Vec<String>,
) -> Result<Option<Fetched>, CredentialError> {
    let Some(profile) = profiles.get(name) else {
        return Ok(None);
    };
    let static_keys = || {
        Some(Fetched {
            credentials: Credentials {
                access_key_id: profile.get("aws_access_key_id")?.clone(),
                secret_access_key: profile.get("aws_secret_access_key")?.clone(),
                session_token: profile.get("aws_session_token").cloned(),
            },
            expires: None,
        })
    };
    if let Some(role) = profile.get("role_arn") {
        let source = if let Some(source_name) = profile.get("source_profile") {
            if source_name == name {
                static_keys().ok_or_else(|| {
                    err(format!(
                        "profile {name:?} is its own source_profile but has no keys"
                    ))
                })?
            } else {
                if visiting.iter().any(|v| v == source_name) {
                    return Err(err(format!(
                        "profile {name:?}: source_profile {source_name:?} leads back to itself"
                    )));
                }
                visiting.push(name.to_string());
                let source =
                    Box::pin(from_profile(wire, env, profiles, source_name, visiting)).await?;
                visiting.pop();
                source.ok_or_else(|| {
                    err(format!(
                        "profile {name:?}: source_profile {source_name:?} has no credentials"
                    ))
                })?
            }
        } else if let Some(source) = profile.get("credential_source") {
            match source.as_str() {
                "Environment" => from_environment(env).ok_or_else(|| {
                    err(format!(
                        "profile {name:?}: credential_source Environment, but AWS_ACCESS_KEY_ID is not set"
                    ))
                })?,
                "Ec2InstanceMetadata" => from_instance_metadata(wire, env).await?,
                "EcsContainer" => from_container(wire, env).await?.ok_or_else(|| {
                    err(format!(
                        "profile {name:?}: credential_source EcsContainer, but no container endpoint is set"
                    ))
                })?,
                other => {
                    return Err(err(format!(
                        "profile {name:?}: unknown credential_source {other:?} \
                         (Environment, Ec2InstanceMetadata or EcsContainer)"
                    )));
                }
            }
        } else if let Some(token_file) = profile.get("web_identity_token_file") {
            return assume_role_with_web_identity(
                wire,
                role,
                &expand_home(token_file, env.home.as_deref()),
                profile.get("role_session_name").map(String::as_str),
            )
            .await
            .map(Some);
        } else {
            return Err(err(format!(
                "profile {name:?} has role_arn but no source_profile, credential_source or web_identity_token_file"
            )));
        };
        return assume_role(wire, &source.credentials, role, profile)
            .await
            .map(Some);
    }
    if let Some(fetched) = static_keys() {
        return Ok(Some(fetched));
    }
    if let Some(command) = profile.get("credential_process") {
        return credential_process(command).await.map(Some);
    }
    if profile.contains_key("sso_session") || profile.contains_key("sso_start_url") {
        return from_sso(&wire.http, env, name, profile).await.map(Some);
    }
    Ok(None)
}

/// A profile that signs in with IAM Identity Center (SSO): the role's
/// credentials from the SSO portal, with the access token `aws sso login`
/// left in `~/.aws/sso/cache`. An expired sign-in is not renewed here:
/// the error says to sign in again, as the SDKs do without a refresh
/// token.
async fn from_sso(
    http: &Http,
    env: &Environment,
    name: &str,
    profile: &Profile,
) -> Result<Fetched, CredentialError> {
    let setting = |key: &str| {
        profile.get(key).cloned().ok_or_else(|| {
            err(format!(
                "profile {name:?} signs in with SSO but has no {key}"
            ))
        })
    };
    let (account, role) = (setting("sso_account_id")?, setting("sso_role_name")?);
    // With an `sso_session`, the token is cached under the session's name
    // and the region is the session's; the older form keeps both in the
    // profile and caches under the start URL.
    let (region, cache_key) = match profile.get("sso_session") {
        Some(session_name) => {
            let sessions = env
                .file("AWS_CONFIG_FILE", "config")
                .and_then(|path| std::fs::read_to_string(path).ok())
                .map(|text| parse_sso_sessions(&text))
                .unwrap_or_default();
            let session = sessions.get(session_name).ok_or_else(|| {
                err(format!(
                    "profile {name:?}: sso_session {session_name:?} has no [sso-session {session_name}] section in the AWS config file"
                ))
            })?;
            let region = session
                .get("sso_region")
                .cloned()
                .ok_or_else(|| err(format!("sso-session {session_name:?} has no sso_region")))?;
            (region, session_name.clone())
        }
        None => (setting("sso_region")?, setting("sso_start_url")?),
    };
    let login = format!("run `aws sso login --profile {name}`");
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        cache_key.as_bytes(),
    );
    let cached = env
        .home
        .as_ref()
        .map(|home| {
            home.join(".aws/sso/cache")
                .join(format!("{}.json", hex::encode(digest.as_ref())))
        })
        .and_then(|path| std::fs::read_to_string(path).ok())
        .ok_or_else(|| err(format!("profile {name:?}: not signed in to SSO; {login}")))?;
    let cached: Json = serde_json::from_str(&cached).map_err(|e| {
        err(format!(
            "profile {name:?}: the cached SSO sign-in is not JSON ({e}); {login}"
        ))
    })?;
    let token = cached
        .get("accessToken")
        .and_then(Json::as_str)
        .ok_or_else(|| {
            err(format!(
                "profile {name:?}: the cached SSO sign-in has no token; {login}"
            ))
        })?;
    let expired = cached
        .get("expiresAt")
        .and_then(Json::as_str)
        // Version 1 of the AWS CLI wrote `2026-01-01T00:00:00UTC`.
        .and_then(|at| match at.strip_suffix("UTC") {
            Some(time) => parse_time(&format!("{time}Z")),
            None => parse_time(at),
        })
        .is_none_or(|at| at <= SystemTime::now());
    if expired {
        return Err(err(format!(
            "profile {name:?}: the SSO sign-in has expired; {login}"
        )));
    }
    let portal = match env.get("AWS_ENDPOINT_URL_SSO") {
        Some(url) => url.trim_end_matches('/').to_string(),
        None if region.starts_with("cn-") => {
            format!("https://portal.sso.{region}.amazonaws.com.cn")
        }
        None => format!("https://portal.sso.{region}.amazonaws.com"),
    };
    let url = format!(
        "{portal}/federation/credentials?account_id={}&role_name={}",
        super::sigv4::uri_encode(&account, false),
        super::sigv4::uri_encode(&role, false)
    );
    let (status, body) = http_call(
        http,
        "GET",
        &url,
        &[("x-amz-sso_bearer_token", token.to_string())],
        SSO_TIMEOUT,
    )
    .await?;
    match status {
        200 => {}
        401 | 403 => {
            return Err(err(format!(
                "profile {name:?}: SSO refused the sign-in for role {role} in account {account} (HTTP {status}); {login}"
            )));
        }
        _ => {
            return Err(CredentialError {
                message: format!("the SSO portal answered HTTP {status}"),
                retryable: status == 429 || status >= 500,
            });
        }
    }
    let answer: Json = serde_json::from_str(&body)
        .map_err(|e| err(format!("the SSO portal answered no JSON: {e}")))?;
    let c = answer
        .get("roleCredentials")
        .ok_or_else(|| err("the SSO portal answered without roleCredentials"))?;
    let field = |key: &str| c.get(key).and_then(Json::as_str).map(str::to_string);
    let (Some(access_key_id), Some(secret_access_key)) =
        (field("accessKeyId"), field("secretAccessKey"))
    else {
        return Err(err("the SSO portal answered without keys"));
    };
    Ok(Fetched {
        credentials: Credentials {
            access_key_id,
            secret_access_key,
            session_token: field("sessionToken"),
        },
        // Milliseconds since the epoch.
        expires: c
            .get("expiration")
            .and_then(Json::as_u64)
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)),
    })
}

/// Credentials in the shape STS, the container endpoint, the instance
/// metadata service and `credential_process` all answer with.
fn credentials_from_json(json: &Json, from: &str) -> Result<Fetched, CredentialError> {
    let field = |name: &str| json.get(name).and_then(Json::as_str).map(str::to_string);
    let (Some(access_key_id), Some(secret_access_key)) =
        (field("AccessKeyId"), field("SecretAccessKey"))
    else {
        return Err(err(format!(
            "{from} answered without AccessKeyId and SecretAccessKey"
        )));
    };
    Ok(Fetched {
        credentials: Credentials {
            access_key_id,
            secret_access_key,
            session_token: field("SessionToken").or_else(|| field("Token")),
        },
        expires: match field("Expiration") {
            None => None,
            Some(at) => Some(parse_time(&at).ok_or_else(|| {
                err(format!(
                    "{from} answered an Expiration that is not a time: {at:?}"
                ))
            })?),
        },
    })
}

fn parse_time(text: &str) -> Option<SystemTime> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let seconds = u64::try_from(at.unix_timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

async fn credential_process(command: &str) -> Result<Fetched, CredentialError> {
    let mut process = if cfg!(windows) {
        let mut c = tokio::process::Command::new("cmd");
        c.arg("/C").arg(command);
        c
    } else {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(command);
        c
    };
    process
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    let output = tokio::time::timeout(Duration::from_secs(60), process.output())
        .await
        .map_err(|_| err("credential_process did not finish within 60 seconds"))?
        .map_err(|e| err(format!("credential_process could not be started: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        return Err(err(format!(
            "credential_process failed ({}): {first}",
            output.status
        )));
    }
    let json: Json = serde_json::from_slice(&output.stdout)
        .map_err(|e| err(format!("credential_process printed no JSON document: {e}")))?;
    if json.get("Version").and_then(Json::as_i64) != Some(1) {
        return Err(err(
            "credential_process printed a document without \"Version\": 1",
        ));
    }
    credentials_from_json(&json, "credential_process")
}

fn call_failed(what: &str, e: CallError) -> CredentialError {
    let retryable = match &e {
        CallError::Timeout | CallError::Malformed { .. } => true,
        CallError::Unreachable { retryable, .. } => *retryable,
        CallError::Service { status, code, .. } => {
            *status >= 500
                || *status == 429
                || code.as_deref().is_some_and(|c| c.contains("Throttl"))
        }
        CallError::Credentials { retryable, .. } => *retryable,
    };
    CredentialError {
        message: format!("{what}: {e}"),
        retryable,
    }
}

async fn assume_role(
    wire: &Wire,
    source: &Credentials,
    role: &str,
    profile: &Profile,
) -> Result<Fetched, CredentialError> {
    let mut params = vec![
        ("RoleArn".to_string(), role.to_string()),
        (
            "RoleSessionName".to_string(),
            profile
                .get("role_session_name")
                .cloned()
                .unwrap_or_else(session_name),
        ),
    ];
    if let Some(id) = profile.get("external_id") {
        params.push(("ExternalId".into(), id.clone()));
    }
    if let Some(seconds) = profile.get("duration_seconds") {
        params.push(("DurationSeconds".into(), seconds.clone()));
    }
    let call = query_call(&STS, "AssumeRole", &params);
    let what = format!("assuming role {role}");
    let response = wire
        .send_with(&STS, call, Some(source))
        .await
        .map_err(|e| call_failed(&what, e))?;
    let root = xml_answer(&response).map_err(|e| call_failed(&what, e))?;
    sts_credentials(&root, "AssumeRoleResult", &what)
}

async fn assume_role_with_web_identity(
    wire: &Wire,
    role: &str,
    token_file: &std::path::Path,
    session: Option<&str>,
) -> Result<Fetched, CredentialError> {
    let token = std::fs::read_to_string(token_file).map_err(|e| {
        err(format!(
            "reading the web identity token {}: {e}",
            token_file.display()
        ))
    })?;
    let params = vec![
        ("RoleArn".to_string(), role.to_string()),
        (
            "RoleSessionName".to_string(),
            session.map(str::to_string).unwrap_or_else(session_name),
        ),
        ("WebIdentityToken".to_string(), token.trim().to_string()),
    ];
    let what = format!("assuming role {role} with a web identity");
    // This call is signed by the token, not by credentials.
    let response = wire
        .send_with(
            &STS,
            query_call(&STS, "AssumeRoleWithWebIdentity", &params),
            None,
        )
        .await
        .map_err(|e| call_failed(&what, e))?;
    let root = xml_answer(&response).map_err(|e| call_failed(&what, e))?;
    sts_credentials(&root, "AssumeRoleWithWebIdentityResult", &what)
}

fn session_name() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("nimbus-{seconds}")
}

fn sts_credentials(
    root: &super::xml::Element,
    result: &str,
    what: &str,
) -> Result<Fetched, CredentialError> {
    let c = root
        .at(&[result, "Credentials"])
        .ok_or_else(|| err(format!("{what}: STS answered without credentials")))?;
    let json = serde_json::json!({
        "AccessKeyId": c.text_at(&["AccessKeyId"]),
        "SecretAccessKey": c.text_at(&["SecretAccessKey"]),
        "SessionToken": c.text_at(&["SessionToken"]),
        "Expiration": c.text_at(&["Expiration"]),
    });
    credentials_from_json(&json, "STS")
}

async fn http_get(
    http: &Http,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
) -> Result<String, CredentialError> {
    match http_call(http, method, url, headers, METADATA_TIMEOUT).await? {
        (200, body) => Ok(body),
        (status, _) => Err(err(format!("{url} answered HTTP {status}"))),
    }
}

/// One request to a credential endpoint: its status and body.
async fn http_call(
    http: &Http,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    timeout: Duration,
) -> Result<(u16, String), CredentialError> {
    let mut builder = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    let request = builder
        .body(http_body_util::Full::new(hyper::body::Bytes::new()))
        .map_err(|e| err(format!("{url}: {e}")))?;
    let response = http
        .send(request, timeout)
        .await
        .map_err(|e| call_failed(url, e))?;
    Ok((
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    ))
}

async fn from_container(
    wire: &Wire,
    env: &Environment,
) -> Result<Option<Fetched>, CredentialError> {
    let url = if let Some(relative) = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("{CONTAINER_HOST}{relative}")
    } else if let Some(full) = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        // The authorization token goes there: over HTTPS, or plain HTTP
        // only to this machine or the container agents' addresses.
        let plain_host = full.strip_prefix("http://").map(|rest| {
            let authority = rest.split('/').next().unwrap_or_default();
            match authority.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
                None => authority.split(':').next().unwrap_or_default().to_string(),
            }
        });
        if let Some(host) = plain_host {
            let allowed = host == "localhost"
                || host == "169.254.170.2"
                || host == "169.254.170.23"
                || host.eq_ignore_ascii_case("fd00:ec2::23")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !allowed {
                return Err(err(format!(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI is plain http to {host}: \
                     only https, or http to this machine or the container agent, is allowed"
                )));
            }
        } else if !full.starts_with("https://") {
            return Err(err(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http:// or https:// URL",
            ));
        }
        full.to_string()
    } else {
        return Ok(None);
    };
    let mut headers = Vec::new();
    let token = match env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| err(format!("reading {file}: {e}")))?
                .trim()
                .to_string(),
        ),
        None => env
            .get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
            .map(str::to_string),
    };
    if let Some(token) = token {
        headers.push(("authorization", token));
    }
    let body = http_get(&wire.http, "GET", &url, &headers).await?;
    let json: Json = serde_json::from_str(&body).map_err(|e| {
        err(format!(
            "the container credentials endpoint answered no JSON: {e}"
        ))
    })?;
    credentials_from_json(&json, "the container credentials endpoint").map(Some)
}

/// The instance metadata service's base URL and a session token for it
/// (IMDSv2).
async fn instance_metadata_session(
    http: &Http,
    env: &Environment,
) -> Result<(String, [(&'static str, String); 1]), CredentialError> {
    let base = env
        .get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or(IMDS_ENDPOINT)
        .trim_end_matches('/')
        .to_string();
    let token = http_get(
        http,
        "PUT",
        &format!("{base}/latest/api/token"),
        &[("x-aws-ec2-metadata-token-ttl-seconds", "21600".into())],
    )
    .await?;
    Ok((
        base,
        [("x-aws-ec2-metadata-token", token.trim().to_string())],
    ))
}

/// Whether the instance metadata service may be asked at all.
fn instance_metadata_disabled(env: &Environment) -> bool {
    env.get("AWS_EC2_METADATA_DISABLED")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The region of the EC2 instance the run is on, as the SDKs read it when
/// nothing else names one.
pub async fn region_from_instance_metadata(
    http: &Http,
    env: &Environment,
) -> Result<String, CredentialError> {
    if instance_metadata_disabled(env) {
        return Err(err(
            "the instance metadata service is off (AWS_EC2_METADATA_DISABLED)",
        ));
    }
    let (base, auth) = instance_metadata_session(http, env).await?;
    let region = http_get(
        http,
        "GET",
        &format!("{base}/latest/meta-data/placement/region"),
        &auth,
    )
    .await?;
    Ok(region.trim().to_string())
}

async fn from_instance_metadata(
    wire: &Wire,
    env: &Environment,
) -> Result<Fetched, CredentialError> {
    let http = &wire.http;
    let (base, auth) = instance_metadata_session(http, env).await?;
    let listing = format!("{base}/latest/meta-data/iam/security-credentials/");
    let roles = http_get(http, "GET", &listing, &auth).await?;
    let role = roles
        .lines()
        .next()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| err("the instance has no IAM role"))?;
    let body = http_get(http, "GET", &format!("{listing}{role}"), &auth).await?;
    let json: Json = serde_json::from_str(&body).map_err(|e| {
        err(format!(
            "the instance metadata service answered no JSON: {e}"
        ))
    })?;
    credentials_from_json(&json, "the instance metadata service")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Http;
    use crate::wire::test_server::serve;
    use std::sync::Arc;

    fn wire(endpoint: Option<String>) -> Wire {
        Wire {
            http: Http::new(Duration::from_secs(2)).unwrap(),
            region: "us-east-1".into(),
            endpoint,
            service_endpoints: Default::default(),
            s3_path_style: true,
            credentials: Arc::new(CredentialChain::fixed(Credentials {
                access_key_id: "x".into(),
                secret_access_key: "y".into(),
                session_token: None,
            })),
            call_timeout: Duration::from_secs(5),
        }
    }

    fn env(vars: &[(&str, &str)], home: Option<&std::path::Path>) -> Environment {
        Environment {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: home.map(PathBuf::from),
        }
    }

    #[test]
    fn profile_files_read_as_the_cli_writes_them() {
        let config = "[default]\nregion = eu-west-1\n\n[profile dev]\nregion=us-west-2\ns3 =\n  max_concurrent_requests = 2\n# comment\n[sso-session corp]\nsso_region = x\n[profile  spaced ]\nrole_arn = arn\n";
        let profiles = parse_profiles(config, true);
        assert_eq!(profiles["default"]["region"], "eu-west-1");
        assert_eq!(profiles["dev"]["region"], "us-west-2");
        assert!(!profiles["dev"].contains_key("max_concurrent_requests"));
        assert!(!profiles.contains_key("corp"));
        assert_eq!(profiles["spaced"]["role_arn"], "arn");
        let commented = parse_profiles("[p]\nregion = us-west-2 # prod\nx = a#b\n", false);
        assert_eq!(commented["p"]["region"], "us-west-2");
        assert_eq!(commented["p"]["x"], "a#b");
        let credentials = parse_profiles("[dev]\naws_access_key_id = AK\n", false);
        assert_eq!(credentials["dev"]["aws_access_key_id"], "AK");
    }

    #[tokio::test]
    async fn the_chain_takes_the_environment_then_the_profile() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = FILE\naws_secret_access_key = s\n[dev]\naws_access_key_id = DEV\naws_secret_access_key = s\naws_session_token = t\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile dev]\nregion = eu-north-1\n",
        )
        .unwrap();
        let w = wire(None);
        let e = env(
            &[("AWS_ACCESS_KEY_ID", "ENV"), ("AWS_SECRET_ACCESS_KEY", "s")],
            Some(home.path()),
        );
        let got = CredentialChain::chain(None, e.clone())
            .get(&w)
            .await
            .unwrap();
        assert_eq!(got.access_key_id, "ENV");
        // A profile named in the provider block comes before the
        // environment.
        let got = CredentialChain::chain(Some("dev".into()), e.clone())
            .get(&w)
            .await
            .unwrap();
        assert_eq!(got.access_key_id, "DEV");
        assert_eq!(got.session_token.as_deref(), Some("t"));
        assert_eq!(region_from(&e, Some("dev")).as_deref(), Some("eu-north-1"));
        let e = env(&[], Some(home.path()));
        let got = CredentialChain::chain(None, e).get(&w).await.unwrap();
        assert_eq!(got.access_key_id, "FILE");
        let e = env(&[("AWS_PROFILE", "nope")], Some(home.path()));
        let failure = CredentialChain::chain(None, e).get(&w).await.unwrap_err();
        assert!(failure.message.contains("\"nope\""), "{failure}");
    }

    #[test]
    fn no_secret_is_in_a_debug_rendering() {
        let e = env(
            &[
                ("AWS_SECRET_ACCESS_KEY", "hush"),
                ("AWS_SESSION_TOKEN", "quiet"),
            ],
            None,
        );
        let chain = CredentialChain::chain(None, e);
        let text = format!("{chain:?}");
        assert!(text.contains("AWS_SECRET_ACCESS_KEY"), "{text}");
        assert!(!text.contains("hush") && !text.contains("quiet"), "{text}");
    }

    #[tokio::test]
    async fn credential_process_and_cycles() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile proc]\ncredential_process = echo '{\"Version\": 1, \"AccessKeyId\": \"PROC\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n\
             [profile failing]\ncredential_process = sh -c 'echo denied >&2; exit 3'\n\
             [profile a]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = a\n",
        )
        .unwrap();
        let w = wire(None);
        let chain = |p: &str| CredentialChain::chain(Some(p.into()), env(&[], Some(home.path())));
        let got = chain("proc").get(&w).await.unwrap();
        assert_eq!(got.access_key_id, "PROC");
        let failure = chain("failing").get(&w).await.unwrap_err();
        assert!(failure.message.contains("denied"), "{failure}");
        let failure = chain("a").get(&w).await.unwrap_err();
        assert!(failure.message.contains("leads back"), "{failure}");
    }

    #[tokio::test]
    async fn sso_profiles_take_the_cached_sign_in_to_the_portal() {
        let (url, seen) = serve(|_| {
            r#"{"roleCredentials":{"accessKeyId":"SSOKEY","secretAccessKey":"s","sessionToken":"t","expiration":32503680000000}}"#
        })
        .await;
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(aws.join("sso/cache")).unwrap();
        std::fs::write(
            aws.join("config"),
            "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Deploy Role\n\
             [sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://example.awsapps.com/start\n\
             [profile old]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n\
             sso_account_id = 1\nsso_role_name = r\n\
             [profile partial]\nsso_session = corp\nsso_account_id = 1\n\
             [profile lost]\nsso_session = nowhere\nsso_account_id = 1\nsso_role_name = r\n",
        )
        .unwrap();
        // The names `aws sso login` gives its cache files: the SHA-1 of the
        // session's name, or of the start URL for the older form.
        let token = |expires: &str| {
            format!(r#"{{"accessToken":"BEARER","expiresAt":"{expires}","region":"eu-west-1"}}"#)
        };
        let by_session = aws.join("sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json");
        let by_url = aws.join("sso/cache/e8be5486177c5b5392bd9aa76563515b29358e6e.json");
        let w = wire(None);
        let e = env(&[("AWS_ENDPOINT_URL_SSO", &url)], Some(home.path()));
        let chain = |p: &str| CredentialChain::chain(Some(p.into()), e.clone());
        let failure = chain("dev").get(&w).await.unwrap_err();
        assert!(
            failure.message.contains("not signed in")
                && failure.message.contains("aws sso login --profile dev"),
            "{failure}"
        );
        std::fs::write(&by_session, token("2999-01-01T00:00:00Z")).unwrap();
        let got = chain("dev").get(&w).await.unwrap();
        assert_eq!(got.access_key_id, "SSOKEY");
        assert_eq!(got.session_token.as_deref(), Some("t"));
        let request = seen.lock().unwrap()[0].clone();
        assert!(
            request.starts_with(
                "GET /federation/credentials?account_id=111122223333&role_name=Deploy%20Role "
            ),
            "{request}"
        );
        assert!(
            request.contains("x-amz-sso_bearer_token: BEARER"),
            "{request}"
        );
        std::fs::write(&by_url, token("2999-01-01T00:00:00UTC")).unwrap();
        assert_eq!(chain("old").get(&w).await.unwrap().access_key_id, "SSOKEY");
        std::fs::write(&by_session, token("2001-01-01T00:00:00Z")).unwrap();
        let failure = chain("dev").get(&w).await.unwrap_err();
        assert!(failure.message.contains("expired"), "{failure}");
        let failure = chain("partial").get(&w).await.unwrap_err();
        assert!(failure.message.contains("sso_role_name"), "{failure}");
        let failure = chain("lost").get(&w).await.unwrap_err();
        assert!(
            failure.message.contains("[sso-session nowhere]"),
            "{failure}"
        );
    }

    #[tokio::test]
    async fn container_and_instance_metadata_endpoints() {
        let (url, seen) = serve(|request| {
            if request.starts_with("PUT /latest/api/token") {
                "TOKEN"
            } else if request.contains("security-credentials/ ") {
                "my-role\n"
            } else {
                r#"{"AccessKeyId":"META","SecretAccessKey":"s","Token":"t","Expiration":"2999-01-01T00:00:00Z"}"#
            }
        })
        .await;
        let w = wire(None);
        let e = env(
            &[
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    &format!("{url}/creds"),
                ),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-token"),
            ],
            None,
        );
        let got = CredentialChain::chain(None, e).get(&w).await.unwrap();
        assert_eq!(got.access_key_id, "META");
        assert_eq!(got.session_token.as_deref(), Some("t"));
        assert!(seen.lock().unwrap()[0].contains("secret-token"));
        // The metadata service: a token, the role's name, its credentials.
        let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url)], None);
        let got = CredentialChain::chain(None, e).get(&w).await.unwrap();
        assert_eq!(got.access_key_id, "META");
        let requests = seen.lock().unwrap().clone();
        assert!(
            requests[1].starts_with("PUT /latest/api/token"),
            "{requests:?}"
        );
        assert!(
            requests[2].contains("x-aws-ec2-metadata-token: TOKEN"),
            "{requests:?}"
        );
        assert!(
            requests[3].starts_with("GET /latest/meta-data/iam/security-credentials/my-role "),
            "{requests:?}"
        );
        // A named profile with no credentials of its own takes the
        // machine's.
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile ci]\nregion = eu-west-1\n",
        )
        .unwrap();
        let e = env(
            &[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                &format!("{url}/creds"),
            )],
            Some(home.path()),
        );
        let got = CredentialChain::chain(Some("ci".into()), e)
            .get(&w)
            .await
            .unwrap();
        assert_eq!(got.access_key_id, "META");
        // The container token goes over plain HTTP only to this machine or
        // the container agent.
        let e = env(
            &[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://example.com/creds",
            )],
            None,
        );
        let failure = CredentialChain::chain(None, e).get(&w).await.unwrap_err();
        assert!(failure.message.contains("plain http"), "{failure}");
        // Nothing anywhere: a clear error, quickly.
        let e = env(&[("AWS_EC2_METADATA_DISABLED", "true")], None);
        let failure = CredentialChain::chain(None, e).get(&w).await.unwrap_err();
        assert!(failure.message.contains("AWS_ACCESS_KEY_ID"), "{failure}");
    }

    #[tokio::test]
    async fn the_region_of_the_instance() {
        let (url, seen) = serve(|request| {
            if request.starts_with("PUT /latest/api/token") {
                "TOKEN"
            } else if request.starts_with("GET /latest/meta-data/placement/region ") {
                "eu-central-2\n"
            } else {
                "?"
            }
        })
        .await;
        let w = wire(None);
        let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url)], None);
        let region = region_from_instance_metadata(&w.http, &e).await.unwrap();
        assert_eq!(region, "eu-central-2");
        assert!(seen.lock().unwrap()[1].contains("x-aws-ec2-metadata-token: TOKEN"));
        let e = env(
            &[
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
            None,
        );
        let failure = region_from_instance_metadata(&w.http, &e)
            .await
            .unwrap_err();
        assert!(failure.message.contains("is off"), "{failure}");
    }

    #[tokio::test]
    async fn a_failure_is_shared_by_the_calls_queued_behind_it_then_looked_at_again() {
        let (url, seen) = serve(|request| {
            if request.starts_with("PUT /latest/api/token") {
                "TOKEN"
            } else {
                "" // an instance without a role
            }
        })
        .await;
        let w = wire(None);
        let e = env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url)], None);
        let chain = CredentialChain::chain(None, e);
        let first = chain.get(&w).await.unwrap_err();
        assert!(first.message.contains("no IAM role"), "{first}");
        let asked = seen.lock().unwrap().len();
        // Calls queued behind the first resolution get its answer without
        // asking the endpoints again...
        let (a, b) = tokio::join!(chain.get(&w), chain.get(&w));
        assert_eq!((a.unwrap_err(), b.unwrap_err()), (first.clone(), first));
        assert_eq!(seen.lock().unwrap().len(), asked);
        // ...and a call a moment later asks again: the failure may pass.
        tokio::time::sleep(FAILURE_KEPT + Duration::from_millis(50)).await;
        assert!(chain.get(&w).await.is_err());
        assert!(seen.lock().unwrap().len() > asked);
    }
}
