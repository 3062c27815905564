//! The HTTP side: URLs (joined as the protocol allows: absolute, or
//! relative to the document that named them), the rule that plain HTTP is
//! for loopback hosts only, and GET with a timeout, a size cap and a few
//! redirects, over hyper and rustls (ring, webpki roots).

use crate::RegistryError;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::Uri;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Whether `host` (without a port) is a loopback name: `localhost`, an
/// address in 127.0.0.0/8, or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The base URL of a registry host as a source address names it
/// (`registry.terraform.io`, `127.0.0.1:8080`): HTTPS, except plain HTTP
/// for a loopback host with a port (how tests serve a registry).
pub fn host_base(host: &str) -> String {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => {
            (name, Some(port))
        }
        _ => (host, None),
    };
    if port.is_some() && is_loopback(name) {
        format!("http://{host}/")
    } else {
        format!("https://{host}/")
    }
}

/// Parses a URL and checks that it may be fetched: `https`, or `http` to a
/// loopback host.
pub fn parse_url(text: &str) -> Result<Uri, RegistryError> {
    let uri: Uri = text.parse().map_err(|_| RegistryError::Url {
        url: text.to_string(),
        reason: "not a valid URL".to_string(),
    })?;
    let host = uri.host().unwrap_or_default();
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(uri),
        Some("http") if is_loopback(host) => Ok(uri),
        Some("http") => Err(RegistryError::Url {
            url: text.to_string(),
            reason:
                "plain http is allowed only for loopback hosts (127.0.0.1, localhost); use https"
                    .to_string(),
        }),
        _ => Err(RegistryError::Url {
            url: text.to_string(),
            reason: "expected an https:// URL".to_string(),
        }),
    }
}

/// `reference` resolved against `base` (the URL of the document that
/// named it): absolute URLs stay, `/path` keeps the base's scheme and
/// host, anything else is relative to the base's directory. A query or
/// fragment of the base is dropped.
pub fn join(base: &str, reference: &str) -> String {
    if reference.starts_with("https://") || reference.starts_with("http://") {
        return reference.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if let Some(stripped) = reference.strip_prefix("//") {
        return format!("{scheme}://{stripped}");
    }
    if reference.starts_with('/') {
        return format!("{scheme}://{authority}{reference}");
    }
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    format!("{scheme}://{authority}{dir}{reference}")
}

/// A response body with its status.
pub struct Response {
    pub status: u16,
    pub body: Bytes,
    /// The URL finally answered (after redirects).
    pub url: String,
}

/// An HTTP/1 client for HTTPS (webpki roots) and loopback HTTP.
#[derive(Clone)]
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Http {
    /// `connect_timeout` bounds each connection.
    pub fn new(connect_timeout: Duration) -> Result<Http, RegistryError> {
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| RegistryError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Http { client })
    }

    /// GETs `url` (following redirects, each checked by [`parse_url`]);
    /// the body may be at most `limit` bytes, and all of it must arrive
    /// within `timeout`. Any status is returned; only failures to get an
    /// answer are errors.
    pub async fn get(
        &self,
        url: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<Response, RegistryError> {
        match tokio::time::timeout(timeout, self.get_inner(url, limit)).await {
            Ok(result) => result,
            Err(_) => Err(RegistryError::Unreachable {
                url: url.to_string(),
                reason: format!("no complete answer within {} seconds", timeout.as_secs()),
            }),
        }
    }

    async fn get_inner(&self, url: &str, limit: usize) -> Result<Response, RegistryError> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let uri = parse_url(&current)?;
            let request = hyper::Request::get(uri)
                .header(
                    hyper::header::USER_AGENT,
                    concat!("nimbus/", env!("CARGO_PKG_VERSION")),
                )
                .body(Empty::<Bytes>::new())
                .map_err(|e| RegistryError::Url {
                    url: current.clone(),
                    reason: e.to_string(),
                })?;
            let response =
                self.client
                    .request(request)
                    .await
                    .map_err(|e| RegistryError::Unreachable {
                        url: current.clone(),
                        reason: error_chain(&e),
                    })?;
            let status = response.status().as_u16();
            if (300..400).contains(&status)
                && let Some(location) = response
                    .headers()
                    .get(hyper::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
            {
                current = join(&current, location);
                continue;
            }
            let body = Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        RegistryError::TooLarge {
                            url: current.clone(),
                            limit,
                        }
                    } else {
                        RegistryError::Unreachable {
                            url: current.clone(),
                            reason: format!("the answer broke off: {e}"),
                        }
                    }
                })?
                .to_bytes();
            return Ok(Response {
                status,
                body,
                url: current,
            });
        }
        Err(RegistryError::Unreachable {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

/// An error with its causes, `a: b: c` (hyper's own message is terse).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_for_loopback_hosts() {
        assert_eq!(
            host_base("registry.terraform.io"),
            "https://registry.terraform.io/"
        );
        assert_eq!(host_base("127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(host_base("localhost:99"), "http://localhost:99/");
        assert_eq!(host_base("localhost"), "https://localhost/");
        assert_eq!(host_base("example.com:8443"), "https://example.com:8443/");
        assert!(parse_url("http://127.0.0.1:1/x").is_ok());
        assert!(parse_url("http://localhost:1/x").is_ok());
        assert!(parse_url("http://[::1]:1/x").is_ok());
        assert!(parse_url("https://example.com/x").is_ok());
        for bad in [
            "http://example.com/x",
            "http://10.0.0.1:80/x",
            "ftp://example.com/x",
            "file:///etc/passwd",
            "example.com/x",
            "https:///x",
            "",
            "http://[::1",
        ] {
            assert!(parse_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_join_as_the_protocol_allows() {
        let base = "https://r.example/.well-known/terraform.json";
        assert_eq!(
            join(base, "/v1/providers/"),
            "https://r.example/v1/providers/"
        );
        assert_eq!(join(base, "https://other/v1/"), "https://other/v1/");
        assert_eq!(join(base, "v1/"), "https://r.example/.well-known/v1/");
        assert_eq!(join(base, "//cdn.example/x"), "https://cdn.example/x");
        assert_eq!(
            join("http://127.0.0.1:5/a/b/download/linux/amd64?x=1", "f.zip"),
            "http://127.0.0.1:5/a/b/download/linux/f.zip"
        );
        assert_eq!(join("https://h", "x"), "https://h/x");
    }

    #[test]
    fn loopback_names() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.1.2.3"));
        assert!(is_loopback("LOCALHOST"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("10.0.0.1"));
        assert!(!is_loopback("localhost.example.com"));
    }
}
