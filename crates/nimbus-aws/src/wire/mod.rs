//! The provider's own AWS client: HTTP/1.1 over rustls, SigV4 signing, the
//! credential chain, and the four wire protocols the services it manages
//! speak (AWS JSON for DynamoDB and SQS, query for IAM, SNS and STS,
//! REST-JSON for Lambda and API Gateway, REST-XML for S3).
//!
//! Each call is sent once: the engine is the only layer that retries (with
//! backoff, a circuit breaker and an event per retry), so a throttled call
//! is never tried again unseen. A call's failure is a [`CallError`], which
//! `crate::error` classifies into what the engine acts on.

pub mod credentials;
pub mod sigv4;
pub mod xml;

use credentials::{CredentialChain, CredentialError};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value as Json;
use sigv4::{Credentials, Signable, sha256_hex, uri_encode};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use xml::Element;

/// The largest response body read (a Lambda function's configuration or a
/// REST API export is far smaller).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// How a call failed, before it is classified.
#[derive(Debug, Clone)]
pub enum CallError {
    /// No answer within the time allowed.
    Timeout,
    /// The request never got an answer: DNS, connection, TLS.
    Unreachable { reason: String, retryable: bool },
    /// No credentials to sign with, or they could not be fetched
    /// (`retryable` when fetching them again may work).
    Credentials { reason: String, retryable: bool },
    /// The service answered with an error.
    Service {
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// The service answered success with a body this client cannot read.
    Malformed { status: u16, reason: String },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout => write!(f, "the request timed out"),
            CallError::Unreachable { reason, .. } => write!(f, "cannot reach AWS: {reason}"),
            CallError::Credentials { reason, .. } => {
                write!(f, "no usable AWS credentials: {reason}")
            }
            CallError::Service {
                status,
                code,
                message,
            } => write!(
                f,
                "HTTP {status}: {}: {}",
                code.as_deref().unwrap_or("-"),
                message.as_deref().unwrap_or("-")
            ),
            CallError::Malformed { status, reason } => {
                write!(f, "unreadable answer (HTTP {status}): {reason}")
            }
        }
    }
}

impl From<CredentialError> for CallError {
    fn from(e: CredentialError) -> CallError {
        CallError::Credentials {
            reason: e.message,
            retryable: e.retryable,
        }
    }
}

/// One AWS service as this client calls it.
#[derive(Debug)]
pub struct Service {
    /// The name in the signature's scope (`s3`, `iam`).
    pub signing_name: &'static str,
    /// The host's first label (`dynamodb` in `dynamodb.us-east-1.amazonaws.com`).
    pub endpoint_prefix: &'static str,
    /// Global services have one endpoint, signed for one region.
    pub global: bool,
    /// AWS JSON services: the target prefix (`DynamoDB_20120810`) and the
    /// content type's version.
    pub json_target: Option<(&'static str, &'static str)>,
    /// Query services: the API version.
    pub query_version: Option<&'static str>,
    /// The service's part of `AWS_ENDPOINT_URL_<ID>` (its endpoint alone).
    pub env_id: &'static str,
}

pub const S3: Service = Service {
    signing_name: "s3",
    endpoint_prefix: "s3",
    global: false,
    json_target: None,
    query_version: None,
    env_id: "S3",
};
pub const DYNAMODB: Service = Service {
    signing_name: "dynamodb",
    endpoint_prefix: "dynamodb",
    global: false,
    json_target: Some(("DynamoDB_20120810", "1.0")),
    query_version: None,
    env_id: "DYNAMODB",
};
pub const SQS: Service = Service {
    signing_name: "sqs",
    endpoint_prefix: "sqs",
    global: false,
    json_target: Some(("AmazonSQS", "1.0")),
    query_version: None,
    env_id: "SQS",
};
pub const LAMBDA: Service = Service {
    signing_name: "lambda",
    endpoint_prefix: "lambda",
    global: false,
    json_target: None,
    query_version: None,
    env_id: "LAMBDA",
};
pub const APIGATEWAY: Service = Service {
    signing_name: "apigateway",
    endpoint_prefix: "apigateway",
    global: false,
    json_target: None,
    query_version: None,
    env_id: "API_GATEWAY",
};
pub const IAM: Service = Service {
    signing_name: "iam",
    endpoint_prefix: "iam",
    global: true,
    json_target: None,
    query_version: Some("2010-05-08"),
    env_id: "IAM",
};
pub const SNS: Service = Service {
    signing_name: "sns",
    endpoint_prefix: "sns",
    global: false,
    json_target: None,
    query_version: Some("2010-03-31"),
    env_id: "SNS",
};
pub const STS: Service = Service {
    signing_name: "sts",
    endpoint_prefix: "sts",
    global: false,
    json_target: None,
    query_version: Some("2011-06-15"),
    env_id: "STS",
};

