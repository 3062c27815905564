//! The real `nimbus` binary against the AWS emulator through a proxy that
//! fails every fifth call of each service with HTTP 503 or a throttling
//! error (HTTP 400 with the service's throttling code), alternately.
//! Applying 25 buckets and 25 queues must still converge: all 50 in state,
//! exactly those 50 in the emulator (seen directly, not through the proxy)
//! with their tags, a plan with no changes, and a destroy that leaves
//! nothing.
//!
//! The emulator is NIMBUS_TEST_AWS_ENDPOINT (scripts/moto start). Without it
//! the test prints a notice and passes, except under CI=true. Names carry a
//! prefix unique to the run, so other tests can share the emulator.
#![allow(clippy::print_stdout, clippy::print_stderr)] // tests say what they skip

mod common;

use common::*;
use nimbus_aws::wire::{Call, S3, SQS, xml_answer};
use nimbus_aws::{Aws, Preset};
use nimbus_provider::Provider;
use nimbus_value::Value;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const EACH: usize = 25;
/// One call in FAULT_EVERY of each service fails.
const FAULT_EVERY: usize = 5;

fn emulator_endpoint() -> Option<String> {
    aws_emulator("the AWS fault-injection test")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Service {
    S3,
    Sqs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Unavailable,
    Throttled,
}

/// Counts per service, shared with the proxy's threads.
#[derive(Default)]
struct Counters {
    s3_calls: AtomicUsize,
    sqs_calls: AtomicUsize,
    s3_faults: AtomicUsize,
    sqs_faults: AtomicUsize,
    injected: std::sync::Mutex<BTreeMap<(Service, Fault), usize>>,
}

impl Counters {
    fn injected(&self, service: Service, fault: Fault) -> usize {
        *self
            .injected
            .lock()
            .unwrap()
            .get(&(service, fault))
            .unwrap_or(&0)
    }

    fn calls(&self) -> usize {
        self.s3_calls.load(Ordering::SeqCst) + self.sqs_calls.load(Ordering::SeqCst)
    }

    fn faults(&self) -> usize {
        self.injected.lock().unwrap().values().sum()
    }
}

struct FaultyProxy {
    endpoint: String,
    counters: Arc<Counters>,
}

impl FaultyProxy {
    fn start(upstream: &str) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        // The listener thread lives until the test binary exits: nothing
        // calls the proxy after the test.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, counters) = (upstream.clone(), shared.clone());
                std::thread::spawn(move || serve(client, &upstream, &counters));
            }
        });
        FaultyProxy { endpoint, counters }
    }
}

/// Reads a request head and its Content-Length body. The provider sends no
/// chunked request bodies for bucket and queue calls.
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let lower = head.to_ascii_lowercase();
    assert!(
        !lower.contains("transfer-encoding: chunked"),
        "the proxy cannot forward a chunked request:\n{head}"
    );
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

/// One request per connection (the answer closes it), so that a fault
/// never leaves a half-read stream behind.
fn serve(mut client: TcpStream, upstream: &str, counters: &Counters) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Some((head, body)) = read_request(&mut client) else {
        return;
    };
    let lower = head.to_ascii_lowercase();
    let service = if lower.contains("\r\nx-amz-target: amazonsqs.") {
        Service::Sqs
    } else {
        Service::S3
    };
    let (calls, faults) = match service {
        Service::S3 => (&counters.s3_calls, &counters.s3_faults),
        Service::Sqs => (&counters.sqs_calls, &counters.sqs_faults),
    };
    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
    let response = if n % FAULT_EVERY == 0 {
        let k = faults.fetch_add(1, Ordering::SeqCst);
        let head_request = lower.starts_with("head ");
        // A HEAD answer has no body, so it cannot carry a throttling code:
        // HEAD calls only ever see 503.
        let fault = if k % 2 == 1 && !head_request {
            Fault::Throttled
        } else {
            Fault::Unavailable
        };
        *counters
            .injected
            .lock()
            .unwrap()
            .entry((service, fault))
            .or_insert(0) += 1;
        fault_response(service, fault, head_request)
    } else {
        match forward(upstream, &head, &body) {
            Some(r) => r,
            None => return,
        }
    };
    let _ = client.write_all(&response);
    let _ = client.shutdown(Shutdown::Both);
}

