//! Fault injection: a proxy in front of the emulator answers every fifth
//! request itself, alternating 503 SlowDown and 429 throttling, without
//! passing it on. Whole lifecycles must still succeed: the provider sends each
//! call once, every fault comes back Retryable, and an operation retried
//! whole (as the engine does) carries on from what its failed attempt made
//! (a create never fails with "already exists" nor makes a second object).

use crate::common::*;
use nimbus_aws::wire::{APIGATEWAY, Call};
use nimbus_aws::{Aws, Preset};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{ApplyRequest, DeleteRequest, Provider, ProviderError, ReadRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads one HTTP/1.1 request or response (head and Content-Length body).
async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
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
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    break;
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            return Some(buffer);
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Starts the proxy; returns its endpoint and the count of injected faults.
async fn faulty_proxy(upstream: String, every: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let injected = Arc::new(AtomicUsize::new(0));
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let counter = injected.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let (requests, injected, upstream) =
                (requests.clone(), counter.clone(), upstream.clone());
            tokio::spawn(async move {
                // One request per connection: the answer closes it.
                let Some(request) = read_message(&mut client).await else {
                    return;
                };
                let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
                let response = if n % every == 0 {
                    let k = injected.fetch_add(1, Ordering::SeqCst);
                    if k % 2 == 0 {
                        let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                        format!(
                            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .into_bytes()
                    } else {
                        let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
                        format!(
                            "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nx-amzn-errortype: ThrottlingException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .into_bytes()
                    }
                } else {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    // Ask the upstream to close after answering.
                    let text = String::from_utf8_lossy(&request);
                    let request = if text.to_lowercase().contains("\r\nconnection:") {
                        request
                    } else {
                        let end = request
                            .windows(4)
                            .position(|w| w == b"\r\n\r\n")
                            .unwrap_or(0);
                        let mut out = request[..end].to_vec();
                        out.extend_from_slice(b"\r\nconnection: close");
                        out.extend_from_slice(&request[end..]);
                        out
                    };
                    if server.write_all(&request).await.is_err() {
                        return;
                    }
                    read_message(&mut server).await.unwrap_or_default()
                };
                let _ = client.write_all(&response).await;
                let _ = client.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), injected)
}

/// Runs an operation the way the engine does: again while it fails with a
/// Retryable error (a few times).
async fn engine_retry<T, F, Fut>(mut op: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if e.is_retryable() && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycles_survive_throttling_and_server_errors() {
    let Some(h) = Harness::new().await else {
        return;
    };
    let (endpoint, injected) = faulty_proxy(h.endpoint.clone(), 5).await;
    let p = Aws::new(Preset::LocalStack, h.dir.path());
    p.configure(&obj(&[("endpoint", s(&endpoint))]))
        .await
        .unwrap();

    let cases = [
        (
            "s3-bucket",
            h.config(
                "s3-bucket",
                &[
                    ("bucket-name", s(&unique("nimbus-faulty"))),
                    ("versioning", Value::Bool(true)),
                    ("tags", string_map(&[("a", "b")])),
                ],
            ),
        ),
        (
            "sqs-queue",
            h.config(
                "sqs-queue",
                &[
                    ("name", s(&unique("nimbus-faulty"))),
                    ("tags", string_map(&[("a", "b")])),
                ],
            ),
        ),
        (
            "sns-topic",
            h.config("sns-topic", &[("name", s(&unique("nimbus-faulty")))]),
        ),
        (
            "dynamodb-table",
            h.config(
                "dynamodb-table",
                &[
                    ("name", s(&unique("nimbus-faulty"))),
                    ("hash-key", s("id")),
                    (
                        "attribute",
                        Value::List(vec![obj(&[("name", s("id")), ("type", s("S"))])]),
                    ),
                ],
            ),
        ),
        (
            "iam-role",
            h.config(
                "iam-role",
                &[
                    ("name", s(&unique("nimbus-faulty"))),
                    ("assume-role-policy", lambda_trust()),
                ],
            ),
        ),
        // Its id is made by AWS: a create call sent twice makes two APIs.
        (
            "api-gateway-rest-api",
            h.config(
                "api-gateway-rest-api",
                &[
                    ("name", s(&unique("nimbus-faulty"))),
                    ("endpoint-type", s("REGIONAL")),
                ],
            ),
        ),
    ];
    for (t, config) in &cases {
        let plan = h.plan(t, None, config).await;
        let created = engine_retry(|| {
            p.create(ApplyRequest {
                type_name: t,
                prior_state: None,
                planned_state: &plan.planned_state,
                config,
                private: &[],
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{t}: create through faults: {e:?}"))
        .new_state;
        assert_consistent(&plan.planned_state, &created);
        if *t == "api-gateway-rest-api" {
            let name = get_str(&created, "name");
            let apis = h
                .clients
                .wire
                .rest_json(
                    &APIGATEWAY,
                    Call::new("GET", &["restapis"])
                        .query("limit", "500")
                        .header("accept", "application/json"),
                )
                .await
                .expect("GetRestApis");
            let made = apis["item"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["name"].as_str() == Some(name));
            assert_eq!(made.count(), 1, "{t}: one API named {name}");
        }
        let read = engine_retry(|| {
            p.read(ReadRequest {
                type_name: t,
                current_state: &created,
                private: &[],
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{t}: read through faults: {e:?}"))
        .expect("exists");
        assert_eq!(read.new_state, created, "{t}: no drift through faults");
        engine_retry(|| {
            p.delete(DeleteRequest {
                type_name: t,
                prior_state: &created,
                private: &[],
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{t}: delete through faults: {e:?}"));
        // Checked directly against the emulator.
        assert!(h.read(t, &created).await.is_none(), "{t} is gone");
    }
    assert!(
        injected.load(Ordering::SeqCst) >= 5,
        "faults were injected: {}",
        injected.load(Ordering::SeqCst)
    );
}