/// Every service the provider calls.
pub const SERVICES: [&Service; 8] = [&S3, &DYNAMODB, &SQS, &LAMBDA, &APIGATEWAY, &IAM, &SNS, &STS];

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Plain HTTP/1.1 (HTTPS, or HTTP) with a pool of connections shared by
/// every service. Certificates are checked against the webpki roots, the
/// system's trust store (a company's TLS-inspecting proxy, a private CA)
/// and the PEM file `AWS_CA_BUNDLE` names.
#[derive(Clone, Debug)]
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Http {
    pub fn new(connect_timeout: Duration) -> Result<Http, String> {
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(connect_timeout));
        connector.set_nodelay(true);
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // A system store that cannot be read leaves the webpki roots.
        let _ = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if let Some(bundle) = std::env::var_os("AWS_CA_BUNDLE").filter(|b| !b.is_empty()) {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let certificates = CertificateDer::pem_file_iter(&bundle)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("reading AWS_CA_BUNDLE {}: {e}", bundle.to_string_lossy()))?;
            roots.add_parsable_certificates(certificates);
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        Ok(Http {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// Sends one request and reads the whole answer within `timeout`.
    pub async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Response, CallError> {
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let mut reason = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    reason.push_str(": ");
                    reason.push_str(&s.to_string());
                    source = s.source();
                }
                // The request was built and checked before it was sent: what
                // fails here is the way to AWS (DNS, connection, a
                // connection closed mid-answer), worth another attempt;
                // except a certificate refused, which the next attempt
                // would see refused again.
                CallError::Unreachable {
                    retryable: !reason.contains("certificate"),
                    reason,
                }
            })?;
            let status = response.status().as_u16();
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| CallError::Unreachable {
                    reason: format!("reading the answer: {e}"),
                    retryable: true,
                })?
                .to_bytes();
            Ok(Response {
                status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout),
        }
    }
}

/// A request to sign and send: `path` segments as given (encoded here),
/// query pairs unencoded.
#[derive(Debug, Default)]
pub struct Call {
    pub method: &'static str,
    /// Path segments after the host (S3: the bucket first when path-style).
    pub path: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// S3 virtual-hosted addressing: the bucket goes in the host.
    pub bucket_host: Option<String>,
}

impl Call {
    pub fn new(method: &'static str, path: &[&str]) -> Call {
        Call {
            method,
            path: path.iter().map(|s| s.to_string()).collect(),
            ..Call::default()
        }
    }