/// The fault as the service would word it. Throttling comes as HTTP 400,
/// not 503 or 429, so that only its error code can make it retryable.
fn fault_response(service: Service, fault: Fault, head_request: bool) -> Vec<u8> {
    let (status, content_type, body) = match (service, fault) {
        (Service::S3, Fault::Unavailable) => (
            "503 Service Unavailable",
            "application/xml",
            "<Error><Code>ServiceUnavailable</Code><Message>Service is unable to handle request.</Message></Error>",
        ),
        (Service::S3, Fault::Throttled) => (
            "400 Bad Request",
            "application/xml",
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
        ),
        (Service::Sqs, Fault::Unavailable) => (
            "503 Service Unavailable",
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.sqs#ServiceUnavailable","message":"Service is unable to handle request."}"#,
        ),
        (Service::Sqs, Fault::Throttled) => (
            "400 Bad Request",
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}"#,
        ),
    };
    let body = if head_request { "" } else { body };
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Passes the request on with `connection: close` and returns the whole
/// answer (read to the end of the stream, which also covers HEAD answers
/// and chunked bodies).
fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    let _ = server.set_read_timeout(Some(Duration::from_secs(30)));
    let mut request = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            request.push_str(line);
            request.push_str("\r\n");
        }
    }
    request.push_str("connection: close\r\n\r\n");
    server.write_all(request.as_bytes()).ok()?;
    server.write_all(body).ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

fn config() -> String {
    format!(
        r#"
(define-variables
  (prefix (type string)))

(define-infrastructure faults
  (provider localstack (region "us-east-1"))

  (resource s3-bucket "b"
    (count {EACH})
    (bucket-name (format "~a-b~a" (var prefix) count-index))
    (tags (run (var prefix)) (index (to-string count-index))))

  (resource sqs-queue "q"
    (count {EACH})
    (name (format "~a-q~a" (var prefix) count-index))
    (tags (run (var prefix)) (index (to-string count-index)))))
"#
    )
}

/// What the emulator itself holds under `prefix`: bucket name to tags and
/// queue name to tags, asked directly (not through the proxy).
struct Direct {
    aws: Aws,
    runtime: tokio::runtime::Runtime,
}

impl Direct {
    fn new(endpoint: &str, dir: &std::path::Path) -> Direct {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let aws = Aws::new(Preset::LocalStack, dir);
        runtime
            .block_on(aws.configure(&Value::Map(
                [("endpoint".to_string(), Value::string(endpoint))].into(),
            )))
            .expect("configuring the provider against the emulator");
        let resolved = aws.clients().unwrap().endpoint.clone();
        assert_eq!(
            resolved.as_deref(),
            Some(endpoint),
            "NIMBUS_AWS_ENDPOINT in the test's environment points elsewhere than NIMBUS_TEST_AWS_ENDPOINT; unset it"
        );
        Direct { aws, runtime }
    }

    fn buckets(&self, prefix: &str) -> Vec<(String, BTreeMap<String, String>)> {
        let c = self.aws.clients().unwrap();
        self.runtime.block_on(async {
            let listed = c
                .wire
                .rest_xml(&S3, Call::new("GET", &[]))
                .await
                .expect("ListBuckets");
            let listed = xml_answer(&listed).expect("XML");
            let names: Vec<String> = listed
                .at(&["Buckets"])
                .into_iter()
                .flat_map(|list| list.children_named("Bucket"))
                .filter_map(|b| b.text_at(&["Name"]))
                .filter(|name| name.starts_with(&format!("{prefix}-")))
                .collect();
            let mut out = Vec::new();
            for name in names {
                let tags = match c
                    .wire
                    .rest_xml(&S3, Call::new("GET", &[&name]).query("tagging", ""))
                    .await
                {
                    Ok(answer) => xml_answer(&answer)
                        .expect("XML")
                        .at(&["TagSet"])
                        .into_iter()
                        .flat_map(|set| set.children_named("Tag"))
                        .filter_map(|t| Some((t.text_at(&["Key"])?, t.text_at(&["Value"])?)))
                        .collect(),
                    Err(_) => BTreeMap::new(),
                };
                out.push((name, tags));
            }
            out.sort();
            out
        })
    }

