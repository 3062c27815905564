//! Provider-level behaviour: configuration, data sources, and how failures
//! are classified (checked against a stub server that answers with canned
//! errors, so they run with or without the emulator).

use crate::common::*;
use nimbus_aws::{Aws, Preset};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{ErrorKind, Provider, ReadRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `status` with a JSON `body` to every request, forever (until the
/// test ends). Returns the endpoint.
async fn stub(status: u16, body: &'static str) -> String {
    counting_stub(status, body).await.0
}

/// Like [`stub`], and counts the requests that reached it.
async fn counting_stub(status: u16, body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then the body by Content-Length.
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        while buffer.len() < end + 4 + length {
                            let Ok(n) = socket.read(&mut chunk).await else {
                                return;
                            };
                            if n == 0 {
                                break;
                            }
                            buffer.extend_from_slice(&chunk[..n]);
                        }
                        counter.fetch_add(1, Ordering::SeqCst);
                        let response = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(response.as_bytes()).await;
                        let _ = socket.shutdown().await;
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{address}"), requests)
}

async fn provider_at(endpoint: &str) -> Aws {
    let p = Aws::new(Preset::LocalStack, ".");
    p.configure(&obj(&[("endpoint", s(endpoint))]))
        .await
        .unwrap();
    p
}

fn table_state(name: &str) -> Value {
    obj(&[
        ("name", s(name)),
        ("arn", s("arn:aws:dynamodb:us-east-1:123456789012:table/x")),
    ])
}

async fn read_table(p: &Aws) -> nimbus_provider::ProviderError {
    let state = table_state("t");
    p.read(ReadRequest {
        type_name: "dynamodb-table",
        current_state: &state,
        private: &[],
    })
    .await
    .unwrap_err()
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retryable() {
    let endpoint = stub(400, r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#).await;
    let err = read_table(&provider_at(&endpoint).await).await;
    assert_eq!(err.kind, ErrorKind::Retryable, "{err:?}");
    assert!(
        err.message.contains("ThrottlingException"),
        "{}",
        err.message
    );
}

/// The engine is the only layer that retries: each call is sent
/// once, so a throttled call comes back at once, for the engine to retry
/// with an event.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_call_is_sent_once() {
    for (status, body) in [
        (
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}"#,
        ),
        (
            503,
            r#"{"__type":"ServiceUnavailable","message":"try later"}"#,
        ),
    ] {
        let (endpoint, requests) = counting_stub(status, body).await;
        let err = read_table(&provider_at(&endpoint).await).await;
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(requests.load(Ordering::SeqCst), 1, "HTTP {status}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retryable() {
    let endpoint = stub(
        503,
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"try later"}"#,
    )
    .await;
    let err = read_table(&provider_at(&endpoint).await).await;
    assert_eq!(err.kind, ErrorKind::Retryable, "{err:?}");
    let endpoint = stub(500, r#"{"__type":"InternalServerError","message":"oops"}"#).await;
    assert!(
        read_table(&provider_at(&endpoint).await)
            .await
            .is_retryable()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_failures_are_retryable() {
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = read_table(&provider_at(&format!("http://127.0.0.1:{port}")).await).await;
    assert_eq!(err.kind, ErrorKind::Retryable, "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors_are_fatal_and_name_the_attribute() {
    let endpoint = stub(400, r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid"}"#).await;
    let p = provider_at(&endpoint).await;
    let config = obj(&[
        ("name", s("t")),
        ("hash-key", s("pk")),
        (
            "attribute",
            Value::List(vec![obj(&[("name", s("pk")), ("type", s("S"))])]),
        ),
        ("billing-mode", s("PAY_PER_REQUEST")),
    ]);
    let err = p
        .create(nimbus_provider::ApplyRequest {
            type_name: "dynamodb-table",
            prior_state: None,
            planned_state: &config,
            config: &config,
            private: &[],
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal, "{err:?}");
    assert_eq!(err.attribute.as_deref(), Some("attribute"));
    assert!(
        err.message.contains("ValidationException"),
        "{}",
        err.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unconfigured_and_unknown_types_are_errors() {
    let p = Aws::new(Preset::Aws, ".");
    let err = read_table(&p).await;
    assert!(err.message.contains("not configured"), "{}", err.message);
    let err = p.import("aws-instance", "i-123").await.unwrap_err();
    assert!(err.message.contains("no resource type"), "{}", err.message);
    assert_eq!(
        p.schema().resources.len(),
        nimbus_aws::resource_type_names().len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn data_sources() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let identity = h
        .provider
        .read_data("aws-caller-identity", &Value::Null)
        .await
        .unwrap();
    let account = get_str(&identity, "account-id");
    assert_eq!(account.len(), 12, "{account}");
    assert!(get_str(&identity, "arn").starts_with("arn:aws:"));
    let region = h
        .provider
        .read_data("aws-region", &Value::Null)
        .await
        .unwrap();
    assert_eq!(get(&region, "name"), &s("us-east-1"));
    assert_eq!(get(&region, "partition"), &s("aws"));
}

#[tokio::test(flavor = "multi_thread")]
async fn explicit_credentials_and_region() {
    let Some(endpoint) = endpoint() else { return };
    let p = Aws::new(Preset::Aws, ".");
    p.configure(&obj(&[
        ("endpoint", s(&endpoint)),
        ("region", s("eu-west-1")),
        ("access-key", s("AKIDEXAMPLE")),
        ("secret-key", s("secret")),
    ]))
    .await
    .unwrap();
    let region = p.read_data("aws-region", &Value::Null).await.unwrap();
    assert_eq!(get(&region, "name"), &s("eu-west-1"));
    // A bucket outside us-east-1 needs a location constraint.
    let h = Harness::new().await.unwrap();
    let name = unique("nimbus-eu");
    let config = h.config("s3-bucket", &[("bucket-name", s(&name))]);
    let plan = h.plan("s3-bucket", None, &config).await;
    let created = p
        .create(nimbus_provider::ApplyRequest {
            type_name: "s3-bucket",
            prior_state: None,
            planned_state: &plan.planned_state,
            config: &config,
            private: &[],
        })
        .await
        .unwrap()
        .new_state;
    assert_eq!(get(&created, "region"), &s("eu-west-1"));
    let data = p
        .read_data("s3-bucket", &obj(&[("bucket-name", s(&name))]))
        .await
        .unwrap();
    assert_eq!(get(&data, "region"), &s("eu-west-1"));
    p.delete(nimbus_provider::DeleteRequest {
        type_name: "s3-bucket",
        prior_state: &created,
        private: &[],
    })
    .await
    .unwrap();
}