    pub fn query(mut self, name: &str, value: impl Into<String>) -> Call {
        self.query.push((name.to_string(), value.into()));
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Call {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Call {
        self.body = body;
        self
    }

    pub fn json_body(self, body: &Json) -> Call {
        self.header("content-type", "application/json")
            .body(body.to_string().into_bytes())
    }
}

/// Everything a call needs: the HTTP client, where each service is, the
/// region and the credentials.
#[derive(Debug)]
pub struct Wire {
    pub http: Http,
    pub region: String,
    /// A custom endpoint (an emulator) for every service.
    pub endpoint: Option<String>,
    /// Endpoints of single services (`AWS_ENDPOINT_URL_S3`), before
    /// `endpoint`.
    pub service_endpoints: std::collections::BTreeMap<&'static str, String>,
    pub s3_path_style: bool,
    pub credentials: Arc<CredentialChain>,
    /// How long one call may take, answer included.
    pub call_timeout: Duration,
}

impl Wire {
    /// The scheme and host a service is reached at, and the region its
    /// requests are signed for.
    fn base(&self, service: &Service) -> (String, String) {
        if let Some(endpoint) = self
            .service_endpoints
            .get(service.env_id)
            .or(self.endpoint.as_ref())
        {
            return (
                endpoint.trim_end_matches('/').to_string(),
                self.region.clone(),
            );
        }
        let china = self.region.starts_with("cn-");
        let suffix = if china {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        if service.global {
            let (host, region) = if china {
                (format!("iam.cn-north-1.{suffix}"), "cn-north-1")
            } else if self.region.starts_with("us-gov-") {
                (format!("iam.us-gov.{suffix}"), "us-gov-west-1")
            } else {
                (format!("iam.{suffix}"), "us-east-1")
            };
            return (format!("https://{host}"), region.to_string());
        }
        (
            format!(
                "https://{}.{}.{suffix}",
                service.endpoint_prefix, self.region
            ),
            self.region.clone(),
        )
    }

    /// Signs `call` for `service` and sends it; any status is returned.
    pub async fn send(&self, service: &Service, call: Call) -> Result<Response, CallError> {
        let credentials = self.credentials.get(self).await?;
        let response = self.send_with(service, call, Some(&credentials)).await?;
        // Temporary credentials revoked or expired early: fetch new ones
        // for the next attempt (this one fails, and the engine retries).
        if matches!(response.status, 400 | 403)
            && String::from_utf8_lossy(&response.body).contains("ExpiredToken")
        {
            self.credentials.forget().await;
        }
        Ok(response)
    }

    /// Sends `call`, signed with `credentials` (or unsigned, for the few
    /// calls that take none).
    pub async fn send_with(
        &self,
        service: &Service,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<Response, CallError> {
        let request = self.request(service, call, credentials, SystemTime::now())?;
        self.http.send(request, self.call_timeout).await
    }

    /// The HTTP request for `call`, signed at `now` (unsigned without
    /// credentials): the URL, the host sent and signed, the headers.
    fn request(
        &self,
        service: &Service,
        call: Call,
        credentials: Option<&Credentials>,
        now: SystemTime,
    ) -> Result<hyper::Request<Full<Bytes>>, CallError> {
        let (base, region) = self.base(service);
        // `scheme://authority/base-path`, read once: the host signed and
        // sent (the bucket first when virtual-hosted) and the path prefix.
        let (scheme, rest) = base.split_once("://").unwrap_or(("https", &base));
        let (authority, base_path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = match &call.bucket_host {
            Some(bucket) => format!("{bucket}.{authority}"),
            None => authority.to_string(),
        };
        let mut path = base_path.trim_end_matches('/').to_string();
        for segment in &call.path {
            path.push('/');
            path.push_str(&uri_encode(segment, false));
        }
        if path.is_empty() {
            path.push('/');
        }
        let query: Vec<(String, String)> = call
            .query
            .iter()
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        let payload_hash = sha256_hex(&call.body);
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let amz_date = sigv4::amz_date(now);
        let mut headers = call.headers;
        headers.push(("host".into(), host.clone()));
        headers.push(("x-amz-date".into(), amz_date.clone()));
        headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        if let Some(token) = credentials.and_then(|c| c.session_token.as_ref()) {
            headers.push(("x-amz-security-token".into(), token.clone()));
        }
        let authorization = credentials.map(|credentials| {
            sigv4::authorization(
                &Signable {
                    method: call.method,
                    path: &path,
                    query: &query,
                    headers: &headers,
                    payload_sha256: &payload_hash,
                    double_encode_path: service.signing_name != "s3",
                },
                credentials,
                &amz_date,
                &region,
                service.signing_name,
            )
        });
        let mut uri = format!("{scheme}://{host}{path}");
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(
                &query
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        }
        let mut builder = hyper::Request::builder()
            .method(call.method)
            .uri(&uri)
            .header(
                hyper::header::USER_AGENT,
                concat!("nimbus/", env!("CARGO_PKG_VERSION")),
            );
        // Host too: the one signed must be the one sent, port included
        // (the client would drop a default port from its own).
        for (name, value) in &headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(authorization) = authorization {
            builder = builder.header("authorization", authorization);
        }
        // An empty PUT or POST (S3's PutBucketAcl with a canned ACL header)
        // says so: hyper sends no length for an empty body, and S3 answers
        // 411 Length Required.
        if call.body.is_empty() && matches!(call.method, "PUT" | "POST") {
            builder = builder.header(hyper::header::CONTENT_LENGTH, "0");
        }
        builder
            .body(Full::new(Bytes::from(call.body)))
            .map_err(|e| CallError::Unreachable {
                reason: format!("building the request to {uri}: {e}"),
                retryable: false,
            })
    }

    /// An AWS JSON call (`X-Amz-Target: Prefix.Operation`).
    pub async fn json(
        &self,
        service: &Service,
        operation: &str,
        input: Json,
    ) -> Result<Json, CallError> {
        let (prefix, version) = service
            .json_target
            .expect("an AWS JSON service has a target prefix");
        let call = Call::new("POST", &[])
            .header("content-type", format!("application/x-amz-json-{version}"))
            .header("x-amz-target", format!("{prefix}.{operation}"))
            .body(input.to_string().into_bytes());
        let response = self.send(service, call).await?;
        json_answer(response)
    }

    /// A query call (`Action=...&Version=...`, form-encoded); the answer's
    /// XML document element.
    pub async fn query(
        &self,
        service: &Service,
        action: &str,
        params: Params,
    ) -> Result<Element, CallError> {
        let call = query_call(service, action, &params.0);
        let response = self.send(service, call).await?;
        xml_answer(&response)
    }

    /// A REST-JSON call; an empty answer reads as `null`.
    pub async fn rest_json(&self, service: &Service, call: Call) -> Result<Json, CallError> {
        let response = self.send(service, call).await?;
        json_answer(response)
    }

    /// A REST-XML call (S3); the whole answer, or its error.
    pub async fn rest_xml(&self, service: &Service, call: Call) -> Result<Response, CallError> {
        let head = call.method == "HEAD";
        let response = self.send(service, call).await?;
        if response.status >= 300 {
            return Err(match xml_error(&response) {
                // A HEAD answer has no body to name its error: a 404 to a
                // HEAD is S3's "no such bucket or object".
                CallError::Service {
                    status: 404,
                    code: None,
                    message,
                } if head => CallError::Service {
                    status: 404,
                    code: Some("NotFound".into()),
                    message,
                },
                other => other,
            });
        }
        Ok(response)
    }
}

/// The parameters of a query call, flattened as the query protocol wants
/// lists (`Name.member.N`) and maps (`Name.entry.N.key`).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    pub fn set(mut self, name: &str, value: impl Into<String>) -> Params {
        self.0.push((name.to_string(), value.into()));
        self
    }

    pub fn opt(self, name: &str, value: Option<impl Into<String>>) -> Params {
        match value {
            Some(value) => self.set(name, value),
            None => self,
        }
    }

    /// `Name.member.1`, `Name.member.2`, ...
    pub fn list<S: Into<String>>(
        mut self,
        name: &str,
        items: impl IntoIterator<Item = S>,
    ) -> Params {
        for (i, item) in items.into_iter().enumerate() {
            self.0
                .push((format!("{name}.member.{}", i + 1), item.into()));
        }
        self
    }

    /// Tags: `Name.member.N.Key` and `Name.member.N.Value`.
    pub fn tags<'a>(
        mut self,
        name: &str,
        tags: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Params {
        for (i, (key, value)) in tags.into_iter().enumerate() {
            self.0
                .push((format!("{name}.member.{}.Key", i + 1), key.clone()));
            self.0
                .push((format!("{name}.member.{}.Value", i + 1), value.clone()));
        }
        self
    }

    /// A string map: `Name.entry.N.key` and `Name.entry.N.value`.
    pub fn entries<'a>(
        mut self,
        name: &str,
        map: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Params {
        for (i, (key, value)) in map.into_iter().enumerate() {
            self.0
                .push((format!("{name}.entry.{}.key", i + 1), key.clone()));
            self.0
                .push((format!("{name}.entry.{}.value", i + 1), value.clone()));
        }
        self
    }
}

/// The form-encoded body of a query call.
pub fn query_call(service: &Service, action: &str, params: &[(String, String)]) -> Call {
    let mut form = format!(
        "Action={}&Version={}",
        uri_encode(action, false),
        service
            .query_version
            .expect("a query service has a version")
    );
    for (k, v) in params {
        form.push('&');
        form.push_str(&uri_encode(k, false));
        form.push('=');
        form.push_str(&uri_encode(v, false));
    }
    Call::new("POST", &[])
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(form.into_bytes())
}

/// The error code of an AWS JSON or REST-JSON answer: its
/// `x-amzn-ErrorType` header or `__type`/`code` field, without the
/// namespace (`com.amazonaws.dynamodb.v20120810#`) or the URL after `:`.
fn json_error_code(response: &Response, body: &Json) -> Option<String> {
    // SQS's JSON protocol names the query protocol's code here, which is
    // what its documentation (and its older clients) use.
    if let Some(query_code) = response.header("x-amzn-query-error") {
        let code = query_code.split(';').next().unwrap_or_default();
        if !code.is_empty() {
            return Some(code.to_string());
        }
    }
    let raw = response
        .header("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| {
            ["__type", "code", "Code", "Type"]
                .iter()
                .find_map(|k| body.get(*k).and_then(Json::as_str).map(str::to_string))
        })?;
    let raw = raw.split(':').next().unwrap_or_default();
    let code = raw.rsplit('#').next().unwrap_or_default();
    (!code.is_empty()).then(|| code.to_string())
}

fn json_answer(response: Response) -> Result<Json, CallError> {
    let body: Json = if response.body.iter().all(u8::is_ascii_whitespace) {
        Json::Null
    } else {
        match serde_json::from_slice(&response.body) {
            Ok(body) => body,
            Err(e) if response.status < 300 => {
                return Err(CallError::Malformed {
                    status: response.status,
                    reason: format!("not JSON: {e}"),
                });
            }
            Err(_) => Json::Null,
        }
    };
    if response.status < 300 {
        return Ok(body);
    }
    let message = ["message", "Message", "errorMessage"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Json::as_str).map(str::to_string));
    Err(CallError::Service {
        status: response.status,
        code: json_error_code(&response, &body),
        message,
    })
}

/// The document of an XML answer, or its error.
pub fn xml_answer(response: &Response) -> Result<Element, CallError> {
    if response.status >= 300 {
        return Err(xml_error(response));
    }
    let text = String::from_utf8_lossy(&response.body);
    xml::parse(&text).map_err(|reason| CallError::Malformed {
        status: response.status,
        reason,
    })
}

/// The error of a query or REST-XML answer: its first `Code` and
/// `Message`, wherever the service nests them.
pub fn xml_error(response: &Response) -> CallError {
    let text = String::from_utf8_lossy(&response.body);
    let (code, message) = match xml::parse(&text) {
        Ok(root) => (
            root.find("Code").map(|e| e.text.clone()),
            root.find("Message").map(|e| e.text.clone()),
        ),
        Err(_) => (None, None),
    };
    CallError::Service {
        status: response.status,
        code: code.filter(|c| !c.is_empty()),
        message: message.filter(|m| !m.is_empty()),
    }
}

#[cfg(test)]
pub(crate) mod test_server {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server answering each request with `answer(request)`;
    /// returns its base URL and the requests it saw.
    pub async fn serve(
        answer: fn(&str) -> &'static str,
    ) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = vec![0u8; 8192];
                let n = stream.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let body = answer(&request);
                log.lock().unwrap().push(request);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        (format!("http://{address}"), seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut map = hyper::HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Response {
            status,
            headers: map,
            body: Bytes::from(body.to_string()),
        }
    }