    fn queues(&self, prefix: &str) -> Vec<(String, BTreeMap<String, String>)> {
        let c = self.aws.clients().unwrap();
        self.runtime.block_on(async {
            let listed = c
                .wire
                .json(
                    &SQS,
                    "ListQueues",
                    json!({ "QueueNamePrefix": format!("{prefix}-"), "MaxResults": 1000 }),
                )
                .await
                .expect("ListQueues");
            let mut out = Vec::new();
            for url in listed["QueueUrls"].as_array().into_iter().flatten() {
                let url = url.as_str().unwrap_or_default();
                let name = url.rsplit('/').next().unwrap_or_default().to_string();
                let tags = c
                    .wire
                    .json(&SQS, "ListQueueTags", json!({ "QueueUrl": url }))
                    .await
                    .expect("ListQueueTags");
                let tags = tags["Tags"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((name, tags));
            }
            out.sort();
            out
        })
    }
}

fn expected(prefix: &str, kind: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<_> = (0..EACH)
        .map(|i| {
            (
                format!("{prefix}-{kind}{i}"),
                [
                    ("run".to_string(), prefix.to_string()),
                    ("index".to_string(), i.to_string()),
                ]
                .into(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn apply_of_fifty_converges_through_throttling_and_server_errors() {
    let Some(emulator) = emulator_endpoint() else {
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    // Lowercase and short: valid for buckets and queues with "-b24".
    let prefix = format!(
        "nf-{:x}-{:x}",
        (nanos / 1000) % 0xffff_ffff,
        std::process::id()
    );
    let proxy = FaultyProxy::start(&emulator);
    let mut w = Workdir::init_with(&config());
    w.set_env("NIMBUS_AWS_ENDPOINT", &proxy.endpoint);
    w.set_env("NIMBUS_VAR_prefix", &prefix);
    let direct = Direct::new(&emulator, w.path());

    let apply = w.run(&["apply", "--auto-approve", "--no-color"]);
    apply
        .success()
        .no_panic()
        .stdout_has("Resources: 50 created, 0 updated, 0 replaced, 0 destroyed, 0 failed");
    let counters = &proxy.counters;
    for service in [Service::S3, Service::Sqs] {
        for fault in [Fault::Unavailable, Fault::Throttled] {
            assert!(
                counters.injected(service, fault) > 0,
                "no {fault:?} fault reached {service:?} during apply ({} calls, {} faults)",
                counters.calls(),
                counters.faults()
            );
        }
    }
    let mut state = w.state_list();
    state.sort();
    let mut wanted: Vec<String> = (0..EACH)
        .flat_map(|i| [format!("s3-bucket.b[{i}]"), format!("sqs-queue.q[{i}]")])
        .collect();
    wanted.sort();
    assert_eq!(state, wanted, "state holds exactly the 50 resources");

    // Retried creates must not have made a second object, nor lost tags.
    assert_eq!(direct.buckets(&prefix), expected(&prefix, "b"));
    assert_eq!(direct.queues(&prefix), expected(&prefix, "q"));

    // Reading everything back through the faults finds no drift.
    let plan = w.run(&["plan", "--detailed-exitcode", "--no-color"]);
    plan.code(0).no_panic();

    let faults_before_destroy = counters.faults();
    w.run(&["destroy", "--auto-approve", "--no-color"])
        .success()
        .no_panic()
        .stdout_has("50 destroyed, 0 failed");
    assert!(
        counters.faults() > faults_before_destroy,
        "destroy ran through faults too"
    );
    assert_eq!(w.state_list(), Vec::<String>::new(), "state is empty");
    assert_eq!(direct.buckets(&prefix), Vec::new(), "buckets left behind");
    assert_eq!(direct.queues(&prefix), Vec::new(), "queues left behind");
    eprintln!(
        "{} calls through the proxy, {} answered with a fault",
        counters.calls(),
        counters.faults()
    );
}