    fn code_of(e: CallError) -> Option<String> {
        match e {
            CallError::Service { code, .. } => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_error_codes_lose_their_namespace() {
        let r = response(
            400,
            &[],
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no table"}"#,
        );
        assert_eq!(
            code_of(json_answer(r).unwrap_err()).as_deref(),
            Some("ResourceNotFoundException")
        );
        let r = response(
            404,
            &[(
                "x-amzn-errortype",
                "ResourceNotFoundException:http://internal.amazon.com/",
            )],
            r#"{"Message":"Function not found"}"#,
        );
        assert_eq!(
            code_of(json_answer(r).unwrap_err()).as_deref(),
            Some("ResourceNotFoundException")
        );
        let r = response(
            400,
            &[(
                "x-amzn-query-error",
                "AWS.SimpleQueueService.NonExistentQueue;Sender",
            )],
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist"}"#,
        );
        assert_eq!(
            code_of(json_answer(r).unwrap_err()).as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue")
        );
        assert_eq!(json_answer(response(200, &[], "")).unwrap(), Json::Null);
        assert!(matches!(
            json_answer(response(200, &[], "<html>")),
            Err(CallError::Malformed { .. })
        ));
    }

    #[test]
    fn xml_errors_are_found_however_nested() {
        let r = response(
            404,
            &[],
            "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>no role</Message></Error></ErrorResponse>",
        );
        assert_eq!(code_of(xml_error(&r)).as_deref(), Some("NoSuchEntity"));
        let r = response(404, &[], "");
        assert_eq!(code_of(xml_error(&r)), None);
    }

    #[test]
    fn s3_virtual_hosted_calls_put_the_bucket_in_the_host_they_sign() {
        let wire = Wire {
            http: Http::new(Duration::from_secs(2)).unwrap(),
            region: "eu-west-1".into(),
            endpoint: None,
            service_endpoints: Default::default(),
            s3_path_style: false,
            credentials: Arc::new(CredentialChain::fixed(Credentials {
                access_key_id: "AKID".into(),
                secret_access_key: "SECRET".into(),
                session_token: None,
            })),
            call_timeout: Duration::from_secs(5),
        };
        let credentials = Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "SECRET".into(),
            session_token: None,
        };
        let mut call = Call::new("GET", &["dir", "a b+c.txt"]).query("versionId", "v 1");
        call.bucket_host = Some("my-bucket".into());
        let request = wire
            .request(&S3, call, Some(&credentials), UNIX_EPOCH)
            .unwrap();
        assert_eq!(
            request.uri().to_string(),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/a%20b%2Bc.txt?versionId=v%201"
        );
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("host"), "my-bucket.s3.eu-west-1.amazonaws.com");
        let authorization = header("authorization");
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKID/19700101/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
            ),
            "{authorization}"
        );
        // Signed over the path as sent: S3 paths are not encoded twice.
        let headers: Vec<(String, String)> = ["host", "x-amz-content-sha256", "x-amz-date"]
            .iter()
            .map(|name| (name.to_string(), header(name)))
            .collect();
        let query = vec![("versionId".to_string(), "v%201".to_string())];
        let expected = sigv4::authorization(
            &Signable {
                method: "GET",
                path: "/dir/a%20b%2Bc.txt",
                query: &query,
                headers: &headers,
                payload_sha256: &header("x-amz-content-sha256"),
                double_encode_path: false,
            },
            &credentials,
            &header("x-amz-date"),
            "eu-west-1",
            "s3",
        );
        assert_eq!(authorization, expected);
    }

    #[tokio::test]
    async fn a_call_sends_what_it_signed() {
        let (url, seen) = test_server::serve(|_| "{}").await;
        let wire = Wire {
            http: Http::new(Duration::from_secs(2)).unwrap(),
            region: "eu-west-1".into(),
            endpoint: Some(url.clone()),
            service_endpoints: Default::default(),
            s3_path_style: true,
            credentials: Arc::new(CredentialChain::fixed(Credentials {
                access_key_id: "AKID".into(),
                secret_access_key: "SECRET".into(),
                session_token: Some("TOKEN".into()),
            })),
            call_timeout: Duration::from_secs(5),
        };
        let answer = wire
            .json(&SQS, "ListQueues", serde_json::json!({}))
            .await
            .unwrap();
        assert_eq!(answer, serde_json::json!({}));
        let request = seen.lock().unwrap()[0].to_lowercase();
        let host = url.trim_start_matches("http://");
        assert!(request.starts_with("post / http/1.1"), "{request}");
        assert!(request.contains(&format!("host: {host}\r\n")), "{request}");
        assert!(request.contains("x-amz-target: amazonsqs.listqueues"));
        assert!(request.contains("x-amz-security-token: token"));
        assert!(request.contains("credential=akid/"), "{request}");
        assert!(request.contains("/eu-west-1/sqs/aws4_request"), "{request}");
        assert!(
            request.contains(
                "signedheaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target,"
            ),
            "{request}"
        );
        assert!(!request.contains("secret"), "{request}");
    }

    #[test]
    fn query_bodies_are_form_encoded() {
        let call = query_call(
            &IAM,
            "CreateRole",
            &[("Tags.member.1.Key".into(), "a b&c".into())],
        );
        assert_eq!(
            String::from_utf8(call.body).unwrap(),
            "Action=CreateRole&Version=2010-05-08&Tags.member.1.Key=a%20b%26c"
        );
    }
}
